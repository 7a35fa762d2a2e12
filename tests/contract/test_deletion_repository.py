"""Deleting a patient or an account on every account adapter (in memory, SQLite, PostgreSQL): every row
of the patient goes in one step, the audit log's rows stay, and nobody else's rows are touched.

On the SQL adapters the check reads the tables themselves, and a table test makes sure every table of
the schema is either checked here or declared free of patient rows, so a new table cannot be forgotten.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import text

from gabacare.accounts.model import NewAuditEntry, PatientMember, Session
from gabacare.journal.errors import UnknownPatientError
from gabacare.journal.model import NewPatient
from gabacare.journal.orm import Base
from gabacare.journal.pickups import NewPickUp

from .test_account_repository import HASH_A, HASH_B, T0, Store, _user, store
from .test_journal_repository import ALL_KINDS, REC, _plan, _q

__all__ = ["store"]  # the parametrised fixture, re-used

#: How to count one patient's rows in each table that can hold them (``:p`` the patient id; entry and
#: plan ids are remembered before the deletion, since their parent rows are gone after it).
PATIENT_ROWS = {
    "patients": "SELECT count(*) FROM patients WHERE id = :p",
    "entries": "SELECT count(*) FROM entries WHERE patient_id = :p",
    "entry_revisions": "SELECT count(*) FROM entry_revisions WHERE entry_id IN ({entries})",
    "plans": "SELECT count(*) FROM plans WHERE patient_id = :p",
    "plan_doses": "SELECT count(*) FROM plan_doses WHERE plan_id IN ({plans})",
    "questionnaires": "SELECT count(*) FROM questionnaires WHERE patient_id = :p",
    "share_links": "SELECT count(*) FROM share_links WHERE patient_id = :p",
    "calendar_feeds": "SELECT count(*) FROM calendar_feeds WHERE patient_id = :p",
    "pickups": "SELECT count(*) FROM pickups WHERE patient_id = :p",
    "supply_settings": "SELECT count(*) FROM supply_settings WHERE patient_id = :p",
    "patient_members": "SELECT count(*) FROM patient_members WHERE patient_id = :p",
}
#: Tables with no patient rows: accounts (checked by the account test), the web tier's keyed digests,
#: Alembic's bookkeeping, and the audit log, which keeps its rows on purpose (ids and words, no contents).
NO_PATIENT_ROWS = {"users", "sessions", "api_tokens", "web_signin_failures", "web_seen_jti", "web_cds_feedback",
                   "audit_log"}


@dataclass
class Filled:
    user_id: int
    patient_id: int
    entry_ids: list[int]
    plan_ids: list[int]


def _fill(store: Store, email: str, name: str, hashes: tuple[str, str]) -> Filled:
    """An account with one patient who has a row in every patient table (an entry with a revision too)."""
    a, j = store.accounts, store.journal
    uid = _user(store, email)
    pid = a.add_owned_patient(uid, NewPatient(name), created_at=REC).id
    entries = [j.add_entry(pid, data, recorded_at=REC) for data in ALL_KINDS]
    j.update_entry(pid, entries[0].id, ALL_KINDS[0], recorded_at=REC + timedelta(minutes=1))  # a revision
    plan = j.add_plan(pid, _plan(), created_at=REC)
    j.add_questionnaire(pid, _q(1), recorded_at=REC)
    j.add_pickup(pid, NewPickUp(T0, 300, 90), recorded_at=REC)
    j.set_refill_lead_days(pid, 10)
    a.add_share_link(pid, created_by=uid, token_hash=hashes[0], created_at=T0, expires_at=T0 + timedelta(days=1))
    a.add_calendar_feed(pid, created_by=uid, token_hash=hashes[1], created_at=T0)
    a.add_member(PatientMember(pid, _user(store, f"member.{email}"), "logger", T0, uid))  # shared with another account
    a.append_audit(NewAuditEntry(T0, "user", uid, "create", pid, "patient", pid))
    return Filled(uid, pid, [e.id for e in entries], [plan.id])


def _sql_counts(store: Store, f: Filled) -> dict[str, int] | None:
    """The patient's rows per table on a SQL adapter (None for the in-memory one)."""
    engine = getattr(store.accounts, "engine", None)
    if engine is None:
        return None
    ids = {"entries": ",".join(map(str, f.entry_ids)) or "0", "plans": ",".join(map(str, f.plan_ids)) or "0"}
    with engine.connect() as conn:
        return {table: int(conn.execute(text(sql.format(**ids)), {"p": f.patient_id}).scalar_one())
                for table, sql in PATIENT_ROWS.items()}


def _audit_rows(store: Store, patient_id: int) -> int:
    return len(store.accounts.list_audit(patient_id))


def test_every_table_is_either_checked_or_declared_free_of_patient_rows() -> None:
    tables = set(Base.metadata.tables)
    assert tables == set(PATIENT_ROWS) | NO_PATIENT_ROWS, "a new table: say whether deletion must empty it"
    assert not set(PATIENT_ROWS) & NO_PATIENT_ROWS


def test_deleting_a_patient_removes_every_row_but_keeps_the_audit(store: Store) -> None:
    gone = _fill(store, "ada@example.org", "Ada", (HASH_A, HASH_B))
    kept = _fill(store, "bo@example.org", "Bo", ("c" * 64, "d" * 64))
    before = _sql_counts(store, gone)
    assert before is None or all(n > 0 for n in before.values()), before
    audit_before = _audit_rows(store, gone.patient_id)

    store.accounts.delete_patient(gone.patient_id)

    after = _sql_counts(store, gone)
    assert after is None or set(after.values()) == {0}, after
    with pytest.raises(UnknownPatientError):
        store.journal.get_patient(gone.patient_id)
    assert store.accounts.list_patients_of(gone.user_id) == []
    assert store.accounts.find_share_link(HASH_A) is None and store.accounts.find_calendar_feed(HASH_B) is None
    assert _audit_rows(store, gone.patient_id) == audit_before  # the record of who did what stays
    assert store.accounts.get_user(gone.user_id) is not None  # the account itself is not touched
    # the other patient keeps everything
    assert len(store.journal.list_entries(kept.patient_id)) == len(ALL_KINDS)
    assert len(store.journal.entry_history(kept.patient_id, kept.entry_ids[0])) == 2
    assert [p.id for p in store.journal.list_plans(kept.patient_id)] == kept.plan_ids
    assert len(store.journal.list_questionnaires(kept.patient_id)) == 1
    assert len(store.journal.list_pickups(kept.patient_id)) == 1
    assert store.journal.get_refill_lead_days(kept.patient_id) == 10
    assert len(store.accounts.list_share_links(kept.patient_id)) == 1
    assert store.accounts.live_calendar_feed(kept.patient_id) is not None
    counts = _sql_counts(store, kept)
    assert counts is None or all(n > 0 for n in counts.values()), counts


def test_deleting_an_unknown_patient_is_refused(store: Store) -> None:
    with pytest.raises(UnknownPatientError):
        store.accounts.delete_patient(999_999)


def test_deleting_a_user_removes_its_patients_access_and_row_but_keeps_the_audit(store: Store) -> None:
    a = store.accounts
    gone = _fill(store, "ada@example.org", "Ada", (HASH_A, HASH_B))
    kept = _fill(store, "bo@example.org", "Bo", ("c" * 64, "d" * 64))
    a.add_session(Session("e" * 64, gone.user_id, T0, T0 + timedelta(hours=1)))
    a.add_session(Session("f" * 64, kept.user_id, T0, T0 + timedelta(hours=1)))
    token = a.add_token(gone.user_id, "script", "1" * 64, created_at=T0)
    a.add_token(kept.user_id, "script", "2" * 64, created_at=T0)
    a.append_audit(NewAuditEntry(T0, "user", gone.user_id, "read", None, "api_token", token.id))
    audit_before = _audit_rows(store, gone.patient_id)

    a.delete_user(gone.user_id)

    assert a.get_user(gone.user_id) is None and a.find_user("ada@example.org") is None
    assert a.get_session("e" * 64) is None and a.find_token("1" * 64) is None and a.list_tokens(gone.user_id) == []
    assert a.find_share_link(HASH_A) is None and a.find_calendar_feed(HASH_B) is None
    with pytest.raises(UnknownPatientError):
        store.journal.get_patient(gone.patient_id)
    after = _sql_counts(store, gone)
    assert after is None or set(after.values()) == {0}, after
    assert _audit_rows(store, gone.patient_id) == audit_before
    # the other account keeps everything
    assert a.get_user(kept.user_id) is not None and a.get_session("f" * 64) is not None
    assert a.find_token("2" * 64) is not None and [p.id for p in a.list_patients_of(kept.user_id)] == [kept.patient_id]
    assert len(store.journal.list_entries(kept.patient_id)) == len(ALL_KINDS)
    a.delete_user(gone.user_id)  # an unknown (already deleted) account: nothing happens


def test_the_audit_log_takes_the_account_word(store: Store) -> None:
    uid = _user(store)
    store.accounts.append_audit(NewAuditEntry(T0, "user", uid, "delete", None, "account", uid))
