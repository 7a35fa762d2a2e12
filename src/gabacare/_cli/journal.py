"""Journal commands: patient, plan, log, today, adherence, trends, export, import.

Each command parses its options, calls one :class:`gabacare.journal.services.Journal` method
obtained from :mod:`gabacare.composition`, and renders the result (Rich, or one JSON object with
``--json``). ``--db URL`` (or ``$GABACARE_DB``) selects the database. Errors are one line on
stderr: exit 2 for bad input or a damaged journal file, 1 for other storage failures (a change asked
of a read-only journal). Patient data is printed only to stdout, through
:func:`~gabacare._cli.common.shown` (terminal control sequences shown as escapes, never obeyed).

Stored entries today's rules refuse (written by an older version) are left out of every view and
listed as ``invalid_entries`` (``--json``) or in a warning line; ``log edit`` corrects them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from gabacare._cli.common import (
    DbOpt,
    JsonOpt,
    PatientOpt,
    RiskChoice,
    SexChoice,
    citations_text,
    emit_json,
    fail,
    guard,
    jsonable,
    notice,
    open_journal,
    shown,
    stdout_console,
    term_safe,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from gabacare.journal.model import Entry, InvalidEntry, Patient

__all__ = ["register"]

AtOpt = Annotated[str | None, typer.Option("--at", help="When (ISO time, e.g. 2026-01-01T08:00; default now).",
                                           show_default=False)]
FromOpt = Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD; default: the first plan or entry).",
                                             show_default=False)]
ToOpt = Annotated[str | None, typer.Option("--to", help="Last day (YYYY-MM-DD; default today).", show_default=False)]


class StatusChoice(StrEnum):
    taken = "taken"
    late = "late"
    skipped = "skipped"


class FormatChoice(StrEnum):
    csv = "csv"
    json = "json"


@contextmanager
def _guard() -> Iterator[None]:
    """``guard()`` plus the journal's own errors: every bad import row, storage failures as exit 1."""
    from gabacare.journal.errors import ImportValidationError, JournalCorruptError, JournalStorageError

    with guard():
        try:
            yield
        except ImportValidationError as exc:
            rows = "; ".join(f"line {line}: {msg}" for line, msg in exc.problems)
            more = f" (and {exc.total - len(exc.problems)} more)" if exc.total > len(exc.problems) else ""
            fail(f"import refused, {exc.total} bad row(s), nothing imported: {rows}{more}", 2)
        except JournalCorruptError as exc:
            fail(str(exc), 2)
        except JournalStorageError as exc:
            fail(str(exc), 1)


def _date(text: str | None, flag: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{flag} must be a date like 2026-01-31")


def _at(text: str | None, flag: str = "--at") -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        fail(f"{flag} must be an ISO date and time like 2026-01-31T08:00")


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _patient_json(p: Patient) -> dict[str, Any]:
    return {"id": p.id, "name": p.name, "birth_date": jsonable(p.birth_date), "sex": p.sex,
            "weight_kg": p.weight_kg, "created_at": _iso(p.created_at)}


def _entry_json(e: Entry) -> dict[str, Any]:
    d = e.data
    return {"id": e.id, "patient": e.patient_id, "kind": d.kind, "at": _iso(d.at), "mg": d.mg, "status": d.status,
            "name": d.name, "value": d.value, "unit": d.unit, "text": d.text, "urgency": d.urgency,
            "version": e.version, "recorded_at": _iso(e.recorded_at), "warnings": list(e.warnings),
            "problem": e.problem, "slot": _iso(d.slot), "prn": d.prn, "uid": e.uid or None,
            "deleted": e.deleted_at is not None}


def _invalid_json(items: Sequence[InvalidEntry]) -> list[dict[str, Any]]:
    return [{"id": i.id, "kind": i.kind, "at": _iso(i.at), "problem": i.problem} for i in items]


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, int | float) else "?"


def _describe(e: Entry) -> str:
    """One line about an entry for Rich (escaped: patient text never acts on the terminal)."""
    d = e.data
    if e.problem is not None:
        return f"[red]invalid {shown(d.kind)} entry[/red] ({shown(e.problem)}; correct it with `gabacare log edit`)"
    if d.kind == "dose":
        answers = " as needed" if d.prn else (f" for the {d.slot:%Y-%m-%d %H:%M} dose" if d.slot else "")
        return f"dose {_number(d.mg)} mg ({shown(d.status)}){answers}"
    if d.kind == "symptom":
        return f"{shown(d.name)} {_number(d.value)}"
    if d.kind == "lab":
        return f"{shown(d.name)} {_number(d.value)} {shown(d.unit or '')}".rstrip()
    return f"{d.kind.replace('_', '-')}: {shown(d.text, multiline=True)}"


def _warn_invalid(items: Sequence[InvalidEntry], console: Any = None) -> None:
    """One warning line naming the invalid entries a view left out (ids, never values)."""
    if not items:
        return
    ids = ", ".join(f"#{i.id}" for i in items[:10]) + (f" and {len(items) - 10} more" if len(items) > 10 else "")
    others = " (and other rules)" if len({i.problem for i in items}) > 1 else ""
    (console or stdout_console()).print(
        f"[yellow]! {len(items)} invalid entr{'y' if len(items) == 1 else 'ies'} left out ({ids}): "
        f"{shown(items[0].problem)}{others}; see `gabacare log history` and correct with `gabacare log edit`."
        "[/yellow]")


def _logged(e: Entry, json_out: bool, extra: dict[str, Any] | None = None) -> None:
    if json_out:
        emit_json({**_entry_json(e), **(extra or {})})
        return
    console = stdout_console()
    console.print(f"Logged #{e.id} at {e.at:%Y-%m-%d %H:%M}: {_describe(e)}")
    for w in e.warnings:
        console.print(f"[bold yellow]! {shown(w)}[/bold yellow]")


# -- patient ------------------------------------------------------------------------------------
def patient_add(
    name: Annotated[str, typer.Argument(help="The patient's name (stays in the local database).")],
    birth_date: Annotated[str | None, typer.Option("--birth-date", help="YYYY-MM-DD.", show_default=False)] = None,
    sex: Annotated[SexChoice | None, typer.Option("--sex", help="For Cockcroft-Gault.", show_default=False)] = None,
    weight_kg: Annotated[float | None, typer.Option("--weight-kg", help="For Cockcroft-Gault and child dosing.",
                                                    show_default=False)] = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Add a patient; prints the new id."""
    with _guard():
        p = open_journal(db).add_patient(name, birth_date=_date(birth_date, "--birth-date"),
                                  sex=sex.value if sex else None, weight_kg=weight_kg)
        if json_out:
            emit_json(_patient_json(p))
        else:
            stdout_console().print(f"Added patient #{p.id}")


def patient_list(db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """List the patients in the journal."""
    with _guard():
        patients = open_journal(db).list_patients()
        if json_out:
            emit_json({"patients": [_patient_json(p) for p in patients]})
            return
        from rich.table import Table

        table = Table()
        for col in ("Id", "Name", "Birth date", "Sex", "Weight kg"):
            table.add_column(col)
        for p in patients:
            table.add_row(str(p.id), shown(p.name), jsonable(p.birth_date) or "", shown(p.sex or ""),
                          "" if p.weight_kg is None else _number(p.weight_kg))
        stdout_console().print(table if patients else "No patients yet: `gabacare patient add NAME`.")


def patient_delete(
    patient: PatientOpt,
    confirm: Annotated[str, typer.Option("--confirm", help="The patient's name, typed to confirm (spacing and "
                                                           "letter case aside).")],
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Delete a patient and everything recorded about them (entries, plans, questionnaires, pick-ups,
    share links, calendar feed); audited as the local operator. Export first (`gabacare export`):
    this cannot be undone. Exit 2, nothing deleted, for an unknown id or a name that does not match."""
    from dataclasses import asdict

    from gabacare.app.deletion import delete_patient_locally
    from gabacare.composition import accounts

    with _guard():
        removed = delete_patient_locally(open_journal(db), accounts(db), patient, confirm)
        if json_out:
            emit_json({"deleted": True, **asdict(removed)})
            return
        stdout_console().print(
            f"Deleted patient #{removed.patient}: {removed.entries} entries, {removed.plans} plans, "
            f"{removed.questionnaires} questionnaires, {removed.share_links} share links.")


# -- plan ---------------------------------------------------------------------------------------
def plan_set(
    patient: PatientOpt,
    regimen: Annotated[str | None, typer.Argument(help="A steady regimen, e.g. '300 mg BID' or '300-300-600'.",
                                                  show_default=False)] = None,
    indication: Annotated[str | None, typer.Option("--indication", help="Titrate for this indication "
                                                   "(as `gabacare titrate`).", show_default=False)] = None,
    target_mg: Annotated[float | None, typer.Option("--target-mg", help="Titration target mg/day.",
                                                    show_default=False)] = None,
    from_regimen: Annotated[str | None, typer.Option("--from", help="Taper from this regimen (as `gabacare taper`).",
                                                     show_default=False)] = None,
    risk: Annotated[RiskChoice | None, typer.Option("--risk", help="Taper withdrawal risk.", show_default=False)] = None,
    step_mg: Annotated[float | None, typer.Option("--step-mg", help="Linear taper step mg/day.",
                                                  show_default=False)] = None,
    crcl: Annotated[float | None, typer.Option("--crcl", help="Creatinine clearance in mL/min.",
                                               show_default=False)] = None,
    weight_kg: Annotated[float | None, typer.Option("--weight-kg", help="Weight in kg (default: the profile's).",
                                                    show_default=False)] = None,
    age: Annotated[float | None, typer.Option("--age", help="Age in years (default: from the birth date).",
                                              show_default=False)] = None,
    start: Annotated[str | None, typer.Option("--start", help="First day (YYYY-MM-DD; default today).",
                                              show_default=False)] = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Set the plan in force from its start: a REGIMEN, titrate options or taper options."""
    with _guard():
        from gabacare.journal.model import PlanSpec

        chosen = [x for x in (regimen, indication, from_regimen) if x]
        if len(chosen) != 1:
            fail("give exactly one of: a REGIMEN, --indication (titrate) or --from (taper)")
        first = _date(start, "--start") or date.today()
        source = "regimen" if regimen else "titrate" if indication else "taper"
        spec = PlanSpec.from_choice(source, first, regimen=regimen, indication=indication, target_mg=target_mg,
                                    from_regimen=from_regimen, risk=risk.value if risk else None, step_mg=step_mg,
                                    crcl_ml_min=crcl, weight_kg=weight_kg, age_years=age)
        result = open_journal(db).set_plan(patient, spec)
        sp = result.stored
        if json_out:  # the plan as stored (its record), with kb_version and made_at
            emit_json(result.recorded.to_json())
            return
        stdout_console().print(f"Plan #{sp.id} set for patient #{sp.patient_id} from {sp.plan.start}"
                               + (" (repeats daily after its last day)" if sp.plan.continues else ""))
        try:
            from gabacare._cli.clinical import _render_plan
        except ImportError:  # pragma: no cover - the clinical CLI renders plans; keep working without it
            stdout_console().print(result.plan.label)
        else:
            _render_plan(result.plan)


def plan_recheck(
    patient: PatientOpt,
    plan_id: Annotated[int | None, typer.Option("--plan", help="The stored plan's id (default: the plan in force "
                                                "today, else the next to start).", show_default=False)] = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Re-check a stored plan against today's rules: the days, doses and warnings today's knowledge base
    would make differently. Changes nothing; the plan stays as it was made."""
    with _guard():
        if plan_id is not None and plan_id < 1:
            fail("--plan must be a plan id (1 or more)")
        result = open_journal(db).recheck_plan(patient, plan_id)
        if result is None:
            fail(f"patient #{patient} has no plan yet: `gabacare plan set`")
        if json_out:
            emit_json(result.to_json())
            return
        out = stdout_console()
        out.print(f"Plan #{result.plan_id}, made {result.made_at:%Y-%m-%d %H:%M} with knowledge base {result.kb_then}; "
                  f"today's is {result.kb_now}.", markup=False)
        if result.refused is not None:
            out.print(f"Today's rules would not make this plan: {term_safe(result.refused)}", markup=False)
        elif result.same:
            out.print("Today's rules make the same days, doses and warnings.", markup=False)
        for d in result.days:
            then = ", ".join(f"{t} {_number(mg)} mg" for t, mg in d.then) or "nothing"
            now = ", ".join(f"{t} {_number(mg)} mg" for t, mg in d.now) or "nothing"
            out.print(f"{d.date.isoformat()}: as made {then}; today {now}", markup=False)
        for w in result.warnings_added:
            out.print(f"New warning: {term_safe(w)}", markup=False)
        for w in result.warnings_removed:
            out.print(f"Warning no longer given: {term_safe(w)}", markup=False)
        out.print("The stored plan is unchanged; to adopt today's version, set the plan again.", markup=False)


# -- log ----------------------------------------------------------------------------------------
def log_dose(
    patient: PatientOpt,
    mg: Annotated[float, typer.Option("--mg", help="mg actually taken (the planned mg when skipped).")],
    at: AtOpt = None,
    status: Annotated[StatusChoice, typer.Option("--status", help="taken, late or skipped.")] = StatusChoice.taken,
    slot: Annotated[str | None, typer.Option(
        "--slot", help="The planned dose this answers (ISO time, e.g. 2026-01-01T07:00; default: the planned dose "
        "of that day closest to --at, unless it is answered already).", show_default=False)] = None,
    prn: Annotated[bool, typer.Option("--prn", help="An as-needed dose, apart from the plan's schedule.")] = False,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Log a dose: taken (when: --at, default now), late or skipped; --slot says which planned dose it
    answers, --prn logs an as-needed dose apart from the schedule."""
    with _guard():
        planned = _at(slot, "--slot")
        _logged(open_journal(db).log_dose(patient, mg, at=_at(at), status=status.value, slot=planned, prn=prn),
                json_out)


def log_symptom(
    patient: PatientOpt,
    scale: Annotated[str, typer.Option("--scale", help="spasm_intensity, spasm_count, pain, anxiety, sleep, "
                                       "or a custom name.")],
    score: Annotated[float, typer.Option("--score", help="0-10 (spasm_count: spasms that day).")],
    at: AtOpt = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Log a symptom score (0-10) or a spasm count."""
    with _guard():
        _logged(open_journal(db).log_symptom(patient, scale, score, at=_at(at)), json_out)


def log_trigger(
    patient: PatientOpt,
    tag: Annotated[str, typer.Argument(help="A free tag, e.g. cold, stress, stretching.")],
    at: AtOpt = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Log a spasm trigger (a free tag)."""
    with _guard():
        _logged(open_journal(db).log_trigger(patient, tag, at=_at(at)), json_out)


def log_note(
    patient: PatientOpt,
    text: Annotated[str, typer.Argument(help="The note.")],
    at: AtOpt = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Log a free note; it is read like a side effect, so an emergency in it is flagged at once."""
    with _guard():
        r = open_journal(db).log_note_read(patient, text, at=_at(at))
        if json_out:
            emit_json({**_entry_json(r.entry), "urgency": r.urgency, "emergency": r.emergency,
                       "advice": r.advice if r.urgency in ("emergency", "contact_prescriber") else None,
                       "citations": list(r.citations)})
            return
        console = stdout_console()
        if r.urgency in ("emergency", "contact_prescriber"):
            style = "bold white on red" if r.emergency else "bold yellow"
            console.print(f"[{style}]{r.advice}[/{style}]")
        _logged(r.entry, False)


def log_side_effect(
    patient: PatientOpt,
    text: Annotated[str, typer.Argument(help="What you notice, e.g. 'dizziness' or 'swollen lips'.")],
    at: AtOpt = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Log a side effect; it is triaged at once and an emergency is flagged."""
    with _guard():
        r = open_journal(db).log_side_effect(patient, text, at=_at(at))
        if json_out:
            emit_json({**_entry_json(r.entry), "recognized": r.recognized, "emergency": r.emergency,
                       "advice": r.advice, "citations": list(r.citations)})
            return
        console = stdout_console()
        style = {"emergency": "bold white on red", "contact_prescriber": "bold yellow"}.get(r.urgency or "", "")
        if r.emergency:
            # Emergencies come first, before the confirmation that the entry was saved.
            console.print(f"[{style}]{r.advice}[/{style}]")
        _logged(r.entry, False)
        if not r.emergency:
            console.print(f"[{style}]{r.advice}[/{style}]" if style else r.advice)
        if r.citations:
            console.print(f"[dim]Sources: {citations_text(r.citations)}[/dim]")


def log_lab(
    patient: PatientOpt,
    value: Annotated[float, typer.Option("--value", help="The result.")],
    test: Annotated[str, typer.Option("--test", help="Lab test: creatinine re-runs the renal check; gabapentin is a "
                                      "measured level for `gabacare estimate`.")] = "creatinine",
    unit: Annotated[str | None, typer.Option("--unit", help="mg/dL or umol/L for creatinine (default mg/dL); mg/L "
                                             "(= ug/mL) or umol/L for a gabapentin level (default mg/L).",
                                             show_default=False)] = None,
    at: AtOpt = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Log a lab value; serum creatinine re-runs the renal check against the plan in force, and a
    gabapentin level (--test gabapentin, at the time the blood was taken) feeds `gabacare estimate`."""
    from gabacare.journal.model import LEVEL_TEST

    with _guard():
        r = open_journal(db).log_lab(patient, test, value, unit=unit, at=_at(at))
        if json_out:
            emit_json({**_entry_json(r.entry), "renal": r.renal, "renal_skipped": r.renal_skipped})
            return
        console = stdout_console()
        _logged(r.entry, False)
        if r.entry.data.name == LEVEL_TEST:
            console.print(f"Measured level logged: see what it says with gabacare estimate --patient {patient}")
            return
        if r.renal is None:
            console.print(f"Renal check not run: {r.renal_skipped}.")
            return
        console.print(f"CrCl (Cockcroft-Gault): {r.renal.crcl_ml_min:g} mL/min")
        if r.renal.ok:
            console.print("[green]The plan in force fits this kidney function.[/green]")
        for p in r.renal.problems:
            console.print(f"[bold red]! {p['message']}[/bold red] [dim]({p['code']})[/dim]")
        console.print(f"[dim]Sources: {citations_text(r.renal.citations)}[/dim]")
        console.print(f"[italic]{notice()}[/italic]")


def log_edit(
    patient: PatientOpt,
    entry_id: Annotated[int, typer.Argument(help="Entry id (from `log ... --json` or `export`).")],
    at: AtOpt = None,
    mg: Annotated[float | None, typer.Option("--mg", show_default=False)] = None,
    status: Annotated[StatusChoice | None, typer.Option("--status", show_default=False)] = None,
    score: Annotated[float | None, typer.Option("--score", help="New score or lab value.", show_default=False)] = None,
    text: Annotated[str | None, typer.Option("--text", show_default=False)] = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Correct an entry; the previous version is kept in its history."""
    with _guard():
        changes: dict[str, Any] = {}
        if at is not None:
            changes["at"] = _at(at)
        if mg is not None:
            changes["mg"] = mg
        if status is not None:
            changes["status"] = status.value
        if score is not None:
            changes["value"] = score
        if text is not None:
            changes["text"] = text
        if not changes:
            fail("nothing to change: give --at, --mg, --status, --score or --text")
        entry = open_journal(db).edit_entry(patient, entry_id, **changes)
        _audit(db, "update", patient, entry_id)
        if json_out:
            emit_json(_entry_json(entry))
            return
        console = stdout_console()
        console.print(f"Entry #{entry.id} is now version {entry.version} ({entry.at:%Y-%m-%d %H:%M}: "
                      f"{_describe(entry)}); `gabacare log history` shows every version.")
        for w in entry.warnings:
            console.print(f"[bold yellow]! {shown(w)}[/bold yellow]")


def log_delete(
    patient: PatientOpt,
    entry_id: Annotated[int, typer.Argument(help="Entry id (from `log ... --json`, `today --json` or `export`).")],
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Delete an entry; its versions stay in its history (`gabacare log history`)."""
    with _guard():
        entry = open_journal(db).delete_entry(patient, entry_id)
        _audit(db, "delete", patient, entry_id)
        if json_out:
            emit_json(_entry_json(entry))
            return
        stdout_console().print(f"Deleted entry #{entry.id} (version {entry.version}; `gabacare log history` "
                               "shows every version).")


def _audit(db: str | None, action: Literal["update", "delete"], patient: int, entry_id: int) -> None:
    """The audit row of a change made on the command line (the local operator; ids only)."""
    from gabacare.accounts.model import Actor
    from gabacare.composition import accounts

    accounts(db).audit(Actor.cli(), action, patient, "entry", entry_id)


def log_history(
    patient: PatientOpt,
    entry_id: Annotated[int, typer.Argument(help="Entry id.")],
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Every version of an entry, oldest first."""
    with _guard():
        versions = open_journal(db).history(patient, entry_id)
        if json_out:
            emit_json({"id": entry_id, "versions": [_entry_json(v) for v in versions]})
            return
        for v in versions:
            stdout_console().print(f"v{v.version} recorded {v.recorded_at:%Y-%m-%d %H:%M}: "
                                   f"{v.at:%Y-%m-%d %H:%M} {_describe(v)}")


# -- views --------------------------------------------------------------------------------------
def today(
    patient: PatientOpt,
    on: Annotated[str | None, typer.Option("--date", help="Another day (YYYY-MM-DD).", show_default=False)] = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """What is due today and what was taken."""
    with _guard():
        v = open_journal(db).today(patient, on=_date(on, "--date"))
        doses = [{"time": f"{d.at:%H:%M}", "at": _iso(d.at), "mg": d.mg, "status": d.status,
                  "taken_at": _iso(d.taken_at), "taken_mg": d.taken_mg, "on_time": d.on_time, "entry": d.entry_id}
                 for d in v.doses]
        if json_out:
            emit_json({"date": v.date, "plan": None if v.plan_kind is None else
                       {"kind": v.plan_kind, "label": v.plan_label},
                       "planned_mg": v.planned_mg, "taken_mg": v.taken_mg, "doses": doses,
                       "extra_doses": [_entry_json(e) for e in v.extra_doses],
                       "prn_doses": [_entry_json(e) for e in v.prn_doses],
                       "entries": [_entry_json(e) for e in v.entries],
                       "invalid_entries": _invalid_json(v.invalid_entries)})
            return
        from rich.table import Table

        console = stdout_console()
        console.print(f"[bold]{v.date}[/bold]: " + (f"{v.plan_label}" if v.plan_label else "no plan in force")
                      + f" — planned {v.planned_mg:g} mg, taken {v.taken_mg:g} mg")
        table = Table()
        for col in ("Time", "mg", "Status", "Taken at"):
            table.add_column(col)
        colors = {"taken": "green", "late": "yellow", "missed": "red", "due": "bold", "skipped": "yellow"}
        for d in v.doses:
            c = colors.get(d.status, "")
            table.add_row(f"{d.at:%H:%M}", f"{d.mg:g}", f"[{c}]{d.status}[/{c}]" if c else d.status,
                          "" if d.taken_at is None else f"{d.taken_at:%H:%M} ({d.taken_mg:g} mg)")
        if v.doses:
            console.print(table)
        for e in v.extra_doses:
            console.print(f"Extra dose at {e.at:%H:%M}: {_number(e.data.mg)} mg")
        for e in v.prn_doses:
            console.print(f"As-needed dose at {e.at:%H:%M}: {_number(e.data.mg)} mg")
        others = [e for e in v.entries if e.kind != "dose"]
        for e in others:
            console.print(f"{e.at:%H:%M} {_describe(e)}")
        for e in v.entries:
            for w in e.warnings:
                console.print(f"[yellow]! {e.at:%H:%M}: {shown(w)}[/yellow]")
        _warn_invalid(v.invalid_entries, console)


def adherence(
    patient: PatientOpt,
    start: FromOpt = None,
    end: ToOpt = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Doses taken vs scheduled, on time, missed-dose streaks, mg taken vs planned."""
    with _guard():
        r = open_journal(db).adherence(patient, start=_date(start, "--from"), end=_date(end, "--to"))
        if json_out:
            emit_json({"patient": patient, "from": r.start, "to": r.end, **{
                k: getattr(r, k) for k in ("adherence_pct", "scheduled", "taken", "on_time_pct", "on_time", "extra",
                                           "skipped", "on_time_window_min", "planned_mg", "taken_mg",
                                           "longest_missed_streak", "prn_doses", "prn_mg")},
                "missed_streaks": [{"first": _iso(s.first), "last": _iso(s.last), "doses": s.doses}
                                   for s in r.missed_streaks],
                "days": r.days, "weeks": r.weeks, "invalid_entries": _invalid_json(r.invalid_entries)})
            return
        from rich.table import Table

        console = stdout_console()
        pct = "n/a" if r.adherence_pct is None else f"{r.adherence_pct:g}%"
        on_time = "n/a" if r.on_time_pct is None else f"{r.on_time_pct:g}%"
        console.print(f"[bold]{r.start} to {r.end}[/bold]: {r.taken}/{r.scheduled} scheduled doses taken ({pct}); "
                      f"on time (±{r.on_time_window_min} min) {on_time}; longest missed streak "
                      f"{r.longest_missed_streak} dose(s); taken {r.taken_mg:g} of {r.planned_mg:g} mg planned"
                      + (f" (as-needed doses apart: {r.prn_doses}, {r.prn_mg:g} mg)." if r.prn_doses else "."))
        table = Table(title="By week")
        for col in ("Week of", "Scheduled", "Taken", "Adherence", "On time"):
            table.add_column(col)
        for w in r.weeks:
            table.add_row(str(w.week_start), str(w.scheduled), str(w.taken),
                          "n/a" if w.adherence_pct is None else f"{w.adherence_pct:g}%",
                          "n/a" if w.on_time_pct is None else f"{w.on_time_pct:g}%")
        console.print(table)
        _warn_invalid(r.invalid_entries, console)


def trends(
    patient: PatientOpt,
    start: FromOpt = None,
    end: ToOpt = None,
    scale: Annotated[list[str] | None, typer.Option("--scale", help="Only these scales (repeatable).",
                                                    show_default=False)] = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Score trends (rolling mean) and the dose-response view around plan steps."""
    with _guard():
        r = open_journal(db).trends(patient, start=_date(start, "--from"), end=_date(end, "--to"), scales=scale)
        if json_out:
            emit_json({"patient": patient, "from": r.start, "to": r.end, "window_days": r.window_days,
                       "scales": r.scales, "dose_response": {
                           "scales": r.dose_response.scales,
                           "steps": [{"at": _iso(s.at), "from_mg": s.from_mg, "to_mg": s.to_mg,
                                      "direction": s.direction, "before": s.before, "after": s.after,
                                      "withdrawal_window": None if s.withdrawal_from is None else {
                                          "from": _iso(s.withdrawal_from), "until": _iso(s.withdrawal_until),
                                          "means": s.withdrawal_window}}
                                     for s in r.dose_response.steps]},
                       "invalid_entries": _invalid_json(r.invalid_entries)})
            return
        from rich.table import Table

        console = stdout_console()
        _warn_invalid(r.invalid_entries, console)
        if not r.scales:
            console.print(f"No scores logged from {r.start} to {r.end}.")
        for name, points in r.scales.items():
            table = Table(title=f"{shown(name)} ({r.window_days}-day rolling mean)")
            for col in ("Date", "Mean", "n", "Rolling"):
                table.add_column(col)
            for p in points[-14:]:
                table.add_row(str(p.date), f"{p.mean:g}", str(p.n), f"{p.rolling_mean:g}")
            console.print(table)
        for sc in r.dose_response.scales:
            if sc.slope_per_100mg is not None:
                console.print(f"{shown(sc.scale)}: {sc.slope_per_100mg:+g} points per 100 mg/day taken "
                              f"(r = {sc.correlation if sc.correlation is not None else 'n/a'})")
        for s in r.dose_response.steps:
            parts = [f"{k} {s.before[k] if s.before[k] is not None else '-'} → {s.after[k] if s.after[k] is not None else '-'}"
                     for k in s.before]
            line = f"Step {s.at:%Y-%m-%d}: {s.from_mg:g} → {s.to_mg:g} mg/day; " + ", ".join(parts)
            if s.withdrawal_window:
                line += "; withdrawal window: " + ", ".join(
                    f"{k} {v if v is not None else '-'}" for k, v in s.withdrawal_window.items())
            console.print(line)


# -- export / import ----------------------------------------------------------------------------
def export(
    patient: PatientOpt,
    fmt: Annotated[FormatChoice, typer.Option("--format", help="csv or json.")] = FormatChoice.json,
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file (default: stdout).",
                                             show_default=False)] = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Export a patient's plans and entries (CSV or JSON; re-importable with `gabacare import`).

    Invalid stored entries (which an import would refuse) are left out, and listed."""
    import io
    import sys

    with _guard():
        journal = open_journal(db)
        text: str | None = None
        if out is not None:
            # NOTE: newline="" writes the text's own line breaks (a note's \r\n stays \r\n).
            with out.open("w", encoding="utf-8", newline="") as fh:
                result = journal.export_to(patient, fmt.value, fh)
            size = out.stat().st_size
        else:
            buffer = io.StringIO(newline="")
            result = journal.export_to(patient, fmt.value, buffer)
            text = buffer.getvalue()
            size = len(text.encode("utf-8"))
        if json_out:
            emit_json({"patient": patient, "format": fmt.value, "out": None if out is None else str(out),
                       "bytes": size, "rows": result.rows, "invalid_entries": _invalid_json(result.invalid_entries),
                       **({"content": text} if text is not None else {})})
            return
        if text is not None:
            # A terminal sees escapes for control characters; a pipe or a file gets the exact text
            # (not typer.echo: click strips ANSI sequences from what is not a terminal, losing data).
            sys.stdout.write(term_safe(text, multiline=True) if sys.stdout.isatty() else text)
            sys.stdout.flush()
        else:
            stdout_console().print(f"Wrote {shown(out)} ({fmt.value}, {result.rows} row(s)).")
        if result.invalid_entries:
            from rich.console import Console

            _warn_invalid(result.invalid_entries, Console(stderr=True, highlight=False))


def import_(
    file: Annotated[Path, typer.Argument(help="A CSV or JSON file made by `gabacare export`.")],
    patient: PatientOpt,
    fmt: Annotated[FormatChoice | None, typer.Option("--format", help="Default: from the file name or content.",
                                                     show_default=False)] = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Import a file into a patient's journal: every row is checked; any bad row imports nothing."""
    with _guard():
        from gabacare.journal.transfer import sniff_format

        journal = open_journal(db)
        try:
            # NOTE: newline="" keeps carriage returns inside text; utf-8-sig drops a spreadsheet's BOM.
            with file.open(encoding="utf-8-sig", newline="") as fh:
                kind = fmt.value if fmt else sniff_format(fh.read(4096), file.name)
                fh.seek(0)
                counts = journal.import_stream(patient, fh, kind)
        except UnicodeDecodeError:
            fail("the file is not UTF-8 text; nothing imported")
        except (FileNotFoundError, IsADirectoryError):
            fail(f"cannot read {term_safe(file)}: no such file")
        added = counts["entries"] + counts["plans"]
        if json_out:
            emit_json({"patient": patient, "format": kind, "added": added,
                       "already_present": counts["already_present"],
                       "imported": {"entries": counts["entries"], "plans": counts["plans"]}})
        else:
            stdout_console().print(f"Imported {counts['entries']} entries and {counts['plans']} plan(s); "
                                   f"{counts['already_present']} already present.")


def register(app: typer.Typer) -> None:
    """Add the journal commands to the CLI."""
    patient_app = typer.Typer(help="Patients in the journal.", no_args_is_help=True)
    patient_app.command("add")(patient_add)
    patient_app.command("list")(patient_list)
    patient_app.command("delete")(patient_delete)
    app.add_typer(patient_app, name="patient")

    plan_app = typer.Typer(help="The plan in force (titration, taper or maintenance).", no_args_is_help=True)
    plan_app.command("set")(plan_set)
    plan_app.command("recheck")(plan_recheck)
    app.add_typer(plan_app, name="plan")

    log_app = typer.Typer(help="Log doses, symptoms, triggers, side effects, labs and notes.", no_args_is_help=True)
    log_app.command("dose")(log_dose)
    log_app.command("symptom")(log_symptom)
    log_app.command("trigger")(log_trigger)
    log_app.command("side-effect")(log_side_effect)
    log_app.command("lab")(log_lab)
    log_app.command("note")(log_note)
    log_app.command("edit")(log_edit)
    log_app.command("delete")(log_delete)
    log_app.command("history")(log_history)
    app.add_typer(log_app, name="log")

    app.command("today")(today)
    app.command("adherence")(adherence)
    app.command("trends")(trends)
    app.command("export")(export)
    app.command("import")(import_)
