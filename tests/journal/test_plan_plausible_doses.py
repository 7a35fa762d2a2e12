"""A plan is refused when one of its doses is outside the plausible range a logged dose has (issue 18,
plausibility at every door): the plan's doses become Today's list, the reminders and the calendar feed.
A plan within the range but above the label's daily maximum is kept, with the check's warning."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gabacare.journal.errors import JournalInputError
from gabacare.journal.model import PlanSpec
from gabacare.journal.services import Journal
from gabacare.knowledge import load_monograph

START = date(2026, 6, 30)
MAX_DOSE = load_monograph().journal_limits.max_dose_mg


def _patient(journal: Journal) -> int:
    return journal.add_patient("Bea", birth_date=date(1955, 1, 10), sex="female", weight_kg=62).id


def test_a_dose_above_the_plausible_bound_refuses_the_plan_and_stores_nothing(mem_journal: Journal) -> None:
    pid = _patient(mem_journal)
    with pytest.raises(JournalInputError, match="the most one dose can be"):
        mem_journal.set_plan(pid, PlanSpec("regimen", START, regimen="10000 mg TID"))
    assert mem_journal.plans(pid) == []


def test_a_plan_above_the_daily_maximum_but_plausible_is_kept_with_the_warning(mem_journal: Journal) -> None:
    pid = _patient(mem_journal)
    result = mem_journal.set_plan(pid, PlanSpec("regimen", START, regimen="1600 mg TID"))
    assert max(d.mg for d in result.stored.plan.doses) == 1600
    assert any("above the maximum" in w for w in result.stored.plan.warnings)


@settings(max_examples=25, deadline=None)
@given(mg=st.sampled_from([100, 300, 400, 600, 800, 1200, 1600, 2400, 3200, 3600, 4000, 4800, 8000]),
       times=st.sampled_from(["daily", "BID", "TID"]))
def test_every_stored_plan_dose_could_be_logged(mg: int, times: str) -> None:
    from gabacare.journal.memory import InMemoryJournalRepository

    journal = Journal(InMemoryJournalRepository())
    pid = _patient(journal)
    try:
        result = journal.set_plan(pid, PlanSpec("regimen", START, regimen=f"{mg} mg {times}"))
    except JournalInputError:
        assert mg > MAX_DOSE or mg % 100, "a plausible regimen was refused"
        return
    assert all(0 < d.mg <= MAX_DOSE for d in result.stored.plan.doses)


def test_the_cli_exits_2_with_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "GABACARE_DB": f"sqlite:///{tmp_path / 'j.sqlite3'}"}
    cli = [str(Path(sys.executable).with_name("gabacare"))]
    assert subprocess.run([*cli, "patient", "add", "Bea"], capture_output=True, text=True, timeout=120,
                          env=env).returncode == 0
    done = subprocess.run([*cli, "plan", "set", "--patient", "1", "10000 mg TID"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().count("\n") == 0 and "the most one dose can be" in done.stderr
    assert "Traceback" not in done.stderr
