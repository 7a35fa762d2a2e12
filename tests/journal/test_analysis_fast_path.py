"""The faster trends (issue 18, bounded work) give exactly the figures of a straightforward reference,
and the doctor's report's one-read trends (``analysis.period_trends``) equal ``Journal.trends``."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gabacare.journal import analysis
from gabacare.journal.memory import InMemoryJournalRepository
from gabacare.journal.model import Entry, EntryData, PlanSpec
from gabacare.journal.schedule import planned_daily_mg
from gabacare.journal.services import Journal
from gabacare.knowledge import load_monograph

START = date(2026, 3, 1)
NOW = datetime(2026, 6, 30, 12, 0)
SCALES = ("pain", "sleep", "spasm_count")

scores = st.lists(
    st.tuples(st.sampled_from(SCALES), st.integers(0, 59), st.integers(0, 24 * 60 - 1),
              st.one_of(st.integers(0, 10).map(float), st.floats(0, 10, allow_nan=False))),
    max_size=120,
)


def _entries(rows: list[tuple[str, int, int, float]]) -> list[Entry]:
    return [Entry(i + 1, 1, 1, NOW, EntryData("symptom", datetime.combine(START + timedelta(days=day), time(0, 0))
                                              + timedelta(minutes=minute), name=scale, value=value))
            for i, (scale, day, minute, value) in enumerate(rows)]


def _reference(entries: list[Entry], window_days: int) -> dict[str, list[analysis.TrendPoint]]:
    """Each scored day's mean, and the mean of the daily means of the days in [day - window + 1, day]."""
    out: dict[str, list[analysis.TrendPoint]] = {}
    for scale in sorted({e.data.name for e in entries if e.data.name is not None}):
        days = sorted({e.at.date() for e in entries if e.data.name == scale})

        def values(d: date, scale: str = scale) -> list[float]:
            return [e.data.value for e in entries if e.data.name == scale and e.at.date() == d
                    and e.data.value is not None]

        means = {d: sum(values(d)) / len(values(d)) for d in days}
        points = []
        for d in days:
            window = [means[x] for x in days if d - timedelta(days=window_days - 1) <= x <= d]
            points.append(analysis.TrendPoint(d, round(means[d], 3), len(values(d)),
                                              round(sum(window) / len(window), 3)))
        out[scale] = points
    return out


@given(scores, st.integers(1, 10))
@settings(max_examples=150, deadline=None)
def test_trends_equal_the_straightforward_reference(rows: list[tuple[str, int, int, float]], window: int) -> None:
    entries = _entries(rows)
    assert analysis.trends(entries, window_days=window) == _reference(entries, window)


doses = st.lists(st.tuples(st.integers(0, 59), st.integers(0, 24 * 60 - 1), st.sampled_from(["taken", "late", "skipped"]),
                           st.sampled_from([100.0, 300.0, 600.0])), max_size=60)


@given(scores, doses, st.integers(0, 40), st.integers(5, 59))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_reports_one_read_trends_equal_journal_trends(
    rows: list[tuple[str, int, int, float]], dose_rows: list[tuple[int, int, str, float]], a: int, b: int,
) -> None:
    j = Journal(InMemoryJournalRepository(), clock=lambda: NOW)
    pid = j.add_patient("Ada").id
    j.set_plan(pid, PlanSpec("regimen", START + timedelta(days=3), regimen="300 mg TID"))
    j.set_plan(pid, PlanSpec("regimen", START + timedelta(days=20), regimen="600 mg TID"))
    for scale, day, minute, value in rows:
        j.log_symptom(pid, scale, round(value), at=datetime.combine(START + timedelta(days=day), time(0, 0))
                      + timedelta(minutes=minute))
    for day, minute, status, mg in dose_rows:
        j.log_dose(pid, mg, at=datetime.combine(START + timedelta(days=day), time(0, 0)) + timedelta(minutes=minute),
                   status=status)  # type: ignore[arg-type]
    start, end = START + timedelta(days=min(a, b)), START + timedelta(days=max(a, b))
    start, end = j.period(pid, start, end)
    expected = j.trends(pid, start=start, end=end)
    w = load_monograph().withdrawal
    scales, dose_response = analysis.period_trends(
        j.entries(pid, start=start, end=end), planned_daily_mg(j.plans(pid), start - timedelta(days=1), end),
        withdrawal_onset_min_h=w.onset_min_h, withdrawal_onset_max_h=w.onset_max_h)
    assert scales == expected.scales and dose_response == expected.dose_response
