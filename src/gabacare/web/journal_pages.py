"""The journal in the browser: patients, plan, today's doses, logging, charts, levels, report, sharing, audit.

Every route under ``/patients/{patient_id}`` asks :meth:`Accounts.require_access` first (another
account's patient, or a made-up id, answers 404 exactly alike) and writes an audit entry for what
it reads, changes or exports (ids and vocabulary words only). Forms post with a CSRF token; the
dose buttons on "today" are ordinary forms that HTMX turns into in-place updates.

A share link (``/shared?token=…``) shows one patient read-only: the same views, no forms, no writes
(there are no unsafe routes under ``/shared``, and ``require_access`` refuses writes to share
actors anyway). The token travels in the query string, which the access log never records.

==========================================  ============================================
route                                       what
==========================================  ============================================
``GET|POST /patients``                      the account's patients; add one
``GET /patients/{id}/today``                what is due today, one-tap taken/skipped, as-needed doses
``POST /patients/{id}/doses``               log a dose (the buttons; HTMX answers the list)
``POST /patients/{id}/entries/{e}/edit``    change when a dose was taken (or its mg)
``POST /patients/{id}/entries/{e}/undo``    undo the last change: delete a new entry, revert an edit
``POST /patients/{id}/entries/{e}/delete``  delete an entry
``GET /patients/{id}/log``                  forms: scores, trigger, side effect, lab, note (``?saved=``)
``POST /patients/{id}/{kind}``              ``symptoms``, ``triggers``, ``side-effects``, ``labs``, ``notes``;
                                            saved: 303 to ``log?saved=<ids>`` (HTMX: in place)
``GET|POST /patients/{id}/plan``            the plan in force (with citations); set a new one
``GET /patients/{id}/trends``               adherence and score charts for a period
``GET /patients/{id}/charts/{name}.svg``    one chart (``adherence``, ``dose``, ``score-<scale>``)
``GET /patients/{id}/levels``               the PK curve of the patient's own logged doses
``GET /patients/{id}/report``               choose a period; ``report.pdf`` / ``report.html`` download
``GET|POST /patients/{id}/share``           share links: create (expiring), list, revoke
``POST /patients/{id}/members``             share with another account (e-mail, viewer|logger)
``POST /patients/{id}/members/{u}/remove``  stop sharing with that account
``POST /patients/{id}/calendar-feed``       the calendar feed: create or rotate (``…/revoke``: stop it)
``GET /patients/{id}/audit``                who read or changed what
``GET|POST /patients/{id}/delete``          delete the patient (export offered first; type the name)
``GET /shared``, ``/shared/charts/…``,      the read-only view of a share link
``/shared/report.{pdf,html}``
==========================================  ============================================
"""

from __future__ import annotations

import uuid
from dataclasses import field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gabacare._record import record
from gabacare.web.auth import journal_web, known_id, page_user, render
from gabacare.web.deps import CurrentUser
from gabacare.web.problems import ProblemError
from gabacare.web.security import require_csrf

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Sequence

    from gabacare.accounts.model import Actor, AuditAction, ResourceKind
    from gabacare.accounts.service import Accounts
    from gabacare.journal.model import Entry, EntryData, Patient
    from gabacare.journal.services import Journal

__all__ = ["SCORE_SCALES", "router", "set_plan_from_form"]

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form()]

#: The 0-10 scales offered on the log page: (scale, label, what 0 and 10 mean).
SCORE_SCALES: tuple[tuple[str, str, str], ...] = (
    ("spasm_intensity", "Spasm intensity", "0 = no spasms, 10 = the worst imaginable"),
    ("pain", "Pain", "0 = no pain, 10 = the worst pain imaginable"),
    ("anxiety", "Anxiety", "0 = calm, 10 = the worst anxiety imaginable"),
    ("sleep", "Sleep problems", "0 = slept well, 10 = could not sleep at all"),
)
_CSP_OWN_SVG = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
_CSP_REPORT = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"


@record
class View:
    """Whose journal a page shows and how links to its other pages are written."""

    patient: Patient
    base: str  # "/patients/7" for the owner, "/shared" for a share link
    query: str  # "" or "?token=…" for a share link
    read_only: bool  # no write forms: a share link, or an account the patient is shared with as viewer
    # The signed-in account's patients, asked only when a page's header draws the patient switcher.
    account_patients: Callable[[], Sequence[Patient]] | None = field(default=None, compare=False, repr=False)
    # "viewer" or "logger" when the patient is shared with the signed-in account; None for the owner
    # and for a share link (gabacare.accounts.model.MemberRole).
    role: str | None = None

    @property
    def can_manage(self) -> bool:
        """The owner's page: plan, supply, sharing, audit and deletion forms and tabs."""
        return not self.read_only and self.role is None

    def switch_choices(self) -> Sequence[Patient]:
        """The patients the header's switcher offers: the account's own and shared ones, when it has two
        or more; else none (a share link, a single patient). Each page still checks access to the one
        it shows."""
        found = self.account_patients() if self.account_patients is not None and not self.query else ()
        return found if len(found) >= 2 else ()

    def link(self, page: str, **params: str) -> str:
        from urllib.parse import urlencode

        extra = urlencode(params)
        sep = "&" if self.query else "?"
        return f"{self.base}/{page}{self.query}" + (f"{sep}{extra}" if extra else "")


def _scope(request: Request, user: CurrentUser, patient_id: int, *, write: bool,
           entries: bool = False) -> tuple[Journal, Accounts, Actor]:
    """Refuse (404) unless ``user`` may read, or with ``write`` change, the patient (with ``entries``
    too: change journal entries only, which an account the patient is shared with as logger may)."""
    jw = journal_web(request)
    accounts = jw.accounts()
    accounts.require_access(user.actor, known_id(patient_id), write=write, entries=entries)
    return jw.journal(), accounts, user.actor


def _switcher(accounts: Accounts, user: CurrentUser) -> Callable[[], Sequence[Patient]] | None:
    """The header switcher's patients (the account's own, then those shared with it), asked lazily."""
    mine = user.account
    if mine is None:
        return None
    return lambda: [p for p, _role in accounts.patients_with_roles(mine)]


def _read(request: Request, user: CurrentUser, patient_id: int, kind: ResourceKind,
          action: AuditAction = "read") -> tuple[Journal, View]:
    jw = journal_web(request)
    accounts, actor = jw.accounts(), user.actor
    role = accounts.access(actor, known_id(patient_id), write=False)  # None for the owner
    journal = jw.journal()
    accounts.audit(actor, action, patient_id, kind)
    return journal, View(journal.get_patient(patient_id), f"/patients/{patient_id}", "", role == "viewer",
                         _switcher(accounts, user), role)


def _shared(request: Request, token: str, kind: ResourceKind, action: AuditAction = "read") -> tuple[Journal, View]:
    from urllib.parse import quote

    jw = journal_web(request)
    accounts = jw.accounts()
    actor = accounts.share_actor(token)
    if actor is None:
        raise ProblemError(404, None, "This share link is unknown, expired or revoked.")
    accounts.require_access(actor, actor.patient_id, write=False)
    accounts.audit(actor, action, actor.patient_id, kind)
    journal = jw.journal()
    return journal, View(journal.get_patient(actor.patient_id), "/shared", f"?token={quote(token)}", True)


def _page(request: Request, template: str, view: View, active: str, **ctx: Any) -> Response:
    return render(request, template, {"view": view, "patient": view.patient, "tab": active, "active": "journal", **ctx})


def _num(text: str, what: str) -> float | None:
    from gabacare.journal.errors import JournalInputError

    t = text.strip().replace(",", ".")
    if not t:
        return None
    try:
        return float(t)
    except ValueError:
        raise JournalInputError(f"{what} must be a number") from None


def _day(text: str | None, what: str) -> date | None:
    from gabacare.journal.errors import JournalInputError

    if text is None or not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise JournalInputError(f"{what} must be a date like 2026-01-31") from None


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true" and request.headers.get("hx-boosted") != "true"


# -- patients -----------------------------------------------------------------------------------

@router.get("/patients", response_class=HTMLResponse)
def patients(request: Request, user: CurrentUser = Depends(page_user)) -> Response:
    found = journal_web(request).accounts().patients_with_roles(user.account)
    return render(request, "journal/patients.html", {"patients": found, "form": {}, "error": None, "active": "journal",
                                                     "user": user})


@router.post("/patients", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
def patient_add(request: Request, name: Text = "", birth_date: Text = "", sex: Text = "", weight_kg: Text = "",
                user: CurrentUser = Depends(page_user)) -> Response:
    from gabacare.journal.errors import JournalInputError

    accounts = journal_web(request).accounts()
    form = {"name": name, "birth_date": birth_date, "sex": sex, "weight_kg": weight_kg}
    try:
        if sex not in ("", "female", "male"):
            raise JournalInputError("sex must be female or male")
        patient = accounts.create_patient_for(user.account, name, birth_date=_day(birth_date, "birth date"),
                                              sex=sex or None, weight_kg=_num(weight_kg, "weight"))  # type: ignore[arg-type]
    except JournalInputError as exc:
        return render(request, "journal/patients.html", {"patients": accounts.patients_with_roles(user.account), "form": form,
                                                         "error": str(exc), "active": "journal", "user": user}, 422)
    return RedirectResponse(f"/patients/{patient.id}/plan", status_code=303)


#: The journal tabs the header's patient switcher keeps (a page's ``tab``); any other opens Today.
SWITCH_TABS = frozenset({"today", "log", "plan", "trends", "levels", "report", "share", "audit"})


@router.get("/patients/switch")
def switch_patient(request: Request, patient: int, tab: str = "today", user: CurrentUser = Depends(page_user)) -> Response:
    """The header's patient switcher without JavaScript: the same tab of another of the account's
    patients (404 for a patient the account may not read, as on the page itself)."""
    _scope(request, user, patient, write=False)
    return RedirectResponse(f"/patients/{patient}/{tab if tab in SWITCH_TABS else 'today'}", status_code=303)


@router.get("/patients/{patient_id}")
def patient_home(request: Request, patient_id: int, user: CurrentUser = Depends(page_user)) -> Response:
    _scope(request, user, patient_id, write=False)
    return RedirectResponse(f"/patients/{patient_id}/today", status_code=303)


# -- today --------------------------------------------------------------------------------------

def _today_ctx(journal: Journal, patient_id: int, saved: int | None = None, done: str | None = None) -> dict[str, Any]:
    """The day's view; ``saved``: the entry just made or changed (its "undo" form), ``done``: what was just done."""
    from gabacare.journal.errors import UnknownEntryError

    plans = journal.plans(patient_id)  # read once for the day and the withdrawal watch
    view = journal.today(patient_id, plans=plans)
    entry = None
    if saved is not None:
        try:
            entry = journal.get_entry(patient_id, saved)
        except UnknownEntryError:  # deleted since, or not this patient's: no banner
            entry = None
    from gabacare.app.questionnaires import taper_watch

    # The withdrawal watch, shown only while a taper step is being watched (a proposal for the prescriber).
    watch = taper_watch(journal, patient_id, plans=plans)
    return {"day": view, "now": journal.clock(), "saved_entry": entry, "done": done,
            "watch": watch.result}


_DONE = {"undone": "Undone.", "deleted": "Entry deleted.", "changed": "Changed."}


async def _reading(request: Request) -> AsyncIterator[None]:
    """One read snapshot (``JournalWeb.reading``) for a page view that only reads, opened before the
    signed-in user is looked up: the session lookup in ``page_user`` and the page's own reads then
    share one transaction and one pooled connection (a transaction less per view; on PostgreSQL three
    round trips less: the pool's ping, BEGIN and COMMIT). The route's ``reading()`` nests in it.

    A dependency with ``yield``, entered and left on the event loop; the route's thread uses the same
    session after it, never at the same time. Scope ``function``: it ends when the route returns, before
    the response is sent, as the route's own snapshot did."""
    with journal_web(request).reading():
        yield


@router.get("/patients/{patient_id}/today", response_class=HTMLResponse,
            dependencies=[Depends(_reading, scope="function")])
def today(request: Request, patient_id: int, saved: int | None = None, done: str | None = None,
          user: CurrentUser = Depends(page_user)) -> Response:
    from gabacare.journal.model import is_row_id

    with journal_web(request).reading():  # the page only reads: one transaction for all of it (see _reading)
        journal, view = _read(request, user, patient_id, "entry")
        ok = saved if is_row_id(saved) else None
        return _page(request, "journal/today.html", view, "today",
                     **_today_ctx(journal, patient_id, ok, _DONE.get(done or "")))


def _taken_at(journal: Journal, text: str, day: date) -> datetime | None:
    """A "taken at HH:MM" field as a moment on ``day`` (None when empty); refused when later than now."""
    from gabacare.journal.errors import JournalInputError

    t = text.strip()
    if not t:
        return None
    try:
        moment = datetime.fromisoformat(t) if "T" in t else datetime.combine(day, time.fromisoformat(t))
    except ValueError:
        raise JournalInputError("the time taken must be a time like 08:30") from None
    if moment > journal.clock() + timedelta(minutes=1):
        raise JournalInputError("the time taken is later than now")
    return moment


def _after_change(request: Request, journal: Journal, patient_id: int, entry_id: int | None, done: str | None) -> Response:
    """Post/Redirect/Get to the day (HTMX: the dose list in place), with the "undo" of ``entry_id``."""
    if _is_htmx(request):
        view = View(journal.get_patient(patient_id), f"/patients/{patient_id}", "", False)
        return render(request, "journal/_today_doses.html",
                      {"view": view, **_today_ctx(journal, patient_id, entry_id, _DONE.get(done or ""))})
    query = f"?saved={entry_id}" if entry_id is not None else (f"?done={done}" if done else "")
    if entry_id is not None and done:
        query += f"&done={done}"
    return RedirectResponse(f"/patients/{patient_id}/today{query}", status_code=303)


@router.post("/patients/{patient_id}/doses", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
def dose_log(request: Request, patient_id: int, status: Text = "taken", mg: Text = "", scheduled: Text = "",
             taken_at: Text = "", client_id: Text = "", user: CurrentUser = Depends(page_user)) -> Response:
    """A tap: the dose answers the planned dose ``scheduled`` (its slot) and was taken now, or at
    ``taken_at`` (HH:MM, or an ISO date and time); ``status=prn`` logs an as-needed dose apart from the
    schedule. ``client_id`` (optional, a UUID the page made; the offline queue sends it) makes the tap
    safe to send again: the entry gets it as its uid, and a second send answers the same entry, adding
    nothing (``Journal.log_dose_once``)."""
    from gabacare.journal.errors import JournalInputError

    journal, accounts, actor = _scope(request, user, patient_id, write=True, entries=True)
    if status not in ("taken", "skipped", "prn"):
        raise JournalInputError("dose status must be taken, skipped or prn")
    amount = _num(mg, "dose mg")
    if amount is None:
        raise JournalInputError("dose mg is required")
    try:
        slot = datetime.fromisoformat(scheduled.strip()) if scheduled.strip() else None
    except ValueError:
        raise JournalInputError("the scheduled time must be an ISO date and time") from None
    if status != "prn" and slot is None:
        raise JournalInputError("a taken or skipped dose answers a planned dose: the scheduled time is required")
    if len(client_id) > 64:  # bounded before any parsing
        raise JournalInputError("the client_id must be a UUID")
    at = _taken_at(journal, taken_at, (slot or journal.clock()).date()) if status != "skipped" else None
    args: dict[str, Any] = {"at": at, "status": "skipped" if status == "skipped" else "taken",
                            "slot": None if status == "prn" else slot, "prn": status == "prn"}
    if client_id.strip():
        entry, created = journal.log_dose_once(patient_id, amount, client_id=client_id, **args)
    else:
        entry, created = journal.log_dose(patient_id, amount, **args), True
    if created:
        accounts.audit(actor, "create", patient_id, "entry", entry.id)
    return _after_change(request, journal, patient_id, entry.id, None)


@router.post("/patients/{patient_id}/entries/{entry_id}/edit", response_class=HTMLResponse,
             dependencies=[Depends(require_csrf)])
def entry_edit(request: Request, patient_id: int, entry_id: int, taken_at: Text = "", mg: Text = "",
               user: CurrentUser = Depends(page_user)) -> Response:
    """Change when a dose was taken ("taken at 08:30", on the day it was taken) or its mg."""
    from gabacare.journal.errors import JournalInputError

    journal, accounts, actor = _scope(request, user, patient_id, write=True, entries=True)
    current = journal.get_entry(patient_id, known_id(entry_id))
    changes: dict[str, Any] = {}
    moment = _taken_at(journal, taken_at, current.at.date())
    if moment is not None and moment != current.at:
        changes["at"] = moment
    amount = _num(mg, "dose mg")
    if amount is not None and amount != current.data.mg:
        changes["mg"] = amount
    if not changes:
        raise JournalInputError("nothing to change: give the time taken or the mg")
    entry = journal.edit_entry(patient_id, entry_id, **changes)
    accounts.audit(actor, "update", patient_id, "entry", entry.id)
    return _after_change(request, journal, patient_id, entry.id, "changed")


@router.post("/patients/{patient_id}/entries/{entry_id}/undo", response_class=HTMLResponse,
             dependencies=[Depends(require_csrf)])
def entry_undo(request: Request, patient_id: int, entry_id: int, version: Text = "",
               user: CurrentUser = Depends(page_user)) -> Response:
    """Undo the change just made: a new entry (version 1) is deleted, an edit reverted to the version
    before it (a new version with the old content). ``version`` must still be the entry's current
    version (an undo never reverts a later change)."""
    from gabacare.journal.errors import JournalInputError

    journal, accounts, actor = _scope(request, user, patient_id, write=True, entries=True)
    current = journal.get_entry(patient_id, known_id(entry_id))
    if version.strip() != str(current.version):
        raise JournalInputError("this entry changed since: open Today again to see it")
    if current.version == 1:
        journal.delete_entry(patient_id, entry_id)
        accounts.audit(actor, "delete", patient_id, "entry", entry_id)
    else:
        journal.revert_entry(patient_id, entry_id)
        accounts.audit(actor, "update", patient_id, "entry", entry_id)
    return _after_change(request, journal, patient_id, None, "undone")


@router.post("/patients/{patient_id}/entries/{entry_id}/delete", response_class=HTMLResponse,
             dependencies=[Depends(require_csrf)])
def entry_delete(request: Request, patient_id: int, entry_id: int, user: CurrentUser = Depends(page_user)) -> Response:
    journal, accounts, actor = _scope(request, user, patient_id, write=True, entries=True)
    journal.delete_entry(patient_id, known_id(entry_id))
    accounts.audit(actor, "delete", patient_id, "entry", entry_id)
    return _after_change(request, journal, patient_id, None, "deleted")


# -- log ----------------------------------------------------------------------------------------

def _log_page(request: Request, journal: Journal, view: View, *, status_code: int = 200, **ctx: Any) -> Response:
    from gabacare.journal.settings import MAX_COUNT_PER_DAY
    from gabacare.knowledge.language import load_language

    recent = journal.entries(view.patient.id, start=journal.clock().date() - timedelta(days=6))
    recent = [e for e in recent if e.kind != "dose"][-15:][::-1]
    return render(request, "journal/log.html", {
        "view": view, "patient": view.patient, "tab": "log", "active": "journal", "scales": SCORE_SCALES,
        "max_count": MAX_COUNT_PER_DAY, "recent": recent, "error": None, "saved": None, "triage": None,
        "lab": None, "form": {}, "red_flags": load_language().red_flags, **ctx}, status_code)


#: A ``saved`` query longer than this is not read (far more than one form's ids; see :func:`_saved_ids`).
_SAVED_QUERY_MAX_CHARS = 200


def _saved_ids(text: str | None) -> list[int]:
    """The entry ids of ``?saved=3,4`` (comma-separated); anything else in it is ignored, never an error
    (a stale or edited link shows the page without the "saved" message)."""
    if not text or len(text) > _SAVED_QUERY_MAX_CHARS:
        return []
    return [int(p) for p in text.split(",") if p.strip().isascii() and p.strip().isdigit()]


def _saved_message(entries: Sequence[Entry]) -> str | None:
    """The line the page says after saving, from what was stored (one per kind of entry)."""
    from gabacare.journal.model import LEVEL_TEST

    said: list[str] = []
    scores = sum(e.kind == "symptom" for e in entries)
    if scores:
        said.append(f"{scores} score(s) saved.")
    for e in entries:
        if e.kind == "trigger":
            line = "Trigger saved."
        elif e.kind == "side_effect":
            line = "Side effect saved."
        elif e.kind == "note":
            line = "Note saved."
        elif e.kind == "lab" and e.data.name == LEVEL_TEST:
            line = "Gabapentin level saved: see what it says on the Levels page."
        elif e.kind == "lab":
            line = "Creatinine saved."
        else:
            continue
        if line not in said:
            said.append(line)
    return " ".join(said) or None


def _log_saved(request: Request, journal: Journal, view: View, entry_ids: Sequence[int]) -> Response:
    """The log page as it stands after saving ``entry_ids`` (rebuilt from the stored entries)."""
    recap = journal.recap_saved(view.patient.id, entry_ids)
    return _log_page(request, journal, view, saved=_saved_message(recap.entries), triage=recap.triage, lab=recap.lab)


@router.get("/patients/{patient_id}/log", response_class=HTMLResponse)
def log_page(request: Request, patient_id: int, saved: str | None = None,
             user: CurrentUser = Depends(page_user)) -> Response:
    """The log forms; ``saved`` (comma-separated entry ids: where a saved form lands) shows what was
    saved, the triage of a side effect or note and the kidney check of a creatinine. Only the
    patient's own current entries count; other ids are ignored. Only for whoever may log (the owner, a
    logger member): a viewer member gets 404, as for any page it may not use."""
    _scope(request, user, patient_id, write=True, entries=True)
    journal, view = _read(request, user, patient_id, "entry")
    ids = _saved_ids(saved)
    if not ids:
        return _log_page(request, journal, view)
    return _log_saved(request, journal, view, ids)


LOG_KINDS = ("symptoms", "triggers", "side-effects", "labs", "notes")


def _log_route(kind: str) -> Any:
    async def log_submit(request: Request, patient_id: int, user: CurrentUser = Depends(page_user)) -> Response:
        from starlette.concurrency import run_in_threadpool

        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str) and k != "csrf_token"}
        return await run_in_threadpool(_log_submit, request, patient_id, kind, form, user)

    log_submit.__name__ = f"log_{kind.replace('-', '_')}"
    return log_submit


for _kind in LOG_KINDS:
    router.add_api_route(f"/patients/{{patient_id}}/{_kind}", _log_route(_kind), methods=["POST"],
                         response_class=HTMLResponse, dependencies=[Depends(require_csrf)])


def _log_drafts(journal: Journal, kind: str, form: dict[str, str], at: datetime | None) -> list[EntryData]:
    """The entries one log form holds, not yet checked nor stored (``JournalInputError`` for an empty form)."""
    from gabacare.journal.errors import JournalInputError
    from gabacare.journal.model import LEVEL_TEST

    if kind == "symptoms":
        drafts = []
        for scale in [s for s, _, _ in SCORE_SCALES] + ["spasm_count"]:
            score = _num(form.get(scale, ""), scale.replace("_", " "))
            if score is not None:
                drafts.append(journal.draft("symptom", at=at, name=scale, value=score))
        if not drafts:
            raise JournalInputError("fill in at least one score")
        return drafts
    if kind == "triggers":
        return [journal.draft("trigger", at=at, text=form.get("tag", ""))]
    if kind == "notes":
        return [journal.draft("note", at=at, text=form.get("text", ""))]
    if kind == "side-effects":
        return [journal.draft("side_effect", at=at, text=form.get("text", ""))]
    if form.get("test") == LEVEL_TEST:
        value = _num(form.get("value", ""), "gabapentin level")
        if value is None:
            raise JournalInputError("the level's value is required")
        if at is None:
            raise JournalInputError("give the time the blood was taken: the estimate depends on it")
        return [journal.draft("lab", at=at, name=LEVEL_TEST, value=value, unit=form.get("unit") or None)]
    value = _num(form.get("value", ""), "creatinine")
    if value is None:
        raise JournalInputError("creatinine value is required")
    return [journal.draft("lab", at=at, name="creatinine", value=value, unit=form.get("unit") or None)]


def _log_submit(request: Request, patient_id: int, kind: str, form: dict[str, str], user: CurrentUser) -> Response:
    """Save one log form. ``client_id`` (optional, a UUID the page made; the offline queue sends it) makes
    the form safe to send again: a second send answers the entries the first one saved, adding nothing
    (``Journal.log_entries_once``); a client id whose entries were deleted since answers 409."""
    from gabacare.journal.errors import JournalInputError

    journal, accounts, actor = _scope(request, user, patient_id, write=True, entries=True)
    view = View(journal.get_patient(patient_id), f"/patients/{patient_id}", "", False, None,
                accounts.role_of(actor, patient_id))
    at_text = form.get("at", "").strip()
    try:
        at = datetime.fromisoformat(at_text) if at_text else None
    except ValueError:
        return _log_page(request, journal, view, error="The time must be a date and time.", form=form, status_code=422)
    client_id = form.get("client_id", "").strip()
    try:
        if len(client_id) > 64:  # bounded before any parsing
            raise JournalInputError("the client_id must be a UUID")
        drafts = _log_drafts(journal, kind, form, at)
        # One path with or without the page's client id: the form's entries are checked together and
        # stored in one transaction, and a resend with the same client id (the offline queue's) adds nothing.
        entries, created = journal.log_entries_once(patient_id, drafts, client_id=client_id or str(uuid.uuid4()))
    except JournalInputError as exc:
        return _log_page(request, journal, view, error=str(exc), form=form, status_code=422)
    ids = [e.id for e in entries]
    for entry_id in ids if created else ():
        accounts.audit(actor, "create", patient_id, "entry", entry_id)
    if _is_htmx(request):  # sent by HTMX: answer in place, as the dose taps do
        return _log_saved(request, journal, view, ids)
    # Post/Redirect/Get: a reload of the page shown next reads the entries again and stores nothing.
    return RedirectResponse(f"/patients/{patient_id}/log?saved={','.join(map(str, ids))}", status_code=303)


# -- plan ---------------------------------------------------------------------------------------

def _plan_page(request: Request, journal: Journal, view: View, *, status_code: int = 200, **ctx: Any) -> Response:
    """The plan page: the plan in force (or next) as it was made (``Journal.recorded_plan``, never
    remade with today's rules), the forms to set a new one; ``recheck`` in ``ctx`` adds the differences."""
    from gabacare.knowledge import load_monograph

    recorded = journal.recorded_plan(view.patient.id)
    return render(request, "journal/plan.html", {
        "view": view, "patient": view.patient, "tab": "plan", "active": "journal",
        "stored": recorded.stored if recorded is not None else None, "recorded": recorded,
        "plan": recorded.view() if recorded is not None else None, "recheck": None,
        "monograph": load_monograph(), "error": None, "form": {"source": "titrate"},
        "today": journal.clock().date().isoformat(), **ctx}, status_code)


@router.get("/patients/{patient_id}/plan/recheck", response_class=HTMLResponse)
def plan_recheck(request: Request, patient_id: int, user: CurrentUser = Depends(page_user)) -> Response:
    """The plan page with "re-check against today's rules": the stored plan as made, and the days, doses
    and warnings today's knowledge base would make differently (``Journal.recheck_plan``). Reads only
    (a GET: nothing is stored, so a reload repeats nothing); the record stays as it was made."""
    journal, view = _read(request, user, patient_id, "plan")
    return _plan_page(request, journal, view, recheck=journal.recheck_plan(patient_id))


@router.get("/patients/{patient_id}/plan", response_class=HTMLResponse)
def plan_page(request: Request, patient_id: int, saved: str | None = None,
              user: CurrentUser = Depends(page_user)) -> Response:
    """The plan in force; ``?saved=<plan id>`` (where a saved plan form redirects) adds the confirmation,
    shown only when that id is one of this patient's plans (a made-up id shows nothing)."""
    journal, view = _read(request, user, patient_id, "plan")
    return _plan_page(request, journal, view, saved=_saved_plan(journal, patient_id, saved))


def _saved_plan(journal: Journal, patient_id: int, saved: str | None) -> Any:
    """The stored plan ``saved`` names (a plan id as text) if it is one of the patient's, else None."""
    if saved is None or not saved.isdigit() or len(saved) > 18:
        return None
    plan_id = int(saved)
    return next((p for p in journal.plans(patient_id) if p.id == plan_id), None)


def set_plan_from_form(request: Request, user: CurrentUser, patient_id: int, form: dict[str, str]) -> int:
    """Store the plan a form describes as ``patient_id``'s plan in force from its start; the stored plan's id.

    The journal's plan page and the planners' "save to my journal" both come here, so a form's texts
    become a :class:`~gabacare.journal.model.PlanSpec` in one place. ``form`` holds the texts as they
    came (a missing key is blank): ``source`` (``titrate``, ``taper`` or ``regimen``), ``start`` (blank:
    today), ``crcl``; for a titration ``indication``, ``target_mg``, ``weight_kg``, ``age``; for a taper
    ``from_regimen``, ``risk``, ``step_mg``; for a steady regimen ``regimen``. The write is audited.

    Raises
    ------
    AccessDenied
        ``user`` may not change the patient (answered 404, like an unknown id); nothing is read.
    JournalInputError, ClinicalInputError
        A field is malformed or the plan cannot be made; nothing is stored.
    """
    from gabacare.journal.model import PlanSpec

    journal, accounts, actor = _scope(request, user, patient_id, write=True)

    def text(key: str) -> str | None:
        return form.get(key, "").strip() or None

    first = _day(form.get("start"), "first day") or journal.clock().date()
    spec = PlanSpec.from_choice(
        form.get("source", ""), first, regimen=text("regimen"), indication=text("indication"),
        target_mg=_num(form.get("target_mg", ""), "daily target"), from_regimen=text("from_regimen"),
        risk=text("risk"), step_mg=_num(form.get("step_mg", ""), "taper step"),
        crcl_ml_min=_num(form.get("crcl", ""), "creatinine clearance"), weight_kg=_num(form.get("weight_kg", ""), "weight"),
        age_years=_num(form.get("age", ""), "age"))
    result = journal.set_plan(patient_id, spec)
    accounts.audit(actor, "create", patient_id, "plan", result.stored.id)
    return result.stored.id


@router.post("/patients/{patient_id}/plan", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
def plan_set(request: Request, patient_id: int, source: Text = "titrate", indication: Text = "", target_mg: Text = "",
             regimen: Text = "", from_regimen: Text = "", risk: Text = "", crcl: Text = "", start: Text = "",
             user: CurrentUser = Depends(page_user)) -> Response:
    """Set a new plan: Post/Redirect/Get, 303 to ``plan?saved=<plan id>`` (the GET shows "saved", and a
    reload of it stores nothing); refused input answers 422 with the form as typed."""
    from gabacare.clinical.errors import ClinicalInputError
    from gabacare.journal.errors import JournalInputError

    form = {"source": source, "indication": indication, "target_mg": target_mg, "regimen": regimen,
            "from_regimen": from_regimen, "risk": risk, "crcl": crcl, "start": start}
    try:
        plan_id = set_plan_from_form(request, user, patient_id, form)
    except (JournalInputError, ClinicalInputError) as exc:
        journal = journal_web(request).journal()
        view = View(journal.get_patient(patient_id), f"/patients/{patient_id}", "", False)
        return _plan_page(request, journal, view, error=" ".join(str(exc).split()), form=form, status_code=422)
    return RedirectResponse(f"/patients/{patient_id}/plan?saved={plan_id}", status_code=303)


# -- trends and charts --------------------------------------------------------------------------

def _period(journal: Journal, start: str | None, end: str | None) -> tuple[date, date]:
    from gabacare.journal.errors import JournalInputError
    from gabacare.reports.doctor_report import default_period

    last = _day(end, "last day") or journal.clock().date()
    first, last = default_period(last, _day(start, "first day"))
    if first > last:
        raise JournalInputError("the period's first day is after its last day")
    return first, last


def _trends_page(request: Request, journal: Journal, view: View, start: str | None, end: str | None) -> Response:
    first, last = _period(journal, start, end)
    adherence, trends = journal.adherence_and_trends(view.patient.id, start=first, end=last)  # one read of the period
    span = {"start": first.isoformat(), "end": last.isoformat()}
    return render(request, "journal/trends.html", {
        "view": view, "patient": view.patient, "tab": "trends", "active": "journal", "adherence": adherence,
        "trends": trends, "start": first, "end": last, "span": span,
        "invalid": journal.invalid_entries(view.patient.id, start=first, end=last)}, 200)


@router.get("/patients/{patient_id}/trends", response_class=HTMLResponse)
def trends_page(request: Request, patient_id: int, start: str | None = None, end: str | None = None,
                user: CurrentUser = Depends(page_user)) -> Response:
    journal, view = _read(request, user, patient_id, "entry")
    return _trends_page(request, journal, view, start, end)


def _chart(journal: Journal, patient_id: int, name: str, start: str | None, end: str | None) -> Response:
    from gabacare.reports.render import period_charts

    first, last = _period(journal, start, end)
    # The period's adherence and trends only (the same SVG as the report's charts): building the whole
    # doctor's report for each of the page's chart requests cost seconds for a year (issue 18).
    drawn = period_charts(*journal.adherence_and_trends(patient_id, start=first, end=last), journal.plans(patient_id))
    svg: str | None = None
    if name in ("adherence", "dose"):
        svg = drawn[name]
    elif name.startswith("score-"):
        svg = drawn["scores"].get(name.removeprefix("score-"))
    if svg is None:
        raise ProblemError(404, None, "No such chart for this period.")
    head = '<?xml version="1.0" encoding="utf-8"?>\n'
    ns = 'xmlns="http://www.w3.org/2000/svg"'
    body = svg if ns in svg[:400] else svg.replace("<svg", f"<svg {ns}", 1)
    return Response(head + body, media_type="image/svg+xml",
                    headers={"content-security-policy": _CSP_OWN_SVG, "cache-control": "private, no-store"})


@router.get("/patients/{patient_id}/charts/{name}.svg")
def chart(request: Request, patient_id: int, name: str, start: str | None = None, end: str | None = None,
          user: CurrentUser = Depends(page_user)) -> Response:
    journal, _view = _read(request, user, patient_id, "entry")
    return _chart(journal, patient_id, name, start, end)


# -- levels (PK of logged doses) ----------------------------------------------------------------

def _levels_page(request: Request, journal: Journal, view: View, days: int) -> Response:
    from gabacare.journal.errors import JournalInputError
    from gabacare.journal.pk_history import simulate_patient
    from gabacare.web.journal_svg import pk_curve_svg

    days = max(1, min(days, 28))
    last = journal.clock().date()
    first = last - timedelta(days=days - 1)
    sim: Any = None
    svg: str | None = None
    error: str | None = None
    try:
        sim = simulate_patient(journal, view.patient.id, start=first, end=last)
    except JournalInputError as exc:
        error = str(exc)
    else:
        svg = pk_curve_svg(sim)
    measured, measured_svg, measured_error = _measured_levels(journal, view.patient.id)
    return render(request, "journal/levels.html", {
        "view": view, "patient": view.patient, "tab": "levels", "active": "journal", "sim": sim, "svg": svg,
        "error": error, "days": days, "first": first, "last": last,
        "measured": measured, "measured_svg": measured_svg, "measured_error": measured_error})


def _measured_levels(journal: Journal, patient_id: int) -> tuple[Any, str | None, str | None]:
    """The estimate from the patient's measured gabapentin levels, its chart, or why there is none."""
    from gabacare.app.estimate import measured_estimate
    from gabacare.web.journal_svg import estimate_svg

    answer, why = measured_estimate(journal, patient_id)
    if answer is None:
        return None, None, why
    c = answer.curves()
    svg = estimate_svg(c.t_h, c.population, c.individual, (c.low, c.high),
                       [(lv.time_h, lv.mg_per_l) for lv in answer.levels], answer.origin)
    return answer, svg, None


@router.get("/patients/{patient_id}/levels", response_class=HTMLResponse)
def levels_page(request: Request, patient_id: int, days: int = 7, user: CurrentUser = Depends(page_user)) -> Response:
    journal, view = _read(request, user, patient_id, "entry")
    return _levels_page(request, journal, view, days)


# -- doctor's report ----------------------------------------------------------------------------

def _report_form(request: Request, journal: Journal, view: View) -> Response:
    first, last = _period(journal, None, None)
    return render(request, "journal/report.html", {"view": view, "patient": view.patient, "tab": "report",
                                                   "active": "journal", "start": first, "end": last})


def _report_file(journal: Journal, patient_id: int, fmt: str, start: str | None, end: str | None) -> Response:
    from gabacare.app.report import doctor_report
    from gabacare.reports import MEDIA_TYPES, render_html, render_pdf

    first, last = _period(journal, start, end)
    report = doctor_report(journal, patient_id, start=first, end=last, now=journal.clock())
    content: bytes | str = render_pdf(report) if fmt == "pdf" else render_html(report)
    filename = f"gabacare-report-{first.isoformat()}-to-{last.isoformat()}.{fmt}"
    return Response(content, media_type=MEDIA_TYPES[fmt], headers={
        "content-disposition": f'attachment; filename="{filename}"', "content-security-policy": _CSP_REPORT,
        "cache-control": "private, no-store"})


@router.get("/patients/{patient_id}/report", response_class=HTMLResponse)
def report_page(request: Request, patient_id: int, user: CurrentUser = Depends(page_user)) -> Response:
    journal, view = _read(request, user, patient_id, "report")
    return _report_form(request, journal, view)


@router.get("/patients/{patient_id}/report.{fmt}")
def report_download(request: Request, patient_id: int, fmt: Literal["pdf", "html"], start: str | None = None,
                    end: str | None = None, user: CurrentUser = Depends(page_user)) -> Response:
    journal, _view = _read(request, user, patient_id, "report", "export")
    return _report_file(journal, patient_id, fmt, start, end)


# -- your data, to take with you ------------------------------------------------------------------

@router.get("/patients/{patient_id}/export.{fmt}")
def export_download(request: Request, patient_id: int, fmt: Literal["csv", "json"],
                    user: CurrentUser = Depends(page_user)) -> Response:
    """The journal as a file the patient keeps (the same text as ``gabacare export``; re-importable)."""
    journal, _view = _read(request, user, patient_id, "entry", "export")
    text = journal.export(patient_id, fmt)
    media = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
    return Response(text, media_type=media, headers={
        "content-disposition": f'attachment; filename="gabacare-patient-{patient_id}.{fmt}"'})


# -- share links --------------------------------------------------------------------------------
#
# Post/Redirect/Get with a secret to show once. A new share link's token (or calendar feed's) is known
# only when it is made (only its hash is stored), the page must show it exactly once, and it must
# never travel in a URL (history, Referer, proxy logs). So the POST answers 303 to the Share page with
# a flag (``?created=<link id>``, ``?feed=created``) and hands the token to that one GET in a cookie:
# HttpOnly, SameSite=Strict, path-scoped to this patient's Share page, two minutes to live. The GET
# checks the owner's access first, shows the token only if it is still a live token of this patient
# (``share_actor``/``feed_actor``), and deletes the cookie in the same answer (``no-store``), so a reload
# or the Back button shows "made, shown once" without the secret and creates nothing. Why a cookie and
# not a server-side row: the journal has no flash table, and the cookie goes only to the browser that
# just received the token anyway; it works the same with several worker processes.

_ONCE_COOKIE = {"share": "gabacare_new_share", "feed": "gabacare_new_feed"}
_ONCE_TTL_S = 120  # long enough for the redirect on a slow phone, short enough to not linger
_SHARE_DONE = {"revoked": "Link revoked: it no longer opens anything.",
               "member-added": "Shared: that account sees this patient from its own sign-in now.",
               "member-removed": "Removed: that account no longer sees this patient.",
               "feed-created": "Calendar address made.",
               "feed-stopped": "Calendar address stopped: it answers nothing from now on."}


def _once_path(patient_id: int) -> str:
    return f"/patients/{patient_id}/share"


def _redirect_once(request: Request, patient_id: int, query: str, kind: Literal["share", "feed"],
                   token: str) -> Response:
    """303 to the Share page with ``query``, the new ``token`` in a single-read cookie (see above)."""
    response = RedirectResponse(f"{_once_path(patient_id)}?{query}", status_code=303)
    response.set_cookie(_ONCE_COOKIE[kind], token, max_age=_ONCE_TTL_S, path=_once_path(patient_id),
                        httponly=True, samesite="strict", secure=request.app.state.settings.secure_cookies)
    return response


def _share_page(request: Request, patient_id: int, user: CurrentUser, *, created: str | None = None,
                error: str | None = None, status_code: int = 200, feed_token: str | None = None,
                **ctx: Any) -> Response:
    accounts = journal_web(request).accounts()
    links = accounts.share_links_of(user.account, known_id(patient_id))  # AccessDenied → 404
    members = accounts.members_of(user.account, patient_id)
    view = View(journal_web(request).journal().get_patient(patient_id), f"/patients/{patient_id}", "", False,
                _switcher(accounts, user))
    from gabacare.journal import settings as journal_settings
    from gabacare.web.share_view import feed_address, share_address

    public_base = request.app.state.settings.public_base_url
    address = share_address(public_base, str(request.base_url), created)
    feed = accounts.calendar_feed_of(user.account, patient_id)
    new_feed = None if feed_token is None else feed_address(public_base, str(request.base_url), feed_token)
    return render(request, "journal/share.html", {
        "view": view, "patient": view.patient, "tab": "share", "active": "journal", "links": links,
        "now": accounts.clock(), "created": created, "error": error, "address": address, "feed": feed,
        "new_feed": new_feed, "feed_days_ahead": journal_settings.CALENDAR_FEED_DAYS_AHEAD,
        "feed_days_behind": journal_settings.CALENDAR_FEED_DAYS_BEHIND,
        "feed_refresh_hours": int(journal_settings.CALENDAR_FEED_REFRESH.total_seconds() // 3600),
        "form": {"days": "7"}, "done": None, "made_link": None, "feed_made": False, "members": members,
        "member_form": {"email": "", "role": "viewer"}, "member_error": None, **ctx}, status_code)


@router.get("/patients/{patient_id}/share", response_class=HTMLResponse)
def share_page(request: Request, patient_id: int, created: str | None = None, feed: str | None = None,
               done: str | None = None, user: CurrentUser = Depends(page_user)) -> Response:
    """Share links and the calendar feed. After a form: ``?created=<link id>`` (a new link: its address
    once, from the single-read cookie; on a reload "made, shown once"), ``?feed=created``,
    ``?done=revoked|feed-stopped``. Unknown flags show nothing."""
    _read(request, user, patient_id, "share_link")
    accounts = journal_web(request).accounts()
    token: str | None = None
    made_link: int | None = None
    if created is not None and created.isdigit() and len(created) <= 18:
        link_id = int(created)
        if any(link.id == link_id for link in accounts.share_links_of(user.account, patient_id)):
            made_link = link_id
            once = request.cookies.get(_ONCE_COOKIE["share"])
            actor = accounts.share_actor(once) if once else None
            if actor is not None and actor.patient_id == patient_id and actor.id == link_id:
                token = once
    feed_token: str | None = None
    feed_made = feed == "created"
    if feed_made:
        once = request.cookies.get(_ONCE_COOKIE["feed"])
        feed_actor = accounts.feed_actor(once) if once else None
        if feed_actor is not None and feed_actor.patient_id == patient_id:
            feed_token = once
    response = _share_page(request, patient_id, user, created=token, feed_token=feed_token, made_link=made_link,
                           feed_made=feed_made and feed_token is None, done=_SHARE_DONE.get(done or ""))
    for name in _ONCE_COOKIE.values():  # read once: gone after this answer, whatever it showed
        if name in request.cookies:
            response.delete_cookie(name, path=_once_path(patient_id), httponly=True, samesite="strict",
                                   secure=request.app.state.settings.secure_cookies)
    return response


@router.post("/patients/{patient_id}/share", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
def share_create(request: Request, patient_id: int, days: Text = "7", user: CurrentUser = Depends(page_user)) -> Response:
    """Create a share link lasting ``days``: 303 to ``share?created=<link id>``, the address shown once by
    that GET (the token in a single-read cookie, never in a URL: see the comment above). Refused
    input answers 422 with the days as typed; nothing is created."""
    from gabacare.accounts.model import AccountInputError

    accounts = journal_web(request).accounts()
    accounts.require_access(user.actor, known_id(patient_id), write=True)
    try:
        lifetime = _num(days, "days")
        if lifetime is None or lifetime <= 0:
            raise AccountInputError("a share link must last at least part of a day")
        token, link = accounts.create_share_link(user.account, patient_id, timedelta(days=lifetime))
    except (AccountInputError, OverflowError) as exc:
        return _share_page(request, patient_id, user, error=str(exc), status_code=422, form={"days": days[:40]})
    return _redirect_once(request, patient_id, f"created={link.id}", "share", token)


@router.post("/patients/{patient_id}/share/{link_id}/revoke", dependencies=[Depends(require_csrf)])
def share_revoke(request: Request, patient_id: int, link_id: int, user: CurrentUser = Depends(page_user)) -> Response:
    """Revoke one of the patient's links: 303 to ``share?done=revoked`` (another patient's link: 404)."""
    accounts = journal_web(request).accounts()
    links = accounts.share_links_of(user.account, known_id(patient_id))
    if not any(link.id == link_id for link in links):
        raise ProblemError(404, None, "Not found.")
    accounts.revoke_share_link(user.account, link_id)
    return RedirectResponse(f"/patients/{patient_id}/share?done=revoked", status_code=303)


@router.post("/patients/{patient_id}/members", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
def member_add(request: Request, patient_id: int, email: Text = "", role: Text = "viewer",
               user: CurrentUser = Depends(page_user)) -> Response:
    """Share the patient with another GabaCare account by its e-mail, as ``viewer`` or ``logger``
    (``Accounts.add_member``): 303 to ``share?done=member-added``. Refused input (no such account,
    one's own e-mail, an unknown role, too many) answers 422 with the form as typed; nothing changes."""
    from gabacare.accounts.model import AccountInputError

    accounts = journal_web(request).accounts()
    accounts.require_access(user.actor, known_id(patient_id), write=True)
    try:
        accounts.add_member(user.account, patient_id, email, role)
    except AccountInputError as exc:
        return _share_page(request, patient_id, user, member_error=str(exc), status_code=422,
                           member_form={"email": email[:254], "role": role if role in ("viewer", "logger") else "viewer"})
    return RedirectResponse(f"/patients/{patient_id}/share?done=member-added#members", status_code=303)


@router.post("/patients/{patient_id}/members/{member_id}/remove", dependencies=[Depends(require_csrf)])
def member_remove(request: Request, patient_id: int, member_id: int, user: CurrentUser = Depends(page_user)) -> Response:
    """Stop sharing the patient with that account (its access ends now): 303 to ``share?done=member-removed``
    (an account that is not a member, or another account's patient: 404)."""
    journal_web(request).accounts().remove_member(user.account, known_id(patient_id), known_id(member_id))
    return RedirectResponse(f"/patients/{patient_id}/share?done=member-removed#members", status_code=303)


@router.post("/patients/{patient_id}/calendar-feed", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
def calendar_feed_create(request: Request, patient_id: int, user: CurrentUser = Depends(page_user)) -> Response:
    """Create the patient's calendar feed address, or rotate it (the old address stops working at once):
    303 to ``share?feed=created``, the address shown once by that GET (single-read cookie, as a link)."""
    token, _feed = journal_web(request).accounts().create_calendar_feed(user.account, known_id(patient_id))
    return _redirect_once(request, patient_id, "feed=created#calendar", "feed", token)


@router.post("/patients/{patient_id}/calendar-feed/revoke", dependencies=[Depends(require_csrf)])
def calendar_feed_revoke(request: Request, patient_id: int, user: CurrentUser = Depends(page_user)) -> Response:
    """Stop the patient's calendar feed (its address answers 404 from now on): 303 to
    ``share?done=feed-stopped``."""
    journal_web(request).accounts().revoke_calendar_feed(user.account, known_id(patient_id))
    return RedirectResponse(f"/patients/{patient_id}/share?done=feed-stopped#calendar", status_code=303)


# -- deleting a patient ---------------------------------------------------------------------------

def _delete_page(request: Request, journal: Journal, accounts: Accounts, user: CurrentUser, patient_id: int, *,
                 error: str | None = None, status_code: int = 200) -> Response:
    view = View(journal.get_patient(patient_id), f"/patients/{patient_id}", "", False)
    links = accounts.share_links_of(user.account, patient_id)
    counts: dict[str, int | bool] = {
        **journal.record_counts(patient_id),
        "links": sum(1 for link in links if link.active_at(accounts.clock())),
        "feed": accounts.calendar_feed_of(user.account, patient_id) is not None}
    return render(request, "journal/delete.html", {"view": view, "patient": view.patient, "tab": "delete",
                                                   "active": "journal", "counts": counts, "error": error},
                  status_code)


@router.get("/patients/{patient_id}/delete", response_class=HTMLResponse)
def patient_delete_page(request: Request, patient_id: int, user: CurrentUser = Depends(page_user)) -> Response:
    """What deleting the patient removes, the exports to keep first, and the form to confirm (owner only)."""
    journal, accounts, actor = _scope(request, user, patient_id, write=True)
    accounts.audit(actor, "read", patient_id, "patient")
    return _delete_page(request, journal, accounts, user, patient_id)


@router.post("/patients/{patient_id}/delete", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
def patient_delete(request: Request, patient_id: int, confirm_name: Text = "",
                   user: CurrentUser = Depends(page_user)) -> Response:
    """Delete the patient (``Accounts.delete_patient``); a name that does not match answers 422, nothing deleted."""
    from gabacare.accounts.model import AccountInputError

    journal, accounts, _actor = _scope(request, user, patient_id, write=True)
    try:
        accounts.delete_patient(user.account, patient_id, confirm_name)
    except AccountInputError as exc:
        return _delete_page(request, journal, accounts, user, patient_id, error=str(exc), status_code=422)
    return RedirectResponse("/patients?deleted=patient", status_code=303)


# -- audit log ----------------------------------------------------------------------------------

@router.get("/patients/{patient_id}/audit", response_class=HTMLResponse)
def audit_page(request: Request, patient_id: int, user: CurrentUser = Depends(page_user)) -> Response:
    from gabacare.web.audit_view import audit_rows

    _journal, view = _read(request, user, patient_id, "audit_log")
    records = journal_web(request).accounts().audit_log(user.account, patient_id)
    rows = audit_rows(records, viewer_id=user.id)
    zone = rows[0].first.strftime("%Z (UTC%z)") if rows else ""
    return render(request, "journal/audit.html", {"view": view, "patient": view.patient, "tab": "audit",
                                                  "active": "journal", "rows": rows[:500], "total": len(rows),
                                                  "records": len(records), "zone": zone})


# -- the read-only view of a share link ---------------------------------------------------------

Token = Annotated[str, Query(max_length=256)]


@router.get("/shared", response_class=HTMLResponse)
def shared_home(request: Request, token: Token = "", start: str | None = None, end: str | None = None) -> Response:
    journal, view = _shared(request, token, "entry")
    return _trends_page(request, journal, view, start, end)


@router.get("/shared/today", response_class=HTMLResponse)
def shared_today(request: Request, token: Token = "") -> Response:
    journal, view = _shared(request, token, "entry")
    return _page(request, "journal/today.html", view, "today", **_today_ctx(journal, view.patient.id))


@router.get("/shared/plan", response_class=HTMLResponse)
def shared_plan(request: Request, token: Token = "") -> Response:
    journal, view = _shared(request, token, "plan")
    return _plan_page(request, journal, view)


@router.get("/shared/levels", response_class=HTMLResponse)
def shared_levels(request: Request, token: Token = "", days: int = 7) -> Response:
    journal, view = _shared(request, token, "entry")
    return _levels_page(request, journal, view, days)


@router.get("/shared/charts/{name}.svg")
def shared_chart(request: Request, name: str, token: Token = "", start: str | None = None,
                 end: str | None = None) -> Response:
    journal, view = _shared(request, token, "entry")
    return _chart(journal, view.patient.id, name, start, end)


@router.get("/shared/report", response_class=HTMLResponse)
def shared_report(request: Request, token: Token = "") -> Response:
    journal, view = _shared(request, token, "report")
    return _report_form(request, journal, view)


@router.get("/shared/report.{fmt}")
def shared_report_download(request: Request, fmt: Literal["pdf", "html"], token: Token = "", start: str | None = None,
                           end: str | None = None) -> Response:
    journal, view = _shared(request, token, "report", "export")
    return _report_file(journal, view.patient.id, fmt, start, end)
