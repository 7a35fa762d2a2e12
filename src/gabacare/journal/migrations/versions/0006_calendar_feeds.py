"""Calendar feeds: a patient's secret calendar subscription address, and the audit words for it.

Revision ID: 0006
Revises: 0005

* a new table ``calendar_feeds`` (patient, creator, SHA-256 of the token, created and revoked times);
* ``audit_log`` accepts the actor kind ``feed`` and the resource kind ``calendar_feed``, and its
  ``resource_kind`` column widens from 12 to 16 characters to hold it.

On SQLite the audit table's CHECK constraints can only change by rebuilding it (batch "copy and
move"): every row is copied. That is safe here, unlike for ``patients`` (see 0002): no foreign key
points at ``audit_log`` and it has none of its own, so dropping the old table cascades nothing.
On PostgreSQL the constraints and the column change in place.

The downgrade deletes the audit rows that use the new words (the old constraints cannot hold them)
and drops the table.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_ACTORS_OLD = "actor_kind IN ('user', 'token', 'share', 'cli')"
_ACTORS_NEW = "actor_kind IN ('user', 'token', 'share', 'feed', 'cli')"
_KINDS = "'patient', 'plan', 'entry', 'report', 'share_link', 'api_token', 'audit_log'"
_RESOURCES_OLD = f"resource_kind IN ({_KINDS})"
_RESOURCES_NEW = f"resource_kind IN ({_KINDS}, 'calendar_feed')"


def _audit_words(actors: str, resources: str, width: int) -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_constraint("ck_audit_log_actor_kind", type_="check")
        batch.drop_constraint("ck_audit_log_resource_kind", type_="check")
        batch.alter_column("resource_kind", type_=sa.String(width), existing_nullable=False)
        batch.create_check_constraint("ck_audit_log_actor_kind", actors)
        batch.create_check_constraint("ck_audit_log_resource_kind", resources)


def upgrade() -> None:
    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name="fk_calendar_feeds_patient_id_patients",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name="fk_calendar_feeds_created_by_users",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_calendar_feeds"),
        sa.UniqueConstraint("token_hash", name="uq_calendar_feeds_token_hash"),
    )
    op.create_index("ix_calendar_feeds_patient_id", "calendar_feeds", ["patient_id"])
    _audit_words(_ACTORS_NEW, _RESOURCES_NEW, 16)


def downgrade() -> None:
    op.execute("DELETE FROM audit_log WHERE actor_kind = 'feed' OR resource_kind = 'calendar_feed'")
    _audit_words(_ACTORS_OLD, _RESOURCES_OLD, 12)
    op.drop_index("ix_calendar_feeds_patient_id", table_name="calendar_feeds")
    op.drop_table("calendar_feeds")
