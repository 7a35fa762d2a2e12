"""A journal patient's dose reminders as iCalendar, shared by ``gabacare reminders``, the web download
and the calendar subscription feed.

The schedule comes from the patient's plans (``journal.schedule.scheduled_doses``). For a download
(:func:`patient_reminders`) it runs from the start of the plan in force (or today) to ``days`` ahead;
the owner string, and so every event UID, depends on the patient and the plan only, so a CLI export
and a web download update each other in a calendar.

The feed (:func:`feed_reminders`) covers a window that moves with the day
(``settings.CALENDAR_FEED_DAYS_BEHIND`` back, ``settings.CALENDAR_FEED_DAYS_AHEAD`` ahead), with
whatever plan is in force on each day, one event per dose; its UIDs depend on the patient and the
dose's slot only, so a new plan (a taper, a changed step) updates the slots it keeps in place.

Handles patient data: nothing here logs; errors name the rule, never the values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from gabacare.interop.fhir import DoseDay
from gabacare.interop.ical import reminders_ics
from gabacare.journal import settings
from gabacare.journal.errors import JournalInputError
from gabacare.journal.schedule import scheduled_doses
from gabacare.journal.services import Journal

__all__ = ["FeedReminders", "PatientReminders", "feed_reminders", "patient_reminders"]


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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
    data = reminders_ics(_schedule(journal, patient_id, start, end), owner=f"patient-{patient_id}-feed", tz=tz,
                         stamp=stamp or datetime.now(UTC).replace(microsecond=0), per_dose=True,
                         refresh=settings.CALENDAR_FEED_REFRESH, name="Gabapentin doses")
    return FeedReminders(data, data.count(b"BEGIN:VEVENT"), start, end)
