"""Adjust an ordered regimen to a renal band: the corrected order a prescriber can accept in one click.

The label's renal table (knowledge base ``[[renal.bands]]``, label 2.3) is laid out in *columns*: the
same patient's per-dose amount in every band. A regimen ordered for normal kidney function is thus
mapped to the reduced band by its column: the column whose normal-function daily total (first band,
``columns_mg`` × ``doses_per_day``) is the largest at or below the ordered daily dose. Example: 600 mg
TID (1800 mg/day, third column at CrCl ≥60) becomes 400 mg once daily at CrCl 15-29.

The result never exceeds the ordered daily dose, the band's maximum or the band's doses per day. Below
CrCl 15 the band's amounts are scaled in proportion (``renal_limits``) and rounded down to what the
products can measure: whole capsules/tablets where possible, otherwise oral solution steps.
"""

from __future__ import annotations

import math

from gabacare.clinical.errors import ClinicalInputError
from gabacare.clinical.pills import is_makeable
from gabacare.clinical.plan import split_daily
from gabacare.clinical.regimen import DailyRegimen, Dose, Frequency, schedule_times
from gabacare.clinical.renal import renal_limits
from gabacare.clinical.units import CrCl, Milligrams
from gabacare.knowledge import load_monograph

__all__ = ["suggest_regimen"]

_FREQ_BY_COUNT: dict[int, Frequency] = {1: "QD", 2: "BID", 3: "TID"}


def _measurable(mg: float) -> float:
    """``mg`` rounded down to an amount a product can measure (solid first, else oral solution steps)."""
    if is_makeable(mg):
        return mg
    sol = load_monograph().oral_solution
    step = sol.concentration_mg_per_ml * sol.measure_step_ml
    return math.floor(mg / step + 1e-9) * step


def _regimen(per_dose: tuple[float, ...]) -> DailyRegimen:
    times = schedule_times(len(per_dose))
    return DailyRegimen(tuple(Dose(t, Milligrams(a)) for t, a in zip(times, per_dose, strict=True)),
                        _FREQ_BY_COUNT[len(per_dose)])


def suggest_regimen(regimen: DailyRegimen, crcl: CrCl) -> DailyRegimen:
    """The renal band's regimen for an ordered regimen (label 2.3, column mapping in the module docstring).

    Parameters
    ----------
    regimen: the ordered daily regimen (a repeating one; a single ``once`` dose has no daily regimen).
    crcl: creatinine clearance (mL/min) that selects the band.

    Returns
    -------
    A repeating regimen with the band's doses per day, its daily total at or below both the ordered
    daily dose and the band maximum. An order already within the band's maximum and doses per day is
    returned unchanged.

    Raises
    ------
    ClinicalInputError: a non-repeating regimen, or no measurable amount within the band.

    Examples
    --------
    >>> from gabacare.clinical.regimen import parse_regimen
    >>> suggest_regimen(parse_regimen("600 mg TID"), CrCl(26)).describe()
    '400 mg QD'
    >>> suggest_regimen(parse_regimen("1600 mg TID"), CrCl(90)).describe()
    '1200 mg TID'
    """
    if not regimen.repeat:
        raise ClinicalInputError("a single dose has no daily regimen to adjust")
    m = load_monograph()
    lim = renal_limits(crcl)
    ordered = regimen.total_mg
    n = lim.doses_per_day
    if ordered <= lim.max_daily_mg and ordered <= m.limits.max_daily_mg and regimen.doses_per_day <= n:
        return regimen
    reference = m.renal.bands[0]
    ref_totals = [c * reference.doses_per_day for c in reference.columns_mg]
    column = max((i for i, t in enumerate(ref_totals) if t <= ordered + 1e-9), default=0)
    for idx in range(column, -1, -1):
        per_dose = _measurable(lim.columns_mg[idx])
        total = per_dose * n
        if per_dose > 0 and total <= ordered + 1e-9 and total <= lim.max_daily_mg + 1e-9:
            return _regimen((per_dose,) * n)
    # The order is below the band's first column: keep its total, in no more doses than the band allows.
    granule = float(m.limits.dose_granule_mg)
    for doses in range(min(n, regimen.doses_per_day), 0, -1):
        try:
            return _regimen(split_daily(ordered, doses, granule))
        except ClinicalInputError:
            continue
    raise ClinicalInputError(f"no measurable regimen within {lim.band} for {ordered:g} mg/day")
