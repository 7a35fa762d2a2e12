"""Two real server processes on one PostgreSQL database share every piece of web state (issue 14).

Servers A and B are separate ``gabacare serve`` processes (as on two hosts) with the same
``GABACARE_SECRET_KEY`` and ``GABACARE_DB``. Shown: (a) a session started on A is valid on B; (b) failed
sign-ins on A count on B (B answers 429 once the limit is reached across both); (c) a CDS Hooks JWT
accepted by A is refused by B as a replay; (d) the same CDS feedback posted to A then B is stored once.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric import ec

from e2e.harness import LiveServer

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
BASE = "https://gabacare.example"
ISS = "https://ehr.example/issuer"
PASSWORD = "a long enough passphrase 12"


def _token(key: Any, path: str, jti: str | None = None) -> str:
    now = int(time.time())
    claims = {"iss": ISS, "aud": BASE + path, "exp": now + 120, "iat": now, "jti": jti or str(uuid.uuid4())}
    return jwt.encode(claims, key, algorithm="ES384", headers={"kid": "ec-1", "typ": "JWT"})


def _form(s: requests.Session, url: str) -> str:
    page = s.get(url, timeout=30)
    assert page.status_code == 200, page.text[:300]
    found = _CSRF.search(page.text)
    assert found
    return found.group(1)


def _sign_in(s: requests.Session, server: LiveServer, email: str, password: str) -> requests.Response:
    token = _form(s, f"{server.url}/account/sign-in")
    return s.post(f"{server.url}/account/sign-in", timeout=60, allow_redirects=False,
                  data={"csrf_token": token, "email": email, "password": password, "next": "/patients"})


@pytest.fixture
def servers(pg_url: str, tmp_path: Path) -> Any:
    from gabacare.journal.db import make_engine
    from gabacare.web.shared_state import tables

    engine = make_engine(pg_url)
    tables().metadata.create_all(engine)  # no-op: migration 0005 made them
    with engine.begin() as conn:
        for t in (tables().failures, tables().seen_jti, tables().feedback):
            conn.execute(t.delete())
    key = ec.generate_private_key(ec.SECP384R1())
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    jwk.update(kid="ec-1", alg="ES384")
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [jwk]}))
    env = {"GABACARE_DB": pg_url, "GABACARE_ACCESS_LOG": "false", "GABACARE_SIGNIN_ATTEMPTS": "4",
           "GABACARE_PUBLIC_BASE_URL": BASE, "GABACARE_CDS_ISSUERS": ISS, "GABACARE_CDS_JWKS_FILE": str(jwks),
           "GABACARE_CDS_REQUIRE_JWT": "true"}
    secret = "two-servers-secret-key-0123456789abcdef"
    with LiveServer(env=env, secret_key=secret, startup_timeout_s=60) as a, \
            LiveServer(env=env, secret_key=secret, startup_timeout_s=60) as b:
        yield a, b, key, engine
    engine.dispose()


def test_two_servers_on_one_database_share_sessions_throttle_jti_and_feedback(servers: Any) -> None:
    a, b, key, engine = servers
    assert a.port != b.port

    # (a) a session started on A is valid on B.
    with requests.Session() as on_a:
        token = _form(on_a, f"{a.url}/account/sign-up")
        made = on_a.post(f"{a.url}/account/sign-up", timeout=60, allow_redirects=False, data={
            "csrf_token": token, "email": "shared@example.org", "password": PASSWORD, "display_name": "Shared"})
        assert made.status_code in (302, 303), made.text[:500]
        session = on_a.cookies.get("gabacare_session")
        if session is None:  # sign-up without a session: sign in on A
            assert _sign_in(on_a, a, "shared@example.org", PASSWORD).status_code == 303
            session = on_a.cookies.get("gabacare_session")
        assert session
    with requests.Session() as on_b:
        on_b.cookies.set("gabacare_session", session)
        page = on_b.get(f"{b.url}/patients", timeout=30, allow_redirects=False)
        assert page.status_code == 200, (page.status_code, b.logs())
    with requests.Session() as nobody:
        assert nobody.get(f"{b.url}/patients", timeout=30, allow_redirects=False).status_code in (302, 303)

    # (b) failed sign-ins on A count on B: 4 allowed per account and address across both servers.
    answers = []
    for server in (a, a, b, b):
        with requests.Session() as s:
            answers.append(_sign_in(s, server, "victim@example.org", "wrong password 1").status_code)
    assert answers == [401, 401, 401, 401]
    with requests.Session() as s:
        refused = _sign_in(s, b, "victim@example.org", "wrong password 1")
    assert refused.status_code == 429, (refused.status_code, b.logs())
    assert int(refused.headers["retry-after"]) > 0
    with requests.Session() as s:  # and on A too
        assert _sign_in(s, a, "victim@example.org", "wrong password 1").status_code == 429

    # (c) a CDS Hooks JWT accepted on A is refused on B as a replay.
    path = "/cds-services"
    jwt_once = _token(key, path)
    first = requests.get(f"{a.url}{path}", headers={"authorization": f"Bearer {jwt_once}"}, timeout=30)
    assert first.status_code == 200, (first.text, a.logs())
    replay = requests.get(f"{b.url}{path}", headers={"authorization": f"Bearer {jwt_once}"}, timeout=30)
    assert replay.status_code == 401
    assert "already used" in replay.json()["issue"][0]["diagnostics"]
    fresh = requests.get(f"{b.url}{path}", headers={"authorization": f"Bearer {_token(key, path)}"}, timeout=30)
    assert fresh.status_code == 200  # B itself accepts tokens: the refusal was the replay

    # (d) the same feedback posted to A then B is stored once.
    fpath = "/cds-services/gabacare-order-sign/feedback"
    body = {"feedback": [{"card": "card-two-servers", "outcome": "accepted", "acceptedSuggestions": [{"id": "s1"}],
                          "outcomeTimestamp": "2025-06-01T12:05:00Z"}]}
    on_a_fb = requests.post(f"{a.url}{fpath}", json=body, timeout=30,
                            headers={"authorization": f"Bearer {_token(key, fpath)}"})
    on_b_fb = requests.post(f"{b.url}{fpath}", json=body, timeout=30,
                            headers={"authorization": f"Bearer {_token(key, fpath)}"})
    assert (on_a_fb.status_code, on_a_fb.json()) == (200, {"stored": 1, "duplicates": 0}), on_a_fb.text
    assert (on_b_fb.status_code, on_b_fb.json()) == (200, {"stored": 0, "duplicates": 1}), on_b_fb.text
    from gabacare.web.shared_state import tables

    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(tables().feedback)).scalar_one() == 1
        jti_rows = conn.execute(sa.select(sa.func.count()).select_from(tables().seen_jti)).scalar_one()
    assert jti_rows == 4  # two discovery calls and two feedback posts, each token once
