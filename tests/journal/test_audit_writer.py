"""The audit log's group commit (accounts/audit_writer.py): concurrent callers share transactions, every
caller gets its own stored row back only once it is written, and a failed write reaches every caller
of its batch."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gabacare.accounts.audit_writer import GroupCommit


class SlowStore:
    """Writes in order; the first write waits until ``release`` is set, so callers pile up behind it."""

    def __init__(self) -> None:
        self.rows: list[int] = []
        self.batches: list[list[int]] = []
        self.release = threading.Event()
        self.started = threading.Event()
        self.fail_on: int | None = None

    def write_many(self, items: Sequence[int]) -> list[str]:
        self.started.set()
        self.release.wait(10)
        if self.fail_on is not None and self.fail_on in items:
            raise OSError("disk full")
        self.batches.append(list(items))
        self.rows.extend(items)
        return [f"row {i}" for i in items]


def test_callers_waiting_behind_a_write_share_the_next_transaction() -> None:
    store = SlowStore()
    writer: GroupCommit[int, str] = GroupCommit(store.write_many)
    with ThreadPoolExecutor(max_workers=9) as pool:
        first = pool.submit(writer.append, 0)
        assert store.started.wait(10)  # the first caller is writing alone
        rest = [pool.submit(writer.append, i) for i in range(1, 9)]
        while len(writer._pending) < 8:  # every other caller has queued its row behind it
            threading.Event().wait(0.001)
        store.release.set()
        assert first.result(10) == "row 0"
        assert [f.result(10) for f in rest] == [f"row {i}" for i in range(1, 9)]
    assert store.batches[0] == [0]
    assert sorted(store.rows) == list(range(9))
    assert writer.batches == 2 and store.batches[1] == list(range(1, 9))


def test_a_failed_write_reaches_every_caller_of_its_batch_and_no_other() -> None:
    store = SlowStore()
    store.fail_on = 3
    writer: GroupCommit[int, str] = GroupCommit(store.write_many)
    with ThreadPoolExecutor(max_workers=5) as pool:
        first = pool.submit(writer.append, 0)
        assert store.started.wait(10)
        rest = [pool.submit(writer.append, i) for i in range(1, 5)]
        while len(writer._pending) < 4:
            threading.Event().wait(0.001)
        store.release.set()
        assert first.result(10) == "row 0"
        for f in rest:  # rows 1-4 were one batch, and it failed
            with pytest.raises(OSError, match="disk full"):
                f.result(10)
    assert store.rows == [0]
    assert writer.append(7) == "row 7"  # the writer still works after a failure


def test_max_batch_bounds_a_transaction() -> None:
    store = SlowStore()
    writer: GroupCommit[int, str] = GroupCommit(store.write_many, max_batch=3)
    with ThreadPoolExecutor(max_workers=11) as pool:
        first = pool.submit(writer.append, 0)
        assert store.started.wait(10)
        rest = [pool.submit(writer.append, i) for i in range(1, 11)]
        while len(writer._pending) < 10:
            threading.Event().wait(0.001)
        store.release.set()
        assert [f.result(10) for f in [first, *rest]] == [f"row {i}" for i in range(11)]
    assert all(len(b) <= 3 for b in store.batches)
    assert sorted(store.rows) == list(range(11))
    with pytest.raises(ValueError):
        GroupCommit(store.write_many, max_batch=0)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 40), workers=st.integers(1, 8), max_batch=st.integers(1, 10))
def test_every_row_is_written_once_and_each_caller_gets_its_own(n: int, workers: int, max_batch: int) -> None:
    written: list[int] = []

    def write_many(items: Sequence[int]) -> list[int]:
        written.extend(items)
        return [i * 10 for i in items]

    writer: GroupCommit[int, int] = GroupCommit(write_many, max_batch=max_batch)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(writer.append, range(n)))
    assert results == [i * 10 for i in range(n)]
    assert sorted(written) == list(range(n))
