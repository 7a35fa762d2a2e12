"""Questionnaire and withdrawal-watch use cases over the journal: log, list, taper-watch.

=============================  ===================================  ==========================================
use case                       returns                              faces
=============================  ===================================  ==========================================
:func:`log_questionnaire`      ``journal.LoggedQuestionnaire``      ``questionnaire log``, ``POST …/questionnaires``
:func:`list_questionnaires`    :class:`QuestionnaireList`           ``questionnaire list``, ``GET …/questionnaires``
:func:`taper_watch`            :class:`TaperWatchAnswer`            ``taper-watch``, ``GET …/taper-watch``
=============================  ===================================  ==========================================

The watch reads the journal and hands the pure core (:func:`gabacare.clinical.taper_watch.taper_watch`)
what it needs:

* **the step**: the plan in force now must be a taper (``plan set --from …``); its daily totals, day
  by day, are compared with the day before (the first day with the total of the regimen it tapers
  from, ``PlanSpec.regimen``). A day whose total falls is a step, which begins at that day's first
  planned dose (midnight when no dose is planned: the end of the taper). The latest step at or
  before now is watched.
* **checklist symptoms**: symptom scores (``log symptom``) on a scale named like a withdrawal symptom
  of the knowledge base (``[withdrawal] symptoms``: anxiety, insomnia, nausea, pain, sweating,
  agitation, confusion). A 0-10 score is rated none/mild/moderate/severe by the pain rating's bands
  (``questionnaires.toml`` ``pain_nrs``: serlin-1995, farrar-2001), the words the watch's levels use.
* **free text**: side effects and notes are read by the one text pipeline
  (:func:`gabacare.clinical.triage.triage`, as when they were logged): a seizure is a ``seizure``, any
  other emergency an ``emergency``, and a recognised effect that is a checklist symptom counts at the
  lowest level above none (text carries no rating).
* **questionnaire scores** stored with :func:`log_questionnaire`.

>>> from datetime import datetime
>>> from gabacare.journal import InMemoryJournalRepository, Journal, PlanSpec
>>> j = Journal(InMemoryJournalRepository(), lambda: datetime(2026, 3, 20, 12, 0))
>>> pid = j.add_patient("Ada").id
>>> logged = log_questionnaire(j, pid, "gad7", "2,1,1,0,0,1,0")
>>> (logged.stored.data.total, logged.stored.data.severity)
(5, 'mild')
>>> taper_watch(j, pid).proposal is None  # no taper plan: nothing to watch
True
>>> _ = j.set_plan(pid, PlanSpec("taper", datetime(2026, 3, 19).date(), regimen="300 mg TID"))
>>> taper_watch(j, pid).proposal
'continue'

Only entries from ``baseline_days`` before the step to the window's end are read (the core's window:
``[withdrawal] onset_min_h``..``onset_max_h`` after the step, mersfelder-2016, label 5.5).

Without a taper step to watch (no plan, a plan that is not a taper, a taper that has not stepped down
yet) the answer has ``proposal`` null and ``reason`` saying why: it is not an error (exit 0, HTTP 200),
so a script looping over patients can skip them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from gabacare._record import record
from gabacare.clinical.errors import ClinicalInputError

if TYPE_CHECKING:
    from gabacare.clinical.taper_watch import TaperStep, WatchEntry, WatchResult
    from gabacare.journal.model import Entry, StoredPlan
    from gabacare.journal.services import Journal, LoggedQuestionnaire

__all__ = [
    "QuestionnaireList",
    "TaperWatchAnswer",
    "list_questionnaires",
    "log_questionnaire",
    "taper_steps",
    "taper_watch",
    "watch_entries",
]

_NO_PLAN = "This patient has no plan in the journal: there is no taper step to watch."
_NOT_TAPER = "The plan in force is not a taper: there is no taper step to watch."
_NO_STEP = "The taper in force has not lowered the daily dose yet: there is no taper step to watch."


def _notice() -> str:
    from gabacare.knowledge import load_monograph

    return load_monograph().notice_text


def _when(at: str | datetime | None) -> datetime | None:
    if at is None or isinstance(at, datetime):
        return at
    text = at.strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ClinicalInputError("the time completed (--at) must be an ISO date and time like 2026-01-31T08:00") from None


def log_questionnaire(
    journal: Journal, patient_id: int, instrument: str, answers: str | Sequence[int], *,
    at: str | datetime | None = None,
) -> LoggedQuestionnaire:
    """Score a completed questionnaire and store it in the patient's journal.

    Parameters
    ----------
    journal
        The journal (``gabacare.composition.journal``).
    patient_id
        The patient's id.
    instrument
        ``phq9``, ``gad7``, ``penn_spasm``, ``pain_nrs`` or ``pgic``.
    answers
        The answers in item order: typed text (``"0,1,2"``) or whole numbers.
    at
        When it was completed (ISO text or a datetime; default now).

    Returns
    -------
    LoggedQuestionnaire
        The stored row and the scoring; ``to_json()`` has the ``questionnaire score`` keys plus
        ``id``, ``patient``, ``uid``, ``at``, ``recorded_at``.

    Raises
    ------
    ClinicalInputError
        Unknown instrument, wrong number of answers, an answer out of range or not a whole number.
    UnknownPatientError
        No such patient. ``JournalInputError``: a time out of range or in the future. Nothing is
        stored when anything is refused.
    """
    from gabacare.clinical.questionnaires import parse_answers

    values = parse_answers(answers) if isinstance(answers, str) else tuple(answers)
    return journal.log_questionnaire(patient_id, instrument.strip(), values, at=_when(at))


@record
class QuestionnaireList:
    """A patient's stored questionnaires, oldest first (``to_json``: ``patient``, ``questionnaires``)."""

    patient: int
    items: tuple[LoggedQuestionnaire, ...]

    def to_json(self) -> dict[str, object]:
        return {"patient": self.patient, "questionnaires": [q.to_json() for q in self.items], "notice": _notice()}


def list_questionnaires(journal: Journal, patient_id: int) -> QuestionnaireList:
    """Every questionnaire stored for the patient, oldest first (``UnknownPatientError`` for no such patient)."""
    return QuestionnaireList(patient_id, tuple(journal.questionnaires(patient_id)))


# -- the withdrawal watch ---------------------------------------------------------------------------

def taper_steps(plans: Sequence[StoredPlan], today: date) -> tuple[StoredPlan | None, list[TaperStep]]:
    """The plan in force on ``today`` and, when it is a taper, its steps down to ``today`` (oldest first).

    A step is a day of the taper whose planned daily total (mg/day) is below the day before; the
    first day compares with the regimen the taper starts from. It begins at the day's first planned
    dose (midnight when none is planned).
    """
    from gabacare.clinical.regimen import parse_regimen
    from gabacare.clinical.taper_watch import TaperStep
    from gabacare.journal.schedule import plan_in_force

    stored = plan_in_force(plans, today)
    if stored is None or stored.plan.kind != "taper":
        return stored, []
    plan = stored.plan
    previous = parse_regimen(plan.spec.regimen).total_mg if plan.spec.regimen else None
    steps: list[TaperStep] = []
    day = plan.start
    last = min(today, plan.end)
    while day <= last:
        doses = plan.doses_on(day)
        total = sum(d.mg for d in doses)
        if previous is not None and total < previous:
            at = min((d.at for d in doses), default=datetime.combine(day, time(0, 0)))
            steps.append(TaperStep(at, float(previous), float(total)))
        previous = total
        day += timedelta(days=1)
    return stored, steps


def _level_of(score: float) -> int | None:
    """A 0-10 score as a checklist level (0 none … 3 severe), by the pain rating's bands."""
    from gabacare.knowledge.questionnaires import load_questionnaires

    q = load_questionnaires()
    nrs = q.instrument("pain_nrs")
    lo, hi = nrs.total_range
    whole = round(score)
    if not lo <= whole <= hi:
        return None
    try:
        return q.taper_watch.level_value(nrs.band_for(whole).key)
    except KeyError:
        return None


def _text_entry(e: Entry, checklist: frozenset[str], lowest: int) -> WatchEntry | None:
    from gabacare.clinical.taper_watch import WatchEntry
    from gabacare.clinical.triage import triage

    result = triage([e.data.text or ""]).results[0]
    ref = f"entry:{e.id}"
    if result.effect_id == "seizure":
        return WatchEntry(e.at, "seizure", ref=ref)
    if result.urgency == "emergency":
        return WatchEntry(e.at, "emergency", ref=ref)
    if result.effect_id in checklist:
        return WatchEntry(e.at, "symptom", result.effect_id, lowest, ref=ref)
    return None


def watch_entries(journal: Journal, patient_id: int, start: datetime, end: datetime) -> list[WatchEntry]:
    """The journal's entries with ``start <= at <= end`` as the watch reads them (module docstring)."""
    from gabacare.clinical.taper_watch import WatchEntry
    from gabacare.knowledge import load_monograph

    checklist = frozenset(s.lower() for s in load_monograph().withdrawal.symptoms)
    lowest = 1  # the first level above "none" (levels: none, mild, moderate, severe)
    out: list[WatchEntry] = []
    entries = journal.entries(patient_id, start=start.date(), end=end.date(),
                              kinds=["symptom", "side_effect", "note"])
    for e in entries:
        if not start <= e.at <= end:
            continue
        if e.kind == "symptom":
            name = (e.data.name or "").lower()
            level = _level_of(e.data.value or 0.0) if name in checklist else None
            if level is not None:
                out.append(WatchEntry(e.at, "symptom", name, level, ref=f"entry:{e.id}"))
        else:
            found = _text_entry(e, checklist, lowest)
            if found is not None:
                out.append(found)
    for q in journal.repo.list_questionnaires(patient_id, start=start, end=end + timedelta(microseconds=1)):
        out.append(WatchEntry(q.at, "score", q.data.instrument, q.data.total, q.data.emergency,
                              ref=f"questionnaire:{q.id}"))
    return sorted(out, key=lambda w: w.at)


@record
class TaperWatchAnswer:
    """The watch over a patient's journal: the core's result, or ``reason`` when no step is watched.

    ``to_json()``: ``patient``, ``plan_id``, ``proposal`` (continue|hold|slow|step_back|emergency, or
    null), ``step`` (``at``, ``from_mg_per_day``, ``to_mg_per_day``), ``window`` (``start``, ``end``,
    ``complete``), ``evidence``, ``citations``, ``notice`` and the core's other keys (``reasons``,
    ``message``, ``baseline``, ``next_step_mg``, ``crisis_lines``); ``reason`` (null when watched).
    """

    patient: int
    plan_id: int | None
    result: WatchResult | None
    reason: str | None

    @property
    def proposal(self) -> str | None:
        return None if self.result is None else self.result.proposal

    def to_json(self) -> dict[str, object]:
        head: dict[str, Any] = {"patient": self.patient, "plan_id": self.plan_id, "reason": self.reason}
        if self.result is None:
            return {**head, "proposal": None, "step": None, "window": None, "evidence": [], "citations": [],
                    "message": self.reason, "notice": _notice()}
        return {**head, **self.result.to_json()}


def taper_watch(journal: Journal, patient_id: int, *, plans: Sequence[StoredPlan] | None = None) -> TaperWatchAnswer:
    """Watch the latest taper step of the plan in force (at or before now) against the journal.

    ``plans``: the patient's stored plans when the caller has just read them (the Today page reads
    them once for the day and the watch); the patient is then taken as checked.

    Returns
    -------
    TaperWatchAnswer
        The proposal for the prescriber with its evidence and citations, or no proposal and the
        reason (no plan, not a taper, no step yet).

    Raises
    ------
    UnknownPatientError
        No such patient.
    """
    from gabacare.clinical.taper_watch import taper_watch as watch
    from gabacare.knowledge import load_monograph
    from gabacare.knowledge.questionnaires import load_questionnaires

    if plans is None:
        journal.get_patient(patient_id)
        plans = journal.plans(patient_id)
    now = journal.clock()
    stored, steps = taper_steps(plans, now.date())
    due = [s for s in steps if s.at <= now]
    if stored is None or not due:
        reason = _NO_PLAN if stored is None else (_NOT_TAPER if stored.plan.kind != "taper" else _NO_STEP)
        return TaperWatchAnswer(patient_id, None if stored is None else stored.id, None, reason)
    step = due[-1]
    start = step.at - timedelta(days=load_questionnaires().taper_watch.baseline_days)
    end = step.at + timedelta(hours=load_monograph().withdrawal.onset_max_h)
    entries = watch_entries(journal, patient_id, start, min(end, now))
    return TaperWatchAnswer(patient_id, stored.id, watch(step, entries, as_of=now), None)
