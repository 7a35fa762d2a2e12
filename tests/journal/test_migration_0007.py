"""Migration 0007 (deletion): a database at 0006 keeps every audit row, takes the audit word ``account``
at head, and goes back to 0006 dropping only the rows that use it."""

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


def _audit(engine: Engine) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT actor_kind, action, resource_kind FROM audit_log ORDER BY id"))]


def _insert(engine: Engine, actor: str, action: str, kind: str) -> None:
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO audit_log (at, actor_kind, actor_id, action, patient_id, resource_kind, "
                          "resource_id) VALUES (:t, :a, 1, :x, 1, :k, 1)"), {"t": T0, "a": actor, "x": action, "k": kind})


def test_0006_audit_rows_survive_0007_and_back(empty_engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from gabacare.journal.orm import Base

    _alembic(empty_engine, "upgrade", "0006")
    for actor, action, kind in (("user", "create", "patient"), ("feed", "read", "plan"),
                                ("user", "delete", "patient"), ("user", "share", "calendar_feed")):
        _insert(empty_engine, actor, action, kind)
    with pytest.raises(IntegrityError):  # 0006 does not know the word yet
        _insert(empty_engine, "user", "delete", "account")
    before = _audit(empty_engine)

    migrate(empty_engine)

    assert HEAD_REVISION >= "0007" and _audit(empty_engine) == before
    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD_REVISION
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    _insert(empty_engine, "user", "delete", "account")
    assert _audit(empty_engine) == [*before, ("user", "delete", "account")]
    with pytest.raises(IntegrityError):  # the check still refuses words it does not know
        _insert(empty_engine, "user", "delete", "accounts")

    _alembic(empty_engine, "downgrade", "0006")

    assert _audit(empty_engine) == before
    migrate(empty_engine)
    assert _audit(empty_engine) == before
