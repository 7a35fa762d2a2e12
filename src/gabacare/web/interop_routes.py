"""A patient's journal leaving GabaCare over HTTP: the FHIR R4B Bundle and the dose reminders calendar.

=================================================  ==========================================  ===================
route                                              answer                                      CLI
=================================================  ==========================================  ===================
``GET /api/v1/patients/{id}/fhir``                 Bundle (``application/fhir+json``)          ``gabacare fhir export``
``GET /api/v1/patients/{id}/reminders.ics``        iCalendar (``text/calendar``), ``days``     ``gabacare reminders``
``GET /patients/{id}/reminders.ics``               the same, as a download link on the pages
=================================================  ==========================================  ===================

Both need a signed-in user (:func:`gabacare.web.deps.require_user`: session cookie or bearer token)
with read access to the patient (:meth:`gabacare.accounts.service.Accounts.require_access`); another
person's patient and an unknown id alike answer 404, so ids cannot be probed. Each download is
written to the audit log as an ``export`` of the patient. Nothing here logs journal contents.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from gabacare.web.deps import CurrentUser, require_user
from gabacare.web.problems import ProblemError
from gabacare.web.schemas import Problem

if TYPE_CHECKING:
    from gabacare.accounts.model import Actor
    from gabacare.journal.services import Journal

__all__ = ["REMINDER_DAYS_MAX", "api_router", "page_router", "router"]

#: Longest reminder window one download covers (the CLI's ``--days`` bound); a calendar re-import extends it.
REMINDER_DAYS_MAX = 366
REMINDER_DAYS_DEFAULT = 28

api_router = APIRouter(prefix="/api/v1", tags=["journal export"])
page_router = APIRouter(include_in_schema=False)
router = APIRouter()
_NOT_FOUND = "No such patient, or not yours."


def _problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    text = {401: "Not signed in.", 404: "No such patient (or not yours).", 409: "No plan in force today.",
            422: "Invalid parameter."}
    return {s: {"model": Problem, "description": text[s], "content": {"application/problem+json": {}}} for s in statuses}


def _actor(user: CurrentUser) -> Actor:
    """The journal's view of the web user: the backend may attach its own ``actor`` (token, share link)."""
    from gabacare.accounts.model import Actor

    found = getattr(user, "actor", None)
    if isinstance(found, Actor):
        return found
    try:
        uid = int(user.id)
    except ValueError:
        raise ProblemError(404, None, _NOT_FOUND) from None
    return Actor("user", uid, uid)


def _open(request: Request, user: CurrentUser, patient_id: int) -> tuple[Journal, Actor, Any]:
    """The journal, the actor and the account service, once the actor may read ``patient_id`` (else 404)."""
    from gabacare import composition
    from gabacare.accounts.model import AccessDenied
    from gabacare.journal.errors import UnknownPatientError

    db = getattr(request.app.state.settings, "db", None)
    accounts = composition.accounts(db)
    actor = _actor(user)
    try:
        accounts.require_access(actor, patient_id, write=False)
    except (AccessDenied, UnknownPatientError):
        raise ProblemError(404, None, _NOT_FOUND) from None
    return composition.journal(db), actor, accounts


def _local_zone() -> str:
    """The server's IANA zone ($TZ, else /etc/localtime's target, else UTC): journal times are its local times."""
    name = os.environ.get("TZ", "").lstrip(":")
    if name and "/" in name:
        return name
    target = os.path.realpath("/etc/localtime")
    marker = "zoneinfo/"
    return target.split(marker, 1)[1] if marker in target else "UTC"


@api_router.get("/patients/{patient_id}/fhir", response_model=None, responses={
    200: {"description": "A FHIR R4B Bundle (type collection).",
          "content": {"application/fhir+json": {"schema": {"type": "object"}}}}, **_problems(401, 404, 422)})
def fhir_export(request: Request, patient_id: int, user: CurrentUser = Depends(require_user)) -> Response:
    """The patient's journal as a FHIR R4B Bundle: Patient, plan, doses, scores, labs (``gabacare fhir export``)."""
    from gabacare.interop.journal_fhir import export_bundle
    from gabacare.serialize import dumps

    journal, actor, accounts = _open(request, user, patient_id)
    bundle = export_bundle(journal, patient_id)
    accounts.audit(actor, "export", patient_id, "patient", patient_id)
    # Always valid JSON (allow_nan=False): a non-finite number never reaches an EHR as NaN/Infinity.
    return Response(dumps(bundle), media_type="application/fhir+json",
                    headers={"content-disposition": f'attachment; filename="gabacare-patient-{patient_id}.fhir.json"',
                             "cache-control": "no-store"})


Days = Annotated[int, Query(ge=1, le=REMINDER_DAYS_MAX, description="Days of reminders from today.")]
Private = Annotated[bool, Query(description="Leave the drug and dose out (for shared calendars).")]


def _reminders(request: Request, user: CurrentUser, patient_id: int, days: int, private: bool) -> Response:
    from gabacare.interop.journal_ical import patient_reminders

    journal, actor, accounts = _open(request, user, patient_id)
    if journal.active_plan(patient_id, on=journal.clock().date()) is None:
        raise ProblemError(409, None, "This patient has no plan in force today, so there is nothing to remind.")
    # The same UIDs as the CLI's export, so a web download and a CLI export update each other.
    data = patient_reminders(journal, patient_id, days=days, tz=_local_zone(), private=private).data
    accounts.audit(actor, "export", patient_id, "patient", patient_id)
    return Response(data, media_type="text/calendar; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="gabacare-reminders-{patient_id}.ics"',
                             "cache-control": "no-store"})


@api_router.get("/patients/{patient_id}/reminders.ics", response_model=None, responses={
    200: {"description": "iCalendar (RFC 5545) dose reminders.", "content": {"text/calendar": {"schema": {"type": "string"}}}},
    **_problems(401, 404, 409, 422)})
def reminders_api(request: Request, patient_id: int, days: Days = REMINDER_DAYS_DEFAULT, private: Private = False,
                  user: CurrentUser = Depends(require_user)) -> Response:
    """Dose reminders for a calendar app: one alarm per dose time, stable UIDs (``gabacare reminders``)."""
    return _reminders(request, user, patient_id, days, private)


@page_router.get("/patients/{patient_id}/reminders.ics")
def reminders_download(request: Request, patient_id: int, days: Days = REMINDER_DAYS_DEFAULT, private: Private = False,
                       user: CurrentUser = Depends(require_user)) -> Response:
    """The same calendar as a link on the journal pages (session cookie)."""
    return _reminders(request, user, patient_id, days, private)


router.include_router(api_router)
router.include_router(page_router)
