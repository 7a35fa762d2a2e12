"""One contract for every journal repository: in-memory, SQLite and PostgreSQL must behave the same."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest

from gabacare.journal.errors import UnknownEntryError, UnknownPatientError
from gabacare.journal.memory import InMemoryJournalRepository
from gabacare.journal.model import EntryData, NewPatient, NewPlan, NewQuestionnaire, PlanSpec, ScheduledDose
from gabacare.journal.repository import JournalRepository

T0 = datetime(2026, 3, 1, 8, 0)
REC = datetime(2026, 3, 2, 12, 0)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def repo(request: pytest.FixtureRequest) -> Iterator[JournalRepository]:
    if request.param == "memory":
        yield InMemoryJournalRepository()
        return
    from gabacare.journal.db import make_engine
    from gabacare.journal.sql import SqlJournalRepository

    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    r = SqlJournalRepository(make_engine(url))
    yield r
    r.close()


def _patient(repo: JournalRepository, name: str = "Ada") -> int:
    return repo.add_patient(NewPatient(name, date(1970, 5, 6), "female", 61.5), created_at=REC).id


def _plan(start: date = date(2026, 3, 1)) -> NewPlan:
    doses = tuple(ScheduledDose(datetime(2026, 3, 1 + d, h), 300.0) for d in range(2) for h in (8, 20))
    return NewPlan(kind="maintenance", spec=PlanSpec("regimen", start, regimen="300 mg BID"), label="300 mg BID",
                   start=start, end=start + timedelta(days=1), continues=True, doses=doses, warnings=("w1",))


ALL_KINDS = [
    EntryData("dose", T0, mg=300.0, status="taken"),
    EntryData("dose", T0 + timedelta(hours=12), mg=0.0, status="skipped"),
    EntryData("symptom", T0 + timedelta(hours=1), name="pain", value=4.5),
    EntryData("trigger", T0 + timedelta(hours=2), text="cold weather"),
    EntryData("side_effect", T0 + timedelta(hours=3), text="dizziness", urgency="expected"),
    EntryData("lab", T0 + timedelta(hours=4), name="creatinine", value=1.1, unit="mg/dL"),
    EntryData("note", T0 + timedelta(hours=5), text="Slept well. Ünïcode ✓"),
]


def test_patients_round_trip_and_list_in_id_order(repo: JournalRepository) -> None:
    a = repo.add_patient(NewPatient("Ada", date(1970, 5, 6), "female", 61.5), created_at=REC)
    b = repo.add_patient(NewPatient("Bo"), created_at=REC)
    assert a.id != b.id
    got = repo.get_patient(a.id)
    assert (got.name, got.birth_date, got.sex, got.weight_kg, got.created_at) == ("Ada", date(1970, 5, 6), "female",
                                                                                 61.5, REC)
    assert [p.id for p in repo.list_patients()] == [a.id, b.id]


def test_unknown_patient_is_refused_everywhere(repo: JournalRepository) -> None:
    with pytest.raises(UnknownPatientError):
        repo.get_patient(999)
    with pytest.raises(UnknownPatientError):
        repo.add_entry(999, ALL_KINDS[0], recorded_at=REC)
    with pytest.raises(UnknownPatientError):
        repo.add_batch(999, entries=ALL_KINDS, recorded_at=REC)
    with pytest.raises(UnknownPatientError):
        repo.add_plan(999, _plan(), created_at=REC)
    with pytest.raises(UnknownPatientError):
        repo.list_entries(999)
    assert repo.list_patients() == []


def test_every_entry_kind_round_trips(repo: JournalRepository) -> None:
    pid = _patient(repo)
    stored = [repo.add_entry(pid, d, recorded_at=REC) for d in ALL_KINDS]
    assert all(e.version == 1 and e.recorded_at == REC for e in stored)
    listed = repo.list_entries(pid)
    assert [e.data for e in listed] == sorted(ALL_KINDS, key=lambda d: d.at)
    assert repo.count_entries(pid) == len(ALL_KINDS)
    assert repo.get_entry(pid, stored[2].id).data == ALL_KINDS[2]


def test_entries_order_by_time_then_insertion_and_filter(repo: JournalRepository) -> None:
    pid = _patient(repo)
    same = [EntryData("note", T0, text=f"n{i}") for i in range(3)]
    later = EntryData("symptom", T0 + timedelta(days=1), name="sleep", value=7.0)
    earlier = EntryData("dose", T0 - timedelta(days=1), mg=100.0, status="late")
    for d in [later, *same, earlier]:
        repo.add_entry(pid, d, recorded_at=REC)
    assert [e.data for e in repo.list_entries(pid)] == [earlier, *same, later]
    assert [e.data for e in repo.list_entries(pid, start=T0, end=T0 + timedelta(hours=1))] == same
    assert [e.data for e in repo.list_entries(pid, kinds=["dose", "symptom"])] == [earlier, later]


def test_patients_do_not_see_each_others_entries(repo: JournalRepository) -> None:
    a, b = _patient(repo, "A"), _patient(repo, "B")
    e = repo.add_entry(a, ALL_KINDS[0], recorded_at=REC)
    assert repo.list_entries(b) == []
    assert repo.count_entries(b) == 0
    with pytest.raises(UnknownEntryError):
        repo.get_entry(b, e.id)
    with pytest.raises(UnknownEntryError):
        repo.update_entry(b, e.id, ALL_KINDS[1], recorded_at=REC)


def test_plans_round_trip_with_their_schedule(repo: JournalRepository) -> None:
    pid = _patient(repo)
    first = repo.add_plan(pid, _plan(), created_at=REC)
    second = repo.add_plan(pid, _plan(date(2026, 3, 5)), created_at=REC)
    plans = repo.list_plans(pid)
    assert [p.id for p in plans] == [first.id, second.id]
    assert plans[0].plan == _plan()
    assert plans[1].plan.start == date(2026, 3, 5)
    assert plans[0].created_at == REC


def test_batch_writes_plans_and_entries_and_reports_progress(repo: JournalRepository) -> None:
    pid = _patient(repo)
    many = [EntryData("symptom", T0 + timedelta(minutes=i), name="pain", value=float(i % 11)) for i in range(2500)]
    seen: list[int] = []
    assert repo.add_batch(pid, plans=[_plan()], entries=many, recorded_at=REC, progress=seen.append) == 2500
    assert repo.count_entries(pid) == 2500
    assert len(repo.list_plans(pid)) == 1
    assert seen and seen[-1] <= 2500 and seen == sorted(seen)
    assert [e.data for e in repo.list_entries(pid)] == many


def test_batch_is_all_or_nothing(repo: JournalRepository) -> None:
    pid = _patient(repo)
    repo.add_entry(pid, ALL_KINDS[0], recorded_at=REC)
    many = [EntryData("note", T0 + timedelta(minutes=i), text="x") for i in range(2500)]

    def boom(done: int) -> None:
        raise RuntimeError("interrupted part-way")

    with pytest.raises(RuntimeError):
        repo.add_batch(pid, plans=[_plan()], entries=many, recorded_at=REC, progress=boom)
    assert repo.count_entries(pid) == 1
    assert repo.list_plans(pid) == []
    # the store still works after the failed batch
    repo.add_batch(pid, entries=many[:3], recorded_at=REC)
    assert repo.count_entries(pid) == 4


def test_editing_keeps_every_version(repo: JournalRepository) -> None:
    pid = _patient(repo)
    e = repo.add_entry(pid, EntryData("symptom", T0, name="pain", value=4.0), recorded_at=REC)
    v2 = repo.update_entry(pid, e.id, EntryData("symptom", T0, name="pain", value=6.0), recorded_at=REC + timedelta(1))
    v3 = repo.update_entry(pid, e.id, EntryData("symptom", T0 + timedelta(hours=1), name="pain", value=5.0),
                           recorded_at=REC + timedelta(2))
    assert (v2.version, v3.version, v3.id) == (2, 3, e.id)
    assert repo.get_entry(pid, e.id).data.value == 5.0
    history = repo.entry_history(pid, e.id)
    assert [(h.version, h.data.value, h.recorded_at) for h in history] == [
        (1, 4.0, REC), (2, 6.0, REC + timedelta(1)), (3, 5.0, REC + timedelta(2))]
    assert repo.count_entries(pid) == 1
    with pytest.raises(UnknownEntryError):
        repo.entry_history(pid, 12345)


# -- questionnaires (migration 0004) ---------------------------------------------------------------

def _q(hours: int, instrument: str = "gad7", answers: tuple[int, ...] = (1,) * 7) -> NewQuestionnaire:
    return NewQuestionnaire(instrument, T0 + timedelta(hours=hours), answers, sum(answers), "mild", False)


def test_questionnaires_round_trip_in_time_order_per_patient(repo: JournalRepository) -> None:
    a, b = _patient(repo), _patient(repo, "Bo")
    late = repo.add_questionnaire(a, _q(5), recorded_at=REC)
    early = repo.add_questionnaire(a, NewQuestionnaire("phq9", T0, (0,) * 8 + (1,), 1, "minimal", True), recorded_at=REC)
    repo.add_questionnaire(b, _q(1), recorded_at=REC)
    got = repo.list_questionnaires(a)
    assert [q.id for q in got] == [early.id, late.id]
    assert got[0].data == early.data and got[0].uid == early.uid and got[0].recorded_at == REC
    assert got[0].data.emergency is True and got[0].data.answers == (0,) * 8 + (1,)
    assert [q.id for q in repo.list_questionnaires(a, start=T0 + timedelta(hours=1))] == [late.id]
    assert [q.id for q in repo.list_questionnaires(a, end=T0 + timedelta(hours=5))] == [early.id]
    with pytest.raises(UnknownPatientError):
        repo.add_questionnaire(999, _q(1), recorded_at=REC)
    with pytest.raises(UnknownPatientError):
        repo.list_questionnaires(999)


def test_batch_questionnaires_skip_known_uids_and_roll_back_with_the_batch(repo: JournalRepository) -> None:
    pid = _patient(repo)
    kept = repo.add_questionnaire(pid, _q(1), recorded_at=REC)
    added = repo.add_batch(pid, entries=[ALL_KINDS[2]], recorded_at=REC,
                           questionnaires=[(kept.uid, _q(1)), (None, _q(2)), ("5f0c3d7e-1111-4222-8333-444455556666", _q(3))])
    assert added == 3  # one entry and two new questionnaires
    assert len(repo.list_questionnaires(pid)) == 3

    def boom() -> Iterator[EntryData]:
        yield ALL_KINDS[3]
        raise RuntimeError("the import failed half-way")

    with pytest.raises(RuntimeError):
        repo.add_batch(pid, entries=boom(), recorded_at=REC, questionnaires=[(None, _q(4))])
    assert len(repo.list_questionnaires(pid)) == 3 and repo.count_entries(pid) == 1


# -- pick-ups of pills (issue 15, refills; migration 0008) -------------------------------------------------


def test_pickups_round_trip_in_time_order_per_patient(repo: JournalRepository) -> None:
    from gabacare.journal.pickups import NewPickUp

    pid, other = _patient(repo), _patient(repo, "Bo")
    late = repo.add_pickup(pid, NewPickUp(T0 + timedelta(days=30), 300, 90), recorded_at=REC)
    early = repo.add_pickup(pid, NewPickUp(T0, 800, 45), recorded_at=REC, uid="11111111-1111-4111-8111-111111111111")
    repo.add_pickup(other, NewPickUp(T0, 100, 10), recorded_at=REC)
    got = repo.list_pickups(pid)
    assert [p.id for p in got] == [early.id, late.id]
    assert got[0].data == NewPickUp(T0, 800, 45) and got[0].uid == "11111111-1111-4111-8111-111111111111"
    assert (got[1].patient_id, got[1].recorded_at, len(got[1].uid)) == (pid, REC, 36)
    assert [p.data.count for p in repo.list_pickups(other)] == [10]


def test_a_pickup_uid_is_unique_per_patient_and_nothing_half_writes(repo: JournalRepository) -> None:
    from gabacare.journal.errors import JournalStorageError
    from gabacare.journal.pickups import NewPickUp

    pid = _patient(repo)
    uid = "22222222-2222-4222-8222-222222222222"
    repo.add_pickup(pid, NewPickUp(T0, 300, 90), recorded_at=REC, uid=uid)
    with pytest.raises(JournalStorageError):
        repo.add_pickup(pid, NewPickUp(T0, 400, 30), recorded_at=REC, uid=uid)
    assert [p.data.strength_mg for p in repo.list_pickups(pid)] == [300]


def test_pickups_of_an_unknown_patient_are_refused(repo: JournalRepository) -> None:
    from gabacare.journal.pickups import NewPickUp

    with pytest.raises(UnknownPatientError):
        repo.add_pickup(999, NewPickUp(T0, 300, 90), recorded_at=REC)
    with pytest.raises(UnknownPatientError):
        repo.list_pickups(999)


def test_add_batch_writes_pickups_once_and_all_or_nothing(repo: JournalRepository) -> None:
    from gabacare.journal.pickups import NewPickUp

    pid = _patient(repo)
    ups = [("33333333-3333-4333-8333-333333333333", NewPickUp(T0, 300, 90)), (None, NewPickUp(T0, 800, 30))]
    assert repo.add_batch(pid, entries=ALL_KINDS[:1], pickups=ups, recorded_at=REC) == 3
    assert [(p.data.strength_mg, p.data.count) for p in repo.list_pickups(pid)] == [(300, 90), (800, 30)]
    # again: the pick-up with a uid is present; one without a uid is new each time
    assert repo.add_batch(pid, pickups=ups[:1], recorded_at=REC) == 0

    def boom():
        yield ALL_KINDS[2]
        raise RuntimeError("the file broke off")

    with pytest.raises(RuntimeError):
        repo.add_batch(pid, entries=boom(), pickups=[(None, NewPickUp(T0, 100, 5))], recorded_at=REC)
    assert len(repo.list_pickups(pid)) == 2


def test_the_refill_lead_time_is_one_value_per_patient(repo: JournalRepository) -> None:
    pid, other = _patient(repo), _patient(repo, "Bo")
    assert repo.get_refill_lead_days(pid) is None
    repo.set_refill_lead_days(pid, 10)
    repo.set_refill_lead_days(pid, 14)
    assert (repo.get_refill_lead_days(pid), repo.get_refill_lead_days(other)) == (14, None)
    repo.set_refill_lead_days(pid, None)
    assert repo.get_refill_lead_days(pid) is None
    with pytest.raises(UnknownPatientError):
        repo.set_refill_lead_days(999, 7)
    with pytest.raises(UnknownPatientError):
        repo.get_refill_lead_days(999)


def _made_plan(start: date = date(2026, 3, 1)) -> NewPlan:
    from gabacare.journal.plan_record import PlanRecord

    record = PlanRecord(plan={"kind": "maintenance", "label": "300 mg BID", "days": [
        {"day": d + 1, "date": (start + timedelta(days=d)).isoformat(), "total_mg": 600, "doses": [
            {"time": t, "mg": 300, "units": [{"form": "capsule", "strength_mg": 300, "count": 1}]} for t in ("08:00", "20:00")]}
        for d in range(2)], "warnings": ["w1"], "citations": [{"source": "label", "section": "2.1", "text": "label §2.1",
                                                                "title": "Ünïcode ✓", "url": None}],
        "notice": "n", "target_mg": None, "cap_mg": 0.5}, kb_version="kb-0123456789ab",
        made_at=datetime(2026, 3, 2, 12, 0, 30, 123456))
    return NewPlan(kind="maintenance", spec=PlanSpec("regimen", start, regimen="300 mg BID"), label="300 mg BID",
                   start=start, end=start + timedelta(days=1), continues=True, doses=_plan(start).doses,
                   warnings=("w1",), made=record)


def test_plans_keep_their_record_as_made(repo: JournalRepository) -> None:
    pid = _patient(repo)
    stored = repo.add_plan(pid, _made_plan(), created_at=REC)
    bare = repo.add_plan(pid, _plan(date(2026, 3, 5)), created_at=REC)
    repo.add_batch(pid, plans=[_made_plan(date(2026, 3, 9))], entries=[], recorded_at=REC)

    plans = repo.list_plans(pid)

    assert [p.id for p in plans][:2] == [stored.id, bare.id] and len(plans) == 3
    assert plans[0].plan == _made_plan() and plans[0].plan.made == _made_plan().made  # exactly, to the microsecond
    assert plans[1].plan.made is None  # an adapter stores what it is given, and invents nothing
    assert plans[2].plan.made == _made_plan(date(2026, 3, 9)).made


def test_reads_inside_a_snapshot_answer_as_outside_it(repo: JournalRepository) -> None:
    """A read snapshot changes how reads are served (one transaction), never what they answer; it nests,
    and the repository reads as before after it ends, even when it ends with an error."""
    pid = _patient(repo)
    repo.add_plan(pid, _plan(), created_at=REC)
    repo.add_batch(pid, plans=[], entries=ALL_KINDS, recorded_at=REC)
    outside = (repo.get_patient(pid), repo.list_plans(pid), repo.list_entries(pid))

    with repo.snapshot():
        with repo.snapshot():  # nested: the outer one serves
            inner = repo.list_entries(pid)
        inside = (repo.get_patient(pid), repo.list_plans(pid), repo.list_entries(pid))
        with pytest.raises(UnknownPatientError):
            repo.get_patient(pid + 1000)

    assert inside == outside and inner == outside[2]
    with pytest.raises(UnknownPatientError), repo.snapshot():
        repo.list_plans(pid + 1000)
    assert repo.list_entries(pid) == outside[2]
    later = repo.add_entry(pid, EntryData("note", T0 + timedelta(days=1), text="after"), recorded_at=REC)
    assert repo.list_entries(pid)[-1] == later  # a write after the snapshot is seen by the next read
