"""The account port's sliding-session and reset-code methods, on every adapter (memory, SQLite, PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from gabacare.accounts.model import Session

from .test_account_repository import HASH_A, T0, Store, _user, store  # noqa: F401 - the fixture


def test_extend_session_moves_a_live_sessions_end_only(store: Store) -> None:  # noqa: F811
    uid = _user(store)
    store.accounts.add_session(Session(HASH_A, uid, T0, T0 + timedelta(days=30)))
    store.accounts.extend_session(HASH_A, T0 + timedelta(days=31))
    assert store.accounts.get_session(HASH_A).expires_at == T0 + timedelta(days=31)  # type: ignore[union-attr]
    store.accounts.revoke_session(HASH_A, at=T0 + timedelta(days=1))
    store.accounts.extend_session(HASH_A, T0 + timedelta(days=40))
    assert store.accounts.get_session(HASH_A).expires_at == T0 + timedelta(days=31)  # type: ignore[union-attr]
    store.accounts.extend_session("f" * 64, T0)  # unknown: nothing happens


def test_a_reset_code_is_taken_once_and_not_after_it_expires(store: Store) -> None:  # noqa: F811
    code, other = "r:" + "1" * 62, "r:" + "2" * 62
    store.accounts.add_reset_code(code, T0 + timedelta(minutes=30))
    store.accounts.add_reset_code(other, T0 + timedelta(minutes=30))
    assert not store.accounts.take_reset_code("r:" + "3" * 62, now=T0)
    assert store.accounts.take_reset_code(code, now=T0 + timedelta(minutes=29))
    assert not store.accounts.take_reset_code(code, now=T0 + timedelta(minutes=29))  # single use
    assert not store.accounts.take_reset_code(other, now=T0 + timedelta(minutes=30))  # expired
