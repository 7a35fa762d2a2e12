"""Durability across processes, on SQLite and PostgreSQL.

* A process SIGKILLed in the middle of a large import leaves nothing of it (all or nothing), and
  the database stays consistent and writable.
* Two processes writing at the same time lose no entry.
* Two processes opening a fresh database at once both succeed (migrations are serialised).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gabacare.composition import repository
from gabacare.journal.services import Journal

from .conftest import NOW

CHILD = str(Path(__file__).with_name("_child.py"))
ROWS = 20_000
DEADLINE_S = 90  # generous upper bound for a child to reach a point; never a timing assertion


def _spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, CHILD, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(path: Path, proc: subprocess.Popen[str]) -> None:
    end = time.monotonic() + DEADLINE_S
    while not path.exists():
        if proc.poll() is not None:
            pytest.fail(f"child exited early ({proc.returncode}): {proc.stderr.read() if proc.stderr else ''}")
        if time.monotonic() > end:
            proc.kill()
            pytest.fail("child never reached the marker")
        time.sleep(0.01)


def _release(go: Path, procs: list[subprocess.Popen[str]]) -> None:
    """Wait until every child is connected and waiting, then let them all go at once."""
    for p in procs:
        _wait_for(go.with_name(f"ready-{p.pid}"), p)
    go.write_text("go")


def _journal(url: str) -> Journal:
    return Journal(repository(url), clock=lambda: NOW)


def _assert_consistent(url: str, patient: int) -> None:
    from sqlalchemy import text

    j = _journal(url)
    engine = j.repo.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            assert conn.execute(text("PRAGMA foreign_key_check")).first() is None
    j.log_note(patient, "still writable", at=NOW)
    assert j.repo.count_entries(patient) >= 1
    j.repo.close()


def test_sigkill_inside_an_import_leaves_nothing(db_url: str, tmp_path: Path) -> None:
    j = _journal(db_url)
    pid = j.add_patient("Ada").id
    j.log_note(pid, "before", at=NOW)
    j.repo.close()
    marker = tmp_path / "progress"
    proc = _spawn("import", db_url, str(pid), str(ROWS), str(marker), "hang")
    _wait_for(marker, proc)  # the first chunk is written, the transaction is open
    assert int(marker.read_text()) > 0
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    j = _journal(db_url)
    assert j.repo.count_entries(pid) == 1
    assert [e.data.text for e in j.entries(pid)] == ["before"]
    j.repo.close()
    _assert_consistent(db_url, pid)


def test_sigkill_while_importing_is_all_or_nothing(db_url: str, tmp_path: Path) -> None:
    j = _journal(db_url)
    pid = j.add_patient("Ada").id
    j.repo.close()
    marker = tmp_path / "progress"
    proc = _spawn("import", db_url, str(pid), str(ROWS), str(marker), "run")
    _wait_for(marker, proc)  # writing is under way; kill it wherever it is
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    j = _journal(db_url)
    count = j.repo.count_entries(pid)
    committed = marker.with_suffix(".done").exists()
    assert count == (ROWS if committed else 0)
    j.repo.close()
    _assert_consistent(db_url, pid)


def test_two_concurrent_writers_lose_no_entry(db_url: str, tmp_path: Path) -> None:
    j = _journal(db_url)
    pid = j.add_patient("Ada").id
    j.repo.close()
    go = tmp_path / "go"
    n = 150
    procs = [_spawn("write", db_url, str(pid), str(n), tag, str(go)) for tag in ("a", "b")]
    _release(go, procs)
    for p in procs:
        _, err = p.communicate(timeout=DEADLINE_S)
        assert p.returncode == 0, err
    j = _journal(db_url)
    texts = sorted(e.data.text or "" for e in j.entries(pid))
    assert texts == sorted([f"a-{i}" for i in range(n)] + [f"b-{i}" for i in range(n)])
    j.repo.close()


def test_two_processes_opening_a_fresh_sqlite_file_both_succeed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    go = tmp_path / "go"
    procs = [_spawn("open", url, str(go)) for _ in range(2)]
    _release(go, procs)
    for p in procs:
        _, err = p.communicate(timeout=DEADLINE_S)
        assert p.returncode == 0, err
    j = _journal(url)
    assert len(j.list_patients()) == 2
    j.repo.close()
