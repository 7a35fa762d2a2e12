"""``/api/v1/patients/{id}/questionnaires`` and ``…/taper-watch``: the CLI's keys, 422 problems, owner scoping."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from .test_journal_pages import make_app, sign_up  # noqa: F401 - sign_up keeps the helper module's fixtures


@pytest.fixture(scope="module")
def qapp(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return make_app(tmp_path_factory.mktemp("questionnaire-api") / "journal.sqlite3")


def _token(app: FastAPI) -> str:
    accounts = app.state.journal_web.accounts()
    user = accounts.sign_up(f"q-{uuid.uuid4().hex[:8]}@example.org", "a long enough secret", "Script Owner")
    return str(accounts.create_api_token(user, "tests")[0])


@pytest.fixture
def api(qapp: FastAPI) -> Iterator[tuple[TestClient, int]]:
    with TestClient(qapp) as c:
        c.headers["authorization"] = f"Bearer {_token(qapp)}"
        r = c.post("/api/v1/patients", json={"name": "Ana"})
        assert r.status_code == 201, r.text
        yield c, r.json()["id"]


def test_a_logged_questionnaire_is_stored_and_listed(api: tuple[TestClient, int]) -> None:
    c, pid = api
    r = c.post(f"/api/v1/patients/{pid}/questionnaires", json={"instrument": "gad7", "answers": [1] * 7})
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["instrument"], body["total"], body["severity"], body["emergency"]) == ("gad7", 7, "mild", False)
    assert body["patient"] == pid and body["uid"] and body["citations"] and "clinician" in body["notice"]
    listed = c.get(f"/api/v1/patients/{pid}/questionnaires").json()
    assert [q["id"] for q in listed["questionnaires"]] == [body["id"]]


def test_phq9_item_9_answers_the_emergency_with_crisis_lines(api: tuple[TestClient, int]) -> None:
    c, pid = api
    body = c.post(f"/api/v1/patients/{pid}/questionnaires",
                  json={"instrument": "phq9", "answers": [0] * 8 + [1]}).json()
    assert body["emergency"] is True and body["advice"].startswith("Emergency")
    assert "988" in {line["number"] for line in body["crisis_lines"]}
    stored = c.get(f"/api/v1/patients/{pid}/questionnaires").json()["questionnaires"][-1]
    assert stored["emergency"] is True and stored["crisis_lines"]


@pytest.mark.parametrize("payload", [
    {"instrument": "nope", "answers": [0]},
    {"instrument": "gad7", "answers": [0, 1]},
    {"instrument": "gad7", "answers": [0, 1, 2, 3, 4, 0, 0]},
    {"instrument": "pgic", "answers": [0]},
    {"instrument": "gad7", "answers": [0] * 7, "at": "2999-01-01T00:00"},
])
def test_bad_input_is_a_422_problem_and_nothing_is_stored(api: tuple[TestClient, int], payload: dict[str, object]) -> None:
    c, pid = api
    r = c.post(f"/api/v1/patients/{pid}/questionnaires", json=payload)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert c.get(f"/api/v1/patients/{pid}/questionnaires").json()["questionnaires"] == []


def test_another_accounts_patient_is_404(qapp: FastAPI, api: tuple[TestClient, int]) -> None:
    _, pid = api
    with TestClient(qapp) as other:
        other.headers["authorization"] = f"Bearer {_token(qapp)}"
        assert other.get(f"/api/v1/patients/{pid}/questionnaires").status_code == 404
        assert other.get(f"/api/v1/patients/{pid}/taper-watch").status_code == 404
        r = other.post(f"/api/v1/patients/{pid}/questionnaires", json={"instrument": "pain_nrs", "answers": [3]})
        assert r.status_code == 404


def test_taper_watch_without_a_taper_answers_no_proposal_and_why(api: tuple[TestClient, int]) -> None:
    c, pid = api
    body = c.get(f"/api/v1/patients/{pid}/taper-watch").json()
    assert body["proposal"] is None and body["step"] is None and "no plan" in body["reason"]
    assert "clinician" in body["notice"]


def test_taper_watch_reads_the_journal_after_the_step(api: tuple[TestClient, int]) -> None:
    c, pid = api
    start = date.today() - timedelta(days=9)
    r = c.put(f"/api/v1/patients/{pid}/plan", json={"source": "taper", "from": "300 mg TID", "start": start.isoformat()})
    assert r.status_code == 200, r.text
    quiet = c.get(f"/api/v1/patients/{pid}/taper-watch").json()
    assert quiet["proposal"] == "continue" and quiet["step"]["to_mg_per_day"] < quiet["step"]["from_mg_per_day"]
    step_at = quiet["step"]["at"]
    seizure_at = (datetime.fromisoformat(step_at) + timedelta(hours=1)).isoformat()  # seizures count from the step
    r = c.post(f"/api/v1/patients/{pid}/side-effects", json={"text": "had a seizure", "at": seizure_at})
    assert r.status_code == 201, r.text
    body = c.get(f"/api/v1/patients/{pid}/taper-watch").json()
    assert body["proposal"] == "emergency"
    assert {"proposal", "step", "window", "evidence", "citations", "notice"} <= set(body)
    assert [e["kind"] for e in body["evidence"]] == ["seizure"] and body["window"]["start"] and body["window"]["end"]
