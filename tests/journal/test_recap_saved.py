"""``Journal.recap_saved``: what a log form showed after saving, rebuilt from the stored entries
(the page a Post/Redirect/Get lands on; issue 18 item 4)."""

from __future__ import annotations

from datetime import date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from gabacare.journal.memory import InMemoryJournalRepository
from gabacare.journal.model import PlanSpec
from gabacare.journal.services import Journal

from .conftest import NOW


def _patient(journal: Journal, name: str = "Bea") -> int:
    return journal.add_patient(name, birth_date=date(1955, 1, 10), sex="female", weight_kg=62).id


def test_the_triage_is_the_one_shown_when_logging(any_journal: Journal) -> None:
    pid = _patient(any_journal)
    for text in ("swollen lips", "I have thoughts of killing myself", "dizziness", "a rash", "blue toenails"):
        logged = any_journal.log_side_effect(pid, text)
        recap = any_journal.recap_saved(pid, [logged.entry.id])
        assert recap.entries == (logged.entry,)
        assert recap.triage == logged, text  # same urgency, advice (crisis lines included), citations


def test_a_note_is_read_only_when_it_calls_for_action(mem_journal: Journal) -> None:
    pid = _patient(mem_journal)
    calm = mem_journal.log_note_read(pid, "slept well")
    urgent = mem_journal.log_note_read(pid, "he would not wake up this morning")
    assert mem_journal.recap_saved(pid, [calm.entry.id]).triage is None
    recap = mem_journal.recap_saved(pid, [urgent.entry.id])
    assert recap.triage == urgent and recap.triage.emergency


def test_a_creatinine_reruns_the_kidney_check_like_logging_it(any_journal: Journal) -> None:
    pid = _patient(any_journal)
    any_journal.set_plan(pid, PlanSpec("regimen", NOW.date(), regimen="600 mg TID"))
    logged = any_journal.log_lab(pid, "creatinine", 2.4, unit="mg/dL")
    recap = any_journal.recap_saved(pid, [logged.entry.id])
    assert recap.lab == logged and recap.lab.renal is not None and not recap.lab.renal.ok
    level = any_journal.log_lab(pid, "gabapentin", 4.0, unit="mg/L", at=NOW.replace(hour=9))
    assert any_journal.recap_saved(pid, [level.entry.id]).lab is None  # only creatinine is checked


def test_other_patients_deleted_and_unknown_ids_are_left_out(any_journal: Journal) -> None:
    mine, theirs = _patient(any_journal), _patient(any_journal, "Cy")
    kept = any_journal.log_trigger(mine, "cold")
    gone = any_journal.log_trigger(mine, "stress")
    any_journal.delete_entry(mine, gone.id)
    foreign = any_journal.log_side_effect(theirs, "swollen lips")
    recap = any_journal.recap_saved(mine, [foreign.entry.id, gone.id, 10**12, kept.id, kept.id])
    assert recap.entries == (kept,) and recap.triage is None and recap.lab is None


def test_it_writes_nothing(mem_journal: Journal) -> None:
    pid = _patient(mem_journal)
    ids = [mem_journal.log_side_effect(pid, "swollen lips").entry.id, mem_journal.log_symptom(pid, "pain", 4).id]
    before = [(e.id, e.version) for e in mem_journal.entries(pid)]
    for _ in range(3):
        mem_journal.recap_saved(pid, ids)
    assert [(e.id, e.version) for e in mem_journal.entries(pid)] == before


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=-(2**63), max_value=2**63), max_size=40))
def test_any_ids_give_at_most_one_forms_worth_of_own_entries(ids: list[int]) -> None:
    journal = Journal(InMemoryJournalRepository(), clock=lambda: datetime(2026, 6, 30, 12, 0))
    pid = _patient(journal)
    own = {journal.log_symptom(pid, scale, 3).id for scale in ("pain", "sleep", "anxiety")}
    other = _patient(journal, "Cy")
    journal.log_symptom(other, "pain", 9)
    recap = journal.recap_saved(pid, ids)
    got = [e.id for e in recap.entries]
    assert set(got) <= own and len(got) == len(set(got)) <= 5
    assert all(e.patient_id == pid for e in recap.entries)
