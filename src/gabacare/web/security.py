"""Security building blocks of the web app that need no storage.

* :class:`SecurityMiddleware` (pure ASGI): security headers on every response (a CSP allowing only
  this origin, no framing, no sniffing, no referrer) and the CSRF cookie.
* CSRF, double-submit with a signed token: the browser holds a random nonce in an HttpOnly,
  SameSite=Strict cookie; each form carries ``csrf_token``, the nonce signed (itsdangerous, with a
  timestamp) by the server key. :func:`require_csrf` accepts an unsafe request when the token (form
  field or ``X-CSRF-Token`` header) unsigns to the cookie's nonce and is younger than
  ``csrf_max_age_s``. Requests that authenticate with ``Authorization: Bearer`` (scripts) carry no
  ambient credentials and are exempt.
* A page form whose token is only *old* (signed here or with a retired key, bound to this browser's
  nonce, but past ``csrf_max_age_s``) is not lost: :func:`require_csrf` raises :class:`CsrfExpired`
  carrying what was typed, and the pages answer 403 with that input in a form with a fresh token and
  a "Send again" button (web/auth.py). 403 rather than 409: nothing was done, exactly as for any
  refused CSRF check, so clients that treat 403 as "refused, not stored" stay right; the page is the
  difference. Password and code fields are never echoed, files cannot be, and a token that does not
  unsign, or unsigns to another browser's nonce, is refused as before without echoing anything (an
  attacker cannot make a victim's browser show a pre-filled form: the nonce cookie is HttpOnly and
  SameSite=Strict).
* :class:`SignInRateLimiter`: failed sign-ins per key in a sliding window, in memory (its database
  twin, shared by every process, is :class:`gabacare.web.shared_state.SqlSignInRateLimiter`).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from starlette.requests import Request

from gabacare._record import record
from gabacare.journal.settings import SESSION_MAX_TTL
from gabacare.web.problems import ProblemError

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "CSRF_COOKIE",
    "CSRF_COOKIE_MAX_AGE_S",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "PRIVATE_PREFIXES",
    "SECURITY_HEADERS",
    "SESSION_COOKIE",
    "CsrfExpired",
    "CsrfSigner",
    "RateDecision",
    "SecurityMiddleware",
    "SignInRateLimiter",
    "csrf_token",
    "require_csrf",
]

CSRF_COOKIE = "gabacare_csrf"
#: The nonce cookie outlives a browser restart for as long as the longest ("stay signed in") session,
#: so a form left open on a trusted device still matches its browser when it is sent.
CSRF_COOKIE_MAX_AGE_S = int(SESSION_MAX_TTL.total_seconds())
#: Paths whose answers carry health data or account state: never stored by a browser, a proxy or the
#: service worker (``Cache-Control: no-store``; after sign-out, Back shows nothing private).
PRIVATE_PREFIXES = ("/patients", "/account", "/api/", "/share", "/cds-services", "/fhir")
#: The sign-in session cookie (set by web/auth.py).
SESSION_COOKIE = "gabacare_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

#: Sent with every response. Pages load scripts and styles only from this origin (htmx and Pico are
#: vendored), so nothing inline is needed; frames are refused both ways.
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("content-security-policy",
     "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
     "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    ("cross-origin-opener-policy", "same-origin"),
    ("permissions-policy", "camera=(), microphone=(), geolocation=(), payment=()"),
)


CsrfVerdict = Literal["ok", "expired", "forged"]


class CsrfSigner:
    """Signs a browser's CSRF nonce into form tokens and checks them back.

    ``secret_key`` signs; ``previous_keys`` (retired keys, e.g. after a rotation) are only recognised,
    so a form made before the rotation is answered as expired (re-shown, sent again) rather than
    forged. ``clock`` (seconds since the epoch) is injectable for tests.
    """

    def __init__(self, secret_key: str, max_age_s: int, *, previous_keys: tuple[str, ...] = (),
                 clock: Callable[[], float] = time.time) -> None:
        class _Signer(TimestampSigner):
            def get_timestamp(self) -> int:
                return int(clock())

        self._serializer = URLSafeTimedSerializer(secret_key, salt="gabacare-csrf", signer=_Signer)
        self._retired = (URLSafeTimedSerializer(list(previous_keys), salt="gabacare-csrf", signer=_Signer)
                         if previous_keys else None)
        self.max_age_s = max_age_s

    @staticmethod
    def new_nonce() -> str:
        return secrets.token_urlsafe(24)

    def token_for(self, nonce: str) -> str:
        """A form token bound to ``nonce`` (the cookie's value)."""
        return self._serializer.dumps(nonce)

    def verdict(self, token: str | None, nonce: str | None) -> CsrfVerdict:
        """``ok`` for a token signed here, younger than ``max_age_s``, carrying ``nonce``; ``expired``
        for one that carries ``nonce`` under a valid signature but is too old or signed with a retired
        key; ``forged`` for anything else (missing, bad signature, another browser's nonce)."""
        if not token or not nonce:
            return "forged"
        try:
            signed = self._serializer.loads(token, max_age=self.max_age_s)
            fresh = True
        except SignatureExpired:
            signed, fresh = self._serializer.loads(token), False  # the signature is good, only the age is not
        except BadSignature:
            signed, fresh = self._retired_payload(token), False
        if not isinstance(signed, str) or not secrets.compare_digest(signed, nonce):
            return "forged"
        return "ok" if fresh else "expired"

    def _retired_payload(self, token: str) -> object:
        if self._retired is None:
            return None
        try:
            return self._retired.loads(token)
        except BadSignature:
            return None

    def valid(self, token: str | None, nonce: str | None) -> bool:
        """True when ``token`` was signed here, is not expired and carries ``nonce``."""
        return self.verdict(token, nonce) == "ok"


def _cookie_value(headers: list[tuple[bytes, bytes]], name: str) -> str | None:
    from http.cookies import SimpleCookie

    for key, value in headers:
        if key == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed Cookie header is ignored, as browsers would
                continue
            if name in jar:
                return jar[name].value
    return None


class SecurityMiddleware:
    """Adds :data:`SECURITY_HEADERS` to every response and gives each browser a CSRF nonce cookie.

    The nonce is exposed to routes and templates as ``request.state.csrf_nonce``.
    """

    def __init__(self, app: ASGIApp, *, secure_cookies: bool = False) -> None:
        self.app = app
        self.secure_cookies = secure_cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = _cookie_value(scope.get("headers", []), CSRF_COOKIE)
        fresh = nonce is None or not (16 <= len(nonce) <= 64)
        if fresh:
            nonce = CsrfSigner.new_nonce()
        # Scripts calling the API or the CDS Hooks service, and static files, get no cookie: only
        # pages carry forms.
        path = str(scope.get("path", ""))
        fresh = fresh and not path.startswith(("/api/", "/static/", "/cds-services"))
        scope.setdefault("state", {})["csrf_nonce"] = nonce
        # A private path, or any page seen while signed in, is never stored (the route may say more).
        private = path.startswith(PRIVATE_PREFIXES) or (
            not path.startswith("/static/") and _cookie_value(scope.get("headers", []), SESSION_COOKIE) is not None)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers.extend((k.encode(), v.encode()) for k, v in SECURITY_HEADERS if k.encode() not in present)
                if private and b"cache-control" not in present:
                    headers.append((b"cache-control", b"private, no-store"))
                if fresh:
                    cookie = f"{CSRF_COOKIE}={nonce}; Path=/; Max-Age={CSRF_COOKIE_MAX_AGE_S}; HttpOnly; SameSite=Strict"
                    headers.append((b"set-cookie", (cookie + ("; Secure" if self.secure_cookies else "")).encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def csrf_token(request: Request) -> str:
    """The token to put in a form's hidden ``csrf_token`` field (templates call this).

    Signed once per request: a page with a dozen forms (Today has one per dose) would otherwise sign
    the same nonce a dozen times, each an HMAC and a serialisation, all giving equally valid tokens."""
    found: str | None = getattr(request.state, "csrf_signed", None)
    if found is None:
        signer: CsrfSigner = request.app.state.csrf
        found = request.state.csrf_signed = signer.token_for(request.state.csrf_nonce)
    return found


#: Form fields never shown back on the "send again" page: passwords (sign-in, sign-up, password change,
#: deletion), one-time reset codes and share tokens. Any field whose name contains "password" is dropped too.
SECRET_FIELDS = frozenset({"password", "current", "new", "repeat", "code", "token", CSRF_FIELD})
#: Bounds on what a "send again" page carries back (the body itself is bounded by max_body_bytes): a
#: larger form is refused as before rather than echoed, since echoing part of it would change what is sent.
RESEND_MAX_FIELDS = 200
RESEND_MAX_CHARS = 64 * 1024


class CsrfExpired(ProblemError):
    """A page form whose CSRF token is only old: ``fields`` are what was typed, in order, for the "send
    again" page; ``secrets`` names the password and code fields left out (to be typed again), ``files``
    the file fields (which cannot be put back into a form)."""

    def __init__(self, fields: list[tuple[str, str]], secrets: list[str], files: list[str]) -> None:
        super().__init__(403, "csrf", "This form was open too long to be accepted as it was. Check what you "
                         "typed and send it again.")
        self.fields = fields
        self.secrets = secrets
        self.files = files


def _is_secret(name: str) -> bool:
    return name in SECRET_FIELDS or "password" in name.lower()


def _resend_fields(form: object) -> tuple[list[tuple[str, str]], list[str], list[str]] | None:
    """The form's text fields without secrets, the secret and the file fields' names; None when too big."""
    items = form.multi_items() if hasattr(form, "multi_items") else []
    fields: list[tuple[str, str]] = []
    secret_names: list[str] = []
    files: list[str] = []
    size = 0
    for name, value in items:
        if name == CSRF_FIELD:
            continue
        if not isinstance(value, str):  # a file cannot be put back into a form
            files.append(name)
        elif _is_secret(name):
            if name not in secret_names:
                secret_names.append(name)
        else:
            size += len(name) + len(value)
            fields.append((name, value))
        if len(fields) > RESEND_MAX_FIELDS or size > RESEND_MAX_CHARS:
            return None
    return fields, secret_names, files


async def require_csrf(request: Request) -> None:
    """FastAPI dependency: refuse an unsafe request without a valid CSRF token (403 problem).

    Safe methods and Bearer-authenticated requests pass. The token may come as the form field
    ``csrf_token`` or the ``X-CSRF-Token`` header. A form field token that is only old
    (:meth:`CsrfSigner.verdict` ``expired``) raises :class:`CsrfExpired` with the typed fields, so a
    page can offer to send them again; every other failure raises the plain ``csrf`` problem.
    """
    if request.method in _SAFE_METHODS:
        return
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return
    token = request.headers.get(CSRF_HEADER)
    form = None
    if token is None:
        ctype = request.headers.get("content-type", "")
        if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            token = value if isinstance(value, str) else None
    signer: CsrfSigner = request.app.state.csrf
    verdict = signer.verdict(token, getattr(request.state, "csrf_nonce", None))
    if verdict == "ok":
        return
    if verdict == "expired" and form is not None:
        kept = _resend_fields(form)
        if kept is not None:
            raise CsrfExpired(*kept)
    raise ProblemError(403, "csrf", "This form has expired or did not come from GabaCare. Reload the page and send it again.")


@record
class RateDecision:
    """Whether an attempt may go ahead, and if not, after how many seconds it may."""

    allowed: bool
    retry_after_s: float


class SignInRateLimiter:
    """At most ``attempts`` failures per key (e.g. account + address) within ``window_s`` seconds.

    In memory and per process: used when no database is named (the local-first single server) and in
    tests. With a database named, ``create_app`` installs
    :class:`gabacare.web.shared_state.SqlSignInRateLimiter` behind the same methods, shared by
    every worker and host. ``clock`` is injectable for tests.
    """

    def __init__(self, attempts: int, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        if attempts < 1 or window_s <= 0:
            raise ValueError("a rate limit needs at least one attempt and a positive window")
        self.attempts = attempts
        self.window_s = window_s
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._failures.get(key)
        if q is None:
            return deque()
        while q and now - q[0] >= self.window_s:
            q.popleft()
        if not q:
            del self._failures[key]
        return q

    def check(self, key: str) -> RateDecision:
        """May ``key`` try to sign in now?"""
        with self._lock:
            now = self._clock()
            q = self._recent(key, now)
            if len(q) < self.attempts:
                return RateDecision(True, 0.0)
            return RateDecision(False, max(0.0, self.window_s - (now - q[0])))

    def charge(self, key: str) -> RateDecision:
        """``check`` and, when allowed, ``failed`` in one step (concurrent attempts cannot all pass the
        check before any is recorded); a success takes the charge back with ``refund`` or ``succeeded``."""
        with self._lock:
            now = self._clock()
            q = self._recent(key, now)
            if len(q) >= self.attempts:
                return RateDecision(False, max(0.0, self.window_s - (now - q[0])))
            self._failures.setdefault(key, q).append(now)
            return RateDecision(True, 0.0)

    def failed(self, key: str) -> None:
        """Record a failed sign-in for ``key``."""
        with self._lock:
            now = self._clock()
            self._recent(key, now)
            self._failures.setdefault(key, deque()).append(now)

    def refund(self, key: str) -> None:
        """Take back the latest recorded failure of ``key`` (an attempt charged up front that succeeded)."""
        with self._lock:
            q = self._failures.get(key)
            if q:
                q.pop()
                if not q:
                    del self._failures[key]

    def succeeded(self, key: str) -> None:
        """Forget ``key``'s failures after a successful sign-in."""
        with self._lock:
            self._failures.pop(key, None)
