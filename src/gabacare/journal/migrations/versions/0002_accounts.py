"""Accounts: users, sessions, API tokens, share links, the audit log, and patients.owner_user_id.

Revision ID: 0002
Revises: 0001

Existing journals upgrade in place: every patient keeps its rows and gets ``owner_user_id``
NULL (a local patient of the command line).

NOTE: on SQLite the column is added with a plain ``ALTER TABLE ... ADD COLUMN`` carrying its
foreign key inline, not with a batch "copy and move" of ``patients``. The engine runs with
``PRAGMA foreign_keys=ON`` (which cannot be switched off inside the migration's transaction), and
dropping the old ``patients`` table during a batch rebuild would fire ``ON DELETE CASCADE`` and
empty ``plans`` and ``entries``.
SEE: https://www.sqlite.org/foreignkeys.html#fk_schemacommands
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_OWNER_FK = "fk_patients_owner_user_id_users"
_OWNER_IX = "ix_patients_owner_user_id"


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.CheckConstraint("role IN ('patient', 'clinician')", name="ck_users_role"),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("email", name="uq_users_email"),
    )
    op.create_table(
        "sessions",
        sa.Column("id_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_sessions_user_id_users", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id_hash", name="pk_sessions"),
    )
    op.create_index("ix_sessions_user_id", "sessions", ["user_id"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_api_tokens_user_id_users", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
    )
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])
    op.create_table(
        "share_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name="fk_share_links_patient_id_patients",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name="fk_share_links_created_by_users",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_share_links"),
        sa.UniqueConstraint("token_hash", name="uq_share_links_token_hash"),
    )
    op.create_index("ix_share_links_patient_id", "share_links", ["patient_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor_kind", sa.String(8), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("resource_kind", sa.String(12), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("actor_kind IN ('user', 'token', 'share', 'cli')", name="ck_audit_log_actor_kind"),
        sa.CheckConstraint("action IN ('read', 'create', 'update', 'delete', 'export', 'import', 'share', 'revoke')",
                           name="ck_audit_log_action"),
        sa.CheckConstraint("resource_kind IN ('patient', 'plan', 'entry', 'report', 'share_link', 'api_token', "
                           "'audit_log')", name="ck_audit_log_resource_kind"),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_patient_id_id", "audit_log", ["patient_id", "id"])

    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE patients ADD COLUMN owner_user_id INTEGER CONSTRAINT {_OWNER_FK} REFERENCES users (id)")
    else:
        op.add_column("patients", sa.Column("owner_user_id", sa.Integer(), nullable=True))
        op.create_foreign_key(_OWNER_FK, "patients", "users", ["owner_user_id"], ["id"])
    op.create_index(_OWNER_IX, "patients", ["owner_user_id"])


def downgrade() -> None:
    op.drop_index(_OWNER_IX, table_name="patients")
    if op.get_bind().dialect.name == "sqlite":
        # native DROP COLUMN (SQLite 3.35+) removes the inline foreign key with the column; no rebuild
        op.execute("ALTER TABLE patients DROP COLUMN owner_user_id")
    else:
        op.drop_constraint(_OWNER_FK, "patients", type_="foreignkey")
        op.drop_column("patients", "owner_user_id")
    op.drop_table("audit_log")
    op.drop_table("share_links")
    op.drop_table("api_tokens")
    op.drop_table("sessions")
    op.drop_table("users")
