"""Plan invariants over every generator (issue 12): no plan day outside the limits, whatever was asked.

Each property runs the profile's number of examples: 100 by default, 100,000 with
``HYPOTHESIS_PROFILE=deep`` (see ``tests/conftest.py``). The limits come from the knowledge base, never
from this file: the label's maximum daily dose (label 2.1/2.2), the renal band's maximum, doses per day
and per-dose amounts (label 2.3), and the taper bounds and missed-dose window in ``[taper]`` and
``[missed_dose]`` (each cited there).

Invariants:

* titration: every day within the label maximum and the band (total, doses a day); never stepping
  down; in kidney impairment each day is one of the band's regimens and day 1 is the band's lowest;
* taper: every day within the label maximum and the band; day 1 never above the starting dose and
  then never rising; no step (after entering the band) removing more than the stated fraction; the
  stop only from the stop-from level or the smallest amount; no administration above the stated
  largest single dose; in kidney impairment every day at or above the band's lowest regimen is one
  of the band's regimens; at least the minimum duration before 0 mg;
* every day of every plan passes ``check_regimen`` for the same CrCl without a limit problem;
* missed doses: never a dose within the window of the next one; a dose not yet due is never "take now".
"""

from __future__ import annotations

from datetime import date, time, timedelta
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from gabacare.clinical import (
    ClinicalInputError,
    CrCl,
    DailyRegimen,
    Dose,
    Milligrams,
    check_regimen,
    missed_dose_advice,
    renal_limits,
    taper,
    titrate,
)
from gabacare.clinical.regimen import schedule_times
from gabacare.clinical.renal import band_regimens, is_impaired
from gabacare.knowledge import load_monograph

MONO = load_monograph()
GRANULE = float(MONO.limits.dose_granule_mg)
MAX_DAILY = float(MONO.limits.max_daily_mg)
T = MONO.taper
ADULT = sorted(i.id for i in MONO.indications if i.kind != "weight")
START = date(2026, 3, 2)
LIMIT_CODES = {"max_daily_exceeded", "renal_max_exceeded", "renal_doses_per_day"}

crcls = st.one_of(st.none(), st.floats(min_value=5.0, max_value=150.0, allow_nan=False))
targets = st.one_of(st.none(), st.integers(min_value=1, max_value=int(MAX_DAILY // GRANULE)).map(lambda k: k * GRANULE))
risks = st.sampled_from([None, "low", "moderate", "high"])
steps = st.one_of(st.none(), st.integers(min_value=1, max_value=36).map(lambda k: k * GRANULE))


@st.composite
def regimens(draw: st.DrawFn) -> DailyRegimen:
    """A repeating regimen of 1-3 doses, each 100-1600 mg (some above the limits on purpose)."""
    n = draw(st.integers(min_value=1, max_value=3))
    amounts = [draw(st.integers(min_value=1, max_value=16)) * GRANULE for _ in range(n)]
    return DailyRegimen(tuple(Dose(t, Milligrams(a)) for t, a in zip(schedule_times(n), amounts, strict=True)), "PATTERN")


def day_regimen(day) -> DailyRegimen:  # type: ignore[no-untyped-def]
    return DailyRegimen(tuple(Dose(x.time, Milligrams(x.mg)) for x in day.doses), "PATTERN")


def limits_hold(plan, crcl: CrCl | None) -> None:  # type: ignore[no-untyped-def]
    lim = None if crcl is None else renal_limits(crcl)
    checked: set[tuple[float, ...]] = set()
    for d in plan.days:
        if not d.doses:
            continue
        assert d.total_mg <= MAX_DAILY, d
        assert abs(sum(x.mg for x in d.doses) - d.total_mg) < 1e-9
        if lim is not None:
            assert d.total_mg <= lim.max_daily_mg + 1e-9, (d, lim.band)
            assert len(d.doses) <= lim.doses_per_day, (d, lim.band)
        amounts = tuple(x.mg for x in d.doses)
        if amounts not in checked:  # the same day's doses need one check, not one per day
            checked.add(amounts)
            assert not LIMIT_CODES & {p.code for p in check_regimen(day_regimen(d), crcl=crcl).problems}, d


@settings(deadline=None)
@given(indication=st.sampled_from(ADULT), target=targets, crcl=crcls)
def test_titration_stays_within_every_limit(indication, target, crcl):
    c = None if crcl is None else CrCl(crcl)
    try:
        plan = titrate(indication, start=START, target_mg=target, crcl=c)
    except ClinicalInputError:
        # Only a CrCl too low for the smallest capsule is refused (the prescriber individualises).
        assert c is not None and renal_limits(c).max_daily_mg < GRANULE
        return
    limits_hold(plan, c)
    totals = [d.total_mg for d in plan.days]
    assert all(a <= b for a, b in pairwise(totals)), "a titration never steps down"
    lim = None if c is None else renal_limits(c)
    if lim is not None and is_impaired(lim):
        ind = MONO.indication(indication)
        allowed = band_regimens(lim, GRANULE, single_dose=ind.single_evening_dose)
        amounts = [tuple(x.mg for x in d.doses) for d in plan.days]
        below = [a for a in amounts if a not in allowed]
        # Only a target below the band's lowest regimen leaves the table (one dose of that target).
        assert not below or (len(set(below)) == 1 and len(below[0]) == 1 and sum(below[0]) < sum(allowed[0]))
        if not below:
            assert amounts[0] == allowed[0], "start low: the band's lowest regimen on day 1"


@settings(deadline=None)
@given(regimen=regimens(), crcl=crcls, risk=risks, step=steps)
def test_taper_stays_within_every_limit_and_never_drops_too_far(regimen, crcl, risk, step):
    c = None if crcl is None else CrCl(crcl)
    try:
        plan = taper(regimen, start=START, risk=risk, crcl=c, step_mg=None if risk else step)
    except ClinicalInputError:
        assert c is not None and renal_limits(c).max_daily_mg < GRANULE
        return
    limits_hold(plan, c)
    days = plan.days
    totals = [d.total_mg for d in days]
    assert totals[-1] == 0 and all(d.doses for d in days[:-1])
    assert totals[0] <= regimen.total_mg
    assert all(a >= b for a, b in pairwise(totals)), "a taper never rises"
    assert len(days) - 1 >= T.min_duration_days, "at least the minimum duration before 0 mg"
    assert all(x.mg <= T.max_single_dose_mg for d in days for x in d.doses)
    levels = [s.total_mg for s in plan.steps]
    for before, after in pairwise(levels):
        if after == 0:
            assert before <= T.stop_from_max_mg or before == GRANULE, f"stop from {before:g} mg/day"
        else:
            assert before - after <= before * T.max_step_fraction + 1e-9, f"{before:g} -> {after:g}"
    lim = None if c is None else renal_limits(c)
    if lim is not None and is_impaired(lim):
        allowed = band_regimens(lim, GRANULE)
        floor = sum(allowed[0])
        for d in days[:-1]:
            amounts = tuple(x.mg for x in d.doses)
            assert amounts in allowed or (d.total_mg < floor and len(amounts) == 1), amounts


clock = st.integers(min_value=0, max_value=24 * 4 - 1).map(lambda q: time(q // 4, (q % 4) * 15))


@settings(deadline=None)
@given(schedule=st.lists(clock, min_size=1, max_size=3, unique=True), pick=st.integers(0, 2), now=clock,
       epilepsy=st.booleans())
def test_missed_dose_never_two_doses_within_the_window(schedule, pick, now, epilepsy):
    times = sorted(schedule)
    missed = times[pick % len(times)]
    advice = missed_dose_advice(times, missed, now, epilepsy=epilepsy)
    window = MONO.missed_dose.min_gap_h
    if advice.advice == "take_now":
        assert advice.status == "late"
        assert advice.hours_to_next > window, advice.message
        assert 0 <= advice.hours_since_missed < 24
    if advice.status == "not_due":
        assert advice.advice == "skip" and advice.next_dose == missed.strftime("%H:%M")
    assert advice.to_json()["never_double"] is True


def test_the_deep_profile_is_available():
    """``HYPOTHESIS_PROFILE=deep`` must exist and be deep enough for the issue's 100,000 cases."""
    assert settings.get_profile("deep").max_examples >= 100_000


def test_plan_dates_are_consecutive():
    plan = taper(DailyRegimen(tuple(Dose(t, Milligrams(600.0)) for t in schedule_times(3)), "TID"), start=START,
                 crcl=CrCl(20))
    assert [d.date for d in plan.days] == [START + timedelta(days=i) for i in range(len(plan.days))]
