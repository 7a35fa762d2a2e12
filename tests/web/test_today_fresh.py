"""The Today page shows every change at once, whichever server process made it (issue 14, item 7).

The page's reads were made cheaper (Core rows, statements built once, plan texts decoded once per
text); nothing read from the database is kept between requests. Two apps on one SQLite file stand for
two workers of ``gabacare serve --workers 2``: a tap, an edit, an undo, a deletion and a plan change
made through one are on the other's next Today view.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gabacare.web import WebSettings, create_app

from .conftest import form_token

PASSWORD = "a long enough secret"
DOSE = re.compile(r'data-slot="([^"]+)" data-mg="([^"]+)" data-time="[^"]+" data-status="([^"]+)"')


def make_app(db: Path) -> FastAPI:
    app = create_app(WebSettings(secret_key="fresh-secret-key-0123456789abc", access_log=False, db=f"sqlite:///{db}"))
    app.state.journal_web.password_hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    return app


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[tuple[TestClient, TestClient, int]]:
    """Two apps on one journal, one browser each, signed in to the same account with one patient."""
    db = tmp_path / "journal.sqlite3"
    with TestClient(make_app(db)) as a, TestClient(make_app(db)) as b:
        r = a.post("/account/sign-up", data={"csrf_token": form_token(a.get("/account/sign-up").text),
                                             "email": "fresh@example.org", "password": PASSWORD,
                                             "display_name": "Fresh"})
        assert r.status_code == 200, r.text[:300]
        r = b.post("/account/sign-in", data={"csrf_token": form_token(b.get("/account/sign-in").text),
                                             "email": "fresh@example.org", "password": PASSWORD})
        assert r.status_code == 200, r.text[:300]
        r = a.post("/patients", data={"csrf_token": form_token(a.get("/patients").text), "name": "Pat",
                                      "birth_date": "1961-03-04", "sex": "female", "weight_kg": "70"})
        pid = int(re.search(r"/patients/(\d+)/", str(r.url)).group(1))  # type: ignore[union-attr]
        set_regimen(b, pid, "300 mg TID")
        yield a, b, pid


def set_regimen(client: TestClient, pid: int, regimen: str) -> None:
    token = form_token(client.get(f"/patients/{pid}/plan").text)
    r = client.post(f"/patients/{pid}/plan", data={"csrf_token": token, "source": "regimen", "regimen": regimen})
    assert r.status_code == 200, r.text[:300]


def today(client: TestClient, pid: int) -> tuple[str, list[tuple[str, str, str]]]:
    r = client.get(f"/patients/{pid}/today")
    assert r.status_code == 200
    return r.text, DOSE.findall(r.text)


def post(client: TestClient, pid: int, path: str, **form: str) -> str:
    """A form sent without HTMX: 303 back to Today; the Location's query (``saved=<id>``, ``done=…``)."""
    token = form_token(client.get(f"/patients/{pid}/today").text)
    r = client.post(f"/patients/{pid}/{path}", data={"csrf_token": token, **form}, follow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    return r.headers["location"]


def test_a_change_made_through_one_worker_is_on_the_others_next_today_view(
        two_workers: tuple[TestClient, TestClient, int]) -> None:
    a, b, pid = two_workers
    page, doses = today(a, pid)
    assert len(doses) == 3 and {mg for _slot, mg, _status in doses} == {"300"}
    assert "<strong>0 mg</strong> taken of <strong>900 mg</strong>" in page
    slot = doses[0][0]

    # a tap (taken at midnight, on the slot's day: never later than now), then its undo
    saved = post(b, pid, "doses", status="taken", mg="300", scheduled=slot, taken_at="00:00")
    entry = re.search(r"saved=(\d+)", saved).group(1)  # type: ignore[union-attr]
    page, doses = today(a, pid)
    assert doses[0][2] == "taken" and "<strong>300 mg</strong> taken of <strong>900 mg</strong>" in page
    assert f'<time datetime="{slot[:10]}T00:00:00">00:00</time>' in page
    post(b, pid, f"entries/{entry}/undo", version="1")
    page, doses = today(a, pid)
    assert doses[0][2] != "taken" and "<strong>0 mg</strong> taken" in page

    # a tap, an edit of its time, the undo of the edit, then the entry deleted
    saved = post(b, pid, "doses", status="taken", mg="300", scheduled=slot, taken_at="00:00")
    entry = re.search(r"saved=(\d+)", saved).group(1)  # type: ignore[union-attr]
    assert today(a, pid)[1][0][2] == "taken"
    post(b, pid, f"entries/{entry}/edit", taken_at="00:01")
    page, _ = today(a, pid)
    assert f'<time datetime="{slot[:10]}T00:01:00">00:01</time>' in page
    post(b, pid, f"entries/{entry}/undo", version="2")
    page, _ = today(a, pid)
    assert f'<time datetime="{slot[:10]}T00:00:00">00:00</time>' in page and "T00:01:00" not in page
    post(b, pid, f"entries/{entry}/delete")
    page, doses = today(a, pid)
    assert doses[0][2] != "taken" and "<strong>0 mg</strong> taken" in page

    # a new plan in force from today
    set_regimen(b, pid, "100 mg TID")
    page, doses = today(a, pid)
    assert {mg for _slot, mg, _status in doses} == {"100"}
    assert "<strong>0 mg</strong> taken of <strong>300 mg</strong>" in page
