"""``simulate-population --dask``: the same chunk tasks on a Dask cluster give the single-process result."""

from __future__ import annotations

import pickle
import sys
from collections.abc import Iterator

import numpy as np
import pytest
from typer.testing import CliRunner

from gabacare import app
from gabacare.cli import app as cli

ARGS: dict[str, object] = dict(regimen="600 mg TID", crcl_range="20-90", days=7, seed=3, threshold_mg_per_l=8.0,
                               dialysis="day3@09:00")


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None,
                                  silence_logs=40) as cluster:
        yield cluster.scheduler_address


@pytest.mark.parametrize("n", [300, 30000])  # exact percentiles, then histograms (n x 169 samples > 4 M)
def test_a_dask_cluster_gives_the_local_result(scheduler: str, n: int) -> None:
    local = app.simulate_population(n=n, **ARGS)  # type: ignore[arg-type]
    remote = app.simulate_population(n=n, dask=scheduler, **ARGS)  # type: ignore[arg-type]
    assert remote.result.quantile_error.method == ("exact" if n == 300 else "histogram")
    for name in ("p5", "p50", "p95", "mean", "share_above"):
        np.testing.assert_array_equal(getattr(local.result, name), getattr(remote.result, name))
    assert local.to_json() == remote.to_json()


def test_the_cli_runs_on_a_cluster(scheduler: str) -> None:
    args = ["simulate-population", "300 mg TID", "--n", "500", "--days", "2", "--seed", "9", "--json"]
    local = CliRunner().invoke(cli, args)
    remote = CliRunner().invoke(cli, [*args, "--dask", scheduler])
    assert local.exit_code == remote.exit_code == 0, remote.output
    assert local.stdout == remote.stdout


def test_a_task_and_its_summary_travel_between_processes() -> None:
    """What a remote worker receives and sends back pickles (a process cluster ships both)."""
    from gabacare.pk.population import summarise_chunks

    seen = []

    def runner(task, plan, ranges):  # type: ignore[no-untyped-def]
        for first, last in ranges:
            summary = pickle.loads(pickle.dumps(task(pickle.loads(pickle.dumps(plan)), first, last)))
            seen.append(summary.first)
            yield summary

    from gabacare.clinical.regimen import parse_regimen
    from gabacare.pk import CrClDistribution, regimen_doses, simulate_population

    doses = regimen_doses(parse_regimen("300 mg TID"), 2)
    kw: dict[str, object] = dict(n=5000, crcl=CrClDistribution.normal(70, 20), end_h=48.0, seed=1,
                                 quantiles="histogram")
    a = simulate_population(doses, runner=runner, **kw)  # type: ignore[arg-type]
    b = simulate_population(doses, **kw)  # type: ignore[arg-type]
    assert seen == [0] and summarise_chunks.__name__ == "summarise_chunks"
    np.testing.assert_array_equal(a.p50, b.p50)


def test_without_dask_the_option_exits_2_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    res = CliRunner().invoke(cli, ["simulate-population", "300 mg TID", "--n", "10", "--dask", "tcp://127.0.0.1:1",
                                   "--json"])
    assert res.exit_code == 2
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "gabacare[cluster]" in lines[0]
