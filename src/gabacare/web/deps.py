"""Dependency seams for signed-in users, filled by the journal's accounts in phase 2.

Routes ask for the user with ``Depends(get_current_user)`` (may be None) or
``Depends(require_user)`` (401 problem without one). Both ask ``request.app.state.auth``, an
:class:`AuthBackend`. This phase installs :class:`AnonymousAuth` (nobody is signed in); phase 2
sets ``app.state.auth`` to a backend that reads the session cookie or the ``Authorization: Bearer``
token and loads the account, and every journal query is then scoped to ``CurrentUser.id``.
"""

from __future__ import annotations

from dataclasses import field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from fastapi import Depends, Request

from gabacare._record import record
from gabacare.web.problems import ProblemError

if TYPE_CHECKING:
    from collections.abc import Awaitable

__all__ = ["AnonymousAuth", "AuthBackend", "CurrentUser", "bearer_token", "get_current_user", "require_user"]


@record
class CurrentUser:
    """Who is making the request: the account's integer id, a display name and a role.

    ``read_only`` is True for a clinician viewing a patient through a share link. ``actor`` is the
    :class:`gabacare.accounts.model.Actor` the access checks and the audit log use (the
    account itself, or the API token it came through); ``account`` is the stored
    :class:`gabacare.accounts.model.User`. Both are None for users made up in tests.
    """

    id: int
    display_name: str
    role: Literal["patient", "clinician"] = "patient"
    read_only: bool = False
    actor: Any = field(default=None, compare=False, repr=False)
    account: Any = field(default=None, compare=False, repr=False)


class AuthBackend(Protocol):
    """Finds the user behind a request (session cookie or API token), or None."""

    def user_for(self, request: Request) -> CurrentUser | Awaitable[CurrentUser | None] | None: ...


class AnonymousAuth:
    """The phase-1 backend: nobody is signed in."""

    def user_for(self, request: Request) -> CurrentUser | None:
        return None


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def get_current_user(request: Request) -> CurrentUser | None:
    """The signed-in user, or None (FastAPI dependency)."""
    import inspect

    backend: AuthBackend = request.app.state.auth
    found = backend.user_for(request)
    if inspect.isawaitable(found):
        return await found
    return found


async def require_user(user: CurrentUser | None = Depends(get_current_user)) -> CurrentUser:
    """The signed-in user, or a 401 problem (FastAPI dependency)."""
    if user is None:
        raise ProblemError(401, None, "Sign in to see this page.", headers={"www-authenticate": "Bearer"})
    return user
