"""Web state shared by every server process: the sign-in throttle, the CDS ``jti`` list, CDS feedback.

Revision ID: 0005
Revises: 0004

Three new tables, used by :mod:`gabacare.web.shared_state` (whose ``tables()`` has the same shape):

* ``web_signin_failures``: one row per failed sign-in (``scope``: account or address; ``key_digest``:
  SHA-256 of the throttle's key, so no e-mail address is stored; ``at``: seconds since the epoch);
* ``web_seen_jti``: accepted CDS Hooks token ids (SHA-256 digest, the primary key that makes a token
  single use across processes) and when each may be forgotten;
* ``web_cds_feedback``: CDS Hooks feedback records (JSON), one per key (unique digest).

New tables only: every existing row is untouched, and on SQLite no table is rebuilt.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_signin_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(32), nullable=False),
        sa.Column("key_digest", sa.String(64), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_web_signin_failures"),
    )
    op.create_index("ix_web_signin_failures_key", "web_signin_failures", ["scope", "key_digest", "at"])
    op.create_index("ix_web_signin_failures_at", "web_signin_failures", ["scope", "at"])
    op.create_table(
        "web_seen_jti",
        sa.Column("jti_digest", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("jti_digest", name="pk_web_seen_jti"),
    )
    op.create_index("ix_web_seen_jti_expires_at", "web_seen_jti", ["expires_at"])
    op.create_table(
        "web_cds_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_digest", sa.String(64), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("stored_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_web_cds_feedback"),
        sa.UniqueConstraint("key_digest", name="uq_web_cds_feedback_key_digest"),
    )


def downgrade() -> None:
    op.drop_table("web_cds_feedback")
    op.drop_index("ix_web_seen_jti_expires_at", table_name="web_seen_jti")
    op.drop_table("web_seen_jti")
    op.drop_index("ix_web_signin_failures_at", table_name="web_signin_failures")
    op.drop_index("ix_web_signin_failures_key", table_name="web_signin_failures")
    op.drop_table("web_signin_failures")
