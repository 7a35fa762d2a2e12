"""Schema, migrations and connection settings of the SQL adapter."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import text

import gabacare.journal as journal_pkg
from gabacare.journal.db import HEAD_REVISION, MIGRATIONS_DIR, make_engine, migrate, resolve_url
from gabacare.journal.orm import Base


def test_head_revision_constant_matches_the_scripts() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(cfg).get_heads() == [HEAD_REVISION]


def test_migrated_schema_matches_the_models(db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = make_engine(db_url)
    migrate(engine)  # already current: a no-op
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD_REVISION
    engine.dispose()
    assert diff == []


def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() > 0
    engine.dispose()


def test_url_resolution_order(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GABACARE_DB", "sqlite:///from-env.db")
    assert resolve_url("sqlite:///flag.db") == "sqlite:///flag.db"
    assert resolve_url(None) == "sqlite:///from-env.db"
    monkeypatch.delenv("GABACARE_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert resolve_url(None).startswith("sqlite:///") and resolve_url(None).endswith("journal.sqlite3")


def test_public_surface_is_sorted_and_complete() -> None:
    assert journal_pkg.__all__ == sorted(journal_pkg.__all__)
    assert all(hasattr(journal_pkg, name) for name in journal_pkg.__all__)


def test_journal_code_never_logs_or_prints() -> None:
    """Patient data must not reach logs: the journal package neither logs nor prints."""
    src = Path(journal_pkg.__file__).parent
    offenders = [str(p) for p in src.rglob("*.py")
                 if re.search(r"^\s*(import logging|from logging|print\()|\blogger\.", p.read_text(), re.M)]
    assert offenders == []

