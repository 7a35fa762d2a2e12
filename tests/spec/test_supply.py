"""Refills: pills on hand, the run-out date and the refill reminder, worked by hand.

Every case: a plan that starts on Sunday 2026-03-01 with the same doses each day (times 07:00,
14:00, 21:00 for three doses, 08:00 and 20:00 for two, 21:00 for one: the knowledge base's
``[schedule]``), for ``plan_days`` days (``-``: it continues). Every pick-up is collected on
2026-03-01 at 06:00. The first ``taken`` days' doses are all logged as taken at their times,
and "now" is 06:00 on the next day; the planned doses from then on are walked forward.

The pill split of each dose is the plan's (``pills.py``: 300 mg is one 300 mg capsule, 500 mg is a
400 mg and a 100 mg capsule, 1200 mg is two 600 mg tablets). The run-out date is the day of the
first dose the stock cannot make; the reminder is ``lead`` days before it. ``on_hand`` lists
``count x strength``; ``short`` the pieces logged doses needed beyond the stock.

Hand check of each row (pieces a day; days the stock lasts from "now"):

* tid300: 3 x 300/day; 90 / 3 = 30 days: 1..30 March, out on the 31st; reminder 24 March.
* tid300-day10: 10 days taken use 30; 60 left from 11 March = 20 days (11..30): out 31 March, as
  before; with lead 10 the reminder is 21 March.
* bid900: 08:00 400 mg (1 x 400), 20:00 500 mg (1 x 400 + 1 x 100): 2 x 400 and 1 x 100 a day; the
  20 capsules of 100 mg last 20 days (1..20 March): on 21 March the 08:00 dose is made, the 20:00 one
  is not: out 21 March; reminder 14 March. The 400 mg capsules alone would last 30 days.
* tid1200: 3 doses of 2 x 600 = 6 tablets/day; 100 tablets = 16 days (96 tablets) + 4 left; on day 17
  (17 March) two doses are made (4 tablets), the 21:00 one is not: out 17 March; reminder 3 March (lead 14).
* taper-ends: 300 mg at 21:00 for 14 days, 30 capsules: 16 left at the end, never out.
* short: 10 capsules, 5 days of 3 x 300 taken = 15: 5 short, 0 on hand, out the next morning (6 March),
  reminder already past (27 February).
* wrong-strength: 300 mg doses, 90 capsules of 100 mg picked up: the plan's split is one 300 mg
  capsule, not three of 100 mg (changing products is the prescriber's and pharmacist's call): out on
  1 March; the 100 mg capsules stay on hand.
* lead0: the reminder falls on the run-out day.
* none: no pick-up logged: nothing is tracked, no run-out date.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from _table import Table, words

from gabacare.clinical.supply import DoseEvent, PickUp, forecast
from gabacare.knowledge import load_monograph

START = date(2026, 3, 1)
HORIZON_DAYS = 400


def _times(n: int) -> list[time]:
    s = load_monograph().schedule
    raw = {1: s.times_1, 2: s.times_2, 3: s.times_3}[n]
    return [time(int(t[:2]), int(t[3:])) for t in raw]


def _plan(doses: tuple[int, ...], days: int | None) -> list[DoseEvent]:
    out = []
    for i in range(days if days is not None else HORIZON_DAYS):
        day = START + timedelta(days=i)
        out += [DoseEvent(datetime.combine(day, t), mg) for t, mg in zip(_times(len(doses)), doses, strict=True)]
    return out


def _stock(text: tuple[str, ...]) -> list[tuple[int, float]]:
    """``("90x300",)`` -> [(300, 90.0)]"""
    return [(int(x.split("x")[1]), float(x.split("x")[0])) for x in text]


CASES = Table(
    """
    case           | doses          | plan_days | pickups       | taken | lead | on_hand       | short | run_out    | reminder
    ---------------+----------------+-----------+---------------+-------+------+---------------+-------+------------+-----------
    tid300         | 300 300 300    | -         | 90x300        | 0     | 7    | 90x300        | -     | 2026-03-31 | 2026-03-24
    tid300-day10   | 300 300 300    | -         | 90x300        | 10    | 10   | 60x300        | -     | 2026-03-31 | 2026-03-21
    bid900         | 400 500        | -         | 60x400 20x100 | 0     | 7    | 60x400 20x100 | -     | 2026-03-21 | 2026-03-14
    tid1200        | 1200 1200 1200 | -         | 100x600       | 0     | 14   | 100x600       | -     | 2026-03-17 | 2026-03-03
    taper-ends     | 300            | 14        | 30x300        | 0     | 7    | 30x300        | -     | -          | -
    short          | 300 300 300    | -         | 10x300        | 5     | 7    | 0x300         | 5x300 | 2026-03-06 | 2026-02-27
    wrong-strength | 300 300 300    | -         | 90x100        | 0     | 7    | 90x100        | -     | 2026-03-01 | 2026-02-22
    lead0          | 300 300 300    | -         | 90x300        | 0     | 0    | 90x300        | -     | 2026-03-31 | 2026-03-31
    none           | 300 300 300    | -         | -             | 0     | 7    | -             | -     | -          | -
    """,
    doses=lambda t: tuple(int(x) for x in t.split()),
    pickups=words, on_hand=words, short=words,
)


@pytest.mark.parametrize(CASES.argnames, CASES.rows, ids=CASES.ids)
def test_refill_dates_worked_by_hand(case, doses, plan_days, pickups, taken, lead, on_hand, short, run_out,
                                     reminder):
    plan = _plan(doses, plan_days)
    now = datetime.combine(START + timedelta(days=taken), time(6, 0))
    ups = [PickUp(datetime.combine(START, time(6, 0)), s, int(n)) for s, n in _stock(pickups)]
    logged = [d for d in plan if d.at < now]
    out = forecast(ups, logged, [d for d in plan if d.at >= now], lead_days=lead)
    assert [(s.strength_mg, s.count) for s in out.on_hand] == _stock(on_hand)
    assert [(s.strength_mg, s.count) for s in out.short] == _stock(short)
    assert out.run_out == (None if run_out is None else date.fromisoformat(run_out))
    assert out.refill_reminder == (None if reminder is None else date.fromisoformat(reminder))
    assert out.tracked is bool(pickups)
    assert out.to_json()["run_out"] == run_out


def test_the_pickup_list_is_the_plans_dispense_total_less_what_is_on_hand():
    # tid300 from 11 March (60 on hand) to 9 April: 30 days x 3 = 90 needed, 60 held -> collect 30.
    plan = _plan((300, 300, 300), None)
    now = datetime(2026, 3, 11, 6, 0)
    out = forecast([PickUp(datetime(2026, 3, 1, 6, 0), 300, 90)], [d for d in plan if d.at < now],
                   [d for d in plan if d.at >= now], lead_days=7, list_until=date(2026, 4, 9))
    assert [(x.form, x.strength_mg, x.count) for x in out.pickup_list] == [("capsule", 300.0, 30.0)]
    assert out.run_out == date(2026, 3, 31)  # the list does not change the run-out date


def test_a_dose_pills_cannot_make_is_counted_apart_and_never_guessed():
    plan = [DoseEvent(datetime(2026, 3, 1, 21, 0), 250)]  # oral solution only
    out = forecast([PickUp(datetime(2026, 3, 1, 6, 0), 300, 30)], [], plan, lead_days=7)
    assert out.uncounted_doses == 1 and out.run_out is None
    assert [(s.strength_mg, s.count) for s in out.on_hand] == [(300.0, 30.0)]


@pytest.mark.parametrize("strength,count,lead", [(250, 30, 7), (300, 0, 7), (300, -3, 7), (300, 30, -1)])
def test_impossible_input_is_refused(strength, count, lead):
    from gabacare.clinical import ClinicalInputError

    with pytest.raises(ClinicalInputError):
        forecast([PickUp(datetime(2026, 3, 1), strength, count)], [], [], lead_days=lead)
