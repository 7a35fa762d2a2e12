"""Journal use cases: the functions the CLI and the web app call (through :mod:`gabacare.composition`).

:class:`Journal` wraps a :class:`~gabacare.journal.repository.JournalRepository` and a clock. It
validates every input before anything is written, calls the clinical core (plans, triage, renal
check) and the pure analysis, and returns values (dataclasses) for the faces to render.

Stored entries that today's rules refuse (written by an older version: a dose of ``1e308`` mg, a
NaN score) never reach a calculation: :meth:`Journal.entries` and every view leave them out, and
the views report them as ``invalid_entries`` (:class:`~gabacare.journal.model.InvalidEntry`: id,
kind, time and the rule broken) so the faces can show them and the patient can correct them
(``log edit``). Imports stream: a file is read, validated and written row by row inside one
transaction, and any bad row rolls everything back.

Handles patient data: nothing here logs; errors name fields and rules, never values.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Literal, TextIO, get_args

from gabacare._record import record
from gabacare.errors import ConflictError
from gabacare.journal import analysis, settings, transfer
from gabacare.journal.errors import (
    ImportValidationError,
    JournalError,
    JournalInputError,
    JournalStorageError,
    UnknownEntryError,
    UnknownPlanError,
)
from gabacare.journal.model import (
    DOSE_STATUSES,
    ENTRY_KINDS,
    DoseStatus,
    Entry,
    EntryData,
    EntryKind,
    InvalidEntry,
    NewPatient,
    NewPlan,
    NewQuestionnaire,
    Patient,
    PlanSpec,
    ScheduledDose,
    Sex,
    StoredPlan,
    StoredQuestionnaire,
    check_entry_fields,
    check_moment,
    day_bounds,
    dose_bounds,
    is_row_id,
    to_local_naive,
    validate_entry,
    validate_patient,
)
from gabacare.journal.pickups import NewPickUp, validate_pickup
from gabacare.journal.plan_record import (
    PlanRecheck,
    PlanRecord,
    RecordedPlanView,
    compare,
    imported_plan,
    record_of,
    record_plan,
)
from gabacare.journal.repository import JournalRepository, Progress
from gabacare.journal.schedule import plan_in_force, planned_daily_mg, scheduled_doses
from gabacare.knowledge import knowledge_version

if TYPE_CHECKING:
    from gabacare.clinical.questionnaires import QuestionnaireResult
    from gabacare.journal.kidney import KidneyFunction

__all__ = [
    "ClientIdConflictError",
    "ExportResult",
    "Journal",
    "LabResult",
    "LoggedQuestionnaire",
    "PlanResult",
    "RecordedPlan",
    "RenalRecheck",
    "SavedRecap",
    "SideEffectResult",
    "TodayDose",
    "TodayView",
    "TrendsReport",
    "build_plan",
]

Clock = Callable[[], datetime]


class ClientIdConflictError(JournalError, ConflictError):
    """A client id (an entry's ``uid``) the patient already used for an entry that is no longer
    where a resend of the same tap would find it (deleted, or moved to another day): 409, nothing written."""


def _local_now() -> datetime:
    return datetime.now()


@record
class PlanResult:
    """A stored plan and the clinical core's plan it came from (for display: steps, citations)."""

    stored: StoredPlan
    plan: Any

    @property
    def recorded(self) -> RecordedPlan:
        """The stored plan as made (what the faces show and ``--json`` gives)."""
        return RecordedPlan(self.stored, record_of(self.stored))


@record
class RecordedPlan:
    """A stored plan and its record, the plan as made (journal/plan_record.py).

    ``to_json()``: the record's core keys (``kind``, ``label``, ``days``, ``citations``, ``warnings``…)
    plus ``plan_id``, ``patient``, ``start``, ``end``, ``continues``, ``spec``, ``kb_version``,
    ``made_at`` and ``origin`` (what ``GET /api/v1/patients/{id}/plan`` and ``plan show --json`` give).
    """

    stored: StoredPlan
    record: PlanRecord

    def view(self) -> RecordedPlanView:
        """The record typed like a core plan, for templates."""
        return self.record.view()

    def to_json(self) -> dict[str, Any]:
        sp = self.stored
        return {**self.record.to_json(), "plan_id": sp.id, "patient": sp.patient_id,
                "start": sp.plan.start.isoformat(), "end": sp.plan.end.isoformat(), "continues": sp.plan.continues,
                "spec": sp.plan.spec.to_dict()}


@record
class SideEffectResult:
    """A logged side effect with the core's triage of it; ``emergency`` means act now."""

    entry: Entry
    recognized: bool
    urgency: str | None
    advice: str
    emergency: bool
    citations: tuple[Any, ...]


@record
class LoggedQuestionnaire:
    """A stored questionnaire and the core's scoring of it (advice, crisis lines, citations).

    ``to_json()``: the ``questionnaire score`` keys (``instrument``, ``total``, ``severity``,
    ``emergency``, ``advice``, ``citations``, ``crisis_lines``, ``notice``…) plus the stored row's
    ``id``, ``patient``, ``uid``, ``at`` (when it was completed) and ``recorded_at``.
    """

    stored: StoredQuestionnaire
    result: QuestionnaireResult

    def to_json(self) -> dict[str, object]:
        s = self.stored
        return {**self.result.to_json(), "id": s.id, "patient": s.patient_id, "uid": s.uid,
                "at": s.at.isoformat(), "recorded_at": s.recorded_at.isoformat()}


@record
class RenalRecheck:
    """The renal check of the plan in force, re-run with a new serum creatinine."""

    crcl_ml_min: float
    ok: bool
    problems: tuple[dict[str, str], ...]
    checked_regimens: tuple[str, ...]
    citations: tuple[Any, ...]


@record
class LabResult:
    """A logged lab value; ``renal`` is the re-run check (None with ``renal_skipped`` saying why)."""

    entry: Entry
    renal: RenalRecheck | None
    renal_skipped: str | None


@record
class SavedRecap:
    """What a log form showed right after saving, rebuilt from the stored entries (Post/Redirect/Get).

    ``entries``: the patient's own entries among the ids asked for (in the order asked, no repeats);
    ``triage``: the most urgent reading of a side effect or note among them (a note only when it calls
    for action, as when it was logged); ``lab``: the kidney check re-run for a creatinine among them.
    """

    entries: tuple[Entry, ...]
    triage: SideEffectResult | None
    lab: LabResult | None


def _read_text(entry: Entry) -> SideEffectResult:
    """The core's triage of a side effect's or note's text (pure and deterministic: the same text
    gives the same reading as when it was logged, under today's rules)."""
    from gabacare.clinical.triage import triage
    from gabacare.knowledge import Citation

    result = triage([entry.data.text or ""]).results[0]
    # The monograph's citations, as this result always held (the triage's are plain copies).
    return SideEffectResult(entry, result.recognized, result.urgency, result.advice,
                            result.urgency == "emergency", tuple(Citation.of(c) for c in result.citations))


@record
class TodayDose:
    """A planned dose of the day (``at``: its slot) and what answers it: ``entry_id`` (None when
    nothing does yet), ``taken_at`` (the moment taken; for a skipped dose its slot)."""

    at: datetime
    mg: float
    status: Literal["taken", "late", "skipped", "missed", "due", "upcoming"]
    taken_at: datetime | None
    taken_mg: float | None
    on_time: bool
    entry_id: int | None = None


@record
class TodayView:
    """A day: its scheduled doses and what was logged (``invalid_entries``: left out, see the module doc)."""

    date: date
    plan_kind: str | None
    plan_label: str | None
    planned_mg: float
    taken_mg: float
    doses: tuple[TodayDose, ...]
    extra_doses: tuple[Entry, ...]
    entries: tuple[Entry, ...]
    invalid_entries: tuple[InvalidEntry, ...] = ()
    prn_doses: tuple[Entry, ...] = ()


@record
class TrendsReport:
    start: date
    end: date
    window_days: int
    scales: dict[str, list[analysis.TrendPoint]]
    dose_response: analysis.DoseResponse
    invalid_entries: tuple[InvalidEntry, ...] = ()


@record
class _PeriodRead:
    """One read of a period for adherence and trends (``Journal._period_read``): the bounded period,
    the plans, and each stored entry read with why it is left out (None: valid), in time order."""

    start: date
    end: date
    plans: Sequence[StoredPlan]
    rows: list[tuple[Entry, str | None]]
    day_lo: datetime
    day_hi: datetime


@record
class ExportResult:
    """What an export wrote: ``rows`` (plans and entries) and the invalid entries it left out."""

    rows: int
    invalid_entries: tuple[InvalidEntry, ...]


_FUTURE_PROBLEM = "entry time is in the future (more than a day ahead of now)"


def _problem(e: Entry, limit: datetime) -> str | None:
    """Why a stored entry is left out: today's rules refuse it (``Entry.problem``), or it is dated after
    ``limit`` (now plus ``settings.FUTURE_TOLERANCE``, the rule every door applies, so an export stays
    importable; such an entry counts again once its time is near)."""
    why = analysis.stored_problem(e.data)  # Entry.problem's answer, remembered per values (a view reads thousands)
    if why is not None:
        return why
    return _FUTURE_PROBLEM if e.at > limit else None


def _split(entries: Sequence[Entry], limit: datetime) -> tuple[list[Entry], tuple[InvalidEntry, ...]]:
    """Valid entries, and the invalid ones as reports (see :func:`_problem`)."""
    valid: list[Entry] = []
    invalid: list[InvalidEntry] = []
    for e in entries:
        why = _problem(e, limit)
        if why is None:
            valid.append(e)
        else:
            invalid.append(InvalidEntry.of(e, why))
    return valid, tuple(invalid)


def _client_uid(client_id: str) -> str:
    """A client id (a UUID the page or the offline queue made) as the entry's uid; else ``JournalInputError``."""
    try:
        uid = _parse_uid(client_id)
    except JournalInputError:
        uid = None
    if uid is None:
        raise JournalInputError("the client_id must be a UUID")
    return uid


def _check_plausible_doses(doses: Sequence[ScheduledDose]) -> None:
    """Refuse a plan with a dose no entry could record: above ``[journal_limits] max_dose_mg`` (the label's
    maximum daily dose, as one dose). The plan's doses become Today's list, reminders and the calendar
    feed, so a regimen like "10000 mg TID" is refused here as its logged dose would be; a plan within
    that bound but above the label's daily maximum is stored with the check's warnings, as before."""
    from gabacare.knowledge import load_monograph

    limits = load_monograph().journal_limits
    largest = max((d.mg for d in doses), default=0.0)
    if largest > limits.max_dose_mg:
        raise JournalInputError(
            f"the plan has a dose of {largest:g} mg, above {limits.max_dose_mg:g} mg, the most one dose can be "
            f"(the label's maximum daily dose, {limits.max_dose_citation.render()}): check the regimen")


def build_plan(spec: PlanSpec, *, made_at: datetime | None = None) -> tuple[NewPlan, Any]:
    """Make the plan a spec describes with the clinical core, flattened to its dose schedule.

    The :class:`NewPlan` carries its record (``made``: the core plan's JSON and the knowledge base
    version, made at ``made_at``, default now in local time): what the journal stores and shows.
    """
    from gabacare.clinical.plan import maintenance_plan
    from gabacare.clinical.regimen import parse_regimen
    from gabacare.clinical.units import CrCl

    crcl = CrCl(spec.crcl_ml_min) if spec.crcl_ml_min is not None else None
    if spec.source == "regimen":
        if not spec.regimen:
            raise JournalInputError("a plan needs a regimen, titrate options (--indication) or taper options (--from)")
        regimen = parse_regimen(spec.regimen)
        plan = maintenance_plan(regimen, start=spec.start, days=1, crcl=crcl)
        continues = regimen.repeat
    elif spec.source == "titrate":
        from gabacare.clinical.titration import titrate

        if not spec.indication:
            raise JournalInputError("a titration plan needs an indication")
        plan = titrate(spec.indication, start=spec.start, target_mg=spec.target_mg, crcl=crcl,
                       weight_kg=spec.weight_kg, age_years=spec.age_years)
        continues = True
    else:
        from gabacare.clinical.taper import taper

        if not spec.regimen:
            raise JournalInputError("a taper plan needs the regimen to taper from (--from)")
        plan = taper(parse_regimen(spec.regimen), start=spec.start, risk=spec.risk, crcl=crcl, step_mg=spec.step_mg)
        continues = False
    if spec.crcl_basis:
        # Say which kidney values the plan used, first, where every face shows the plan's warnings.
        plan = replace(plan, warnings=(spec.crcl_basis, *plan.warnings))
    doses = tuple(ScheduledDose(datetime.combine(d.date, x.time), float(x.mg)) for d in plan.days for x in d.doses)
    _check_plausible_doses(doses)
    made = record_plan(plan, made_at=_local_now() if made_at is None else made_at, kb_version=knowledge_version())
    new = NewPlan(kind=plan.kind, spec=spec, label=plan.label, start=plan.days[0].date, end=plan.days[-1].date,
                  continues=continues, doses=doses, warnings=tuple(plan.warnings), made=made)
    return new, plan


_KINDS = frozenset(("plan", "questionnaire", *ENTRY_KINDS))
_TRIAGE_MEMO_TEXTS = 1000
"""Distinct side-effect texts an import remembers the triage of (bounds its memory)."""


def _parse_at(value: Any, what: str = "at") -> datetime:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not value.strip():
        raise JournalInputError(f"{what} must be an ISO date and time such as 2026-01-01T08:00")
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        raise JournalInputError(f"{what} must be an ISO date and time such as 2026-01-01T08:00") from None


def _parse_num(value: Any, what: str) -> float | None:
    if value is None:
        return None
    if type(value) is float:  # the common cases first: a JSON number, a CSV cell
        number = value
    elif type(value) is str:
        try:
            number = float(value)
        except ValueError:
            raise JournalInputError(f"{what} must be a number") from None
    elif isinstance(value, bool):
        raise JournalInputError(f"{what} must be a number")
    elif isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:  # an integer too large for a float
            raise JournalInputError(f"{what} must be a finite number") from None
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise JournalInputError(f"{what} must be a number") from None
    else:
        raise JournalInputError(f"{what} must be a number")
    if not math.isfinite(number):
        raise JournalInputError(f"{what} must be a finite number")
    return number


def _parse_bool(value: Any, what: str) -> bool:
    """A flag as exported: JSON true/false/null, CSV ``true`` or empty (``1``/``0`` too)."""
    if value is None or value is False:
        return False
    if value is True:
        return True
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "false", "0", ""):
        return value.strip().lower() in ("true", "1")
    raise JournalInputError(f"{what} must be true or false")


def _parse_uid(value: Any) -> str | None:
    """An entry's stable id as exported (a UUID, written in its canonical form), or None."""
    import uuid

    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or len(value) > 64:
        raise JournalInputError("uid must be a UUID")
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        raise JournalInputError("uid must be a UUID") from None


def _parse_str(value: Any, what: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise JournalInputError(f"{what} must be text")


class Journal:
    """The journal's use cases over one repository. ``clock`` returns naive local time."""

    def __init__(self, repo: JournalRepository, clock: Clock = _local_now) -> None:
        self.repo = repo
        self.clock = clock

    # -- patients -------------------------------------------------------------------------------
    def add_patient(
        self, name: str, *, birth_date: date | None = None, sex: Sex | None = None, weight_kg: float | None = None
    ) -> Patient:
        """Register a patient (validated first)."""
        now = self.clock()
        p = validate_patient(NewPatient(name, birth_date, sex, weight_kg), today=now.date())
        return self.repo.add_patient(p, created_at=now)

    def list_patients(self) -> list[Patient]:
        return self.repo.list_patients()

    def get_patient(self, patient_id: int) -> Patient:
        return self.repo.get_patient(patient_id)

    # -- plans ----------------------------------------------------------------------------------
    def _complete_spec(self, patient: Patient, spec: PlanSpec) -> PlanSpec:
        if spec.source == "titrate":
            age = spec.age_years if spec.age_years is not None else patient.age_on(spec.start)
            weight = spec.weight_kg if spec.weight_kg is not None else patient.weight_kg
            spec = replace(spec, age_years=age, weight_kg=weight)
        return spec

    def kidney_function(self, patient_id: int, on: date | None = None) -> KidneyFunction:
        """The latest logged creatinine on or before ``on`` (default today) and the CrCl from it."""
        from gabacare.journal.kidney import kidney_function

        patient = self.repo.get_patient(patient_id)
        day = on or self.clock().date()
        return kidney_function(patient, self.entries(patient_id, kinds=["lab"]), on=day)

    def set_plan(self, patient_id: int, spec: PlanSpec) -> PlanResult:
        """Make a plan (regimen, titration or taper) with the core and make it the plan in force from its start.

        For a titration the patient's weight and age fill in when the spec has none. Without a CrCl, the
        journal's latest creatinine gives one (Cockcroft-Gault with the profile) and the plan says which
        values it used and when they were measured (stale ones included, flagged): titrations and tapers
        stay within that band, and a steady regimen outside it carries the check's problems as warnings.
        """
        patient = self.repo.get_patient(patient_id)
        spec = self._complete_spec(patient, spec)
        if spec.crcl_ml_min is None:
            kidney = self.kidney_function(patient_id)
            if kidney.crcl is not None:
                spec = replace(spec, crcl_ml_min=round(min(kidney.crcl.crcl_ml_min, _crcl_cap()), 1),
                               crcl_basis=kidney.describe())
        now = self.clock()
        new, plan = build_plan(spec, made_at=now)
        stored = self.repo.add_plan(patient_id, new, created_at=now)
        return PlanResult(stored, plan)

    def plans(self, patient_id: int) -> list[StoredPlan]:
        return self.repo.list_plans(patient_id)

    def _stored_plan(self, patient_id: int, plan_id: int | None) -> StoredPlan | None:
        if plan_id is None:
            return self.current_or_next_plan(patient_id)
        found = [p for p in self.repo.list_plans(patient_id) if p.id == plan_id]
        if not found:
            raise UnknownPlanError(f"patient #{patient_id} has no plan #{plan_id}")
        return found[0]

    def recorded_plan(self, patient_id: int, plan_id: int | None = None) -> RecordedPlan | None:
        """A stored plan as it was made, for every face to show (never remade with today's rules).

        ``plan_id`` None: the plan in force today, else the next to start (:meth:`current_or_next_plan`;
        None when the patient has no plan). An id the patient has no plan with: ``UnknownPlanError``.
        """
        stored = self._stored_plan(patient_id, plan_id)
        return None if stored is None else RecordedPlan(stored, record_of(stored))

    def recheck_plan(self, patient_id: int, plan_id: int | None = None) -> PlanRecheck | None:
        """A stored plan's record against the plan today's rules make from the same spec.

        Reports the days whose doses differ, the warnings added and removed, the knowledge base
        version then and now, or today's rules' reason for refusing the spec. Reads only: the record,
        the dose rows and adherence stay as they are. ``plan_id`` as in :meth:`recorded_plan`.
        """
        stored = self._stored_plan(patient_id, plan_id)
        if stored is None:
            return None
        then, now = record_of(stored), self.clock()
        try:
            fresh = build_plan(stored.plan.spec, made_at=now)[0].made
        except ValueError as exc:  # JournalInputError, ClinicalInputError: today's rules refuse it
            return compare(then, None, plan_id=stored.id, patient_id=patient_id, kb_now=knowledge_version(),
                           refused=str(exc), checked_at=now)
        return compare(then, fresh, plan_id=stored.id, patient_id=patient_id, kb_now=knowledge_version(),
                       checked_at=now)

    def record_counts(self, patient_id: int) -> dict[str, int]:
        """How many ``entries`` (current ones), ``plans`` and ``questionnaires`` the patient has
        (what deleting the patient would remove; numbers only, no contents)."""
        return {"entries": self.repo.count_entries(patient_id), "plans": len(self.repo.list_plans(patient_id)),
                "questionnaires": len(self.repo.list_questionnaires(patient_id))}

    def active_plan(self, patient_id: int, on: date | None = None) -> StoredPlan | None:
        """The plan in force on ``on`` (default: today)."""
        return plan_in_force(self.repo.list_plans(patient_id), on or self.clock().date())

    def current_or_next_plan(self, patient_id: int) -> StoredPlan | None:
        """The plan in force today, else the one set most recently among those that start later.

        What the plan page and ``GET /api/v1/patients/{id}/plan`` show (a plan set to start next
        Monday is shown before it starts); None when the patient has neither.
        """
        plans = self.repo.list_plans(patient_id)
        today = self.clock().date()
        current = plan_in_force(plans, today)
        if current is not None:
            return current
        upcoming = [p for p in plans if p.plan.start > today]
        return upcoming[-1] if upcoming else None

    # -- entries --------------------------------------------------------------------------------
    def _prepare(self, data: EntryData) -> EntryData:
        return self._derive(validate_entry(data, now=self.clock()))

    def _derive(self, data: EntryData, triaged: dict[str, str | None] | None = None) -> EntryData:
        """A validated entry with what the core derives from it (triage urgency; creatinine checked).

        ``triaged`` memoises the urgency by text within one import (the triage is deterministic and
        costs milliseconds per text; a journal repeats its side effects).
        """
        if data.kind == "side_effect":
            from gabacare.clinical.triage import triage

            text = data.text or ""
            if triaged is not None and text in triaged:
                urgency = triaged[text]
            else:
                urgency = triage([text]).results[0].urgency
                if triaged is not None and len(triaged) < _TRIAGE_MEMO_TEXTS:
                    triaged[text] = urgency
            data = replace(data, urgency=urgency)
        if data.kind == "lab" and data.name == "creatinine":
            self._plausible_scr(data)
        return data

    @staticmethod
    def _plausible_scr(data: EntryData) -> None:
        from gabacare.clinical.units import SerumCreatinine
        from gabacare.knowledge import load_monograph

        scr = SerumCreatinine(data.value or 0.0, "umol/L" if data.unit == "umol/L" else "mg/dL")
        p = load_monograph().renal.plausible
        if not p.scr_min_mg_dl <= scr.mg_dl <= p.scr_max_mg_dl:
            raise JournalInputError(
                f"serum creatinine must be between {p.scr_min_mg_dl:g} and {p.scr_max_mg_dl:g} mg/dL "
                "(check the value and the unit)")

    def _add(self, patient_id: int, data: EntryData) -> Entry:
        self.repo.get_patient(patient_id)
        return self.repo.add_entry(patient_id, self._prepare(data), recorded_at=self.clock())

    def _at(self, at: datetime | None) -> datetime:
        return to_local_naive(at) if at is not None else self.clock().replace(microsecond=0)

    def log_dose(
        self, patient_id: int, mg: float, *, at: datetime | None = None, status: DoseStatus = "taken",
        slot: datetime | None = None, prn: bool = False,
    ) -> Entry:
        """Log a dose event (taken, late or skipped) with the mg actually taken.

        ``at`` is the moment it was taken (default now); ``slot`` the planned dose it answers, which
        must be one of the plan's doses and not answered yet. Without a slot (and not ``prn``), the
        planned dose of ``at``'s day closest to ``at`` is the slot, unless another entry answers it
        already (then this is an extra dose, with no slot). A skipped dose is dated at its slot. ``prn``: an as-needed dose,
        answering no planned dose.
        """
        if status not in DOSE_STATUSES:
            raise JournalInputError(f"dose status must be one of {', '.join(DOSE_STATUSES)}")
        if prn and slot is not None:
            raise JournalInputError("an as-needed (PRN) dose answers no planned dose: give no slot")
        return self.repo.add_entry(patient_id, self._dose_data(patient_id, mg, at=at, status=status, slot=slot, prn=prn),
                                   recorded_at=self.clock())

    def _dose_data(self, patient_id: int, mg: float, *, at: datetime | None, status: DoseStatus,
                   slot: datetime | None, prn: bool) -> EntryData:
        """A dose entry checked and with the slot it answers (see :meth:`log_dose`), not yet stored."""
        when = self._at(at)
        if slot is not None:
            slot = to_local_naive(slot)
            if at is None and status == "skipped":
                when = slot
        data = self._prepare(EntryData("dose", when, mg=mg, status=status, slot=slot, prn=prn))
        self.repo.get_patient(patient_id)
        if not prn:
            data = replace(data, slot=self._slot_for(patient_id, data, wanted=data.slot))
            if data.status == "skipped" and data.slot is not None:
                data = replace(data, at=data.slot)
        return data

    def log_dose_once(
        self, patient_id: int, mg: float, *, client_id: str, at: datetime | None = None,
        status: DoseStatus = "taken", slot: datetime | None = None, prn: bool = False,
    ) -> tuple[Entry, bool]:
        """:meth:`log_dose` that a client may send again: ``client_id`` (a UUID the client made, e.g. a
        phone's offline queue) becomes the entry's ``uid``, and a second call with the same id adds nothing.

        Returns ``(entry, created)``: the new entry and True, or the patient's entry that already has
        this uid and False (looked for on the dose's day and the days either side, so the work is
        bounded). The uid is unique per patient only: another patient's entry is never looked at.
        An id the patient already used for an entry not found there (deleted since, or another
        day's) raises :class:`ClientIdConflictError` (409) and writes nothing. A malformed id raises
        ``JournalInputError``.
        """
        uid = _client_uid(client_id)
        around = to_local_naive(slot) if slot is not None else self._at(at)
        found = self._entry_with_uid(patient_id, uid, around)
        if found is not None:
            return found, False
        if status not in DOSE_STATUSES:
            raise JournalInputError(f"dose status must be one of {', '.join(DOSE_STATUSES)}")
        if prn and slot is not None:
            raise JournalInputError("an as-needed (PRN) dose answers no planned dose: give no slot")
        data = self._dose_data(patient_id, mg, at=at, status=status, slot=slot, prn=prn)
        # add_batch skips a uid the patient already has (deleted entries' included) in the same
        # transaction as the insert, and the (patient, uid) index refuses a second row: two sends
        # racing each other cannot both add.
        try:
            added_count = self.repo.add_batch(patient_id, entries=[(uid, data)], recorded_at=self.clock())
        except JournalStorageError:
            raced = self._entry_with_uid(patient_id, uid, around)
            if raced is None:
                raise
            return raced, False  # the unique index refused the loser of a race: the winner's entry
        if added_count == 1:
            added = self._entry_with_uid(patient_id, uid, data.at)
            if added is not None:
                return added, True
        found = self._entry_with_uid(patient_id, uid, around)
        if found is not None:  # a concurrent send of the same tap won
            return found, False
        raise ClientIdConflictError("this client_id was already used for an entry that has since been changed "
                                    "or deleted; nothing was added")

    def _entry_with_uid(self, patient_id: int, uid: str, around: datetime) -> Entry | None:
        """The patient's dose entry with ``uid`` dated the day of ``around`` or a day either side."""
        day = around.date()
        lo, hi = day_bounds(day - timedelta(days=1), day + timedelta(days=1))
        return next((e for e in self.repo.list_entries(patient_id, start=lo, end=hi, kinds=["dose"]) if e.uid == uid),
                    None)

    def _slot_for(self, patient_id: int, data: EntryData, *, wanted: datetime | None,
                  ignore: int | None = None) -> datetime | None:
        """The slot a new dose answers: ``wanted`` checked (a planned dose nothing answers yet), or
        the planned dose of the day closest to ``data.at`` (ties: the earlier), None when another
        entry answers it already or nothing is planned that day.

        ``ignore`` is the entry being edited (its own answer does not count)."""
        day = (wanted or data.at).date()
        planned = [d.at for d in scheduled_doses(self.repo.list_plans(patient_id), day, day)]
        lo, hi = day_bounds(day - timedelta(days=1), day + timedelta(days=1))
        answered = {e.data.slot: e.id for e in self.repo.list_entries(patient_id, start=lo, end=hi, kinds=["dose"])
                    if e.data.slot is not None and e.id != ignore}
        if wanted is not None:
            if wanted not in planned:
                raise JournalInputError("the slot is not one of the plan's doses on that day")
            if wanted in answered:
                raise JournalInputError(f"that planned dose already has an entry (#{answered[wanted]}): "
                                        "edit or delete it instead")
            return wanted
        if not planned:
            return None
        nearest = min(planned, key=lambda p: (abs(p - data.at), p))
        return None if nearest in answered else nearest

    def log_symptom(self, patient_id: int, scale: str, score: float, *, at: datetime | None = None) -> Entry:
        """Log a symptom score (0-10; a whole count for count scales such as ``spasm_count``)."""
        return self._add(patient_id, EntryData("symptom", self._at(at), name=scale, value=score))

    def log_trigger(self, patient_id: int, tag: str, *, at: datetime | None = None) -> Entry:
        return self._add(patient_id, EntryData("trigger", self._at(at), text=tag))

    def log_note(self, patient_id: int, text: str, *, at: datetime | None = None) -> Entry:
        return self._add(patient_id, EntryData("note", self._at(at), text=text))

    def log_note_read(self, patient_id: int, text: str, *, at: datetime | None = None) -> SideEffectResult:
        """Log a free note and read it like a side effect: a note that describes an emergency
        ("he would not wake up this morning") is flagged at once, as a side effect would be."""
        return _read_text(self.log_note(patient_id, text, at=at))

    def log_side_effect(self, patient_id: int, text: str, *, at: datetime | None = None) -> SideEffectResult:
        """Log a side effect; the core's triage flags an emergency at once."""
        return _read_text(self._add(patient_id, EntryData("side_effect", self._at(at), text=text)))

    def draft(self, kind: EntryKind, *, at: datetime | None = None, **fields: Any) -> EntryData:
        """An entry not yet checked nor stored (for :meth:`log_entries_once`), dated ``at`` (default now)."""
        return EntryData(kind, self._at(at), **fields)

    def log_entries_once(
        self, patient_id: int, drafts: Sequence[EntryData], *, client_id: str,
    ) -> tuple[list[Entry], bool]:
        """Store what one log form holds (scores, a trigger, a side effect, a lab, a note: not a dose,
        see :meth:`log_dose_once`) so that a client may send it again: ``client_id`` (a UUID the
        client made, e.g. a phone's offline queue) becomes the first entry's ``uid``; the i-th
        further entry's uid is derived from it (``uuid5(client_id, str(i))``), so a resend of the same
        form finds every entry it made.

        Returns ``(entries, created)``: the new entries and True; or, when the patient already has
        entries with these uids dated the first draft's day or a day either side (the search is
        bounded), those and False, nothing added. The drafts are all checked first and stored in
        one transaction: a refused one (``JournalInputError``) writes none. An id the patient used
        for entries not all found there (one deleted since, or another day's) raises
        :class:`ClientIdConflictError` (409), nothing written. At most ``len(settings.KNOWN_SCALES)``
        drafts (one form's worth).
        """
        import uuid

        uid = _client_uid(client_id)
        if not drafts or len(drafts) > len(settings.KNOWN_SCALES):
            raise JournalInputError(f"one form logs from 1 to {len(settings.KNOWN_SCALES)} entries")
        if any(d.kind == "dose" for d in drafts):
            raise JournalInputError("a dose is logged with log_dose_once")
        uids = [uid, *(str(uuid.uuid5(uuid.UUID(uid), str(i))) for i in range(1, len(drafts)))]
        around = to_local_naive(drafts[0].at)
        found = self._entries_with_uids(patient_id, uids, around)
        if len(found) == len(uids):
            return found, False
        if found:
            raise ClientIdConflictError("this client_id was already used for entries that have since been changed "
                                        "or deleted; nothing was added")
        prepared = [self._prepare(d) for d in drafts]  # all checked before anything is written
        self.repo.get_patient(patient_id)
        try:
            added = self.repo.add_batch(patient_id, entries=list(zip(uids, prepared, strict=True)),
                                        recorded_at=self.clock())
        except JournalStorageError:
            raced = self._entries_with_uids(patient_id, uids, around)
            if len(raced) != len(uids):
                raise
            return raced, False  # the (patient, uid) index refused the loser of a race: the winner's entries
        stored = self._entries_with_uids(patient_id, uids, around)
        if len(stored) == len(uids):
            return stored, added == len(uids)
        raise ClientIdConflictError("this client_id was already used for entries that have since been changed "
                                    "or deleted; nothing was added")

    def _entries_with_uids(self, patient_id: int, uids: Sequence[str], around: datetime) -> list[Entry]:
        """The patient's current entries (of any kind) with these uids, in the order of ``uids``,
        dated the day of ``around`` or a day either side."""
        day = around.date()
        lo, hi = day_bounds(day - timedelta(days=1), day + timedelta(days=1))
        by_uid = {e.uid: e for e in self.repo.list_entries(patient_id, start=lo, end=hi) if e.uid in uids}
        return [by_uid[u] for u in uids if u in by_uid]

    def recap_saved(self, patient_id: int, entry_ids: Sequence[int]) -> SavedRecap:
        """Rebuild what logging ``entry_ids`` showed (the page a Post/Redirect/Get lands on): the
        entries, the triage of a side effect or note, the kidney check of a creatinine (re-run
        against the plans as stored now). Reads only; writes nothing.

        Ids that are not the patient's current entries (another patient's, deleted, made up) are
        left out without an error (never sent to the database when no column could hold
        them). At most as many ids are read as one log form saves (one per
        score scale, ``settings.KNOWN_SCALES``): the rest are ignored, so the work is bounded.
        """
        found: list[Entry] = []
        wanted = [i for i in dict.fromkeys(entry_ids) if is_row_id(i)]
        for entry_id in wanted[:len(settings.KNOWN_SCALES)]:
            try:
                found.append(self.repo.get_entry(patient_id, entry_id))
            except UnknownEntryError:
                continue
        readings = [_read_text(e) for e in found if e.kind in ("side_effect", "note")]
        # A note is shown only when it calls for action (as log_note_read's caller shows it).
        readings = [r for r in readings if r.entry.kind == "side_effect"
                    or r.urgency in ("emergency", "contact_prescriber")]
        rank = {"emergency": 0, "contact_prescriber": 1}
        triage = min(readings, key=lambda r: rank.get(r.urgency or "", 2), default=None)
        lab = None
        creatinine = next((e for e in found if e.kind == "lab" and e.data.name == "creatinine"), None)
        if creatinine is not None:
            renal, why = self.renal_recheck(self.repo.get_patient(patient_id), creatinine)
            lab = LabResult(creatinine, renal, why)
        return SavedRecap(tuple(found), triage, lab)

    def _scored(self, instrument: str, answers: Sequence[int], at: datetime) -> tuple[NewQuestionnaire, Any]:
        """Score ``answers`` with the core and check ``at`` (not in the future): the row to store and the result."""
        from gabacare.clinical.questionnaires import score

        result = score(instrument, answers)
        when = check_moment(at, "questionnaire time")
        if when > self.clock() + settings.FUTURE_TOLERANCE:
            raise JournalInputError("questionnaire time is in the future (more than a day ahead of now)")
        return NewQuestionnaire(result.instrument, when, result.answers, result.total, result.severity,
                                result.emergency), result

    def log_questionnaire(
        self, patient_id: int, instrument: str, answers: Sequence[int], *, at: datetime | None = None,
    ) -> LoggedQuestionnaire:
        """Score a completed questionnaire (:func:`gabacare.clinical.questionnaires.score`) and store it.

        ``at`` is when it was completed (default now). An unknown instrument, the wrong number of
        answers or an answer out of range raise ``ClinicalInputError``, an unknown patient
        ``UnknownPatientError``, a time out of range ``JournalInputError``: in each case nothing is
        stored. PHQ-9 item 9 above zero is stored with ``emergency`` true, and the result carries the
        emergency advice and the crisis lines.
        """
        data, result = self._scored(instrument, answers, self._at(at))
        self.repo.get_patient(patient_id)
        stored = self.repo.add_questionnaire(patient_id, data, recorded_at=self.clock())
        return LoggedQuestionnaire(stored, result)

    def questionnaires(
        self, patient_id: int, *, start: datetime | None = None, end: datetime | None = None,
    ) -> list[LoggedQuestionnaire]:
        """The patient's questionnaires with ``start <= at < end``, oldest first, each scored again by
        today's rules (the stored total and severity are what the patient was told when logging)."""
        from gabacare.clinical.questionnaires import score

        return [LoggedQuestionnaire(q, score(q.data.instrument, q.data.answers))
                for q in self.repo.list_questionnaires(patient_id, start=start, end=end)]

    def log_lab(
        self, patient_id: int, test: str, value: float, *, unit: str | None = None, at: datetime | None = None
    ) -> LabResult:
        """Log a lab value; serum creatinine re-runs the renal check against the plan in force."""
        patient = self.repo.get_patient(patient_id)
        data = self._prepare(EntryData("lab", self._at(at), name=test, value=value, unit=unit))
        entry = self.repo.add_entry(patient_id, data, recorded_at=self.clock())
        return self.lab_result(patient, entry)

    def lab_result(self, patient: Patient, entry: Entry) -> LabResult:
        """What logging the lab ``entry`` answers (:meth:`log_lab`; also for an entry stored by
        :meth:`log_entries_once`): a creatinine re-runs the renal check. Reads only."""
        if entry.data.name != "creatinine":
            return LabResult(entry, None, "only serum creatinine re-runs the renal check")
        renal, why = self.renal_recheck(patient, entry)
        return LabResult(entry, renal, why)

    @staticmethod
    def read_text(entry: Entry) -> SideEffectResult:
        """The core's triage of a stored side effect or note, as logging it answers (:meth:`log_side_effect`,
        :meth:`log_note_read`; also for an entry stored by :meth:`log_entries_once`). Reads nothing."""
        return _read_text(entry)

    def renal_recheck(self, patient: Patient, lab: Entry) -> tuple[RenalRecheck | None, str | None]:
        """Cockcroft-Gault from the lab and the profile, then check the plan's regimens from the lab date on."""
        from gabacare.clinical.checks import check_regimen
        from gabacare.clinical.regimen import DailyRegimen, Dose
        from gabacare.clinical.units import CrCl, Milligrams
        from gabacare.journal.kidney import crcl_from_lab

        day = lab.at.date()
        cg = crcl_from_lab(patient, lab)
        if isinstance(cg, str):
            return None, cg
        plans = self.repo.list_plans(patient.id)
        crcl = CrCl(min(cg.crcl_ml_min, _crcl_cap()))
        regimens: dict[str, Any] = {}
        horizon = max([day, *(p.plan.end for p in plans)])
        by_day: dict[date, list[ScheduledDose]] = {}
        for dose in scheduled_doses(plans, day, horizon):
            by_day.setdefault(dose.at.date(), []).append(dose)
        for doses in by_day.values():
            reg = DailyRegimen(tuple(Dose(d.at.time(), Milligrams(d.mg)) for d in doses), "PATTERN")
            regimens.setdefault(reg.describe(), reg)
        if not regimens:
            return None, "no plan is in force from the lab date on"
        problems: dict[str, dict[str, str]] = {}
        citations: list[Any] = list(cg.citations)
        for reg in regimens.values():
            result = check_regimen(reg, crcl=crcl)
            for p in result.problems:
                problems.setdefault(p.code + p.message, {"code": p.code, "message": p.message})
            citations.extend(result.citations)
        return RenalRecheck(round(cg.crcl_ml_min, 1), not problems, tuple(problems.values()),
                            tuple(regimens), tuple(dict.fromkeys(citations))), None

    def edit_entry(self, patient_id: int, entry_id: int, **changes: Any) -> Entry:
        """Change fields of an entry (``at``, ``mg``, ``status``, ``name``, ``value``, ``unit``, ``text``,
        and for a dose ``slot`` and ``prn``) under the rules a new entry meets (``[journal_limits]``).

        The previous version is kept: :meth:`history` returns every version. A dose keeps the slot it
        answers unless ``slot`` is given (checked like :meth:`log_dose`'s); skipping it dates it at
        its slot; taking a skipped dose without a new ``at`` records it as taken now.
        """
        allowed = {"at", "mg", "status", "name", "value", "unit", "text", "slot", "prn"}
        bad = set(changes) - allowed
        if bad:
            raise JournalInputError(f"cannot edit field(s) {', '.join(sorted(bad))}")
        for key in ("at", "slot"):
            if isinstance(changes.get(key), datetime):
                changes[key] = to_local_naive(changes[key])
        current = self.repo.get_entry(patient_id, entry_id)
        base = current.data
        if base.kind == "dose":
            if changes.get("prn"):
                changes.setdefault("slot", None)
            if (changes.get("status") in ("taken", "late") and base.status == "skipped" and "at" not in changes):
                changes["at"] = self.clock().replace(microsecond=0)
        data = self._prepare(replace(base, **changes))
        if data.kind == "dose" and "slot" in changes and data.slot is not None:
            self._slot_for(patient_id, data, wanted=data.slot, ignore=entry_id)
        return self.repo.update_entry(patient_id, entry_id, data, recorded_at=self.clock())

    def get_entry(self, patient_id: int, entry_id: int) -> Entry:
        """The current version of one of the patient's entries (``UnknownEntryError``: none, or deleted)."""
        return self.repo.get_entry(patient_id, entry_id)

    def revert_entry(self, patient_id: int, entry_id: int) -> Entry:
        """Undo the last edit: a new version with the content of the version before the current one
        (``JournalInputError`` for an entry never edited: delete it instead)."""
        versions = self.repo.entry_history(patient_id, entry_id)
        if len(versions) < 2 or versions[-1].deleted_at is not None:
            raise JournalInputError("this entry has no earlier version to go back to")
        return self.repo.update_entry(patient_id, entry_id, versions[-2].data, recorded_at=self.clock())

    def delete_entry(self, patient_id: int, entry_id: int) -> Entry:
        """Delete an entry (its owner's correction or an "undo"): it leaves every view, and its
        history keeps every version; the returned version has ``deleted_at`` set."""
        return self.repo.delete_entry(patient_id, entry_id, recorded_at=self.clock())

    def history(self, patient_id: int, entry_id: int) -> list[Entry]:
        return self.repo.entry_history(patient_id, entry_id)

    def _limit(self) -> datetime:
        """The latest time an entry may carry now (see :func:`_problem`)."""
        return self.clock() + settings.FUTURE_TOLERANCE

    def _stored(
        self, patient_id: int, start: date | None, end: date | None, kinds: Sequence[EntryKind] | None,
    ) -> list[Entry]:
        lo = datetime.combine(start, time(0, 0)) if start else None
        hi = datetime.combine(end + timedelta(days=1), time(0, 0)) if end else None
        return self.repo.list_entries(patient_id, start=lo, end=hi, kinds=kinds)

    def entries(
        self, patient_id: int, *, start: date | None = None, end: date | None = None,
        kinds: Sequence[EntryKind] | None = None, include_invalid: bool = False,
    ) -> list[Entry]:
        """The entries of a period (every day by default), oldest first.

        Invalid stored entries (``Entry.problem``) are left out unless ``include_invalid``; list them
        with :meth:`invalid_entries`.
        """
        found = self._stored(patient_id, start, end, kinds)
        return found if include_invalid else _split(found, self._limit())[0]

    def invalid_entries(
        self, patient_id: int, *, start: date | None = None, end: date | None = None,
    ) -> list[InvalidEntry]:
        """Stored entries today's rules refuse, with the rule each breaks (left out of every view)."""
        return list(_split(self._stored(patient_id, start, end, None), self._limit())[1])

    def dose_events(
        self, patient_id: int, *, start: datetime | None = None, end: datetime | None = None
    ) -> list[tuple[datetime, float]]:
        """Doses actually taken (taken or late) as ``(time, mg)`` pairs in time order, e.g. for PK simulation."""
        doses = _split(self.repo.list_entries(patient_id, start=start, end=end, kinds=["dose"]), self._limit())[0]
        return [(e.at, e.data.mg or 0.0) for e in doses if e.data.status in ("taken", "late")]

    # -- views and analysis -----------------------------------------------------------------------
    def period(
        self, patient_id: int, start: date | None, end: date | None, *, plans: Sequence[StoredPlan] | None = None,
    ) -> tuple[date, date]:
        """The period a view covers (adherence, trends, the doctor's report), so every request does
        bounded work (``[journal_limits] max_period_days``, gabacare-policy).

        - No ``start``: from the patient's first plan or valid entry (today when there is none), and
          at most the last ``max_period_days`` days before ``end``.
        - A ``start`` before the first record is moved to it (nothing is there to count), never past
          ``end``.
        - No ``end``: today, or ``start`` when that is later (a plan that has not begun).
        - ``start`` after ``end``, or an explicit period longer than ``max_period_days`` once moved,
          raises :class:`JournalInputError` with the reason.

        ``plans``: the patient's plans when the caller has read them already (read here otherwise).
        """
        from gabacare.knowledge import load_monograph

        limits = load_monograph().journal_limits
        today = self.clock().date()
        if start is not None and end is not None and start > end:
            raise JournalInputError("the period's start (--from) is after its end (--to)")
        first = self._first_record(patient_id, plans)
        explicit = start is not None
        if start is None:
            start = first if first is not None else (end or today)
        elif first is not None and start < first:
            start = min(first, end) if end is not None else first
        end = end or max(today, start)
        if start > end:
            raise JournalInputError("the period's start (--from) is after its end (--to)")
        span = (end - start).days + 1
        if span > limits.max_period_days:
            if explicit:
                raise JournalInputError(
                    f"a period can cover at most {limits.max_period_days} days (this one covers {span} from the "
                    "first record); choose a shorter one")
            start = end - timedelta(days=limits.max_period_days - 1)
        return start, end

    def _first_record(self, patient_id: int, plans: Sequence[StoredPlan] | None = None) -> date | None:
        """The day of the patient's first plan or first valid entry, or ``None`` when there is neither."""
        firsts = [p.plan.start for p in (self.repo.list_plans(patient_id) if plans is None else plans)]
        limit = self._limit()
        # Only an entry before the first plan's day can be earlier than it: read those, not the whole
        # history (this runs on every Trends and report view).
        end = day_bounds(min(firsts), min(firsts))[0] if firsts else None
        first_entry = next((e for e in self.repo.list_entries(patient_id, end=end) if _problem(e, limit) is None), None)
        firsts += [first_entry.at.date()] if first_entry is not None else []
        return min(firsts, default=None)

    def today(self, patient_id: int, *, on: date | None = None, plans: Sequence[StoredPlan] | None = None) -> TodayView:
        """What is due on a day (default today), what was taken, and what else was logged.

        Each planned dose shows the entry that answers it (its stored slot); a dose taken outside the
        on-time window after its time shows as late. As-needed doses are listed apart. ``plans``: the
        patient's stored plans when the caller has just read them (one read for the whole page).
        """
        now = self.clock()
        day = on or now.date()
        plans = self.repo.list_plans(patient_id) if plans is None else plans
        lo, hi = day_bounds(day - timedelta(days=1), day + timedelta(days=1))
        around, invalid = _split(self.repo.list_entries(patient_id, start=lo, end=hi), self._limit())
        entries = [e for e in around if e.at.date() == day]
        invalid = tuple(i for i in invalid if i.at is None or i.at.date() == day)
        sched = scheduled_doses(plans, day, day)
        doses = [e for e in around if e.kind == "dose" and analysis.dose_day(e) == day]
        matches, extra = analysis.match_doses(sched, [e for e in doses if not e.data.prn],
                                              window=settings.ON_TIME_WINDOW)
        taken = [e for e in entries if e.kind == "dose" and e.data.status in ("taken", "late")]
        rows: list[TodayDose] = []
        for m in matches:
            s = m.scheduled
            if m.logged is not None:
                late = m.logged.data.status == "late" or m.logged.at > s.at + settings.ON_TIME_WINDOW
                status: Any = "late" if late else "taken"
                rows.append(TodayDose(s.at, s.mg, status, m.logged.at, m.logged.data.mg, m.on_time, m.logged.id))
                continue
            skip = m.skipped
            if skip is not None:
                rows.append(TodayDose(s.at, s.mg, "skipped", skip.at, skip.data.mg, False, skip.id))
            elif s.at + settings.ON_TIME_WINDOW < now:
                rows.append(TodayDose(s.at, s.mg, "missed", None, None, False))
            elif s.at - settings.ON_TIME_WINDOW <= now:
                rows.append(TodayDose(s.at, s.mg, "due", None, None, False))
            else:
                rows.append(TodayDose(s.at, s.mg, "upcoming", None, None, False))
        plan = plan_in_force(plans, day)
        return TodayView(
            date=day, plan_kind=plan.plan.kind if plan else None, plan_label=plan.plan.label if plan else None,
            planned_mg=sum(s.mg for s in sched), taken_mg=sum(e.data.mg or 0.0 for e in taken),
            doses=tuple(rows), extra_doses=tuple(extra), entries=tuple(entries), invalid_entries=invalid,
            prn_doses=tuple(e for e in doses if e.data.prn),
        )

    def adherence(self, patient_id: int, *, start: date | None = None, end: date | None = None) -> analysis.AdherenceReport:
        """Adherence over a period (default: from the first plan or entry to today)."""
        read = self._period_read(patient_id, start, end, ("dose",))
        return self._adherence(read, scheduled_doses(read.plans, read.start, read.end))

    def trends(
        self, patient_id: int, *, start: date | None = None, end: date | None = None,
        scales: Sequence[str] | None = None,
    ) -> TrendsReport:
        """Rolling means of each score and the dose-response view over a period."""
        read = self._period_read(patient_id, start, end, ("symptom", "dose"))
        return self._trends(read, planned_daily_mg(read.plans, read.start - timedelta(days=1), read.end), scales)

    def adherence_and_trends(
        self, patient_id: int, *, start: date | None = None, end: date | None = None,
        scales: Sequence[str] | None = None,
    ) -> tuple[analysis.AdherenceReport, TrendsReport]:
        """:meth:`adherence` and :meth:`trends` of one period (equal to calling both) from one read of
        the plans and the period's doses and scores, and one schedule: what a page showing both calls
        (bounded work per request, issue 18)."""
        read = self._period_read(patient_id, start, end, ("symptom", "dose"))
        sched = scheduled_doses(read.plans, read.start - timedelta(days=1), read.end)
        # scheduled_doses lists each day's doses on that day, in time order: the period's own are a tail.
        first = next((i for i, s in enumerate(sched) if s.at.date() >= read.start), len(sched))
        return (self._adherence(read, sched[first:]),
                self._trends(read, analysis.daily_planned_mg(sched, read.start - timedelta(days=1), read.end), scales))

    def _period_read(
        self, patient_id: int, start: date | None, end: date | None, kinds: Sequence[EntryKind],
    ) -> _PeriodRead:
        """The bounded period (:meth:`period`), the plans, and the stored entries of ``kinds`` that
        adherence or trends need, each checked once: the period's days and the days around them
        (``dose_bounds``: a dose counts on the day of the slot it answers)."""
        plans = self.repo.list_plans(patient_id)
        start, end = self.period(patient_id, start, end, plans=plans)
        lo, hi = dose_bounds(start, end)
        limit = self._limit()
        rows = [(e, _problem(e, limit))
                for e in self.repo.list_entries(patient_id, start=lo, end=hi, kinds=list(kinds))]
        return _PeriodRead(start, end, plans, rows, *day_bounds(start, end))

    def _adherence(self, read: _PeriodRead, scheduled: Sequence[ScheduledDose]) -> analysis.AdherenceReport:
        """Adherence of ``read`` (``scheduled``: the plans' doses of the period)."""
        start, end = read.start, read.end
        doses = [e for e, why in read.rows if why is None and e.data.kind == "dose"]
        invalid = tuple(i for i in (InvalidEntry.of(e, why) for e, why in read.rows if why is not None and e.kind == "dose")
                        if i.at is None or start <= i.at.date() <= end)
        report = analysis.adherence(scheduled, doses, start=start, end=end, now=self.clock())
        return replace(report, invalid_entries=invalid)

    def _trends(self, read: _PeriodRead, planned: dict[date, float], scales: Sequence[str] | None) -> TrendsReport:
        """Trends of ``read``'s days (``planned``: planned mg per day from the day before the period)."""
        from gabacare.knowledge import load_monograph

        lo, hi = read.day_lo, read.day_hi
        in_days = [(e, why) for e, why in read.rows if lo <= e.data.at < hi]
        entries = [e for e, why in in_days if why is None]
        invalid = tuple(InvalidEntry.of(e, why) for e, why in in_days if why is not None)
        wanted = None if not scales else {s.strip().lower().replace("-", "_").replace(" ", "_") for s in scales}
        w = load_monograph().withdrawal
        trends, dose_response = analysis.period_trends(entries, planned, withdrawal_onset_min_h=w.onset_min_h,
                                                       withdrawal_onset_max_h=w.onset_max_h, scales=wanted)
        return TrendsReport(start=read.start, end=read.end, window_days=settings.ROLLING_WINDOW_DAYS, scales=trends,
                            dose_response=dose_response, invalid_entries=invalid)

    # -- import / export ------------------------------------------------------------------------
    def export_to(self, patient_id: int, fmt: transfer.Format, out: TextIO) -> ExportResult:
        """Write the patient's plans and entries as CSV or JSON to ``out`` (open files with ``newline=""``).

        Invalid stored entries are left out (an import would refuse them) and reported; the JSON
        format also lists their ids as ``"invalid_entries"``.
        """
        if fmt not in get_args(transfer.Format):
            raise JournalInputError("format must be csv or json")
        entries, invalid = _split(self.repo.list_entries(patient_id), self._limit())
        rows = transfer.write(self.repo.list_plans(patient_id), entries, fmt, out,
                              invalid_entries=[i.id for i in invalid],
                              questionnaires=self.repo.list_questionnaires(patient_id),
                              pickups=self.repo.list_pickups(patient_id))
        return ExportResult(rows, invalid)

    def export(self, patient_id: int, fmt: transfer.Format) -> str:
        """The patient's plans and entries as CSV or JSON text (round-trips through :meth:`import_text`)."""
        out = io.StringIO(newline="")
        self.export_to(patient_id, fmt, out)
        return out.getvalue()

    def _row(
        self, fields: dict[str, Any], now: datetime, triaged: dict[str, str | None] | None = None,
    ) -> tuple[str | None, EntryData] | tuple[str | None, NewQuestionnaire] | tuple[str | None, NewPickUp] | NewPlan:
        """One import row as a validated entry, questionnaire, pick-up or plan (``now``: the import's clock)."""
        get = fields.get
        kind = get("kind")
        if type(kind) is not str or kind not in _KINDS:  # a spelling people type: "Side-effect", " dose"
            kind = (_parse_str(kind, "kind") or "").strip().lower().replace("-", "_")
        if kind == "plan":
            spec = PlanSpec.from_text(_parse_str(get("text"), "plan text") or "")
            at = _parse_str(get("at"), "at")
            if at is None or at.strip() != spec.start.isoformat():
                raise JournalInputError("a plan row's 'at' must equal its spec's start date")
            record = get("record")
            if record is not None:  # the plan as made (version 3): kept once checked, never rebuilt
                return imported_plan(spec, record)
            return build_plan(spec, made_at=now)[0]  # an older file: made from its spec today
        if get("record") is not None:
            raise JournalInputError("only a plan row has a record")
        if kind == "questionnaire":
            return _parse_uid(get("uid")), self._questionnaire_row(fields, now)
        if kind == "pickup":  # mg: the strength, value: the count (transfer.py)
            strength, count = _parse_num(get("mg"), "strength (mg)"), _parse_num(get("value"), "count (value)")
            pickup = validate_pickup(NewPickUp(_parse_at(get("at")), strength, count),  # type: ignore[arg-type]
                                     now=now, tolerance=settings.FUTURE_TOLERANCE)
            return _parse_uid(get("uid")), pickup
        # Text fields go as read: check_entry_fields checks the ones the kind uses (and drops the rest).
        mg, value, slot = get("mg"), get("value"), get("slot")
        data = check_entry_fields(kind, _parse_at(get("at")), None if mg is None else _parse_num(mg, "mg"),
                                  get("status"), get("name"), None if value is None else _parse_num(value, "value"),
                                  get("unit"), get("text"), slot=None if slot is None else _parse_at(slot, "slot"),
                                  prn=_parse_bool(get("prn"), "prn"))
        if data.at > now + settings.FUTURE_TOLERANCE:
            raise JournalInputError(_FUTURE_PROBLEM)
        uid = _parse_uid(get("uid"))
        return uid, self._derive(data, triaged) if kind in ("side_effect", "lab") else data

    @staticmethod
    def _questionnaire_row(fields: dict[str, Any], now: datetime) -> NewQuestionnaire:
        """An exported questionnaire row (``name`` the instrument, ``text`` the answers, ``value`` the
        total) scored again; a total that does not match the answers is refused."""
        from gabacare.clinical.questionnaires import parse_answers, score

        instrument = _parse_str(fields.get("name"), "questionnaire instrument (name)") or ""
        result = score(instrument.strip(), parse_answers(_parse_str(fields.get("text"), "answers (text)") or ""))
        total = _parse_num(fields.get("value"), "questionnaire total (value)")
        if total is not None and total != result.total:
            raise JournalInputError("questionnaire total (value) does not match its answers")
        at = check_moment(_parse_at(fields.get("at")), "questionnaire time")
        if at > now + settings.FUTURE_TOLERANCE:
            raise JournalInputError("questionnaire time is in the future (more than a day ahead of now)")
        return NewQuestionnaire(result.instrument, at, result.answers, result.total, result.severity, result.emergency)

    def import_text(
        self, patient_id: int, text: str, fmt: transfer.Format, *, progress: Progress | None = None
    ) -> dict[str, int]:
        """Import an export's text: see :meth:`import_stream`."""
        return self.import_stream(patient_id, io.StringIO(text, newline=""), fmt, progress=progress)

    def import_stream(
        self, patient_id: int, source: TextIO, fmt: transfer.Format, *, progress: Progress | None = None,
        stats: transfer.ParseStats | None = None,
    ) -> dict[str, int]:
        """Read, validate and write an export row by row in one transaction: all rows or nothing.

        Returns the counts added (``entries``: entries, questionnaires and pick-ups; ``plans``) and
        ``already_present``: the rows the patient's journal already holds, which are not added again
        (an entry or questionnaire whose ``uid`` the patient has, deleted ones included; a plan whose
        spec equals one of the patient's plans that this import has not matched yet). Importing the same file twice adds nothing.
        A plan row with a ``record`` (export version 3) is stored as that record, checked first
        (``plan_record.imported_plan``); one without is made from its spec with today's rules.

        Memory stays flat and the work is linear in the file's size. Rows are written while the file
        is read; the first bad row stops the writing but not the reading, and at the end any bad row
        raises ``ImportValidationError`` listing them with their line numbers (the first
        ``settings.IMPORT_MAX_PROBLEMS``, and how many there were), which rolls the transaction back.
        Open files with ``newline=""`` so text keeps its carriage returns.
        """
        from collections import Counter

        self.repo.get_patient(patient_id)
        plans: list[NewPlan] = []
        questionnaires: list[tuple[str | None, NewQuestionnaire]] = []
        pickups: list[tuple[str | None, NewPickUp]] = []
        # a multiset: a file that sets the same plan twice (A, B, A) re-imports as present twice
        known_plans = Counter(p.plan.spec.to_text() for p in self.repo.list_plans(patient_id))
        plans_present = 0
        read = 0
        problems: list[tuple[int, str]] = []
        bad = 0
        from gabacare.clinical.errors import ClinicalInputError

        now = self.clock()
        triaged: dict[str, str | None] = {}

        def rows() -> Iterator[tuple[str | None, EntryData]]:
            nonlocal bad, plans_present, read
            for row in transfer.iter_rows(source, fmt, stats=stats):
                message = row.problem
                if message is None:
                    try:
                        item = self._row(row.fields, now, triaged)
                    except (JournalInputError, ClinicalInputError) as exc:
                        message = str(exc)
                    else:
                        if isinstance(item, NewPlan):
                            spec_text = item.spec.to_text()
                            if known_plans[spec_text] > 0:
                                known_plans[spec_text] -= 1
                                plans_present += 1
                            else:
                                plans.append(item)
                        elif not bad:
                            read += 1
                            uid, data = item
                            if isinstance(data, NewQuestionnaire):  # written after the entries
                                questionnaires.append((uid, data))
                            elif isinstance(data, NewPickUp):  # written after the entries too
                                pickups.append((uid, data))
                            else:
                                yield uid, data
                        continue
                bad += 1
                if len(problems) < settings.IMPORT_MAX_PROBLEMS:
                    problems.append((row.line, message))
            if bad:
                raise ImportValidationError(problems, bad)

        # add_batch reads ``plans`` after the rows are exhausted (JournalRepository.add_batch).
        written = self.repo.add_batch(patient_id, plans=plans, entries=rows(), recorded_at=self.clock(),
                                      progress=progress, questionnaires=questionnaires, pickups=pickups)
        return {"entries": written, "plans": len(plans), "already_present": read - written + plans_present}


def _crcl_cap() -> float:
    from gabacare.knowledge import load_monograph

    return load_monograph().renal.plausible.crcl_max_ml_min
