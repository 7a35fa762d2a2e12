"""Post/Redirect/Get on the plan and Share forms, and ``DELETE /api/v1/patients/{id}`` (issue 18 item 4),
through the real app over a real SQLite file.

Each successful form answers 303 to its GET page with a small flag that the GET turns into the
confirmation; reloading that GET adds nothing (plans and links counted before and after); refused
input answers 422 with what was typed. A new share link's (or calendar feed's) secret address never
travels in the redirect URL: the GET right after the POST shows it once, from a single-read cookie it
deletes, and a reload says "made, shown once" without it."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from .conftest import form_token
from .test_deletion_pages import _rows_of
from .test_journal_pages import add_patient, make_app, set_titration, sign_up
from .test_page_flow import TITRATION

_TOKEN = r"/shared\?token=([A-Za-z0-9_\-]{20,})"
_FEED = r'id="new-feed">http://testserver(/feeds/[A-Za-z0-9_-]{43}\.ics)<'


@pytest.fixture(scope="module")
def papp(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return make_app(tmp_path_factory.mktemp("prg") / "journal.sqlite3")


@pytest.fixture
def owner(papp: FastAPI) -> Iterator[tuple[TestClient, int]]:
    with TestClient(papp, base_url="http://testserver") as c:
        sign_up(c, f"prg-{uuid.uuid4().hex[:8]}@example.org")
        yield c, add_patient(c, "Pia Prg")


def _plans(app: FastAPI, pid: int) -> int:
    return len(app.state.journal_web.journal().plans(pid))


def _links(app: FastAPI, pid: int) -> int:
    return _rows_of(app, pid)["share_links"]


# -- plan ---------------------------------------------------------------------------------------

def test_the_plan_form_redirects_and_a_reload_stores_nothing(papp: FastAPI, owner: tuple[TestClient, int]) -> None:
    c, pid = owner
    token = form_token(c.get(f"/patients/{pid}/plan").text)
    r = c.post(f"/patients/{pid}/plan", data={"csrf_token": token, "source": "regimen", "regimen": "300 mg TID",
                                              "start": "2026-01-05"}, follow_redirects=False)
    assert r.status_code == 303
    location = r.headers["location"]
    plan_id = int(re.fullmatch(rf"/patients/{pid}/plan\?saved=(\d+)", location).group(1))  # type: ignore[union-attr]
    assert _plans(papp, pid) == 1
    for _reload in range(3):
        page = c.get(location)
        assert page.status_code == 200
        assert f"Plan #{plan_id} saved; it is in force from 2026-01-05." in page.text
    assert _plans(papp, pid) == 1
    # A made-up or foreign plan id confirms nothing.
    for bogus in ("999999", "abc", "-1", "9" * 40):
        assert "saved; it is in force" not in c.get(f"/patients/{pid}/plan?saved={bogus}").text


def test_a_refused_plan_answers_422_with_what_was_typed(papp: FastAPI, owner: tuple[TestClient, int]) -> None:
    c, pid = owner
    token = form_token(c.get(f"/patients/{pid}/plan").text)
    r = c.post(f"/patients/{pid}/plan", data={"csrf_token": token, "source": "regimen", "regimen": "300 mg ZZZ",
                                              "start": "2026-01-05"}, follow_redirects=False)
    assert r.status_code == 422 and "300 mg ZZZ" in r.text and "saved; it is in force" not in r.text
    assert _plans(papp, pid) == 0


def test_the_planners_save_to_journal_redirects_to_the_confirmation(papp: FastAPI,
                                                                     owner: tuple[TestClient, int]) -> None:
    c, pid = owner
    token = form_token(c.get("/plan/titrate").text)
    r = c.post("/plan/titrate/save", data={"csrf_token": token, **TITRATION, "patient": str(pid)},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith(f"/patients/{pid}/plan?saved=")
    assert "saved; it is in force from 2026-03-02" in c.get(r.headers["location"]).text
    c.get(r.headers["location"])
    assert _plans(papp, pid) == 1
    bad = c.post("/plan/titrate/save", data={"csrf_token": token, **TITRATION, "target_mg": "abc",
                                             "patient": str(pid)}, follow_redirects=False)
    assert bad.status_code == 422 and 'value="abc"' in bad.text
    assert _plans(papp, pid) == 1


# -- share links --------------------------------------------------------------------------------

def test_a_new_share_link_is_shown_once_and_never_in_a_url(papp: FastAPI, owner: tuple[TestClient, int]) -> None:
    c, pid = owner
    token = form_token(c.get(f"/patients/{pid}/share").text)
    r = c.post(f"/patients/{pid}/share", data={"csrf_token": token, "days": "3"}, follow_redirects=False)
    assert r.status_code == 303
    location = r.headers["location"]
    link_id = int(re.fullmatch(rf"/patients/{pid}/share\?created=(\d+)", location).group(1))  # type: ignore[union-attr]
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower() and f"Path=/patients/{pid}/share" in cookie
    assert _links(papp, pid) == 1

    first = c.get(location)
    assert first.status_code == 200 and "no-store" in first.headers["cache-control"]
    secret = re.search(_TOKEN, first.text).group(1)  # type: ignore[union-attr]
    assert secret not in location and 'id="new-link"' in first.text
    assert "max-age=0" in first.headers["set-cookie"].lower() or "expires=" in first.headers["set-cookie"].lower()

    for _reload in range(2):
        again = c.get(location)
        assert again.status_code == 200 and secret not in again.text and 'id="new-link"' not in again.text
        assert f"Link #{link_id} was made" in again.text and "shown only once" in again.text
    assert _links(papp, pid) == 1
    # The link shown works, read-only, without signing in.
    with TestClient(papp, base_url="http://testserver") as clinician:
        assert clinician.get(f"/shared?token={secret}").status_code == 200


def test_the_secret_cookie_is_shown_only_for_its_own_link(papp: FastAPI, owner: tuple[TestClient, int]) -> None:
    c, pid = owner
    token = form_token(c.get(f"/patients/{pid}/share").text)
    r = c.post(f"/patients/{pid}/share", data={"csrf_token": token, "days": "3"}, follow_redirects=False)
    secret = r.cookies.get("gabacare_new_share")
    assert secret
    c.post(f"/patients/{pid}/share", data={"csrf_token": token, "days": "3"}, follow_redirects=False)
    # Landing on the first link's flag with the second link's cookie shows no address at all.
    first_id = re.search(r"created=(\d+)", r.headers["location"]).group(1)  # type: ignore[union-attr]
    page = c.get(f"/patients/{pid}/share?created={first_id}")
    assert re.search(_TOKEN, page.text) is None and f"Link #{first_id} was made" in page.text
    # A forged cookie value is never echoed.
    c.cookies.set("gabacare_new_share", "forged-value-abcdefghijklmnopqrstuvwxyz", path=f"/patients/{pid}/share")
    page = c.get(f"/patients/{pid}/share?created={first_id}")
    assert "forged-value" not in page.text


def test_a_refused_share_link_answers_422_with_the_days_typed(papp: FastAPI, owner: tuple[TestClient, int]) -> None:
    c, pid = owner
    token = form_token(c.get(f"/patients/{pid}/share").text)
    r = c.post(f"/patients/{pid}/share", data={"csrf_token": token, "days": "31"}, follow_redirects=False)
    assert r.status_code == 422 and 'value="31"' in r.text and "set-cookie" not in r.headers
    assert _links(papp, pid) == 0


def test_revoking_redirects_and_a_reload_changes_nothing(papp: FastAPI, owner: tuple[TestClient, int]) -> None:
    c, pid = owner
    token = form_token(c.get(f"/patients/{pid}/share").text)
    created = c.post(f"/patients/{pid}/share", data={"csrf_token": token, "days": "3"})
    secret = re.search(_TOKEN, created.text).group(1)  # type: ignore[union-attr]
    link_id = max(link.id for link in papp.state.journal_web.accounts().repo.list_share_links(pid))
    r = c.post(f"/patients/{pid}/share/{link_id}/revoke", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/patients/{pid}/share?done=revoked"
    for _reload in range(2):
        page = c.get(r.headers["location"])
        assert "Link revoked" in page.text and ">revoked<" in page.text
    assert _links(papp, pid) == 1
    with TestClient(papp, base_url="http://testserver") as clinician:
        assert clinician.get(f"/shared?token={secret}").status_code == 404


def test_the_calendar_feed_forms_redirect_and_show_the_address_once(papp: FastAPI,
                                                                     owner: tuple[TestClient, int]) -> None:
    c, pid = owner
    set_titration(c, pid)
    token = form_token(c.get(f"/patients/{pid}/share").text)
    r = c.post(f"/patients/{pid}/calendar-feed", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/patients/{pid}/share?feed=created#calendar"
    first = c.get(r.headers["location"])
    path = re.search(_FEED, first.text).group(1)  # type: ignore[union-attr]
    assert path.split("/")[-1].removesuffix(".ics") not in r.headers["location"]
    again = c.get(r.headers["location"])
    assert re.search(_FEED, again.text) is None and "A calendar address was made" in again.text
    assert _rows_of(papp, pid)["calendar_feeds"] == 1
    assert c.get(path).status_code == 200
    stop = c.post(f"/patients/{pid}/calendar-feed/revoke", data={"csrf_token": token}, follow_redirects=False)
    assert stop.status_code == 303 and stop.headers["location"] == f"/patients/{pid}/share?done=feed-stopped#calendar"
    assert "Calendar address stopped" in c.get(stop.headers["location"]).text
    assert c.get(path).status_code == 404


# -- DELETE /api/v1/patients/{id} ---------------------------------------------------------------

def _bearer(app: FastAPI, email: str) -> str:
    accounts = app.state.journal_web.accounts()
    user = next(u for u in [accounts.repo.find_user(email)] if u is not None)[0]
    return str(accounts.create_api_token(user, "script")[0])


def test_the_api_deletes_a_patient_with_its_name(papp: FastAPI) -> None:
    from gabacare.journal.refills import log_pickup

    email = f"api-del-{uuid.uuid4().hex[:8]}@example.org"
    with TestClient(papp, base_url="http://testserver") as c, \
            TestClient(papp, base_url="http://testserver") as stranger:
        sign_up(c, email)
        pid = add_patient(c, "Dan Delete")
        keep = add_patient(c, "Kim Keep")
        journal = papp.state.journal_web.journal()
        for who in (pid, keep):
            set_titration(c, who)
            journal.log_dose(who, 300.0, prn=True)
            journal.log_note(who, "slept badly")
            log_pickup(journal, who, 300, 90, at=datetime(2026, 1, 1, 9, 0))
        token = form_token(c.get(f"/patients/{pid}/share").text)
        c.post(f"/patients/{pid}/share", data={"csrf_token": token, "days": "3"})
        c.post(f"/patients/{pid}/calendar-feed", data={"csrf_token": token})
        before = _rows_of(papp, pid)
        assert before["entries"] >= 2 and before["plans"] == 1 and before["share_links"] == 1
        kept = _rows_of(papp, keep)
        bearer = {"authorization": f"Bearer {_bearer(papp, email)}"}

        # Another account: 404, exactly like an unknown id, and nothing changes.
        sign_up(stranger, f"api-other-{uuid.uuid4().hex[:8]}@example.org")
        other_token = form_token(stranger.get("/patients").text)
        foreign = stranger.request("DELETE", f"/api/v1/patients/{pid}", json={"confirm": "Dan Delete"},
                                   headers={"x-csrf-token": other_token})
        assert foreign.status_code == 404 and foreign.headers["content-type"] == "application/problem+json"
        assert c.request("DELETE", "/api/v1/patients/999999", params={"confirm": "x"},
                         headers=bearer).status_code == 404
        # A session without the CSRF header: refused.
        assert c.request("DELETE", f"/api/v1/patients/{pid}", params={"confirm": "Dan Delete"}).status_code == 403
        # A wrong or missing name: a 422 problem, nothing deleted.
        for kwargs in ({"json": {"confirm": "Dan"}}, {"params": {"confirm": "Kim Keep"}}, {}):
            wrong = c.request("DELETE", f"/api/v1/patients/{pid}", headers=bearer, **kwargs)  # type: ignore[arg-type]
            assert wrong.status_code == 422, wrong.text
            assert wrong.headers["content-type"] == "application/problem+json" and "nothing was deleted" in wrong.text
        assert _rows_of(papp, pid) | {"audit_log": 0} == before | {"audit_log": 0}

        gone = c.request("DELETE", f"/api/v1/patients/{pid}", json={"confirm": "  dan  DELETE "}, headers=bearer)
        assert gone.status_code == 204 and gone.content == b""
        after = _rows_of(papp, pid)
        assert after["audit_log"] > 0 and sum(after.values()) == after["audit_log"], after
        assert _pickups(papp, pid) == 0 and _pickups(papp, keep) == 1
        assert _rows_of(papp, keep) | {"audit_log": 0} == kept | {"audit_log": 0}
        assert [p["id"] for p in c.get("/api/v1/patients", headers=bearer).json()["patients"]] == [keep]
        actions = [(a.actor_kind, a.action, a.resource_kind)
                   for a in papp.state.journal_web.accounts().repo.list_audit(pid)]
        # Accounts.delete_patient records the account (not the token) as the one who deleted.
        assert ("user", "delete", "patient") in actions and ("user", "revoke", "share_link") in actions
        again = c.request("DELETE", f"/api/v1/patients/{pid}", json={"confirm": "Dan Delete"}, headers=bearer)
        assert again.status_code == 404


def _pickups(app: FastAPI, pid: int) -> int:
    from sqlalchemy import text

    with app.state.journal_web.accounts().repo.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM pickups WHERE patient_id = :p"), {"p": pid}).scalar_one())
