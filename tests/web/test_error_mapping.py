"""The web maps errors by their type in the one error tree: input is a 4xx problem naming the rule,
storage a 503, an internal error or a built-in exception a 500 problem that says nothing about it."""

from __future__ import annotations

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from gabacare.errors import AccessError, ConflictError, InputError, InternalError, NotFoundError, StorageError
from gabacare.web import WebSettings, create_app
from gabacare.web.guards import classify

router = APIRouter()
RAISED: dict[str, BaseException] = {
    "input": InputError("dose must be above 0 mg"),
    "not-found": NotFoundError("no such topic"),
    "conflict": ConflictError("already stored"),
    "access": AccessError("not yours"),
    "storage": StorageError("the journal database is locked"),
    "internal": InternalError("the knowledge base does not load"),
    "value-error": ValueError("a bug's own words"),
    "key-error": KeyError("a bug's own words"),
}


@router.get("/raise/{kind}")
def raise_it(kind: str) -> None:
    raise RAISED[kind]


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = create_app(WebSettings(secret_key="error-mapping-secret-0123456789", access_log=False), routers=[router])
    return TestClient(app, raise_server_exceptions=False)


def _problem(client: TestClient, kind: str) -> tuple[int, dict[str, object]]:
    r = client.get(f"/raise/{kind}", headers={"accept": "application/json"})
    assert r.headers["content-type"].startswith("application/problem+json"), r.text
    body = r.json()
    assert body["status"] == r.status_code and body["instance"] == f"/raise/{kind}"
    return r.status_code, body


def test_an_input_error_is_a_422_problem_naming_the_rule(client: TestClient) -> None:
    status, body = _problem(client, "input")
    assert status == 422 and str(body["type"]).endswith("/problems/clinical-input")
    assert body["detail"] == "dose must be above 0 mg"


@pytest.mark.parametrize(("kind", "status"), [("not-found", 404), ("conflict", 409), ("access", 403)])
def test_other_caller_errors_are_4xx_problems(client: TestClient, kind: str, status: int) -> None:
    got, _ = _problem(client, kind)
    assert got == status


def test_a_storage_error_is_a_503(client: TestClient) -> None:
    status, body = _problem(client, "storage")
    assert status == 503 and str(body["type"]).endswith("/problems/unavailable")
    assert "locked" not in str(body["detail"])  # the generic text, not the adapter's words


@pytest.mark.parametrize("kind", ["internal", "value-error", "key-error"])
def test_internal_and_builtin_errors_are_500_problems_that_say_nothing(client: TestClient, kind: str) -> None:
    status, body = _problem(client, kind)
    assert status == 500 and str(body["type"]).endswith("/problems/internal")
    assert "own words" not in str(body) and "knowledge base" not in str(body)


def test_the_error_guard_maps_escaped_errors_by_type() -> None:
    from gabacare.journal.errors import JournalCorruptError, JournalReadOnlyError, JournalStorageError

    for exc in (JournalStorageError("x"), JournalReadOnlyError("x"), JournalCorruptError("x"), StorageError("x")):
        assert classify(exc)[:2] == (503, "unavailable"), exc
    assert classify(InputError("dose must be above 0 mg")) == (422, "clinical-input", "dose must be above 0 mg")
    assert classify(NotFoundError("x"))[0] == 404
    assert classify(InternalError("x"))[:2] == (500, "internal")
    assert classify(ValueError("x"))[:2] == (500, "internal")
    # A storage error only found in a cause chain is not guessed at: the wrapper's type decides.
    wrapper = RuntimeError("wrapped")
    wrapper.__cause__ = JournalStorageError("x")
    assert classify(wrapper)[:2] == (500, "internal")
