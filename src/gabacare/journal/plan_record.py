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
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any, Literal

from gabacare.journal.errors import JournalStorageError

if TYPE_CHECKING:
    from gabacare.clinical.pills import DispenseLine
    from gabacare.clinical.plan import Plan, PlanDay, PlanStep
    from gabacare.journal.model import NewPlan, StoredPlan
    from gabacare.knowledge import Citation

__all__ = ["PlanRecheck", "PlanRecord", "RecordedPlanView", "compare", "record_from_rows", "record_of", "record_plan"]

RecordOrigin = Literal["made", "upgrade", "rows"]
_ORIGINS: tuple[RecordOrigin, ...] = ("made", "upgrade", "rows")
# Keys the record adds to the core plan's JSON (a core key of the same name would be shadowed).
_OWN_KEYS = ("kb_version", "made_at", "origin")


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class DayDifference:
    """One day whose doses differ: ``then`` as recorded, ``now`` as today's rules make it
    (each ``(HH:MM, mg)``; empty when the day is not in that plan)."""

    date: date
    then: tuple[tuple[str, float], ...]
    now: tuple[tuple[str, float], ...]

    def to_json(self) -> dict[str, Any]:
        return {"date": self.date.isoformat(), "then": [{"time": t, "mg": mg} for t, mg in self.then],
                "now": [{"time": t, "mg": mg} for t, mg in self.now]}


@dataclass(frozen=True)
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
