"""Account use cases for the web app: sign-up and sign-in, sessions, API tokens, ownership, share links, audit.

:class:`Accounts` is pure Python over an :class:`~gabacare.accounts.repository.AccountRepository`
and an injected clock (naive UTC). The web layer keeps cookies, CSRF and rate limiting; it calls
these methods and maps :class:`~gabacare.accounts.model.AccessDenied` to 404 (never 403, so
patient ids cannot be probed) and :class:`~gabacare.accounts.model.AccountInputError` to 4xx.

Secrets: session ids, API tokens and share-link tokens are ``secrets.token_urlsafe(32)``; only
their SHA-256 is stored, and a looked-up hash is compared again with :func:`hmac.compare_digest`.
The plaintext is returned once, at creation. Passwords are hashed with Argon2id (argon2-cffi);
sign-in with an unknown e-mail still verifies against a dummy hash so both paths cost the same,
and a stored hash made with older parameters is replaced on the next successful sign-in.

Access: an account (signed in, or through one of its API tokens) reads and writes the patients it
owns; an account the owner shared a patient with (:meth:`Accounts.add_member`) reads it as a
``viewer``, and as a ``logger`` also writes its journal entries (``require_access(..., entries=True)``)
but never its plan, settings, sharing or deletion; a share link reads its one patient until it
expires or is revoked, and can never write; the ``cli`` actor is the local operator; a calendar
feed reads its one patient's dose schedule through :meth:`Accounts.feed_actor` and nothing else
(``require_access`` refuses it everything).
:meth:`Accounts.audit` records ids and vocabulary words only
(actor, action, patient id, resource kind and id), never journal contents. ``Accounts`` writes the
audit entries for its own changes (patient created or claimed, share link created or revoked); the
faces call :meth:`Accounts.audit` for each journal read, write and export they perform.

Sliding sessions: a session started with a lifetime longer than ``settings.SESSION_TTL`` ("stay signed
in on this device") is renewed by :meth:`Accounts.renew_session` to the same lifetime after each use,
at most once per ``every`` (the web layer names both); an ordinary session ends when it was set to.

Password reset for local installs: whoever runs the machine gets a one-time code from
:meth:`Accounts.issue_reset_code` (the CLI prints it); :meth:`Accounts.reset_password` takes the
e-mail, the code and a new password. Only the code's SHA-256, bound to the account id, is stored,
with its expiry; taking it is one atomic delete, so it works once. The same refusal is given for an
unknown e-mail, a wrong, used or expired code, so a reset never tells which it was.

Deletion: :meth:`Accounts.delete_patient` (the owner, confirming with the patient's name) and
:meth:`Accounts.delete_account` (confirming with the password) remove every row of the patient or
account; the audit log keeps its rows (ids, words and times only), which record that it happened.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, cast

from gabacare.accounts.model import (
    AUDIT_ACTIONS,
    MEMBER_ROLES,
    RESOURCE_KINDS,
    ROLES,
    AccessDenied,
    AccountInputError,
    Actor,
    ApiToken,
    AuditAction,
    AuditEntry,
    CalendarFeed,
    FeedActor,
    MemberRole,
    NewAuditEntry,
    NewUser,
    PatientMember,
    ResourceKind,
    Role,
    Session,
    ShareActor,
    ShareLink,
    User,
)
from gabacare.accounts.repository import AccountRepository
from gabacare.journal import settings
from gabacare.journal.errors import UnknownPatientError
from gabacare.journal.model import NewPatient, Patient, Sex, is_row_id, validate_patient

if TYPE_CHECKING:
    from argon2 import PasswordHasher

    from gabacare.accounts.audit_writer import GroupCommit

__all__ = ["Accounts", "check_password", "normalize_email"]

Clock = Callable[[], datetime]
_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_MAX_SECRET_CHARS = 256  # far above token_urlsafe(32)'s 43 characters; longer input is not ours

# A reset code is read off a terminal and typed into a phone: Crockford's base-32 letters (no I, L, O,
# U to misread), 16 of them (80 random bits, far beyond what the sign-in limiter lets anyone try in
# the code's lifetime), shown as four groups of four.
_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CODE_CHARS = 16
_CODE_GROUP = 4
_RESET_REFUSED = "the e-mail address or the code is not right, or the code has expired or was already used"


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _new_secret() -> tuple[str, str]:
    secret = secrets.token_urlsafe(settings.SECRET_BYTES)
    return secret, _digest(secret)


def _plausible_secret(secret: object) -> bool:
    return isinstance(secret, str) and 0 < len(secret) <= _MAX_SECRET_CHARS


def _folded(name: str) -> str:
    """A name compared for confirmation: spacing and letter case do not count."""
    return " ".join(name.split()).casefold()


def _check_session_ttl(ttl: timedelta) -> None:
    if not timedelta(0) < ttl <= settings.SESSION_MAX_TTL:
        raise AccountInputError(f"a session lasts more than 0 and at most {settings.SESSION_MAX_TTL.days} days")


def normalize_email(email: str) -> str:
    """Trimmed, lower-cased e-mail; ``AccountInputError`` unless it looks like ``name@example.org``."""
    value = email.strip().lower() if isinstance(email, str) else ""
    if not value or len(value) > settings.EMAIL_MAX_CHARS or not _EMAIL_RE.fullmatch(value):
        raise AccountInputError(f"e-mail must look like name@example.org (at most {settings.EMAIL_MAX_CHARS} characters)")
    return value


def check_password(password: str, *, email: str = "", display_name: str = "") -> None:
    """Refuse an empty, short, overlong, common or guessable password (``AccountInputError``).

    Rules: at least ``settings.PASSWORD_MIN_CHARS`` and at most ``settings.PASSWORD_MAX_CHARS``
    characters; not in ``settings.COMMON_PASSWORDS``; not one character repeated; not the account's
    e-mail, its part before ``@`` or its display name (all compared case-insensitively).
    """
    if not isinstance(password, str) or not password:
        raise AccountInputError("password must not be empty")
    if len(password) < settings.PASSWORD_MIN_CHARS:
        raise AccountInputError(f"password must be at least {settings.PASSWORD_MIN_CHARS} characters")
    if len(password) > settings.PASSWORD_MAX_CHARS:
        raise AccountInputError(f"password must be at most {settings.PASSWORD_MAX_CHARS} characters")
    lowered = password.strip().lower()
    if lowered in settings.COMMON_PASSWORDS or len(set(lowered)) <= 1:
        raise AccountInputError("password is too common or too easy to guess; choose another")
    personal = {email.strip().lower(), email.strip().lower().partition("@")[0], display_name.strip().lower()}
    if lowered in personal - {""}:
        raise AccountInputError("password must not be your e-mail address or your name")


class Accounts:
    """Account and access use cases over one account repository.

    Parameters
    ----------
    repo
        The account store (the same store as the journal's, see :mod:`gabacare.composition`).
    clock
        Returns the current time as naive UTC (tests pass a fixed or advancing clock).
    password_hasher
        An ``argon2.PasswordHasher``; the default uses argon2-cffi's production parameters
        (tests pass a cheap one, e.g. ``PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)``).
    """

    def __init__(
        self, repo: AccountRepository, clock: Clock = _utc_now, *, password_hasher: PasswordHasher | None = None,
        audit_writer: GroupCommit[NewAuditEntry, AuditEntry] | None = None,
    ) -> None:
        from argon2 import PasswordHasher

        self.repo = repo
        # Audit rows of concurrent requests share a transaction through it (composition.Stores.audit);
        # without one, each row is its own transaction.
        self.audit_writer = audit_writer
        self.clock = clock
        self.hasher = password_hasher if password_hasher is not None else PasswordHasher()
        self._dummy_hash: str | None = None

    # -- accounts ---------------------------------------------------------------------------------
    def sign_up(self, email: str, password: str, display_name: str, role: Role = "patient") -> User:
        """Create an account; ``AccountInputError`` (weak password, bad e-mail) or ``EmailTakenError``."""
        address = normalize_email(email)
        name = " ".join(display_name.split()) if isinstance(display_name, str) else ""
        if not name:
            raise AccountInputError("display name must not be empty")
        if len(name) > settings.DISPLAY_NAME_MAX_CHARS:
            raise AccountInputError(f"display name is longer than {settings.DISPLAY_NAME_MAX_CHARS} characters")
        if role not in ROLES:
            raise AccountInputError(f"role must be one of {', '.join(ROLES)}")
        check_password(password, email=address, display_name=name)
        new = NewUser(address, name, role, self.hasher.hash(password))
        return self.repo.add_user(new, created_at=self.clock())

    def _verify(self, password_hash: str, password: str) -> bool:
        from argon2.exceptions import InvalidHashError, VerificationError

        try:
            return bool(self.hasher.verify(password_hash, password))
        except (VerificationError, InvalidHashError):
            return False

    def authenticate(self, email: str, password: str) -> User | None:
        """The account for that e-mail and password, or None (unknown, wrong password, or disabled).

        An unknown e-mail costs one Argon2 verification too, so timing does not tell which it was.
        """
        if not isinstance(password, str) or len(password) > settings.PASSWORD_MAX_CHARS:
            return None
        try:
            found = self.repo.find_user(normalize_email(email))
        except AccountInputError:
            found = None
        if found is None:
            if self._dummy_hash is None:
                self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(settings.SECRET_BYTES))
            self._verify(self._dummy_hash, password)
            return None
        user, stored = found
        if not self._verify(stored, password) or user.disabled:
            return None
        if self.hasher.check_needs_rehash(stored):
            self.repo.set_password_hash(user.id, self.hasher.hash(password))
        return user

    def change_password(self, user: User, current: str, new: str) -> None:
        """Replace the password after checking the current one; every session of the account ends
        (the caller starts a fresh one for the browser that asked). ``AccountInputError`` names the
        rule broken (wrong current password, a weak new one); nothing changes then."""
        found = self.repo.find_user(user.email)
        if (not isinstance(current, str) or len(current) > settings.PASSWORD_MAX_CHARS or found is None
                or not self._verify(found[1], current)):
            raise AccountInputError("the current password is not right")
        check_password(new, email=user.email, display_name=user.display_name)
        if self._verify(found[1], new):
            raise AccountInputError("the new password must differ from the current one")
        self.repo.set_password_hash(user.id, self.hasher.hash(new))
        self.repo.revoke_sessions_of(user.id, at=self.clock())

    def _live_user(self, user_id: int | None) -> User | None:
        user = None if user_id is None else self.repo.get_user(user_id)
        return None if user is None or user.disabled else user

    def disable_user(self, user: User) -> None:
        """Disable an account and end all its sessions (its tokens and share links stop working too)."""
        self.repo.set_disabled(user.id, True)
        self.repo.revoke_sessions_of(user.id, at=self.clock())

    # -- sessions ---------------------------------------------------------------------------------
    def start_session(self, user: User, ttl: timedelta = settings.SESSION_TTL) -> tuple[str, Session]:
        """A new session for ``user`` lasting ``ttl`` (at most ``settings.SESSION_MAX_TTL``).

        Returns the session id to put in the cookie (shown once; only its hash is stored) and the session.
        """
        if not timedelta(0) < ttl <= settings.SESSION_MAX_TTL:
            raise AccountInputError(f"a session lasts more than 0 and at most {settings.SESSION_MAX_TTL.days} days")
        if self._live_user(user.id) is None:
            raise AccessDenied()
        secret, digest = _new_secret()
        now = self.clock()
        session = Session(digest, user.id, now, now + ttl)
        self.repo.add_session(session)
        return secret, session

    def session_user(self, session_id: str) -> User | None:
        """The account behind a session id, or None (unknown, expired, revoked, or account disabled)."""
        return self.sliding_session_user(session_id)[0]

    def sliding_session_user(self, session_id: str, slide: tuple[timedelta, timedelta] | None = None
                             ) -> tuple[User | None, bool]:
        """:meth:`session_user`, and with ``slide = (ttl, every)`` :meth:`renew_session` in the same read
        of the session (the web app asks both on every request). Returns the account (or None) and
        whether the session was renewed."""
        if slide is not None:
            _check_session_ttl(slide[0])
        if not _plausible_secret(session_id):
            return None, False
        digest = _digest(session_id)
        pair = self.repo.get_session_and_user(digest)  # one read for both (the account is only used if live)
        now = self.clock()
        if pair is None or not hmac.compare_digest(pair[0].id_hash, digest) or not pair[0].active_at(now):
            return None, False
        found, user = pair[0], (None if pair[1] is None or pair[1].disabled else pair[1])
        renewed = user is not None and slide is not None and self._slide(found, now, *slide) is not None
        return user, renewed

    def _slide(self, found: Session, now: datetime, ttl: timedelta, every: timedelta) -> Session | None:
        if not found.active_at(now) or found.expires_at - found.created_at <= settings.SESSION_TTL:
            return None
        if now + ttl - found.expires_at < every:
            return None
        self.repo.extend_session(found.id_hash, now + ttl)
        return replace(found, expires_at=now + ttl)

    def renew_session(self, session_id: str, ttl: timedelta, every: timedelta) -> Session | None:
        """Slide a "stay signed in" session: when it is live, was started longer than
        ``settings.SESSION_TTL`` and was last renewed at least ``every`` ago, its end moves to
        now + ``ttl`` (at most ``settings.SESSION_MAX_TTL``) and the renewed session is returned, else
        None. The last renewal is read off the session itself (its end less ``ttl``), so no column is
        needed and renewing costs one write per ``every``, not one per request."""
        _check_session_ttl(ttl)
        if not _plausible_secret(session_id):
            return None
        found = self.repo.get_session(_digest(session_id))
        return None if found is None else self._slide(found, self.clock(), ttl, every)

    def remembered(self, session_id: str) -> bool:
        """True when ``session_id`` names a "stay signed in" session (started longer than
        ``settings.SESSION_TTL``), live or not: a fresh session replacing it keeps that choice."""
        if not _plausible_secret(session_id):
            return False
        found = self.repo.get_session(_digest(session_id))
        return found is not None and found.expires_at - found.created_at > settings.SESSION_TTL

    def end_session(self, session_id: str) -> None:
        """Revoke a session (sign out); unknown ids are ignored."""
        if _plausible_secret(session_id):
            self.repo.revoke_session(_digest(session_id), at=self.clock())

    def end_all_sessions(self, user: User) -> int:
        """Revoke every live session of ``user`` ("sign out everywhere"); return how many."""
        return self.repo.revoke_sessions_of(user.id, at=self.clock())

    # -- password reset by a printed code ---------------------------------------------------------
    @staticmethod
    def _code_hash(user: User | None, code: str) -> str:
        # Bound to the account by id, e-mail and creation time (an id SQLite reuses after a deletion does
        # not inherit a code). "r:" keeps these apart from the other single-use hashes sharing their table
        # (see the SQL adapter).
        who = f"{user.id}|{user.email}|{user.created_at.isoformat()}" if user else "-"
        return "r:" + hashlib.sha256(f"gabacare-reset|{who}|{code}".encode()).hexdigest()[:62]

    @staticmethod
    def _normal_code(code: object) -> str:
        """The code as issued: letter case, spaces and hyphens do not count; look-alikes read as Crockford does."""
        if not isinstance(code, str) or len(code) > 4 * _CODE_CHARS:
            return ""
        plain = "".join(code.split()).replace("-", "").upper()
        return plain.translate(str.maketrans("OIL", "011"))

    def issue_reset_code(self, email: str, ttl: timedelta) -> tuple[User, str, datetime]:
        """A one-time code that resets the password of the account with ``email`` within ``ttl``.

        Returns the account, the code to show once (``XXXX-XXXX-XXXX-XXXX``; only its hash is kept) and
        when it expires (naive UTC).
        ``AccountInputError`` for an unknown or disabled account: the caller is whoever runs the machine,
        who may know which accounts exist.
        """
        if ttl <= timedelta(0):
            raise AccountInputError("a reset code must last more than 0 seconds")
        found = self.repo.find_user(normalize_email(email))
        if found is None or found[0].disabled:
            raise AccountInputError("no account uses this e-mail address")
        user = found[0]
        code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_CHARS))
        expires_at = self.clock() + ttl
        self.repo.add_reset_code(self._code_hash(user, code), expires_at)
        shown = "-".join(code[i:i + _CODE_GROUP] for i in range(0, _CODE_CHARS, _CODE_GROUP))
        return user, shown, expires_at

    def reset_password(self, email: str, code: str, new: str) -> User:
        """Set a new password with a code from :meth:`issue_reset_code`; every session of the account
        ends (the caller starts one for the browser that asked) and the code is spent.

        ``AccountInputError``: a weak new password (the code is not spent then, so it can be tried with a
        better one), or one sentence for every other refusal (unknown e-mail, wrong, used or expired code).
        """
        try:
            address = normalize_email(email)
        except AccountInputError:
            raise AccountInputError(_RESET_REFUSED) from None
        found = self.repo.find_user(address)
        user = None if found is None or found[0].disabled else found[0]
        check_password(new, email=address, display_name=user.display_name if user else "")
        digest = self._code_hash(user, self._normal_code(code))  # the same work for an unknown account
        taken = self.repo.take_reset_code(digest, now=self.clock())
        if user is None or not taken:
            raise AccountInputError(_RESET_REFUSED)
        self.repo.set_password_hash(user.id, self.hasher.hash(new))
        self.repo.revoke_sessions_of(user.id, at=self.clock())
        return user

    # -- API tokens -------------------------------------------------------------------------------
    def create_api_token(self, user: User, name: str) -> tuple[str, ApiToken]:
        """A new bearer token for scripts. Returns the plaintext (shown once) and the stored token."""
        label = " ".join(name.split()) if isinstance(name, str) else ""
        if not label or len(label) > settings.TOKEN_NAME_MAX_CHARS:
            raise AccountInputError(f"token name must be 1 to {settings.TOKEN_NAME_MAX_CHARS} characters")
        if self._live_user(user.id) is None:
            raise AccessDenied()
        secret, digest = _new_secret()
        return secret, self.repo.add_token(user.id, label, digest, created_at=self.clock())

    def _resolve_token(self, plaintext: str) -> tuple[User, ApiToken] | None:
        if not _plausible_secret(plaintext):
            return None
        digest = _digest(plaintext)
        token = self.repo.find_token(digest)
        if token is None or not hmac.compare_digest(token.token_hash, digest) or not token.active:
            return None
        user = self._live_user(token.user_id)
        if user is None:
            return None
        self.repo.touch_token(token.id, at=self.clock())
        return user, token

    def token_user(self, plaintext: str) -> User | None:
        """The account behind an API token, or None (unknown, revoked, disabled); records the use."""
        found = self._resolve_token(plaintext)
        return None if found is None else found[0]

    def token_actor(self, plaintext: str) -> tuple[User, Actor] | None:
        """Like :meth:`token_user`, with the token's :class:`Actor` (the audit names the token)."""
        found = self._resolve_token(plaintext)
        return None if found is None else (found[0], Actor.for_token(found[1]))

    def tokens_of(self, user: User) -> list[ApiToken]:
        """The account's tokens (revoked ones too), oldest first."""
        return self.repo.list_tokens(user.id)

    def revoke_token(self, user: User, token_id: int) -> None:
        """Revoke one of the account's tokens; ``AccessDenied`` when it is not theirs."""
        token = self.repo.get_token(token_id)
        if token is None or token.user_id != user.id:
            raise AccessDenied()
        self.repo.revoke_token(token_id, at=self.clock())

    # -- ownership --------------------------------------------------------------------------------
    def create_patient_for(
        self, user: User, name: str, *, birth_date: date | None = None, sex: Sex | None = None,
        weight_kg: float | None = None,
    ) -> Patient:
        """Create a patient owned by ``user`` (validated like the journal's ``add_patient``); audited."""
        now = self.clock()
        local_now = now.replace(tzinfo=UTC).astimezone().replace(tzinfo=None)  # journal times are local
        patient = validate_patient(NewPatient(name, birth_date, sex, weight_kg), today=local_now.date())
        stored = self.repo.add_owned_patient(user.id, patient, created_at=local_now)
        self._record(Actor.for_user(user), "create", stored.id, "patient", stored.id, now)
        return stored

    def claim_patient(self, user: User, patient_id: int) -> None:
        """Give a local (unowned) patient to ``user``; ``AccessDenied`` if another account owns it.

        For the machine's operator (a command-line step): a web request cannot prove who may take
        over a local patient, so the web app must not offer this. Claiming one's own patient is a no-op.
        """
        try:
            before = self.repo.patient_owner(patient_id)
            owner = self.repo.claim_patient(patient_id, user.id)
        except UnknownPatientError:
            raise AccessDenied() from None
        if owner != user.id:
            raise AccessDenied()
        if before is None:
            self._record(Actor.for_user(user), "update", patient_id, "patient", patient_id, self.clock())

    def patients_of(self, user: User) -> list[Patient]:
        """The patients ``user`` owns, by id (never the local command-line patients)."""
        return self.repo.list_patients_of(user.id)

    def patients_with_roles(self, user: User) -> list[tuple[Patient, str]]:
        """Every patient ``user`` may open, with its role there: the ones it owns (``"owner"``, by id),
        then the ones other accounts shared with it (``"viewer"`` or ``"logger"``, by id). For the
        patient list and the switcher; :meth:`patients_of` stays the owned ones only (what a backup
        exports and a deletion removes)."""
        return self.repo.list_patients_with_roles(user.id)

    def role_of(self, actor: Actor, patient_id: int) -> MemberRole | None:
        """The member role an account (or its token) holds on a patient shared with it, else None (owners,
        share links, feeds and the command line have none). Reads one row; no access check."""
        if actor.kind not in ("user", "token") or actor.user_id is None or not is_row_id(patient_id):
            return None
        return self.repo.member_role(patient_id, actor.user_id)

    def require_access(self, actor: Actor, patient_id: int, *, write: bool, entries: bool = False) -> None:
        """Return when ``actor`` may read (or, with ``write``, change) the patient; else ``AccessDenied``.
        See :meth:`access`, which also answers the member role."""
        self.access(actor, patient_id, write=write, entries=entries)

    def access(self, actor: Actor, patient_id: int, *, write: bool, entries: bool = False) -> MemberRole | None:
        """The member role ``actor`` holds on the patient (``None`` for the owner, a share link or the
        command line) when it may read (or, with ``write``, change) the patient; else ``AccessDenied``.
        One check and the role together, so a page reads the ownership row once (the same answer as
        :meth:`require_access` followed by :meth:`role_of`).

        ``write`` alone means any change (plan, settings, sharing, deletion...): the owner only. With
        ``write`` and ``entries`` the change is to journal entries only (log, edit, undo or delete a
        dose, score, note...): the owner, or an account the patient is shared with as ``logger``. A
        ``viewer`` or ``logger`` member may read (``write=False``).

        An account (or its token) owns what it created or claimed; a share actor reads its one
        patient while the link is live and never writes; the ``cli`` actor (the local operator)
        may do anything and gets ``UnknownPatientError`` for a missing id. Unknown ids and
        other people's patients raise the same ``AccessDenied``; so do ids no SQL integer column can
        hold (they cannot exist, and the database drivers would fail on them).
        """
        if not is_row_id(patient_id):
            if actor.kind == "cli":
                raise UnknownPatientError(patient_id)
            raise AccessDenied()
        if actor.kind == "cli":
            self.repo.patient_owner(patient_id)  # existence only
            return None
        if actor.kind == "share":
            link = None if write or actor.id is None else self.repo.get_share_link(actor.id)
            if link is None or link.patient_id != patient_id or not link.active_at(self.clock()):
                raise AccessDenied()
            return None
        if actor.kind == "feed" or actor.user_id is None:
            raise AccessDenied()  # a feed's only read is its schedule, checked by feed_actor()
        try:
            owner = self.repo.patient_owner(patient_id)
        except UnknownPatientError:
            raise AccessDenied() from None
        if owner == actor.user_id:
            return None
        role = self.repo.member_role(patient_id, actor.user_id)
        if role is None or (write and not (entries and role == "logger")):
            raise AccessDenied()  # a member is refused exactly like a stranger: nothing to probe
        return role

    # -- members: a patient shared with another account ----------------------------------------------
    def owner_account(self, patient_id: int) -> User:
        """The account that owns the patient, for the local operator acting on its behalf (the
        command line's sharing commands). ``UnknownPatientError`` for an unknown id;
        ``AccountInputError`` for a patient no account owns (made on the command line) or whose owner
        is disabled: such a patient cannot be shared."""
        if not is_row_id(patient_id):
            raise UnknownPatientError(patient_id)
        owner_id = self.repo.patient_owner(patient_id)
        owner = self.repo.get_user(owner_id) if owner_id is not None else None
        if owner is None or owner.disabled:
            raise AccountInputError(f"patient #{patient_id} belongs to no (active) account; only an account's "
                                    "patient can be shared")
        return owner

    def add_member(self, owner: User, patient_id: int, email: str, role: str, *, by: Actor | None = None) -> PatientMember:
        """Share one of ``owner``'s patients with the account signed up under ``email``, as ``role``
        (``viewer`` or ``logger``); audited as a ``share`` of that ``account``, by ``by`` (default the
        owner; the command line passes ``Actor.cli()``). Sharing again with the
        same account changes its role. ``AccessDenied`` unless ``owner`` owns the patient;
        ``AccountInputError`` for a malformed e-mail, an unknown role, one's own e-mail, no account with
        that e-mail (the owner asked for it by name, so saying so tells nothing new), or a patient
        already shared with ``settings.PATIENT_MEMBERS_MAX`` accounts."""
        self.require_access(Actor.for_user(owner), patient_id, write=True)
        if role not in MEMBER_ROLES:
            raise AccountInputError(f"role must be one of {', '.join(MEMBER_ROLES)}")
        address = normalize_email(email)
        if address == owner.email:
            raise AccountInputError("this is your own account; it has the patient already")
        found = self.repo.find_user(address)
        if found is None or found[0].disabled:
            raise AccountInputError("no GabaCare account uses that e-mail address; ask them to sign up first")
        member = found[0]
        existing = self.repo.list_members(patient_id)
        if (len(existing) >= settings.PATIENT_MEMBERS_MAX
                and all(m.user_id != member.id for m in existing)):
            raise AccountInputError(
                f"a patient can be shared with at most {settings.PATIENT_MEMBERS_MAX} accounts; remove one first")
        now = self.clock()
        chosen = cast("MemberRole", role)
        stored = self.repo.add_member(PatientMember(patient_id, member.id, chosen, now, owner.id))
        self._record(by or Actor.for_user(owner), "share", patient_id, "account", member.id, now)
        return stored

    def remove_member(self, owner: User, patient_id: int, user_id: int, *, by: Actor | None = None) -> None:
        """Stop sharing one of ``owner``'s patients with an account: its access ends with this call;
        audited as a ``revoke`` by ``by`` (default the owner). ``AccessDenied`` unless ``owner`` owns
        the patient and that account is a member (a made-up id is refused like another account's patient)."""
        self.require_access(Actor.for_user(owner), patient_id, write=True)
        if not is_row_id(user_id):
            raise AccessDenied()
        if not self.repo.remove_member(patient_id, user_id):
            raise AccessDenied()
        self._record(by or Actor.for_user(owner), "revoke", patient_id, "account", user_id, self.clock())

    def members_of(self, owner: User, patient_id: int) -> list[tuple[PatientMember, User]]:
        """The accounts one of ``owner``'s patients is shared with, with each account (for its name and
        e-mail), oldest first; at most ``settings.PATIENT_MEMBERS_MAX``. ``AccessDenied`` otherwise."""
        self.require_access(Actor.for_user(owner), patient_id, write=True)
        found: list[tuple[PatientMember, User]] = []
        for m in self.repo.list_members(patient_id):
            account = self.repo.get_user(m.user_id)
            if account is not None:
                found.append((m, account))
        return found

    # -- share links ------------------------------------------------------------------------------
    def create_share_link(self, user: User, patient_id: int, expires_in: timedelta) -> tuple[str, ShareLink]:
        """A read-only link to one of ``user``'s patients, live for ``expires_in``; audited.

        ``expires_in`` must be above zero and at most ``settings.SHARE_LINK_MAX_LIFETIME``.
        Returns the token to put in the link (shown once; only its hash is stored) and the link.
        """
        self.require_access(Actor.for_user(user), patient_id, write=True)
        if not timedelta(0) < expires_in <= settings.SHARE_LINK_MAX_LIFETIME:
            raise AccountInputError(
                f"a share link lasts more than 0 and at most {settings.SHARE_LINK_MAX_LIFETIME.days} days")
        secret, digest = _new_secret()
        now = self.clock()
        link = self.repo.add_share_link(patient_id, created_by=user.id, token_hash=digest, created_at=now,
                                        expires_at=now + expires_in)
        self._record(Actor.for_user(user), "share", patient_id, "share_link", link.id, now)
        return secret, link

    def share_actor(self, plaintext: str) -> ShareActor | None:
        """The read-only actor for a share-link token, or None (unknown, expired, revoked, owner disabled)."""
        if not _plausible_secret(plaintext):
            return None
        digest = _digest(plaintext)
        link = self.repo.find_share_link(digest)
        if link is None or not hmac.compare_digest(link.token_hash, digest) or not link.active_at(self.clock()):
            return None
        if self._live_user(link.created_by) is None:
            return None
        return ShareActor.for_link(link)

    def share_links_of(self, user: User, patient_id: int) -> list[ShareLink]:
        """The share links of one of ``user``'s patients (expired and revoked too)."""
        self.require_access(Actor.for_user(user), patient_id, write=True)
        return self.repo.list_share_links(patient_id)

    def revoke_share_link(self, user: User, link_id: int) -> None:
        """Revoke a share link of one of ``user``'s patients; audited. ``AccessDenied`` otherwise."""
        link = self.repo.get_share_link(link_id)
        if link is None:
            raise AccessDenied()
        self.require_access(Actor.for_user(user), link.patient_id, write=True)
        now = self.clock()
        self.repo.revoke_share_link(link_id, at=now)
        self._record(Actor.for_user(user), "revoke", link.patient_id, "share_link", link_id, now)

    # -- calendar feeds ---------------------------------------------------------------------------
    def create_calendar_feed(self, user: User, patient_id: int) -> tuple[str, CalendarFeed]:
        """A new calendar feed address for one of ``user``'s patients; audited as a ``share``.

        Any live feed of the patient is revoked in the same transaction (rotation: the old address
        stops working at once). Returns the token (shown once; only its hash is stored) and the feed.
        """
        self.require_access(Actor.for_user(user), patient_id, write=True)
        secret, digest = _new_secret()
        now = self.clock()
        feed = self.repo.add_calendar_feed(patient_id, created_by=user.id, token_hash=digest, created_at=now)
        self._record(Actor.for_user(user), "share", patient_id, "calendar_feed", feed.id, now)
        return secret, feed

    def calendar_feed_of(self, user: User, patient_id: int) -> CalendarFeed | None:
        """The live feed of one of ``user``'s patients, or None; ``AccessDenied`` for anyone else's."""
        self.require_access(Actor.for_user(user), patient_id, write=True)
        return self.repo.live_calendar_feed(patient_id)

    def revoke_calendar_feed(self, user: User, patient_id: int) -> bool:
        """Revoke the live feed of one of ``user``'s patients (False when there was none); audited."""
        self.require_access(Actor.for_user(user), patient_id, write=True)
        now = self.clock()
        revoked = self.repo.revoke_calendar_feeds(patient_id, at=now)
        for feed_id in revoked:
            self._record(Actor.for_user(user), "revoke", patient_id, "calendar_feed", feed_id, now)
        return bool(revoked)

    def feed_actor(self, plaintext: str) -> FeedActor | None:
        """The actor for a calendar-feed token, or None (unknown, malformed, revoked, or owner disabled)."""
        if not _plausible_secret(plaintext):
            return None
        digest = _digest(plaintext)
        feed = self.repo.find_calendar_feed(digest)
        if feed is None or not hmac.compare_digest(feed.token_hash, digest) or not feed.active:
            return None
        if self._live_user(feed.created_by) is None:
            return None
        return FeedActor.for_feed(feed)

    # -- deletion -----------------------------------------------------------------------------------
    def _erase_patient(self, user: User, patient_id: int) -> None:
        actor = Actor.for_user(user)
        now = self.clock()
        # Revoke first (each audited), so that even a deletion that fails midway leaves no live way in.
        for link in self.repo.list_share_links(patient_id):
            if link.revoked_at is None:
                self.repo.revoke_share_link(link.id, at=now)
                self._record(actor, "revoke", patient_id, "share_link", link.id, now)
        for feed_id in self.repo.revoke_calendar_feeds(patient_id, at=now):
            self._record(actor, "revoke", patient_id, "calendar_feed", feed_id, now)
        for member in self.repo.list_members(patient_id):
            if self.repo.remove_member(patient_id, member.user_id):
                self._record(actor, "revoke", patient_id, "account", member.user_id, now)
        self.repo.delete_patient(patient_id)
        self._record(actor, "delete", patient_id, "patient", patient_id, now)

    def delete_patient(self, user: User, patient_id: int, confirm_name: str) -> None:
        """Delete one of ``user``'s patients and everything recorded about them; audited.

        ``confirm_name`` must be the patient's name as typed by the owner (spacing and letter case
        aside), else ``AccountInputError`` and nothing changes. Another account's patient, or an
        unknown id, raises ``AccessDenied``. The patient's live share links and calendar feed are
        revoked and the accounts it is shared with removed first; then, in one transaction, the patient,
        entries and their revisions, plans and plan doses, questionnaires, share links and calendar
        feeds are deleted. The audit log keeps its rows naming the patient: they hold ids, action words
        and times (who did what, when), never clinical data, and they are the record that the deletion
        happened.
        """
        self.require_access(Actor.for_user(user), patient_id, write=True)
        patient = next((p for p in self.repo.list_patients_of(user.id) if p.id == patient_id), None)
        if patient is None:
            raise AccessDenied()
        if not isinstance(confirm_name, str) or _folded(confirm_name) != _folded(patient.name):
            raise AccountInputError("the name typed is not the patient's name; nothing was deleted")
        self._erase_patient(user, patient_id)

    def delete_account(self, user: User, password: str) -> None:
        """Delete ``user``'s account after checking its password; audited.

        Order, chosen so that a failure part-way leaves nothing usable: the account is disabled (its
        sessions, API tokens, share links and feeds stop working at once), each owned patient is
        erased as by :meth:`delete_patient`, then one transaction deletes the sessions, API tokens,
        share links, feeds and the user row. The user row is deleted rather than kept anonymised:
        no foreign key points from the audit log at ``users`` (``actor_id`` is a plain number), so the
        audit rows survive without it. A wrong password raises ``AccountInputError``; nothing changes.
        """
        found = self.repo.find_user(user.email)
        if (not isinstance(password, str) or len(password) > settings.PASSWORD_MAX_CHARS or found is None
                or found[0].id != user.id or not self._verify(found[1], password)):
            raise AccountInputError("the password is not right; nothing was deleted")
        now = self.clock()
        self.repo.set_disabled(user.id, True)
        self.repo.revoke_sessions_of(user.id, at=now)
        for token in self.repo.list_tokens(user.id):
            self.repo.revoke_token(token.id, at=now)
        for patient in self.repo.list_patients_of(user.id):
            self._erase_patient(user, patient.id)
        self.repo.delete_user(user.id)
        self._record(Actor.for_user(user), "delete", None, "account", user.id, self.clock())

    # -- audit ------------------------------------------------------------------------------------
    def _record(
        self, actor: Actor, action: AuditAction, patient_id: int | None, resource_kind: ResourceKind,
        resource_id: int | None, at: datetime,
    ) -> AuditEntry:
        entry = NewAuditEntry(at, actor.kind, actor.id, action, patient_id, resource_kind, resource_id)
        if self.audit_writer is not None:
            return self.audit_writer.append(entry)
        return self.repo.append_audit(entry)

    def audit(
        self, actor: Actor, action: AuditAction, patient_id: int | None, resource_kind: ResourceKind,
        resource_id: int | None = None,
    ) -> AuditEntry:
        """Append who did what to which record: ids and vocabulary words only, never contents.

        ``action`` is one of ``gabacare.accounts.model.AUDIT_ACTIONS`` (read, create, update, delete, export,
        import, share, revoke); ``resource_kind`` one of ``RESOURCE_KINDS``; ids are integers.
        """
        if action not in AUDIT_ACTIONS:
            raise AccountInputError(f"audit action must be one of {', '.join(AUDIT_ACTIONS)}")
        if resource_kind not in RESOURCE_KINDS:
            raise AccountInputError(f"audit resource kind must be one of {', '.join(RESOURCE_KINDS)}")
        for what, value in (("patient id", patient_id), ("resource id", resource_id)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise AccountInputError(f"audit {what} must be an integer")
        return self._record(actor, action, patient_id, resource_kind, resource_id, self.clock())

    def audit_log(self, user: User, patient_id: int) -> list[AuditEntry]:
        """The audit entries of one of ``user``'s patients, oldest first; ``AccessDenied`` otherwise."""
        self.require_access(Actor.for_user(user), patient_id, write=True)
        return self.repo.list_audit(patient_id)
