"""Questionnaires in the journal and the withdrawal watch over it: CLI contract, export/import, worked journals.

The spec table below is a set of worked journals: a taper plan, then what was logged day by day
(symptom scores on checklist scales, free text, questionnaires), read through the journal (the same
path as ``gabacare taper-watch``) into the proposal for the prescriber.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gabacare.app.questionnaires import log_questionnaire, taper_watch
from gabacare.cli import app
from gabacare.journal.memory import InMemoryJournalRepository
from gabacare.journal.model import PlanSpec
from gabacare.journal.services import Journal

runner = CliRunner()
START = date(2026, 3, 1)  # taper from 300 mg TID: 900 -> 600 on 1 March, 600 -> 300 on 8 March, 300 -> 0 on 15 March
STEP2 = datetime(2026, 3, 15, 0, 0)  # the last step (no dose planned that day: it begins at midnight)


def _cli(db: str, *args: str) -> tuple[int, str, str]:
    r = runner.invoke(app, [*args, "--db", db])
    return r.exit_code, r.stdout, r.stderr


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'j.sqlite3'}"
    code, out, _ = _cli(url, "patient", "add", "Ada", "--json")
    assert code == 0, out
    return url


def test_questionnaire_log_stores_and_prints_the_score(db: str) -> None:
    code, out, _ = _cli(db, "questionnaire", "log", "--patient", "1", "gad7", "--answers", "1,1,1,1,1,1,1",
                        "--at", "2026-03-02T10:00", "--json")
    assert code == 0
    body = json.loads(out)
    assert (body["instrument"], body["total"], body["severity"], body["at"]) == ("gad7", 7, "mild", "2026-03-02T10:00:00")
    listed = json.loads(_cli(db, "questionnaire", "list", "--patient", "1", "--json")[1])
    assert [(q["instrument"], q["answers"], q["total"]) for q in listed["questionnaires"]] == [("gad7", [1] * 7, 7)]


def test_phq9_item_9_is_stored_and_printed_as_the_emergency(db: str) -> None:
    score = json.loads(runner.invoke(app, ["questionnaire", "score", "phq9", "--answers", "0,0,0,0,0,0,0,0,2",
                                           "--json"]).stdout)
    code, out, _ = _cli(db, "questionnaire", "log", "--patient", "1", "phq9", "--answers", "0,0,0,0,0,0,0,0,2", "--json")
    logged = json.loads(out)
    assert code == 0 and logged["emergency"] is True
    assert (logged["advice"], logged["crisis_lines"]) == (score["advice"], score["crisis_lines"])
    stored = json.loads(_cli(db, "questionnaire", "list", "--patient", "1", "--json")[1])["questionnaires"][0]
    assert stored["emergency"] is True and stored["advice"] == score["advice"]
    code, text, _ = _cli(db, "questionnaire", "log", "--patient", "1", "phq9", "--answers", "0,0,0,0,0,0,0,0,1")
    assert code == 0 and "EMERGENCY" in text and "988" in text


@pytest.mark.parametrize("args", [
    ["--patient", "1", "nope", "--answers", "0"],
    ["--patient", "1", "gad7", "--answers", "0,1"],
    ["--patient", "1", "gad7", "--answers", "0,1,2,3,4,0,0"],
    ["--patient", "1", "gad7", "--answers", "0,x,0,0,0,0,0"],
    ["--patient", "7", "gad7", "--answers", "0,0,0,0,0,0,0"],
    ["--patient", "1", "gad7", "--answers", "0,0,0,0,0,0,0", "--at", "not-a-time"],
])
def test_bad_input_exits_2_with_one_line_and_stores_nothing(db: str, args: list[str]) -> None:
    code, out, err = _cli(db, "questionnaire", "log", *args)
    assert code == 2 and out == ""
    assert err.startswith("gabacare: error: ") and err.count("\n") == 1
    assert json.loads(_cli(db, "questionnaire", "list", "--patient", "1", "--json")[1])["questionnaires"] == []


def test_taper_watch_without_a_taper_exits_0_with_no_proposal(db: str) -> None:
    code, out, _ = _cli(db, "taper-watch", "--patient", "1", "--json")
    body = json.loads(out)
    assert code == 0 and body["proposal"] is None and body["reason"] and "clinician" in body["notice"]
    _cli(db, "plan", "set", "--patient", "1", "300 mg TID", "--start", "2026-03-01")
    body = json.loads(_cli(db, "taper-watch", "--patient", "1", "--json")[1])
    assert body["proposal"] is None and "not a taper" in body["reason"]
    assert _cli(db, "taper-watch", "--patient", "9", "--json")[0] == 2


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_a_questionnaire_round_trips_through_export_and_import_once(db: str, tmp_path: Path, fmt: str) -> None:
    _cli(db, "questionnaire", "log", "--patient", "1", "penn_spasm", "--answers", "3,2", "--at", "2026-03-02T10:00")
    out = tmp_path / f"export.{fmt}"
    assert _cli(db, "export", "--patient", "1", "--format", fmt, "--out", str(out))[0] == 0
    assert '"questionnaire"' in out.read_text() or "questionnaire," in out.read_text()
    _cli(db, "patient", "add", "Bo")
    code, text, _ = _cli(db, "import", str(out), "--patient", "2", "--json")
    assert code == 0, text
    again = json.loads(_cli(db, "import", str(out), "--patient", "2", "--json")[1])
    assert again["already_present"] >= 1
    got = json.loads(_cli(db, "questionnaire", "list", "--patient", "2", "--json")[1])["questionnaires"]
    first = json.loads(_cli(db, "questionnaire", "list", "--patient", "1", "--json")[1])["questionnaires"]
    assert [(q["uid"], q["at"], q["instrument"], q["answers"], q["severity"]) for q in got] == \
           [(q["uid"], q["at"], q["instrument"], q["answers"], q["severity"]) for q in first]


def test_an_import_with_a_total_that_does_not_match_its_answers_is_refused(db: str, tmp_path: Path) -> None:
    f = tmp_path / "bad.json"
    row = {"kind": "questionnaire", "at": "2026-03-02T10:00:00", "name": "gad7", "value": 20, "text": "0,0,0,0,0,0,0"}
    f.write_text(json.dumps({"format": "gabacare-journal", "version": 2, "rows": [row]}))
    code, _, err = _cli(db, "import", str(f), "--patient", "1")
    assert code == 2 and "does not match" in err
    assert json.loads(_cli(db, "questionnaire", "list", "--patient", "1", "--json")[1])["questionnaires"] == []


# -- worked journals --------------------------------------------------------------------------------

def _journal(now: datetime) -> tuple[Journal, int]:
    j = Journal(InMemoryJournalRepository(), clock=lambda: now)
    pid = j.add_patient("Ada").id
    j.set_plan(pid, PlanSpec("taper", START, regimen="300 mg TID"))
    return j, pid


def _log(j: Journal, pid: int, item: tuple[str, ...]) -> None:
    what, day_hour, *rest = item
    at = STEP2 + timedelta(hours=float(day_hour))
    if what == "symptom":
        j.log_symptom(pid, rest[0], float(rest[1]), at=at)
    elif what == "side_effect":
        j.log_side_effect(pid, rest[0], at=at)
    elif what == "note":
        j.log_note(pid, rest[0], at=at)
    else:
        log_questionnaire(j, pid, rest[0], rest[1], at=at)


# (hours after the last step, 15 March 00:00, what) -> proposal
WORKED = [
    ("nothing logged", [], "continue"),
    ("unrelated scale", [("symptom", "30", "spasm_intensity", "8")], "continue"),
    ("mild anxiety (score 3) on day 2", [("symptom", "30", "anxiety", "3")], "hold"),
    ("anxiety before the window opens (6 h) only", [("symptom", "6", "anxiety", "6")], "continue"),
    ("moderate insomnia (6) on two days", [("symptom", "20", "insomnia", "6"), ("symptom", "44", "insomnia", "5")],
     "slow"),
    ("severe sweating (8)", [("symptom", "30", "sweating", "8")], "step_back"),
    ("moderate nausea on four days", [("symptom", str(14 + 24 * d), "nausea", "5") for d in range(4)], "step_back"),
    ("a seizure in free text, 2 h after the step", [("side_effect", "2", "I had a seizure")], "emergency"),
    ("a note read as an emergency", [("note", "30", "she would not wake up this morning")], "emergency"),
    ("PHQ-9 item 9 above zero", [("q", "30", "phq9", "0,0,0,0,0,0,0,0,1")], "emergency"),
    ("GAD-7 up by the MID from a baseline", [("q", "-48", "gad7", "1,1,0,0,0,0,0"), ("q", "40", "gad7", "2,2,1,1,0,0,0")],
     "hold"),
    ("PGIC much worse", [("q", "60", "pgic", "6")], "slow"),
    ("everything after the window's end", [("symptom", "200", "anxiety", "9"), ("side_effect", "190", "a seizure")],
     "continue"),
]


@pytest.mark.parametrize(("title", "logged", "proposal"), WORKED, ids=[w[0] for w in WORKED])
def test_worked_journals(title: str, logged: list[tuple[str, ...]], proposal: str) -> None:
    j, pid = _journal(STEP2 + timedelta(days=10))
    for item in logged:
        _log(j, pid, item)
    answer = taper_watch(j, pid)
    assert answer.result is not None and answer.result.step.at == STEP2
    assert (answer.result.step.from_mg_per_day, answer.result.step.to_mg_per_day) == (300, 0)
    assert answer.proposal == proposal, title
    body = answer.to_json()
    assert {"proposal", "step", "window", "evidence", "citations", "notice"} <= set(body)


def test_the_watched_step_is_the_latest_at_or_before_now() -> None:
    j, pid = _journal(datetime(2026, 3, 5, 12, 0))
    answer = taper_watch(j, pid)
    assert answer.result is not None and (answer.result.step.from_mg_per_day, answer.result.step.to_mg_per_day) == (900, 600)
    assert answer.result.window_complete is False


_LATE = st.tuples(
    st.sampled_from(["symptom", "side_effect", "q"]),
    st.integers(min_value=169, max_value=230),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(base=st.sampled_from(WORKED[:12]), late=st.lists(_LATE, max_size=4))
def test_nothing_logged_after_the_windows_end_changes_the_proposal(
    base: tuple[str, list[tuple[str, ...]], str], late: list[tuple[str, int]],
) -> None:
    j, pid = _journal(STEP2 + timedelta(days=12))
    for item in base[1]:
        _log(j, pid, item)
    before = taper_watch(j, pid).to_json()
    for kind, hours in late:
        if kind == "symptom":
            _log(j, pid, ("symptom", str(hours), "anxiety", "10"))
        elif kind == "side_effect":
            _log(j, pid, ("side_effect", str(hours), "I had a seizure"))
        else:
            _log(j, pid, ("q", str(hours), "phq9", "3,3,3,3,3,3,3,3,3"))
    after = taper_watch(j, pid).to_json()
    assert (after["proposal"], after["evidence"], after["step"]) == (before["proposal"], before["evidence"], before["step"])
