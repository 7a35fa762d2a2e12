"""Validated questionnaires in the journal: the ``questionnaires`` table.

Revision ID: 0004
Revises: 0003

One row per completed questionnaire (PHQ-9, GAD-7, Penn spasm scale, pain 0-10, PGIC): the patient,
a ``uid`` (a UUID, unique per patient, the stable id an export carries, as for entries), when it was
completed (``at``, naive local time), the instrument id, the answers (``"0,1,2"``), the total, the
severity band's key and the emergency flag the scoring gave, and when it was recorded. Rows are never
edited. A new table only: every existing row is untouched, and on SQLite no table is rebuilt.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "questionnaires",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(36), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("instrument", sa.String(40), nullable=False),
        sa.Column("answers", sa.String(200), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("severity", sa.String(40), nullable=False),
        sa.Column("emergency", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("total >= 0", name="ck_questionnaires_total"),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name="fk_questionnaires_patient_id_patients",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_questionnaires"),
    )
    op.create_index("ix_questionnaires_patient_at", "questionnaires", ["patient_id", "at"])
    op.create_index("uq_questionnaires_patient_uid", "questionnaires", ["patient_id", "uid"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_questionnaires_patient_uid", table_name="questionnaires")
    op.drop_index("ix_questionnaires_patient_at", table_name="questionnaires")
    op.drop_table("questionnaires")
