"""A journal patient's dose reminders as iCalendar, shared by ``gabacare reminders``, the web download
and the calendar subscription feed.

The schedule comes from the patient's plans (``journal.schedule.scheduled_doses``). For a download
(:func:`patient_reminders`) it runs from the start of the plan in force (or today) to ``days`` ahead;
the owner string, and so every event UID, depends on the patient and the plan only, so a CLI export
and a web download update each other in a calendar.

The feed (:func:`feed_reminders`) covers a window that moves with the day
(``settings.CALENDAR_FEED_DAYS_BEHIND`` back, ``settings.CALENDAR_FEED_DAYS_AHEAD`` ahead), with
whatever plan is in force on each day, one event per dose; its UIDs depend on the patient and the
dose's slot only, so a new plan (a taper, a changed step) updates the slots it keeps in place. Once a
pick-up of pills is logged, the feed also carries the refill reminder (:func:`refill_event`): one
event whose UID depends on the patient only, so a new pick-up or a changed plan moves it rather than
adding another.

Handles patient data: nothing here logs; errors name the rule, never the values.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from gabacare._record import record
from gabacare.interop.fhir import DoseDay
from gabacare.interop.ical import display_alarm, reminders_ics
from gabacare.journal import settings
from gabacare.journal.errors import JournalInputError
from gabacare.journal.schedule import scheduled_doses
from gabacare.journal.services import Journal

if TYPE_CHECKING:
    from gabacare.journal.refills import SupplyView

__all__ = ["FeedReminders", "PatientReminders", "feed_reminders", "patient_reminders", "refill_event", "refill_uid"]


_REFILL_NAMESPACE = uuid.UUID("0b9a7f52-3c1d-4e8a-b6f2-5d4c3b2a1908")  # GabaCare refill reminders (never change)


@record
class PatientReminders:
    """The ``.ics`` bytes and what they cover."""

    data: bytes
    events: int
    start: date
    end: date
    plan_id: int


def patient_reminders(
    journal: Journal, patient_id: int, *, days: int, tz: str, private: bool = False, stamp: datetime | None = None
) -> PatientReminders:
    """Reminders for the next ``days`` days (from the plan's start if it began today or later).

    Raises ``JournalInputError`` when no plan is in force today (nothing to remind).
    """
    journal.get_patient(patient_id)
    today = journal.clock().date()
    active = journal.active_plan(patient_id, on=today)
    if active is None:
        raise JournalInputError("this patient has no plan in force today, so there is nothing to remind")
    start = min(active.plan.start, today)
    end = today + timedelta(days=days - 1)
    data = reminders_ics(_schedule(journal, patient_id, start, end), owner=f"patient-{patient_id}-plan-{active.id}", tz=tz,
                         stamp=stamp or datetime.now(UTC).replace(microsecond=0), private=private)
    return PatientReminders(data, data.count(b"BEGIN:VEVENT"), start, end, active.id)


@record
class FeedReminders:
    """The feed's ``.ics`` bytes and the window they cover (``events`` may be 0: no plan in it)."""

    data: bytes
    events: int
    start: date
    end: date


def _schedule(journal: Journal, patient_id: int, start: date, end: date) -> tuple[DoseDay, ...]:
    """The patient's planned doses from ``start`` to ``end``, day by day (days without doses left out)."""
    by_day: dict[date, list[tuple[time, float]]] = {}
    for dose in scheduled_doses(journal.plans(patient_id), start, end):
        by_day.setdefault(dose.at.date(), []).append((dose.at.time(), dose.mg))
    return tuple((d, tuple(sorted(x))) for d, x in sorted(by_day.items()))


def feed_reminders(journal: Journal, patient_id: int, *, tz: str, stamp: datetime | None = None) -> FeedReminders:
    """The calendar feed of one patient: every planned dose in the window, one event (with an alarm) each.

    The window is ``settings.CALENDAR_FEED_DAYS_BEHIND`` days before today to
    ``settings.CALENDAR_FEED_DAYS_AHEAD`` days from today (today included), following the plan in
    force on each day. A patient without a plan gets a valid, empty calendar (a subscribed app keeps
    polling; an error would only make it complain). ``UnknownPatientError`` for an unknown id.
    """
    journal.get_patient(patient_id)
    today = journal.clock().date()
    start = today - timedelta(days=settings.CALENDAR_FEED_DAYS_BEHIND)
    end = today + timedelta(days=settings.CALENDAR_FEED_DAYS_AHEAD - 1)
    from gabacare.interop.ical import plan_calendar
    from gabacare.journal.refills import supply

    owner = f"patient-{patient_id}-feed"
    when = stamp or datetime.now(UTC).replace(microsecond=0)
    cal = plan_calendar(_schedule(journal, patient_id, start, end), owner=owner, tz=tz, stamp=when, per_dose=True,
                        refresh=settings.CALENDAR_FEED_REFRESH, name="Gabapentin doses")
    refill = refill_event(supply(journal, patient_id), owner=owner, tz=tz, stamp=when)
    if refill is not None:
        cal.add_component(refill)
    data = bytes(cal.to_ical())
    return FeedReminders(data, data.count(b"BEGIN:VEVENT"), start, end)


def refill_uid(owner: str) -> str:
    """The one stable UID of ``owner``'s refill reminder (it moves; it is never duplicated)."""
    return f"{uuid.uuid5(_REFILL_NAMESPACE, f'{owner}|refill')}@gabacare"


def refill_event(view: SupplyView, *, owner: str, tz: str, stamp: datetime) -> Any:
    """The refill reminder as a VEVENT (an ``icalendar.Event``) with a display alarm, or None when no
    run-out date is in sight (no pick-up logged, or enough pills for every planned dose looked at).

    It falls on the reminder date (the run-out date less the lead time; today when that has passed) at
    ``settings.REFILL_REMINDER_AT`` local time, and says the run-out date. ``SEQUENCE`` follows the
    content, so a moved reminder is a newer version of the same event.
    """
    from zoneinfo import ZoneInfo

    from icalendar import Event

    from gabacare.journal.refills import reminder_day

    day, f = reminder_day(view), view.forecast
    if day is None or f.run_out is None:
        return None
    ev = Event()
    summary = f"Refill gabapentin: pills run out on {f.run_out.isoformat()}"
    description = (f"Pills on hand: {', '.join(f'{s.count:g} x {s.strength_mg:g} mg' for s in f.on_hand)}. "
                   f"On {f.run_out.isoformat()} the plan's doses can no longer be made from them: ask for the "
                   f"prescription and collect the pills before then.")
    ev.add("uid", refill_uid(owner))
    ev.add("dtstamp", stamp.astimezone(UTC) if stamp.tzinfo else stamp.replace(tzinfo=UTC))
    ev.add("dtstart", datetime.combine(day, settings.REFILL_REMINDER_AT, tzinfo=ZoneInfo(tz)))
    ev.add("duration", timedelta(0))
    ev.add("summary", summary)
    ev.add("description", description)
    ev.add("sequence", int(hashlib.sha256(f"{day}|{summary}|{description}".encode()).hexdigest()[:6], 16))
    ev.add_component(display_alarm(summary))
    return ev
