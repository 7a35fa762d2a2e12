"""Shared builders for interop tests: CDS Hooks requests written from the spec's hook definitions."""

from __future__ import annotations

from typing import Any

RX = "http://www.nlm.nih.gov/research/umls/rxnorm"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"


def searchset(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in resources]}


def observation(code: str, value: float, unit: str, when: str) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final", "code": {"coding": [{"system": LOINC, "code": code}]},
            "effectiveDateTime": when, "valueQuantity": {"value": value, "system": UCUM, "code": unit}}


def med_request(rid: str, patient: str, rxcui: str, *, mg: float | None = None, per_day: int = 3,
                status: str = "draft", display: str | None = None, **extra: Any) -> dict[str, Any]:
    coding: dict[str, Any] = {"system": RX, "code": rxcui}
    if display:
        coding["display"] = display
    mr: dict[str, Any] = {"resourceType": "MedicationRequest", "id": rid, "status": status, "intent": "order",
                          "subject": {"reference": f"Patient/{patient}"},
                          "medicationCodeableConcept": {"coding": [coding]}}
    if mg is not None:
        mr["dosageInstruction"] = [{"timing": {"repeat": {"frequency": per_day, "period": 1, "periodUnit": "d"}},
                                    "doseAndRate": [{"doseQuantity": {"value": mg, "system": UCUM, "code": "mg"}}]}]
    mr.update(extra)
    return mr


def order_request(
    hook: str,
    *,
    patient: str = "pat-1",
    gender: str = "female",
    birth: str = "1946-03-15",
    weight_kg: float | None = 58,
    creatinine: tuple[float, str] | None = (1.6, "mg/dL"),
    drafts: list[dict[str, Any]] | None = None,
    active: list[dict[str, Any]] | None = None,
    selections: list[str] | None = None,
    omit: tuple[str, ...] = (),
) -> dict[str, Any]:
    """An order-select / order-sign request (CDS Hooks 2.0) with the four GabaCare prefetch keys."""
    drafts = drafts if drafts is not None else [med_request("draft-gaba-1", patient, "310433", mg=600)]
    context: dict[str, Any] = {"userId": "Practitioner/prac-7", "patientId": patient,
                               "draftOrders": {"resourceType": "Bundle", "type": "collection",
                                               "entry": [{"resource": d} for d in drafts]}}
    if hook == "order-select":
        context["selections"] = selections or [f"MedicationRequest/{drafts[0]['id']}"]
    code = "2160-0" if creatinine is None or creatinine[1] == "mg/dL" else "14682-9"
    prefetch: dict[str, Any] = {
        "patient": {"resourceType": "Patient", "id": patient, "gender": gender, "birthDate": birth},
        "creatinine": None if creatinine is None else searchset(
            observation(code, creatinine[0], creatinine[1], "2025-05-28T07:30:00Z")),
        "weight": None if weight_kg is None else searchset(observation("29463-7", weight_kg, "kg", "2025-05-28T07:25:00Z")),
        "activeMeds": None if active is None else searchset(*active),
    }
    for key in omit:
        prefetch.pop(key)
    return {"hook": hook, "hookInstance": "3f0c2b4e-8d7a-4f61-9c1e-2a5b6d7e8f90", "context": context,
            "prefetch": prefetch}
