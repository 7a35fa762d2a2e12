"""CDS Hooks 2.0 routes: discovery, the three hook services and feedback (logic in :mod:`gabacare.interop.cds`).

=====================================  ==============================================================
route                                  answer
=====================================  ==============================================================
``GET  /cds-services``                 the discovery document (three services, four prefetch keys)
``POST /cds-services/{id}``            ``{"cards": [...]}``; 400 malformed or beyond a bound, 404 unknown
                                       service, 412 prefetch missing and no usable FHIR server, 413 body
                                       larger than ``GABACARE_CDS_MAX_BODY_BYTES``
``POST /cds-services/{id}/feedback``   ``{"stored": n, "duplicates": k}``; 400 malformed, 413 too large
``OPTIONS`` (CORS preflight)           for the origins in ``GABACARE_CDS_CORS_ORIGINS`` only
=====================================  ==============================================================

Errors on these routes are FHIR ``OperationOutcome`` bodies (what EHRs read), not problem details:
every issue has ``severity``, ``code`` and a ``diagnostics`` line naming the field, never a value.

Security (settings in :mod:`gabacare.web.settings`, guide in ``docs/cds-hooks.md``), secure by default:

* every call, discovery included, needs ``Authorization: Bearer <JWT>`` that
  :func:`gabacare.interop.cds_auth.verify_cds_jwt` accepts: ES384/RS384 only, an allowed issuer, a
  key configured for that issuer, ``aud`` equal to ``GABACARE_PUBLIC_BASE_URL`` + the path of the
  service called (never the Host header), a lifetime of at most ``GABACARE_CDS_JWT_MAX_AGE_S`` and a
  ``jti`` not seen within that time. With no issuer configured every call is refused (401) and a
  warning is logged at start-up; ``GABACARE_CDS_REQUIRE_JWT=false`` turns the check off for
  development, with a louder warning;
* the request body is bounded (``GABACARE_CDS_MAX_BODY_BYTES``: 413 from ``Content-Length`` before
  reading, or as soon as a streamed body passes it); JSON ``NaN``/``Infinity`` and numbers that
  overflow to infinity are refused (400); every count and range in the request is checked before any
  work (:mod:`gabacare.interop.cds_request`);
* the EHR's ``fhirServer`` is read only through :class:`gabacare.interop.fhir_client.FhirClient`
  (allow-list ``GABACARE_CDS_FHIR_SERVERS``, public addresses unless configured, one deadline for all
  the reads of a call, a size limit, the token sent only to that server, no redirects);
* hook calls run in their own pool of ``GABACARE_CDS_MAX_CONCURRENT_CALLS`` threads, so a slow EHR
  never holds the threads the pages and the API use.

The patient-view summary card reads the journal of the GabaCare patient linked to the EHR's
patient id by ``GABACARE_CDS_PATIENT_LINKS_FILE`` (the journal keeps no external ids yet).

Handles patient data: nothing here logs request bodies or claims.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator, Mapping, MutableSet
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from gabacare.web.deps import bearer_token

if TYPE_CHECKING:
    from fastapi import FastAPI
    from starlette.types import ASGIApp, Receive, Scope, Send

    from gabacare.interop.cds import FeedbackStore, SummaryProvider
    from gabacare.interop.fhir_client import FhirClient
    from gabacare.journal.services import Journal
    from gabacare.web.settings import WebSettings

__all__ = ["CdsCorsMiddleware", "CdsState", "SeenTokenIds", "TokenIdLedger", "install",
           "journal_summary", "load_patient_links", "router"]

router = APIRouter(tags=["cds-hooks"])
PREFIX = "/cds-services"
log = logging.getLogger("gabacare.web.cds")


# -- state --------------------------------------------------------------------------------------------
class TokenIdLedger(Protocol):
    """Where accepted ``jti`` values are kept: ``claim`` adds one and says whether it was new."""

    def claim(self, value: str) -> bool: ...


class SeenTokenIds(MutableSet[str]):
    """The ``jti`` values accepted in the last ``ttl_s`` seconds (single use within a token's lifetime).

    Tokens living longer than ``ttl_s`` are refused by the route, so forgetting an id after ``ttl_s``
    never lets a still-valid token be replayed. In memory and per process (tests, a single process);
    ``create_app`` gives :class:`gabacare.web.shared_state.SqlSeenTokenIds` instead when a database
    is named, shared by every process using it. :meth:`claim` is the test-and-add the routes use.
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

    def claim(self, value: str) -> bool:
        """Add ``value``; True when it was not there, False when it was (a replay). Atomic."""
        with self._lock:
            self._prune()
            if value in self._seen:
                return False
            self._seen[value] = self._clock() + self.ttl_s
            return True

    def discard(self, value: str) -> None:
        with self._lock:
            self._seen.pop(value, None)


@dataclass
class CdsState:
    """What the CDS routes need, built once by :func:`install` (``app.state.cds``).

    ``jwks`` holds the keys trusted for every issuer; ``issuer_keys`` (when the JWKS file maps each
    issuer to its own JWKS) the keys trusted for each one. ``fhir_client`` is None when no FHIR
    server is allowed (answers then come from the prefetch alone).
    """

    require_jwt: bool
    base_url: str | None
    issuers: tuple[str, ...]
    jwks: Mapping[str, Any]
    max_age_s: int
    seen_jti: TokenIdLedger
    feedback: FeedbackStore
    fhir_client: FhirClient | None
    summary_provider: SummaryProvider | None
    max_body_bytes: int
    executor: ThreadPoolExecutor
    issuer_keys: Mapping[str, Mapping[str, Any]] | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    @property
    def jwt_configured(self) -> bool:
        keys = self.jwks.get("keys") if self.issuer_keys is None else self.issuer_keys
        return bool(self.base_url and self.issuers and keys)


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
    if not state.jwt_configured or state.base_url is None:
        return _refused("this server trusts no CDS client yet: GABACARE_PUBLIC_BASE_URL, GABACARE_CDS_ISSUERS "
                        "and GABACARE_CDS_JWKS_FILE are not all set (see docs/cds-hooks.md)")
    token = bearer_token(request)
    if token is None:
        return _refused("this CDS service needs an Authorization: Bearer JWT")
    issuers, jwks = state.issuers, state.jwks
    if state.issuer_keys is not None:  # each issuer's own keys: one issuer cannot sign as another
        issuer = _unverified_issuer(token)
        if issuer is None or issuer not in state.issuer_keys:
            return _refused("the token's issuer is not on the allow-list")
        issuers, jwks = (issuer,), state.issuer_keys[issuer]
    try:
        claims = verify_cds_jwt(token, audience=state.base_url + path, issuers=issuers, jwks=jwks)
    except CdsAuthError as exc:
        return _refused(str(exc))
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or exp - time.time() > state.max_age_s:
        return _refused(f"the token lives longer than the {state.max_age_s} s this service accepts")
    # Single use: one atomic claim (with the database ledger, one INSERT on a primary key), never a
    # look-up then an add, so two processes given one token cannot both accept it.
    if not state.seen_jti.claim(claims["jti"]):
        return _refused("the token's jti was already used")
    return None


def _unverified_issuer(token: str) -> str | None:
    """The ``iss`` a token claims, read without verifying it (only to choose which keys verify it)."""
    import jwt

    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    iss = claims.get("iss") if isinstance(claims, dict) else None
    return iss if isinstance(iss, str) else None


def _too_large(limit: int) -> JSONResponse:
    return _outcome(413, f"the request body is larger than the {limit} bytes this CDS service accepts", "too-long")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("a JSON number overflows to infinity")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"JSON has no {name}")


async def _json_body(request: Request) -> tuple[Any, JSONResponse | None]:
    """The body as JSON, bounded by ``GABACARE_CDS_MAX_BODY_BYTES``: refused from ``Content-Length``
    before reading, or while reading a streamed (chunked) body as soon as it passes the limit."""
    state: CdsState = request.app.state.cds
    limit = state.max_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        return None, _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None, _too_large(limit)
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        return None, _outcome(400, "the request body is empty; send the hook request as JSON", "invalid")
    try:
        return json.loads(raw.decode("utf-8-sig"), parse_float=_finite_float, parse_constant=_no_constant), None
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None, _outcome(400, "the request body is not valid UTF-8 JSON (numbers finite, no NaN or Infinity)",
                              "invalid")


# -- OpenAPI description (the routes read raw JSON so that every malformed body gets a CDS answer) ------
_OUTCOME_SCHEMA = {"type": "object", "required": ["resourceType", "issue"], "properties": {
    "resourceType": {"const": "OperationOutcome"},
    "issue": {"type": "array", "items": {"type": "object", "properties": {
        "severity": {"type": "string"}, "code": {"type": "string"}, "diagnostics": {"type": "string"}}}}}}


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    text = {400: "Malformed request, or a count or value beyond GabaCare's bounds (the diagnostics name the field).",
            401: "Bearer JWT missing or refused.", 404: "Unknown CDS service.",
            412: "Required prefetch missing and no usable FHIR server.",
            413: "Request body larger than GABACARE_CDS_MAX_BODY_BYTES."}
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
             responses={200: _CARDS, **_errors(400, 401, 404, 412, 413)})
async def call_service(request: Request, service_id: str) -> JSONResponse:
    """Run one CDS service on a hook request; cards cite their sources and end with the notice."""
    refused = _check_token(request, f"{PREFIX}/{service_id}")
    if refused is not None:
        return refused
    body, bad = await _json_body(request)
    if bad is not None:
        return bad
    state: CdsState = request.app.state.cds
    # The FHIR server's one deadline starts now, not when a CDS thread is free: a call that waited in
    # the queue past it answers from its prefetch at once instead of holding a thread again.
    deadline = None if state.fhir_client is None else time.monotonic() + state.fhir_client.policy.deadline_s
    # The hook may read the EHR's FHIR server (blocking I/O): off the event loop, in the CDS pool.
    call = functools.partial(_run_hook, state, service_id, body, state.clock(), deadline)
    result = await asyncio.get_running_loop().run_in_executor(state.executor, call)
    return JSONResponse(result.body, status_code=result.status)


def _run_hook(state: CdsState, service_id: str, body: Any, now: datetime, deadline: float | None) -> Any:
    """One hook call in a CDS thread (every read of the EHR's FHIR server ends by ``deadline``)."""
    from gabacare.interop.cds import handle_hook

    fetch = state.fhir_client.fetcher(deadline) if state.fhir_client is not None else None
    return handle_hook(service_id, body, fetch=fetch, now=now, summary_provider=state.summary_provider)


@router.post(PREFIX + "/{service_id}/feedback", response_model=None, openapi_extra={"requestBody": _FEEDBACK_REQUEST},
             responses={200: _STORED, **_errors(400, 401, 404, 413)})
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
    most five), ``emergencies`` (side effects the triage flagged as emergencies) and ``measured_level``
    (the latest gabapentin level and what it says, or None), ``taper_watch`` (the withdrawal watch's
    proposal over the latest taper step with its evidence, or None outside a taper).
    """
    today = journal.clock().date()
    start = today - timedelta(days=days - 1)
    journal.get_patient(patient_id)
    adherence, period_trends = journal.adherence_and_trends(patient_id, start=start, end=today)  # one read
    plan = journal.active_plan(patient_id, on=today)
    trends: dict[str, str] = {}
    for scale, points in period_trends.scales.items():
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
        "measured_level": _measured_level(journal, patient_id),
        "taper_watch": _taper_watch(journal, patient_id),
    }


def _taper_watch(journal: Journal, patient_id: int) -> dict[str, Any] | None:
    """The withdrawal watch over the latest taper step, or None outside a taper."""
    from gabacare.app.questionnaires import taper_watch

    w = taper_watch(journal, patient_id).result
    if w is None:
        return None
    return {"proposal": w.proposal, "title": w.title, "message": w.message,
            "step": {"at": w.step.at.isoformat(timespec="minutes"), "from_mg_per_day": w.step.from_mg_per_day,
                     "to_mg_per_day": w.step.to_mg_per_day},
            "window": {"start": w.window_start.isoformat(timespec="minutes"),
                       "end": w.window_end.isoformat(timespec="minutes"), "complete": w.window_complete},
            "evidence": [{"at": e.at.isoformat(timespec="minutes"), "name": (e.name or e.kind).replace("_", " "),
                          "level": e.level_word or e.value} for e in w.evidence],
            "citations": list(w.citations)}


def _measured_level(journal: Journal, patient_id: int) -> dict[str, Any] | None:
    """The latest measured level and what it says (``gabacare estimate``), or None without one."""
    from gabacare.app.estimate import measured_estimate

    answer, _why = measured_estimate(journal, patient_id)
    if answer is None:
        return None
    est, latest = answer.estimate, answer.levels[-1]
    proposal = None
    if answer.proposal is not None:
        p = answer.proposal.prediction
        proposal = (f"{answer.proposal_text}, predicted trough {p.trough_mg_per_l:.1f} mg/L "
                    f"({p.trough_interval[0]:.1f}-{p.trough_interval[1]:.1f})")
    return {"at": latest.at.isoformat(timespec="minutes"), "measured_mg_per_l": latest.mg_per_l,
            "cl_l_per_h": est.individual.cl_l_per_h, "cl_interval": est.cl_interval,
            "typical_cl_l_per_h": est.population.cl_l_per_h, "proposal": proposal, "reason": answer.reason,
            "warnings": list(answer.warnings), "citations": list(answer.citations)}


def _provider(links: Mapping[str, int], db: str | None, days: int) -> SummaryProvider:
    def provide(ehr_patient_id: str) -> Mapping[str, Any] | None:
        from gabacare.composition import journal

        patient_id = links.get(ehr_patient_id)
        return None if patient_id is None else journal_summary(journal(db), patient_id, days=days)

    return provide


def _is_jwks(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("keys"), list) and bool(doc["keys"])


def load_jwks(path: Path | None, issuers: tuple[str, ...]) -> tuple[Mapping[str, Any], Mapping[str, Mapping[str, Any]] | None]:
    """Read ``GABACARE_CDS_JWKS_FILE``: a JWKS (``{"keys": [...]}``, trusted for every issuer) or an
    object mapping each issuer to its own JWKS. Returns (shared JWKS, per-issuer JWKS or None)."""
    if path is None:
        return {"keys": []}, None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"GABACARE_CDS_JWKS_FILE {path} cannot be read as JSON ({type(exc).__name__})") from None
    if _is_jwks(doc):
        return doc, None
    if isinstance(doc, dict) and doc and all(isinstance(k, str) and _is_jwks(v) for k, v in doc.items()):
        unknown = sorted(set(doc) - set(issuers))
        if unknown:
            raise ValueError(f"GABACARE_CDS_JWKS_FILE {path} has keys for issuers not in GABACARE_CDS_ISSUERS: "
                             + ", ".join(unknown))
        return {"keys": []}, doc
    raise ValueError(f"GABACARE_CDS_JWKS_FILE {path} must be a JWKS ({{\"keys\": [ ... ]}} with at least one key) "
                     "or an object mapping each issuer to its JWKS")


def _fhir_client(settings: WebSettings) -> FhirClient | None:
    import ipaddress

    from gabacare.interop.fhir_client import FhirClient, FhirServerPolicy

    if not settings.cds_fhir_servers:
        return None
    policy = FhirServerPolicy(
        allowed_origins=settings.cds_fhir_servers, deadline_s=settings.cds_fhir_timeout_s,
        max_bytes=settings.cds_fhir_max_bytes,
        private_networks=tuple(ipaddress.ip_network(n, strict=False) for n in settings.cds_fhir_private_networks))
    return FhirClient(policy)


def install(app: FastAPI, *, seen_jti: TokenIdLedger | None = None, feedback: FeedbackStore | None = None) -> None:
    """Add the CDS Hooks routes, their state and their CORS handling to ``app`` (from ``create_app``).

    ``seen_jti`` and ``feedback`` are the stores the composition root chose (the database's when one is
    named); by default, in memory.

    Logs a warning at start-up when JWT verification is off (development) or on but not configured
    (every call refused until it is).
    """
    from gabacare.interop.cds import InMemoryFeedbackStore

    settings: WebSettings = app.state.settings
    links = load_patient_links(settings.cds_patient_links_file) if settings.cds_patient_links_file else None
    jwks, issuer_keys = load_jwks(settings.cds_jwks_file, settings.cds_issuers)
    state = CdsState(
        require_jwt=settings.cds_require_jwt, base_url=settings.public_base_url, issuers=settings.cds_issuers,
        jwks=jwks, issuer_keys=issuer_keys, max_age_s=settings.cds_jwt_max_age_s,
        seen_jti=seen_jti if seen_jti is not None else SeenTokenIds(settings.cds_jwt_max_age_s),
        feedback=feedback if feedback is not None else InMemoryFeedbackStore(
            max_records=settings.cds_feedback_max_records),
        fhir_client=_fhir_client(settings), max_body_bytes=min(settings.cds_max_body_bytes, settings.max_body_bytes),
        executor=ThreadPoolExecutor(settings.cds_max_concurrent_calls, thread_name_prefix="gabacare-cds"),
        summary_provider=None if links is None else _provider(links, getattr(settings, "db", None),
                                                              settings.cds_summary_days),
    )
    app.state.cds = state
    if not state.require_jwt:
        log.warning("CDS Hooks JWT verification is OFF (GABACARE_CDS_REQUIRE_JWT=false): anyone who can reach "
                    "this server can call /cds-services. For local development only; never expose it.")
    elif not state.jwt_configured:
        log.warning("CDS Hooks: no trusted client is configured (GABACARE_PUBLIC_BASE_URL, GABACARE_CDS_ISSUERS, "
                    "GABACARE_CDS_JWKS_FILE), so every /cds-services call is refused with 401. See docs/cds-hooks.md.")
    if state.fhir_client is None:
        log.info("CDS Hooks: no FHIR server is allowed (GABACARE_CDS_FHIR_SERVERS); answers use the prefetch alone.")
    app.include_router(router)
    app.add_middleware(CdsCorsMiddleware, origins=settings.cds_cors_origins)
