"""Population mode: N virtual patients with inter-individual variability, vectorised, chunked and streamed.

Each patient has a CrCl drawn from the user's distribution and log-normal variability (median at the
typical value, ``ω² = ln(1 + CV²)``) on clearance, volume and absorption rate (knowledge base
``[pk].iiv_*``, gabacare-policy; the volume's CV is the label's ± 6 L). Patients are simulated in
chunks (``[pk].population_chunk_patients``), each in windows of time within
``[pk].population_memory_budget_mb`` that carry each patient's state forward, and every chunk is
reduced at once into per-time-point summaries that merge (:class:`ChunkSummary`): exact values while
they are few (``[pk].population_exact_max_values``), else log-linear histograms with a stated error
bound (:class:`HistogramBins`, :func:`histogram_percentiles`, :class:`QuantileErrorBound`), so memory
does not grow with ``n``. Runs are deterministic for a given seed: chunk ``c`` draws from child ``c``
of ``numpy.random.SeedSequence(seed)``, and the merge does not depend on the workers, on how chunks
are grouped into tasks (:func:`summarise_chunks`) or on where the tasks run (a :data:`TaskRunner`,
e.g. threads here or a Dask cluster in :mod:`gabacare.app._cluster`). docs/pk-population.md has the
design, the bound's proof and the benchmark.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from gabacare._record import record
from gabacare.clinical.errors import ClinicalInputError
from gabacare.clinical.units import CrCl
from gabacare.knowledge import Citation, load_monograph
from gabacare.pk import _engine
from gabacare.pk._engine import F64, I64
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

__all__ = [
    "ChunkSummary",
    "CrClDistribution",
    "HistogramBins",
    "PopulationPlan",
    "PopulationResult",
    "QuantileErrorBound",
    "TaskRunner",
    "VirtualPatients",
    "draw_patients",
    "histogram_percentiles",
    "reduce_numpy",
    "simulate_matrix",
    "simulate_population",
    "summarise_chunks",
]

Progress = Callable[[int, int], None]
I32 = NDArray[np.int32]
PERCENTILES = (5.0, 50.0, 95.0)


@record
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


@record
class QuantileErrorBound:
    """How far a reported percentile ``q̂`` can be from the exact one ``q`` (NumPy's ``linear`` method over
    every patient's value at that time): ``|q̂ − q| ≤ relative · q + absolute_mg_per_l``.

    ``method`` is ``"exact"`` (all values were held; both terms are 0) or ``"histogram"`` (streamed
    summaries; see :func:`histogram_percentiles`): then ``relative = 1 / bins_per_octave`` (the widest
    bin's width relative to its lower edge) and ``absolute_mg_per_l`` is the histogram's floor, the width
    of the catch-all bin for lower values. The bound holds while every value at that time is below
    ``ceiling_mg_per_l``.
    """

    method: Literal["exact", "histogram"]
    relative: float
    absolute_mg_per_l: float
    ceiling_mg_per_l: float | None

    def to_json(self) -> dict[str, Any]:
        return {"method": self.method, "relative": self.relative, "absolute_mg_per_l": self.absolute_mg_per_l,
                "ceiling_mg_per_l": self.ceiling_mg_per_l}


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
    quantile_error: QuantileErrorBound

    def to_json(self) -> dict[str, Any]:
        """``t_h``, ``percentiles`` {p5, p50, p95}, ``mean``, ``share_above``, ``quantile_error_bound`` and
        the inputs."""
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
            "quantile_error_bound": self.quantile_error.to_json(),
            "citations": list(self.citations),
        }


# --- streaming: chunks of patients reduced at once into mergeable per-time-point summaries -------------

Quantiles = Literal["auto", "exact", "histogram"]


@dataclass(frozen=True, eq=False)
class PopulationPlan:
    """Everything a worker needs to simulate and summarise chunks of one population run (picklable).

    Chunk ``c`` holds patients ``c·chunk`` up to ``min(n, (c+1)·chunk)`` and draws them from child ``c``
    of ``SeedSequence(entropy)``, so its patients and its summary do not depend on the thread, process
    or machine that runs it. ``window_rows`` bounds the samples simulated at once per chunk (each
    patient's state is carried between windows). ``rows`` is the span of sample rows ``[lo, hi)`` the
    summaries cover (the chunks are simulated from the start up to ``hi``; a run too long for one
    summary is summarised span by span). ``bins`` is the histogram's layout (``exact``: values are
    kept instead). ``work`` (patients × grid points) picks the engine as in
    :func:`gabacare.pk.model.pick_advance`; both engines give the same numbers, bit for bit.
    """

    n: int
    chunk: int
    entropy: int
    crcl: CrClDistribution
    parameters: PKParameters
    dose_t: F64
    dose_mg: F64
    sample_t: F64
    dialysis: tuple[DialysisSession, ...]
    engine: Engine
    work: int
    window_rows: int
    threshold_mg_per_l: float | None
    exact: bool
    bins: HistogramBins
    rows: tuple[int, int]

    @property
    def n_chunks(self) -> int:
        return -(-self.n // self.chunk)

    @property
    def k(self) -> int:
        """The number of sample rows the summaries cover."""
        return self.rows[1] - self.rows[0]


@dataclass(frozen=True, eq=False)
class ChunkSummary:
    """The summary of chunks ``first`` to ``first + len(sums) − 1``, per sample time (``k`` of them).

    ``sums[j]``: chunk ``first + j``'s sum of concentrations (mg/L) over its patients; ``above``:
    patients above the threshold; ``low``/``high``: the lowest and highest concentration; ``counts``:
    ``[k, bins + 2]`` patients per histogram bin (first column below the floor, last at or above the
    ceiling), or ``values``: ``[k, patients]`` every concentration (exact mode). Counts, extremes and
    values merge in any order; the sums are merged in chunk order so the mean is the same float
    whatever the grouping of chunks into tasks.
    """

    first: int
    sums: F64
    above: I64
    low: F64
    high: F64
    counts: I32 | None
    values: F64 | None


TaskFn = Callable[[PopulationPlan, int, int], ChunkSummary]
TaskRunner = Callable[[TaskFn, PopulationPlan, Sequence[tuple[int, int]]], Iterable[ChunkSummary]]


@record
class HistogramBins:
    """Log-linear histogram bins (the HdrHistogram layout): each octave ``[2^e, 2^(e+1))`` from ``2^floor_exponent``
    to ``2^(floor_exponent + octaves)`` mg/L is cut into ``2^bits`` equal bins.

    A concentration's bin is read from its IEEE-754 bits (exponent and top ``bits`` bits of the mantissa)
    by one shift and one subtraction, with no logarithm, so NumPy and numba count exactly the same. A bin
    ``[a, b)`` has ``b/a ≤ 1 + 2^-bits``. Counts are ``[samples, nb + 2]``: column 0 holds values below the
    floor (0 included), the last column values at or above the ceiling.
    """

    floor_exponent: int
    octaves: int
    bits: int

    @classmethod
    def covering(cls, floor_mg_per_l: float, ceiling_mg_per_l: float, bins_per_octave: int) -> HistogramBins:
        """The bins from the power of two at or below ``floor`` to the one at or above ``ceiling``."""
        bits = int(bins_per_octave).bit_length() - 1
        if 1 << bits != bins_per_octave:
            raise ValueError(f"bins per octave must be a power of two, got {bins_per_octave}")
        low = math.floor(math.log2(floor_mg_per_l))
        return cls(low, max(1, math.ceil(math.log2(ceiling_mg_per_l)) - low), bits)

    @property
    def nb(self) -> int:
        """The number of bins between the floor and the ceiling."""
        return self.octaves << self.bits

    @property
    def shift(self) -> int:
        return 52 - self.bits

    @property
    def base(self) -> int:
        """``bits(floor) >> shift``: the floor's bin number in the bit layout."""
        return (self.floor_exponent + 1023) << self.bits

    @property
    def floor(self) -> float:
        return math.ldexp(1.0, self.floor_exponent)

    @property
    def ceiling(self) -> float:
        return math.ldexp(1.0, self.floor_exponent + self.octaves)

    @property
    def relative_width(self) -> float:
        """The widest bin's width over its lower edge (the first bin of each octave)."""
        return math.ldexp(1.0, -self.bits)

    def edges(self) -> F64:
        """The ``nb + 1`` bin edges in mg/L (exact binary fractions)."""
        j = np.arange(self.nb + 1, dtype=np.int64)
        octave, step = np.divmod(j, 1 << self.bits)
        out: F64 = np.ldexp(1.0 + step / float(1 << self.bits), (self.floor_exponent + octave).astype(np.int32))
        return out


def reduce_numpy(block: F64, row0: int, bins: HistogramBins, threshold: float, counts: I32 | None, above: I64,
                 low: F64, high: F64) -> None:
    """Add ``block`` (``[rows, patients]``, mg/L) to the summary rows from ``row0`` (NumPy).

    Updates the lowest and highest value, the count above ``threshold`` and (unless ``counts`` is None)
    the histogram; the numba kernel (:mod:`gabacare.pk._summary_kernel`) gives the same numbers.
    """
    rows = block.shape[0]
    end = row0 + rows
    np.minimum(low[row0:end], block.min(axis=1, initial=np.inf), out=low[row0:end])
    np.maximum(high[row0:end], block.max(axis=1, initial=-np.inf), out=high[row0:end])
    if math.isfinite(threshold):
        above[row0:end] += np.count_nonzero(block > threshold, axis=1)
    if counts is None:
        return
    width = bins.nb + 2
    b = (block.view(np.int64) >> bins.shift) - (bins.base - 1)
    np.clip(b, 0, bins.nb + 1, out=b)
    b += (np.arange(rows, dtype=np.int64) * width)[:, None]
    counts[row0:end] += np.bincount(b.ravel(), minlength=rows * width).reshape(rows, width).astype(counts.dtype)


Reduce = Callable[[F64, int, HistogramBins, float, I32 | None, I64, F64, F64], None]


def _pick_reduce(advance: object) -> Reduce:
    """The numba reduction when the numba recurrence is in use (it is installed), else NumPy's."""
    if advance is _engine.advance_numpy:
        return reduce_numpy
    from gabacare.pk._summary_kernel import reduce_numba

    return reduce_numba


def summarise_chunks(plan: PopulationPlan, first: int, last: int) -> ChunkSummary:
    """Simulate chunks ``first ≤ c < last`` of ``plan`` and reduce them into one :class:`ChunkSummary`.

    This is the task a worker runs (a thread here, or a Dask worker on another machine); memory is one
    chunk's window of samples, the summary and, in exact mode, the chunks' values.
    """
    p = plan.parameters
    line = timeline(None, plan.dialysis)
    start = float(min(plan.sample_t[0], plan.dose_t.min(initial=plan.sample_t[0])))
    grid = _engine.build_grid(plan.sample_t, line.breakpoints, start)
    grid_of_row = np.flatnonzero(grid.sample_row >= 0)
    advance = pick_advance(plan.engine, plan.work)
    reduce = _pick_reduce(advance)
    (row_lo, row_hi), k, size = plan.rows, plan.k, plan.chunk
    lo0, hi_all = first * size, min(plan.n, last * size)
    sums = np.empty((last - first, k))
    above = np.zeros(k, dtype=np.int64)
    low, high = np.full(k, np.inf), np.full(k, -np.inf)
    # int32 is enough for one task's patients and halves the memory of the summaries in flight
    counts = None if plan.exact else np.zeros((k, plan.bins.nb + 2), dtype=np.int32)
    values = np.empty((k, hi_all - lo0)) if plan.exact else None
    rows = max(1, min(plan.window_rows, row_hi))
    # windows before the span only carry the state forward; the span's windows are summarised
    windows = [(r, min(row_lo, r + rows)) for r in range(0, row_lo, rows)]
    windows += [(r, min(row_hi, r + rows)) for r in range(row_lo, row_hi, rows)]
    buffer = np.empty((rows, size)) if values is None or row_lo > 0 else None
    absorbed = p.absorbed_mg(plan.dose_mg)
    threshold = math.inf if plan.threshold_mg_per_l is None else plan.threshold_mg_per_l
    for c in range(first, last):
        lo, hi = c * size, min(plan.n, (c + 1) * size)
        part = draw_patients(hi - lo, plan.crcl, np.random.default_rng(_child_seed(plan.entropy, c)), p)
        ke = ke_table(p, line, part.crcl, part.cl_scale, part.volume)
        t_c = np.broadcast_to(plan.dose_t, (hi - lo, plan.dose_t.shape[1]))
        a_c = np.broadcast_to(absorbed, (hi - lo, plan.dose_t.shape[1]))
        data = _engine.make_chunk(grid, part.ka, ke, part.volume, t_c, a_c)
        g, a = np.zeros(hi - lo), np.zeros(hi - lo)
        for r0, r1 in windows:
            summarised = r0 >= row_lo
            if values is not None and summarised:
                block = values[r0 - row_lo:r1 - row_lo, lo - lo0:hi - lo0]
            else:
                assert buffer is not None
                block = buffer[:r1 - r0, :hi - lo]
            k0 = 0 if r0 == 0 else int(grid_of_row[r0 - 1])
            if r0 == 0 and grid.sample_row[0] >= 0:
                block[0] = 0.0  # the run starts at the first sample, before any dose
            advance(grid, data, k0, int(grid_of_row[r1 - 1]), g, a, block, r0)
            if summarised:
                sums[c - first, r0 - row_lo:r1 - row_lo] = block.sum(axis=1)
                reduce(block, r0 - row_lo, plan.bins, threshold, counts, above, low, high)
    return ChunkSummary(first=first, sums=sums, above=above, low=low, high=high, counts=counts, values=values)


def _child_seed(entropy: int, c: int) -> np.random.SeedSequence:
    """Child ``c`` of ``SeedSequence(entropy)``, the same as ``SeedSequence(entropy).spawn(c + 1)[c]``."""
    return np.random.SeedSequence(entropy, spawn_key=(c,))


def histogram_percentiles(counts: I64, low: F64, high: F64, bins: HistogramBins,
                          percentiles: Sequence[float]) -> F64:
    """Percentiles (``[len(percentiles), k]``, mg/L) read from per-time-point histograms.

    Mirrors ``numpy.percentile(values, q, axis=1)`` (method ``linear``): the rank ``h = (n − 1)·q/100``
    lies between the order statistics ``⌊h⌋`` and ``⌊h⌋ + 1``; each is estimated inside the bin that
    holds it, by linear interpolation on its rank among the bin's values (the catch-all bins run from the
    lowest value to the floor and from the ceiling to the highest value), kept within ``[low, high]``,
    and the two are combined with numpy's weights (the lowest and highest values are kept exactly). An
    estimate in the true value's bin ``[a, b)`` is within ``b − a ≤ a·2^-bits`` of it (within the floor
    below the floor), and a weighted mean of such estimates keeps the bound ``|q̂ − q| ≤ q·2^-bits +
    floor`` (:class:`QuantileErrorBound`; docs/pk-population.md).
    """
    k = counts.shape[0]
    n = int(counts[0].sum())
    cum = np.cumsum(counts, axis=1)
    rows = np.arange(k)
    nb = bins.nb
    edges = bins.edges()
    # bin j spans [lower[j], upper[j]): the catch-all bins end at the extremes
    lower = np.concatenate([[0.0], edges[:-1], [edges[-1]]])
    upper = np.concatenate([[edges[0]], edges[1:], [np.inf]])

    def order_statistic(rank: int) -> F64:
        j = np.count_nonzero(cum <= rank, axis=1)  # the bin holding the rank-th smallest value
        before = np.where(j > 0, cum[rows, np.maximum(j - 1, 0)], 0)
        u = (rank - before + 0.5) / counts[rows, j]
        a = np.where(j == 0, low, lower[j])
        b = np.where(j == nb + 1, high, upper[j])
        out: F64 = np.clip(a + u * (np.minimum(b, high) - a), low, high)
        if rank == 0:
            out = low.copy()  # the extremes are kept exactly
        elif rank == n - 1:
            out = high.copy()
        return out

    result = np.empty((len(percentiles), k))
    for i, q in enumerate(percentiles):
        h = (n - 1) * q / 100.0
        r_lo = math.floor(h)
        f = h - r_lo
        x_lo = order_statistic(r_lo)
        x_hi = order_statistic(min(r_lo + 1, n - 1)) if f > 0 else x_lo
        result[i] = x_lo + f * (x_hi - x_lo)
    return result


def _local_runner(workers: int) -> TaskRunner:
    """Run tasks on ``workers`` threads (the numba kernels release the GIL), at most ``workers + 1`` in
    flight (each holds a summary), and yield their summaries in task order."""
    def run(task: TaskFn, plan: PopulationPlan, ranges: Sequence[tuple[int, int]]) -> Iterator[ChunkSummary]:
        if workers <= 1:
            for first, last in ranges:
                yield task(plan, first, last)
            return
        with ThreadPoolExecutor(max_workers=workers) as pool:
            todo = iter(ranges)
            pending = deque(pool.submit(task, plan, *r) for r in itertools.islice(todo, workers + 1))
            while pending:
                done = pending.popleft().result()
                nxt = next(todo, None)
                if nxt is not None:
                    pending.append(pool.submit(task, plan, *nxt))
                yield done

    return run


def _choose_exact(quantiles: Quantiles, n: int, k: int, pk: Any) -> bool:
    """Exact percentiles when all values are few (or when asked and they fit the summary budget)."""
    few = n * k <= pk.population_exact_max_values
    if quantiles != "exact":
        return few and quantiles == "auto"
    if not (few or n * k * 8 <= pk.population_summary_max_mb * 2**20):
        raise ClinicalInputError(f"{n} patients x {k} output points is too much to summarise exactly "
                                 f"(over {pk.population_summary_max_mb} MB); use fewer days, a longer step "
                                 "or fewer patients")
    return True


def _summarise(plan: PopulationPlan, runner: TaskRunner, ranges: Sequence[tuple[int, int]],
               progress: Callable[[int], None]) -> tuple[F64, F64, F64]:
    """Run the tasks of one span of rows and merge their summaries: (percentiles, mean, share above)."""
    k, n, chunk = plan.k, plan.n, plan.chunk
    total = np.zeros(k)
    above = np.zeros(k, dtype=np.int64)
    low, high = np.full(k, np.inf), np.full(k, -np.inf)
    counts = None if plan.exact else np.zeros((k, plan.bins.nb + 2), dtype=np.int64)
    matrix = np.empty((k, n)) if plan.exact else None
    expected = 0
    for part in runner(summarise_chunks, plan, ranges):
        if expected >= len(ranges) or part.first != ranges[expected][0]:
            raise RuntimeError("the runner must yield the summaries in task order")
        for row in part.sums:  # one chunk at a time, in chunk order: the same float whatever the grouping
            total += row
        above += part.above
        np.minimum(low, part.low, out=low)
        np.maximum(high, part.high, out=high)
        if counts is not None and part.counts is not None:
            counts += part.counts
        if matrix is not None and part.values is not None:
            lo = part.first * chunk
            matrix[:, lo:lo + part.values.shape[1]] = part.values
        expected += 1
        progress(min(n, ranges[expected - 1][1] * chunk))
    if expected != len(ranges):
        raise RuntimeError("the runner yielded fewer summaries than tasks")
    if matrix is not None:
        pct: F64 = np.percentile(matrix, PERCENTILES, axis=1, overwrite_input=True)
    else:
        assert counts is not None
        pct = histogram_percentiles(counts, low, high, plan.bins, PERCENTILES)
    return pct, total / n, above / n


def simulate_population(doses: Iterable[DoseEvent | tuple[float, float]], *, n: int, crcl: CrClDistribution,
                        end_h: float, start_h: float = 0.0, step_h: float | None = None, seed: int | None = None,
                        threshold_mg_per_l: float | None = None,
                        dialysis: Sequence[DialysisSession | tuple[float, float]] = (),
                        parameters: PKParameters | None = None, engine: Engine = "auto",
                        progress: Progress | None = None, memory_budget_mb: int | None = None,
                        quantiles: Quantiles = "auto", workers: int | None = None,
                        runner: TaskRunner | None = None) -> PopulationResult:
    """Simulate ``n`` virtual patients taking the same doses; summarise by percentiles over time.

    Patients are simulated in chunks (``[pk].population_chunk_patients``) and each chunk is reduced at
    once into per-time-point summaries that merge: the sum (for the mean), the count above the
    threshold, the extremes and either every value (exact percentiles, when ``n ×`` samples is at most
    ``[pk].population_exact_max_values``) or a log-linear histogram (``[pk].population_histogram_*``;
    error bound in :class:`QuantileErrorBound`). Memory does not grow with ``n`` in histogram mode.
    The result depends on the seed only: not on ``workers``, the runner or the grouping of chunks.

    Parameters
    ----------
    doses : shared dose events (``DoseEvent`` or ``(time_h, mg)``).
    n : number of patients (1 to ``[pk].population_max_n``).
    crcl : the CrCl distribution.
    end_h, start_h, step_h : the output times (hours; default step from the knowledge base).
    seed : makes the run reproducible.
    threshold_mg_per_l : also report the share of patients above this concentration at each time.
    progress : called as ``progress(done, total)`` in patients.
    memory_budget_mb : bound on one chunk's window of patients × samples (default:
        ``[pk].population_memory_budget_mb``); longer runs are simulated in windows of time.
    quantiles : ``"auto"``, or force ``"exact"`` or ``"histogram"`` percentiles.
    workers : threads for the local runner (default: one per CPU with numba, one with NumPy).
    runner : runs the tasks elsewhere (e.g. on a Dask cluster): called as ``runner(summarise_chunks,
        plan, ranges)`` and must yield one :class:`ChunkSummary` per ``(first, last)`` range, in order.
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
    sessions = tuple(s if isinstance(s, DialysisSession) else DialysisSession(*s) for s in dialysis)
    dose_t = np.array([[d.time_h for d in events]])
    bins = HistogramBins.covering(pk.population_histogram_floor_mg_per_l, pk.population_histogram_ceiling_mg_per_l,
                                  pk.population_histogram_bins_per_octave)
    exact = _choose_exact(quantiles, n, k, pk)
    chunk = pk.population_chunk_patients
    budget = pk.population_memory_budget_mb if memory_budget_mb is None else memory_budget_mb
    grid_points = _engine.build_grid(t, timeline(None, sessions).breakpoints,
                                     float(min(t[0], dose_t.min(initial=t[0])))).times.size
    entropy = np.random.SeedSequence(seed).entropy  # drawn once when seed is None: every task shares it
    assert isinstance(entropy, int)
    plan = PopulationPlan(n=n, chunk=chunk, entropy=entropy, crcl=crcl,
                          parameters=p, dose_t=dose_t, dose_mg=np.array([[d.mg for d in events]]), sample_t=t,
                          dialysis=sessions, engine=engine, work=n * grid_points,
                          window_rows=max(1, budget * 2**20 // (8 * chunk)), threshold_mg_per_l=threshold_mg_per_l,
                          exact=exact, bins=bins, rows=(0, k))
    task_chunks = max(1, pk.population_task_patients // chunk)
    if runner is None:
        numba_path = pick_advance(engine, plan.work) is not _engine.advance_numpy
        n_workers = max(1, (os.cpu_count() or 1) if workers is None else workers) if numba_path else 1
        per_task = max(1, min(task_chunks, -(-plan.n_chunks // n_workers)))
        runner = _local_runner(min(n_workers, -(-plan.n_chunks // per_task)))
    else:
        per_task = task_chunks
    ranges = [(c, min(plan.n_chunks, c + per_task)) for c in range(0, plan.n_chunks, per_task)]
    # NOTE: a histogram summary is k x (bins + 2) counts; a run with more sample times than the summary
    # budget allows is summarised span by span, each span re-simulating its patients from the start
    # (cost: about (spans + 1) / 2 times the simulation, memory: one span's summary).
    span = k if exact else max(1, pk.population_summary_max_mb * 2**20 // (8 * (bins.nb + 2)))
    spans = [(r, min(k, r + span)) for r in range(0, k, span)]
    pct = np.empty((len(PERCENTILES), k))
    mean, share = np.empty(k), np.empty(k)
    for s_index, (r_lo, r_hi) in enumerate(spans):
        def report(done: int, before: int = s_index * n) -> None:
            if progress is not None:
                progress(before + done, n * len(spans))

        part_plan = dataclasses.replace(plan, rows=(r_lo, r_hi))
        pct[:, r_lo:r_hi], mean[r_lo:r_hi], share[r_lo:r_hi] = _summarise(part_plan, runner, ranges, report)
    if exact:
        bound = QuantileErrorBound("exact", 0.0, 0.0, None)
    else:
        bound = QuantileErrorBound("histogram", bins.relative_width, bins.floor, bins.ceiling)
    return PopulationResult(t_h=t, p5=pct[0], p50=pct[1], p95=pct[2], mean=mean,
                            share_above=share if threshold_mg_per_l is not None else None,
                            threshold_mg_per_l=threshold_mg_per_l, n=n, seed=seed, crcl=crcl,
                            citations=(*p.citations, pk.iiv_citation, pk.simulation_citation,
                                       pk.population_summary_citation),
                            quantile_error=bound)
