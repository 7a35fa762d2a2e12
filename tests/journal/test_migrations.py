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

    from gabacare.accounts.service import Accounts
    from gabacare.accounts.sql import SqlAccountRepository
    from gabacare.journal.sql import SqlJournalRepository

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


def test_0003_derives_each_old_dose_slot_as_the_old_code_did(empty_engine: Engine) -> None:
    """Rows stored by the old Today page (the issue 18 taps, on 300 mg TID) get the slot the old
    code showed them under (nearest time, taken first, then skipped): the old record, kept as it was
    read, now explicit and correctable. Every row gets a distinct uid; nothing is lost."""
    from gabacare.journal.sql import SqlJournalRepository

    _alembic(empty_engine, "upgrade", "0002")
    day = date(2026, 6, 1)
    with empty_engine.begin() as conn:
        conn.execute(text("INSERT INTO patients (id, name, created_at) VALUES (1, 'Ada', :t)"), {"t": T0})
        conn.execute(text("INSERT INTO plans (id, patient_id, kind, label, start_date, end_date, continues, spec, "
                          "warnings, created_at) VALUES (1, 1, 'maintenance', '300 mg TID', :d, :d, true, '{}', "
                          "'[]', :t)"), {"d": day, "t": T0})
        for hh in (7, 14, 21):
            conn.execute(text("INSERT INTO plan_doses (plan_id, at, mg) VALUES (1, :t, 300)"),
                         {"t": datetime(2026, 6, 1, hh)})
        rows = [(1, datetime(2026, 6, 3, 7), "taken"), (2, datetime(2026, 6, 3, 8, 44), "skipped"),
                (3, datetime(2026, 6, 3, 8, 44), "taken"), (4, datetime(2026, 5, 30, 9), "taken"),
                (5, datetime(2026, 6, 4, 14, 10), "late")]
        for entry_id, at, status in rows:
            conn.execute(text("INSERT INTO entries (id, patient_id, kind, at, mg, status, version, recorded_at) "
                              "VALUES (:i, 1, 'dose', :t, 300, :s, 1, :t)"), {"i": entry_id, "t": at, "s": status})
        conn.execute(text("INSERT INTO entries (id, patient_id, kind, at, text, version, recorded_at) "
                          "VALUES (6, 1, 'note', :t, 'n', 1, :t)"), {"t": T0})
    migrate(empty_engine)
    repo = SqlJournalRepository(empty_engine)
    got = {e.id: e for e in repo.list_entries(1)}
    assert {i: got[i].data.slot for i in got} == {
        1: datetime(2026, 6, 3, 7), 3: datetime(2026, 6, 3, 14), 2: datetime(2026, 6, 3, 21),  # as shown before
        4: None,  # before the plan: an extra dose, as before
        5: datetime(2026, 6, 4, 14), 6: None}
    assert not any(e.data.prn for e in got.values())
    uids = [e.uid for e in got.values()]
    assert len(set(uids)) == 6 and all(len(u) == 36 and u[14] == "4" for u in uids)
    with empty_engine.connect() as conn:
        assert compare_metadata_clean(conn)


def compare_metadata_clean(conn: object) -> bool:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    return compare_metadata(MigrationContext.configure(conn), Base.metadata) == []  # type: ignore[arg-type]


def test_downgrade_to_0002_drops_the_new_columns_and_keeps_rows(empty_engine: Engine) -> None:
    _alembic(empty_engine, "upgrade", "0001")
    _fill_at_0001(empty_engine)
    migrate(empty_engine)
    _alembic(empty_engine, "downgrade", "0002")
    with empty_engine.connect() as conn:
        assert not {"slot", "prn", "uid", "deleted_at"} & {c["name"] for c in inspect(conn).get_columns("entries")}
    assert _counts(empty_engine)["entry_revisions"] == 1
    migrate(empty_engine)
    assert _counts(empty_engine)["entries"] == 1
