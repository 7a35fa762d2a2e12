"""``gabacare serve --workers N``: several processes behind one port, as a clinic's host runs it.

Started for real (a subprocess with two workers, no ``GABACARE_SECRET_KEY`` in its environment): both
workers run, and a form served by one is accepted by the other, because ``serve`` gives every worker
the same signing key. Each request goes on a new connection, so the kernel hands them to either worker.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

import requests

from e2e.harness import LiveServer

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False).stdout
    return [int(p) for p in out.split()]


def test_serve_refuses_zero_workers() -> None:
    from typer.testing import CliRunner

    from gabacare.cli import app

    result = CliRunner().invoke(app, ["serve", "--workers", "0"])
    assert result.exit_code == 2
    assert "--workers" in result.output


def test_two_workers_share_the_form_key_and_the_database() -> None:
    db = Path(tempfile.mkdtemp(prefix="gabacare-workers-")) / "journal.sqlite3"
    env = {"GABACARE_DB": f"sqlite:///{db}", "GABACARE_ACCESS_LOG": "false"}
    with LiveServer(env=env, args=("--workers", "2"), secret_key=None, startup_timeout_s=60) as server:
        assert server._proc is not None
        workers = [p for p in _children(server._proc.pid)
                   if "gabacare" in Path(f"/proc/{p}/cmdline").read_bytes().decode(errors="replace")
                   or "multiprocessing" in Path(f"/proc/{p}/cmdline").read_bytes().decode(errors="replace")]
        assert len(workers) >= 2, server.logs()
        refused = 0
        signed_up = []
        for i in range(12):
            with requests.Session() as s:
                s.headers["Connection"] = "close"  # a new connection each time: either worker may answer
                page = s.get(f"{server.url}/account/sign-up", timeout=30)
                assert page.status_code == 200
                token = _CSRF.search(page.text)
                assert token, "the sign-up form carries a CSRF token"
                answer = s.post(f"{server.url}/account/sign-up", timeout=60, allow_redirects=False, data={
                    "csrf_token": token.group(1), "email": f"worker{i}@example.org",
                    "password": "a long enough passphrase 12",
                    "display_name": f"Worker {i}"})
                refused += answer.status_code == 403
                signed_up.append(answer.status_code)
        assert refused == 0, f"{refused} forms refused as expired or forged: {signed_up}\n{server.logs()}"
        # Every account went into the one database, whichever worker took it.
        import sqlite3

        with sqlite3.connect(db) as con:
            tables = {r[0] for r in con.execute("select name from sqlite_master where type='table'")}
            users = next(t for t in ("users", "accounts", "user") if t in tables)
            count = con.execute(f"select count(*) from {users}").fetchone()[0]  # a name from the list above
        assert count == 12, signed_up
