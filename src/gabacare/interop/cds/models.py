"""Typed CDS Hooks 2.0 response: cards, their source, suggestions and override reasons (pydantic), and
the :class:`CdsResponse` the web layer sends back.

The models follow the spec's names (``selectionBehavior``, ``overrideReasons``, ``isRecommended``) so
that :meth:`Card.to_json` is the wire format as it is: absent optional members are left out, never
sent as ``null``. A suggested FHIR resource is kept as the plain JSON object GabaCare validated with
the R4B models (:func:`gabacare.interop.fhir.validate_resource`).
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from gabacare._record import record

__all__ = [
    "Action",
    "Card",
    "CdsResponse",
    "Coding",
    "Indicator",
    "Source",
    "Suggestion",
    "card_uuid",
    "outcome",
]

Indicator = Literal["info", "warning", "critical"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Coding(_Model):
    """A FHIR Coding as cards use it (a card's topic, an override reason)."""

    system: str
    code: str
    display: str


class Source(_Model):
    """Where a card's advice comes from: GabaCare and its first citation, with the source's URL."""

    label: str
    topic: Coding
    url: str | None = None


class Action(_Model):
    """One change a suggestion makes in the EHR: ``create`` or ``update`` a FHIR resource."""

    type: Literal["create", "update", "delete"]
    description: str
    resource: dict[str, Any]


class Suggestion(_Model):
    """A one-click change offered on a card."""

    label: str
    uuid: str
    isRecommended: bool = True
    actions: list[Action]


class Card(_Model):
    """One CDS Hooks card (spec 2.0 §Card attributes)."""

    uuid: str
    summary: str
    indicator: Indicator
    detail: str
    source: Source
    suggestions: list[Suggestion] | None = None
    selectionBehavior: Literal["at-most-one", "any"] | None = None
    overrideReasons: list[Coding] | None = None

    def to_json(self) -> dict[str, Any]:
        """The card as CDS Hooks JSON (optional members left out when absent)."""
        return self.model_dump(mode="python", exclude_none=True)


def card_uuid(instance: str, key: str) -> str:
    """A stable uuid for a card (or suggestion) of one hook call: the same call gives the same ids."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:gabacare:cds:{instance}:{key}"))


@record
class CdsResponse:
    """What to send back: HTTP ``status`` and a JSON ``body``; ``reason`` is a one-line text for 4xx."""

    status: int
    body: dict[str, Any]
    reason: str | None = None


def outcome(status: int, reason: str, code: str = "invalid") -> CdsResponse:
    """A refusal as a FHIR OperationOutcome (``code`` is the FHIR issue type)."""
    body = {"resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": code, "diagnostics": reason}]}
    return CdsResponse(status, body, reason)
