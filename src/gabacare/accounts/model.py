"""Account values: users, sign-in sessions, API tokens, share links, audit entries, actors, errors.

All values are frozen dataclasses. Account times (``created_at``, ``expires_at``, ``revoked_at``,
audit ``at``) are naive UTC, unlike journal entries, which keep the patient's local wall clock:
expiry must not move when the clocks change. Secrets never appear here in plain text: a session
id, API token or share-link token is kept only as the hex SHA-256 of the random secret
(``*_hash`` fields, hidden from ``repr``); Argon2 password hashes stay inside the repository and
the :class:`~gabacare.accounts.service.Accounts` service.

A calendar feed (:class:`CalendarFeed`) is a secret address a calendar app subscribes to: it reads
one patient's dose schedule and nothing else, acting as a :class:`FeedActor`.

Errors::

    JournalError
    ├── JournalInputError (ValueError)
    │   └── AccountInputError            bad e-mail, weak password, bad lifetime or token name
    │       └── EmailTakenError          an account already uses that e-mail (case-insensitive)
    └── AccessDenied (LookupError)       this actor may not read/write that patient, link or token;
                                         faces answer it exactly like "not found" (HTTP 404)

Messages name the rule, never the value (no e-mail, password or patient data in them).
"""

from __future__ import annotations

from dataclasses import field
from datetime import datetime
from typing import Literal, get_args

from gabacare._record import record
from gabacare.errors import AccessError
from gabacare.journal.errors import JournalError, JournalInputError

__all__ = [
    "ACTOR_KINDS",
    "AUDIT_ACTIONS",
    "MEMBER_ROLES",
    "RESOURCE_KINDS",
    "ROLES",
    "AccessDenied",
    "AccountInputError",
    "Actor",
    "ActorKind",
    "ApiToken",
    "AuditAction",
    "AuditEntry",
    "CalendarFeed",
    "EmailTakenError",
    "FeedActor",
    "MemberRole",
    "NewAuditEntry",
    "NewUser",
    "PatientMember",
    "ResourceKind",
    "Role",
    "Session",
    "ShareActor",
    "ShareLink",
    "User",
]

Role = Literal["patient", "clinician"]
ActorKind = Literal["user", "token", "share", "feed", "cli"]
AuditAction = Literal["read", "create", "update", "delete", "export", "import", "share", "revoke"]
ResourceKind = Literal["patient", "plan", "entry", "report", "share_link", "api_token", "audit_log", "calendar_feed",
                      "account"]  # "account": migration 0007 (an account deleted)

MemberRole = Literal["viewer", "logger"]
"""What a second account may do with a patient shared with it (migration 0011): a ``viewer`` reads;
a ``logger`` reads and writes journal entries (doses, scores, notes...), nothing else."""

ROLES: tuple[str, ...] = get_args(Role)
MEMBER_ROLES: tuple[str, ...] = get_args(MemberRole)
ACTOR_KINDS: tuple[str, ...] = get_args(ActorKind)
AUDIT_ACTIONS: tuple[str, ...] = get_args(AuditAction)
RESOURCE_KINDS: tuple[str, ...] = get_args(ResourceKind)


class AccountInputError(JournalInputError):
    """Bad account input (e-mail, password, lifetime, token name); nothing was written."""


class EmailTakenError(AccountInputError):
    """An account already uses that e-mail address (compared case-insensitively)."""

    def __init__(self) -> None:
        super().__init__("an account with this e-mail address already exists")


class AccessDenied(JournalError, AccessError, LookupError):
    """The actor may not do this to that patient (or link, or token).

    Raised alike for "no such id" and "not yours", so ids cannot be probed: faces answer 404.
    """

    def __init__(self) -> None:
        super().__init__("not found")


@record
class NewUser:
    """An account as it is about to be stored (``email`` already normalised to lower case)."""

    email: str
    display_name: str
    role: Role
    password_hash: str = field(repr=False)


@record
class User:
    """A stored account. ``disabled`` accounts cannot sign in, and their sessions and tokens stop working."""

    id: int
    email: str
    display_name: str
    role: Role
    created_at: datetime
    disabled: bool = False


@record
class Session:
    """A sign-in session; the cookie holds the secret, the store only its SHA-256 (``id_hash``)."""

    id_hash: str = field(repr=False)
    user_id: int
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None

    def active_at(self, now: datetime) -> bool:
        """True while not revoked and ``now`` is before ``expires_at``."""
        return self.revoked_at is None and now < self.expires_at


@record
class ApiToken:
    """A named bearer token for scripts; acts as its user until revoked."""

    id: int
    user_id: int
    name: str
    token_hash: str = field(repr=False)
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@record
class ShareLink:
    """Read-only access to one patient for whoever holds the link, until ``expires_at`` or revocation.

    There is no write flag: a share link can only ever read (read-only by construction).
    """

    id: int
    patient_id: int
    created_by: int
    token_hash: str = field(repr=False)
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None

    def active_at(self, now: datetime) -> bool:
        """True while not revoked and ``now`` is before ``expires_at``."""
        return self.revoked_at is None and now < self.expires_at


@record
class PatientMember:
    """A second account's access to one patient, given by the owner (``created_by``) until removed.

    Unlike a share link it names an account (which signs in as itself) and has no expiry.
    """

    patient_id: int
    user_id: int
    role: MemberRole
    created_at: datetime
    created_by: int


@record
class CalendarFeed:
    """A patient's calendar subscription address: it reads that patient's dose schedule, nothing else.

    There is no expiry (a calendar app polls for months); it lasts until rotated or revoked. A
    patient has at most one live feed: creating a new one revokes the old in the same transaction.
    """

    id: int
    patient_id: int
    created_by: int
    token_hash: str = field(repr=False)
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@record
class NewAuditEntry:
    """One audit record before it is stored: ids and vocabulary words only, never journal contents."""

    at: datetime
    actor_kind: ActorKind
    actor_id: int | None
    action: AuditAction
    patient_id: int | None
    resource_kind: ResourceKind
    resource_id: int | None


@record
class AuditEntry(NewAuditEntry):
    """A stored audit record (append-only; ``id`` orders them)."""

    id: int = field(kw_only=True)


@record
class Actor:
    """Who is acting, for access checks and the audit log.

    ========= ============================ ======================
    kind      ``id`` (written to the audit) ``user_id`` (the owner)
    ========= ============================ ======================
    user      the user's id                 the user's id
    token     the API token's id            the token's user id
    share     the share link's id           None
    feed      the calendar feed's id        None
    cli       None                          None
    ========= ============================ ======================

    The ``cli`` actor is the machine's own operator, who holds the database file itself; it is
    for the local command line, never for a web request.
    """

    kind: ActorKind
    id: int | None = None
    user_id: int | None = None

    @classmethod
    def for_user(cls, user: User) -> Actor:
        return cls("user", user.id, user.id)

    @classmethod
    def for_token(cls, token: ApiToken) -> Actor:
        return cls("token", token.id, token.user_id)

    @classmethod
    def cli(cls) -> Actor:
        return cls("cli")


@record
class ShareActor(Actor):
    """A clinician reading one patient through a share link: ``patient_id`` only, read only."""

    patient_id: int = field(kw_only=True)
    expires_at: datetime = field(kw_only=True)

    @classmethod
    def for_link(cls, link: ShareLink) -> ShareActor:
        return cls("share", link.id, None, patient_id=link.patient_id, expires_at=link.expires_at)


@record
class FeedActor(Actor):
    """A calendar app reading one patient's dose schedule through a feed address; it has no user, so
    :meth:`~gabacare.accounts.service.Accounts.require_access` refuses it everything else."""

    patient_id: int = field(kw_only=True)

    @classmethod
    def for_feed(cls, feed: CalendarFeed) -> FeedActor:
        return cls("feed", feed.id, None, patient_id=feed.patient_id)
