"""Clinical commands: crcl, limits, titrate, taper, check, interactions, symptoms, missed.

Each command parses its options, calls one use case of :mod:`gabacare.app` (which reads and checks
the inputs for every face) and renders the result: a Rich table, or with ``--json`` the result's
contract JSON, the same object ``/api/v1/<command>`` answers. The application layer is imported
inside the commands so that ``gabacare --help`` stays fast.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gabacare._cli.common import JsonOpt, RiskChoice, SexChoice, citations_text, emit_json, guard, notice, stdout_console

if TYPE_CHECKING:
    from gabacare.clinical import Plan

__all__ = ["register"]

CrClOpt = Annotated[float | None, typer.Option("--crcl", help="Creatinine clearance in mL/min.", show_default=False)]


class ScrUnitChoice(StrEnum):
    mg_dl = "mg/dL"
    umol_l = "umol/L"


def _footer(console: Any, citations: Any) -> None:
    console.print(f"[dim]Sources: {citations_text(citations)}[/dim]")
    console.print(f"[italic]{notice()}[/italic]")


def _render_plan(plan: Plan) -> None:
    from rich.table import Table

    console = stdout_console()
    console.print(f"[bold]{plan.label}[/bold]")
    for w in plan.warnings:
        console.print(f"[yellow]! {w}[/yellow]")
    table = Table(show_lines=False)
    table.add_column("Day", justify="right")
    table.add_column("Date")
    table.add_column("Total mg/day", justify="right")
    table.add_column("Doses (time: mg = units)")
    steps = plan.steps
    for step in steps:
        day = next(d for d in plan.days if d.date == step.start)
        span = f"{day.day}" if step.start == step.end else f"{day.day}-{day.day + (step.end - step.start).days}"
        dates = step.start.isoformat() if step.start == step.end else f"{step.start:%b %d}-{step.end:%b %d}"
        doses = "; ".join(
            f"{x.time:%H:%M}: {x.mg:g} mg = " + " + ".join(
                f"{u.count:g} mL solution" if u.form == "oral-solution" else f"{u.count:g}×{u.strength_mg:g} mg {u.form}"
                for u in x.units)
            for x in day.doses
        ) or "stop (0 mg)"
        watch = ""
        if step.watch_from is not None and step.watch_until is not None:
            watch = f"\n[dim]watch for withdrawal {step.watch_from:%b %d %H:%M} to {step.watch_until:%b %d %H:%M}[/dim]"
        table.add_row(span, dates, f"{day.total_mg:g}", doses + watch)
    console.print(table)
    if plan.dispense:
        console.print("To dispense: " + ", ".join(
            f"{x.count:g} mL oral solution" if x.form == "oral-solution" else f"{x.count:g} × {x.strength_mg:g} mg {x.form}"
            for x in plan.dispense))
    for n in plan.notes:
        console.print(f"• {n}")
    _footer(console, plan.citations)


def _emit_plan(plan: Plan, crcl_value: float | None, *, json_out: bool, fhir: bool) -> None:
    """A plan as one FHIR MedicationRequest (``--fhir``), its contract JSON (``--json``) or a table."""
    if fhir:
        from gabacare.clinical import CrCl
        from gabacare.interop.fhir import plan_medication_request, validate_resource

        emit_json(validate_resource(plan_medication_request(plan, crcl=None if crcl_value is None else CrCl(crcl_value))))
    elif json_out:
        emit_json(plan)
    else:
        _render_plan(plan)


def crcl(
    age: Annotated[float, typer.Option("--age", help="Age in years (12 or older).")],
    sex: Annotated[SexChoice, typer.Option("--sex", help="female or male.")],
    weight_kg: Annotated[float, typer.Option("--weight-kg", help="Actual body weight in kg.")],
    scr: Annotated[float, typer.Option("--scr", help="Serum creatinine.")],
    scr_unit: Annotated[ScrUnitChoice, typer.Option("--scr-unit", help="Unit of --scr.")] = ScrUnitChoice.mg_dl,
    json_out: JsonOpt = False,
) -> None:
    """Creatinine clearance by Cockcroft-Gault (mL/min), label 2.3."""
    with guard():
        from gabacare.app import crcl as use_case

        answer = use_case(age=age, sex=sex.value, weight_kg=weight_kg, scr=scr, scr_unit=scr_unit.value)
        if json_out:
            emit_json(answer)
            return
        r = answer.result
        console = stdout_console()
        console.print(f"Creatinine clearance: [bold]{r.crcl_ml_min:.1f} mL/min[/bold] (Cockcroft-Gault)")
        console.print(f"[dim]{r.formula}; SCr {r.scr_mg_dl:.2f} mg/dL[/dim]")
        _footer(console, r.citations)


def limits(
    crcl_value: CrClOpt = None,
    age: Annotated[float | None, typer.Option("--age", help="Age in years (with --sex, --weight-kg, --scr).")] = None,
    sex: Annotated[SexChoice | None, typer.Option("--sex")] = None,
    weight_kg: Annotated[float | None, typer.Option("--weight-kg")] = None,
    scr: Annotated[float | None, typer.Option("--scr", help="Serum creatinine.")] = None,
    scr_unit: Annotated[ScrUnitChoice, typer.Option("--scr-unit")] = ScrUnitChoice.mg_dl,
    hemodialysis: Annotated[bool, typer.Option("--hemodialysis", help="Add the post-dialysis supplement.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Daily dose range and regimen for a creatinine clearance (label 2.3)."""
    with guard():
        from gabacare.app import limits as use_case

        answer = use_case(crcl=crcl_value, age=age, sex=sex.value if sex else None, weight_kg=weight_kg, scr=scr,
                          scr_unit=scr_unit.value, hemodialysis=hemodialysis)
        if json_out:
            emit_json(answer)
            return
        lim = answer.limits
        from rich.table import Table

        console = stdout_console()
        table = Table(title=f"Gabapentin limits at CrCl {lim.crcl_ml_min:.1f} mL/min")
        table.add_column("Band")
        table.add_column("Total daily dose", justify="right")
        table.add_column("Doses/day", justify="right")
        table.add_column("Per-dose choices (mg)")
        if lim.hemodialysis_supplement_mg is not None:
            table.add_column("Post-HD supplement (mg)")
        row = [lim.band, f"{lim.min_daily_mg:g}-{lim.max_daily_mg:g} mg", str(lim.doses_per_day),
               ", ".join(f"{c:g}" for c in lim.columns_mg)]
        if lim.hemodialysis_supplement_mg is not None:
            row.append(", ".join(f"{c:g}" for c in lim.hemodialysis_supplement_mg))
        table.add_row(*row)
        console.print(table)
        for n in lim.notes:
            console.print(f"• {n}")
        _footer(console, lim.citations)


def titrate_cmd(
    indication: Annotated[str, typer.Option("--indication", help="e.g. postherpetic-neuralgia, epilepsy, "
                                            "epilepsy-child, diabetic-neuropathy, fibromyalgia, restless-legs, "
                                            "spasticity, anxiety (aliases: phn, rls, muscle-spasms, neuropathic-pain).")],
    target_mg: Annotated[float | None, typer.Option("--target-mg", help="Daily target in mg.")] = None,
    crcl_value: CrClOpt = None,
    start: Annotated[str | None, typer.Option("--start", help="Date of day 1 (YYYY-MM-DD; default today).")] = None,
    weight_kg: Annotated[float | None, typer.Option("--weight-kg", help="Weight in kg (epilepsy-child).")] = None,
    age: Annotated[float | None, typer.Option("--age", help="Age in years (epilepsy-child).")] = None,
    json_out: JsonOpt = False,
    fhir: Annotated[bool, typer.Option("--fhir", help="Print the plan as one FHIR R4B MedicationRequest (JSON).")] = False,
) -> None:
    """Day-by-day up-titration plan in real capsules/tablets, capped by kidney function and 3600 mg/day."""
    with guard():
        from gabacare.app import titrate

        plan = titrate(indication=indication, start=start, target_mg=target_mg, crcl=crcl_value, weight_kg=weight_kg,
                       age=age)
        _emit_plan(plan, crcl_value, json_out=json_out, fhir=fhir)


def taper_cmd(
    from_regimen: Annotated[str, typer.Option("--from", help="Current regimen, e.g. '600 mg TID' or '300-300-600'.")],
    risk: Annotated[RiskChoice | None, typer.Option("--risk", help="Withdrawal risk: proportional steps "
                                                      "(default: linear 300 mg/week).")] = None,
    crcl_value: CrClOpt = None,
    start: Annotated[str | None, typer.Option("--start", help="Date of the first reduced day (default today).")] = None,
    step_mg: Annotated[float | None, typer.Option("--step-mg", help="Linear step in mg/day (default 300).")] = None,
    json_out: JsonOpt = False,
    fhir: Annotated[bool, typer.Option("--fhir", help="Print the plan as one FHIR R4B MedicationRequest (JSON).")] = False,
) -> None:
    """Step-down plan: at least a week, never rising, ending at 0 mg, with withdrawal watch windows."""
    with guard():
        from gabacare.app import taper

        plan = taper(from_regimen=from_regimen, start=start, risk=risk.value if risk else None, crcl=crcl_value,
                     step_mg=step_mg)
        _emit_plan(plan, crcl_value, json_out=json_out, fhir=fhir)


def check(
    regimen: Annotated[str, typer.Argument(help="e.g. '600 mg TID', '300 mg BID', '400 mg QD', '300-300-600'.")],
    crcl_value: CrClOpt = None,
    indication: Annotated[str | None, typer.Option("--indication", help="Enables rules such as the epilepsy "
                                                    "12-hour gap.")] = None,
    with_drugs: Annotated[list[str] | None, typer.Option("--with", help="Another medicine taken (repeatable; "
                                                          "brand, generic, EHR text or misspelt): checked for "
                                                          "interactions and duplicate gabapentinoids.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Check a regimen: daily and renal maximum, doses/day, epilepsy gap, real strengths, interactions."""
    with guard():
        from gabacare.app import check as use_case

        res = use_case(regimen=regimen, crcl=crcl_value, indication=indication, with_drugs=with_drugs)
        if json_out:
            emit_json(res)
            return
        console = stdout_console()
        head = "[green]OK[/green]" if res.ok else f"[red]{len(res.problems)} problem(s)[/red]"
        console.print(f"[bold]{res.regimen}[/bold] ({res.total_mg:g} mg/day, {res.doses_per_day} dose(s)/day): {head}")
        for p in res.problems:
            console.print(f"[red]✗ {p.code}[/red]: {p.message} [dim]({citations_text(p.citations)})[/dim]")
        for w in res.warnings:
            console.print(f"[yellow]! {w.code}[/yellow]: {w.message} [dim]({citations_text(w.citations)})[/dim]")
        if res.suggestion:
            console.print(f"Suggested for this kidney function (same column of the label's renal table): "
                          f"[bold]{res.suggestion}[/bold]")
        _footer(console, res.citations)


def interactions(
    drugs: Annotated[list[str], typer.Argument(help="Medicines, brands or alcohol, e.g. Xanax tramadol beer.")],
    age: Annotated[float | None, typer.Option("--age", help="Age in years (Beers check for 65+).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Interactions with gabapentin by name or brand; unknown names are reported as unknown, never as safe."""
    with guard():
        from gabacare.app import interactions as use_case

        rep = use_case(drugs, age=age)
        if json_out:
            emit_json(rep)
            return
        from rich.table import Table

        console = stdout_console()
        table = Table(title="Interactions with gabapentin", show_lines=True)
        table.add_column("Input")
        table.add_column("Severity / action")
        table.add_column("Finding and what to do")
        colour = {"major": "red", "moderate": "yellow", "minor": "cyan", "none": "green"}
        for r in rep.results:
            if not r.known:
                found = f" ({', '.join(r.ingredients)})" if r.ingredients else ""
                table.add_row(r.input + found, "[bold magenta]unknown[/]", r.advice)
                continue
            sev = f"[{colour[r.severity or 'none']}]{r.severity}[/] / {r.action}"
            table.add_row(f"{r.input}\n[dim]{', '.join(r.ingredients)}[/dim]", sev,
                          f"[bold]{r.class_title}[/bold]: {r.effect}\n{r.advice}\n[dim]{citations_text(r.citations)}[/dim]")
        console.print(table)
        for w in rep.warnings:
            console.print(f"[red]! {w}[/red]")
        _footer(console, rep.citations)


def symptoms(
    texts: Annotated[list[str], typer.Argument(help="Symptoms in your words, e.g. 'swollen lips' dizzy.")],
    json_out: JsonOpt = False,
) -> None:
    """Triage symptoms in your own words: emergency / contact your prescriber / expected.

    Each argument is one text, in any wording: misspellings, "cant breathe", someone else's symptoms \
("my husband had a fit"), denials ("no fever"). Emergencies come first; a suicidal thought always comes \
with crisis lines; a text with nothing urgent shows the red-flag checklist. --json adds what was read \
(findings, negated, medicines, corrections, not_understood).
    """
    with guard():
        from gabacare.app import symptoms as use_case

        rep = use_case(texts)
        if json_out:
            emit_json(rep)
            return
        from rich.panel import Panel

        console = stdout_console()
        style = {"emergency": ("bold white on red", "EMERGENCY"), "contact_prescriber": ("yellow", "CONTACT PRESCRIBER"),
                 "expected": ("green", "EXPECTED"), None: ("magenta", "NOTHING URGENT READ")}
        for r in rep.results:
            colour, word = style[r.urgency]
            if r.urgency is None and not r.recognized:
                word = "NOT RECOGNISED"
            lines = [r.advice]
            data = r.to_json()
            if r.crisis_lines:
                lines.append("Crisis lines: " + "; ".join(f"{c.region}: {c.number} ({c.name})" for c in r.crisis_lines))
            findings = data.get("findings") or []
            if isinstance(findings, list) and len(findings) > 1:
                lines.append("Read: " + "; ".join(f"{f['title']} ({f['words']})" for f in findings))
            if r.why:
                lines.append(f"Why: {r.why}")
            negated = data.get("negated") or []
            if isinstance(negated, list) and negated and r.urgency is not None:
                lines.append("You said you do not have: " + "; ".join(str(f["title"]).lower() for f in negated))
            fixes = data.get("corrections") or {}
            if isinstance(fixes, dict) and fixes:
                lines.append("[dim]Read as: " + ", ".join(f"{k} → {v}" for k, v in fixes.items()) + "[/dim]")
            unread = data.get("not_understood") or []
            if isinstance(unread, list) and unread and r.urgency != "emergency":
                lines.append("[dim]Not understood: " + "; ".join(f"“{u}”" for u in unread) + "[/dim]")
            if r.red_flags:
                lines.append("[bold]Get help now if any of these:[/bold]\n" + "\n".join(
                    f"• {f.text} — {f.action}" for f in r.red_flags))
            if r.citations:
                lines.append(f"[dim]{citations_text(r.citations)}[/dim]")
            if data.get("semantic_net") not in (None, "not needed", "used"):
                lines.append(f"[dim]{data['semantic_net']}[/dim]")
            console.print(Panel("\n".join(lines), title=f"[{colour}]{word}[/] {r.input}",
                                border_style=colour.split()[-1]))
        _footer(console, [c for r in rep.results for c in r.citations])


def missed(
    schedule: Annotated[str, typer.Option("--schedule", help="Dose times, e.g. 08:00,14:00,21:00.")],
    missed_at: Annotated[str, typer.Option("--missed", help="Time of the missed dose (HH:MM).")],
    now: Annotated[str, typer.Option("--now", help="The time now (HH:MM).")],
    epilepsy: Annotated[bool, typer.Option("--epilepsy", help="Add the epilepsy 12-hour note.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Missed-dose advice: take it now or skip it; never double."""
    with guard():
        from gabacare.app import missed as use_case

        adv = use_case(schedule=schedule, missed_at=missed_at, now=now, epilepsy=epilepsy)
        if json_out:
            emit_json(adv)
            return
        console = stdout_console()
        word = ("[bold green]TAKE IT NOW[/bold green]" if adv.advice == "take_now" else
                "[bold]NOT DUE YET[/bold]" if adv.status == "not_due" else "[bold yellow]SKIP IT[/bold yellow]")
        console.print(f"{word}: {adv.message}")
        _footer(console, adv.citations)


def register(app: typer.Typer) -> None:
    """Add the clinical commands to the CLI."""
    app.command("crcl")(crcl)
    app.command("limits")(limits)
    app.command("titrate")(titrate_cmd)
    app.command("taper")(taper_cmd)
    app.command("check")(check)
    app.command("interactions")(interactions)
    app.command("symptoms")(symptoms)
    app.command("missed")(missed)
