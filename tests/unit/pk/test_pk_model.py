"""The single-patient engine: exactness, superposition, steady state, missed doses, kidneys, dialysis, bad input."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gabacare.clinical.errors import ClinicalInputError
from gabacare.clinical.regimen import parse_regimen
from gabacare.knowledge import load_monograph
from gabacare.pk import (
    CrClChange,
    DialysisSession,
    DoseEvent,
    concentrations,
    default_parameters,
    parse_missed,
    regimen_doses,
    simulate_doses,
)

P = default_parameters()
REF = P.reference_crcl_ml_min
FAST = settings(max_examples=25, deadline=None, derandomize=True)

dose_lists = st.lists(st.tuples(st.floats(0, 72, allow_nan=False), st.floats(0, 2400, allow_nan=False)),
                      min_size=1, max_size=8)
crcls = st.floats(1, 150)


def _half_life_from_curve(t0: float, t1: float, c: np.ndarray) -> float:
    return (t1 - t0) * math.log(2) / math.log(c[0] / c[1])


def test_matches_a_numerical_integration_of_the_same_model() -> None:
    integrate = pytest.importorskip("scipy.integrate")
    doses = [(7.0, 300.0), (14.5, 600.0), (14.5, 300.0), (30.2, 1200.0)]
    t = np.arange(0.0, 48.0, 0.5)
    ours = concentrations(doses, t, crcl=45.0)
    ke, ka = float(P.ke_per_h(45.0)), P.ka_per_h
    # integrate piecewise between doses, adding each dose's absorbed amount to the gut
    state, ref = np.zeros(2), np.zeros(t.size)
    edges = sorted({0.0, 48.0, *(when for when, _ in doses)})
    for lo, hi in itertools.pairwise(edges):
        state[0] += sum(float(P.absorbed_mg(mg)) for when, mg in doses if when == lo)
        inside = (t > lo) & (t < hi)
        sol = integrate.solve_ivp(lambda _t, y: [-ka * y[0], ka * y[0] - ke * y[1]], (lo, hi), state,
                                  t_eval=np.append(t[inside], hi), rtol=1e-12, atol=1e-12, method="DOP853")
        ref[inside] = sol.y[1, :-1] / P.volume_l
        state = sol.y[:, -1].copy()
        ref[t == hi] = state[1] / P.volume_l
    np.testing.assert_allclose(ours, ref, rtol=1e-7, atol=1e-10)


@FAST
@given(doses=dose_lists, crcl=crcls)
def test_superposition_twice_the_dose_gives_twice_the_curve(doses: list[tuple[float, float]], crcl: float) -> None:
    t = np.arange(0.0, 96.0, 1.5)
    once = concentrations(doses, t, crcl=crcl, bioavailability=0.5)
    twice = concentrations([(when, 2 * mg) for when, mg in doses], t, crcl=crcl, bioavailability=0.5)
    np.testing.assert_allclose(twice, 2 * once, rtol=1e-12, atol=1e-15)


@FAST
@given(doses=dose_lists, crcl=crcls)
def test_superposition_the_curve_of_all_doses_is_the_sum_of_each(doses: list[tuple[float, float]],
                                                                   crcl: float) -> None:
    t = np.arange(0.0, 96.0, 2.0)
    together = concentrations(doses, t, crcl=crcl, bioavailability=0.4)
    apart = sum(concentrations([d], t, crcl=crcl, bioavailability=0.4) for d in doses)
    np.testing.assert_allclose(together, apart, rtol=1e-9, atol=1e-12)


@FAST
@given(doses=dose_lists, crcl=crcls, hd=st.booleans())
def test_concentration_is_never_negative(doses: list[tuple[float, float]], crcl: float, hd: bool) -> None:
    c = concentrations(doses, np.arange(0.0, 100.0, 0.7), crcl=crcl, dialysis=[(20.0, 24.0)] if hd else ())
    assert np.all(c >= 0)


def test_label_bioavailability_is_saturable_so_doubling_the_dose_less_than_doubles_exposure() -> None:
    t = np.arange(0.0, 48.0, 1.0)
    c300 = concentrations([(0.0, 300.0)], t, crcl=REF)
    c600 = concentrations([(0.0, 600.0)], t, crcl=REF)
    assert c300.sum() < c600.sum() < 2 * c300.sum()


def test_the_output_step_does_not_change_the_values() -> None:
    doses = regimen_doses(parse_regimen("300-300-600"), 3)
    hourly = simulate_doses(doses, crcl=60, step_h=1.0)
    fine = simulate_doses(doses, crcl=60, step_h=0.25)
    np.testing.assert_allclose(fine.c_mg_per_l[::4], hourly.c_mg_per_l, rtol=1e-12)


def test_steady_state_is_reached_after_about_five_half_lives() -> None:
    half_life = float(P.half_life_h(REF))
    days = 10
    sim = simulate_doses(regimen_doses(parse_regimen("300 mg TID"), days), crcl=REF)
    t, c = sim.t_h, sim.c_mg_per_l
    final_trough = c[(t > (days - 1) * 24) & (t <= days * 24)].min()
    at_five = c[(t > 24) & (t >= 5 * half_life)][:24].min()
    early = c[(t > 7) & (t <= 24)].min()
    assert early < 0.9 * final_trough
    assert at_five == pytest.approx(final_trough, rel=0.06)
    later = [c[(t > d * 24) & (t <= (d + 1) * 24)].max() for d in range(3, days)]
    np.testing.assert_allclose(later, later[-1], rtol=2e-3)


def test_a_missed_dose_lowers_the_trough() -> None:
    reg = parse_regimen("300 mg TID")
    full = simulate_doses(regimen_doses(reg, 3), crcl=REF)
    missed = simulate_doses(regimen_doses(reg, 3, parse_missed(["day2@14:00"], reg, 3)), crcl=REF)
    window = (full.t_h > 30) & (full.t_h <= 48)
    assert missed.c_mg_per_l[window].min() < 0.8 * full.c_mg_per_l[window].min()
    before = full.t_h <= 38
    np.testing.assert_array_equal(missed.c_mg_per_l[before], full.c_mg_per_l[before])


def test_a_late_and_a_double_dose_shift_and_raise_the_curve() -> None:
    base = [(7.0, 300.0), (14.0, 300.0), (21.0, 300.0)]
    t = np.arange(0.0, 30.0, 0.25)
    c = concentrations(base, t, crcl=REF)
    late = concentrations([(7.0, 300.0), (17.0, 300.0), (21.0, 300.0)], t, crcl=REF)
    double = concentrations([(7.0, 300.0), (14.0, 300.0), (14.0, 300.0), (21.0, 300.0)], t, crcl=REF)
    assert late[(t > 14) & (t < 17)].max() < c[(t > 14) & (t < 17)].max()
    assert double.max() > c.max()


@pytest.mark.parametrize("crcl", [10.0, 30.0, 60.0, 100.0, 140.0])
def test_the_half_life_scales_with_kidney_function(crcl: float) -> None:
    c = concentrations([(0.0, 300.0)], [48.0, 72.0], crcl=crcl)
    measured = _half_life_from_curve(48.0, 72.0, c)
    expected = math.log(2) * P.volume_l / float(P.clearance_l_per_h(crcl))
    assert measured == pytest.approx(expected, rel=1e-3)


def test_lower_crcl_means_longer_half_life_and_higher_exposure() -> None:
    t = np.arange(0.0, 72.0, 1.0)
    auc = [concentrations([(0.0, 300.0)], t, crcl=c).sum() for c in (120.0, 60.0, 30.0, 15.0)]
    assert auc == sorted(auc)
    lives = [float(P.half_life_h(c)) for c in (120.0, 60.0, 30.0, 15.0)]
    assert lives == sorted(lives)


def test_hemodialysis_shortens_the_half_life_during_sessions_only() -> None:
    session = load_monograph().renal.hemodialysis_session_h
    on = 48.0
    t = np.array([on - session, on, on + session, on + 2 * session])
    c = concentrations([(0.0, 300.0)], t, crcl=10.0, dialysis=[DialysisSession(on, on + session)])
    before = _half_life_from_curve(t[0], t[1], c[:2])
    during = _half_life_from_curve(t[1], t[2], c[1:3])
    after = _half_life_from_curve(t[2], t[3], c[2:])
    assert during < 5.0 < before
    assert before == pytest.approx(after, rel=1e-3)
    expected = math.log(2) * P.volume_l / float(P.clearance_l_per_h(10.0, dialysis=True))
    assert during == pytest.approx(expected, rel=1e-3)


def test_crcl_can_change_over_time() -> None:
    t = np.array([24.0, 48.0, 72.0, 96.0])
    c = concentrations([(0.0, 300.0)], t, crcl=[CrClChange(0.0, 100.0), CrClChange(48.0, 20.0)])
    assert _half_life_from_curve(24, 48, c[:2]) == pytest.approx(float(P.half_life_h(100.0)), rel=1e-3)
    assert _half_life_from_curve(72, 96, c[2:]) == pytest.approx(float(P.half_life_h(20.0)), rel=1e-3)


def test_the_summary_covers_the_last_dosing_day() -> None:
    sim = simulate_doses(regimen_doses(parse_regimen("300 mg TID"), 3), crcl=REF)
    s = sim.summary
    assert (s.window_start_h, s.window_end_h) == (48.0, 72.0)
    assert s.cmin_mg_per_l <= s.cavg_mg_per_l <= s.cmax_mg_per_l
    assert s.cmax_mg_per_l >= sim.c_mg_per_l[sim.t_h >= 48].max()
    assert 0 < s.tmax_h < 8
    assert s.half_life_h == pytest.approx(float(P.half_life_h(REF)))


def test_a_single_evening_dose_gives_times_from_midnight_and_from_the_dose() -> None:
    sim = simulate_doses([(21.0, 400.0)], crcl=REF, end_h=48.0)
    after = sim.t_after_dose_h
    assert np.isnan(after[sim.t_h < 21.0]).all()
    assert np.allclose(after[sim.t_h >= 21.0], sim.t_h[sim.t_h >= 21.0] - 21.0)
    s = sim.summary
    assert s.peak_dose_at_h == 21.0
    assert s.tmax_after_dose_h == s.tmax_h == pytest.approx(s.peak_at_h - 21.0)
    out = sim.to_json()
    curve = out["curve"]
    assert len(curve["t_after_dose_h"]) == len(curve["t_h"]) == len(curve["c_mg_per_l"])
    eight = curve["t_after_dose_h"].index(8.0)
    assert (curve["t_h"][eight], curve["t_after_dose_h"][:21]) == (29.0, [None] * 21)
    assert out["summary"]["tmax_after_dose_h"] == out["summary"]["tmax_h"]
    assert out["summary"]["peak_dose_at_h"] == 21.0


def test_time_after_dose_restarts_at_each_dose_taken_and_ignores_skipped_ones() -> None:
    sim = simulate_doses([(8.0, 300.0), (14.0, 0.0), (20.0, 300.0)], crcl=REF, step_h=1.0 / 60.0)
    after = dict(zip(np.round(sim.t_h, 6), sim.t_after_dose_h, strict=True))
    assert after[8.0] == 0.0 and after[16.0] == pytest.approx(8.0)  # the 14:00 dose was skipped (0 mg)
    assert after[20.0] == 0.0 and after[23.5] == pytest.approx(3.5)


def test_doses_before_the_start_still_count() -> None:
    sim = simulate_doses([(-5.0, 600.0)], crcl=REF, start_h=0.0, end_h=24.0)
    assert sim.c_mg_per_l[0] > 0


def test_numpy_and_numba_paths_give_the_same_numbers() -> None:
    pytest.importorskip("numba")
    doses = [(7.0 + 8 * i + (i % 3) * 0.4, 300.0 * (1 + i % 2)) for i in range(20)]
    t = np.arange(0.0, 200.0, 0.5)
    a = concentrations(doses, t, crcl=35.0, dialysis=[(50.0, 54.0)], engine="numpy")
    b = concentrations(doses, t, crcl=35.0, dialysis=[(50.0, 54.0)], engine="numba")
    np.testing.assert_array_equal(a, b)


@FAST
@given(doses=st.lists(st.tuples(st.floats(0, 30, allow_nan=False), st.sampled_from([0.0, 100.0, 600.0])),
                      min_size=1, max_size=12))
def test_numba_matches_numpy_for_any_schedule_with_skipped_and_clustered_doses(
        doses: list[tuple[float, float]]) -> None:
    pytest.importorskip("numba")
    t = np.arange(0.0, 36.0, 1.0)
    a = concentrations(doses, t, crcl=50.0, engine="numpy")
    b = concentrations(doses, t, crcl=50.0, engine="numba")
    np.testing.assert_array_equal(a, b)


def test_a_skipped_dose_between_two_in_the_same_hour_does_not_hide_the_second() -> None:
    pytest.importorskip("numba")
    doses = [(5.2, 300.0), (5.4, 0.0), (5.6, 300.0)]
    t = np.arange(0.0, 12.0)
    both = concentrations([(5.2, 300.0), (5.6, 300.0)], t, crcl=80.0, engine="numpy")
    for engine in ("numpy", "numba"):
        np.testing.assert_array_equal(concentrations(doses, t, crcl=80.0, engine=engine), both)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: DoseEvent(1.0, -300.0), "negative"),
        (lambda: simulate_doses([(0.0, 300.0)], crcl=0.0), "above 0"),
        (lambda: simulate_doses([(0.0, 300.0)], crcl=-10.0), "above 0"),
        (lambda: simulate_doses([(0.0, 300.0)], crcl=60.0, end_h=3651 * 24.0), "at most 3650 days"),
        (lambda: regimen_doses(parse_regimen("300 mg TID"), 3651), "1 to 3650"),
        (lambda: regimen_doses(parse_regimen("300 mg TID"), 0), "1 to 3650"),
        (lambda: simulate_doses([(0.0, 300.0)], crcl=60.0, step_h=0.0), "more than 0"),
        (lambda: simulate_doses([(0.0, 300.0)], crcl=60.0, step_h=-1.0), "more than 0"),
        (lambda: simulate_doses([(0.0, float("nan"))], crcl=60.0), "finite"),
        (lambda: simulate_doses([(0.0, 300.0)], crcl=60.0, dialysis=[(5.0, 2.0)]), "end after"),
        (lambda: simulate_doses([(0.0, 300.0)], crcl=60.0, dialysis=[(1, 5), (4, 8)]), "overlap"),
        (lambda: concentrations([(0.0, 300.0)], [0.0, 1.0], crcl=60.0, bioavailability=1.5), "at most 1"),
        (lambda: regimen_doses(parse_regimen("300 mg TID"), 2, [7]), "numbered 1 to 6"),
        (lambda: parse_missed(["day9@07:00"], parse_regimen("300 mg TID"), 2), "no dose is scheduled"),
        (lambda: parse_missed(["yesterday"], parse_regimen("300 mg TID"), 2), "cannot read"),
    ],
)
def test_bad_input_is_rejected_with_one_clear_sentence(call: object, message: str) -> None:
    with pytest.raises(ClinicalInputError, match=message) as info:
        call()  # type: ignore[operator]
    assert "\n" not in str(info.value)
