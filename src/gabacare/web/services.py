"""The one call each web route makes into the core, shared by the JSON API and the pages.

Each function takes the face's plain inputs (numbers, texts, dates), builds the core's values,
calls one core function and returns its result. Input the core refuses raises
:class:`gabacare.clinical.errors.ClinicalInputError`, which both faces render as a problem.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from gabacare.knowledge import load_monograph

if TYPE_CHECKING:
    from gabacare.clinical import (
        CheckResult,
        CrClResult,
        InteractionReport,
        MissedDoseAdvice,
        Plan,
        RenalLimits,
        TriageReport,
    )

__all__ = [
    "check",
    "crcl",
    "crcl_json",
    "interactions",
    "limits",
    "limits_json",
    "missed",
    "simulate",
    "split_list",
    "symptoms",
    "taper",
    "titrate",
]


def split_list(text: str) -> list[str]:
    """Split a form's free text into items: one per line or separated by commas or semicolons."""
    return [p.strip() for p in text.replace(";", "\n").replace(",", "\n").splitlines() if p.strip()]


def crcl(*, age: float, sex: str, weight_kg: float, scr: float, scr_unit: str = "mg/dL") -> CrClResult:
    """Cockcroft-Gault creatinine clearance (label 2.3)."""
    from gabacare.clinical import SerumCreatinine, cockcroft_gault
    from gabacare.clinical.errors import ClinicalInputError

    if sex not in ("female", "male"):
        raise ClinicalInputError(f"sex must be female or male, got {sex!r}")
    if scr_unit not in ("mg/dL", "umol/L"):
        raise ClinicalInputError(f"serum creatinine unit must be mg/dL or umol/L, got {scr_unit!r}")
    return cockcroft_gault(age_years=age, sex=sex, weight_kg=weight_kg, scr=SerumCreatinine(scr, scr_unit))  # type: ignore[arg-type]


def crcl_json(r: CrClResult) -> dict[str, Any]:
    """``crcl`` contract JSON (same keys as ``gabacare crcl --json``)."""
    return {"crcl_ml_min": round(r.crcl_ml_min, 1), "formula": r.formula, "scr_mg_dl": round(r.scr_mg_dl, 3),
            "citations": list(r.citations), "notice": load_monograph().notice_text}


def limits(*, crcl_ml_min: float | None = None, age: float | None = None, sex: str | None = None,
           weight_kg: float | None = None, scr: float | None = None, scr_unit: str = "mg/dL",
           hemodialysis: bool = False) -> tuple[CrClResult | None, RenalLimits]:
    """Renal limits for a given CrCl, or for one estimated from age, sex, weight and creatinine."""
    from gabacare.clinical import CrCl, renal_limits
    from gabacare.clinical.errors import ClinicalInputError

    estimate = None
    if crcl_ml_min is None:
        if age is None or sex is None or weight_kg is None or scr is None:
            raise ClinicalInputError("give crcl, or all of age, sex, weight_kg and scr")
        estimate = crcl(age=age, sex=sex, weight_kg=weight_kg, scr=scr, scr_unit=scr_unit)
        crcl_ml_min = estimate.crcl_ml_min
    return estimate, renal_limits(CrCl(crcl_ml_min), hemodialysis=hemodialysis)


def limits_json(lim: RenalLimits) -> dict[str, Any]:
    """``limits`` contract JSON (same keys as ``gabacare limits --json``)."""
    return {
        "crcl_ml_min": round(lim.crcl_ml_min, 1), "band": lim.band, "band_id": lim.band_id,
        "min_daily_mg": lim.min_daily_mg, "max_daily_mg": lim.max_daily_mg, "doses_per_day": lim.doses_per_day,
        "regimen_choices_mg": list(lim.columns_mg),
        "hemodialysis_supplement_mg": None if lim.hemodialysis_supplement_mg is None else list(lim.hemodialysis_supplement_mg),
        "notes": list(lim.notes), "citations": list(lim.citations), "notice": load_monograph().notice_text,
    }


def _crcl_value(value: float | None) -> Any:
    from gabacare.clinical import CrCl

    return None if value is None else CrCl(value)


def titrate(*, indication: str, start: date, target_mg: float | None = None, crcl: float | None = None,
            weight_kg: float | None = None, age: float | None = None) -> Plan:
    """Up-titration plan (see :func:`gabacare.clinical.titrate`)."""
    from gabacare.clinical import titrate as _titrate

    return _titrate(indication, start=start, target_mg=target_mg, crcl=_crcl_value(crcl), weight_kg=weight_kg, age_years=age)


def taper(*, from_regimen: str, start: date, risk: str | None = None, crcl: float | None = None,
          step_mg: float | None = None) -> Plan:
    """Step-down plan from a regimen text (see :func:`gabacare.clinical.taper`)."""
    from gabacare.clinical import parse_regimen
    from gabacare.clinical import taper as _taper
    from gabacare.clinical.errors import ClinicalInputError

    if risk is not None and step_mg is not None:
        raise ClinicalInputError("use either risk (proportional steps) or step_mg (linear steps), not both")
    return _taper(parse_regimen(from_regimen), start=start, risk=risk, crcl=_crcl_value(crcl), step_mg=step_mg)


def check(*, regimen: str, crcl: float | None = None, indication: str | None = None,
          with_drugs: Sequence[str] = ()) -> CheckResult:
    """Check a regimen text against the limits (see :func:`gabacare.clinical.check_regimen`)."""
    from gabacare.clinical import check_regimen, parse_regimen

    return check_regimen(parse_regimen(regimen), crcl=_crcl_value(crcl), indication=indication or None,
                         other_drugs=tuple(with_drugs))


def interactions(drugs: Sequence[str], *, age: float | None = None) -> InteractionReport:
    """Interactions with gabapentin for typed names (unknown names stay unknown)."""
    from gabacare.clinical import check_interactions
    from gabacare.clinical.errors import ClinicalInputError

    if not any(d.strip() for d in drugs):
        raise ClinicalInputError("give at least one medicine name")
    return check_interactions(list(drugs), age_years=age)


def symptoms(texts: Sequence[str]) -> TriageReport:
    """Triage symptom texts; emergencies first."""
    from gabacare.clinical import triage
    from gabacare.clinical.errors import ClinicalInputError

    rep = triage(list(texts))
    if not rep.results:
        raise ClinicalInputError("give at least one symptom")
    return rep


def missed(*, schedule: str, missed_at: str, now: str, epilepsy: bool = False) -> MissedDoseAdvice:
    """Missed-dose advice from ``HH:MM`` texts (schedule comma-separated)."""
    from gabacare.clinical import missed_dose_advice
    from gabacare.clinical.regimen import parse_clock

    times = [parse_clock(t.strip()) for t in schedule.split(",") if t.strip()]
    return missed_dose_advice(times, parse_clock(missed_at.strip()), parse_clock(now.strip()), epilepsy=epilepsy)


def _dialysis_sessions(items: Sequence[str]) -> list[Any]:
    """``dayN@HH:MM`` texts → hemodialysis sessions as long as the label's session (hours from t = 0)."""
    import re

    from gabacare.clinical.errors import ClinicalInputError
    from gabacare.clinical.regimen import parse_clock
    from gabacare.pk import DialysisSession

    length = load_monograph().renal.hemodialysis_session_h
    sessions = []
    for item in items:
        m = re.fullmatch(r"\s*d(?:ay)?\s*(\d{1,4})\s*[@ ]\s*(\d{1,2}:\d{2})\s*", item, re.IGNORECASE)
        if not m or int(m.group(1)) < 1:
            raise ClinicalInputError(f"dialysis takes dayN@HH:MM (e.g. day2@09:00), got {item!r}")
        at = parse_clock(m.group(2))
        start = (int(m.group(1)) - 1) * 24.0 + at.hour + at.minute / 60.0
        sessions.append(DialysisSession(start, start + length))
    return sessions


def simulate(*, regimen: str, crcl: float | None = None, days: int | None = None, step_min: float | None = None,
             missed: Sequence[str] = (), dialysis: Sequence[str] = ()) -> dict[str, Any]:
    """PK curve of one typical patient on a regimen (``gabacare simulate --json`` keys).

    Defaults (days, output step, reference CrCl) come from the knowledge base ``[pk]`` (label §12.3).
    """
    from gabacare.clinical import parse_regimen
    from gabacare.clinical.errors import ClinicalInputError
    from gabacare.pk import parse_missed, regimen_doses, simulate_doses

    pk = load_monograph().pk
    n_days = pk.default_days if days is None else days
    step = pk.default_step_min if step_min is None else step_min
    if not step > 0:
        raise ClinicalInputError(f"step_min must be more than 0, got {step:g}")
    reg = parse_regimen(regimen)
    events = regimen_doses(reg, n_days, parse_missed(list(missed), reg, n_days))
    crcl_value = pk.reference_crcl_ml_min if crcl is None else crcl
    sim = simulate_doses(events, crcl=crcl_value, end_h=n_days * 24.0, step_h=step / 60.0,
                         dialysis=_dialysis_sessions(dialysis))
    return {**sim.to_json(), "regimen": reg.describe(), "days": n_days, "step_min": step, "plot": None,
            "notice": load_monograph().notice_text}
