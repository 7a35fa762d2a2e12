"""A SQLite journal's WAL is checkpointed once per ``CHECKPOINT_EVERY_COMMITS`` write transactions
(``journal.db._checkpoints_every``), not after every commit once it is large; reads never count."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from gabacare.journal import db as journal_db

ROW = b"x" * 8192  # two pages a row: a backfilled commit shows in the database file's size


def _engine(path: Path, monkeypatch: pytest.MonkeyPatch, every: int) -> Engine:
    monkeypatch.setattr(journal_db, "CHECKPOINT_EVERY_COMMITS", every)
    engine = journal_db.make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE blobs (b BLOB)"))
    return engine


def test_sqlites_own_automatic_checkpoint_is_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = _engine(tmp_path / "j.sqlite3", monkeypatch, 10)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()


def test_the_wal_reaches_the_database_file_at_every_nth_write_commit(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "j.sqlite3"
    engine = _engine(path, monkeypatch, 10)  # the CREATE TABLE was write commit 1
    for _ in range(8):  # commits 2-9: in the WAL only
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO blobs VALUES (:b)"), {"b": ROW})
    reader = engine.execution_options(gabacare_read_only=True)  # as the repositories read (journal/sql.py)
    for _ in range(20):  # read transactions commit too, and are not counted
        with reader.begin() as conn:
            conn.execute(text("SELECT count(*) FROM blobs")).scalar()
    before = path.stat().st_size
    assert before < 8 * len(ROW)
    with engine.begin() as conn:  # commit 10: checkpointed when its connection goes back to the pool
        conn.execute(text("INSERT INTO blobs VALUES (:b)"), {"b": ROW})
    assert path.stat().st_size >= 9 * len(ROW)
    with sqlite3.connect(path) as other:  # every row is there for another process
        assert other.execute("SELECT count(*) FROM blobs").fetchone() == (9,)
    engine.dispose()
