"""A gabapentin order's FHIR Dosage instructions read into the core's daily regimens.

Every count is bounded before a list is built (``[cds_limits]``: dosage instructions, doses a day, mg
a day). Doses are converted to mg by their unit (mg, g, a capsule or tablet of the ordered product's
strength, mL of the oral solution); concurrent Dosages of one ``sequence`` are merged into one day.

Errors::

    gabacare.errors.InputError
    └── UnreadableOrder      the daily dose cannot be read (the message names the element)
        └── ImplausibleOrder the numbers are beyond any gabapentin dosing (a draft is refused with 400)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any, Final

from gabacare._record import record
from gabacare.clinical.errors import ClinicalInputError
from gabacare.clinical.regimen import DailyRegimen, Dose, Frequency, schedule_times
from gabacare.clinical.units import Milligrams
from gabacare.errors import InputError
from gabacare.interop.cds.medication import Medication
from gabacare.interop.cds_request import CdsRequestError, Dosage, Quantity, cds_limits, doses_per_day, read_dosage
from gabacare.knowledge.monograph import CdsLimits

__all__ = ["ImplausibleOrder", "UnreadableOrder", "order_regimens"]


class UnreadableOrder(InputError):
    """A medication order whose daily dose cannot be read (the message says which element)."""


class ImplausibleOrder(UnreadableOrder):
    """An order whose numbers are beyond any gabapentin dosing (``[cds_limits]``): a draft order like
    this is refused with 400; an active order read from the EHR is left unread."""


_UNIT_WORDS: Final = ("{capsule}", "{tablet}", "{pill}", "capsule", "tablet", "cap", "tab")

#: One dose of a day: its clock time (None: spread over the day later) and mg.
_Item = tuple[time | None, float]


def _mg_for_unit(value: float, unit: str, med: Medication) -> float | None:
    if unit == "mg":
        return value
    if unit == "g":
        return value * 1000
    if unit in _UNIT_WORDS and med.strength_mg:
        return value * med.strength_mg
    if unit == "ml" and med.per_ml_mg:
        return value * med.per_ml_mg
    return None


def _dose_mg(dosage: Dosage, med: Medication) -> float:
    qty: Quantity | None = dosage.quantity
    if qty is None:
        raise UnreadableOrder("the order has no dose quantity")
    value = qty.value
    if value is None or value <= 0:
        raise UnreadableOrder("the dose quantity has no positive value")
    mg = _mg_for_unit(value, (qty.code or qty.unit or "").strip().lower(), med)
    if mg is None:
        raise UnreadableOrder("the dose unit cannot be converted to mg for this product")
    if not math.isfinite(mg) or mg > cds_limits().max_daily_mg:
        raise ImplausibleOrder("the dose is beyond any plausible gabapentin dose")
    return mg


def _clock(text: str) -> time:
    try:
        return time.fromisoformat(text)
    except ValueError:  # time's own refusal of the text
        raise UnreadableOrder("timeOfDay is not a time") from None


def _spread(n: int) -> tuple[time, ...]:
    """Default clock times for ``n`` doses: the knowledge base schedule for 1-3, else evenly spread."""
    if 1 <= n <= 3:
        return schedule_times(n)
    first = datetime.combine(date.min, schedule_times(1)[0])
    step = timedelta(days=1) / n
    return tuple(sorted((first + i * step).time() for i in range(n)))


def _dosages(mr: Mapping[str, Any], limits: CdsLimits) -> list[Any]:
    dosages = mr.get("dosageInstruction")
    if isinstance(dosages, Mapping):
        dosages = [dosages]
    if not isinstance(dosages, list) or not dosages:
        raise UnreadableOrder("the order has no dosage instructions")
    if len(dosages) > limits.max_dosage_instructions:
        raise ImplausibleOrder(f"the order has more than {limits.max_dosage_instructions} dosage instructions")
    return dosages


@record
class _Instruction:
    """One Dosage read: its sequence, doses a day, mg a dose and clock times (when it names them)."""

    sequence: int
    doses: int
    mg: float
    times: list[time] | None


def _per_day(dosage: Dosage, limits: CdsLimits) -> tuple[int, list[str] | None]:
    repeat = dosage.timing.repeat if dosage.timing else None
    tod = repeat.timeOfDay if repeat else None
    if tod and len(tod) > limits.max_doses_per_day:
        raise ImplausibleOrder(f"the timing means more than {limits.max_doses_per_day} doses a day")
    per_day = doses_per_day(repeat, len(tod) if tod else 0)
    if per_day is None:
        raise UnreadableOrder("the dosage timing (frequency, period, periodUnit) cannot be read")
    if per_day >= limits.max_doses_per_day + 1:  # checked before round(): per_day may be inf
        raise ImplausibleOrder(f"the timing means more than {limits.max_doses_per_day} doses a day")
    if abs(per_day - round(per_day)) > 1e-6 or round(per_day) < 1:
        raise UnreadableOrder("the dosage timing is not a whole number of doses a day")
    return round(per_day), (list(tod) if tod else None)


def _instruction(raw: Any, med: Medication, limits: CdsLimits) -> _Instruction:
    if not isinstance(raw, Mapping):
        raise UnreadableOrder("a dosage instruction is not an object")
    try:
        dosage = read_dosage(raw, "dosageInstruction")
    except CdsRequestError as exc:
        raise UnreadableOrder(exc.reason) from None
    if dosage.asNeededBoolean is True or "asNeededCodeableConcept" in raw:
        raise UnreadableOrder("as-needed gabapentin has no fixed daily dose to check")
    n, tod = _per_day(dosage, limits)
    mg = _dose_mg(dosage, med)
    times = [_clock(t) for t in tod] if tod else None
    return _Instruction(dosage.sequence if dosage.sequence is not None else 1, n, mg, times)


def _regimen(items: list[_Item], limits: CdsLimits) -> DailyRegimen:
    if sum(mg for _, mg in items) > limits.max_daily_mg:
        raise ImplausibleOrder("the daily dose is beyond any plausible gabapentin dose")
    if any(t is None for t, _ in items):
        clock = _spread(len(items))
        items = [(clock[i], mg) for i, (_, mg) in enumerate(items)]
    items.sort(key=lambda x: x[0] or time.min)
    amounts = {mg for _, mg in items}
    words: dict[int, Frequency] = {1: "QD", 2: "BID", 3: "TID"}
    freq_word: Frequency = words.get(len(items), "PATTERN") if len(amounts) == 1 else "PATTERN"
    try:
        return DailyRegimen(tuple(Dose(t or time.min, Milligrams(mg)) for t, mg in items), freq_word)
    except ClinicalInputError as exc:
        raise UnreadableOrder(str(exc)) from None


def order_regimens(mr: Mapping[str, Any], med: Medication) -> list[DailyRegimen]:
    """The order's daily regimens, one per ``sequence`` (concurrent Dosages merged), in sequence order.

    Every count is bounded before a list is built (``[cds_limits]``: dosage instructions, doses a day,
    mg a day).

    Raises
    ------
    UnreadableOrder
        a dose not convertible to mg, a timing that is not daily, a malformed Dosage.
    ImplausibleOrder
        more doses a day or more mg a day than any gabapentin order (a kind of UnreadableOrder).
    """
    limits = cds_limits()
    groups: dict[int, list[_Item]] = {}
    for raw in _dosages(mr, limits):
        one = _instruction(raw, med, limits)
        group = groups.setdefault(one.sequence, [])
        if len(group) + one.doses > limits.max_doses_per_day:
            raise ImplausibleOrder(f"the order means more than {limits.max_doses_per_day} doses a day")
        if one.times is not None and len(one.times) == one.doses:
            group.extend((t, one.mg) for t in one.times)
        else:
            group.extend((None, one.mg) for _ in range(one.doses))
    return [_regimen(groups[seq], limits) for seq in sorted(groups)]
