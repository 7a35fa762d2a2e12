"""The doctor's report as data: numbers recomputed from what the fixture logged, emergencies first."""

from __future__ import annotations

import json
from datetime import date

import pytest

from gabacare.journal.errors import JournalInputError, UnknownPatientError
from gabacare.knowledge import load_monograph
from gabacare.reports import DoctorReport, build_report, default_period

from ._journal import END, NAME, NOW, REDUCTION, START, Facts

pytestmark = pytest.mark.filterwarnings("error")


@pytest.fixture(scope="module")
def report(journal_facts) -> DoctorReport:
    j, facts, _ = journal_facts
    return build_report(j, facts.pid, start=START, end=END, now=NOW, medicines=["Percocet", "zzz-unknown"])


@pytest.fixture(scope="module")
def facts(journal_facts) -> Facts:
    return journal_facts[1]


def test_patient_and_period(report: DoctorReport) -> None:
    js = report.to_json()
    assert js["patient"] == {"id": js["patient"]["id"], "name": NAME, "birth_date": "1958-03-14", "age_years": 68.0,
                             "sex": "female", "weight_kg": 68.0}
    assert (js["from"], js["to"]) == (START.isoformat(), END.isoformat())
    assert json.loads(json.dumps(js)) == js  # plain JSON all the way down


def test_adherence_matches_the_logged_doses(report: DoctorReport, facts: Facts) -> None:
    a = report.adherence
    assert (a.scheduled, a.taken, a.on_time, a.skipped) == (facts.scheduled, facts.taken, facts.on_time, facts.skipped)
    assert a.adherence_pct == round(100 * facts.taken / facts.scheduled, 1)
    assert a.on_time_pct == round(100 * facts.on_time / facts.scheduled, 1)
    assert a.longest_missed_streak == 3  # doses 20-22 of the schedule were skipped in a row
    assert sum(w.scheduled for w in a.weeks) == facts.scheduled
    assert sum(w.taken for w in a.weeks) == facts.taken
    assert [w.week_start for w in a.weeks] == [date(2026, 6, 1), date(2026, 6, 8), date(2026, 6, 15), date(2026, 6, 22)]
    by_day = {d.date: d for d in report.daily_mg}
    assert len(by_day) == (END - START).days + 1
    assert all(by_day[d].planned_mg == mg for d, mg in facts.planned_by_day.items())
    assert all(by_day[d].taken_mg == facts.taken_by_day.get(d, 0.0) for d in by_day)


def test_plan_changes_are_the_dose_steps_on_their_dates(report: DoctorReport) -> None:
    steps = [(c.date, c.from_mg, c.to_mg, c.direction) for c in report.plan_changes]
    assert steps == [
        (date(2026, 6, 1), 0, 300, "up"), (date(2026, 6, 2), 300, 600, "up"), (date(2026, 6, 3), 600, 900, "up"),
        (date(2026, 6, 4), 900, 1200, "up"), (date(2026, 6, 7), 1200, 1500, "up"), (date(2026, 6, 10), 1500, 1800, "up"),
        (REDUCTION, 1800, 1200, "down"),
    ]
    down = report.plan_changes[-1]
    w = load_monograph().withdrawal
    assert (down.withdrawal_until - down.withdrawal_from).total_seconds() / 3600 == w.onset_max_h - w.onset_min_h
    assert [p.kind for p in report.plans] == ["titration", "maintenance"]
    assert report.plans[0].last_day_in_period == date(2026, 6, 19)
    assert report.current_regimen == "400 mg TID"
    assert all(p.citations for p in report.plans)


def test_trends_per_scale(report: DoctorReport) -> None:
    pain = next(t for t in report.trends if t.scale == "pain")
    assert len(pain.points) == 28 and pain.unit == "score 0-10"
    assert pain.first_rolling == 8.0
    last7 = [max(1.0, 8.0 - 0.25 * d) for d in range(21, 28)]
    assert pain.last_rolling == pytest.approx(sum(last7) / 7, abs=1e-3)
    assert pain.slope_per_100mg is not None and pain.slope_per_100mg < 0


def test_side_effects_emergency_first_and_flagged(report: DoctorReport) -> None:
    texts = [(s.text, s.urgency, s.emergency) for s in report.side_effects]
    assert texts == [("swollen lips", "emergency", True), ("dizziness", "expected", False)]  # May's is outside
    assert [s.text for s in report.emergencies] == ["swollen lips"]
    assert "emergency services" in report.emergencies[0].advice
    assert all(s.citations for s in report.side_effects)
    assert report.to_json()["emergency"] is True


def test_triggers_notes_and_medicines(report: DoctorReport) -> None:
    assert [(t.tag, t.count) for t in report.triggers] == [("cold weather", 2), ("long walk", 1)]
    assert [n.text for n in report.notes] == [f"note number {i}" for i in (6, 5, 4, 3, 2)]
    assert report.notes_total == 6
    m = report.medicines
    assert m.recorded and m.most_severe == "major"
    assert [(f.input, f.known, f.severity) for f in m.findings] == [("Percocet", True, "major"),
                                                                   ("zzz-unknown", False, None)]
    assert m.citations


def test_renal_check_of_the_regimen_in_force(report: DoctorReport) -> None:
    k = report.renal
    # Cockcroft-Gault by hand: female, 68 years on the lab day, 68 kg, SCr 1.4 mg/dL.
    r = load_monograph().renal
    expected = (r.cg_age_constant - 68) * 68 / (r.cg_divisor * 1.4) * r.female_factor
    assert k.status == "checked" and k.crcl_ml_min == round(expected, 1)
    assert k.scr_value == 1.4 and k.days_before_end == 7
    assert k.regimen == "400 mg TID" and k.ok is False
    assert [p.code for p in k.problems if p.severity == "problem"] == ["renal_doses_per_day"]
    assert k.citations


def test_citations_and_notice(report: DoctorReport) -> None:
    js = report.to_json()
    ids = {c["source"] for c in js["citations"]}
    assert {"label", "fda-dsc-2019"} <= ids
    assert all(c["title"] for c in js["citations"])
    assert js["notice"] == load_monograph().notice_text


def test_empty_period_and_no_medicines(journal_facts) -> None:
    j, facts, _ = journal_facts
    r = build_report(j, facts.pid, start=date(2026, 5, 1), end=date(2026, 5, 10), now=NOW)
    assert r.plans == () and r.adherence.scheduled == 0 and r.adherence.adherence_pct is None
    assert r.renal.status == "no_lab"
    assert not r.medicines.recorded and r.medicines.findings == ()
    assert [s.text for s in r.side_effects] == []


def test_bad_input_is_refused(journal_facts) -> None:
    j, facts, _ = journal_facts
    with pytest.raises(JournalInputError, match="after its end"):
        build_report(j, facts.pid, start=END, end=START, now=NOW)
    with pytest.raises(UnknownPatientError):
        build_report(j, 999_999, start=START, end=END, now=NOW)


def test_default_period_is_four_weeks_ending_on_the_last_day() -> None:
    assert default_period(date(2026, 6, 28)) == (date(2026, 6, 1), date(2026, 6, 28))
    assert default_period(date(2026, 6, 28), date(2026, 6, 20)) == (date(2026, 6, 20), date(2026, 6, 28))


def test_renal_needs_a_complete_profile() -> None:
    from datetime import datetime

    from gabacare.journal.memory import InMemoryJournalRepository
    from gabacare.journal.model import PlanSpec
    from gabacare.journal.services import Journal

    j = Journal(InMemoryJournalRepository(), clock=lambda: NOW)
    pid = j.add_patient("No Profile").id
    j.set_plan(pid, PlanSpec(source="regimen", start=START, regimen="300 mg TID"))
    j.log_lab(pid, "creatinine", 1.0, at=datetime(2026, 6, 10, 9, 0))
    r = build_report(j, pid, start=START, end=END, now=NOW)
    assert r.renal.status == "incomplete_profile" and r.renal.crcl_ml_min is None and r.renal.ok is None
    assert r.renal.scr_value == 1.0 and r.renal.regimen == "300 mg TID"
    assert r.patient.age_years is None and r.adherence.taken == 0 and r.adherence.adherence_pct == 0
