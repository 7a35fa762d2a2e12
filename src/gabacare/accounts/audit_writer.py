"""Group commit for the audit log: many requests' audit rows written in one transaction, none lost.

Every page view and API call appends an audit row before it answers. Written one transaction each,
those writes queue behind SQLite's single write lock and dominate a busy server's latency. The
:class:`GroupCommit` here keeps the guarantee that matters, *a request answers only after its audit
row is stored*, while letting the rows of concurrent requests share one transaction:

* a caller adds its row to a pending list, then waits for the writer lock;
* whoever holds the lock takes every pending row (up to ``max_batch``), writes them in one
  transaction and wakes their callers; a caller whose row another holder already wrote just returns.

There is no background thread: the rows are written by the requests themselves, so a process killed
mid-burst loses only rows whose requests had not yet answered (their callers saw no success), and
nothing needs starting or stopping. Alone, a caller writes its own row at once (no waiting to fill a
batch). If the write fails, every caller in that batch gets the error, as a lone write would raise.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

__all__ = ["DEFAULT_MAX_BATCH", "GroupCommit"]

In = TypeVar("In")
Out = TypeVar("Out")

#: Most rows in one transaction (bounds one transaction's size and the wait of the rows behind it).
DEFAULT_MAX_BATCH = 256


class _Slot(Generic[In, Out]):
    __slots__ = ("done", "error", "item", "result")

    def __init__(self, item: In) -> None:
        self.item = item
        self.done = False
        self.result: Out | None = None
        self.error: BaseException | None = None


class GroupCommit(Generic[In, Out]):
    """Write items through ``write_many`` (one transaction per call, results in order), batching callers.

    >>> calls = []
    >>> def write_many(items):
    ...     calls.append(list(items))
    ...     return [f"stored {i}" for i in items]
    >>> writer = GroupCommit(write_many)
    >>> writer.append("a"), calls
    ('stored a', [['a']])
    """

    def __init__(self, write_many: Callable[[Sequence[In]], Sequence[Out]], *, max_batch: int = DEFAULT_MAX_BATCH) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._write_many = write_many
        self._max_batch = max_batch
        self._pending: list[_Slot[In, Out]] = []
        self._pending_lock = threading.Lock()
        self._writer = threading.Lock()
        self.batches = 0  # transactions written (for tests and benchmarks)

    def append(self, item: In) -> Out:
        """Store ``item`` (in a transaction shared with concurrent callers) and return what was stored."""
        slot: _Slot[In, Out] = _Slot(item)
        with self._pending_lock:
            self._pending.append(slot)
        while True:
            with self._writer:
                if not slot.done:
                    self._write_pending()
            if slot.done:
                break
        if slot.error is not None:
            raise slot.error
        return slot.result  # type: ignore[return-value]  # set with done, when no error

    def _write_pending(self) -> None:
        # Called with the writer lock held: rows are taken in arrival order, so the caller's own row is
        # in this batch unless more than max_batch arrived before it (then the loop in append comes back).
        with self._pending_lock:
            batch = self._pending[:self._max_batch]
            del self._pending[:self._max_batch]
        if not batch:
            return
        try:
            results = list(self._write_many([s.item for s in batch]))
            if len(results) != len(batch):
                raise RuntimeError("write_many returned a different number of results")
        except BaseException as exc:  # every caller of the batch sees the failure, as a lone write would
            for s in batch:
                s.error = exc
                s.done = True
        else:
            for s, r in zip(batch, results, strict=True):
                s.result = r
                s.done = True
        finally:
            self.batches += 1
