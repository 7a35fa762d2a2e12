"""Journal import benchmark: `gabacare import` of a CSV and a JSON export, 20,000 and 300,000 rows.

Each case runs in a fresh child process (so its peak memory is its own) that:

1. opens the journal (SQLite file, or PostgreSQL) and adds an empty patient;
2. imports the file with ``Journal.import_stream`` (what ``gabacare import`` calls): wall and CPU time,
   and the peak resident memory the import added (``ru_maxrss`` after minus the resident size before);
3. then, as the baseline in the same process, reads the same file with the standard library only
   (``csv.reader`` over the file, or ``json.load``): the cost of merely parsing it.

It prints CPU µs per row, the ratio of the import's CPU to the baseline's, and the ratio of µs per row
at the largest size to the smallest (about 1 when the import is linear; the quadratic JSON import it
replaced gave 4.3 from 20,000 to 40,000 rows).

    .venv/bin/python benchmarks/journal_import.py                        # 20k and 300k rows, SQLite
    .venv/bin/python benchmarks/journal_import.py --rows 20000 100000 --backend both
    .venv/bin/python benchmarks/journal_import.py --pg-url postgresql+psycopg://user@host/db --backend postgresql

The file mixes what a journal holds: 60% doses (8% of them skipped), 26% symptom scores, 10% notes
(with commas, quotes, line breaks, CRLF, Unicode and formula-looking starts), 3.5% triggers and 0.5%
side effects (each is triaged on import, the costliest row). The load average is printed first: on a
shared machine wall times move with it, CPU per row and the ratios much less.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

NOW = datetime(2026, 6, 30, 12, 0)
NOTES = ("slept badly, woke at 3", 'said "much better"', "line one\nline two", "windows\r\nline", "ünïcode ✓ 痛み",
         "=1+1 looks like a formula", "-2 points since Monday", "@home all day", "'quoted' start")
TRIGGERS = ("cold", "stress", "stretching", "long walk")
SIDE_EFFECTS = ("dizziness", "tired all day", "swollen ankles", "drowsy", "dry mouth", "blurred vision", "headache",
                "nausea", "weight gain", "unsteady on my feet", "itchy rash", "low mood")


def write_export(path: Path, fmt: str, rows: int) -> None:
    """A journal export of ``rows`` entries written by GabaCare's own exporter (no database needed)."""
    from gabacare.journal.model import Entry, EntryData
    from gabacare.journal.transfer import write

    rng = random.Random(20260630)
    start = datetime(2025, 7, 1)
    step = (NOW - timedelta(days=1) - start) / rows
    entries = []
    for i in range(rows):
        at = (start + step * i).replace(microsecond=0)
        r = rng.random()
        if r < 0.60:
            data = EntryData("dose", at, mg=300.0, status="skipped" if rng.random() < 0.08 else "taken")
        elif r < 0.86:
            data = EntryData("symptom", at, name=rng.choice(("pain", "sleep", "spasm_intensity")),
                             value=float(rng.randint(0, 10)))
        elif r < 0.96:
            data = EntryData("note", at, text=f"{rng.choice(NOTES)} #{i}")
        elif r < 0.995:
            data = EntryData("trigger", at, text=rng.choice(TRIGGERS))
        else:
            data = EntryData("side_effect", at, text=rng.choice(SIDE_EFFECTS))
        entries.append(Entry(i + 1, 1, 1, NOW, data))
    with path.open("w", encoding="utf-8", newline="") as fh:
        write([], entries, fmt, fh)  # type: ignore[arg-type]


def _rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def child(file: str, fmt: str, url: str) -> None:
    """One case (run in its own process): import, then the stdlib baseline; print a JSON line."""
    import csv

    from gabacare.composition import repository
    from gabacare.journal.services import Journal
    from gabacare.journal.transfer import ParseStats

    journal = Journal(repository(url), clock=lambda: NOW)
    pid = journal.add_patient("Bench").id
    journal.import_text(pid, "kind,at\n", "csv")  # warm the import path (imports, the knowledge base)
    rss_before = _rss_mib()
    stats = ParseStats()
    w0, c0 = time.perf_counter(), time.process_time()
    with open(file, encoding="utf-8", newline="") as fh:
        counts = journal.import_stream(pid, fh, fmt, stats=stats)  # type: ignore[arg-type]
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - rss_before
    c1 = time.process_time()
    with open(file, encoding="utf-8", newline="") as fh:
        if fmt == "csv":
            for _ in csv.reader(fh, strict=True):
                pass
        else:
            json.load(fh)
    base = time.process_time() - c1
    journal.repo.close()
    print(json.dumps({"rows": counts["entries"], "wall_s": wall, "cpu_s": cpu, "base_cpu_s": base, "peak_mib": peak,
                      "line_chars": stats.line_chars, "chars_read": stats.chars_read,
                      "retries": stats.decode_retries}))


def run_case(file: Path, fmt: str, url: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", str(file), fmt, url], check=True,
                         capture_output=True, text=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, nargs="+", default=[20_000, 300_000])
    ap.add_argument("--formats", nargs="+", choices=["csv", "json"], default=["csv", "json"])
    ap.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="sqlite")
    ap.add_argument("--pg-url", default=None, help="use this PostgreSQL database instead of a throwaway cluster")
    ap.add_argument("--child", nargs=3, metavar=("FILE", "FORMAT", "URL"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs, {date.today()}")
    with tempfile.TemporaryDirectory(prefix="gabacare-import-bench-") as tmp:
        files = {}
        for n in args.rows:
            for fmt in args.formats:
                files[n, fmt] = Path(tmp) / f"journal-{n}.{fmt}"
                write_export(files[n, fmt], fmt, n)
        backends: list[tuple[str, str]] = []
        if args.backend in ("sqlite", "both"):
            backends.append(("SQLite", "sqlite"))
        if args.backend in ("postgresql", "both"):
            backends.append(("PostgreSQL", "postgresql"))
        for label, kind in backends:
            if kind == "postgresql" and not args.pg_url:
                sys.path.insert(0, str(Path(__file__).parent))
                from journal_insert import throwaway_postgres

                with throwaway_postgres() as url:
                    report(label, files, args, lambda _i, u=url: u)
            else:
                report(label, files, args,
                       (lambda i: args.pg_url) if kind == "postgresql" else (lambda i: f"sqlite:///{tmp}/bench-{i}.db"))


def report(label: str, files: dict[tuple[int, str], Path], args: argparse.Namespace, url_for: object) -> None:
    print(f"\n{label}: {'format':<5} {'rows':>8} {'wall s':>7} {'CPU s':>6} {'CPU µs/row':>10} "
          f"{'× stdlib parse':>14} {'peak MiB':>9} {'MB':>6}")
    per_row: dict[str, list[float]] = {}
    for i, ((n, fmt), file) in enumerate(sorted(files.items(), key=lambda kv: (kv[0][1], kv[0][0]))):
        r = run_case(file, fmt, url_for(i))  # type: ignore[operator]
        assert r["rows"] == n, r
        us = 1e6 * r["cpu_s"] / n
        per_row.setdefault(fmt, []).append(us)
        print(f"{'':<{len(label)}}  {fmt:<5} {n:>8,} {r['wall_s']:>7.2f} {r['cpu_s']:>6.2f} {us:>10.1f} "
              f"{r['cpu_s'] / r['base_cpu_s']:>14.1f} {r['peak_mib']:>9.1f} {file.stat().st_size / 1e6:>6.1f}")
        assert r["line_chars"] <= r["chars_read"], "line numbers scanned a character twice"
    for fmt, values in per_row.items():
        if len(values) > 1:
            print(f"{'':<{len(label)}}  {fmt}: CPU per row at {max(args.rows):,} rows ÷ at {min(args.rows):,} rows = "
                  f"{values[-1] / values[0]:.2f} (1 = linear)")


if __name__ == "__main__":
    main()
