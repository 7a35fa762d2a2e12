"""Web settings, read from the environment with the ``GABACARE_`` prefix (pydantic-settings).

===========================  ==========================================================  =============
variable                     meaning                                                     default
===========================  ==========================================================  =============
``GABACARE_SECRET_KEY``      key that signs CSRF tokens (and, later, sessions)           random per process
``GABACARE_SECURE_COOKIES``  mark cookies ``Secure`` (set when served over HTTPS)        false
``GABACARE_SIGNIN_ATTEMPTS`` failed sign-ins allowed per account and address in a window 5
``GABACARE_SIGNIN_WINDOW_S`` length of that window in seconds                            300
``GABACARE_CSRF_MAX_AGE_S``  how long a form's CSRF token stays valid, in seconds        28800
``GABACARE_ACCESS_LOG``      log one line per request (method, path, status; no query)   true
``GABACARE_DB``              SQLAlchemy URL of the journal and accounts database         user data dir
===========================  ==========================================================  =============

A random key means tokens do not survive a restart; set ``GABACARE_SECRET_KEY`` for a server that
must keep forms valid across restarts or run several workers.

The CDS Hooks settings (``GABACARE_CDS_*``, ``GABACARE_PUBLIC_BASE_URL``) are listed with their
defaults in ``docs/cds-hooks.md``: JWT verification is on unless ``GABACARE_CDS_REQUIRE_JWT=false``
(development only, logged as a warning at start-up), and ``fhirServer`` is read only from
``GABACARE_CDS_FHIR_SERVERS``.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["WebSettings"]


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
