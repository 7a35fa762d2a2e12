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
===========================  ==========================================================  =============

A random key means tokens do not survive a restart; set ``GABACARE_SECRET_KEY`` for a server that
must keep forms valid across restarts or run several workers.
"""

from __future__ import annotations

import secrets

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["WebSettings"]


class WebSettings(BaseSettings):
    """Settings of the web app; construct directly in tests, from the environment in ``serve``."""

    model_config = SettingsConfigDict(env_prefix="GABACARE_", extra="ignore", frozen=True)

    secret_key: SecretStr = Field(default_factory=lambda: SecretStr(secrets.token_urlsafe(32)), min_length=16)
    secure_cookies: bool = False
    signin_attempts: int = Field(default=5, ge=1)
    signin_window_s: float = Field(default=300.0, gt=0)
    csrf_max_age_s: int = Field(default=8 * 3600, gt=0)
    access_log: bool = True
