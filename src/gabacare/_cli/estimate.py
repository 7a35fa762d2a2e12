"""``gabacare estimate``: a patient's measured gabapentin level read back into their own clearance, and
the regimen of real pills within the renal band whose predicted trough is in the reference range.

The command parses, calls :func:`gabacare.app.estimate.estimate_patient` and renders. Without a level
in the journal it exits 2 with the command that logs one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from gabacare._cli.common import DbOpt, JsonOpt, PatientOpt, citations_text, emit_json, open_journal, stdout_console

if TYPE_CHECKING:
    from gabacare.app.estimate import EstimateAnswer


def _render(a: EstimateAnswer) -> None:
    console = stdout_console()
    est, rng = a.estimate, a.estimate.model.target
    pop, ind = est.population, est.individual
    lo, hi = est.cl_interval
    console.print(f"[bold]Estimate from {len(a.levels)} measured level(s)[/bold] "
                  f"(CrCl {a.crcl_ml_min:.0f} mL/min, {a.crcl_source}; {a.doses} doses logged)")
    for w in a.warnings:
        console.print(f"[yellow]! {w}[/yellow]")
    console.print(f"  Clearance: {ind.cl_l_per_h:.2f} L/h for this patient "
                  f"({est.interval_probability:.0%} interval {lo:.2f}-{hi:.2f} L/h); typical {pop.cl_l_per_h:.2f} L/h")
    console.print(f"  Half-life: {ind.half_life_h:.1f} h (typical {pop.half_life_h:.1f} h)")
    for lv, pred in zip(a.levels, est.predictions, strict=True):
        console.print(f"  Level {lv.at:%Y-%m-%d %H:%M}: measured {lv.mg_per_l:.2f} mg/L; predicted "
                      f"{pred.population_mg_per_l:.2f} (typical patient), {pred.individual_mg_per_l:.2f} (this patient)")
    console.print(f"Reference range for a {rng.sample}: {rng.low_mg_per_l:g}-{rng.high_mg_per_l:g} mg/L")
    if a.current is not None:
        c = a.current.prediction
        console.print(f"  Plan in force, {a.current.describe()}: trough {c.trough_mg_per_l:.2f} mg/L "
                      f"({c.trough_interval[0]:.2f}-{c.trough_interval[1]:.2f}), peak {c.peak_mg_per_l:.2f} mg/L")
    if a.proposal is None:
        console.print(f"[bold]No proposal.[/bold] {a.reason}")
    else:
        p = a.proposal.prediction
        console.print(f"[bold]Proposal to the prescriber: {a.proposal_text}[/bold] ({a.proposal.pills} per dose)")
        console.print(f"  predicted trough {p.trough_mg_per_l:.2f} mg/L ({p.trough_interval[0]:.2f}-"
                      f"{p.trough_interval[1]:.2f}), peak {p.peak_mg_per_l:.2f} mg/L "
                      f"({p.peak_interval[0]:.2f}-{p.peak_interval[1]:.2f}). {a.reason}")
    console.print(f"[dim]Sources: {citations_text(a.citations)}[/dim]")
    console.print(f"[italic]{a.notice}[/italic]")


def estimate_cmd(
    patient: PatientOpt,
    crcl: Annotated[float | None, typer.Option("--crcl", help="Creatinine clearance in mL/min (default: from the "
                                               "journal's latest creatinine, else normal).", show_default=False)] = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Estimate this patient's gabapentin clearance from measured levels (log lab --test gabapentin) and
    propose a regimen of real pills whose predicted trough is in the reference range (mg/L)."""
    from gabacare._cli.journal import _guard

    with _guard():
        from gabacare.app.estimate import estimate_patient

        answer = estimate_patient(open_journal(db), patient, crcl=crcl)
        if json_out:
            emit_json(answer)
        else:
            _render(answer)


def register(app: typer.Typer) -> None:
    """Add ``estimate`` to the CLI."""
    app.command("estimate")(estimate_cmd)
