"""Population mode: N virtual patients with inter-individual variability, vectorised and chunked.

Each patient has a CrCl drawn from the user's distribution and log-normal variability (median at the
typical value, ``ω² = ln(1 + CV²)``) on clearance, volume and absorption rate (knowledge base
``[pk].iiv_*``, gabacare-policy; the volume's CV is the label's ± 6 L). Patients are simulated in
chunks (``[pk].population_chunk_patients``) and, when the whole patients × samples matrix would
exceed the memory budget (``[pk].population_memory_budget_mb``), in windows of time that carry each
patient's state forward, so memory stays bounded. Runs are deterministic for a given seed: chunk
``c`` draws from child ``c`` of ``numpy.random.SeedSequence(seed)``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from gabacare.clinical.errors import ClinicalInputError
from gabacare.clinical.units import CrCl
from gabacare.knowledge import Citation, load_monograph
from gabacare.pk import _engine
from gabacare.pk._engine import F64
from gabacare.pk.model import (
    DialysisSession,
    DoseEvent,
    Engine,
    as_dose_events,
    ke_table,
    pick_advance,
    timeline,
    validate_span,
)
from gabacare.pk.parameters import PKParameters, default_parameters

__all__ = ["CrClDistribution", "PopulationResult", "VirtualPatients", "draw_patients", "simulate_matrix",
           "simulate_population"]

Progress = Callable[[int, int], None]
PERCENTILES = (5.0, 50.0, 95.0)


@dataclass(frozen=True)
class CrClDistribution:
    """Where the virtual patients' CrCl (mL/min) comes from: fixed, normal(mean, sd) or uniform(low, high).

    Draws below ``[pk].population_crcl_floor_ml_min`` are raised to it and draws above the plausible
    maximum are lowered to it.
    """

    kind: Literal["fixed", "normal", "uniform"]
    a: float
    b: float = 0.0

    def __post_init__(self) -> None:
        CrCl(self.a)
        if self.kind == "normal" and not (math.isfinite(self.b) and self.b >= 0):
            raise ClinicalInputError(f"the CrCl standard deviation must be 0 or more, got {self.b:g}")
        if self.kind == "uniform":
            CrCl(self.b)
            if self.b < self.a:
                raise ClinicalInputError(f"the CrCl range must run from low to high, got {self.a:g}-{self.b:g}")

    @classmethod
    def fixed(cls, crcl_ml_min: float) -> CrClDistribution:
        return cls("fixed", crcl_ml_min)

    @classmethod
    def normal(cls, mean_ml_min: float, sd_ml_min: float) -> CrClDistribution:
        return cls("normal", mean_ml_min, sd_ml_min)

    @classmethod
    def uniform(cls, low_ml_min: float, high_ml_min: float) -> CrClDistribution:
        return cls("uniform", low_ml_min, high_ml_min)

    def draw(self, rng: np.random.Generator, n: int) -> F64:
        """``n`` CrCl values in mL/min."""
        m = load_monograph()
        if self.kind == "fixed":
            values = np.full(n, self.a)
        elif self.kind == "normal":
            values = rng.normal(self.a, self.b, n)
        else:
            values = rng.uniform(self.a, self.b, n)
        out: F64 = np.clip(values, m.pk.population_crcl_floor_ml_min, m.renal.plausible.crcl_max_ml_min)
        return out

    def describe(self) -> str:
        if self.kind == "fixed":
            return f"{self.a:g} mL/min"
        if self.kind == "normal":
            return f"normal, mean {self.a:g} mL/min, SD {self.b:g}"
        return f"uniform {self.a:g}-{self.b:g} mL/min"


@dataclass(frozen=True, eq=False)
class VirtualPatients:
    """Per-patient CrCl (mL/min), clearance multiplier, volume (L) and absorption rate (1/h)."""

    crcl: F64
    cl_scale: F64
    volume: F64
    ka: F64

    @property
    def n(self) -> int:
        return int(self.crcl.size)

    def slice(self, lo: int, hi: int) -> VirtualPatients:
        return VirtualPatients(self.crcl[lo:hi], self.cl_scale[lo:hi], self.volume[lo:hi], self.ka[lo:hi])


def _lognormal(rng: np.random.Generator, median: float, cv: float, n: int) -> F64:
    sigma = math.sqrt(math.log1p(cv * cv))
    out: F64 = median * np.exp(rng.normal(0.0, sigma, n))
    return out


def draw_patients(n: int, crcl: CrClDistribution, rng: np.random.Generator,
                  parameters: PKParameters | None = None) -> VirtualPatients:
    """Draw ``n`` virtual patients (CrCl first, then clearance, volume and ka variability)."""
    p = parameters or default_parameters()
    crcl_values = crcl.draw(rng, n)
    return VirtualPatients(crcl=crcl_values, cl_scale=_lognormal(rng, 1.0, p.iiv_cv_clearance, n),
                           volume=_lognormal(rng, p.volume_l, p.iiv_cv_volume, n),
                           ka=_lognormal(rng, p.ka_per_h, p.iiv_cv_ka, n))


def _ragged(dose_t: F64, dose_mg: F64, n: int) -> tuple[F64, F64]:
    t = np.asarray(dose_t, dtype=np.float64)
    mg = np.asarray(dose_mg, dtype=np.float64)
    if t.ndim == 1:
        t, mg = t[None, :], mg[None, :]
    if t.shape != mg.shape or t.shape[0] not in (1, n):
        raise ClinicalInputError("dose times and amounts must be [patients, doses] arrays of the same shape")
    if not mg.min(initial=0.0) >= 0:  # also catches NaN
        raise ClinicalInputError("a dose cannot be negative")
    if np.isnan(t.min(initial=0.0)) or t.min(initial=0.0) == -np.inf:
        raise ClinicalInputError("dose times must be finite numbers (use inf to pad)")
    if t.shape[1] > 1 and np.any(np.diff(t, axis=1) < 0):
        order = np.argsort(t, axis=1, kind="stable")
        t, mg = np.take_along_axis(t, order, 1), np.take_along_axis(mg, order, 1)
    return t, mg


def simulate_matrix(dose_t: F64, dose_mg: F64, sample_t: F64, patients: VirtualPatients, *,
                    dialysis: Iterable[DialysisSession | tuple[float, float]] = (),
                    parameters: PKParameters | None = None, engine: Engine = "auto",
                    chunk: int | None = None, out: F64 | None = None,
                    progress: Progress | None = None, workers: int | None = None) -> F64:
    """Concentrations (mg/L) of every patient at every sample time: a ``[samples, patients]`` matrix.

    ``dose_t``/``dose_mg`` are ``[patients, doses]`` (or one shared row; pad ragged rows with ``inf``
    times or 0 mg); bioavailability scales each dose by its size. Patients run in chunks; the caller
    may pass ``out`` (``[samples, patients]``, any strides) to fill in place. The returned matrix is
    time-major in memory for the NumPy path and patient-major (a transposed view) for numba, which
    also runs chunks on ``workers`` threads (default: one per CPU).
    """
    p = parameters or default_parameters()
    n = patients.n
    workers = os.cpu_count() if workers is None else workers
    t_s = np.asarray(sample_t, dtype=np.float64)
    times, mg = _ragged(dose_t, dose_mg, n)
    line = timeline(None, dialysis)
    start = float(min(t_s[0], times.min(initial=t_s[0])))
    grid = _engine.build_grid(t_s, line.breakpoints, start)
    last = grid.times.size - 1
    size = chunk or load_monograph().pk.population_chunk_patients
    advance = pick_advance(engine, n * grid.times.size)
    if out is None:
        # The numba kernel runs each patient along time, so it writes fastest into patient-major
        # storage; NumPy steps all patients at once, so it writes time-major rows. Same shape either way.
        result = np.empty((n, t_s.size)).T if advance is not _engine.advance_numpy else np.empty((t_s.size, n))
    else:
        result = out

    def run(lo: int) -> int:
        hi = min(n, lo + size)
        part = patients.slice(lo, hi)
        rows = slice(lo, hi) if times.shape[0] > 1 else slice(0, 1)
        t_c = np.broadcast_to(times[rows], (hi - lo, times.shape[1]))
        a_c = np.broadcast_to(p.absorbed_mg(mg[rows]), (hi - lo, times.shape[1]))
        ke = ke_table(p, line, part.crcl, part.cl_scale, part.volume)
        chunk_data = _engine.make_chunk(grid, part.ka, ke, part.volume, t_c, a_c)
        view = result[:, lo:hi]
        if grid.sample_row[0] >= 0:
            view[grid.sample_row[0]] = 0.0
        advance(grid, chunk_data, 0, last, np.zeros(hi - lo), np.zeros(hi - lo), view, 0)
        return hi

    starts = range(0, n, size)
    # NOTE: chunks are independent and write disjoint columns, so the numba path (which releases the
    # GIL) runs them on worker threads; the result does not depend on the number of workers.
    n_workers = 1 if advance is _engine.advance_numpy else max(1, min(workers or 1, len(starts)))
    if n_workers == 1:
        for lo in starts:
            hi = run(lo)
            if progress is not None:
                progress(hi, n)
    else:
        with ThreadPoolExecutor(max_workers=n_workers) as pool:
            for hi in pool.map(run, starts):  # in chunk order
                if progress is not None:
                    progress(hi, n)
    return result


@dataclass(frozen=True, eq=False)
class PopulationResult:
    """Percentiles (5/50/95) of concentration over time, the share above a threshold, and the inputs."""

    t_h: F64
    p5: F64
    p50: F64
    p95: F64
    mean: F64
    share_above: F64 | None
    threshold_mg_per_l: float | None
    n: int
    seed: int | None
    crcl: CrClDistribution
    citations: tuple[Citation, ...]

    def to_json(self) -> dict[str, Any]:
        """``t_h``, ``percentiles`` {p5, p50, p95}, ``mean``, ``share_above`` and the inputs."""
        def r(a: F64) -> list[float]:
            return [round(float(v), 6) for v in a]

        return {
            "n": self.n,
            "seed": self.seed,
            "crcl": self.crcl.describe(),
            "t_h": r(self.t_h),
            "percentiles": {"p5": r(self.p5), "p50": r(self.p50), "p95": r(self.p95)},
            "mean_mg_per_l": r(self.mean),
            "threshold_mg_per_l": self.threshold_mg_per_l,
            "share_above": None if self.share_above is None else r(self.share_above),
            "citations": list(self.citations),
        }


def simulate_population(doses: Iterable[DoseEvent | tuple[float, float]], *, n: int, crcl: CrClDistribution,
                        end_h: float, start_h: float = 0.0, step_h: float | None = None, seed: int | None = None,
                        threshold_mg_per_l: float | None = None,
                        dialysis: Sequence[DialysisSession | tuple[float, float]] = (),
                        parameters: PKParameters | None = None, engine: Engine = "auto",
                        progress: Progress | None = None, memory_budget_mb: int | None = None) -> PopulationResult:
    """Simulate ``n`` virtual patients taking the same doses; summarise by percentiles over time.

    Parameters
    ----------
    doses : shared dose events (``DoseEvent`` or ``(time_h, mg)``).
    n : number of patients (1 to ``[pk].population_max_n``).
    crcl : the CrCl distribution.
    end_h, start_h, step_h : the output times (hours; default step from the knowledge base).
    seed : makes the run reproducible.
    threshold_mg_per_l : also report the share of patients above this concentration at each time.
    progress : called as ``progress(done, total)`` in patient-windows.
    memory_budget_mb : bound on the kept patients × samples block (default: the knowledge base's).
    """
    pk = load_monograph().pk
    p = parameters or default_parameters()
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= pk.population_max_n:
        raise ClinicalInputError(f"the number of patients must be from 1 to {pk.population_max_n}, got {n!r}")
    if threshold_mg_per_l is not None and not (math.isfinite(threshold_mg_per_l) and threshold_mg_per_l > 0):
        raise ClinicalInputError("the threshold must be a concentration above 0 mg/L")
    step = pk.default_step_min / 60.0 if step_h is None else step_h
    k = validate_span(start_h, end_h, step)
    t: F64 = start_h + np.arange(k, dtype=np.float64) * step
    events = as_dose_events(doses)
    dose_t = np.array([[d.time_h for d in events]])
    dose_mg = np.array([[d.mg for d in events]])
    chunk = pk.population_chunk_patients
    seeds = np.random.SeedSequence(seed).spawn(math.ceil(n / chunk))
    budget = pk.population_memory_budget_mb if memory_budget_mb is None else memory_budget_mb
    rows_per_window = max(1, budget * 2**20 // (8 * n))
    stats = {name: np.empty(k) for name in ("p5", "p50", "p95", "mean", "share")}
    windows = [(r0, min(k, r0 + rows_per_window)) for r0 in range(0, k, rows_per_window)]
    # State per patient between windows: the gut and central amounts at the window's last sample.
    g_all, a_all = np.zeros(n), np.zeros(n)
    line = timeline(None, dialysis)
    finite_start = float(min(t[0], dose_t.min(initial=t[0])))
    grid = _engine.build_grid(t, line.breakpoints, finite_start)
    grid_of_row = np.flatnonzero(grid.sample_row >= 0)
    advance = pick_advance(engine, n * grid.times.size)
    absorbed = p.absorbed_mg(dose_mg)
    total = n * len(windows)
    done = 0
    for w, (r0, r1) in enumerate(windows):
        block = np.empty((r1 - r0, n))
        k0 = 0 if w == 0 else int(grid_of_row[r0 - 1])
        k1 = int(grid_of_row[r1 - 1])
        for c, lo in enumerate(range(0, n, chunk)):
            hi = min(n, lo + chunk)
            part = draw_patients(hi - lo, crcl, np.random.default_rng(seeds[c]), p)
            ke = ke_table(p, line, part.crcl, part.cl_scale, part.volume)
            t_c = np.broadcast_to(dose_t, (hi - lo, dose_t.shape[1]))
            a_c = np.broadcast_to(absorbed, (hi - lo, dose_t.shape[1]))
            chunk_data = _engine.make_chunk(grid, part.ka, ke, part.volume, t_c, a_c)
            view = block[:, lo:hi]
            if w == 0 and grid.sample_row[0] >= 0:
                view[0] = a_all[lo:hi] * chunk_data.inv_v
            g, a = g_all[lo:hi], a_all[lo:hi]
            advance(grid, chunk_data, k0, k1, g, a, view, r0)
            done += hi - lo
            if progress is not None:
                progress(done, total)
        stats["mean"][r0:r1] = block.mean(axis=1)
        if threshold_mg_per_l is not None:
            stats["share"][r0:r1] = (block > threshold_mg_per_l).mean(axis=1)
        # the block is not needed afterwards: let percentile partition it in place instead of copying
        pct = np.percentile(block, PERCENTILES, axis=1, overwrite_input=True)
        stats["p5"][r0:r1], stats["p50"][r0:r1], stats["p95"][r0:r1] = pct
    return PopulationResult(t_h=t, p5=stats["p5"], p50=stats["p50"], p95=stats["p95"], mean=stats["mean"],
                            share_above=stats["share"] if threshold_mg_per_l is not None else None,
                            threshold_mg_per_l=threshold_mg_per_l, n=n, seed=seed, crcl=crcl,
                            citations=(*p.citations, pk.iiv_citation, pk.simulation_citation))
