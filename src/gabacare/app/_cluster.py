"""Run a population's tasks on a Dask cluster (``gabacare simulate-population --dask ADDRESS``).

An adapter for the port :data:`gabacare.pk.population.TaskRunner`: the pure core cuts the run into
tasks (ranges of chunks of patients) and merges their summaries; this module only ships the tasks to
a ``distributed`` scheduler and hands the summaries back in task order. Each task draws its patients
from its chunks' own seeds, so the result is the one the single-process run gives for the same seed.

Dask is optional (the ``cluster`` extra) and imported here only when a cluster is asked for. Every
worker needs the same GabaCare installed (it imports :func:`gabacare.pk.population.summarise_chunks`
and reads the packaged knowledge base).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from gabacare.errors import InputError

if TYPE_CHECKING:
    from gabacare.pk.population import ChunkSummary, PopulationPlan, TaskFn, TaskRunner

__all__ = ["dask_runner"]

_INSTALL_HINT = "--dask needs Dask, which is not installed: pip install 'gabacare[cluster]'"


def dask_runner(address: str) -> TaskRunner:
    """A task runner that submits every task to the Dask scheduler at ``address`` (e.g. ``tcp://host:8786``).

    Nothing is contacted until the run starts; then the client connects, sends the plan once to every
    worker, submits one task per range and yields the summaries in task order.

    Raises
    ------
    InputError
        Dask (``distributed``) is not installed, or the address is empty.

    Examples
    --------
    >>> run = dask_runner("tcp://127.0.0.1:8786")
    >>> callable(run)
    True
    >>> dask_runner(" ")
    Traceback (most recent call last):
    ...
    gabacare.errors.InputError: --dask takes the scheduler's address, e.g. tcp://10.0.0.5:8786
    """
    try:
        from distributed import Client
    except ImportError:
        raise InputError(_INSTALL_HINT) from None
    if not address.strip():
        raise InputError("--dask takes the scheduler's address, e.g. tcp://10.0.0.5:8786")

    def run(task: TaskFn, plan: PopulationPlan, ranges: Sequence[tuple[int, int]]) -> Iterator[ChunkSummary]:
        # An unreachable scheduler raises OSError (TimeoutError) here: the CLI prints it and exits 1.
        with Client(address, set_as_default=False) as client:  # type: ignore[no-untyped-call]
            [shared] = client.scatter([plan], broadcast=True)  # sent once, not with every task
            pending = deque(client.submit(task, shared, first, last, pure=False) for first, last in ranges)
            while pending:
                future = pending.popleft()  # in task order; dropping it frees the summary on the cluster
                summary: ChunkSummary = future.result()
                future.release()
                yield summary

    return run
