"""Migrations upgrade existing journals in place: a database made at 0001 keeps every row at head."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from gabacare.journal.db import HEAD_REVISION, MIGRATIONS_DIR, make_engine, migrate
from gabacare.journal.orm import Base

T0 = datetime(2026, 3, 1, 8, 0)


def _alembic(engine: Engine, direction: str, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        getattr(command, direction)(cfg, revision)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on an empty database (not migrated), on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
        yield engine
        engine.dispose()
        return
    from sqlalchemy.engine import make_url

    server = make_url(request.getfixturevalue("pg_server"))
    name = f"gabacare_mig_{secrets.token_hex(4)}"
    admin = make_engine(server.render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    engine = make_engine(server.set(database=name).render_as_string(hide_password=False))
    yield engine
    engine.dispose()
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"DROP DATABASE {name}"))
    admin.dispose()


def _fill_at_0001(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO patients (id, name, birth_date, sex, weight_kg, created_at) "
                          "VALUES (1, 'Ada', :bd, 'female', 61.5, :t)"), {"bd": date(1970, 5, 6), "t": T0})
        conn.execute(text("INSERT INTO plans (id, patient_id, kind, label, start_date, end_date, continues, spec, "
                          "warnings, created_at) VALUES (1, 1, 'maintenance', '300 mg BID', :d, :d, true, '{}', "
                          "'[]', :t)"), {"d": date(2026, 3, 1), "t": T0})
        conn.execute(text("INSERT INTO plan_doses (plan_id, at, mg) VALUES (1, :t, 300)"), {"t": T0})
        conn.execute(text("INSERT INTO entries (id, patient_id, kind, at, mg, status, version, recorded_at) "
                          "VALUES (1, 1, 'dose', :t, 300, 'taken', 2, :t)"), {"t": T0})
        conn.execute(text("INSERT INTO entry_revisions (entry_id, kind, at, mg, status, version, recorded_at) "
                          "VALUES (1, 'dose', :t, 200, 'taken', 1, :t)"), {"t": T0})


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one())
                for t in ("patients", "plans", "plan_doses", "entries", "entry_revisions")}


def test_a_0001_journal_upgrades_in_place_and_keeps_every_row(empty_engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from gabacare.journal.accounts import Accounts
    from gabacare.journal.sql import SqlAccountRepository, SqlJournalRepository

    _alembic(empty_engine, "upgrade", "0001")
    _fill_at_0001(empty_engine)
    before = _counts(empty_engine)
    assert before == {"patients": 1, "plans": 1, "plan_doses": 1, "entries": 1, "entry_revisions": 1}

    migrate(empty_engine)  # what opening the journal does

    assert _counts(empty_engine) == before
    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD_REVISION
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    journal_repo = SqlJournalRepository(empty_engine)
    assert journal_repo.get_patient(1).name == "Ada"
    assert [e.data.mg for e in journal_repo.entry_history(1, 1)] == [200.0, 300.0]
    accounts = SqlAccountRepository(empty_engine)
    assert accounts.patient_owner(1) is None  # a local patient of the command line
    # the upgraded database takes accounts and the old patient can be claimed
    from argon2 import PasswordHasher

    service = Accounts(accounts, clock=lambda: T0, password_hasher=PasswordHasher(time_cost=1, memory_cost=8,
                                                                                     parallelism=1))
    user = service.sign_up("ada@example.org", "a long passphrase", "Ada")
    service.claim_patient(user, 1)
    assert [p.id for p in service.patients_of(user)] == [1]


def test_downgrade_to_0001_and_back_keeps_journal_rows(empty_engine: Engine) -> None:
    _alembic(empty_engine, "upgrade", "0001")
    _fill_at_0001(empty_engine)
    migrate(empty_engine)
    _alembic(empty_engine, "downgrade", "0001")
    with empty_engine.connect() as conn:
        assert "owner_user_id" not in {c["name"] for c in inspect(conn).get_columns("patients")}
        assert not inspect(conn).has_table("users")
    assert _counts(empty_engine)["entries"] == 1
    migrate(empty_engine)
    assert _counts(empty_engine)["entry_revisions"] == 1
