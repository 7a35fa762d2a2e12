"""Step-down (taper) plans: never abrupt, never rising, within every limit, ending at zero after at least a week.

Two shapes, both from the knowledge base ``[taper]``:

* linear (default): ``linear_step_mg`` less every ``linear_step_days`` days (300 mg/week);
* proportional by withdrawal risk (``low``/``moderate``/``high``): each step removes the risk's
  fraction of the *current* dose, rounded down to whole 100 mg amounts and at least one 100 mg amount,
  held for the risk's step length.

Invariants every plan keeps, whatever was asked (bounds in ``[taper]``, each cited):

* no day above the label's daily maximum or the renal band's maximum. A starting regimen above the
  band (or with more doses a day than the band allows) is first brought into the band on day 1, in the
  same column of the label's renal table (``clinical/adjust.py``), and the plan warns the prescriber;
* in kidney impairment (CrCl below the first band) every day above the band's lowest regimen is one of
  the label's regimens for that band (its doses per day, its per-dose amounts); where the table's next
  regimen is a bigger cut than the step asked for, that step is held longer in proportion, so the
  average pace is kept;
* no step removes more than ``max_step_fraction`` of the current daily dose (a larger step asked for
  is shortened, and the plan says so), and the last step to zero starts from ``stop_from_max_mg`` or
  less; the first step never goes straight to zero unless the dose is the smallest amount;
* no single administration above ``max_single_dose_mg``: a high total is spread over more doses
  (at most the band's doses per day), never lumped into one;
* the plan lasts at least ``min_duration_days`` (label 2, 5.5) before the first day at 0 mg; each
  step opens a withdrawal watch window (``[withdrawal]``: 12 hours to 7 days, from the withdrawal
  literature, mersfelder-2016), carried by ``Plan.steps``.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

from gabacare._record import record
from gabacare.clinical.errors import ClinicalInputError
from gabacare.clinical.plan import Plan, PlanDay, make_day, split_daily
from gabacare.clinical.regimen import DailyRegimen
from gabacare.clinical.renal import RenalLimits, band_regimens, is_impaired, renal_limits
from gabacare.clinical.units import CrCl
from gabacare.knowledge import Citation, load_monograph

__all__ = ["TaperStep", "taper", "taper_levels"]

_EPS = 1e-9


@record
class TaperStep:
    """One level of a taper: the per-dose amounts (mg, clock order) held for ``days`` days."""

    amounts: tuple[float, ...]
    days: int

    @property
    def total_mg(self) -> float:
        return float(sum(self.amounts))


@record
class _Limits:
    """What bounds every level: the daily maximum, doses a day, and the impaired band's regimens."""

    max_total: float
    max_doses: int
    regimens: tuple[tuple[float, ...], ...]  # the band's regimens (impaired kidneys only), lowest first

    @property
    def table_floor(self) -> float:
        return sum(self.regimens[0]) if self.regimens else 0.0


def _whole(mg: float, granule: float) -> bool:
    return abs(mg / granule - round(mg / granule)) <= _EPS


def _amounts(level: float, lim: _Limits, *, current_doses: int, dose_unit: float) -> tuple[float, ...]:
    """Per-dose amounts for a daily level within the limits (the band's regimen where there is one)."""
    m = load_monograph()
    granule = float(m.limits.dose_granule_mg)
    for regimen in lim.regimens:
        if abs(sum(regimen) - level) <= _EPS:
            return regimen
    if lim.regimens and level < lim.table_floor:
        return (level,)  # below the band's regimens: one dose a day, the smallest exposure
    max_single = float(m.taper.max_single_dose_mg)
    # Drop a dose once each would be under one usual dose unit, but never put more than the largest
    # single dose in one administration (then spread over more doses, up to the band's doses a day).
    n = max(1, min(current_doses, int(level // dose_unit + _EPS), int(level // granule + _EPS)))
    n = min(max(n, math.ceil(level / max_single - _EPS)), lim.max_doses)
    return split_daily(level, n, granule)


def _next_level(current: float, desired: float, lim: _Limits, granule: float) -> float:
    """The allowed daily level to step to: the band's regimens when impaired, else whole granules."""
    floor_ok = current * (1 - load_monograph().taper.max_step_fraction) - _EPS
    if not lim.regimens or desired < lim.table_floor:
        return desired
    allowed = [sum(r) for r in lim.regimens if sum(r) < current - _EPS]
    allowed += [k * granule for k in range(1, int(lim.table_floor // granule + _EPS)) if k * granule < current - _EPS]
    within = [a for a in allowed if a >= floor_ok]
    if not within:  # pragma: no cover - the label's table never cuts more than a third between regimens
        return max(a for a in allowed if a <= desired + _EPS)
    # The regimen nearest the step asked for; on a tie the gentler (higher) one.
    return min(within, key=lambda a: (abs(a - desired), -a))


def taper_levels(
    from_mg: float,
    *,
    risk: str | None = None,
    step_mg: float | None = None,
    limits: RenalLimits | None = None,
    from_doses: int = 3,
    entry: tuple[float, ...] | None = None,
) -> tuple[list[TaperStep], list[str]]:
    """The steps after ``from_mg`` (mg/day) and the plan's warnings; the last step is 0 mg (the stop).

    ``limits`` (a CrCl's renal limits) bounds every step; ``from_doses`` is the starting regimen's
    doses a day; ``entry`` is a first step that brings a regimen above the limits into them (its
    amounts), held one step's length like any other. Levels strictly fall; amounts are whole 100 mg
    amounts.
    """
    m = load_monograph()
    t = m.taper
    granule = float(m.limits.dose_granule_mg)
    if not math.isfinite(from_mg) or from_mg <= 0:
        raise ClinicalInputError("a taper starts from a daily dose above 0 mg")
    # (at least one amount: a dose far below it, 3e-300 mg, is a whole number of none of them)
    if from_mg < granule - _EPS or not _whole(from_mg, granule):
        raise ClinicalInputError(f"a taper starts from a whole number of {granule:g} mg amounts, got {from_mg:g} mg/day")
    if risk is None:
        step = float(step_mg if step_mg is not None else t.linear_step_mg)
        if not math.isfinite(step) or step <= 0 or not _whole(step, granule):
            raise ClinicalInputError(f"the taper step must be a positive multiple of {granule:g} mg")
        days_per_step = t.linear_step_days
        dose_unit = float(t.linear_step_mg)
    else:
        if step_mg is not None:
            raise ClinicalInputError("give either a withdrawal risk (proportional steps) or a step in mg, not both")
        try:
            r = t.for_risk(risk)
        except KeyError as exc:
            raise ClinicalInputError(f"risk must be low, moderate or high, got {risk!r}") from exc
        days_per_step = r.step_days
        dose_unit = granule
    max_doses = m.renal.bands[0].doses_per_day if limits is None else limits.doses_per_day
    lim = _Limits(
        max_total=float(m.limits.max_daily_mg) if limits is None else min(float(m.limits.max_daily_mg), limits.max_daily_mg),
        max_doses=max_doses,
        regimens=band_regimens(limits, granule) if limits is not None and is_impaired(limits) else (),
    )
    if lim.regimens and lim.table_floor < granule:
        raise ClinicalInputError("no whole-capsule regimen in this renal band; the prescriber sets the taper")
    warnings: list[str] = []
    steps: list[TaperStep] = []
    current = from_mg
    doses = from_doses
    shortened = False
    first = True
    if entry is not None:
        steps.append(TaperStep(entry, days_per_step))
        current, doses, first = float(sum(entry)), len(entry), False
    while current > _EPS:
        if risk is None:
            cut = step
        else:
            cut = max(granule, math.floor(current * t.for_risk(risk).first_reduction_fraction / granule + _EPS) * granule)
        if current - cut <= _EPS and current <= t.stop_from_max_mg + _EPS and not (first and current > granule):
            steps.append(TaperStep((), 1))  # the stop, only ever from a small dose
            break
        bound = max(granule, math.floor(current * t.max_step_fraction / granule + _EPS) * granule)
        if cut > bound + _EPS:
            shortened = shortened or step_mg is not None
            cut = bound
        nxt = _next_level(current, current - cut, lim, granule)
        hold = days_per_step
        if current - nxt > cut + _EPS:
            # The band's table has no regimen nearer: a bigger cut, held longer to keep the average pace.
            hold = days_per_step * math.ceil((current - nxt) / cut - _EPS)
        amounts = _amounts(nxt, lim, current_doses=doses, dose_unit=dose_unit) if nxt > _EPS else ()
        steps.append(TaperStep(amounts, hold if amounts else 1))
        doses = len(amounts)
        current = nxt
        first = False
    if shortened and step_mg is not None:
        warnings.append(f"Steps of {step_mg:g} mg were shortened where they would remove too much: {t.max_step_note}")
    # Hold the last dose above zero long enough that the whole taper lasts the minimum.
    before_zero = sum(s.days for s in steps if s.amounts)
    if before_zero < t.min_duration_days:
        if len(steps) == 1:
            # Only a stop was possible (the smallest dose): hold the starting dose for the minimum.
            steps.insert(0, TaperStep(_amounts(from_mg, lim, current_doses=from_doses, dose_unit=dose_unit),
                                      t.min_duration_days))
        else:
            last = steps[-2]
            steps[-2] = TaperStep(last.amounts, last.days + t.min_duration_days - before_zero)
    return steps, warnings


def taper(
    from_regimen: DailyRegimen,
    *,
    start: date,
    risk: str | None = None,
    crcl: CrCl | None = None,
    step_mg: float | None = None,
) -> Plan:
    """Taper plan from a current regimen, starting on ``start`` (day 1 is the first reduced day).

    Doses per day stay as in the current regimen while each dose can stay at least one usual dose
    (linear) or one 100 mg amount (proportional); then fall to two, then one (kept at night). All the
    invariants in the module docstring hold on every day.

    Raises ``ClinicalInputError`` for a non-repeating (``once``) regimen, an unknown risk, a step that
    is not a whole number of 100 mg amounts, or a band with no whole-capsule regimen.

    Examples
    --------
    >>> from datetime import date
    >>> from gabacare.clinical.regimen import parse_regimen
    >>> plan = taper(parse_regimen("300 mg TID"), start=date(2026, 1, 5))
    >>> [(s.total_mg, (s.end - s.start).days + 1) for s in plan.steps]
    [(600.0, 7), (300.0, 7), (0.0, 1)]
    >>> [s.total_mg for s in taper(parse_regimen("1200 mg TID"), start=date(2026, 1, 5), crcl=CrCl(20)).steps]
    [700.0, 400.0, 200.0, 0.0]
    """
    m = load_monograph()
    t = m.taper
    if not from_regimen.repeat:
        raise ClinicalInputError("a single dose needs no taper; a taper starts from a daily regimen")
    if risk is not None and risk not in {r.level for r in t.risk}:
        raise ClinicalInputError(f"risk must be low, moderate or high, got {risk!r}")
    cites: list[Citation] = [t.min_duration_citation, *m.withdrawal.citations]
    cites.extend((Citation(source=t.linear_source),) if risk is None else t.for_risk(risk).citations)
    cites.append(Citation(source=t.hold_source))
    cites.extend(t.bound_citations)
    warnings: list[str] = []
    lim = renal_limits(crcl) if crcl is not None else None
    total, doses = from_regimen.total_mg, from_regimen.doses_per_day
    entry: tuple[float, ...] | None = None
    if total > m.limits.max_daily_mg + _EPS or (lim is not None and (
            total > lim.max_daily_mg + _EPS or doses > lim.doses_per_day or (
                is_impaired(lim) and max(d.mg.value for d in from_regimen.doses) > max(lim.columns_mg) + _EPS))):
        entry = _entry(from_regimen, crcl, lim)
        where = f"for CrCl {crcl} ({lim.band})" if lim is not None else "(the label's maximum daily dose)"
        warnings.append(
            f"Problem for the prescriber: the current {from_regimen.describe()} ({total:g} mg/day) is above the limits "
            f"{where}. Day 1 brings it into them ({'+'.join(f'{a:g}' for a in entry)} mg, the same column of the "
            "label's renal table) before the steps down; check kidney function and confirm this first step."
        )
        cites.extend(lim.citations if lim is not None else (m.limits.max_daily_citation,))
    elif lim is not None:
        cites.extend(lim.citations)
    steps, more = taper_levels(total, risk=risk, step_mg=step_mg, limits=lim, from_doses=doses, entry=entry)
    warnings.extend(more)
    days: list[PlanDay] = []
    on = start
    for step in steps:
        if not step.amounts:
            days.append(PlanDay(len(days) + 1, on, 0.0, ()))
            break
        for _ in range(step.days):
            days.append(make_day(len(days) + 1, on, step.amounts))
            on += timedelta(days=1)
    w = m.withdrawal
    notes = [
        t.abrupt_stop_warning,
        t.hold_if_withdrawal,
        f"Withdrawal can begin {w.onset_min_h:g} hours to {w.onset_max_h / 24:g} days after a step: "
        + ", ".join(w.symptoms) + ".",
        w.epilepsy_risk,
    ]
    if lim is not None and is_impaired(lim):
        notes.append(
            f"At {lim.band} every step uses one of the label's regimens for that kidney function; where the next "
            "one is a bigger cut than planned, that step is held longer."
        )
    shape = "linear" if risk is None else f"proportional, {risk} withdrawal risk"
    return Plan(
        "taper",
        f"Taper from {from_regimen.describe()} ({shape})",
        tuple(days),
        tuple(dict.fromkeys(cites)),
        warnings=tuple(warnings),
        notes=tuple(notes),
        target_mg=0.0,
    )


def _entry(regimen: DailyRegimen, crcl: CrCl | None, lim: RenalLimits | None) -> tuple[float, ...]:
    """The first day's amounts when the current regimen is above the limits: the band's same column."""
    from gabacare.clinical.adjust import suggest_regimen  # adjust builds on plan; imported late to stay acyclic

    m = load_monograph()
    granule = float(m.limits.dose_granule_mg)
    reference = crcl if crcl is not None else CrCl(m.renal.bands[0].crcl_min)
    adjusted = suggest_regimen(regimen, reference)
    amounts = tuple(d.mg.value for d in adjusted.doses)
    if lim is not None and is_impaired(lim) and lim.proportion == 1.0:
        table = band_regimens(lim, granule)
        if table and sum(amounts) < sum(table[0]) - _EPS:
            return (float(sum(amounts)),)  # below the band's regimens: one dose a day, as in every later step
    if lim is not None and is_impaired(lim) and max(amounts) > max(lim.columns_mg) + _EPS:
        # Within the band's total but a single dose above its largest column (e.g. 800 mg once at CrCl
        # 30-59): the band's largest regimen at or below the current total.
        fitting = [r for r in band_regimens(lim, granule) if sum(r) <= regimen.total_mg + _EPS]
        if fitting:
            return fitting[-1]
    if all(_whole(a, granule) for a in amounts):
        return amounts
    # Below CrCl 15 the column's amount needs the oral solution: the smallest whole-capsule dose at or
    # above it within the band's maximum (the hard limit), else the largest below that maximum; with
    # no whole capsule under the maximum the prescriber decides.
    cap = lim.max_daily_mg if lim is not None else float(m.limits.max_daily_mg)
    whole = math.ceil(sum(amounts) / granule - _EPS) * granule
    if whole > cap + _EPS:
        whole = math.floor(cap / granule + _EPS) * granule
    if whole < granule:
        raise ClinicalInputError(
            f"at CrCl {crcl} no whole-capsule dose is within the limits; the prescriber sets the taper (oral solution)"
        )
    return (whole,)
