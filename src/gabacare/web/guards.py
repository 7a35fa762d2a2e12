"""Guards every request passes through, so no request can make the server do unbounded work or drop
its security headers (pure ASGI middleware, no framework state):

* :class:`BodyGuardMiddleware` — a request body larger than ``max_body_bytes`` (or a smaller limit
  for a path prefix, e.g. ``/cds-services``) is refused with 413
  before it is read (from ``Content-Length``) or as soon as the streamed body passes the limit; a JSON
  body holding a lone surrogate (``"\\udc80"``, text no database or file can store) is refused with 400.
* :class:`ErrorGuardMiddleware` — sits inside the security headers middleware: an exception that
  escapes a route becomes a problem response here, so the answer keeps the security headers and the
  connection stays open. It maps by type: an error of the one tree (:mod:`gabacare.errors`) as the
  route handlers do (a ``StorageError``, such as the journal's ``JournalStorageError`` for a corrupt,
  read-only or locked database, is 503 ``unavailable``), a database driver's own error that was not
  wrapped also 503, anything else 500 ``internal``. The log line names the exception type only, never
  request data.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from gabacare.interop.cds_request import has_lone_surrogate

if TYPE_CHECKING:
    from collections.abc import Mapping

    from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BodyGuardMiddleware", "BodyTooLarge", "ErrorGuardMiddleware", "has_lone_surrogate", "send_problem"]

log = logging.getLogger("gabacare.web.errors")


class BodyTooLarge(Exception):
    """The streamed request body passed the configured limit."""


async def send_problem(scope: Scope, receive: Receive, send: Send, status: int, slug: str | None, detail: str, *,
                       headers: dict[str, str] | None = None) -> None:
    """Answer a problem from ASGI middleware (no route, no framework state): JSON or the HTML page."""
    from starlette.requests import Request

    from gabacare.web.problems import problem_response

    response = problem_response(Request(scope, receive), status, slug, detail, headers=headers)
    await response(scope, receive, send)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


class BodyGuardMiddleware:
    """Refuse bodies over ``max_body_bytes`` (413) and JSON bodies with lone surrogates (400)."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, prefix_limits: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.prefix_limits = dict(prefix_limits or {})

    def limit_for(self, path: str) -> int:
        """The body limit for a path: the smallest of the general one and any matching prefix's."""
        return min([self.max_body_bytes, *(n for prefix, n in self.prefix_limits.items() if path.startswith(prefix))])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(str(scope.get("path", "")))
        length = _header(scope, b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                await send_problem(scope, receive, send, 400, "invalid-request", "the Content-Length header is not a number")
                return
            if declared > limit:
                await send_problem(scope, receive, send, 413, "too-large",
                               f"the request body is larger than the {limit} bytes this server accepts")
                return
        ctype = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
        if ctype == "application/json" or ctype.endswith("+json"):
            # Read the (bounded) JSON body once, check its text, then replay it to the app.
            chunks: list[bytes] = []
            size = 0
            more = True
            while more:
                message = await receive()
                if message["type"] != "http.request":
                    break
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > limit:
                    await send_problem(scope, receive, send, 413, "too-large",
                                   f"the request body is larger than the {limit} bytes this server accepts")
                    return
                chunks.append(chunk)
                more = bool(message.get("more_body", False))
            body = b"".join(chunks)
            try:
                decoded = json.loads(body) if body else None
            except (ValueError, RecursionError):
                decoded = None  # not JSON: the route answers with its own 4xx
            if has_lone_surrogate(decoded):
                await send_problem(scope, receive, send, 400, "invalid-request",
                               "the request holds text with a lone surrogate (\\ud800-\\udfff), which is not valid text")
                return
            sent = False

            async def replay() -> Message:
                nonlocal sent
                if not sent:
                    sent = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            await self.app(scope, replay, send)
            return

        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge
            return message

        await self.app(scope, counted, send)


class ErrorGuardMiddleware:
    """Turn an escaped exception into a problem response inside the security headers (module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception as exc:
            if started:
                raise  # the answer is under way: nothing safe to add
            status, slug, detail = classify(exc)
            if status >= 500:
                log.error("%s on %s %s: %s", status, scope.get("method"), scope.get("path"), type(exc).__name__)
            await send_problem(scope, receive, send, status, slug, detail)


def classify(exc: BaseException) -> tuple[int, str | None, str]:
    """The status, problem slug and detail for an exception that escaped a route."""
    if isinstance(exc, BodyTooLarge):
        return 413, "too-large", "the request body is larger than this server accepts"
    if isinstance(exc, UnicodeEncodeError):
        return 400, "invalid-request", "the request holds text that is not valid (a lone surrogate)"
    from gabacare.errors import GabaCareError, StorageError

    if isinstance(exc, StorageError) or _is_driver_error(exc):
        return (503, "unavailable",
                "the journal database cannot be read or written (damaged, read-only or busy); "
                "try again later or ask the administrator to restore it from a backup")
    if isinstance(exc, GabaCareError):
        from gabacare.web.problems import tree_problem

        status, slug, detail = tree_problem(exc)
        if status < 500:
            return status, slug, detail
    return 500, "internal", "GabaCare hit an internal error; please report it."


def _is_driver_error(exc: BaseException) -> bool:
    """A database driver's own error (sqlite3, SQLAlchemy) that no adapter wrapped in a ``StorageError``."""
    import sqlite3

    if isinstance(exc, sqlite3.DatabaseError):
        return True
    try:
        from sqlalchemy.exc import DatabaseError, OperationalError
    except ImportError:  # pragma: no cover - sqlalchemy is a dependency
        return False
    return isinstance(exc, DatabaseError | OperationalError)
