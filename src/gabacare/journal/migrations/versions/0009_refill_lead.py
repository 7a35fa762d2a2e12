"""The refill lead time chosen for a patient (issue 15, refills): the ``supply_settings`` table.

Revision ID: 0009
Revises: 0008

One row per patient who chose a lead time: how many days before the run-out date the refill reminder
falls (``refill_lead_days``, 0 or more; the upper bound and the default, used when there is no row,
are ``journal/settings.py`` ``REFILL_LEAD_DAYS_MAX`` and ``REFILL_LEAD_DAYS``). A new table only:
every existing row is untouched.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "supply_settings",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("refill_lead_days", sa.Integer(), nullable=False),
        sa.CheckConstraint("refill_lead_days >= 0", name="ck_supply_settings_refill_lead_days"),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name="fk_supply_settings_patient_id_patients",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("patient_id", name="pk_supply_settings"),
    )


def downgrade() -> None:
    op.drop_table("supply_settings")
