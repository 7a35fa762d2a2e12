"""Post/Redirect/Get on the journal's log forms (issue 18 item 4, "forms that never lose input").

A saved form answers 303 to ``/patients/{id}/log?saved=<ids>``; that page is rebuilt from the stored
entries (the saved message, the triage of a side effect or note with the emergency alert and crisis
lines, the kidney check of a creatinine), so reloading it stores nothing. Only the patient's own
entries may be named; anything else in ``saved`` is ignored. Through the real app over a real SQLite file.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import form_token
from .test_journal_pages import add_patient, make_app, set_titration, sign_up


@pytest.fixture(scope="module")
def lapp(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return make_app(tmp_path_factory.mktemp("log-prg") / "journal.sqlite3")


@pytest.fixture
def owner(lapp: FastAPI) -> Iterator[tuple[TestClient, int]]:
    with TestClient(lapp, base_url="http://testserver") as c:
        sign_up(c, f"prg-{uuid.uuid4().hex[:8]}@example.org")
        pid = add_patient(c)
        set_titration(c, pid)
        yield c, pid


def count(app: FastAPI, pid: int) -> int:
    return len(app.state.journal_web.journal().entries(pid, include_invalid=True))


def submit(client: TestClient, pid: int, path: str, data: dict[str, str]) -> tuple[str, list[int]]:
    """Post a log form as a browser does; the 303's target and the ids it names."""
    token = form_token(client.get(f"/patients/{pid}/log").text)
    r = client.post(f"/patients/{pid}/{path}", data={"csrf_token": token, **data}, follow_redirects=False)
    assert r.status_code == 303, r.text[:400]
    target = r.headers["location"]
    parts = urlsplit(target)
    assert parts.path == f"/patients/{pid}/log"
    ids = [int(i) for i in parse_qs(parts.query)["saved"][0].split(",")]
    return target, ids


LEVEL_AT = (datetime.now() - timedelta(hours=2)).replace(second=0, microsecond=0).isoformat()
FORMS = [
    ("symptoms", {"pain": "6", "sleep": "", "spasm_count": "3"}, "2 score(s) saved.", 2),
    ("triggers", {"tag": "cold wind"}, "Trigger saved.", 1),
    ("side-effects", {"text": "dizziness"}, "Side effect saved.", 1),
    ("labs", {"value": "1.1", "unit": "mg/dL"}, "Creatinine saved.", 1),
    ("labs", {"test": "gabapentin", "value": "4", "unit": "mg/L", "at": LEVEL_AT}, "Gabapentin level saved", 1),
    ("notes", {"text": "a calm day"}, "Note saved.", 1),
]


@pytest.mark.parametrize(("path", "data", "message", "stored"), FORMS, ids=[f[0] + str(i) for i, f in enumerate(FORMS)])
def test_each_form_redirects_and_a_reload_stores_nothing(lapp: FastAPI, owner: tuple[TestClient, int], path: str,
                                                         data: dict[str, str], message: str, stored: int) -> None:
    client, pid = owner
    before = count(lapp, pid)
    target, ids = submit(client, pid, path, data)
    assert len(ids) == stored and count(lapp, pid) == before + stored
    for _ in range(3):  # the page shown after saving, then two reloads
        page = client.get(target)
        assert page.status_code == 200 and message in page.text and 'role="status"' in page.text
    assert count(lapp, pid) == before + stored, "a reload stored the entry again"


def test_an_emergency_side_effect_is_still_shown_first_after_the_redirect(owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    target, _ = submit(client, pid, "side-effects", {"text": "swollen lips and trouble breathing"})
    main = client.get(target).text
    main = main[main.index("<main"):]
    assert main.index('class="emergency" role="alert"') < main.index("<h1>"), "the emergency comes before anything"
    assert "Emergency: get help now" in main and "Side effect saved." in main
    assert "call emergency services" in main


def test_suicidal_thoughts_bring_the_crisis_lines_after_the_redirect(owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    for path in ("side-effects", "notes"):
        target, _ = submit(client, pid, path, {"text": "I keep having thoughts of killing myself"})
        page = client.get(target).text
        assert 'class="emergency" role="alert"' in page, path
        assert "988" in page and "Samaritans" in page and "116 123" in page, path


def test_a_creatinine_shows_the_kidney_check_after_the_redirect(owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    target, _ = submit(client, pid, "labs", {"value": "2.4", "unit": "mg/dL"})
    page = client.get(target).text
    assert "Kidney check re-run" in page and "mL/min" in page and 'class="citations"' in page


def test_another_accounts_ids_and_garbage_are_ignored(lapp: FastAPI, owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    with TestClient(lapp, base_url="http://testserver") as other:
        sign_up(other, f"prg-other-{uuid.uuid4().hex[:8]}@example.org", "Eve")
        their_pid = add_patient(other, "Eve Patient")
        _, theirs = submit(other, their_pid, "side-effects", {"text": "swollen lips"})
    for saved in (",".join(map(str, theirs)), "abc", "1,,x", "-3", "0", "9" * 30, "٣", "1" * 500,
                  f"{theirs[0]}&saved=2", "%00", " "):
        page = client.get(f"/patients/{pid}/log", params={"saved": saved})
        assert page.status_code == 200, saved
        assert "saved." not in page.text and 'class="emergency"' not in page.text, saved
    # and someone else's own page with the owner's ids is not theirs to read either
    _, mine = submit(client, pid, "triggers", {"tag": "stress"})
    assert client.get(f"/patients/{their_pid}/log?saved={mine[0]}", follow_redirects=False).status_code == 404


def test_a_deleted_entry_no_longer_says_saved(lapp: FastAPI, owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    target, ids = submit(client, pid, "triggers", {"tag": "long drive"})
    lapp.state.journal_web.journal().delete_entry(pid, ids[0])
    assert "Trigger saved." not in client.get(target).text


def test_htmx_submits_are_answered_in_place(lapp: FastAPI, owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    token = form_token(client.get(f"/patients/{pid}/log").text)
    before = count(lapp, pid)
    r = client.post(f"/patients/{pid}/side-effects", data={"csrf_token": token, "text": "swollen lips"},
                    headers={"hx-request": "true"}, follow_redirects=False)
    assert r.status_code == 200 and "Side effect saved." in r.text and "Emergency: get help now" in r.text
    assert count(lapp, pid) == before + 1


def test_errors_still_answer_422_with_what_was_typed(lapp: FastAPI, owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    token = form_token(client.get(f"/patients/{pid}/log").text)
    before = count(lapp, pid)
    bad = client.post(f"/patients/{pid}/symptoms", data={"csrf_token": token, "pain": "11", "anxiety": "4"},
                      follow_redirects=False)
    assert bad.status_code == 422 and "between 0 and 10" in bad.text
    assert 'name="pain" type="number"' in bad.text and 'value="11"' in bad.text and 'value="4"' in bad.text
    assert count(lapp, pid) == before, "the journal never half-writes"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(saved=st.text(max_size=300))
def test_any_saved_query_answers_200_and_stores_nothing(lapp: FastAPI, owner: tuple[TestClient, int],
                                                       saved: str) -> None:
    client, pid = owner
    before = count(lapp, pid)
    assert client.get(f"/patients/{pid}/log", params={"saved": saved}).status_code == 200
    assert count(lapp, pid) == before
