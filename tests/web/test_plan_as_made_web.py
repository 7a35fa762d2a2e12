"""The plan as made on the web (issue 18 item 7): the plan page and ``GET /api/v1/patients/{id}/plan``
show the stored record (with ``kb_version`` and ``made_at``), and "re-check against today's rules"
(the page's button, ``GET .../plan/recheck``) reports differences without changing the record.

Rules are changed by serving a modified monograph through the knowledge base loader (as in
tests/journal/test_plan_as_made.py): the three-a-day dose times move from 07/14/21 to 06/14/22.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Iterator
from datetime import date

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gabacare.knowledge import knowledge_version

from .conftest import form_token
from .test_journal_pages import add_patient, make_app, sign_up


def _clear_rule_caches() -> None:
    from gabacare.clinical.regimen import schedule_times
    from gabacare.knowledge import monograph

    monograph.load_monograph.cache_clear()
    monograph.knowledge_version.cache_clear()
    schedule_times.cache_clear()


@pytest.fixture
def move_dose_times(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], None]]:
    from gabacare.knowledge import monograph

    raw = copy.deepcopy(monograph.read_raw_monograph())
    raw["schedule"]["times_3"] = ["06:00", "14:00", "22:00"]

    def change() -> None:
        monkeypatch.setenv("GABACARE_CACHE", "off")
        monkeypatch.setattr(monograph, "read_raw_monograph", lambda: copy.deepcopy(raw))
        _clear_rule_caches()

    yield change
    _clear_rule_caches()


@pytest.fixture(scope="module")
def papp(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return make_app(tmp_path_factory.mktemp("made") / "journal.sqlite3")


@pytest.fixture
def patient(papp: FastAPI) -> Iterator[tuple[TestClient, int]]:
    """A signed-in owner and a patient on "300 mg TID" from today (set through the plan form)."""
    with TestClient(papp, base_url="http://testserver") as c:
        sign_up(c, f"made-{uuid.uuid4().hex[:8]}@example.org")
        pid = add_patient(c)
        page = c.get(f"/patients/{pid}/plan").text
        r = c.post(f"/patients/{pid}/plan", data={"csrf_token": form_token(page), "source": "regimen",
                                                  "regimen": "300 mg TID", "start": date.today().isoformat()})
        assert r.status_code == 200, r.text[:300]
        yield c, pid


def test_api_plan_gives_the_record_with_its_version(patient: tuple[TestClient, int]) -> None:
    client, pid = patient
    body = client.get(f"/api/v1/patients/{pid}/plan").json()
    assert body["kb_version"] == knowledge_version() and body["made_at"] and body["origin"] == "made"
    for key in ("plan_id", "patient", "kind", "label", "start", "end", "continues", "spec", "days", "citations"):
        assert key in body  # the existing keys stay
    assert [x["time"] for x in body["days"][0]["doses"]] == ["07:00", "14:00", "21:00"]


def test_the_record_survives_a_rule_change_and_recheck_reports_it(papp: FastAPI, patient: tuple[TestClient, int],
                                                                  move_dose_times: Callable[[], None]) -> None:
    client, pid = patient
    before = client.get(f"/api/v1/patients/{pid}/plan").json()
    same = client.get(f"/api/v1/patients/{pid}/plan/recheck").json()
    assert same["same"] is True and same["days"] == [] and same["kb_version_then"] == same["kb_version_now"]

    move_dose_times()

    after = client.get(f"/api/v1/patients/{pid}/plan").json()
    assert after == before  # shown as made, not remade with today's rules
    check = client.get(f"/api/v1/patients/{pid}/plan/recheck").json()
    assert check["same"] is False and check["kb_changed"] is True and check["plan_id"] == before["plan_id"]
    today = date.today().isoformat()
    assert check["days"][0] == {"date": today, "then": [{"time": t, "mg": 300} for t in ("07:00", "14:00", "21:00")],
                                "now": [{"time": t, "mg": 300} for t in ("06:00", "14:00", "22:00")]}
    assert client.get(f"/api/v1/patients/{pid}/plan").json() == before  # re-checking changed nothing

    page = client.get(f"/patients/{pid}/plan")
    assert page.status_code == 200
    # The doses are shown after the "made on <date>, <time>" line, whose own time may be 06:00.
    doses = page.text.split("knowledge base <code>", 1)[1]
    assert "07:00" in doses and "06:00" not in doses and before["kb_version"] in page.text
    assert f'action="/patients/{pid}/plan/recheck"' in page.text
    shown = client.get(f"/patients/{pid}/plan/recheck")
    assert shown.status_code == 200 and "Re-checked against today" in shown.text
    assert "Days whose doses differ (1)" in shown.text and "06:00" in shown.text and "22:00" in shown.text
    assert check["kb_version_now"] in shown.text and "Nothing was changed" in shown.text


def test_recheck_refuses_what_it_should(papp: FastAPI, patient: tuple[TestClient, int]) -> None:
    client, pid = patient
    assert client.get(f"/api/v1/patients/{pid}/plan/recheck", params={"plan": 0}).status_code == 422
    assert client.get(f"/api/v1/patients/{pid}/plan/recheck", params={"plan": "x"}).status_code == 422
    missing = client.get(f"/api/v1/patients/{pid}/plan/recheck", params={"plan": 10**6})
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("application/problem+json")
    other = add_patient(client, "No Plan")
    assert client.get(f"/api/v1/patients/{other}/plan/recheck").status_code == 404
    assert client.get(f"/patients/{other}/plan/recheck").status_code == 200  # the page: "No plan yet"
    with TestClient(papp, base_url="http://testserver") as stranger:
        sign_up(stranger, f"stranger-{uuid.uuid4().hex[:8]}@example.org")
        assert stranger.get(f"/api/v1/patients/{pid}/plan/recheck").status_code == 404
        assert stranger.get(f"/patients/{pid}/plan/recheck").status_code == 404
