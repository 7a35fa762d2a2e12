"""Questionnaires in the browser (issue 16): each instrument's form from the knowledge base, scoring and
storing through the same use case as the CLI, PHQ-9 item 9 above zero as an emergency with the crisis
lines, bad submissions answered 422 with nothing stored, and another account locked out."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gabacare.knowledge.questionnaires import load_questionnaires

from .conftest import form_token
from .test_journal_pages import add_patient, make_app, sign_up


@pytest.fixture(scope="module")
def japp(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return make_app(tmp_path_factory.mktemp("questionnaires") / "journal.sqlite3")


@pytest.fixture
def owner(japp: FastAPI) -> Iterator[tuple[TestClient, int]]:
    import uuid

    with TestClient(japp, base_url="http://testserver") as c:
        sign_up(c, f"q-{uuid.uuid4().hex[:8]}@example.org")
        yield c, add_patient(c)


def _stored(japp: FastAPI, pid: int) -> list[tuple[str, int]]:
    return [(q.result.instrument, q.result.total) for q in japp.state.journal_web.journal().questionnaires(pid)]


def test_every_instrument_has_a_form_with_its_own_items_and_answers(owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    listing = client.get(f"/patients/{pid}/questionnaires").text
    for inst in load_questionnaires().instruments:
        assert f"/patients/{pid}/questionnaires/{inst.id}" in listing
        page = client.get(f"/patients/{pid}/questionnaires/{inst.id}").text
        assert page.count("<fieldset") == len(inst.items)
        for n in range(1, len(inst.items) + 1):
            lo, hi = inst.answer_range(n)
            assert f'id="q{n}-{lo}"' in page and f'id="q{n}-{hi}"' in page
    assert client.get(f"/patients/{pid}/questionnaires/no-such-scale").status_code == 404


def test_a_gad7_is_scored_and_stored(japp: FastAPI, owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    page = client.get(f"/patients/{pid}/questionnaires/gad7").text
    answers = {f"q{n}": "2" for n in range(1, 8)}
    r = client.post(f"/patients/{pid}/questionnaires/gad7", data={"csrf_token": form_token(page), **answers})
    assert r.status_code == 200 and "score 14 of 21" in r.text and 'role="alert"' not in r.text
    assert _stored(japp, pid) == [("gad7", 14)]
    assert "GAD-7" in client.get(f"/patients/{pid}/questionnaires").text


def test_phq9_item_9_above_zero_is_an_emergency_with_crisis_lines(japp: FastAPI, owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    page = client.get(f"/patients/{pid}/questionnaires/phq9").text
    answers = {f"q{n}": "0" for n in range(1, 10)} | {"q9": "1"}
    r = client.post(f"/patients/{pid}/questionnaires/phq9", data={"csrf_token": form_token(page), **answers})
    assert r.status_code == 200 and 'role="alert"' in r.text and "988" in r.text
    assert r.text.index('role="alert"') < r.text.index("Saved:")  # the emergency comes first
    assert _stored(japp, pid) == [("phq9", 1)]


def test_the_penn_scale_leaves_out_severity_when_there_are_no_spasms(japp: FastAPI, owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    page = client.get(f"/patients/{pid}/questionnaires/penn_spasm").text
    r = client.post(f"/patients/{pid}/questionnaires/penn_spasm", data={"csrf_token": form_token(page), "q1": "0"})
    assert r.status_code == 200, r.text
    assert _stored(japp, pid) == [("penn_spasm", 0)]


@pytest.mark.parametrize("answers", [{"q1": "2"}, {f"q{n}": "9" for n in range(1, 8)}, {f"q{n}": "x" for n in range(1, 8)}])
def test_a_bad_submission_is_refused_and_nothing_is_stored(japp: FastAPI, owner: tuple[TestClient, int],
                                                          answers: dict[str, str]) -> None:
    client, pid = owner
    page = client.get(f"/patients/{pid}/questionnaires/gad7").text
    r = client.post(f"/patients/{pid}/questionnaires/gad7", data={"csrf_token": form_token(page), **answers})
    assert r.status_code == 422 and "<fieldset" in r.text
    assert _stored(japp, pid) == []


def test_another_account_cannot_open_or_fill_them(japp: FastAPI, owner: tuple[TestClient, int]) -> None:
    _, pid = owner
    with TestClient(japp) as other:
        sign_up(other, "q-intruder@example.org", "Eve")
        token = form_token(other.get("/patients").text)
        assert other.get(f"/patients/{pid}/questionnaires").status_code == 404
        assert other.get(f"/patients/{pid}/questionnaires/gad7").status_code == 404
        posted = other.post(f"/patients/{pid}/questionnaires/gad7", data={"csrf_token": token, "q1": "0"})
        assert posted.status_code == 404
