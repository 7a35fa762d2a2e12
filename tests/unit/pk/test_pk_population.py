"""Population mode: variability, determinism, chunking/windows, percentiles and the share above a threshold."""

from __future__ import annotations

import numpy as np
import pytest

from gabacare.clinical.errors import ClinicalInputError
from gabacare.clinical.regimen import parse_regimen
from gabacare.pk import CrClDistribution, default_parameters, draw_patients, regimen_doses, simulate_population
from gabacare.pk.population import simulate_matrix

DOSES = regimen_doses(parse_regimen("300 mg TID"), 3)
DIST = CrClDistribution.normal(70.0, 25.0)


def _run(**kw: object) -> object:
    args: dict[str, object] = dict(n=1500, crcl=DIST, end_h=72.0, seed=7, threshold_mg_per_l=3.0)
    args.update(kw)
    return simulate_population(DOSES, **args)  # type: ignore[arg-type]


def test_the_same_seed_gives_the_same_result_and_another_seed_does_not() -> None:
    a, b, c = _run(), _run(), _run(seed=8)
    np.testing.assert_array_equal(a.p50, b.p50)  # type: ignore[attr-defined]
    assert not np.array_equal(a.p50, c.p50)  # type: ignore[attr-defined]


def test_percentiles_are_ordered_and_share_is_a_fraction() -> None:
    r = _run()
    assert np.all(r.p5 <= r.p50) and np.all(r.p50 <= r.p95)  # type: ignore[attr-defined]
    assert np.all((r.share_above >= 0) & (r.share_above <= 1))  # type: ignore[attr-defined]
    assert r.p95[-1] > r.p5[-1] > 0  # type: ignore[attr-defined]


def test_the_numba_path_gives_the_same_population_summary() -> None:
    pytest.importorskip("numba")
    a = _run(engine="numpy", dialysis=[(30.0, 34.0)])
    b = _run(engine="numba", dialysis=[(30.0, 34.0)])
    c = _run(engine="numba", dialysis=[(30.0, 34.0)], memory_budget_mb=0)
    for name in ("p5", "p50", "p95", "mean"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        np.testing.assert_array_equal(getattr(b, name), getattr(c, name))


def test_time_windows_under_a_small_memory_budget_change_nothing() -> None:
    whole = _run(dialysis=[(30.0, 34.0)])
    windows = _run(dialysis=[(30.0, 34.0)], memory_budget_mb=0)  # one sample row per window
    for name in ("p5", "p50", "p95", "mean", "share_above"):
        np.testing.assert_array_equal(getattr(whole, name), getattr(windows, name))


def test_percentiles_and_share_match_the_patient_matrix() -> None:
    p = default_parameters()
    n, chunk = 3000, load_chunk()
    t = np.arange(0.0, 73.0)
    seeds = np.random.SeedSequence(3).spawn(-(-n // chunk))
    parts = [draw_patients(min(chunk, n - lo), DIST, np.random.default_rng(seeds[i]), p)
             for i, lo in enumerate(range(0, n, chunk))]
    cols = []
    for part in parts:
        times = np.array([[d.time_h for d in DOSES]])
        mg = np.array([[d.mg for d in DOSES]])
        cols.append(simulate_matrix(times, mg, t, part))
    matrix = np.concatenate(cols, axis=1)
    r = simulate_population(DOSES, n=n, crcl=DIST, end_h=72.0, seed=3, threshold_mg_per_l=4.0)
    np.testing.assert_allclose(r.p50, np.percentile(matrix, 50, axis=1))
    np.testing.assert_allclose(r.p95, np.percentile(matrix, 95, axis=1))
    np.testing.assert_allclose(r.share_above, (matrix > 4.0).mean(axis=1))


def load_chunk() -> int:
    from gabacare.knowledge import load_monograph

    return load_monograph().pk.population_chunk_patients


def test_per_patient_schedules_and_the_numba_path_agree_with_numpy() -> None:
    pytest.importorskip("numba")
    rng = np.random.default_rng(1)
    n = 700
    patients = draw_patients(n, CrClDistribution.uniform(15, 120), rng)
    times = np.sort(rng.uniform(0, 60, (n, 12)), axis=1)
    times[:, -1] = np.inf  # ragged rows are padded with inf
    mg = rng.choice([0.0, 300.0, 600.0], (n, 12))
    t = np.arange(0.0, 80.0, 0.5)
    a = simulate_matrix(times, mg, t, patients, engine="numpy", chunk=256, dialysis=[(40, 44)])
    b = simulate_matrix(times, mg, t, patients, engine="numba", chunk=300, dialysis=[(40, 44)], workers=1)
    c = simulate_matrix(times, mg, t, patients, engine="numba", chunk=64, dialysis=[(40, 44)], workers=3)
    np.testing.assert_array_equal(a, b)  # same arithmetic in the same order: bit for bit
    np.testing.assert_array_equal(b, c)
    assert np.all(a >= 0)


def test_variability_spreads_patients_and_crcl_draws_stay_plausible() -> None:
    rng = np.random.default_rng(0)
    pts = draw_patients(20000, CrClDistribution.normal(20.0, 40.0), rng)
    from gabacare.knowledge import load_monograph

    assert pts.crcl.min() >= load_monograph().pk.population_crcl_floor_ml_min
    p = default_parameters()
    assert np.median(pts.volume) == pytest.approx(p.volume_l, rel=0.02)
    assert np.std(np.log(pts.cl_scale)) == pytest.approx(np.sqrt(np.log1p(p.iiv_cv_clearance**2)), rel=0.05)
    fixed = draw_patients(10, CrClDistribution.fixed(55.0), rng)
    assert np.all(fixed.crcl == 55.0)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: _run(n=0), "number of patients"),
        (lambda: _run(threshold_mg_per_l=-1.0), "threshold"),
        (lambda: CrClDistribution.normal(0.0, 10.0), "above 0"),
        (lambda: CrClDistribution.normal(60.0, -1.0), "standard deviation"),
        (lambda: CrClDistribution.uniform(90.0, 30.0), "low to high"),
        (lambda: _run(end_h=3651 * 24.0), "at most 3650 days"),
    ],
)
def test_bad_population_input_is_rejected(call: object, message: str) -> None:
    with pytest.raises(ClinicalInputError, match=message):
        call()  # type: ignore[operator]
