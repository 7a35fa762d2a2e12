"""The CLI with hostile text and damaged or read-only journals (issue 13 items 4, 5 and 7).

* patient-provided text (names, notes, an import's column names) never acts on the terminal: control
  sequences are shown as escapes, Rich markup in it is shown as typed;
* reading commands work on a read-only journal; a change answers one line, exit 1;
* a damaged file answers one clear line, exit 2, never a traceback.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gabacare._cli.common import term_safe
from gabacare.cli import app
from gabacare.journal.model import EntryData, NewPatient, PlanSpec
from gabacare.journal.services import Journal

runner = CliRunner()
ESC_NAME = "Ann \x1b]0;pwned\x07\x1b[31mRed\x9b2J [bold]bold[/bold] \u202eevil"
NOTE = "fine\x1b[2J\rcleared [red]not red[/red]"
READS = (["patient", "list"], ["today", "--patient", "1", "--date", "2026-06-01"], ["adherence", "--patient", "1"],
         ["trends", "--patient", "1"], ["export", "--patient", "1", "--format", "csv"],
         ["report", "--patient", "1", "--to", "2026-06-28"], ["log", "history", "--patient", "1", "1"])


def _journal_with_hostile_text(url: str) -> None:
    from gabacare.composition import repository

    repo = repository(url)
    j = Journal(repo, clock=lambda: datetime(2026, 6, 30, 12))
    # Written as an older version could have (today's rules refuse control characters at the door).
    pid = repo.add_patient(NewPatient(ESC_NAME), created_at=datetime(2026, 6, 1)).id
    j.set_plan(pid, PlanSpec("regimen", date(2026, 6, 1), regimen="300 mg BID"))
    repo.add_entry(pid, EntryData("note", datetime(2026, 6, 1, 9), text=NOTE), recorded_at=datetime(2026, 6, 1))
    j.log_dose(pid, 300, at=datetime(2026, 6, 1, 8))
    repo.close()


def _no_raw_controls(text: str) -> None:
    bad = [c for c in text if (ord(c) < 0x20 and c not in "\n") or 0x7F <= ord(c) <= 0x9F or c in "\u202e"]
    assert bad == [], repr(text)


def test_term_safe_escapes_what_a_terminal_would_obey() -> None:
    assert term_safe(ESC_NAME) == "Ann \\x1b]0;pwned\\x07\\x1b[31mRed\\x9b2J [bold]bold[/bold] \\u202eevil"
    assert term_safe("two\nlines\r\nhere\ttab", multiline=True) == "two\nlines\nhere\ttab"
    assert term_safe("two\nlines") == "two\\nlines"


def test_patient_text_is_shown_not_obeyed(sqlite_url: str) -> None:
    _journal_with_hostile_text(sqlite_url)
    listing = runner.invoke(app, ["patient", "list", "--db", sqlite_url])
    assert listing.exit_code == 0
    _no_raw_controls(listing.stdout)
    assert "\\x1b[31mRed" in listing.stdout and "[bold]bold[/bold]" in listing.stdout
    today = runner.invoke(app, ["today", "--patient", "1", "--date", "2026-06-01", "--db", sqlite_url])
    assert today.exit_code == 0
    _no_raw_controls(today.stdout)
    assert "[red]not red[/red]" in today.stdout and "\\x1b[2J\\rcleared" in today.stdout
    report = runner.invoke(app, ["report", "--patient", "1", "--to", "2026-06-28", "--db", sqlite_url])
    assert report.exit_code == 0
    _no_raw_controls(report.stdout)
    as_json = runner.invoke(app, ["patient", "list", "--db", sqlite_url, "--json"])
    _no_raw_controls(as_json.stdout)  # JSON escapes them (C1 and bidi too) and keeps the value
    assert json.loads(as_json.stdout)["patients"][0]["name"] == ESC_NAME
    exported = runner.invoke(app, ["export", "--patient", "1", "--format", "csv", "--db", sqlite_url])
    assert NOTE in exported.stdout  # not a terminal: the exact bytes, for a pipe or a file


def test_error_messages_from_a_file_are_escaped(sqlite_url: str, tmp_path: Path) -> None:
    runner.invoke(app, ["patient", "add", "Ada", "--db", sqlite_url])
    bad = tmp_path / "bad.csv"
    bad.write_text("kind,at,\x1b[31mevil\x9b\n", encoding="utf-8")
    result = runner.invoke(app, ["import", str(bad), "--patient", "1", "--db", sqlite_url])
    assert result.exit_code == 2 and "unknown column" in result.stderr
    _no_raw_controls(result.stderr)
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("content", [b"hello, not a database\n", b"SQLite format 3\x00" + b"\xff" * 4080])
def test_a_damaged_journal_gives_one_clear_line_and_exit_2(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "journal.sqlite3"
    path.write_bytes(content)
    for args in (*READS[:2], READS[4], READS[5], ["log", "note", "--patient", "1", "hello"]):
        result = runner.invoke(app, [*args, "--db", f"sqlite:///{path}"])
        assert result.exit_code == 2, (args, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "damaged or is not a GabaCare journal" in lines[0], (args, result.stderr)
        assert "Traceback" not in result.stderr and result.stdout == ""


@pytest.fixture
def read_only_journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A journal this process may not write: ``os.access`` says so, as it would for another user's file."""
    path = tmp_path / "journal.sqlite3"
    _journal_with_hostile_text(f"sqlite:///{path}")
    real = os.access

    def access(p: object, mode: int, *args: object, **kwargs: object) -> bool:
        if mode & os.W_OK and Path(str(p)).resolve() in (path, tmp_path):
            return False
        return real(p, mode, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "access", access)
    return f"sqlite:///{path}"


def test_reading_commands_work_on_a_read_only_journal(read_only_journal: str) -> None:
    for args in READS:
        result = runner.invoke(app, [*args, "--db", read_only_journal])
        assert result.exit_code == 0, (args, result.stdout, result.stderr)
    result = runner.invoke(app, ["log", "note", "--patient", "1", "hello", "--db", read_only_journal])
    assert result.exit_code == 1
    assert result.stderr.strip() == ("gabacare: error: the journal database is read-only here, nothing was changed "
                                     "(reading commands still work)")


@pytest.fixture
def immutable_folder(tmp_path: Path) -> Iterator[Path]:
    """A journal in a folder even root cannot write (``chattr +i``), as on a read-only file system."""
    if shutil.which("chattr") is None or os.geteuid() != 0:
        pytest.skip("needs chattr and root")
    folder = tmp_path / "ro"
    folder.mkdir()
    _journal_with_hostile_text(f"sqlite:///{folder / 'journal.sqlite3'}")
    if subprocess.run(["chattr", "+i", str(folder / "journal.sqlite3"), str(folder)], capture_output=True).returncode:
        pytest.skip("the file system does not support immutable files")
    try:
        yield folder / "journal.sqlite3"
    finally:
        subprocess.run(["chattr", "-i", str(folder), str(folder / "journal.sqlite3")], check=True)


def test_reading_commands_work_in_a_folder_nothing_can_be_written_to(immutable_folder: Path) -> None:
    url = f"sqlite:///{immutable_folder}"
    assert not (immutable_folder.parent / "journal.sqlite3-wal").exists()
    for args in READS:
        result = runner.invoke(app, [*args, "--db", url])
        assert result.exit_code == 0, (args, result.stdout, result.stderr)
    result = runner.invoke(app, ["log", "dose", "--patient", "1", "--mg", "300", "--db", url])
    assert result.exit_code == 1 and "read-only" in result.stderr
