"""The patient guide on the web: topic pages, alternatives side by side, the search box, and their JSON API.

Pages (Jinja2, ``templates/guide/``) and API routes each parse, call :mod:`gabacare.guide` (topics) or
one use case of :mod:`gabacare.app` (``compare``, ``ask``: the same calls the CLI makes) and render it:

=====================================  =========================================  =========================
route                                  what                                       CLI
=====================================  =========================================  =========================
``GET /guide``                         the topics, in reading order
``GET /guide/{topic}``                 one topic: paragraphs with their sources
``GET /compare?indication=``           gabapentin and alternatives side by side   ``gabacare compare``
``GET /search?q=``                     answers to a question (triage first)       ``gabacare ask``
``GET /api/v1/ask?q=``                 the same answer as JSON                    ``gabacare ask --json``
``GET /api/v1/compare?indication=``    the comparison as JSON                     ``gabacare compare --json``
``GET /api/v1/topics``, ``/{id}``      the topic list, one topic
=====================================  =========================================  =========================

Questions travel in the URL (``GET``) because a search is meant to be linked and repeated; the access
log never records query strings. Refused input (a blank or over-long question, an unknown condition)
is a 422: the page with the message, or a ``clinical-input`` problem from the API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from gabacare.clinical.errors import ClinicalInputError
from gabacare.web.problems import ProblemError
from gabacare.web.schemas import Problem
from gabacare.web.serialize import jsonable

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["NAV_ITEMS", "api_router", "install", "router"]

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api/v1", tags=["guide"])

#: Navigation entries this module adds (path, active name, link text).
NAV_ITEMS: tuple[tuple[str, str, str], ...] = (("/guide", "guide", "Guide"), ("/compare", "compare", "Compare"))

_LINE_LABELS = {"first": "First line", "second": "Second line", "third": "Third line", "specialist": "Specialist",
                "not-recommended": "Not recommended"}


def _page(request: Request, template: str, ctx: dict[str, Any], status: int = 200) -> Response:
    response: Response = request.app.state.templates.TemplateResponse(request, template, ctx, status_code=status)
    return response


def _refused(exc: ClinicalInputError) -> str:
    return " ".join(str(exc).split())


def _topic_or_404(topic_id: str) -> Any:
    from gabacare.guide import TOPIC_IDS, topic

    if topic_id not in TOPIC_IDS:
        raise ProblemError(404, None, "There is no guide topic with that name. The guide's index lists them all.")
    return topic(topic_id)


# -- pages ----------------------------------------------------------------------------------------------
@router.get("/guide", response_class=HTMLResponse)
def guide_index(request: Request) -> Response:
    from gabacare.guide import all_topics, comparison_groups

    return _page(request, "guide/index.html", {"topics": all_topics(), "groups": comparison_groups(), "active": "guide"})


@router.get("/guide/{topic_id}", response_class=HTMLResponse)
def guide_topic(request: Request, topic_id: str) -> Response:
    from gabacare.guide import TOPIC_IDS

    page = _topic_or_404(topic_id)
    i = TOPIC_IDS.index(topic_id)
    prev_id = TOPIC_IDS[i - 1] if i > 0 else None
    next_id = TOPIC_IDS[i + 1] if i + 1 < len(TOPIC_IDS) else None
    neighbours = {k: (v, _topic_or_404(v).title) for k, v in (("prev", prev_id), ("next", next_id)) if v}
    return _page(request, "guide/topic.html", {"page": page, "neighbours": neighbours, "active": "guide"})


@router.get("/compare", response_class=HTMLResponse)
def compare_page(request: Request, indication: str = "", drugs: Annotated[list[str], Query()] = []) -> Response:  # noqa: B006
    from gabacare.app import compare
    from gabacare.guide import comparison_groups

    ctx: dict[str, Any] = {"groups": [(g, compare(g).title) for g in comparison_groups()], "active": "compare",
                           "indication": indication, "result": None, "error": None, "lines": _LINE_LABELS}
    if not indication.strip():
        return _page(request, "guide/compare.html", ctx)
    try:
        ctx["result"] = compare(indication, drugs)
    except ClinicalInputError as exc:
        ctx["error"] = _refused(exc)
        return _page(request, "guide/compare.html", ctx, 422)
    return _page(request, "guide/compare.html", ctx)


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, q: str = "") -> Response:
    from gabacare.app import ask

    ctx: dict[str, Any] = {"q": q, "result": None, "error": None, "active": "search"}
    if not q.strip():
        return _page(request, "guide/search.html", ctx)
    try:
        ctx["result"] = ask(q)
    except ClinicalInputError as exc:
        ctx["error"] = _refused(exc)
        return _page(request, "guide/search.html", ctx, 422)
    return _page(request, "guide/search.html", ctx)


# -- JSON API -------------------------------------------------------------------------------------------
def _object(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"type": "object"}}}}


def _problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    text = {404: "No such topic.", 422: "Input refused (clinical-input) or invalid (validation)."}
    return {s: {"model": Problem, "description": text[s], "content": {"application/problem+json": {}}} for s in statuses}


@api_router.get("/ask", response_model=None, responses={200: _object("Same keys as `gabacare ask --json`."),
                                                       **_problems(422)})
def ask_api(q: Annotated[str, Query(description="A question in your own words.")]) -> Any:
    """Answer a question from the cited guide: triage and interactions when it names them (``gabacare ask``)."""
    from gabacare.app import ask

    return jsonable(ask(q))


@api_router.get("/compare", response_model=None, responses={200: _object("Same keys as `gabacare compare --json`."),
                                                           **_problems(422)})
def compare_api(
    indication: Annotated[str, Query(description="spasticity, neuropathic-pain or anxiety (or an indication).")],
    drugs: Annotated[list[str], Query(description="Medicines to compare with gabapentin; repeatable.")] = [],  # noqa: B006
) -> Any:
    """Gabapentin and its alternatives with guideline ranks and citations (``gabacare compare``)."""
    from gabacare.app import compare

    return jsonable(compare(indication, drugs))


@api_router.get("/topics", response_model=None, responses={200: _object("The topics: id, title, summary.")})
def topics_api() -> Any:
    """The guide's topics in reading order."""
    from gabacare.guide import all_topics
    from gabacare.knowledge import load_monograph

    return {"topics": [{"id": t.id, "title": t.title, "summary": t.summary} for t in all_topics()],
            "notice": load_monograph().notice_text}


@api_router.get("/topics/{topic_id}", response_model=None,
                responses={200: _object("One topic: paragraphs with citations, and the notice."), **_problems(404)})
def topic_api(topic_id: str) -> Any:
    """One topic page as JSON."""
    return jsonable(_topic_or_404(topic_id).to_json())


def install(app: FastAPI) -> None:
    """Add the guide's pages, its API and its navigation links to ``app`` (from ``create_app``)."""
    nav = app.state.templates.env.globals["nav_items"]
    nav.extend(item for item in NAV_ITEMS if item not in nav)
    app.include_router(api_router)
    app.include_router(router)
