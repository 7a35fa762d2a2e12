"""CSV and JSON export/import of a patient's journal (entries and plan specs) that round-trip exactly.

Row model (both formats): ``kind, at, mg, status, name, value, unit, text``. A plan is a row of
kind ``plan`` whose ``at`` is its start date and whose ``text`` is its spec (compact JSON); the plan's
schedule is re-derived from the spec on import. Derived fields (a side effect's triage urgency)
are not exported; import derives them again.

Parsing here only reads the file into :class:`RawRow` values with their line numbers; validation
of each row's content is done by the service layer, which reports every bad row at once.
Handles patient data: never log rows; error messages carry line numbers and rule names only.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from gabacare.journal.errors import ImportValidationError, JournalInputError
from gabacare.journal.model import Entry, StoredPlan

__all__ = ["COLUMNS", "FORMAT_NAME", "FORMAT_VERSION", "Format", "RawRow", "dump", "parse", "sniff_format"]

Format = Literal["csv", "json"]
COLUMNS = ("kind", "at", "mg", "status", "name", "value", "unit", "text")
FORMAT_NAME = "gabacare-journal"
FORMAT_VERSION = 1
_NUMERIC = ("mg", "value")


@dataclass(frozen=True)
class RawRow:
    """One row as read from a file: its line number and its fields (numbers still as read)."""

    line: int
    fields: dict[str, Any]


def _num_text(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)


def _rows(plans: Sequence[StoredPlan], entries: Sequence[Entry]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for p in plans:
        rows.append({"kind": "plan", "at": p.plan.spec.start.isoformat(), "mg": None, "status": None, "name": None,
                     "value": None, "unit": None, "text": p.plan.spec.to_text()})
    for e in entries:
        d = e.data
        rows.append({"kind": d.kind, "at": d.at.isoformat(), "mg": d.mg, "status": d.status, "name": d.name,
                     "value": d.value, "unit": d.unit, "text": d.text})
    return rows


def dump(plans: Sequence[StoredPlan], entries: Sequence[Entry], fmt: Format) -> str:
    """The export text: plans first (oldest first), then entries by time."""
    rows = _rows(plans, entries)
    if fmt == "json":
        body = ",\n".join("  " + json.dumps(r, ensure_ascii=False, sort_keys=True) for r in rows)
        head = f'{{"format": "{FORMAT_NAME}", "version": {FORMAT_VERSION},\n"rows": ['
        return head + ("\n" + body + "\n" if rows else "") + "]}\n"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in rows:
        writer.writerow([_num_text(r[c]) if c in _NUMERIC else (r[c] or "") for c in COLUMNS])
    return out.getvalue()


def sniff_format(text: str, filename: str | None = None) -> Format:
    """``json`` when the file name says so or the text starts with ``{``; else ``csv``."""
    if filename and filename.lower().endswith(".json"):
        return "json"
    if filename and filename.lower().endswith(".csv"):
        return "csv"
    return "json" if text.lstrip().startswith("{") else "csv"


def _parse_csv(text: str) -> list[RawRow]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportValidationError([(1, "the file is empty (expected a header row)")]) from None
    except csv.Error:
        raise ImportValidationError([(1, "the header row is not valid CSV")]) from None
    names = [h.strip().lower() for h in header]
    missing = [c for c in ("kind", "at") if c not in names]
    unknown = [h for h in names if h not in COLUMNS]
    if missing or unknown or len(set(names)) != len(names):
        parts = []
        if missing:
            parts.append("missing column(s) " + ", ".join(missing))
        if unknown:
            parts.append("unknown column(s) " + ", ".join(sorted(set(unknown))))
        if len(set(names)) != len(names):
            parts.append("a column appears twice")
        raise ImportValidationError([(1, "; ".join(parts) + f" (columns are {', '.join(COLUMNS)})")])
    rows: list[RawRow] = []
    problems: list[tuple[int, str]] = []
    line = 1
    while True:
        start = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error:
            problems.append((start, "not valid CSV (unbalanced quotes?)"))
            break
        line = start
        if not record or all(not c.strip() for c in record):
            continue
        if len(record) != len(names):
            problems.append((line, f"has {len(record)} fields, the header has {len(names)}"))
            continue
        fields: dict[str, Any] = {}
        for name, cell in zip(names, record, strict=True):
            fields[name] = cell if cell != "" else None
        rows.append(RawRow(line, fields))
    if problems:
        raise ImportValidationError(problems)
    return rows


def _json_lines(text: str) -> list[int] | None:
    """Line number where each element of the top-level ``rows`` array starts (None if not found)."""
    m = re.search(r'"rows"\s*:\s*\[', text)
    if not m:
        return None
    decoder = json.JSONDecoder()
    idx, lines = m.end(), list[int]()
    try:
        while True:
            while idx < len(text) and text[idx] in " \t\r\n,":
                idx += 1
            if idx >= len(text) or text[idx] == "]":
                return lines
            lines.append(text.count("\n", 0, idx) + 1)
            _, idx = decoder.raw_decode(text, idx)
    except json.JSONDecodeError:
        return None


def _parse_json(text: str) -> list[RawRow]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportValidationError([(exc.lineno, f"not valid JSON ({exc.msg})")]) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT_NAME:
        raise ImportValidationError([(1, f"not a GabaCare journal export (expected \"format\": \"{FORMAT_NAME}\")")])
    if doc.get("version") != FORMAT_VERSION:
        raise ImportValidationError([(1, f"unsupported export version (this GabaCare reads {FORMAT_VERSION})")])
    items = doc.get("rows")
    if not isinstance(items, list):
        raise ImportValidationError([(1, "\"rows\" must be a list")])
    lines = _json_lines(text)
    if lines is None or len(lines) != len(items):
        lines = [i + 1 for i in range(len(items))]
    rows, problems = [], []
    for line, item in zip(lines, items, strict=True):
        if not isinstance(item, dict):
            problems.append((line, "a row must be an object"))
            continue
        unknown = sorted(set(item) - set(COLUMNS))
        if unknown:
            problems.append((line, "unknown field(s) " + ", ".join(unknown)))
            continue
        rows.append(RawRow(line, {c: item.get(c) for c in COLUMNS}))
    if problems:
        raise ImportValidationError(problems)
    return rows


def parse(text: str, fmt: Format) -> list[RawRow]:
    """Read an export file into rows; file-level problems raise ``ImportValidationError``."""
    if fmt == "json":
        return _parse_json(text)
    if fmt == "csv":
        return _parse_csv(text)
    raise JournalInputError("format must be csv or json")
