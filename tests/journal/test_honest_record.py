"""Entries as an honest record (issue 18): a dose stores the slot it answers and the moment it was
taken; skipped doses their slot; as-needed doses apart; edit, delete and undo keep every version;
re-importing a file adds nothing. Every backend.

The three taps of the issue, on 300 mg TID (07:00, 14:00, 21:00), all at 08:44:

=====================  ===============================  ========================================
tap                    stored before                    stored now
=====================  ===============================  ========================================
Taken on 07:00         at 07:00, counted on time        slot 07:00, at 08:44, late (not on time)
Skipped on 14:00       at 08:44 (then paired w/ 07:00)  slot 14:00, at 14:00
Taken on 21:00         at 08:44: 14:00 "taken",         slot 21:00, at 08:44: 14:00 skipped,
                       21:00 "skipped"                  21:00 taken
=====================  ===============================  ========================================
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pytest

from gabacare.journal.errors import JournalInputError, UnknownEntryError
from gabacare.journal.memory import InMemoryJournalRepository
from gabacare.journal.model import PlanSpec
from gabacare.journal.services import Journal

DAY = date(2026, 6, 10)


def t(hh: int, mm: int = 0, day: int = 10) -> datetime:
    return datetime(2026, 6, day, hh, mm)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def clocked(request: pytest.FixtureRequest) -> Iterator[tuple[Journal, Clock]]:
    """A journal on each backend whose clock the test moves (starts at 08:44 on June 10)."""
    clock = Clock(t(8, 44))
    if request.param == "memory":
        yield Journal(InMemoryJournalRepository(), clock=clock), clock
        return
    from gabacare.composition import repository

    repo = repository(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url"))
    yield Journal(repo, clock=clock), clock
    repo.close()


def tid_patient(j: Journal) -> int:
    pid = j.add_patient("Ada").id
    j.set_plan(pid, PlanSpec("regimen", date(2026, 6, 1), regimen="300 mg TID"))
    return pid


def statuses(j: Journal, pid: int) -> list[tuple[str, str, str | None]]:
    return [(f"{d.at:%H:%M}", d.status, None if d.taken_at is None else f"{d.taken_at:%H:%M}")
            for d in j.today(pid, on=DAY).doses]


# -- the three taps of the issue -------------------------------------------------------------------

def test_taken_late_stores_its_slot_and_the_real_time(clocked: tuple[Journal, Clock]) -> None:
    j, _ = clocked
    pid = tid_patient(j)
    e = j.log_dose(pid, 300, slot=t(7))  # the "Taken" button on 07:00, tapped at 08:44
    assert (e.data.slot, e.data.at, e.data.status) == (t(7), t(8, 44), "taken")
    assert statuses(j, pid)[0] == ("07:00", "late", "08:44")
    r = j.adherence(pid, start=DAY, end=DAY)
    assert (r.scheduled, r.taken, r.on_time, r.on_time_pct) == (1, 1, 0, 0.0)  # 07:00 due; not on time


def test_skipped_stores_its_slot_not_the_tap_time(clocked: tuple[Journal, Clock]) -> None:
    j, _ = clocked
    pid = tid_patient(j)
    e = j.log_dose(pid, 300, slot=t(14), status="skipped")
    assert (e.data.slot, e.data.at) == (t(14), t(14))
    assert statuses(j, pid) == [("07:00", "missed", None), ("14:00", "skipped", "14:00"), ("21:00", "upcoming", None)]


def test_taking_the_evening_dose_early_marks_that_dose_not_another(clocked: tuple[Journal, Clock]) -> None:
    j, clock = clocked
    pid = tid_patient(j)
    j.log_dose(pid, 300, slot=t(7))
    j.log_dose(pid, 300, slot=t(14), status="skipped")
    j.log_dose(pid, 300, slot=t(21))
    assert statuses(j, pid) == [("07:00", "late", "08:44"), ("14:00", "skipped", "14:00"), ("21:00", "taken", "08:44")]
    clock.now = t(23, 0)
    r = j.adherence(pid, start=DAY, end=DAY)
    assert (r.scheduled, r.taken, r.skipped, r.extra, r.on_time) == (3, 2, 1, 0, 0)


def test_a_dose_answered_ahead_of_time_counts_as_due(clocked: tuple[Journal, Clock]) -> None:
    j, _ = clocked
    pid = tid_patient(j)
    j.log_dose(pid, 300, slot=t(21))  # at 08:44: the 21:00 dose, taken early
    r = j.adherence(pid, start=DAY, end=DAY)
    assert (r.scheduled, r.taken, r.extra) == (2, 1, 0)  # 07:00 (due, missed) and 21:00 (answered)


def test_a_slot_is_a_planned_dose_answered_once(clocked: tuple[Journal, Clock]) -> None:
    j, _ = clocked
    pid = tid_patient(j)
    with pytest.raises(JournalInputError, match="not one of the plan's doses"):
        j.log_dose(pid, 300, slot=t(9))
    first = j.log_dose(pid, 300, slot=t(7))
    with pytest.raises(JournalInputError, match=f"#{first.id}"):
        j.log_dose(pid, 300, slot=t(7), status="skipped")
    with pytest.raises(JournalInputError, match="within a day"):
        j.log_dose(pid, 300, slot=t(7), at=t(9, day=8))


def test_without_a_slot_the_nearest_planned_dose_is_taken_unless_answered(clocked: tuple[Journal, Clock]) -> None:
    j, _ = clocked
    pid = tid_patient(j)
    assert j.log_dose(pid, 300, at=t(7, 30)).data.slot == t(7)
    assert j.log_dose(pid, 300, at=t(8, 0)).data.slot is None  # 07:00 is answered: an extra dose
    assert j.log_dose(pid, 300, at=t(13, 0), status="skipped").data.at == t(14)


# -- as-needed doses -------------------------------------------------------------------------------

def test_prn_doses_are_counted_apart(clocked: tuple[Journal, Clock]) -> None:
    j, clock = clocked
    pid = tid_patient(j)
    j.log_dose(pid, 300, slot=t(7), at=t(7, 5))
    prn = j.log_dose(pid, 100, at=t(8, 30), prn=True)
    assert (prn.data.prn, prn.data.slot) == (True, None)
    clock.now = t(12)
    r = j.adherence(pid, start=DAY, end=DAY)
    assert (r.scheduled, r.taken, r.on_time, r.extra, r.prn_doses, r.prn_mg) == (1, 1, 1, 0, 1, 100.0)
    assert r.taken_mg == 400
    assert [e.id for e in j.today(pid, on=DAY).prn_doses] == [prn.id]
    with pytest.raises(JournalInputError, match="as-needed"):
        j.log_dose(pid, 100, prn=True, slot=t(14))
    with pytest.raises(JournalInputError, match="never skipped"):
        j.log_dose(pid, 100, prn=True, status="skipped")


# -- edit, delete, undo ----------------------------------------------------------------------------

def test_edit_keeps_the_slot_and_the_previous_version(clocked: tuple[Journal, Clock]) -> None:
    j, _ = clocked
    pid = tid_patient(j)
    e = j.log_dose(pid, 300, slot=t(7))
    edited = j.edit_entry(pid, e.id, at=t(7, 30))  # "taken at 07:30"
    assert (edited.version, edited.data.slot, edited.data.at, edited.uid) == (2, t(7), t(7, 30), e.uid)
    assert statuses(j, pid)[0] == ("07:00", "taken", "07:30")
    assert [v.data.at for v in j.history(pid, e.id)] == [t(8, 44), t(7, 30)]
    with pytest.raises(JournalInputError, match="at most 3600"):  # [journal_limits] max_dose_mg
        j.edit_entry(pid, e.id, mg=1e12)
    reverted = j.revert_entry(pid, e.id)  # the page's "undo this change"
    assert (reverted.version, reverted.data.at) == (3, t(8, 44))


def test_delete_removes_from_every_view_and_keeps_the_history(clocked: tuple[Journal, Clock]) -> None:
    j, _ = clocked
    pid = tid_patient(j)
    other = j.add_patient("Bo").id
    e = j.log_dose(pid, 300, slot=t(7))
    with pytest.raises(UnknownEntryError):
        j.delete_entry(other, e.id)  # not this patient's
    gone = j.delete_entry(pid, e.id)
    assert gone.version == 2 and gone.deleted_at is not None
    assert statuses(j, pid)[0] == ("07:00", "missed", None)
    assert j.entries(pid) == [] and j.repo.count_entries(pid) == 0
    assert [v.version for v in j.history(pid, e.id)] == [1, 2]
    with pytest.raises(UnknownEntryError):
        j.edit_entry(pid, e.id, mg=200)
    with pytest.raises(UnknownEntryError):
        j.delete_entry(pid, e.id)
    assert j.log_dose(pid, 300, slot=t(7)).data.slot == t(7)  # the slot is free again


# -- idempotent import -----------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_reimporting_the_same_file_adds_nothing(clocked: tuple[Journal, Clock], fmt: str) -> None:
    j, _ = clocked
    pid = tid_patient(j)
    j.log_dose(pid, 300, slot=t(7))
    j.log_dose(pid, 100, prn=True)
    j.log_note(pid, "slept badly")
    text = j.export(pid, fmt)  # type: ignore[arg-type]
    assert j.import_text(pid, text, fmt) == {"entries": 0, "plans": 0, "already_present": 4}  # type: ignore[arg-type]
    b = j.add_patient("Copy").id
    assert j.import_text(b, text, fmt) == {"entries": 3, "plans": 1, "already_present": 0}  # type: ignore[arg-type]
    assert j.import_text(b, text, fmt)["already_present"] == 4  # type: ignore[arg-type]
    assert j.export(b, fmt) == text  # type: ignore[arg-type]
    copied = j.today(b, on=DAY)
    assert copied.doses[0].status == "late" and len(copied.prn_doses) == 1


def test_a_plan_set_twice_reimports_as_present_twice(clocked: tuple[Journal, Clock]) -> None:
    j, _ = clocked
    pid = j.add_patient("Ada").id
    for regimen in ("300 mg TID", "300 mg BID", "300 mg TID"):  # A, B, A: A is in force
        j.set_plan(pid, PlanSpec("regimen", date(2026, 6, 1), regimen=regimen))
    text = j.export(pid, "json")
    b = j.add_patient("Copy").id
    assert j.import_text(b, text, "json")["plans"] == 3
    assert j.active_plan(b, DAY).plan.label == j.active_plan(pid, DAY).plan.label  # type: ignore[union-attr]
    assert j.import_text(b, text, "json") == {"entries": 0, "plans": 0, "already_present": 3}


def test_a_deleted_entry_does_not_come_back_from_an_old_export(clocked: tuple[Journal, Clock]) -> None:
    j, _ = clocked
    pid = tid_patient(j)
    e = j.log_dose(pid, 300, slot=t(7))
    text = j.export(pid, "csv")
    j.delete_entry(pid, e.id)
    assert j.import_text(pid, text, "csv")["already_present"] == 2 and j.entries(pid) == []


def test_version_1_files_still_import(clocked: tuple[Journal, Clock]) -> None:
    j, _ = clocked
    pid = tid_patient(j)
    old = '{"format": "gabacare-journal", "version": 1, "rows": [{"kind": "note", "at": "2026-06-09T09:00:00", ' \
          '"mg": null, "status": null, "name": null, "value": null, "unit": null, "text": "old"}]}'
    assert j.import_text(pid, old, "json")["entries"] == 1
    with pytest.raises(JournalInputError, match="uid must be a UUID"):
        j.import_text(pid, "kind,at,text,uid\nnote,2026-06-09T09:00:00,x,not-a-uuid\n", "csv")


