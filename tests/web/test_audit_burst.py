"""Audit rows are never lost to a crash: a real server on SQLite answers a burst of concurrent audited
reads, is killed with SIGKILL in the middle, and every read it answered with 200 has its audit row.

The rows of concurrent requests share transactions (accounts/audit_writer.py), but a request answers
only after its row is committed, so no acknowledged read can be missing from the log."""

from __future__ import annotations

import signal
import sqlite3
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from e2e.harness import LiveServer


def test_every_answered_read_is_in_the_audit_log_after_a_kill_mid_burst() -> None:
    from gabacare.composition import accounts, close_stores

    db = Path(tempfile.mkdtemp(prefix="gabacare-audit-")) / "journal.sqlite3"
    url = f"sqlite:///{db}"
    acc = accounts(url)
    user = acc.sign_up("burst@example.org", "a long enough passphrase 12", "Burst")
    pid = acc.create_patient_for(user, "Burst patient").id
    token, _ = acc.create_api_token(user, "burst")
    close_stores()
    with sqlite3.connect(db) as con:
        before = con.execute("select count(*) from audit_log where patient_id = ?", (pid,)).fetchone()[0]

    answered = 0
    lock = threading.Lock()
    stop = threading.Event()

    def read() -> None:
        nonlocal answered
        with requests.Session() as s:
            s.headers["authorization"] = f"Bearer {token}"
            while not stop.is_set():
                try:
                    r = s.get(f"{server.url}/api/v1/patients/{pid}/today", timeout=10)
                except requests.RequestException:
                    return  # the server is gone
                if r.status_code == 200:
                    with lock:
                        answered += 1

    env = {"GABACARE_DB": url, "GABACARE_ACCESS_LOG": "false"}
    with LiveServer(env=env, startup_timeout_s=60) as server:
        assert server._proc is not None
        with ThreadPoolExecutor(max_workers=8) as pool:
            for _ in range(8):
                pool.submit(read)
            while True:  # kill once a good number of reads has been answered
                with lock:
                    if answered >= 120:
                        break
                threading.Event().wait(0.01)
            server._proc.send_signal(signal.SIGKILL)
            server._proc.wait(10)
            stop.set()
    with sqlite3.connect(db) as con:
        logged = con.execute("select count(*) from audit_log where patient_id = ? and action = 'read'",
                             (pid,)).fetchone()[0] - 0
        after = con.execute("select count(*) from audit_log where patient_id = ?", (pid,)).fetchone()[0]
    assert answered >= 120
    # Every answered read has its row; a read killed before answering may have one too, never the reverse.
    assert after - before >= answered, (after - before, answered)
    assert logged >= answered
