"""Patient facts from the prefetch: age at ``now``, and creatinine clearance by Cockcroft-Gault from the
latest serum creatinine (converted by its unit code) and body weight, or why it could not be estimated.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from gabacare._record import record
from gabacare.clinical.errors import ClinicalInputError
from gabacare.clinical.renal import CrClResult, cockcroft_gault
from gabacare.clinical.units import CrCl, SerumCreatinine
from gabacare.interop.cds.medication import codings
from gabacare.interop.codes import LOINC_BODY_WEIGHT, LOINC_CREATININE_MASS, LOINC_CREATININE_MOLES
from gabacare.knowledge import load_monograph

__all__ = ["RenalFacts", "renal_facts"]

_SCR_UNITS = {"mg/dl": "mg/dL", "umol/l": "umol/L", "µmol/l": "umol/L", "μmol/l": "umol/L"}


@record
class RenalFacts:
    """The Cockcroft-Gault estimate (or ``why_not``), the creatinine's date and the patient's age."""

    crcl: CrClResult | None
    why_not: str | None
    creatinine_date: str | None
    age_years: float | None

    @property
    def checked_crcl(self) -> CrCl | None:
        """The estimate as the checks use it: capped at the knowledge base's plausible maximum."""
        if self.crcl is None:
            return None
        return CrCl(min(self.crcl.crcl_ml_min, load_monograph().renal.plausible.crcl_max_ml_min))


def _age(birth: Any, now: datetime) -> float | None:
    if not isinstance(birth, str):
        return None
    try:
        born = date.fromisoformat(birth + "-01" if len(birth) == 7 else birth[:10])
    except ValueError:  # date's own refusal of the text: no age
        return None
    today = now.date()
    return float(today.year - born.year - ((today.month, today.day) < (born.month, born.day)))


def _quantity(obs: Mapping[str, Any]) -> tuple[float, str] | None:
    q = obs.get("valueQuantity")
    if not isinstance(q, Mapping):
        return None
    v = q.get("value")
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    return float(v), str(q.get("code") or q.get("unit") or "").strip()


def _has_code(resource: Mapping[str, Any], *codes: str) -> bool:
    return any(str(c.get("code")) in codes for c in codings(resource.get("code")))


def _latest(obs: list[dict[str, Any]], *codes: str) -> dict[str, Any] | None:
    usable = [o for o in obs if o.get("resourceType") == "Observation" and _has_code(o, *codes)
              and o.get("status") not in ("entered-in-error", "cancelled")]
    usable.sort(key=lambda o: str(o.get("effectiveDateTime") or o.get("issued") or ""), reverse=True)
    return usable[0] if usable else None


def _missing(age: float | None, sex: Any, w: dict[str, Any] | None) -> str | None:
    if age is None:
        return "the patient's birth date is not available"
    if sex not in ("female", "male"):
        return "Cockcroft-Gault needs the patient's sex (female or male)"
    if w is None:
        return "no body weight is available"
    return None


def renal_facts(patient: list[dict[str, Any]], creat: list[dict[str, Any]], weight: list[dict[str, Any]],
                now: datetime) -> RenalFacts:
    """Age and Cockcroft-Gault CrCl from the Patient, creatinine and weight resources (at ``now``)."""
    p = next((r for r in patient if r.get("resourceType") == "Patient"), None)
    age = _age(p.get("birthDate"), now) if p else None
    sex = p.get("gender") if p else None
    c = _latest(creat, LOINC_CREATININE_MASS, LOINC_CREATININE_MOLES)
    w = _latest(weight, LOINC_BODY_WEIGHT)
    if c is None:
        return RenalFacts(None, "no serum creatinine result is available", None, age)
    c_date = str(c.get("effectiveDateTime"))[:10] if c.get("effectiveDateTime") else None
    why = _missing(age, sex, w)
    if why is not None or w is None or age is None or sex not in ("female", "male"):  # (narrows the types)
        return RenalFacts(None, why, c_date, age)
    wq, cq = _quantity(w), _quantity(c)
    if wq is None or wq[1] not in ("kg", "g"):
        return RenalFacts(None, "the body weight is not in kg", c_date, age)
    kg = wq[0] / 1000 if wq[1] == "g" else wq[0]
    if cq is None or cq[1].lower() not in _SCR_UNITS:
        return RenalFacts(None, "the creatinine unit is not mg/dL or umol/L", c_date, age)
    try:
        scr = SerumCreatinine(cq[0], _SCR_UNITS[cq[1].lower()])  # type: ignore[arg-type]
        result = cockcroft_gault(age_years=age, sex=sex, weight_kg=kg, scr=scr)
    except ClinicalInputError as exc:
        return RenalFacts(None, f"Cockcroft-Gault could not be applied: {exc}", c_date, age)
    return RenalFacts(result, None, c_date, age)
