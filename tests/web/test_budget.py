"""The per-request time budget: a client waits no longer than the budget for the first byte, whether
the handler is async or runs in a worker thread; fast answers and started downloads are untouched."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator

import pytest
from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from fastapi.testclient import TestClient

from gabacare.web import WebSettings, create_app
from gabacare.web.budget import TimeBudgetMiddleware

BUDGET_S = 2.0  # generous: a fast answer must stay well inside it on a loaded shared machine
router = APIRouter()
finished = threading.Event()


@router.get("/slow-async")
async def slow_async() -> dict[str, str]:
    await asyncio.sleep(30)
    return {"late": "yes"}


@router.get("/slow-thread")
def slow_thread() -> dict[str, str]:
    time.sleep(BUDGET_S * 3)  # a synchronous handler: its thread cannot be interrupted, only abandoned
    finished.set()
    return {"late": "yes"}


@router.get("/quick")
def quick() -> dict[str, str]:
    return {"ok": "yes"}


@router.get("/download")
def download() -> StreamingResponse:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"first,"
        await asyncio.sleep(BUDGET_S * 2)  # past the budget, but the answer had started
        yield b"second"

    return StreamingResponse(chunks(), media_type="text/plain")


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = create_app(WebSettings(secret_key="budget-secret-key-0123456789", access_log=False,
                                 request_time_budget_s=BUDGET_S), routers=[router])
    return TestClient(app, raise_server_exceptions=False)


def test_an_async_handler_over_budget_answers_503_at_the_budget(client: TestClient) -> None:
    t0 = time.monotonic()
    r = client.get("/slow-async", headers={"accept": "application/json"})
    elapsed = time.monotonic() - t0
    assert r.status_code == 503 and r.json()["type"].endswith("/problems/too-slow")
    assert r.headers["retry-after"] == "5" and r.headers["content-security-policy"]
    assert elapsed < 10  # the handler sleeps 30 s: the client was let go long before


def test_a_thread_handler_over_budget_answers_503_and_its_late_answer_is_dropped(client: TestClient) -> None:
    finished.clear()
    r = client.get("/slow-thread", headers={"accept": "application/json"})
    assert r.status_code == 503 and r.json()["status"] == 503
    assert "late" not in r.text
    assert not finished.is_set()  # the answer came while the handler was still working
    assert finished.wait(30)  # the abandoned thread completes its bounded work
    assert client.get("/quick").json() == {"ok": "yes"}  # and the server goes on answering


def test_fast_answers_and_started_downloads_are_untouched(client: TestClient) -> None:
    assert client.get("/quick").status_code == 200
    r = client.get("/download")
    assert r.status_code == 200 and r.text == "first,second"


def test_the_problem_type_is_documented() -> None:
    from gabacare.web.problems import PROBLEM_TYPES

    title, _ = PROBLEM_TYPES["too-slow"]
    assert title == "Took too long"


def test_a_budget_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        TimeBudgetMiddleware(lambda *a: None, seconds=0)  # type: ignore[arg-type]
