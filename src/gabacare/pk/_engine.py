"""The exact event-driven engine, vectorised over patients (private; see :mod:`gabacare.pk.model`).

The model is linear between events, so the gut amount ``G`` and the central amount ``A`` are carried
forward analytically from one grid point to the next (the one-compartment solution NONMEM's ADVAN2
uses); nothing is integrated numerically, so there is no step-size error. Over an interval of length
``h`` with rate constants ``ka`` (absorption) and ``ke`` (elimination)::

    G(t+h) = G(t) · e^(−ka·h)
    A(t+h) = A(t) · e^(−ke·h) + G(t) · ka · φ(ka, ke, h)
    φ(ka, ke, h) = (e^(−ke·h) − e^(−ka·h)) / (ka − ke)      (= h·e^(−ke·h) when ka = ke)

A dose of absorbed amount ``a`` given at ``t_d`` inside an interval adds ``a·e^(−ka·off)`` to ``G`` and
``a·ka·φ(ka, ke, off)`` to ``A`` at the interval's end, ``off`` being the time from the dose to that
end. The grid is the union of the sample times and the breakpoints where ``ke`` changes (CrCl
changes, dialysis starts and stops). The transcendental functions are evaluated by NumPy in
:func:`dose_increments` and :func:`make_chunk`; the recurrence (:func:`advance_numpy`, or the numba
kernel in :mod:`gabacare.pk._numba_kernel`) only multiplies and adds, in the same order in both, so
the two paths give the same numbers, bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from gabacare._record import record

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

# Interval lengths are grouped after rounding to this many decimals of an hour (3.6 µs), so that a
# regular grid computed in floating point shares one set of step factors.
_STEP_DECIMALS = 9


def phi(ka: F64, ke: F64, h: F64) -> F64:
    """``(e^(−ke·h) − e^(−ka·h)) / (ka − ke)``, accurate when ``ka ≈ ke`` (via ``expm1``)."""
    d = ka - ke
    ratio = np.divide(-np.expm1(-d * h), d, out=np.array(h, dtype=np.float64, copy=True), where=d != 0.0)
    out: F64 = np.exp(-ke * h) * ratio
    return out


def _locate(grid: Grid, t: F64) -> I64:
    """Index ``k`` of the grid interval ``[times[k], times[k+1])`` holding each time (``t`` inside the grid)."""
    times = grid.times
    if grid.kind_h.size == 1 and times.size > 2:
        # Uniform grid: arithmetic, then a correction for times that rounding puts one interval off.
        k = np.floor((t - times[0]) / grid.kind_h[0]).astype(np.int64)
        np.clip(k, 0, times.size - 2, out=k)
        k -= times[k] > t
        k += times[k + 1] <= t
        np.clip(k, 0, times.size - 2, out=k)
        located: I64 = k
        return located
    out: I64 = np.searchsorted(times, t, side="right").astype(np.int64) - 1
    return out


@record
class Grid:
    """The shared time structure: grid points, what each interval uses, where the samples are.

    ``segment_of_interval[k]`` indexes the rows of a patient's ``ke`` table for interval
    ``[times[k], times[k+1])``; ``kind_of_interval[k]`` indexes the unique (length, segment) pairs
    ``kind_h``/``kind_segment`` that share step factors; ``sample_row[k]`` is the output row of grid
    point ``k`` or −1.
    """

    times: F64
    segment_of_interval: I64
    kind_of_interval: I64
    kind_h: F64
    kind_segment: I64
    sample_row: I64
    n_samples: int


def build_grid(sample_t: F64, breakpoints: F64, start_h: float) -> Grid:
    """Grid from sorted sample times, the ``ke`` breakpoints (segment ``s`` starts at ``breakpoints[s-1]``)."""
    inner = breakpoints[(breakpoints > start_h) & (breakpoints < sample_t[-1])]
    times = np.unique(np.concatenate([[start_h], sample_t, inner]))
    sample_row = np.full(times.size, -1, dtype=np.int64)
    sample_row[np.searchsorted(times, sample_t)] = np.arange(sample_t.size, dtype=np.int64)
    segment = np.searchsorted(breakpoints, times[:-1], side="right").astype(np.int64)
    h = np.round(np.diff(times), _STEP_DECIMALS)
    pairs = np.stack([h, segment.astype(np.float64)], axis=1)
    uniq, kind = np.unique(pairs, axis=0, return_inverse=True)
    return Grid(times=times, segment_of_interval=segment, kind_of_interval=kind.reshape(-1).astype(np.int64),
                kind_h=uniq[:, 0].copy(), kind_segment=uniq[:, 1].astype(np.int64), sample_row=sample_row,
                n_samples=int(sample_t.size))


@record
class Chunk:
    """One chunk of ``n`` patients: step factors, rate constants and doses.

    Doses are ``[n, D]`` arrays, each row one patient's doses in time order (padding: ``inf`` times
    or zero amounts); ``absorbed`` is the amount reaching the circulation (bioavailability applied).
    """

    eg: F64  # [kinds, n] e^(−ka·h)
    ec: F64  # [kinds, n] e^(−ke·h)
    x: F64  # [kinds, n] ka·φ(ka, ke, h)
    ka: F64  # [n]
    ke: F64  # [segments, n]
    inv_v: F64  # [n] 1 / volume
    dose_t: F64  # [n, D]
    absorbed: F64  # [n, D]


def make_chunk(grid: Grid, ka: F64, ke: F64, volume: F64, dose_t: F64, absorbed: F64) -> Chunk:
    """Compute the step factors of every interval kind for ``n`` patients and bundle their doses.

    ``ka``/``volume`` are ``[n]``; ``ke`` is ``[segments, n]``.
    """
    seg_ke = ke[grid.kind_segment]
    h = grid.kind_h[:, None]
    eg = np.exp(-ka[None, :] * h)
    ec = np.exp(-seg_ke * h)
    x = ka[None, :] * phi(ka[None, :], seg_ke, np.broadcast_to(h, seg_ke.shape))
    return Chunk(eg=eg, ec=ec, x=x, ka=ka, ke=ke, inv_v=1.0 / volume, dose_t=dose_t, absorbed=absorbed)


Geometry = Callable[[Grid, Chunk, int, int], tuple[I64, F64, F64]]


def dose_geometry(grid: Grid, c: Chunk, k0: int, k1: int) -> tuple[I64, F64, F64]:
    """Each dose's grid interval within ``k0 ≤ k < k1`` (−1: it does not act there, or is 0 mg), the time
    from the dose to that interval's end (``off``) and the interval's ``ke`` (NumPy; numba has a drop-in).
    """
    dose_t, absorbed, ke = c.dose_t, c.absorbed, c.ke
    lo, hi = grid.times[k0], grid.times[k1]
    acts = (dose_t >= lo) & (dose_t < hi) & (absorbed != 0.0)
    t_in = np.where(acts, dose_t, lo)
    interval = _locate(grid, t_in)
    off = grid.times[interval + 1] - t_in
    if ke.shape[0] == 1:
        ke_d = np.broadcast_to(ke[0][:, None], off.shape)
    else:
        ke_d = np.take_along_axis(ke.T, grid.segment_of_interval[interval], axis=1)
    interval[~acts] = -1
    return interval, off, ke_d


def dose_increments(grid: Grid, c: Chunk, k0: int, k1: int,
                    geometry: Geometry = dose_geometry) -> tuple[I64, F64, F64]:
    """For each dose acting in intervals ``k0 ≤ k < k1``: its interval and its gut/central increments.

    A dose of absorbed amount ``a`` at ``t`` adds ``a·e^(−ka·off)`` to the gut and ``a·ka·φ(ka, ke, off)``
    to the central amount at its interval's end, ``off`` after the dose. Doses that do not act in the
    window (interval −1) are never added, whatever their increments.
    """
    interval, off, ke_d = geometry(grid, c, k0, k1)
    ka_d = c.ka[:, None]
    # e^(−ka·off) = e^(−ke·off)·(1 + m) and φ = e^(−ke·off)·(−m)/(ka − ke), with m = expm1(−(ka − ke)·off):
    # two transcendental calls per dose, accurate when ka ≈ ke, and φ = off·e^(−ke·off) when ka = ke.
    d = ka_d - ke_d
    m = np.multiply(d, off)
    np.negative(m, out=m)
    np.expm1(m, out=m)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.divide(m, d)
    np.negative(ratio, out=ratio)
    same = d == 0.0
    if same.any():
        ratio[same] = np.broadcast_to(off, ratio.shape)[same]
    scaled = np.multiply(ke_d, off)
    np.negative(scaled, out=scaled)
    np.exp(scaled, out=scaled)
    scaled *= c.absorbed
    m += 1.0
    dg = np.multiply(scaled, m, out=m)
    ratio *= ka_d
    dc = np.multiply(scaled, ratio, out=ratio)
    return interval, dg, dc


def advance_numpy(grid: Grid, c: Chunk, k0: int, k1: int, g: F64, a: F64, out: F64, row0: int) -> None:
    """Carry ``g``/``a`` (updated in place) from grid point ``k0`` to ``k1``; write samples to ``out``.

    ``out`` has one row per sample (row ``sample_row − row0``) and one column per patient. All patients
    step together; the doses of each interval are added with ``np.add.at`` (in time order per patient).
    """
    interval_2d, dg_2d, dc_2d = dose_increments(grid, c, k0, k1)
    patient, dose = np.nonzero(interval_2d >= 0)  # patient-major, each patient's doses in time order
    interval = interval_2d[patient, dose]
    order = np.argsort(interval, kind="stable")
    interval, patient, dose = interval[order], patient[order], dose[order]
    dg, dc = dg_2d[patient, dose], dc_2d[patient, dose]
    starts = np.searchsorted(interval, np.arange(k0, k1 + 1))
    kinds, rows = grid.kind_of_interval, grid.sample_row
    gg, aa = g.copy(), a.copy()
    for k in range(k0, k1):
        u = kinds[k]
        g_next = gg * c.eg[u]
        aa = aa * c.ec[u] + gg * c.x[u]
        gg = g_next
        s, e = starts[k - k0], starts[k - k0 + 1]
        if e > s:
            np.add.at(gg, patient[s:e], dg[s:e])
            np.add.at(aa, patient[s:e], dc[s:e])
        r = rows[k + 1]
        if r >= 0:
            np.multiply(aa, c.inv_v, out=out[r - row0])
    g[:] = gg
    a[:] = aa
