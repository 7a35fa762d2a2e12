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


# --- streaming summaries: histogram percentiles, their error bound, and independence of the grouping --------

def _bound_holds(approx: np.ndarray, exact: np.ndarray, relative: float, absolute: float) -> bool:
    return bool(np.all(np.abs(approx - exact) <= relative * exact + absolute))


def test_histogram_percentiles_stay_within_the_documented_bound_of_numpy_percentile() -> None:
    """The same patients (same seed) summarised exactly and by histograms: every percentile at every
    hour is within ``relative · q + absolute`` of ``np.percentile``, and the bound is the KB's."""
    from gabacare.knowledge import load_monograph

    pk = load_monograph().pk
    args: dict[str, object] = dict(n=20000, end_h=72.0, seed=11, threshold_mg_per_l=4.0, dialysis=[(30.0, 34.0)])
    exact = _run(quantiles="exact", **args)
    hist = _run(quantiles="histogram", **args)
    bound = hist.quantile_error  # type: ignore[attr-defined]
    assert exact.quantile_error.method == "exact"  # type: ignore[attr-defined]
    assert bound.method == "histogram"
    assert bound.relative == pytest.approx(1.0 / pk.population_histogram_bins_per_octave)
    assert bound.absolute_mg_per_l <= pk.population_histogram_floor_mg_per_l
    assert bound.ceiling_mg_per_l >= pk.population_histogram_ceiling_mg_per_l
    worst = 0.0
    for name in ("p5", "p50", "p95"):
        a, e = getattr(hist, name), getattr(exact, name)
        assert _bound_holds(a, e, bound.relative, bound.absolute_mg_per_l), name
        positive = e > 0
        worst = max(worst, float(np.max(np.abs(a[positive] / e[positive] - 1))))
    assert worst < bound.relative  # within one bin everywhere (typically far less: interpolation)
    np.testing.assert_array_equal(hist.share_above, exact.share_above)  # type: ignore[attr-defined]
    np.testing.assert_allclose(hist.mean, exact.mean, rtol=1e-12)  # type: ignore[attr-defined]
    assert hist.p50[0] == exact.p50[0] == 0.0  # type: ignore[attr-defined]  # before the first dose


def test_histogram_percentiles_of_awkward_samples_keep_the_bound() -> None:
    """Ties, values below the floor, above the ceiling and a single patient, read back from the histogram."""
    from gabacare.pk.population import HistogramBins, histogram_percentiles, reduce_numpy

    bins = HistogramBins.covering(1e-6, 1000.0, 256)
    rng = np.random.default_rng(5)
    rows = [rng.lognormal(0.0, 2.0, 999), np.full(999, 3.0), np.r_[np.zeros(500), rng.uniform(1, 2, 499)],
            rng.uniform(0, 2e-6, 999), np.r_[rng.uniform(1, 5, 989), np.full(10, 5000.0)]]
    block = np.array(rows)
    counts = np.zeros((len(rows), bins.nb + 2), dtype=np.int64)
    above = np.zeros(len(rows), dtype=np.int64)
    low, high = np.full(len(rows), np.inf), np.full(len(rows), -np.inf)
    reduce_numpy(block, 0, bins, 2.5, counts, above, low, high)
    q = (5.0, 50.0, 95.0, 0.0, 100.0)
    est = histogram_percentiles(counts, low, high, bins, q)
    exact = np.percentile(block, q, axis=1)
    assert _bound_holds(est[:, :4], exact[:, :4], bins.relative_width, bins.floor)
    # above the ceiling there is no bound (the last row's maximum is), but it holds below it
    assert _bound_holds(est[:3, 4], exact[:3, 4], bins.relative_width, bins.floor)
    np.testing.assert_array_equal(est[:, 1], 3.0)  # all equal: exact
    np.testing.assert_array_equal(est[3], block.min(axis=1))
    np.testing.assert_array_equal(est[4], block.max(axis=1))
    np.testing.assert_array_equal(above, (block > 2.5).sum(axis=1))
    one = np.zeros((1, bins.nb + 2), dtype=np.int64)
    lo1, hi1 = np.full(1, np.inf), np.full(1, -np.inf)
    reduce_numpy(np.array([[0.7]]), 0, bins, np.inf, one, np.zeros(1, dtype=np.int64), lo1, hi1)
    assert histogram_percentiles(one, lo1, hi1, bins, (5.0, 95.0)).tolist() == [[0.7], [0.7]]


def test_histogram_bins_are_exact_binary_edges_and_numba_counts_what_numpy_counts() -> None:
    from gabacare.pk.population import HistogramBins, reduce_numpy

    bins = HistogramBins.covering(1e-6, 1000.0, 256)
    edges = bins.edges()
    assert edges[0] == bins.floor <= 1e-6 and edges[-1] == bins.ceiling >= 1000.0
    assert np.max(np.diff(edges) / edges[:-1]) == bins.relative_width
    width = bins.nb + 2
    counts = np.zeros((1, width), dtype=np.int64)
    reduce_numpy(edges[None, :-1], 0, bins, np.inf, counts, np.zeros(1, dtype=np.int64), np.full(1, np.inf),
                 np.full(1, -np.inf))
    np.testing.assert_array_equal(counts[0, 1:-1], 1)  # each edge opens its own bin
    with pytest.raises(ValueError, match="power of two"):
        HistogramBins.covering(1e-6, 1000.0, 100)
    pytest.importorskip("numba")
    from gabacare.pk._summary_kernel import reduce_numba

    rng = np.random.default_rng(2)
    block = np.r_[rng.lognormal(0, 3, (40, 300)), np.zeros((1, 300)), np.full((1, 300), 2e4)][:, 13:]
    out = []
    for reduce in (reduce_numpy, reduce_numba):
        c = np.zeros((block.shape[0] + 2, width), dtype=np.int32)
        a = np.zeros(block.shape[0] + 2, dtype=np.int64)
        lo, hi = np.full(block.shape[0] + 2, np.inf), np.full(block.shape[0] + 2, -np.inf)
        reduce(block, 2, bins, 1.5, c, a, lo, hi)
        out.append((c, a, lo, hi))
    for x, y in zip(*out, strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("quantiles", ["exact", "histogram"])
def test_streamed_results_do_not_depend_on_workers_or_the_grouping_of_chunks(quantiles: str) -> None:
    from gabacare.pk.population import summarise_chunks

    args: dict[str, object] = dict(n=9000, seed=4, quantiles=quantiles, engine="numba")
    pytest.importorskip("numba")
    one = _run(workers=1, **args)  # 5 chunks in one task
    three = _run(workers=3, memory_budget_mb=0, **args)  # tasks of 2 chunks on 3 threads, one sample per window

    def runner(task, plan, ranges):  # type: ignore[no-untyped-def]
        # the tasks computed out of order (a cluster finishes them in any order)
        done = {r: task(plan, *r) for r in reversed(ranges)}
        return (done[r] for r in ranges)

    custom = _run(runner=runner, **args)
    assert summarise_chunks.__module__ == "gabacare.pk.population"
    for other in (three, custom):
        for name in ("p5", "p50", "p95", "mean", "share_above"):
            np.testing.assert_array_equal(getattr(one, name), getattr(other, name))


def test_a_run_longer_than_one_summary_is_summarised_span_by_span() -> None:
    """60 days hourly is more sample times than one histogram summary holds (KB budget): the spans,
    each re-simulated from the start, join into one run within the bound of the exact percentiles."""
    from gabacare.knowledge import load_monograph

    pk = load_monograph().pk
    doses = regimen_doses(parse_regimen("300 mg TID"), 60)
    bins_plus_two = 30 * pk.population_histogram_bins_per_octave + 2
    assert pk.population_summary_max_mb * 2**20 // (8 * bins_plus_two) < 60 * 24 + 1  # really more than one span
    args: dict[str, object] = dict(n=1500, crcl=DIST, end_h=60 * 24.0, seed=2, threshold_mg_per_l=3.0)
    exact = simulate_population(doses, quantiles="exact", **args)  # type: ignore[arg-type]
    hist = simulate_population(doses, quantiles="histogram", **args)  # type: ignore[arg-type]
    b = hist.quantile_error
    for name in ("p5", "p50", "p95"):
        assert _bound_holds(getattr(hist, name), getattr(exact, name), b.relative, b.absolute_mg_per_l), name
    np.testing.assert_array_equal(hist.share_above, exact.share_above)  # type: ignore[arg-type]
    np.testing.assert_allclose(hist.mean, exact.mean, rtol=1e-12)


def test_a_run_too_large_to_summarise_exactly_is_refused() -> None:
    with pytest.raises(ClinicalInputError, match="too much to summarise"):
        simulate_population(DOSES, n=10_000_000, crcl=DIST, end_h=3650 * 24.0, step_h=0.25, quantiles="exact")
