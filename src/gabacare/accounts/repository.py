"""The account repository port: users, sessions, API tokens, patient ownership, share links, audit.

Why a second port rather than more methods on :class:`~gabacare.journal.repository.JournalRepository`:

* the local command line needs the journal and nothing else; keeping accounts out of its port
  keeps every existing adapter, fake and signature unchanged;
* the two change for different reasons (clinical record-keeping vs. identity and access), and a
  fake for one need not implement the other;
* they still share one store: an account adapter is built over the same engine
  (:class:`~gabacare.journal.sql.SqlAccountRepository`) or the same in-memory journal
  (:class:`~gabacare.journal.memory.InMemoryAccountRepository`), because ownership
  (``patients.owner_user_id``) and share links point at journal patients.

``tests/contract/test_account_repository.py`` runs one suite against the in-memory, SQLite and
PostgreSQL adapters. Rules every adapter keeps:

* each method is one transaction; values in, values out; no business rules (expiry, policy and
  hashing live in :class:`~gabacare.accounts.service.Accounts`);
* e-mails arrive normalised (lower case); ``add_user`` raises
  :class:`~gabacare.accounts.model.EmailTakenError` on a duplicate;
* secrets arrive already hashed (hex SHA-256); lookups are by that hash;
* revoking keeps the first revocation time (revoking twice changes nothing);
* the audit log is append-only: no method changes or deletes an audit entry, and entries
  outlive the patient they name (no foreign key on ``audit_log.patient_id``);
* deleting a patient or an account removes its rows in one transaction and leaves the audit rows;
* a patient id that does not exist raises :class:`~gabacare.journal.errors.UnknownPatientError`.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from datetime import datetime

from gabacare.accounts.model import (
    ApiToken,
    AuditEntry,
    CalendarFeed,
    MemberRole,
    NewAuditEntry,
    NewUser,
    PatientMember,
    Session,
    ShareLink,
    User,
)
from gabacare.journal.model import NewPatient, Patient

__all__ = ["AccountRepository"]


class AccountRepository(abc.ABC):
    """Storage of accounts and access; values in, values out."""

    # -- users ------------------------------------------------------------------------------------
    @abc.abstractmethod
    def add_user(self, user: NewUser, *, created_at: datetime) -> User:
        """Store a new account; ``EmailTakenError`` when the e-mail is in use."""

    @abc.abstractmethod
    def get_user(self, user_id: int) -> User | None:
        """The account with that id, or None."""

    @abc.abstractmethod
    def find_user(self, email: str) -> tuple[User, str] | None:
        """The account with that (normalised) e-mail and its password hash, or None."""

    @abc.abstractmethod
    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        """Replace an account's password hash (after a rehash or a password change)."""

    @abc.abstractmethod
    def set_disabled(self, user_id: int, disabled: bool) -> None:
        """Disable or re-enable an account."""

    # -- sessions ---------------------------------------------------------------------------------
    @abc.abstractmethod
    def add_session(self, session: Session) -> None:
        """Store a new session (keyed by ``id_hash``)."""

    @abc.abstractmethod
    def get_session(self, id_hash: str) -> Session | None:
        """The session with that hash, or None (expired and revoked ones too: the caller decides)."""

    def get_session_and_user(self, id_hash: str) -> tuple[Session, User | None] | None:
        """The session with that hash (as :meth:`get_session`) and its account (as :meth:`get_user`,
        None when there is none), or None: what every signed-in request reads. This default asks the
        two methods; an adapter may read both in one query."""
        found = self.get_session(id_hash)
        return None if found is None else (found, self.get_user(found.user_id))

    @abc.abstractmethod
    def revoke_session(self, id_hash: str, *, at: datetime) -> None:
        """Mark a session revoked (no-op when unknown or already revoked)."""

    @abc.abstractmethod
    def revoke_sessions_of(self, user_id: int, *, at: datetime) -> int:
        """Revoke every live session of an account; return how many were revoked."""

    @abc.abstractmethod
    def extend_session(self, id_hash: str, expires_at: datetime) -> None:
        """Move a live session's end to ``expires_at`` (a sliding session); no-op when unknown or revoked."""

    # -- password-reset codes ---------------------------------------------------------------------
    @abc.abstractmethod
    def add_reset_code(self, code_hash: str, expires_at: datetime) -> None:
        """Keep a one-time reset code's hash (the hash binds it to its account) until ``expires_at``."""

    @abc.abstractmethod
    def take_reset_code(self, code_hash: str, *, now: datetime) -> bool:
        """Remove the code with that hash; True only when it was there and not expired at ``now``. One
        atomic step: of two callers taking the same code, at most one gets True."""

    # -- API tokens -------------------------------------------------------------------------------
    @abc.abstractmethod
    def add_token(self, user_id: int, name: str, token_hash: str, *, created_at: datetime) -> ApiToken:
        """Store a new API token."""

    @abc.abstractmethod
    def find_token(self, token_hash: str) -> ApiToken | None:
        """The token with that hash, or None."""

    @abc.abstractmethod
    def get_token(self, token_id: int) -> ApiToken | None:
        """The token with that id, or None."""

    @abc.abstractmethod
    def list_tokens(self, user_id: int) -> list[ApiToken]:
        """An account's tokens (revoked ones too), by id."""

    @abc.abstractmethod
    def touch_token(self, token_id: int, *, at: datetime) -> None:
        """Record that a token was used at ``at``."""

    @abc.abstractmethod
    def revoke_token(self, token_id: int, *, at: datetime) -> None:
        """Mark a token revoked (no-op when unknown or already revoked)."""

    # -- ownership --------------------------------------------------------------------------------
    @abc.abstractmethod
    def add_owned_patient(self, owner_user_id: int, patient: NewPatient, *, created_at: datetime) -> Patient:
        """Store a new patient owned by an account, in one transaction (never briefly unowned)."""

    @abc.abstractmethod
    def patient_owner(self, patient_id: int) -> int | None:
        """The owning account's id; None for a local (command-line) patient; ``UnknownPatientError``."""

    @abc.abstractmethod
    def claim_patient(self, patient_id: int, owner_user_id: int) -> int:
        """Give an unowned patient to an account (atomically); return the owner now in force."""

    @abc.abstractmethod
    def list_patients_of(self, owner_user_id: int) -> list[Patient]:
        """The patients an account owns, by id."""

    # -- members (patients shared with other accounts) ----------------------------------------------
    @abc.abstractmethod
    def add_member(self, member: PatientMember) -> PatientMember:
        """Give an account access to a patient, or change the role of one that has it (one row per pair);
        ``UnknownPatientError`` for an unknown patient. Returns the row now stored."""

    @abc.abstractmethod
    def remove_member(self, patient_id: int, user_id: int) -> bool:
        """Take an account's access to a patient away; False when it had none."""

    @abc.abstractmethod
    def list_members(self, patient_id: int) -> list[PatientMember]:
        """The accounts a patient is shared with, by when they were added (then user id)."""

    @abc.abstractmethod
    def member_role(self, patient_id: int, user_id: int) -> MemberRole | None:
        """The role an account holds on a patient shared with it, or None."""

    @abc.abstractmethod
    def list_shared_with(self, user_id: int) -> list[tuple[Patient, MemberRole]]:
        """The patients shared with an account (not those it owns), by patient id, with its role."""

    def list_patients_with_roles(self, user_id: int) -> list[tuple[Patient, str]]:
        """:meth:`list_patients_of` with the role ``"owner"``, then :meth:`list_shared_with` (every page's
        patient switcher reads both). This default asks the two methods; an adapter may read both in
        one query."""
        owned: list[tuple[Patient, str]] = [(p, "owner") for p in self.list_patients_of(user_id)]
        return owned + [(p, role) for p, role in self.list_shared_with(user_id)]

    # -- share links ------------------------------------------------------------------------------
    @abc.abstractmethod
    def add_share_link(
        self, patient_id: int, *, created_by: int, token_hash: str, created_at: datetime, expires_at: datetime
    ) -> ShareLink:
        """Store a new share link for a patient."""

    @abc.abstractmethod
    def find_share_link(self, token_hash: str) -> ShareLink | None:
        """The share link with that hash, or None."""

    @abc.abstractmethod
    def get_share_link(self, link_id: int) -> ShareLink | None:
        """The share link with that id, or None."""

    @abc.abstractmethod
    def list_share_links(self, patient_id: int) -> list[ShareLink]:
        """A patient's share links (expired and revoked too), by id."""

    @abc.abstractmethod
    def revoke_share_link(self, link_id: int, *, at: datetime) -> None:
        """Mark a share link revoked (no-op when unknown or already revoked)."""

    # -- calendar feeds ---------------------------------------------------------------------------
    @abc.abstractmethod
    def add_calendar_feed(self, patient_id: int, *, created_by: int, token_hash: str, created_at: datetime) -> CalendarFeed:
        """Store a patient's new feed and revoke (at ``created_at``) any live one, in one transaction."""

    @abc.abstractmethod
    def find_calendar_feed(self, token_hash: str) -> CalendarFeed | None:
        """The feed with that hash (revoked ones too: the caller decides), or None."""

    @abc.abstractmethod
    def live_calendar_feed(self, patient_id: int) -> CalendarFeed | None:
        """The patient's feed that is not revoked, or None."""

    @abc.abstractmethod
    def revoke_calendar_feeds(self, patient_id: int, *, at: datetime) -> list[int]:
        """Revoke the patient's live feed(s); return the ids revoked (empty when none was live)."""

    # -- deletion -----------------------------------------------------------------------------------
    @abc.abstractmethod
    def delete_patient(self, patient_id: int) -> None:
        """Delete every row of one patient in one transaction; ``UnknownPatientError`` when there is none.

        Gone afterwards: the patient, its entries and their revisions, plans and plan doses,
        questionnaires, share links, calendar feeds and memberships (the accounts it was shared with).
        Kept: the audit log's rows naming the patient (ids, vocabulary words and times only, no clinical
        data: who did what, when).
        """

    @abc.abstractmethod
    def delete_user(self, user_id: int) -> None:
        """Delete an account in one transaction: every patient it owns (as :meth:`delete_patient`), its
        sessions, API tokens, the share links and calendar feeds it made, its memberships of other accounts'
        patients, and the user row. The audit log's rows (``actor_id`` is a plain number) stay. An unknown
        id is a no-op."""

    # -- audit ------------------------------------------------------------------------------------
    @abc.abstractmethod
    def append_audit(self, entry: NewAuditEntry) -> AuditEntry:
        """Append one audit record and return it with its id."""

    @abc.abstractmethod
    def append_audits(self, entries: Sequence[NewAuditEntry]) -> list[AuditEntry]:
        """Append several audit records in one transaction (all or none), in order, with their ids."""

    @abc.abstractmethod
    def list_audit(self, patient_id: int) -> list[AuditEntry]:
        """The audit records naming a patient, oldest first (by id)."""

    def close(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Release connections (no-op for adapters without any)."""
