"""The journal commands end to end through the CLI (in-process), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gabacare.cli import app

runner = CliRunner()


def run(db: str, *args: str, code: int = 0) -> Any:
    result = runner.invoke(app, [*args, "--db", db, "--json"])
    assert result.exit_code == code, (result.stdout, result.stderr)
    if code == 0:
        return json.loads(result.stdout)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gabacare: error:"), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_a_new_users_session(db_url: str, tmp_path: Path) -> None:
    pid = run(db_url, "patient", "add", "Ada Lovelace", "--birth-date", "1960-01-01", "--sex", "female",
              "--weight-kg", "70")["id"]
    assert [p["id"] for p in run(db_url, "patient", "list")["patients"]] == [pid]
    plan = run(db_url, "plan", "set", "--patient", str(pid), "300 mg BID", "--start", "2026-01-01")
    assert plan["kind"] == "maintenance" and plan["days"][0]["total_mg"] == 600 and plan["continues"]
    dose = run(db_url, "log", "dose", "--patient", str(pid), "--mg", "300", "--at", "2026-01-01T08:00:00",
               "--status", "taken")
    assert (dose["kind"], dose["mg"], dose["status"], dose["at"]) == ("dose", 300, "taken", "2026-01-01T08:00:00")
    run(db_url, "log", "symptom", "--patient", str(pid), "--scale", "pain", "--score", "4", "--at", "2026-01-01T09:00")
    run(db_url, "log", "trigger", "--patient", str(pid), "cold", "--at", "2026-01-01T10:00")
    run(db_url, "log", "note", "--patient", str(pid), "felt fine", "--at", "2026-01-01T11:00")
    se = run(db_url, "log", "side-effect", "--patient", str(pid), "swollen tongue", "--at", "2026-01-01T12:00")
    assert se["emergency"] is True and se["urgency"] == "emergency" and se["advice"]
    lab = run(db_url, "log", "lab", "--patient", str(pid), "--value", "2.5", "--at", "2026-01-02T09:00")
    assert lab["renal"]["ok"] is False and lab["renal"]["crcl_ml_min"] > 0

    adh = run(db_url, "adherence", "--patient", str(pid), "--from", "2026-01-01", "--to", "2026-01-01")
    assert (adh["scheduled"], adh["taken"], adh["adherence_pct"], adh["on_time_pct"]) == (2, 1, 50, 50)
    assert isinstance(adh["scheduled"], int) and isinstance(adh["taken"], int)
    today = run(db_url, "today", "--patient", str(pid), "--date", "2026-01-01")
    assert [d["status"] for d in today["doses"]] == ["taken", "missed"]
    trends = run(db_url, "trends", "--patient", str(pid), "--from", "2026-01-01", "--to", "2026-01-07")
    assert trends["scales"]["pain"][0]["rolling_mean"] == 4

    out = tmp_path / "export.json"
    exp = run(db_url, "export", "--patient", str(pid), "--format", "json", "--out", str(out))
    assert exp["out"] == str(out) and json.loads(out.read_text())["format"] == "gabacare-journal"
    other = run(db_url, "patient", "add", "Copy")["id"]
    imp = run(db_url, "import", str(out), "--patient", str(other))
    assert imp["imported"] == {"entries": 6, "plans": 1}
    csv_a = runner.invoke(app, ["export", "--patient", str(pid), "--format", "csv", "--db", db_url]).stdout
    csv_b = runner.invoke(app, ["export", "--patient", str(other), "--format", "csv", "--db", db_url]).stdout
    assert csv_a == csv_b and csv_a.startswith("kind,at,mg")

    edited = run(db_url, "log", "edit", "--patient", str(pid), str(dose["id"]), "--mg", "200")
    assert edited["version"] == 2
    hist = run(db_url, "log", "history", "--patient", str(pid), str(dose["id"]))
    assert [v["mg"] for v in hist["versions"]] == [300, 200]


@pytest.mark.parametrize(
    "args",
    [
        ["log", "symptom", "--patient", "{p}", "--scale", "pain", "--score", "11", "--at", "2026-01-01T09:00"],
        ["log", "dose", "--patient", "{p}", "--mg", "-300", "--at", "2026-01-01T08:00"],
        ["log", "dose", "--patient", "{p}", "--mg", "300", "--at", "2999-01-01T08:00"],
        ["log", "dose", "--patient", "{p}", "--mg", "300", "--at", "yesterday"],
        ["log", "dose", "--patient", "999", "--mg", "300", "--at", "2026-01-01T08:00"],
        ["adherence", "--patient", "{p}", "--from", "2026-02-01", "--to", "2026-01-01"],
        ["plan", "set", "--patient", "{p}", "300 mg BID", "--indication", "phn"],
        ["import", "{bad}", "--patient", "{p}"],
        ["import", "{bad}.missing", "--patient", "{p}"],
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(db_url: str, tmp_path: Path, args: list[str]) -> None:
    pid = run(db_url, "patient", "add", "Ada")["id"]
    bad = tmp_path / "bad.csv"
    bad.write_text("kind,at,mg,status\ndose,2026-01-01T08:00,300,taken\ndose,2026-01-01T20:00,-1,taken\n")
    line = run(db_url, *[a.format(p=pid, bad=bad) for a in args], code=2)
    assert "Ada" not in line
    assert run(db_url, "export", "--patient", str(pid), "--format", "json")["content"].count('"kind"') == 0


def test_import_error_lists_every_bad_row(sqlite_url: str, tmp_path: Path) -> None:
    pid = run(sqlite_url, "patient", "add", "Ada")["id"]
    bad = tmp_path / "bad.csv"
    bad.write_text("kind,at,mg,status,name,value\n"
                   "dose,2026-01-01T08:00,-1,taken,,\n"
                   "dose,2026-01-01T20:00,300,taken,,\n"
                   "symptom,2026-01-01T20:00,,,pain,11\n")
    line = run(sqlite_url, "import", str(bad), "--patient", str(pid), code=2)
    assert "2 bad row(s)" in line and "line 2:" in line and "line 4:" in line


def test_storage_failure_exits_1(tmp_path: Path) -> None:
    line = run("postgresql+psycopg://nobody@127.0.0.1:1/none", "patient", "list", code=1)
    assert "database" in line
    line = run("notadriver://x", "patient", "list", code=1)
    assert "driver" in line or "URL" in line


def test_env_var_selects_the_database_and_help_is_fast_to_import(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'env.sqlite3'}"
    env = {**os.environ, "GABACARE_DB": url}
    exe = [str(Path(sys.executable).with_name("gabacare"))]
    out = subprocess.run([*exe, "patient", "add", "Env Person", "--json"], env=env, capture_output=True, text=True,
                         check=True)
    assert json.loads(out.stdout)["id"] == 1
    assert (tmp_path / "env.sqlite3").exists()
    probe = "import sys, gabacare.cli; print('sqlalchemy' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip() == "False"


def test_storage_failures_outside_journal_commands_name_the_cause(tmp_path: Path) -> None:
    """Commands using the shared guard (demo-seed, simulate --patient) report the storage error
    itself, not an "unexpected error" (same exit code 1 as the journal commands)."""
    from typer.testing import CliRunner

    from gabacare.cli import app

    for command in (["demo-seed"], ["simulate", "--patient", "1"]):
        result = CliRunner().invoke(app, [*command, "--db", "notadriver://x"])
        assert result.exit_code == 1, result.output
        assert "unexpected" not in result.stderr and ("driver" in result.stderr or "URL" in result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1
