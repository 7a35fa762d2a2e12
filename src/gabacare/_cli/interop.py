"""Interop commands: ``fhir export``, ``fhir import`` and ``reminders``.

Each parses its options, opens the journal through :mod:`gabacare.composition`, calls one interop
function and writes the result (a FHIR Bundle, an import report or an ``.ics`` file). Errors are one
line on stderr: exit 2 for bad input (invalid resources are all listed), 1 for other failures.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from gabacare._cli.common import DbOpt, JsonOpt, PatientOpt, emit_json, fail, guard, open_journal, term_safe

__all__ = ["register"]


fhir_app = typer.Typer(help="FHIR R4B export and import of a patient's journal.", no_args_is_help=True)


@contextmanager
def _guard() -> Iterator[None]:
    from gabacare.interop.journal_fhir import BundleImportError
    from gabacare.journal.errors import JournalStorageError

    with guard():
        try:
            yield
        except BundleImportError as exc:
            shown = "; ".join(f"{w}: {r}" for w, r in exc.problems)
            fail(f"import refused, {len(exc.problems)} invalid resource(s), nothing imported: {shown}", 2)
        except JournalStorageError as exc:
            fail(str(exc), 1)


def _write(out: Path, data: bytes) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)


@fhir_app.command("export")
def fhir_export(
    patient: PatientOpt,
    out: Annotated[Path | None, typer.Option("--out", help="Write the Bundle to FILE (default: stdout).")] = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Export a patient's journal as a FHIR R4B Bundle (Patient, plan, doses, scores, labs)."""
    with _guard():
        from gabacare.interop.journal_fhir import export_bundle

        bundle = export_bundle(open_journal(db), patient)
        text = json.dumps(bundle, ensure_ascii=False, indent=1, allow_nan=False) + "\n"
        if out is None:
            emit_json(bundle) if json_out else typer.echo(text, nl=False)
            return
        _write(out, text.encode())
        summary = {"out": str(out), "resources": len(bundle["entry"]), "type": bundle["type"]}
        emit_json(summary) if json_out else typer.echo(f"Wrote {len(bundle['entry'])} resources to {out}")


@fhir_app.command("import")
def fhir_import(
    file: Annotated[Path, typer.Argument(help="A FHIR R4B Bundle (JSON), GabaCare's or an EHR's.")],
    patient: PatientOpt,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Import a FHIR Bundle into a patient's journal: all resources valid, or nothing is written."""
    with _guard():
        from gabacare.interop.journal_fhir import import_bundle

        try:
            doc = json.loads(file.read_text(encoding="utf-8-sig"))
        except json.JSONDecodeError as exc:
            fail(f"{file} is not JSON (line {exc.lineno}: {exc.msg})")
        except UnicodeDecodeError:
            fail(f"{file} is not UTF-8 text")
        report = import_bundle(open_journal(db), patient, doc)
        payload: dict[str, Any] = {
            "entries": report.entries, "plans": report.plans,
            "skipped": [{"resource": w, "reason": r} for w, r in report.skipped],
            "renal": [r for r in report.renal], "renal_skipped": list(report.renal_skipped),
        }
        if json_out:
            emit_json(payload)
            return
        typer.echo(f"Imported {report.entries} entries and {report.plans} plan(s).")
        for w, r in report.skipped:
            typer.echo(f"  skipped {term_safe(w)}: {term_safe(r)}")
        for r in report.renal:
            verdict = "within the renal limits" if r.ok else "; ".join(p["message"] for p in r.problems)
            typer.echo(f"  renal check at CrCl {r.crcl_ml_min:g} mL/min: {verdict}")


def _local_zone() -> str:
    """The IANA name of the local time zone ($TZ, else /etc/localtime's target, else UTC)."""
    name = os.environ.get("TZ", "").lstrip(":")
    if name and "/" in name:
        return name
    try:
        target = os.path.realpath("/etc/localtime")
    except OSError:
        return "UTC"
    marker = "zoneinfo/"
    return target.split(marker, 1)[1] if marker in target else "UTC"


def reminders(
    patient: PatientOpt,
    days: Annotated[int, typer.Option("--days", min=1, max=366, help="Days of reminders from today.")] = 28,
    out: Annotated[Path | None, typer.Option("--out", help="Write the .ics to FILE (default: stdout).")] = None,
    tz: Annotated[str | None, typer.Option("--tz", help="IANA time zone of the dose times (default: this "
                                           "computer's).", show_default=False)] = None,
    private: Annotated[bool, typer.Option("--private", help="Leave the drug and dose out (shared calendars).")] = False,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Dose reminders for a calendar app (iCalendar .ics): one alarm per dose time, re-import updates."""
    with _guard():
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        from gabacare.interop.journal_ical import patient_reminders

        zone = tz or _local_zone()
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            fail(f"unknown time zone {zone!r} (use an IANA name such as Europe/Berlin)")
        result = patient_reminders(open_journal(db), patient, days=days, tz=zone, private=private)
        data, events, start, end = result.data, result.events, result.start, result.end
        if out is None and not json_out:
            typer.echo(data.decode(), nl=False)
            return
        if out is not None:
            _write(out, data)
        summary = {"out": str(out) if out else None, "events": events, "from": start, "to": end, "tz": zone}
        emit_json(summary) if json_out else typer.echo(f"Wrote {events} reminder event(s) to {out}")


def register(app: typer.Typer) -> None:
    """Add ``fhir export``, ``fhir import`` and ``reminders`` to the main app."""
    app.add_typer(fhir_app, name="fhir")
    app.command("reminders")(reminders)
