"""RFC 9457 problem details for every error the API (and, as HTML, the pages) can answer.

=========================  ======  ==============================================================
problem type (slug)        status  when
=========================  ======  ==============================================================
``clinical-input``         422     the core refused an input (:class:`ClinicalInputError`)
``validation``             422     a parameter is missing or of the wrong type
``malformed-json``         400     the body is not JSON at all
``csrf``                   403     a form was posted without a valid CSRF token
``too-many-attempts``      429     sign-in rate limit (per account and address, and per address)
``invalid-request``        400     a malformed header, or JSON text with a lone surrogate
``too-large``              413     a request body above ``GABACARE_MAX_BODY_BYTES``
``busy``                   503     too many password checks at once (Argon2 is memory-hard: bounded)
``unavailable``            503     the journal database is damaged, read-only or locked
``too-slow``               503     no answer within the request time budget (``GABACARE_REQUEST_TIME_BUDGET_S``)
(``about:blank``)          4xx     plain HTTP errors: 404 not found, 405 method not allowed, …
``internal``               500     a bug; the body says nothing about the request
=========================  ======  ==============================================================

Bodies are ``application/problem+json`` with ``type``, ``title``, ``status``, ``detail`` and
``instance`` (the path, never the query string, which may hold health data); validation problems add
``errors`` (location, message, type; the offending input is not echoed).
"""

from __future__ import annotations

import logging
import traceback
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from gabacare.web.serialize import jsonable

if TYPE_CHECKING:
    from fastapi import FastAPI, Request
    from starlette.responses import Response

__all__ = ["PROBLEM_TYPES", "ProblemError", "install_problem_handlers", "problem_response", "tree_problem", "wants_html"]

log = logging.getLogger("gabacare.web")

#: slug → title of GabaCare's own problem types (documented at ``/problems/{slug}``).
PROBLEM_TYPES: dict[str, tuple[str, str]] = {
    "clinical-input": ("Input refused", "GabaCare refused an input that is missing, malformed or implausible. "
                       "The detail says what to change; GabaCare never guesses a clinical value."),
    "validation": ("Invalid request", "A parameter is missing or has the wrong type. The errors list says which."),
    "malformed-json": ("Malformed JSON", "The request body could not be read as JSON."),
    "csrf": ("Form expired or forged", "The form was sent without a valid CSRF token. Reload the page and send it again."),
    "too-many-attempts": ("Too many attempts", "Too many failed sign-ins in a short time. Wait, then try again."),
    "invalid-request": ("Invalid request", "The request could not be read: a malformed header or text that is not "
                        "valid (e.g. a lone surrogate character)."),
    "too-large": ("Request too large", "The request body is larger than this server accepts. Send less at once "
                  "(e.g. split an import)."),
    "unavailable": ("Journal unavailable", "The journal database cannot be read or written right now (damaged, "
                    "read-only or busy). Nothing was changed; try again later or restore it from a backup."),
    "busy": ("Server busy", "Too many sign-ins are being checked at once. Wait a moment, then try again."),
    "too-slow": ("Took too long", "The server could not answer within the time it allows one request. Nothing "
                 "more will be sent for this one; ask for less at once (e.g. a shorter period) and try again."),
    "internal": ("Internal error", "Something went wrong inside GabaCare. It has been logged without your data."),
}


class ProblemError(Exception):
    """Raise from a route to answer a problem: ``ProblemError(403, "csrf", "reload the form")``."""

    def __init__(self, status: int, slug: str | None, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.detail = detail
        self.headers = headers or {}


def _type_uri(request: Request, slug: str | None) -> str:
    return "about:blank" if slug is None else f"{str(request.base_url).rstrip('/')}/problems/{slug}"


def _title(status: int, slug: str | None) -> str:
    if slug is not None and slug in PROBLEM_TYPES:
        return PROBLEM_TYPES[slug][0]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def wants_html(request: Request) -> bool:
    """True for page requests (outside ``/api/`` and asking for HTML); the API always answers JSON."""
    if request.url.path.startswith("/api/"):
        return False
    accept = request.headers.get("accept", "")
    return "text/html" in accept or request.headers.get("hx-request") == "true"


def problem_response(request: Request, status: int, slug: str | None, detail: str, *,
                     headers: dict[str, str] | None = None, extra: dict[str, Any] | None = None) -> Response:
    """A problem as JSON (API, scripts) or as an HTML error page (browsers on the pages)."""
    from fastapi.responses import JSONResponse

    title = _title(status, slug)
    if wants_html(request):
        templates = getattr(request.app.state, "templates", None)
        if templates is not None:
            # An HTMX request swaps the answer into the page: give it the alert alone, not a whole page.
            name = "_problem.html" if request.headers.get("hx-request") == "true" else "error.html"
            page: Response = templates.TemplateResponse(
                request, name, {"status": status, "title": title, "detail": detail}, status_code=status, headers=headers)
            return page
    body: dict[str, Any] = {"type": _type_uri(request, slug), "title": title, "status": status, "detail": detail,
                            "instance": request.url.path}
    if extra:
        body.update(jsonable(extra))
    return JSONResponse(body, status_code=status, headers=headers, media_type="application/problem+json")


def tree_problem(exc: BaseException) -> tuple[int, str | None, str]:
    """Status, problem slug and detail for an error of the one tree (:mod:`gabacare.errors`), by its type.

    Input, not-found and conflict errors keep their message (it names the field and the rule, never a
    patient's value); storage errors answer the ``unavailable`` text, access errors the status phrase,
    and anything else (internal, or outside the tree) the ``internal`` text: never the message.

    Examples
    --------
    >>> from gabacare.errors import InputError, InternalError, StorageError
    >>> tree_problem(InputError("dose must be above 0 mg"))
    (422, 'clinical-input', 'dose must be above 0 mg')
    >>> tree_problem(StorageError("disk full"))[:2]
    (503, 'unavailable')
    >>> tree_problem(InternalError("bug"))[:2]
    (500, 'internal')
    >>> tree_problem(ValueError("not ours"))[:2]
    (500, 'internal')
    """
    from gabacare.errors import http_status

    status = http_status(exc)
    slug = {422: "clinical-input", 503: "unavailable", 500: "internal"}.get(status)
    if status in (404, 409, 422):
        detail = " ".join(str(exc).split())
    elif slug is not None:
        detail = PROBLEM_TYPES[slug][1]
    else:
        detail = _title(status, None)
    return status, slug, detail


def _validation_errors(errors: Any) -> list[dict[str, Any]]:
    out = []
    for e in errors:
        out.append({"loc": [str(x) for x in e.get("loc", ())], "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))})
    return out


def _allowed_methods(request: Request) -> str:
    """Every method some route accepts at this path (Starlette names only the first route's)."""
    from starlette.routing import Match

    allowed = []
    for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
        probe = {**request.scope, "method": method}
        if any(route.matches(probe)[0] == Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return ", ".join(allowed)


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error as a problem; log only the kind of error and the route, never the data."""
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException

    from gabacare.clinical.errors import ClinicalInputError
    from gabacare.errors import GabaCareError

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else _title(exc.status_code, None)
        headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
        if exc.status_code == 405:
            headers["allow"] = _allowed_methods(request)
        return problem_response(request, exc.status_code, None, detail, headers=headers)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = _validation_errors(exc.errors())
        if any(e["type"] == "json_invalid" for e in errors):
            return problem_response(request, 400, "malformed-json", "The request body is not valid JSON.")
        where = "; ".join(f"{'.'.join(e['loc'][1:]) or e['loc'][0]}: {e['msg']}" for e in errors[:5]) if errors else ""
        return problem_response(request, 422, "validation", where or "The request is not valid.", extra={"errors": errors})

    async def on_clinical(request: Request, exc: Exception) -> Response:
        return problem_response(request, 422, "clinical-input", " ".join(str(exc).split()))

    async def on_gabacare(request: Request, exc: Exception) -> Response:
        # Any error of the one tree (gabacare/errors.py) not handled more specifically: mapped by type.
        status, slug, detail = tree_problem(exc)
        if status == 500:
            return await on_bug(request, exc)
        return problem_response(request, status, slug, detail)

    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ProblemError)
        return problem_response(request, exc.status, exc.slug, exc.detail, headers=exc.headers)

    async def on_bug(request: Request, exc: Exception) -> Response:
        # NOTE: the traceback's frames are logged, the exception's message is not: it may quote input.
        frames = "".join(traceback.format_tb(exc.__traceback__))
        log.error("unhandled %s on %s %s\n%s", type(exc).__name__, request.method, request.url.path, frames)
        return problem_response(request, 500, "internal", "GabaCare hit an internal error; please report it.")

    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(ClinicalInputError, on_clinical)
    app.add_exception_handler(GabaCareError, on_gabacare)
    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(Exception, on_bug)
