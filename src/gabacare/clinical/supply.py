"""Pills on hand, the run-out date and the refill reminder (issue 15, refills): pure, no clock, no I/O.

A *pick-up* adds whole pieces (capsules or tablets) of one strength of the knowledge base's
``[[forms]]``. Every dose logged as taken at or after the first pick-up takes away the pieces the
plan's pill rule makes that dose of (:func:`gabacare.clinical.pills.pill_plan`, the same split the
plan shows: the fewest pieces, a scored tablet possibly halved, a half kept for the next dose as
label §16 says). Doses logged before the first pick-up are not counted: nothing is known of the
stock then.

The *run-out date* is the day of the first planned dose (after now, not yet answered) that cannot
be made from what is on hand, walking the plan forward dose by dose; the *refill reminder* is that
date less ``lead_days`` days. A strength running short is not made up from another strength: the
split is the plan's, and changing the products is the prescriber's and pharmacist's decision.

Counts are pieces (a tablet half is 0.5); strengths are mg per piece; dates are the patient's local
calendar days. The oral solution is not counted (its amounts are mL, not pieces).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import field
from datetime import date, datetime, timedelta
from typing import Any

from gabacare._record import record
from gabacare.clinical.errors import ClinicalInputError
from gabacare.clinical.pills import DispenseLine, pill_plan
from gabacare.knowledge import Citation, load_monograph

__all__ = ["DoseEvent", "PickUp", "Stock", "SupplyForecast", "forecast", "pill_forms"]

_HALVES = 2  # stock is counted in half pieces, so a halved tablet is exact integer arithmetic


@record
class PickUp:
    """``count`` whole pieces of the ``strength_mg`` mg product collected at ``at`` (local time)."""

    at: datetime
    strength_mg: float
    count: int


@record
class DoseEvent:
    """One dose of ``mg`` milligrams at ``at`` (local time): logged as taken, or planned."""

    at: datetime
    mg: float


@record
class Stock:
    """``count`` pieces (0.5 steps for scored tablets) of the ``strength_mg`` mg ``form``."""

    form: str
    strength_mg: float
    count: float

    def to_json(self) -> dict[str, Any]:
        return {"form": self.form, "strength_mg": self.strength_mg, "count": self.count}


@record
class SupplyForecast:
    """Pills on hand and when they run out.

    ``on_hand``: pieces per product after every pick-up and taken dose (never negative; every
    product picked up or used is listed, largest strength first within a form). ``short``: pieces
    that doses logged as taken needed beyond what was on hand (a pick-up not logged, or pills from
    elsewhere). ``run_out``: the day of the first planned dose the stock cannot make (None: no
    pick-up logged, no planned dose, or enough for every planned dose looked at, up to
    ``checked_until``). ``refill_reminder``: ``run_out`` less ``lead_days`` days (may be in the past:
    refill now). ``uncounted_doses``: doses no whole or half pieces can make (oral solution amounts),
    left out. ``pickup_list``: pieces to collect for the planned doses up to ``list_until`` beyond
    what is on hand (dispense rule: halves rounded up to whole tablets).
    """

    tracked: bool
    on_hand: tuple[Stock, ...]
    short: tuple[Stock, ...]
    run_out: date | None
    refill_reminder: date | None
    lead_days: int
    checked_until: date | None
    uncounted_doses: int
    pickup_list: tuple[DispenseLine, ...]
    list_until: date | None
    citations: tuple[Citation, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        """``tracked``, ``on_hand``/``short`` (``[{form, strength_mg, count}]``), ``run_out``,
        ``refill_reminder``, ``lead_days``, ``checked_until``, ``uncounted_doses``, ``pickup_list``,
        ``list_until`` (dates ISO ``YYYY-MM-DD`` or null) and ``citations``."""
        def iso(d: date | None) -> str | None:
            return None if d is None else d.isoformat()

        return {
            "tracked": self.tracked,
            "on_hand": [s.to_json() for s in self.on_hand],
            "short": [s.to_json() for s in self.short],
            "run_out": iso(self.run_out),
            "refill_reminder": iso(self.refill_reminder),
            "lead_days": self.lead_days,
            "checked_until": iso(self.checked_until),
            "uncounted_doses": self.uncounted_doses,
            "pickup_list": [{"form": x.form, "strength_mg": x.strength_mg, "count": x.count} for x in self.pickup_list],
            "list_until": iso(self.list_until),
            "citations": [c.render() for c in self.citations],
        }


def pill_forms() -> dict[float, str]:
    """Strength (mg) -> form of every solid product in the knowledge base (``[[forms]]``)."""
    return {float(f.strength_mg): f.form for f in load_monograph().forms}


def _pieces(mg: float) -> dict[tuple[str, float], int] | None:
    """Half pieces per product for a dose of ``mg`` mg by the plan's pill rule (None: not makeable)."""
    try:
        plan = pill_plan(mg)
    except ClinicalInputError:
        return None
    return {(u.form, u.strength_mg): round(u.count * _HALVES) for u in plan.units}


def _order(key: tuple[str, float]) -> tuple[str, float]:
    return key[0], -key[1]


def forecast(
    pickups: Iterable[PickUp],
    taken: Iterable[DoseEvent],
    planned: Sequence[DoseEvent],
    *,
    lead_days: int,
    list_until: date | None = None,
) -> SupplyForecast:
    """Pills on hand, the run-out date and the refill reminder (see the module docstring).

    ``pickups``: every pick-up; ``taken``: every dose logged as taken (mg; those before the first
    pick-up are ignored); ``planned``: the plan's doses still to come, in any order (the caller
    bounds them; the walk stops at the first dose the stock cannot make); ``lead_days``: days
    (>= 0) between the reminder and the run-out date; ``list_until``: last day whose planned doses
    the pick-up list covers (None: all of ``planned``).

    Raises ``ClinicalInputError`` for a strength that is not a solid product of the knowledge base,
    a count below 1 or a negative ``lead_days``.

    Examples
    --------
    Nine 300 mg capsules for 300 mg three times a day last three days; the reminder comes two days
    before the first dose they cannot make:

    >>> planned = [DoseEvent(datetime(2026, 3, 1 + d, h), 300) for d in range(5) for h in (8, 14, 20)]
    >>> f = forecast([PickUp(datetime(2026, 3, 1, 7), 300, 9)], [], planned, lead_days=2)
    >>> f.run_out, f.refill_reminder
    (datetime.date(2026, 3, 4), datetime.date(2026, 3, 2))
    """
    if isinstance(lead_days, bool) or not isinstance(lead_days, int) or lead_days < 0:
        raise ClinicalInputError("the refill lead time must be a whole number of days, 0 or more")
    forms = pill_forms()
    ups = sorted(pickups, key=lambda p: p.at)
    for p in ups:
        if float(p.strength_mg) not in forms:
            raise ClinicalInputError(
                f"a pick-up's strength must be one of {', '.join(f'{s:g}' for s in forms)} mg")
        if isinstance(p.count, bool) or not isinstance(p.count, int) or p.count < 1:
            raise ClinicalInputError("a pick-up's count must be a whole number of pieces, 1 or more")
    stock: dict[tuple[str, float], int] = {}
    short: dict[tuple[str, float], int] = {}
    uncounted = 0
    if ups:
        first = ups[0].at
        # Pick-ups before doses at the same moment: the pills are in hand when the dose is taken.
        events: list[tuple[datetime, int, PickUp | DoseEvent]] = [(p.at, 0, p) for p in ups]
        events += [(d.at, 1, d) for d in taken if d.at >= first]
        for _, _, ev in sorted(events, key=lambda e: (e[0], e[1])):
            if isinstance(ev, PickUp):
                key = (forms[float(ev.strength_mg)], float(ev.strength_mg))
                stock[key] = stock.get(key, 0) + ev.count * _HALVES
                continue
            need = _pieces(ev.mg)
            if need is None:
                uncounted += 1
                continue
            for key, n in need.items():
                have = stock.get(key, 0)
                if n > have:
                    short[key] = short.get(key, 0) + n - have
                stock[key] = max(0, have - n)
    now_stock = dict(stock)
    run_out: date | None = None
    checked: date | None = None
    wanted: dict[tuple[str, float], int] = {}
    for dose in sorted(planned, key=lambda d: d.at):
        need = _pieces(dose.mg)
        if need is None:
            uncounted += 1
            continue
        if list_until is None or dose.at.date() <= list_until:
            for key, n in need.items():
                wanted[key] = wanted.get(key, 0) + n
        if not ups or run_out is not None:
            continue
        if any(stock.get(key, 0) < n for key, n in need.items()):
            run_out = dose.at.date()
            if list_until is not None:
                continue  # the pick-up list still needs the rest of its period
            break
        for key, n in need.items():
            stock[key] = stock.get(key, 0) - n
        checked = dose.at.date()
    if run_out is not None:
        checked = run_out
    to_collect = tuple(
        DispenseLine(key[0], key[1], float(math.ceil((n - now_stock.get(key, 0)) / _HALVES)))
        for key, n in sorted(wanted.items(), key=lambda kv: _order(kv[0]))
        if n > now_stock.get(key, 0)
    )
    m = load_monograph()
    cites = tuple(dict.fromkeys((*(c for f in m.forms for c in f.citations), *m.half_tablets.citations)))
    return SupplyForecast(
        tracked=bool(ups),
        on_hand=tuple(Stock(k[0], k[1], v / _HALVES) for k, v in sorted(now_stock.items(), key=lambda kv: _order(kv[0]))),
        short=tuple(Stock(k[0], k[1], v / _HALVES) for k, v in sorted(short.items(), key=lambda kv: _order(kv[0]))),
        run_out=run_out,
        refill_reminder=None if run_out is None else run_out - timedelta(days=lead_days),
        lead_days=lead_days,
        checked_until=checked,
        uncounted_doses=uncounted,
        pickup_list=to_collect,
        list_until=list_until,
        citations=cites,
    )
