"""CDS Hooks order-sign benchmark: requests/s and p50/p99 latency of ``handle_hook`` on worked example (i).

Worked example (i) of the interop reference (a woman aged 79, 58 kg, creatinine 1.6 mg/dL, gabapentin
600 mg TID): the answer is a renal warning whose suggestion carries a corrected MedicationRequest
(validated with fhir.resources R4B) plus an older-adult info card. Measured in the same run:

* baseline: ``json.loads`` + ``json.dumps`` of the same request body (the least any JSON service does);
* in-process: ``json.loads`` of the body, ``handle_hook``, ``json.dumps`` of the cards;
* HTTP on 127.0.0.1: ``POST /cds-services/gabacare-order-sign`` against ``gabacare.web.create_app()``
  under uvicorn, when the web app exposes that route (otherwise it says so and skips).

Usage: ``.venv/bin/python benchmarks/cds_order_sign.py [--n 2000] [--http-n 500]``. Goal: p99 < 50 ms
over HTTP (the CDS Hooks spec asks for about 500 ms).
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from gabacare.interop.cds import handle_hook

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
RX = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"


def _obs(code: str, value: float, unit: str) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": {
        "resourceType": "Observation", "status": "final", "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
        "effectiveDateTime": "2025-05-28T07:30:00Z", "valueQuantity": {"value": value, "system": UCUM, "code": unit}}}]}


def example_i() -> dict[str, Any]:
    """The order-sign request of worked example (i), built from its facts."""
    draft = {"resourceType": "MedicationRequest", "id": "draft-gaba-1", "status": "draft", "intent": "order",
             "subject": {"reference": "Patient/pat-79f"},
             "medicationCodeableConcept": {"coding": [{"system": RX, "code": "310433"}]},
             "dosageInstruction": [{"timing": {"repeat": {"frequency": 3, "period": 1, "periodUnit": "d"}},
                                    "doseAndRate": [{"doseQuantity": {"value": 600, "system": UCUM, "code": "mg"}}]}]}
    return {"hook": "order-sign", "hookInstance": "3f0c2b4e-8d7a-4f61-9c1e-2a5b6d7e8f90",
            "context": {"userId": "Practitioner/prac-7", "patientId": "pat-79f",
                        "draftOrders": {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": draft}]}},
            "prefetch": {"patient": {"resourceType": "Patient", "id": "pat-79f", "gender": "female",
                                     "birthDate": "1946-03-15"},
                         "creatinine": _obs("2160-0", 1.6, "mg/dL"), "weight": _obs("29463-7", 58, "kg"),
                         "activeMeds": None}}


def measure(fn: Callable[[], object], n: int) -> tuple[float, float, float]:
    """(requests/s, p50 ms, p99 ms) over ``n`` calls after a short warm-up."""
    for _ in range(min(50, n)):
        fn()
    lat = []
    start = time.perf_counter()
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        lat.append(time.perf_counter() - t0)
    total = time.perf_counter() - start
    lat.sort()
    return n / total, statistics.median(lat) * 1e3, lat[min(len(lat) - 1, int(0.99 * len(lat)))] * 1e3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_run(body: bytes, n: int) -> tuple[float, float, float] | str:
    try:
        import httpx
        import uvicorn

        from gabacare.web import WebSettings, create_app
    except ImportError as exc:
        return f"web stack not importable ({exc})"
    app = create_app(WebSettings(cds_require_jwt=False))  # the benchmark measures the hook, not the JWT check
    from starlette.testclient import TestClient

    # Probe the route itself (routers may be mounted in ways app.routes does not list flatly).
    if TestClient(app).get("/cds-services").status_code != 200:
        return "the web app does not expose the CDS Hooks routes"
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            def call() -> None:
                r = client.post("/cds-services/gabacare-order-sign", content=body,
                                headers={"Content-Type": "application/json"})
                if r.status_code != 200:
                    raise RuntimeError(f"HTTP {r.status_code}")
            return measure(call, n)
    finally:
        server.should_exit = True
        thread.join(timeout=5)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000, help="in-process calls")
    ap.add_argument("--http-n", type=int, default=500, help="HTTP calls")
    args = ap.parse_args()
    body = json.dumps(example_i()).encode()
    first = handle_hook("gabacare-order-sign", json.loads(body), now=NOW)
    assert first.status == 200 and [c["indicator"] for c in first.body["cards"]] == ["warning", "info"], first.body

    def baseline() -> None:
        json.dumps(json.loads(body))

    def in_process() -> None:
        r = handle_hook("gabacare-order-sign", json.loads(body), now=NOW)
        json.dumps(r.body)

    rows = [("baseline json.loads+dumps", measure(baseline, args.n)),
            ("handle_hook in-process", measure(in_process, args.n))]
    http = http_run(body, args.http_n)
    if isinstance(http, tuple):
        rows.append(("HTTP 127.0.0.1 (uvicorn)", http))
    print(f"order-sign, worked example (i), {len(body)} bytes; cards: {len(first.body['cards'])}")
    print(f"{'path':28s} {'req/s':>10s} {'p50 ms':>9s} {'p99 ms':>9s} {'p50 / baseline':>15s}")
    base_p50 = rows[0][1][1]
    for name, (rps, p50, p99) in rows:
        print(f"{name:28s} {rps:10.0f} {p50:9.3f} {p99:9.3f} {p50 / base_p50:15.0f}x")
    if not isinstance(http, tuple):
        print(f"HTTP: skipped ({http})")


if __name__ == "__main__":
    main()
