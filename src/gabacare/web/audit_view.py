"""The audit log as a person reads it: "you" instead of an account number, local times, and the
bursts of reads one page view makes (the page, then each of its charts) shown as one line.

Pure: audit records in, display rows out. Nothing is dropped: a folded row says how many records it
stands for, and the records themselves stay in the database exactly as written.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from gabacare._record import record

if TYPE_CHECKING:
    from gabacare.accounts.model import AuditEntry

__all__ = ["FOLD_WITHIN", "AuditRow", "audit_rows"]

#: Reads by the same actor of the same patient this close together are one visit (a page and its charts).
FOLD_WITHIN = timedelta(seconds=60)


@record
class AuditRow:
    """One line of the audit page: from ``first`` to ``last`` (local, aware), ``count`` records."""

    first: datetime
    last: datetime
    who: str
    action: str
    what: str
    count: int


def _who(entry: AuditEntry, viewer_id: int | None) -> str:
    if entry.actor_kind == "user":
        return "you" if viewer_id is not None and entry.actor_id == viewer_id else f"account #{entry.actor_id}"
    if entry.actor_kind == "token":
        return f"API token #{entry.actor_id}"
    if entry.actor_kind == "share":
        return f"share link #{entry.actor_id}"
    if entry.actor_kind == "feed":
        return f"calendar feed #{entry.actor_id}"
    return "command line"


def _what(entry: AuditEntry) -> str:
    kind = entry.resource_kind.replace("_", " ")
    return f"{kind} #{entry.resource_id}" if entry.resource_id is not None else kind


def audit_rows(entries: Sequence[AuditEntry], *, viewer_id: int | None, zone: tzinfo | None = None) -> list[AuditRow]:
    """Display rows, newest first, for ``entries`` given oldest first.

    ``viewer_id`` is the signed-in account ("you"); ``zone`` the time zone to show (default: this
    machine's, where a local-first GabaCare runs; stored times are UTC). Consecutive reads by the
    same actor within :data:`FOLD_WITHIN` of each other fold into one row listing what was read;
    changes, exports and shares are never folded.
    """
    rows: list[AuditRow] = []
    kinds: list[list[str]] = []
    for e in entries:
        at = (e.at if e.at.tzinfo else e.at.replace(tzinfo=UTC)).astimezone(zone)
        who = _who(e, viewer_id)
        prev = rows[-1] if rows else None
        if (prev is not None and e.action == "read" and prev.action == "read" and prev.who == who
                and at - prev.last <= FOLD_WITHIN):
            what = kinds[-1]
            if _what(e).split(" #")[0] not in what:
                what.append(_what(e).split(" #")[0])
            rows[-1] = AuditRow(prev.first, at, who, "read", ", ".join(what), prev.count + 1)
            continue
        kinds.append([_what(e).split(" #")[0]] if e.action == "read" else [_what(e)])
        rows.append(AuditRow(at, at, who, e.action, _what(e), 1))
    return rows[::-1]
