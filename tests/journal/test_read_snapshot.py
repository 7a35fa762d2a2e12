"""A page that only reads uses one transaction (``JournalRepository.snapshot``), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pytest
from sqlalchemy import event

from gabacare.accounts.sql import SqlAccountRepository
from gabacare.journal.model import EntryData, NewPatient
from gabacare.journal.sql import SqlJournalRepository

REC = datetime(2026, 3, 1, 9, 0)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def repos(request: pytest.FixtureRequest) -> Iterator[tuple[SqlJournalRepository, SqlAccountRepository, list[str]]]:
    from gabacare.journal.db import make_engine

    engine = make_engine(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url"))
    journal, accounts = SqlJournalRepository(engine), SqlAccountRepository(engine)
    begun: list[str] = []
    # Count the transactions the pool hands out (SQLAlchemy's "begin" event: one per transaction).
    event.listen(engine, "begin", lambda conn: begun.append("begin"))
    yield journal, accounts, begun
    journal.close()


def test_one_transaction_serves_every_read_of_both_repositories(
        repos: tuple[SqlJournalRepository, SqlAccountRepository, list[str]]) -> None:
    journal, accounts, begun = repos
    pid = journal.add_patient(NewPatient("Ada", date(1970, 5, 6), "female", 61.5), created_at=REC).id
    journal.add_entry(pid, EntryData("note", REC, text="x"), recorded_at=REC)

    begun.clear()
    journal.get_patient(pid), journal.list_plans(pid), journal.list_entries(pid), accounts.patient_owner(pid)
    assert len(begun) == 4  # without a snapshot, one transaction per read

    begun.clear()
    with journal.snapshot():
        journal.get_patient(pid), journal.list_plans(pid), journal.list_entries(pid), accounts.patient_owner(pid)
    assert len(begun) == 1


def test_a_write_inside_a_snapshot_still_commits(
        repos: tuple[SqlJournalRepository, SqlAccountRepository, list[str]]) -> None:
    """Writes never join the read snapshot: they commit in their own transaction (an audit row written
    while a page renders is kept)."""
    journal, _accounts, _begun = repos
    pid = journal.add_patient(NewPatient("Ada", None, None, None), created_at=REC).id
    with journal.snapshot():
        journal.get_patient(pid)
        written = journal.add_entry(pid, EntryData("note", REC, text="kept"), recorded_at=REC)
    assert journal.list_entries(pid) == [written]


def test_a_snapshot_reads_the_patient_row_once(
        repos: tuple[SqlJournalRepository, SqlAccountRepository, list[str]]) -> None:
    """Each read checks that the patient exists; inside one snapshot the row is read once and kept (the
    session's identity map alone holds rows weakly, so every check read it again: three more statements
    per Today view)."""
    journal, accounts, _begun = repos
    pid = journal.add_patient(NewPatient("Ada", date(1970, 5, 6), "female", 61.5), created_at=REC).id
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if "FROM patients" in statement:
            statements.append(statement)

    event.listen(journal.engine, "before_cursor_execute", count)
    with journal.snapshot():
        journal.get_patient(pid), journal.list_plans(pid), journal.list_entries(pid), accounts.patient_owner(pid)
    assert len(statements) == 1
    statements.clear()
    journal.get_patient(pid), journal.list_plans(pid)  # outside: each read checks in its own transaction
    assert len(statements) == 2


def test_the_reads_of_a_snapshot_see_one_state_of_the_journal(
        repos: tuple[SqlJournalRepository, SqlAccountRepository, list[str]]) -> None:
    """An entry another connection commits between two reads of one snapshot is not seen by the second
    (SQLite's WAL read transaction; PostgreSQL's REPEATABLE READ), and is seen once the snapshot ends."""
    journal, _accounts, _begun = repos
    pid = journal.add_patient(NewPatient("Ada", None, None, None), created_at=REC).id
    journal.add_entry(pid, EntryData("note", REC, text="first"), recorded_at=REC)
    other = SqlJournalRepository(journal.engine)  # the same database, its own connection for the write
    with journal.snapshot():
        assert [e.data.text for e in journal.list_entries(pid)] == ["first"]
        other.add_entry(pid, EntryData("note", REC, text="second"), recorded_at=REC)
        assert [e.data.text for e in journal.list_entries(pid)] == ["first"]
    assert sorted(e.data.text or "" for e in journal.list_entries(pid)) == ["first", "second"]
