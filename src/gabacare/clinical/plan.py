"""Plan values shared by titration, taper and maintenance: days of dated, timed doses made of real units.

A plan is immutable. ``to_json()`` gives the contract shape of docs/cli-contract.md (``days`` of
``{day, date, total_mg, doses: [{time, mg, units: [{form, strength_mg, count}]}]}`` plus
``citations``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from gabacare._record import record
from gabacare.clinical.errors import ClinicalInputError
from gabacare.clinical.pills import DispenseLine, FormPreference, Unit, dispense_totals, pill_plan
from gabacare.clinical.regimen import DailyRegimen, format_time, schedule_times
from gabacare.clinical.units import CrCl
from gabacare.knowledge import Citation, load_monograph

__all__ = ["Plan", "PlanDay", "PlanStep", "PlannedDose", "maintenance_plan", "make_day", "split_daily"]

PlanKind = Literal["titration", "taper", "maintenance"]


@record
class PlannedDose:
    """One dose of a plan day: clock time, mg and the units that make it."""

    time: time
    mg: float
    units: tuple[Unit, ...]


@record
class PlanDay:
    """One calendar day of a plan (``day`` counts from 1)."""

    day: int
    date: date
    total_mg: float
    doses: tuple[PlannedDose, ...]


@record
class PlanStep:
    """A run of days at one daily total; for tapers, the withdrawal watch window after the step."""

    start: date
    end: date
    total_mg: float
    doses_per_day: int
    watch_from: datetime | None = None
    watch_until: datetime | None = None


@record
class Plan:
    """A titration, taper or maintenance plan with its citations, warnings and the notice."""

    kind: PlanKind
    label: str
    days: tuple[PlanDay, ...]
    citations: tuple[Citation, ...]
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    target_mg: float | None = None
    cap_mg: float | None = None
    notice: str = field(default_factory=lambda: load_monograph().notice_text)

    @property
    def steps(self) -> tuple[PlanStep, ...]:
        """Consecutive days with the same daily total, as steps (taper steps carry a watch window)."""
        steps: list[PlanStep] = []
        w = load_monograph().withdrawal
        for d in self.days:
            if steps and steps[-1].total_mg == d.total_mg and steps[-1].doses_per_day == len(d.doses):
                steps[-1] = PlanStep(steps[-1].start, d.date, d.total_mg, len(d.doses),
                                     steps[-1].watch_from, steps[-1].watch_until)
                continue
            watch_from = watch_until = None
            reduced = not steps or d.total_mg < steps[-1].total_mg
            if self.kind == "taper" and reduced:
                begin = datetime.combine(d.date, time(0, 0))
                watch_from = begin + timedelta(hours=w.onset_min_h)
                watch_until = begin + timedelta(hours=w.onset_max_h)
            steps.append(PlanStep(d.date, d.date, d.total_mg, len(d.doses), watch_from, watch_until))
        return tuple(steps)

    @property
    def dispense(self) -> tuple[DispenseLine, ...]:
        """Units to dispense for the whole plan."""
        return dispense_totals(u for d in self.days for dose in d.doses for u in dose.units)

    def to_json(self) -> dict[str, Any]:
        """The contract JSON shape (docs/cli-contract.md ``titrate``/``taper``) plus steps, dispense and notice."""
        return {
            "kind": self.kind,
            "label": self.label,
            "target_mg": self.target_mg,
            "cap_mg": self.cap_mg,
            "days": [
                {
                    "day": d.day,
                    "date": d.date.isoformat(),
                    "total_mg": d.total_mg,
                    "doses": [
                        {"time": format_time(x.time), "mg": x.mg,
                         "units": [{"form": u.form, "strength_mg": u.strength_mg, "count": u.count} for u in x.units]}
                        for x in d.doses
                    ],
                }
                for d in self.days
            ],
            "steps": [
                {"start": s.start.isoformat(), "end": s.end.isoformat(), "total_mg": s.total_mg,
                 "doses_per_day": s.doses_per_day,
                 "withdrawal_watch": None if s.watch_from is None or s.watch_until is None else
                 {"from": s.watch_from.isoformat(timespec="minutes"), "until": s.watch_until.isoformat(timespec="minutes")}}
                for s in self.steps
            ],
            "dispense": [{"form": x.form, "strength_mg": x.strength_mg, "count": x.count} for x in self.dispense],
            "warnings": list(self.warnings),
            "notes": list(self.notes),
            "citations": list(self.citations),
            "notice": self.notice,
        }


def split_daily(total_mg: float, doses: int, granule_mg: float) -> tuple[float, ...]:
    """Split a day's total into ``doses`` amounts of whole granules, the larger ones last in the day.

    Putting any remainder in the evening (then midday) keeps the biggest dose at night, when the
    commonest effect, drowsiness, matters least.

    Examples
    --------
    >>> split_daily(900, 2, 100)
    (400, 500)
    >>> split_daily(1200.0, 3, 100.0)
    (400.0, 400.0, 400.0)
    """
    if doses < 1:
        raise ClinicalInputError("a day needs at least one dose")
    granules = round(total_mg / granule_mg)
    if abs(granules * granule_mg - total_mg) > 1e-6:
        raise ClinicalInputError(f"{total_mg:g} mg/day is not a whole number of {granule_mg:g} mg amounts")
    base, extra = divmod(granules, doses)
    amounts = [base] * doses
    for i in range(extra):
        amounts[doses - 1 - i] += 1
    if base == 0:
        raise ClinicalInputError(f"{total_mg:g} mg/day cannot be split into {doses} doses of at least {granule_mg:g} mg")
    return tuple(a * granule_mg for a in amounts)


def make_day(
    day: int,
    on: date,
    amounts: Sequence[float],
    times: Sequence[time] | None = None,
    form: FormPreference = "solid",
) -> PlanDay:
    """Build a plan day from per-dose amounts (times default to the knowledge base schedule)."""
    clock = tuple(times) if times is not None else (schedule_times(len(amounts)) if amounts else ())
    doses = tuple(PlannedDose(t, float(a), pill_plan(a, form=form).units) for t, a in zip(clock, amounts, strict=True))
    return PlanDay(day, on, float(sum(amounts)), doses)


def maintenance_plan(regimen: DailyRegimen, *, start: date, days: int = 7, crcl: CrCl | None = None) -> Plan:
    """A steady regimen as a plan: the same doses every day (``days`` shown; it repeats after).

    The regimen is the prescriber's, so GabaCare does not change it; it runs the full check
    (``check_regimen``, with ``crcl`` when known) and every problem (above the label's or the renal
    band's maximum, too many doses a day, …) becomes a warning at the top of the plan.
    """
    from gabacare.clinical.checks import check_regimen  # checks builds on plan values; imported late

    if days < 1:
        raise ClinicalInputError("a maintenance plan shows at least one day")
    result = check_regimen(regimen, crcl=crcl) if regimen.repeat else None
    warnings = tuple(f"Problem for the prescriber: {p.message}" for p in (result.problems if result else ()))
    n = days if regimen.repeat else 1
    plan_days = tuple(
        make_day(i + 1, start + timedelta(days=i), [d.mg.value for d in regimen.doses], [d.time for d in regimen.doses])
        for i in range(n)
    )
    m = load_monograph()
    cites = tuple(dict.fromkeys([*(c for f in m.forms for c in f.citations), *(result.citations if warnings and result else ())]))
    return Plan("maintenance", regimen.describe(), plan_days, cites, warnings=warnings, target_mg=regimen.total_mg)
