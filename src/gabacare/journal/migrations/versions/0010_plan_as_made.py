"""A plan is recorded as it was made (issue 18, item 7): the ``plans.made`` column.

Revision ID: 0010
Revises: 0009

``made`` holds the plan as made (``journal/plan_record.py`` ``PlanRecord.to_text``): the core plan's
JSON (days, doses and units, steps, dispense, warnings, notes, citations, notice) with the knowledge
base version that made it (``kb_version``), when (``made_at``) and how (``origin``). Pages, the API
and the doctor's report show it instead of remaking the plan from its spec with today's rules.

Every existing plan gets a record, so none is left without one:

* its spec made again with the code and knowledge base of this upgrade, ``origin`` ``"upgrade"`` and
  ``made_at`` the moment of the upgrade (local time, like every journal time). For a plan older than
  this revision, "as made" means as of the upgrade: the original was never kept, and this is the best
  record available (its dose rows, which adherence counts, are untouched);
* a spec the rules of the upgrade refuse: a record built from the plan's own dose rows and warnings,
  ``origin`` ``"rows"`` (no units, no citations).

Unlike 0003 this migration calls the journal's plan builder rather than a copy: the point is the
plan those rules make. Downgrade drops the column only; plans, dose rows and specs stay.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("plans", sa.Column("made", sa.Text(), nullable=True))
    _fill(op.get_bind())


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":  # native DROP COLUMN (SQLite 3.35+), no table rebuild
        op.execute("ALTER TABLE plans DROP COLUMN made")
    else:
        op.drop_column("plans", "made")


def _fill(bind: Any) -> None:
    from gabacare.journal.model import NewPlan, PlanSpec, ScheduledDose
    from gabacare.journal.plan_record import record_from_rows, record_plan
    from gabacare.journal.services import build_plan
    from gabacare.knowledge import knowledge_version, load_monograph

    plans = sa.table("plans", sa.column("id", sa.Integer), sa.column("kind", sa.String), sa.column("label", sa.String),
                     sa.column("start_date", sa.Date), sa.column("end_date", sa.Date),
                     sa.column("continues", sa.Boolean), sa.column("spec", sa.Text), sa.column("warnings", sa.Text),
                     sa.column("made", sa.Text))
    doses_t = sa.table("plan_doses", sa.column("plan_id", sa.Integer), sa.column("at", sa.DateTime),
                       sa.column("mg", sa.Float))
    rows = list(bind.execute(sa.select(plans.c.id, plans.c.kind, plans.c.label, plans.c.start_date, plans.c.end_date,
                                       plans.c.continues, plans.c.spec, plans.c.warnings).order_by(plans.c.id)))
    if not rows:
        return
    doses: dict[int, list[ScheduledDose]] = defaultdict(list)
    for plan_id, at, mg in bind.execute(sa.select(doses_t.c.plan_id, doses_t.c.at, doses_t.c.mg)
                                        .order_by(doses_t.c.plan_id, doses_t.c.at)):
        doses[plan_id].append(ScheduledDose(at, float(mg)))
    now = datetime.now().replace(microsecond=0)  # local time, like the journal's clock
    kb = knowledge_version()
    for r in rows:
        try:
            spec = PlanSpec.from_text(r.spec)
            record = record_plan(build_plan(spec)[1], made_at=now, kb_version=kb, origin="upgrade")
        except ValueError:  # the journal's and the core's input errors: today's rules refuse the spec
            stored = NewPlan(kind=r.kind, spec=PlanSpec("regimen", r.start_date), label=r.label, start=r.start_date,
                             end=r.end_date, continues=bool(r.continues), doses=tuple(doses[r.id]),
                             warnings=tuple(json.loads(r.warnings)))
            record = record_from_rows(stored, made_at=now, kb_version=kb, notice=load_monograph().notice_text)
        bind.execute(plans.update().where(plans.c.id == r.id).values(made=record.to_text()))
