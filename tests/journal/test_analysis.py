"""Adherence, streaks, mg taken vs planned, trends and dose-response, on hand-checked scenarios."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from gabacare.journal.errors import JournalInputError
from gabacare.journal.model import PlanSpec
from gabacare.journal.services import Journal
from gabacare.knowledge import load_monograph

JUNE = date(2026, 6, 1)


def d(day: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 6, day, hh, mm)


@pytest.fixture
def tid(mem_journal: Journal) -> int:
    """300 mg TID (07:00, 14:00, 21:00) from June 1, with three days of logged doses.

    ======  =======================  ============================
    day     07:00        14:00       21:00
    ======  =======================  ============================
    Jun 1   07:10 ✓      14:05 ✓     21:30 ✓         (on time)
    Jun 2   10:00 taken  14:00 late  —  missed
    Jun 3   —  missed    skipped     21:00 ✓
    ======  =======================  ============================
    """
    pid = mem_journal.add_patient("Ada").id
    mem_journal.set_plan(pid, PlanSpec("regimen", JUNE, regimen="300 mg TID"))
    for at in (d(1, 7, 10), d(1, 14, 5), d(1, 21, 30), d(2, 10), d(3, 21)):
        mem_journal.log_dose(pid, 300, at=at)
    mem_journal.log_dose(pid, 300, at=d(2, 14), status="late")
    mem_journal.log_dose(pid, 300, at=d(3, 14), status="skipped")
    return pid


def test_adherence_counts_scheduled_taken_and_on_time(mem_journal: Journal, tid: int) -> None:
    r = mem_journal.adherence(tid, start=JUNE, end=date(2026, 6, 3))
    assert (r.scheduled, r.taken, r.on_time, r.skipped, r.extra) == (9, 6, 4, 1, 0)
    assert r.adherence_pct == 66.7
    assert r.on_time_pct == 44.4
    assert [(x.scheduled, x.taken, x.on_time) for x in r.days] == [(3, 3, 3), (3, 2, 0), (3, 1, 1)]
    assert [(x.planned_mg, x.taken_mg) for x in r.days] == [(900, 900), (900, 600), (900, 300)]
    assert (r.planned_mg, r.taken_mg) == (2700, 1800)


def test_missed_dose_streaks_run_across_days(mem_journal: Journal, tid: int) -> None:
    r = mem_journal.adherence(tid, start=JUNE, end=date(2026, 6, 3))
    assert [(s.first, s.last, s.doses) for s in r.missed_streaks] == [(d(2, 21), d(3, 14), 3)]
    assert r.longest_missed_streak == 3


def test_weeks_add_up_and_start_on_monday(mem_journal: Journal, tid: int) -> None:
    r = mem_journal.adherence(tid, start=JUNE, end=date(2026, 6, 14))
    assert all(w.week_start.weekday() == 0 for w in r.weeks)
    assert sum(w.scheduled for w in r.weeks) == r.scheduled == 42
    assert sum(w.taken for w in r.weeks) == r.taken == 6


def test_doses_not_yet_due_are_not_counted(mem_journal: Journal, tid: int) -> None:
    r = mem_journal.adherence(tid, start=date(2026, 6, 30), end=date(2026, 6, 30))  # clock: Jun 30 12:00
    assert (r.scheduled, r.taken, r.adherence_pct, r.on_time_pct) == (1, 0, 0.0, 0.0)


def test_extra_doses_are_reported_not_counted(mem_journal: Journal) -> None:
    pid = mem_journal.add_patient("Bo").id
    mem_journal.set_plan(pid, PlanSpec("regimen", JUNE, regimen="300 mg BID"))
    for at in (d(1, 8), d(1, 13), d(1, 20)):
        mem_journal.log_dose(pid, 300, at=at)
    r = mem_journal.adherence(pid, start=JUNE, end=JUNE)
    assert (r.scheduled, r.taken, r.extra, r.adherence_pct, r.on_time_pct) == (2, 2, 1, 100.0, 100.0)
    assert r.days[0].taken_mg == 900


def test_no_plan_means_nothing_scheduled(mem_journal: Journal) -> None:
    pid = mem_journal.add_patient("Cy").id
    mem_journal.log_dose(pid, 300, at=d(1, 8))
    r = mem_journal.adherence(pid, start=JUNE, end=JUNE)
    assert (r.scheduled, r.taken, r.extra, r.adherence_pct, r.on_time_pct) == (0, 0, 1, None, None)


def test_period_must_not_be_reversed(mem_journal: Journal, tid: int) -> None:
    with pytest.raises(JournalInputError, match="after its end"):
        mem_journal.adherence(tid, start=date(2026, 6, 5), end=JUNE)


def test_trends_give_daily_means_and_a_trailing_rolling_mean(mem_journal: Journal) -> None:
    pid = mem_journal.add_patient("Ada").id
    for at, score in ((d(1, 8), 4), (d(1, 20), 6), (d(2, 9), 2), (d(5, 9), 8), (d(20, 9), 1)):
        mem_journal.log_symptom(pid, "Pain", score, at=at)
    mem_journal.log_symptom(pid, "sleep", 7, at=d(1, 7))
    r = mem_journal.trends(pid, start=JUNE, end=date(2026, 6, 30))
    assert sorted(r.scales) == ["pain", "sleep"]
    pts = [(p.date.day, p.mean, p.n, p.rolling_mean) for p in r.scales["pain"]]
    assert pts == [(1, 5.0, 2, 5.0), (2, 2.0, 1, 3.5), (5, 8.0, 1, 5.0), (20, 1.0, 1, 1.0)]
    only = mem_journal.trends(pid, start=JUNE, end=date(2026, 6, 30), scales=["sleep"])
    assert list(only.scales) == ["sleep"]


def test_score_versus_daily_mg(mem_journal: Journal) -> None:
    pid = mem_journal.add_patient("Ada").id
    mem_journal.log_dose(pid, 300, at=d(1, 8))
    mem_journal.log_symptom(pid, "pain", 8, at=d(1, 20))
    mem_journal.log_dose(pid, 900, at=d(2, 8))
    mem_journal.log_symptom(pid, "pain", 4, at=d(2, 20))
    r = mem_journal.trends(pid, start=JUNE, end=date(2026, 6, 2)).dose_response
    [pain] = r.scales
    assert [(p.taken_mg, p.score) for p in pain.points] == [(300, 8), (900, 4)]
    assert pain.slope_per_100mg == pytest.approx(-0.6667, abs=1e-4)
    assert pain.correlation == -1.0


def test_plan_steps_compare_before_after_and_the_withdrawal_window(mem_journal: Journal) -> None:
    w = load_monograph().withdrawal
    assert (w.onset_min_h, w.onset_max_h) == (12, 168)  # the scenario below is built on this window
    pid = mem_journal.add_patient("Ada").id
    mem_journal.set_plan(pid, PlanSpec("regimen", JUNE, regimen="300 mg TID"))
    mem_journal.set_plan(pid, PlanSpec("regimen", date(2026, 6, 10), regimen="300 mg BID"))
    for day in range(5, 10):
        mem_journal.log_symptom(pid, "anxiety", 2, at=d(day, 9))
    mem_journal.log_symptom(pid, "anxiety", 3, at=d(10, 6))   # after the step, before the window opens (12 h)
    mem_journal.log_symptom(pid, "anxiety", 6, at=d(11, 12))  # inside the 12 h - 7 day window
    mem_journal.log_symptom(pid, "anxiety", 9, at=d(25, 12))  # long after
    steps = mem_journal.trends(pid, start=JUNE, end=date(2026, 6, 30)).dose_response.steps
    assert [(s.at, s.from_mg, s.to_mg, s.direction) for s in steps] == [
        (d(1, 0), 0, 900, "up"), (d(10, 0), 900, 600, "down")]
    down = steps[1]
    assert down.before == {"anxiety": 2.0}
    assert down.after == {"anxiety": 4.5}
    assert (down.withdrawal_from, down.withdrawal_until) == (d(10, 12), d(17, 0))
    assert down.withdrawal_window == {"anxiety": 6.0}
    assert steps[0].withdrawal_window is None


def test_dose_events_for_pk_are_taken_doses_only(mem_journal: Journal, tid: int) -> None:
    events = mem_journal.dose_events(tid)
    assert events[:2] == [(d(1, 7, 10), 300.0), (d(1, 14, 5), 300.0)]
    assert len(events) == 6 and d(3, 14) not in [t for t, _ in events]
