"""CSV and JSON export/import of a patient's journal (entries and plan specs) that round-trip exactly.

Row model (both formats): ``kind, at, mg, status, name, value, unit, text, slot, prn, uid, record``.
A plan is a row of kind ``plan`` whose ``at`` is its start date, whose ``text`` is its spec (compact
JSON) and whose ``record`` is the plan as made (:meth:`~gabacare.journal.plan_record.PlanRecord.to_text`:
days, doses, warnings, citations, ``kb_version``, ``made_at``, ``origin``); import keeps that record and
takes the dose rows from its days, after checking it (``plan_record.imported_plan``), so a plan
survives export and import as it was made even when the rules have changed since. A plan row without
a record (version 1 and 2 files) is made from its spec with today's rules, as it was then. A completed questionnaire is a row
of kind ``questionnaire``: ``name`` its instrument, ``text`` its answers (``0,1,2``), ``value`` its
total; import scores the answers again (a total that does not match them is refused). A pick-up of
pills is a row of kind ``pickup``: ``at`` when collected, ``mg`` the strength (mg per piece), ``value``
the count, ``uid`` its id; import checks it as a new pick-up is checked. Derived fields (a side effect's
triage urgency) are not exported; import derives them again. A dose's ``slot`` is the planned dose it
answers (empty for none) and ``prn`` marks an as-needed dose (CSV: ``true`` or empty). ``uid`` is the
entry's stable id: an import skips an entry whose uid the patient already has, so importing the
same file twice adds nothing (version 1 files, and rows without a uid, get new uids). ``record`` is
empty on every row but a plan's.

Versions: 1 had no ``slot``, ``prn`` or ``uid``; 2 added them; 3 added ``record``. Every version is
read (a CSV file names no version: its header says which columns it has).

Export (:func:`write`, :func:`dump`) writes row by row to a text stream. Import (:func:`iter_rows`)
reads a text stream row by row: memory stays flat and the work is linear in the file's size (line
numbers are counted incrementally, each character once; :class:`ParseStats` counts that work so a
test can check it without a clock). Parsing only turns the file into :class:`RawRow` values with
their line numbers; validation of each row's content is done by the service layer, which reports
every bad row at once.

CSV details (``export -> import -> export`` is byte-for-byte identical):

* cells are quoted when they hold a comma, a quote, a carriage return or a line feed (quotes
  doubled), so text keeps its ``\\r``, ``\\r\\n``, quotes, commas and any Unicode exactly; rows end
  with ``\\n``. Read the file with ``newline=""`` (no newline translation).
* spreadsheet formula injection: a text cell that a spreadsheet would read as a formula (starting
  with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is written with a leading apostrophe
  (``'=1+1``), the convention spreadsheets display as text; so is a cell that already starts with
  apostrophes followed by one of those, so the mapping can be undone exactly: import removes one
  leading apostrophe from a cell of the form ``'+[=+-@\\t\\r]...``. The numeric columns (``mg``,
  ``value``) hold numbers only and are never changed (``-1`` stays ``-1``).

Handles patient data: never log rows; error messages carry line numbers and rule names only.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, TextIO

from gabacare.journal.errors import ImportValidationError, JournalInputError
from gabacare.journal.model import Entry, StoredPlan, StoredQuestionnaire
from gabacare.journal.pickups import StoredPickUp

__all__ = [
    "COLUMNS",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "Format",
    "ParseStats",
    "RawRow",
    "dump",
    "iter_rows",
    "parse",
    "protect_cell",
    "sniff_format",
    "unprotect_cell",
    "write",
]

Format = Literal["csv", "json"]
COLUMNS = ("kind", "at", "mg", "status", "name", "value", "unit", "text", "slot", "prn", "uid", "record")
FORMAT_NAME = "gabacare-journal"
FORMAT_VERSION = 3
_READABLE_VERSIONS = (1, 2, 3)
"""Version 1 had no ``slot``, ``prn`` or ``uid`` and version 2 no ``record``; both read as version 3
without them."""
_NUMERIC = ("mg", "value")
_TEXT_COLUMNS = tuple(c for c in COLUMNS if c not in _NUMERIC)
_COLUMN_SET = frozenset(COLUMNS)

_FORMULA_RE = re.compile("'*[=+\\-@\t\r]")
_PROTECTED_RE = re.compile("'+[=+\\-@\t\r]")
_NEEDS_QUOTES_RE = re.compile('[,"\r\n]')
_WS_RE = re.compile("[ \t\r\n]*")
_SEPARATOR_RE = re.compile("[ \t\r\n]*([,\\]])[ \t\r\n]*")
_READ_CHARS = 1 << 16
"""Characters read from the stream at a time when importing JSON."""
_MAX_CELL_CHARS = 1 << 26
"""The longest CSV cell read (the csv module's default, 128 KiB, is less than a long taper's
``record``); the same bound as one JSON value (``_JsonReader.grow``)."""


class RawRow(NamedTuple):
    """One row as read from a file: its line number and its fields (numbers still as read; a missing
    field reads as absent or None).

    ``problem`` is set when the row's shape is wrong (not an object, unknown fields, the wrong number
    of CSV fields); its fields are then empty. (A named tuple: an import makes one per row.)
    """

    line: int
    fields: dict[str, Any]
    problem: str | None = None


def _valid_row(line: int, fields: dict[str, Any]) -> RawRow:
    # NOTE: tuple.__new__ directly: a NamedTuple's generated __new__ is Python code, a third of a
    # CSV row's parsing time.
    return tuple.__new__(RawRow, (line, fields, None))


@dataclass
class ParseStats:
    """The work one parse did, for tests that catch quadratic behaviour without timing it.

    ``rows``: rows yielded; ``chars_read``: characters read from the stream; ``line_chars``:
    characters scanned to count line numbers; ``decode_retries``: JSON values decoded again because
    the buffer ended inside them.
    """

    rows: int = 0
    chars_read: int = 0
    line_chars: int = 0
    decode_retries: int = 0


def protect_cell(cell: str) -> str:
    """A text cell as written to CSV: formula-looking cells get a leading apostrophe.

    Examples
    --------
    >>> protect_cell("=HYPERLINK(1)"), protect_cell("'-5"), protect_cell("fine"), protect_cell("it's")
    ("'=HYPERLINK(1)", "''-5", 'fine', "it's")
    """
    return "'" + cell if _FORMULA_RE.match(cell) else cell


def unprotect_cell(cell: str) -> str:
    """Undo :func:`protect_cell` (``unprotect_cell(protect_cell(s)) == s`` for every ``s``)."""
    return cell[1:] if _PROTECTED_RE.match(cell) else cell


# -- export ------------------------------------------------------------------------------------------
def _num_text(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)


def _rows(plans: Sequence[StoredPlan], entries: Sequence[Entry],
          questionnaires: Sequence[StoredQuestionnaire] = (),
          pickups: Sequence[StoredPickUp] = ()) -> Iterator[dict[str, Any]]:
    for p in plans:
        yield {"kind": "plan", "at": p.plan.spec.start.isoformat(), "mg": None, "status": None, "name": None,
               "value": None, "unit": None, "text": p.plan.spec.to_text(), "slot": None, "prn": None, "uid": None,
               "record": None if p.plan.made is None else p.plan.made.to_text()}
    for e in entries:
        d = e.data
        yield {"kind": d.kind, "at": d.at.isoformat(), "mg": d.mg, "status": d.status, "name": d.name,
               "value": d.value, "unit": d.unit, "text": d.text,
               "slot": None if d.slot is None else d.slot.isoformat(), "prn": True if d.prn else None,
               "uid": e.uid or None, "record": None}
    for q in questionnaires:
        yield {"kind": "questionnaire", "at": q.at.isoformat(), "mg": None, "status": None,
               "name": q.data.instrument, "value": float(q.data.total), "unit": None, "text": q.data.answers_text(),
               "slot": None, "prn": None, "uid": q.uid, "record": None}
    for u in pickups:
        yield {"kind": "pickup", "at": u.data.picked_up_at.isoformat(), "mg": float(u.data.strength_mg), "status": None,
               "name": None, "value": float(u.data.count), "unit": None, "text": None, "slot": None, "prn": None,
               "uid": u.uid, "record": None}


def _csv_cell(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if _NEEDS_QUOTES_RE.search(text) else text


def write(
    plans: Sequence[StoredPlan], entries: Sequence[Entry], fmt: Format, out: TextIO, *,
    invalid_entries: Sequence[int] = (), questionnaires: Sequence[StoredQuestionnaire] = (),
    pickups: Sequence[StoredPickUp] = (),
) -> int:
    """Write the export to ``out`` (plans first, oldest first, then entries by time, then questionnaires
    by time, then pick-ups by time); return the row count.

    ``entries`` must be valid (the services leave invalid ones out); ``invalid_entries`` lists the ids
    left out, which the JSON format records as ``"invalid_entries"`` (import ignores it).
    """
    n = 0
    if fmt == "json":
        extra = f' "invalid_entries": {json.dumps(list(invalid_entries))},' if invalid_entries else ""
        out.write(f'{{"format": "{FORMAT_NAME}", "version": {FORMAT_VERSION},{extra}\n"rows": [')
        for r in _rows(plans, entries, questionnaires, pickups):
            out.write(("\n  " if n == 0 else ",\n  ")
                      + json.dumps(r, ensure_ascii=False, sort_keys=True, allow_nan=False))
            n += 1
        out.write(("\n" if n else "") + "]}\n")
        return n
    if fmt != "csv":
        raise JournalInputError("format must be csv or json")
    out.write(",".join(COLUMNS) + "\n")
    for r in _rows(plans, entries, questionnaires, pickups):
        cells = [_num_text(r[c]) if c in _NUMERIC else _csv_cell(protect_cell("true" if r[c] is True else r[c] or ""))
                 for c in COLUMNS]
        out.write(",".join(cells) + "\n")
        n += 1
    return n


def dump(plans: Sequence[StoredPlan], entries: Sequence[Entry], fmt: Format, *,
         invalid_entries: Sequence[int] = (), questionnaires: Sequence[StoredQuestionnaire] = (),
         pickups: Sequence[StoredPickUp] = ()) -> str:
    """The export text (see :func:`write`)."""
    out = io.StringIO(newline="")
    write(plans, entries, fmt, out, invalid_entries=invalid_entries, questionnaires=questionnaires, pickups=pickups)
    return out.getvalue()


def sniff_format(text: str, filename: str | None = None) -> Format:
    """``json`` when the file name says so or the text (its start is enough) starts with ``{``; else ``csv``."""
    if filename and filename.lower().endswith(".json"):
        return "json"
    if filename and filename.lower().endswith(".csv"):
        return "csv"
    return "json" if text.lstrip("\ufeff \t\r\n").startswith("{") else "csv"


# -- import: CSV ---------------------------------------------------------------------------------------
def _iter_csv(source: TextIO, stats: ParseStats) -> Iterator[RawRow]:
    if csv.field_size_limit() < _MAX_CELL_CHARS:
        csv.field_size_limit(_MAX_CELL_CHARS)  # process-wide, only ever raised: a long taper's record
    reader = csv.reader(source, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportValidationError([(1, "the file is empty (expected a header row)")]) from None
    except csv.Error:
        raise ImportValidationError([(1, "the header row is not valid CSV")]) from None
    names = [h.strip().lower().lstrip("\ufeff") for h in header]
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
    text_names = [name for name in names if name in _TEXT_COLUMNS]
    width = len(names)
    while True:
        start = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error:
            raise ImportValidationError([(start, "not valid CSV (unbalanced quotes?)")]) from None
        if not record or (not record[0].strip() and all(not c.strip() for c in record)):
            continue
        stats.rows += 1
        if len(record) != width:
            yield RawRow(start, {}, f"has {len(record)} fields, the header has {width}")
            continue
        fields = {name: cell or None for name, cell in zip(names, record, strict=True)}
        if "'" in "".join(record):  # rare: only then look for a protected cell
            for name in text_names:
                cell = fields[name]
                if cell is not None and cell[0] == "'":
                    fields[name] = unprotect_cell(cell)
        yield _valid_row(start, fields)


# -- import: JSON ---------------------------------------------------------------------------------------
class _JsonReader:
    """A JSON text read from a stream a buffer at a time, values decoded one by one.

    Line numbers are counted forward only (``line_pos`` never moves back), so every character is
    scanned for newlines once however many rows the file has.
    """

    def __init__(self, source: TextIO, stats: ParseStats) -> None:
        self.source = source
        self.stats = stats
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.line = 1
        self.line_pos = 0
        self.want = _READ_CHARS
        self.decoder = json.JSONDecoder()

    def fill(self) -> bool:
        """Read more (dropping what was consumed); False at the end of the stream."""
        if self.eof:
            return False
        chunk = self.source.read(self.want)
        if not chunk:
            self.eof = True
            return False
        if self.stats.chars_read == 0 and chunk.startswith("\ufeff"):
            chunk = chunk[1:]
        self.stats.chars_read += len(chunk)
        self.line_at(self.pos)
        self.buf = self.buf[self.pos:] + chunk
        self.line_pos = 0
        self.pos = 0
        return True

    def line_at(self, idx: int) -> int:
        """The line number at buffer index ``idx`` (``idx`` at or after every index asked before)."""
        if idx > self.line_pos:
            self.line += self.buf.count("\n", self.line_pos, idx)
            self.stats.line_chars += idx - self.line_pos
            self.line_pos = idx
        return self.line

    def peek(self) -> str:
        """The next non-blank character ("" at the end), without consuming it."""
        while True:
            self.pos = _WS_RE.match(self.buf, self.pos).end()  # type: ignore[union-attr]  # * always matches
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.fill():
                return ""

    def fail(self, message: str, idx: int | None = None) -> ImportValidationError:
        return ImportValidationError([(self.line_at(self.pos if idx is None else max(idx, self.line_pos)),
                                       message)])

    def expect(self, chars: str, what: str) -> str:
        c = self.peek()
        if not c or c not in chars:
            raise self.fail(f"not valid JSON (expecting {what})")
        self.pos += 1
        return c

    def value(self) -> Any:
        """Decode the JSON value at the current position."""
        while True:
            if self.pos >= len(self.buf) or self.buf[self.pos] in " \t\r\n":
                self.peek()
            try:
                val, end = self.decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                # The buffer may end inside the value: read more and decode again, unless the error
                # is plainly inside the buffer (then it is the file's).
                truncated = exc.msg.startswith("Unterminated string") or exc.pos >= len(self.buf) - 6
                if truncated and self.grow():
                    continue
                raise self.fail(f"not valid JSON ({exc.msg})", exc.pos) from None
            if end == len(self.buf) and self.grow():  # a number may go on in the next chunk
                continue
            self.pos = end
            self.want = _READ_CHARS
            return val

    def grow(self) -> bool:
        """Read more to finish a value that the buffer cuts. Each retry of the same value reads twice as
        much as the last, so one long value costs linear time; the next value starts small again."""
        self.stats.decode_retries += 1
        more = self.fill()
        if more:
            self.want = min(self.want * 2, 1 << 26)
        return more

    def end(self) -> None:
        if self.peek():
            raise self.fail("not valid JSON (extra data after the document)")


def _json_row(line: int, item: Any) -> RawRow:
    if not isinstance(item, dict):
        return RawRow(line, {}, "a row must be an object")
    if not item.keys() <= _COLUMN_SET:
        return RawRow(line, {}, "unknown field(s) " + ", ".join(sorted(item.keys() - _COLUMN_SET)))
    return _valid_row(line, item)


def _check_header(key: str, value: Any) -> None:
    if key == "format" and value != FORMAT_NAME:
        raise ImportValidationError([(1, f"not a GabaCare journal export (expected \"format\": \"{FORMAT_NAME}\")")])
    if key == "version" and (isinstance(value, bool) or value not in _READABLE_VERSIONS):
        raise ImportValidationError([(1, "unsupported export version (this GabaCare reads "
                                         f"{', '.join(map(str, _READABLE_VERSIONS))})")])


def _rows_array(r: _JsonReader, stats: ParseStats) -> Iterator[RawRow]:
    """The elements of the ``rows`` array, read from just after its ``[`` to just after its ``]``."""
    decode = r.decoder.raw_decode
    separator = _SEPARATOR_RE.match
    if r.peek() == "]":
        r.pos += 1
        return
    while True:  # r.pos is at the first character of a value
        buf, pos = r.buf, r.pos
        # Fast path, nearly every row: the value, its separator and the next value's first character
        # are all in the buffer. Otherwise the reader's own path reads more or reports the error.
        try:
            item, end = decode(buf, pos)
        except json.JSONDecodeError:
            m = None
        else:
            m = separator(buf, end)
        line = r.line_at(pos)
        if m is not None and m.end() < len(buf):
            r.pos = m.end()
        else:
            item, m = r.value(), None
        stats.rows += 1
        yield _json_row(line, item)
        if m is not None:
            if m.group(1) == "]":
                return
            continue
        if r.expect(",]", "',' or ']'") == "]":
            return
        r.peek()  # to the next value, so its line number is its own


def _iter_json(source: TextIO, stats: ParseStats) -> Iterator[RawRow]:
    r = _JsonReader(source, stats)
    if r.peek() != "{":
        raise r.fail(f"not a GabaCare journal export (expected a JSON object with \"format\": \"{FORMAT_NAME}\")")
    r.pos += 1
    seen: set[str] = set()
    while r.peek() != "}":
        if seen:
            r.expect(",", "',' or '}'")
        if r.peek() != '"':
            raise r.fail("not valid JSON (expecting a property name in double quotes)")
        key = r.value()
        r.expect(":", "':'")
        if key in seen and key in ("format", "version", "rows"):
            raise r.fail(f"\"{key}\" appears twice")
        seen.add(key)
        if key != "rows":
            _check_header(key, r.value())
            continue
        if r.peek() != "[":
            raise r.fail("\"rows\" must be a list")
        r.pos += 1
        yield from _rows_array(r, stats)
    r.pos += 1
    r.end()
    for key in ("format", "version"):
        if key not in seen:
            _check_header(key, None)
    if "rows" not in seen:
        raise ImportValidationError([(1, "\"rows\" must be a list")])


def iter_rows(source: TextIO, fmt: Format, *, stats: ParseStats | None = None) -> Iterator[RawRow]:
    """Read an export from a text stream (open files with ``newline=""``) row by row.

    Rows of the wrong shape come with ``problem`` set; file-level problems (not CSV, not JSON, not a
    GabaCare export, a bad header) raise ``ImportValidationError``, possibly after some rows were
    yielded (a JSON file may name its format after its rows): callers that write as they read must
    write in one transaction.
    """
    counts = stats if stats is not None else ParseStats()
    if fmt == "json":
        return _iter_json(source, counts)
    if fmt == "csv":
        return _iter_csv(source, counts)
    raise JournalInputError("format must be csv or json")


def parse(text: str, fmt: Format) -> list[RawRow]:
    """Read a whole export text into rows; any row of the wrong shape raises ``ImportValidationError``."""
    rows = list(iter_rows(io.StringIO(text, newline=""), fmt))
    problems = [(r.line, r.problem) for r in rows if r.problem is not None]
    if problems:
        raise ImportValidationError(problems)
    return rows
