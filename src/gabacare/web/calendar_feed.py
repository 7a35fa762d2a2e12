"""The calendar subscription feed: ``GET /feeds/{token}.ics``, read by a calendar app without signing in.

The token in the address is the only credential (``Accounts.feed_actor``: a hashed, random secret the
owner creates, rotates and revokes on the patient's Share page). It reads that one patient's dose
schedule and nothing else; every read is audited as a ``read`` of the ``plan`` by the ``feed`` actor.
An unknown, malformed, rotated-out or revoked token answers 404 (the same answer for each, so tokens
cannot be probed). The calendar is built by :func:`gabacare.interop.journal_ical.feed_reminders`.

What the feed does not do: a calendar app re-reads it on its own schedule (often every few hours;
``REFRESH-INTERVAL`` is only a hint), so a plan change reaches the phone at the next refresh, and
no push service is involved. Nothing here logs journal contents or the token.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gabacare.web.auth import journal_web
from gabacare.web.problems import ProblemError

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/feeds/{token}.ics")
def calendar_feed(request: Request, token: str) -> Response:
    """The patient's doses as iCalendar for a subscribed calendar app, or 404 for any token not live."""
    from gabacare.interop.journal_ical import feed_reminders
    from gabacare.web.interop_routes import _local_zone

    accounts = journal_web(request).accounts()
    actor = accounts.feed_actor(token)
    if actor is None:
        raise ProblemError(404, None, "This calendar feed is unknown, or it was replaced or stopped.")
    feed = feed_reminders(journal_web(request).journal(), actor.patient_id, tz=_local_zone())
    accounts.audit(actor, "read", actor.patient_id, "plan")
    # private: the address is a secret, so no shared cache may keep the answer.
    return Response(feed.data, media_type="text/calendar; charset=utf-8",
                    headers={"cache-control": "private, no-store",
                             "content-disposition": 'inline; filename="gabacare-doses.ics"'})
