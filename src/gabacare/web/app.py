"""The app factory: ``create_app(settings) -> FastAPI`` wires routers, templates, static files,
security and problem handlers.

Seams for later work (journal, accounts):

* ``app.state.settings`` (:class:`WebSettings`), ``app.state.templates`` (Jinja2), ``app.state.csrf``
  (:class:`CsrfSigner`, made once by :func:`gabacare.web.auth.install`), ``app.state.signin_limiter`` and ``address_limiter`` (a
  :class:`SignInRateLimiter`, or its database twin when a database is named: see
  :mod:`gabacare.web.shared_state`). Password
  hashing belongs to :class:`gabacare.accounts.service.Accounts`.
* :mod:`gabacare.web.deps`: ``get_current_user`` / ``require_user`` and the ``app.state.auth``
  backend they ask; a journal-backed backend replaces the anonymous one.
* ``create_app(settings, routers=[...])``: extra routers (pages or ``/api/v1/patients``) are
  included after the built-in ones, so they share the layout, security and problem handling.
* Templates: ``templates/base.html`` (blocks ``title``, ``content``, ``account``), the navigation
  from the template global ``nav_items`` (a list of ``(path, name, title)``; insert to add a
  page; a page passes ``active=name`` to highlight its link), macros in ``templates/_macros.html``
  (citations, notice, refused, csrf, field). Partials start with ``_``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from gabacare.web.settings import WebSettings

if TYPE_CHECKING:
    from fastapi import APIRouter, FastAPI
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["STATIC_DIR", "TEMPLATES_DIR", "create_app", "create_served_app"]

STATIC_DIR = Path(__file__).parent / "static"
TEMPLATES_DIR = Path(__file__).parent / "templates"
HTMX_JS = "htmx-2.0.11.min.js"
PICO_CSS = "pico-2.1.1.min.css"

access_log = logging.getLogger("gabacare.web.access")


class AccessLogMiddleware:
    """One log line per request: method, path, status and milliseconds, never the query string or
    body (they may carry health data)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            access_log.info('%s %s %d %.1fms', scope["method"], scope["path"], status, (time.perf_counter() - start) * 1000)


def create_app(settings: WebSettings | None = None, *, routers: Sequence[APIRouter] = ()) -> FastAPI:
    """Build the GabaCare web app (pages, ``/api/v1`` JSON API, static assets).

    Parameters
    ----------
    settings: web settings; default read from ``GABACARE_*`` environment variables.
    routers: further routers to include (phase 2: accounts, journal pages, ``/api/v1/patients``).
    """
    from fastapi import FastAPI
    from fastapi.staticfiles import StaticFiles
    from fastapi.templating import Jinja2Templates

    from gabacare import __version__
    from gabacare.knowledge import load_monograph
    from gabacare.web import api, auth, backup_pages, cds_routes, guide_pages, interop_routes, journal_pages, pages, pwa
    from gabacare.web.budget import TimeBudgetMiddleware
    from gabacare.web.deps import AnonymousAuth
    from gabacare.web.guards import BodyGuardMiddleware, ErrorGuardMiddleware
    from gabacare.web.problems import install_problem_handlers
    from gabacare.web.security import SecurityMiddleware, csrf_token
    from gabacare.web.shared_state import shared_state
    from gabacare.web.supply_routes import router as supply_router

    settings = settings or WebSettings()
    monograph = load_monograph()
    app = FastAPI(
        title="GabaCare API",
        version=__version__,
        summary="Cited planning, checks and triage for gabapentin therapy. Not a substitute for your clinician.",
        description=monograph.notice_text + "\n\nEvery route mirrors a `gabacare` CLI command with the same parameters "
        "and JSON keys. Errors are RFC 9457 problem details (`application/problem+json`).",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # Swagger UI would load scripts from a CDN, which the CSP (and local-first) rule out.
        redoc_url=None,
    )
    app.state.settings = settings
    # app.state.csrf (the one form signer) is set by auth.install below: the key file beside the journal.
    # The throttle, the CDS jti list and CDS feedback: in the database when one is named (shared by every
    # worker and host using it), else in memory; opened on first use (web/shared_state.py).
    shared = shared_state(settings)
    app.state.shared_state = shared
    app.state.signin_limiter = shared.signin_limiter
    app.state.address_limiter = shared.address_limiter
    app.state.password_checks = threading.BoundedSemaphore(settings.password_checks_at_once)
    app.state.auth = AnonymousAuth()

    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    templates.env.globals.update(
        csrf_token=csrf_token, notice=monograph.notice_text, version=__version__, htmx_js=HTMX_JS, pico_css=PICO_CSS,
        planners=pages.PLANNERS, monograph_sources=monograph.sources,
        nav_items=[(path, name, title) for path, name, title, _ in pages.PLANNERS],
    )
    templates.env.auto_reload = False  # templates ship with the package: no file check per page
    app.state.templates = templates

    # NOTE: FastAPI tries the routes in the order they were included, about 1.5 us each: the journal pages
    # (Today is the page people open all day) come first, not after some 80 others (0.1 ms of a Today
    # view's 3-4 ms of CPU). None of them matches a request meant for a route of another router
    # (tests/web/test_route_order.py), so the order changes no answer.
    app.include_router(journal_pages.router)  # the rest of the journal (accounts, API) in auth.install
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    app.include_router(supply_router)  # refills (issue 15): /api/v1/patients/{id}/supply|pickups and pages
    app.include_router(api.router)
    app.include_router(pages.router)
    cds_routes.install(app, seen_jti=shared.seen_jti, feedback=shared.feedback)  # /cds-services: CDS Hooks 2.0
    guide_pages.install(app)  # /guide, /compare, /search and /api/v1/ask|compare|topics
    app.include_router(interop_routes.router)  # FHIR Bundle and reminders .ics downloads
    app.include_router(pwa.router)  # manifest, service worker, offline page
    auth.install(app, settings)  # accounts, the journal pages and /api/v1/patients
    app.include_router(backup_pages.router)  # /account/backup: encrypted backup and restore
    for extra in routers:
        app.include_router(extra)
    install_problem_handlers(app)

    # Innermost first: escaped errors become problems inside the security headers; bodies are bounded.
    app.add_middleware(ErrorGuardMiddleware)
    app.add_middleware(BodyGuardMiddleware, max_body_bytes=settings.max_body_bytes,
                       prefix_limits={"/cds-services": settings.cds_max_body_bytes})
    app.add_middleware(TimeBudgetMiddleware, seconds=settings.request_time_budget_s)  # a slow upload counts too
    app.add_middleware(SecurityMiddleware, secure_cookies=settings.secure_cookies)
    if settings.access_log:
        app.add_middleware(AccessLogMiddleware)
    return app


def create_served_app() -> FastAPI:
    """The app as ``gabacare serve`` runs it (each worker calls this): :func:`create_app` with the
    environment's settings, the data its pages read lazily loaded now, and then everything alive moved
    out of the garbage collector's sight (``gc.freeze``).

    Why: the knowledge base, lexicons and compiled templates are about 190,000 long-lived objects, and
    a full collection walked them all: 83 ms on this 2-core machine, landing on whichever request
    happened to trigger it (the Today page's p99 latency under load). Frozen, they are never scanned;
    what requests allocate is collected as before. Tests build apps with :func:`create_app`, which
    freezes nothing.
    """
    import gc

    app = create_app()
    templates = app.state.templates
    for name in templates.env.list_templates(filter_func=lambda n: n.endswith(".html")):
        templates.env.get_template(name)  # compiled once now, not on a patient's first page view
    from gabacare.clinical.text import read_text

    read_text("dizzy and a rash")  # the lexicons, spelling lists and medicine names, compiled
    from gabacare.knowledge.outside_names import outside_names

    outside_names()  # the outside list of medicine names (a CDS request's unknown name must not wait for it)
    import numpy  # noqa: F401  (ask compares a question with the topics in NumPy once it is loaded: guide.ask._Semantic)
    gc.collect()
    gc.freeze()
    return app
