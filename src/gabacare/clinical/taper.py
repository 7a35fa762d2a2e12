"""Step-down (taper) plans: never abrupt, never rising, ending at zero after at least a week.

Two shapes, both from the knowledge base ``[taper]``:

* linear (default): ``linear_step_mg`` less every ``linear_step_days`` days (300 mg/week, nhs-fife,
  article-spasms);
* proportional by withdrawal risk (``low``/``moderate``/``high``, maudsley-2024): each step removes
  the risk's fraction of the *current* dose (25/15/10%), rounded to whole 100 mg amounts and at least
  one 100 mg amount, held for the risk's step length. The cut is rounded down, so it is never larger
  than the source's fraction except where one 100 mg amount is the smallest possible cut.

The plan lasts at least ``min_duration_days`` (label 2, 5.5) before the first day at 0 mg; a step that
would reach zero too early is held longer. Each step opens a withdrawal watch window
(12 h to 7 days after it, label 5.5), carried by ``Plan.steps``.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

from gabacare.clinical.errors import ClinicalInputError
from gabacare.clinical.plan import Plan, PlanDay, make_day, split_daily
from gabacare.clinical.regimen import DailyRegimen
from gabacare.clinical.renal import renal_limits
from gabacare.clinical.units import CrCl
from gabacare.knowledge import Citation, load_monograph

__all__ = ["taper", "taper_levels"]


def taper_levels(from_mg: float, *, risk: str | None = None, step_mg: float | None = None) -> list[tuple[float, int]]:
    """The daily totals (mg) of each step after ``from_mg``, with each step's length in days.

    The last level is 0 (the stop); levels strictly fall; amounts are whole dose granules.
    """
    m = load_monograph()
    t = m.taper
    granule = m.limits.dose_granule_mg
    if not math.isfinite(from_mg) or from_mg <= 0:
        raise ClinicalInputError("a taper starts from a daily dose above 0 mg")
    if abs(from_mg / granule - round(from_mg / granule)) > 1e-9:
        raise ClinicalInputError(f"a taper starts from a whole number of {granule} mg amounts, got {from_mg:g} mg/day")
    levels: list[tuple[float, int]] = []
    current = from_mg
    if risk is None:
        step = float(step_mg if step_mg is not None else t.linear_step_mg)
        if not math.isfinite(step) or step <= 0 or abs(step / granule - round(step / granule)) > 1e-9:
            raise ClinicalInputError(f"the taper step must be a positive multiple of {granule} mg")
        days = t.linear_step_days
        while current > 0:
            nxt = max(current - step, 0.0)
            if nxt == 0 and not levels and current > granule:
                # Never go from the starting dose straight to zero: take one smaller step first.
                nxt = current - max(granule, math.floor(current / 2 / granule) * granule)
            current = nxt
            levels.append((current, days))
    else:
        try:
            r = t.for_risk(risk)
        except KeyError as exc:
            raise ClinicalInputError(f"risk must be low, moderate or high, got {risk!r}") from exc
        days = r.step_days
        while current > 0:
            # Round the cut down (never a bigger step than the source's fraction), but cut at least one granule.
            cut = max(granule, math.floor(current * r.first_reduction_fraction / granule + 1e-9) * granule)
            current = max(current - cut, 0.0)
            levels.append((current, days))
    # Hold the last dose above zero long enough that the whole taper lasts the minimum.
    before_zero = sum(d for lvl, d in levels if lvl > 0)
    if before_zero < t.min_duration_days:
        if len(levels) == 1:
            # Only a stop was possible (the lowest dose): hold the starting dose for the minimum.
            levels.insert(0, (from_mg, t.min_duration_days))
        else:
            last_lvl, last_days = levels[-2]
            levels[-2] = (last_lvl, last_days + t.min_duration_days - before_zero)
    return levels


def taper(
    from_regimen: DailyRegimen,
    *,
    start: date,
    risk: str | None = None,
    crcl: CrCl | None = None,
    step_mg: float | None = None,
) -> Plan:
    """Taper plan from a current regimen, starting on ``start`` (day 1 is the first reduced day).

    Doses per day stay as in the current regimen while each dose can stay at least one step (linear)
    or one 100 mg amount (proportional); then fall to two, then one (kept at night). The renal band's
    doses per day are never exceeded.

    Raises ``ClinicalInputError`` for a non-repeating (``once``) regimen, an unknown risk or a step that
    is not a whole number of 100 mg amounts.
    """
    m = load_monograph()
    t = m.taper
    granule = m.limits.dose_granule_mg
    if not from_regimen.repeat:
        raise ClinicalInputError("a single dose needs no taper; a taper starts from a daily regimen")
    levels = taper_levels(from_regimen.total_mg, risk=risk, step_mg=step_mg)
    cites: list[Citation] = [t.min_duration_citation, *m.withdrawal.citations]
    cites.append(Citation(source=t.linear_source) if risk is None else t.for_risk(risk).citations[0])
    cites.append(Citation(source=t.hold_source))
    warnings: list[str] = []
    max_doses = from_regimen.doses_per_day
    band_max_mg: float | None = None
    band_doses = max_doses
    if crcl is not None:
        lim = renal_limits(crcl)
        cites.extend(lim.citations)
        band_doses = min(max_doses, lim.doses_per_day)
        band_max_mg = lim.max_daily_mg
        if from_regimen.total_mg > lim.max_daily_mg:
            warnings.append(
                f"The current {from_regimen.total_mg:g} mg/day is above the {lim.max_daily_mg:g} mg/day maximum for "
                f"CrCl {crcl}: discuss the first step with the prescriber."
            )
    unit = float(step_mg or t.linear_step_mg) if risk is None else float(granule)
    days: list[PlanDay] = []
    on = start
    for level, length in levels:
        if level == 0:
            days.append(PlanDay(len(days) + 1, on, 0.0, ()))
            break
        # Above the renal maximum keep the current number of doses (never lump a high total into one
        # dose); at or below it, use the band's doses per day.
        allowed = max_doses if band_max_mg is not None and level > band_max_mg else band_doses
        n = max(1, min(allowed, int(level // unit), int(level // granule)))
        amounts = split_daily(level, n, granule)
        for _ in range(length):
            days.append(make_day(len(days) + 1, on, amounts))
            on += timedelta(days=1)
    w = m.withdrawal
    notes = [
        t.abrupt_stop_warning,
        t.hold_if_withdrawal,
        f"Withdrawal can begin {w.onset_min_h:g} hours to {w.onset_max_h / 24:g} days after a step: "
        + ", ".join(w.symptoms) + ".",
        w.epilepsy_risk,
    ]
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
