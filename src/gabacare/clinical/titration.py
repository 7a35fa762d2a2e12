"""Up-titration plans: "start low, go slow" to a target, within the daily maximum and the renal band.

Rules per indication come from the knowledge base ``[[indications]]``:

* ``scheme`` (postherpetic neuralgia, label 2.1): day 1 300 mg once, day 2 300 mg twice, day 3
  300 mg three times, then ``increment_mg`` a day every ``increment_every_days`` days to the target.
* ``linear`` (epilepsy, neuropathy, fibromyalgia, RLS, spasticity, anxiety): ``start_mg`` a day, then
  ``increment_mg`` more every ``increment_every_days`` days.
* ``weight`` (epilepsy age 3-11, label 2.2): mg/kg/day from the start to the age band's target over
  ``titration_days`` days, in three doses of oral solution.

Every day's total is capped by the maximum daily dose (3600 mg, label 2.1/2.2) and, when a CrCl is
given, by the renal band's maximum (label 2.3); doses per day never exceed the band's. Without a
CrCl the plan assumes normal kidney function and says so.

In kidney impairment (CrCl below the first band) "start low, go slow" is the band's own table: day 1
is the band's lowest regimen, and every ``increment_every_days`` days the plan climbs one column of the
label's renal table (its doses per day, its per-dose amounts) up to the target, itself lowered to the
band's regimen at or below it. An evening-only indication keeps one dose a day with the table's amounts.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

from gabacare.clinical.errors import ClinicalInputError
from gabacare.clinical.plan import Plan, PlanDay, make_day, split_daily
from gabacare.clinical.regimen import parse_clock, schedule_times
from gabacare.clinical.renal import RenalLimits, band_regimens, is_impaired, renal_limits
from gabacare.clinical.units import CrCl
from gabacare.knowledge import Citation, load_monograph
from gabacare.knowledge.monograph import Indication

__all__ = ["titrate"]


def titrate(
    indication: str,
    *,
    start: date,
    target_mg: float | None = None,
    crcl: CrCl | None = None,
    weight_kg: float | None = None,
    age_years: float | None = None,
) -> Plan:
    """Day-by-day titration plan for an indication (id or alias).

    Parameters
    ----------
    indication: an id such as ``postherpetic-neuralgia`` or an alias such as ``phn``.
    start: date of day 1.
    target_mg: daily target in mg (default: the indication's default target).
    crcl: creatinine clearance; caps the plan at the renal band (label 2.3).
    weight_kg, age_years: required for ``epilepsy-child``.

    Raises
    ------
    ClinicalInputError: unknown indication, missing or implausible inputs, a target above what the
        limits allow.

    Examples
    --------
    >>> plan = titrate("phn", start=date(2026, 1, 5))
    >>> [s.total_mg for s in plan.steps]
    [300.0, 600.0, 900.0, 1200.0, 1500.0, 1800.0]
    >>> [s.total_mg for s in titrate("phn", start=date(2026, 1, 5), crcl=CrCl(25)).steps]
    [200.0, 300.0, 400.0, 500.0, 700.0]
    """
    m = load_monograph()
    try:
        ind = m.indication(indication)
    except KeyError as exc:
        raise ClinicalInputError(str(exc.args[0])) from exc
    if ind.kind == "weight":
        return _titrate_child(ind, start=start, target_mg=target_mg, weight_kg=weight_kg, age_years=age_years, crcl=crcl)
    if age_years is not None and ind.min_age_years is not None and age_years < ind.min_age_years:
        raise ClinicalInputError(
            f"{ind.id} dosing applies from age {ind.min_age_years}; for children 3-11 with epilepsy use epilepsy-child"
        )
    return _titrate_adult(ind, start=start, target_mg=target_mg, crcl=crcl)


def _cap(crcl: CrCl | None) -> tuple[float, int, list[Citation], list[str]]:
    """Daily cap (mg), doses/day allowed, citations and warnings for a CrCl (or none given)."""
    m = load_monograph()
    cites = [m.limits.max_daily_citation]
    warnings: list[str] = []
    cap = float(m.limits.max_daily_mg)
    if crcl is None:
        band0 = m.renal.bands[0]
        warnings.append(
            f"No creatinine clearance given: the plan assumes {band0.label} (normal kidney function). "
            "Check kidney function before raising the dose, especially in older adults."
        )
        return cap, band0.doses_per_day, cites, warnings
    lim = renal_limits(crcl)
    cites += list(lim.citations)
    granule = m.limits.dose_granule_mg
    renal_cap = math.floor(lim.max_daily_mg / granule) * granule
    if renal_cap < granule:
        raise ClinicalInputError(
            f"at CrCl {crcl} the daily maximum is {lim.max_daily_mg:g} mg, below the smallest capsule; "
            "dosing must be individualised by the prescriber (oral solution)"
        )
    return min(cap, float(renal_cap)), lim.doses_per_day, cites, warnings


def _titrate_adult(ind: Indication, *, start: date, target_mg: float | None, crcl: CrCl | None) -> Plan:
    m = load_monograph()
    granule = m.limits.dose_granule_mg
    cap, band_doses, cites, warnings = _cap(crcl)
    cites = [*ind.citations, *cites]
    target = float(target_mg if target_mg is not None else ind.default_target_mg or 0)
    if not math.isfinite(target) or target <= 0:
        raise ClinicalInputError(f"target must be more than 0 mg/day, got {target_mg!r}")
    if target > m.limits.max_daily_mg:
        raise ClinicalInputError(
            f"target {target:g} mg/day is above the maximum of {m.limits.max_daily_mg} mg/day (label 2.1, 2.2)"
        )
    if abs(target / granule - round(target / granule)) > 1e-9:
        raise ClinicalInputError(f"target must be a multiple of {granule} mg/day so it can be made from capsules")
    if target > cap:
        warnings.append(f"Target {target:g} mg/day lowered to {cap:g} mg/day, the maximum for this kidney function.")
        target = cap
    if ind.usual_max_mg and target > ind.usual_max_mg:
        warnings.append(f"Target is above the usual range for {ind.title} ({ind.usual_min_mg}-{ind.usual_max_mg} mg/day).")
    assert ind.increment_mg is not None and ind.increment_every_days is not None
    lim = renal_limits(crcl) if crcl is not None else None
    if lim is not None and is_impaired(lim):
        return _titrate_impaired(ind, lim, start=start, target=target, cap=cap, cites=cites, warnings=warnings)

    # Daily totals and the number of doses for each day.
    schedule: list[tuple[float, int | None]] = []
    if ind.kind == "scheme":
        for step_total, step_n in zip(ind.scheme_daily_mg, ind.scheme_doses_per_day, strict=True):
            schedule.append((min(float(step_total), target), step_n))
        current = min(float(ind.scheme_daily_mg[-1]), target)
    else:
        assert ind.start_mg is not None
        current = min(float(ind.start_mg), target)
        schedule.extend([(current, None)] * ind.increment_every_days)
    while current < target:
        current = min(current + ind.increment_mg, target)
        schedule.extend([(current, None)] * ind.increment_every_days)
    if ind.kind == "scheme":
        # Hold the scheme's last step for a full increment period when the target is already reached.
        last = schedule[-1]
        if len(schedule) == len(ind.scheme_daily_mg):
            schedule.extend([last] * (ind.increment_every_days - 1))

    days: list[PlanDay] = []
    for i, (total, scheme_n) in enumerate(schedule):
        if ind.single_evening_dose:
            n = 1
        else:
            natural = scheme_n if scheme_n is not None else max(1, int(total // ind.increment_mg))
            n = max(1, min(natural, band_doses, int(total // granule)))
        amounts = split_daily(total, n, granule)
        evening = ind.evening_time if ind.single_evening_dose else None
        times = [parse_clock(evening)] if evening else list(schedule_times(n))
        days.append(make_day(i + 1, start + timedelta(days=i), amounts, times))
    notes = _notes(ind, cites)
    return Plan(
        "titration",
        f"{ind.title}: titration to {target:g} mg/day",
        tuple(days),
        tuple(dict.fromkeys(cites)),
        warnings=tuple(warnings),
        notes=tuple(notes),
        target_mg=target,
        cap_mg=cap,
    )


def _notes(ind: Indication, cites: list[Citation]) -> list[str]:
    """An adult plan's notes (the indication's, its pacing note, driving), adding the driving citation."""
    m = load_monograph()
    cites.append(Citation(source=m.triage.driving_source, section=m.triage.driving_section))
    return [ind.note, *([ind.increment_note] if ind.increment_note else []), m.triage.driving]


def _titrate_impaired(
    ind: Indication,
    lim: RenalLimits,
    *,
    start: date,
    target: float,
    cap: float,
    cites: list[Citation],
    warnings: list[str],
) -> Plan:
    """Titration within an impaired renal band: the band's regimens, lowest first (module docstring)."""
    m = load_monograph()
    assert ind.increment_every_days is not None
    granule = float(m.limits.dose_granule_mg)
    regimens = band_regimens(lim, granule, single_dose=ind.single_evening_dose)
    reachable = [r for r in regimens if sum(r) <= target + 1e-9]
    if not reachable:
        # The target is below the band's lowest regimen: that target, once a day, is the whole plan.
        warnings.append(f"Target {target:g} mg/day is below the {lim.band} regimens of the label's renal table.")
        reachable = [(target,)]
    elif sum(reachable[-1]) < target - 1e-9:
        warnings.append(
            f"Target {target:g} mg/day lowered to {sum(reachable[-1]):g} mg/day, the nearest regimen at or below it "
            f"in the label's renal table for {lim.band}."
        )
    evening = [parse_clock(ind.evening_time)] if ind.single_evening_dose and ind.evening_time else None
    days: list[PlanDay] = []
    for regimen in reachable:
        for _ in range(ind.increment_every_days):
            i = len(days)
            times = evening if evening is not None and len(regimen) == 1 else list(schedule_times(len(regimen)))
            days.append(make_day(i + 1, start + timedelta(days=i), regimen, times))
    reached = float(sum(reachable[-1]))
    notes = [*_notes(ind, cites),
             f"At {lim.band} the plan starts at the band's lowest regimen and climbs one column of the label's "
             f"renal table every {ind.increment_every_days} days."]
    return Plan(
        "titration",
        f"{ind.title}: titration to {reached:g} mg/day ({lim.band})",
        tuple(days),
        tuple(dict.fromkeys(cites)),
        warnings=tuple(warnings),
        notes=tuple(notes),
        target_mg=reached,
        cap_mg=cap,
    )


def _titrate_child(
    ind: Indication,
    *,
    start: date,
    target_mg: float | None,
    weight_kg: float | None,
    age_years: float | None,
    crcl: CrCl | None,
) -> Plan:
    m = load_monograph()
    if weight_kg is None or age_years is None:
        raise ClinicalInputError(f"{ind.id} needs --weight-kg and --age (mg/kg dosing, label 2.2)")
    p = m.renal.plausible
    if not (p.child_weight_min_kg <= weight_kg <= p.child_weight_max_kg):
        raise ClinicalInputError(
            f"weight {weight_kg:g} kg is outside the plausible {p.child_weight_min_kg:g}-{p.child_weight_max_kg:g} kg for a child"
        )
    if ind.min_age_years is None or ind.max_age_years is None or not (
        ind.min_age_years <= age_years < ind.max_age_years + 1
    ):
        raise ClinicalInputError(
            f"{ind.id} covers ages {ind.min_age_years}-{ind.max_age_years}; got {age_years:g} (use epilepsy from 12)"
        )
    band = next((b for b in ind.weight_targets if b.min_age_years <= age_years < b.max_age_years + 1), None)
    if band is None:
        raise ClinicalInputError(f"no paediatric target for age {age_years:g}")  # pragma: no cover - bands cover 3-11
    assert ind.start_mg_per_kg_day and ind.titration_days and ind.doses_per_day
    warnings: list[str] = []
    if crcl is not None:
        warnings.append("The label's renal table applies from age 12; for this child the prescriber sets the dose.")
    sol = m.oral_solution
    step_mg = sol.concentration_mg_per_ml * sol.measure_step_ml  # smallest measurable amount
    lo, hi = band.target_mg_per_kg_day * weight_kg, band.target_mg_per_kg_day_max * weight_kg
    target = float(target_mg) if target_mg is not None else lo
    if not (lo - 1e-9 <= target <= hi + 1e-9):
        raise ClinicalInputError(
            f"target {target:g} mg/day is outside {band.target_mg_per_kg_day:g}-{band.target_mg_per_kg_day_max:g} "
            f"mg/kg/day for this age ({lo:g}-{hi:g} mg/day at {weight_kg:g} kg)"
        )
    target = min(target, float(m.limits.max_daily_mg))
    first = ind.start_mg_per_kg_day * weight_kg
    n = ind.doses_per_day
    days: list[PlanDay] = []
    for i in range(ind.titration_days):
        frac = i / (ind.titration_days - 1) if ind.titration_days > 1 else 1.0
        daily = first + (target - first) * frac
        per_dose = math.floor(daily / n / step_mg) * step_mg  # round down: never above the target
        days.append(make_day(i + 1, start + timedelta(days=i), [round(per_dose, 3)] * n, form="solution"))
    return Plan(
        "titration",
        f"{ind.title}: titration to {target:g} mg/day ({target / weight_kg:.0f} mg/kg/day)",
        tuple(days),
        tuple(dict.fromkeys([*ind.citations, *sol.citations, m.limits.epilepsy_gap_citation])),
        warnings=tuple(warnings),
        notes=(ind.note,),
        target_mg=target,
        cap_mg=hi,
    )
