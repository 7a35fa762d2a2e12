"""Accounts in the browser and for scripts: the ``app.state.auth`` backend, sign-up/in/out, API tokens.

:func:`install` wires the journal into an app built by :func:`gabacare.web.app.create_app`:

* ``app.state.journal_web`` (:class:`JournalWeb`): opens the journal and the accounts of the
  database ``WebSettings.db`` names (else ``$GABACARE_DB``, else the user data directory) on first
  use, so an app that never meets a signed-in user never opens a database;
* ``app.state.auth`` (:class:`JournalAuth`): ``Authorization: Bearer <API token>`` for scripts,
  else the session cookie :data:`SESSION_COOKIE` (HttpOnly, SameSite=Lax, ``Secure`` with
  ``GABACARE_SECURE_COOKIES``) whose value is the session id ``Accounts.start_session`` returned.
  A request that sends a bearer header is judged by that header alone (never by a cookie it also
  carries), because bearer requests skip the CSRF check;
* problem handlers: ``AccessDenied`` and unknown ids answer 404 "not found" (ids cannot be probed),
  other bad journal input 422 ``journal-input``;
* the routers of this module and :mod:`gabacare.web.journal_api`, and the "My journal" navigation item
  (:mod:`gabacare.web.journal_pages` is included by ``create_app`` before every other router: its
  routes are matched first).

Sessions: "stay signed in on this device" (a box on sign-in) starts a session of
``web.settings.SESSION_REMEMBER_TTL`` that slides: :class:`JournalAuth` renews it on use, at most once
per ``SESSION_RENEW_EVERY``, and :class:`SessionRenewalMiddleware` sends the cookie again with the new
lifetime. Without the box a session lasts ``journal.settings.SESSION_TTL`` from sign-in.

Forms: a page form whose CSRF token is only old (:class:`gabacare.web.security.CsrfExpired`) is
answered 403 with ``account/form_expired.html``: what was typed (never a password or a code) in a form
with a fresh token and "Send again", posting to the same address. Forms are signed with
:func:`gabacare.web.settings.form_key` (kept next to a SQLite journal), so a restart keeps them valid.

Pages here: ``GET|POST /account/sign-up``, ``GET|POST /account/sign-in``, ``POST /account/sign-out``,
``GET|POST /account/reset`` (a printed one-time code, ``gabacare account reset-code``, and a new password),
``GET|POST /account/tokens``, ``POST /account/tokens/{id}/revoke`` and ``GET|POST /account/delete``
(the password, then ``Accounts.delete_account``; the browser is signed out). Every form carries a CSRF
token. Failed sign-ins are counted per e-mail and address (:class:`SignInRateLimiter`); past the limit
the answer is 429 with ``Retry-After``. Sign-in errors never say whether the e-mail exists.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gabacare._record import record
from gabacare.web.deps import CurrentUser, bearer_token, get_current_user
from gabacare.web.problems import ProblemError
from gabacare.web.security import SESSION_COOKIE, CsrfExpired, require_csrf
from gabacare.web.settings import RESET_CODE_TTL, SESSION_REMEMBER_TTL, SESSION_RENEW_EVERY

if TYPE_CHECKING:
    from fastapi import FastAPI
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from gabacare.accounts.service import Accounts
    from gabacare.journal.services import Journal
    from gabacare.web.settings import WebSettings

__all__ = ["SESSION_COOKIE", "JournalAuth", "JournalWeb", "install", "known_id", "render", "router", "set_session_cookie"]

_SIGN_IN_FAILED = "The e-mail address or the password is not right."  # the same words whichever it was

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form()]


@dataclass
class JournalWeb:
    """The journal and the accounts the web app uses, opened on first use.

    ``password_hasher`` (an ``argon2.PasswordHasher``) replaces the production parameters in tests.
    """

    db: str | None = None
    password_hasher: Any = None
    _accounts: Accounts | None = field(default=None, repr=False)
    _journal: Journal | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def accounts(self) -> Accounts:
        with self._lock:
            if self._accounts is None:
                from gabacare.composition import accounts, journal

                self._accounts = accounts(self.db, password_hasher=self.password_hasher)
                # Opened (and migrated) once with the accounts, on the same engine: asking the
                # composition root on every request re-checked the schema version each time, under
                # SQLite's write lock.
                self._journal = journal(self.db)
            return self._accounts

    def journal(self) -> Journal:
        self.accounts()
        assert self._journal is not None
        return self._journal

    def reading(self) -> AbstractContextManager[None]:
        """One read-only transaction for the journal's and the accounts' reads of a page that only
        reads (its audit row is still written, in its own transaction): see ``JournalRepository.snapshot``."""
        return self.journal().repo.snapshot()




def known_id(value: int) -> int:
    """``value`` if it could be a stored id, else ``AccessDenied`` (a 404, like any unknown id)."""
    from gabacare.accounts.model import AccessDenied
    from gabacare.journal.model import is_row_id

    if not is_row_id(value):
        raise AccessDenied()
    return value


def journal_web(request: Request) -> JournalWeb:
    jw: JournalWeb = request.app.state.journal_web
    return jw


class JournalAuth:
    """Finds the account behind a request: a bearer API token, else the session cookie.

    The result is remembered on ``request.state.user`` so templates can show who is signed in.
    """

    def user_for(self, request: Request) -> CurrentUser | None:
        if hasattr(request.state, "user"):
            cached: CurrentUser | None = request.state.user
            return cached
        request.state.user = user = self._find(request)
        return user

    @staticmethod
    def _find(request: Request) -> CurrentUser | None:
        from gabacare.accounts.model import Actor

        if request.headers.get("authorization"):
            token = bearer_token(request)
            found = journal_web(request).accounts().token_actor(token) if token else None
            if found is None:
                return None
            user, actor = found
        else:
            session_id = request.cookies.get(SESSION_COOKIE)
            if not session_id:
                return None
            from gabacare.journal.errors import JournalStorageError

            jw = journal_web(request)
            accounts = jw.accounts()
            # A "stay signed in" session slides (at most one write per SESSION_RENEW_EVERY, in the same read
            # of the session); the cookie is sent again with the new lifetime by SessionRenewalMiddleware.
            # A database that cannot be written (read-only, locked) skips the renewal rather than the
            # page: it is tried again on a later request.
            try:
                with jw.reading():  # the session and its account in one read transaction
                    account, renewed = accounts.sliding_session_user(
                        session_id, (SESSION_REMEMBER_TTL, SESSION_RENEW_EVERY))
            except JournalStorageError:
                account, renewed = accounts.session_user(session_id), False
            if account is None:
                return None
            if renewed:
                request.state.renewed_session = session_id
            user, actor = account, Actor.for_user(account)
        return CurrentUser(user.id, user.display_name, user.role, False, actor=actor, account=user)


def account_of(request: Request) -> CurrentUser | None:
    """Template helper: the signed-in account of this request, or None."""
    backend = request.app.state.auth
    if not isinstance(backend, JournalAuth):
        return None
    return backend.user_for(request)


def set_session_cookie(request: Request, response: Response, session_id: str, max_age_s: int) -> None:
    settings: WebSettings = request.app.state.settings
    response.set_cookie(SESSION_COOKIE, session_id, max_age=max_age_s, path="/", httponly=True, samesite="lax",
                        secure=settings.secure_cookies)


class SessionRenewalMiddleware:
    """Sends the session cookie again, with ``SESSION_REMEMBER_TTL`` to live, on a response to a request
    whose "stay signed in" session was just renewed (``request.state.renewed_session``), unless the
    route itself set or cleared that cookie (sign-in, sign-out, password change, deletion)."""

    def __init__(self, app: ASGIApp, *, secure_cookies: bool = False) -> None:
        self.app = app
        self.secure_cookies = secure_cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_renewed(message: Message) -> None:
            renewed = scope.get("state", {}).get("renewed_session")
            if message["type"] == "http.response.start" and renewed:
                headers = list(message.get("headers", []))
                mine = f"{SESSION_COOKIE}=".encode()
                if not any(k.lower() == b"set-cookie" and v.startswith(mine) for k, v in headers):
                    # The session id is token_urlsafe: cookie-safe as it is.
                    cookie = (f"{SESSION_COOKIE}={renewed}; Max-Age={int(SESSION_REMEMBER_TTL.total_seconds())}; "
                              "Path=/; HttpOnly; SameSite=lax" + ("; Secure" if self.secure_cookies else ""))
                    headers.append((b"set-cookie", cookie.encode("latin-1")))
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_renewed)


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200,
           headers: dict[str, str] | None = None) -> Response:
    """A page from ``templates/`` with the common context (``active`` etc. come from ``context``)."""
    response: Response = request.app.state.templates.TemplateResponse(
        request, template, context, status_code=status_code, headers=headers)
    return response


def _safe_next(target: str) -> str:
    """Only local paths may follow a sign-in (no open redirect to another site)."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/patients"


# -- sign-up ------------------------------------------------------------------------------------

@router.get("/account/sign-up", response_class=HTMLResponse)
def sign_up_page(request: Request) -> Response:
    return render(request, "account/sign_up.html", {"form": {}, "error": None, "active": "account"})


@router.post("/account/sign-up", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
def sign_up(request: Request, email: Text = "", password: Text = "", display_name: Text = "") -> Response:
    from gabacare.accounts.model import AccountInputError, EmailTakenError
    from gabacare.journal.settings import SESSION_TTL

    accounts = journal_web(request).accounts()
    form = {"email": email, "display_name": display_name}
    try:
        with password_check(request):  # hashing is Argon2id too: the same bounded slots
            user = accounts.sign_up(email, password, display_name)
    except EmailTakenError:
        # NOTE: saying "taken" would tell anyone which addresses have accounts; send them to sign in instead.
        error = "This account cannot be created. If you already have one, sign in instead."
        return render(request, "account/sign_up.html", {"form": form, "error": error, "active": "account"}, 422)
    except AccountInputError as exc:
        return render(request, "account/sign_up.html", {"form": form, "error": _sentence(str(exc)),
                                                        "active": "account"}, 422)
    session_id, _ = accounts.start_session(user)
    response = RedirectResponse("/patients", status_code=303)
    set_session_cookie(request, response, session_id, int(SESSION_TTL.total_seconds()))
    return response


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return (text[:1].upper() + text[1:]).rstrip(".") + "."


# -- sign-in / sign-out -------------------------------------------------------------------------

@contextmanager
def password_check(request: Request) -> Iterator[None]:
    """Hold one of the app's password-check slots (Argon2id is memory-hard: at most
    ``password_checks_at_once`` run together); 503 ``busy`` if none frees up in time."""
    settings: WebSettings = request.app.state.settings
    slots = request.app.state.password_checks
    if not slots.acquire(timeout=settings.password_check_wait_s):
        raise ProblemError(503, "busy", "too many sign-ins are being checked at once; try again in a moment",
                           headers={"retry-after": "5"})
    try:
        yield
    finally:
        slots.release()


def _sign_in_form(request: Request, form: dict[str, Any], error: str | None = None, status_code: int = 200,
                  headers: dict[str, str] | None = None) -> Response:
    return render(request, "account/sign_in.html", {"form": form, "error": error, "active": "account",
                                                    "remember_days": SESSION_REMEMBER_TTL.days}, status_code, headers)


@router.get("/account/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, next: str = "/patients") -> Response:
    return _sign_in_form(request, {"next": _safe_next(next)})


@record
class _Attempt:
    """One sign-in-like attempt charged to both limiters (this account from this address, and this address)."""

    key: str
    address: str


def _charge_attempt(request: Request, email: str) -> tuple[_Attempt, int | None]:
    """Charge an attempt before the (slow) secret check, checking and recording in one step (one
    transaction when the throttle is in the database), so concurrent attempts, on this process or
    another, cannot all pass the check before any failure is recorded; a success takes it back.
    Returns the attempt and, when refused, the seconds to wait."""
    from gabacare.web.security import SignInRateLimiter

    limiter: SignInRateLimiter = request.app.state.signin_limiter
    by_address: SignInRateLimiter = request.app.state.address_limiter
    address = request.client.host if request.client else "-"
    attempt = _Attempt(f"{email.strip().lower()}|{address}", address)
    decisions = [limiter.charge(attempt.key), by_address.charge(address)]
    if all(d.allowed for d in decisions):
        return attempt, None
    if decisions[0].allowed:
        limiter.refund(attempt.key)
    if decisions[1].allowed:
        by_address.refund(address)
    return attempt, max(1, math.ceil(max(d.retry_after_s for d in decisions)))


def _attempt_succeeded(request: Request, attempt: _Attempt) -> None:
    request.app.state.signin_limiter.succeeded(attempt.key)
    request.app.state.address_limiter.refund(attempt.address)


@router.post("/account/sign-in", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
def sign_in(request: Request, email: Text = "", password: Text = "", next: Text = "/patients",
            remember: Text = "") -> Response:
    """Sign in; with ``remember`` ("stay signed in on this device") the session lasts
    ``SESSION_REMEMBER_TTL`` from its last use, else ``SESSION_TTL`` from now."""
    from gabacare.journal.settings import SESSION_TTL

    form = {"email": email, "next": _safe_next(next), "remember": bool(remember)}
    # Two limits: this account from this address, and this address whatever the e-mail (so trying many
    # addresses is slowed too).
    attempt, wait = _charge_attempt(request, email)
    if wait is not None:
        error = f"Too many failed sign-ins. Wait {wait} seconds, then try again."
        return _sign_in_form(request, form, error, 429, headers={"retry-after": str(wait)})
    accounts = journal_web(request).accounts()
    with password_check(request):
        user = accounts.authenticate(email, password)
    if user is None:
        return _sign_in_form(request, form, _SIGN_IN_FAILED, 401)
    _attempt_succeeded(request, attempt)
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        accounts.end_session(old)  # a new session id at every sign-in: no fixation
    ttl = SESSION_REMEMBER_TTL if remember else SESSION_TTL
    session_id, _ = accounts.start_session(user, ttl)
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookie(request, response, session_id, int(ttl.total_seconds()))
    return response


# -- password reset by a printed one-time code --------------------------------------------------

def _reset_form(request: Request, email: str = "", error: str | None = None, status_code: int = 200,
                headers: dict[str, str] | None = None) -> Response:
    return render(request, "account/reset.html", {"form": {"email": email}, "error": error, "active": "account",
                                                  "code_minutes": int(RESET_CODE_TTL.total_seconds() // 60)},
                  status_code, headers)


@router.get("/account/reset", response_class=HTMLResponse)
def reset_page(request: Request) -> Response:
    return _reset_form(request)


@router.post("/account/reset", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
def reset(request: Request, email: Text = "", code: Text = "", new: Text = "", repeat: Text = "") -> Response:
    """Set a new password with a one-time code (``Accounts.reset_password``): counted by the sign-in
    limiters like a password, every session of the account ended, this browser signed in."""
    from gabacare.accounts.model import AccountInputError
    from gabacare.journal.settings import SESSION_TTL

    attempt, wait = _charge_attempt(request, email)
    if wait is not None:
        error = f"Too many failed attempts. Wait {wait} seconds, then try again."
        return _reset_form(request, email, error, 429, headers={"retry-after": str(wait)})
    accounts = journal_web(request).accounts()
    try:
        if new != repeat:
            raise AccountInputError("the two new passwords are not the same")
        with password_check(request):  # hashing the new password is Argon2id: the same bounded slots
            user = accounts.reset_password(email, code, new)
    except AccountInputError as exc:
        return _reset_form(request, email, _sentence(str(exc)), 422)
    _attempt_succeeded(request, attempt)
    session_id, _ = accounts.start_session(user)
    response = RedirectResponse("/patients", status_code=303)
    set_session_cookie(request, response, session_id, int(SESSION_TTL.total_seconds()))
    return response


@router.post("/account/sign-out", dependencies=[Depends(require_csrf)])
def sign_out(request: Request) -> Response:
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        journal_web(request).accounts().end_session(session_id)
    response = RedirectResponse("/", status_code=303)
    settings: WebSettings = request.app.state.settings
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=settings.secure_cookies)
    response.headers["clear-site-data"] = '"cache"'  # the Today page the service worker stored (web/pwa.py)
    return response


# -- API tokens ---------------------------------------------------------------------------------

async def page_user(request: Request, user: CurrentUser | None = Depends(get_current_user)) -> CurrentUser:
    """Like ``require_user``, but a browser is sent to the sign-in page instead of a 401 problem.

    ``async`` because it only looks at ``user``: a plain ``def`` dependency is run in the thread pool,
    one more hand-over (and its wake-ups) on every page view for no I/O."""
    if user is None:
        from urllib.parse import quote

        raise ProblemError(303, None, "Sign in first.", headers={"location": f"/account/sign-in?next={quote(request.url.path)}"})
    if user.actor is not None and user.actor.kind != "user":
        raise ProblemError(403, None, "Pages are for people signed in, not for API tokens.")
    return user


# -- password change ----------------------------------------------------------------------------

@router.get("/account/password", response_class=HTMLResponse)
def password_page(request: Request, user: CurrentUser = Depends(page_user)) -> Response:
    return render(request, "account/password.html", {"active": "account", "user": user, "error": None, "saved": False})


@router.post("/account/password", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
def password_change(request: Request, current: Text = "", new: Text = "", repeat: Text = "",
                    user: CurrentUser = Depends(page_user)) -> Response:
    """Change the password: the current one is checked, every other session ends, and this browser
    gets a fresh session (so a stolen session cookie stops working too)."""
    from gabacare.accounts.model import AccountInputError
    from gabacare.journal.settings import SESSION_TTL

    accounts = journal_web(request).accounts()
    try:
        if new != repeat:
            raise AccountInputError("the two new passwords are not the same")
        accounts.change_password(user.account, current, new)
    except AccountInputError as exc:
        return render(request, "account/password.html", {"active": "account", "user": user,
                                                         "error": _sentence(str(exc)), "saved": False}, 422)
    # The fresh session keeps this browser's "stay signed in" choice.
    ttl = SESSION_REMEMBER_TTL if accounts.remembered(request.cookies.get(SESSION_COOKIE, "")) else SESSION_TTL
    session_id, _ = accounts.start_session(user.account, ttl)
    response = render(request, "account/password.html", {"active": "account", "user": user, "error": None,
                                                         "saved": True})
    set_session_cookie(request, response, session_id, int(ttl.total_seconds()))
    return response


def _tokens_page(request: Request, user: CurrentUser, *, created: str | None = None, error: str | None = None,
                 status_code: int = 200) -> Response:
    tokens = journal_web(request).accounts().tokens_of(user.account)
    return render(request, "account/tokens.html", {"tokens": tokens, "created": created, "error": error,
                                                   "active": "account", "user": user}, status_code)


@router.get("/account/tokens", response_class=HTMLResponse)
def tokens_page(request: Request, user: CurrentUser = Depends(page_user)) -> Response:
    return _tokens_page(request, user)


@router.post("/account/tokens", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
def token_create(request: Request, name: Text = "", user: CurrentUser = Depends(page_user)) -> Response:
    from gabacare.accounts.model import AccountInputError

    try:
        secret, _token = journal_web(request).accounts().create_api_token(user.account, name)
    except AccountInputError as exc:
        return _tokens_page(request, user, error=_sentence(str(exc)), status_code=422)
    return _tokens_page(request, user, created=secret)


@router.post("/account/tokens/{token_id}/revoke", dependencies=[Depends(require_csrf)])
def token_revoke(request: Request, token_id: int, user: CurrentUser = Depends(page_user)) -> Response:
    journal_web(request).accounts().revoke_token(user.account, known_id(token_id))  # AccessDenied → 404
    return RedirectResponse("/account/tokens", status_code=303)


# -- account deletion ---------------------------------------------------------------------------

def _delete_page(request: Request, user: CurrentUser, *, error: str | None = None, status_code: int = 200) -> Response:
    patients = journal_web(request).accounts().patients_of(user.account)
    return render(request, "account/delete.html", {"active": "account", "user": user, "patients": patients,
                                                   "error": error}, status_code)


@router.get("/account/delete", response_class=HTMLResponse)
def delete_page(request: Request, user: CurrentUser = Depends(page_user)) -> Response:
    """What deleting the account removes, each journal's export to keep first, and the password form."""
    return _delete_page(request, user)


@router.post("/account/delete", dependencies=[Depends(require_csrf)])
def delete_account(request: Request, password: Text = "", user: CurrentUser = Depends(page_user)) -> Response:
    """Delete the account (``Accounts.delete_account``), sign this browser out and go home with a message;
    a wrong password answers 422 and nothing is deleted."""
    from gabacare.accounts.model import AccountInputError

    accounts = journal_web(request).accounts()
    try:
        with password_check(request):
            accounts.delete_account(user.account, password)
    except AccountInputError as exc:
        return _delete_page(request, user, error=_sentence(str(exc)), status_code=422)
    response = RedirectResponse("/?deleted=account", status_code=303)
    settings: WebSettings = request.app.state.settings
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=settings.secure_cookies)
    return response


# -- wiring -------------------------------------------------------------------------------------

def _install_problem_handlers(app: FastAPI) -> None:
    from gabacare.accounts.model import AccessDenied
    from gabacare.journal.errors import JournalInputError, UnknownEntryError, UnknownPatientError, UnknownPickUpError
    from gabacare.web.problems import PROBLEM_TYPES, problem_response, wants_html

    PROBLEM_TYPES.setdefault("journal-input", (
        "Journal input refused", "The journal refused an entry that is missing, malformed or implausible. "
        "The detail names the field and the rule; nothing was written."))

    async def not_found(request: Request, exc: Exception) -> Response:
        return problem_response(request, 404, None, "Not found.")

    async def refused(request: Request, exc: Exception) -> Response:
        return problem_response(request, 422, "journal-input", _sentence(str(exc)))

    async def form_expired(request: Request, exc: Exception) -> Response:
        # The typed fields come back in a form with a fresh token (web/security.py says why 403); an HTMX
        # request gets the section alone, swapped where its answer would have gone.
        assert isinstance(exc, CsrfExpired)
        if not wants_html(request):
            return problem_response(request, exc.status, exc.slug, exc.detail)
        action = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        # Signed out meanwhile (the session ended too): signing in in another tab keeps this page, and its
        # token, valid; the pages that sign in, up or reset need no session.
        signed_out = (account_of(request) is None
                      and request.url.path not in ("/account/sign-in", "/account/sign-up", "/account/reset")
                      and request.url.path.startswith(("/patients", "/account")))
        context = {"fields": exc.fields, "secrets": exc.secrets, "files": exc.files, "action": action,
                   "active": "account", "signed_out": signed_out}
        partial = request.headers.get("hx-request") == "true"
        return render(request, "account/_form_expired.html" if partial else "account/form_expired.html", context,
                      exc.status)

    for kind in (AccessDenied, UnknownPatientError, UnknownEntryError, UnknownPickUpError):
        app.add_exception_handler(kind, not_found)
    app.add_exception_handler(JournalInputError, refused)
    app.add_exception_handler(CsrfExpired, form_expired)


def install(app: FastAPI, settings: WebSettings) -> None:
    """Give ``app`` accounts and the journal (see the module docstring). ``create_app`` calls this."""
    from gabacare.web import calendar_feed, journal_api, questionnaire_pages
    from gabacare.web.security import CsrfSigner
    from gabacare.web.settings import form_key

    app.state.journal_web = JournalWeb(settings.db)
    app.state.auth = JournalAuth()
    # Forms are signed with the key kept beside the journal (or GABACARE_SECRET_KEY), so a restart leaves
    # open forms valid; retired keys are recognised so their forms come back as "send again".
    app.state.csrf = CsrfSigner(form_key(settings), settings.csrf_max_age_s,
                                previous_keys=tuple(k.get_secret_value() for k in settings.previous_secret_keys))
    app.add_middleware(SessionRenewalMiddleware, secure_cookies=settings.secure_cookies)
    templates = app.state.templates
    templates.env.globals["account_of"] = account_of
    nav = templates.env.globals.setdefault("nav_items", [])
    nav.insert(0, ("/patients", "journal", "My journal"))
    app.include_router(router)  # (journal_pages.router: included first of all, by create_app)
    app.include_router(questionnaire_pages.router)
    app.include_router(journal_api.router)
    app.include_router(calendar_feed.router)  # /feeds/{token}.ics: the calendar subscription
    _install_problem_handlers(app)
