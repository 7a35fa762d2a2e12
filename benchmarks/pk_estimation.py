"""Validation of MAP estimation from measured levels (gabacare.pk.estimation): a simulation–estimation study.

Virtual patients are drawn from the population model itself (knowledge base ``[pk]`` + ``[pk_population]``):

* CrCl log-normal around 70 mL/min (log-SD 0.45), kept within 15–150 mL/min;
* a regimen by kidney function (CrCl ≥ 60: 300–800 mg three times a day; 30–59: 200–400 mg twice a
  day; < 30: 200–300 mg once a day), taken for 7 days from a diary: each dose missed with
  probability 10 % and taken up to ±1 h off schedule;
* true η drawn from N(0, Ω); each level is the model's concentration × exp(ε), ε ~ N(0, σ²) (the
  model's own residual error);
* two trough levels, 30 min before the last two scheduled doses of day 7 (the first scenario uses
  only the later one).

Each patient is estimated back with one and with two levels. The table gives, against the truth:
bias (mean % error) and precision (RMSE %) of individual clearance and of the next trough (the
concentration just before the first dose of day 8, with day 8 taken as scheduled), for the
individual (MAP) and the population (η = 0) prediction, plus the share of patients whose true clearance
lies inside the 90 % interval. A second table compares the MAP point and the Laplace interval with a
brute-force grid posterior (mode, mean and 90 % interval of clearance) on a handful of patients.

Usage::

    .venv/bin/python benchmarks/pk_estimation.py            # 2,000 patients, 5 grid checks (~1 min)
    .venv/bin/python benchmarks/pk_estimation.py --quick    # 300 patients, 2 grid checks
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from gabacare.pk.estimation import Level, estimate, model_concentrations, population_model

DAYS = 7
MISSED = 0.10
JITTER_H = 1.0
TROUGH_BEFORE_H = 0.5
CRCL_MEDIAN, CRCL_LOG_SD, CRCL_MIN, CRCL_MAX = 70.0, 0.45, 15.0, 150.0
BANDS = (  # (CrCl from, doses a day, first dose clock hour, mg per dose choices)
    (60.0, 3, 7.0, (300.0, 400.0, 600.0, 800.0)),
    (30.0, 2, 8.0, (200.0, 300.0, 400.0)),
    (0.0, 1, 9.0, (200.0, 300.0)),
)


def _regimen(crcl: float, rng: np.random.Generator) -> tuple[int, float, float]:
    for floor, n, first, choices in BANDS:
        if crcl >= floor:
            return n, first, float(rng.choice(choices))
    raise AssertionError("bands cover every CrCl")


def _patient(rng: np.random.Generator, sd: np.ndarray, sigma: float) -> dict[str, object]:
    model = population_model()
    crcl = float(np.clip(CRCL_MEDIAN * math.exp(CRCL_LOG_SD * rng.standard_normal()), CRCL_MIN, CRCL_MAX))
    n, first, mg = _regimen(crcl, rng)
    gap = 24.0 / n
    scheduled = [first + gap * i for i in range(n * DAYS)]
    doses = [(t + rng.uniform(-JITTER_H, JITTER_H), mg) for t in scheduled if rng.random() >= MISSED]
    doses[0] = (scheduled[0], mg)  # the first dose is always taken (the diary starts with it)
    eta = rng.standard_normal(3) * sd
    true = model.individual(crcl, eta.tolist())
    level_t = [scheduled[-2] - TROUGH_BEFORE_H, scheduled[-1] - TROUGH_BEFORE_H]
    # doses after a level's time are still taken; the level only sees those before it
    conc = model_concentrations(true, doses, np.array(level_t))
    noisy = conc * np.exp(sigma * rng.standard_normal(len(level_t)))
    next_t = scheduled[-1] + gap  # first dose of day 8
    future = [(next_t + gap * i, mg) for i in range(n)]
    truth_next = float(model_concentrations(true, doses + future, np.array([next_t - 1e-6]))[0])
    return {"crcl": crcl, "doses": doses, "levels": [Level(t, float(c)) for t, c in zip(level_t, noisy, strict=True)],
            "true": true, "next_t": next_t, "future": future, "truth_next": truth_next}


def _stats(err: np.ndarray) -> tuple[float, float]:
    return float(np.mean(err)), float(np.sqrt(np.mean(err ** 2)))


def study(n: int, seed: int) -> None:
    model = population_model()
    sd = model.omega_sd
    rng = np.random.default_rng(seed)
    patients = [_patient(rng, sd, model.residual_sd) for _ in range(n)]
    print(f"Simulation-estimation: {n} virtual patients, seed {seed}; omega SD (log) CL {sd[0]:.3f}, V {sd[1]:.3f}, "
          f"ka {sd[2]:.3f}; residual SD (log) {model.residual_sd:.3f}")
    rows = []
    for label, used in (("1 trough", slice(1, 2)), ("2 troughs", slice(0, 2))):
        start = time.perf_counter()
        cl_ind, cl_pop, nt_ind, nt_pop, covered, unconverged = [], [], [], [], 0, 0
        for p in patients:
            levels = p["levels"][used]  # type: ignore[index]
            est = estimate(p["doses"], levels, crcl_ml_min=p["crcl"])  # type: ignore[arg-type]
            true_cl = p["true"].cl_l_per_h  # type: ignore[attr-defined]
            cl_ind.append(est.individual.cl_l_per_h / true_cl - 1.0)
            cl_pop.append(est.population.cl_l_per_h / true_cl - 1.0)
            t = np.array([p["next_t"] - 1e-6])  # type: ignore[operator]
            ind = float(est.concentrations(t, extra_doses=p["future"])[0])  # type: ignore[arg-type]
            pop = float(est.concentrations(t, individual=False, extra_doses=p["future"])[0])  # type: ignore[arg-type]
            nt_ind.append(ind / p["truth_next"] - 1.0)  # type: ignore[operator]
            nt_pop.append(pop / p["truth_next"] - 1.0)  # type: ignore[operator]
            covered += est.cl_interval[0] <= true_cl <= est.cl_interval[1]
            unconverged += not est.converged
        elapsed = time.perf_counter() - start
        rows.append((label, *_stats(100 * np.array(cl_ind)), *_stats(100 * np.array(cl_pop)),
                     *_stats(100 * np.array(nt_ind)), *_stats(100 * np.array(nt_pop)), 100.0 * covered / n,
                     1000.0 * elapsed / n, unconverged))
    print()
    print("| levels | CL bias MAP | CL RMSE MAP | CL bias pop | CL RMSE pop | next trough bias MAP | next trough RMSE MAP"
          " | next trough bias pop | next trough RMSE pop | true CL in 90% interval | ms/patient | not converged |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]:+.1f}% | {r[2]:.1f}% | {r[3]:+.1f}% | {r[4]:.1f}% | {r[5]:+.1f}% | {r[6]:.1f}% "
              f"| {r[7]:+.1f}% | {r[8]:.1f}% | {r[9]:.1f}% | {r[10]:.1f} | {r[11]} |")


def grid_check(count: int, seed: int) -> None:
    """MAP and Laplace against a brute-force grid posterior over (η_CL, η_V, η_ka)."""
    model = population_model()
    sd = model.omega_sd
    rng = np.random.default_rng(seed + 1)
    print()
    print("| patient | CrCl | levels | CL MAP | CL grid mode | CL grid mean | Laplace mean | 90% Laplace | 90% grid |")
    print("|---|---|---|---|---|---|---|---|---|")
    for k in range(count):
        p = _patient(rng, sd, model.residual_sd)
        est = estimate(p["doses"], p["levels"], crcl_ml_min=p["crcl"])  # type: ignore[arg-type]
        cov = np.array(est.covariance)
        half = 6.0 * np.sqrt(np.diag(cov))
        axes = [np.linspace(e - h, e + h, m) for e, h, m in zip(est.eta, half, (81, 25, 25), strict=True)]
        pts = np.array(np.meshgrid(*axes, indexing="ij")).reshape(3, -1).T
        logp = est.log_posterior(pts)
        w = np.exp(logp - logp.max())
        w /= w.sum()
        typical_cl = est.population.cl_l_per_h
        cl = typical_cl * np.exp(pts[:, 0])
        mode_cl = float(cl[np.argmax(logp)])
        mean_cl = float(np.sum(w * cl))
        # marginal of η_CL on its axis → 5 % and 95 % points
        marg = w.reshape(len(axes[0]), -1).sum(axis=1)
        cdf = np.cumsum(marg)
        lo = typical_cl * math.exp(float(np.interp(0.05, cdf, axes[0])))
        hi = typical_cl * math.exp(float(np.interp(0.95, cdf, axes[0])))
        lap_mean = est.individual.cl_l_per_h * math.exp(0.5 * cov[0, 0])
        print(f"| {k + 1} | {p['crcl']:.0f} | {len(est.levels)} | {est.individual.cl_l_per_h:.3f} | {mode_cl:.3f} "
              f"| {mean_cl:.3f} | {lap_mean:.3f} | {est.cl_interval[0]:.2f}-{est.cl_interval[1]:.2f} | {lo:.2f}-{hi:.2f} |")
    step = float(np.diff(axes[0])[0]) if count else 0.0
    print(f"\n(grid: 81 x 25 x 25 points over ±6 Laplace SD; CL grid step ≈ {100 * step:.2f} % of CL in the last patient)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000, help="virtual patients (default 2000)")
    ap.add_argument("--grid", type=int, default=5, help="patients for the grid-posterior check (default 5)")
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--quick", action="store_true", help="300 patients and 2 grid checks")
    a = ap.parse_args()
    n, g = (300, 2) if a.quick else (a.n, a.grid)
    start = time.perf_counter()
    study(n, a.seed)
    grid_check(g, a.seed)
    print(f"\ntotal {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
