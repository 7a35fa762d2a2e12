"""The plan as made: what the journal shows for a stored plan, and how it compares with today's rules.

A stored plan keeps its spec (how to make it again) and, since migration 0010, its *record*: the
core plan's JSON as :meth:`gabacare.clinical.plan.Plan.to_json` gave it when the plan was made
(``days`` with their doses and units, ``steps``, ``dispense``, ``warnings``, ``notes``,
``citations``, ``notice``), plus ``kb_version`` (:func:`gabacare.knowledge.knowledge_version`, the
knowledge base that made it), ``made_at`` (the journal clock's moment) and ``origin``:

* ``made`` -- recorded when the plan was set or imported;
* ``upgrade`` -- a plan older than migration 0010, remade from its spec when the database was
  upgraded: "as made" means as of the upgrade, the best record available;
* ``rows`` -- remade from the stored dose rows alone (a spec that the rules of the upgrade refused,
  or a plan stored without a record): days, doses and warnings, no units and no citations.

The record never changes after it is written. Pages, the API and the doctor's report show it (not a
rebuild), so the plan shown is the plan the dose rows, and hence adherence, count.
:func:`compare` says how today's rules would make the same spec differently (``Journal.recheck_plan``).

An export carries each plan's record (:meth:`PlanRecord.to_text`, the ``record`` cell of its plan
row); an import stores it with the dose rows taken from its days, never a rebuild, after
:func:`imported_plan` has checked it as the untrusted input a file is.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import field
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any, Literal

from gabacare._record import record
from gabacare.journal.errors import JournalInputError, JournalStorageError

if TYPE_CHECKING:
    from gabacare.clinical.pills import DispenseLine
    from gabacare.clinical.plan import Plan, PlanDay, PlanStep
    from gabacare.journal.model import NewPlan, PlanKind, PlanSpec, StoredPlan
    from gabacare.knowledge import Citation

__all__ = ["PlanRecheck", "PlanRecord", "RecordedPlanView", "compare", "imported_plan", "record_from_rows", "record_of",
           "record_plan"]

RecordOrigin = Literal["made", "upgrade", "rows"]
_ORIGINS: tuple[RecordOrigin, ...] = ("made", "upgrade", "rows")
# Keys the record adds to the core plan's JSON (a core key of the same name would be shadowed).
_OWN_KEYS = ("kb_version", "made_at", "origin")


@record
class PlanRecord:
    """A plan as made: ``plan`` the core plan's JSON (plain JSON values, citations as
    ``{source, section, text, title, url}``), ``kb_version`` the knowledge base that made it,
    ``made_at`` when (journal clock), ``origin`` how the record came to be (module docstring)."""

    plan: Mapping[str, Any] = field(hash=False)
    kb_version: str
    made_at: datetime
    origin: RecordOrigin = "made"

    def to_json(self, timespec: str = "minutes") -> dict[str, Any]:
        """The core plan's JSON with ``kb_version``, ``made_at`` (ISO, to ``timespec``) and ``origin`` added."""
        return {**self.plan, "kb_version": self.kb_version, "made_at": self.made_at.isoformat(timespec=timespec),
                "origin": self.origin}

    def to_text(self) -> str:
        """Compact JSON text, as the database keeps it (``made_at`` to the microsecond)."""
        return json.dumps(self.to_json("auto"), separators=(",", ":"), sort_keys=True, allow_nan=False)

    @classmethod
    def from_text(cls, text: str) -> PlanRecord:
        """Read :meth:`to_text`'s text back; a damaged record is a storage error (never guessed).

        The last few records read are kept (the same text gives the same record, which is never
        changed): a taper's record runs to ~250 kB of JSON, ~11 ms to decode, and every view that
        lists the plans (Today, adherence, the report) reads it again.
        """
        return _decoded(text)

    @classmethod
    def _decode(cls, text: str) -> PlanRecord:
        try:
            data = json.loads(text)
            origin = data.pop("origin", "made")
            if origin not in _ORIGINS or not isinstance(data.get("days"), list):
                raise ValueError("not a plan record")
            return cls(plan=data, kb_version=str(data.pop("kb_version")),
                       made_at=datetime.fromisoformat(str(data.pop("made_at"))), origin=origin)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise JournalStorageError("a stored plan's record is damaged: it cannot be shown") from exc

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(str(w) for w in self.plan.get("warnings", ()))

    @property
    def citations(self) -> tuple[Citation, ...]:
        """The sources the plan cited when it was made."""
        from gabacare.knowledge import Citation

        return tuple(Citation(source=c["source"], section=c.get("section")) for c in self.plan.get("citations", ()))

    def day_doses(self) -> dict[date, tuple[tuple[str, float], ...]]:
        """Each day of the record: its doses as ``(HH:MM, mg)`` in the order of the day."""
        return {date.fromisoformat(d["date"]): tuple((str(x["time"]), float(x["mg"])) for x in d.get("doses", ()))
                for d in self.plan.get("days", ())}

    def view(self) -> RecordedPlanView:
        """The record with typed values (dates, clock times, units, citations) for the plan templates."""
        from gabacare.clinical.pills import DispenseLine, Unit
        from gabacare.clinical.plan import PlanDay, PlannedDose, PlanStep

        p = self.plan
        days = tuple(
            PlanDay(int(d["day"]), date.fromisoformat(d["date"]), float(d["total_mg"]),
                    tuple(PlannedDose(time.fromisoformat(x["time"]), float(x["mg"]),
                                      tuple(Unit(u["form"], float(u["strength_mg"]), float(u["count"]))
                                            for u in x.get("units", ())))
                          for x in d.get("doses", ())))
            for d in p.get("days", ()))
        steps = []
        for s in p.get("steps", ()):
            watch = s.get("withdrawal_watch") or {}
            steps.append(PlanStep(date.fromisoformat(s["start"]), date.fromisoformat(s["end"]), float(s["total_mg"]),
                                  int(s["doses_per_day"]),
                                  datetime.fromisoformat(watch["from"]) if watch else None,
                                  datetime.fromisoformat(watch["until"]) if watch else None))
        return RecordedPlanView(
            kind=str(p.get("kind", "")), label=str(p.get("label", "")), target_mg=p.get("target_mg"),
            cap_mg=p.get("cap_mg"), days=days, steps=tuple(steps),
            dispense=tuple(DispenseLine(x["form"], float(x["strength_mg"]), float(x["count"]))
                           for x in p.get("dispense", ())),
            warnings=self.warnings, notes=tuple(str(n) for n in p.get("notes", ())),
            citations=self.citations,
            notice=str(p.get("notice", "")), kb_version=self.kb_version, made_at=self.made_at, origin=self.origin)


@functools.lru_cache(maxsize=8)  # bounded: a few plans per patient; a decoded taper is ~2 MB of objects
def _decoded(text: str) -> PlanRecord:
    return PlanRecord._decode(text)


@record
class RecordedPlanView:
    """A :class:`PlanRecord` with the attribute names of the core ``Plan`` (what ``planners/_plan.html``
    reads), so the recorded plan renders like a freshly made one; nothing here is recomputed."""

    kind: str
    label: str
    target_mg: float | None
    cap_mg: float | None
    days: tuple[PlanDay, ...]
    steps: tuple[PlanStep, ...]
    dispense: tuple[DispenseLine, ...]
    warnings: tuple[str, ...]
    notes: tuple[str, ...]
    citations: tuple[Citation, ...]
    notice: str
    kb_version: str
    made_at: datetime
    origin: RecordOrigin


def record_plan(plan: Plan, *, made_at: datetime, kb_version: str, origin: RecordOrigin = "made") -> PlanRecord:
    """The record of core plan ``plan`` made at ``made_at`` with knowledge base ``kb_version``."""
    from gabacare.serialize import jsonable

    data = jsonable(plan.to_json())
    for key in _OWN_KEYS:
        data.pop(key, None)
    return PlanRecord(plan=data, kb_version=kb_version, made_at=made_at, origin=origin)


def record_from_rows(plan: NewPlan, *, made_at: datetime, kb_version: str, notice: str = "") -> PlanRecord:
    """A record from a stored plan's own dose rows and warnings (``origin="rows"``): for a plan whose
    spec cannot be made again. Units, steps' watch windows and citations are not known: left empty."""
    days: dict[date, list[dict[str, Any]]] = {}
    for dose in sorted(plan.doses, key=lambda x: x.at):
        days.setdefault(dose.at.date(), []).append({"time": dose.at.strftime("%H:%M"), "mg": dose.mg, "units": []})
    out_days = [{"day": (day - plan.start).days + 1, "date": day.isoformat(),
                 "total_mg": sum(x["mg"] for x in doses), "doses": doses} for day, doses in sorted(days.items())]
    steps: list[dict[str, Any]] = []
    for d in out_days:
        if steps and steps[-1]["total_mg"] == d["total_mg"] and steps[-1]["doses_per_day"] == len(d["doses"]):
            steps[-1]["end"] = d["date"]
        else:
            steps.append({"start": d["date"], "end": d["date"], "total_mg": d["total_mg"],
                          "doses_per_day": len(d["doses"]), "withdrawal_watch": None})
    data = {"kind": plan.kind, "label": plan.label, "target_mg": None, "cap_mg": None, "days": out_days,
            "steps": steps, "dispense": [], "warnings": list(plan.warnings), "notes": [], "citations": [],
            "notice": notice}
    return PlanRecord(plan=data, kb_version=kb_version, made_at=made_at, origin="rows")


def record_of(stored: StoredPlan) -> PlanRecord:
    """A stored plan's record; one made from its dose rows when it has none (only a plan an adapter
    was given without a record: migration 0010 gave every stored plan one, and the journal stores one
    with every plan it sets or imports)."""
    if stored.plan.made is not None:
        return stored.plan.made
    from gabacare.knowledge import load_monograph

    return record_from_rows(stored.plan, made_at=stored.created_at, kb_version="unknown",
                            notice=load_monograph().notice_text)


# -- a record read from an export -----------------------------------------------------------------------
_SOURCE_KIND: dict[str, PlanKind] = {"regimen": "maintenance", "titrate": "titration", "taper": "taper"}
"""The kind of plan each spec source makes (``build_plan``)."""
_CLOCK_RE = re.compile(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]")
_SUM_TOLERANCE = 1e-6
"""Relative rounding allowed between a day's ``total_mg`` and the sum of its doses (float sums)."""


def _number(value: Any) -> float | None:
    """A JSON number as a finite float; None for anything else (booleans, text, NaN)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _refuse(why: str) -> JournalInputError:
    return JournalInputError(f"plan record refused: {why}")


def _limits(spec: PlanSpec) -> tuple[float, float]:
    """(largest single dose, largest day total) a record of ``spec`` may hold, in mg.

    A single dose: the journal's bound on any one dose (``[journal_limits] max_dose_mg``, the label's
    maximum daily dose), as for a logged dose. A day: the label's maximum daily dose (``[limits]
    max_daily_mg``), or the spec's own regimen's daily total when that is larger: the journal makes a
    regimen above the label's maximum (with a warning for the prescriber), so its record may hold it;
    a record never holds more than its own spec prescribes or the label allows.
    """
    from gabacare.clinical.regimen import parse_regimen
    from gabacare.knowledge import load_monograph

    m = load_monograph()
    daily = float(m.limits.max_daily_mg)
    if spec.source in ("regimen", "taper") and spec.regimen:
        daily = max(daily, float(parse_regimen(spec.regimen).total_mg))
    return float(m.journal_limits.max_dose_mg), daily


def _checked_days(record: PlanRecord, spec: PlanSpec) -> list[tuple[date, list[tuple[time, float]]]]:
    """The record's days as (date, [(clock time, mg)]) after every check of :func:`imported_plan`."""
    from datetime import timedelta

    max_dose, max_day = _limits(spec)
    days = record.plan["days"]
    if not days:
        raise _refuse("it has no days")
    out: list[tuple[date, list[tuple[time, float]]]] = []
    for i, d in enumerate(days):
        try:
            want = spec.start + timedelta(days=i)
        except OverflowError:  # past the year 9999
            raise _refuse("its days run past the last date a calendar holds") from None
        if not isinstance(d, dict) or d.get("date") != want.isoformat() or type(d.get("day")) is not int \
                or d["day"] != i + 1:
            raise _refuse(f"its days must be consecutive dates from the spec's start {spec.start.isoformat()} "
                          f"(day {i + 1} should be {want.isoformat()})")
        doses = d.get("doses")
        if not isinstance(doses, list):
            raise _refuse(f"day {i + 1} has no list of doses")
        total = _number(d.get("total_mg"))
        parsed: list[tuple[time, float]] = []
        for x in doses:
            clock = x.get("time") if isinstance(x, dict) else None
            mg = _number(x.get("mg")) if isinstance(x, dict) else None
            if not isinstance(clock, str) or not _CLOCK_RE.fullmatch(clock):
                raise _refuse(f"day {i + 1} has a dose without a valid time (HH:MM)")
            at = time.fromisoformat(clock)
            if parsed and at <= parsed[-1][0]:
                raise _refuse(f"day {i + 1}'s doses must be in order of time, one per time")
            if mg is None or mg <= 0:
                raise _refuse(f"day {i + 1} has a dose that is not a number of mg above 0")
            if mg > max_dose:
                raise _refuse(f"day {i + 1} has a dose of {mg:g} mg, above the {max_dose:g} mg any one dose "
                              "can be (the label's maximum daily dose)")
            parsed.append((at, mg))
        summed = math.fsum(mg for _, mg in parsed)
        if total is None or abs(total - summed) > _SUM_TOLERANCE * max(1.0, summed):
            raise _refuse(f"day {i + 1}'s total_mg is not the sum of its doses")
        if summed > max_day:
            raise _refuse(f"day {i + 1} totals {summed:g} mg, above the {max_day:g} mg/day maximum "
                          "(the label's, or the spec's own regimen)")
        out.append((want, parsed))
    for s in record.plan.get("steps") or ():
        step_total = _number(s.get("total_mg")) if isinstance(s, dict) else None
        if step_total is None or not 0 <= step_total <= max_day:
            raise _refuse(f"a step's total_mg is not a number from 0 to {max_day:g}")
    return out


def imported_plan(spec: PlanSpec, text: Any) -> NewPlan:
    """The plan an export's ``record`` cell describes for ``spec``: the record kept as it is (its
    ``kb_version``, ``made_at`` and ``origin`` included) and the dose rows taken from its days, never
    a rebuild with today's rules.

    A file is untrusted input, so the record is checked first and refused with a
    ``JournalInputError`` (one line, no values but the doses' and dates' own) unless: it parses
    (:meth:`PlanRecord.from_text`); its ``made_at`` is a moment within the journal's years; its
    ``kind`` is the kind the spec's source makes and its ``label`` is text; its days are consecutive
    dates starting at the spec's start, numbered from 1; every dose has a valid ``HH:MM`` time (in
    order, one per time) and more than 0 mg, no more than the journal's bound on one dose
    (``[journal_limits] max_dose_mg``); each day's ``total_mg`` is the sum of its doses and within the
    daily bound (:func:`_limits`), as is each step's; and the rest (steps, dispense, citations,
    warnings, notes) reads as the plan pages read it (:meth:`PlanRecord.view`).
    """
    from gabacare.clinical.regimen import parse_regimen
    from gabacare.journal.model import NewPlan, ScheduledDose, check_moment

    if not isinstance(text, str) or not text.strip():
        raise _refuse("it must be the plan's record as text (JSON)")
    try:
        record = PlanRecord._decode(text)  # not from_text: a file's text is not kept in the decoded cache
    except JournalStorageError:
        raise _refuse("it is not valid JSON of a plan record (days, kb_version, made_at)") from None
    if record.made_at.tzinfo is not None:
        raise _refuse("made_at must be a local date and time without a time zone")
    try:
        check_moment(record.made_at, "made_at")
    except JournalInputError as exc:
        raise _refuse(str(exc)) from None
    kind = _SOURCE_KIND[spec.source]
    if record.plan.get("kind") != kind:
        raise _refuse(f"its kind must be {kind!r}, the kind of plan a {spec.source} spec makes")
    label = record.plan.get("label")
    if not isinstance(label, str) or not label.strip():
        raise _refuse("its label must be text")
    days = _checked_days(record, spec)
    for key in ("target_mg", "cap_mg"):
        value = record.plan.get(key)
        if value is not None and (_number(value) is None or not 0 <= value <= max(_limits(spec))):
            raise _refuse(f"its {key} must be empty or a number of mg within the daily maximum")
    if not isinstance(record.plan.get("notice", ""), str):
        raise _refuse("its notice must be text")
    for key in ("warnings", "notes"):
        items = record.plan.get(key, [])
        if not isinstance(items, list) or not all(isinstance(w, str) for w in items):
            raise _refuse(f"its {key} must be a list of texts")
    try:
        record.view()
        cites = record.plan.get("citations", [])
        if not isinstance(cites, list) or not all(isinstance(c, dict) and isinstance(c.get("source"), str)
                                                  for c in cites):
            raise TypeError("citations")
    except (KeyError, TypeError, ValueError, AttributeError):
        raise _refuse("its steps, dispense or citations cannot be read") from None
    continues = parse_regimen(spec.regimen or "").repeat if spec.source == "regimen" else spec.source == "titrate"
    doses = tuple(ScheduledDose(datetime.combine(day, at), mg) for day, items in days for at, mg in items)
    return NewPlan(kind=kind, spec=spec, label=label, start=days[0][0], end=days[-1][0], continues=continues,
                   doses=doses, warnings=record.warnings, made=record)


@record
class DayDifference:
    """One day whose doses differ: ``then`` as recorded, ``now`` as today's rules make it
    (each ``(HH:MM, mg)``; empty when the day is not in that plan)."""

    date: date
    then: tuple[tuple[str, float], ...]
    now: tuple[tuple[str, float], ...]

    def to_json(self) -> dict[str, Any]:
        return {"date": self.date.isoformat(), "then": [{"time": t, "mg": mg} for t, mg in self.then],
                "now": [{"time": t, "mg": mg} for t, mg in self.now]}


@record
class PlanRecheck:
    """A stored plan's record against the plan today's rules make from the same spec.

    ``refused`` is today's rules' reason when they no longer make the spec at all (then ``days``,
    ``warnings_added`` and ``kb_now`` compare against nothing). The record is never changed.
    """

    plan_id: int
    patient_id: int
    made_at: datetime
    kb_then: str
    kb_now: str
    days: tuple[DayDifference, ...] = ()
    warnings_added: tuple[str, ...] = ()
    warnings_removed: tuple[str, ...] = ()
    refused: str | None = None
    checked_at: datetime | None = None

    @property
    def same(self) -> bool:
        """True when today's rules make the same days, doses and warnings."""
        return self.refused is None and not self.days and not self.warnings_added and not self.warnings_removed

    def to_json(self) -> dict[str, Any]:
        return {"plan_id": self.plan_id, "patient": self.patient_id, "same": self.same,
                "made_at": self.made_at.isoformat(timespec="minutes"), "kb_version_then": self.kb_then,
                "kb_version_now": self.kb_now, "kb_changed": self.kb_then != self.kb_now,
                "days": [d.to_json() for d in self.days], "warnings_added": list(self.warnings_added),
                "warnings_removed": list(self.warnings_removed), "refused": self.refused,
                "checked_at": None if self.checked_at is None else self.checked_at.isoformat(timespec="minutes")}


def compare(then: PlanRecord, now: PlanRecord | None, *, plan_id: int, patient_id: int, kb_now: str,
            refused: str | None = None, checked_at: datetime | None = None) -> PlanRecheck:
    """How ``now`` (today's rules' plan for the same spec; None when ``refused``) differs from ``then``."""
    if now is None:
        return PlanRecheck(plan_id, patient_id, then.made_at, then.kb_version, kb_now, refused=refused,
                           checked_at=checked_at)
    a, b = then.day_doses(), now.day_doses()
    days = tuple(DayDifference(d, a.get(d, ()), b.get(d, ())) for d in sorted(set(a) | set(b))
                 if a.get(d, ()) != b.get(d, ()))
    return PlanRecheck(plan_id, patient_id, then.made_at, then.kb_version, kb_now, days=days,
                       warnings_added=_missing(now.warnings, then.warnings),
                       warnings_removed=_missing(then.warnings, now.warnings), checked_at=checked_at)


def _missing(these: Sequence[str], from_those: Sequence[str]) -> tuple[str, ...]:
    those = set(from_those)
    return tuple(w for w in these if w not in those)
