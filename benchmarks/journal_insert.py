"""Journal benchmark: a year of a TID plan with daily scores for many patients, on SQLite and PostgreSQL.

For each backend it prints the insert rate (entries/s, one transaction per patient-year, the way an
import writes) and the time of an adherence + trends query over one patient's year.

    .venv/bin/python benchmarks/journal_insert.py                      # 1000 patients, both backends
    .venv/bin/python benchmarks/journal_insert.py --patients 100 --backend sqlite
    .venv/bin/python benchmarks/journal_insert.py --pg-url postgresql+psycopg://user@host/db

Without ``--pg-url`` a throwaway PostgreSQL cluster is started (as the tests do) and removed after.
Entries are validated before the timer starts: the figure is storage throughput.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path

from gabacare.composition import repository
from gabacare.journal.model import EntryData, PlanSpec, validate_entry
from gabacare.journal.schedule import scheduled_doses
from gabacare.journal.services import Journal, build_plan

START = date(2025, 1, 1)
NOW = datetime(2026, 1, 1, 12, 0)
SCALES = ("spasm_intensity", "pain", "sleep")


def year_of_entries(rng: random.Random, days: int) -> list[EntryData]:
    """Doses of a 300 mg TID plan (about 8% skipped, times jittered) and three daily scores."""
    plan, _ = build_plan(PlanSpec("regimen", START, regimen="300 mg TID"))
    from gabacare.journal.model import StoredPlan

    sched = scheduled_doses([StoredPlan(1, 1, NOW, plan)], START, START + timedelta(days=days - 1))
    out: list[EntryData] = []
    for dose in sched:
        skipped = rng.random() < 0.08
        at = dose.at + timedelta(minutes=rng.randint(-20, 90))
        out.append(EntryData("dose", at, mg=dose.mg, status="skipped" if skipped else "taken"))
    for i in range(days):
        evening = datetime.combine(START + timedelta(days=i), datetime.min.time()) + timedelta(hours=21, minutes=30)
        for scale in SCALES:
            out.append(EntryData("symptom", evening, name=scale, value=float(rng.randint(0, 10))))
    return [validate_entry(e, now=NOW) for e in out]


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """Start a temporary PostgreSQL cluster on a free loopback port (as the `postgres` user when root)."""
    bindir = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    root = Path(tempfile.mkdtemp(prefix="gabacare-bench-pg-"))
    sock = root / "sock"
    sock.mkdir()
    as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_pg:
        shutil.chown(root, "postgres")
        shutil.chown(sock, "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = root / "data"
    subprocess.run([*as_pg, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"],
                   check=True, capture_output=True)
    subprocess.run([*as_pg, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-o",
                    f"-p {port} -k {sock} -c listen_addresses=127.0.0.1", "start"], check=True, capture_output=True)
    try:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={port} user=postgres dbname=postgres", autocommit=True) as c:
            c.execute("CREATE DATABASE bench")
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/bench"
    finally:
        subprocess.run([*as_pg, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                       capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def run(url: str, label: str, patients: int, days: int) -> dict[str, float]:
    journal = Journal(repository(url), clock=lambda: NOW)
    rng = random.Random(20260101)
    template = year_of_entries(rng, days)
    plan_spec = PlanSpec("regimen", START, regimen="300 mg TID")
    plan, _ = build_plan(plan_spec)
    ids = [journal.repo.add_patient(journal_patient(i), created_at=NOW).id for i in range(patients)]
    total = 0
    t0 = time.perf_counter()
    for pid in ids:
        total += journal.repo.add_batch(pid, plans=[plan], entries=template, recorded_at=NOW)
    insert_s = time.perf_counter() - t0
    probe = ids[len(ids) // 2]
    end = START + timedelta(days=days - 1)
    t1 = time.perf_counter()
    report = journal.adherence(probe, start=START, end=end)
    trends = journal.trends(probe, start=START, end=end)
    query_s = time.perf_counter() - t1
    assert report.scheduled == 3 * days and set(trends.scales) == set(SCALES)
    journal.repo.close()
    rate = total / insert_s
    print(f"{label:<11} {patients:>6} patients  {total:>10,} entries  insert {insert_s:7.1f} s = {rate:>9,.0f} entries/s"
          f"  | adherence+trends for one patient-year: {query_s * 1000:7.1f} ms")
    return {"entries_per_s": rate, "query_ms": query_s * 1000}


def journal_patient(i: int) -> object:
    from gabacare.journal.model import NewPatient

    return NewPatient(f"Bench Patient {i}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--patients", type=int, default=1000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--pg-url", default=None, help="use this PostgreSQL database instead of a throwaway cluster")
    args = ap.parse_args()
    results: dict[str, dict[str, float]] = {}
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            results["sqlite"] = run(f"sqlite:///{tmp}/bench.sqlite3", "SQLite", args.patients, args.days)
    if args.backend in ("postgresql", "both"):
        if args.pg_url:
            results["postgresql"] = run(args.pg_url, "PostgreSQL", args.patients, args.days)
        else:
            with throwaway_postgres() as url:
                results["postgresql"] = run(url, "PostgreSQL", args.patients, args.days)
    if len(results) == 2:
        ratio = results["sqlite"]["entries_per_s"] / results["postgresql"]["entries_per_s"]
        print(f"SQLite inserts {ratio:.2f}× as fast as PostgreSQL here (same process, same data).")


if __name__ == "__main__":
    main()
