"""``/api/v1/patients/{id}/estimate``: the CLI's keys, 422 problems for what is missing, owner scoping."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gabacare.app.estimate import estimate_patient
from gabacare.serialize import jsonable

from .test_journal_pages import make_app


@pytest.fixture(scope="module")
def eapp(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return make_app(tmp_path_factory.mktemp("estimate-api") / "journal.sqlite3")


@pytest.fixture
def api(eapp: FastAPI) -> Iterator[tuple[TestClient, int]]:
    accounts = eapp.state.journal_web.accounts()
    user = accounts.sign_up(f"e-{uuid.uuid4().hex[:8]}@example.org", "a long enough secret", "Script Owner")
    with TestClient(eapp) as c:
        c.headers["authorization"] = f"Bearer {accounts.create_api_token(user, 'tests')[0]}"
        r = c.post("/api/v1/patients", json={"name": "Ana"})
        assert r.status_code == 201, r.text
        yield c, r.json()["id"]


def test_the_api_answers_what_the_cli_answers(eapp: FastAPI, api: tuple[TestClient, int]) -> None:
    c, pid = api
    journal = eapp.state.journal_web.journal()
    first = datetime.now().replace(second=0, microsecond=0) - timedelta(days=3)
    missing = c.get(f"/api/v1/patients/{pid}/estimate")
    assert missing.status_code == 422 and "log the doses" in missing.json()["detail"]
    for k in range(6):
        journal.log_dose(pid, 300, at=first + timedelta(hours=8 * k))
    no_level = c.get(f"/api/v1/patients/{pid}/estimate")
    assert no_level.status_code == 422 and "--test gabapentin" in no_level.json()["detail"]
    journal.log_lab(pid, "gabapentin", 3.2, unit="mg/L", at=first + timedelta(hours=47))
    r = c.get(f"/api/v1/patients/{pid}/estimate", params={"crcl": 80})
    assert r.status_code == 200, r.text
    assert r.json() == jsonable(estimate_patient(journal, pid, crcl=80).to_json())
    assert c.get(f"/api/v1/patients/{pid}/estimate", params={"crcl": -3}).status_code == 422
    assert c.get(f"/api/v1/patients/{pid}/estimate", params={"crcl": "lots"}).status_code == 422


def test_another_account_gets_404(eapp: FastAPI, api: tuple[TestClient, int]) -> None:
    _, pid = api
    accounts = eapp.state.journal_web.accounts()
    other = accounts.sign_up(f"x-{uuid.uuid4().hex[:8]}@example.org", "a long enough secret", "Other")
    with TestClient(eapp) as c:
        c.headers["authorization"] = f"Bearer {accounts.create_api_token(other, 'tests')[0]}"
        assert c.get(f"/api/v1/patients/{pid}/estimate").status_code == 404
