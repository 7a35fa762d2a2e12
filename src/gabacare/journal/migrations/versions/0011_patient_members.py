"""Sharing a patient with a second account (issue 15 item 4b): the ``patient_members`` table.

Revision ID: 0011
Revises: 0010

One row per (patient, account) the owner shared the patient with: the ``role`` (``viewer`` reads,
``logger`` reads and writes journal entries; a CHECK keeps other words out), when and by whom it was
given. The pair is the primary key, so an account holds one role per patient; an index on
``user_id`` serves "the patients shared with me". Both foreign keys cascade (as share links do), and
the deletion code removes the rows explicitly anyway. A new table only: existing rows are untouched
and on SQLite no table is rebuilt; the downgrade drops the table (the shares are lost, the patients
and accounts stay).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "patient_members",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.CheckConstraint("role IN ('viewer', 'logger')", name="ck_patient_members_role"),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name="fk_patient_members_patient_id_patients",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_patient_members_user_id_users",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name="fk_patient_members_created_by_users",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("patient_id", "user_id", name="pk_patient_members"),
    )
    op.create_index("ix_patient_members_user_id", "patient_members", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_patient_members_user_id", table_name="patient_members")
    op.drop_table("patient_members")
