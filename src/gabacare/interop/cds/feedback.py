"""CDS Hooks feedback (``POST /cds-services/{id}/feedback``): validated, bounded, stored idempotently
through a :class:`FeedbackStore` port (an in-memory adapter here, per process; when a database is
named the composition root gives :class:`gabacare.web.shared_state.SqlFeedbackStore`, shared by every
process using it).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from gabacare.errors import InputError
from gabacare.interop.cds.discovery import SERVICES
from gabacare.interop.cds.models import CdsResponse, outcome
from gabacare.interop.cds_request import cds_limits, has_lone_surrogate
from gabacare.knowledge.monograph import CdsLimits

__all__ = ["FeedbackStore", "InMemoryFeedbackStore", "record_feedback"]


class FeedbackStore(Protocol):
    """Stores one feedback record under a key; returns False when the key was already stored."""

    def __call__(self, key: str, record: Mapping[str, Any]) -> bool: ...


@dataclass
class InMemoryFeedbackStore:
    """A :class:`FeedbackStore` in a dict (tests, local demos); with ``max_records`` set, the oldest
    records are dropped beyond it, so feedback can never fill the server's memory."""

    records: OrderedDict[str, dict[str, Any]] = field(default_factory=OrderedDict)
    max_records: int | None = None

    def __call__(self, key: str, record: Mapping[str, Any]) -> bool:
        if key in self.records:
            return False
        self.records[key] = dict(record)
        while self.max_records is not None and len(self.records) > self.max_records:
            self.records.popitem(last=False)
        return True


class _Refused(InputError):
    """One feedback item is malformed; the reason names the field (nothing is stored)."""


def _is_datetime(text: str) -> bool:
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:  # datetime's own refusal of the text
        return False
    return True


def _accepted(item: Mapping[str, Any], where: str, limits: CdsLimits) -> list[str]:
    acc = item.get("acceptedSuggestions")
    if (not isinstance(acc, list) or not acc or len(acc) > limits.max_feedback_items
            or not all(isinstance(a, Mapping) and isinstance(a.get("id"), str)
                       and len(a["id"]) <= limits.max_text_chars for a in acc)):
        raise _Refused(f"{where}.acceptedSuggestions is required when accepted (a list of {{\"id\"}})")
    return [a["id"] for a in acc]


def _override(reason: Any, where: str, limits: CdsLimits) -> dict[str, Any]:
    if not isinstance(reason, Mapping):
        raise _Refused(f"{where}.overrideReason must be an object")
    coding = reason.get("reason")
    if coding is not None and not (isinstance(coding, Mapping) and isinstance(coding.get("code"), str)):
        raise _Refused(f"{where}.overrideReason.reason must be a Coding with a code")
    comment = reason.get("userComment")
    if comment is not None and not isinstance(comment, str):
        raise _Refused(f"{where}.overrideReason.userComment must be text")
    system = coding.get("system") if isinstance(coding, Mapping) else None
    return {
        "code": coding["code"][:limits.max_text_chars] if isinstance(coding, Mapping) else None,
        "system": system[:limits.max_text_chars] if isinstance(system, str) else None,
        "userComment": comment[:limits.max_comment_chars] if comment is not None else None}


def _record(service_id: str, item: Any, where: str, limits: CdsLimits) -> tuple[str, dict[str, Any]]:
    if not isinstance(item, Mapping):
        raise _Refused(f"{where} must be an object")
    card = item.get("card")
    result = item.get("outcome")
    stamp = item.get("outcomeTimestamp")
    if not isinstance(card, str) or not card.strip() or len(card) > limits.max_text_chars:
        raise _Refused(f"{where}.card is required (the card's uuid, at most {limits.max_text_chars} characters)")
    if result not in ("accepted", "overridden"):
        raise _Refused(f"{where}.outcome must be accepted or overridden")
    if not isinstance(stamp, str) or not _is_datetime(stamp):
        raise _Refused(f"{where}.outcomeTimestamp must be an ISO date-time")
    record: dict[str, Any] = {"service": service_id, "card": card, "outcome": result, "outcomeTimestamp": stamp}
    if result == "accepted":
        record["acceptedSuggestions"] = _accepted(item, where, limits)
    elif item.get("overrideReason") is not None:
        record["overrideReason"] = _override(item["overrideReason"], where, limits)
    return f"{service_id}|{card}|{result}", record


def record_feedback(service_id: str, body: Any, store: FeedbackStore) -> CdsResponse:
    """Validate and store ``POST /cds-services/{id}/feedback`` (idempotent by service + card + outcome).

    Returns 200 ``{"stored": n, "duplicates": k}``, 404 for an unknown service, 400 for a malformed body
    (nothing is stored when any item is malformed) or more than ``cds_limits.max_feedback_items``
    items; card ids are at most ``max_text_chars`` long and comments are cut at ``max_comment_chars``.
    """
    if service_id not in SERVICES:
        return outcome(404, f"unknown CDS service {service_id!r}", "not-found")
    if not isinstance(body, Mapping) or not isinstance(body.get("feedback"), list) or not body["feedback"]:
        return outcome(400, "the body must be {\"feedback\": [ ... ]} with at least one item")
    limits = cds_limits()
    if len(body["feedback"]) > limits.max_feedback_items:
        return outcome(400, f"feedback has more than {limits.max_feedback_items} items", "too-costly")
    if has_lone_surrogate(body):
        return outcome(400, "the feedback holds text with a lone surrogate (\\ud800-\\udfff), which is not valid text")
    try:
        records = [_record(service_id, item, f"feedback[{i}]", limits) for i, item in enumerate(body["feedback"])]
    except _Refused as exc:
        return outcome(400, str(exc))
    stored = sum(1 for key, rec in records if store(key, rec))
    return CdsResponse(200, {"stored": stored, "duplicates": len(records) - stored})
