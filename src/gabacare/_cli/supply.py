"""Refill commands (issue 15): ``gabacare log pickup``, ``gabacare log pickup-delete`` and ``gabacare supply``.

``log pickup`` records pills collected (``--strength`` mg per piece, ``--count`` whole pieces, ``--at``
when, default now); ``supply`` prints the pills on hand per strength, the run-out date, the refill
reminder (``--lead-days`` before it: the patient's own lead time, kept with ``--remember``, else
``settings.REFILL_LEAD_DAYS``) and the pick-up list.
Both parse, call :mod:`gabacare.journal.refills` and render (Rich, or one JSON object with ``--json``).
Bad input: one line on stderr, exit 2 (the journal's ``_guard``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from gabacare._cli.common import DbOpt, JsonOpt, PatientOpt, citations_text, emit_json, open_journal, stdout_console
from gabacare._cli.journal import AtOpt, _at, _guard

if TYPE_CHECKING:
    from gabacare.journal.refills import SupplyView

__all__ = ["register", "supply_lines"]


def _pieces(count: float, form: str) -> str:
    return f"{count:g} {form}{'' if count == 1 else 's'}"


def supply_lines(view: SupplyView) -> list[str]:
    """The supply as plain lines (shared by the terminal output and tests): on hand, short, run-out,
    reminder and the pick-up list."""
    f = view.forecast
    if not f.tracked:
        return ["No pick-up logged yet: log one with `gabacare log pickup` to count the pills on hand."]
    lines = ["Pills on hand: " + (", ".join(f"{s.strength_mg:g} mg: {_pieces(s.count, s.form)}" for s in f.on_hand)
                                  or "none")]
    if f.short:
        lines.append("Logged doses used more than was picked up: "
                     + ", ".join(f"{s.strength_mg:g} mg: {_pieces(s.count, s.form)}" for s in f.short)
                     + " (a pick-up not logged?)")
    if f.run_out is None:
        until = f"(checked to {f.checked_until.isoformat()})" if f.checked_until else "(no planned dose ahead)"
        lines.append(f"Run-out date: none in sight {until}")
    else:
        lines.append(f"Run-out date: {f.run_out.isoformat()} (the first day the plan's doses cannot be made)")
        lines.append(f"Refill reminder: {f.refill_reminder.isoformat() if f.refill_reminder else '-'} "
                     f"({f.lead_days} days before)")
    if f.uncounted_doses:
        lines.append(f"{f.uncounted_doses} dose(s) cannot be made of whole or half pills and are not counted.")
    if f.pickup_list:
        until = f" up to {f.list_until.isoformat()}" if f.list_until else ""
        lines.append(f"To pick up{until}: " + ", ".join(f"{_pieces(x.count, x.form)} of {x.strength_mg:g} mg"
                                                       for x in f.pickup_list))
    return lines


def log_pickup(
    patient: PatientOpt,
    strength: Annotated[int, typer.Option("--strength", help="Strength of the pills in mg (100, 300, 400 capsules; "
                                          "600, 800 tablets).")],
    count: Annotated[int, typer.Option("--count", help="How many pills (whole capsules or tablets).")],
    at: AtOpt = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Log pills collected from the pharmacy (counted down by the doses you log as taken)."""
    from gabacare.journal.refills import log_pickup as _log

    with _guard():
        stored = _log(open_journal(db), patient, strength, count, at=_at(at))
        if json_out:
            emit_json(stored.to_json())
            return
        d = stored.data
        stdout_console().print(f"Pick-up #{stored.id} logged: {d.count} x {d.strength_mg} mg at "
                               f"{d.picked_up_at.isoformat(sep=' ', timespec='minutes')}")


def log_pickup_delete(
    patient: PatientOpt,
    pickup_id: Annotated[int, typer.Argument(help="Pick-up id (from `log pickup --json` or `supply --json`).")],
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Delete a pick-up logged by mistake: it is no longer counted (for good; audited)."""
    from gabacare.accounts.model import Actor
    from gabacare.composition import accounts
    from gabacare.journal.refills import delete_pickup

    with _guard():
        removed = delete_pickup(open_journal(db), patient, pickup_id)
        # ids only; the audit vocabulary (a database CHECK) files pick-ups under "entry", without the id
        # (an entry id there would name another record).
        accounts(db).audit(Actor.cli(), "delete", patient, "entry")
        if json_out:
            emit_json({**removed.to_json(), "deleted": True})
            return
        d = removed.data
        stdout_console().print(f"Deleted pick-up #{removed.id} ({d.count} x {d.strength_mg} mg at "
                               f"{d.picked_up_at.isoformat(sep=' ', timespec='minutes')}); it is no longer counted.")


def supply(
    patient: PatientOpt,
    lead_days: Annotated[int | None, typer.Option("--lead-days", help="Days before the run-out date for the "
                                                  "refill reminder, 0-60 (default: the patient's, else 7).",
                                                  show_default=False)] = None,
    remember: Annotated[bool, typer.Option("--remember", help="Keep --lead-days as the patient's own lead time "
                                           "(the calendar feed and the pages use it too).")] = False,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Pills on hand per strength, the run-out date, the refill reminder and what to pick up."""
    from gabacare._cli.common import fail
    from gabacare.journal.refills import set_lead_days
    from gabacare.journal.refills import supply as _supply

    with _guard():
        journal = open_journal(db)
        if remember:
            if lead_days is None:
                fail("--remember keeps the --lead-days given: give --lead-days too")
            set_lead_days(journal, patient, lead_days)
        view = _supply(journal, patient, lead_days=lead_days)
        if json_out:
            out: dict[str, Any] = view.to_json()
            emit_json(out)
            return
        console = stdout_console()
        for line in supply_lines(view):
            console.print(line, markup=False)
        console.print(f"[dim]Sources: {citations_text(view.forecast.citations)}[/dim]")


def register(app: typer.Typer) -> None:
    """Add ``supply`` and, to the journal's ``log`` group (registered first), ``log pickup`` and
    ``log pickup-delete``."""
    for group in app.registered_groups:
        if group.name == "log" and group.typer_instance is not None:
            group.typer_instance.command("pickup")(log_pickup)
            group.typer_instance.command("pickup-delete")(log_pickup_delete)
            break
    else:  # pragma: no cover - the journal commands are registered first (cli.py)
        raise RuntimeError("register the journal commands before the refill commands")
    app.command("supply")(supply)
