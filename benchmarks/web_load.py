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

    .venv/bin/python benchmarks/web_load.py [--requests 2000] [--concurrency 8] [--only api]
    .venv/bin/python benchmarks/web_load.py --workers 2 --db postgresql --only today

By default the server runs in one process (uvicorn, one worker), as ``make run`` serves it;
``--workers N`` runs ``gabacare serve --workers N`` (the production shape, docs/deployment.md) and
the CPU column then sums the worker processes. ``--db postgresql`` serves a demo journal on a
throwaway PostgreSQL server started for the run (Debian's server packages, as ``make test`` installs
them) instead of SQLite. The load generator shares the machine, so absolute figures depend on it:
read the ratios.
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
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROUNDS = 5
TITRATE_BODY = {"indication": "postherpetic-neuralgia", "target_mg": 1800, "start": "2026-03-02"}
CHECK_BODY = {"regimen": "600 mg TID", "crcl": 45, "with": ["oxycodone"]}


@dataclass(frozen=True)
class Result:
    name: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    server_cpu_s: float
    client_cpu_s: float

    @property
    def cpu_ms(self) -> float:
        """Server CPU time (user + system) per request, in milliseconds."""
        return self.server_cpu_s * 1000 / self.requests

    @property
    def client_cpu_ms(self) -> float:
        """The load generator's own CPU time per request, in milliseconds."""
        return self.client_cpu_s * 1000 / self.requests

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(port: int, log: Path, db: str, workers: int = 1) -> subprocess.Popen[bytes]:
    from gabacare.web.demo import seed_demo

    seed_demo(db)
    env = {**os.environ, "GABACARE_SECRET_KEY": "bench-secret-key-0123456789abcdef", "GABACARE_ACCESS_LOG": "false",
           "GABACARE_DB": db}
    cmd = [sys.executable, "-c", "from gabacare.cli import main; main()", "serve", "--port", str(port),
           "--log-level", "warning", "--workers", str(workers)]
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


def _stat(pid: int) -> list[str]:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rindex(")") + 2:].split()  # after "pid (comm) ": field 3 is fields[0]


def server_cpu_seconds(pid: int) -> float:
    """User + system CPU time so far of process ``pid`` and of every live process under it (the
    workers of ``serve --workers N``): ``/proc/<pid>/stat`` fields 14 and 15, summed over the tree."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                children.setdefault(int(_stat(int(entry.name))[1]), []).append(int(entry.name))
            except (OSError, IndexError):  # a process that ended meanwhile
                continue
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            fields = _stat(current)
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
        todo += children.get(current, [])
    return total / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    """The 1, 5 and 15 minute load averages and the CPU count, as ``uptime`` shows them."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} CPUs"


def fsync_latency(folder: Path, n: int = 40) -> tuple[float, float]:
    """The p50 and p99 wall milliseconds of writing 4 kB to a file in ``folder`` and ``fsync``-ing it.

    Every signed-in page view answers only after its audit row is committed, and a commit waits for
    an fsync (SQLite's WAL; PostgreSQL's, whose throwaway server keeps ``fsync`` on): on a disk shared
    with other work that wait, not the CPU, can set the Today page's p99 (the audit write alone took
    p99 14-95 ms of wall time here in different minutes). Printed with the load average so that a
    run's latencies can be read.
    """
    times = []
    path = folder / "fsync-probe"
    with path.open("wb") as f:
        for _ in range(n):
            t0 = time.perf_counter()
            f.write(b"\0" * 4096)
            f.flush()
            os.fsync(f.fileno())
            times.append((time.perf_counter() - t0) * 1000)
    path.unlink()
    times.sort()
    return percentile(times, 0.50), percentile(times, 0.99)


def percentile(sorted_values: list[float], q: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


class RawConnection:
    """One keep-alive HTTP/1.1 connection that sends one prepared request again and again.

    NOTE: the load generator shares the 2 CPUs with the server, so it must cost far less than the
    server per request: httpx's client took about 6 ms of CPU per request here (the server under
    test about 1-3 ms), so it, not the server, set the pace. httpx still does the set-up (sign-in,
    CSRF token); the measured requests are written as bytes and read back by Content-Length.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes,
                 address: tuple[str, int] | None = None) -> None:
        self.reader, self.writer, self.request = reader, writer, request
        self.address = address

    async def send(self) -> int:
        """Send the request, read the whole response; return its status code.

        A connection the server closed while it sat idle (uvicorn drops keep-alive connections after
        5 s: setting up eight signed-in clients on a busy machine takes longer) is opened again once.
        """
        try:
            return await self._send()
        except (asyncio.IncompleteReadError, ConnectionResetError):
            if self.address is None:
                raise
            self.writer.close()
            self.reader, self.writer = await asyncio.open_connection(*self.address)
            return await self._send()

    async def _send(self) -> int:
        self.writer.write(self.request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = re.search(rb"\r\ncontent-length: *(\d+)", head, re.IGNORECASE)
        if length:
            await self.reader.readexactly(int(length.group(1)))
        elif re.search(rb"\r\ntransfer-encoding: *chunked", head, re.IGNORECASE):
            while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                await self.reader.readexactly(size + 2)
            await self.reader.readuntil(b"\r\n")
        return status

    def close(self) -> None:
        self.writer.close()


def raw_request(method: str, path: str, host: str, cookies: dict[str, str], json_body: Any = None,
                data: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> bytes:
    """The bytes of one HTTP/1.1 request with its cookies, and a JSON or form body."""
    import json
    from urllib.parse import urlencode

    lines = [f"{method} {path} HTTP/1.1", f"host: {host}", "accept: */*"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if cookies:
        lines.append("cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()))
    body = b""
    if json_body is not None:
        body = json.dumps(json_body).encode()
        lines.append("content-type: application/json")
    elif data is not None:
        body = urlencode(data).encode()
        lines.append("content-type: application/x-www-form-urlencoded")
    if body or method == "POST":
        lines.append(f"content-length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def open_client(base: str, method: str, path: str, **kwargs: Any) -> RawConnection:
    """Set one client up (sign-in, CSRF cookie and token with httpx), open its connection, warm it up."""
    import httpx

    extra = dict(kwargs)
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        if extra.pop("signed_in", False):  # the demo account's session cookie goes with every request
            from gabacare.web.demo import DEMO_EMAIL, DEMO_PASSWORD

            page = await client.get("/account/sign-in")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            await client.post("/account/sign-in", data={"email": DEMO_EMAIL, "password": DEMO_PASSWORD,
                                                        "csrf_token": token.group(1) if token else ""})
        if "form" in extra:  # a form needs the page's CSRF cookie and token first
            page = await client.get(path)
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            extra["data"] = {**extra.pop("form"), "csrf_token": token.group(1) if token else ""}
        cookies = {name: value for name, value in client.cookies.items()}
    host, port = base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    conn = RawConnection(reader, writer, raw_request(method, path, f"{host}:{port}", cookies,
                                                     json_body=extra.get("json"), data=extra.get("data"),
                                                     headers=extra.get("headers")), (host, int(port)))
    for _ in range(3):  # warm-up of this connection, not measured
        if (status := await conn.send()) != 200:
            raise SystemExit(f"{method} {path}: the warm-up request failed (status {status})")
    return conn


async def run_round(base: str, server_pid: int, method: str, path: str, requests: int, concurrency: int,
                    latencies: list[float], rate: float | None = None, **kwargs: Any) -> tuple[float, int, float, float]:
    """One burst of ``requests`` against one target, after every client is set up and warmed up.

    Closed loop by default (each client sends its next request as soon as the last one answered: the
    server's saturation throughput, and the latency at it). With ``rate``, open loop: requests are sent
    at ``rate`` per second over the ``concurrency`` connections, each timed from when it was due.

    Returns (seconds, errors, server CPU seconds, load generator CPU seconds) of the measured
    requests only, and extends ``latencies``.
    """
    errors = 0
    per_client = [requests // concurrency + (1 if i < requests % concurrency else 0) for i in range(concurrency)]
    # One client after another: the server lets only a few password checks run at once.
    conns = [await open_client(base, method, path, **kwargs) for n in per_client if n]

    async def client_loop(conn: RawConnection, n: int) -> None:
        nonlocal errors
        for _ in range(n):
            t0 = time.perf_counter()
            status = await conn.send()
            latencies.append((time.perf_counter() - t0) * 1000)
            errors += status != 200

    async def paced() -> None:
        # Open loop: request i is due at start + i / rate whether or not earlier ones have answered, and
        # its latency counts from that moment, so time spent waiting for a free connection is counted
        # too (no "coordinated omission": a slow server cannot slow the clock that measures it).
        nonlocal errors
        idle: asyncio.Queue[RawConnection] = asyncio.Queue()
        for conn in conns:
            idle.put_nowait(conn)

        async def one(due: float) -> None:
            nonlocal errors
            conn = await idle.get()
            try:
                status = await conn.send()
            finally:
                idle.put_nowait(conn)
            latencies.append((time.perf_counter() - due) * 1000)
            errors += status != 200

        start, tasks = time.perf_counter(), []
        for i in range(requests):
            due = start + i / rate
            if (wait := due - time.perf_counter()) > 0:
                await asyncio.sleep(wait)
            tasks.append(asyncio.create_task(one(due)))
        await asyncio.gather(*tasks)

    cpu0, own0, t0 = server_cpu_seconds(server_pid), time.process_time(), time.perf_counter()
    if rate:
        await paced()
    else:
        await asyncio.gather(*(client_loop(conn, n) for conn, n in zip(conns, per_client, strict=False)))
    took = time.perf_counter() - t0
    cpu, own = server_cpu_seconds(server_pid) - cpu0, time.process_time() - own0
    for conn in conns:
        conn.close()
    return took, errors, cpu, own


async def main_async(args: argparse.Namespace, base: str, server_pid: int) -> list[Result]:
    targets = [
        ("GET /healthz (baseline)", "GET", "/healthz", {}),
        ("POST /api/v1/titrate", "POST", "/api/v1/titrate", {"json": TITRATE_BODY}),
        ("GET /api/v1/limits", "GET", "/api/v1/limits?crcl=45", {}),
        ("POST /api/v1/check", "POST", "/api/v1/check", {"json": CHECK_BODY}),
        ("GET /plan/titrate (page)", "GET", "/plan/titrate", {}),
        ("POST /plan/titrate (HTMX)", "POST", "/plan/titrate",
         {"form": {k: str(v) for k, v in TITRATE_BODY.items()}, "headers": {"hx-request": "true"}}),
        ("GET /patients/1/today", "GET", "/patients/1/today", {"signed_in": True}),
    ]
    if args.only:
        targets = targets[:1] + [t for t in targets[1:] if any(word.lower() in t[0].lower() for word in args.only)]
    # NOTE: the targets take turns in ROUNDS short bursts, so that load from elsewhere on the machine
    # falls on all of them alike instead of on whichever happened to run at the time.
    latencies: dict[str, list[float]] = {name: [] for name, *_ in targets}
    seconds = dict.fromkeys(latencies, 0.0)
    errors = dict.fromkeys(latencies, 0)
    cpu = dict.fromkeys(latencies, 0.0)
    client_cpu = dict.fromkeys(latencies, 0.0)
    per_round = max(1, args.requests // ROUNDS)
    for _ in range(ROUNDS):
        for name, method, path, kwargs in targets:
            took, failed, server_cpu, own_cpu = await run_round(base, server_pid, method, path, per_round,
                                                                args.concurrency, latencies[name], args.rate,
                                                                **kwargs)
            cpu[name] += server_cpu
            client_cpu[name] += own_cpu
            seconds[name] += took
            errors[name] += failed
    results = []
    for name in latencies:
        lat = sorted(latencies[name])
        results.append(Result(name, len(lat), seconds[name], percentile(lat, 0.50), percentile(lat, 0.99), errors[name],
                              cpu[name], client_cpu[name]))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per target (default 2000)")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--rate", type=float, metavar="PER_S",
                        help="open loop: offer this many requests per second per target (each timed from when it "
                             "was due) instead of sending each client's next request as soon as the last answered")
    parser.add_argument("--only", nargs="+", metavar="WORD", help="only the targets whose name holds one of these words")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes (default 1)")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite",
                        help="the journal the server uses (default sqlite; postgresql starts a throwaway server)")
    args = parser.parse_args()
    if args.requests < 1 or args.concurrency < 1 or args.workers < 1:
        parser.error("--requests, --concurrency and --workers must be at least 1")
    if args.rate is not None and not 0 < args.rate <= 100_000:
        parser.error("--rate must be above 0 and at most 100000 requests per second")

    port = free_port()
    load_before = load_average()
    with tempfile.TemporaryDirectory(prefix="gabacare-bench-") as tmp, ExitStack() as stack:
        log = Path(tmp) / "server.log"
        if args.db == "postgresql":
            sys.path.insert(0, str(Path(__file__).parent))
            from journal_insert import throwaway_postgres

            db = stack.enter_context(throwaway_postgres())
        else:
            db = f"sqlite:///{Path(tmp) / 'journal.sqlite3'}"
        proc = start_server(port, log, db, args.workers)
        try:
            fsync_before = fsync_latency(Path(tmp))
            results = asyncio.run(main_async(args, f"http://127.0.0.1:{port}", proc.pid))
            fsync_after = fsync_latency(Path(tmp))
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    base = results[0]
    workers = "one uvicorn worker" if args.workers == 1 else f"{args.workers} uvicorn workers"
    pace = (f"offered at {args.rate:g} req/s over {args.concurrency} connections (open loop)" if args.rate
            else f"{args.concurrency} concurrent clients")
    print(f"{args.requests} requests per target, {pace}, {workers} on 127.0.0.1, "
          f"journal on {'PostgreSQL' if args.db == 'postgresql' else 'SQLite'}")
    print(f"before: {load_before}; fsync of 4 kB p50 {fsync_before[0]:.1f} ms, p99 {fsync_before[1]:.1f} ms")
    print(f"after:  {load_average()}; fsync of 4 kB p50 {fsync_after[0]:.1f} ms, p99 {fsync_after[1]:.1f} ms\n")
    print(f"{'target':28} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'CPU ms':>7} {'errors':>6} {'rps ÷ base':>10} "
          f"{'p50 × base':>10} {'p99 × base':>10} {'CPU × base':>10} {'gen CPU ms':>10}")
    for r in results:
        print(f"{r.name:28} {r.rps:7.0f} {r.p50_ms:7.2f} {r.p99_ms:7.2f} {r.cpu_ms:7.3f} {r.errors:6d} "
              f"{r.rps / base.rps:10.2f} {r.p50_ms / base.p50_ms:10.2f} {r.p99_ms / base.p99_ms:10.2f} "
              f"{r.cpu_ms / base.cpu_ms if base.cpu_ms else float('nan'):10.2f} {r.client_cpu_ms:10.3f}")
    print("\nCPU ms: the server process's user + system CPU time per measured request (/proc/<pid>/stat, "
          f"{1000 / os.sysconf('SC_CLK_TCK'):g} ms ticks); gen CPU ms: the load generator's own.")
    return 1 if any(r.errors for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
