"""JSON API for the journal: ``/api/v1/patients``, owner-scoped, with the CLI's ``--json`` keys.

Authenticate with ``Authorization: Bearer <API token>`` (tokens are made on ``/account/tokens``), or
with the browser's session cookie plus an ``X-CSRF-Token`` header on writes. Every route under
``/patients/{patient_id}`` checks :meth:`Accounts.require_access` (another account's patient and an
unknown id answer the same 404) and writes an audit entry (ids only).

==================================================  ===================================
route                                               CLI
==================================================  ===================================
``GET|POST /api/v1/patients``                       ``gabacare patient list|add``
``DELETE /api/v1/patients/{id}``                    ``gabacare patient delete``
``GET|PUT /api/v1/patients/{id}/plan``              ``gabacare plan set``
``POST /api/v1/patients/{id}/doses``                ``gabacare log dose``
``POST …/symptoms``, ``…/triggers``,                ``gabacare log symptom|trigger|
``…/side-effects``, ``…/labs``, ``…/notes``         side-effect|lab|note``
``GET /api/v1/patients/{id}/today``                 ``gabacare today``
``GET /api/v1/patients/{id}/adherence``             ``gabacare adherence``
``GET /api/v1/patients/{id}/trends``                ``gabacare trends``
``GET /api/v1/patients/{id}/entries``               (the entries of a period)
``PATCH /api/v1/patients/{id}/entries/{entry}``      ``gabacare log edit``
``DELETE /api/v1/patients/{id}/entries/{entry}``     ``gabacare log delete``
``GET /api/v1/patients/{id}/entries/{entry}/history`` ``gabacare log history``
``GET /api/v1/patients/{id}/export``                ``gabacare export``
``GET|POST /api/v1/patients/{id}/questionnaires``   ``gabacare questionnaire list|log``
``GET /api/v1/patients/{id}/taper-watch``           ``gabacare taper-watch``
``GET /api/v1/patients/{id}/estimate``              ``gabacare estimate``
==================================================  ===================================

Questionnaires are audited with the resource word ``entry`` and no resource id (the audit vocabulary
is a database CHECK; a ``questionnaire`` word is a later migration).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from gabacare.web.auth import journal_web, known_id
from gabacare.web.deps import CurrentUser, require_user
from gabacare.web.schemas import IsoDate, Problem
from gabacare.web.security import require_csrf
from gabacare.web.serialize import jsonable

if TYPE_CHECKING:
    from collections.abc import Sequence

    from gabacare.accounts.model import Actor, AuditAction, ResourceKind
    from gabacare.accounts.service import Accounts
    from gabacare.journal.model import Entry, EntryData, InvalidEntry, Patient
    from gabacare.journal.services import Journal

__all__ = ["MAX_PERIOD_DAYS", "router"]

#: Longest period a view (adherence, trends, entries) may span, in days: bounds the work one request does.
MAX_PERIOD_DAYS = 3 * 366
# NOTE: dates stay in years a journal can hold, so that no date arithmetic overflows.
_FIRST_YEAR, _LAST_YEAR = 1900, 2999


def _problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    text = {400: "Malformed JSON body.", 401: "Not signed in: send a bearer API token.",
            403: "Session request without a valid X-CSRF-Token header.",
            404: "No such patient for this account (other accounts' patients look the same).",
            409: "The client_id was already used for an entry since deleted or moved to another day.",
            422: "Input refused (journal-input, clinical-input) or invalid (validation)."}
    return {s: {"model": Problem, "description": text[s], "content": {"application/problem+json": {}}} for s in statuses}


_READ = _problems(401, 404, 422)
_WRITE = _problems(400, 401, 403, 404, 422)

router = APIRouter(prefix="/api/v1/patients", tags=["journal"])


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _bounded_years(cls, value: Any) -> Any:
        if isinstance(value, date) and not _FIRST_YEAR <= value.year <= _LAST_YEAR:
            raise ValueError(f"dates must fall between the years {_FIRST_YEAR} and {_LAST_YEAR}")
        return value


class _Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class PatientIn(_In):
    """``gabacare patient add`` as JSON."""

    name: str = Field(description="The patient's name.")
    birth_date: IsoDate | None = Field(None, description="YYYY-MM-DD.")
    sex: Literal["female", "male"] | None = Field(None, description="For Cockcroft-Gault.")
    weight_kg: float | None = Field(None, description="For Cockcroft-Gault and child dosing.")


class PatientOut(_Out):
    id: int
    name: str
    birth_date: str | None
    sex: str | None
    weight_kg: float | None
    created_at: str


class ListedPatientOut(PatientOut):
    role: Literal["owner", "viewer", "logger"] = Field(description=(
        "This account's role for the patient: `owner`, or `viewer` (reads) / `logger` (reads and logs entries) "
        "for a patient another account shared with it."))


class PatientsOut(_Out):
    patients: list[ListedPatientOut]


class PlanIn(_In):
    """``gabacare plan set`` as JSON: ``source`` says which options apply."""

    source: Literal["regimen", "titrate", "taper"] = Field(description="A steady regimen, a titration or a taper.")
    start: IsoDate | None = Field(None, description="First day (default today).")
    regimen: str | None = Field(None, description="source=regimen: e.g. '300 mg BID'.")
    indication: str | None = Field(None, description="source=titrate: the indication, as for /api/v1/titrate.")
    target_mg: float | None = Field(None, description="source=titrate: daily target in mg.")
    from_regimen: str | None = Field(None, alias="from", description="source=taper: the regimen to taper from.")
    risk: Literal["low", "moderate", "high"] | None = Field(None, description="source=taper: withdrawal risk.")
    step_mg: float | None = Field(None, description="source=taper: linear step in mg/day.")
    crcl: float | None = Field(None, description="Creatinine clearance in mL/min.")
    weight_kg: float | None = Field(None, description="Weight in kg (default: the profile's).")
    age: float | None = Field(None, description="Age in years (default: from the birth date).")


class PlanStoredOut(_Out):
    plan_id: int
    patient: int
    kind: str
    label: str
    start: str
    end: str
    continues: bool
    spec: dict[str, Any]
    days: list[dict[str, Any]]
    citations: list[dict[str, Any]]
    kb_version: str = Field(description="The knowledge base version that made the plan (a content hash).")
    made_at: str = Field(description="When the plan was made (local time; for a plan older than migration 0010, "
                         "when the database was upgraded).")


class PlanRecheckOut(_Out):
    plan_id: int
    patient: int
    same: bool
    made_at: str
    kb_version_then: str
    kb_version_now: str
    kb_changed: bool
    days: list[dict[str, Any]] = Field(description="Days whose doses differ: `date`, `then` and `now` "
                                       "(each a list of `{time, mg}`).")
    warnings_added: list[str]
    warnings_removed: list[str]
    refused: str | None = Field(description="Why today's rules no longer make this plan at all (else null).")
    checked_at: str | None


class _At(_In):
    at: datetime | None = Field(None, description="When (ISO date and time; default now).")


class _Once(_At):
    client_id: uuid.UUID | None = Field(None, description=(
        "A UUID the client made for this entry (an offline queue's): it becomes the entry's `uid`, and sending "
        "the same one again answers 200 with the entry already logged, adding nothing (409 if it was deleted "
        "since)."))


class DoseIn(_At):
    mg: float = Field(description="mg actually taken (the planned mg when skipped).")
    status: Literal["taken", "late", "skipped"] = "taken"
    slot: datetime | None = Field(None, description="The planned dose this answers (default: the planned dose of "
                                                    "that day closest to `at`, unless it is answered already).")
    prn: bool = Field(False, description="An as-needed dose, apart from the plan's schedule.")
    client_id: uuid.UUID | None = Field(None, description=(
        "A UUID the client made for this dose (an offline queue's): it becomes the entry's `uid`, and sending "
        "the same one again answers 200 with the entry already logged, adding nothing."))


class EntryPatch(_In):
    """``gabacare log edit`` as JSON: the fields to change (at least one)."""

    at: datetime | None = Field(None, description="When (ISO date and time).")
    mg: float | None = Field(None, description="A dose's mg.")
    status: Literal["taken", "late", "skipped"] | None = Field(None, description="A dose's status.")
    score: float | None = Field(None, description="A symptom's score or a lab's value.")
    text: str | None = Field(None, description="A note's, trigger's or side effect's text.")


class SymptomIn(_Once):
    scale: str = Field(description="spasm_intensity, spasm_count, pain, anxiety, sleep, or a custom name.")
    score: float = Field(description="0-10 (spasm_count: spasms that day).")


class TriggerIn(_Once):
    tag: str = Field(description="A free tag, e.g. cold, stress.")


class TextIn(_Once):
    text: str = Field(description="The text.")


class LabIn(_Once):
    value: float = Field(description="The result.")
    test: str = Field("creatinine", description="Lab test (creatinine re-runs the renal check).")
    unit: str | None = Field(None, description="mg/dL or umol/L for creatinine (default mg/dL).")


class QuestionnaireIn(_At):
    """``gabacare questionnaire log`` as JSON."""

    instrument: str = Field(description="phq9, gad7, penn_spasm, pain_nrs or pgic.")
    answers: list[int] = Field(description="The answers in item order, whole numbers.", max_length=64)


class QuestionnaireOut(_Out):
    id: int
    patient: int
    instrument: str
    total: int
    severity: str
    emergency: bool
    advice: str
    citations: list[dict[str, Any]]


class QuestionnairesOut(_Out):
    patient: int
    questionnaires: list[QuestionnaireOut]


class EstimateOut(_Out):
    population: dict[str, Any]
    individual: dict[str, Any]
    interval: dict[str, Any]
    levels: list[dict[str, Any]]
    proposal: dict[str, Any] | None
    citations: list[dict[str, Any]]
    notice: str


class TaperWatchOut(_Out):
    proposal: str | None
    step: dict[str, Any] | None
    window: dict[str, Any] | None
    evidence: list[dict[str, Any]]
    citations: list[dict[str, Any]]
    notice: str


class EntryOut(_Out):
    id: int
    patient: int
    kind: str
    at: str
    version: int


class SideEffectOut(EntryOut):
    recognized: bool
    emergency: bool
    advice: str
    citations: list[dict[str, Any]]


class LabOut(EntryOut):
    renal: dict[str, Any] | None
    renal_skipped: str | None


class TodayOut(_Out):
    date: str
    plan: dict[str, Any] | None
    planned_mg: float
    taken_mg: float
    doses: list[dict[str, Any]]


class AdherenceOut(_Out):
    patient: int
    adherence_pct: float | None
    scheduled: int
    taken: int
    on_time_pct: float | None
    days: list[dict[str, Any]]
    weeks: list[dict[str, Any]]


class TrendsOut(_Out):
    patient: int
    window_days: int
    scales: dict[str, list[dict[str, Any]]]
    dose_response: dict[str, Any]


class EntriesOut(_Out):
    patient: int
    entries: list[EntryOut]


class HistoryOut(_Out):
    id: int
    patient: int
    versions: list[EntryOut]


class ExportOut(_Out):
    patient: int
    format: str
    bytes: int
    content: str


# -- helpers ------------------------------------------------------------------------------------

def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def patient_json(p: Patient) -> dict[str, Any]:
    """A patient with the keys of ``gabacare patient add --json``."""
    return {"id": p.id, "name": p.name, "birth_date": jsonable(p.birth_date), "sex": p.sex, "weight_kg": p.weight_kg,
            "created_at": _iso(p.created_at)}


def entry_json(e: Entry) -> dict[str, Any]:
    """An entry with the keys of ``gabacare log … --json`` (``warnings``: what to check about it;
    ``problem``: why today's rules refuse it, None when valid)."""
    d = e.data
    return {"id": e.id, "patient": e.patient_id, "kind": d.kind, "at": _iso(d.at), "mg": d.mg, "status": d.status,
            "name": d.name, "value": d.value, "unit": d.unit, "text": d.text, "urgency": d.urgency,
            "version": e.version, "recorded_at": _iso(e.recorded_at), "warnings": list(e.warnings),
            "problem": e.problem, "slot": _iso(d.slot), "prn": d.prn, "uid": e.uid or None,
            "deleted": e.deleted_at is not None}


def invalid_json(items: Sequence[InvalidEntry]) -> list[dict[str, Any]]:
    """Stored entries a view left out as invalid: ``{id, kind, at, problem}`` (never their values)."""
    return [{"id": i.id, "kind": i.kind, "at": _iso(i.at), "problem": i.problem} for i in items]


def _scope(request: Request, user: CurrentUser, patient_id: int, *, write: bool,
           entries: bool = False) -> tuple[Journal, Accounts, Actor]:
    """``Accounts.require_access``: ``entries`` for a change to journal entries only (which an account
    the patient is shared with as logger may make); 404 when refused."""
    jw = journal_web(request)
    accounts = jw.accounts()
    accounts.require_access(user.actor, known_id(patient_id), write=write, entries=entries)
    return jw.journal(), accounts, user.actor


def _read(request: Request, user: CurrentUser, patient_id: int, kind: ResourceKind,
          action: AuditAction = "read") -> Journal:
    journal, accounts, actor = _scope(request, user, patient_id, write=False)
    accounts.audit(actor, action, patient_id, kind)
    return journal


def _period(start: date | None, end: date | None) -> None:
    from gabacare.journal.errors import JournalInputError

    for d in (start, end):
        if d is not None and not _FIRST_YEAR <= d.year <= _LAST_YEAR:
            raise JournalInputError(f"dates must fall between the years {_FIRST_YEAR} and {_LAST_YEAR}")
    if start is not None and end is not None and end - start > timedelta(days=MAX_PERIOD_DAYS):
        raise JournalInputError(f"a period spans at most {MAX_PERIOD_DAYS} days")


User = Annotated[CurrentUser, Depends(require_user)]
From = Annotated[IsoDate | None, Query(alias="from", description="First day (YYYY-MM-DD; default: the first plan or entry).")]
To = Annotated[IsoDate | None, Query(alias="to", description="Last day (YYYY-MM-DD; default today).")]


# -- patients -----------------------------------------------------------------------------------

@router.get("", response_model=None, responses={200: {"model": PatientsOut}, **_problems(401)})
def list_patients(request: Request, user: User) -> Any:
    """The patients this account owns (``gabacare patient list --json``), then those other accounts shared
    with it; each with the new key ``role``: ``owner``, ``viewer`` (reads) or ``logger`` (reads and logs
    entries). The other keys are ``gabacare patient add --json``'s, unchanged."""
    found = journal_web(request).accounts().patients_with_roles(user.account)
    return {"patients": [{**patient_json(p), "role": role} for p, role in found]}


@router.post("", response_model=None, status_code=201, dependencies=[Depends(require_csrf)],
             responses={201: {"model": PatientOut}, **_problems(400, 401, 403, 422)})
def create_patient(request: Request, body: PatientIn, user: User) -> Any:
    """Add a patient owned by this account (``gabacare patient add --json``)."""
    p = journal_web(request).accounts().create_patient_for(user.account, body.name, birth_date=body.birth_date,
                                                           sex=body.sex, weight_kg=body.weight_kg)
    return patient_json(p)


class PatientDeleteIn(BaseModel):
    """The confirmation of ``DELETE /api/v1/patients/{id}``: the patient's name, as the owner types it."""

    model_config = ConfigDict(extra="forbid")
    confirm: str = Field(max_length=200, description="The patient's name (spacing and letter case aside).")


@router.delete("/{patient_id}", status_code=204, response_class=Response, dependencies=[Depends(require_csrf)],
               responses=_problems(400, 401, 403, 404, 422))
def delete_patient(request: Request, patient_id: int, user: User, body: PatientDeleteIn | None = None,
                   confirm: Annotated[str | None, Query(max_length=200, description="The patient's name (instead of "
                                                        "a body).")] = None) -> Response:
    """Delete one of this account's patients and everything recorded about them: entries and their
    versions, plans, questionnaires, pick-ups, share links and the calendar feed
    (``Accounts.delete_patient``; ``gabacare patient delete``). ``confirm`` (JSON body or query) must be
    the patient's name: otherwise 422 and nothing changes. 204 when deleted; another account's patient
    or an unknown id: 404, untouched. Audited (each revoked link or feed, then the deletion)."""
    from gabacare.accounts.model import AccountInputError

    typed = body.confirm if body is not None else confirm
    if typed is None:
        raise AccountInputError("confirm (the patient's name) is required; nothing was deleted")
    journal_web(request).accounts().delete_patient(user.account, known_id(patient_id), typed)
    return Response(status_code=204)


# -- plan ---------------------------------------------------------------------------------------

@router.get("/{patient_id}/plan", response_model=None, responses={200: {"model": PlanStoredOut}, **_READ})
def get_plan(request: Request, patient_id: int, user: User) -> Any:
    """The plan in force today (or the next one to start) as it was made: its days, warnings and
    citations as stored, with ``kb_version`` and ``made_at``; 404 without one."""
    from gabacare.web.problems import ProblemError

    journal = _read(request, user, patient_id, "plan")
    recorded = journal.recorded_plan(patient_id)
    if recorded is None:
        raise ProblemError(404, None, "This patient has no plan yet.")
    return jsonable(recorded.to_json())


@router.get("/{patient_id}/plan/recheck", response_model=None, responses={200: {"model": PlanRecheckOut}, **_READ})
def recheck_plan(request: Request, patient_id: int, user: User,
                 plan_id: Annotated[int | None, Query(alias="plan", ge=1, le=2**31 - 1, description=(
                     "The stored plan's id (default: the plan in force today, else the next to start)."))] = None,
                 ) -> Any:
    """The stored plan against today's rules (``gabacare plan recheck --json``): the days whose doses
    differ, warnings added and removed, the knowledge base version then and now. Changes nothing;
    404 without a plan (or with a plan id the patient has no plan with)."""
    from gabacare.web.problems import ProblemError

    journal = _read(request, user, patient_id, "plan")
    result = journal.recheck_plan(patient_id, plan_id)
    if result is None:
        raise ProblemError(404, None, "This patient has no plan yet.")
    return jsonable(result.to_json())


@router.put("/{patient_id}/plan", response_model=None, dependencies=[Depends(require_csrf)],
            responses={200: {"model": PlanStoredOut}, **_WRITE})
def put_plan(request: Request, patient_id: int, body: PlanIn, user: User) -> Any:
    """Set the plan in force from its start (``gabacare plan set --json``)."""
    from gabacare.journal.model import PlanSpec

    journal, accounts, actor = _scope(request, user, patient_id, write=True)
    first = body.start or journal.clock().date()
    spec = PlanSpec.from_choice(body.source, first, regimen=body.regimen, indication=body.indication,
                                target_mg=body.target_mg, from_regimen=body.from_regimen, risk=body.risk,
                                step_mg=body.step_mg, crcl_ml_min=body.crcl, weight_kg=body.weight_kg,
                                age_years=body.age)
    result = journal.set_plan(patient_id, spec)
    accounts.audit(actor, "create", patient_id, "plan", result.stored.id)
    return jsonable(result.recorded.to_json())


# -- log ----------------------------------------------------------------------------------------

def _logged(request: Request, user: CurrentUser, patient_id: int) -> tuple[Journal, Any]:
    journal, accounts, actor = _scope(request, user, patient_id, write=True, entries=True)

    def audit(entry: Entry) -> None:
        accounts.audit(actor, "create", patient_id, "entry", entry.id)

    return journal, audit


@router.post("/{patient_id}/doses", response_model=None, status_code=201, dependencies=[Depends(require_csrf)],
             responses={201: {"model": EntryOut}, 200: {"model": EntryOut, "description": "Sent again with the same "
                        "`client_id`: the entry logged the first time; nothing added."}, **_WRITE, **_problems(409)})
def log_dose(request: Request, response: Response, patient_id: int, body: DoseIn, user: User) -> Any:
    """Log a dose: taken, late or skipped (``gabacare log dose --json``). With ``client_id``, a resend
    answers 200 and the entry logged the first time (``Journal.log_dose_once``); 409 when that id was
    used for an entry since deleted or moved to another day."""
    journal, audit = _logged(request, user, patient_id)
    if body.client_id is None:
        entry = journal.log_dose(patient_id, body.mg, at=body.at, status=body.status, slot=body.slot, prn=body.prn)
    else:
        entry, created = journal.log_dose_once(patient_id, body.mg, client_id=str(body.client_id), at=body.at,
                                               status=body.status, slot=body.slot, prn=body.prn)
        if not created:
            response.status_code = 200
            return entry_json(entry)
    audit(entry)
    return entry_json(entry)


_RESENT: dict[int | str, dict[str, Any]] = {
    200: {"description": "Sent again with the same `client_id`: the entry logged the first time; nothing added."}}


def _store(journal: Journal, patient_id: int, client_id: uuid.UUID | None, draft: EntryData,
           response: Response) -> tuple[Entry, bool]:
    """Store one entry: at once without a client id; with one, through ``Journal.log_entries_once`` (a
    resend answers 200 and the entry stored the first time)."""
    if client_id is None:
        return journal.log_entries_once(patient_id, [draft], client_id=str(uuid.uuid4()))[0][0], True
    entries, created = journal.log_entries_once(patient_id, [draft], client_id=str(client_id))
    if not created:
        response.status_code = 200
    return entries[0], created


@router.post("/{patient_id}/symptoms", response_model=None, status_code=201, dependencies=[Depends(require_csrf)],
             responses={201: {"model": EntryOut}, **_RESENT, **_WRITE, **_problems(409)})
def log_symptom(request: Request, response: Response, patient_id: int, body: SymptomIn, user: User) -> Any:
    """Log a symptom score 0-10 or a spasm count (``gabacare log symptom --json``); ``client_id``: sent once."""
    journal, audit = _logged(request, user, patient_id)
    entry, created = _store(journal, patient_id, body.client_id,
                            journal.draft("symptom", at=body.at, name=body.scale, value=body.score), response)
    if created:
        audit(entry)
    return entry_json(entry)


@router.post("/{patient_id}/triggers", response_model=None, status_code=201, dependencies=[Depends(require_csrf)],
             responses={201: {"model": EntryOut}, **_RESENT, **_WRITE, **_problems(409)})
def log_trigger(request: Request, response: Response, patient_id: int, body: TriggerIn, user: User) -> Any:
    """Log a spasm trigger (``gabacare log trigger --json``); ``client_id``: sent once."""
    journal, audit = _logged(request, user, patient_id)
    entry, created = _store(journal, patient_id, body.client_id, journal.draft("trigger", at=body.at, text=body.tag),
                            response)
    if created:
        audit(entry)
    return entry_json(entry)


@router.post("/{patient_id}/side-effects", response_model=None, status_code=201, dependencies=[Depends(require_csrf)],
             responses={201: {"model": SideEffectOut}, **_RESENT, **_WRITE, **_problems(409)})
def log_side_effect(request: Request, response: Response, patient_id: int, body: TextIn, user: User) -> Any:
    """Log a side effect, triaged at once; ``emergency`` true means act now (``gabacare log side-effect --json``);
    ``client_id``: sent once (a resend answers the same triage)."""
    journal, audit = _logged(request, user, patient_id)
    entry, created = _store(journal, patient_id, body.client_id,
                            journal.draft("side_effect", at=body.at, text=body.text), response)
    if created:
        audit(entry)
    r = journal.read_text(entry)
    return {**entry_json(r.entry), "recognized": r.recognized, "emergency": r.emergency, "advice": r.advice,
            "citations": jsonable(list(r.citations))}


@router.post("/{patient_id}/labs", response_model=None, status_code=201, dependencies=[Depends(require_csrf)],
             responses={201: {"model": LabOut}, **_RESENT, **_WRITE, **_problems(409)})
def log_lab(request: Request, response: Response, patient_id: int, body: LabIn, user: User) -> Any:
    """Log a lab value; creatinine re-runs the renal check of the plan in force (``gabacare log lab --json``);
    ``client_id``: sent once."""
    journal, audit = _logged(request, user, patient_id)
    entry, created = _store(journal, patient_id, body.client_id,
                            journal.draft("lab", at=body.at, name=body.test, value=body.value, unit=body.unit),
                            response)
    if created:
        audit(entry)
    r = journal.lab_result(journal.get_patient(patient_id), entry)
    return {**entry_json(r.entry), "renal": jsonable(r.renal), "renal_skipped": r.renal_skipped}


@router.post("/{patient_id}/notes", response_model=None, status_code=201, dependencies=[Depends(require_csrf)],
             responses={201: {"model": EntryOut}, **_RESENT, **_WRITE, **_problems(409)})
def log_note(request: Request, response: Response, patient_id: int, body: TextIn, user: User) -> Any:
    """Log a free note, read like a side effect (``gabacare log note --json``): ``emergency`` true means act now;
    ``client_id``: sent once."""
    journal, audit = _logged(request, user, patient_id)
    entry, created = _store(journal, patient_id, body.client_id, journal.draft("note", at=body.at, text=body.text),
                            response)
    if created:
        audit(entry)
    r = journal.read_text(entry)
    urgent = r.urgency in ("emergency", "contact_prescriber")
    return {**entry_json(r.entry), "urgency": r.urgency, "emergency": r.emergency,
            "advice": r.advice if urgent else None, "citations": jsonable(list(r.citations))}


# -- views --------------------------------------------------------------------------------------

@router.get("/{patient_id}/today", response_model=None, responses={200: {"model": TodayOut}, **_READ})
def today(request: Request, patient_id: int, user: User,
          on: Annotated[IsoDate | None, Query(alias="date", description="Another day (YYYY-MM-DD).")] = None) -> Any:
    """What is due on a day and what was taken (``gabacare today --json``)."""
    _period(on, on)
    v = _read(request, user, patient_id, "entry").today(patient_id, on=on)
    doses = [{"time": f"{d.at:%H:%M}", "at": _iso(d.at), "mg": d.mg, "status": d.status, "taken_at": _iso(d.taken_at),
              "taken_mg": d.taken_mg, "on_time": d.on_time, "entry": d.entry_id} for d in v.doses]
    return jsonable({"date": v.date, "plan": None if v.plan_kind is None else {"kind": v.plan_kind, "label": v.plan_label},
                     "planned_mg": v.planned_mg, "taken_mg": v.taken_mg, "doses": doses,
                     "extra_doses": [entry_json(e) for e in v.extra_doses],
                     "prn_doses": [entry_json(e) for e in v.prn_doses],
                     "entries": [entry_json(e) for e in v.entries],
                     "invalid_entries": invalid_json(v.invalid_entries)})


@router.get("/{patient_id}/adherence", response_model=None, responses={200: {"model": AdherenceOut}, **_READ})
def adherence(request: Request, patient_id: int, user: User, start: From = None, end: To = None) -> Any:
    """Doses taken vs scheduled, on time, missed streaks (``gabacare adherence --json``)."""
    _period(start, end)
    r = _read(request, user, patient_id, "entry").adherence(patient_id, start=start, end=end)
    return jsonable({"patient": patient_id, "from": r.start, "to": r.end, **{
        k: getattr(r, k) for k in ("adherence_pct", "scheduled", "taken", "on_time_pct", "on_time", "extra", "skipped",
                                   "on_time_window_min", "planned_mg", "taken_mg", "longest_missed_streak",
                                   "prn_doses", "prn_mg")},
        "missed_streaks": [{"first": _iso(s.first), "last": _iso(s.last), "doses": s.doses} for s in r.missed_streaks],
        "days": r.days, "weeks": r.weeks, "invalid_entries": invalid_json(r.invalid_entries)})


@router.get("/{patient_id}/trends", response_model=None, responses={200: {"model": TrendsOut}, **_READ})
def trends(request: Request, patient_id: int, user: User, start: From = None, end: To = None,
           scale: Annotated[list[str], Query(description="Only these scales (repeatable).")] = []) -> Any:  # noqa: B006
    """Score trends (rolling mean) and the dose-response view around plan steps (``gabacare trends --json``)."""
    _period(start, end)
    r = _read(request, user, patient_id, "entry").trends(patient_id, start=start, end=end, scales=scale or None)
    return jsonable({"patient": patient_id, "from": r.start, "to": r.end, "window_days": r.window_days,
                     "scales": r.scales, "dose_response": {
                         "scales": r.dose_response.scales,
                         "steps": [{"at": _iso(s.at), "from_mg": s.from_mg, "to_mg": s.to_mg, "direction": s.direction,
                                    "before": s.before, "after": s.after,
                                    "withdrawal_window": None if s.withdrawal_from is None else {
                                        "from": _iso(s.withdrawal_from), "until": _iso(s.withdrawal_until),
                                        "means": s.withdrawal_window}}
                                   for s in r.dose_response.steps]},
                     "invalid_entries": invalid_json(r.invalid_entries)})


EntryKindQ = Literal["dose", "symptom", "trigger", "side_effect", "lab", "note"]


@router.get("/{patient_id}/entries", response_model=None, responses={200: {"model": EntriesOut}, **_READ})
def entries(request: Request, patient_id: int, user: User, start: From = None, end: To = None,
            kind: Annotated[list[EntryKindQ], Query(description="Only these kinds (repeatable).")] = []) -> Any:  # noqa: B006
    """The patient's entries in a period, oldest first (every day when no period is given)."""
    _period(start, end)
    journal = _read(request, user, patient_id, "entry")
    found = journal.entries(patient_id, start=start, end=end, kinds=kind or None)
    invalid = [i for i in journal.invalid_entries(patient_id, start=start, end=end) if not kind or i.kind in kind]
    return {"patient": patient_id, "from": jsonable(start), "to": jsonable(end), "entries": [entry_json(e) for e in found],
            "invalid_entries": invalid_json(invalid)}


@router.patch("/{patient_id}/entries/{entry_id}", response_model=None, dependencies=[Depends(require_csrf)],
              responses={200: {"model": EntryOut}, **_WRITE})
def edit_entry(request: Request, patient_id: int, entry_id: int, body: EntryPatch, user: User) -> Any:
    """Correct an entry; answers its new version, the previous one kept (``gabacare log edit --json``).

    Values are checked as for a new entry (``[journal_limits]``: 422). An entry that is not this
    patient's, or deleted, answers 404 like an unknown one (the CLI exits 2)."""
    from gabacare.journal.errors import JournalInputError

    journal, accounts, actor = _scope(request, user, patient_id, write=True, entries=True)
    changes: dict[str, Any] = {k: v for k, v in (("at", body.at), ("mg", body.mg), ("status", body.status),
                                                  ("value", body.score), ("text", body.text)) if v is not None}
    if not changes:
        raise JournalInputError("nothing to change: give at, mg, status, score or text")
    entry = journal.edit_entry(patient_id, known_id(entry_id), **changes)
    accounts.audit(actor, "update", patient_id, "entry", entry.id)
    return entry_json(entry)


@router.delete("/{patient_id}/entries/{entry_id}", response_model=None, dependencies=[Depends(require_csrf)],
               responses={200: {"model": EntryOut}, **_problems(401, 403, 404, 422)})
def delete_entry(request: Request, patient_id: int, entry_id: int, user: User) -> Any:
    """Delete an entry; answers its last version, ``deleted`` true (``gabacare log delete --json``)."""
    journal, accounts, actor = _scope(request, user, patient_id, write=True, entries=True)
    entry = journal.delete_entry(patient_id, known_id(entry_id))
    accounts.audit(actor, "delete", patient_id, "entry", entry.id)
    return entry_json(entry)


@router.get("/{patient_id}/entries/{entry_id}/history", response_model=None, responses={200: {"model": HistoryOut},
                                                                                        **_READ})
def entry_history(request: Request, patient_id: int, entry_id: int, user: User) -> Any:
    """Every version of an entry, oldest first (``gabacare log history --json``)."""
    versions = _read(request, user, patient_id, "entry").history(patient_id, known_id(entry_id))
    return {"id": entry_id, "patient": patient_id, "versions": [entry_json(v) for v in versions]}


@router.get("/{patient_id}/export", response_model=None, responses={200: {"model": ExportOut}, **_READ})
def export(request: Request, patient_id: int, user: User,
           fmt: Annotated[Literal["csv", "json"], Query(alias="format", description="csv or json.")] = "json") -> Any:
    """The patient's plans and entries as CSV or JSON text, re-importable (``gabacare export --json``)."""
    text = _read(request, user, patient_id, "entry", "export").export(patient_id, fmt)
    return {"patient": patient_id, "format": fmt, "out": None, "bytes": len(text.encode("utf-8")), "content": text}


# -- questionnaires and the withdrawal watch -----------------------------------------------------

@router.post("/{patient_id}/questionnaires", response_model=None, status_code=201,
             dependencies=[Depends(require_csrf)], responses={201: {"model": QuestionnaireOut}, **_WRITE})
def log_questionnaire(request: Request, patient_id: int, body: QuestionnaireIn, user: User) -> Any:
    """Score a completed questionnaire and store it (``gabacare questionnaire log --json``); PHQ-9 item 9
    above zero answers ``emergency`` true with the crisis lines."""
    from gabacare.app.questionnaires import log_questionnaire as log

    journal, accounts, actor = _scope(request, user, patient_id, write=True)
    logged = log(journal, patient_id, body.instrument, body.answers, at=body.at)
    accounts.audit(actor, "create", patient_id, "entry")
    return jsonable(logged)


@router.get("/{patient_id}/questionnaires", response_model=None,
            responses={200: {"model": QuestionnairesOut}, **_READ})
def list_questionnaires(request: Request, patient_id: int, user: User) -> Any:
    """The stored questionnaires, oldest first (``gabacare questionnaire list --json``)."""
    from gabacare.app.questionnaires import list_questionnaires as listed

    return jsonable(listed(_read(request, user, patient_id, "entry"), patient_id))


@router.get("/{patient_id}/taper-watch", response_model=None, responses={200: {"model": TaperWatchOut}, **_READ})
def taper_watch(request: Request, patient_id: int, user: User) -> Any:
    """The withdrawal watch after the latest taper step (``gabacare taper-watch --json``); ``proposal``
    null with a ``reason`` when there is no taper step to watch."""
    from gabacare.app.questionnaires import taper_watch as watch

    return jsonable(watch(_read(request, user, patient_id, "entry"), patient_id))


@router.get("/{patient_id}/estimate", response_model=None, responses={200: {"model": EstimateOut}, **_READ})
def estimate(request: Request, patient_id: int, user: User, crcl: float | None = None) -> Any:
    """What the measured gabapentin levels say (``gabacare estimate --json``): this patient's clearance
    with its interval and a proposal within the renal band; 422 without a dose or a level (the detail
    says what to log)."""
    from gabacare.app.estimate import estimate_patient

    return jsonable(estimate_patient(_read(request, user, patient_id, "entry"), patient_id, crcl=crcl))
