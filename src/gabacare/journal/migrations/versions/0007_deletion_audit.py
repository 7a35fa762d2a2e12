"""Deleting patients and accounts: the audit log accepts the resource kind ``account``.

Revision ID: 0007
Revises: 0006

Deleting a patient or an account removes its rows (no new table or column is needed: every table
that names a patient has ``ON DELETE CASCADE`` towards it, and the service deletes child rows
explicitly anyway), but the audit log must be able to say "an account was deleted". Its
``resource_kind`` CHECK gains the word ``account`` (7 characters: the column stays 16 wide).

``audit_log`` keeps its rows for deleted patients and accounts: ``patient_id`` and ``actor_id`` are
plain integers with no foreign key (0002), so nothing here or in the deletion touches them.

On SQLite the CHECK changes by rebuilding the audit table (batch "copy and move", as in 0006: no
foreign key points at it, so the rebuild cascades nothing); on PostgreSQL it changes in place. The
downgrade deletes the audit rows that use the new word (the old constraint cannot hold them).
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_KINDS = "'patient', 'plan', 'entry', 'report', 'share_link', 'api_token', 'audit_log', 'calendar_feed'"
_RESOURCES_OLD = f"resource_kind IN ({_KINDS})"
_RESOURCES_NEW = f"resource_kind IN ({_KINDS}, 'account')"


def _resource_words(resources: str) -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_constraint("ck_audit_log_resource_kind", type_="check")
        batch.create_check_constraint("ck_audit_log_resource_kind", resources)


def upgrade() -> None:
    _resource_words(_RESOURCES_NEW)


def downgrade() -> None:
    op.execute("DELETE FROM audit_log WHERE resource_kind = 'account'")
    _resource_words(_RESOURCES_OLD)
