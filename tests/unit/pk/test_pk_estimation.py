"""MAP estimation from measured levels (gabacare.pk.estimation, issue 17): real behaviour.

* the population model comes from the knowledge base with its sources;
* rich, noise-free data recover known parameters; a level equal to the population prediction leaves
  the patient at the population; more levels narrow the interval;
* the MAP point is the mode of a brute-force grid posterior computed here independently;
* regimen predictions, the chooser's rule and the input errors;
* properties (hypothesis): the interval holds the point; the predicted trough rises with the dose.
"""

from __future__ import annotations

import dataclasses
import doctest
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gabacare.clinical.errors import ClinicalInputError
from gabacare.knowledge import load_monograph
from gabacare.pk import estimation
from gabacare.pk.estimation import (
    EstimationInputError,
    Level,
    Regimen,
    TargetRange,
    choose,
    estimate,
    level_from_umol_per_l,
    population_model,
    predict_regimens,
)
from gabacare.pk.parameters import default_parameters

FAST = settings(max_examples=20, deadline=None, derandomize=True)


def tid(days: int, mg: float = 300.0) -> list[tuple[float, float]]:
    """``mg`` every 8 h from t = 8 h for ``days`` days."""
    return [(8.0 + 8.0 * i, mg) for i in range(3 * days)]


def model_conc(doses: list[tuple[float, float]], t: np.ndarray, cl: float, v: float, ka: float) -> np.ndarray:
    """An independent superposition of one-compartment doses (the test's own implementation)."""
    p = default_parameters()
    ke = cl / v
    out = np.zeros_like(t, dtype=float)
    for td, mg in doses:
        dt = t - td
        a = float(p.absorbed_mg(mg))
        on = dt > 0
        out[on] += a * ka / (v * (ka - ke)) * (np.exp(-ke * dt[on]) - np.exp(-ka * dt[on]))
    return out


# --- the model from the knowledge base --------------------------------------------------------------

def test_population_model_is_the_simulators_typical_patient_with_cited_variability():
    m = population_model()
    p = default_parameters()
    typ = m.typical(100.0)
    assert typ.v_l == p.volume_l and typ.ka_per_h == p.ka_per_h
    assert typ.half_life_h == pytest.approx(6.5, rel=1e-9)  # label §12.3 at the reference CrCl
    assert m.typical(30.0).cl_l_per_h < typ.cl_l_per_h
    pop = load_monograph().pk_population
    assert pop is not None
    assert m.omega[0] == pytest.approx(math.log1p(pop.omega_cv_clearance ** 2))
    assert m.residual_sd == pytest.approx(math.sqrt(math.log1p(pop.residual_cv ** 2)))
    sources = {c.source for c in m.citations}
    assert {"label", "gidal-2000", "va428-2017", "gabacare-policy"} <= sources
    assert (m.target.low_mg_per_l, m.target.high_mg_per_l) == (2.0, 20.0)
    assert {c.source for c in m.target.citations} >= {"patsalos-2008", "arup-gabapentin"}


def test_umol_per_l_converts_with_the_molar_mass():
    lv = level_from_umol_per_l(10.0, 100.0)
    assert lv.mg_per_l == pytest.approx(100.0 * population_model().molar_mass_g_per_mol / 1000.0)
    assert lv.time_h == 10.0


# --- estimation behaviour ---------------------------------------------------------------------------

def test_noise_free_rich_data_recover_known_parameters():
    m = dataclasses.replace(population_model(), residual_sd=0.005)  # a near-exact assay
    crcl = 80.0
    typ = m.typical(crcl)
    true = m.individual(crcl, (0.35, -0.1, 0.2))
    doses = tid(5)
    t = np.array([112.5, 113.0, 114.0, 115.0, 117.0, 119.0, 120.5, 121.5, 123.0, 127.5])
    c = model_conc(doses, t, true.cl_l_per_h, true.v_l, true.ka_per_h)
    est = estimate(doses, list(zip(t.tolist(), c.tolist(), strict=True)), crcl_ml_min=crcl, model=m)
    assert est.converged
    assert est.population == typ
    assert est.individual.cl_l_per_h == pytest.approx(true.cl_l_per_h, rel=0.01)
    assert est.individual.v_l == pytest.approx(true.v_l, rel=0.03)
    assert est.individual.ka_per_h == pytest.approx(true.ka_per_h, rel=0.05)
    for pr in est.predictions:
        assert pr.individual_mg_per_l == pytest.approx(pr.measured_mg_per_l, rel=0.01)


def test_a_level_equal_to_the_population_prediction_leaves_the_population_values():
    doses = tid(7)
    t = 175.5
    m = population_model()
    typ = m.typical(60.0)
    c = float(model_conc(doses, np.array([t]), typ.cl_l_per_h, typ.v_l, typ.ka_per_h)[0])
    est = estimate(doses, [Level(t, c)], crcl_ml_min=60.0)
    assert np.allclose(est.eta, 0.0, atol=1e-6)
    assert est.individual.cl_l_per_h == pytest.approx(typ.cl_l_per_h, rel=1e-6)
    assert est.predictions[0].population_mg_per_l == pytest.approx(c, rel=1e-9)


def test_a_high_level_lowers_clearance_and_a_low_level_raises_it():
    doses = tid(7)
    typ = population_model().typical(100.0)
    c = float(model_conc(doses, np.array([175.5]), typ.cl_l_per_h, typ.v_l, typ.ka_per_h)[0])
    high = estimate(doses, [(175.5, 2.0 * c)], crcl_ml_min=100.0)
    low = estimate(doses, [(175.5, 0.5 * c)], crcl_ml_min=100.0)
    assert high.individual.cl_l_per_h < typ.cl_l_per_h < low.individual.cl_l_per_h
    # shrinkage: with one level the individual prediction lies between the population and the measurement
    p = high.predictions[0]
    assert p.population_mg_per_l < p.individual_mg_per_l < p.measured_mg_per_l


def test_more_levels_narrow_the_clearance_interval():
    doses = tid(7)
    one = estimate(doses, [(175.5, 4.0)], crcl_ml_min=70.0)
    three = estimate(doses, [(159.5, 4.1), (167.5, 3.9), (175.5, 4.0)], crcl_ml_min=70.0)
    w1 = one.cl_interval[1] / one.cl_interval[0]
    w3 = three.cl_interval[1] / three.cl_interval[0]
    assert w3 < w1
    assert one.interval_probability == pytest.approx(0.90)
    # with no level at all the interval would be the prior's: one level already narrows it
    m = population_model()
    z = 1.6448536269514722
    prior_ratio = math.exp(2 * z * math.sqrt(m.omega[0]))
    assert w1 < prior_ratio


def test_missed_doses_change_the_estimate_as_they_should():
    full = tid(7)
    missed = [d for i, d in enumerate(full) if i not in (18, 19)]  # two doses before the level missed
    a = estimate(full, [(175.5, 3.0)], crcl_ml_min=100.0)
    b = estimate(missed, [(175.5, 3.0)], crcl_ml_min=100.0)
    # the same level after fewer doses means a slower clearance
    assert b.individual.cl_l_per_h < a.individual.cl_l_per_h
    assert b.predictions[0].population_mg_per_l < a.predictions[0].population_mg_per_l


def test_map_is_the_mode_of_a_brute_force_grid_posterior():
    m = population_model()
    crcl = 50.0
    doses = tid(6)
    levels = [(151.5, 6.5), (155.0, 9.0)]
    est = estimate(doses, levels, crcl_ml_min=crcl)
    typ = m.typical(crcl)
    sd = np.sqrt(np.array(m.omega))

    def log_post(e: np.ndarray) -> np.ndarray:
        out = np.empty(len(e))
        t = np.array([lv[0] for lv in levels])
        y = np.log(np.array([lv[1] for lv in levels]))
        for k, (a, b, c) in enumerate(e):
            f = model_conc(doses, t, typ.cl_l_per_h * math.exp(a), typ.v_l * math.exp(b), typ.ka_per_h * math.exp(c))
            out[k] = -0.5 * np.sum(((y - np.log(f)) / m.residual_sd) ** 2) - 0.5 * np.sum((np.array([a, b, c]) / sd) ** 2)
        return out

    # coarse grid over ±3 SD, then a fine grid around its best point
    centre = np.zeros(3)
    span = 3.0 * sd
    for _ in range(3):
        axes = [np.linspace(c - s, c + s, 13) for c, s in zip(centre, span, strict=True)]
        pts = np.array(np.meshgrid(*axes, indexing="ij")).reshape(3, -1).T
        centre = pts[np.argmax(log_post(pts))]
        span = span / 6.0 * 1.5
    assert np.allclose(est.eta, centre, atol=float(np.max(span)))
    assert est.eta[0] == pytest.approx(centre[0], abs=0.01)


# --- regimens and the chooser -----------------------------------------------------------------------

def test_regimen_predictions_and_intervals():
    est = estimate(tid(7), [(175.5, 3.0)], crcl_ml_min=90.0)
    preds = predict_regimens(est, [(3, 300.0), Regimen((8.0, 14.0, 22.0), (300.0, 300.0, 600.0)), (2, 600.0)])
    assert [p.daily_mg for p in preds] == [900.0, 1200.0, 1200.0]
    for p in preds:
        assert p.trough_interval[0] < p.trough_mg_per_l < p.trough_interval[1]
        assert p.peak_interval[0] < p.peak_mg_per_l < p.peak_interval[1]
        assert p.trough_mg_per_l < p.peak_mg_per_l
        assert p.in_range == p.target.contains(p.trough_mg_per_l)
    # the same inputs give the same intervals (seeded draws)
    again = predict_regimens(est, [(3, 300.0)])
    assert again[0].trough_interval == preds[0].trough_interval
    # the steady-state trough matches a long simulation of the individual model at the mode
    ind = est.individual
    long = [(8.0 * i, 300.0) for i in range(3 * 30)]
    c = model_conc(long, np.array([8.0 * 89 - 1e-9]), ind.cl_l_per_h, ind.v_l, ind.ka_per_h)[0]
    assert preds[0].trough_mg_per_l == pytest.approx(float(c), rel=1e-3)


def _fake(trough: float, daily: float, n: int = 3) -> estimation.RegimenPrediction:
    target = population_model().target
    return estimation.RegimenPrediction(
        regimen=Regimen.evenly(n, daily / n), trough_mg_per_l=trough, peak_mg_per_l=trough * 2,
        trough_interval=(trough / 2, trough * 2), peak_interval=(trough, trough * 4), interval_probability=0.9,
        in_range=target.contains(trough), target=target, citations=())


def test_choose_takes_the_in_range_trough_closest_to_the_geometric_middle():
    middle = math.sqrt(2.0 * 20.0)  # 6.32 mg/L
    cands = [_fake(1.5, 600), _fake(4.0, 900), _fake(7.0, 1200), _fake(25.0, 3600)]
    picked = choose(cands)
    assert picked is cands[2]  # |ln(7/6.32)| < |ln(4/6.32)|
    assert abs(math.log(7.0 / middle)) < abs(math.log(4.0 / middle))
    # ties go to the smaller daily dose
    tie = [_fake(middle * 1.1, 1800), _fake(middle / 1.1, 1200)]
    assert choose(tie) is tie[1]
    # nothing in range: no proposal (never a regimen outside the range or outside the candidates)
    assert choose([_fake(1.0, 300), _fake(30.0, 3600)]) is None
    assert choose([]) is None
    narrow = TargetRange(8.0, 10.0, "trough", ())
    assert choose(cands, narrow) is None


# --- errors -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("doses", "levels", "needle"),
    [
        (tid(2), [], "no measured level"),
        (tid(2), [(4.0, 2.0)], "before any dose"),
        (tid(2), [(8.0, 2.0)], "before any dose"),
        ([(8.0, 0.0)], [(10.0, 2.0)], "no dose taken"),
        (tid(2), [(20.0, -1.0)], "above 0"),
        (tid(2), [(20.0, 0.0)], "above 0"),
        (tid(2), [(float("nan"), 2.0)], "finite"),
        (tid(2), [(20.0, float("inf"))], "finite"),
        ([(8.0, -300.0)], [(20.0, 2.0)], "negative"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error(doses, levels, needle):
    with pytest.raises(EstimationInputError, match=needle):
        estimate(doses, levels, crcl_ml_min=80.0)


def test_errors_belong_to_the_clinical_input_branch():
    assert issubclass(EstimationInputError, ClinicalInputError)
    with pytest.raises(ClinicalInputError):
        estimate(tid(2), [(20.0, 2.0)], crcl_ml_min=-5.0)
    est = estimate(tid(2), [(20.0, 2.0)], crcl_ml_min=80.0)
    with pytest.raises(EstimationInputError):
        predict_regimens(est, [])
    with pytest.raises(EstimationInputError):
        Regimen((8.0, 8.0), (300.0, 300.0))
    with pytest.raises(EstimationInputError):
        Regimen((25.0,), (300.0,))
    with pytest.raises(EstimationInputError):
        Regimen((8.0,), (0.0,))
    with pytest.raises(EstimationInputError):
        Regimen.evenly(0, 300.0)


def test_docstring_examples_run():
    failures, _ = doctest.testmod(estimation, optionflags=doctest.ELLIPSIS)
    assert failures == 0


# --- properties -------------------------------------------------------------------------------------

@FAST
@given(crcl=st.floats(15.0, 150.0), mg=st.sampled_from([100.0, 300.0, 400.0, 600.0, 800.0]),
       ratio=st.floats(0.2, 5.0), hours_before=st.floats(0.5, 7.5))
def test_the_interval_holds_the_point_estimate(crcl, mg, ratio, hours_before):
    doses = tid(5, mg)
    t = doses[-1][0] + 8.0 - hours_before
    typ = population_model().typical(crcl)
    c = float(model_conc(doses, np.array([t]), typ.cl_l_per_h, typ.v_l, typ.ka_per_h)[0])
    est = estimate(doses, [(t, c * ratio)], crcl_ml_min=crcl)
    lo, hi = est.cl_interval
    assert lo < est.individual.cl_l_per_h < hi
    assert np.all(np.linalg.eigvalsh(np.array(est.covariance)) > 0)
    # direction: a level above the population prediction never raises clearance, and vice versa
    if ratio > 1.0:
        assert est.individual.cl_l_per_h <= est.population.cl_l_per_h * (1 + 1e-9)
    else:
        assert est.individual.cl_l_per_h >= est.population.cl_l_per_h * (1 - 1e-9)


@FAST
@given(crcl=st.floats(15.0, 150.0), n=st.sampled_from([1, 2, 3]),
       doses=st.lists(st.sampled_from([100.0, 200.0, 300.0, 400.0, 600.0, 800.0, 1200.0]), min_size=2, max_size=2,
                      unique=True))
def test_the_predicted_trough_rises_with_the_dose(crcl, n, doses):
    est = estimate(tid(3), [(70.0, 3.0)], crcl_ml_min=crcl)
    small, big = sorted(doses)
    a, b = predict_regimens(est, [(n, small), (n, big)])
    assert a.trough_mg_per_l < b.trough_mg_per_l
    assert a.peak_mg_per_l < b.peak_mg_per_l
