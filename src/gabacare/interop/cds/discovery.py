"""The three CDS services (one per hook) and the ``GET /cds-services`` discovery document."""

from __future__ import annotations

from typing import Any, Final

from gabacare.interop.cds.prefetch import PREFETCH

__all__ = ["SERVICES", "discovery"]

#: service id -> hook
SERVICES: Final = {
    "gabacare-order-select": "order-select",
    "gabacare-order-sign": "order-sign",
    "gabacare-patient-view": "patient-view",
}
_TITLES = {
    "order-select": "GabaCare gabapentin check (order select)",
    "order-sign": "GabaCare gabapentin check (order sign)",
    "patient-view": "GabaCare patient journal summary",
}
_DESCRIPTIONS = {
    "order-select": "Renal band, daily maximum, doses per day, CNS-depressant and duplicate-gabapentinoid checks "
                    "for a selected gabapentin order, with a corrected order to accept in one click.",
    "order-sign": "Renal band, daily maximum, doses per day, CNS-depressant, duplicate-gabapentinoid and "
                  "abrupt-stop checks for gabapentin orders about to be signed.",
    "patient-view": "What the patient has logged in GabaCare (adherence, score trends, side effects, "
                    "emergencies flagged) when the EHR patient is linked to a GabaCare patient.",
}


def discovery() -> dict[str, Any]:
    """The ``GET /cds-services`` document: three services, each with the four prefetch templates."""
    return {"services": [
        {"hook": hook, "id": sid, "title": _TITLES[hook], "description": _DESCRIPTIONS[hook], "prefetch": dict(PREFETCH)}
        for sid, hook in SERVICES.items()
    ]}
