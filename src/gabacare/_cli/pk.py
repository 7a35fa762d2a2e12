"""PK commands: ``simulate`` (one typical patient) and ``simulate-population`` (virtual patients).

Each command parses its options, calls one use case of :mod:`gabacare.app` (which reads the regimen,
days, output step, missed doses and dialysis sessions for every face) and renders the result. NumPy
and the PK engine are imported only when a command runs, so that ``gabacare --help`` stays fast.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gabacare._cli.common import DbOpt, JsonOpt, citations_text, emit_json, fail, guard, notice, stdout_console

if TYPE_CHECKING:
    from gabacare.app import PopulationAnswer

__all__ = ["register"]

RegimenArg = Annotated[str, typer.Argument(help="e.g. '300 mg TID', '600 mg BID', '400 mg once', '300-300-600'.")]
DaysOpt = Annotated[int | None, typer.Option("--days", help="Days to simulate (default and maximum: knowledge base [pk]).",
                                             show_default=False)]
StepOpt = Annotated[float | None, typer.Option("--step-min", help="Output step in minutes (default: hourly).",
                                               show_default=False)]
PlotOpt = Annotated[str | None, typer.Option("--plot", help="Also draw the curve to FILE (.png or .svg).",
                                             show_default=False)]
DialysisOpt = Annotated[list[str] | None, typer.Option(
    "--dialysis", help="A hemodialysis session starting at dayN@HH:MM on a simulated day, as long as the label's "
    "session; repeatable or comma-separated.",
    show_default=False)]


def _footer(console: Any, citations: Any) -> None:
    console.print(f"[dim]Sources: {citations_text(citations)}[/dim]")
    console.print(f"[italic]{notice()}[/italic]")


def simulate(
    regimen: Annotated[str | None, typer.Argument(help="e.g. '300 mg TID', '600 mg BID', '400 mg once', '300-300-600' "
                                                   "(omit with --patient).", show_default=False)] = None,
    crcl: Annotated[float | None, typer.Option("--crcl", help="Creatinine clearance in mL/min "
                                               "(default: the reference for normal kidney function).",
                                               show_default=False)] = None,
    days: DaysOpt = None,
    step_min: StepOpt = None,
    missed: Annotated[list[str] | None, typer.Option(
        "--missed", help="Leave out a dose: its number counting from 1 in time order (5), or dayN@HH:MM "
        "(day2@14:00); repeatable or comma-separated (--missed 2,day3@21:00).", show_default=False)] = None,
    dialysis: DialysisOpt = None,
    plot: PlotOpt = None,
    patient: Annotated[int | None, typer.Option("--patient", help="Simulate this journal patient's logged doses "
                                                 "instead of a regimen.", show_default=False)] = None,
    from_date: Annotated[str | None, typer.Option("--from", help="With --patient: first day (YYYY-MM-DD).",
                                                   show_default=False)] = None,
    to_date: Annotated[str | None, typer.Option("--to", help="With --patient: last day (YYYY-MM-DD).",
                                                 show_default=False)] = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Concentration-time curve of one typical patient on REGIMEN (hourly), with a summary of the last day.

    With --patient ID the doses are the ones logged as taken in the journal (t = 0 is midnight of the first
    logged day), and CrCl comes from --crcl, else the journal's latest creatinine, else the reference.

    The model is one compartment with first-order absorption, dose-dependent bioavailability and clearance
    rising with CrCl, fitted to the label's renal-impairment groups (label §12.3; docs/pk-calibration.md).
    Doses start on day 1 at the knowledge base's clock times; t = 0 is midnight before day 1. The summary
    (peak, time to peak after the dose, trough, average, half-life) covers the last dosing day. The JSON
    gives times both from t = 0 (curve.t_h, summary.peak_at_h) and from the dose (curve.t_after_dose_h,
    summary.tmax_after_dose_h, with the dose's own time in summary.peak_dose_at_h).
    """
    with guard():
        if patient is not None:
            if regimen is not None:
                fail("give either a REGIMEN or --patient, not both")
            _simulate_patient(patient, crcl, step_min, from_date, to_date, db, plot, json_out)
            return
        if regimen is None:
            fail("give a REGIMEN such as '300 mg TID', or --patient ID")
        from gabacare.app import simulate as use_case

        answer = use_case(regimen=regimen, crcl=crcl, days=days, step_min=step_min, missed=missed, dialysis=dialysis)
        if plot:
            from gabacare.reports.pk_plot import plot_simulation

            plot_simulation(answer.simulation, plot, title=f"{answer.regimen}, CrCl {answer.simulation.crcl_ml_min:g} "
                            f"mL/min, {answer.days} day(s)")
        if json_out:
            emit_json({**answer.to_json(), "plot": plot})
            return
        _render_simulation(answer.simulation, answer.regimen, answer.days, plot)


def _simulate_patient(patient: int, crcl: float | None, step_min: float | None, from_date: str | None,
                      to_date: str | None, db: str | None, plot: str | None, json_out: bool) -> None:
    from datetime import date

    from gabacare.composition import journal
    from gabacare.journal.pk_history import simulate_patient

    def day(text: str | None, flag: str) -> date | None:
        try:
            return None if text is None else date.fromisoformat(text)
        except ValueError:
            fail(f"{flag} must be a date like 2026-01-31, got {text!r}")

    start, end = day(from_date, "--from"), day(to_date, "--to")
    if start and end and start > end:
        fail("--from is after --to")
    from gabacare.app.pk import output_step_min

    step = output_step_min(step_min)
    result = simulate_patient(journal(db), patient, crcl=crcl, start=start, end=end, step_h=step / 60.0)
    label = f"patient {patient}: {result.doses} logged dose(s)"
    if plot:
        from gabacare.reports.pk_plot import plot_simulation

        plot_simulation(result.simulation, plot, title=f"{label}, CrCl {result.crcl_ml_min:.0f} mL/min")
    if json_out:
        emit_json({**result.to_json(), "plot": plot, "notice": notice()})
        return
    days = max(1, round(float(result.simulation.t_h[-1]) / 24))
    for w in result.warnings:
        stdout_console().print(f"[yellow]! {w}[/yellow]")
    _render_simulation(result.simulation, label + f" (from {result.origin:%Y-%m-%d}; CrCl: {result.crcl_source})", days, plot)


def _render_simulation(sim: Any, regimen: str, days: int, plot: str | None) -> None:
    from rich.table import Table

    console = stdout_console()
    s = sim.summary
    console.print(f"[bold]{regimen}[/bold], CrCl {sim.crcl_ml_min:g} mL/min, {days} day(s): "
                  f"{len([d for d in sim.doses if d.mg > 0])} dose(s)")
    table = Table(title=f"Last dosing day ({s.window_start_h:g}-{s.window_end_h:g} h)")
    table.add_column("Measure")
    table.add_column("Value", justify="right")
    table.add_row("Peak (Cmax)", f"{s.cmax_mg_per_l:.2f} mg/L")
    table.add_row("Time to peak after the dose", f"{s.tmax_h:.2f} h (at {s.peak_at_h:.2f} h)")
    table.add_row("Trough (Cmin)", f"{s.cmin_mg_per_l:.2f} mg/L")
    table.add_row("Average (Cavg)", f"{s.cavg_mg_per_l:.2f} mg/L")
    table.add_row("Elimination half-life", f"{s.half_life_h:.1f} h")
    console.print(table)
    daily = Table(title="Day by day")
    for col in ("Day", "Peak mg/L", "Trough mg/L"):
        daily.add_column(col, justify="right")
    for d in range(days):
        mask = (sim.t_h >= d * 24.0) & (sim.t_h <= (d + 1) * 24.0)
        if mask.any():
            c = sim.c_mg_per_l[mask]
            daily.add_row(str(d + 1), f"{c.max():.2f}", f"{c.min():.2f}")
    if days <= 31:
        console.print(daily)
    if plot:
        console.print(f"Plot written to {plot}")
    _footer(console, sim.citations)


def simulate_population(
    regimen: RegimenArg,
    n: Annotated[int | None, typer.Option("--n", help="Number of virtual patients (default: knowledge base [pk]).",
                                          show_default=False)] = None,
    crcl: Annotated[float | None, typer.Option("--crcl", help="One CrCl (mL/min) for every patient "
                                               "(default: the reference for normal kidney function).",
                                               show_default=False)] = None,
    crcl_mean: Annotated[float | None, typer.Option("--crcl-mean", help="Mean of a normal CrCl distribution "
                                                    "(mL/min).", show_default=False)] = None,
    crcl_sd: Annotated[float | None, typer.Option("--crcl-sd", help="Its standard deviation (mL/min).",
                                                  show_default=False)] = None,
    crcl_range: Annotated[str | None, typer.Option("--crcl-range", help="Uniform CrCl range LOW-HIGH in mL/min, "
                                                   "e.g. 30-90.", show_default=False)] = None,
    days: DaysOpt = None,
    step_min: StepOpt = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed: the same seed gives the same result.",
                                             show_default=False)] = None,
    threshold: Annotated[float | None, typer.Option("--threshold-mg-per-l", help="Report the share of patients "
                                                    "above this concentration (mg/L).", show_default=False)] = None,
    dialysis: DialysisOpt = None,
    dask: Annotated[str | None, typer.Option("--dask", help="Run the patients as tasks on the Dask scheduler at "
                                             "ADDRESS (e.g. tcp://10.0.0.5:8786); the same result as a local "
                                             "run. Needs gabacare[cluster].", show_default=False)] = None,
    plot: PlotOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Percentiles (5th/50th/95th) over time for N virtual patients on REGIMEN, with between-patient variability.

    Clearance, volume and absorption rate vary log-normally between patients; CrCl is fixed (--crcl), normal
    (--crcl-mean/--crcl-sd) or uniform (--crcl-range). Use --seed for a reproducible run. Large runs stream
    patients through per-time-point histograms (the JSON's quantile_error_bound says how close); --dask runs
    them on a cluster.
    """
    with guard():
        from gabacare.app import simulate_population as use_case

        def run(progress: Any = None) -> PopulationAnswer:
            return use_case(regimen=regimen, n=n, crcl=crcl, crcl_mean=crcl_mean, crcl_sd=crcl_sd,
                            crcl_range=crcl_range, days=days, step_min=step_min, seed=seed,
                            threshold_mg_per_l=threshold, dialysis=dialysis, progress=progress, dask=dask)

        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import Progress

            with Progress(console=Console(stderr=True), transient=True) as bar:
                task = bar.add_task("simulating patients", total=None)

                def report(done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total)

                answer = run(report)
        else:
            answer = run()
        if plot:
            from gabacare.reports.pk_plot import plot_population

            plot_population(answer.result, plot, title=f"{answer.regimen}: {answer.result.n} virtual patients")
        if json_out:
            emit_json({**answer.to_json(), "plot": plot})
            return
        _render_population(answer.result, answer.regimen, answer.days, plot)


def _render_population(res: Any, regimen: str, days: int, plot: str | None) -> None:
    import numpy as np
    from rich.table import Table

    console = stdout_console()
    console.print(f"[bold]{regimen}[/bold], {res.n} virtual patients, CrCl {res.crcl.describe()}, {days} day(s)"
                  + (f", seed {res.seed}" if res.seed is not None else ""))
    table = Table(title="Concentration across patients (mg/L)")
    for col in ("Time (h)", "5th", "median", "95th") + (("share above",) if res.share_above is not None else ()):
        table.add_column(col, justify="right")
    last_day = np.flatnonzero(res.t_h >= res.t_h[-1] - 24.0)
    picks = last_day[:: max(1, len(last_day) // 8)]
    for i in picks:
        row = [f"{res.t_h[i]:g}", f"{res.p5[i]:.2f}", f"{res.p50[i]:.2f}", f"{res.p95[i]:.2f}"]
        if res.share_above is not None:
            row.append(f"{res.share_above[i] * 100:.0f} %")
        table.add_row(*row)
    console.print(table)
    bound = res.quantile_error
    if bound.method == "histogram":
        console.print(f"Percentiles read from streamed histograms: within {bound.relative * 100:.2f} % "
                      f"(+ {bound.absolute_mg_per_l:.0e} mg/L) of the exact values.")
    if res.share_above is not None:
        console.print(f"Share above {res.threshold_mg_per_l:g} mg/L over the last day: "
                      f"{res.share_above[last_day].min() * 100:.0f}-{res.share_above[last_day].max() * 100:.0f} %")
    if plot:
        console.print(f"Plot written to {plot}")
    _footer(console, res.citations)


def register(app: typer.Typer) -> None:
    """Add the PK commands to the CLI."""
    app.command("simulate")(simulate)
    app.command("simulate-population")(simulate_population)
