"""The per-time-point reduction of :func:`gabacare.pk.population.reduce_numpy`, compiled with numba.

Imported only where the numba recurrence runs (:func:`gabacare.pk.population.summarise_chunks`). It
counts exactly what the NumPy version counts: a value's bin comes from its IEEE-754 bits by a shift
and a subtraction (:class:`gabacare.pk.population.HistogramBins`), and the extremes and the count
above the threshold are exact, so neither path can differ from the other. One pass over a chunk's
window updates all of them together (NumPy needs a pass for each).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numba
import numpy as np

from gabacare.pk._engine import F64, I64

if TYPE_CHECKING:
    from gabacare.pk.population import I32, HistogramBins

__all__ = ["reduce_numba"]


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _reduce(block: Any, bits: Any, row0: int, shift: int, base: int, nb: int, threshold: float, counts: Any,
            histogram: bool, above: Any, low: Any, high: Any) -> None:  # pragma: no cover - compiled
    # NOTE: the block is time-major, so a row's values are contiguous and its counts stay in cache; a
    # patient-major block lets the recurrence write faster but makes this pass slower by more.
    rows, n = block.shape
    for r in range(rows):
        lo, hi = low[row0 + r], high[row0 + r]
        over = 0
        for i in range(n):
            v = block[r, i]
            lo = min(lo, v)
            hi = max(hi, v)
            over += v > threshold
            if histogram:
                b = (bits[r, i] >> shift) - base
                counts[row0 + r, max(0, min(nb + 1, b))] += 1
        low[row0 + r], high[row0 + r] = lo, hi
        above[row0 + r] += over


def reduce_numba(block: F64, row0: int, bins: HistogramBins, threshold: float, counts: I32 | None, above: I64,
                 low: F64, high: F64) -> None:
    """Drop-in replacement for :func:`gabacare.pk.population.reduce_numpy` (same counts, same extremes)."""
    table = counts if counts is not None else np.zeros((1, 1), dtype=np.int32)
    _reduce(block, block.view(np.int64), row0, bins.shift, bins.base - 1, bins.nb, threshold, table,
            counts is not None, above, low, high)
