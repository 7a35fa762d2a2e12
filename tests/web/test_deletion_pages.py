"""Deleting a patient and an account in the browser (issue 18 item 4), through the real app over a real
SQLite file: the pages say what goes and offer the exports first; the name or the password confirms
(a POST with CSRF); another account, a share link or an API token cannot delete; afterwards no row of
the patient is left but the audit log's, and every old key (session, token, share link, feed) stops."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from gabacare.web.security import SESSION_COOKIE

from .conftest import form_token
from .test_calendar_feed import create_feed
from .test_journal_pages import PASSWORD, add_patient, make_app, set_titration, sign_up

NAME = "Dora Delete"


@pytest.fixture(scope="module")
def dapp(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return make_app(tmp_path_factory.mktemp("deletion") / "journal.sqlite3")


def _client(app: FastAPI) -> TestClient:
    return TestClient(app, base_url="http://testserver")


@pytest.fixture
def owner(dapp: FastAPI) -> Iterator[tuple[TestClient, int, str]]:
    """A signed-in account with one patient on a plan, an edited dose and a note; yields its e-mail too."""
    email = f"del-{uuid.uuid4().hex[:8]}@example.org"
    with _client(dapp) as c:
        sign_up(c, email)
        pid = add_patient(c, NAME)
        set_titration(c, pid)
        journal = dapp.state.journal_web.journal()
        dose = journal.log_dose(pid, 300.0, prn=True)
        journal.edit_entry(pid, dose.id, mg=200.0)  # an entry with an earlier version
        journal.log_note(pid, "slept badly")
        yield c, pid, email


def _share(c: TestClient, pid: int) -> str:
    page = c.get(f"/patients/{pid}/share").text
    r = c.post(f"/patients/{pid}/share", data={"csrf_token": form_token(page), "days": "2"})
    return re.search(r"/shared\?token=([A-Za-z0-9_\-]+)", r.text).group(1)  # type: ignore[union-attr]


def _api_token(c: TestClient) -> str:
    page = c.get("/account/tokens").text
    r = c.post("/account/tokens", data={"csrf_token": form_token(page), "name": "script"})
    return re.search(r'id="new-token">([^<]+)<', r.text).group(1)  # type: ignore[union-attr]


def _rows_of(app: FastAPI, pid: int) -> dict[str, int]:
    """Rows naming the patient in each table of the app's database (revisions and plan doses by parent)."""
    engine = app.state.journal_web.accounts().repo.engine
    queries = {
        "patients": "SELECT count(*) FROM patients WHERE id = :p",
        "entries": "SELECT count(*) FROM entries WHERE patient_id = :p",
        "plans": "SELECT count(*) FROM plans WHERE patient_id = :p",
        "questionnaires": "SELECT count(*) FROM questionnaires WHERE patient_id = :p",
        "share_links": "SELECT count(*) FROM share_links WHERE patient_id = :p",
        "calendar_feeds": "SELECT count(*) FROM calendar_feeds WHERE patient_id = :p",
        "audit_log": "SELECT count(*) FROM audit_log WHERE patient_id = :p",
        # orphans: a revision or a plan dose whose parent row is gone
        "entry_revisions": "SELECT count(*) FROM entry_revisions WHERE entry_id NOT IN (SELECT id FROM entries)",
        "plan_doses": "SELECT count(*) FROM plan_doses WHERE plan_id NOT IN (SELECT id FROM plans)",
    }
    with engine.connect() as conn:
        return {t: int(conn.execute(text(q), {"p": pid}).scalar_one()) for t, q in queries.items()}


def test_the_page_says_what_goes_and_offers_the_exports_first(owner: tuple[TestClient, int, str]) -> None:
    c, pid, _ = owner
    page = c.get(f"/patients/{pid}/delete")
    assert page.status_code == 200 and "no-store" in page.headers["cache-control"]
    for words in ("journal entr", "plan", "questionnaire", "share link", "calendar address", "audit log",
                  f"/patients/{pid}/export.csv", f"/patients/{pid}/export.json", 'name="confirm_name"',
                  'name="csrf_token"'):
        assert words in page.text, words
    assert f'href="/patients/{pid}/delete"' in c.get(f"/patients/{pid}/share").text  # reachable from Share
    assert 'href="/account/delete"' in c.get("/patients").text  # and the account's from My journal


def test_a_wrong_name_is_refused_with_422_and_nothing_is_deleted(dapp: FastAPI,
                                                                 owner: tuple[TestClient, int, str]) -> None:
    c, pid, _ = owner
    before = _rows_of(dapp, pid)
    page = c.get(f"/patients/{pid}/delete").text
    r = c.post(f"/patients/{pid}/delete", data={"csrf_token": form_token(page), "confirm_name": "Dora"})
    assert r.status_code == 422 and "not the patient" in r.text
    assert c.post(f"/patients/{pid}/delete", data={"confirm_name": NAME}).status_code == 403  # no CSRF token
    assert _rows_of(dapp, pid) | {"audit_log": 0} == before | {"audit_log": 0}
    assert c.get(f"/patients/{pid}/today").status_code == 200


def test_another_account_a_share_link_or_a_token_cannot_delete(dapp: FastAPI,
                                                               owner: tuple[TestClient, int, str]) -> None:
    c, pid, _ = owner
    share = _share(c, pid)
    token = _api_token(c)
    with _client(dapp) as other:
        sign_up(other, f"other-{uuid.uuid4().hex[:8]}@example.org")
        page = other.get("/patients").text
        assert other.get(f"/patients/{pid}/delete").status_code == 404
        r = other.post(f"/patients/{pid}/delete", data={"csrf_token": form_token(page), "confirm_name": NAME})
        assert r.status_code == 404
    with _client(dapp) as clinician:  # a share link signs nobody in: the page sends it to sign in
        assert clinician.get("/shared", params={"token": share}).status_code == 200
        assert "/delete" not in clinician.get("/shared", params={"token": share}).text
        r = clinician.post(f"/patients/{pid}/delete", params={"token": share}, data={"confirm_name": NAME},
                           follow_redirects=False)
        assert r.status_code in (303, 403)
    with _client(dapp) as script:  # pages are for people; a token (which skips CSRF) is refused
        headers = {"authorization": f"Bearer {token}"}
        assert script.get(f"/patients/{pid}/delete", headers=headers).status_code == 403
        assert script.post(f"/patients/{pid}/delete", headers=headers, data={"confirm_name": NAME}).status_code == 403
        assert script.post("/account/delete", headers=headers, data={"password": PASSWORD}).status_code == 403
    assert c.get(f"/patients/{pid}/today").status_code == 200
    assert _rows_of(dapp, pid)["patients"] == 1


def test_deleting_leaves_only_the_audit_and_stops_every_way_in(dapp: FastAPI,
                                                               owner: tuple[TestClient, int, str]) -> None:
    c, pid, _ = owner
    share = _share(c, pid)
    feed_path, _ = create_feed(c, pid)
    page = c.get(f"/patients/{pid}/delete").text
    # the exports work right up to the deletion
    exported = c.get(f"/patients/{pid}/export.json")
    assert exported.status_code == 200 and "slept badly" in exported.text
    assert c.get(f"/patients/{pid}/export.csv").status_code == 200
    before = _rows_of(dapp, pid)
    assert before["entries"] > 0 and before["plans"] > 0 and before["share_links"] > 0

    r = c.post(f"/patients/{pid}/delete", data={"csrf_token": form_token(page), "confirm_name": NAME.upper()},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/patients?deleted=patient"
    assert "The journal is deleted" in c.get(r.headers["location"]).text

    after = _rows_of(dapp, pid)
    assert after["audit_log"] > before["audit_log"]  # kept, plus the revocations and the deletion
    assert {t: n for t, n in after.items() if t != "audit_log"} == dict.fromkeys(after.keys() - {"audit_log"}, 0)
    for path in (f"/patients/{pid}/today", f"/patients/{pid}/delete", f"/patients/{pid}/export.json"):
        assert c.get(path).status_code == 404, path
    assert c.get("/shared", params={"token": share}).status_code == 404
    assert c.get(feed_path).status_code == 404


def test_deleting_the_account_signs_out_and_stops_every_old_key(dapp: FastAPI,
                                                                owner: tuple[TestClient, int, str]) -> None:
    c, pid, email = owner
    second = add_patient(c, "Second Person")
    share = _share(c, pid)
    feed_path, _ = create_feed(c, pid)
    token = _api_token(c)
    cookie = c.cookies.get(SESSION_COOKIE)
    assert cookie
    page = c.get("/account/delete")
    assert page.status_code == 200
    for pid_ in (pid, second):
        assert f"/patients/{pid_}/export.csv" in page.text and f"/patients/{pid_}/export.json" in page.text
    wrong = c.post("/account/delete", data={"csrf_token": form_token(page.text), "password": "not my password"})
    assert wrong.status_code == 422 and c.get(f"/patients/{pid}/today").status_code == 200

    r = c.post("/account/delete", data={"csrf_token": form_token(page.text), "password": PASSWORD},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/?deleted=account"
    assert SESSION_COOKIE in r.headers.get("set-cookie", "")  # the cookie is cleared
    home = c.get(r.headers["location"])
    assert home.status_code == 200 and "Your account and its journals are deleted" in home.text

    with _client(dapp) as stale:
        stale.cookies.set(SESSION_COOKIE, cookie)
        assert stale.get("/patients", follow_redirects=False).status_code == 303  # to sign-in: not signed in
        assert stale.get("/api/v1/patients").status_code == 401
        assert stale.get("/api/v1/patients", headers={"authorization": f"Bearer {token}"}).status_code == 401
        assert stale.get("/shared", params={"token": share}).status_code == 404
        assert stale.get(feed_path).status_code == 404
    for gone in (pid, second):
        rows = _rows_of(dapp, gone)
        assert rows["audit_log"] > 0 and sum(rows.values()) == rows["audit_log"], rows
    accounts = dapp.state.journal_web.accounts()
    assert accounts.authenticate(email, PASSWORD) is None
