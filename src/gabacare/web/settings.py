"""Web settings, read from the environment with the ``GABACARE_`` prefix (pydantic-settings).

===========================  ==========================================================  =============
variable                     meaning                                                     default
===========================  ==========================================================  =============
``GABACARE_SECRET_KEY``      key that signs CSRF tokens (and, later, sessions)           random per process
``GABACARE_SECURE_COOKIES``  mark cookies ``Secure`` (set when served over HTTPS)        false
``GABACARE_SIGNIN_ATTEMPTS`` failed sign-ins allowed per account and address in a window 5
``GABACARE_SIGNIN_WINDOW_S`` length of that window in seconds                            300
``GABACARE_CSRF_MAX_AGE_S``  how long a form's CSRF token stays valid, in seconds        28800
``GABACARE_PREVIOUS_SECRET_KEYS`` retired signing keys (comma-separated), only recognised  none
``GABACARE_ACCESS_LOG``      log one line per request (method, path, status; no query)   true
``GABACARE_DB``              SQLAlchemy URL of the journal and accounts database         user data dir
===========================  ==========================================================  =============

Without ``GABACARE_SECRET_KEY``, the key that signs forms is kept in a file next to the SQLite journal
(:func:`form_key`, ``<journal file>.form-key``, readable by its owner only), made on first use, so a
restart of a local install leaves every open form valid. With no SQLite file (``memory://``, or a
PostgreSQL server) a key is made per process: set ``GABACARE_SECRET_KEY`` there (several hosts must
share it). To rotate, move the old key to ``GABACARE_PREVIOUS_SECRET_KEYS``: forms signed with it are
then answered as expired (shown again with what was typed, one click to resend), never as forged.

Session and reset-code durations are GabaCare's own policy (not clinical facts), named here:
:data:`SESSION_REMEMBER_TTL`, :data:`SESSION_RENEW_EVERY`, :data:`RESET_CODE_TTL`.

The CDS Hooks settings (``GABACARE_CDS_*``, ``GABACARE_PUBLIC_BASE_URL``) are listed with their
defaults in ``docs/cds-hooks.md``: JWT verification is on unless ``GABACARE_CDS_REQUIRE_JWT=false``
(development only, logged as a warning at start-up), and ``fhirServer`` is read only from
``GABACARE_CDS_FHIR_SERVERS``.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Final

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["RESET_CODE_TTL", "SESSION_REMEMBER_TTL", "SESSION_RENEW_EVERY", "WebSettings", "form_key"]

SESSION_REMEMBER_TTL: Final = timedelta(days=30)
"""How long "stay signed in on this device" keeps a browser signed in after its last use (policy: a
patient logging doses daily is not asked for the password every day; a device left unused for a month
signs out by itself). It slides: each use moves the end to this long after that use. It may not exceed
``gabacare.journal.settings.SESSION_MAX_TTL``. Without the box ticked a session lasts
``gabacare.journal.settings.SESSION_TTL`` from sign-in and does not slide (today's behaviour)."""

SESSION_RENEW_EVERY: Final = timedelta(hours=1)
"""A sliding session is renewed (one database write and a fresh cookie) at most this often: renewing on
every request would turn every page view, tap and HTMX fragment into a write on the sessions table; an
hour costs at most an hour of the 30 days, which nobody notices."""

RESET_CODE_TTL: Final = timedelta(minutes=30)
"""How long a printed password-reset code (``gabacare account reset-code``) can be used (policy: long
enough to walk from the machine to the browser, short enough that a code left on paper soon dies)."""

FORM_KEY_SUFFIX: Final = ".form-key"


class WebSettings(BaseSettings):
    """Settings of the web app; construct directly in tests, from the environment in ``serve``."""

    model_config = SettingsConfigDict(env_prefix="GABACARE_", extra="ignore", frozen=True)

    secret_key: SecretStr = Field(default_factory=lambda: SecretStr(secrets.token_urlsafe(32)), min_length=16)
    secure_cookies: bool = False
    signin_attempts: int = Field(default=5, ge=1)
    signin_window_s: float = Field(default=300.0, gt=0)
    # Failed sign-ins per client address (any e-mail) within the window: trying many addresses is slowed too.
    signin_attempts_per_address: int = Field(default=20, ge=1)
    # Password checks (Argon2id, ~64 MiB each) at once; more wait up to password_check_wait_s, then 503.
    password_checks_at_once: int = Field(default=2, ge=1, le=64)
    password_check_wait_s: float = Field(default=10.0, gt=0, le=120)
    # Largest request body (bytes) any route accepts; CDS routes may set a smaller one.
    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024, le=1024 * 1024 * 1024)
    # Longest wait (s) for the first byte of any answer; past it the client gets 503 too-slow (web/budget.py).
    request_time_budget_s: float = Field(default=60.0, gt=0, le=3600)
    csrf_max_age_s: int = Field(default=8 * 3600, gt=0)
    # Retired signing keys (comma-separated in the environment): recognised, never used to sign.
    previous_secret_keys: Annotated[tuple[SecretStr, ...], NoDecode] = ()
    access_log: bool = True

    # CDS Hooks (web/cds_routes.py; every one is documented in docs/cds-hooks.md). Lists come from the
    # environment as comma-separated text.
    public_base_url: str | None = None
    # On by default. Off only by an explicit GABACARE_CDS_REQUIRE_JWT=false (development; a warning is logged).
    cds_require_jwt: bool = True
    cds_issuers: Annotated[tuple[str, ...], NoDecode] = ()
    cds_jwks_file: Path | None = None
    cds_jwt_max_age_s: int = Field(default=300, gt=0, le=24 * 3600)
    cds_cors_origins: Annotated[tuple[str, ...], NoDecode] = ()
    # The EHR's FHIR server: exact origins that may be read, private networks they may resolve to, one
    # deadline for all the reads of one hook call, and the largest answer read.
    cds_fhir_servers: Annotated[tuple[str, ...], NoDecode] = ()
    cds_fhir_private_networks: Annotated[tuple[str, ...], NoDecode] = ()
    cds_fhir_timeout_s: float = Field(default=2.0, gt=0, le=30)
    cds_fhir_max_bytes: int = Field(default=2 * 1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    # Largest CDS request body (smaller than the app-wide GABACARE_MAX_BODY_BYTES), hook calls run at once
    # (in their own threads, so slow ones never hold the threads other pages use), feedback records kept.
    cds_max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    cds_max_concurrent_calls: int = Field(default=4, ge=1, le=64)
    cds_feedback_max_records: int = Field(default=10000, ge=1, le=10_000_000)
    cds_patient_links_file: Path | None = None
    cds_summary_days: int = Field(default=28, ge=1, le=366)

    @field_validator("cds_issuers", "cds_cors_origins", "cds_fhir_servers", "cds_fhir_private_networks", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("previous_secret_keys", mode="before")
    @classmethod
    def _key_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("cds_cors_origins")
    @classmethod
    def _exact_origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for origin in value:
            if origin == "*" or not origin.startswith(("https://", "http://")) or origin.rstrip("/").count("/") > 2:
                raise ValueError(f"CORS origins must be exact scheme://host[:port] values, not {origin!r}")
        return tuple(o.rstrip("/") for o in value)

    @field_validator("cds_fhir_servers")
    @classmethod
    def _exact_fhir_origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        from urllib.parse import urlsplit

        out = []
        for origin in value:
            parts = urlsplit(origin.strip().rstrip("/"))
            if parts.scheme not in ("https", "http") or not parts.hostname or parts.path or parts.query \
                    or parts.username is not None or "*" in origin:
                raise ValueError(f"GABACARE_CDS_FHIR_SERVERS must be exact scheme://host[:port] origins, not {origin!r}")
            out.append(origin.strip().rstrip("/"))
        return tuple(out)

    @field_validator("cds_fhir_private_networks")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        import ipaddress

        for net in value:
            try:
                ipaddress.ip_network(net, strict=False)
            except ValueError:
                raise ValueError(f"GABACARE_CDS_FHIR_PRIVATE_NETWORKS entries must be networks like 10.1.0.0/16, "
                                 f"not {net!r}") from None
        return value

    @field_validator("public_base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("GABACARE_PUBLIC_BASE_URL must start with https:// (or http:// for a local test)")
        return None if value is None else value.rstrip("/")

    @model_validator(mode="after")
    def _jwt_needs_its_settings(self) -> WebSettings:
        # Asked for explicitly but not configured: refuse to start. Left at its default (on) but not
        # configured: the app starts and the CDS routes refuse every call (cds_routes.install warns).
        if self.cds_require_jwt and "cds_require_jwt" in self.model_fields_set:
            missing = [name for name, v in (("GABACARE_PUBLIC_BASE_URL", self.public_base_url),
                                            ("GABACARE_CDS_ISSUERS", self.cds_issuers),
                                            ("GABACARE_CDS_JWKS_FILE", self.cds_jwks_file)) if not v]
            if missing:
                raise ValueError("GABACARE_CDS_REQUIRE_JWT=true needs " + ", ".join(missing))
        return self
    db: str | None = None


def _sqlite_file(db: str | None) -> Path | None:
    """The SQLite file the journal of ``db`` lives in, or None (memory, PostgreSQL, an in-memory SQLite)."""
    from gabacare.journal.db import resolve_url

    url = resolve_url(db)
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        return None
    path = url[len(prefix):].split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


def form_key(settings: WebSettings) -> str:
    """The key that signs form tokens: ``GABACARE_SECRET_KEY`` when set, else the one kept next to the
    SQLite journal (made on first use, owner-only, written whole before it is visible, so two workers
    starting together read the same key), else ``settings.secret_key`` (random for this process)."""
    if "secret_key" in settings.model_fields_set:
        return settings.secret_key.get_secret_value()
    journal_file = _sqlite_file(settings.db)
    if journal_file is None:
        return settings.secret_key.get_secret_value()
    key_file = journal_file.with_name(journal_file.name + FORM_KEY_SUFFIX)
    try:
        return _read_or_make_key(key_file)
    except OSError:  # an unwritable directory: the journal will say so; forms still work for this run
        return settings.secret_key.get_secret_value()


def _read_or_make_key(key_file: Path) -> str:
    for _ in range(3):
        try:
            key = key_file.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            key = ""
        if len(key) >= 32:
            return key
        key_file.parent.mkdir(parents=True, exist_ok=True)
        draft = key_file.with_name(f"{key_file.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secrets.token_urlsafe(48))
        try:
            os.link(draft, key_file)  # atomic and refuses to replace: the first writer wins
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    raise OSError(f"cannot read the form key in {key_file.parent}")

