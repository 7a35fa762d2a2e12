"""Issue 15 item 4b in the browser's terms (in process): the owner shares a patient from its Share page
with another account (e-mail + role, Post/Redirect/Get, CSRF), lists and removes members; the access
matrix owner / viewer / logger / stranger over reading, logging a dose, setting the plan, sharing and
deleting (a refusal is the app's usual 404, the same for a member as for a stranger); a member's
/patients list and pages say the patient is shared; removing ends the access at once; deleting the
patient removes its members."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from .conftest import form_token
from .test_journal_pages import add_patient, japp, set_titration, sign_up  # noqa: F401  (japp: the app fixture)


@dataclass
class Family:
    owner: TestClient
    viewer: TestClient
    logger: TestClient
    stranger: TestClient
    emails: dict[str, str]
    pid: int
    slots: list[str]  # today's planned dose slots (from the owner's Today page)


def _token(c: TestClient) -> str:
    return form_token(c.get("/patients").text)


def _share(f: Family, email: str, role: str) -> object:
    return f.owner.post(f"/patients/{f.pid}/members", data={"csrf_token": _token(f.owner), "email": email, "role": role},
                        follow_redirects=False)


@pytest.fixture
def family(japp: FastAPI) -> Iterator[Family]:  # noqa: F811
    tag = uuid.uuid4().hex[:8]
    clients = {who: TestClient(japp, base_url="http://testserver") for who in ("owner", "viewer", "logger", "stranger")}
    emails = {who: f"{who}-{tag}@example.org" for who in clients}
    for who, c in clients.items():
        c.__enter__()
        sign_up(c, emails[who], who.title())
    pid = add_patient(clients["owner"], "Shared Patient")
    set_titration(clients["owner"], pid)
    today = clients["owner"].get(f"/patients/{pid}/today").text
    slots = list(dict.fromkeys(re.findall(r'name="scheduled" value="([^"]+)"', today)))  # each slot has 3 forms
    assert len(slots) >= 2, "a titration plan has doses today"
    f = Family(clients["owner"], clients["viewer"], clients["logger"], clients["stranger"], emails, pid, slots)
    for who in ("viewer", "logger"):
        r = _share(f, emails[who], who)
        assert r.status_code == 303 and r.headers["location"] == f"/patients/{pid}/share?done=member-added#members"  # type: ignore[attr-defined]
    yield f
    for c in clients.values():
        c.__exit__(None, None, None)


def _can(c: TestClient, pid: int, what: str, scheduled: str) -> int:
    """The status of one action (the app's own answers: 200/303 allowed, 404 refused)."""
    token = _token(c)
    if what == "read entries":
        return c.get(f"/patients/{pid}/today").status_code
    if what == "log dose":
        return c.post(f"/patients/{pid}/doses", data={"csrf_token": token, "status": "taken", "mg": "300",
                                                      "scheduled": scheduled}, follow_redirects=False).status_code
    if what == "set plan":
        return c.post(f"/patients/{pid}/plan", data={"csrf_token": token, "source": "titrate",
                                                     "indication": "postherpetic-neuralgia"},
                      follow_redirects=False).status_code
    if what == "share":
        return c.get(f"/patients/{pid}/share").status_code
    assert what == "delete patient"
    return c.post(f"/patients/{pid}/delete", data={"csrf_token": token, "confirm_name": "not the name"},
                  follow_redirects=False).status_code


ACTIONS = ("read entries", "log dose", "set plan", "share", "delete patient")


def test_access_matrix_through_the_web(family: Family) -> None:
    f = family
    got = {who: {a: _can(c, f.pid, a, f.slots[0]) for a in ACTIONS}
           for who, c in (("viewer", f.viewer), ("logger", f.logger), ("stranger", f.stranger))}
    assert got["viewer"] == {"read entries": 200, "log dose": 404, "set plan": 404, "share": 404, "delete patient": 404}
    assert got["logger"] == {"read entries": 200, "log dose": 303, "set plan": 404, "share": 404, "delete patient": 404}
    assert got["stranger"] == dict.fromkeys(ACTIONS, 404)
    owner = {a: _can(f.owner, f.pid, a, f.slots[1]) for a in ACTIONS}  # the logger answered slot 0
    assert owner == {"read entries": 200, "log dose": 303, "set plan": 303, "share": 200, "delete patient": 422}
    # members share nothing further and remove nobody
    for c in (f.viewer, f.logger, f.stranger):
        r = c.post(f"/patients/{f.pid}/members", data={"csrf_token": _token(c), "email": f.emails["stranger"],
                                                       "role": "viewer"}, follow_redirects=False)
        assert r.status_code == 404
    # a viewer has no log page; a logger has it
    assert f.viewer.get(f"/patients/{f.pid}/log").status_code == 404
    assert f.logger.get(f"/patients/{f.pid}/log").status_code == 200


def test_pages_say_shared_and_show_only_what_the_member_may_do(family: Family) -> None:
    f = family
    seen = f.viewer.get(f"/patients/{f.pid}/today").text
    assert "Shared with you (read-only)" in seen
    assert f'action="/patients/{f.pid}/doses"' not in seen and 'method="post"' not in seen.split("<main", 1)[-1]
    assert f'href="/patients/{f.pid}/share"' not in seen and f'href="/patients/{f.pid}/log"' not in seen
    plan = f.viewer.get(f"/patients/{f.pid}/plan").text
    assert 'id="new-plan-title"' not in plan
    logged = f.logger.get(f"/patients/{f.pid}/today").text
    assert "Shared with you (you can log)" in logged and f'action="/patients/{f.pid}/doses"' in logged
    assert f'href="/patients/{f.pid}/share"' not in logged and f'href="/patients/{f.pid}/audit"' not in logged
    assert 'id="new-plan-title"' not in f.logger.get(f"/patients/{f.pid}/plan").text
    mine = f.owner.get(f"/patients/{f.pid}/today").text
    assert "Shared with you" not in mine and f'href="/patients/{f.pid}/share"' in mine


def test_the_members_list_shows_the_shared_patient(family: Family) -> None:
    f = family
    listing = f.viewer.get("/patients").text
    assert f'href="/patients/{f.pid}/today"' in listing and "Shared Patient" in listing
    assert "Shared with you (read-only)" in listing
    assert "Shared with you (you can log)" in f.logger.get("/patients").text
    assert f'href="/patients/{f.pid}/today"' not in f.stranger.get("/patients").text


def test_share_page_lists_members_refuses_bad_input_and_remove_revokes_at_once(family: Family) -> None:
    f = family
    page = f.owner.get(f"/patients/{f.pid}/share?done=member-added").text
    assert "Share with another GabaCare account" in page and "Shared: that account sees this patient" in page
    assert f.emails["viewer"] in page and f.emails["logger"] in page
    for email, role in (("nobody@example.org", "viewer"), (f.emails["owner"], "viewer"), (f.emails["stranger"], "admin")):
        r = _share(f, email, role)
        assert r.status_code == 422, (email, role)  # type: ignore[attr-defined]
        assert 'class="refused"' in r.text or "refused" in r.text  # type: ignore[attr-defined]
    no_csrf = f.owner.post(f"/patients/{f.pid}/members", data={"email": f.emails["stranger"], "role": "viewer"},
                           follow_redirects=False)
    assert no_csrf.status_code in (400, 403)
    viewer_id = int(re.findall(rf'action="/patients/{f.pid}/members/(\d+)/remove"', page)[0])
    r = f.owner.post(f"/patients/{f.pid}/members/{viewer_id}/remove", data={"csrf_token": _token(f.owner)},
                     follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/patients/{f.pid}/share?done=member-removed#members"
    assert f.viewer.get(f"/patients/{f.pid}/today").status_code == 404  # at once
    assert f'href="/patients/{f.pid}/today"' not in f.viewer.get("/patients").text
    again = f.owner.post(f"/patients/{f.pid}/members/{viewer_id}/remove", data={"csrf_token": _token(f.owner)},
                         follow_redirects=False)
    assert again.status_code == 404


def test_deleting_the_patient_removes_its_members(family: Family) -> None:
    f = family
    r = f.owner.post(f"/patients/{f.pid}/delete", data={"csrf_token": _token(f.owner), "confirm_name": "Shared Patient"},
                     follow_redirects=False)
    assert r.status_code == 303
    assert f.logger.get(f"/patients/{f.pid}/today").status_code == 404
    assert "Shared Patient" not in f.logger.get("/patients").text


def test_owner_only_pages_answer_a_member_like_a_stranger(family: Family) -> None:
    f = family
    for path in ("/supply", "/supply/section", "/questionnaires/gad7", "/delete", "/audit", "/share"):
        for c in (f.viewer, f.logger):
            assert c.get(f"/patients/{f.pid}{path}").status_code == 404, path
    assert f.owner.get(f"/patients/{f.pid}/supply").status_code == 200


def test_the_switcher_offers_shared_patients_too(family: Family) -> None:
    f = family
    own = add_patient(f.logger, "Logger Own")
    page = f.logger.get(f"/patients/{own}/today").text
    form = re.search(r'<form method="get" action="/patients/switch" class="patient-switch">(.*?)</form>', page, re.S)
    assert form is not None
    options = dict(re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>', form.group(1)))
    assert options == {str(own): "Logger Own", str(f.pid): "Shared Patient"}
    r = f.logger.get("/patients/switch", params={"patient": f.pid, "tab": "log"}, follow_redirects=False)
    assert r.status_code == 303 and f.logger.get(r.headers["location"]).status_code == 200


def test_the_api_applies_the_same_roles_to_a_members_token(japp: FastAPI, family: Family) -> None:  # noqa: F811
    f = family
    accounts = japp.state.journal_web.accounts()

    def bearer(who: str) -> dict[str, str]:
        found = accounts.repo.find_user(f.emails[who])
        assert found is not None
        return {"authorization": f"Bearer {accounts.create_api_token(found[0], 'tests')[0]}"}

    base = f"/api/v1/patients/{f.pid}"
    with TestClient(japp) as c:
        score = {"scale": "pain", "score": 2}
        plan = {"source": "titrate", "indication": "phn"}
        assert c.get(f"{base}/entries", headers=bearer("viewer")).status_code == 200
        assert c.post(f"{base}/symptoms", json=score, headers=bearer("viewer")).status_code == 404
        assert c.post(f"{base}/symptoms", json=score, headers=bearer("logger")).status_code == 201
        assert c.put(f"{base}/plan", json=plan, headers=bearer("logger")).status_code == 404
        assert c.get(f"{base}/entries", headers=bearer("stranger")).status_code == 404
