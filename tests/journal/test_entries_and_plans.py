"""Plans and their schedule, the today view, side-effect triage, the renal re-check and edit history."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from gabacare.journal.errors import JournalInputError
from gabacare.journal.memory import InMemoryJournalRepository
from gabacare.journal.model import PlanSpec
from gabacare.journal.schedule import plan_in_force, planned_daily_mg
from gabacare.journal.services import Journal

JUNE = date(2026, 6, 1)


def test_a_later_plan_replaces_earlier_ones_from_its_start(mem_journal: Journal) -> None:
    pid = mem_journal.add_patient("Ada").id
    a = mem_journal.set_plan(pid, PlanSpec("regimen", JUNE, regimen="300 mg BID")).stored
    mem_journal.set_plan(pid, PlanSpec("regimen", date(2026, 6, 10), regimen="600 mg TID"))
    c = mem_journal.set_plan(pid, PlanSpec("regimen", date(2026, 6, 5), regimen="100 mg QD")).stored
    plans = mem_journal.plans(pid)
    assert plan_in_force(plans, date(2026, 5, 31)) is None
    assert plan_in_force(plans, date(2026, 6, 4)) == a
    assert plan_in_force(plans, date(2026, 6, 6)) == c
    assert plan_in_force(plans, date(2026, 6, 12)) == c
    totals = planned_daily_mg(plans, date(2026, 5, 31), date(2026, 6, 12))
    assert totals[date(2026, 5, 31)] == 0 and totals[date(2026, 6, 4)] == 600 and totals[date(2026, 6, 12)] == 100


def test_a_titration_is_stored_with_its_schedule_and_then_continues(mem_journal: Journal) -> None:
    pid = mem_journal.add_patient("Ada", birth_date=date(1960, 1, 1), sex="female", weight_kg=70).id
    r = mem_journal.set_plan(pid, PlanSpec("titrate", JUNE, indication="spasticity"))
    stored = r.stored.plan
    assert stored.kind == "titration" and stored.continues
    assert stored.spec.age_years == 66 and stored.spec.weight_kg == 70  # filled from the profile
    by_day = {day.date: day.total_mg for day in r.plan.days}
    assert planned_daily_mg(mem_journal.plans(pid), stored.start, stored.end) == by_day
    last = r.plan.days[-1].total_mg
    assert planned_daily_mg(mem_journal.plans(pid), date(2026, 8, 1), date(2026, 8, 1)) == {date(2026, 8, 1): last}


def test_a_taper_ends_at_zero_and_nothing_is_due_after(mem_journal: Journal) -> None:
    pid = mem_journal.add_patient("Ada").id
    r = mem_journal.set_plan(pid, PlanSpec("taper", JUNE, regimen="600 mg TID"))
    stored = r.stored.plan
    assert stored.kind == "taper" and not stored.continues
    after = planned_daily_mg(mem_journal.plans(pid), stored.end, date(2026, 12, 31))
    assert set(after.values()) == {0.0}
    assert stored.doses and stored.doses[0].at == datetime.combine(JUNE, stored.doses[0].at.time())


def test_plan_needs_a_valid_regimen(mem_journal: Journal) -> None:
    pid = mem_journal.add_patient("Ada").id
    with pytest.raises(ValueError, match="regimen"):
        mem_journal.set_plan(pid, PlanSpec("regimen", JUNE, regimen="lots"))
    assert mem_journal.plans(pid) == []


def test_today_shows_taken_due_missed_and_upcoming() -> None:
    now = [datetime(2026, 6, 30, 13, 30)]
    j = Journal(InMemoryJournalRepository(), clock=lambda: now[0])
    pid = j.add_patient("Ada").id
    j.set_plan(pid, PlanSpec("regimen", JUNE, regimen="300 mg TID"))  # 07:00 14:00 21:00
    j.log_dose(pid, 300, at=datetime(2026, 6, 30, 7, 20))
    j.log_symptom(pid, "pain", 3, at=datetime(2026, 6, 30, 9, 0))
    v = j.today(pid)
    assert [(x.at.time(), x.status) for x in v.doses] == [(time(7), "taken"), (time(14), "due"), (time(21), "upcoming")]
    assert v.doses[0].on_time and (v.planned_mg, v.taken_mg) == (900, 300)
    assert [e.kind for e in v.entries] == ["dose", "symptom"]
    now[0] = datetime(2026, 6, 30, 15, 30)
    j.log_dose(pid, 300, at=datetime(2026, 6, 30, 21, 0), status="skipped")
    assert [x.status for x in j.today(pid).doses] == ["taken", "missed", "skipped"]
    assert j.today(pid, on=date(2026, 5, 1)).plan_kind is None


def test_an_emergency_side_effect_is_flagged_at_once(mem_journal: Journal) -> None:
    pid = mem_journal.add_patient("Ada").id
    r = mem_journal.log_side_effect(pid, "swelling of the lips and trouble breathing", at=datetime(2026, 6, 2, 9))
    assert r.emergency and r.urgency == "emergency" and r.recognized
    assert r.entry.data.urgency == "emergency"
    mild = mem_journal.log_side_effect(pid, "dizziness", at=datetime(2026, 6, 2, 10))
    assert not mild.emergency
    assert mem_journal.repo.get_entry(pid, mild.entry.id).data.urgency == mild.urgency


def test_a_note_is_read_like_a_side_effect(mem_journal: Journal) -> None:
    """Free text anywhere in the journal goes through the same reading: a note that describes an
    emergency in ordinary words is flagged when it is saved, and the note itself is kept as typed."""
    pid = mem_journal.add_patient("Ada").id
    r = mem_journal.log_note_read(pid, "he was so drowsy after his oxycodone he would not wake up", at=datetime(2026, 6, 2, 9))
    assert r.emergency and r.urgency == "emergency"
    assert r.entry.kind == "note" and r.entry.data.text.startswith("he was so drowsy")
    calm = mem_journal.log_note_read(pid, "walked to the shops, felt fine", at=datetime(2026, 6, 2, 10))
    assert not calm.emergency and calm.urgency is None


def test_creatinine_reruns_the_renal_check_against_the_plan(mem_journal: Journal) -> None:
    pid = mem_journal.add_patient("Ada", birth_date=date(1960, 1, 1), sex="female", weight_kg=70).id
    mem_journal.set_plan(pid, PlanSpec("regimen", JUNE, regimen="600 mg TID"))
    bad = mem_journal.log_lab(pid, "creatinine", 2.5, at=datetime(2026, 6, 3, 9))
    assert bad.renal is not None and not bad.renal.ok
    assert bad.renal.crcl_ml_min == pytest.approx((140 - 66) * 70 / (72 * 2.5) * 0.85, abs=0.1)
    assert "renal_max_exceeded" in {p["code"] for p in bad.renal.problems}
    good = mem_journal.log_lab(pid, "creatinine", 70.7, unit="umol/L", at=datetime(2026, 6, 4, 9))
    assert good.renal is not None and good.renal.ok and good.renal.problems == ()
    assert mem_journal.repo.count_entries(pid) == 2


def test_renal_check_says_why_it_could_not_run(mem_journal: Journal) -> None:
    pid = mem_journal.add_patient("Ada").id
    r = mem_journal.log_lab(pid, "creatinine", 1.0, at=datetime(2026, 6, 3, 9))
    assert r.renal is None and r.renal_skipped is not None and "birth date" in r.renal_skipped
    other = mem_journal.log_lab(pid, "potassium", 4.1, unit="mmol/L", at=datetime(2026, 6, 3, 9))
    assert other.renal is None and other.entry.data.unit == "mmol/L"


def test_editing_keeps_history_and_is_validated(any_journal: Journal) -> None:
    pid = any_journal.add_patient("Ada").id
    e = any_journal.log_symptom(pid, "pain", 4, at=datetime(2026, 6, 2, 9))
    any_journal.edit_entry(pid, e.id, value=6.0)
    with pytest.raises(JournalInputError, match="between 0 and 10"):
        any_journal.edit_entry(pid, e.id, value=11.0)
    with pytest.raises(JournalInputError, match="cannot edit"):
        any_journal.edit_entry(pid, e.id, kind="note")
    assert [(v.version, v.data.value) for v in any_journal.history(pid, e.id)] == [(1, 4.0), (2, 6.0)]


def test_the_plan_shown_is_the_one_in_force_else_the_latest_set_to_start_later(mem_journal: Journal) -> None:
    from datetime import timedelta

    pid = mem_journal.add_patient("Plan shown").id
    today = mem_journal.clock().date()
    assert mem_journal.current_or_next_plan(pid) is None
    later = mem_journal.set_plan(pid, PlanSpec("regimen", today + timedelta(days=7), regimen="300 mg TID")).stored
    assert mem_journal.current_or_next_plan(pid) == later
    sooner = mem_journal.set_plan(pid, PlanSpec("regimen", today + timedelta(days=3), regimen="300 mg BID")).stored
    assert mem_journal.current_or_next_plan(pid) == sooner  # set most recently
    current = mem_journal.set_plan(pid, PlanSpec("regimen", today, regimen="300 mg QD")).stored
    assert mem_journal.current_or_next_plan(pid) == current
