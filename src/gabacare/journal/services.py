"""Journal use cases: the functions the CLI and the web app call (through :mod:`gabacare.composition`).

:class:`Journal` wraps a :class:`~gabacare.journal.repository.JournalRepository` and a clock. It
validates every input before anything is written, calls the clinical core (plans, triage, renal
check) and the pure analysis, and returns values (dataclasses) for the faces to render.

Handles patient data: nothing here logs; errors name fields and rules, never values.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Literal, get_args

from gabacare.journal import analysis, settings, transfer
from gabacare.journal.errors import ImportValidationError, JournalInputError
from gabacare.journal.model import (
    DOSE_STATUSES,
    DoseStatus,
    Entry,
    EntryData,
    EntryKind,
    NewPatient,
    NewPlan,
    Patient,
    PlanSpec,
    ScheduledDose,
    Sex,
    StoredPlan,
    day_bounds,
    to_local_naive,
    validate_entry,
    validate_patient,
)
from gabacare.journal.repository import JournalRepository, Progress
from gabacare.journal.schedule import plan_in_force, planned_daily_mg, scheduled_doses

if TYPE_CHECKING:
    from gabacare.journal.kidney import KidneyFunction

__all__ = [
    "Journal",
    "LabResult",
    "PlanResult",
    "RenalRecheck",
    "SideEffectResult",
    "TodayDose",
    "TodayView",
    "TrendsReport",
    "build_plan",
]

Clock = Callable[[], datetime]


def _local_now() -> datetime:
    return datetime.now()


@dataclass(frozen=True)
class PlanResult:
    """A stored plan and the clinical core's plan it came from (for display: steps, citations)."""

    stored: StoredPlan
    plan: Any


@dataclass(frozen=True)
class SideEffectResult:
    """A logged side effect with the core's triage of it; ``emergency`` means act now."""

    entry: Entry
    recognized: bool
    urgency: str | None
    advice: str
    emergency: bool
    citations: tuple[Any, ...]


@dataclass(frozen=True)
class RenalRecheck:
    """The renal check of the plan in force, re-run with a new serum creatinine."""

    crcl_ml_min: float
    ok: bool
    problems: tuple[dict[str, str], ...]
    checked_regimens: tuple[str, ...]
    citations: tuple[Any, ...]


@dataclass(frozen=True)
class LabResult:
    """A logged lab value; ``renal`` is the re-run check (None with ``renal_skipped`` saying why)."""

    entry: Entry
    renal: RenalRecheck | None
    renal_skipped: str | None


@dataclass(frozen=True)
class TodayDose:
    at: datetime
    mg: float
    status: Literal["taken", "late", "skipped", "missed", "due", "upcoming"]
    taken_at: datetime | None
    taken_mg: float | None
    on_time: bool


@dataclass(frozen=True)
class TodayView:
    date: date
    plan_kind: str | None
    plan_label: str | None
    planned_mg: float
    taken_mg: float
    doses: tuple[TodayDose, ...]
    extra_doses: tuple[Entry, ...]
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class TrendsReport:
    start: date
    end: date
    window_days: int
    scales: dict[str, list[analysis.TrendPoint]]
    dose_response: analysis.DoseResponse


def build_plan(spec: PlanSpec) -> tuple[NewPlan, Any]:
    """Make the plan a spec describes with the clinical core, flattened to its dose schedule."""
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
    new = NewPlan(kind=plan.kind, spec=spec, label=plan.label, start=plan.days[0].date, end=plan.days[-1].date,
                  continues=continues, doses=doses, warnings=tuple(plan.warnings))
    return new, plan


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
    if isinstance(value, bool):
        raise JournalInputError(f"{what} must be a number")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise JournalInputError(f"{what} must be a number") from None
        if not math.isfinite(number):
            raise JournalInputError(f"{what} must be a finite number")
        return number
    raise JournalInputError(f"{what} must be a number")


def _parse_str(value: Any, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise JournalInputError(f"{what} must be text")
    return value


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
        new, plan = build_plan(spec)
        stored = self.repo.add_plan(patient_id, new, created_at=self.clock())
        return PlanResult(stored, plan)

    def plans(self, patient_id: int) -> list[StoredPlan]:
        return self.repo.list_plans(patient_id)

    def active_plan(self, patient_id: int, on: date | None = None) -> StoredPlan | None:
        """The plan in force on ``on`` (default: today)."""
        return plan_in_force(self.repo.list_plans(patient_id), on or self.clock().date())

    # -- entries --------------------------------------------------------------------------------
    def _prepare(self, data: EntryData) -> EntryData:
        data = validate_entry(data, now=self.clock())
        if data.kind == "side_effect":
            from gabacare.clinical.triage import triage

            data = replace(data, urgency=triage([data.text or ""]).results[0].urgency)
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

    def log_dose(self, patient_id: int, mg: float, *, at: datetime | None = None, status: DoseStatus = "taken") -> Entry:
        """Log a dose event (taken, late or skipped) with the mg actually taken."""
        if status not in DOSE_STATUSES:
            raise JournalInputError(f"dose status must be one of {', '.join(DOSE_STATUSES)}")
        return self._add(patient_id, EntryData("dose", self._at(at), mg=mg, status=status))

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
        from gabacare.clinical.triage import triage

        entry = self.log_note(patient_id, text, at=at)
        result = triage([entry.data.text or ""]).results[0]
        return SideEffectResult(entry, result.recognized, result.urgency, result.advice,
                                result.urgency == "emergency", tuple(result.citations))

    def log_side_effect(self, patient_id: int, text: str, *, at: datetime | None = None) -> SideEffectResult:
        """Log a side effect; the core's triage flags an emergency at once."""
        from gabacare.clinical.triage import triage

        entry = self._add(patient_id, EntryData("side_effect", self._at(at), text=text))
        result = triage([entry.data.text or ""]).results[0]
        return SideEffectResult(entry, result.recognized, result.urgency, result.advice,
                                result.urgency == "emergency", tuple(result.citations))

    def log_lab(
        self, patient_id: int, test: str, value: float, *, unit: str | None = None, at: datetime | None = None
    ) -> LabResult:
        """Log a lab value; serum creatinine re-runs the renal check against the plan in force."""
        patient = self.repo.get_patient(patient_id)
        data = self._prepare(EntryData("lab", self._at(at), name=test, value=value, unit=unit))
        entry = self.repo.add_entry(patient_id, data, recorded_at=self.clock())
        if entry.data.name != "creatinine":
            return LabResult(entry, None, "only serum creatinine re-runs the renal check")
        renal, why = self.renal_recheck(patient, entry)
        return LabResult(entry, renal, why)

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
        """Change fields of an entry (``at``, ``mg``, ``status``, ``name``, ``value``, ``unit``, ``text``).

        The previous version is kept: :meth:`history` returns every version.
        """
        allowed = {"at", "mg", "status", "name", "value", "unit", "text"}
        bad = set(changes) - allowed
        if bad:
            raise JournalInputError(f"cannot edit field(s) {', '.join(sorted(bad))}")
        current = self.repo.get_entry(patient_id, entry_id)
        data = self._prepare(replace(current.data, **changes))
        return self.repo.update_entry(patient_id, entry_id, data, recorded_at=self.clock())

    def history(self, patient_id: int, entry_id: int) -> list[Entry]:
        return self.repo.entry_history(patient_id, entry_id)

    def entries(
        self, patient_id: int, *, start: date | None = None, end: date | None = None,
        kinds: Sequence[EntryKind] | None = None,
    ) -> list[Entry]:
        lo = datetime.combine(start, time(0, 0)) if start else None
        hi = datetime.combine(end + timedelta(days=1), time(0, 0)) if end else None
        return self.repo.list_entries(patient_id, start=lo, end=hi, kinds=kinds)

    def dose_events(
        self, patient_id: int, *, start: datetime | None = None, end: datetime | None = None
    ) -> list[tuple[datetime, float]]:
        """Doses actually taken (taken or late) as ``(time, mg)`` pairs in time order, e.g. for PK simulation."""
        return [(e.at, e.data.mg or 0.0)
                for e in self.repo.list_entries(patient_id, start=start, end=end, kinds=["dose"])
                if e.data.status in ("taken", "late")]

    # -- views and analysis -----------------------------------------------------------------------
    def _period(self, patient_id: int, start: date | None, end: date | None) -> tuple[date, date]:
        today = self.clock().date()
        if start is None:
            firsts = [p.plan.start for p in self.repo.list_plans(patient_id)]
            first_entry = self.repo.list_entries(patient_id)[:1]
            firsts += [e.at.date() for e in first_entry]
            start = min(firsts, default=end or today)
        end = end or max(today, start)
        if start > end:
            raise JournalInputError("the period's start (--from) is after its end (--to)")
        return start, end

    def today(self, patient_id: int, *, on: date | None = None) -> TodayView:
        """What is due on a day (default today), what was taken, and what else was logged."""
        now = self.clock()
        day = on or now.date()
        plans = self.repo.list_plans(patient_id)
        lo, hi = day_bounds(day, day)
        entries = self.repo.list_entries(patient_id, start=lo, end=hi)
        sched = scheduled_doses(plans, day, day)
        doses = [e for e in entries if e.kind == "dose"]
        taken = [e for e in doses if e.data.status in ("taken", "late")]
        matches, extra = analysis.match_doses(sched, taken, window=settings.ON_TIME_WINDOW)
        skipped_left = [e for e in doses if e.data.status == "skipped"]
        unmatched = [m.scheduled for m in matches if m.logged is None]
        skip_matches, _ = analysis.match_doses(unmatched, skipped_left, window=settings.ON_TIME_WINDOW)
        skipped_at = {id(m.scheduled): m.logged for m in skip_matches if m.logged is not None}
        rows: list[TodayDose] = []
        for m in matches:
            s = m.scheduled
            if m.logged is not None:
                status: Any = "late" if m.logged.data.status == "late" else "taken"
                rows.append(TodayDose(s.at, s.mg, status, m.logged.at, m.logged.data.mg, m.on_time))
                continue
            skip = skipped_at.get(id(s))
            if skip is not None:
                rows.append(TodayDose(s.at, s.mg, "skipped", skip.at, skip.data.mg, False))
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
            doses=tuple(rows), extra_doses=tuple(extra), entries=tuple(entries),
        )

    def adherence(self, patient_id: int, *, start: date | None = None, end: date | None = None) -> analysis.AdherenceReport:
        """Adherence over a period (default: from the first plan or entry to today)."""
        start, end = self._period(patient_id, start, end)
        plans = self.repo.list_plans(patient_id)
        lo, hi = day_bounds(start, end)
        doses = self.repo.list_entries(patient_id, start=lo, end=hi, kinds=["dose"])
        return analysis.adherence(scheduled_doses(plans, start, end), doses, start=start, end=end, now=self.clock())

    def trends(
        self, patient_id: int, *, start: date | None = None, end: date | None = None,
        scales: Sequence[str] | None = None,
    ) -> TrendsReport:
        """Rolling means of each score and the dose-response view over a period."""
        from gabacare.knowledge import load_monograph

        start, end = self._period(patient_id, start, end)
        plans = self.repo.list_plans(patient_id)
        lo, hi = day_bounds(start, end)
        entries = self.repo.list_entries(patient_id, start=lo, end=hi, kinds=["symptom", "dose"])
        wanted = None if not scales else {s.strip().lower().replace("-", "_").replace(" ", "_") for s in scales}
        symptoms = [e for e in entries if e.kind == "symptom" and (wanted is None or e.data.name in wanted)]
        taken: dict[date, float] = {}
        for e in entries:
            if e.kind == "dose" and e.data.status in ("taken", "late"):
                taken[e.at.date()] = taken.get(e.at.date(), 0.0) + (e.data.mg or 0.0)
        planned = planned_daily_mg(plans, start - timedelta(days=1), end)
        w = load_monograph().withdrawal
        return TrendsReport(
            start=start, end=end, window_days=settings.ROLLING_WINDOW_DAYS, scales=analysis.trends(symptoms),
            dose_response=analysis.dose_response(symptoms, taken, planned, withdrawal_onset_min_h=w.onset_min_h,
                                                 withdrawal_onset_max_h=w.onset_max_h),
        )

    # -- import / export ------------------------------------------------------------------------
    def export(self, patient_id: int, fmt: transfer.Format) -> str:
        """The patient's plans and entries as CSV or JSON text (round-trips through :meth:`import_text`)."""
        if fmt not in get_args(transfer.Format):
            raise JournalInputError("format must be csv or json")
        return transfer.dump(self.repo.list_plans(patient_id), self.repo.list_entries(patient_id), fmt)

    def _row(self, fields: dict[str, Any]) -> EntryData | NewPlan:
        kind = _parse_str(fields.get("kind"), "kind")
        kind = (kind or "").strip().lower().replace("-", "_")
        if kind == "plan":
            spec = PlanSpec.from_text(_parse_str(fields.get("text"), "plan text") or "")
            at = _parse_str(fields.get("at"), "at")
            if at is None or at.strip() != spec.start.isoformat():
                raise JournalInputError("a plan row's 'at' must equal its spec's start date")
            return build_plan(spec)[0]
        data = EntryData(
            kind=kind,  # type: ignore[arg-type]  # validate_entry checks it
            at=_parse_at(fields.get("at")),
            mg=_parse_num(fields.get("mg"), "mg"),
            status=_parse_str(fields.get("status"), "status"),  # type: ignore[arg-type]
            name=_parse_str(fields.get("name"), "name"),
            value=_parse_num(fields.get("value"), "value"),
            unit=_parse_str(fields.get("unit"), "unit"),
            text=_parse_str(fields.get("text"), "text"),
        )
        return self._prepare(data)

    def import_text(
        self, patient_id: int, text: str, fmt: transfer.Format, *, progress: Progress | None = None
    ) -> dict[str, int]:
        """Validate every row, then write all of them in one transaction (or nothing).

        Raises ``ImportValidationError`` listing every bad row with its line number.
        """
        self.repo.get_patient(patient_id)
        rows = transfer.parse(text, fmt)
        plans: list[NewPlan] = []
        entries: list[EntryData] = []
        problems: list[tuple[int, str]] = []
        from gabacare.clinical.errors import ClinicalInputError

        for row in rows:
            try:
                item = self._row(row.fields)
            except (JournalInputError, ClinicalInputError) as exc:
                problems.append((row.line, str(exc)))
                continue
            (plans if isinstance(item, NewPlan) else entries).append(item)  # type: ignore[arg-type]
        if problems:
            raise ImportValidationError(problems)
        written = self.repo.add_batch(patient_id, plans=plans, entries=entries, recorded_at=self.clock(),
                                      progress=progress)
        return {"entries": written, "plans": len(plans)}


def _crcl_cap() -> float:
    from gabacare.knowledge import load_monograph

    return load_monograph().renal.plausible.crcl_max_ml_min
