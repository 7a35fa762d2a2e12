"""Population scale: time and peak memory of ``simulate_population`` for 10⁴, 10⁵ and 10⁶ patients.

Workload: ``600 mg TID`` for 28 days, hourly output (673 sample times), CrCl uniform 20-90 mL/min,
variability on clearance, volume and absorption rate, seed 1 (what ``gabacare simulate-population
"600 mg TID" --n N --crcl-range 20-90 --days 28 --seed 1`` runs). Each size runs in a fresh child
process, so its peak resident memory (``ru_maxrss``: the interpreter, NumPy, numba and the run) is its
own; a first child warms numba's on-disk cache so no size pays the compile. For each size it prints the
wall time of the call, the child's CPU seconds (user + system, all threads), CPU seconds per 10⁵
patients (the machine is shared: CPU time moves less with other load than wall time), the peak RSS,
the percentile method and its error bound, and the wall time per patient relative to the 10⁴ run.

Usage: ``python benchmarks/population_scale.py [--sizes 10000 100000 1000000] [--workers N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from typing import Any

REGIMEN = "600 mg TID"
DAYS = 28


def child(n: int, workers: int | None) -> None:
    """Run one size and print its figures as one JSON line (inside the fresh process)."""
    from gabacare.clinical.regimen import parse_regimen
    from gabacare.pk import CrClDistribution, regimen_doses, simulate_population

    doses = regimen_doses(parse_regimen(REGIMEN), DAYS)
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    result = simulate_population(doses, n=n, crcl=CrClDistribution.uniform(20.0, 90.0), end_h=DAYS * 24.0, seed=1,
                                 workers=workers)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(json.dumps({"n": n, "wall_s": wall, "cpu_s": cpu, "peak_rss_mb": after.ru_maxrss / 1024.0,
                      "samples": int(result.t_h.size), "bound": result.quantile_error.to_json(),
                      "p50_last": float(result.p50[-1])}))


def run_child(n: int, workers: int | None) -> dict[str, Any]:
    args = [sys.executable, __file__, "--child", str(n)] + ([] if workers is None else ["--workers", str(workers)])
    out = subprocess.run(args, check=True, capture_output=True, text=True)
    figures: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--workers", type=int, default=None, help="threads (default: one per CPU)")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.child is not None:
        child(opts.child, opts.workers)
        return
    load = os.getloadavg()
    print(f"{REGIMEN}, {DAYS} days hourly; {os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} "
          f"{load[2]:.2f} (other work slows wall times)")
    run_child(20_000, opts.workers)  # warm numba's cache (not reported)
    rows = [run_child(n, opts.workers) for n in opts.sizes]
    base = rows[0]
    base_per_patient = base["wall_s"] / base["n"]
    print(f"{'patients':>10} {'wall s':>8} {'CPU s':>8} {'CPU s/1e5':>10} {'peak RSS MB':>12} "
          f"{'per-patient vs first':>21}  percentiles")
    for row in rows:
        n, wall, cpu, bound = row["n"], row["wall_s"], row["cpu_s"], row["bound"]
        how = ("exact" if bound["method"] == "exact" else
               f"histogram, |error| <= {bound['relative'] * 100:.2f} % + {bound['absolute_mg_per_l']:.1e} mg/L")
        print(f"{n:>10,} {wall:>8.2f} {cpu:>8.2f} {cpu / n * 1e5:>10.2f} {row['peak_rss_mb']:>12.0f} "
              f"{wall / n / base_per_patient:>21.2f}  {how}")


if __name__ == "__main__":
    main()
