"""CDS Hooks 2.0 routes: discovery, the three hook services and feedback (logic in :mod:`gabacare.interop.cds`).

=====================================  ==============================================================
route                                  answer
=====================================  ==============================================================
``GET  /cds-services``                 the discovery document (three services, four prefetch keys)
``POST /cds-services/{id}``            ``{"cards": [...]}``; 400 malformed, 404 unknown service, 412
                                       prefetch missing and no usable FHIR server
``POST /cds-services/{id}/feedback``   ``{"stored": n, "duplicates": k}``; 400 malformed
``OPTIONS`` (CORS preflight)           for the origins in ``GABACARE_CDS_CORS_ORIGINS`` only
=====================================  ==============================================================

Errors on these routes are FHIR ``OperationOutcome`` bodies (what EHRs read), not problem details:
every issue has ``severity``, ``code`` and a ``diagnostics`` line naming the field, never a value.

Security (settings in :mod:`gabacare.web.settings`, guide in ``docs/cds-hooks.md``): with
``GABACARE_CDS_REQUIRE_JWT=true`` every call, discovery included, needs ``Authorization: Bearer
<JWT>`` that :func:`gabacare.interop.cds_auth.verify_cds_jwt` accepts: ES384/RS384 only, an allowed
issuer, a key from the configured JWKS, ``aud`` equal to ``GABACARE_PUBLIC_BASE_URL`` + the path
of the service called (never the Host header), a lifetime of at most ``GABACARE_CDS_JWT_MAX_AGE_S``
and a ``jti`` not seen within that time. Off by default, for local demos.

The patient-view summary card reads the journal of the GabaCare patient linked to the EHR's
patient id by ``GABACARE_CDS_PATIENT_LINKS_FILE`` (the journal keeps no external ids yet).

Handles patient data: nothing here logs request bodies or claims.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping, MutableSet
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from gabacare.web.deps import bearer_token

if TYPE_CHECKING:
    from fastapi import FastAPI
    from starlette.types import ASGIApp, Receive, Scope, Send

    from gabacare.interop.cds import FeedbackStore, Fetcher, SummaryProvider
    from gabacare.journal.services import Journal
    from gabacare.web.settings import WebSettings

__all__ = ["CdsCorsMiddleware", "CdsState", "SeenTokenIds", "install", "journal_summary", "load_patient_links", "router"]

router = APIRouter(tags=["cds-hooks"])
PREFIX = "/cds-services"


# -- state --------------------------------------------------------------------------------------------
class SeenTokenIds(MutableSet[str]):
    """The ``jti`` values accepted in the last ``ttl_s`` seconds (single use within a token's lifetime).

    Tokens living longer than ``ttl_s`` are refused by the route, so forgetting an id after ``ttl_s``
    never lets a still-valid token be replayed. In memory and per process, like the sign-in limiter.
    """

    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def _prune(self) -> None:
        now = self._clock()
        for key in [k for k, until in self._seen.items() if until <= now]:
            del self._seen[key]

    def __contains__(self, item: object) -> bool:
        with self._lock:
            self._prune()
            return item in self._seen

    def __iter__(self) -> Iterator[str]:
        with self._lock:
            self._prune()
            return iter(list(self._seen))

    def __len__(self) -> int:
        with self._lock:
            self._prune()
            return len(self._seen)

    def add(self, value: str) -> None:
        with self._lock:
            self._seen[value] = self._clock() + self.ttl_s

    def discard(self, value: str) -> None:
        with self._lock:
            self._seen.pop(value, None)


@dataclass
class CdsState:
    """What the CDS routes need, built once by :func:`install` (``app.state.cds``)."""

    require_jwt: bool
    base_url: str | None
    issuers: tuple[str, ...]
    jwks: Mapping[str, Any]
    max_age_s: int
    seen_jti: SeenTokenIds
    feedback: FeedbackStore
    fetch: Fetcher
    summary_provider: SummaryProvider | None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


# -- responses ----------------------------------------------------------------------------------------
def _outcome(status: int, reason: str, code: str, headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": code, "diagnostics": reason}]}
    return JSONResponse(body, status_code=status, headers=headers)


def _refused(reason: str) -> JSONResponse:
    return _outcome(401, reason, "security", {"www-authenticate": 'Bearer error="invalid_token"'})


def _check_token(request: Request, path: str) -> JSONResponse | None:
    """None when the call may go ahead; else the 401 to send. ``path`` is the route's own path."""
    from gabacare.interop.cds_auth import CdsAuthError, verify_cds_jwt

    state: CdsState = request.app.state.cds
    if not state.require_jwt:
        return None
    token = bearer_token(request)
    if token is None:
        return _refused("this CDS service needs an Authorization: Bearer JWT")
    assert state.base_url is not None  # WebSettings refuses require_jwt without it
    try:
        claims = verify_cds_jwt(token, audience=state.base_url + path, issuers=state.issuers, jwks=state.jwks,
                                seen_jti=state.seen_jti)
    except CdsAuthError as exc:
        return _refused(str(exc))
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or exp - time.time() > state.max_age_s:
        return _refused(f"the token lives longer than the {state.max_age_s} s this service accepts")
    return None


async def _json_body(request: Request) -> tuple[Any, JSONResponse | None]:
    raw = await request.body()
    if not raw.strip():
        return None, _outcome(400, "the request body is empty; send the hook request as JSON", "invalid")
    try:
        return json.loads(raw.decode("utf-8-sig")), None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None, _outcome(400, "the request body is not valid UTF-8 JSON", "invalid")


# -- OpenAPI description (the routes read raw JSON so that every malformed body gets a CDS answer) ------
_OUTCOME_SCHEMA = {"type": "object", "required": ["resourceType", "issue"], "properties": {
    "resourceType": {"const": "OperationOutcome"},
    "issue": {"type": "array", "items": {"type": "object", "properties": {
        "severity": {"type": "string"}, "code": {"type": "string"}, "diagnostics": {"type": "string"}}}}}}


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    text = {400: "Malformed request (the diagnostics name the field).", 401: "Bearer JWT missing or refused.",
            404: "Unknown CDS service.", 412: "Required prefetch missing and no usable FHIR server."}
    return {s: {"description": text[s], "content": {"application/json": {"schema": _OUTCOME_SCHEMA}}} for s in statuses}


_HOOK_REQUEST = {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["hook", "hookInstance", "context"], "properties": {
        "hook": {"type": "string", "enum": ["order-select", "order-sign", "patient-view"]},
        "hookInstance": {"type": "string", "format": "uuid"},
        "fhirServer": {"type": "string"},
        "fhirAuthorization": {"type": "object"},
        "context": {"type": "object", "required": ["userId", "patientId"], "properties": {
            "userId": {"type": "string"}, "patientId": {"type": "string"}, "encounterId": {"type": "string"},
            "selections": {"type": "array", "items": {"type": "string"}},
            "draftOrders": {"type": "object"}}},
        "prefetch": {"type": "object", "additionalProperties": {"type": ["object", "null"]}},
    }}}}}
_FEEDBACK_REQUEST = {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["feedback"], "properties": {"feedback": {"type": "array", "items": {
        "type": "object", "required": ["card", "outcome", "outcomeTimestamp"], "properties": {
            "card": {"type": "string"}, "outcome": {"type": "string", "enum": ["accepted", "overridden"]},
            "acceptedSuggestions": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "string"}}}},
            "overrideReason": {"type": "object"}, "outcomeTimestamp": {"type": "string", "format": "date-time"}}}}}}}}}
_CARDS = {"description": "Cards (possibly none).", "content": {"application/json": {"schema": {
    "type": "object", "required": ["cards"], "properties": {"cards": {"type": "array", "items": {"type": "object"}}}}}}}
_SERVICES = {"description": "The discovery document.", "content": {"application/json": {"schema": {
    "type": "object", "required": ["services"], "properties": {"services": {"type": "array", "items": {"type": "object"}}}}}}}
_STORED = {"description": "Feedback stored (idempotent).", "content": {"application/json": {"schema": {
    "type": "object", "required": ["stored", "duplicates"],
    "properties": {"stored": {"type": "integer"}, "duplicates": {"type": "integer"}}}}}}


# -- routes -------------------------------------------------------------------------------------------
@router.get(PREFIX, response_model=None, responses={200: _SERVICES, **_errors(401)})
def discovery(request: Request) -> JSONResponse:
    """CDS Hooks discovery: GabaCare's order-select, order-sign and patient-view services."""
    from gabacare.interop.cds import discovery as _discovery

    refused = _check_token(request, PREFIX)
    return refused or JSONResponse(_discovery())


@router.post(PREFIX + "/{service_id}", response_model=None, openapi_extra={"requestBody": _HOOK_REQUEST},
             responses={200: _CARDS, **_errors(400, 401, 404, 412)})
async def call_service(request: Request, service_id: str) -> JSONResponse:
    """Run one CDS service on a hook request; cards cite their sources and end with the notice."""
    from starlette.concurrency import run_in_threadpool

    from gabacare.interop.cds import handle_hook

    refused = _check_token(request, f"{PREFIX}/{service_id}")
    if refused is not None:
        return refused
    body, bad = await _json_body(request)
    if bad is not None:
        return bad
    state: CdsState = request.app.state.cds
    # The hook may read the EHR's FHIR server (blocking I/O): off the event loop.
    result = await run_in_threadpool(handle_hook, service_id, body, fetch=state.fetch, now=state.clock(),
                                     summary_provider=state.summary_provider)
    return JSONResponse(result.body, status_code=result.status)


@router.post(PREFIX + "/{service_id}/feedback", response_model=None, openapi_extra={"requestBody": _FEEDBACK_REQUEST},
             responses={200: _STORED, **_errors(400, 401, 404)})
async def feedback(request: Request, service_id: str) -> JSONResponse:
    """Record what the clinician did with GabaCare's cards (accepted or overridden, with the reason)."""
    from gabacare.interop.cds import record_feedback

    refused = _check_token(request, f"{PREFIX}/{service_id}/feedback")
    if refused is not None:
        return refused
    body, bad = await _json_body(request)
    if bad is not None:
        return bad
    state: CdsState = request.app.state.cds
    result = record_feedback(service_id, body, state.feedback)
    return JSONResponse(result.body, status_code=result.status)


# -- CORS for browser EHR clients (these routes only) ---------------------------------------------------
class CdsCorsMiddleware:
    """Starlette's CORS handling for ``/cds-services`` only: exact origins, GET/POST/OPTIONS,
    ``Authorization`` and ``Content-Type``. Other paths pass through untouched (pages stay same-origin)."""

    def __init__(self, app: ASGIApp, origins: tuple[str, ...], max_age_s: int = 600) -> None:
        from starlette.middleware.cors import CORSMiddleware

        self.app = app
        self.cors = CORSMiddleware(app, allow_origins=list(origins), allow_methods=["GET", "POST", "OPTIONS"],
                                   allow_headers=["Authorization", "Content-Type"], max_age=max_age_s)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] == "http" and (path == PREFIX or path.startswith(PREFIX + "/")):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


# -- the patient-view summary ---------------------------------------------------------------------------
def load_patient_links(path: Path) -> dict[str, int]:
    """Read ``{"<EHR patient id>": <GabaCare patient id>, ...}``; ValueError names what is wrong (not ids)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"GABACARE_CDS_PATIENT_LINKS_FILE {path} cannot be read as JSON ({type(exc).__name__})") from None
    if not isinstance(doc, dict) or not all(
            isinstance(k, str) and k.strip() and isinstance(v, int) and not isinstance(v, bool) and v > 0
            for k, v in doc.items()):
        raise ValueError(f"GABACARE_CDS_PATIENT_LINKS_FILE {path} must map EHR patient ids to GabaCare patient ids")
    return {k.strip().removeprefix("Patient/"): v for k, v in doc.items()}


def journal_summary(journal: Journal, patient_id: int, *, days: int) -> dict[str, Any]:
    """What :func:`gabacare.interop.cds.handle_hook` shows on the patient-view card, from the last ``days``.

    Keys: ``period``, ``adherence_pct`` (None when nothing was due), ``plan`` (label in force),
    ``trends`` (scale → "first → last rolling mean"), ``side_effects`` (distinct, newest first, at
    most five) and ``emergencies`` (side effects the triage flagged as emergencies).
    """
    today = journal.clock().date()
    start = today - timedelta(days=days - 1)
    journal.get_patient(patient_id)
    adherence = journal.adherence(patient_id, start=start, end=today)
    plan = journal.active_plan(patient_id, on=today)
    trends: dict[str, str] = {}
    for scale, points in journal.trends(patient_id, start=start, end=today).scales.items():
        if points:
            first, last = points[0].rolling_mean, points[-1].rolling_mean
            word = "falling" if last < first else "rising" if last > first else "steady"
            trends[scale] = f"{first:.1f} → {last:.1f} ({word}, {len(points)} days logged)"
    effects = journal.entries(patient_id, start=start, end=today, kinds=["side_effect"])
    texts = list(dict.fromkeys((e.data.text or "").strip() for e in reversed(effects) if (e.data.text or "").strip()))
    return {
        "period": f"{start.isoformat()} to {today.isoformat()}",
        "adherence_pct": adherence.adherence_pct,
        "plan": plan.plan.label if plan else None,
        "trends": trends,
        "side_effects": texts[:5],
        "emergencies": sum(1 for e in effects if e.data.urgency == "emergency"),
    }


def _provider(links: Mapping[str, int], db: str | None, days: int) -> SummaryProvider:
    def provide(ehr_patient_id: str) -> Mapping[str, Any] | None:
        from gabacare.composition import journal

        patient_id = links.get(ehr_patient_id)
        return None if patient_id is None else journal_summary(journal(db), patient_id, days=days)

    return provide


def _load_jwks(path: Path | None) -> Mapping[str, Any]:
    if path is None:
        return {"keys": []}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"GABACARE_CDS_JWKS_FILE {path} cannot be read as JSON ({type(exc).__name__})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("keys"), list) or not doc["keys"]:
        raise ValueError(f"GABACARE_CDS_JWKS_FILE {path} must be a JWKS: {{\"keys\": [ ... ]}} with at least one key")
    return doc


def install(app: FastAPI) -> None:
    """Add the CDS Hooks routes, their state and their CORS handling to ``app`` (from ``create_app``)."""
    from gabacare.interop.cds import InMemoryFeedbackStore, make_http_fetcher

    settings: WebSettings = app.state.settings
    links = load_patient_links(settings.cds_patient_links_file) if settings.cds_patient_links_file else None
    app.state.cds = CdsState(
        require_jwt=settings.cds_require_jwt, base_url=settings.public_base_url, issuers=settings.cds_issuers,
        jwks=_load_jwks(settings.cds_jwks_file), max_age_s=settings.cds_jwt_max_age_s,
        seen_jti=SeenTokenIds(settings.cds_jwt_max_age_s), feedback=InMemoryFeedbackStore(),
        fetch=make_http_fetcher(settings.cds_fhir_timeout_s),
        summary_provider=None if links is None else _provider(links, getattr(settings, "db", None),
                                                              settings.cds_summary_days),
    )
    app.include_router(router)
    app.add_middleware(CdsCorsMiddleware, origins=settings.cds_cors_origins)
