"""The refill reminder in the calendar feed (issue 15): parsed with the ``icalendar`` library, one event
with a stable UID that moves when a pick-up is logged (updated in the calendar, never duplicated)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from icalendar import Calendar

from gabacare.interop.journal_ical import feed_reminders, refill_uid
from gabacare.journal.memory import InMemoryJournalRepository
from gabacare.journal.model import PlanSpec
from gabacare.journal.refills import log_pickup
from gabacare.journal.services import Journal

NOW = datetime(2026, 6, 30, 12, 0)
STAMP = datetime(2026, 6, 30, 10, 0, tzinfo=UTC)
OWNER = "patient-1-feed"


def _refills(j: Journal, pid: int) -> list:
    cal = Calendar.from_ical(feed_reminders(j, pid, tz="Europe/Berlin", stamp=STAMP).data)
    return [e for e in cal.walk("VEVENT") if str(e["uid"]) == refill_uid(OWNER)]


def test_the_refill_reminder_is_one_event_that_moves_with_each_pickup() -> None:
    j = Journal(InMemoryJournalRepository(), clock=lambda: NOW)
    pid = j.add_patient("Ada").id
    j.set_plan(pid, PlanSpec("regimen", date(2026, 7, 1), regimen="300 mg TID"))
    assert _refills(j, pid) == []  # nothing picked up yet: no reminder
    doses = len(Calendar.from_ical(feed_reminders(j, pid, tz="Europe/Berlin", stamp=STAMP).data).walk("VEVENT"))

    log_pickup(j, pid, 300, 90, at=datetime(2026, 6, 30, 11, 0))
    (first,) = _refills(j, pid)
    # 90 capsules, 3 a day from 1 July: 1..30 July, out on 31 July; reminder 7 days before at 09:00
    assert first["dtstart"].dt == datetime(2026, 7, 24, 9, 0, tzinfo=first["dtstart"].dt.tzinfo)
    assert str(first["dtstart"].dt.tzinfo) == "Europe/Berlin"
    assert "2026-07-31" in str(first["summary"]) and first.walk("VALARM")
    assert len(Calendar.from_ical(feed_reminders(j, pid, tz="Europe/Berlin", stamp=STAMP).data)
               .walk("VEVENT")) == doses + 1

    log_pickup(j, pid, 300, 30, at=datetime(2026, 6, 30, 11, 30))
    (moved,) = _refills(j, pid)  # the same UID, a later date, a new version
    assert moved["dtstart"].dt.date() == date(2026, 8, 3) and "2026-08-10" in str(moved["summary"])
    assert moved["sequence"] != first["sequence"]
