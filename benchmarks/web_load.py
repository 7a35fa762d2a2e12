"""A bounded load run against the real web server on 127.0.0.1, with a baseline in the same run.

Starts ``gabacare serve`` on a free loopback port, then sends each target ``--requests`` requests
from ``--concurrency`` concurrent httpx clients (one keep-alive connection each, warmed up first),
the targets taking turns in five bursts, and stops by itself. Reports requests/s and p50/p99 latency per target and the
ratios against the baseline, ``GET /healthz`` (routing, middleware and JSON, no clinical work):

* ``POST /api/v1/titrate``: a 12-day PHN titration plan as JSON;
* ``GET /plan/titrate``: the titration page (Jinja2 render, CSRF token);
* ``POST /plan/titrate``: the titration form with its plan, as HTMX asks for it (result partial);
* ``GET /patients/1/today``: the journal's "today" page of the demo patient, for a signed-in session
  (session lookup, ownership check, an audit row written, the day's schedule matched to logged doses).
  The server's database is a fresh demo journal (``gabacare.web.demo.seed_demo``) in a temporary folder.

    .venv/bin/python benchmarks/web_load.py [--requests 2000] [--concurrency 8]

The server runs in one process (uvicorn, one worker), as ``make run`` serves it; the load
generator shares the machine, so absolute figures depend on it: read the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROUNDS = 5
TITRATE_BODY = {"indication": "postherpetic-neuralgia", "target_mg": 1800, "start": "2026-03-02"}


@dataclass(frozen=True)
class Result:
    name: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(port: int, log: Path) -> subprocess.Popen[bytes]:
    from gabacare.web.demo import seed_demo

    db = f"sqlite:///{log.parent / 'journal.sqlite3'}"
    seed_demo(db)
    env = {**os.environ, "GABACARE_SECRET_KEY": "bench-secret-key-0123456789abcdef", "GABACARE_ACCESS_LOG": "false",
           "GABACARE_DB": db}
    cmd = [sys.executable, "-c", "from gabacare.cli import main; main()", "serve", "--port", str(port),
           "--log-level", "warning"]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"server did not start:\n{log.read_text()}")


def percentile(sorted_values: list[float], q: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


async def run_round(base: str, method: str, path: str, requests: int, concurrency: int, latencies: list[float],
                    **kwargs: Any) -> tuple[float, int]:
    """One burst of ``requests`` against one target; returns (seconds, errors) and extends ``latencies``."""
    import httpx

    errors = 0
    per_client = [requests // concurrency + (1 if i < requests % concurrency else 0) for i in range(concurrency)]

    async def client_loop(n: int) -> None:
        nonlocal errors
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            extra = dict(kwargs)
            if extra.pop("signed_in", False):  # the demo account's session cookie stays in this client
                from gabacare.web.demo import DEMO_EMAIL, DEMO_PASSWORD

                page = await client.get("/account/sign-in")
                token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
                await client.post("/account/sign-in", data={"email": DEMO_EMAIL, "password": DEMO_PASSWORD,
                                                            "csrf_token": token.group(1) if token else ""})
            if "form" in extra:  # a form needs the page's CSRF cookie and token first
                page = await client.get(path)
                token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
                extra["data"] = {**extra.pop("form"), "csrf_token": token.group(1) if token else ""}
            for _ in range(3):  # warm-up of this connection, not measured
                await client.request(method, path, **extra)
            for _ in range(n):
                t0 = time.perf_counter()
                r = await client.request(method, path, **extra)
                latencies.append((time.perf_counter() - t0) * 1000)
                errors += r.status_code != 200

    t0 = time.perf_counter()
    await asyncio.gather(*(client_loop(n) for n in per_client if n))
    return time.perf_counter() - t0, errors


async def main_async(args: argparse.Namespace, base: str) -> list[Result]:
    targets = [
        ("GET /healthz (baseline)", "GET", "/healthz", {}),
        ("POST /api/v1/titrate", "POST", "/api/v1/titrate", {"json": TITRATE_BODY}),
        ("GET /plan/titrate (page)", "GET", "/plan/titrate", {}),
        ("POST /plan/titrate (HTMX)", "POST", "/plan/titrate",
         {"form": {k: str(v) for k, v in TITRATE_BODY.items()}, "headers": {"hx-request": "true"}}),
        ("GET /patients/1/today", "GET", "/patients/1/today", {"signed_in": True}),
    ]
    # NOTE: the targets take turns in ROUNDS short bursts, so that load from elsewhere on the machine
    # falls on all of them alike instead of on whichever happened to run at the time.
    latencies: dict[str, list[float]] = {name: [] for name, *_ in targets}
    seconds = dict.fromkeys(latencies, 0.0)
    errors = dict.fromkeys(latencies, 0)
    per_round = max(1, args.requests // ROUNDS)
    for _ in range(ROUNDS):
        for name, method, path, kwargs in targets:
            took, failed = await run_round(base, method, path, per_round, args.concurrency, latencies[name], **kwargs)
            seconds[name] += took
            errors[name] += failed
    results = []
    for name in latencies:
        lat = sorted(latencies[name])
        results.append(Result(name, len(lat), seconds[name], percentile(lat, 0.50), percentile(lat, 0.99), errors[name]))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per target (default 2000)")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients (default 8)")
    args = parser.parse_args()
    if args.requests < 1 or args.concurrency < 1:
        parser.error("--requests and --concurrency must be at least 1")

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="gabacare-bench-") as tmp:
        log = Path(tmp) / "server.log"
        proc = start_server(port, log)
        try:
            results = asyncio.run(main_async(args, f"http://127.0.0.1:{port}"))
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    base = results[0]
    print(f"{args.requests} requests per target, {args.concurrency} concurrent clients, one uvicorn worker on 127.0.0.1\n")
    print(f"{'target':28} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'rps ÷ base':>11} {'p50 × base':>11}")
    for r in results:
        print(f"{r.name:28} {r.rps:9.0f} {r.p50_ms:8.2f} {r.p99_ms:8.2f} {r.errors:7d} {r.rps / base.rps:11.2f} "
              f"{r.p50_ms / base.p50_ms:11.2f}")
    return 1 if any(r.errors for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
