"""Entries as an honest record: a dose's slot, as-needed doses, stable ids, deletion.

Revision ID: 0003
Revises: 0002

Adds to ``entries`` and ``entry_revisions``: ``slot`` (the planned dose a dose answers; NULL for an
as-needed or unplanned dose) and ``prn`` (as-needed); to ``entries`` only: ``uid`` (a UUID, the stable
id an export carries, unique per patient) and ``deleted_at`` (the entry was deleted by its owner; its
versions stay in the history).

Every existing row is kept, and gets:

* ``uid``: a fresh random UUID (version 4);
* ``prn``: false (there were no as-needed doses before);
* ``slot`` for a current dose entry: the slot the code before this revision attributed it to, by the
  same rule (``journal.services.Journal.today`` at 0002): on each day, the plan in force's doses that
  day are paired with that day's taken and late doses closest in time first (ties: the earlier planned
  dose, then the earlier entry), then the planned doses left with that day's skipped doses the same
  way. A dose left unpaired keeps ``slot`` NULL (an extra dose, as it was counted before). The old
  rule is copied here rather than imported, so later changes to the journal's code cannot change
  what this migration does. Superseded versions (``entry_revisions``) keep ``slot`` NULL.

NOTE: like 0002 on SQLite, columns are added with plain ``ALTER TABLE ... ADD COLUMN`` (no batch copy
of ``entries``: with ``PRAGMA foreign_keys=ON``, dropping the old table would cascade to
``entry_revisions``). SQLite cannot add a NOT NULL column without a default, so ``uid`` and ``prn``
carry a server default there (``''`` and ``0``) that the code never relies on.
SEE: https://www.sqlite.org/lang_altertable.html#alter_table_add_column
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_UID_INDEX = "uq_entries_patient_uid"
# A version-4 UUID in SQLite SQL (randomblob is SQLite's CSPRNG).
_SQLITE_UUID4 = ("lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) "
                 "|| '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' "
                 "|| hex(randomblob(6)))")


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    for table in ("entries", "entry_revisions"):
        op.add_column(table, sa.Column("slot", sa.DateTime(), nullable=True))
        if sqlite:
            op.execute(f"ALTER TABLE {table} ADD COLUMN prn BOOLEAN NOT NULL DEFAULT 0")
        else:
            op.add_column(table, sa.Column("prn", sa.Boolean(), nullable=False, server_default=sa.false()))
            op.alter_column(table, "prn", server_default=None)
    op.add_column("entries", sa.Column("deleted_at", sa.DateTime(), nullable=True))
    if sqlite:
        op.execute("ALTER TABLE entries ADD COLUMN uid VARCHAR(36) NOT NULL DEFAULT ''")
        op.execute(f"UPDATE entries SET uid = {_SQLITE_UUID4}")
    else:
        op.add_column("entries", sa.Column("uid", sa.String(36), nullable=True))
        op.execute("UPDATE entries SET uid = gen_random_uuid()::text")  # PostgreSQL 13+
        op.alter_column("entries", "uid", nullable=False)
    op.create_index(_UID_INDEX, "entries", ["patient_id", "uid"], unique=True)
    _derive_slots(bind)


def downgrade() -> None:
    op.drop_index(_UID_INDEX, table_name="entries")
    sqlite = op.get_bind().dialect.name == "sqlite"
    columns = {"entries": ("slot", "prn", "deleted_at", "uid"), "entry_revisions": ("slot", "prn")}
    for table, names in columns.items():
        for name in names:
            if sqlite:  # native DROP COLUMN (SQLite 3.35+), no rebuild (see the module note)
                op.execute(f"ALTER TABLE {table} DROP COLUMN {name}")
            else:
                op.drop_column(table, name)


# -- the slot rule before this revision (frozen copy; see the module docstring) -------------------

def _schedule(plans: list[dict[str, Any]], doses: dict[int, list[tuple[datetime, float]]], day: date) -> list[datetime]:
    """The planned dose times on ``day``: the plan with the highest id that starts on or before it;
    its doses that day, or after its end the last day's doses again when it continues."""
    candidates = [p for p in plans if p["start_date"] <= day]
    if not candidates:
        return []
    plan = max(candidates, key=lambda p: p["id"])
    if day <= plan["end_date"]:
        return sorted(at for at, _ in doses[plan["id"]] if at.date() == day)
    if not plan["continues"]:
        return []
    shift = day - plan["end_date"]
    return sorted(at + shift for at, _ in doses[plan["id"]] if at.date() == plan["end_date"])


def _pair(planned: list[datetime], logged: list[tuple[int, datetime]]) -> dict[int, datetime]:
    """Entry id -> planned time, closest pairs first (the old ``analysis.match_doses`` for one day)."""
    pairs = sorted((abs(s - at), si, li) for si, s in enumerate(planned) for li, (_, at) in enumerate(logged))
    used_s: set[int] = set()
    used_l: set[int] = set()
    out: dict[int, datetime] = {}
    for _, si, li in pairs:
        if si in used_s or li in used_l:
            continue
        used_s.add(si)
        used_l.add(li)
        out[logged[li][0]] = planned[si]
    return out


def _derive_slots(bind: Any) -> None:
    meta = sa.MetaData()
    plans_t = sa.Table("plans", meta, autoload_with=bind)
    doses_t = sa.Table("plan_doses", meta, autoload_with=bind)
    entries_t = sa.Table("entries", meta, autoload_with=bind)
    plans: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in bind.execute(sa.select(plans_t.c.id, plans_t.c.patient_id, plans_t.c.start_date, plans_t.c.end_date,
                                      plans_t.c.continues)).mappings():
        plans[row["patient_id"]].append(dict(row))
    if not plans:
        return
    doses: dict[int, list[tuple[datetime, float]]] = defaultdict(list)
    for plan_id, at, mg in bind.execute(sa.select(doses_t.c.plan_id, doses_t.c.at, doses_t.c.mg)):
        doses[plan_id].append((at, mg))
    day_logs: dict[tuple[int, date], list[tuple[int, datetime, str | None]]] = defaultdict(list)
    q = (sa.select(entries_t.c.id, entries_t.c.patient_id, entries_t.c.at, entries_t.c.status)
         .where(entries_t.c.kind == "dose", entries_t.c.patient_id.in_(list(plans)))
         .order_by(entries_t.c.patient_id, entries_t.c.at, entries_t.c.id))
    for entry_id, patient_id, at, status in bind.execute(q):
        day_logs[(patient_id, at.date())].append((entry_id, at, status))
    updates: list[dict[str, Any]] = []
    for (patient_id, day), logged in day_logs.items():
        planned = _schedule(plans[patient_id], doses, day)
        if not planned:
            continue
        taken = [(i, at) for i, at, status in logged if status in ("taken", "late")]
        found = _pair(planned, taken)
        left = [s for s in planned if s not in set(found.values())]
        found.update(_pair(left, [(i, at) for i, at, status in logged if status == "skipped"]))
        updates.extend({"entry_id": i, "slot_value": slot} for i, slot in found.items())
    if updates:
        stmt = (sa.update(entries_t).where(entries_t.c.id == sa.bindparam("entry_id"))
                .values(slot=sa.bindparam("slot_value")))
        bind.execute(stmt, updates)

