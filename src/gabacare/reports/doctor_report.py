"""The doctor's report as data: one period of a patient's journal, gathered for a clinician.

:func:`build_report` reads the journal and runs the clinical core; it returns a
:class:`DoctorReport`, a tree of frozen dataclasses that :mod:`gabacare.reports.render` turns into
HTML or PDF and :meth:`DoctorReport.to_json` into one JSON object. Nothing here draws or formats.

Sections and where their statements come from:

=================  ===========================================================================
section            source
=================  ===========================================================================
emergencies        side effects logged in the period, triaged by the core (label §5, §6)
plan               the stored plans in force in the period and the core's plan citations
adherence          logged doses against the plan's schedule (journal definitions, no clinical fact)
dose / trends      daily mg and score rolling means; steps of the planned daily dose, with the
                   withdrawal watch window after a reduction (knowledge base ``[withdrawal]``, label §5.5)
side effects       every side effect in the period with the core's triage, emergencies first
medicines          names the caller passes (the journal keeps no medicine list), ``check_interactions``
renal              the latest serum creatinine on or before the period's end, Cockcroft-Gault,
                   ``renal_limits`` and ``check_regimen`` of the regimen in force on the last day (label §2.3)
invalid entries    stored entries of the period that today's rules refuse (an older version wrote
                   them): left out of every section above, listed by id and rule
=================  ===========================================================================

Handles patient data (names, doses, scores, notes): nothing here logs, and errors name the field
and the rule, never a value.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import fields, is_dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from gabacare._record import record
from gabacare.journal import analysis, settings
from gabacare.journal.schedule import plan_in_force, planned_daily_mg, scheduled_doses
from gabacare.knowledge import Citation, load_monograph

if TYPE_CHECKING:
    from gabacare.clinical.taper_watch import WatchResult
    from gabacare.journal.model import Entry, InvalidEntry, Patient, StoredPlan
    from gabacare.journal.services import Journal

__all__ = [
    "DEFAULT_PERIOD_DAYS",
    "NOTES_SHOWN",
    "AdherenceSection",
    "DailyDose",
    "DoctorReport",
    "MedicineFinding",
    "MedicinesSection",
    "NoteRow",
    "PatientSummary",
    "PlanChange",
    "PlanSummary",
    "RenalProblem",
    "RenalSection",
    "ScaleTrend",
    "SideEffectRow",
    "TrendRow",
    "TriggerCount",
    "WeekRow",
    "build_report",
    "default_period",
]

DEFAULT_PERIOD_DAYS: Final = 28
"""Days a report covers when no start is given (a four-week review; ends on the given last day)."""

NOTES_SHOWN: Final = 5
"""How many of the period's latest notes the report shows."""

JOURNAL_SOURCE: Final = "the patient's journal (entries as logged)"
"""How the report names data that come from the journal rather than from a cited source."""

_URGENCY_RANK: Final = {"emergency": 0, "contact_prescriber": 1, None: 2, "expected": 3}


# -- values ------------------------------------------------------------------------------------------
@record
class PatientSummary:
    """Who the report is about; ``age_years`` is the age on the period's last day."""

    id: int
    name: str
    birth_date: date | None
    age_years: float | None
    sex: str | None
    weight_kg: float | None


@record
class PlanSummary:
    """A stored plan that was in force on at least one day of the period."""

    id: int
    kind: str
    label: str
    start: date
    end: date
    continues: bool
    set_at: datetime
    first_day_in_period: date
    last_day_in_period: date
    warnings: tuple[str, ...]
    citations: tuple[Citation, ...]
    # The knowledge base version the plan was made with (its record, journal/plan_record.py).
    kb_version: str = ""


@record
class PlanChange:
    """A change of the planned daily total (mg/day) on ``date``; after a reduction, the withdrawal watch window."""

    date: date
    from_mg: float
    to_mg: float
    direction: str
    plan_label: str | None
    withdrawal_from: datetime | None
    withdrawal_until: datetime | None
    effect: str | None = None
    """One sentence on what the scores did in the days before and after the step (:func:`step_sentence`)."""


@record
class DoseCheck:
    """A logged dose, or a day's total, to check: when, the mg, and why (with the label's source)."""

    at: datetime
    mg: float
    why: str
    citation: Citation


@record
class WeekRow:
    """One ISO week (Monday start, clipped to the period) of adherence."""

    week_start: date
    scheduled: int
    taken: int
    on_time: int
    adherence_pct: float | None
    on_time_pct: float | None


@record
class AdherenceSection:
    """Doses taken ÷ doses scheduled and due by the report's ``now`` (see :mod:`gabacare.journal.analysis`)."""

    scheduled: int
    taken: int
    on_time: int
    skipped: int
    extra: int
    adherence_pct: float | None
    on_time_pct: float | None
    on_time_window_min: int
    longest_missed_streak: int
    planned_mg: float
    taken_mg: float
    weeks: tuple[WeekRow, ...]
    prn_doses: int = 0
    """As-needed doses in the period, counted apart (their mg are in ``taken_mg``)."""
    prn_mg: float = 0.0


@record
class DailyDose:
    """Planned and taken mg on one day."""

    date: date
    planned_mg: float
    taken_mg: float


@record
class TrendRow:
    """A scale's daily mean (``n`` scores) and its trailing rolling mean."""

    date: date
    mean: float
    n: int
    rolling_mean: float


@record
class ScaleTrend:
    """One symptom scale over the period: daily means, rolling mean, and score vs mg taken."""

    scale: str
    unit: str
    points: tuple[TrendRow, ...]
    first_rolling: float | None
    last_rolling: float | None
    slope_per_100mg: float | None
    correlation: float | None


@record
class SideEffectRow:
    """A side effect as logged and the core's triage of it (``emergency``: act now)."""

    at: datetime
    text: str
    recognized: bool
    urgency: str | None
    title: str | None
    advice: str
    emergency: bool
    citations: tuple[Citation, ...]


@record
class TriggerCount:
    tag: str
    count: int
    last_at: datetime


@record
class NoteRow:
    at: datetime
    text: str


@record
class MedicineFinding:
    """``check_interactions`` for one other medicine (``known=False`` is never "no interaction")."""

    input: str
    known: bool
    ingredients: tuple[str, ...]
    class_title: str | None
    severity: str | None
    action: str | None
    advice: str
    citations: tuple[Citation, ...]


@record
class MedicinesSection:
    """Other medicines given for the report; ``recorded`` is False when none were given."""

    recorded: bool
    findings: tuple[MedicineFinding, ...]
    most_severe: str | None
    warnings: tuple[str, ...]
    citations: tuple[Citation, ...]


@record
class RenalProblem:
    code: str
    message: str
    severity: str
    citations: tuple[Citation, ...]


@record
class RenalSection:
    """Kidney function and the renal check of the regimen in force on the period's last day.

    ``status``: ``checked``; ``no_lab`` (no serum creatinine on or before the last day);
    ``incomplete_profile`` (birth date, sex or weight missing); ``not_applicable`` (Cockcroft-Gault
    refuses the inputs). ``message`` says why when not checked. ``ok`` is None when nothing was checked
    or no plan was in force.
    """

    status: str
    message: str | None
    lab_at: datetime | None
    scr_value: float | None
    scr_unit: str | None
    days_before_end: int | None
    crcl_ml_min: float | None
    band: str | None
    min_daily_mg: float | None
    max_daily_mg: float | None
    doses_per_day: int | None
    regimen: str | None
    regimen_total_mg: float | None
    ok: bool | None
    problems: tuple[RenalProblem, ...]
    citations: tuple[Citation, ...]


@record
class DoctorReport:
    """Everything the doctor's report shows, as data (see the module docstring for the sections)."""

    patient: PatientSummary
    start: date
    end: date
    generated_at: datetime
    plans: tuple[PlanSummary, ...]
    plan_changes: tuple[PlanChange, ...]
    current_regimen: str | None
    adherence: AdherenceSection
    daily_mg: tuple[DailyDose, ...]
    window_days: int
    trends: tuple[ScaleTrend, ...]
    side_effects: tuple[SideEffectRow, ...]
    triggers: tuple[TriggerCount, ...]
    notes: tuple[NoteRow, ...]
    notes_total: int
    medicines: MedicinesSection
    renal: RenalSection
    withdrawal_citations: tuple[Citation, ...]
    notice: str
    invalid_entries: tuple[InvalidEntry, ...] = ()
    """Entries of the period left out because today's rules refuse them (by id, with the rule)."""
    watch: WatchResult | None = None
    """The withdrawal watch over the latest taper step (``gabacare.app.report``), None outside a taper."""
    dose_checks: tuple[DoseCheck, ...] = ()
    """Doses accepted but worth a second look: a single dose above the label's largest, a day above
    the label's maximum daily dose (issue 18: shown, never silently counted)."""
    levels: Any = None
    """What the measured gabapentin levels say (``gabacare.app.estimate.EstimateAnswer``, set by
    ``gabacare.app.report``), None when no level is logged."""
    supply: Any = None
    """Pills on hand, the run-out date, the refill reminder and the pick-up list
    (``gabacare.journal.refills.SupplyView``, set by ``gabacare.app.report``; JSON key ``supply``),
    None when the report was built without it."""

    @property
    def emergencies(self) -> tuple[SideEffectRow, ...]:
        """Side effects triaged as emergencies (they are also first in ``side_effects``)."""
        return tuple(s for s in self.side_effects if s.emergency)

    @property
    def citations(self) -> tuple[Citation, ...]:
        """Every citation the report's statements rest on, once each, in order of first use."""
        groups: list[Iterable[Citation]] = [
            *(s.citations for s in self.side_effects), *(p.citations for p in self.plans),
            self.withdrawal_citations if any(c.direction == "down" for c in self.plan_changes) else (),
            self.medicines.citations, self.renal.citations, self.watch.citations if self.watch else (),
            self.levels.citations if self.levels is not None else (), (c.citation for c in self.dose_checks),
            self.supply.forecast.citations if self.supply is not None and self.supply.forecast.tracked else (),
        ]
        return tuple(dict.fromkeys(c for g in groups for c in g))

    def to_json(self) -> dict[str, Any]:
        """One JSON-ready object: every field, plus ``emergency``, ``emergencies`` and ``citations``."""
        out = {f.name: _plain(getattr(self, f.name)) for f in fields(self) if f.name not in ("watch", "levels", "supply")}
        out["watch"] = _plain(self.watch.to_json()) if self.watch is not None else None
        out["levels"] = _plain(self.levels.to_json()) if self.levels is not None else None
        out["supply"] = _plain(self.supply.to_json()) if self.supply is not None else None
        out["from"] = out.pop("start")
        out["to"] = out.pop("end")
        out["emergency"] = bool(self.emergencies)
        out["emergencies"] = _plain(self.emergencies)
        out["citations"] = _plain(self.citations)
        return out


def _plain(value: Any) -> Any:
    if isinstance(value, Citation):
        src = load_monograph().sources.get(value.source)
        return {"source": value.source, "section": value.section, "text": value.render(),
                "title": src.title if src else None}
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return value


# -- building ------------------------------------------------------------------------------------------
def default_period(end: date, start: date | None = None) -> tuple[date, date]:
    """``(start, end)`` with ``start`` defaulting to ``DEFAULT_PERIOD_DAYS`` days ending on ``end``."""
    return (start if start is not None else end - timedelta(days=DEFAULT_PERIOD_DAYS - 1)), end


def build_report(
    journal: Journal,
    patient_id: int,
    *,
    start: date,
    end: date,
    now: datetime,
    medicines: Sequence[str] = (),
) -> DoctorReport:
    """Gather the doctor's report for ``start``..``end`` (inclusive) as of ``now`` (naive local time).

    Parameters
    ----------
    journal
        The journal service (:func:`gabacare.composition.journal`).
    patient_id
        The patient; an unknown id raises ``UnknownPatientError`` (a ``LookupError``).
    start, end
        The period, bounded by :meth:`Journal.period` (moved to the first record; longer than
        ``[journal_limits] max_period_days`` or ``start`` after ``end`` raises ``JournalInputError``).
    now
        Doses scheduled after ``now`` are not yet counted as due (adherence).
    medicines
        Other medicines the patient takes (the journal keeps no list); each is checked with
        :func:`gabacare.clinical.check_interactions`. Empty means "none recorded".

    Returns
    -------
    DoctorReport
        Pure data; render with :func:`gabacare.reports.render.render_html` or ``render_pdf``.
    """
    patient = journal.get_patient(patient_id)
    # Bounded work: a start before the first record is moved to it; a period over the journal's
    # maximum span is refused (Journal.period, [journal_limits] max_period_days).
    plans = journal.plans(patient_id)
    start, end = journal.period(patient_id, start, end, plans=plans)
    # Bounded work: the period is read once and every section shares it (issue 18). A dose counts on
    # the day of the planned dose it answers (its slot), which may lie a day away from when it was
    # taken: the days around the period are read too (analysis.adherence filters them).
    around = journal.entries(patient_id, start=start - timedelta(days=1), end=end + timedelta(days=1))
    entries = [e for e in around if start <= e.at.date() <= end]
    age = patient.age_on(end)
    doses = [e for e in around if e.kind == "dose"]
    adh = analysis.adherence(scheduled_doses(plans, start, end), doses, start=start, end=end, now=now)
    w = load_monograph().withdrawal
    trends = _PeriodTrends(*analysis.period_trends(
        entries, planned_daily_mg(plans, start - timedelta(days=1), end),
        withdrawal_onset_min_h=w.onset_min_h, withdrawal_onset_max_h=w.onset_max_h))
    in_force = plan_in_force(plans, end)

    return DoctorReport(
        patient=PatientSummary(patient.id, patient.name, patient.birth_date, age, patient.sex, patient.weight_kg),
        start=start,
        end=end,
        generated_at=now,
        plans=_plans(plans, start, end),
        plan_changes=tuple(
            PlanChange(s.at.date(), s.from_mg, s.to_mg, s.direction,
                       (p.plan.label if (p := plan_in_force(plans, s.at.date())) else None),
                       s.withdrawal_from, s.withdrawal_until, step_sentence(s, trends.window_days))
            for s in trends.dose_response.steps if start <= s.at.date() <= end
        ),
        current_regimen=_regimen_text(in_force, end),
        adherence=AdherenceSection(
            adh.scheduled, adh.taken, adh.on_time, adh.skipped, adh.extra, adh.adherence_pct, adh.on_time_pct,
            adh.on_time_window_min, adh.longest_missed_streak, adh.planned_mg, adh.taken_mg,
            tuple(WeekRow(x.week_start, x.scheduled, x.taken, x.on_time, x.adherence_pct, x.on_time_pct)
                  for x in adh.weeks),
            adh.prn_doses, adh.prn_mg,
        ),
        daily_mg=tuple(DailyDose(d.date, d.planned_mg, d.taken_mg) for d in adh.days),
        window_days=trends.window_days,
        trends=_trends(trends.scales, trends.dose_response.scales),
        side_effects=_side_effects(e for e in entries if e.kind == "side_effect"),
        triggers=_triggers(e for e in entries if e.kind == "trigger"),
        notes=tuple(NoteRow(e.at, e.data.text or "") for e in sorted(
            (e for e in entries if e.kind == "note"), key=lambda e: (e.at, e.id), reverse=True)[:NOTES_SHOWN]),
        notes_total=sum(1 for e in entries if e.kind == "note"),
        medicines=_medicines(medicines, age),
        renal=_renal(journal, patient, in_force, end),
        withdrawal_citations=tuple(w.citations),
        notice=load_monograph().notice_text,
        invalid_entries=tuple(journal.invalid_entries(patient_id, start=start, end=end)),
        dose_checks=_dose_checks([e for e in doses if start <= e.at.date() <= end], adh.days),
    )


@record
class _PeriodTrends:
    """What the report takes from the period's trends (the fields of ``Journal.trends``' answer)."""

    scales: dict[str, list[analysis.TrendPoint]]
    dose_response: analysis.DoseResponse
    window_days: int = settings.ROLLING_WINDOW_DAYS


def _dose_checks(doses: Sequence[Entry], days: Sequence[Any]) -> tuple[DoseCheck, ...]:
    """Single doses with a warning (``Entry.warnings``: above the label's largest single dose) and days
    whose taken total is above the label's maximum daily dose (``[limits].max_daily_mg``), by time."""
    m = load_monograph()
    out = [DoseCheck(e.at, e.data.mg or 0.0, w, m.journal_limits.warn_dose_citation)
           for e in doses if e.data.status in ("taken", "late") for w in e.warnings]
    top = m.limits.max_daily_mg
    out += [DoseCheck(datetime.combine(d.date, datetime.min.time()), d.taken_mg,
                      f"{d.taken_mg:g} mg taken on one day is more than the label's maximum of {top:g} mg/day: "
                      "check the entries of that day", m.limits.max_daily_citation)
            for d in days if d.taken_mg > top]
    return tuple(sorted(out, key=lambda c: c.at))


def step_sentence(step: analysis.StepEffect, days: int) -> str | None:
    """What each scale did around a dose step, in one sentence a clinician can read, or None when no
    scale has scores on both sides.

    >>> from datetime import datetime
    >>> s = analysis.StepEffect(datetime(2026, 3, 1), 900, 1200, "up", {"spasm_count": 8.1}, {"spasm_count": 5.3},
    ...                         None, None, None, {"spasm_count": 7}, {"spasm_count": 6}, {"spasm_count": 1.2})
    >>> print(step_sentence(s, 7))  # doctest: +NORMALIZE_WHITESPACE
    After 900 → 1200 mg/day, spasms per day fell from 8.1 to 5.3 (−2.8 ± 1.2, 95% interval; 7 and 6 scores)
    in the 7 days before and after.
    """
    parts = []
    for scale in sorted(step.before):
        b, a, change = step.before.get(scale), step.after.get(scale), step.change(scale)
        if a is None or b is None or change is None:
            continue
        what = "spasms per day" if scale == "spasm_count" else scale.replace("_", " ")
        verb = "fell" if change < 0 else "rose" if change > 0 else "stayed"
        ci = step.change_ci95.get(scale)
        spread = f" ± {ci:.1f}, 95% interval" if ci is not None else ""
        counts = f"{step.before_n.get(scale, 0)} and {step.after_n.get(scale, 0)} scores"
        level = f"at {a:.1f}" if verb == "stayed" else f"from {b:.1f} to {a:.1f}"
        sign = "−" if change < 0 else "+"
        parts.append(f"{what} {verb} {level} ({sign}{abs(change):.1f}{spread}; {counts})")
    if not parts:
        return None
    return (f"After {step.from_mg:g} → {step.to_mg:g} mg/day, " + "; ".join(parts)
            + f" in the {days} days before and after.")


def _plans(plans: Sequence[StoredPlan], start: date, end: date) -> tuple[PlanSummary, ...]:
    from gabacare.journal.plan_record import record_of

    days_by_plan: dict[int, list[date]] = {}
    day = start
    while day <= end:
        p = plan_in_force(plans, day)
        if p is not None:
            days_by_plan.setdefault(p.id, []).append(day)
        day += timedelta(days=1)
    out = []
    for p in sorted((p for p in plans if p.id in days_by_plan), key=lambda p: (days_by_plan[p.id][0], p.id)):
        # The plan as it was made (its record), never remade with today's rules: the report shows the
        # citations of the plan the dose rows, and so adherence, count (issue 18 item 7).
        record = record_of(p)
        ds = days_by_plan[p.id]
        out.append(PlanSummary(p.id, p.plan.kind, p.plan.label, p.plan.start, p.plan.end, p.plan.continues,
                               p.created_at, ds[0], ds[-1], p.plan.warnings, record.citations, record.kb_version))
    return tuple(out)


def _regimen(plan: StoredPlan | None, day: date) -> Any:
    """The regimen ``plan`` calls for on ``day`` as a core ``DailyRegimen`` (None when nothing is due)."""
    from gabacare.clinical.regimen import DailyRegimen, Dose
    from gabacare.clinical.units import Milligrams

    if plan is None:
        return None
    doses = plan.plan.doses_on(day)
    if not doses:
        return None
    amounts = {d.mg for d in doses}
    # Equal doses read as "400 mg TID", like the regimen text people type; anything else as a pattern.
    freq = {1: "QD", 2: "BID", 3: "TID"}.get(len(doses), "PATTERN") if len(amounts) == 1 else "PATTERN"
    return DailyRegimen(tuple(Dose(d.at.time(), Milligrams(d.mg)) for d in doses), freq)  # type: ignore[arg-type]


def _regimen_text(plan: StoredPlan | None, day: date) -> str | None:
    reg = _regimen(plan, day)
    return None if reg is None else str(reg.describe())


def _trends(scales: dict[str, list[analysis.TrendPoint]],
            fits: Sequence[analysis.ScaleDoseResponse]) -> tuple[ScaleTrend, ...]:
    by_scale = {f.scale: f for f in fits}
    out = []
    for name, points in scales.items():
        fit = by_scale.get(name)
        unit = "count per day" if name in settings.COUNT_SCALES else \
            f"score {settings.SCORE_MIN:g}-{settings.SCORE_MAX:g}"
        out.append(ScaleTrend(
            name, unit, tuple(TrendRow(p.date, p.mean, p.n, p.rolling_mean) for p in points),
            points[0].rolling_mean if points else None, points[-1].rolling_mean if points else None,
            fit.slope_per_100mg if fit else None, fit.correlation if fit else None))
    return tuple(out)


def _side_effects(entries: Iterable[Entry]) -> tuple[SideEffectRow, ...]:
    from gabacare.clinical.triage import triage

    rows = []
    for e in entries:
        text = e.data.text or ""
        # Triage again rather than trust the stored urgency: the advice and citations come with it.
        r = triage([text]).results[0] if text.strip() else None
        if r is None:
            continue
        rows.append(SideEffectRow(e.at, text, r.recognized, r.urgency, r.title, r.advice, r.urgency == "emergency",
                                  tuple(Citation.of(c) for c in r.citations)))
    return tuple(sorted(rows, key=lambda r: (_URGENCY_RANK.get(r.urgency, 2), r.at)))


def _triggers(entries: Iterable[Entry]) -> tuple[TriggerCount, ...]:
    counts: Counter[str] = Counter()
    last: dict[str, datetime] = {}
    for e in entries:
        tag = " ".join((e.data.text or "").lower().split())
        if tag:
            counts[tag] += 1
            last[tag] = max(last.get(tag, e.at), e.at)
    return tuple(TriggerCount(tag, n, last[tag]) for tag, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _medicines(names: Sequence[str], age: float | None) -> MedicinesSection:
    from gabacare.clinical.interactions import check_interactions

    cleaned = [n.strip() for n in names if n.strip()]
    if not cleaned:
        return MedicinesSection(False, (), None, (), ())
    report = check_interactions(cleaned, age_years=age)
    worst = report.worst
    return MedicinesSection(
        True,
        tuple(MedicineFinding(r.input, r.known, r.ingredients, r.class_title, r.severity, r.action, r.advice,
                              tuple(r.citations)) for r in report.results),
        worst.severity if worst else None, tuple(report.warnings), tuple(report.citations))


def _renal(journal: Journal, patient: Patient, plan: StoredPlan | None, end: date) -> RenalSection:
    from gabacare.clinical.checks import check_regimen
    from gabacare.clinical.renal import renal_limits
    from gabacare.clinical.units import CrCl
    from gabacare.journal.kidney import crcl_from_lab

    labs = [e for e in journal.entries(patient.id, end=end, kinds=["lab"]) if e.data.name == "creatinine"]
    regimen = _regimen(plan, end)
    reg_text = None if regimen is None else str(regimen.describe())
    reg_total = None if regimen is None else float(regimen.total_mg)

    def unchecked(status: str, message: str, lab: Entry | None = None) -> RenalSection:
        return RenalSection(status, message, lab.at if lab else None, lab.data.value if lab else None,
                            lab.data.unit if lab else None, (end - lab.at.date()).days if lab else None,
                            None, None, None, None, None, reg_text, reg_total, None, (), ())

    if not labs:
        return unchecked("no_lab", "no serum creatinine logged on or before the last day of the period")
    lab = max(labs, key=lambda e: (e.at, e.id))
    if patient.age_on(lab.at.date()) is None or patient.sex is None or patient.weight_kg is None:
        return unchecked("incomplete_profile", "the renal check needs the patient's birth date, sex and weight", lab)
    cg = crcl_from_lab(patient, lab)  # the journal's one creatinine -> CrCl rule (journal/kidney.py)
    if isinstance(cg, str):
        return unchecked("not_applicable",
                         "Cockcroft-Gault does not apply to this profile (age, weight or creatinine out of range)", lab)
    crcl = CrCl(cg.crcl_ml_min)
    limits = renal_limits(crcl)
    cites: list[Citation] = [*cg.citations, *limits.citations]
    problems: list[RenalProblem] = []
    ok: bool | None = None
    if regimen is not None:
        check = check_regimen(regimen, crcl=crcl)
        ok = check.ok
        problems = [RenalProblem(p.code, p.message, "problem", tuple(p.citations)) for p in check.problems]
        problems += [RenalProblem(p.code, p.message, "warning", tuple(p.citations)) for p in check.warnings]
        cites += check.citations
    return RenalSection(
        "checked", None if regimen is not None else "no plan is in force on the last day of the period",
        lab.at, lab.data.value, lab.data.unit, (end - lab.at.date()).days, round(cg.crcl_ml_min, 1), limits.band,
        limits.min_daily_mg, limits.max_daily_mg, limits.doses_per_day, reg_text, reg_total, ok, tuple(problems),
        tuple(dict.fromkeys(cites)))
