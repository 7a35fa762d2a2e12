"""Pick-ups of pills (issue 15, refills): the values the journal stores and the rules they must keep.

A pick-up records that ``count`` whole pieces (capsules or tablets) of one strength were collected
at ``picked_up_at`` (naive local time, like every journal time). The strength must be one of the
knowledge base's solid products (``[[forms]]``); the count must be a whole number from 1 to the
knowledge base's plausible maximum for that strength (``[supply]``: ``max_supply_days`` at the label's
maximum daily dose). The oral solution is not counted. Pick-ups are never edited; one logged by
mistake is deleted for good (``refills.delete_pickup``; the audit log keeps that it was), and is
then no longer counted. Otherwise the journal keeps what was recorded, with its ``uid`` and
``recorded_at``.

Messages name the field and the rule, never the patient's value.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from gabacare._record import record
from gabacare.journal.errors import JournalInputError
from gabacare.journal.model import check_moment
from gabacare.knowledge import load_monograph

__all__ = ["NewPickUp", "StoredPickUp", "max_pickup_count", "pill_strengths", "validate_pickup"]


@record
class NewPickUp:
    """``count`` pieces of the ``strength_mg`` mg product collected at ``picked_up_at`` (local time)."""

    picked_up_at: datetime
    strength_mg: int
    count: int


@record
class StoredPickUp:
    """A stored pick-up: ``id``, ``uid`` (stable across export and import) and when it was recorded."""

    id: int
    patient_id: int
    uid: str
    recorded_at: datetime
    data: NewPickUp

    def to_json(self) -> dict[str, Any]:
        """``{id, patient, uid, picked_up_at, strength_mg, count, form, recorded_at}``."""
        d = self.data
        return {"id": self.id, "patient": self.patient_id, "uid": self.uid,
                "picked_up_at": d.picked_up_at.isoformat(timespec="minutes"), "strength_mg": d.strength_mg,
                "count": d.count, "form": pill_strengths().get(d.strength_mg, "?"),
                "recorded_at": self.recorded_at.isoformat(timespec="seconds")}


def pill_strengths() -> dict[int, str]:
    """Strength (mg per piece) -> form of each solid product in the knowledge base, smallest first."""
    return {f.strength_mg: f.form for f in sorted(load_monograph().forms, key=lambda f: f.strength_mg)}


def max_pickup_count(strength_mg: int) -> int:
    """The largest plausible count of one pick-up of ``strength_mg`` mg pieces (``[supply]``)."""
    m = load_monograph()
    return m.supply.max_count(strength_mg, m.limits.max_daily_mg)


def _whole(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise JournalInputError(f"{what} must be a whole number")
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise JournalInputError(f"{what} must be a whole number")
        return int(value)
    if not isinstance(value, int):
        raise JournalInputError(f"{what} must be a whole number")
    return value


def validate_pickup(data: NewPickUp, *, now: datetime, tolerance: Any) -> NewPickUp:
    """``data`` checked and normalised, or ``JournalInputError`` naming the rule broken.

    ``now``: the caller's clock (naive local); a pick-up later than ``now + tolerance`` is refused.
    """
    strengths = pill_strengths()
    strength = _whole(data.strength_mg, "strength (mg)")
    if strength not in strengths:
        raise JournalInputError(
            f"strength must be one of {', '.join(str(s) for s in strengths)} mg (the capsules and tablets "
            "in the knowledge base; the oral solution is not counted)")
    count = _whole(data.count, "count")
    top = max_pickup_count(strength)
    if not 1 <= count <= top:
        supply = load_monograph().supply
        raise JournalInputError(
            f"count of {strength} mg pieces must be from 1 to {top} (at most {supply.max_supply_days} days at the "
            f"label's maximum daily dose; {supply.citation.render()})")
    at = check_moment(data.picked_up_at, "pick-up time")
    if at > now + tolerance:
        raise JournalInputError("pick-up time is in the future (more than a day ahead of now)")
    return NewPickUp(at, strength, count)
