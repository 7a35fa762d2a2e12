"""Security scaffolding: headers, CSRF, the sign-in rate limiter, Argon2 hashing, user seams."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.testclient import TestClient

from gabacare.web import WebSettings, create_app
from gabacare.web.deps import CurrentUser, bearer_token, require_user
from gabacare.web.security import CSRF_COOKIE, CsrfSigner, SignInRateLimiter

from .conftest import form_token


def test_every_response_carries_the_security_headers(client: TestClient) -> None:
    for path in ("/", "/plan/titrate", "/api/v1/limits?crcl=50", "/api/v1/nothing", "/static/gabacare.css"):
        h = client.get(path).headers
        csp = h["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert h["x-content-type-options"] == "nosniff"
        assert h["referrer-policy"] == "no-referrer"
        assert h["x-frame-options"] == "DENY"


def test_the_csrf_cookie_is_httponly_and_samesite_strict(client: TestClient) -> None:
    cookie = client.get("/plan/titrate").headers["set-cookie"]
    assert cookie.startswith(f"{CSRF_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie
    # The cookie is issued once; later pages reuse it.
    assert "set-cookie" not in client.get("/plan/taper").headers


def test_secure_cookies_setting_marks_the_cookie_secure() -> None:
    app = create_app(WebSettings(secret_key="test-secret-key-0123456789", secure_cookies=True, access_log=False))
    with TestClient(app) as c:
        assert "Secure" in c.get("/").headers["set-cookie"]


def test_a_form_posted_with_its_token_is_accepted(client: TestClient) -> None:
    token = form_token(client.get("/symptoms").text)
    r = client.post("/symptoms", data={"symptoms": "dizzy", "csrf_token": token})
    assert r.status_code == 200 and "Dizziness" in r.text


@pytest.mark.parametrize("token", [None, "", "forged.token.value"])
def test_a_form_without_a_valid_token_is_refused(client: TestClient, token: str | None) -> None:
    client.get("/symptoms")
    data = {"symptoms": "dizzy"} | ({"csrf_token": token} if token is not None else {})
    r = client.post("/symptoms", data=data, headers={"accept": "application/json"})
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"].endswith("/problems/csrf")


def test_a_token_from_another_browser_is_refused(app: FastAPI) -> None:
    with TestClient(app) as alice, TestClient(app) as mallory:
        stolen = form_token(mallory.get("/symptoms").text)
        alice.get("/symptoms")
        r = alice.post("/symptoms", data={"symptoms": "dizzy", "csrf_token": stolen})
        assert r.status_code == 403
        assert "expired" in r.text, "a browser is shown an HTML page saying what to do"


def test_the_token_may_come_as_a_header(client: TestClient) -> None:
    token = form_token(client.get("/symptoms").text)
    r = client.post("/symptoms", data={"symptoms": "dizzy"}, headers={"x-csrf-token": token})
    assert r.status_code == 200


def test_bearer_authenticated_requests_are_exempt(client: TestClient) -> None:
    r = client.post("/symptoms", data={"symptoms": "dizzy"}, headers={"authorization": "Bearer script-token"})
    assert r.status_code == 200


def test_the_json_api_needs_no_csrf_token(client: TestClient) -> None:
    assert client.post("/api/v1/symptoms", json={"symptoms": ["dizzy"]}).status_code == 200


def test_csrf_tokens_expire_and_bind_to_their_nonce() -> None:
    signer = CsrfSigner("k" * 32, max_age_s=60)
    nonce = signer.new_nonce()
    token = signer.token_for(nonce)
    assert signer.valid(token, nonce)
    assert not signer.valid(token, signer.new_nonce())
    assert not signer.valid(token, None)
    assert not CsrfSigner("other-key" * 4, max_age_s=60).valid(token, nonce)
    expired = CsrfSigner("k" * 32, max_age_s=-1)
    assert not expired.valid(token, nonce)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rate_limiter_blocks_after_the_allowed_failures_until_the_window_passes() -> None:
    clock = FakeClock()
    limiter = SignInRateLimiter(attempts=3, window_s=60, clock=clock)
    for _ in range(3):
        assert limiter.check("ana|127.0.0.1").allowed
        limiter.failed("ana|127.0.0.1")
        clock.now += 1
    decision = limiter.check("ana|127.0.0.1")
    assert not decision.allowed
    assert decision.retry_after_s == pytest.approx(57)
    assert limiter.check("bob|127.0.0.1").allowed, "keys are independent"
    clock.now += 57
    assert limiter.check("ana|127.0.0.1").allowed, "the oldest failure has left the window"


def test_rate_limiter_forgets_after_success() -> None:
    limiter = SignInRateLimiter(attempts=1, window_s=60, clock=FakeClock())
    limiter.failed("ana")
    assert not limiter.check("ana").allowed
    limiter.succeeded("ana")
    assert limiter.check("ana").allowed


def test_rate_limiter_refuses_a_meaningless_limit() -> None:
    with pytest.raises(ValueError):
        SignInRateLimiter(attempts=0, window_s=60)


def test_require_user_is_a_401_problem_until_an_auth_backend_is_installed() -> None:
    router = APIRouter()

    @router.get("/api/v1/me")
    def me(user: CurrentUser = Depends(require_user)) -> dict[str, int]:
        return {"id": user.id}

    app = create_app(WebSettings(secret_key="test-secret-key-0123456789", access_log=False), routers=[router])
    with TestClient(app) as c:
        r = c.get("/api/v1/me")
        assert r.status_code == 401 and r.json()["status"] == 401

        class TokenAuth:
            def user_for(self, request: object) -> CurrentUser | None:
                return CurrentUser(1, "Ana") if bearer_token(request) == "t0k3n" else None  # type: ignore[arg-type]

        app.state.auth = TokenAuth()
        assert c.get("/api/v1/me", headers={"authorization": "Bearer t0k3n"}).json() == {"id": 1}
        assert c.get("/api/v1/me", headers={"authorization": "Bearer other"}).status_code == 401


def test_scripts_calling_the_api_get_no_cookie(client: TestClient) -> None:
    assert "set-cookie" not in client.get("/api/v1/limits", params={"crcl": 50}).headers


def test_an_expired_form_under_htmx_gets_an_alert_to_swap_in(client: TestClient) -> None:
    client.get("/symptoms")
    r = client.post("/symptoms", data={"symptoms": "dizzy", "csrf_token": "stale"}, headers={"hx-request": "true"})
    assert r.status_code == 403
    assert r.text.lstrip().startswith('<div class="refused" role="alert">') and "<html" not in r.text


def test_what_people_type_is_escaped_in_pages(client: TestClient) -> None:
    token = form_token(client.get("/symptoms").text)
    r = client.post("/symptoms", data={"symptoms": "<script>alert(1)</script> swollen lips", "csrf_token": token})
    assert "<script>alert(1)</script>" not in r.text
    assert "&lt;script&gt;" in r.text


def test_the_access_log_never_holds_query_strings(caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(WebSettings(secret_key="test-secret-key-0123456789", access_log=True))
    with caplog.at_level("INFO", logger="gabacare.web.access"), TestClient(app) as c:
        c.get("/api/v1/limits", params={"crcl": 23.5, "hemodialysis": "true"})
        c.post("/api/v1/symptoms", json={"symptoms": ["swollen lips"]})
    lines = [r.getMessage() for r in caplog.records if r.name == "gabacare.web.access"]
    assert any(line.startswith("GET /api/v1/limits 200") for line in lines), lines
    assert any(line.startswith("POST /api/v1/symptoms 200") for line in lines), lines
    assert not any("23.5" in line or "swollen" in line or "?" in line for line in lines)


def test_settings_come_from_gabacare_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GABACARE_SECURE_COOKIES", "true")
    monkeypatch.setenv("GABACARE_SIGNIN_ATTEMPTS", "3")
    monkeypatch.setenv("GABACARE_SECRET_KEY", "from-the-environment-123456")
    s = WebSettings()
    assert s.secure_cookies and s.signin_attempts == 3
    assert s.secret_key.get_secret_value() == "from-the-environment-123456"
    assert "from-the-environment" not in repr(s), "the key never shows in logs or tracebacks"
    monkeypatch.delenv("GABACARE_SECRET_KEY")
    assert WebSettings().secret_key.get_secret_value() != WebSettings().secret_key.get_secret_value(), "random per process"
