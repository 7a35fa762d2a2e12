"""How durable an audit row is when its request answers (``journal.settings.AUDIT_DURABILITIES``).

"process" (the default): the audit transaction commits without waiting for the disk - SQLite
``synchronous=NORMAL`` (WAL) on the same pooled connection, PostgreSQL ``synchronous_commit=off`` on
the audit rows' own autocommit connections - and every other write keeps the full setting. "full":
the audit rows wait for the disk too. What each transaction ran under is read inside it, from the
database itself. (That a killed server loses no answered read's row is tests/web/test_audit_burst.py.)"""

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


def _watch(probe: str, *engines: Engine) -> list[tuple[str, str]]:
    """(table written, the durability setting read inside that same transaction) per INSERT, on any of
    ``engines``, in the order written."""
    seen: list[tuple[str, str]] = []

    def _after(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.startswith("INSERT INTO"):
            table = statement.split()[2].strip('"')
            raw = cursor.connection
            probe_cursor = raw.cursor()
            probe_cursor.execute(probe)
            seen.append((table, str(probe_cursor.fetchone()[0])))
            probe_cursor.close()

    for engine in engines:
        event.listen(engine, "after_cursor_execute", _after)
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
    accounts = SqlAccountRepository(sqlite_engine, audit_durability=durability)
    seen = _watch("PRAGMA synchronous", sqlite_engine)  # (its audit engine is this one, with an option)
    _write_user_then_audit_then_user(accounts)
    assert seen == [("users", "2"), ("audit_log", audit_level), ("users", "2")]


@pytest.mark.postgres
@pytest.mark.parametrize(("durability", "audit_setting"), [("process", "off"), ("full", "on")])
def test_postgresql_audit_rows_alone_commit_asynchronously(pg_url: str, durability: str, audit_setting: str) -> None:
    accounts = SqlAccountRepository(make_engine(pg_url), audit_durability=durability)
    try:
        seen = _watch("SHOW synchronous_commit", accounts.engine, accounts.audit_engine)
        _write_user_then_audit_then_user(accounts)
    finally:
        accounts.close()
    assert seen == [("users", "on"), ("audit_log", audit_setting), ("users", "on")]


@pytest.mark.postgres
@pytest.mark.parametrize("durability", ["process", "full"])
def test_postgresql_audit_rows_are_one_statement_each_batch(pg_url: str, durability: str) -> None:
    """A batch of audit rows is one autocommitted INSERT (one round trip): no BEGIN, SET or COMMIT
    around it; and the audit connection's setting never reaches the journal's own connections."""
    accounts = SqlAccountRepository(make_engine(pg_url), audit_durability=durability)
    sent: list[str] = []
    try:
        accounts.append_audits([NewAuditEntry(NOW, "user", 1, "read", None, "entry", None)])  # connected
        event.listen(accounts.audit_engine, "before_cursor_execute",
                     lambda conn, cursor, statement, *rest: sent.append(statement.split()[0]))
        stored = accounts.append_audits([NewAuditEntry(NOW, "user", 1, "read", None, "entry", None)] * 3)
        assert [e.id for e in stored] == sorted({e.id for e in stored})  # three rows, their ids in order
        assert sent == ["INSERT"]
        with accounts.engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW synchronous_commit").scalar() == "on"
        with accounts.audit_engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW synchronous_commit").scalar() == (
                "off" if durability == "process" else "on")
    finally:
        accounts.close()


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
