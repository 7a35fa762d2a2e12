"""Journal values: patients, stored plans with their dose schedule, and entries.

All values are frozen dataclasses. Times are naive local wall-clock datetimes (the clock the
patient lives by, the same clock the plan's dose times use). Validation happens in
:func:`validate_entry` and :func:`validate_patient`, before anything is written; their messages
name the field and the rule, never the value (patient data stays out of error messages).

Every door (CLI, API, pages, import) goes through the same rules: numbers must be finite and within
the knowledge base's ``[journal_limits]`` (a dose of at most the label's maximum daily dose, a lab
value below a bound, nothing dated before gabapentin existed); text must be valid Unicode without NUL,
and a patient's name or a lab unit one printable line (:func:`check_text`). A row an older version
stored outside these rules is *invalid*: :func:`entry_problem` says why (``Entry.problem``), and the
services leave it out of every calculation and report it as an :class:`InvalidEntry`. A dose above
the label's largest single dose is accepted with a warning (:func:`entry_warnings`, ``Entry.warnings``).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from typing import Any, Literal, cast, get_args

from gabacare._record import record
from gabacare.journal import settings
from gabacare.journal.errors import JournalInputError
from gabacare.journal.plan_record import PlanRecord
from gabacare.knowledge import load_monograph

__all__ = [
    "DOSE_STATUSES",
    "ENTRY_KINDS",
    "MAX_ROW_ID",
    "DoseStatus",
    "Entry",
    "EntryData",
    "EntryKind",
    "InvalidEntry",
    "NewPatient",
    "NewPlan",
    "NewQuestionnaire",
    "Patient",
    "PlanKind",
    "PlanSource",
    "PlanSpec",
    "ScheduledDose",
    "Sex",
    "StoredPlan",
    "StoredQuestionnaire",
    "check_entry_fields",
    "check_moment",
    "check_text",
    "entry_problem",
    "entry_warnings",
    "is_row_id",
    "normalize_name",
    "to_local_naive",
    "validate_entry",
    "validate_patient",
]

EntryKind = Literal["dose", "symptom", "trigger", "side_effect", "lab", "note"]
DoseStatus = Literal["taken", "late", "skipped"]
PlanKind = Literal["titration", "taper", "maintenance"]
PlanSource = Literal["regimen", "titrate", "taper"]
Sex = Literal["female", "male"]
LabUnit = Literal["mg/dL", "umol/L"]
LevelUnit = Literal["mg/L", "umol/L"]
# A measured gabapentin level (issue 17): the names a lab or a person gives the test, stored as one,
# and the spellings of its two units (mg/L = ug/mL = mcg/mL; umol/L is converted when the level is
# read, with the molar mass in the knowledge base). The journal keeps the unit the lab reported.
#: The largest id any stored row has or can have: the schema's id columns are ``INTEGER``, which
#: PostgreSQL keeps in 32 bits (and refuses a larger value even to compare with, as out of range). An id
#: above it names nothing; every door (web, API, CLI, the SQL adapter) answers it as unknown, never sends it.
MAX_ROW_ID = 2**31 - 1


def is_row_id(value: object) -> bool:
    """Whether ``value`` could be a stored row's id: an ``int`` (never a ``bool``) in 1..``MAX_ROW_ID``.
    The one test every door uses before an id is looked up.

    >>> is_row_id(1), is_row_id(MAX_ROW_ID), is_row_id(MAX_ROW_ID + 1), is_row_id(0), is_row_id(True), is_row_id("1")
    (True, True, False, False, False, False)
    """
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ROW_ID

LEVEL_TEST = "gabapentin"
_LEVEL_TEST_NAMES = frozenset({"gabapentin", "gabapentin_level", "gabapentin_levels", "gabapentin_concentration",
                               "neurontin", "neurontin_level"})
_LEVEL_UNITS: dict[str, str] = {
    "mg/l": "mg/L", "ug/ml": "mg/L", "\u00b5g/ml": "mg/L", "\u03bcg/ml": "mg/L", "mcg/ml": "mg/L",
    "umol/l": "umol/L", "\u00b5mol/l": "umol/L", "\u03bcmol/l": "umol/L", "micromol/l": "umol/L",
}

ENTRY_KINDS: tuple[str, ...] = get_args(EntryKind)
DOSE_STATUSES: tuple[str, ...] = get_args(DoseStatus)
_SPEC_OPTIONS = ("regimen", "indication", "target_mg", "crcl_ml_min", "risk", "step_mg", "weight_kg", "age_years",
                 "crcl_basis")
_NAME_RE = re.compile(r"[a-z][a-z0-9_]{0,39}")
_NAME_SEPARATORS_RE = re.compile(r"[\s\-]+")
# Free text (notes, triggers, side effects) may hold anything a person can type or paste, except
# NUL (PostgreSQL cannot store it) and unpaired surrogates (not UTF-8): the faces escape the rest when
# they print it. Short one-line values (a patient's name, a lab unit) must also be free of controls.
_BAD_TEXT_RE = re.compile("[\x00\ud800-\udfff]")
_BAD_LINE_RE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


@record
class NewPatient:
    """A patient profile as entered (name is patient data)."""

    name: str
    birth_date: date | None = None
    sex: Sex | None = None
    weight_kg: float | None = None


@record
class Patient:
    """A stored patient."""

    id: int
    name: str
    birth_date: date | None
    sex: Sex | None
    weight_kg: float | None
    created_at: datetime

    def age_on(self, day: date) -> float | None:
        """Age in whole years on ``day`` (None without a birth date)."""
        if self.birth_date is None:
            return None
        years = day.year - self.birth_date.year - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))
        return float(years)


@record
class PlanSpec:
    """How a plan was made, enough to make it again: a regimen, titrate options or taper options."""

    source: PlanSource
    start: date
    regimen: str | None = None
    indication: str | None = None
    target_mg: float | None = None
    crcl_ml_min: float | None = None
    risk: str | None = None
    step_mg: float | None = None
    weight_kg: float | None = None
    age_years: float | None = None
    # Where crcl_ml_min came from when the journal supplied it (the kidney values and their date).
    crcl_basis: str | None = None

    def __post_init__(self) -> None:
        # Checked at every construction, not only when read back: an unknown source would otherwise be
        # built as a taper (the plan builder's last branch).
        if self.source not in get_args(PlanSource):
            raise JournalInputError("plan spec source must be regimen, titrate or taper")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict without the empty options."""
        out: dict[str, Any] = {"source": self.source, "start": self.start.isoformat()}
        for key in _SPEC_OPTIONS:
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out

    def to_text(self) -> str:
        """Compact, stable JSON text (used in CSV exports and the database)."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_choice(cls, source: str, start: date, *, regimen: str | None = None, indication: str | None = None,
                    target_mg: float | None = None, from_regimen: str | None = None, risk: str | None = None,
                    step_mg: float | None = None, crcl_ml_min: float | None = None, weight_kg: float | None = None,
                    age_years: float | None = None) -> PlanSpec:
        """The spec a planner's choice describes, keeping only the options that ``source`` uses.

        Every face (``gabacare plan set``, ``PUT /api/v1/patients/{id}/plan``, the plan page and the
        planners' "save to my journal") comes here, so which option belongs to which kind of plan is
        written once: a steady ``regimen``; a titration's ``indication``, ``target_mg`` (mg/day),
        ``crcl_ml_min`` (mL/min), ``weight_kg`` and ``age_years``; a taper's ``from_regimen``, ``risk``,
        ``step_mg`` (mg/day) and ``crcl_ml_min``. Options of the other kinds are ignored.

        >>> PlanSpec.from_choice("taper", date(2026, 1, 5), from_regimen="300 mg TID", indication="x").to_dict()
        {'source': 'taper', 'start': '2026-01-05', 'regimen': '300 mg TID'}

        Raises ``JournalInputError`` for a source other than regimen, titrate or taper.
        """
        if source == "regimen":
            return cls("regimen", start, regimen=regimen)
        if source == "titrate":
            return cls("titrate", start, indication=indication, target_mg=target_mg, crcl_ml_min=crcl_ml_min,
                       weight_kg=weight_kg, age_years=age_years)
        if source == "taper":
            return cls("taper", start, regimen=from_regimen, risk=risk, step_mg=step_mg, crcl_ml_min=crcl_ml_min)
        raise JournalInputError("choose a titration, a taper or a steady regimen")

    @classmethod
    def from_dict(cls, raw: Any) -> PlanSpec:
        """Read :meth:`to_dict` output back; raise ``JournalInputError`` when malformed."""
        if not isinstance(raw, dict):
            raise JournalInputError("a plan spec must be an object")
        unknown = set(raw) - {"source", "start", *_SPEC_OPTIONS}
        if unknown:
            raise JournalInputError(f"unknown plan spec field(s): {', '.join(sorted(unknown))}")
        source = raw.get("source")  # checked by __post_init__
        try:
            start = date.fromisoformat(str(raw.get("start")))
        except ValueError as exc:
            raise JournalInputError("plan spec start must be a date YYYY-MM-DD") from exc

        def num(key: str) -> float | None:
            v = raw.get(key)
            if v is None:
                return None
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise JournalInputError(f"plan spec {key} must be a number")
            return float(v)

        def text(key: str) -> str | None:
            v = raw.get(key)
            if v is None:
                return None
            if not isinstance(v, str):
                raise JournalInputError(f"plan spec {key} must be text")
            return v

        return cls(source=cast(PlanSource, source), start=start, regimen=text("regimen"), indication=text("indication"),
                   target_mg=num("target_mg"), crcl_ml_min=num("crcl_ml_min"), risk=text("risk"),
                   step_mg=num("step_mg"), weight_kg=num("weight_kg"), age_years=num("age_years"),
                   crcl_basis=text("crcl_basis"))

    @classmethod
    def from_text(cls, text: str) -> PlanSpec:
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise JournalInputError("a plan spec must be JSON text") from exc
        return cls.from_dict(raw)


@record
class ScheduledDose:
    """One dose the plan calls for: when and how much."""

    at: datetime
    mg: float


@record
class NewPlan:
    """A plan from the clinical core, flattened to the dose schedule it implies.

    ``doses`` cover ``start``..``end``; after ``end`` the last day's doses repeat when ``continues``
    (titration and maintenance: the patient stays on the reached dose), and nothing is due after a
    taper's end.
    """

    kind: PlanKind
    spec: PlanSpec
    label: str
    start: date
    end: date
    continues: bool
    doses: tuple[ScheduledDose, ...]
    warnings: tuple[str, ...] = ()
    # The plan as made (journal/plan_record.py): what every face shows. None only for a plan built
    # without one (tests, adapters' own fixtures); the journal always stores one (migration 0010).
    made: PlanRecord | None = None

    def doses_on(self, day: date) -> tuple[ScheduledDose, ...]:
        """The doses due on ``day`` under this plan alone."""
        if day < self.start:
            return ()
        if day <= self.end:
            return self._by_day.get(day, ())
        if not self.continues:
            return ()
        shift = day - self.end
        return tuple(ScheduledDose(d.at + shift, d.mg) for d in self._by_day.get(self.end, ()))

    @cached_property
    def _by_day(self) -> dict[date, tuple[ScheduledDose, ...]]:
        index: dict[date, list[ScheduledDose]] = {}
        for d in self.doses:
            index.setdefault(d.at.date(), []).append(d)
        return {k: tuple(v) for k, v in index.items()}


@record
class StoredPlan:
    """A plan as stored for a patient (``id`` orders plans: a later plan wins from its start)."""

    id: int
    patient_id: int
    created_at: datetime
    plan: NewPlan


@record
class EntryData:
    """What an entry says. Which fields apply depends on ``kind``:

    ========== ==================================================================
    dose        ``mg``, ``status`` (taken, late, skipped), ``slot``, ``prn``
    symptom     ``name`` (scale), ``value`` (score 0-10, or a count for count scales)
    trigger     ``text`` (a free tag)
    side_effect ``text``; ``urgency`` and ``advice`` come from the core's triage
    lab         ``name`` (test), ``value``, ``unit``
    note        ``text``
    ========== ==================================================================

    A dose records two facts: ``slot``, the planned dose it answers (the plan's date and time; None
    for an as-needed dose, ``prn``, or a dose no plan called for), and ``at``, the moment it was taken.
    A skipped dose is dated at its slot. Adherence matches doses to the plan by ``slot``, never by
    the nearest time.
    """

    kind: EntryKind
    at: datetime
    mg: float | None = None
    status: DoseStatus | None = None
    name: str | None = None
    value: float | None = None
    unit: str | None = None
    text: str | None = None
    urgency: str | None = None
    slot: datetime | None = None
    prn: bool = False


@record
class Entry:
    """A stored entry: its current ``version`` (1 when never edited) and when it was recorded.

    ``uid`` is its stable identity across exports and imports (a UUID; re-importing an entry with a
    uid the patient already has adds nothing). ``deleted_at`` is set on the version that deleted it
    (deleted entries stay in their history, and out of every view).
    """

    id: int
    patient_id: int
    version: int
    recorded_at: datetime
    data: EntryData = field(repr=False)
    uid: str = ""
    deleted_at: datetime | None = None

    @property
    def kind(self) -> EntryKind:
        return self.data.kind

    @property
    def at(self) -> datetime:
        return self.data.at

    @cached_property
    def problem(self) -> str | None:
        """Why today's rules refuse this stored entry (None when valid); see :func:`entry_problem`."""
        return entry_problem(self.data)

    @property
    def warnings(self) -> tuple[str, ...]:
        """What to check about a valid entry (a dose above the label's largest single dose)."""
        return entry_warnings(self.data)


@record
class InvalidEntry:
    """A stored entry today's rules refuse (written by an older version): left out of every
    calculation and reported by id. ``problem`` names the rule, never the value."""

    id: int
    kind: str
    at: datetime | None
    problem: str

    @classmethod
    def of(cls, entry: Entry, problem: str | None = None) -> InvalidEntry:
        """The report of ``entry`` (``problem``: the reason, default ``entry.problem``)."""
        at = entry.data.at if isinstance(entry.data.at, datetime) else None
        return cls(entry.id, str(entry.data.kind), at, problem or entry.problem or "invalid")


@record
class NewQuestionnaire:
    """A completed, scored questionnaire as stored (``questionnaires`` table, migration 0004).

    ``instrument`` is an id of ``questionnaires.toml`` (``phq9``, ``gad7``, ``penn_spasm``,
    ``pain_nrs``, ``pgic``); ``answers`` one whole number per item answered, in item order;
    ``total`` (points) and ``severity`` (the band's key) are what
    :func:`gabacare.clinical.questionnaires.score` gave when it was logged, and ``emergency`` its
    emergency flag (PHQ-9 item 9 above zero). ``at`` is when it was completed (naive local time).
    The journal scores the answers again whenever it reads them back (the scoring rules are data);
    the stored total and severity record what the patient was told.
    """

    instrument: str
    at: datetime
    answers: tuple[int, ...]
    total: int
    severity: str
    emergency: bool

    def answers_text(self) -> str:
        """The answers as stored and exported: ``"0,1,2"``."""
        return ",".join(str(a) for a in self.answers)


@record
class StoredQuestionnaire:
    """A stored questionnaire: its id, ``uid`` (stable across export and import, like an entry's) and
    when it was recorded. Questionnaires are never edited: a new answer is a new questionnaire."""

    id: int
    patient_id: int
    uid: str
    recorded_at: datetime
    data: NewQuestionnaire = field(repr=False)

    @property
    def at(self) -> datetime:
        return self.data.at


def to_local_naive(moment: datetime) -> datetime:
    """Aware datetimes become naive local time; naive ones are taken as local already."""
    if moment.tzinfo is not None:
        return moment.astimezone().replace(tzinfo=None)
    return moment


def normalize_name(raw: str, what: str) -> str:
    """``Spasm Intensity`` -> ``spasm_intensity``; refuse anything that is not a short identifier."""
    if not isinstance(raw, str):
        raise JournalInputError(f"{what} must be text")
    if _NAME_RE.fullmatch(raw):  # already normal (every row of an export)
        return raw
    name = _NAME_SEPARATORS_RE.sub("_", raw.strip().lower())
    if not _NAME_RE.fullmatch(name):
        raise JournalInputError(f"{what} must be a short name of letters, digits, '_' or '-', starting with a letter")
    return name


def _finite(value: float | None, what: str) -> float:
    if value is None:
        raise JournalInputError(f"{what} is required")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise JournalInputError(f"{what} must be a finite number")
    return float(value)


def check_text(value: str, what: str, *, multiline: bool = True) -> str:
    """``value`` unchanged, or ``JournalInputError`` when it holds NUL or an unpaired surrogate, or,
    unless ``multiline`` (free text), any control character (a name, a unit: one printable line).

    Free text keeps what was typed, terminal escapes included: the faces escape them when printing
    (``gabacare._cli.common.term_safe``, HTML autoescaping), and CSV/JSON carry them exactly.
    """
    if multiline:
        if _BAD_TEXT_RE.search(value):
            raise JournalInputError(f"{what} must be valid text (no NUL character or unpaired surrogate)")
    elif _BAD_LINE_RE.search(value):
        raise JournalInputError(f"{what} must be one line of printable text (no control characters)")
    return value


def _text(value: str | None, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise JournalInputError(f"{what} must not be empty")
    text = value.strip()
    if len(text) > settings.MAX_TEXT_CHARS:
        raise JournalInputError(f"{what} is longer than {settings.MAX_TEXT_CHARS} characters")
    return check_text(text, what)


_TEXT_WHAT: dict[str, str] = {"trigger": "trigger tag", "note": "note text", "side_effect": "side-effect text"}
_FOREIGN_FIELDS: dict[str, tuple[str, ...]] = {
    "dose": ("name", "value", "unit", "text", "urgency"),
    "symptom": ("mg", "status", "unit", "text", "urgency"),
    "trigger": ("mg", "status", "name", "value", "unit", "urgency"),
    "note": ("mg", "status", "name", "value", "unit", "urgency"),
    "side_effect": ("mg", "status", "name", "value", "unit"),
    "lab": ("mg", "status", "text", "urgency"),
}
"""Fields an entry of each kind never holds once validated."""


def _moment(value: datetime, what: str) -> datetime:
    """``value`` as naive local time within the journal's years, or ``JournalInputError``."""
    limits = load_monograph().journal_limits
    if value.tzinfo is not None:
        try:
            value = to_local_naive(value)
        except (OverflowError, OSError, ValueError):
            raise JournalInputError(f"{what} is out of range") from None
    if not limits.earliest_year <= value.year <= settings.MAX_ENTRY_YEAR:
        if value.year < limits.earliest_year:
            raise JournalInputError(f"{what} must be in {limits.earliest_year} or later")
        raise JournalInputError(f"{what} must be before the year {settings.MAX_ENTRY_YEAR + 1}")
    return value


def check_moment(value: Any, what: str) -> datetime:
    """``value`` as naive local time within the journal's years (``[journal_limits]``), or
    ``JournalInputError`` naming ``what`` (never the value). The clock's rule is the caller's."""
    if not isinstance(value, datetime):
        raise JournalInputError(f"{what} must be a date and time")
    return _moment(value, what)


def _dose_slot(at: datetime, status: str, slot: Any, prn: Any) -> tuple[datetime, datetime | None, bool]:
    """The dose's (time, slot, prn) after the slot rules: a PRN dose answers no slot and is taken,
    a skipped dose is dated at its slot, and a taken dose lies within ``MAX_SLOT_DISTANCE`` of it."""
    if not isinstance(prn, bool):
        raise JournalInputError("prn must be true or false")
    if slot is None:
        return at, None, prn
    if prn:
        raise JournalInputError("an as-needed (PRN) dose answers no planned dose: give no slot")
    if not isinstance(slot, datetime):
        raise JournalInputError("the dose's slot (the planned dose it answers) must be a date and time")
    slot = _moment(slot, "the dose's slot")
    if status == "skipped":
        return slot, slot, False
    if abs(at - slot) > settings.MAX_SLOT_DISTANCE:
        raise JournalInputError("a dose is taken within a day of the planned dose it answers")
    return at, slot, False


def check_entry_fields(
    kind: str, at: Any, mg: Any = None, status: Any = None, name: Any = None, value: Any = None, unit: Any = None,
    text: Any = None, urgency: Any = None, slot: Any = None, prn: Any = False,
) -> EntryData:
    """The normalised entry these fields make, or ``JournalInputError`` naming the rule broken.

    Every rule of :func:`validate_entry` except the clock's. Taking the fields rather than an
    :class:`EntryData` lets an import build each row's value once (it validates every row).
    """
    limits = load_monograph().journal_limits
    if kind not in ENTRY_KINDS:
        raise JournalInputError(f"entry kind must be one of {', '.join(ENTRY_KINDS)}")
    if not isinstance(at, datetime):
        raise JournalInputError("entry time must be a date and time")
    at = _moment(at, "entry time")
    if kind != "dose" and (slot is not None or prn):
        raise JournalInputError("only a dose has a slot or is as-needed (PRN)")
    if kind == "dose":
        mg = _finite(mg, "dose mg")
        if mg < 0:
            raise JournalInputError("dose mg cannot be negative")
        if mg > limits.max_dose_mg:
            raise JournalInputError(
                f"dose mg must be at most {limits.max_dose_mg:g} (the label's maximum daily dose, "
                f"{limits.max_dose_citation.render()}) for one dose")
        status = status or "taken"
        if status not in DOSE_STATUSES:
            raise JournalInputError(f"dose status must be one of {', '.join(DOSE_STATUSES)}")
        if mg == 0 and status != "skipped":
            raise JournalInputError("a taken or late dose needs more than 0 mg")
        if prn is True and status == "skipped":
            raise JournalInputError("an as-needed (PRN) dose is logged when taken, never skipped")
        at, slot, prn = _dose_slot(at, status, slot, prn)
        return EntryData("dose", at, mg=mg, status=status, slot=slot, prn=prn)
    if kind == "symptom":
        scale = normalize_name(name or "", "scale name")
        score = _finite(value, "score")
        if scale in settings.COUNT_SCALES:
            if score < 0 or score > settings.MAX_COUNT_PER_DAY or not score.is_integer():
                raise JournalInputError(
                    f"a count scale takes a whole number from 0 to {settings.MAX_COUNT_PER_DAY}")
        elif not settings.SCORE_MIN <= score <= settings.SCORE_MAX:
            raise JournalInputError(f"score must be between {settings.SCORE_MIN:g} and {settings.SCORE_MAX:g}")
        return EntryData("symptom", at, name=scale, value=score)
    if kind in _TEXT_WHAT:
        return EntryData(cast(EntryKind, kind), at, text=_text(text, _TEXT_WHAT[kind]),
                         urgency=urgency if kind == "side_effect" else None)
    # lab
    test = normalize_name(name or "", "lab test name")
    number = _finite(value, "lab value")
    if number <= 0:
        raise JournalInputError("lab value must be above 0")
    if number > limits.max_lab_value:
        raise JournalInputError(f"lab value must be at most {limits.max_lab_value:g}")
    lab_unit = unit.strip() if isinstance(unit, str) else ""
    if test in _LEVEL_TEST_NAMES:
        test = LEVEL_TEST
        lab_unit = _LEVEL_UNITS.get((lab_unit or "mg/L").lower().replace(" ", ""), "")
        if not lab_unit:
            raise JournalInputError("a gabapentin level's unit must be mg/L (the same as ug/mL) or umol/L")
    elif test == "creatinine":
        lab_unit = lab_unit or "mg/dL"
        if lab_unit not in get_args(LabUnit):
            raise JournalInputError("creatinine unit must be mg/dL or umol/L")
    elif lab_unit:
        if len(lab_unit) > settings.MAX_NAME_CHARS:
            raise JournalInputError("lab unit is too long")
        check_text(lab_unit, "lab unit", multiline=False)
    return EntryData("lab", at, name=test, value=number, unit=lab_unit or None)


def _check_entry(data: EntryData) -> EntryData:
    """Every rule of :func:`validate_entry` except the clock's (shared with :func:`entry_problem`)."""
    return check_entry_fields(data.kind, data.at, data.mg, data.status, data.name, data.value, data.unit, data.text,
                              data.urgency, data.slot, data.prn)


def validate_entry(data: EntryData, *, now: datetime) -> EntryData:
    """Check and normalise an entry; raise ``JournalInputError`` naming the rule broken.

    ``now`` is the caller's clock (naive local time): entries more than
    ``settings.FUTURE_TOLERANCE`` ahead of it are refused. Numbers must be finite and within the
    knowledge base's ``[journal_limits]``; text must be plain (see :func:`check_text`).
    """
    checked = _check_entry(data)
    if checked.at > now + settings.FUTURE_TOLERANCE:
        raise JournalInputError("entry time is in the future (more than a day ahead of now)")
    return checked


def entry_problem(data: EntryData) -> str | None:
    """Why today's rules refuse a *stored* entry (``None`` when they accept it).

    The rules of :func:`validate_entry` without the clock: a row written by an older version (a dose
    of ``1e308`` mg, a score of NaN, a date in year 1) is reported and left out of calculations
    instead of crashing the reader. The message names the rule, never the value.
    """
    try:
        _check_entry(data)
    except JournalInputError as exc:
        return str(exc)
    except (TypeError, ValueError, OverflowError, AttributeError):  # a type no rule anticipated
        return "the entry does not have the shape of its kind"
    foreign = [f for f in _FOREIGN_FIELDS.get(data.kind, ()) if getattr(data, f) is not None]
    if foreign:  # validation never keeps these: written by hand, and a reader could trip on them
        return f"a {data.kind.replace('_', '-')} entry has no {' or '.join(foreign)}"
    return None


def entry_warnings(data: EntryData) -> tuple[str, ...]:
    """Things to check about an accepted entry: a single dose above the label's largest single dose."""
    if data.kind != "dose" or data.mg is None:
        return ()
    limits = load_monograph().journal_limits
    if limits.warn_dose_mg < data.mg <= limits.max_dose_mg:
        return (f"a single dose above {limits.warn_dose_mg:g} mg is more than the largest single dose in the "
                f"label's regimens ({limits.warn_dose_citation.render()}): check the amount",)
    return ()


def validate_patient(p: NewPatient, *, today: date) -> NewPatient:
    """Check a patient profile (name present, birth date not in the future, plausible weight)."""
    name = " ".join((p.name or "").split())
    if not name:
        raise JournalInputError("patient name must not be empty")
    if len(name) > settings.MAX_NAME_CHARS:
        raise JournalInputError(f"patient name is longer than {settings.MAX_NAME_CHARS} characters")
    check_text(name, "patient name", multiline=False)
    if p.birth_date is not None and p.birth_date > today:
        raise JournalInputError("birth date cannot be in the future")
    if p.sex is not None and p.sex not in get_args(Sex):
        raise JournalInputError("sex must be female or male")
    weight = p.weight_kg
    if weight is not None:
        weight = _finite(weight, "weight (kg)")
        plausible = load_monograph().renal.plausible
        if not plausible.weight_min_kg <= weight <= plausible.weight_max_kg:
            raise JournalInputError(
                f"weight must be between {plausible.weight_min_kg:g} and {plausible.weight_max_kg:g} kg")
    return NewPatient(name=name, birth_date=p.birth_date, sex=p.sex, weight_kg=weight)


def day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) as datetimes."""
    return datetime.combine(start, time(0, 0)), datetime.combine(end + timedelta(days=1), time(0, 0))


def dose_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The times of the dose entries that may answer a planned dose from ``start`` to ``end``: the
    days around them too (a dose is taken within ``settings.MAX_SLOT_DISTANCE`` of its slot)."""
    spread = timedelta(days=math.ceil(settings.MAX_SLOT_DISTANCE / timedelta(days=1)))
    return day_bounds(start - spread, end + spread)
