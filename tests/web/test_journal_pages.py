"""The journal in the browser (in process): accounts, sessions, CSRF, rate limiting, owner scoping,
share links, audit entries and API tokens, through the real app over a real SQLite file."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gabacare.web import WebSettings, create_app

from .conftest import form_token

PASSWORD = "a long enough secret"


def make_app(db_path: Path, **settings: object) -> FastAPI:
    app = create_app(WebSettings(secret_key="journal-secret-key-0123456789", access_log=False,
                                 db=f"sqlite:///{db_path}", **settings))  # type: ignore[arg-type]
    app.state.journal_web.password_hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    return app


@pytest.fixture(scope="module")
def japp(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return make_app(tmp_path_factory.mktemp("journal") / "journal.sqlite3")


@pytest.fixture
def browser_(japp: FastAPI) -> Iterator[TestClient]:
    with TestClient(japp, base_url="http://testserver") as c:
        yield c


def sign_up(client: TestClient, email: str, name: str = "Ana") -> None:
    token = form_token(client.get("/account/sign-up").text)
    r = client.post("/account/sign-up", data={"csrf_token": token, "email": email, "password": PASSWORD,
                                              "display_name": name})
    assert r.status_code == 200 and r.url.path == "/patients", r.text[:500]


def add_patient(client: TestClient, name: str = "Ana Patient") -> int:
    token = form_token(client.get("/patients").text)
    r = client.post("/patients", data={"csrf_token": token, "name": name, "birth_date": "1961-03-04", "sex": "female",
                                       "weight_kg": "70"})
    m = re.search(r"/patients/(\d+)/plan$", r.url.path)
    assert m, r.url
    return int(m.group(1))


def set_titration(client: TestClient, pid: int, days_ago: int = 3) -> None:
    token = form_token(client.get(f"/patients/{pid}/plan").text)
    start = (datetime.now().date() - timedelta(days=days_ago)).isoformat()
    r = client.post(f"/patients/{pid}/plan", data={"csrf_token": token, "source": "titrate",
                                                   "indication": "postherpetic-neuralgia", "start": start})
    assert r.status_code == 200 and "titration" in r.text


@pytest.fixture
def owner(japp: FastAPI) -> Iterator[tuple[TestClient, int]]:
    """A signed-in account with one patient on a titration plan."""
    import uuid

    with TestClient(japp, base_url="http://testserver") as c:
        sign_up(c, f"owner-{uuid.uuid4().hex[:8]}@example.org")
        pid = add_patient(c)
        set_titration(c, pid)
        yield c, pid


def audit_actions(japp: FastAPI, pid: int) -> list[tuple[str, str, str]]:
    accounts = japp.state.journal_web.accounts()
    return [(a.actor_kind, a.action, a.resource_kind) for a in accounts.repo.list_audit(pid)]


# -- accounts -----------------------------------------------------------------------------------

def test_journal_pages_send_a_stranger_to_sign_in(browser_: TestClient) -> None:
    r = browser_.get("/patients", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/account/sign-in?next=/patients"


def test_sign_up_sets_an_httponly_samesite_session_cookie(japp: FastAPI, browser_: TestClient) -> None:
    token = form_token(browser_.get("/account/sign-up").text)
    r = browser_.post("/account/sign-up", data={"csrf_token": token, "email": "cookie@example.org", "password": PASSWORD,
                                                "display_name": "Cookie"}, follow_redirects=False)
    assert r.status_code == 303
    cookie = next(v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith("gabacare_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    value = cookie.split(";")[0].split("=", 1)[1]
    assert japp.state.journal_web.accounts().session_user(value).email == "cookie@example.org"


def test_the_session_cookie_is_secure_when_served_over_https(tmp_path: Path) -> None:
    app = make_app(tmp_path / "j.sqlite3", secure_cookies=True)
    with TestClient(app, base_url="https://testserver") as c:
        token = form_token(c.get("/account/sign-up").text)
        r = c.post("/account/sign-up", data={"csrf_token": token, "email": "s@example.org", "password": PASSWORD,
                                             "display_name": "S"}, follow_redirects=False)
        cookie = next(v for k, v in r.headers.multi_items() if v.startswith("gabacare_session="))
        assert "Secure" in cookie


def test_forms_without_a_csrf_token_are_refused(browser_: TestClient) -> None:
    browser_.get("/account/sign-up")
    r = browser_.post("/account/sign-up", data={"email": "x@example.org", "password": PASSWORD, "display_name": "X"})
    assert r.status_code == 403
    r = browser_.post("/account/sign-in", data={"email": "x@example.org", "password": PASSWORD, "csrf_token": "forged"})
    assert r.status_code == 403


def test_journal_forms_need_csrf_too(owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    for path, data in ((f"/patients/{pid}/doses", {"status": "taken", "mg": "300"}),
                       (f"/patients/{pid}/symptoms", {"pain": "4"}), ("/patients", {"name": "Eve"}),
                       (f"/patients/{pid}/share", {"days": "3"}), ("/account/tokens", {"name": "t"})):
        assert client.post(path, data=data).status_code == 403, path


def test_sign_in_errors_do_not_tell_whether_the_email_exists(browser_: TestClient) -> None:
    sign_up(browser_, "known@example.org")
    browser_.cookies.clear()
    token = form_token(browser_.get("/account/sign-in").text)
    wrong_pw = browser_.post("/account/sign-in", data={"csrf_token": token, "email": "known@example.org",
                                                       "password": "not the password"})
    unknown = browser_.post("/account/sign-in", data={"csrf_token": token, "email": "nobody@example.org",
                                                      "password": "not the password"})
    assert wrong_pw.status_code == unknown.status_code == 401

    def alert(html: str) -> str:
        return re.search(r'role="alert"[^>]*>(.*?)</div>', html, re.S).group(1)  # type: ignore[union-attr]

    assert alert(wrong_pw.text) == alert(unknown.text)
    ok = browser_.post("/account/sign-in", data={"csrf_token": token, "email": "KNOWN@example.org ", "password": PASSWORD,
                                                 "next": "/patients"})
    assert ok.status_code == 200 and ok.url.path == "/patients"


def test_sign_up_with_a_taken_email_does_not_say_taken(browser_: TestClient) -> None:
    sign_up(browser_, "twice@example.org")
    browser_.cookies.clear()
    token = form_token(browser_.get("/account/sign-up").text)
    r = browser_.post("/account/sign-up", data={"csrf_token": token, "email": "twice@example.org", "password": PASSWORD,
                                                "display_name": "Again"})
    assert r.status_code == 422 and "taken" not in r.text and "already exists" not in r.text


def test_weak_passwords_are_refused_with_the_rule(browser_: TestClient) -> None:
    token = form_token(browser_.get("/account/sign-up").text)
    r = browser_.post("/account/sign-up", data={"csrf_token": token, "email": "weak@example.org", "password": "short",
                                                "display_name": "W"})
    assert r.status_code == 422 and "at least 10 characters" in r.text


def test_sign_in_is_rate_limited_with_retry_after(tmp_path: Path) -> None:
    app = make_app(tmp_path / "j.sqlite3", signin_attempts=3, signin_window_s=600)
    with TestClient(app) as c:
        sign_up(c, "limited@example.org")
        c.cookies.clear()
        token = form_token(c.get("/account/sign-in").text)
        data = {"csrf_token": token, "email": "limited@example.org", "password": "wrong password!"}
        assert [c.post("/account/sign-in", data=data).status_code for _ in range(3)] == [401, 401, 401]
        blocked = c.post("/account/sign-in", data={**data, "password": PASSWORD})  # even the right one now
        assert blocked.status_code == 429 and 0 < int(blocked.headers["retry-after"]) <= 600
        assert "Too many failed sign-ins" in blocked.text
        other = c.post("/account/sign-in", data={**data, "email": "someone@example.org"})
        assert other.status_code == 401, "the limit is per account and address"


def test_sign_out_ends_the_session(japp: FastAPI, owner: tuple[TestClient, int]) -> None:
    client, _ = owner
    session = client.cookies.get("gabacare_session")
    token = form_token(client.get("/patients").text)
    r = client.post("/account/sign-out", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert japp.state.journal_web.accounts().session_user(session) is None
    client.cookies.set("gabacare_session", session)  # replaying the old cookie does not help
    assert client.get("/patients", follow_redirects=False).status_code == 303


def test_sign_in_redirects_only_to_local_paths(browser_: TestClient) -> None:
    page = browser_.get("/account/sign-in", params={"next": "https://evil.example/x"}).text
    assert 'name="next" value="/patients"' in page


# -- the journal pages --------------------------------------------------------------------------

def test_one_tap_taken_logs_the_dose_and_htmx_gets_the_updated_list(japp: FastAPI, owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    page = client.get(f"/patients/{pid}/today").text
    scheduled = re.findall(r'name="scheduled" value="([^"]+)"', page)
    assert scheduled, "a titration plan has doses today"
    r = client.post(f"/patients/{pid}/doses", data={"csrf_token": form_token(page), "status": "taken", "mg": "300",
                                                    "scheduled": scheduled[0]}, headers={"hx-request": "true"})
    assert r.status_code == 200 and r.text.lstrip().startswith('<div id="today-doses"') and "<html" not in r.text
    # the dose answers its slot and was taken now: late when now is past its on-time window (issue 18)
    assert "Saved: the" in r.text and "dose taken at" in r.text and re.search(r"dose-(taken|late)", r.text)
    api_today = japp.state.journal_web.journal().today(pid)
    assert any(d.status in ("taken", "late") and d.at.isoformat() == scheduled[0] for d in api_today.doses)
    assert ("user", "create", "entry") in audit_actions(japp, pid)


def test_scores_with_labels_and_a_spasm_count_are_logged(japp: FastAPI, owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    page = client.get(f"/patients/{pid}/log").text
    assert '<label for="f-pain">Pain</label>' in page and "0 = no pain, 10 = the worst pain imaginable" in page
    r = client.post(f"/patients/{pid}/symptoms", data={"csrf_token": form_token(page), "pain": "6", "sleep": "",
                                                       "spasm_count": "12"})
    assert r.status_code == 200 and "2 score(s) saved" in r.text
    logged = {(e.data.name, e.data.value) for e in japp.state.journal_web.journal().entries(pid, kinds=["symptom"])}
    assert logged == {("pain", 6.0), ("spasm_count", 12.0)}
    bad = client.post(f"/patients/{pid}/symptoms", data={"csrf_token": form_token(page), "pain": "11"})
    assert bad.status_code == 422 and "between 0 and 10" in bad.text


def test_an_emergency_side_effect_shows_the_emergency_alert_first(owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    page = client.get(f"/patients/{pid}/log").text
    r = client.post(f"/patients/{pid}/side-effects", data={"csrf_token": form_token(page), "text": "swollen lips"})
    main = r.text[r.text.index('<main'):]
    assert main.index('class="emergency" role="alert"') < main.index("<h1>"), "the emergency comes before anything else"
    assert "Emergency: get help now" in main
    calm = client.post(f"/patients/{pid}/side-effects", data={"csrf_token": form_token(page), "text": "dizziness"})
    assert 'class="emergency"' not in calm.text and "Expected" in calm.text


def test_a_creatinine_re_runs_the_kidney_check(owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    page = client.get(f"/patients/{pid}/log").text
    r = client.post(f"/patients/{pid}/labs", data={"csrf_token": form_token(page), "value": "2.4", "unit": "mg/dL"})
    assert r.status_code == 200 and "Kidney check re-run" in r.text and "mL/min" in r.text
    assert 'class="citations"' in r.text


def test_plan_page_shows_the_core_plan_with_citations_and_refuses_bad_input(owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    page = client.get(f"/patients/{pid}/plan").text
    assert "NEURONTIN" in page and "not a substitute for your clinician" in page.lower()
    r = client.post(f"/patients/{pid}/plan", data={"csrf_token": form_token(page), "source": "regimen", "regimen": "lots"})
    assert r.status_code == 422 and 'role="alert"' in r.text


def test_charts_levels_and_the_report_download(owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    page = client.get(f"/patients/{pid}/today").text
    for s in re.findall(r'name="scheduled" value="([^"]+)"', page)[:1]:
        client.post(f"/patients/{pid}/doses", data={"csrf_token": form_token(page), "status": "taken", "mg": "300",
                                                    "scheduled": s})
    trends = client.get(f"/patients/{pid}/trends").text
    src = re.search(r'<img src="([^"]*adherence\.svg[^"]*)"', trends).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    svg = client.get(src)
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.startswith("<?xml") and "<svg" in svg.text
    levels = client.get(f"/patients/{pid}/levels").text
    assert 'role="img"' in levels and "<polyline" in levels
    pdf = client.get(f"/patients/{pid}/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and len(pdf.content) > 10_000
    assert "attachment" in pdf.headers["content-disposition"]
    html = client.get(f"/patients/{pid}/report.html")
    assert html.status_code == 200 and "<html" in html.text


def test_a_measured_level_logged_in_the_browser_shows_on_the_levels_page(japp: FastAPI,
                                                                        owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    journal = japp.state.journal_web.journal()
    first = datetime.now().replace(second=0, microsecond=0) - timedelta(days=3)
    for k in range(6):
        journal.log_dose(pid, 300, at=first + timedelta(hours=8 * k))
    empty = client.get(f"/patients/{pid}/levels").text
    assert "No measured gabapentin level yet" in empty
    page = client.get(f"/patients/{pid}/log").text
    assert 'id="f-level-value"' in page and page.count('id="f-value"') <= 1  # no duplicate ids between the forms
    token = form_token(page)
    no_time = client.post(f"/patients/{pid}/labs", data={"csrf_token": token, "test": "gabapentin", "value": "4",
                                                          "unit": "mg/L"})
    assert no_time.status_code == 422 and "the time the blood was taken" in no_time.text
    bad_unit = client.post(f"/patients/{pid}/labs", data={"csrf_token": token, "test": "gabapentin", "value": "4",
                                                           "unit": "mg/dL", "at": (first + timedelta(hours=47)).isoformat()})
    assert bad_unit.status_code == 422
    saved = client.post(f"/patients/{pid}/labs", data={"csrf_token": token, "test": "gabapentin", "value": "4",
                                                        "unit": "mg/L", "at": (first + timedelta(hours=47)).isoformat()})
    assert saved.status_code == 200 and "Gabapentin level saved" in saved.text
    levels = client.get(f"/patients/{pid}/levels").text
    assert "Measured levels" in levels and "<circle" in levels and "<polygon" in levels
    assert "4.00 mg/L" in levels and ("Proposal for the prescriber" in levels or "No proposal" in levels)
    assert levels.count('role="img"') == 2


def test_every_patient_route_is_404_for_another_account(japp: FastAPI, owner: tuple[TestClient, int]) -> None:
    _, pid = owner
    with TestClient(japp) as other:
        sign_up(other, "intruder@example.org", "Eve")
        token = form_token(other.get("/patients").text)
        for path in ("", "/today", "/log", "/plan", "/trends", "/charts/adherence.svg", "/levels", "/report",
                     "/report.pdf", "/report.html", "/share", "/audit"):
            r = other.get(f"/patients/{pid}{path}", follow_redirects=False)
            assert r.status_code == 404, path
        for path, data in (("/doses", {"status": "taken", "mg": "300"}), ("/symptoms", {"pain": "3"}),
                           ("/triggers", {"tag": "x"}), ("/side-effects", {"text": "x"}), ("/labs", {"value": "1"}),
                           ("/notes", {"text": "x"}), ("/plan", {"source": "regimen", "regimen": "300 mg TID"}),
                           ("/share", {"days": "3"}), ("/share/1/revoke", {})):
            r = other.post(f"/patients/{pid}{path}", data={**data, "csrf_token": token}, follow_redirects=False)
            assert r.status_code == 404, path
        unknown = other.get("/patients/999999/today").json()
        theirs = other.get(f"/patients/{pid}/today").json()
        assert unknown.pop("instance") != theirs.pop("instance") and unknown == theirs, "the same answer for both"


def test_reads_writes_and_exports_are_audited(japp: FastAPI, owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    client.get(f"/patients/{pid}/today")
    client.get(f"/patients/{pid}/report.pdf")
    actions = audit_actions(japp, pid)
    assert ("user", "create", "patient") in actions and ("user", "create", "plan") in actions
    assert ("user", "read", "entry") in actions and ("user", "export", "report") in actions
    page = client.get(f"/patients/{pid}/audit").text
    assert "export" in page
    # The owner reads "you", not an account number, and the times are local, not UTC.
    assert ">you<" in page and "account #" not in page and "Times are UTC" not in page


# -- share links --------------------------------------------------------------------------------

def test_a_share_link_reads_one_patient_and_cannot_write(japp: FastAPI, owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    page = client.get(f"/patients/{pid}/share").text
    r = client.post(f"/patients/{pid}/share", data={"csrf_token": form_token(page), "days": "2"})
    token = re.search(r"/shared\?token=([A-Za-z0-9_\-]+)", r.text).group(1)  # type: ignore[union-attr]
    with TestClient(japp) as clinician:
        home = clinician.get("/shared", params={"token": token})
        assert home.status_code == 200 and "Read-only view" in home.text and "Ana Patient" in home.text
        assert '<form method="post"' not in home.text.split("<main", 1)[1].split("</main>")[0]
        for path in ("/shared/today", "/shared/plan", "/shared/levels", "/shared/report"):
            assert clinician.get(path, params={"token": token}).status_code == 200, path
        assert clinician.get("/shared/report.pdf", params={"token": token}).content.startswith(b"%PDF")
        assert clinician.get(f"/patients/{pid}/today", follow_redirects=False).status_code == 303  # not signed in
        assert clinician.post("/shared", params={"token": token}).status_code == 405
        assert clinician.get("/shared", params={"token": token + "x"}).status_code == 404
    assert ("share", "read", "entry") in audit_actions(japp, pid)
    assert ("share", "export", "report") in audit_actions(japp, pid)


def test_share_links_expire_and_can_be_revoked(japp: FastAPI, owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    accounts = japp.state.journal_web.accounts()
    session_user = accounts.session_user(client.cookies.get("gabacare_session"))
    short, _ = accounts.create_share_link(session_user, pid, timedelta(seconds=1))
    real_clock = accounts.clock
    accounts.clock = lambda: real_clock() + timedelta(seconds=5)
    try:
        assert client.get("/shared", params={"token": short}).status_code == 404
    finally:
        accounts.clock = real_clock
    page = client.get(f"/patients/{pid}/share").text
    r = client.post(f"/patients/{pid}/share", data={"csrf_token": form_token(page), "days": "1"})
    token = re.search(r"/shared\?token=([A-Za-z0-9_\-]+)", r.text).group(1)  # type: ignore[union-attr]
    assert client.get("/shared", params={"token": token}).status_code == 200
    link_id = max(link.id for link in accounts.share_links_of(session_user, pid))
    client.post(f"/patients/{pid}/share/{link_id}/revoke", data={"csrf_token": form_token(r.text)})
    assert client.get("/shared", params={"token": token}).status_code == 404
    too_long = client.post(f"/patients/{pid}/share", data={"csrf_token": form_token(page), "days": "31"})
    assert too_long.status_code == 422


# -- API tokens ---------------------------------------------------------------------------------

def test_api_tokens_are_shown_once_listed_and_revocable(owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    page = client.get("/account/tokens").text
    r = client.post("/account/tokens", data={"csrf_token": form_token(page), "name": "backup script"})
    secret = re.search(r'id="new-token">([^<]+)<', r.text).group(1)  # type: ignore[union-attr]
    listing = client.get("/account/tokens").text
    assert "backup script" in listing and secret not in listing
    headers = {"authorization": f"Bearer {secret}"}
    assert client.get(f"/api/v1/patients/{pid}/today", headers=headers).status_code == 200
    token_id = re.search(r'/account/tokens/(\d+)/revoke', listing).group(1)  # type: ignore[union-attr]
    client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": form_token(listing)})
    assert client.get(f"/api/v1/patients/{pid}/today", headers=headers).status_code == 401
    assert "revoked" in client.get("/account/tokens").text


def test_the_share_page_gives_a_qr_code_a_copy_button_and_warns_about_a_local_address(
        owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    page = client.get(f"/patients/{pid}/share").text
    r = client.post(f"/patients/{pid}/share", data={"csrf_token": form_token(page), "days": "2"})
    assert 'data-copy="#new-link"' in r.text and 'src="data:image/svg+xml' in r.text
    assert "http://testserver/shared?token=" in r.text
    # "testserver" is a name other machines may resolve: no loopback warning (loopback: test_share_view.py).
    assert "only works on this computer" not in r.text


def test_the_report_page_links_every_export_and_each_link_downloads(owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    page = client.get(f"/patients/{pid}/report").text
    links = re.findall(r'<a href="([^"]+)" download', page)
    assert {f"/patients/{pid}/export.csv", f"/patients/{pid}/export.json", f"/api/v1/patients/{pid}/fhir",
            f"/patients/{pid}/reminders.ics"} <= set(links)
    csv_file = client.get(f"/patients/{pid}/export.csv")
    assert csv_file.status_code == 200 and "attachment" in csv_file.headers["content-disposition"]
    assert csv_file.headers["cache-control"].startswith("private")  # a private answer, never cached
    json_file = client.get(f"/patients/{pid}/export.json")
    assert json_file.status_code == 200 and json_file.json()
    fhir = client.get(f"/api/v1/patients/{pid}/fhir")
    assert fhir.status_code == 200 and fhir.json()["resourceType"] == "Bundle"
    assert client.get(f"/patients/{pid}/reminders.ics").status_code in (200, 409)  # 409: no plan yet
    assert client.get(f"/patients/{pid}/export.xml").status_code == 422


def test_today_shows_the_withdrawal_watch_during_a_taper_and_not_otherwise(japp: FastAPI,
                                                                          owner: tuple[TestClient, int]) -> None:
    from gabacare.journal.model import PlanSpec

    client, pid = owner
    assert "Withdrawal watch" not in client.get(f"/patients/{pid}/today").text  # a titration: nothing to watch
    journal = japp.state.journal_web.journal()
    now = journal.clock()
    journal.set_plan(pid, PlanSpec("taper", (now - timedelta(days=1)).date(), regimen="300 mg TID"))
    calm = client.get(f"/patients/{pid}/today").text
    assert "Withdrawal watch: Continue as planned" in calm and "never a change to your plan" in calm
    journal.log_symptom(pid, "sweating", 8, at=now - timedelta(minutes=30))
    page = client.get(f"/patients/{pid}/today").text
    assert "Withdrawal watch: Go back to the previous step" in page and "sweating (severe)" in page
