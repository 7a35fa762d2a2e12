"""Pills on hand (issue 15, refills): the ``pickups`` table.

Revision ID: 0008
Revises: 0007

One row per pick-up of pills: the patient, a ``uid`` (a UUID, unique per patient, the stable id an
export carries, as for entries and questionnaires), when the pills were collected (``picked_up_at``,
naive local time), the strength (mg per piece, one of the knowledge base's capsules and tablets) and
the count of whole pieces, and when it was recorded. Rows are never edited. A new table only: every
existing row is untouched, and on SQLite no table is rebuilt.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pickups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(36), nullable=False),
        sa.Column("picked_up_at", sa.DateTime(), nullable=False),
        sa.Column("strength_mg", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("count > 0", name="ck_pickups_count"),
        sa.CheckConstraint("strength_mg > 0", name="ck_pickups_strength_mg"),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name="fk_pickups_patient_id_patients",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_pickups"),
    )
    op.create_index("ix_pickups_patient_at", "pickups", ["patient_id", "picked_up_at"])
    op.create_index("uq_pickups_patient_uid", "pickups", ["patient_id", "uid"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_pickups_patient_uid", table_name="pickups")
    op.drop_index("ix_pickups_patient_at", table_name="pickups")
    op.drop_table("pickups")
