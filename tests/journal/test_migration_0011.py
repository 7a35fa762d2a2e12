"""Migration 0011 (sharing with another account): a database at 0010 keeps its patients and accounts,
gains ``patient_members`` (one row per pair, the role checked), and goes back to 0010 losing only the
shares."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from gabacare.journal.db import HEAD_REVISION, migrate

from .test_migrations import _alembic, empty_engine

__all__ = ["empty_engine"]  # the fixture (SQLite and PostgreSQL), re-used

T0 = datetime(2026, 3, 1, 8, 0)


def _people(engine: Engine) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    with engine.connect() as conn:
        users = [tuple(r) for r in conn.execute(text("SELECT id, email FROM users ORDER BY id"))]
        patients = [tuple(r) for r in conn.execute(text("SELECT id, name, owner_user_id FROM patients ORDER BY id"))]
    return users, patients


def _member(engine: Engine, patient_id: int, user_id: int, role: str) -> None:
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO patient_members (patient_id, user_id, role, created_at, created_by) "
                          "VALUES (:p, :u, :r, :t, 1)"), {"p": patient_id, "u": user_id, "r": role, "t": T0})


def test_0010_rows_survive_0011_and_back(empty_engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from gabacare.journal.orm import Base

    _alembic(empty_engine, "upgrade", "0010")
    with empty_engine.begin() as conn:
        for uid, email in ((1, "ada@example.org"), (2, "bo@example.org")):
            conn.execute(text("INSERT INTO users (id, email, display_name, role, password_hash, created_at, disabled) "
                              "VALUES (:i, :e, 'X', 'patient', '$h', :t, :d)"), {"i": uid, "e": email, "t": T0, "d": False})
        conn.execute(text("INSERT INTO patients (id, name, created_at, owner_user_id) VALUES (1, 'Ann', :t, 1)"),
                     {"t": T0})
    before = _people(empty_engine)

    migrate(empty_engine)

    assert HEAD_REVISION >= "0011" and _people(empty_engine) == before
    with empty_engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    _member(empty_engine, 1, 2, "viewer")
    with pytest.raises(IntegrityError):  # one row per (patient, account)
        _member(empty_engine, 1, 2, "logger")
    with pytest.raises(IntegrityError):  # the role is checked
        _member(empty_engine, 1, 1, "owner")

    _alembic(empty_engine, "downgrade", "0010")

    assert _people(empty_engine) == before
    with empty_engine.connect() as conn:
        names = {r[0] for r in conn.execute(text(
            "SELECT name FROM sqlite_master WHERE type = 'table'" if empty_engine.dialect.name == "sqlite"
            else "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))}
    assert "patient_members" not in names and "patients" in names
    migrate(empty_engine)
    assert _people(empty_engine) == before
