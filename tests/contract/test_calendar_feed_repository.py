"""Calendar feeds on every account adapter (in memory, SQLite, PostgreSQL): store, rotate, revoke, audit words."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gabacare.accounts.model import NewAuditEntry
from gabacare.journal.errors import UnknownPatientError
from gabacare.journal.model import NewPatient

from .test_account_repository import HASH_A, HASH_B, T0, Store, _user, store

__all__ = ["store"]  # the parametrised fixture, re-used


def test_a_new_feed_revokes_the_live_one_in_the_same_step(store: Store) -> None:
    a = store.accounts
    uid = _user(store)
    pid = a.add_owned_patient(uid, NewPatient("P"), created_at=T0).id
    assert a.live_calendar_feed(pid) is None
    first = a.add_calendar_feed(pid, created_by=uid, token_hash=HASH_A, created_at=T0)
    assert (first.patient_id, first.created_by, first.active, first.revoked_at) == (pid, uid, True, None)
    assert a.find_calendar_feed(HASH_A) == first and a.live_calendar_feed(pid) == first
    later = T0 + timedelta(hours=1)
    second = a.add_calendar_feed(pid, created_by=uid, token_hash=HASH_B, created_at=later)
    assert second.id != first.id and a.live_calendar_feed(pid) == second
    old = a.find_calendar_feed(HASH_A)
    assert old is not None and old.revoked_at == later and not old.active
    assert HASH_A not in repr(old)  # the hash stays out of reprs


def test_revoking_stops_the_live_feed_and_reports_its_id(store: Store) -> None:
    a = store.accounts
    uid = _user(store)
    pid = a.add_owned_patient(uid, NewPatient("P"), created_at=T0).id
    assert a.revoke_calendar_feeds(pid, at=T0) == []
    feed = a.add_calendar_feed(pid, created_by=uid, token_hash=HASH_A, created_at=T0)
    assert a.revoke_calendar_feeds(pid, at=T0 + timedelta(minutes=5)) == [feed.id]
    assert a.live_calendar_feed(pid) is None
    assert a.revoke_calendar_feeds(pid, at=T0 + timedelta(minutes=9)) == []  # the first revocation time stays
    found = a.find_calendar_feed(HASH_A)
    assert found is not None and found.revoked_at == T0 + timedelta(minutes=5)
    assert a.find_calendar_feed("c" * 64) is None


def test_a_feed_for_an_unknown_patient_is_refused(store: Store) -> None:
    uid = _user(store)
    with pytest.raises(UnknownPatientError):
        store.accounts.add_calendar_feed(999_999, created_by=uid, token_hash=HASH_A, created_at=T0)


def test_the_audit_log_takes_the_feed_words(store: Store) -> None:
    a = store.accounts
    uid = _user(store)
    pid = a.add_owned_patient(uid, NewPatient("P"), created_at=T0).id
    a.append_audit(NewAuditEntry(T0, "feed", 3, "read", pid, "plan", None))
    a.append_audit(NewAuditEntry(T0, "user", uid, "share", pid, "calendar_feed", 3))
    assert [(e.actor_kind, e.resource_kind) for e in a.list_audit(pid)] == [("feed", "plan"), ("user", "calendar_feed")]
