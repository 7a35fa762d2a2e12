"""Refills in the API and the browser (issue 15): pills on hand, the run-out date, pick-ups.

==============================================  ==========================================
route                                           what
==============================================  ==========================================
``GET /api/v1/patients/{id}/supply``            ``gabacare supply --json`` (``?lead_days=``)
``POST /api/v1/patients/{id}/pickups``          ``gabacare log pickup --json`` (201)
``DELETE /api/v1/patients/{id}/pickups/{p}``     ``gabacare log pickup-delete --json`` (200)
``PUT /api/v1/patients/{id}/supply/lead-days``  ``gabacare supply --lead-days N --remember``
``GET /patients/{id}/supply``                   the page: pills on hand and the pick-up form
``GET /patients/{id}/supply/section``           the "Pills on hand" section (Today loads it)
``POST /patients/{id}/pickups``                 the pick-up form (redirects to the page)
``POST /patients/{id}/pickups/{p}/delete``      a pick-up's "Delete" button (redirects to the page)
``POST /patients/{id}/supply/lead-days``        the lead-time form (redirects to the page)
==============================================  ==========================================

Every route asks :meth:`Accounts.require_access` first (another account's patient and an unknown id
answer the same 404) and audits with ids only (resource word ``entry``: the audit vocabulary is a
database CHECK; a pick-up's id is not written there, where it would name an entry). Creating and
deleting pick-ups is the owner's (a member's token or session gets 404). Bad input answers 422 with a
problem body (API) or the form again with the reason.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from gabacare.journal import settings as journal_settings
from gabacare.web.auth import page_user, render
from gabacare.web.deps import CurrentUser, require_user
from gabacare.web.journal_api import _problems, _scope
from gabacare.web.security import require_csrf

if TYPE_CHECKING:
    from gabacare.accounts.model import Actor
    from gabacare.accounts.service import Accounts
    from gabacare.journal.services import Journal

__all__ = ["router"]

router = APIRouter()
User = Annotated[CurrentUser, Depends(require_user)]
PageUser = Annotated[CurrentUser, Depends(page_user)]
LeadDays = Annotated[int | None, Query(ge=0, le=journal_settings.REFILL_LEAD_DAYS_MAX,
                                       description="Days before the run-out date for the refill reminder "
                                                   f"(default {journal_settings.REFILL_LEAD_DAYS}).")]


class PickUpIn(BaseModel):
    """``gabacare log pickup`` as JSON."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    strength_mg: int = Field(description="mg per piece: one of the capsules (100, 300, 400) or tablets (600, 800).")
    count: int = Field(description="Whole pieces collected (at most a plausible supply, see the knowledge base).")
    at: datetime | None = Field(None, description="When they were collected (ISO date and time; default now).")


class LeadDaysIn(BaseModel):
    """The patient's own refill lead time (null: back to the default)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lead_days: int | None = Field(description=f"Days before the run-out date, 0 to "
                                              f"{journal_settings.REFILL_LEAD_DAYS_MAX}; null for the default "
                                              f"({journal_settings.REFILL_LEAD_DAYS}).")


def _owner_page(request: Request, user: CurrentUser, patient_id: int) -> tuple[Journal, Accounts, Actor]:
    """Read access, and not as an account the patient is shared with: the supply pages are the owner's
    pick-up and setting forms (their posts are owner-only), so a member gets the same 404 as a stranger."""
    from gabacare.accounts.model import AccessDenied

    journal, accounts, actor = _scope(request, user, patient_id, write=False)
    if accounts.role_of(actor, patient_id) is not None:
        raise AccessDenied()
    return journal, accounts, actor


# -- API ------------------------------------------------------------------------------------------

@router.get("/api/v1/patients/{patient_id}/supply", tags=["journal"], response_model=None,
            responses=_problems(401, 404, 422))
def supply_api(request: Request, patient_id: int, user: User, lead_days: LeadDays = None) -> Any:
    """Pills on hand per strength, run-out date, refill reminder and pick-up list (``gabacare supply --json``)."""
    from gabacare.journal.refills import supply

    journal, accounts, actor = _scope(request, user, patient_id, write=False)
    accounts.audit(actor, "read", patient_id, "entry")
    return supply(journal, patient_id, lead_days=lead_days).to_json()


@router.post("/api/v1/patients/{patient_id}/pickups", tags=["journal"], response_model=None, status_code=201,
             dependencies=[Depends(require_csrf)], responses=_problems(400, 401, 403, 404, 422))
def pickup_api(request: Request, patient_id: int, body: PickUpIn, user: User) -> Any:
    """Log pills collected (``gabacare log pickup --json``); an implausible strength or count answers 422."""
    from gabacare.journal.refills import log_pickup

    journal, accounts, actor = _scope(request, user, patient_id, write=True)
    stored = log_pickup(journal, patient_id, body.strength_mg, body.count, at=body.at)
    accounts.audit(actor, "create", patient_id, "entry")
    return stored.to_json()


@router.delete("/api/v1/patients/{patient_id}/pickups/{pickup_id}", tags=["journal"], response_model=None,
               dependencies=[Depends(require_csrf)], responses=_problems(401, 403, 404, 422))
def pickup_delete_api(request: Request, patient_id: int, pickup_id: int, user: User) -> Any:
    """Delete a pick-up logged by mistake, for good (``gabacare log pickup-delete --json``): answers it as
    it was with ``deleted`` true; it is no longer counted (``GET …/supply`` follows). Owner only; an
    unknown id, another patient's or one deleted already: 404, nothing changed. Audited."""
    from gabacare.journal.refills import delete_pickup

    journal, accounts, actor = _scope(request, user, patient_id, write=True)
    removed = delete_pickup(journal, patient_id, pickup_id)
    accounts.audit(actor, "delete", patient_id, "entry")
    return {**removed.to_json(), "deleted": True}


@router.put("/api/v1/patients/{patient_id}/supply/lead-days", tags=["journal"], response_model=None,
            dependencies=[Depends(require_csrf)], responses=_problems(400, 401, 403, 404, 422))
def lead_days_api(request: Request, patient_id: int, body: LeadDaysIn, user: User) -> Any:
    """Keep the patient's refill lead time; answers the supply with it (as ``GET …/supply``)."""
    from gabacare.journal.refills import set_lead_days, supply

    journal, accounts, actor = _scope(request, user, patient_id, write=True)
    set_lead_days(journal, patient_id, body.lead_days)
    accounts.audit(actor, "update", patient_id, "patient")
    return supply(journal, patient_id).to_json()


# -- pages ----------------------------------------------------------------------------------------

def _ctx(request: Request, journal: Journal, patient_id: int, **extra: Any) -> dict[str, Any]:
    from gabacare.journal.refills import pickup_limits, supply

    patient = journal.get_patient(patient_id)
    view = {"patient": patient, "base": f"/patients/{patient_id}", "query": "", "read_only": False}
    return {"view": view, "patient": patient, "tab": "today", "active": "journal",
            "supply": supply(journal, patient_id), "limits": pickup_limits(),
            "now": journal.clock().strftime("%Y-%m-%dT%H:%M"), "error": None, "form": {}, "saved": 0,
            "lead_max": journal_settings.REFILL_LEAD_DAYS_MAX, **extra}


@router.get("/patients/{patient_id}/supply", response_class=HTMLResponse, include_in_schema=False)
def supply_page(request: Request, patient_id: int, user: PageUser, saved: int = 0) -> Response:
    journal, accounts, actor = _owner_page(request, user, patient_id)
    accounts.audit(actor, "read", patient_id, "entry")
    return render(request, "journal/supply.html", _ctx(request, journal, patient_id, saved=saved if saved in (1, 2, 3) else 0))


@router.get("/patients/{patient_id}/supply/section", response_class=HTMLResponse, include_in_schema=False)
def supply_section(request: Request, patient_id: int, user: PageUser) -> Response:
    journal, accounts, actor = _owner_page(request, user, patient_id)
    accounts.audit(actor, "read", patient_id, "entry")
    return render(request, "journal/_supply_section.html", _ctx(request, journal, patient_id))


@router.post("/patients/{patient_id}/pickups", response_class=HTMLResponse, include_in_schema=False,
             dependencies=[Depends(require_csrf)])
def pickup_form(request: Request, patient_id: int, user: PageUser, strength_mg: Annotated[str, Form()] = "",
                count: Annotated[str, Form()] = "", at: Annotated[str, Form()] = "") -> Response:
    from gabacare.journal.errors import JournalInputError
    from gabacare.journal.refills import log_pickup

    journal, accounts, actor = _scope(request, user, patient_id, write=True)
    form = {"strength_mg": strength_mg, "count": count, "at": at}
    try:
        try:
            strength, pieces = int(strength_mg.strip()), int(count.strip())
        except ValueError:
            raise JournalInputError("choose a strength and give the count as a whole number of pills") from None
        try:
            when = datetime.fromisoformat(at.strip()) if at.strip() else None
        except ValueError:
            raise JournalInputError("the pick-up time must be a date and time") from None
        log_pickup(journal, patient_id, strength, pieces, at=when)
    except JournalInputError as exc:
        return render(request, "journal/supply.html", _ctx(request, journal, patient_id, error=str(exc), form=form),
                      status_code=422)
    accounts.audit(actor, "create", patient_id, "entry")
    return RedirectResponse(f"/patients/{patient_id}/supply?saved=1", status_code=303)


@router.post("/patients/{patient_id}/pickups/{pickup_id}/delete", include_in_schema=False,
             dependencies=[Depends(require_csrf)])
def pickup_delete_form(request: Request, patient_id: int, pickup_id: int, user: PageUser) -> Response:
    """A pick-up's "Delete" button: 303 to the page (``?saved=3``, "Pick-up deleted."); an unknown id, another
    patient's or one deleted already (a second click): 404, nothing changed."""
    from gabacare.journal.refills import delete_pickup

    journal, accounts, actor = _scope(request, user, patient_id, write=True)
    delete_pickup(journal, patient_id, pickup_id)
    accounts.audit(actor, "delete", patient_id, "entry")
    return RedirectResponse(f"/patients/{patient_id}/supply?saved=3", status_code=303)


@router.post("/patients/{patient_id}/supply/lead-days", response_class=HTMLResponse, include_in_schema=False,
             dependencies=[Depends(require_csrf)])
def lead_days_form(request: Request, patient_id: int, user: PageUser,
                   lead_days: Annotated[str, Form()] = "") -> Response:
    from gabacare.journal.errors import JournalInputError
    from gabacare.journal.refills import set_lead_days

    journal, accounts, actor = _scope(request, user, patient_id, write=True)
    try:
        try:
            days = int(lead_days.strip())
        except ValueError:
            raise JournalInputError("the refill lead time must be a whole number of days") from None
        set_lead_days(journal, patient_id, days)
    except JournalInputError as exc:
        return render(request, "journal/supply.html",
                      _ctx(request, journal, patient_id, error=str(exc), form={"lead_days": lead_days}), status_code=422)
    accounts.audit(actor, "update", patient_id, "patient")
    return RedirectResponse(f"/patients/{patient_id}/supply?saved=2", status_code=303)
