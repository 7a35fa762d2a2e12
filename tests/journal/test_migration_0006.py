"""Migration 0006 (calendar feeds): a database at 0005 keeps every account and audit row, takes the new
audit words at head, and goes back to 0005 (dropping only what 0005 cannot hold)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from gabacare.journal.db import HEAD_REVISION, migrate

from .test_migrations import _alembic, empty_engine

__all__ = ["empty_engine"]  # the fixture (SQLite and PostgreSQL), re-used

T0 = datetime(2026, 3, 1, 8, 0)


def _audit(engine: Engine) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT actor_kind, action, resource_kind FROM audit_log ORDER BY id"))]


def test_0005_accounts_and_audit_rows_survive_0006_and_back(empty_engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from gabacare.journal.orm import Base

    _alembic(empty_engine, "upgrade", "0005")
    with empty_engine.begin() as conn:
        conn.execute(text("INSERT INTO users (id, email, display_name, role, password_hash, created_at, disabled) "
                          "VALUES (1, 'ada@example.org', 'Ada', 'patient', 'x', :t, false)"), {"t": T0})
        conn.execute(text("INSERT INTO patients (id, name, created_at, owner_user_id) VALUES (1, 'Ada', :t, 1)"),
                     {"t": T0})
        for actor, action, kind in (("user", "create", "patient"), ("share", "read", "entry"), ("cli", "export", "audit_log")):
            conn.execute(text("INSERT INTO audit_log (at, actor_kind, actor_id, action, patient_id, resource_kind, "
                              "resource_id) VALUES (:t, :a, 1, :x, 1, :k, 1)"), {"t": T0, "a": actor, "x": action, "k": kind})
    before = _audit(empty_engine)

    migrate(empty_engine)

    assert _audit(empty_engine) == before
    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD_REVISION
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    with empty_engine.begin() as conn:
        conn.execute(text("INSERT INTO calendar_feeds (patient_id, created_by, token_hash, created_at) "
                          "VALUES (1, 1, :h, :t)"), {"h": "a" * 64, "t": T0})
        conn.execute(text("INSERT INTO audit_log (at, actor_kind, actor_id, action, patient_id, resource_kind) "
                          "VALUES (:t, 'feed', 1, 'read', 1, 'plan')"), {"t": T0})
        conn.execute(text("INSERT INTO audit_log (at, actor_kind, actor_id, action, patient_id, resource_kind) "
                          "VALUES (:t, 'user', 1, 'share', 1, 'calendar_feed')"), {"t": T0})
    assert len(_audit(empty_engine)) == len(before) + 2

    _alembic(empty_engine, "downgrade", "0005")

    assert _audit(empty_engine) == before
    with empty_engine.connect() as conn:
        assert not inspect(conn).has_table("calendar_feeds")
        assert conn.execute(text("SELECT count(*) FROM patients")).scalar_one() == 1
    migrate(empty_engine)
    assert _audit(empty_engine) == before


def test_the_audit_check_still_refuses_unknown_words_at_head(empty_engine: Engine) -> None:
    import pytest
    from sqlalchemy.exc import IntegrityError

    migrate(empty_engine)
    with pytest.raises(IntegrityError), empty_engine.begin() as conn:
        conn.execute(text("INSERT INTO audit_log (at, actor_kind, action, resource_kind) "
                          "VALUES (:t, 'robot', 'read', 'plan')"), {"t": T0})
    with pytest.raises(IntegrityError), empty_engine.begin() as conn:
        conn.execute(text("INSERT INTO audit_log (at, actor_kind, action, resource_kind) "
                          "VALUES (:t, 'feed', 'read', 'calendar')"), {"t": T0})
