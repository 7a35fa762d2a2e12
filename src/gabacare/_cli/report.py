"""``gabacare report``: the doctor's report for a period, as PDF, HTML, JSON or a short summary.

Parses the options, calls :func:`gabacare.reports.doctor_report.build_report` once, and renders:
``--out FILE.pdf`` or ``--out FILE.html`` writes the document (the suffix picks the format);
``--json`` prints the report as one JSON object (with ``out`` when a file was written); otherwise a
short Rich summary. Bad dates, an unknown patient or ``--from`` after ``--to`` exit 2 with one line.
``--progress`` (default when stderr is a terminal) prints each step to stderr as it starts: a
year's PDF takes about 5 s, most of it WeasyPrint's layout.
Patient data is printed only to stdout or written to the file the user named.
"""

from __future__ import annotations

import sys
import time
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gabacare._cli.common import (
    DbOpt,
    JsonOpt,
    PatientOpt,
    citations_text,
    emit_json,
    fail,
    guard,
    notice,
    shown,
    stdout_console,
)

if TYPE_CHECKING:
    from gabacare.reports.doctor_report import DoctorReport

__all__ = ["register"]

SUFFIXES = {".pdf": "pdf", ".html": "html", ".htm": "html"}


def _date(text: str | None, flag: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{flag} must be a date like 2026-01-31")


def _summary(r: DoctorReport) -> None:
    console = stdout_console()
    console.print(f"[bold]{shown(r.patient.name)}[/bold]: report for {r.start} to {r.end}")
    for s in r.emergencies:
        console.print(f"[bold red]EMERGENCY[/bold red] {s.at:%Y-%m-%d %H:%M} \"{shown(s.text)}\": {s.advice} "
                      f"({citations_text(s.citations)})")
    a = r.adherence
    pct = "n/a" if a.adherence_pct is None else f"{a.adherence_pct:g}%"
    on_time = "n/a" if a.on_time_pct is None else f"{a.on_time_pct:g}%"
    console.print(f"Adherence: {a.taken}/{a.scheduled} scheduled doses taken ({pct}), on time {on_time}; "
                  f"longest missed streak {a.longest_missed_streak}.")
    console.print(f"Regimen in force on {r.end}: {r.current_regimen or 'none'}; "
                  f"{len(r.plan_changes)} change(s) of the planned daily dose in the period.")
    for t in r.trends:
        if t.first_rolling is not None and t.last_rolling is not None:
            console.print(f"{t.scale}: rolling mean {t.first_rolling:.1f} → {t.last_rolling:.1f} ({t.unit})")
    others = [s for s in r.side_effects if not s.emergency]
    if others:
        console.print("Side effects: " + "; ".join(f"{shown(s.text)} ({(s.urgency or 'not recognised').replace('_', ' ')})"
                                                   for s in others))
    k = r.renal
    if k.status == "checked":
        verdict = "no plan in force" if k.ok is None else ("within the band" if k.ok else "[red]outside the band[/red]")
        console.print(f"Kidneys: CrCl {k.crcl_ml_min:g} mL/min ({k.band}); {k.regimen or 'no regimen'}: {verdict} "
                      f"({citations_text(k.citations)})")
    else:
        console.print(f"Kidneys: not checked ({k.message}).")
    if r.medicines.recorded:
        console.print("Other medicines: " + "; ".join(
            f"{shown(f.input)}: {f.severity or 'unknown'}" for f in r.medicines.findings))
    else:
        console.print("Other medicines: none recorded.")
    if r.invalid_entries:
        ids = ", ".join(f"#{i.id}" for i in r.invalid_entries[:10])
        console.print(f"[yellow]! {len(r.invalid_entries)} invalid entr{'y' if len(r.invalid_entries) == 1 else 'ies'}"
                      f" left out of the report ({ids}{', …' if len(r.invalid_entries) > 10 else ''}).[/yellow]")
    console.print(f"[dim]{notice()}[/dim]")


class _Steps:
    """Progress of a long report on stderr, one line per step as it starts (``[2/4] drawing …``),
    then the total time; silent when off. Never on stdout, which ``--json`` keeps for the one object."""

    def __init__(self, on: bool) -> None:
        self.on = on
        self.started = time.monotonic()
        self.count = 0

    def __call__(self, what: str) -> None:
        self.count += 1
        if self.on:
            sys.stderr.write(f"gabacare: [{self.count}] {what}… ({time.monotonic() - self.started:.1f} s)\n")
            sys.stderr.flush()

    def done(self) -> None:
        if self.on:
            sys.stderr.write(f"gabacare: done in {time.monotonic() - self.started:.1f} s\n")
            sys.stderr.flush()


def report(
    patient: PatientOpt,
    start: Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD; default: the 28 days ending on --to).",
                                              show_default=False)] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day (YYYY-MM-DD; default today).",
                                            show_default=False)] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the report to FILE.pdf or FILE.html.",
                                             show_default=False)] = None,
    medicine: Annotated[list[str] | None, typer.Option(
        "--medicine", help="Another medicine the patient takes (repeatable); interactions are checked.",
        show_default=False)] = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
    progress: Annotated[bool | None, typer.Option(
        "--progress/--no-progress",
        help="Print each step and its time to stderr (a year's PDF takes a few seconds). "
             "Default: when stderr is a terminal.", show_default=False)] = None,
) -> None:
    """The doctor's report: plan and changes, adherence, score trends with dose steps, side effects
    (emergencies first), other medicines, kidney function, with sources and the notice."""
    step = _Steps(sys.stderr.isatty() if progress is None else progress)
    with guard():
        first, last = _date(start, "--from"), _date(end, "--to")
        fmt = None
        if out is not None:
            fmt = SUFFIXES.get(out.suffix.lower())
            if fmt is None:
                fail("--out must end in .pdf or .html")
        from gabacare.app.report import doctor_report
        from gabacare.composition import journal
        from gabacare.reports.doctor_report import default_period

        now = datetime.now().replace(microsecond=0)
        first, last = default_period(last or now.date(), first)
        step("reading the journal and building the report")
        r = doctor_report(journal(db), patient, start=first, end=last, now=now, medicines=medicine or ())
        if out is not None:
            from gabacare.reports.render import render_html, render_pdf

            step("drawing the charts and the HTML")
            html = render_html(r)
            if fmt == "pdf":
                step("laying out the PDF (a few seconds for a long period)")
                data = render_pdf(r, html=html)
                step("writing the file")
                out.write_bytes(data)
            else:
                step("writing the file")
                out.write_text(html, encoding="utf-8")
        step.done()
        if json_out:
            emit_json({**r.to_json(), "out": None if out is None else str(out), "format": fmt})
        elif out is not None:
            stdout_console().print(f"Wrote the {fmt.upper() if fmt else ''} report for {first} to {last} to {out}")
        else:
            _summary(r)


def register(app: typer.Typer) -> None:
    """Add ``gabacare report`` to the CLI."""
    app.command("report")(report)
