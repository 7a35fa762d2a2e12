"""``gabacare serve --workers N`` signs forms with the key file beside a SQLite journal (issue 18 item 4).

Started for real, twice on the same journal without ``GABACARE_SECRET_KEY``: forms served by the first
run are accepted by the second (the workers of both runs read ``journal.sqlite3.form-key``; before,
each run put a fresh random key in the workers' environment and every open form broke on restart).
With ``GABACARE_SECRET_KEY`` set, that key wins over the file.
"""

from __future__ import annotations

import re
import stat
import tempfile
from pathlib import Path

import requests

from e2e.harness import LiveServer
from gabacare.web.security import CSRF_COOKIE, CsrfSigner

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
FORMS = 6
ENV_KEY = "an-operator-set-key-0123456789abcdef"


def _open_forms(url: str) -> list[tuple[requests.Session, str]]:
    """Sign-up pages opened in ``FORMS`` browsers (each its own nonce cookie), new connections each."""
    opened = []
    for _ in range(FORMS):
        s = requests.Session()
        s.headers["Connection"] = "close"  # either worker may answer
        page = s.get(f"{url}/account/sign-up", timeout=30)
        assert page.status_code == 200
        token = _CSRF.search(page.text)
        assert token
        opened.append((s, token.group(1)))
    return opened


def _send(url: str, forms: list[tuple[requests.Session, str]], tag: str) -> list[int]:
    answers = []
    for i, (s, token) in enumerate(forms):
        r = s.post(f"{url}/account/sign-up", timeout=60, allow_redirects=False, data={
            "csrf_token": token, "email": f"{tag}{i}@example.org", "password": "a long enough passphrase 12",
            "display_name": f"Worker {i}"})
        answers.append(r.status_code)
    return answers


def test_forms_outlive_a_restart_of_a_multi_worker_server_and_the_env_key_wins() -> None:
    db = Path(tempfile.mkdtemp(prefix="gabacare-workers-key-")) / "journal.sqlite3"
    env = {"GABACARE_DB": f"sqlite:///{db}", "GABACARE_ACCESS_LOG": "false"}
    key_file = db.with_name(db.name + ".form-key")
    first = LiveServer(env=env, args=("--workers", "2"), secret_key=None, startup_timeout_s=60)
    with first:
        forms = _open_forms(first.url)
    assert key_file.exists() and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text(encoding="ascii").strip()
    assert all(CsrfSigner(key, 3600).valid(t, s.cookies[CSRF_COOKIE]) for s, t in forms), "signed with the file's key"

    second = LiveServer(env=env, args=("--workers", "2"), secret_key=None, startup_timeout_s=60)
    second.port, second.url = first.port, first.url  # the same address, as a restart keeps it
    with second:
        answers = _send(second.url, forms[: FORMS // 2], "restart")
        later = _open_forms(second.url)
    assert answers == [303] * (FORMS // 2), f"forms refused after the restart: {answers}\n{second.logs()}"
    assert key_file.read_text(encoding="ascii").strip() == key, "the key file is kept, not replaced"

    third = LiveServer(env=env, args=("--workers", "2"), secret_key=ENV_KEY, startup_timeout_s=60)
    third.port, third.url = first.port, first.url
    with third:
        refused = _send(third.url, forms[FORMS // 2:], "envkey")
        fresh = _open_forms(third.url)
        accepted = _send(third.url, fresh, "fresh")
    assert refused == [403] * (FORMS - FORMS // 2), f"GABACARE_SECRET_KEY must win over the key file: {refused}"
    assert accepted == [303] * FORMS, f"{accepted}\n{third.logs()}"
    assert all(CsrfSigner(ENV_KEY, 3600).valid(t, s.cookies[CSRF_COOKIE]) for s, t in fresh)
    assert not any(CsrfSigner(ENV_KEY, 3600).valid(t, s.cookies[CSRF_COOKIE]) for s, t in later)
    for server in (first, second, third):
        server.cleanup()
