"""Server-rendered pages: home, the planners and symptom triage (Jinja2; HTMX enhances).

Each planner has ``GET /plan/<name>`` (the empty form) and ``POST /plan/<name>`` (the form's texts
as they came → one :mod:`gabacare.app` use case, which reads them as it reads the CLI's and the API's
inputs → page). Without JavaScript the POST answers the whole page; with HTMX (``HX-Request: true``)
only the result partial ``planners/_<name>_result.html``, swapped into ``#result``. Refused input
answers 422 with the message: the whole page with the form as it was filled in, or for HTMX
(configured in ``base.html`` to swap 4xx answers) the result partial with the alert. Forms carry a
CSRF token (:mod:`.security`).

Forms post rather than get so that health data (symptoms, kidney function) never sits in a URL,
a browser history or an access log.

Flow into the journal (signed-in people): a titration or taper result offers "Save to my journal"
(``POST /plan/titrate/save``, ``POST /plan/taper/save``: the planner's own inputs plus a patient the
account may change, stored through the journal plan page's path,
:func:`gabacare.web.journal_pages.set_plan_from_form`, then Post/Redirect/Get to that patient's plan
page); ``GET /patients/{id}/missed`` is the missed-dose form filled from the patient's plan for today;
the home page leads to the journal. A patient the account may not read (or, to save, change) answers
404 like an unknown id.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from gabacare import app
from gabacare.clinical.errors import ClinicalInputError
from gabacare.knowledge import load_monograph
from gabacare.web.auth import journal_web, known_id, page_user
from gabacare.web.deps import CurrentUser, get_current_user
from gabacare.web.problems import PROBLEM_TYPES
from gabacare.web.security import require_csrf

if TYPE_CHECKING:
    from gabacare.journal.model import Patient

__all__ = ["PLANNERS", "router"]

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form()]

#: (path, name, title, one-line purpose): the navigation and the home page list these.
PLANNERS: tuple[tuple[str, str, str, str], ...] = (
    ("/plan/titrate", "titrate", "Start (titration)", "A day-by-day plan to build up to a dose, in real capsules and tablets."),
    ("/plan/taper", "taper", "Stop (taper)", "A step-down plan that ends at 0 mg, with withdrawal watch windows."),
    ("/plan/kidneys", "kidneys", "Kidneys", "Creatinine clearance and the dose range it allows."),
    ("/plan/check", "check", "Check a regimen", "Is a regimen within the limits, the kidney band and real strengths?"),
    ("/plan/interactions", "interactions", "Interactions", "Other medicines, brands and alcohol with gabapentin."),
    ("/symptoms", "symptoms", "Symptoms", "Is a symptom an emergency, a reason to call, or expected?"),
    ("/plan/missed", "missed", "Missed dose", "Take it now or skip it; never double."),
)


def _render(request: Request, name: str, form: dict[str, Any], *, result: Any = None, error: str | None = None,
            **extra: Any) -> Response:
    """The planner page, or only its result partial for an HTMX request."""
    templates = request.app.state.templates
    htmx = request.headers.get("hx-request") == "true" and request.headers.get("hx-boosted") != "true"
    template = f"planners/_{name}_result.html" if htmx else f"planners/{name}.html"
    ctx = {"form": form, "result": result, "error": error, "active": name, "planners": PLANNERS,
           "monograph": load_monograph(), **extra}
    status = 422 if error is not None else 200
    response: Response = templates.TemplateResponse(request, template, ctx, status_code=status)
    return response


def _refused(exc: Exception) -> str:
    return " ".join(str(exc).split())


def _person(user: CurrentUser | None) -> CurrentUser | None:
    """``user`` when a person signed in with the browser (not an API token, not made up in a test)."""
    if user is None or user.actor is None or user.actor.kind != "user":
        return None
    return user


def _own_patients(request: Request, user: CurrentUser | None) -> list[Patient] | None:
    """The patients a signed-in person can save a plan to (those the account owns), or None when
    nobody is signed in (the page then offers sign-in instead)."""
    person = _person(user)
    if person is None:
        return None
    return journal_web(request).accounts().patients_of(person.account)


@router.get("/healthz")
def healthz() -> JSONResponse:
    """Liveness probe (and the load benchmark's baseline)."""
    return JSONResponse({"status": "ok"})


@router.get("/", response_class=HTMLResponse)
def home(request: Request, user: CurrentUser | None = Depends(get_current_user)) -> Response:
    """The tools, and the way into the journal: a signed-in person's patients (straight to Today when
    there is one), else sign-up."""
    m = load_monograph()
    emergencies = [e for e in m.adverse_effects if e.urgency == "emergency"]
    patients = _own_patients(request, user)
    journal_link = None
    if patients is not None:
        journal_link = f"/patients/{patients[0].id}/today" if len(patients) == 1 else "/patients"
    response: Response = request.app.state.templates.TemplateResponse(
        request, "index.html", {"planners": PLANNERS, "active": "home", "emergencies": emergencies,
                                "signed_in": patients is not None, "journal_link": journal_link,
                                "patient_count": len(patients or ())})
    return response


@router.get("/problems/{slug}", response_class=HTMLResponse)
def problem_type(request: Request, slug: str) -> Response:
    """Human documentation of a problem type URI used in API errors."""
    from gabacare.web.problems import ProblemError

    if slug not in PROBLEM_TYPES:
        raise ProblemError(404, None, "No such problem type.")
    title, text = PROBLEM_TYPES[slug]
    response: Response = request.app.state.templates.TemplateResponse(
        request, "problem_type.html", {"slug": slug, "title": title, "text": text, "planners": PLANNERS})
    return response


# --- titration ---------------------------------------------------------------------------------

@router.get("/plan/titrate", response_class=HTMLResponse)
def titrate_page(request: Request) -> Response:
    return _render(request, "titrate", {"start": date.today().isoformat()})


def _titrate_plan(form: dict[str, str]) -> Any:
    return app.titrate(indication=form["indication"], start=form["start"], target_mg=form["target_mg"],
                       crcl=form["crcl"], weight_kg=form["weight_kg"], age=form["age"])


@router.post("/plan/titrate", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
def titrate_submit(request: Request, indication: Text = "", target_mg: Text = "", crcl: Text = "", start: Text = "",
                   weight_kg: Text = "", age: Text = "",
                   user: CurrentUser | None = Depends(get_current_user)) -> Response:
    form = {"indication": indication, "target_mg": target_mg, "crcl": crcl, "start": start, "weight_kg": weight_kg,
            "age": age}
    try:
        plan = _titrate_plan(form)
    except ClinicalInputError as exc:
        return _render(request, "titrate", form, error=_refused(exc))
    return _render(request, "titrate", form, result=plan, save_to=_own_patients(request, user))


# --- taper -------------------------------------------------------------------------------------

@router.get("/plan/taper", response_class=HTMLResponse)
def taper_page(request: Request) -> Response:
    return _render(request, "taper", {"start": date.today().isoformat()})


def _taper_plan(form: dict[str, str]) -> Any:
    return app.taper(from_regimen=form["from_regimen"], start=form["start"], risk=form["risk"], crcl=form["crcl"],
                     step_mg=form["step_mg"])


@router.post("/plan/taper", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
def taper_submit(request: Request, from_regimen: Text = "", risk: Text = "", crcl: Text = "", start: Text = "",
                 step_mg: Text = "", user: CurrentUser | None = Depends(get_current_user)) -> Response:
    form = {"from_regimen": from_regimen, "risk": risk, "crcl": crcl, "start": start, "step_mg": step_mg}
    try:
        plan = _taper_plan(form)
    except ClinicalInputError as exc:
        return _render(request, "taper", form, error=_refused(exc))
    return _render(request, "taper", form, result=plan, save_to=_own_patients(request, user))


# --- save a titration or taper to the journal ----------------------------------------------------

#: The planner fields each saveable planner posts back with the chosen patient.
_SAVED_FIELDS: dict[str, tuple[str, ...]] = {
    "titrate": ("indication", "target_mg", "crcl", "start", "weight_kg", "age"),
    "taper": ("from_regimen", "risk", "crcl", "start", "step_mg"),
}


@router.post("/plan/{source}/save", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
def plan_save(request: Request, source: Literal["titrate", "taper"], patient: Text = "", indication: Text = "",
              target_mg: Text = "", crcl: Text = "", start: Text = "", weight_kg: Text = "", age: Text = "",
              from_regimen: Text = "", risk: Text = "", step_mg: Text = "",
              user: CurrentUser = Depends(page_user)) -> Response:
    """Store the plan the planner just made (the same inputs) as the chosen patient's plan, then 303 to
    that patient's plan page. Anonymous: 303 to sign-in; a patient the account may not change: 404;
    bad input: the planner page with its result (when it can still be made) and the reason, 422."""
    from gabacare.journal.errors import JournalInputError
    from gabacare.web.journal_pages import set_plan_from_form

    given = {"indication": indication, "target_mg": target_mg, "crcl": crcl, "start": start, "weight_kg": weight_kg,
             "age": age, "from_regimen": from_regimen, "risk": risk, "step_mg": step_mg}
    form = {key: given[key] for key in _SAVED_FIELDS[source]}
    try:
        if not patient.strip().isdigit():
            raise JournalInputError("choose the patient whose journal gets this plan")
        patient_id = known_id(int(patient.strip()))
        plan_id = set_plan_from_form(request, user, patient_id, {"source": source, **form})
    except (JournalInputError, ClinicalInputError) as exc:
        make = _titrate_plan if source == "titrate" else _taper_plan
        try:
            plan = make(form)
        except ClinicalInputError:
            plan = None
        return _render(request, source, form, result=plan, error=_refused(exc), save_to=_own_patients(request, user))
    return RedirectResponse(f"/patients/{patient_id}/plan?saved={plan_id}", status_code=303)


# --- kidneys (crcl + limits) -------------------------------------------------------------------

@router.get("/plan/kidneys", response_class=HTMLResponse)
def kidneys_page(request: Request) -> Response:
    return _render(request, "kidneys", {"scr_unit": "mg/dL"})


@router.post("/plan/kidneys", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
def kidneys_submit(request: Request, crcl: Text = "", age: Text = "", sex: Text = "", weight_kg: Text = "", scr: Text = "",
                   scr_unit: Text = "mg/dL", hemodialysis: Text = "") -> Response:
    form = {"crcl": crcl, "age": age, "sex": sex, "weight_kg": weight_kg, "scr": scr, "scr_unit": scr_unit,
            "hemodialysis": hemodialysis}
    try:
        answer = app.limits(crcl=crcl, age=age, sex=sex, weight_kg=weight_kg, scr=scr, scr_unit=scr_unit,
                            hemodialysis=bool(hemodialysis))
    except ClinicalInputError as exc:
        return _render(request, "kidneys", form, error=_refused(exc))
    return _render(request, "kidneys", form, result=answer.limits, estimate=answer.estimate)


# --- regimen check -----------------------------------------------------------------------------

@router.get("/plan/check", response_class=HTMLResponse)
def check_page(request: Request) -> Response:
    return _render(request, "check", {})


@router.post("/plan/check", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
def check_submit(request: Request, regimen: Text = "", crcl: Text = "", indication: Text = "",
                 with_drugs: Text = "") -> Response:
    form = {"regimen": regimen, "crcl": crcl, "indication": indication, "with_drugs": with_drugs}
    try:
        res = app.check(regimen=regimen, crcl=crcl, indication=indication, with_drugs=with_drugs)
    except ClinicalInputError as exc:
        return _render(request, "check", form, error=_refused(exc))
    return _render(request, "check", form, result=res)


# --- interactions ------------------------------------------------------------------------------

@router.get("/plan/interactions", response_class=HTMLResponse)
def interactions_page(request: Request) -> Response:
    return _render(request, "interactions", {})


@router.post("/plan/interactions", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
def interactions_submit(request: Request, drugs: Text = "", age: Text = "") -> Response:
    form = {"drugs": drugs, "age": age}
    try:
        rep = app.interactions(drugs, age=age)
    except ClinicalInputError as exc:
        return _render(request, "interactions", form, error=_refused(exc))
    return _render(request, "interactions", form, result=rep)


# --- symptoms ----------------------------------------------------------------------------------

@router.get("/symptoms", response_class=HTMLResponse)
def symptoms_page(request: Request) -> Response:
    return _render(request, "symptoms", {})


@router.post("/symptoms", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
def symptoms_submit(request: Request, symptoms: Text = "") -> Response:
    form = {"symptoms": symptoms}
    try:
        rep = app.symptoms(symptoms)
    except ClinicalInputError as exc:
        return _render(request, "symptoms", form, error=_refused(exc))
    return _render(request, "symptoms", form, result=rep)


# --- missed dose -------------------------------------------------------------------------------

@router.get("/plan/missed", response_class=HTMLResponse)
def missed_page(request: Request) -> Response:
    return _render(request, "missed", {})


@router.get("/patients/{patient_id}/missed", response_class=HTMLResponse)
def missed_for_patient(request: Request, patient_id: int, user: CurrentUser = Depends(page_user)) -> Response:
    """The missed-dose helper filled from the patient's plan for today: its dose times, the first dose
    not taken yet as the missed one, the time now, and the epilepsy box when the plan is for epilepsy.
    Nobody signed in: 303 to sign-in; a patient the account may not read: 404. The page answers the
    helper's own form (``POST /plan/missed``); it lives under ``/patients`` because it shows the
    patient's schedule, which neither the browser nor the service worker may store."""
    return _render(request, "missed", _missed_prefill(request, user, patient_id), prefilled=True)


def _missed_prefill(request: Request, user: CurrentUser, patient_id: int) -> dict[str, str]:
    """The missed-dose form's fields from the patient's plan in force today (read through the journal)."""
    jw = journal_web(request)
    accounts = jw.accounts()
    accounts.require_access(user.actor, known_id(patient_id), write=False)  # AccessDenied → 404
    accounts.audit(user.actor, "read", patient_id, "plan")
    journal = jw.journal()
    day = journal.today(patient_id)
    times = sorted({d.at.strftime("%H:%M") for d in day.doses})
    not_taken = [d for d in day.doses if d.status in ("missed", "due")]
    stored = journal.active_plan(patient_id)
    return {"schedule": ", ".join(times), "missed": not_taken[0].at.strftime("%H:%M") if not_taken else "",
            "now": journal.clock().strftime("%H:%M"),
            "epilepsy": "1" if stored is not None and _for_epilepsy(stored.plan.spec.indication) else ""}


def _for_epilepsy(indication: str | None) -> bool:
    """Whether a plan's indication (an id or an alias, as stored) is one of the epilepsy indications."""
    if not indication:
        return False
    try:
        found = load_monograph().indication(indication)
    except KeyError:  # a plan stored before an indication was renamed: not epilepsy as far as we know
        return False
    return found.id.startswith("epilepsy")


@router.post("/plan/missed", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
def missed_submit(request: Request, schedule: Text = "", missed: Text = "", now: Text = "", epilepsy: Text = "") -> Response:
    form = {"schedule": schedule, "missed": missed, "now": now, "epilepsy": epilepsy}
    try:
        adv = app.missed(schedule=schedule, missed_at=missed, now=now, epilepsy=bool(epilepsy))
    except ClinicalInputError as exc:
        return _render(request, "missed", form, error=_refused(exc))
    return _render(request, "missed", form, result=adv)
