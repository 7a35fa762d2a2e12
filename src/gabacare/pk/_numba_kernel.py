"""The recurrence of :mod:`gabacare.pk._engine` compiled with numba (imported only when it pays).

Same arithmetic, in the same order, as :func:`gabacare.pk._engine.advance_numpy`, so the two paths
give the same numbers bit for bit: NumPy still evaluates every ``exp`` (:func:`dose_increments`, with
the doses' intervals found here by :func:`_geometry`), and the kernel only multiplies and adds.

One patient's recurrence is a chain of dependent multiply-adds, so patients run four at a time (four
independent chains keep the floating-point units busy), state and step factors in registers. Runs of
intervals where none of the four has a dose go through a tight loop; the interval holding the next
dose is stepped the same way and then its doses are added. Each patient's doses are in time order,
so a pointer per patient finds them.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

from gabacare.pk._engine import F64, I64, Chunk, Grid, dose_increments

__all__ = ["advance_numba"]

_LANES = 4


@numba.njit(inline="always", boundscheck=False)
def _interval_of(k: int, t: float, times: Any, k1: int, step: float) -> int:  # pragma: no cover - compiled
    """The interval ``j ≥ k`` with ``times[j] ≤ t < times[j+1]``, or −1 when ``t`` is at or past ``times[k1]``.

    On a uniform grid (``step`` > 0) the index comes from arithmetic, corrected for rounding; otherwise
    by bisection. Gives the same index as ``searchsorted(times, t, "right") − 1``.
    """
    if not t < times[k1]:
        return -1
    if step > 0.0:
        j = max(k, min(k1 - 1, int((t - times[0]) / step)))
        while j > k and times[j] > t:
            j -= 1
        while j < k1 - 1 and times[j + 1] <= t:
            j += 1
        return j
    lo, hi = k, k1 - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if times[mid] <= t:
            lo = mid
        else:
            hi = mid - 1
    return lo


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _geometry_kernel(k0: int, k1: int, step: float, times: Any, segs: Any, ke: Any, dose_t: Any, absorbed: Any,
                     interval: Any, off: Any, ke_d: Any) -> None:  # pragma: no cover - compiled
    n, n_doses = dose_t.shape
    lo = times[k0]
    for i in range(n):
        j = k0  # a row is in time order, so each dose's interval is at or after the previous one's
        for p in range(n_doses):
            t = dose_t[i, p]
            q = _interval_of(j, t, times, k1, step) if t >= lo and absorbed[i, p] != 0.0 else -1
            if q < 0:
                interval[i, p] = -1
                off[i, p] = 0.0
                ke_d[i, p] = 0.0
            else:
                interval[i, p] = q
                off[i, p] = times[q + 1] - t
                ke_d[i, p] = ke[segs[q], i]
                j = q


def _geometry(grid: Grid, c: Chunk, k0: int, k1: int) -> tuple[I64, F64, F64]:
    """Drop-in for :func:`gabacare.pk._engine.dose_geometry` (same intervals, offsets and ``ke``)."""
    shape = c.dose_t.shape
    interval = np.empty(shape, dtype=np.int64)
    off = np.empty(shape)
    ke_d = np.empty(shape)
    _geometry_kernel(k0, k1, _uniform_step(grid), grid.times, grid.segment_of_interval, c.ke, c.dose_t, c.absorbed,
                     interval, off, ke_d)
    return interval, off, ke_d


@numba.njit(inline="always", boundscheck=False)
def _next(i: int, p: int, interval: Any) -> tuple[int, int]:  # pragma: no cover - compiled
    """Skip doses that do not act (interval −1); return the pointer and its interval (−1: none left)."""
    n_doses = interval.shape[1]
    while p < n_doses and interval[i, p] < 0:
        p += 1
    return p, (interval[i, p] if p < n_doses else -1)


@numba.njit(inline="always", boundscheck=False)
def _take(i: int, k: int, gj: float, aj: float, p: int, interval: Any, dg: Any,
          dc: Any) -> tuple[float, float, int, int]:  # pragma: no cover - compiled
    """Add patient ``i``'s doses of interval ``k`` (in time order); return state, pointer, next interval."""
    n_doses = interval.shape[1]
    while p < n_doses and (interval[i, p] == k or interval[i, p] < 0):
        if interval[i, p] == k:
            gj += dg[i, p]
            aj += dc[i, p]
        p += 1
    p, q = _next(i, p, interval)
    return gj, aj, p, q


@numba.njit(inline="always", boundscheck=False)
def _one(i: int, k0: int, k1: int, kinds: Any, rows: Any, row0: int, eg: Any, ec: Any, x: Any, inv_v: Any,
         interval: Any, dg: Any, dc: Any, g: Any, a: Any, out: Any) -> None:  # pragma: no cover - compiled
    gi, ai = g[i], a[i]
    p, q = _next(i, 0, interval)
    u_now = -1
    fg = fc = fx = 0.0
    for k in range(k0, k1):
        u = kinds[k]
        if u != u_now:
            fg, fc, fx, u_now = eg[u, i], ec[u, i], x[u, i], u
        g_next = gi * fg
        ai = ai * fc + gi * fx
        gi = g_next
        if q == k:
            gi, ai, p, q = _take(i, k, gi, ai, p, interval, dg, dc)
        r = rows[k + 1]
        if r >= 0:
            out[r - row0, i] = ai * inv_v[i]
    g[i], a[i] = gi, ai


@numba.njit(inline="always", boundscheck=False)
def _four(i: int, k0: int, k1: int, kinds: Any, rows: Any, row0: int, eg: Any, ec: Any, x: Any, inv_v: Any,
          interval: Any, dg: Any, dc: Any, g: Any, a: Any, out: Any) -> None:  # pragma: no cover - compiled
    g0, g1, g2, g3 = g[i], g[i + 1], g[i + 2], g[i + 3]
    a0, a1, a2, a3 = a[i], a[i + 1], a[i + 2], a[i + 3]
    p0, q0 = _next(i, 0, interval)
    p1, q1 = _next(i + 1, 0, interval)
    p2, q2 = _next(i + 2, 0, interval)
    p3, q3 = _next(i + 3, 0, interval)
    v0, v1, v2, v3 = inv_v[i], inv_v[i + 1], inv_v[i + 2], inv_v[i + 3]
    u_now = -1
    fg0 = fg1 = fg2 = fg3 = fc0 = fc1 = fc2 = fc3 = fx0 = fx1 = fx2 = fx3 = 0.0
    k = k0
    while k < k1:
        # the next interval where one of the four has a dose (k1 when none is left)
        stop = k1
        for q in (q0, q1, q2, q3):
            if 0 <= q < stop:
                stop = q
        # (1) the run of intervals before it: nothing but the recurrence
        while k < stop:
            u = kinds[k]
            if u != u_now:
                fg0, fg1, fg2, fg3 = eg[u, i], eg[u, i + 1], eg[u, i + 2], eg[u, i + 3]
                fc0, fc1, fc2, fc3 = ec[u, i], ec[u, i + 1], ec[u, i + 2], ec[u, i + 3]
                fx0, fx1, fx2, fx3 = x[u, i], x[u, i + 1], x[u, i + 2], x[u, i + 3]
                u_now = u
            t0, t1, t2, t3 = g0 * fg0, g1 * fg1, g2 * fg2, g3 * fg3
            a0 = a0 * fc0 + g0 * fx0
            a1 = a1 * fc1 + g1 * fx1
            a2 = a2 * fc2 + g2 * fx2
            a3 = a3 * fc3 + g3 * fx3
            g0, g1, g2, g3 = t0, t1, t2, t3
            r = rows[k + 1]
            if r >= 0:
                out[r - row0, i] = a0 * v0
                out[r - row0, i + 1] = a1 * v1
                out[r - row0, i + 2] = a2 * v2
                out[r - row0, i + 3] = a3 * v3
            k += 1
        if k >= k1:
            break
        # (2) the interval with doses: the same step, then the doses
        u = kinds[k]
        if u != u_now:
            fg0, fg1, fg2, fg3 = eg[u, i], eg[u, i + 1], eg[u, i + 2], eg[u, i + 3]
            fc0, fc1, fc2, fc3 = ec[u, i], ec[u, i + 1], ec[u, i + 2], ec[u, i + 3]
            fx0, fx1, fx2, fx3 = x[u, i], x[u, i + 1], x[u, i + 2], x[u, i + 3]
            u_now = u
        t0, t1, t2, t3 = g0 * fg0, g1 * fg1, g2 * fg2, g3 * fg3
        a0 = a0 * fc0 + g0 * fx0
        a1 = a1 * fc1 + g1 * fx1
        a2 = a2 * fc2 + g2 * fx2
        a3 = a3 * fc3 + g3 * fx3
        g0, g1, g2, g3 = t0, t1, t2, t3
        if q0 == k:
            g0, a0, p0, q0 = _take(i, k, g0, a0, p0, interval, dg, dc)
        if q1 == k:
            g1, a1, p1, q1 = _take(i + 1, k, g1, a1, p1, interval, dg, dc)
        if q2 == k:
            g2, a2, p2, q2 = _take(i + 2, k, g2, a2, p2, interval, dg, dc)
        if q3 == k:
            g3, a3, p3, q3 = _take(i + 3, k, g3, a3, p3, interval, dg, dc)
        r = rows[k + 1]
        if r >= 0:
            out[r - row0, i] = a0 * v0
            out[r - row0, i + 1] = a1 * v1
            out[r - row0, i + 2] = a2 * v2
            out[r - row0, i + 3] = a3 * v3
        k += 1
    g[i], g[i + 1], g[i + 2], g[i + 3] = g0, g1, g2, g3
    a[i], a[i + 1], a[i + 2], a[i + 3] = a0, a1, a2, a3


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _kernel(k0: int, k1: int, kinds: Any, rows: Any, row0: int, eg: Any, ec: Any, x: Any, inv_v: Any, interval: Any,
            dg: Any, dc: Any, g: Any, a: Any, out: Any) -> None:  # pragma: no cover - compiled
    n = inv_v.shape[0]
    whole = n - n % _LANES
    for i in range(0, whole, _LANES):
        _four(i, k0, k1, kinds, rows, row0, eg, ec, x, inv_v, interval, dg, dc, g, a, out)
    for i in range(whole, n):
        _one(i, k0, k1, kinds, rows, row0, eg, ec, x, inv_v, interval, dg, dc, g, a, out)


def _uniform_step(grid: Grid) -> float:
    return float(grid.kind_h[0]) if grid.kind_h.size == 1 and grid.times.size > 2 else 0.0


def advance_numba(grid: Grid, c: Chunk, k0: int, k1: int, g: F64, a: F64, out: F64, row0: int) -> None:
    """Drop-in replacement for :func:`gabacare.pk._engine.advance_numpy`."""
    interval, dg, dc = dose_increments(grid, c, k0, k1, geometry=_geometry)
    _kernel(k0, k1, grid.kind_of_interval, grid.sample_row, row0, c.eg, c.ec, c.x, c.inv_v, interval, dg, dc, g, a,
            out)
