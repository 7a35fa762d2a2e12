"""The Today page's reads (issue 14, item 7) give exactly what the ORM reads they replaced gave.

The SQL adapters read the plans, the day's entries, the patient check, the session with its account,
the switcher's patients and the audit write as Core rows through statements built once, instead of ORM
objects and a select built per call. The old definitions are copied here as they stood before the
change; on SQLite and PostgreSQL the new reads equal them (types included), and the defaults of the
account port (two reads) equal the adapter's single query.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields
from datetime import date, datetime, timedelta
from typing import Any, cast

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from gabacare.accounts.model import NewAuditEntry
from gabacare.accounts.model import Session as SignInSession
from gabacare.accounts.repository import AccountRepository
from gabacare.accounts.service import Accounts
from gabacare.accounts.sql import SqlAccountRepository
from gabacare.journal.errors import UnknownPatientError
from gabacare.journal.model import NewPlan, PlanSpec, ScheduledDose, StoredPlan
from gabacare.journal.orm import EntryRow, PlanDoseRow, PlanRow
from gabacare.journal.plan_record import PlanRecord
from gabacare.journal.services import Journal
from gabacare.journal.sql import SqlJournalRepository, _listed, _scheduled

NOW = datetime(2026, 3, 20, 9, 30)
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture
def repos(db_url: str) -> Iterator[tuple[SqlJournalRepository, SqlAccountRepository]]:
    from gabacare.journal.db import make_engine

    engine = make_engine(db_url)
    yield SqlJournalRepository(engine), SqlAccountRepository(engine)
    engine.dispose()


# -- the reads as they stood before (ORM objects, a select built per call) ------------------------------

def old_list_plans(repo: SqlJournalRepository, patient_id: int) -> list[StoredPlan]:
    import json

    with Session(repo.engine) as s, s.begin():
        rows = list(s.scalars(select(PlanRow).where(PlanRow.patient_id == patient_id).order_by(PlanRow.id)))
        doses: dict[int, list[ScheduledDose]] = {r.id: [] for r in rows}
        if rows:
            q = (select(PlanDoseRow.plan_id, PlanDoseRow.at, PlanDoseRow.mg)
                 .where(PlanDoseRow.plan_id.in_(list(doses)))
                 .order_by(PlanDoseRow.plan_id, PlanDoseRow.at, PlanDoseRow.id))
            for plan_id, at, mg in s.execute(q):
                doses[plan_id].append(ScheduledDose(at, mg))
        return [
            StoredPlan(r.id, patient_id, r.created_at, NewPlan(
                kind=cast(Any, r.kind), spec=PlanSpec.from_text(r.spec), label=r.label, start=r.start_date,
                end=r.end_date, continues=r.continues, doses=tuple(doses[r.id]),
                warnings=tuple(json.loads(r.warnings)),
                made=None if r.made is None else PlanRecord.from_text(r.made)))
            for r in rows
        ]


def old_list_entries(repo: SqlJournalRepository, patient_id: int, *, start: datetime | None = None,
                     end: datetime | None = None, kinds: list[str] | None = None) -> list[Any]:
    from gabacare.journal.sql import _LISTED

    t = EntryRow.__table__
    with Session(repo.engine) as s, s.begin():
        q = select(*(t.c[name] for name in _LISTED)).where(t.c.patient_id == patient_id, t.c.deleted_at.is_(None))
        if start is not None:
            q = q.where(t.c.at >= start)
        if end is not None:
            q = q.where(t.c.at < end)
        if kinds is not None:
            q = q.where(t.c.kind.in_(list(kinds)))
        q = q.order_by(t.c.at, t.c.id)
        return _listed(patient_id, s.connection().execute(q).all())


def same(a: object, b: object) -> None:
    """Equal, and of the same types field by field (a bool stays a bool, a float a float)."""
    assert a == b
    assert type(a) is type(b)
    if isinstance(a, list | tuple):
        for x, y in zip(a, cast(Any, b), strict=True):
            same(x, y)
    elif hasattr(a, "__dataclass_fields__") and not isinstance(a, PlanRecord):
        for f in fields(cast(Any, a)):
            same(getattr(a, f.name), getattr(b, f.name))


# -- journal ------------------------------------------------------------------------------------------

def test_plans_entries_and_the_patient_check_read_as_before(
        repos: tuple[SqlJournalRepository, SqlAccountRepository]) -> None:
    repo, _accounts = repos
    journal = Journal(repo, clock=lambda: NOW)
    pid = journal.add_patient("Ada", birth_date=date(1961, 3, 4), sex="female", weight_kg=70.0).id
    other = journal.add_patient("Bo").id
    assert repo.list_plans(pid) == [] == old_list_plans(repo, pid)
    journal.set_plan(pid, PlanSpec("titrate", NOW.date() - timedelta(days=20), indication="postherpetic-neuralgia",
                                   target_mg=1800))
    journal.set_plan(pid, PlanSpec("regimen", NOW.date() - timedelta(days=2), regimen="300 mg TID"))
    journal.set_plan(pid, PlanSpec.from_choice("taper", NOW.date(), from_regimen="300 mg TID"))
    journal.set_plan(other, PlanSpec("regimen", NOW.date(), regimen="300 mg TID"))  # same spec text, another patient
    for day in range(1, 4):
        slot = journal.today(pid, on=NOW.date() - timedelta(days=day)).doses[0].at
        journal.log_dose(pid, 300, at=slot, status="taken", slot=slot)
        journal.log_note(pid, f"day {day}", at=slot + timedelta(hours=1))
    journal.log_dose(pid, 100, at=NOW - timedelta(hours=1), status="taken", prn=True)

    for patient in (pid, other):
        new, old = repo.list_plans(patient), old_list_plans(repo, patient)
        assert new and len(new[-1].plan.doses) > 0
        same(new, old)
    lo, hi = NOW - timedelta(days=1), NOW + timedelta(days=1)
    for start, end, kinds in [(None, None, None), (lo, None, None), (None, hi, None), (lo, hi, None),
                              (None, None, ["dose"]), (lo, hi, ["dose", "note"]), (lo, hi, [])]:
        same(repo.list_entries(pid, start=start, end=end, kinds=cast(Any, kinds)),
             old_list_entries(repo, pid, start=start, end=end, kinds=kinds))
    with repo.snapshot():  # the patient check: a Core row, kept for the snapshot
        assert repo.get_patient(pid) == journal.get_patient(pid)
        for unknown in (other + 1000, 2**63, -1):
            with pytest.raises(UnknownPatientError):
                repo.list_plans(unknown)


def test_a_scheduled_dose_built_cheaply_is_the_dataclass() -> None:
    at = datetime(2026, 3, 20, 8, 0)
    same(_scheduled(at, 300.0), ScheduledDose(at, 300.0))
    assert hash(_scheduled(at, 300.0)) == hash(ScheduledDose(at, 300.0))
    with pytest.raises(AttributeError):  # still frozen
        _scheduled(at, 300.0).mg = 1.0  # type: ignore[misc]


# -- accounts -----------------------------------------------------------------------------------------

def test_the_session_with_its_account_and_the_switchers_patients_read_as_before(
        repos: tuple[SqlJournalRepository, SqlAccountRepository]) -> None:
    _journal, repo = repos
    accounts = Accounts(repo, password_hasher=FAST, clock=lambda: NOW)
    ana = accounts.sign_up("ana@example.org", "a long enough secret", "Ana")
    bo = accounts.sign_up("bo@example.org", "a long enough secret", "Bo")
    cy = accounts.sign_up("cy@example.org", "a long enough secret", "Cy")
    mine = [accounts.create_patient_for(ana, name).id for name in ("P1", "P2")]
    theirs = [accounts.create_patient_for(bo, name).id for name in ("Q1", "Q2", "Q3")]
    accounts.add_member(bo, theirs[2], "ana@example.org", "viewer")
    accounts.add_member(bo, theirs[0], "ana@example.org", "logger")
    for user in (ana, bo, cy):
        got = repo.list_patients_with_roles(user.id)
        assert got == AccountRepository.list_patients_with_roles(repo, user.id)
        assert all(type(role) is str for _p, role in got)
    assert [(p.id, role) for p, role in repo.list_patients_with_roles(ana.id)] == [
        (mine[0], "owner"), (mine[1], "owner"), (theirs[0], "logger"), (theirs[2], "viewer")]
    assert repo.list_patients_with_roles(cy.id) == []

    secret, session = accounts.start_session(ana)
    from gabacare.accounts.service import _digest

    digest = _digest(secret)
    for h in (digest, "0" * 64):
        same(repo.get_session_and_user(h), AccountRepository.get_session_and_user(repo, h))
    pair = repo.get_session_and_user(digest)
    assert pair is not None and isinstance(pair[0], SignInSession) and pair[0] == session and pair[1] == ana
    assert accounts.session_user(secret) == ana
    accounts.disable_user(ana)  # a disabled account: the session is revoked and the account refused
    assert accounts.session_user(secret) is None
    same(repo.get_session_and_user(digest), AccountRepository.get_session_and_user(repo, digest))


def test_audit_rows_written_in_one_insert_come_back_in_order(
        repos: tuple[SqlJournalRepository, SqlAccountRepository]) -> None:
    _journal, repo = repos
    entries = [NewAuditEntry(NOW, "user", 7, "read", 3, "entry", None),
               NewAuditEntry(NOW + timedelta(seconds=1), "share", 2, "export", 3, "report", 11),
               NewAuditEntry(NOW, "cli", None, "delete", None, "account", 9)]
    assert repo.append_audits([]) == []
    written = repo.append_audits(entries) + repo.append_audits(entries[:1])
    assert [w.id for w in written] == sorted(w.id for w in written) and len({w.id for w in written}) == 4
    for w, e in zip(written, [*entries, entries[0]], strict=True):
        assert (w.at, w.actor_kind, w.actor_id, w.action, w.patient_id, w.resource_kind, w.resource_id) == (
            e.at, e.actor_kind, e.actor_id, e.action, e.patient_id, e.resource_kind, e.resource_id)
    assert repo.list_audit(3) == [w for w in written if w.patient_id == 3]


def test_the_patient_row_is_read_once_per_snapshot(repos: tuple[SqlJournalRepository, SqlAccountRepository]) -> None:
    journal, accounts = repos
    from sqlalchemy import event

    pid = Journal(journal, clock=lambda: NOW).add_patient("Ada").id
    seen: list[str] = []
    event.listen(journal.engine, "before_cursor_execute",
                 lambda _c, _cur, statement, *_a: seen.append(statement) if "FROM patients" in statement else None)
    with journal.snapshot():
        assert accounts.patient_owner(pid) is None
        journal.get_patient(pid), journal.list_plans(pid), journal.list_entries(pid, kinds=["dose"])
    assert len(seen) == 1
    assert journal.get_patient(pid).name == "Ada"
