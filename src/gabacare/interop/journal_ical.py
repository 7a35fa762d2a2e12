"""A journal patient's dose reminders as iCalendar, shared by ``gabacare reminders`` and the web download.

The schedule comes from the patient's plans (``journal.schedule.scheduled_doses``) from the start of
the plan in force (or today) to ``days`` ahead; the owner string, and so every event UID, depends on
the patient and the plan only, so a CLI export and a web download update each other in a calendar.

Handles patient data: nothing here logs; errors name the rule, never the values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from gabacare.interop.ical import reminders_ics
from gabacare.journal.errors import JournalInputError
from gabacare.journal.schedule import scheduled_doses
from gabacare.journal.services import Journal

__all__ = ["PatientReminders", "patient_reminders"]


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
    by_day: dict[date, list[tuple[time, float]]] = {}
    for dose in scheduled_doses(journal.plans(patient_id), start, end):
        by_day.setdefault(dose.at.date(), []).append((dose.at.time(), dose.mg))
    schedule = tuple((d, tuple(sorted(x))) for d, x in sorted(by_day.items()))
    data = reminders_ics(schedule, owner=f"patient-{patient_id}-plan-{active.id}", tz=tz,
                         stamp=stamp or datetime.now(UTC).replace(microsecond=0), private=private)
    return PatientReminders(data, data.count(b"BEGIN:VEVENT"), start, end, active.id)
