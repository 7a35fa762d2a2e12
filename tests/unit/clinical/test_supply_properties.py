"""Invariants of the pills-on-hand forecast (hypothesis): stock never negative, more pills never an
earlier run-out, a longer lead time never a later reminder."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from gabacare.clinical.supply import DoseEvent, PickUp, forecast

T0 = datetime(2026, 3, 1, 6, 0)
STRENGTHS = (100, 300, 400, 600, 800)
DOSE_MG = st.sampled_from((100, 200, 300, 400, 500, 600, 700, 800, 900, 1200, 250))

pickups = st.lists(st.builds(PickUp, st.integers(0, 30).map(lambda d: T0 + timedelta(days=d)),
                             st.sampled_from(STRENGTHS), st.integers(1, 200)), max_size=4)
doses = st.lists(st.builds(DoseEvent, st.integers(0, 60 * 24).map(lambda h: T0 + timedelta(hours=h)), DOSE_MG),
                 max_size=40)


def _later_or_same(a: date | None, b: date | None) -> bool:
    """``a`` is no earlier than ``b`` (None: never runs out, the latest)."""
    return a is None or (b is not None and a >= b)


@given(pickups, doses, doses, st.integers(0, 60))
def test_on_hand_is_never_negative(ups, taken, planned, lead):
    out = forecast(ups, taken, planned, lead_days=lead)
    assert all(s.count >= 0 for s in out.on_hand)
    assert all(s.count > 0 for s in out.short)
    assert all(x.count > 0 for x in out.pickup_list)


@given(pickups, doses, doses, st.sampled_from(STRENGTHS), st.integers(1, 200), st.integers(0, 40))
def test_more_pills_never_an_earlier_run_out(ups, taken, planned, strength, count, day):
    ups = [*ups, PickUp(T0, 300, 1)]  # tracked in both runs
    base = forecast(ups, taken, planned, lead_days=7)
    more = forecast([*ups, PickUp(T0 + timedelta(days=day), strength, count)], taken, planned, lead_days=7)
    assert _later_or_same(more.run_out, base.run_out)


@given(pickups, doses, doses, st.integers(0, 60), st.integers(0, 60))
def test_a_longer_lead_never_a_later_reminder(ups, taken, planned, a, b):
    lo, hi = sorted((a, b))
    near, far = (forecast(ups, taken, planned, lead_days=n) for n in (lo, hi))
    assert near.run_out == far.run_out
    if near.refill_reminder is not None and far.refill_reminder is not None:
        assert far.refill_reminder <= near.refill_reminder <= near.run_out  # type: ignore[operator]
