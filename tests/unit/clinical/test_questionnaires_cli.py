"""``gabacare questionnaire score INSTRUMENT --answers …`` against the contract (DESIGN.md).

``--json`` prints one object with ``instrument``, ``total``, ``severity``, ``emergency``, ``advice``,
``citations``; bad answers (wrong count, out of range, not whole numbers) and unknown instruments
exit 2 with one line on stderr; the help lists every instrument of ``questionnaires.toml``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gabacare._cli.questionnaire import INSTRUMENT_HELP
from gabacare.cli import app
from gabacare.knowledge import load_monograph
from gabacare.knowledge.questionnaires import load_questionnaires

runner = CliRunner()
GABACARE = Path(sys.executable).with_name("gabacare")
NOTICE = " ".join(load_monograph().notice_text.split())
KEYS = {"instrument": str, "total": int, "severity": str, "emergency": bool, "advice": str, "citations": list}


def run(*args: str):
    return runner.invoke(app, ["questionnaire", "score", *args])


@pytest.mark.parametrize(("instrument", "answers", "total", "severity", "emergency"), [
    ("phq9", "1,1,1,1,1,1,1,1,1", 9, "mild", True),
    ("phq9", "3,3,3,3,3,3,2,0,0", 20, "severe", False),
    ("gad7", "1,1,1,1,1,0,0", 5, "mild", False),
    ("penn_spasm", "3,2", 3, "moderate", False),
    ("penn_spasm", "0", 0, "none", False),
    ("pain_nrs", "7", 7, "severe", False),
    ("pgic", "6", 6, "much_worse", False),
])
def test_json_contract(instrument, answers, total, severity, emergency):
    result = run(instrument, "--answers", answers, "--json")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    data = json.loads(lines[0])
    for key, kind in KEYS.items():
        assert isinstance(data[key], kind), key
    assert (data["instrument"], data["total"], data["severity"], data["emergency"]) == (
        instrument, total, severity, emergency)
    assert all({"source", "text"} <= set(c) for c in data["citations"])


def test_item_9_json_carries_the_crisis_lines():
    data = json.loads(run("phq9", "--answers", "0,0,0,0,0,0,0,0,2", "--json").stdout)
    assert data["emergency"] is True
    assert [c["number"] for c in data["crisis_lines"]][:2] == ["988", "116 123"]


def test_human_output_has_sources_and_the_notice():
    out = " ".join(run("gad7", "--answers", "3,3,3,3,3,0,0").stdout.split())
    assert "GAD-7: 15 of 21" in out and "severe" in out and "Sources: spitzer-2006" in out and NOTICE in out


def test_human_output_puts_the_emergency_first():
    out = run("phq9", "--answers", "0,0,0,0,0,0,0,0,1").stdout
    assert out.lstrip().startswith("EMERGENCY") and "988" in out


@pytest.mark.parametrize(("args", "message"), [
    (("phq9", "--answers", "1,2"), "phq9 takes 9 answers, got 2"),
    (("gad7", "--answers", "0,0,0,0,0,0,4"), "gad7: answer 7 must be 0 to 3, got 4"),
    (("pain_nrs", "--answers", "1.5"), "answer 1 is not a whole number: '1.5'"),
    (("pgic", "--answers", "0"), "pgic: answer 1 must be 1 to 7, got 0"),
    (("pain_nrs", "--answers", ""), "no answers given"),
    (("bpi", "--answers", "3"), "unknown questionnaire 'bpi'"),
])
def test_bad_answers_exit_2_with_one_line(args, message):
    result = run(*args, "--json")
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gabacare: error: ") and message in lines[0]


def test_help_lists_every_instrument_of_the_knowledge_base():
    assert tuple(INSTRUMENT_HELP) == load_questionnaires().ids
    text = " ".join(runner.invoke(app, ["questionnaire", "score", "--help"]).stdout.split())
    for instrument_id in load_questionnaires().ids:
        assert instrument_id in text
    group = runner.invoke(app, ["questionnaire", "--help"]).stdout
    assert "score" in group
    assert "questionnaire" in runner.invoke(app, ["--help"]).stdout


@pytest.mark.skipif(not GABACARE.exists(), reason="the console script is not installed")
def test_real_process_exit_codes_and_no_knowledge_load_for_help():
    bad = subprocess.run([str(GABACARE), "questionnaire", "score", "phq9", "--answers", "9"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    probe = ("import sys; import gabacare.cli; import gabacare._cli.application; gabacare.cli.app; "
             "print(any(m.startswith(('gabacare.knowledge', 'gabacare.clinical')) for m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert loaded.stdout.strip() == "False", "importing the CLI must not load the knowledge base"
