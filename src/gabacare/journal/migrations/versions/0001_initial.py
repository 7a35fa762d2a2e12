"""Initial journal schema: patients, plans with their dose schedule, entries and their revisions.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _content_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("mg", sa.Float(), nullable=True),
        sa.Column("status", sa.String(8), nullable=True),
        sa.Column("name", sa.String(40), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(200), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("urgency", sa.String(24), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "patients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("sex", sa.String(6), nullable=True),
        sa.Column("weight_kg", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_patients"),
    )
    op.create_table(
        "plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("continues", sa.Boolean(), nullable=False),
        sa.Column("spec", sa.Text(), nullable=False),
        sa.Column("warnings", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name="fk_plans_patient_id_patients",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_plans"),
    )
    op.create_index("ix_plans_patient_id", "plans", ["patient_id"])
    op.create_table(
        "plan_doses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("mg", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], name="fk_plan_doses_plan_id_plans", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_plan_doses"),
    )
    op.create_index("ix_plan_doses_plan_id", "plan_doses", ["plan_id"])
    op.create_table(
        "entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        *_content_columns(),
        sa.CheckConstraint("kind IN ('dose', 'symptom', 'trigger', 'side_effect', 'lab', 'note')",
                           name="ck_entries_kind"),
        sa.CheckConstraint("status IS NULL OR status IN ('taken', 'late', 'skipped')", name="ck_entries_status"),
        sa.CheckConstraint("mg IS NULL OR mg >= 0", name="ck_entries_mg"),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name="fk_entries_patient_id_patients",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_entries"),
    )
    op.create_index("ix_entries_patient_at", "entries", ["patient_id", "at"])
    op.create_table(
        "entry_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        *_content_columns(),
        sa.ForeignKeyConstraint(["entry_id"], ["entries.id"], name="fk_entry_revisions_entry_id_entries",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_entry_revisions"),
        sa.UniqueConstraint("entry_id", "version", name="uq_entry_revisions_entry_id"),
    )
    op.create_index("ix_entry_revisions_entry_id", "entry_revisions", ["entry_id"])


def downgrade() -> None:
    op.drop_table("entry_revisions")
    op.drop_table("entries")
    op.drop_table("plan_doses")
    op.drop_table("plans")
    op.drop_table("patients")
