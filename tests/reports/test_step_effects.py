"""What changed after each dose step (issue 16 item 4): before/after means with a 95% interval, one
sentence per step in the doctor's report. Worked journals, checked by hand."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import pytest

from gabacare.app.report import doctor_report
from gabacare.journal.memory import InMemoryJournalRepository
from gabacare.journal.model import PlanSpec
from gabacare.journal.services import Journal
from gabacare.reports.render import render_html

NOW = datetime(2026, 3, 30, 12, 0)
STEP = date(2026, 3, 15)


def _journal(before: list[float], after: list[float]) -> tuple[Journal, int]:
    j = Journal(InMemoryJournalRepository(), clock=lambda: NOW)
    pid = j.add_patient("Ada").id
    j.set_plan(pid, PlanSpec("regimen", STEP - timedelta(days=10), regimen="300 mg TID"))
    j.set_plan(pid, PlanSpec("regimen", STEP, regimen="400 mg TID"))
    for k, v in enumerate(reversed(before), 1):
        j.log_symptom(pid, "spasm_count", v, at=datetime.combine(STEP - timedelta(days=k), datetime.min.time()).replace(hour=20))
    for k, v in enumerate(after):
        j.log_symptom(pid, "spasm_count", v, at=datetime.combine(STEP + timedelta(days=k), datetime.min.time()).replace(hour=20))
    return j, pid


def _report(j: Journal, pid: int):  # type: ignore[no-untyped-def]
    return doctor_report(j, pid, start=STEP - timedelta(days=10), end=STEP + timedelta(days=10), now=NOW)


def test_a_fall_after_an_increase_is_one_readable_sentence_with_its_interval() -> None:
    before, after = [8, 9, 8, 7, 8, 9, 8], [6, 5, 5, 6, 5, 5, 5]
    j, pid = _journal(before, after)
    (change,) = [c for c in _report(j, pid).plan_changes if c.date == STEP]
    mb, ma = sum(before) / 7, sum(after) / 7

    def var(xs: list[int]) -> float:
        m = sum(xs) / len(xs)
        return sum((x - m) ** 2 for x in xs) / (len(xs) - 1)

    ci = 1.959964 * math.sqrt(var(before) / 7 + var(after) / 7)
    assert change.effect == (f"After 900 → 1200 mg/day, spasms per day fell from {mb:.1f} to {ma:.1f} "
                             f"(−{mb - ma:.1f} ± {ci:.1f}, 95% interval; 7 and 7 scores) in the 7 days before and after.")
    assert change.effect in render_html(_report(j, pid))


@pytest.mark.parametrize(("before", "after", "word"), [([5, 5], [5, 5], "stayed at 5.0"), ([3, 4], [6, 6], "rose")])
def test_direction_words(before: list[float], after: list[float], word: str) -> None:
    j, pid = _journal(before, after)
    (change,) = [c for c in _report(j, pid).plan_changes if c.date == STEP]
    assert change.effect is not None and word in change.effect


def test_no_sentence_without_scores_on_both_sides_and_no_interval_from_one_score() -> None:
    j, pid = _journal([], [4, 5])
    (change,) = [c for c in _report(j, pid).plan_changes if c.date == STEP]
    assert change.effect is None
    j, pid = _journal([7], [4, 5])
    (change,) = [c for c in _report(j, pid).plan_changes if c.date == STEP]
    assert change.effect is not None and "±" not in change.effect and "1 and 2 scores" in change.effect
