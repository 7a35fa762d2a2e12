"""Imports stream in linear time (issue 13 item 5) and CSV round-trips byte for byte (item 7).

No timing here: the parser counts its own work (:class:`ParseStats`), so a test can tell linear from
quadratic with a deterministic counter. The benchmark (benchmarks/journal_import.py) has the times.
"""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta

import pytest

from gabacare.journal import settings, transfer
from gabacare.journal.errors import ImportValidationError
from gabacare.journal.model import Entry, EntryData
from gabacare.journal.services import Journal

NOW = datetime(2026, 6, 30, 12, 0)


def _export(rows: int, fmt: str) -> str:
    start = datetime(2026, 1, 1)
    entries = []
    for i in range(rows):
        at = start + timedelta(minutes=7 * i)
        data = (EntryData("note", at, text=f"line {i}\r\nsecond, \"quoted\" line") if i % 3 == 0
                else EntryData("dose", at, mg=300.0, status="taken"))
        entries.append(Entry(i + 1, 1, 1, NOW, data))
    return transfer.dump([], entries, fmt)  # type: ignore[arg-type]


class CountingReads(io.StringIO):
    """A text stream that counts the characters handed out, to show the file is read once."""

    handed = 0

    def read(self, size: int | None = -1) -> str:
        chunk = super().read(size)
        self.handed += len(chunk)
        return chunk


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_parsing_work_is_linear_in_the_file(fmt: str) -> None:
    work = {}
    for rows in (2_000, 4_000):
        text = _export(rows, fmt)
        stats = transfer.ParseStats()
        source = CountingReads(text)
        got = sum(1 for _ in transfer.iter_rows(source, fmt, stats=stats))  # type: ignore[arg-type]
        assert got == stats.rows == rows
        if fmt == "json":
            # Every character is read once and scanned for line breaks at most once (the old import
            # recounted the lines from the start of the file for every row: rows × size / 2).
            assert source.handed == len(text) == stats.chars_read
            assert stats.line_chars <= stats.chars_read
            assert stats.decode_retries <= len(text) // (1 << 16) + 1
        work[rows] = stats.line_chars + stats.chars_read + stats.decode_retries
    if fmt == "json":
        assert 1.8 < work[4_000] / work[2_000] < 2.2


def test_the_json_reader_never_holds_the_whole_file() -> None:
    text = _export(3_000, "json")
    assert len(text) > 4 * (1 << 16)

    class Watched(io.StringIO):
        biggest = 0

        def read(self, size: int | None = -1) -> str:
            assert size is not None and 0 < size <= 1 << 17, "read in bounded pieces"
            return super().read(size)

    reader = transfer.iter_rows(Watched(text), "json")
    for _ in reader:
        frame = reader.gi_frame
        if frame is not None:
            buffered = frame.f_locals["r"].buf
            assert len(buffered) <= 2 * (1 << 16) + 4096


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_line_numbers_point_at_the_bad_rows(mem_journal: Journal, fmt: str) -> None:
    pid = mem_journal.add_patient("Ada").id
    lines = _export(300, fmt).split("\n")  # CSV notes span two lines (a CRLF inside quotes)
    dose_lines = [n for n, line in enumerate(lines, start=1) if '"dose"' in line or line.startswith("dose,")]
    targets = [dose_lines[50], dose_lines[150]]
    for n in targets:
        lines[n - 1] = lines[n - 1].replace("300", "-300", 1)
    with pytest.raises(ImportValidationError) as info:
        mem_journal.import_text(pid, "\n".join(lines), fmt)  # type: ignore[arg-type]
    assert [line for line, _ in info.value.problems] == targets
    assert all("negative" in message for _, message in info.value.problems)
    assert mem_journal.repo.count_entries(pid) == 0


def test_a_large_import_is_refused_whole_and_lists_a_bounded_number_of_problems(any_journal: Journal) -> None:
    pid = any_journal.add_patient("Ada").id
    good = "".join("dose,2026-06-01T08:00:00,300,taken,,,,\n" for _ in range(2_500))
    bad = "".join("dose,2026-06-01T08:00:00,-1,taken,,,,\n" for _ in range(settings.IMPORT_MAX_PROBLEMS + 5))
    text = "kind,at,mg,status,name,value,unit,text\n" + good + bad + good
    with pytest.raises(ImportValidationError) as info:
        any_journal.import_text(pid, text, "csv")
    assert info.value.total == settings.IMPORT_MAX_PROBLEMS + 5
    assert len(info.value.problems) == settings.IMPORT_MAX_PROBLEMS
    assert info.value.problems[0][0] == 2_502
    assert any_journal.repo.count_entries(pid) == 0 and any_journal.plans(pid) == []


def test_a_file_that_names_its_format_after_its_rows_is_still_checked(any_journal: Journal) -> None:
    pid = any_journal.add_patient("Ada").id
    rows = ",".join('{"kind": "dose", "at": "2026-06-01T08:00:00", "mg": 300}' for _ in range(1_500))
    with pytest.raises(ImportValidationError, match="not a GabaCare journal export"):
        any_journal.import_text(pid, f'{{"rows": [{rows}], "format": "other", "version": 1}}', "json")
    assert any_journal.repo.count_entries(pid) == 0  # rows were written as they came, then rolled back
    assert any_journal.import_text(pid, f'{{"rows": [{rows}], "version": 1, "format": "gabacare-journal"}}',
                                   "json") == {"entries": 1_500, "plans": 0, "already_present": 0}


@pytest.mark.parametrize(("text", "line", "words"), [
    ('{"format": "gabacare-journal", "version": 1,\n"rows": [\n{"kind": "note"},\n{oops}\n]}', 4, "not valid JSON"),
    ('{"format": "gabacare-journal", "version": 1, "rows": [] } extra', 1, "extra data"),
    ('{"format": "gabacare-journal", "version": 1, "rows": {}}', 1, "must be a list"),
    ('{"format": "gabacare-journal", "version": 4, "rows": []}', 1, "unsupported export version"),
    ('{"format": "gabacare-journal", "version": 1}', 1, "must be a list"),
    ('[1, 2]', 1, "not a GabaCare journal export"),
    ('\ufeff{"format": "gabacare-journal", "version": 1, "rows": [\n1]}', 2, "a row must be an object"),
])
def test_malformed_json_is_refused_with_its_line(mem_journal: Journal, text: str, line: int, words: str) -> None:
    pid = mem_journal.add_patient("Ada").id
    with pytest.raises(ImportValidationError) as info:
        mem_journal.import_text(pid, text, "json")
    assert info.value.problems[0][0] == line and words in info.value.problems[0][1]


# -- CSV: lossless and safe in a spreadsheet -----------------------------------------------------------
TEXTS = ["=HYPERLINK(\"http://evil\")", "+1", "-2 points", "@SUM(A1)", "'=already protected", "''-two",
         "'just an apostrophe", "cr\rinside", "crlf\r\ninside", "lf\ninside", "tab\tinside", 'quote " and, comma',
         "ünïcode ✓ 痛み 🙂", "ends with cr\r"]


def test_csv_keeps_every_text_exactly_and_neutralises_formulas(any_journal: Journal) -> None:
    a = any_journal.add_patient("A").id
    for i, t in enumerate(TEXTS):
        any_journal.log_note(a, t, at=datetime(2026, 6, 1, 8, i))
    any_journal.log_lab(a, "vitamin_d", 5, unit="-mg/L", at=datetime(2026, 6, 1, 9))  # a free-text unit
    first = any_journal.export(a, "csv")
    import csv

    cells = [row[7] or row[6] for row in csv.reader(io.StringIO(first, newline=""))][1:]
    assert not any(c[:1] in ("=", "+", "-", "@", "\t", "\r") for c in cells)  # nothing a spreadsheet evaluates
    b = any_journal.add_patient("B").id
    any_journal.import_text(b, first, "csv")
    assert [e.data.text for e in any_journal.entries(b, kinds=["note"])] == [t.strip() for t in TEXTS]
    assert any_journal.entries(b, kinds=["lab"])[0].data.unit == "-mg/L"
    assert any_journal.export(b, "csv") == first


def test_csv_numbers_are_never_protected() -> None:
    entry = Entry(1, 1, 1, NOW, EntryData("dose", datetime(2026, 6, 1, 8), mg=-1.0, status="taken"))
    assert transfer.dump([], [entry], "csv").splitlines()[1] == "dose,2026-06-01T08:00:00,-1,taken,,,,,,,,"


def test_the_cli_round_trips_a_file_with_carriage_returns(sqlite_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from gabacare.cli import app

    runner = CliRunner()

    def run(*args: str, text: str | None = None) -> dict[str, object]:
        tail = ["--", text] if text is not None else []  # "-2 points" is text, not an option
        result = runner.invoke(app, [*args, "--db", sqlite_url, "--json", *tail])
        assert result.exit_code == 0, (result.stdout, result.stderr)
        return dict(json.loads(result.stdout))

    a = str(run("patient", "add", "A")["id"])
    for i, t in enumerate(TEXTS):
        run("log", "note", "--patient", a, "--at", f"2026-06-01T08:{i:02d}", text=t)
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    assert run("export", "--patient", a, "--format", "csv", "--out", str(first))["rows"] == len(TEXTS)
    b = str(run("patient", "add", "B")["id"])
    assert run("import", str(first), "--patient", b)["imported"] == {"entries": len(TEXTS), "plans": 0}
    run("export", "--patient", b, "--format", "csv", "--out", str(second))
    assert first.read_bytes() == second.read_bytes() and b"\r\n" in first.read_bytes()
    with_bom = tmp_path / "excel.csv"  # a spreadsheet saving the file adds a byte-order mark
    with_bom.write_bytes(b"\xef\xbb\xbf" + first.read_bytes())
    again = run("import", str(with_bom), "--patient", b)  # every row read, none added twice
    assert (again["added"], again["already_present"], again["imported"]) == (0, len(TEXTS), {"entries": 0, "plans": 0})


# -- the SQLite bulk path ------------------------------------------------------------------------------
def test_the_sqlite_bulk_path_writes_datetimes_as_sqlalchemy_does(sqlite_url: str) -> None:
    from sqlalchemy import DateTime, create_engine

    dialect = create_engine(sqlite_url).dialect
    process = DateTime().dialect_impl(dialect).bind_processor(dialect)
    assert process is not None
    for moment in (datetime(2026, 6, 1, 8), datetime(1990, 1, 1, 0, 0, 0, 1), datetime(8999, 12, 31, 23, 59, 59, 999999)):
        assert process(moment) == moment.isoformat(" ", "microseconds")


def test_the_sqlite_bulk_path_keeps_the_table_constraints(sqlite_url: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from gabacare.composition import repository
    from gabacare.journal.errors import JournalStorageError
    from gabacare.journal.model import NewPatient

    repo = repository(sqlite_url)
    try:
        pid = repo.add_patient(NewPatient("Ada"), created_at=NOW).id
        good = [EntryData("dose", datetime(2026, 6, 1, 8), mg=300.0, status="taken")] * 3
        for bad in (EntryData("teleport", NOW), EntryData("dose", NOW, mg=-1.0), EntryData("dose", NOW, status="lost")):  # type: ignore[arg-type]
            with pytest.raises(JournalStorageError, match="CHECK"):
                repo.add_batch(pid, entries=[*good, bad], recorded_at=NOW)
        assert repo.count_entries(pid) == 0
        assert repo.add_batch(pid, entries=good, recorded_at=NOW) == 3
        # The pragma that the bulk path turns off for its own rows is on again for everything else.
        engine = repo.engine  # type: ignore[attr-defined]
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text("INSERT INTO entries (patient_id, kind, at, version, recorded_at) "
                              "VALUES (:p, 'teleport', '2026-06-01 08:00:00.000000', 1, '2026-06-01 08:00:00.000000')"),
                         {"p": pid})
    finally:
        repo.close()
