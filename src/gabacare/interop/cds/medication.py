"""What a FHIR medication resource is: its ingredients and, for gabapentin, the product's strength.

RxNorm codes first (the knowledge base's ``drug.rxnorm_ingredient``, ``forms[].rxnorm``,
``oral_solution.rxnorm``, and the table of other medicines in :mod:`gabacare.interop.codes`), then the
display texts read by the one drug-name engine (gabapentin enacarbil and pregabalin are *other*
gabapentinoids). R4, STU3 and R5 shapes are read alike; every count is bounded by ``[cds_limits]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gabacare._record import record
from gabacare.clinical.drug_names import read_name
from gabacare.interop.cds_request import cds_limits
from gabacare.interop.codes import RXNORM, RXNORM_BRANDED_GABAPENTIN, RXNORM_OTHER
from gabacare.knowledge import load_monograph

__all__ = ["Medication", "codings", "identify_medication"]


def codings(concept: Any) -> list[Mapping[str, Any]]:
    """The Codings of a CodeableConcept (none when it is not one)."""
    if not isinstance(concept, Mapping):
        return []
    found = concept.get("coding")
    return [c for c in found if isinstance(c, Mapping)] if isinstance(found, list) else []


def _concept(mr: Mapping[str, Any]) -> Mapping[str, Any]:
    concept = mr.get("medicationCodeableConcept")
    if isinstance(concept, Mapping):
        return concept
    med = mr.get("medication")  # R5 CodeableReference
    inner = med.get("concept") if isinstance(med, Mapping) else None
    return inner if isinstance(inner, Mapping) else {}


def _names_in_text(text: str) -> list[str]:
    """Ingredients named in a medication's display text, read by the one drug-name engine (salts,
    release forms, strengths, EHR capitals and spelling guesses: a guess errs towards checking)."""
    return list(read_name(text).ingredients)


@record
class Medication:
    """What a medication resource is: its ingredients and, for gabapentin, the product's strength."""

    ingredients: tuple[str, ...]
    label: str
    strength_mg: float | None = None
    per_ml_mg: float | None = None

    @property
    def is_gabapentin(self) -> bool:
        return self.ingredients == ("gabapentin",)

    @property
    def gabapentinoid(self) -> bool:
        return bool({"gabapentin", "pregabalin", "gabapentin enacarbil"} & set(self.ingredients))


@dataclass
class _Coded:
    """What the RxNorm codings of one medication say."""

    ingredients: list[str]
    strength: float | None = None
    per_ml: float | None = None

    def add(self, code: str) -> None:
        m = load_monograph()
        code = RXNORM_BRANDED_GABAPENTIN.get(code, code)
        if code == m.drug.rxnorm_ingredient:
            self.ingredients.append("gabapentin")
        elif code == m.oral_solution.rxnorm:
            self.ingredients.append("gabapentin")
            self.per_ml = m.oral_solution.concentration_mg_per_ml
        elif any(f.rxnorm == code for f in m.forms):
            self.ingredients.append("gabapentin")
            self.strength = float(next(f.strength_mg for f in m.forms if f.rxnorm == code))
        elif code in RXNORM_OTHER:
            self.ingredients.extend(RXNORM_OTHER[code])


def identify_medication(resource: Mapping[str, Any]) -> Medication:
    """What a MedicationRequest/Statement (R4, STU3 or R5 shape) is: RxNorm code first, then names."""
    limits = cds_limits()
    concept = _concept(resource)
    coded = _Coded([])
    texts: list[str] = []
    for c in codings(concept)[:limits.max_codings]:
        if isinstance(c.get("display"), str):
            texts.append(c["display"])
        if c.get("system") in (RXNORM, None):
            coded.add(str(c.get("code", "")))
    if isinstance(concept.get("text"), str):
        texts.append(concept["text"])
    ingredients = coded.ingredients
    if not ingredients:
        for t in texts:
            ingredients.extend(_names_in_text(t[:limits.max_text_chars]))
    label = next((t for t in texts if t.strip()), None) or (ingredients[0] if ingredients else "unnamed medicine")
    return Medication(tuple(dict.fromkeys(ingredients)), " ".join(label.split())[:80], coded.strength, coded.per_ml)
