"""SQLAlchemy 2 table models of the journal (typed ``Mapped[]``); private to the SQL adapter.

The Alembic migrations in ``migrations/versions`` create exactly these tables; a test compares
the migrated schema with this metadata so the two cannot drift.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "WEB_CDS_FEEDBACK",
    "WEB_SEEN_JTI",
    "WEB_SIGNIN_FAILURES",
    "ApiTokenRow",
    "AuditRow",
    "Base",
    "CalendarFeedRow",
    "EntryRevisionRow",
    "EntryRow",
    "PatientMemberRow",
    "PatientRow",
    "PickUpRow",
    "PlanDoseRow",
    "PlanRow",
    "QuestionnaireRow",
    "SessionRow",
    "ShareLinkRow",
    "SupplySettingsRow",
    "UserRow",
]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

KIND_CHECK = "kind IN ('dose', 'symptom', 'trigger', 'side_effect', 'lab', 'note')"
STATUS_CHECK = "status IS NULL OR status IN ('taken', 'late', 'skipped')"
MG_CHECK = "mg IS NULL OR mg >= 0"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class PatientRow(Base):
    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    birth_date: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(6))
    weight_kg: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # NULL: a local patient of the command line, owned by the machine's user (migration 0002).
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)


class PlanRow(Base):
    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    label: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    continues: Mapped[bool] = mapped_column(Boolean)
    spec: Mapped[str] = mapped_column(Text)
    warnings: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # migration 0010: the plan as made (journal/plan_record.py PlanRecord.to_text); filled for every
    # plan by the migration, NULL only for a plan written without one by an adapter's caller.
    made: Mapped[str | None] = mapped_column(Text)


class PlanDoseRow(Base):
    __tablename__ = "plan_doses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    mg: Mapped[float] = mapped_column(Float)


class _EntryColumns:
    """Content columns shared by the current entry and its superseded revisions."""

    kind: Mapped[str] = mapped_column(String(12))
    at: Mapped[datetime] = mapped_column(DateTime)
    mg: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str | None] = mapped_column(String(8))
    name: Mapped[str | None] = mapped_column(String(40))
    value: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str | None] = mapped_column(Text)
    urgency: Mapped[str | None] = mapped_column(String(24))
    version: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
    # migration 0003: the planned dose a dose answers (None: as-needed or unplanned), and as-needed
    slot: Mapped[datetime | None] = mapped_column(DateTime)
    prn: Mapped[bool] = mapped_column(Boolean)


class EntryRow(_EntryColumns, Base):
    __tablename__ = "entries"
    __table_args__ = (
        Index("ix_entries_patient_at", "patient_id", "at"),
        Index("uq_entries_patient_uid", "patient_id", "uid", unique=True),
        CheckConstraint(KIND_CHECK, name="kind"),
        CheckConstraint(STATUS_CHECK, name="status"),
        CheckConstraint(MG_CHECK, name="mg"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    # migration 0003: the stable id an export carries (a UUID, unique per patient), and the deletion
    uid: Mapped[str] = mapped_column(String(36))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)


class EntryRevisionRow(_EntryColumns, Base):
    """A superseded version of an entry (append-only: rows here are never changed)."""

    __tablename__ = "entry_revisions"
    __table_args__ = (UniqueConstraint("entry_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)


class QuestionnaireRow(Base):
    """A completed questionnaire (migration 0004): never edited; ``uid`` unique per patient like an entry's."""

    __tablename__ = "questionnaires"
    __table_args__ = (
        Index("ix_questionnaires_patient_at", "patient_id", "at"),
        Index("uq_questionnaires_patient_uid", "patient_id", "uid", unique=True),
        CheckConstraint("total >= 0", name="total"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    uid: Mapped[str] = mapped_column(String(36))
    at: Mapped[datetime] = mapped_column(DateTime)
    instrument: Mapped[str] = mapped_column(String(40))
    answers: Mapped[str] = mapped_column(String(200))
    total: Mapped[int] = mapped_column(Integer)
    severity: Mapped[str] = mapped_column(String(40))
    emergency: Mapped[bool] = mapped_column(Boolean)
    recorded_at: Mapped[datetime] = mapped_column(DateTime)


class PickUpRow(Base):
    """A pick-up of pills (migration 0008): never edited; ``uid`` unique per patient like an entry's."""

    __tablename__ = "pickups"
    __table_args__ = (
        Index("ix_pickups_patient_at", "patient_id", "picked_up_at"),
        Index("uq_pickups_patient_uid", "patient_id", "uid", unique=True),
        CheckConstraint("count > 0", name="count"),
        CheckConstraint("strength_mg > 0", name="strength_mg"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    uid: Mapped[str] = mapped_column(String(36))
    picked_up_at: Mapped[datetime] = mapped_column(DateTime)
    strength_mg: Mapped[int] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(DateTime)


class SupplySettingsRow(Base):
    """The refill lead time a patient chose (migration 0009); no row: the default of ``journal/settings.py``."""

    __tablename__ = "supply_settings"
    __table_args__ = (CheckConstraint("refill_lead_days >= 0", name="refill_lead_days"),)

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), primary_key=True)
    refill_lead_days: Mapped[int] = mapped_column(Integer)


# -- accounts (migration 0002); account times are naive UTC ------------------------------------------

ROLE_CHECK = "role IN ('patient', 'clinician')"
ACTOR_KIND_CHECK = "actor_kind IN ('user', 'token', 'share', 'feed', 'cli')"  # 'feed': migration 0006
ACTION_CHECK = "action IN ('read', 'create', 'update', 'delete', 'export', 'import', 'share', 'revoke')"
RESOURCE_KIND_CHECK = ("resource_kind IN ('patient', 'plan', 'entry', 'report', 'share_link', 'api_token', "
                       "'audit_log', 'calendar_feed', 'account')")  # 'calendar_feed' (and 16 characters): 0006;
# 'account' (an account deleted): migration 0007


class UserRow(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(ROLE_CHECK, name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # stored lower-cased by the service, so the unique constraint is case-insensitive on every backend
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(10))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    disabled: Mapped[bool] = mapped_column(Boolean)


class SessionRow(Base):
    __tablename__ = "sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class ApiTokenRow(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class ShareLinkRow(Base):
    """Read-only by construction: there is no column that could grant writing."""

    __tablename__ = "share_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


MEMBER_ROLE_CHECK = "role IN ('viewer', 'logger')"


class PatientMemberRow(Base):
    """A patient shared with a second account (migration 0011): one row per (patient, account), the
    primary key; ``role`` says what it may do (``gabacare.accounts.model.MemberRole``)."""

    __tablename__ = "patient_members"
    __table_args__ = (CheckConstraint(MEMBER_ROLE_CHECK, name="role"),)

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))


class CalendarFeedRow(Base):
    """A patient's calendar subscription address (migration 0006): only the token's SHA-256 is kept.

    Rotating revokes the live row and adds a new one; rows are kept (revoked) so the audit's feed ids resolve.
    """

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class AuditRow(Base):
    """Append-only: ids and vocabulary words (checked) only, never journal contents.

    ``patient_id`` has no foreign key on purpose: the record of who read a patient outlives the patient.
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_patient_id_id", "patient_id", "id"),
        CheckConstraint(ACTOR_KIND_CHECK, name="actor_kind"),
        CheckConstraint(ACTION_CHECK, name="action"),
        CheckConstraint(RESOURCE_KIND_CHECK, name="resource_kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor_kind: Mapped[str] = mapped_column(String(8))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(8))
    patient_id: Mapped[int | None] = mapped_column(Integer)
    resource_kind: Mapped[str] = mapped_column(String(16))
    resource_id: Mapped[int | None] = mapped_column(Integer)


# -- the web tier's shared state (migration 0005; gabacare.web.shared_state reads and writes them) --------
# Times are wall-clock seconds (floats): they only order and expire rows. Keys are SHA-256 digests, so no
# e-mail address, token id or feedback key is stored in the clear.
WEB_SIGNIN_FAILURES = Table(
    "web_signin_failures", Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("scope", String(32), nullable=False),
    Column("key_digest", String(64), nullable=False),
    Column("at", Float, nullable=False),
    Index("ix_web_signin_failures_key", "scope", "key_digest", "at"),
    Index("ix_web_signin_failures_at", "scope", "at"),
)
WEB_SEEN_JTI = Table(
    "web_seen_jti", Base.metadata,
    Column("jti_digest", String(64), primary_key=True),
    Column("expires_at", Float, nullable=False),
    Index("ix_web_seen_jti_expires_at", "expires_at"),
)
WEB_CDS_FEEDBACK = Table(
    "web_cds_feedback", Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key_digest", String(64), nullable=False),
    Column("record", Text, nullable=False),
    Column("stored_at", Float, nullable=False),
    UniqueConstraint("key_digest", name="uq_web_cds_feedback_key_digest"),
)
