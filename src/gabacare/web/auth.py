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
* the routers of this module, :mod:`gabacare.web.journal_pages` and :mod:`gabacare.web.journal_api`,
  and the "My journal" navigation item.

Pages here: ``GET|POST /account/sign-up``, ``GET|POST /account/sign-in``, ``POST /account/sign-out``,
``GET|POST /account/tokens``, ``POST /account/tokens/{id}/revoke`` and ``GET|POST /account/delete``
(the password, then ``Accounts.delete_account``; the browser is signed out). Every form carries a CSRF
token. Failed sign-ins are counted per e-mail and address (:class:`SignInRateLimiter`); past the limit
the answer is 429 with ``Retry-After``. Sign-in errors never say whether the e-mail exists.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gabacare.web.deps import CurrentUser, bearer_token, get_current_user
from gabacare.web.problems import ProblemError
from gabacare.web.security import SESSION_COOKIE, require_csrf

if TYPE_CHECKING:
    from fastapi import FastAPI

    from gabacare.journal.accounts import Accounts
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
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def accounts(self) -> Accounts:
        with self._lock:
            if self._accounts is None:
                from gabacare.composition import accounts

                self._accounts = accounts(self.db, password_hasher=self.password_hasher)
            return self._accounts

    def journal(self) -> Journal:
        from gabacare.composition import journal

        self.accounts()  # same engine, opened (and migrated) once under the lock
        return journal(self.db)


_MAX_ID = 2**63 - 1  # the largest id a SQL integer column can hold


def known_id(value: int) -> int:
    """``value`` if it could be a stored id, else ``AccessDenied`` (a 404, like any unknown id)."""
    from gabacare.journal.accounts_model import AccessDenied

    if not 0 < value <= _MAX_ID:
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
        from gabacare.journal.accounts_model import Actor

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
            account = journal_web(request).accounts().session_user(session_id)
            if account is None:
                return None
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
    from gabacare.journal.accounts_model import AccountInputError, EmailTakenError
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


@router.get("/account/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, next: str = "/patients") -> Response:
    return render(request, "account/sign_in.html", {"form": {"next": _safe_next(next)}, "error": None,
                                                    "active": "account"})


@router.post("/account/sign-in", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
def sign_in(request: Request, email: Text = "", password: Text = "", next: Text = "/patients") -> Response:
    from gabacare.journal.settings import SESSION_TTL
    from gabacare.web.security import SignInRateLimiter

    limiter: SignInRateLimiter = request.app.state.signin_limiter
    by_address: SignInRateLimiter = request.app.state.address_limiter
    address = request.client.host if request.client else "-"
    key = f"{email.strip().lower()}|{address}"
    form = {"email": email, "next": _safe_next(next)}
    # Two limits: this account from this address, and this address whatever the e-mail (so trying many
    # addresses is slowed too).
    # Charge the attempt before the (slow) password check, checking and recording in one step (one
    # transaction when the throttle is in the database), so concurrent attempts, on this process or
    # another, cannot all pass the check before any failure is recorded; a success takes it back.
    decisions = [limiter.charge(key), by_address.charge(address)]
    if not all(d.allowed for d in decisions):
        if decisions[0].allowed:
            limiter.refund(key)
        if decisions[1].allowed:
            by_address.refund(address)
        wait = max(1, math.ceil(max(d.retry_after_s for d in decisions)))
        error = f"Too many failed sign-ins. Wait {wait} seconds, then try again."
        return render(request, "account/sign_in.html", {"form": form, "error": error, "active": "account"}, 429,
                      headers={"retry-after": str(wait)})
    accounts = journal_web(request).accounts()
    with password_check(request):
        user = accounts.authenticate(email, password)
    if user is None:
        return render(request, "account/sign_in.html", {"form": form, "error": _SIGN_IN_FAILED, "active": "account"},
                      401)
    limiter.succeeded(key)
    by_address.refund(address)
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        accounts.end_session(old)  # a new session id at every sign-in: no fixation
    session_id, _ = accounts.start_session(user)
    response = RedirectResponse(_safe_next(next), status_code=303)
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

def page_user(request: Request, user: CurrentUser | None = Depends(get_current_user)) -> CurrentUser:
    """Like ``require_user``, but a browser is sent to the sign-in page instead of a 401 problem."""
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
    from gabacare.journal.accounts_model import AccountInputError
    from gabacare.journal.settings import SESSION_TTL

    accounts = journal_web(request).accounts()
    try:
        if new != repeat:
            raise AccountInputError("the two new passwords are not the same")
        accounts.change_password(user.account, current, new)
    except AccountInputError as exc:
        return render(request, "account/password.html", {"active": "account", "user": user,
                                                         "error": _sentence(str(exc)), "saved": False}, 422)
    session_id, _ = accounts.start_session(user.account)
    response = render(request, "account/password.html", {"active": "account", "user": user, "error": None,
                                                         "saved": True})
    set_session_cookie(request, response, session_id, int(SESSION_TTL.total_seconds()))
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
    from gabacare.journal.accounts_model import AccountInputError

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
    from gabacare.journal.accounts_model import AccountInputError

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
    from gabacare.journal.accounts_model import AccessDenied
    from gabacare.journal.errors import JournalInputError, UnknownEntryError, UnknownPatientError
    from gabacare.web.problems import PROBLEM_TYPES, problem_response

    PROBLEM_TYPES.setdefault("journal-input", (
        "Journal input refused", "The journal refused an entry that is missing, malformed or implausible. "
        "The detail names the field and the rule; nothing was written."))

    async def not_found(request: Request, exc: Exception) -> Response:
        return problem_response(request, 404, None, "Not found.")

    async def refused(request: Request, exc: Exception) -> Response:
        return problem_response(request, 422, "journal-input", _sentence(str(exc)))

    for kind in (AccessDenied, UnknownPatientError, UnknownEntryError):
        app.add_exception_handler(kind, not_found)
    app.add_exception_handler(JournalInputError, refused)


def install(app: FastAPI, settings: WebSettings) -> None:
    """Give ``app`` accounts and the journal (see the module docstring). ``create_app`` calls this."""
    from gabacare.web import calendar_feed, journal_api, journal_pages, questionnaire_pages

    app.state.journal_web = JournalWeb(settings.db)
    app.state.auth = JournalAuth()
    templates = app.state.templates
    templates.env.globals["account_of"] = account_of
    nav = templates.env.globals.setdefault("nav_items", [])
    nav.insert(0, ("/patients", "journal", "My journal"))
    app.include_router(router)
    app.include_router(journal_pages.router)
    app.include_router(questionnaire_pages.router)
    app.include_router(journal_api.router)
    app.include_router(calendar_feed.router)  # /feeds/{token}.ics: the calendar subscription
    _install_problem_handlers(app)
