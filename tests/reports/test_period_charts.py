"""The Trends page's charts from the page's own adherence and trends (``period_charts``) are the SVG
that ``/charts/{name}.svg`` serves from the whole doctor's report (``charts_for``), byte for byte."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from gabacare.journal.memory import InMemoryJournalRepository
from gabacare.journal.model import PlanSpec
from gabacare.journal.services import Journal
from gabacare.reports.doctor_report import build_report
from gabacare.reports.render import charts_for, period_charts

START = date(2026, 3, 1)
NOW = datetime(2026, 6, 30, 12, 0)


@given(st.lists(st.tuples(st.sampled_from(["pain", "sleep", "spasm_count"]), st.integers(0, 45), st.integers(0, 10)),
                max_size=40),
       st.lists(st.tuples(st.integers(0, 45), st.integers(6, 22), st.sampled_from(["taken", "late", "skipped"])),
                max_size=40),
       st.integers(0, 30), st.integers(1, 45))
@settings(max_examples=25, deadline=None)
def test_period_charts_equal_the_reports_charts(scores: list[tuple[str, int, int]], doses: list[tuple[int, int, str]],
                                                first: int, length: int) -> None:
    j = Journal(InMemoryJournalRepository(), clock=lambda: NOW)
    pid = j.add_patient("Ada").id
    j.set_plan(pid, PlanSpec("regimen", START + timedelta(days=2), regimen="300 mg TID"))
    j.set_plan(pid, PlanSpec("regimen", START + timedelta(days=15), regimen="600 mg TID"))
    for scale, day, value in scores:
        j.log_symptom(pid, scale, value, at=datetime.combine(START + timedelta(days=day), time(20, 0)))
    for day, hour, status in doses:
        j.log_dose(pid, 300, at=datetime.combine(START + timedelta(days=day), time(hour, 0)),
                   status=status)  # type: ignore[arg-type]
    start = START + timedelta(days=first)
    end = min(start + timedelta(days=length), NOW.date())
    expected = charts_for(build_report(j, pid, start=start, end=end, now=NOW))
    got = period_charts(j.adherence(pid, start=start, end=end), j.trends(pid, start=start, end=end), j.plans(pid))
    assert got == expected


def test_a_dose_step_and_every_scale_are_drawn_the_same() -> None:
    j = Journal(InMemoryJournalRepository(), clock=lambda: NOW)
    pid = j.add_patient("Ada").id
    j.set_plan(pid, PlanSpec("regimen", START, regimen="300 mg TID"))
    j.set_plan(pid, PlanSpec("regimen", START + timedelta(days=10), regimen="600 mg TID"))
    for day in range(20):
        j.log_dose(pid, 300, at=datetime.combine(START + timedelta(days=day), time(8, 5)))
        for scale in ("pain", "sleep"):
            j.log_symptom(pid, scale, day % 11, at=datetime.combine(START + timedelta(days=day), time(20, 0)))
    end = START + timedelta(days=19)
    got = period_charts(j.adherence(pid, start=START, end=end), j.trends(pid, start=START, end=end), j.plans(pid))
    assert got == charts_for(build_report(j, pid, start=START, end=end, now=NOW))
    assert got["adherence"] and "\u21911800" in got["scores"]["pain"] and set(got["scores"]) == {"pain", "sleep"}
