"""Every view's period is bounded ([journal_limits] max_period_days): a start before the patient's
first record is moved to it, an explicit period longer than the maximum is refused with the reason,
and a default period keeps its last ``max_period_days`` days. The report from 1900 (issue 18: 13
minutes and 3.4 GB) now covers the patient's own days only."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gabacare.journal.errors import JournalInputError
from gabacare.journal.memory import InMemoryJournalRepository
from gabacare.journal.model import PlanSpec
from gabacare.journal.services import Journal
from gabacare.knowledge import load_monograph
from gabacare.reports.doctor_report import build_report

NOW = datetime(2026, 6, 30, 12, 0)
MAX_DAYS = load_monograph().journal_limits.max_period_days


def _journal(plan_start: date | None = date(2026, 6, 1)) -> tuple[Journal, int]:
    j = Journal(InMemoryJournalRepository(), clock=lambda: NOW)
    pid = j.add_patient("Ada").id
    if plan_start is not None:
        j.set_plan(pid, PlanSpec("regimen", plan_start, regimen="300 mg TID"))
    return j, pid


def test_a_start_before_the_first_record_is_moved_to_it() -> None:
    j, pid = _journal()
    assert j.period(pid, date(1900, 1, 1), None) == (date(2026, 6, 1), NOW.date())
    report = build_report(j, pid, start=date(1900, 1, 1), end=NOW.date(), now=NOW)
    assert (report.start, report.end) == (date(2026, 6, 1), NOW.date())


def test_a_period_entirely_before_the_first_record_stays_a_valid_empty_period() -> None:
    j, pid = _journal()
    assert j.period(pid, date(2025, 1, 1), date(2025, 1, 31)) == (date(2025, 1, 31), date(2025, 1, 31))


def test_an_explicit_period_over_the_maximum_is_refused_with_the_reason() -> None:
    j, pid = _journal(plan_start=date(2020, 1, 1))
    with pytest.raises(JournalInputError, match=f"at most {MAX_DAYS} days"):
        j.adherence(pid, start=date(2020, 1, 1), end=NOW.date())
    with pytest.raises(JournalInputError, match=f"at most {MAX_DAYS} days"):
        build_report(j, pid, start=date(2020, 1, 1), end=NOW.date(), now=NOW)


def test_a_default_period_keeps_its_last_days() -> None:
    j, pid = _journal(plan_start=date(2020, 1, 1))
    start, end = j.period(pid, None, None)
    assert end == NOW.date() and (end - start).days + 1 == MAX_DAYS
    assert j.adherence(pid).start == start


def test_start_after_end_is_still_refused_as_such() -> None:
    j, pid = _journal()
    with pytest.raises(JournalInputError, match="after its end"):
        j.period(pid, date(2026, 6, 20), date(2026, 6, 10))


@given(st.dates(date(1900, 1, 1), date(2100, 1, 1)), st.dates(date(1900, 1, 1), date(2100, 1, 1)))
def test_every_accepted_period_is_bounded(a: date, b: date) -> None:
    j, pid = _journal(plan_start=date(2010, 1, 1))
    start, end = min(a, b), max(a, b)
    try:
        got = j.period(pid, start, end)
    except JournalInputError:
        assert (end - max(start, date(2010, 1, 1))).days + 1 > MAX_DAYS
        return
    assert got[0] <= got[1] and (got[1] - got[0]) <= timedelta(days=MAX_DAYS - 1)
    assert got[1] == end and got[0] >= start
