"""JSON API ``/api/v1``: one route per CLI command, same parameters, same JSON keys (docs/cli-contract.md).

Every route parses (FastAPI/pydantic), calls one use case of :mod:`gabacare.app` (the function the
CLI command calls) and returns the result's contract JSON. Errors are RFC 9457 problems
(:mod:`gabacare.web.problems`); an input the application layer refuses is a ``clinical-input`` 422
with the same one-line message the CLI prints.

The answer is serialised once, to bytes (:func:`gabacare.serialize.dump_bytes`). The routes whose
work is small and bounded (crcl, limits, titrate, missed: at most a few milliseconds of arithmetic)
are ``async`` and run on the event loop: handing them to a worker thread cost more CPU (about
0.7 ms a request) than the work itself. Taper, check, interactions, symptoms and simulate can take
tens of milliseconds (long plans, many names, the text pipeline, PK curves), so they stay plain
functions, run in the thread pool, where the time budget (:mod:`gabacare.web.budget`) can still
answer for them.

=====================================  ==========================================
route                                  CLI
=====================================  ==========================================
``GET  /api/v1/crcl``                  ``gabacare crcl``
``GET  /api/v1/limits``                ``gabacare limits``
``GET|POST /api/v1/titrate``           ``gabacare titrate``
``GET|POST /api/v1/taper``             ``gabacare taper``
``GET|POST /api/v1/check``             ``gabacare check``
``GET|POST /api/v1/interactions``      ``gabacare interactions``
``POST /api/v1/symptoms``              ``gabacare symptoms`` (POST only: symptoms stay out of URLs)
``GET  /api/v1/missed``                ``gabacare missed``
``GET  /api/v1/simulate``              ``gabacare simulate``
=====================================  ==========================================
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from gabacare import app
from gabacare.serialize import dump_bytes
from gabacare.web.schemas import (
    CheckIn,
    CheckOut,
    CrClOut,
    InteractionsIn,
    InteractionsOut,
    LimitsOut,
    MissedOut,
    PlanOut,
    Problem,
    SimulateOut,
    SymptomsIn,
    SymptomsOut,
    TaperIn,
    TitrateIn,
)

__all__ = ["router"]


def _problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    text = {400: "Malformed JSON body.", 422: "Input refused (clinical-input) or invalid (validation)."}
    return {s: {"model": Problem, "description": text[s], "content": {"application/problem+json": {}}} for s in statuses}


def _json(result: Any) -> Response:
    """The result's contract JSON as the response body, serialised once.

    NOTE: returning the bytes skips FastAPI's ``jsonable_encoder`` walk over the converted result
    and ``JSONResponse``'s own ``json.dumps``: the same bytes (compact, UTF-8, no NaN; held by
    tests/web/test_api_bytes_golden.py) at a fraction of the cost (issue 14, item 7).
    """
    return Response(dump_bytes(result), media_type="application/json")


_GET_ERRORS = _problems(422)
_BODY_ERRORS = _problems(400, 422)

router = APIRouter(prefix="/api/v1", tags=["clinical"])

Crcl = Annotated[float | None, Query(description="Creatinine clearance in mL/min.")]
Sex = Literal["female", "male"]
ScrUnit = Literal["mg/dL", "umol/L"]


@router.get("/crcl", response_model=None, responses={200: {"model": CrClOut}, **_GET_ERRORS})
async def crcl(
    age: Annotated[float, Query(description="Age in years (12 or older).")],
    sex: Annotated[Sex, Query()],
    weight_kg: Annotated[float, Query(description="Actual body weight in kg.")],
    scr: Annotated[float, Query(description="Serum creatinine.")],
    scr_unit: Annotated[ScrUnit, Query()] = "mg/dL",
) -> Response:
    """Creatinine clearance by Cockcroft-Gault (mL/min), label 2.3."""
    return _json(app.crcl(age=age, sex=sex, weight_kg=weight_kg, scr=scr, scr_unit=scr_unit))


@router.get("/limits", response_model=None, responses={200: {"model": LimitsOut}, **_GET_ERRORS})
async def limits(
    crcl: Crcl = None,
    age: float | None = None,
    sex: Sex | None = None,
    weight_kg: float | None = None,
    scr: float | None = None,
    scr_unit: ScrUnit = "mg/dL",
    hemodialysis: Annotated[bool, Query(description="Add the post-dialysis supplement.")] = False,
) -> Response:
    """Daily dose range and regimen for a CrCl (or the inputs to estimate one), label 2.3."""
    return _json(app.limits(crcl=crcl, age=age, sex=sex, weight_kg=weight_kg, scr=scr, scr_unit=scr_unit,
                            hemodialysis=hemodialysis))


def _titrate(body: TitrateIn) -> Response:
    return _json(app.titrate(indication=body.indication, start=body.start, target_mg=body.target_mg, crcl=body.crcl,
                             weight_kg=body.weight_kg, age=body.age))


@router.post("/titrate", response_model=None, responses={200: {"model": PlanOut}, **_BODY_ERRORS})
async def titrate_post(body: TitrateIn) -> Response:
    """Day-by-day up-titration plan in real capsules/tablets, capped by kidney function."""
    return _titrate(body)


@router.get("/titrate", response_model=None, responses={200: {"model": PlanOut}, **_GET_ERRORS})
async def titrate_get(params: Annotated[TitrateIn, Query()]) -> Response:
    """The same plan as ``POST /titrate``, from query parameters."""
    return _titrate(params)


def _taper(body: TaperIn) -> Response:
    return _json(app.taper(from_regimen=body.from_regimen, start=body.start, risk=body.risk, crcl=body.crcl,
                           step_mg=body.step_mg))


@router.post("/taper", response_model=None, responses={200: {"model": PlanOut}, **_BODY_ERRORS})
def taper_post(body: TaperIn) -> Response:
    """Step-down plan ending at 0 mg, with withdrawal watch windows."""
    return _taper(body)


@router.get("/taper", response_model=None, responses={200: {"model": PlanOut}, **_GET_ERRORS})
def taper_get(params: Annotated[TaperIn, Query()]) -> Response:
    """The same plan as ``POST /taper``, from query parameters (``from=600 mg TID``)."""
    return _taper(params)


def _check(body: CheckIn) -> Response:
    return _json(app.check(regimen=body.regimen, crcl=body.crcl, indication=body.indication,
                           with_drugs=body.with_drugs))


@router.post("/check", response_model=None, responses={200: {"model": CheckOut}, **_BODY_ERRORS})
def check_post(body: CheckIn) -> Response:
    """Check a regimen: daily and renal maximum, doses/day, epilepsy gap, real strengths, duplicates."""
    return _check(body)


@router.get("/check", response_model=None, responses={200: {"model": CheckOut}, **_GET_ERRORS})
def check_get(params: Annotated[CheckIn, Query()]) -> Response:
    """The same check as ``POST /check``, from query parameters (``with`` may repeat)."""
    return _check(params)


def _interactions(body: InteractionsIn) -> Response:
    return _json(app.interactions(body.drugs, age=body.age))


@router.post("/interactions", response_model=None, responses={200: {"model": InteractionsOut}, **_BODY_ERRORS})
def interactions_post(body: InteractionsIn) -> Response:
    """Interactions with gabapentin; unknown names are reported as unknown, never as safe."""
    return _interactions(body)


@router.get("/interactions", response_model=None, responses={200: {"model": InteractionsOut}, **_GET_ERRORS})
def interactions_get(params: Annotated[InteractionsIn, Query()]) -> Response:
    """The same lookup as ``POST /interactions`` (``drugs`` repeats: ``?drugs=xanax&drugs=beer``)."""
    return _interactions(params)


@router.post("/symptoms", response_model=None, responses={200: {"model": SymptomsOut}, **_BODY_ERRORS})
def symptoms(body: SymptomsIn) -> Response:
    """Triage symptoms: emergency / contact prescriber / expected; emergencies first."""
    return _json(app.symptoms(body.symptoms))


@router.get("/missed", response_model=None, responses={200: {"model": MissedOut}, **_GET_ERRORS})
async def missed(
    schedule: Annotated[str, Query(description="Dose times, e.g. 08:00,14:00,21:00.")],
    missed: Annotated[str, Query(description="Time of the missed dose (HH:MM).")],
    now: Annotated[str, Query(description="The time now (HH:MM).")],
    epilepsy: Annotated[bool, Query(description="Add the epilepsy 12-hour note.")] = False,
) -> Response:
    """Missed-dose advice: take it now or skip it; never double."""
    return _json(app.missed(schedule=schedule, missed_at=missed, now=now, epilepsy=epilepsy))


@router.get("/simulate", response_model=None, responses={200: {"model": SimulateOut}, **_GET_ERRORS})
def simulate(
    regimen: Annotated[str, Query(description="e.g. '300 mg TID', '600 mg BID', '400 mg once', '300-300-600'.")],
    crcl: Crcl = None,
    days: Annotated[int | None, Query(description="Days to simulate (default and maximum: knowledge base [pk]).")] = None,
    step_min: Annotated[float | None, Query(description="Output step in minutes (default hourly).")] = None,
    missed: Annotated[list[str], Query(description="A dose left out: its number (5) or dayN@HH:MM; repeatable.")] = [],  # noqa: B006
    dialysis: Annotated[list[str], Query(description="A hemodialysis session starting at dayN@HH:MM on a simulated day; "
                                                      "repeatable or comma-separated.")] = [],  # noqa: B006
) -> Response:
    """Concentration-time curve of one typical patient on a regimen, with a summary of the last day."""
    return _json(app.simulate(regimen=regimen, crcl=crcl, days=days, step_min=step_min, missed=missed,
                              dialysis=dialysis))
