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
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from gabacare import app
from gabacare.clinical.errors import ClinicalInputError
from gabacare.knowledge import load_monograph
from gabacare.web.problems import PROBLEM_TYPES
from gabacare.web.security import require_csrf

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


def _refused(exc: ClinicalInputError) -> str:
    return " ".join(str(exc).split())


@router.get("/healthz")
def healthz() -> JSONResponse:
    """Liveness probe (and the load benchmark's baseline)."""
    return JSONResponse({"status": "ok"})


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    m = load_monograph()
    emergencies = [e for e in m.adverse_effects if e.urgency == "emergency"]
    response: Response = request.app.state.templates.TemplateResponse(
        request, "index.html", {"planners": PLANNERS, "active": "home", "emergencies": emergencies})
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


@router.post("/plan/titrate", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
def titrate_submit(request: Request, indication: Text = "", target_mg: Text = "", crcl: Text = "", start: Text = "",
                   weight_kg: Text = "", age: Text = "") -> Response:
    form = {"indication": indication, "target_mg": target_mg, "crcl": crcl, "start": start, "weight_kg": weight_kg,
            "age": age}
    try:
        plan = app.titrate(indication=indication, start=start, target_mg=target_mg, crcl=crcl, weight_kg=weight_kg,
                           age=age)
    except ClinicalInputError as exc:
        return _render(request, "titrate", form, error=_refused(exc))
    return _render(request, "titrate", form, result=plan)


# --- taper -------------------------------------------------------------------------------------

@router.get("/plan/taper", response_class=HTMLResponse)
def taper_page(request: Request) -> Response:
    return _render(request, "taper", {"start": date.today().isoformat()})


@router.post("/plan/taper", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
def taper_submit(request: Request, from_regimen: Text = "", risk: Text = "", crcl: Text = "", start: Text = "",
                 step_mg: Text = "") -> Response:
    form = {"from_regimen": from_regimen, "risk": risk, "crcl": crcl, "start": start, "step_mg": step_mg}
    try:
        plan = app.taper(from_regimen=from_regimen, start=start, risk=risk, crcl=crcl, step_mg=step_mg)
    except ClinicalInputError as exc:
        return _render(request, "taper", form, error=_refused(exc))
    return _render(request, "taper", form, result=plan)


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


@router.post("/plan/missed", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
def missed_submit(request: Request, schedule: Text = "", missed: Text = "", now: Text = "", epilepsy: Text = "") -> Response:
    form = {"schedule": schedule, "missed": missed, "now": now, "epilepsy": epilepsy}
    try:
        adv = app.missed(schedule=schedule, missed_at=missed, now=now, epilepsy=bool(epilepsy))
    except ClinicalInputError as exc:
        return _render(request, "missed", form, error=_refused(exc))
    return _render(request, "missed", form, result=adv)
