"""Migrations 0008 (pickups) and 0009 (supply_settings): a journal at 0007 keeps every row at head, the
new tables take their rows (and refuse a count of 0 or a negative lead time), and going back to 0007
drops only the two new tables."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from gabacare.journal.db import migrate

from .test_migrations import _alembic, empty_engine

__all__ = ["empty_engine"]  # the fixture (SQLite and PostgreSQL), re-used

T0 = datetime(2026, 3, 1, 8, 0)


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_0007_rows_survive_the_supply_tables_and_back(empty_engine: Engine) -> None:
    _alembic(empty_engine, "upgrade", "0007")
    with empty_engine.begin() as conn:
        conn.execute(text("INSERT INTO patients (name, created_at) VALUES ('Ada', :t)"), {"t": T0})
        conn.execute(text("INSERT INTO entries (patient_id, kind, at, mg, status, version, recorded_at, uid, prn) "
                          "VALUES (1, 'dose', :t, 300, 'taken', 1, :t, 'u-1', false)"), {"t": T0})

    migrate(empty_engine)

    assert (_count(empty_engine, "patients"), _count(empty_engine, "entries")) == (1, 1)
    with empty_engine.begin() as conn:
        conn.execute(text("INSERT INTO pickups (patient_id, uid, picked_up_at, strength_mg, count, recorded_at) "
                          "VALUES (1, 'p-1', :t, 300, 90, :t)"), {"t": T0})
        conn.execute(text("INSERT INTO supply_settings (patient_id, refill_lead_days) VALUES (1, 10)"))
        conn.execute(text("INSERT INTO patients (name, created_at) VALUES ('Bo', :t)"), {"t": T0})
    for bad in ("INSERT INTO pickups (patient_id, uid, picked_up_at, strength_mg, count, recorded_at) "
                "VALUES (1, 'p-2', :t, 300, 0, :t)",
                "INSERT INTO supply_settings (patient_id, refill_lead_days) VALUES (2, -1)"):
        with pytest.raises(IntegrityError), empty_engine.begin() as conn:
            conn.execute(text(bad), {"t": T0})

    _alembic(empty_engine, "downgrade", "0007")

    names = set(inspect(empty_engine).get_table_names())
    assert "pickups" not in names and "supply_settings" not in names
    assert (_count(empty_engine, "patients"), _count(empty_engine, "entries")) == (2, 1)
