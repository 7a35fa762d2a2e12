"""Readers do not queue behind a writer on SQLite: reads begin a deferred transaction (WAL snapshot),
writes begin IMMEDIATE (one writer at a time, the next waits its busy timeout)."""

from __future__ import annotations

import sqlite3
import time
from datetime import datetime

import pytest

from gabacare.journal import settings
from gabacare.journal.db import make_engine, migrate
from gabacare.journal.errors import JournalStorageError
from gabacare.journal.model import NewPatient
from gabacare.journal.sql import SqlJournalRepository


@pytest.fixture
def repo_and_file(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "SQLITE_BUSY_TIMEOUT_MS", 300)
    path = tmp_path / "j.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    repo = SqlJournalRepository(engine)
    repo.add_patient(NewPatient("Reader Test"), created_at=datetime(2026, 1, 1))
    yield repo, path
    engine.dispose()


def test_reads_go_on_while_another_process_holds_the_write_lock(repo_and_file):
    repo, path = repo_and_file
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        started = time.monotonic()
        assert [p.name for p in repo.list_patients()] == ["Reader Test"]
        assert repo.count_entries(repo.list_patients()[0].id) == 0
        assert time.monotonic() - started < 0.25, "reads must not wait for the busy timeout"
        # A write, by contrast, waits its busy timeout and then reports the storage error.
        with pytest.raises(JournalStorageError):
            repo.add_patient(NewPatient("Blocked Writer"), created_at=datetime(2026, 1, 1))
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert len(repo.list_patients()) == 1, "the blocked write left nothing behind"
