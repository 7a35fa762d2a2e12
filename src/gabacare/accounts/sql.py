"""The SQL account repository (SQLAlchemy 2) on the journal's engine and schema: one store, one transaction
per public method, through the journal adapter's transaction and read-snapshot helpers. Rows are never logged."""


from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, bindparam, delete, insert, literal_column, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gabacare.accounts.model import (
    ActorKind,
    ApiToken,
    AuditAction,
    AuditEntry,
    CalendarFeed,
    EmailTakenError,
    MemberRole,
    NewAuditEntry,
    NewUser,
    PatientMember,
    ResourceKind,
    Role,
    ShareLink,
    User,
)
from gabacare.accounts.model import Session as SignInSession
from gabacare.accounts.repository import AccountRepository
from gabacare.journal import settings
from gabacare.journal.db import audit_engine as _audit_engine_for
from gabacare.journal.model import (
    DoseStatus,
    NewPatient,
    Patient,
)
from gabacare.journal.orm import (
    ApiTokenRow,
    AuditRow,
    CalendarFeedRow,
    EntryRevisionRow,
    EntryRow,
    PatientMemberRow,
    PatientRow,
    PickUpRow,
    PlanDoseRow,
    PlanRow,
    QuestionnaireRow,
    SessionRow,
    ShareLinkRow,
    SupplySettingsRow,
    UserRow,
)
from gabacare.journal.sql import (
    SqlJournalRepository,
    _core_transaction,
    _patient,
    _read_session,
    _reader,
    _storable,
    _transaction,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

__all__ = ["SqlAccountRepository"]

_Status = DoseStatus | None
_ENTRIES = cast(Table, EntryRow.__table__)
_CONTENT = ("kind", "at", "mg", "status", "name", "value", "unit", "text", "urgency", "slot", "prn")

def _user(row: UserRow) -> User:
    return User(row.id, row.email, row.display_name, cast(Role, row.role), row.created_at, row.disabled)


def _token(row: ApiTokenRow) -> ApiToken:
    return ApiToken(row.id, row.user_id, row.name, row.token_hash, row.created_at, row.last_used_at, row.revoked_at)


def _link(row: ShareLinkRow) -> ShareLink:
    return ShareLink(row.id, row.patient_id, row.created_by, row.token_hash, row.created_at, row.expires_at,
                     row.revoked_at)


def _member(row: PatientMemberRow) -> PatientMember:
    return PatientMember(row.patient_id, row.user_id, cast(MemberRole, row.role), row.created_at, row.created_by)


def _feed(row: CalendarFeedRow) -> CalendarFeed:
    return CalendarFeed(row.id, row.patient_id, row.created_by, row.token_hash, row.created_at, row.revoked_at)


def _audit(row: AuditRow) -> AuditEntry:
    return AuditEntry(row.at, cast(ActorKind, row.actor_kind), row.actor_id, cast(AuditAction, row.action),
                      row.patient_id, cast(ResourceKind, row.resource_kind), row.resource_id, id=row.id)


# What every signed-in page reads (its session, its account, the header's patient switcher), built once
# and run as Core rows on the session's connection: building a select, and the ORM's loading, cost more
# than the query itself on SQLite.
_USERS = cast(Table, UserRow.__table__)
_SESSIONS = cast(Table, SessionRow.__table__)
_PATIENTS = cast(Table, PatientRow.__table__)
_MEMBERS = cast(Table, PatientMemberRow.__table__)
_USER_BY_ID = select(_USERS.c.id, _USERS.c.email, _USERS.c.display_name, _USERS.c.role, _USERS.c.created_at,
                     _USERS.c.disabled).where(_USERS.c.id == bindparam("user_id"))
_SESSION_BY_HASH = select(_SESSIONS.c.id_hash, _SESSIONS.c.user_id, _SESSIONS.c.created_at, _SESSIONS.c.expires_at,
                          _SESSIONS.c.revoked_at).where(_SESSIONS.c.id_hash == bindparam("id_hash"))
_PATIENT_COLUMNS = (_PATIENTS.c.id, _PATIENTS.c.name, _PATIENTS.c.birth_date, _PATIENTS.c.sex, _PATIENTS.c.weight_kg,
                    _PATIENTS.c.created_at)
_SESSION_AND_USER = (select(*_SESSION_BY_HASH.selected_columns, *_USER_BY_ID.selected_columns)
                     .select_from(_SESSIONS.outerjoin(_USERS, _USERS.c.id == _SESSIONS.c.user_id))
                     .where(_SESSIONS.c.id_hash == bindparam("id_hash")))
_PATIENTS_OF = (select(*_PATIENT_COLUMNS).where(_PATIENTS.c.owner_user_id == bindparam("user_id"))
                .order_by(_PATIENTS.c.id))
_SHARED_WITH = (select(*_PATIENT_COLUMNS, _MEMBERS.c.role)
                .join(_MEMBERS, _MEMBERS.c.patient_id == _PATIENTS.c.id)
                .where(_MEMBERS.c.user_id == bindparam("user_id")).order_by(_PATIENTS.c.id))

# The switcher's patients: the owned ones (role "owner"), then the shared ones, each by id.
_PATIENTS_WITH_ROLES = (
    select(*_PATIENT_COLUMNS, literal_column("'owner'").label("role"), literal_column("0").label("shared"))
    .where(_PATIENTS.c.owner_user_id == bindparam("user_id"))
    .union_all(select(*_PATIENT_COLUMNS, _MEMBERS.c.role, literal_column("1"))
               .join(_MEMBERS, _MEMBERS.c.patient_id == _PATIENTS.c.id)
               .where(_MEMBERS.c.user_id == bindparam("user_id")))
    .order_by(text("shared"), text("id")))
_AUDIT = cast(Table, AuditRow.__table__)
_ADD_AUDITS = insert(_AUDIT).returning(_AUDIT.c.id, sort_by_parameter_order=True)


def _user_of(values: Sequence[Any]) -> User:
    """An account from the columns of ``_USER_BY_ID``, in order (also the last six of ``_SESSION_AND_USER``)."""
    return User(values[0], values[1], values[2], cast(Role, values[3]), values[4], values[5])


def _session_of(values: Sequence[Any]) -> SignInSession:
    """A sign-in session from the columns of ``_SESSION_BY_HASH``, in order (the first five of ``_SESSION_AND_USER``)."""
    return SignInSession(values[0], values[1], values[2], values[3], values[4])


class SqlAccountRepository(AccountRepository):
    """Accounts on the journal's engine (the schema of migration 0002).

    ``audit_durability`` is one of ``settings.AUDIT_DURABILITIES``: with ``"process"`` (the default)
    :meth:`append_audits` commits without waiting for the disk (the row survives the process being
    killed; see the setting), with ``"full"`` like every other write.
    """

    def __init__(self, engine: Engine, *, audit_durability: str = settings.AUDIT_DURABILITIES[0]) -> None:
        if audit_durability not in settings.AUDIT_DURABILITIES:
            raise ValueError(f"audit durability must be one of {', '.join(settings.AUDIT_DURABILITIES)}")
        self.engine = engine
        self._reader = _reader(engine)
        self._relaxed = audit_durability == "process"

    @cached_property
    def audit_engine(self) -> Engine:
        """The engine audit rows are written on (:func:`gabacare.journal.db.audit_engine`): built on the
        first audit row, so a process that writes none (a CLI command) opens no second pool."""
        return _audit_engine_for(self.engine, relaxed=self._relaxed)

    def _tx(self) -> AbstractContextManager[Session]:
        return _transaction(self.engine)

    def _read(self) -> AbstractContextManager[Session]:
        return _read_session(self.engine, self._reader)

    # -- users ------------------------------------------------------------------------------------
    def add_user(self, user: NewUser, *, created_at: datetime) -> User:
        with self._tx() as s:
            if s.scalar(select(UserRow.id).where(UserRow.email == user.email)) is not None:
                raise EmailTakenError()
            row = UserRow(email=user.email, display_name=user.display_name, role=user.role,
                          password_hash=user.password_hash, created_at=created_at, disabled=False)
            s.add(row)
            try:
                s.flush()
            except IntegrityError:  # a concurrent sign-up with the same e-mail won the race
                raise EmailTakenError() from None
            return _user(row)

    def get_user(self, user_id: int) -> User | None:
        if not _storable(user_id):
            return None
        with self._read() as s:
            row = s.connection().execute(_USER_BY_ID, {"user_id": user_id}).first()
            return None if row is None else _user_of(row)

    def find_user(self, email: str) -> tuple[User, str] | None:
        with self._read() as s:
            row = s.scalars(select(UserRow).where(UserRow.email == email)).first()
            return None if row is None else (_user(row), row.password_hash)

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        with self._tx() as s:
            s.execute(update(UserRow).where(UserRow.id == user_id).values(password_hash=password_hash))

    def set_disabled(self, user_id: int, disabled: bool) -> None:
        with self._tx() as s:
            s.execute(update(UserRow).where(UserRow.id == user_id).values(disabled=disabled))

    # -- sessions ---------------------------------------------------------------------------------
    def add_session(self, session: SignInSession) -> None:
        with self._tx() as s:
            s.add(SessionRow(id_hash=session.id_hash, user_id=session.user_id, created_at=session.created_at,
                             expires_at=session.expires_at, revoked_at=session.revoked_at))

    def get_session(self, id_hash: str) -> SignInSession | None:
        with self._read() as s:
            row = s.connection().execute(_SESSION_BY_HASH, {"id_hash": id_hash}).first()
            return None if row is None else _session_of(row)

    def get_session_and_user(self, id_hash: str) -> tuple[SignInSession, User | None] | None:
        with self._read() as s:
            row = s.connection().execute(_SESSION_AND_USER, {"id_hash": id_hash}).first()
            if row is None:
                return None
            return _session_of(row[:5]), (None if row[5] is None else _user_of(row[5:]))

    def revoke_session(self, id_hash: str, *, at: datetime) -> None:
        with self._tx() as s:
            s.execute(update(SessionRow).where(SessionRow.id_hash == id_hash, SessionRow.revoked_at.is_(None))
                      .values(revoked_at=at))

    def revoke_sessions_of(self, user_id: int, *, at: datetime) -> int:
        with self._tx() as s:
            done = s.execute(update(SessionRow).where(SessionRow.user_id == user_id, SessionRow.revoked_at.is_(None))
                             .values(revoked_at=at))
            return int(cast(Any, done).rowcount)

    def extend_session(self, id_hash: str, expires_at: datetime) -> None:
        with self._tx() as s:
            s.execute(update(SessionRow).where(SessionRow.id_hash == id_hash, SessionRow.revoked_at.is_(None))
                      .values(expires_at=expires_at))

    # -- password-reset codes ---------------------------------------------------------------------
    # Kept in the single-use list of migration 0005 (web_seen_jti: a hash and an expiry, which is all a
    # code needs), so no migration. The hash Accounts passes starts with "r:", which no SHA-256 hex
    # digest of a CDS token id does: a token id can never be made to look like a code.
    def add_reset_code(self, code_hash: str, expires_at: datetime) -> None:
        from datetime import UTC

        from gabacare.journal.orm import WEB_SEEN_JTI

        with self._tx() as s:
            s.execute(insert(WEB_SEEN_JTI).values(jti_digest=code_hash,
                                                  expires_at=expires_at.replace(tzinfo=UTC).timestamp()))

    def take_reset_code(self, code_hash: str, *, now: datetime) -> bool:
        from datetime import UTC

        from gabacare.journal.orm import WEB_SEEN_JTI

        t = WEB_SEEN_JTI
        with self._tx() as s:
            now_s = now.replace(tzinfo=UTC).timestamp()
            done = s.execute(delete(t).where(t.c.jti_digest == code_hash, t.c.expires_at > now_s))
            s.execute(delete(t).where(t.c.jti_digest.like("r:%"), t.c.expires_at <= now_s))  # spent codes go
            return int(cast(Any, done).rowcount) == 1

    # -- API tokens -------------------------------------------------------------------------------
    def add_token(self, user_id: int, name: str, token_hash: str, *, created_at: datetime) -> ApiToken:
        with self._tx() as s:
            row = ApiTokenRow(user_id=user_id, name=name, token_hash=token_hash, created_at=created_at)
            s.add(row)
            s.flush()
            return _token(row)

    def find_token(self, token_hash: str) -> ApiToken | None:
        with self._read() as s:
            row = s.scalars(select(ApiTokenRow).where(ApiTokenRow.token_hash == token_hash)).first()
            return None if row is None else _token(row)

    def get_token(self, token_id: int) -> ApiToken | None:
        with self._read() as s:
            row = s.get(ApiTokenRow, token_id) if _storable(token_id) else None
            return None if row is None else _token(row)

    def list_tokens(self, user_id: int) -> list[ApiToken]:
        with self._read() as s:
            q = select(ApiTokenRow).where(ApiTokenRow.user_id == user_id).order_by(ApiTokenRow.id)
            return [_token(r) for r in s.scalars(q)]

    def touch_token(self, token_id: int, *, at: datetime) -> None:
        with self._tx() as s:
            s.execute(update(ApiTokenRow).where(ApiTokenRow.id == token_id).values(last_used_at=at))

    def revoke_token(self, token_id: int, *, at: datetime) -> None:
        with self._tx() as s:
            s.execute(update(ApiTokenRow).where(ApiTokenRow.id == token_id, ApiTokenRow.revoked_at.is_(None))
                      .values(revoked_at=at))

    # -- ownership --------------------------------------------------------------------------------
    def add_owned_patient(self, owner_user_id: int, patient: NewPatient, *, created_at: datetime) -> Patient:
        with self._tx() as s:
            row = PatientRow(name=patient.name, birth_date=patient.birth_date, sex=patient.sex,
                             weight_kg=patient.weight_kg, created_at=created_at, owner_user_id=owner_user_id)
            s.add(row)
            s.flush()
            return _patient(row)

    def patient_owner(self, patient_id: int) -> int | None:
        with self._read() as s:
            return cast(int | None, SqlJournalRepository._check_patient(s, patient_id).owner_user_id)

    def claim_patient(self, patient_id: int, owner_user_id: int) -> int:
        with self._tx() as s:
            SqlJournalRepository._check_patient(s, patient_id)
            # one conditional UPDATE: two claims racing cannot both win
            s.execute(update(PatientRow).where(PatientRow.id == patient_id, PatientRow.owner_user_id.is_(None))
                      .values(owner_user_id=owner_user_id))
            owner = s.scalar(select(PatientRow.owner_user_id).where(PatientRow.id == patient_id))
            return int(cast(int, owner))

    def list_patients_of(self, owner_user_id: int) -> list[Patient]:
        with self._read() as s:
            return [_patient(r) for r in s.connection().execute(_PATIENTS_OF, {"user_id": owner_user_id})]

    # -- members ----------------------------------------------------------------------------------
    def add_member(self, member: PatientMember) -> PatientMember:
        with self._tx() as s:
            SqlJournalRepository._check_patient(s, member.patient_id)
            row = s.get(PatientMemberRow, (member.patient_id, member.user_id))
            if row is None:
                row = PatientMemberRow(patient_id=member.patient_id, user_id=member.user_id, role=member.role,
                                       created_at=member.created_at, created_by=member.created_by)
                s.add(row)
            else:  # a new role for an account that has one: the pair stays one row
                row.role, row.created_at, row.created_by = member.role, member.created_at, member.created_by
            s.flush()
            return _member(row)

    def remove_member(self, patient_id: int, user_id: int) -> bool:
        with self._tx() as s:
            done = s.execute(delete(PatientMemberRow).where(PatientMemberRow.patient_id == patient_id,
                                                            PatientMemberRow.user_id == user_id))
            return bool(cast(Any, done).rowcount)

    def list_members(self, patient_id: int) -> list[PatientMember]:
        with self._read() as s:
            q = (select(PatientMemberRow).where(PatientMemberRow.patient_id == patient_id)
                 .order_by(PatientMemberRow.created_at, PatientMemberRow.user_id))
            return [_member(r) for r in s.scalars(q)]

    def member_role(self, patient_id: int, user_id: int) -> MemberRole | None:
        if not (_storable(patient_id) and _storable(user_id)):
            return None
        with self._read() as s:
            role = s.scalar(select(PatientMemberRow.role).where(PatientMemberRow.patient_id == patient_id,
                                                                 PatientMemberRow.user_id == user_id))
            return None if role is None else cast(MemberRole, role)

    def list_shared_with(self, user_id: int) -> list[tuple[Patient, MemberRole]]:
        with self._read() as s:
            return [(_patient(r), cast(MemberRole, r[6]))
                    for r in s.connection().execute(_SHARED_WITH, {"user_id": user_id})]

    def list_patients_with_roles(self, user_id: int) -> list[tuple[Patient, str]]:
        with self._read() as s:
            return [(_patient(r), str(r[6]))
                    for r in s.connection().execute(_PATIENTS_WITH_ROLES, {"user_id": user_id})]

    # -- share links ------------------------------------------------------------------------------
    def add_share_link(
        self, patient_id: int, *, created_by: int, token_hash: str, created_at: datetime, expires_at: datetime
    ) -> ShareLink:
        with self._tx() as s:
            SqlJournalRepository._check_patient(s, patient_id)
            row = ShareLinkRow(patient_id=patient_id, created_by=created_by, token_hash=token_hash,
                               created_at=created_at, expires_at=expires_at)
            s.add(row)
            s.flush()
            return _link(row)

    def find_share_link(self, token_hash: str) -> ShareLink | None:
        with self._read() as s:
            row = s.scalars(select(ShareLinkRow).where(ShareLinkRow.token_hash == token_hash)).first()
            return None if row is None else _link(row)

    def get_share_link(self, link_id: int) -> ShareLink | None:
        with self._read() as s:
            row = s.get(ShareLinkRow, link_id) if _storable(link_id) else None
            return None if row is None else _link(row)

    def list_share_links(self, patient_id: int) -> list[ShareLink]:
        with self._read() as s:
            SqlJournalRepository._check_patient(s, patient_id)
            q = select(ShareLinkRow).where(ShareLinkRow.patient_id == patient_id).order_by(ShareLinkRow.id)
            return [_link(r) for r in s.scalars(q)]

    def revoke_share_link(self, link_id: int, *, at: datetime) -> None:
        with self._tx() as s:
            s.execute(update(ShareLinkRow).where(ShareLinkRow.id == link_id, ShareLinkRow.revoked_at.is_(None))
                      .values(revoked_at=at))

    # -- calendar feeds ---------------------------------------------------------------------------
    @staticmethod
    def _revoke_feeds(s: Session, patient_id: int, at: datetime) -> list[int]:
        live = list(s.scalars(select(CalendarFeedRow.id).where(CalendarFeedRow.patient_id == patient_id,
                                                                CalendarFeedRow.revoked_at.is_(None))))
        if live:
            s.execute(update(CalendarFeedRow).where(CalendarFeedRow.id.in_(live)).values(revoked_at=at))
        return live

    def add_calendar_feed(self, patient_id: int, *, created_by: int, token_hash: str, created_at: datetime) -> CalendarFeed:
        with self._tx() as s:
            SqlJournalRepository._check_patient(s, patient_id)
            # NOTE: lock the patient row (PostgreSQL; SQLite serialises writers anyway) so two rotations
            # racing cannot both leave a live feed.
            s.execute(select(PatientRow.id).where(PatientRow.id == patient_id).with_for_update())
            self._revoke_feeds(s, patient_id, created_at)
            row = CalendarFeedRow(patient_id=patient_id, created_by=created_by, token_hash=token_hash,
                                  created_at=created_at)
            s.add(row)
            s.flush()
            return _feed(row)

    def find_calendar_feed(self, token_hash: str) -> CalendarFeed | None:
        with self._read() as s:
            row = s.scalars(select(CalendarFeedRow).where(CalendarFeedRow.token_hash == token_hash)).first()
            return None if row is None else _feed(row)

    def live_calendar_feed(self, patient_id: int) -> CalendarFeed | None:
        with self._read() as s:
            row = s.scalars(select(CalendarFeedRow).where(CalendarFeedRow.patient_id == patient_id,
                                                          CalendarFeedRow.revoked_at.is_(None))
                            .order_by(CalendarFeedRow.id.desc())).first()
            return None if row is None else _feed(row)

    def revoke_calendar_feeds(self, patient_id: int, *, at: datetime) -> list[int]:
        with self._tx() as s:
            return self._revoke_feeds(s, patient_id, at)

    # -- deletion -----------------------------------------------------------------------------------
    @staticmethod
    def _delete_patient_rows(s: Session, patient_ids: list[int]) -> None:
        # NOTE: child rows are deleted explicitly, children first, rather than left to ON DELETE CASCADE:
        # SQLite enforces foreign keys only when a connection turns them on, and the result must not
        # depend on that. ``audit_log`` is deliberately absent: its rows outlive the patient.
        if not patient_ids:
            return
        entry_ids = select(EntryRow.id).where(EntryRow.patient_id.in_(patient_ids))
        plan_ids = select(PlanRow.id).where(PlanRow.patient_id.in_(patient_ids))
        s.execute(delete(EntryRevisionRow).where(EntryRevisionRow.entry_id.in_(entry_ids)))
        s.execute(delete(EntryRow).where(EntryRow.patient_id.in_(patient_ids)))
        s.execute(delete(PlanDoseRow).where(PlanDoseRow.plan_id.in_(plan_ids)))
        s.execute(delete(PlanRow).where(PlanRow.patient_id.in_(patient_ids)))
        s.execute(delete(QuestionnaireRow).where(QuestionnaireRow.patient_id.in_(patient_ids)))
        s.execute(delete(PickUpRow).where(PickUpRow.patient_id.in_(patient_ids)))
        s.execute(delete(SupplySettingsRow).where(SupplySettingsRow.patient_id.in_(patient_ids)))
        s.execute(delete(ShareLinkRow).where(ShareLinkRow.patient_id.in_(patient_ids)))
        s.execute(delete(CalendarFeedRow).where(CalendarFeedRow.patient_id.in_(patient_ids)))
        s.execute(delete(PatientMemberRow).where(PatientMemberRow.patient_id.in_(patient_ids)))
        s.execute(delete(PatientRow).where(PatientRow.id.in_(patient_ids)))

    def delete_patient(self, patient_id: int) -> None:
        with self._tx() as s:
            SqlJournalRepository._check_patient(s, patient_id)
            self._delete_patient_rows(s, [patient_id])

    def delete_user(self, user_id: int) -> None:
        with self._tx() as s:
            owned = list(s.scalars(select(PatientRow.id).where(PatientRow.owner_user_id == user_id)))
            self._delete_patient_rows(s, owned)
            s.execute(delete(ShareLinkRow).where(ShareLinkRow.created_by == user_id))
            s.execute(delete(CalendarFeedRow).where(CalendarFeedRow.created_by == user_id))
            s.execute(delete(PatientMemberRow).where((PatientMemberRow.user_id == user_id)
                                                     | (PatientMemberRow.created_by == user_id)))
            s.execute(delete(SessionRow).where(SessionRow.user_id == user_id))
            s.execute(delete(ApiTokenRow).where(ApiTokenRow.user_id == user_id))
            s.execute(delete(UserRow).where(UserRow.id == user_id))

    # -- audit ------------------------------------------------------------------------------------
    def append_audit(self, entry: NewAuditEntry) -> AuditEntry:
        with self._tx() as s:
            row = AuditRow(at=entry.at, actor_kind=entry.actor_kind, actor_id=entry.actor_id, action=entry.action,
                           patient_id=entry.patient_id, resource_kind=entry.resource_kind,
                           resource_id=entry.resource_id)
            s.add(row)
            s.flush()
            return _audit(row)

    def append_audits(self, entries: Sequence[NewAuditEntry]) -> list[AuditEntry]:
        """One transaction, one Core INSERT … RETURNING id for the rows (in their order): the same rows
        and entries as adding ``AuditRow`` objects and flushing, without the ORM's session and unit of
        work (every page view writes one)."""
        if not entries:
            return []
        with _core_transaction(self.audit_engine) as conn:
            ids = conn.execute(_ADD_AUDITS, [
                {"at": e.at, "actor_kind": e.actor_kind, "actor_id": e.actor_id, "action": e.action,
                 "patient_id": e.patient_id, "resource_kind": e.resource_kind, "resource_id": e.resource_id}
                for e in entries]).scalars().all()
            return [AuditEntry(e.at, e.actor_kind, e.actor_id, e.action, e.patient_id, e.resource_kind,
                               e.resource_id, id=int(i)) for e, i in zip(entries, ids, strict=True)]

    def list_audit(self, patient_id: int) -> list[AuditEntry]:
        with self._read() as s:
            return [_audit(r) for r in s.scalars(select(AuditRow).where(AuditRow.patient_id == patient_id)
                                                 .order_by(AuditRow.id))]

    def close(self) -> None:
        audit = self.__dict__.get("audit_engine")
        if audit is not None and audit.pool is not self.engine.pool:  # PostgreSQL's own audit pool
            audit.dispose()
        self.engine.dispose()
