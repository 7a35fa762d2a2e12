"""Clinical use cases: crcl, limits, titrate, taper, check, interactions, symptoms, missed.

Each function takes what a face received (see :mod:`gabacare.app`), reads and checks it once,
calls the pure core (:mod:`gabacare.clinical`) and returns the core's result, or a small answer
value whose ``to_json()`` is the contract JSON (``gabacare <command> --json`` = ``/api/v1/<command>``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from gabacare import clinical
from gabacare._record import record
from gabacare.app._inputs import blank_to_none, items, number, plan_start
from gabacare.clinical.errors import ClinicalInputError

if TYPE_CHECKING:
    from gabacare.clinical import (
        CheckResult,
        CrCl,
        CrClResult,
        InteractionReport,
        MissedDoseAdvice,
        Plan,
        RenalLimits,
        TriageReport,
    )

# NOTE: the core's names are read from the lazy package (``clinical.<name>``) when a use case runs, so
# importing this module (as ``gabacare symptoms`` does) loads only the engine that the command calls.

__all__ = [
    "SCR_UNITS",
    "SEXES",
    "CrClAnswer",
    "LimitsAnswer",
    "check",
    "crcl",
    "interactions",
    "limits",
    "missed",
    "symptoms",
    "taper",
    "titrate",
]

#: The values ``sex`` and ``scr_unit`` accept (the CLI's choices, the API's enums).
SEXES = ("female", "male")
SCR_UNITS = ("mg/dL", "umol/L")

Number = float | str | None


def _notice() -> str:
    from gabacare.knowledge import load_monograph

    return load_monograph().notice_text


@record
class CrClAnswer:
    """A Cockcroft-Gault estimate (``gabacare crcl``)."""

    result: CrClResult

    def to_json(self) -> dict[str, Any]:
        """Contract keys: ``crcl_ml_min`` (and ``formula``, ``scr_mg_dl``, ``citations``, ``notice``)."""
        r = self.result
        return {"crcl_ml_min": round(r.crcl_ml_min, 1), "formula": r.formula, "scr_mg_dl": round(r.scr_mg_dl, 3),
                "citations": list(r.citations), "notice": _notice()}


@record
class LimitsAnswer:
    """The renal limits for one CrCl, and the estimate it came from when it was estimated (``gabacare limits``)."""

    limits: RenalLimits
    estimate: CrClResult | None = None

    def to_json(self) -> dict[str, Any]:
        """Contract keys: ``band``, ``min_daily_mg``, ``max_daily_mg``, ``doses_per_day``,
        ``hemodialysis_supplement_mg`` (null without hemodialysis), ``citations``."""
        lim = self.limits
        supplement = lim.hemodialysis_supplement_mg
        return {
            "crcl_ml_min": round(lim.crcl_ml_min, 1), "band": lim.band, "band_id": lim.band_id,
            "min_daily_mg": lim.min_daily_mg, "max_daily_mg": lim.max_daily_mg, "doses_per_day": lim.doses_per_day,
            "regimen_choices_mg": list(lim.columns_mg),
            "hemodialysis_supplement_mg": None if supplement is None else list(supplement),
            "notes": list(lim.notes), "citations": list(lim.citations), "notice": _notice(),
        }


def _crcl(value: Number) -> CrCl | None:
    ml_min = number(value, "Creatinine clearance")
    return None if ml_min is None else clinical.CrCl(ml_min)


def _estimate(age: Number, sex: str | None, weight_kg: Number, scr: Number, scr_unit: str, *,
              missing: str) -> CrClResult | None:
    """Cockcroft-Gault from the four inputs; None when none is given, ``missing`` when only some are."""
    values = (number(age, "Age"), blank_to_none(sex), number(weight_kg, "Weight"), number(scr, "Serum creatinine"))
    if all(v is None for v in values):
        return None
    a, s, w, c = values
    if a is None or s is None or w is None or c is None:
        raise ClinicalInputError(missing)
    if s not in SEXES:
        raise ClinicalInputError(f"sex must be female or male, got {s!r}")
    unit = scr_unit.strip() or "mg/dL"
    if unit not in SCR_UNITS:
        raise ClinicalInputError(f"serum creatinine unit must be mg/dL or umol/L, got {unit!r}")
    return clinical.cockcroft_gault(age_years=a, sex=s, weight_kg=w, scr=clinical.SerumCreatinine(c, unit))  # type: ignore[arg-type]


def crcl(*, age: Number, sex: str | None, weight_kg: Number, scr: Number, scr_unit: str = "mg/dL") -> CrClAnswer:
    """Creatinine clearance by Cockcroft-Gault from age, sex, weight and serum creatinine (label 2.3).

    Examples
    --------
    >>> crcl(age=60, sex="male", weight_kg=72, scr=1.0).to_json()["crcl_ml_min"]
    80.0
    """
    needed = "give all of age, sex, weight_kg and scr"
    estimate = _estimate(age, sex, weight_kg, scr, scr_unit, missing=needed)
    if estimate is None:
        raise ClinicalInputError(needed)
    return CrClAnswer(estimate)


def limits(*, crcl: Number = None, age: Number = None, sex: str | None = None, weight_kg: Number = None,
           scr: Number = None, scr_unit: str = "mg/dL", hemodialysis: bool = False) -> LimitsAnswer:
    """Daily dose range for a CrCl, or for one estimated from age, sex, weight and creatinine (label 2.3).

    A CrCl given wins; otherwise all four of age, sex, weight_kg and scr are needed.

    Examples
    --------
    >>> answer = limits(crcl="45")
    >>> answer.limits.band, answer.limits.max_daily_mg, answer.estimate
    ('CrCl >30-59 mL/min', 1400.0, None)
    >>> limits(age=50)
    Traceback (most recent call last):
    ...
    gabacare.clinical.errors.ClinicalInputError: give crcl, or all of age, sex, weight_kg and scr
    """
    given = _crcl(crcl)
    estimate = None
    if given is None:
        needed = "give crcl, or all of age, sex, weight_kg and scr"
        estimate = _estimate(age, sex, weight_kg, scr, scr_unit, missing=needed)
        if estimate is None:
            raise ClinicalInputError(needed)
        given = estimate.crcl
    return LimitsAnswer(clinical.renal_limits(given, hemodialysis=hemodialysis), estimate)


def titrate(*, indication: str, start: date | str | None = None, target_mg: Number = None, crcl: Number = None,
            weight_kg: Number = None, age: Number = None) -> Plan:
    """Day-by-day up-titration plan in real capsules and tablets (see :func:`gabacare.clinical.titrate`).

    ``start`` is day 1 (a date or ISO text between 1900 and 2999; default today).
    """
    return clinical.titrate(indication, start=plan_start(start), target_mg=number(target_mg, "Target dose"),
                    crcl=_crcl(crcl), weight_kg=number(weight_kg, "Weight"), age_years=number(age, "Age"))


def taper(*, from_regimen: str, start: date | str | None = None, risk: str | None = None, crcl: Number = None,
          step_mg: Number = None) -> Plan:
    """Step-down plan from a regimen text, ending at 0 mg (see :func:`gabacare.clinical.taper`).

    ``risk`` (proportional steps) and ``step_mg`` (linear steps) exclude each other; blank means not given.
    """
    risk_name, step = blank_to_none(risk), number(step_mg, "Step")
    if risk_name is not None and step is not None:
        raise ClinicalInputError("use either risk (proportional steps) or step_mg (linear steps), not both")
    regimen = clinical.parse_regimen(from_regimen)
    return clinical.taper(regimen, start=plan_start(start), risk=risk_name, crcl=_crcl(crcl), step_mg=step)


def check(*, regimen: str, crcl: Number = None, indication: str | None = None,
          with_drugs: str | Sequence[str] | None = None) -> CheckResult:
    """Check a regimen text against the limits, the kidney band, real strengths and other medicines.

    A blank ``indication`` means none was given.

    Examples
    --------
    >>> check(regimen="600 mg TID", crcl="25").ok
    False
    """
    return clinical.check_regimen(clinical.parse_regimen(regimen), crcl=_crcl(crcl), indication=blank_to_none(indication),
                         other_drugs=tuple(items(with_drugs)))


def interactions(drugs: str | Sequence[str], *, age: Number = None) -> InteractionReport:
    """Interactions with gabapentin for names as typed (unknown names stay unknown, never "safe").

    Blank names are dropped; with none left the request is refused.
    """
    names = items(drugs)
    if not names:
        raise ClinicalInputError("give at least one medicine name")
    return clinical.check_interactions(names, age_years=number(age, "Age"))


def symptoms(texts: str | Sequence[str]) -> TriageReport:
    """Triage symptom texts in the patient's words; emergencies first."""
    report = clinical.triage(items(texts))
    if not report.results:
        raise ClinicalInputError("give at least one symptom")
    return report


def missed(*, schedule: str | Sequence[str], missed_at: str, now: str, epilepsy: bool = False) -> MissedDoseAdvice:
    """Missed-dose advice (take it now or skip it; never double) from ``HH:MM`` texts.

    ``schedule`` is the dose times, comma-separated (``08:00,14:00,21:00``) or as a list.

    Examples
    --------
    >>> missed(schedule="08:00, 20:00", missed_at="08:00", now="17:00").advice
    'skip'
    """
    from gabacare.clinical.regimen import parse_clock

    times = [parse_clock(t) for t in items(schedule)]
    return clinical.missed_dose_advice(times, parse_clock(missed_at), parse_clock(now), epilepsy=epilepsy)
