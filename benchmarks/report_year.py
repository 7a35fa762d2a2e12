"""Report and charts benchmark: one patient's year (issue 18, "bounded work per request").

One patient with a year of a 300 mg TID plan (three doses a day, about 8% skipped, three daily scores:
the diary of ``journal_insert.year_of_entries``, each dose answering its planned slot), plus a few side
effects, triggers and notes and a serum creatinine, on SQLite (and PostgreSQL with ``--backend both``).
Each figure is the median of ``--repeat`` runs after one warm-up run:

* baseline: reading the year's entries from the repository (``repo.list_entries``), measured in the
  same run; every figure is also printed as a ratio to it;
* (a) adherence + trends over the year (``Journal.adherence`` and ``Journal.trends``, what the Trends
  page calls); (a1) the same from one read (``Journal.adherence_and_trends``, equal to both);
* (b) the doctor's report data (``gabacare.app.report.doctor_report``);
* (c) the HTML report (``render_html``, charts drawn);
* (d) the PDF (``render_pdf`` from the HTML of (c): WeasyPrint's layout alone), and (c)+(d) as the
  web's ``report.pdf`` does them;
* (e) the Trends page's charts: every chart the page shows (adherence, dose, one per scale), each
  as the web's ``/patients/{id}/charts/{name}.svg`` makes it (``gabacare.web.journal_pages._chart``,
  which computes the period's adherence and trends for every chart);
* (f) the same charts drawn from the page's own adherence + trends (``reports.render.period_charts``,
  the same SVG): (a) plus the drawing, what the page would cost with its charts inline.

For each: wall ms, CPU ms (``time.process_time``: steadier than wall time on a shared machine) and
the ratio to the baseline. Then memory: the whole pipeline (a)-(e) for 1, 6 and 12 months, each in a
fresh child process, with its peak RSS (``ru_maxrss``; the interpreter, matplotlib and WeasyPrint
included); flat means the 12-month figure is close to the 1-month one.

    .venv/bin/python benchmarks/report_year.py                         # SQLite, 5 repeats
    .venv/bin/python benchmarks/report_year.py --backend both --repeat 9
    .venv/bin/python benchmarks/report_year.py --no-pdf --no-memory    # quick
    .venv/bin/python benchmarks/report_year.py --profile b             # cProfile one figure (top 25)

Targets (issue 18): (a) under 30 ms; report and charts for a year under 2 s; memory flat.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from journal_insert import NOW, START, throwaway_postgres, year_of_entries

from gabacare.composition import repository
from gabacare.journal.model import EntryData, PlanSpec, StoredPlan, validate_entry
from gabacare.journal.schedule import scheduled_doses
from gabacare.journal.services import Journal, build_plan

SIDE_EFFECTS = ("a bit dizzy in the morning", "tired all afternoon", "swollen ankles", "dry mouth")
TRIGGERS = ("cold", "stress", "long walk")
NOTES = ("slept badly, woke at 3", "better week", "physio on Tuesday", "forgot the lunch dose at work")


def diary(days: int) -> list[EntryData]:
    """``year_of_entries`` for ``days`` days with each dose answering its planned slot (a skipped dose
    dated at its slot, as the Today page stores it), plus side effects, triggers, notes and a creatinine."""
    rng = random.Random(20250101)
    base = year_of_entries(rng, days)
    plan, _ = build_plan(PlanSpec("regimen", START, regimen="300 mg TID"))
    sched = scheduled_doses([StoredPlan(1, 1, NOW, plan)], START, START + timedelta(days=days - 1))
    doses = [e for e in base if e.kind == "dose"]
    assert len(doses) == len(sched)  # year_of_entries writes one dose per scheduled dose, in order
    out: list[EntryData] = [replace(e, slot=s.at, at=s.at if e.status == "skipped" else e.at)
                            for e, s in zip(doses, sched, strict=True)]
    out += [e for e in base if e.kind != "dose"]
    for i in range(0, days, 9):
        at = datetime.combine(START + timedelta(days=i), datetime.min.time()) + timedelta(hours=19)
        out.append(EntryData("side_effect", at, text=SIDE_EFFECTS[i % len(SIDE_EFFECTS)]))
        out.append(EntryData("trigger", at + timedelta(minutes=5), text=TRIGGERS[i % len(TRIGGERS)]))
        out.append(EntryData("note", at + timedelta(minutes=10), text=NOTES[i % len(NOTES)]))
    out.append(EntryData("lab", datetime.combine(START + timedelta(days=days // 2), datetime.min.time())
                         + timedelta(hours=9), name="creatinine", value=88.0, unit="umol/L"))
    return [validate_entry(e, now=NOW) for e in out]


def setup(url: str, days: int) -> tuple[Journal, int, date, date]:
    journal = Journal(repository(url), clock=lambda: NOW)
    pid = journal.add_patient("Bench Patient", birth_date=date(1960, 5, 1), sex="female", weight_kg=70.0).id
    plan, _ = build_plan(PlanSpec("regimen", START, regimen="300 mg TID"))
    journal.repo.add_batch(pid, plans=[plan], entries=diary(days), recorded_at=NOW)
    return journal, pid, START, START + timedelta(days=days - 1)


def steps(journal: Journal, pid: int, start: date, end: date) -> dict[str, Callable[[], Any]]:
    """The measured operations, by key (each returns something so nothing is optimised away)."""
    from gabacare.app.report import doctor_report
    from gabacare.journal.model import day_bounds
    from gabacare.reports import render_html, render_pdf
    from gabacare.reports.render import period_charts
    from gabacare.web.journal_pages import _chart

    lo, hi = day_bounds(start, end)
    state: dict[str, Any] = {}

    def report() -> Any:
        state["report"] = doctor_report(journal, pid, start=start, end=end, now=NOW)
        return state["report"]

    def html() -> str:
        state["html"] = render_html(state.get("report") or report())
        return state["html"]

    def pdf() -> bytes:
        return render_pdf(state.get("report") or report(), html=state.get("html") or html())

    def charts() -> list[int]:
        names = ["adherence", "dose", *(f"score-{t.scale}" for t in (state.get("report") or report()).trends)]
        return [len(_chart(journal, pid, n, start.isoformat(), end.isoformat()).body) for n in names]

    def inline() -> Any:
        return period_charts(journal.adherence(pid, start=start, end=end), journal.trends(pid, start=start, end=end),
                             journal.plans(pid))

    return {
        "base": lambda: journal.repo.list_entries(pid, start=lo, end=hi),
        "a": lambda: (journal.adherence(pid, start=start, end=end), journal.trends(pid, start=start, end=end)),
        "a1": lambda: journal.adherence_and_trends(pid, start=start, end=end),
        "b": report,
        "c": html,
        "d": pdf,
        "e": charts,
        "f": inline,
    }


LABELS = {
    "base": "baseline: list the year's entries",
    "a": "(a) adherence + trends",
    "a1": "(a1) the same, one read (both at once)",
    "b": "(b) doctor's report data",
    "c": "(c) HTML report (charts drawn)",
    "d": "(d) PDF layout (WeasyPrint)",
    "e": "(e) Trends page charts (all)",
    "f": "(f) = (a) + the same charts inline",
}


def measure(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``repeat`` calls after one warm-up call."""
    fn()
    walls, cpus = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus)


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(url: str, label: str, args: argparse.Namespace) -> None:
    journal, pid, start, end = setup(url, args.days)
    ops = steps(journal, pid, start, end)
    keys = ["base", "a", "a1", "b", "c", *([] if args.no_pdf else ["d"]), "e", "f"]
    n = len(journal.repo.list_entries(pid))
    print(f"\n{label}: {n:,} entries, {start} to {end}, median of {args.repeat}")
    print(f"  {'':<36} {'wall ms':>9} {'CPU ms':>9} {'× baseline':>10} {'peak MiB':>9}")
    got: dict[str, tuple[float, float]] = {}
    for k in keys:
        got[k] = measure(ops[k], args.repeat)
        wall, cpu = got[k]
        print(f"  {LABELS[k]:<36} {wall * 1e3:>9.1f} {cpu * 1e3:>9.1f} {wall / got['base'][0]:>10.1f} "
              f"{peak_mib():>9.0f}")
    web = got["b"][0] + got["c"][0] + got["e"][0]
    print(f"  report (b+c) + Trends charts (e): {web * 1e3:.0f} ms wall "
          f"({(got['b'][1] + got['c'][1] + got['e'][1]) * 1e3:.0f} ms CPU); target < 2000 ms")
    if "d" in got:
        print(f"  report.pdf as the web makes it (b+c+d): {(got['b'][0] + got['c'][0] + got['d'][0]) * 1e3:.0f} ms wall")
    print(f"  (a) adherence + trends: {got['a'][0] * 1e3:.1f} ms wall, {got['a'][1] * 1e3:.1f} ms CPU; from one read (a1): "
          f"{got['a1'][0] * 1e3:.1f} ms wall, {got['a1'][1] * 1e3:.1f} ms CPU; target < 30 ms")
    print(f"  report (b+c) + Trends page with its charts inline (f): {(got['b'][0] + got['c'][0] + got['f'][0]) * 1e3:.0f} ms "
          "wall (needs the page to use reports.render.period_charts)")
    journal.repo.close()


def child(days: int, url: str, with_pdf: bool) -> None:
    """One memory case (own process): build and time the whole pipeline once; print a JSON line."""
    journal, pid, start, end = setup(url, days)
    ops = steps(journal, pid, start, end)
    rss0 = peak_mib()
    w0, c0 = time.perf_counter(), time.process_time()
    for k in ("a", "b", "c", *(("d",) if with_pdf else ()), "e"):
        ops[k]()
    print(json.dumps({"days": days, "wall_s": time.perf_counter() - w0, "cpu_s": time.process_time() - c0,
                      "peak_mib": peak_mib(), "before_mib": rss0}))
    journal.repo.close()


def memory(args: argparse.Namespace, tmp: str) -> None:
    print(f"\nMemory (SQLite, whole pipeline once, each size in a fresh process{'' if args.no_pdf else ', PDF included'}):")
    print(f"  {'days':>5} {'wall s':>7} {'CPU s':>6} {'peak RSS MiB':>13} {'after setup MiB':>16}")
    for i, days in enumerate(args.sizes):
        cmd = [sys.executable, __file__, "--child", str(days), f"sqlite:///{tmp}/mem-{i}.sqlite3"]
        out = subprocess.run(cmd + (["--no-pdf"] if args.no_pdf else []), check=True, capture_output=True, text=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"  {r['days']:>5} {r['wall_s']:>7.2f} {r['cpu_s']:>6.2f} {r['peak_mib']:>13.0f} {r['before_mib']:>16.0f}")


def profile(args: argparse.Namespace, tmp: str) -> None:
    import cProfile
    import pstats

    journal, pid, start, end = setup(f"sqlite:///{tmp}/profile.sqlite3", args.days)
    ops = steps(journal, pid, start, end)
    ops[args.profile]()
    prof = cProfile.Profile()
    prof.runcall(ops[args.profile])
    pstats.Stats(prof).sort_stats("cumulative").print_stats(25)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--days", type=int, default=365, help="length of the diary and of the period (default 365)")
    ap.add_argument("--repeat", type=int, default=5, help="timed runs per figure; the median is printed")
    ap.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="sqlite")
    ap.add_argument("--pg-url", default=None, help="use this PostgreSQL database instead of a throwaway cluster")
    ap.add_argument("--sizes", type=int, nargs="+", default=[30, 182, 365], help="days per memory case")
    ap.add_argument("--no-pdf", action="store_true", help="leave out the PDF (WeasyPrint) figure")
    ap.add_argument("--no-memory", action="store_true", help="leave out the 1/6/12-month memory cases")
    ap.add_argument("--profile", choices=["base", "a", "a1", "b", "c", "d", "e", "f"], help="cProfile one figure instead")
    ap.add_argument("--child", nargs=2, metavar=("DAYS", "URL"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(int(args.child[0]), args.child[1], not args.no_pdf)
        return
    with tempfile.TemporaryDirectory(prefix="gabacare-report-bench-") as tmp:
        if args.profile:
            profile(args, tmp)
            return
        print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs, "
              f"{date.today()}")
        if args.backend in ("sqlite", "both"):
            run(f"sqlite:///{tmp}/bench.sqlite3", "SQLite", args)
        if args.backend in ("postgresql", "both"):
            if args.pg_url:
                run(args.pg_url, "PostgreSQL", args)
            else:
                with throwaway_postgres() as url:
                    run(url, "PostgreSQL", args)
        if not args.no_memory:
            memory(args, tmp)
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
