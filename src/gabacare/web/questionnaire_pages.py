"""Validated questionnaires in the browser (issue 16): the list, one form per instrument, and the result.

==============================================  ==========================================================
``GET /patients/{id}/questionnaires``           the instruments (with their recall period) and the
                                                patient's recent results
``GET /patients/{id}/questionnaires/{inst}``    the form: one radio group per item, the instrument's
                                                own answer words, as the knowledge base gives them
``POST /patients/{id}/questionnaires/{inst}``   score and store (:func:`gabacare.app.log_questionnaire`);
                                                PHQ-9 item 9 above zero shows the emergency box with
                                                the crisis lines first, whatever the total
==============================================  ==========================================================

The pages only parse, call and render: the items, answers, scoring and advice are the knowledge
base's (``questionnaires.toml``) through the same use case as ``gabacare questionnaire log`` and the API.
A bad submission (an item left out, an answer out of range) answers 422 with the form as filled in.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from gabacare.web.auth import page_user, render
from gabacare.web.deps import CurrentUser
from gabacare.web.journal_pages import View, _read, _scope
from gabacare.web.problems import ProblemError
from gabacare.web.security import require_csrf

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
RECENT = 10  # results listed on the questionnaires page (newest first)


def _instrument(instrument_id: str) -> Any:
    from gabacare.knowledge.questionnaires import load_questionnaires

    try:
        return load_questionnaires().instrument(instrument_id)
    except KeyError:
        raise ProblemError(404, None, "No such questionnaire.") from None


def _items(inst: Any) -> list[dict[str, Any]]:
    """Each item's number, label, answers (value, word) and whether it may be left out."""
    out = []
    for n, item in enumerate(inst.items, 1):
        lo, _hi = inst.answer_range(n)
        out.append({"n": n, "label": item.label, "optional": item.only_if_first_above_zero,
                    "answers": [(lo + k, word) for k, word in enumerate(inst.answer_words(n))]})
    return out


def _form_page(request: Request, view: View, inst: Any, *, form: dict[str, str] | None = None,
               result: Any = None, error: str | None = None, status_code: int = 200) -> Response:
    return render(request, "journal/questionnaire.html", {
        "view": view, "patient": view.patient, "tab": "log", "active": "journal", "inst": inst,
        "items": _items(inst), "form": form or {}, "result": result, "error": error}, status_code)


@router.get("/patients/{patient_id}/questionnaires", response_class=HTMLResponse)
def questionnaires_page(request: Request, patient_id: int, user: CurrentUser = Depends(page_user)) -> Response:
    from gabacare.app.questionnaires import list_questionnaires
    from gabacare.knowledge.questionnaires import load_questionnaires

    journal, view = _read(request, user, patient_id, "entry")
    recent = list(list_questionnaires(journal, patient_id).items)[-RECENT:][::-1]
    return render(request, "journal/questionnaires.html", {
        "view": view, "patient": view.patient, "tab": "log", "active": "journal",
        "instruments": load_questionnaires().instruments, "recent": recent})


@router.get("/patients/{patient_id}/questionnaires/{instrument}", response_class=HTMLResponse)
def questionnaire_form(request: Request, patient_id: int, instrument: str,
                       user: CurrentUser = Depends(page_user)) -> Response:
    from gabacare.accounts.model import AccessDenied

    _journal, view = _read(request, user, patient_id, "entry")
    if view.role is not None:
        raise AccessDenied()  # its only use is the owner's form (saving one is owner-only): 404 to a member
    return _form_page(request, view, _instrument(instrument))


@router.post("/patients/{patient_id}/questionnaires/{instrument}", response_class=HTMLResponse,
             dependencies=[Depends(require_csrf)])
async def questionnaire_submit(request: Request, patient_id: int, instrument: str,
                               user: CurrentUser = Depends(page_user)) -> Response:
    from starlette.concurrency import run_in_threadpool

    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str) and k != "csrf_token"}
    return await run_in_threadpool(_submit, request, patient_id, instrument, form, user)


def _submit(request: Request, patient_id: int, instrument: str, form: dict[str, str], user: CurrentUser) -> Response:
    from gabacare.app.questionnaires import log_questionnaire
    from gabacare.clinical.errors import ClinicalInputError
    from gabacare.journal.errors import JournalInputError

    journal, accounts, actor = _scope(request, user, patient_id, write=True)
    view = View(journal.get_patient(patient_id), f"/patients/{patient_id}", "", False)
    inst = _instrument(instrument)
    answers: list[int] = []
    try:
        for item in _items(inst):
            raw = form.get(f"q{item['n']}", "").strip()
            if not raw:
                if item["optional"] and answers and answers[0] == 0:
                    continue  # asked only when the first answer is above zero
                raise ClinicalInputError(f"answer question {item['n']}")
            if not raw.isdigit():
                raise ClinicalInputError(f"question {item['n']}: choose one of the answers")
            answers.append(int(raw))
        logged = log_questionnaire(journal, patient_id, inst.id, answers, at=form.get("at") or None)
    except (ClinicalInputError, JournalInputError) as exc:
        return _form_page(request, view, inst, form=form, error=str(exc), status_code=422)
    accounts.audit(actor, "create", patient_id, "entry", logged.stored.id)
    return _form_page(request, view, inst, result=logged.result)
