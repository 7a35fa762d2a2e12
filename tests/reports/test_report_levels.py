"""The doctor's report carries what the measured gabapentin levels say (gabacare.app.report, issue 17)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from gabacare.app.estimate import estimate_patient
from gabacare.app.report import doctor_report
from gabacare.journal.memory import InMemoryJournalRepository
from gabacare.journal.model import PlanSpec
from gabacare.journal.services import Journal
from gabacare.reports.render import render_html

NOW = datetime(2026, 3, 20, 12, 0)
START = datetime(2026, 3, 13, 7, 0)


def _journal() -> tuple[Journal, int]:
    j = Journal(InMemoryJournalRepository(), clock=lambda: NOW)
    pid = j.add_patient("Ada").id
    j.set_plan(pid, PlanSpec("regimen", START.date(), regimen="300 mg TID"))
    for k in range(21):
        j.log_dose(pid, 300, at=START + timedelta(hours=8 * k))
    return j, pid


def test_a_measured_level_puts_the_estimate_and_its_proposal_in_the_report() -> None:
    j, pid = _journal()
    j.log_lab(pid, "gabapentin", 1.0, unit="mg/L", at=datetime(2026, 3, 20, 6, 45))
    r = doctor_report(j, pid, start=START.date(), end=NOW.date(), now=NOW)
    expected = estimate_patient(j, pid)
    assert r.levels is not None and r.levels.estimate.individual == expected.estimate.individual
    html = render_html(r)
    assert "Measured gabapentin levels" in html and expected.proposal is not None
    assert expected.proposal.describe() in html
    assert set(expected.citations) <= set(r.citations)
    body = json.loads(json.dumps(r.to_json()))
    assert body["levels"]["levels"][0]["measured_mg_per_l"] == 1.0 and body["levels"]["proposal"]["regimen"]


def test_no_level_no_section_and_a_level_before_any_dose_is_left_out() -> None:
    j, pid = _journal()
    r = doctor_report(j, pid, start=START.date(), end=NOW.date(), now=NOW)
    assert r.levels is None and r.to_json()["levels"] is None
    assert "Measured gabapentin levels" not in render_html(r)
    j.log_lab(pid, "gabapentin", 3.0, at=START - timedelta(days=1))
    assert doctor_report(j, pid, start=START.date(), end=NOW.date(), now=NOW).levels is None
