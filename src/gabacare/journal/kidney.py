"""Kidney function from what the journal knows: the one place that turns logged creatinine into a CrCl.

Plans (``Journal.set_plan``), the doctor's report, the PK history and the renal re-check after a new
lab all call these two functions, so they can never disagree:

* :func:`crcl_from_lab` — Cockcroft-Gault (label 2.3) from one creatinine entry and the patient's
  profile (age on the lab's date, sex, weight);
* :func:`kidney_function` — the latest creatinine on or before a day, its CrCl, and how old it is;
  older than ``[renal] creatinine_max_age_days`` it is *stale*: still used (assuming normal kidneys is
  never the safer choice) but flagged so the plan says to re-check it.

Pure: the caller passes the patient and the lab entries; nothing here reads storage.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from gabacare._record import record
from gabacare.clinical.errors import ClinicalInputError
from gabacare.clinical.renal import CrClResult, cockcroft_gault
from gabacare.clinical.units import SerumCreatinine
from gabacare.journal.model import Entry, Patient
from gabacare.knowledge import Citation, load_monograph

__all__ = ["KidneyFunction", "crcl_from_lab", "kidney_function"]


def crcl_from_lab(patient: Patient, lab: Entry) -> CrClResult | str:
    """Cockcroft-Gault from a creatinine entry and the profile, or the reason it cannot be computed."""
    age = patient.age_on(lab.at.date())
    if age is None or patient.sex is None or patient.weight_kg is None:
        return "the kidney function needs the patient's birth date, sex and weight"
    scr = SerumCreatinine(lab.data.value or 0.0, "umol/L" if lab.data.unit == "umol/L" else "mg/dL")
    try:
        return cockcroft_gault(age_years=age, sex=patient.sex, weight_kg=patient.weight_kg, scr=scr)
    except ClinicalInputError as exc:
        return f"Cockcroft-Gault does not apply to this profile ({exc})"


@record
class KidneyFunction:
    """The latest creatinine on or before ``on`` and the CrCl from it (None with ``reason`` saying why).

    ``days_old`` counts from the lab's date to ``on``; ``stale`` is true beyond ``max_age_days``.
    """

    on: date
    crcl: CrClResult | None
    reason: str | None
    measured_at: datetime | None
    scr_value: float | None
    scr_unit: str | None
    days_old: int | None
    max_age_days: int
    citations: tuple[Citation, ...]

    @property
    def crcl_ml_min(self) -> float | None:
        return None if self.crcl is None else self.crcl.crcl_ml_min

    @property
    def stale(self) -> bool:
        return self.days_old is not None and self.days_old > self.max_age_days

    def describe(self) -> str:
        """One line for a plan or a page: the CrCl, the values it came from and when they were measured."""
        if self.crcl is None:
            return f"Kidney function from the journal: not available ({self.reason})."
        c = self.crcl
        assert self.measured_at is not None and self.days_old is not None
        text = (
            f"Kidney function from the journal: CrCl {c.crcl_ml_min:.1f} mL/min (Cockcroft-Gault) from serum creatinine "
            f"{self.scr_value:g} {self.scr_unit} measured {self.measured_at.date().isoformat()} ({self.days_old} days ago), "
            f"age {c.age_years:g}, {c.sex}, {c.weight_kg:g} kg."
        )
        if self.stale:
            text += (f" This creatinine is older than {self.max_age_days} days (stale): re-check kidney function "
                     "before raising the dose.")
        return text

    def to_json(self) -> dict[str, Any]:
        c = self.crcl
        return {
            "crcl_ml_min": None if c is None else round(c.crcl_ml_min, 1),
            "reason": self.reason,
            "measured_at": None if self.measured_at is None else self.measured_at.isoformat(timespec="minutes"),
            "scr": self.scr_value, "scr_unit": self.scr_unit,
            "age_years": None if c is None else c.age_years, "sex": None if c is None else c.sex,
            "weight_kg": None if c is None else c.weight_kg,
            "days_old": self.days_old, "stale": self.stale, "max_age_days": self.max_age_days,
            "text": self.describe(), "citations": list(self.citations),
        }


def kidney_function(patient: Patient, labs: Iterable[Entry], *, on: date) -> KidneyFunction:
    """The kidney function on ``on`` from the latest creatinine logged on or before it.

    ``labs`` may hold any lab entries; only ``creatinine`` counts. The latest one decides (a later
    value that cannot be used is reported, never skipped for an older one that looks better).
    """
    r = load_monograph().renal
    cites = (r.formula_citation, Citation(source=r.creatinine_max_age_source))
    creatinine = [e for e in labs if e.data.kind == "lab" and e.data.name == "creatinine" and e.at.date() <= on]
    if not creatinine:
        return KidneyFunction(on, None, "no serum creatinine logged", None, None, None, None,
                              r.creatinine_max_age_days, cites)
    lab = max(creatinine, key=lambda e: (e.at, e.id))
    result = crcl_from_lab(patient, lab)
    days_old = (on - lab.at.date()).days
    if isinstance(result, str):
        return KidneyFunction(on, None, result, lab.at, lab.data.value, lab.data.unit or "mg/dL", days_old,
                              r.creatinine_max_age_days, cites)
    return KidneyFunction(on, result, None, lab.at, lab.data.value, lab.data.unit or "mg/dL", days_old,
                          r.creatinine_max_age_days, cites)
