"""The ``estimate`` use case: what a patient's measured gabapentin level says about their clearance,
and which regimen of real pills within the renal band brings the trough into the reference range.

Reads the journal (nothing is written): the doses logged as taken (with their real times; missed doses
are simply absent), the gabapentin levels (lab entries ``gabapentin``, mg/L or umol/L) and the CrCl
(given, else from the journal's latest creatinine, else the reference with a warning). The estimate is
the pure core's (:func:`gabacare.pk.estimation.estimate`: maximum a posteriori with a Laplace
interval); the candidates are the label's regimens for the patient's renal band that whole dose
granules make (:func:`gabacare.clinical.renal.band_regimens`, label 2.3), each dose made of real pills.

The proposal rule (a proposal to the prescriber, never an instruction):

* the plan in force is one of the band's regimens and predicts a trough inside the reference range:
  keep it (``change = "none"``); a plan outside the band is never kept (a warning names the maximum);
* otherwise the candidate whose predicted trough lies in the range, closest to its middle on the log
  scale (:func:`gabacare.pk.estimation.choose`), with ``change`` ``increase`` or ``decrease``;
* no candidate reaches the range: ``proposal`` is null and ``reason`` says why.

Handles patient data: nothing here logs; errors name the rule, never the values.

>>> from datetime import datetime, timedelta
>>> from gabacare.journal import InMemoryJournalRepository, Journal
>>> now = datetime(2026, 3, 20, 12, 0)
>>> j = Journal(InMemoryJournalRepository(), lambda: now)
>>> pid = j.add_patient("Ada").id
>>> for k in range(21):
...     _ = j.log_dose(pid, 300, at=datetime(2026, 3, 13, 8) + timedelta(hours=8 * k))
>>> _ = j.log_lab(pid, "gabapentin", 3.0, unit="mg/L", at=datetime(2026, 3, 20, 7, 30))
>>> a = estimate_patient(j, pid, crcl=100)
>>> a.to_json()["levels"][0]["measured_mg_per_l"]
3.0
>>> a.estimate.individual.cl_l_per_h < a.estimate.population.cl_l_per_h
True
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any, Literal

from gabacare._record import record
from gabacare.journal.errors import JournalInputError

if TYPE_CHECKING:
    from gabacare.journal.services import Journal
    from gabacare.knowledge import Citation
    from gabacare.pk.estimation import Estimate, Params, RegimenPrediction

__all__ = ["Curves", "EstimateAnswer", "LoggedLevel", "RegimenOption", "estimate_patient", "measured_estimate"]

Change = Literal["none", "increase", "decrease"]
HOW_TO_LOG = ("log a measured level first, e.g. gabacare log lab --patient {pid} --test gabapentin --value 6.1 "
              "--unit mg/L --at 2026-11-20T06:45 (the time the blood was taken)")


# The window and resolution of the curves drawn around the measured levels (a picture, not a rule).
CURVE_BEFORE_H = 36.0
CURVE_AFTER_H = 12.0
CURVE_POINTS = 241


@record
class Curves:
    """Curves for a chart: times (hours from the answer's ``origin``) and mg/L at each."""

    t_h: tuple[float, ...]
    population: tuple[float, ...]
    individual: tuple[float, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]


@record
class LoggedLevel:
    """A level as the journal holds it, and the same level in mg/L on the estimate's time axis."""

    entry_id: int
    at: datetime
    reported_value: float
    reported_unit: str
    mg_per_l: float
    time_h: float


@record
class RegimenOption:
    """A candidate regimen (equal doses at the knowledge base's clock times) with its predictions."""

    doses_per_day: int
    mg_per_dose: float
    pills: str
    times: tuple[str, ...]
    prediction: RegimenPrediction

    @property
    def daily_mg(self) -> float:
        return self.doses_per_day * self.mg_per_dose

    def describe(self) -> str:
        """``600 mg three times a day (08:00, 14:00, 22:00)``."""
        how = {1: "once a day", 2: "twice a day", 3: "three times a day"}.get(self.doses_per_day,
                                                                             f"{self.doses_per_day} times a day")
        return f"{self.mg_per_dose:g} mg {how} ({', '.join(self.times)})"

    def to_json(self) -> dict[str, Any]:
        p = self.prediction
        return {
            "regimen": self.describe(),
            "doses_per_day": self.doses_per_day,
            "mg_per_dose": self.mg_per_dose,
            "daily_mg": self.daily_mg,
            "pills": self.pills,
            "trough_mg_per_l": round(p.trough_mg_per_l, 2),
            "peak_mg_per_l": round(p.peak_mg_per_l, 2),
            "trough_interval_mg_per_l": [round(x, 2) for x in p.trough_interval],
            "peak_interval_mg_per_l": [round(x, 2) for x in p.peak_interval],
            "in_range": p.in_range,
        }


def _params_json(p: Params) -> dict[str, float]:
    return {"cl_l_per_h": round(p.cl_l_per_h, 3), "v_l": round(p.v_l, 2), "ka_per_h": round(p.ka_per_h, 3),
            "half_life_h": round(p.half_life_h, 1)}


@record
class EstimateAnswer:
    """One patient's estimate, the regimen options within the renal band, and the proposal."""

    patient_id: int
    origin: datetime
    crcl_ml_min: float
    crcl_source: str
    warnings: tuple[str, ...]
    estimate: Estimate
    levels: tuple[LoggedLevel, ...]
    doses: int
    renal_band: str
    current: RegimenOption | None
    options: tuple[RegimenOption, ...]
    proposal: RegimenOption | None
    change: Change | None
    reason: str
    citations: tuple[Citation, ...]
    notice: str

    @property
    def proposal_text(self) -> str | None:
        """The proposal in words, one place for every face: ``keep 600 mg three times a day (08:00,
        14:00, 22:00)``, ``increase to …``, ``decrease to …`` (``consider …`` without a plan in force)."""
        if self.proposal is None:
            return None
        verb = {"none": "keep", "increase": "increase to", "decrease": "decrease to"}.get(self.change or "", "consider")
        return f"{verb} {self.proposal.describe()}"

    def curves(self, points: int = CURVE_POINTS) -> Curves:
        """The typical patient's and this patient's curves (mg/L) with this patient's band, from
        :data:`CURVE_BEFORE_H` hours before the first level to :data:`CURVE_AFTER_H` after the last
        (not before the first dose day), at ``points`` evenly spaced times (hours from ``origin``)."""
        import numpy as np

        t0 = max(0.0, self.levels[0].time_h - CURVE_BEFORE_H)
        ts = np.linspace(t0, self.levels[-1].time_h + CURVE_AFTER_H, points)
        est = self.estimate
        lo, hi = est.band(ts)
        return Curves(tuple(ts.tolist()), tuple(est.concentrations(ts, individual=False).tolist()),
                      tuple(est.concentrations(ts).tolist()), tuple(lo.tolist()), tuple(hi.tolist()))

    def to_json(self) -> dict[str, Any]:
        """Contract keys (DESIGN.md): ``population``, ``individual``, ``interval``, ``levels``,
        ``proposal`` (``regimen``, ``trough_mg_per_l``, ``peak_mg_per_l``, ``target``), ``citations``."""
        est = self.estimate
        target = est.model.target
        lo, hi = est.cl_interval
        proposal = None
        if self.proposal is not None:
            proposal = {**self.proposal.to_json(), "change": self.change, "target": {
                "low_mg_per_l": target.low_mg_per_l, "high_mg_per_l": target.high_mg_per_l,
                "sample": target.sample, "sources": [c.source for c in target.citations]}}
        return {
            "patient_id": self.patient_id,
            "origin": self.origin.isoformat(timespec="minutes"),
            "crcl_ml_min": round(self.crcl_ml_min, 1),
            "crcl_source": self.crcl_source,
            "doses_logged": self.doses,
            "renal_band": self.renal_band,
            "population": _params_json(est.population),
            "individual": _params_json(est.individual),
            "interval": {"cl_l_per_h": [round(lo, 3), round(hi, 3)], "probability": est.interval_probability},
            "converged": est.converged,
            "levels": [
                {"entry_id": lv.entry_id, "at": lv.at.isoformat(timespec="minutes"), "time_h": round(lv.time_h, 2),
                 "reported_value": lv.reported_value, "reported_unit": lv.reported_unit,
                 "measured_mg_per_l": round(lv.mg_per_l, 3),
                 "population_mg_per_l": round(pred.population_mg_per_l, 3),
                 "individual_mg_per_l": round(pred.individual_mg_per_l, 3)}
                for lv, pred in zip(self.levels, est.predictions, strict=True)
            ],
            "target": {"low_mg_per_l": target.low_mg_per_l, "high_mg_per_l": target.high_mg_per_l,
                       "sample": target.sample, "sources": [c.source for c in target.citations]},
            "current": self.current.to_json() if self.current else None,
            "options": [o.to_json() for o in self.options],
            "proposal": proposal,
            "reason": self.reason,
            "warnings": list(self.warnings),
            "citations": list(self.citations),
            "notice": self.notice,
        }


def _levels(journal: Journal, patient_id: int, origin: datetime) -> tuple[LoggedLevel, ...]:
    from gabacare.journal.model import LEVEL_TEST
    from gabacare.journal.pk_history import hours_since
    from gabacare.pk.estimation import level_from_umol_per_l

    out = []
    for e in journal.entries(patient_id, kinds=["lab"]):
        if e.data.name != LEVEL_TEST or e.data.value is None:
            continue
        t = hours_since(origin, e.at)
        unit = e.data.unit or "mg/L"
        mg = level_from_umol_per_l(t, e.data.value).mg_per_l if unit == "umol/L" else e.data.value
        out.append(LoggedLevel(e.id, e.at, e.data.value, unit, mg, t))
    return tuple(out)


def _predicted(schedules: Sequence[tuple[tuple[time, ...], float]], est: Estimate) -> tuple[RegimenOption, ...]:
    """Regimens of equal doses at clock times, each with its pills, predicted in one call."""
    from gabacare.clinical.pills import pill_plan
    from gabacare.clinical.regimen import format_time
    from gabacare.pk.estimation import Regimen, predict_regimens

    predictions = predict_regimens(est, [Regimen(tuple(t.hour + t.minute / 60 for t in clock), (mg,) * len(clock))
                                         for clock, mg in schedules])
    return tuple(RegimenOption(len(clock), mg, pill_plan(mg).describe(), tuple(format_time(t) for t in clock), p)
                 for (clock, mg), p in zip(schedules, predictions, strict=True))


def _options(regimens: Sequence[tuple[float, ...]], est: Estimate) -> tuple[RegimenOption, ...]:
    """The band's regimens (equal doses) at the knowledge base's clock times."""
    from gabacare.clinical.regimen import schedule_times

    return _predicted([(schedule_times(len(r)), r[0]) for r in regimens], est)


def _current(journal: Journal, patient_id: int, on: date, est: Estimate) -> RegimenOption | None:
    """The plan in force on ``on`` as a regimen option, when its doses are equal (else None)."""
    stored = journal.active_plan(patient_id, on)
    if stored is None:
        return None
    doses = stored.plan.doses_on(on)
    if not doses or len({d.mg for d in doses}) != 1:
        return None
    (current,) = _predicted([(tuple(d.at.time() for d in doses), doses[0].mg)], est)
    return current


def _propose(current: RegimenOption | None, options: Sequence[RegimenOption]) -> tuple[RegimenOption | None,
                                                                                       Change | None, str]:
    from gabacare.pk.estimation import choose

    in_band = current is not None and any(
        (o.doses_per_day, o.mg_per_dose) == (current.doses_per_day, current.mg_per_dose) for o in options)
    if current is not None and in_band and current.prediction.in_range:
        return current, "none", "The plan in force is predicted to keep the trough inside the reference range."
    pick = choose([o.prediction for o in options])
    if pick is None:
        return None, None, ("No regimen within the renal band is predicted to bring the trough into the "
                            "reference range: discuss with the prescriber.")
    chosen = next(o for o in options if o.prediction is pick)
    if current is None:
        return chosen, None, ("No plan with equal doses is in force: the regimen whose predicted trough is "
                              "closest to the middle of the reference range.")
    change: Change = "increase" if chosen.daily_mg > current.daily_mg else "decrease"
    if not in_band:
        return chosen, change, ("The plan in force is not one of the label's regimens for this kidney function: "
                                "the regimen within the renal band whose predicted trough is closest to the middle "
                                "of the reference range.")
    return chosen, change, ("The plan in force is predicted to leave the trough outside the reference range: "
                            "the regimen within the renal band whose predicted trough is closest to its middle.")


def estimate_patient(journal: Journal, patient_id: int, *, crcl: float | None = None,
                     on: date | None = None) -> EstimateAnswer:
    """Estimate ``patient_id``'s clearance from the journal's gabapentin levels and propose a regimen.

    ``on`` is the day whose plan counts as the plan in force (default: the day of the latest level).
    Raises ``JournalInputError`` when no dose or no level is logged (the message says what to log),
    and the core's input errors (a level before the first dose, an implausible CrCl) unchanged.
    """
    from gabacare.clinical.renal import band_regimens, renal_limits
    from gabacare.clinical.units import CrCl
    from gabacare.journal.pk_history import hours_since, patient_crcl
    from gabacare.knowledge import load_monograph
    from gabacare.pk.estimation import estimate

    events = journal.dose_events(patient_id)
    if not events:
        raise JournalInputError("no taken doses are logged for this patient: log the doses taken first")
    origin = datetime.combine(events[0][0].date(), time(0, 0))
    levels = _levels(journal, patient_id, origin)
    if not levels:
        raise JournalInputError(f"no gabapentin level in the journal: {HOW_TO_LOG.format(pid=patient_id)}")
    value, source, warnings = patient_crcl(journal, patient_id, crcl)
    doses = [(hours_since(origin, at), mg) for at, mg in events]
    est = estimate(doses, [(lv.time_h, lv.mg_per_l) for lv in levels], crcl_ml_min=value)
    m = load_monograph()
    lim = renal_limits(CrCl(value))
    options = _options(band_regimens(lim, m.limits.dose_granule_mg), est)
    current = _current(journal, patient_id, on or levels[-1].at.date(), est)
    proposal, change, reason = _propose(current, options)
    if current is not None and current.daily_mg > lim.max_daily_mg:
        warnings = (*warnings, f"The plan in force ({current.daily_mg:g} mg/day) is above the label's maximum for "
                               f"this kidney function ({lim.max_daily_mg:g} mg/day, {lim.band}).")
    if not est.converged:
        warnings = (*warnings, "The estimate stopped at its iteration limit: treat it with extra caution.")
    citations = tuple(dict.fromkeys((*est.citations, *est.model.target.citations, *lim.citations)))
    return EstimateAnswer(patient_id, origin, value, source, warnings, est, levels, len(events), lim.band,
                          current, options, proposal, change, reason, citations, m.notice_text)


def measured_estimate(journal: Journal, patient_id: int) -> tuple[EstimateAnswer | None, str | None]:
    """For pages and reports: ``(answer, None)`` when a level is logged and an estimate can be made,
    ``(None, why)`` when a level is logged but no estimate can be made (a level drawn before the first
    dose), ``(None, None)`` when no level is logged."""
    from gabacare.clinical.errors import ClinicalInputError
    from gabacare.journal.model import LEVEL_TEST

    if not any(e.data.name == LEVEL_TEST for e in journal.entries(patient_id, kinds=["lab"])):
        return None, None
    try:
        return estimate_patient(journal, patient_id), None
    except (JournalInputError, ClinicalInputError) as exc:
        return None, str(exc)
