"""Installable and offline: the web app manifest, the service worker, the offline page and the offline queue.

* ``GET /manifest.webmanifest`` — name, icons (SVG and 192/512 px PNG), theme colour, ``standalone``.
* ``GET /sw.js`` — the service worker, served from the root so its scope is the whole site. It keeps
  the *app shell* (styles, scripts, icons, the offline page) and the public pages a person has opened
  (planners, guide), so they open without a connection. Its cache name carries the app version and a
  hash of the shell files, so a new release replaces the old cache.
* **The Today and Log pages, and only them.** Of the journal pages the worker stores exactly two
  kinds: a patient's Today page (``/patients/{id}/today``) and Log page (``/patients/{id}/log``,
  its plain address only), fetched network-first, one copy of each per patient, the last one
  fetched, in its own cache (:data:`TODAY_CACHE`). Without a connection that copy is shown,
  marked "saved copy from HH:MM — you are offline". Every other journal page, the API and the
  account pages are never stored. The copy is deleted when the person signs out (the worker drops
  it when it sees the sign-out form sent, and the sign-out answer carries ``Clear-Site-Data:
  "cache"``), when the server answers the Today address with a redirect (session ended) and when a
  new release replaces the caches. A session that simply expires leaves the copy on the phone until
  the next sign-in or sign-out: that is said in docs/pwa.md.
* **The offline queue** (``static/offline-queue.js``): a dose tap made without a connection (or
  whose send fails on the network) is kept in the browser's IndexedDB with a client-made UUID, shown
  as "saved on this phone, not yet sent", and sent when the connection returns (the ``online``
  event, every page load, and Background Sync where the browser has it). The server logs a tap
  with the same ``client_id`` once however often it arrives (``Journal.log_dose_once``). The Log
  page's forms are queued the same way offline (``Journal.log_entries_once``).
* A dose reminder's notification, tapped, opens the patient's Today page (``notificationclick``).
* ``GET /pwa/csrf-token`` — a fresh CSRF token for this browser (a queue replayed after the stored
  page's token expired); never stored.
* ``GET /offline`` — what a page that was never stored shows without a connection.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from gabacare.web.security import PRIVATE_PREFIXES

__all__ = ["APP_COLOR", "PRIVATE_PREFIXES", "TODAY_CACHE", "router", "shell_files"]

router = APIRouter()

#: The brand colour (the icon's background, the browser's toolbar on a phone).
APP_COLOR = "#0172ad"
#: The cache holding the last Today page per patient (apart from the shell's, so sign-out drops it alone).
TODAY_CACHE = "gabacare-today"


@cache
def shell_files() -> tuple[str, ...]:
    """The static files every page needs, stored at install time."""
    from gabacare.web.app import HTMX_JS, PICO_CSS

    return ("/offline", f"/static/{PICO_CSS}", "/static/gabacare.css", "/static/journal.css", f"/static/{HTMX_JS}",
            "/static/gabacare.js", "/static/offline-queue.js", "/static/reminders.js", "/static/favicon.svg", "/static/icon.svg",
            "/static/icon-192.png", "/static/icon-512.png")


@cache
def _cache_name() -> str:
    from gabacare import __version__
    from gabacare.web.app import STATIC_DIR

    digest = hashlib.sha256()
    for path in shell_files():
        if path.startswith("/static/"):
            digest.update((STATIC_DIR / path.removeprefix("/static/")).read_bytes())
    return f"gabacare-{__version__}-{digest.hexdigest()[:12]}"


@router.get("/manifest.webmanifest", include_in_schema=False)
def manifest() -> Response:
    body: dict[str, Any] = {
        "name": "GabaCare",
        "short_name": "GabaCare",
        "description": "Cited planning, checks and a journal for gabapentin therapy. Not a substitute for your clinician.",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": APP_COLOR,
        "icons": [
            {"src": "/static/icon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
            {"src": "/static/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": "/static/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any maskable"},
        ],
    }
    return Response(json.dumps(body), media_type="application/manifest+json")


@router.get("/sw.js", include_in_schema=False)
def service_worker(request: Request) -> Response:
    text = request.app.state.templates.get_template("pwa/sw.js").render(
        cache_name=_cache_name(), today_cache=TODAY_CACHE, shell=json.dumps(list(shell_files())),
        private=json.dumps(list(PRIVATE_PREFIXES)))
    # no-cache: the browser checks for a new worker at every navigation; the scope is the whole site.
    return Response(text, media_type="text/javascript",
                    headers={"cache-control": "no-cache", "service-worker-allowed": "/"})


@router.get("/offline", response_class=HTMLResponse, include_in_schema=False)
def offline(request: Request) -> Response:
    from gabacare.knowledge.language import load_language

    lang = load_language()
    response: Response = request.app.state.templates.TemplateResponse(
        request, "pwa/offline.html", {"active": None, "red_flags": lang.red_flags, "crisis_lines": lang.crisis_lines})
    return response


@router.get("/pwa/csrf-token", include_in_schema=False)
def fresh_csrf_token(request: Request) -> Response:
    """A CSRF token bound to this browser's nonce cookie, for the offline queue's replay (the token in a
    page stored hours ago may have expired). Same-origin only (no CORS), so another site cannot read it."""
    from gabacare.web.security import csrf_token

    return Response(json.dumps({"csrf_token": csrf_token(request)}), media_type="application/json",
                    headers={"cache-control": "private, no-store"})
