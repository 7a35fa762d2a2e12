"""The doctor's report carries the withdrawal watch while a taper step is watched (gabacare.app.report)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from gabacare.app.report import doctor_report
from gabacare.journal.memory import InMemoryJournalRepository
from gabacare.journal.model import PlanSpec
from gabacare.journal.services import Journal
from gabacare.reports.render import render_html

NOW = datetime(2026, 3, 20, 12, 0)


def _journal(plan: str) -> tuple[Journal, int]:
    j = Journal(InMemoryJournalRepository(), clock=lambda: NOW)
    pid = j.add_patient("Ada").id
    start = (NOW - timedelta(days=1)).date()
    j.set_plan(pid, PlanSpec(plan, start, regimen="300 mg TID") if plan == "taper"
               else PlanSpec("regimen", start, regimen="300 mg TID"))
    return j, pid


def test_a_taper_with_severe_sweating_puts_the_proposal_and_its_evidence_in_the_report() -> None:
    j, pid = _journal("taper")
    j.log_symptom(pid, "sweating", 8, at=NOW - timedelta(hours=1))
    r = doctor_report(j, pid, start=NOW.date() - timedelta(days=7), end=NOW.date(), now=NOW)
    assert r.watch is not None and r.watch.proposal == "step_back"
    html = render_html(r)
    assert "Withdrawal watch: Go back to the previous step" in html and "severe" in html and "sweating" in html
    assert set(r.watch.citations) <= set(r.citations)  # its sources are in the report's source list
    body = json.loads(json.dumps(r.to_json()))
    assert body["watch"]["proposal"] == "step_back" and body["watch"]["evidence"]


def test_no_watch_outside_a_taper() -> None:
    j, pid = _journal("maintenance")
    r = doctor_report(j, pid, start=NOW.date() - timedelta(days=7), end=NOW.date(), now=NOW)
    assert r.watch is None and "Withdrawal watch:" not in render_html(r)
    assert r.to_json()["watch"] is None
