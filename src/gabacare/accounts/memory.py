"""The in-memory account repository: the fake for tests and demos, over an in-memory journal (one store)."""


from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from gabacare.accounts.model import (
    ApiToken,
    AuditEntry,
    CalendarFeed,
    EmailTakenError,
    MemberRole,
    NewAuditEntry,
    NewUser,
    PatientMember,
    Session,
    ShareLink,
    User,
)
from gabacare.accounts.repository import AccountRepository
from gabacare.journal.memory import InMemoryJournalRepository
from gabacare.journal.model import (
    NewPatient,
    Patient,
)

__all__ = ["InMemoryAccountRepository"]

class InMemoryAccountRepository(AccountRepository):
    """Accounts over an :class:`InMemoryJournalRepository`, sharing its lock and its patients.

    Ownership and share links point at the journal's patients, so both fakes must be one store.
    """

    def __init__(self, journal: InMemoryJournalRepository) -> None:
        self._journal = journal
        self._lock = journal._lock
        self._users: dict[int, User] = {}
        self._hashes: dict[int, str] = {}
        self._sessions: dict[str, Session] = {}
        self._reset_codes: dict[str, datetime] = {}  # code hash -> expiry
        self._tokens: dict[int, ApiToken] = {}
        self._owners: dict[int, int] = {}
        self._links: dict[int, ShareLink] = {}
        self._feeds: dict[int, CalendarFeed] = {}
        self._members: dict[tuple[int, int], PatientMember] = {}  # (patient id, user id) -> row
        self._audit: list[AuditEntry] = []
        self._next = {"user": 1, "token": 1, "link": 1, "feed": 1, "audit": 1}

    def _new_id(self, what: str) -> int:
        value = self._next[what]
        self._next[what] = value + 1
        return value

    # -- users ------------------------------------------------------------------------------------
    def add_user(self, user: NewUser, *, created_at: datetime) -> User:
        with self._lock:
            if any(u.email == user.email for u in self._users.values()):
                raise EmailTakenError()
            stored = User(self._new_id("user"), user.email, user.display_name, user.role, created_at, False)
            self._users[stored.id] = stored
            self._hashes[stored.id] = user.password_hash
            return stored

    def get_user(self, user_id: int) -> User | None:
        with self._lock:
            return self._users.get(user_id)

    def find_user(self, email: str) -> tuple[User, str] | None:
        with self._lock:
            for user in self._users.values():
                if user.email == email:
                    return user, self._hashes[user.id]
            return None

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        with self._lock:
            if user_id in self._users:
                self._hashes[user_id] = password_hash

    def set_disabled(self, user_id: int, disabled: bool) -> None:
        with self._lock:
            if user_id in self._users:
                self._users[user_id] = replace(self._users[user_id], disabled=disabled)

    # -- sessions ---------------------------------------------------------------------------------
    def add_session(self, session: Session) -> None:
        with self._lock:
            self._sessions[session.id_hash] = session

    def get_session(self, id_hash: str) -> Session | None:
        with self._lock:
            return self._sessions.get(id_hash)

    def revoke_session(self, id_hash: str, *, at: datetime) -> None:
        with self._lock:
            found = self._sessions.get(id_hash)
            if found is not None and found.revoked_at is None:
                self._sessions[id_hash] = replace(found, revoked_at=at)

    def revoke_sessions_of(self, user_id: int, *, at: datetime) -> int:
        with self._lock:
            live = [k for k, v in self._sessions.items() if v.user_id == user_id and v.revoked_at is None]
            for key in live:
                self._sessions[key] = replace(self._sessions[key], revoked_at=at)
            return len(live)

    def extend_session(self, id_hash: str, expires_at: datetime) -> None:
        with self._lock:
            found = self._sessions.get(id_hash)
            if found is not None and found.revoked_at is None:
                self._sessions[id_hash] = replace(found, expires_at=expires_at)

    # -- password-reset codes ---------------------------------------------------------------------
    def add_reset_code(self, code_hash: str, expires_at: datetime) -> None:
        with self._lock:
            self._reset_codes[code_hash] = expires_at

    def take_reset_code(self, code_hash: str, *, now: datetime) -> bool:
        with self._lock:
            for stale in [h for h, until in self._reset_codes.items() if until <= now]:
                del self._reset_codes[stale]
            return self._reset_codes.pop(code_hash, None) is not None

    # -- API tokens -------------------------------------------------------------------------------
    def add_token(self, user_id: int, name: str, token_hash: str, *, created_at: datetime) -> ApiToken:
        with self._lock:
            token = ApiToken(self._new_id("token"), user_id, name, token_hash, created_at)
            self._tokens[token.id] = token
            return token

    def find_token(self, token_hash: str) -> ApiToken | None:
        with self._lock:
            return next((t for t in self._tokens.values() if t.token_hash == token_hash), None)

    def get_token(self, token_id: int) -> ApiToken | None:
        with self._lock:
            return self._tokens.get(token_id)

    def list_tokens(self, user_id: int) -> list[ApiToken]:
        with self._lock:
            return [t for _, t in sorted(self._tokens.items()) if t.user_id == user_id]

    def touch_token(self, token_id: int, *, at: datetime) -> None:
        with self._lock:
            if token_id in self._tokens:
                self._tokens[token_id] = replace(self._tokens[token_id], last_used_at=at)

    def revoke_token(self, token_id: int, *, at: datetime) -> None:
        with self._lock:
            found = self._tokens.get(token_id)
            if found is not None and found.revoked_at is None:
                self._tokens[token_id] = replace(found, revoked_at=at)

    # -- ownership --------------------------------------------------------------------------------
    def add_owned_patient(self, owner_user_id: int, patient: NewPatient, *, created_at: datetime) -> Patient:
        with self._lock:
            pid = self._journal._new_id("patient")
            stored = Patient(pid, patient.name, patient.birth_date, patient.sex, patient.weight_kg, created_at)
            self._journal._patients[pid] = stored
            self._owners[pid] = owner_user_id
            return stored

    def patient_owner(self, patient_id: int) -> int | None:
        with self._lock:
            self._journal._patient(patient_id)
            return self._owners.get(patient_id)

    def claim_patient(self, patient_id: int, owner_user_id: int) -> int:
        with self._lock:
            self._journal._patient(patient_id)
            return self._owners.setdefault(patient_id, owner_user_id)

    def list_patients_of(self, owner_user_id: int) -> list[Patient]:
        with self._lock:
            patients = self._journal._patients
            return [patients[k] for k in sorted(patients) if self._owners.get(k) == owner_user_id]

    # -- members ----------------------------------------------------------------------------------
    def add_member(self, member: PatientMember) -> PatientMember:
        with self._lock:
            self._journal._patient(member.patient_id)
            self._members[(member.patient_id, member.user_id)] = member
            return member

    def remove_member(self, patient_id: int, user_id: int) -> bool:
        with self._lock:
            return self._members.pop((patient_id, user_id), None) is not None

    def list_members(self, patient_id: int) -> list[PatientMember]:
        with self._lock:
            found = [m for m in self._members.values() if m.patient_id == patient_id]
            return sorted(found, key=lambda m: (m.created_at, m.user_id))

    def member_role(self, patient_id: int, user_id: int) -> MemberRole | None:
        with self._lock:
            found = self._members.get((patient_id, user_id))
            return None if found is None else found.role

    def list_shared_with(self, user_id: int) -> list[tuple[Patient, MemberRole]]:
        with self._lock:
            patients = self._journal._patients
            return [(patients[pid], m.role) for (pid, uid), m in sorted(self._members.items())
                    if uid == user_id and pid in patients]

    # -- share links ------------------------------------------------------------------------------
    def add_share_link(
        self, patient_id: int, *, created_by: int, token_hash: str, created_at: datetime, expires_at: datetime
    ) -> ShareLink:
        with self._lock:
            self._journal._patient(patient_id)
            link = ShareLink(self._new_id("link"), patient_id, created_by, token_hash, created_at, expires_at)
            self._links[link.id] = link
            return link

    def find_share_link(self, token_hash: str) -> ShareLink | None:
        with self._lock:
            return next((v for v in self._links.values() if v.token_hash == token_hash), None)

    def get_share_link(self, link_id: int) -> ShareLink | None:
        with self._lock:
            return self._links.get(link_id)

    def list_share_links(self, patient_id: int) -> list[ShareLink]:
        with self._lock:
            self._journal._patient(patient_id)
            return [v for _, v in sorted(self._links.items()) if v.patient_id == patient_id]

    def revoke_share_link(self, link_id: int, *, at: datetime) -> None:
        with self._lock:
            found = self._links.get(link_id)
            if found is not None and found.revoked_at is None:
                self._links[link_id] = replace(found, revoked_at=at)

    # -- calendar feeds ---------------------------------------------------------------------------
    def add_calendar_feed(self, patient_id: int, *, created_by: int, token_hash: str, created_at: datetime) -> CalendarFeed:
        with self._lock:
            self._journal._patient(patient_id)
            self._revoke_feeds(patient_id, created_at)
            feed = CalendarFeed(self._new_id("feed"), patient_id, created_by, token_hash, created_at)
            self._feeds[feed.id] = feed
            return feed

    def find_calendar_feed(self, token_hash: str) -> CalendarFeed | None:
        with self._lock:
            return next((v for v in self._feeds.values() if v.token_hash == token_hash), None)

    def live_calendar_feed(self, patient_id: int) -> CalendarFeed | None:
        with self._lock:
            return next((v for v in self._feeds.values() if v.patient_id == patient_id and v.active), None)

    def _revoke_feeds(self, patient_id: int, at: datetime) -> list[int]:
        live = [k for k, v in sorted(self._feeds.items()) if v.patient_id == patient_id and v.active]
        for k in live:
            self._feeds[k] = replace(self._feeds[k], revoked_at=at)
        return live

    def revoke_calendar_feeds(self, patient_id: int, *, at: datetime) -> list[int]:
        with self._lock:
            return self._revoke_feeds(patient_id, at)

    # -- deletion -----------------------------------------------------------------------------------
    def _delete_patient_rows(self, patient_id: int) -> None:
        j = self._journal
        gone = [k for k, e in j._entries.items() if e.patient_id == patient_id]
        for k in gone:
            del j._entries[k]
            j._history.pop(k, None)
        j._plans = {k: v for k, v in j._plans.items() if v.patient_id != patient_id}
        j._questionnaires = {k: v for k, v in j._questionnaires.items() if v.patient_id != patient_id}
        j._pickups = {k: v for k, v in j._pickups.items() if v.patient_id != patient_id}
        j._lead_days.pop(patient_id, None)
        self._links = {k: v for k, v in self._links.items() if v.patient_id != patient_id}
        self._feeds = {k: v for k, v in self._feeds.items() if v.patient_id != patient_id}
        self._members = {k: v for k, v in self._members.items() if v.patient_id != patient_id}
        self._owners.pop(patient_id, None)
        del j._patients[patient_id]

    def delete_patient(self, patient_id: int) -> None:
        with self._lock:
            self._journal._patient(patient_id)
            self._delete_patient_rows(patient_id)

    def delete_user(self, user_id: int) -> None:
        with self._lock:
            for pid in [p for p, owner in self._owners.items() if owner == user_id]:
                self._delete_patient_rows(pid)
            self._links = {k: v for k, v in self._links.items() if v.created_by != user_id}
            self._feeds = {k: v for k, v in self._feeds.items() if v.created_by != user_id}
            self._members = {k: v for k, v in self._members.items() if user_id not in (v.user_id, v.created_by)}
            self._sessions = {k: v for k, v in self._sessions.items() if v.user_id != user_id}
            self._tokens = {k: v for k, v in self._tokens.items() if v.user_id != user_id}
            self._users.pop(user_id, None)
            self._hashes.pop(user_id, None)

    # -- audit ------------------------------------------------------------------------------------
    def append_audit(self, entry: NewAuditEntry) -> AuditEntry:
        with self._lock:
            stored = AuditEntry(**vars(entry), id=self._new_id("audit"))
            self._audit.append(stored)
            return stored

    def append_audits(self, entries: Sequence[NewAuditEntry]) -> list[AuditEntry]:
        with self._lock:
            stored = [AuditEntry(**vars(e), id=self._new_id("audit")) for e in entries]
            self._audit.extend(stored)
            return stored

    def list_audit(self, patient_id: int) -> list[AuditEntry]:
        with self._lock:
            return [a for a in self._audit if a.patient_id == patient_id]
