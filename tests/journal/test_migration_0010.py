"""Migration 0010 (the plan as made): a journal at 0009 with plans gets a record for every plan (made
again from its spec at the upgrade, or from its dose rows when today's rules refuse the spec), keeps
every row, and going back to 0009 drops only the ``made`` column."""

from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from gabacare.journal.db import HEAD_REVISION, migrate
from gabacare.journal.model import PlanSpec
from gabacare.journal.services import build_plan
from gabacare.knowledge import knowledge_version
from gabacare.serialize import jsonable

from .test_migrations import _alembic, empty_engine

__all__ = ["empty_engine"]  # the fixture (SQLite and PostgreSQL), re-used

T0 = datetime(2026, 3, 1, 8, 0)
GOOD = PlanSpec("regimen", date(2026, 3, 1), regimen="300 mg TID")
TITRATE = PlanSpec("titrate", date(2026, 3, 2), indication="spasticity")
REFUSED = PlanSpec("titrate", date(2026, 3, 3), indication="no-such-indication")  # today's rules refuse it


def _insert_plan(engine: Engine, spec: PlanSpec, doses: list[tuple[datetime, float]], warnings: list[str]) -> int:
    with engine.begin() as conn:
        plan_id = conn.execute(text(
            "INSERT INTO plans (patient_id, kind, label, start_date, end_date, continues, spec, warnings, created_at) "
            "VALUES (1, 'titration', 'old plan', :s, :e, :c, :spec, :w, :t) RETURNING id"),
            {"s": spec.start, "e": max(d.date() for d, _ in doses), "c": True, "spec": spec.to_text(),
             "w": json.dumps(warnings), "t": T0}).scalar_one()
        for at, mg in doses:
            conn.execute(text("INSERT INTO plan_doses (plan_id, at, mg) VALUES (:p, :a, :m)"),
                         {"p": plan_id, "a": at, "m": mg})
    return int(plan_id)


def _rows(engine: Engine) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    with engine.connect() as conn:
        plans = [tuple(r) for r in conn.execute(text(
            "SELECT id, kind, label, start_date, end_date, spec, warnings FROM plans ORDER BY id"))]
        doses = [tuple(r) for r in conn.execute(text("SELECT plan_id, at, mg FROM plan_doses ORDER BY id"))]
    return plans, doses


def test_0009_plans_get_their_record_and_go_back(empty_engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from gabacare.journal.orm import Base
    from gabacare.journal.sql import SqlJournalRepository

    _alembic(empty_engine, "upgrade", "0009")
    with empty_engine.begin() as conn:
        conn.execute(text("INSERT INTO patients (name, created_at) VALUES ('Ada', :t)"), {"t": T0})
    good_rows = [(d.at, d.mg) for d in build_plan(GOOD)[0].doses]
    ids = [_insert_plan(empty_engine, GOOD, good_rows, []),
           _insert_plan(empty_engine, TITRATE, [(d.at, d.mg) for d in build_plan(TITRATE)[0].doses], []),
           _insert_plan(empty_engine, REFUSED, [(datetime(2026, 3, 3, 21), 300.0), (datetime(2026, 3, 4, 8), 300.0),
                                                (datetime(2026, 3, 4, 21), 300.0)], ["an old warning"])]
    before = _rows(empty_engine)

    migrate(empty_engine)

    assert HEAD_REVISION >= "0010" and _rows(empty_engine) == before
    with empty_engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        assert conn.execute(text("SELECT count(*) FROM plans WHERE made IS NULL")).scalar_one() == 0
    plans = SqlJournalRepository(empty_engine).list_plans(1)
    assert [p.id for p in plans] == ids
    records = [p.plan.made for p in plans]
    assert all(r is not None and r.kb_version == knowledge_version() for r in records)
    good, titrate, refused = records
    assert good is not None and titrate is not None and refused is not None
    assert (good.origin, titrate.origin, refused.origin) == ("upgrade", "upgrade", "rows")
    assert dict(good.plan) == jsonable(build_plan(GOOD)[1].to_json())
    assert dict(titrate.plan) == jsonable(build_plan(TITRATE)[1].to_json())
    assert good.made_at == titrate.made_at == refused.made_at  # the moment of the upgrade
    # A spec the rules refuse keeps what was stored: its dose rows by day, and its warnings.
    assert refused.day_doses() == {date(2026, 3, 3): (("21:00", 300.0),),
                                   date(2026, 3, 4): (("08:00", 300.0), ("21:00", 300.0))}
    assert refused.warnings == ("an old warning",) and refused.plan["citations"] == []
    view = refused.view()
    assert [s.total_mg for s in view.steps] == [300.0, 600.0] and view.label == "old plan"

    _alembic(empty_engine, "downgrade", "0009")

    assert "made" not in {c["name"] for c in inspect(empty_engine).get_columns("plans")}
    assert _rows(empty_engine) == before
    migrate(empty_engine)  # and up again: every plan gets a record again
    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM plans WHERE made IS NULL")).scalar_one() == 0


def test_0010_on_an_empty_journal(empty_engine: Engine) -> None:
    _alembic(empty_engine, "upgrade", "0009")
    migrate(empty_engine)
    assert "made" in {c["name"] for c in inspect(empty_engine).get_columns("plans")}
