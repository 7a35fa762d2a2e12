"""A time budget per request: no client waits past it, and a handler that overruns it is let go.

:class:`TimeBudgetMiddleware` (pure ASGI) runs the rest of the app as a task. If no response has
started when ``seconds`` have passed, the client gets a 503 ``too-slow`` problem at once (inside the
security headers, with ``Retry-After``) and the task is cancelled. A response that has already
started (a long download) is never cut: the budget is for the wait before the first byte.

What cancelling can and cannot do: an ``async`` handler stops at its next ``await``; a synchronous
handler runs in a worker thread that Python cannot interrupt, so that thread finishes its (bounded)
work and its answer is discarded. The work itself is bounded elsewhere (body size, counts, periods,
outbound deadlines; see SECURITY.md); the budget makes sure one slow request never holds its client
or its connection past the limit. The log line names the path's first segment only, never request
data.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["TimeBudgetMiddleware"]

log = logging.getLogger("gabacare.web.errors")


def _forget(task: asyncio.Future[None]) -> None:
    """Retrieve an abandoned task's outcome so asyncio never reports it as unretrieved."""
    with suppress(asyncio.CancelledError, Exception):
        task.exception()


class TimeBudgetMiddleware:
    """Answer 503 ``too-slow`` when a request has not started its response within ``seconds``."""

    def __init__(self, app: ASGIApp, *, seconds: float) -> None:
        if not seconds > 0:
            raise ValueError("the time budget must be a positive number of seconds")
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        abandoned = False

        async def tracked(message: Message) -> None:
            nonlocal started
            if abandoned:  # the client already has its 503: a late answer goes nowhere
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        task = asyncio.ensure_future(self.app(scope, receive, tracked))
        done, _ = await asyncio.wait({task}, timeout=self.seconds)
        if task in done or started:
            await task  # finished (re-raises its error), or a response already on its way
            return
        # No await between the check above and this line: nothing can start the response meanwhile.
        abandoned = True
        task.cancel()
        task.add_done_callback(_forget)
        segment = str(scope.get("path", "/")).split("/")[1:2]
        log.warning("request over its %.3g s time budget (/%s...)", self.seconds, segment[0] if segment else "")

        from gabacare.web.guards import send_problem

        await send_problem(
            scope, receive, send, 503, "too-slow",
            f"the request took longer than the {self.seconds:g} s this server allows for one answer; "
            "nothing more will be sent for it. Ask for less at once (e.g. a shorter period), then try again.",
            headers={"Retry-After": "5"},
        )
