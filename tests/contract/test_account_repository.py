"""One contract for every account repository: in-memory, SQLite and PostgreSQL must behave the same."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest

from gabacare.accounts.memory import InMemoryAccountRepository
from gabacare.accounts.model import EmailTakenError, NewAuditEntry, NewUser, PatientMember, Session
from gabacare.accounts.repository import AccountRepository
from gabacare.journal.errors import UnknownPatientError
from gabacare.journal.memory import InMemoryJournalRepository
from gabacare.journal.model import NewPatient
from gabacare.journal.repository import JournalRepository

T0 = datetime(2026, 3, 1, 8, 0)
HASH_A = "a" * 64
HASH_B = "b" * 64


@dataclass
class Store:
    journal: JournalRepository
    accounts: AccountRepository


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    if request.param == "memory":
        mem = InMemoryJournalRepository()
        yield Store(mem, InMemoryAccountRepository(mem))
        return
    from gabacare.accounts.sql import SqlAccountRepository
    from gabacare.journal.db import make_engine
    from gabacare.journal.sql import SqlJournalRepository

    engine = make_engine(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url"))
    yield Store(SqlJournalRepository(engine), SqlAccountRepository(engine))
    engine.dispose()


def _user(store: Store, email: str = "ada@example.org") -> int:
    return store.accounts.add_user(NewUser(email, "Ada", "patient", "$argon2id$hash"), created_at=T0).id


def test_users_round_trip_and_emails_are_unique(store: Store) -> None:
    a = store.accounts
    u = a.add_user(NewUser("ada@example.org", "Ada L.", "clinician", "$argon2id$x"), created_at=T0)
    assert (u.email, u.display_name, u.role, u.created_at, u.disabled) == ("ada@example.org", "Ada L.", "clinician",
                                                                          T0, False)
    assert a.get_user(u.id) == u
    assert a.find_user("ada@example.org") == (u, "$argon2id$x")
    assert a.find_user("bo@example.org") is None
    assert a.get_user(999) is None
    with pytest.raises(EmailTakenError):
        a.add_user(NewUser("ada@example.org", "Other", "patient", "$h"), created_at=T0)
    a.set_password_hash(u.id, "$argon2id$y")
    a.set_disabled(u.id, True)
    found = a.find_user("ada@example.org")
    assert found is not None and found[1] == "$argon2id$y" and found[0].disabled


def test_sessions_are_stored_by_hash_and_revoked_once(store: Store) -> None:
    a = store.accounts
    uid = _user(store)
    a.add_session(Session(HASH_A, uid, T0, T0 + timedelta(hours=1)))
    a.add_session(Session(HASH_B, uid, T0, T0 + timedelta(hours=2)))
    assert a.get_session(HASH_A) == Session(HASH_A, uid, T0, T0 + timedelta(hours=1))
    assert a.get_session("c" * 64) is None
    a.revoke_session(HASH_A, at=T0 + timedelta(minutes=5))
    a.revoke_session(HASH_A, at=T0 + timedelta(minutes=9))  # the first revocation time stays
    got = a.get_session(HASH_A)
    assert got is not None and got.revoked_at == T0 + timedelta(minutes=5)
    assert a.revoke_sessions_of(uid, at=T0 + timedelta(minutes=10)) == 1
    got_b = a.get_session(HASH_B)
    assert got_b is not None and got_b.revoked_at == T0 + timedelta(minutes=10)


def test_api_tokens_round_trip_touch_and_revoke(store: Store) -> None:
    a = store.accounts
    uid, other = _user(store), _user(store, "bo@example.org")
    t1 = a.add_token(uid, "backup", HASH_A, created_at=T0)
    t2 = a.add_token(uid, "phone", HASH_B, created_at=T0)
    a.add_token(other, "theirs", "c" * 64, created_at=T0)
    assert (t1.name, t1.user_id, t1.last_used_at, t1.revoked_at, t1.active) == ("backup", uid, None, None, True)
    assert a.find_token(HASH_A) == t1
    assert a.get_token(t2.id) == t2
    assert a.find_token("d" * 64) is None and a.get_token(999) is None
    assert [t.id for t in a.list_tokens(uid)] == [t1.id, t2.id]
    a.touch_token(t1.id, at=T0 + timedelta(hours=1))
    a.revoke_token(t1.id, at=T0 + timedelta(hours=2))
    a.revoke_token(t1.id, at=T0 + timedelta(hours=3))
    got = a.get_token(t1.id)
    assert got is not None
    assert (got.last_used_at, got.revoked_at, got.active) == (T0 + timedelta(hours=1), T0 + timedelta(hours=2), False)


def test_ownership_scopes_patients_and_claims_are_first_come(store: Store) -> None:
    a = store.accounts
    uid, other = _user(store), _user(store, "bo@example.org")
    local = store.journal.add_patient(NewPatient("Local"), created_at=T0)
    mine = a.add_owned_patient(uid, NewPatient("Mine", date(1970, 1, 2), "female", 60.0), created_at=T0)
    assert store.journal.get_patient(mine.id) == mine  # the journal sees owned patients as usual
    assert a.patient_owner(local.id) is None
    assert a.patient_owner(mine.id) == uid
    assert [p.id for p in a.list_patients_of(uid)] == [mine.id]
    assert a.list_patients_of(other) == []
    assert a.claim_patient(local.id, other) == other
    assert a.claim_patient(local.id, uid) == other  # already owned: the first owner stays
    assert [p.name for p in a.list_patients_of(other)] == ["Local"]
    with pytest.raises(UnknownPatientError):
        a.patient_owner(999)
    with pytest.raises(UnknownPatientError):
        a.claim_patient(999, uid)


def test_share_links_round_trip_and_revoke(store: Store) -> None:
    a = store.accounts
    uid = _user(store)
    pid = a.add_owned_patient(uid, NewPatient("P"), created_at=T0).id
    link = a.add_share_link(pid, created_by=uid, token_hash=HASH_A, created_at=T0, expires_at=T0 + timedelta(days=1))
    assert (link.patient_id, link.created_by, link.expires_at, link.revoked_at) == (pid, uid, T0 + timedelta(days=1),
                                                                                    None)
    assert a.find_share_link(HASH_A) == link
    assert a.get_share_link(link.id) == link
    assert a.find_share_link(HASH_B) is None and a.get_share_link(999) is None
    a.revoke_share_link(link.id, at=T0 + timedelta(hours=1))
    a.revoke_share_link(link.id, at=T0 + timedelta(hours=2))
    assert [s.revoked_at for s in a.list_share_links(pid)] == [T0 + timedelta(hours=1)]
    with pytest.raises(UnknownPatientError):
        a.add_share_link(999, created_by=uid, token_hash=HASH_B, created_at=T0, expires_at=T0)


def test_several_audit_rows_are_appended_together_in_order(store: Store) -> None:
    # The group commit (accounts/audit_writer.py) writes concurrent requests' rows through this.
    a = store.accounts
    uid = _user(store)
    pid = a.add_owned_patient(uid, NewPatient("P"), created_at=T0).id
    first = a.append_audit(NewAuditEntry(T0, "user", uid, "read", pid, "entry", None))
    batch = [NewAuditEntry(T0 + timedelta(minutes=i), "user", uid, "read", pid, "entry", i) for i in range(5)]
    stored = a.append_audits(batch)
    assert [e.resource_id for e in stored] == [0, 1, 2, 3, 4]
    assert all(s.id > first.id for s in stored) and [s.id for s in stored] == sorted(s.id for s in stored)
    assert a.list_audit(pid) == [first, *stored]
    assert a.append_audits([]) == []


def test_audit_is_append_only_and_per_patient(store: Store) -> None:
    a = store.accounts
    uid = _user(store)
    p1 = a.add_owned_patient(uid, NewPatient("P1"), created_at=T0).id
    p2 = a.add_owned_patient(uid, NewPatient("P2"), created_at=T0).id
    e1 = a.append_audit(NewAuditEntry(T0, "user", uid, "read", p1, "entry", None))
    a.append_audit(NewAuditEntry(T0, "cli", None, "create", p2, "patient", p2))
    e3 = a.append_audit(NewAuditEntry(T0 + timedelta(1), "share", 7, "export", p1, "report", 3))
    a.append_audit(NewAuditEntry(T0, "token", 4, "create", None, "api_token", 4))
    assert e1.id < e3.id
    assert a.list_audit(p1) == [e1, e3]
    assert (e3.at, e3.actor_kind, e3.actor_id, e3.action, e3.patient_id, e3.resource_kind, e3.resource_id) == (
        T0 + timedelta(1), "share", 7, "export", p1, "report", 3)
    assert [e.action for e in a.list_audit(p2)] == ["create"]
    assert a.list_audit(999) == []


def test_members_round_trip_one_row_per_pair_and_remove(store: Store) -> None:
    a = store.accounts
    owner, bo, cy = _user(store), _user(store, "bo@example.org"), _user(store, "cy@example.org")
    p1 = a.add_owned_patient(owner, NewPatient("P1"), created_at=T0).id
    p2 = a.add_owned_patient(owner, NewPatient("P2"), created_at=T0).id
    m = a.add_member(PatientMember(p2, bo, "viewer", T0, owner))
    assert (m.patient_id, m.user_id, m.role, m.created_at, m.created_by) == (p2, bo, "viewer", T0, owner)
    a.add_member(PatientMember(p1, cy, "logger", T0 + timedelta(hours=1), owner))
    a.add_member(PatientMember(p1, bo, "viewer", T0 + timedelta(hours=2), owner))
    assert a.member_role(p2, bo) == "viewer" and a.member_role(p1, cy) == "logger" and a.member_role(p2, cy) is None
    assert a.member_role(p1, owner) is None  # owning is not a membership
    assert [(x.user_id, x.role) for x in a.list_members(p1)] == [(cy, "logger"), (bo, "viewer")]
    assert [(p.id, p.name, role) for p, role in a.list_shared_with(bo)] == [(p1, "P1", "viewer"), (p2, "P2", "viewer")]
    assert a.list_shared_with(owner) == [] and a.list_patients_of(bo) == []  # shared is not owned
    changed = a.add_member(PatientMember(p1, bo, "logger", T0 + timedelta(hours=3), owner))  # a new role, same row
    assert changed.role == "logger" and a.member_role(p1, bo) == "logger"
    assert [x.user_id for x in a.list_members(p1)] == [cy, bo]
    assert a.remove_member(p1, bo) is True
    assert a.remove_member(p1, bo) is False
    assert a.member_role(p1, bo) is None and [p.id for p, _ in a.list_shared_with(bo)] == [p2]
    with pytest.raises(UnknownPatientError):
        a.add_member(PatientMember(999, bo, "viewer", T0, owner))


def test_deleting_a_patient_or_an_account_removes_its_memberships(store: Store) -> None:
    a = store.accounts
    owner, bo, cy = _user(store), _user(store, "bo@example.org"), _user(store, "cy@example.org")
    p1 = a.add_owned_patient(owner, NewPatient("P1"), created_at=T0).id
    p2 = a.add_owned_patient(owner, NewPatient("P2"), created_at=T0).id
    theirs = a.add_owned_patient(cy, NewPatient("Cy's"), created_at=T0).id
    for pid in (p1, p2):
        a.add_member(PatientMember(pid, bo, "logger", T0, owner))
    a.add_member(PatientMember(theirs, bo, "viewer", T0, cy))
    a.delete_patient(p1)
    assert a.list_members(p1) == [] and [p.id for p, _ in a.list_shared_with(bo)] == [p2, theirs]
    a.delete_user(bo)  # a member's account goes: its memberships go, the patients stay
    assert a.list_members(p2) == [] and a.list_members(theirs) == []
    assert store.journal.get_patient(theirs).name == "Cy's"
    dee = _user(store, "dee@example.org")
    a.add_member(PatientMember(theirs, dee, "viewer", T0, cy))
    a.delete_user(cy)  # the owner's account goes: its patients and their memberships go
    assert a.list_shared_with(dee) == []
