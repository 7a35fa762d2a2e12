"""GabaCare's web face: FastAPI app with server-rendered pages (Jinja2 + HTMX) and the ``/api/v1`` JSON API.

Start it with ``gabacare serve`` or build it with :func:`create_app`. FastAPI and Jinja2 are
imported when the app is built, not when this package is imported.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from gabacare.web.settings import WebSettings

if TYPE_CHECKING:
    from fastapi import APIRouter, FastAPI

__all__ = ["WebSettings", "create_app", "create_served_app"]


def create_app(settings: WebSettings | None = None, *, routers: Sequence[APIRouter] = ()) -> FastAPI:
    """Build the web app; see :func:`gabacare.web.app.create_app`."""
    from gabacare.web.app import create_app as _create

    return _create(settings, routers=routers)


def create_served_app() -> FastAPI:
    """The app as ``gabacare serve`` runs it; see :func:`gabacare.web.app.create_served_app`."""
    from gabacare.web.app import create_served_app as _create

    return _create()
