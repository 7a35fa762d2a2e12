"""Flow between pages (issue 18, item 8), in process through the real app over a real SQLite file:
a planner's result saved to a patient's journal, the missed-dose helper filled from a patient's plan,
the home page leading into the journal, and the report page's export and calendar links."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from .conftest import form_token
from .test_journal_pages import add_patient, make_app, set_titration, sign_up


@pytest.fixture(scope="module")
def flow_app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return make_app(tmp_path_factory.mktemp("flow") / "flow.sqlite3")


@pytest.fixture
def anonymous(flow_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(flow_app, base_url="http://testserver") as c:
        yield c


def _account(flow_app: FastAPI) -> TestClient:
    c = TestClient(flow_app, base_url="http://testserver")
    c.__enter__()
    sign_up(c, f"flow-{uuid.uuid4().hex[:10]}@example.org")
    return c


@pytest.fixture
def signed_in(flow_app: FastAPI) -> Iterator[TestClient]:
    """A signed-in account with no patient yet."""
    c = _account(flow_app)
    try:
        yield c
    finally:
        c.__exit__(None, None, None)


@pytest.fixture
def owner(signed_in: TestClient) -> tuple[TestClient, int]:
    """A signed-in account with one patient (no plan yet)."""
    return signed_in, add_patient(signed_in, "Flow Patient")


@pytest.fixture
def stranger(flow_app: FastAPI) -> Iterator[TestClient]:
    """Another account, with a patient of its own."""
    c = _account(flow_app)
    add_patient(c, "Someone Else")
    try:
        yield c
    finally:
        c.__exit__(None, None, None)


TITRATION = {"indication": "postherpetic-neuralgia", "target_mg": "1800", "crcl": "75", "start": "2026-03-02",
             "weight_kg": "", "age": ""}
TAPER = {"from_regimen": "600 mg TID", "risk": "moderate", "crcl": "", "start": "2026-04-06", "step_mg": ""}


def _planned(client: TestClient, name: str, fields: dict[str, str]) -> Any:
    token = form_token(client.get(f"/plan/{name}").text)
    return client.post(f"/plan/{name}", data={"csrf_token": token, **fields})


def _save_form(html: str) -> tuple[str, dict[str, str], list[str]]:
    """The "Save to my journal" form of a result: its action, hidden fields and patient choices."""
    m = re.search(r'<form method="post" action="(/plan/\w+/save)">(.*?)</form>', html, re.S)
    assert m, "no save form"
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', m.group(2)))
    choices = re.findall(r'<option value="(\d+)"', m.group(2))
    return m.group(1), hidden, choices


def _stored_spec(flow_app: FastAPI, pid: int) -> dict[str, Any]:
    plans = flow_app.state.journal_web.journal().plans(pid)
    assert plans, "no plan stored"
    spec: dict[str, Any] = plans[-1].plan.spec.to_dict()
    return spec


def _plan_count(flow_app: FastAPI, pid: int) -> int:
    return len(flow_app.state.journal_web.journal().plans(pid))


# -- save a planner's result to the journal ---------------------------------------------------------

def test_an_anonymous_result_offers_sign_in_instead_of_saving(anonymous: TestClient) -> None:
    r = _planned(anonymous, "titrate", TITRATION)
    assert r.status_code == 200
    assert "Sign in to save this plan to a journal" in r.text
    assert 'href="/account/sign-in?next=/plan/titrate"' in r.text
    assert "/plan/titrate/save" not in r.text
    assert "Save to my journal" not in anonymous.get("/plan/titrate").text  # no result yet: nothing to save


def test_an_anonymous_save_is_sent_to_sign_in(anonymous: TestClient) -> None:
    token = form_token(anonymous.get("/plan/titrate").text)
    r = anonymous.post("/plan/titrate/save", data={"csrf_token": token, "patient": "1", **TITRATION},
                       follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/account/sign-in")


def test_a_titration_is_saved_with_the_planners_inputs_then_shown_on_the_plan_page(
        flow_app: FastAPI, owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    for htmx in (False, True):  # the whole page and the HTMX result partial both carry the form
        headers = {"hx-request": "true"} if htmx else {}
        token = form_token(client.get("/plan/titrate").text)
        r = client.post("/plan/titrate", data={"csrf_token": token, **TITRATION}, headers=headers)
        action, hidden, choices = _save_form(r.text)
        assert action == "/plan/titrate/save" and choices == [str(pid)] and "Flow Patient" in r.text
    assert {k: v for k, v in hidden.items() if k != "csrf_token"} == TITRATION
    r = client.post(action, data={**hidden, "patient": str(pid)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith(f"/patients/{pid}/plan?saved=")
    spec = _stored_spec(flow_app, pid)
    # The journal fills weight and age from the patient's profile, as it does for its own plan page.
    assert spec.pop("weight_kg") == 70.0 and spec.pop("age_years") > 60
    assert spec == {"source": "titrate", "start": "2026-03-02", "indication": "postherpetic-neuralgia",
                    "target_mg": 1800.0, "crcl_ml_min": 75.0}
    page = client.get(f"/patients/{pid}/plan")
    assert page.status_code == 200 and "titration" in page.text.lower()
    actions = [(a.action, a.resource_kind) for a in flow_app.state.journal_web.accounts().repo.list_audit(pid)]
    assert ("create", "plan") in actions


def test_a_taper_is_saved_as_the_same_spec_as_the_journal_plan_page_makes(
        flow_app: FastAPI, owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    action, hidden, _ = _save_form(_planned(client, "taper", TAPER).text)
    assert action == "/plan/taper/save"
    r = client.post(action, data={**hidden, "patient": str(pid)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith(f"/patients/{pid}/plan?saved=")
    saved = _stored_spec(flow_app, pid)
    token = form_token(client.get(f"/patients/{pid}/plan").text)
    client.post(f"/patients/{pid}/plan", data={"csrf_token": token, "source": "taper", "from_regimen": "600 mg TID",
                                               "risk": "moderate", "start": "2026-04-06"})
    assert _stored_spec(flow_app, pid) == saved == {"source": "taper", "start": "2026-04-06",
                                                    "regimen": "600 mg TID", "risk": "moderate"}


def test_a_linear_taper_keeps_its_step(flow_app: FastAPI, owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    action, hidden, _ = _save_form(_planned(client, "taper", {**TAPER, "risk": "", "step_mg": "300"}).text)
    assert client.post(action, data={**hidden, "patient": str(pid)}, follow_redirects=False).status_code == 303
    assert _stored_spec(flow_app, pid)["step_mg"] == 300.0


def test_a_result_without_a_patient_yet_points_to_adding_one(signed_in: TestClient) -> None:
    r = _planned(signed_in, "titrate", TITRATION)
    assert "Add a patient" in r.text and "/plan/titrate/save" not in r.text


def test_saving_needs_the_csrf_token(flow_app: FastAPI, owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    r = client.post("/plan/titrate/save", data={"patient": str(pid), **TITRATION}, follow_redirects=False)
    assert r.status_code == 403
    assert _plan_count(flow_app, pid) == 0


def test_saving_to_another_accounts_patient_is_not_found(flow_app: FastAPI, owner: tuple[TestClient, int],
                                                         stranger: TestClient) -> None:
    _client, pid = owner
    token = form_token(stranger.get("/plan/titrate").text)
    for patient in (str(pid), "999999", "0", "99999999999999999999999"):
        r = stranger.post("/plan/titrate/save", data={"csrf_token": token, "patient": patient, **TITRATION},
                          follow_redirects=False)
        assert r.status_code == 404, patient
    assert _plan_count(flow_app, pid) == 0


@pytest.mark.parametrize(("patient", "fields", "says"), [
    ("", TITRATION, "choose the patient"),
    ("first", TITRATION, "choose the patient"),
    (None, {**TITRATION, "indication": "no-such-indication"}, "unknown indication"),
    (None, {**TITRATION, "target_mg": "lots"}, "daily target must be a number"),
    (None, {**TITRATION, "start": "31/12/2026"}, "first day must be a date"),
])
def test_bad_save_input_answers_the_planner_with_the_reason(flow_app: FastAPI, owner: tuple[TestClient, int],
                                                            patient: str | None, fields: dict[str, str],
                                                            says: str) -> None:
    client, pid = owner
    token = form_token(client.get("/plan/titrate").text)
    r = client.post("/plan/titrate/save", data={"csrf_token": token, "patient": str(pid) if patient is None else patient,
                                                **fields}, follow_redirects=False)
    assert r.status_code == 422, r.text[:300]
    assert 'role="alert"' in r.text and says in r.text.lower()
    assert _plan_count(flow_app, pid) == 0


def test_an_unknown_planner_cannot_be_saved(owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    token = form_token(client.get("/plan/titrate").text)
    r = client.post("/plan/kidneys/save", data={"csrf_token": token, "patient": str(pid)}, follow_redirects=False)
    assert r.status_code in (404, 422)


# -- the missed-dose helper filled from the journal -------------------------------------------------

def test_today_links_to_the_missed_dose_helper_for_this_patient(owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    assert f'href="/patients/{pid}/missed"' in client.get(f"/patients/{pid}/today").text


def test_the_missed_dose_helper_is_filled_with_todays_dose_times(flow_app: FastAPI,
                                                                 owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    set_titration(client, pid, days_ago=10)
    day = flow_app.state.journal_web.journal().today(pid)
    times = sorted({d.at.strftime("%H:%M") for d in day.doses})
    assert times, "a titration on day 11 has doses today"
    r = client.get(f"/patients/{pid}/missed")
    assert r.status_code == 200
    assert f'name="schedule" type="text" value="{", ".join(times)}"' in r.text
    assert "Filled in from today" in r.text
    assert re.search(r'name="now" type="time" value="\d\d:\d\d"', r.text)
    assert not re.search(r'name="epilepsy" value="1"\s+checked', r.text)  # postherpetic neuralgia
    assert client.get("/plan/missed").text.count('value=""') >= 1  # the helper itself: the empty form


def test_an_epilepsy_plan_ticks_the_epilepsy_box(owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    token = form_token(client.get(f"/patients/{pid}/plan").text)
    start = (date.today() - timedelta(days=2)).isoformat()
    r = client.post(f"/patients/{pid}/plan", data={"csrf_token": token, "source": "titrate", "indication": "epilepsy",
                                                   "start": start})
    assert r.status_code == 200
    assert re.search(r'name="epilepsy" value="1"\s+checked', client.get(f"/patients/{pid}/missed").text)


def test_a_patient_without_a_plan_gets_the_form_with_a_note(owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    r = client.get(f"/patients/{pid}/missed")
    assert r.status_code == 200 and "no doses planned for today" in r.text


def test_the_filled_missed_dose_helper_is_private_to_the_account(owner: tuple[TestClient, int],
                                                                 stranger: TestClient,
                                                                 anonymous: TestClient) -> None:
    _client, pid = owner
    for patient in (str(pid), "999999", "0"):
        assert stranger.get(f"/patients/{patient}/missed", follow_redirects=False).status_code == 404, patient
    r = anonymous.get(f"/patients/{pid}/missed", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/account/sign-in")
    assert anonymous.get("/plan/missed").status_code == 200  # the helper itself stays open to everyone


# -- the home page leads into the journal -----------------------------------------------------------

def _journal_link(html: str) -> str | None:
    m = re.search(r'<a href="([^"]+)">Open my journal</a>', html)
    return m.group(1) if m else None


def test_the_home_page_leads_a_new_visitor_to_sign_up(anonymous: TestClient) -> None:
    page = anonymous.get("/").text
    assert 'href="/account/sign-up"' in page and _journal_link(page) is None


def test_the_home_page_leads_a_signed_in_person_to_their_journal(signed_in: TestClient) -> None:
    assert _journal_link(signed_in.get("/").text) == "/patients"  # no patient yet: the list, to add one
    first = add_patient(signed_in, "One")
    page = signed_in.get("/").text
    assert _journal_link(page) == f"/patients/{first}/today" and 'href="/account/sign-up"' not in page
    add_patient(signed_in, "Two")
    assert _journal_link(signed_in.get("/").text) == "/patients"


# -- export and calendar links --------------------------------------------------------------------

def test_the_report_page_links_the_exports_and_the_calendar(owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    set_titration(client, pid)
    page = client.get(f"/patients/{pid}/report").text
    for href, purpose in ((f"/patients/{pid}/export.csv", "spreadsheet"), (f"/patients/{pid}/export.json", "JSON"),
                          (f"/api/v1/patients/{pid}/fhir", "clinical systems"),
                          (f"/patients/{pid}/reminders.ics", "calendar")):
        assert re.search(rf'<a href="{re.escape(href)}" download[^>]*>[^<]*</a>[^<]*', page), href
        assert purpose in page
        assert client.get(href).status_code == 200, href
    assert f'href="/patients/{pid}/share#calendar"' in page
