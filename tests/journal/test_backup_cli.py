"""`gabacare backup` and `gabacare restore` (issue 15, item 5): the demo account backed up from one SQLite
file and restored into a fresh database (SQLite, then PostgreSQL) by e-mail, the passphrase from a file
or a prompt, never an argument; bad input exits 2 with one line and restores nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gabacare.app.backup import MAX_BACKUP_BYTES
from gabacare.cli import app
from gabacare.web.demo import DEMO_EMAIL

runner = CliRunner()
PASS = "a passphrase for the test"


def run(*args: str, code: int = 0, input: str | None = None) -> Any:
    result = runner.invoke(app, [*args, "--json"], input=input)
    assert result.exit_code == code, (result.stdout, result.stderr)
    if code == 0:
        return json.loads(result.stdout.strip().splitlines()[-1])
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gabacare: error:"), result.stderr
    assert "Traceback" not in result.stderr and PASS not in result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def demo_file(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite journal holding the demo account (two patients with three weeks of records), made once."""
    from gabacare.web.demo import seed_demo

    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    shutil.copyfile(sqlite_template, path)
    seed_demo(f"sqlite:///{path}")
    from gabacare.composition import close_stores

    close_stores()  # the file is copied for each test: its WAL checkpointed first
    return path


@pytest.fixture
def demo(demo_file: Path, tmp_path: Path) -> str:
    path = tmp_path / "demo.sqlite3"
    shutil.copyfile(demo_file, path)
    return f"sqlite:///{path}"


@pytest.fixture
def passfile(tmp_path: Path) -> Path:
    path = tmp_path / "passphrase.txt"
    path.write_text(PASS + "\n", encoding="utf-8")
    return path


def _fresh_account(url: str) -> None:
    from argon2 import PasswordHasher

    from gabacare.composition import accounts

    accounts(url, password_hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)).sign_up(
        DEMO_EMAIL, "another long password", "Demo again")


def _journal_of(url: str) -> dict[str, list[str]]:
    from gabacare.app.backup import account_by_email
    from gabacare.composition import accounts, journal

    accs = accounts(url)
    user = account_by_email(accs, DEMO_EMAIL)
    j = journal(url)
    return {p.name: sorted(e.uid for e in j.entries(p.id)) + sorted(q.uid for q in j.repo.list_questionnaires(p.id))
            for p in accs.patients_of(user)}


def test_backup_then_restore_into_a_fresh_database(demo: str, db_url: str, passfile: Path, tmp_path: Path) -> None:
    out = tmp_path / "demo.gcbackup"
    made = run("backup", "--account", DEMO_EMAIL, "--out", str(out), "--passphrase-file", str(passfile), "--db", demo)
    assert made["patients"] == 2 and made["entries"] > 50 and made["bytes"] == out.stat().st_size
    assert not out.with_name(out.name + ".partial").exists()
    assert out.read_bytes()[:4] == b"GCBK" and out.stat().st_mode & 0o077 == 0  # the owner's alone

    _fresh_account(db_url)
    first = run("restore", str(out), "--account", DEMO_EMAIL, "--passphrase-file", str(passfile), "--db", db_url)
    assert first["patients"] == {"created": 2, "matched": 0} and first["already_present"] == 0
    carried = made["entries"] + made["questionnaires"] + made["other_rows"]  # an import counts them all as entries
    assert first["entries"] == carried and first["plans"] == made["plans"]
    assert _journal_of(db_url) == _journal_of(demo)  # the same entries and questionnaires, by uid

    again = run("restore", str(out), "--account", DEMO_EMAIL, "--passphrase-file", str(passfile), "--db", db_url)
    assert again["patients"] == {"created": 0, "matched": 2} and again["entries"] == 0 and again["plans"] == 0
    assert again["already_present"] == carried + made["plans"]


def test_the_passphrase_can_come_from_a_prompt(demo: str, tmp_path: Path) -> None:
    out = tmp_path / "b.gcbackup"
    made = run("backup", "--account", DEMO_EMAIL, "--out", str(out), "--db", demo, input=f"{PASS}\n{PASS}\n")
    assert made["patients"] == 2
    back = run("restore", str(out), "--account", DEMO_EMAIL, "--db", demo, input=f"{PASS}\n")
    assert back["patients"]["matched"] == 2 and back["entries"] == 0


def test_bad_input_exits_2_with_one_line(demo: str, passfile: Path, tmp_path: Path) -> None:
    out = tmp_path / "b.gcbackup"
    run("backup", "--account", DEMO_EMAIL, "--out", str(out), "--passphrase-file", str(passfile), "--db", demo)
    data = out.read_bytes()
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not the passphrase\n")
    short = tmp_path / "short.txt"
    short.write_text("short\n")
    cut, tampered, huge = tmp_path / "cut", tmp_path / "tampered", tmp_path / "huge"
    cut.write_bytes(data[:100])
    tampered.write_bytes(data[:-5] + bytes([data[-5] ^ 1]) + data[-4:])
    huge.write_bytes(b"GCBK" + b"\0" * MAX_BACKUP_BYTES)

    def restore(file: Path, pf: Path = passfile, account: str = DEMO_EMAIL) -> str:
        return str(run("restore", str(file), "--account", account, "--passphrase-file", str(pf), "--db", demo, code=2))

    before = _journal_of(demo)
    assert "passphrase is wrong" in restore(out, wrong)
    assert "passphrase is wrong" in restore(cut)
    assert "passphrase is wrong" in restore(tampered)
    assert "MiB" in restore(huge)
    assert "no such file" in restore(tmp_path / "missing")
    assert "no account" in restore(out, account="nobody@example.org")
    assert "e-mail" in restore(out, account="not an address")
    assert "not a GabaCare backup" in restore(passfile)
    assert _journal_of(demo) == before  # nothing was written by any of them
    line = run("backup", "--account", DEMO_EMAIL, "--out", str(tmp_path / "x"), "--passphrase-file", str(short),
               "--db", demo, code=2)
    assert "at least" in line and not (tmp_path / "x").exists()
