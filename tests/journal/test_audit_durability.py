"""How durable an audit row is when its request answers (``journal.settings.AUDIT_DURABILITIES``).

"process" (the default): the audit transaction commits without waiting for the disk - SQLite
``synchronous=NORMAL`` (WAL), PostgreSQL ``synchronous_commit=off`` - and every other write keeps
the full setting, on the same pooled connection. "full": the audit rows wait for the disk too. What
each transaction ran under is read inside it, from the database itself. (That a killed server loses
no answered read's row is tests/web/test_audit_burst.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from gabacare.accounts.model import NewAuditEntry, NewUser
from gabacare.accounts.sql import SqlAccountRepository
from gabacare.journal.db import make_engine

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC).replace(tzinfo=None)


def _watch(engine: Engine, probe: str) -> list[tuple[str, str]]:
    """(table written, the durability setting read inside that same transaction) per INSERT."""
    seen: list[tuple[str, str]] = []

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.startswith("INSERT INTO"):
            table = statement.split()[2].strip('"')
            raw = cursor.connection
            probe_cursor = raw.cursor()
            probe_cursor.execute(probe)
            seen.append((table, str(probe_cursor.fetchone()[0])))
            probe_cursor.close()

    return seen


def _write_user_then_audit_then_user(accounts: SqlAccountRepository) -> None:
    accounts.add_user(NewUser("ada@example.org", "Ada", "patient", "$argon2id$hash"), created_at=NOW)
    accounts.append_audits([NewAuditEntry(NOW, "user", 1, "read", None, "entry", None)])
    accounts.add_user(NewUser("bob@example.org", "Bob", "patient", "$argon2id$hash"), created_at=NOW)


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()


# SQLite's levels: 1 = NORMAL, 2 = FULL.
@pytest.mark.parametrize(("durability", "audit_level"), [("process", "1"), ("full", "2")])
def test_sqlite_audit_rows_alone_skip_the_fsync(sqlite_engine: Engine, durability: str, audit_level: str) -> None:
    seen = _watch(sqlite_engine, "PRAGMA synchronous")
    _write_user_then_audit_then_user(SqlAccountRepository(sqlite_engine, audit_durability=durability))
    assert seen == [("users", "2"), ("audit_log", audit_level), ("users", "2")]


@pytest.mark.postgres
@pytest.mark.parametrize(("durability", "audit_setting"), [("process", "off"), ("full", "on")])
def test_postgresql_audit_rows_alone_commit_asynchronously(pg_url: str, durability: str, audit_setting: str) -> None:
    engine = make_engine(pg_url)
    try:
        seen = _watch(engine, "SHOW synchronous_commit")
        _write_user_then_audit_then_user(SqlAccountRepository(engine, audit_durability=durability))
    finally:
        engine.dispose()
    assert seen == [("users", "on"), ("audit_log", audit_setting), ("users", "on")]


def test_the_default_is_process_and_a_bad_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    from gabacare.composition import audit_durability
    from gabacare.errors import StorageError

    monkeypatch.delenv("GABACARE_AUDIT_DURABILITY", raising=False)
    assert audit_durability() == "process"
    monkeypatch.setenv("GABACARE_AUDIT_DURABILITY", " FULL ")
    assert audit_durability() == "full"
    monkeypatch.setenv("GABACARE_AUDIT_DURABILITY", "sometimes")
    with pytest.raises(StorageError, match="GABACARE_AUDIT_DURABILITY must be process or full"):
        audit_durability()


def test_a_mistyped_durability_is_a_programming_error(sqlite_engine: Engine) -> None:
    with pytest.raises(ValueError, match="audit durability"):
        SqlAccountRepository(sqlite_engine, audit_durability="fast")
