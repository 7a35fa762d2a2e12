"""The doctor's report shows the pills on hand (issue 15): a "Pills on hand" section and JSON key
``supply`` with the run-out date, the refill reminder and the plan's "to dispense" pick-up list."""

from __future__ import annotations

from datetime import date, datetime

from gabacare.app.report import doctor_report
from gabacare.journal.memory import InMemoryJournalRepository
from gabacare.journal.model import PlanSpec
from gabacare.journal.refills import log_pickup
from gabacare.journal.services import Journal
from gabacare.reports.render import render_html

NOW = datetime(2026, 6, 30, 12, 0)


def _journal() -> tuple[Journal, int]:
    j = Journal(InMemoryJournalRepository(), clock=lambda: NOW)
    pid = j.add_patient("Ada").id
    j.set_plan(pid, PlanSpec("regimen", date(2026, 7, 1), regimen="300 mg TID"))
    return j, pid


def test_the_report_has_the_pills_on_hand_and_the_pickup_list() -> None:
    j, pid = _journal()
    log_pickup(j, pid, 300, 30, at=datetime(2026, 6, 30, 9, 0))
    r = doctor_report(j, pid, start=date(2026, 6, 1), end=date(2026, 6, 30), now=NOW)
    out = r.to_json()["supply"]
    # 30 capsules, 3 a day from 1 July: 1..10 July, out on 11 July; reminder 4 July.
    assert (out["run_out"], out["refill_reminder"], out["lead_days"]) == ("2026-07-11", "2026-07-04", 7)
    assert out["on_hand"] == [{"form": "capsule", "strength_mg": 300.0, "count": 30.0}]
    # the pick-up list: 28 days to 27 July; 1..27 July = 81 capsules (today has no dose left), 30 held -> 51
    assert out["list_until"] == "2026-07-27"
    assert out["pickup_list"] == [{"form": "capsule", "strength_mg": 300.0, "count": 51.0}]
    html = render_html(r)
    assert 'id="h-supply">Pills on hand<' in html and "Run-out date: " in html and "To dispense" in html
    assert "51 &times; 300 mg capsules" in html


def test_without_a_pickup_the_section_is_left_out_and_the_key_says_untracked() -> None:
    j, pid = _journal()
    r = doctor_report(j, pid, start=date(2026, 6, 1), end=date(2026, 6, 30), now=NOW)
    assert r.to_json()["supply"]["tracked"] is False
    assert "h-supply" not in render_html(r)
