"""The clinical CLI commands against the contract in docs/cli-contract.md.

Every command takes ``--json`` and prints exactly one JSON object with the contract keys; bad input
exits 2 with one line on stderr and no traceback; human output carries the citations and the
"not a substitute for your clinician" notice. In-process runs use Typer's ``CliRunner``; exit codes
and start-up imports are checked in a real subprocess.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gabacare.cli import app
from gabacare.knowledge import load_monograph

runner = CliRunner()
NOTICE = " ".join(load_monograph().notice_text.split())
GABACARE = Path(sys.executable).with_name("gabacare")


def run(*args: str):
    return runner.invoke(app, list(args))


def run_json(*args: str) -> dict:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, "exactly one JSON object on stdout"
    data = json.loads(lines[0])
    assert isinstance(data, dict)
    return data


# --- JSON contract --------------------------------------------------------------------------

CONTRACT = [
    ("crcl", ["crcl", "--age", "60", "--sex", "male", "--weight-kg", "72", "--scr", "1.0"], {"crcl_ml_min": (int, float)}),
    ("crcl-umol", ["crcl", "--age", "60", "--sex", "female", "--weight-kg", "72", "--scr", "88.4", "--scr-unit", "umol/L"],
     {"crcl_ml_min": (int, float)}),
    ("limits", ["limits", "--crcl", "45"],
     {"band": str, "min_daily_mg": (int, float), "max_daily_mg": (int, float), "doses_per_day": int,
      "hemodialysis_supplement_mg": type(None), "citations": list}),
    ("limits-hd", ["limits", "--crcl", "45", "--hemodialysis"],
     {"band": str, "min_daily_mg": (int, float), "max_daily_mg": (int, float), "doses_per_day": int,
      "hemodialysis_supplement_mg": list, "citations": list}),
    ("limits-cg", ["limits", "--age", "80", "--sex", "female", "--weight-kg", "60", "--scr", "1.3"],
     {"band": str, "max_daily_mg": (int, float), "doses_per_day": int, "citations": list}),
    ("titrate", ["titrate", "--indication", "phn", "--start", "2026-03-02"], {"days": list, "citations": list}),
    ("titrate-renal", ["titrate", "--indication", "postherpetic-neuralgia", "--crcl", "25", "--target-mg", "1800",
                       "--start", "2026-03-02"], {"days": list, "citations": list}),
    ("titrate-child", ["titrate", "--indication", "epilepsy-child", "--weight-kg", "20", "--age", "6",
                       "--start", "2026-03-02"], {"days": list, "citations": list}),
    ("taper", ["taper", "--from", "600 mg TID", "--start", "2026-03-02"], {"days": list, "citations": list}),
    ("taper-risk", ["taper", "--from", "300-300-600", "--risk", "high", "--crcl", "45", "--start", "2026-03-02"],
     {"days": list, "citations": list}),
    ("check", ["check", "600 mg TID", "--crcl", "25"], {"ok": bool, "problems": list}),
    ("check-ok", ["check", "300 mg TID", "--indication", "epilepsy"], {"ok": bool, "problems": list}),
    ("interactions", ["interactions", "Xanax", "Percocet", "ibuprofen", "beer"], {"results": list}),
    ("symptoms", ["symptoms", "sleepy", "swollen lips", "purple elephants"], {"results": list, "most_urgent": str}),
    ("missed", ["missed", "--schedule", "08:00,20:00", "--missed", "08:00", "--now", "10:00"],
     {"advice": str, "message": str, "next_dose": str}),
]


@pytest.mark.parametrize(("name", "args", "keys"), CONTRACT, ids=[c[0] for c in CONTRACT])
def test_json_has_the_contract_keys(name, args, keys):
    data = run_json(*args)
    for key, kind in keys.items():
        assert key in data, f"{name}: missing {key}"
        assert isinstance(data[key], kind), f"{name}: {key} is {type(data[key]).__name__}"
        if kind in (int, str):
            assert not isinstance(data[key], bool)
    if "citations" in data:
        assert data["citations"], f"{name}: cited"


def test_crcl_json_value():
    assert run_json("crcl", "--age", "60", "--sex", "male", "--weight-kg", "72", "--scr", "1.0")["crcl_ml_min"] == 80


def test_limits_json_values():
    data = run_json("limits", "--crcl", "30", "--hemodialysis")
    assert (data["min_daily_mg"], data["max_daily_mg"], data["doses_per_day"]) == (200, 700, 1)
    assert data["hemodialysis_supplement_mg"] == [125, 150, 200, 250, 350]


@pytest.mark.parametrize("command", ["titrate", "taper"])
def test_plan_days_shape(command):
    args = (["titrate", "--indication", "phn"] if command == "titrate" else ["taper", "--from", "300 mg TID"])
    data = run_json(*args, "--start", "2026-03-02")
    assert data["days"][0]["date"] == "2026-03-02"
    for i, day in enumerate(data["days"], start=1):
        assert set(day) >= {"day", "date", "total_mg", "doses"} and day["day"] == i
        assert sum(d["mg"] for d in day["doses"]) == day["total_mg"]
        for dose in day["doses"]:
            assert set(dose) >= {"time", "mg", "units"}
            assert sum(u["strength_mg"] * u["count"] for u in dose["units"]) == dose["mg"]
            for unit in dose["units"]:
                assert set(unit) >= {"form", "strength_mg", "count"}
    if command == "taper":
        assert data["days"][-1]["total_mg"] == 0
    else:
        assert [d["total_mg"] for d in data["days"][:3]] == [300, 600, 900]


def test_check_json_problems_have_code_and_message():
    data = run_json("check", "600 mg TID", "--crcl", "25")
    assert data["ok"] is False
    assert [p["code"] for p in data["problems"]] == ["renal_max_exceeded", "renal_doses_per_day"]
    assert all(isinstance(p["message"], str) and p["message"] for p in data["problems"])


def test_interactions_json_results():
    data = run_json("interactions", "Xanax", "ibuprofen")
    keys = {"input", "known", "ingredients", "class", "severity", "action", "citations"}
    assert all(set(r) >= keys for r in data["results"])
    xanax, ibuprofen = data["results"]
    assert (xanax["known"], xanax["severity"], xanax["action"]) == (True, "major", "caution")
    assert (ibuprofen["known"], ibuprofen["severity"], ibuprofen["action"]) == (False, None, None)


def test_symptoms_json_results_emergency_first():
    data = run_json("symptoms", "sleepy", "swollen lips")
    assert all(set(r) >= {"input", "recognized", "urgency", "advice"} for r in data["results"])
    assert [r["urgency"] for r in data["results"]] == ["emergency", "expected"]
    assert data["most_urgent"] == "emergency"


def test_missed_json_values():
    data = run_json("missed", "--schedule", "07:00,14:00,21:00", "--missed", "21:00", "--now", "07:30")
    assert (data["advice"], data["next_dose"]) == ("skip", "07:00")


# --- bad input: exit 2, one line on stderr, no traceback -----------------------------------

BAD = [
    ("age-200", ["crcl", "--age", "200", "--sex", "male", "--weight-kg", "70", "--scr", "1"], "age 200"),
    ("scr-zero", ["crcl", "--age", "60", "--sex", "male", "--weight-kg", "70", "--scr", "0"], "creatinine"),
    ("unreadable-regimen", ["check", "some pills now and then"], "cannot read regimen"),
    ("unknown-indication", ["titrate", "--indication", "gout"], "known: postherpetic-neuralgia"),
    ("child-without-weight", ["titrate", "--indication", "epilepsy-child"], "weight"),
    ("target-above-3600", ["titrate", "--indication", "phn", "--target-mg", "4000"], "3600"),
    ("bad-date", ["titrate", "--indication", "phn", "--start", "2026-13-01"], "start date must be a date"),
    ("limits-without-inputs", ["limits"], "give crcl"),
    ("crcl-zero", ["limits", "--crcl", "0"], "above 0"),
    ("crcl-implausible", ["limits", "--crcl", "900"], "implausible"),
    ("taper-single-dose", ["taper", "--from", "400 mg once"], "single dose"),
    ("taper-risk-and-step", ["taper", "--from", "300 mg TID", "--risk", "low", "--step-mg", "100"], "either"),
    ("missed-not-in-schedule", ["missed", "--schedule", "08:00,20:00", "--missed", "09:00", "--now", "10:00"],
     "not in the schedule"),
    ("missed-bad-clock", ["missed", "--schedule", "08:00,20:00", "--missed", "25:00", "--now", "10:00"], "HH:MM"),
    ("no-symptom", ["symptoms", " "], "symptom"),
    ("check-unknown-indication", ["check", "300 mg TID", "--indication", "gout"], "unknown indication"),
]


@pytest.mark.parametrize("json_flag", [False, True], ids=["human", "json"])
@pytest.mark.parametrize(("name", "args", "mentions"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_exits_2_with_one_line(name, args, mentions, json_flag):
    result = run(*args, *(["--json"] if json_flag else []))
    assert result.exit_code == 2, result.stdout + result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("gabacare: error: ")
    assert mentions in lines[0]
    assert "Traceback" not in result.stderr


USAGE = [
    ("missing-indication", ["titrate", "--json"]),
    ("missing-from", ["taper"]),
    ("missing-regimen", ["check"]),
    ("missing-now", ["missed", "--schedule", "08:00", "--missed", "08:00"]),
    ("bad-sex", ["crcl", "--age", "60", "--sex", "other", "--weight-kg", "72", "--scr", "1"]),
    ("bad-risk", ["taper", "--from", "300 mg TID", "--risk", "extreme"]),
    ("not-a-number", ["limits", "--crcl", "lots"]),
]


@pytest.mark.parametrize(("name", "args"), USAGE, ids=[u[0] for u in USAGE])
def test_usage_errors_exit_2_without_traceback(name, args):
    result = run(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.strip()


@pytest.mark.parametrize(("name", "args"), USAGE[:2], ids=[u[0] for u in USAGE[:2]])
def test_usage_errors_are_one_line(name, args):
    result = run(*args)
    assert len(result.stderr.splitlines()) == 1, result.stderr


# --- human output: citations and the notice --------------------------------------------------

HUMAN = [
    ("crcl", ["crcl", "--age", "60", "--sex", "male", "--weight-kg", "72", "--scr", "1.0"], "label §2.3"),
    ("limits", ["limits", "--crcl", "45", "--hemodialysis"], "label §2.3"),
    ("titrate", ["titrate", "--indication", "phn", "--start", "2026-03-02"], "label §2.1"),
    ("taper", ["taper", "--from", "300 mg TID", "--start", "2026-03-02"], "nhs-fife"),
    ("check", ["check", "600 mg TID", "--crcl", "25"], "label §2.3"),
    ("interactions", ["interactions", "Percocet", "ibuprofen"], "fda-dsc-2019"),
    ("symptoms", ["symptoms", "swollen lips"], "label §5.2"),
    ("missed", ["missed", "--schedule", "08:00,20:00", "--missed", "08:00", "--now", "10:00"], "article-400mg"),
]


@pytest.mark.parametrize(("name", "args", "citation"), HUMAN, ids=[h[0] for h in HUMAN])
def test_human_output_has_citations_and_notice(name, args, citation):
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert NOTICE in text
    assert "Sources:" in text
    assert citation in text


def test_human_interactions_say_unknown_not_none():
    text = " ".join(run("interactions", "ibuprofen").stdout.split())
    assert "unknown" in text and "does not mean it is safe" in text


# --- as a real process ----------------------------------------------------------------------


def _proc(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(GABACARE), *args], capture_output=True, text=True, timeout=60, check=False)


def test_subprocess_exit_codes():
    ok = _proc("limits", "--crcl", "45", "--json")
    assert ok.returncode == 0 and json.loads(ok.stdout)["max_daily_mg"] == 1400 and ok.stderr == ""
    bad = _proc("crcl", "--age", "200", "--sex", "male", "--weight-kg", "70", "--scr", "1", "--json")
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr
    usage = _proc("titrate")
    assert usage.returncode == 2 and "Traceback" not in usage.stderr


HEAVY = ("numpy", "sqlalchemy", "matplotlib", "weasyprint", "fastapi", "scipy")


def _modules_after(code: str, **env: str) -> set[str]:
    import os

    probe = f"import sys\n{code}\nsys.stdout.write('\\n'.join(sorted(sys.modules)))\n"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True,
                         env={**os.environ, **env})
    return set(out.stdout.split())


def test_importing_the_cli_loads_no_heavy_library():
    # gabacare.cli is a thin entry point; the application it resolves lazily is gabacare._cli.application,
    # so both are imported here (importing the entry point alone would load nothing and prove nothing).
    mods = _modules_after("import gabacare.cli\nimport gabacare._cli.application\ngabacare.cli.app")
    assert {"gabacare.cli", "gabacare._cli.application", "typer"} <= mods
    assert {m for m in mods if m.split(".")[0] in (*HEAVY, "rich")} == set()


HELP_CODE = """
sys.argv = ["gabacare", "--help"]
from gabacare.cli import main
import contextlib, io
with contextlib.redirect_stdout(io.StringIO()):
    try:
        main()
    except SystemExit:
        pass
"""


def test_help_loads_no_heavy_library():
    # With the help cache off, Typer builds the help: the path a first run (or a changed CLI) takes.
    mods = _modules_after(HELP_CODE, GABACARE_CACHE="off")
    assert {"gabacare.cli", "typer"} <= mods
    assert {m for m in mods if m.split(".")[0] in HEAVY} == set()


def test_help_runs_as_a_process():
    result = _proc("--help")
    assert result.returncode == 0
    for command in ("crcl", "limits", "titrate", "taper", "check", "interactions", "symptoms", "missed"):
        assert command in result.stdout
