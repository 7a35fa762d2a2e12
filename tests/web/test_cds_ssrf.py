"""The CDS routes and the EHR's FHIR server, with real HTTP servers on 127.0.0.1 (issue 13).

* a FHIR server dripping one byte a second is cut at the one deadline (``GABACARE_CDS_FHIR_TIMEOUT_S``)
  and the EHR gets its answer (412 naming what was missing and why) within that deadline + a margin;
* ``fhirServer`` is read only from the allow-list: a loopback server that is not on it never sees a
  request, and the service answers from the prefetch alone;
* the caller's ``fhirAuthorization`` token reaches the allowed server it was issued for, and nothing else;
* slow FHIR servers never hold the threads other users need (a real uvicorn server, concurrent calls);
* CDS bodies are bounded (413), and JSON ``NaN``/``Infinity`` is refused (400).
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from gabacare.web import WebSettings, create_app
from interop._requests import observation, order_request, searchset
from interop.test_cds_fhir_client import Server, drip_answer, json_answer, serve

SECRET = "cds-ssrf-secret-key-0123456789"
DEADLINE_S = 1.0
MARGIN_S = 1.0  # the route's own work and scheduling on top of the one deadline
CLOCK = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
TOKEN = {"access_token": "ehr-issued-token", "token_type": "Bearer", "expires_in": 300,
         "scope": "patient/*.read", "subject": "gabacare"}


def app_with(**settings: Any) -> Any:
    app = create_app(WebSettings(secret_key=SECRET, access_log=False, cds_require_jwt=False,
                                 cds_fhir_timeout_s=DEADLINE_S, **settings))
    app.state.cds.clock = lambda: CLOCK
    return app


@pytest.fixture
def servers() -> Iterator[Callable[..., Server]]:
    started: list[Server] = []

    def start(answer: Callable[[BaseHTTPRequestHandler], None]) -> Server:
        server = serve(answer)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def without_prefetch(server: str, *keys: str) -> dict[str, Any]:
    body = order_request("order-sign", patient="pat-79f", omit=keys)
    body["fhirServer"] = server + "/fhir"
    body["fhirAuthorization"] = TOKEN
    return body


def reason(r: Any) -> str:
    body = r.json()
    assert body["resourceType"] == "OperationOutcome", body
    return str(body["issue"][0]["diagnostics"])


# -- the one deadline ----------------------------------------------------------------------------------------
def test_a_slow_drip_fhir_server_is_cut_at_the_deadline(servers: Callable[..., Server]) -> None:
    drip = servers(drip_answer)
    with TestClient(app_with(cds_fhir_servers=(drip.origin,))) as c:
        # One full request first (its prefetch complete, so no FHIR read): what a first call loads once
        # (the knowledge base, the medicine-name engine) is not the deadline's business.
        assert c.post("/cds-services/gabacare-order-sign", json=order_request("order-sign", patient="pat-79f")).status_code == 200
        started = time.monotonic()
        r = c.post("/cds-services/gabacare-order-sign", json=without_prefetch(drip.origin, "creatinine", "weight"))
        took = time.monotonic() - started
    assert r.status_code == 412 and "creatinine, weight" in reason(r) and "deadline" in reason(r)
    assert took < DEADLINE_S + MARGIN_S, f"the EHR waited {took:.1f} s for a {DEADLINE_S} s deadline"
    assert len(drip.seen.requests) == 1  # one fetch reached it; the rest of the call had no time left


# -- the allow-list ------------------------------------------------------------------------------------------
def test_a_loopback_fhir_server_is_never_read_unless_allow_listed(servers: Callable[..., Server]) -> None:
    ehr = servers(json_answer(searchset(observation("2160-0", 1.6, "mg/dL", "2025-05-28T07:30:00Z"))))
    body = without_prefetch(ehr.origin, "creatinine")
    with TestClient(app_with()) as c:  # no FHIR server allowed at all
        r = c.post("/cds-services/gabacare-order-sign", json=body)
        assert r.status_code == 412 and "reads no FHIR server" in reason(r)
    with TestClient(app_with(cds_fhir_servers=("https://fhir.hospital.example",))) as c:
        r = c.post("/cds-services/gabacare-order-sign", json=body)
        assert r.status_code == 412 and "allow-list" in reason(r)
    by_name = f"http://localhost:{ehr.port}"  # allow-listed by a name that resolves to loopback
    with TestClient(app_with(cds_fhir_servers=(by_name,))) as c:
        r = c.post("/cds-services/gabacare-order-sign", json=without_prefetch(by_name, "creatinine"))
        assert r.status_code == 412 and "loopback" in reason(r)
    assert ehr.seen.requests == []
    with TestClient(app_with(cds_fhir_servers=(by_name,), cds_fhir_private_networks=("127.0.0.0/8", "::1/128"))) as c:
        r = c.post("/cds-services/gabacare-order-sign", json=without_prefetch(by_name, "creatinine"))
        assert r.status_code == 200 and r.json()["cards"][0]["summary"].startswith("Gabapentin 1800 mg/day exceeds")
    assert len(ehr.seen.requests) == 1


def test_without_an_allowed_server_the_answer_comes_from_the_prefetch_and_says_what_was_not_read(
        servers: Callable[..., Server]) -> None:
    ehr = servers(json_answer(searchset()))
    with TestClient(app_with()) as c:
        r = c.post("/cds-services/gabacare-order-sign", json=without_prefetch(ehr.origin, "activeMeds"))
    assert r.status_code == 200
    (meds,) = [c for c in r.json()["cards"] if c["summary"].startswith("Co-prescribed opioids")]
    assert "reads no FHIR server" in meds["detail"]
    assert ehr.seen.requests == []


# -- the token --------------------------------------------------------------------------------------------
def test_the_token_goes_to_the_server_it_was_issued_for_and_nowhere_else(servers: Callable[..., Server]) -> None:
    def fhir(h: BaseHTTPRequestHandler) -> None:
        doc = (searchset(observation("2160-0", 1.6, "mg/dL", "2025-05-28T07:30:00Z")) if "2160-0" in h.path
               else searchset(observation("29463-7", 58, "kg", "2025-05-28T07:25:00Z")) if "29463-7" in h.path
               else searchset())
        json_answer(doc)(h)

    ehr = servers(fhir)
    other = servers(json_answer(searchset()))
    with TestClient(app_with(cds_fhir_servers=(ehr.origin, other.origin))) as c:
        r = c.post("/cds-services/gabacare-order-sign",
                   json=without_prefetch(ehr.origin, "creatinine", "weight", "activeMeds"))
    assert r.status_code == 200, r.text
    assert r.json()["cards"][0]["summary"].startswith("Gabapentin 1800 mg/day exceeds the 700 mg/day")
    paths = [p for p, _ in ehr.seen.requests]
    assert [p.split("?")[0] for p in paths] == ["/fhir/Observation"] * 2 + ["/fhir/MedicationRequest"]
    assert all("patient=pat-79f" in p for p in paths)
    assert ehr.seen.headers("authorization") == ["Bearer ehr-issued-token"] * 3
    assert other.seen.requests == []


# -- slow servers never starve other users -------------------------------------------------------------------
def get(port: int, path: str) -> int:
    """One plain HTTP/1.1 GET on 127.0.0.1 (the stdlib client: no TLS set-up cost in the test's threads)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def post_json(port: int, path: str, body: Any) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("POST", path, body=json.dumps(body), headers={"content-type": "application/json"})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_slow_fhir_servers_do_not_hold_the_threads_other_users_need(servers: Callable[..., Server]) -> None:
    drip = servers(drip_answer)
    app = app_with(cds_fhir_servers=(drip.origin,), cds_max_concurrent_calls=2)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if server.started:
                break
            time.sleep(0.02)
        assert get(port, "/api/v1/limits?crcl=45") == 200  # warm
        body = without_prefetch(drip.origin, "creatinine", "weight")
        calls = 12  # six times the CDS pool: the queue must drain within the deadline, not 6 deadlines

        def call(_: int) -> tuple[int, float]:
            started = time.monotonic()
            r = post_json(port, "/cds-services/gabacare-order-sign", body)
            return r, time.monotonic() - started

        with ThreadPoolExecutor(calls) as pool:
            running = [pool.submit(call, i) for i in range(calls)]
            time.sleep(0.2)
            started = time.monotonic()
            api = get(port, "/api/v1/limits?crcl=45")
            api_took = time.monotonic() - started
            results = [f.result() for f in running]
        assert api == 200 and api_took < MARGIN_S, f"the API waited {api_took:.2f} s behind slow CDS calls"
        assert {status for status, _ in results} == {412}
        slowest = max(took for _, took in results)
        assert slowest < DEADLINE_S + 2 * MARGIN_S, f"a queued CDS call waited {slowest:.1f} s"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


# -- bodies -----------------------------------------------------------------------------------------------
def test_a_cds_body_larger_than_its_limit_is_413_before_it_is_read() -> None:
    limit = 64 * 1024
    with TestClient(app_with(cds_max_body_bytes=limit)) as c:
        big = json.dumps(dict(order_request("order-sign"), padding="x" * limit)).encode()
        r = c.post("/cds-services/gabacare-order-sign", content=big, headers={"content-type": "application/json"})
        assert r.status_code == 413 and "bytes" in r.text  # the request guard answers first (problem JSON)

        def chunks() -> Iterator[bytes]:  # no Content-Length: refused while reading
            yield b'{"hook": "order-sign", "padding": "'
            for _ in range(4):
                yield b"x" * limit
            yield b'"}'

        r = c.post("/cds-services/gabacare-order-sign", content=chunks(), headers={"content-type": "application/json"})
        assert r.status_code == 413
        feedback = c.post("/cds-services/gabacare-order-sign/feedback", content=big,
                          headers={"content-type": "application/json"})
        assert feedback.status_code == 413


def test_a_50_mb_body_is_refused_quickly() -> None:
    with TestClient(app_with()) as c:
        big = b'{"hook": "order-sign", "padding": "' + b"x" * (50 << 20) + b'"}'
        started = time.monotonic()
        r = c.post("/cds-services/gabacare-order-sign", content=big, headers={"content-type": "application/json"})
        assert r.status_code == 413 and time.monotonic() - started < 5


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_json_numbers_are_refused(number: str) -> None:
    raw = json.dumps(order_request("order-sign")).replace('"value": 600', f'"value": {number}')
    assert number in raw
    with TestClient(app_with()) as c:
        r = c.post("/cds-services/gabacare-order-sign", content=raw.encode(), headers={"content-type": "application/json"})
    assert r.status_code == 400 and "finite" in reason(r)
