"""Card builders: one function per finding, each returning typed :class:`~gabacare.interop.cds.models.Card`
values with their citations (module docstring of :mod:`gabacare.interop.cds` lists the findings).

Every card carries the knowledge base's notice and its sources in ``detail``; a card that is not
``info`` offers the override reasons; a suggestion's FHIR resource is validated with the R4B models
before it is offered (a resource that does not validate is not offered).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from gabacare._record import record
from gabacare.clinical.adjust import suggest_regimen
from gabacare.clinical.checks import CheckResult, check_regimen
from gabacare.clinical.errors import ClinicalInputError
from gabacare.clinical.interactions import InteractionReport, check_interactions
from gabacare.clinical.regimen import DailyRegimen
from gabacare.clinical.renal import RenalLimits, renal_limits
from gabacare.clinical.taper import taper
from gabacare.clinical.units import CrCl
from gabacare.interop.cds.facts import RenalFacts
from gabacare.interop.cds.medication import Medication
from gabacare.interop.cds.models import Action, Card, Coding, Indicator, Source, Suggestion, card_uuid
from gabacare.interop.codes import GABACARE_SYSTEM
from gabacare.interop.fhir import FhirResourceError, plan_medication_request, regimen_medication_request, validate_resource
from gabacare.knowledge import Citation, load_monograph

__all__ = [
    "OVERRIDE_REASONS",
    "age_card",
    "card",
    "dose_cards",
    "info",
    "interaction_cards",
    "journal_summary_card",
    "meds_not_checked_card",
    "order_ref",
    "renal_not_done_card",
    "stop_card",
    "suggestion",
    "unreadable_order_card",
]

#: The override reasons offered on every card that is not ``info`` (code, display).
OVERRIDE_REASONS = (
    ("benefit-outweighs-risk", "Benefit outweighs the risk for this patient"),
    ("recent-value-differs", "A more recent or better kidney function value is known"),
    ("specialist-advice", "Dose set on specialist advice"),
    ("will-monitor", "Will monitor the patient closely"),
)
_SEDATIVE_WORDS = {"opioids": "an opioid", "benzodiazepines": "a benzodiazepine"}


def _cite_line(citations: Iterable[Citation]) -> str:
    m = load_monograph()
    parts = []
    for c in dict.fromkeys(citations):
        src = m.sources.get(c.source)
        parts.append(f"{c.render()}" + (f" ({src.title})" if src else ""))
    return "; ".join(parts)


def card(instance: str, key: str, summary: str, indicator: Indicator, body: str, citations: Sequence[Citation], *,
         suggestions: Sequence[Suggestion] = (), topic: str) -> Card:
    """One card: a summary under 140 characters, the body with its sources and the notice."""
    m = load_monograph()
    first = citations[0] if citations else None
    src = m.sources.get(first.source) if first else None
    label = "GabaCare" + (f" · {first.render()}" if first else "")
    url = src.url if src is not None and src.url.startswith("http") else None
    source = Source(label=label, topic=Coding(system=GABACARE_SYSTEM, code=topic, display=topic.replace("-", " ")),
                    url=url)
    detail = f"{body}\n\n**Sources:** {_cite_line(citations)}\n\n*{m.notice_text}*"
    if len(summary) >= 140:
        summary = summary[:136].rstrip() + "…"
    overrides = None
    if indicator != "info":
        overrides = [Coding(system=GABACARE_SYSTEM, code=c, display=d) for c, d in OVERRIDE_REASONS]
    return Card(uuid=card_uuid(instance, key), summary=summary, indicator=indicator, detail=detail, source=source,
                suggestions=list(suggestions) or None, selectionBehavior="at-most-one" if suggestions else None,
                overrideReasons=overrides)


def suggestion(instance: str, key: str, label: str, action: Action) -> Suggestion:
    """A recommended one-click suggestion with one action."""
    return Suggestion(label=label, uuid=card_uuid(instance, f"{key}:s"), isRecommended=True, actions=[action])


def info(instance: str, key: str, summary: str, body: str, cites: Sequence[Citation], topic: str) -> Card:
    """An ``info`` card (no override reasons, no suggestion)."""
    return card(instance, key, summary, "info", body, cites, topic=topic)


def order_ref(mr: Mapping[str, Any]) -> str:
    """``MedicationRequest/<id>``, or "the draft order" when it has no id."""
    return f"MedicationRequest/{mr['id']}" if isinstance(mr.get("id"), str) else "the draft order"


# -- dose against the renal band and the label maximum -------------------------------------------------
@record
class _DoseCheck:
    """One regimen of an order checked: what the dose cards are built from."""

    instance: str
    mr: Mapping[str, Any]
    index: int
    regimen: DailyRegimen
    result: CheckResult
    crcl: CrCl | None
    renal: RenalFacts
    only_one: bool

    @property
    def key(self) -> str:
        return order_ref(self.mr)

    @property
    def codes(self) -> set[str]:
        return {p.code for p in self.result.problems}


def _over_summary(check: _DoseCheck, lim: RenalLimits | None) -> str:
    total, reg, codes = check.regimen.total_mg, check.regimen, check.codes
    if "renal_max_exceeded" in codes and lim is not None:
        return (f"Gabapentin {total:g} mg/day exceeds the {lim.max_daily_mg:g} mg/day maximum for "
                f"CrCl {lim.crcl_ml_min:.0f} mL/min (Cockcroft-Gault)")
    if "max_daily_exceeded" in codes:
        return f"Gabapentin {total:g} mg/day exceeds the {load_monograph().limits.max_daily_mg} mg/day label maximum"
    assert lim is not None
    return (f"Gabapentin in {reg.doses_per_day} doses a day: at CrCl {lim.crcl_ml_min:.0f} mL/min "
            f"the label gives {lim.doses_per_day} a day")


def _over_lines(check: _DoseCheck, lim: RenalLimits | None) -> list[str]:
    reg, renal = check.regimen, check.renal
    step = " (dosage sequence " + str(check.index + 1) + ")" if not check.only_one else ""
    lines = [f"Ordered{step}: **{reg.describe()}** ({reg.total_mg:g} mg/day in {reg.doses_per_day} doses)."]
    if renal.crcl is not None and lim is not None:
        lines.append(f"Estimated CrCl **{renal.crcl.crcl_ml_min:.1f} mL/min** by Cockcroft-Gault "
                     f"({renal.crcl.formula}; age {renal.crcl.age_years:g}, {renal.crcl.weight_kg:g} kg, "
                     f"creatinine {renal.crcl.scr_mg_dl:.2f} mg/dL"
                     + (f" on {renal.creatinine_date}" if renal.creatinine_date else "") + ").")
        lines.append(f"Label band {lim.band}: {lim.min_daily_mg:g}-{lim.max_daily_mg:g} mg/day in "
                     f"{lim.doses_per_day} dose(s) a day.")
    lines.extend(f"- {p.message}" for p in check.result.problems)
    return lines


def _better_regimen(check: _DoseCheck, lines: list[str]) -> list[Suggestion]:
    """The label's regimen in the same column of the renal table, as an ``update`` of the order."""
    band_crcl = check.crcl if check.crcl is not None else CrCl(load_monograph().renal.bands[0].crcl_min)
    reg = check.regimen
    try:
        better = suggest_regimen(reg, band_crcl)
        resource = validate_resource(regimen_medication_request(better, crcl=check.crcl, base=check.mr))
    except (ClinicalInputError, FhirResourceError):
        return []
    if better == reg:
        return []
    lines.append(f"Suggested: **{better.describe()}** ({better.total_mg:g} mg/day), the label's "
                 "regimen in the same column of the renal table.")
    action = Action(type="update", description=f"Replace the order with {better.describe()}", resource=resource)
    return [suggestion(check.instance, check.key + f":{check.index}",
                       f"Change to {better.describe()} ({better.total_mg:g} mg/day)", action)]


def _over_limit_card(check: _DoseCheck) -> Card:
    lim = renal_limits(check.crcl) if check.crcl is not None else None
    summary = _over_summary(check, lim)
    lines = _over_lines(check, lim)
    cites = list(check.result.citations)
    if check.renal.crcl is not None:
        cites = [*check.renal.crcl.citations, *cites]
    suggestions = _better_regimen(check, lines) if check.only_one else []
    indicator: Indicator = "critical" if "max_daily_exceeded" in check.codes else "warning"
    return card(check.instance, f"dose:{check.key}:{check.index}", summary, indicator, "\n\n".join(lines), cites,
                suggestions=suggestions, topic="renal-dose")


def _few_doses_card(check: _DoseCheck, crcl: CrCl) -> Card | None:
    w = next((w for w in check.result.warnings if w.code == "fewer_doses_than_band"), None)
    if w is None:
        return None
    lim = renal_limits(crcl)
    reg = check.regimen
    summary = (f"Gabapentin {reg.total_mg:g} mg/day in {reg.doses_per_day} dose(s): the label splits it into "
               f"{lim.doses_per_day} at CrCl {lim.crcl_ml_min:.0f} mL/min")
    return card(check.instance, f"few:{check.key}:{check.index}", summary, "info", w.message, w.citations,
                topic="doses-per-day")


def dose_cards(instance: str, mr: Mapping[str, Any], regimens: list[DailyRegimen], renal: RenalFacts) -> list[Card]:
    """Per regimen of the order: above the renal band or the label maximum, too many or too few doses."""
    crcl = renal.checked_crcl
    cards: list[Card] = []
    for i, reg in enumerate(regimens):
        check = _DoseCheck(instance, mr, i, reg, check_regimen(reg, crcl=crcl), crcl, renal, len(regimens) == 1)
        if {"max_daily_exceeded", "renal_max_exceeded", "renal_doses_per_day"} & check.codes:
            cards.append(_over_limit_card(check))
        elif crcl is not None:
            few = _few_doses_card(check, crcl)
            if few is not None:
                cards.append(few)
    return cards


# -- co-prescribed medicines ------------------------------------------------------------------------------
def _cns_cards(instance: str, report: InteractionReport) -> list[Card]:
    m = load_monograph()
    classes = {c.id: c for c in m.interaction_classes}
    by_class: dict[str, list[str]] = {}
    for r in report.results:
        if r.class_id:
            by_class.setdefault(r.class_id, []).append(r.input)
    # Opioids and benzodiazepines first (major), then every other sedating class in data order.
    sedating = [c.id for c in m.interaction_classes if c.sedating and c.id != "gabapentinoids"]
    order = [c for c in ("opioids", "benzodiazepines") if c in sedating] + [c for c in sedating if c not in _SEDATIVE_WORDS]
    present = [cid for cid in order if cid in by_class]
    cards: list[Card] = []
    for cid in present:
        cls = classes[cid]
        who = ", ".join(by_class[cid])
        major = cls.severity == "major"
        risk = "added risk of respiratory depression and sedation" if major else "added sedation and risk of falls"
        summary = f"Gabapentin with {_SEDATIVE_WORDS.get(cid, 'another sedative')} ({who}): {risk}"
        body = [f"Co-prescribed: **{who}** ({cls.title}).", f"{cls.effect}", f"What to do: {cls.advice}",
                "FDA Drug Safety Communication (19 Dec 2019): serious breathing problems can occur when "
                "gabapentinoids are taken with opioids or other CNS depressants; start at the lowest dose and "
                "monitor for sedation and slowed breathing."]
        cites = list(cls.citations)
        if cid == present[0] and report.warnings:
            # Combination warnings (opioid + benzodiazepine, FDA 2016) and the Beers count, with their sources.
            body.extend(report.warnings)
            cites = list(dict.fromkeys((*cites, *report.citations)))
        cards.append(card(instance, f"cns:{cid}", summary, "warning" if major else "info",
                          "\n\n".join(body), cites, topic="cns-depressant"))
    return cards


def _opioid_citations() -> list[Citation]:
    return [c for cls in load_monograph().interaction_classes if cls.id == "opioids" for c in cls.citations]


def _unidentified_card(instance: str, others: list[Medication]) -> Card | None:
    unknown = list(dict.fromkeys(med.label for med in others if not med.ingredients))
    if not unknown:
        return None
    listed = "; ".join(unknown)
    return card(instance, "unidentified", f"Not checked for interactions: {listed[:100]}", "info",
                f"GabaCare could not identify **{listed}**, so it was not checked against gabapentin "
                "(opioids, benzodiazepines and other sedatives slow breathing together with it). "
                "Check it by hand before signing.", _opioid_citations(), topic="cns-depressant")


def _duplicate_card(instance: str, others: list[Medication], gaba_drafts: list[Medication]) -> Card | None:
    cls = next(c for c in load_monograph().interaction_classes if c.id == "gabapentinoids")
    draft_ings = {i for med in gaba_drafts for i in med.ingredients}
    dup = [n for n in dict.fromkeys(i for med in others for i in med.ingredients)
           if n in cls.members and n not in draft_ings]
    if not dup:
        return None
    ordered = ", ".join(sorted(draft_ings))
    summary = f"Duplicate gabapentinoid: {ordered} ordered while the patient has {', '.join(dup)}"
    body = [f"The order ({ordered}) and **{', '.join(dup)}** are both gabapentinoids.", cls.effect,
            f"What to do: {cls.advice}"]
    return card(instance, "duplicate", summary, "warning", "\n\n".join(body), cls.citations, topic="duplicate-therapy")


def interaction_cards(instance: str, others: list[Medication], gaba_drafts: list[Medication], age: float | None
                      ) -> list[Card]:
    """CNS depressants co-prescribed (by class), medicines not identified, a duplicate gabapentinoid."""
    names = list(dict.fromkeys(i for med in others for i in med.ingredients))
    cards = _cns_cards(instance, check_interactions(names, age_years=age))
    cards.extend(c for c in (_unidentified_card(instance, others), _duplicate_card(instance, others, gaba_drafts))
                 if c is not None)
    return cards


# -- the patient, the order's status ----------------------------------------------------------------------
def age_card(instance: str, age: float) -> Card | None:
    """At or above the FDA/Beers risk age: start low, titrate slowly."""
    cls = next((c for c in load_monograph().interaction_classes if c.older_adult_age_years), None)
    if cls is None or cls.older_adult_age_years is None or age < cls.older_adult_age_years:
        return None
    m = load_monograph()
    summary = f"Age {age:g}: start gabapentin low, titrate slowly, watch for sedation, falls and slowed breathing"
    body = [f"Age {cls.older_adult_age_years:g} or over is a risk factor named in the FDA Drug Safety Communication "
            "of 19 Dec 2019 for serious breathing problems with gabapentinoids; the Beers criteria flag falls "
            "with CNS-active combinations.", m.renal.elderly_note]
    cites = [*cls.citations, Citation(source=m.renal.elderly_source, section=m.renal.elderly_section)]
    return card(instance, "older-adult", summary, "info", "\n\n".join(body), cites, topic="older-adult")


def stop_card(instance: str, mr: Mapping[str, Any], regimen: DailyRegimen | None, crcl: CrCl | None,
              now: datetime) -> Card:
    """An abrupt stop: taper instead, with the core's taper as a ``create`` suggestion when it can be made."""
    t = load_monograph().taper
    what = f"{regimen.total_mg:g} mg/day" if regimen else "gabapentin"
    summary = f"Stopping {what} at once: taper over at least {t.min_duration_days} days to avoid withdrawal"
    body = [f"{order_ref(mr)} stops gabapentin without a taper. {t.abrupt_stop_warning}"]
    cites: list[Citation] = [t.min_duration_citation, Citation(source=t.abrupt_stop_source)]
    suggestions = []
    if regimen is not None and regimen.repeat:
        try:
            plan = taper(regimen, start=now.date() + timedelta(days=1), crcl=crcl)
            subject = mr.get("subject")
            resource = plan_medication_request(plan, intent="order", status="draft",
                                               subject=subject.get("reference") if isinstance(subject, Mapping) else None)
            resource = validate_resource(resource)
            body.append(f"Suggested taper: {plan.label}, {len(plan.days)} days "
                        f"({plan.days[0].date.isoformat()} to {plan.days[-1].date.isoformat()}).")
            cites.extend(plan.citations)
            suggestions.append(suggestion(instance, f"stop:{order_ref(mr)}", f"Add a taper: {plan.label}", Action(
                type="create", description="Create a tapering order to replace the abrupt stop", resource=resource)))
        except (ClinicalInputError, FhirResourceError):
            pass
    return card(instance, f"stop:{order_ref(mr)}", summary, "warning", "\n\n".join(b for b in body if b), cites,
                suggestions=suggestions, topic="abrupt-stop")


def unreadable_order_card(instance: str, mr: Mapping[str, Any], reason: object) -> Card:
    """A gabapentin order whose dose could not be read: its dose was not checked."""
    return info(instance, f"unreadable:{order_ref(mr)}",
                "GabaCare could not read this gabapentin order, so its dose was not checked",
                f"{order_ref(mr)}: {reason}. Check the dose against the label's limits.",
                [load_monograph().limits.max_daily_citation], "unreadable-order")


def renal_not_done_card(instance: str, why_not: str | None) -> Card:
    """No CrCl estimate: only the 3600 mg/day maximum was checked."""
    return info(instance, "renal-not-done", "Renal check not done: " + (why_not or "no data"),
                f"GabaCare could not estimate creatinine clearance ({why_not}). Gabapentin is "
                "cleared by the kidneys: check a recent serum creatinine, then the label's renal "
                "dose table, before signing. Only the 3600 mg/day maximum was checked.",
                [load_monograph().renal.formula_citation], "renal-not-done")


def meds_not_checked_card(instance: str, why: str) -> Card:
    """No active medication list: co-prescribed opioids and sedatives were not checked."""
    return info(instance, "meds-not-checked", "Co-prescribed opioids and sedatives not checked: "
                "no active medication list", "The EHR sent no active medication list (prefetch "
                "activeMeds) and none could be read" + why + ". Check for opioids, "
                "benzodiazepines and other sedatives before signing.", _opioid_citations(), "meds-not-checked")


# -- patient-view --------------------------------------------------------------------------------------------
def _summary_lines(summary: Mapping[str, Any], emergencies: Any) -> list[str]:
    lines = []
    if summary.get("adherence_pct") is not None:
        lines.append(f"- Adherence: **{float(summary['adherence_pct']):.0f}%** of scheduled doses taken"
                     + (f" ({summary.get('period')})" if summary.get("period") else ""))
    if summary.get("plan"):
        lines.append(f"- Plan in force: {summary['plan']}")
    for scale, trend in (summary.get("trends") or {}).items():
        lines.append(f"- {str(scale).replace('_', ' ')}: {trend}")
    side = summary.get("side_effects") or []
    if side:
        lines.append("- Side effects logged: " + ", ".join(str(s) for s in side))
    if emergencies:
        lines.append(f"- **Emergencies flagged by triage: {emergencies}**")
    return lines


def journal_summary_card(instance: str, summary: Mapping[str, Any]) -> Card:
    """What the patient logged in GabaCare (patient-reported), a warning when triage flagged emergencies."""
    m = load_monograph()
    emergencies = summary.get("emergencies") or 0
    lines = _summary_lines(summary, emergencies)
    indicator: Indicator = "warning" if emergencies else "info"
    text = "GabaCare journal: " + (f"{emergencies} emergency symptom(s) flagged; " if emergencies else "") + (
        f"adherence {float(summary['adherence_pct']):.0f}%" if summary.get("adherence_pct") is not None
        else "patient-reported doses and symptoms")
    body = "What the patient logged in GabaCare (patient-reported, not verified):\n\n" + "\n".join(lines or ["- nothing yet"])
    cites = [Citation(source="gabacare-policy")] if "gabacare-policy" in m.sources else []
    return card(instance, "journal-summary", text, indicator, body, cites, topic="journal-summary")


def measured_level_card(instance: str, level: Mapping[str, Any]) -> Card:
    """What the patient's measured gabapentin level says (``gabacare estimate``): their clearance with its
    interval against the typical value, and the regimen proposed to the prescriber (info: a proposal,
    never a change; warning when the plan in force is above the kidney maximum).

    ``level`` is the ``measured_level`` of the journal summary: ``at``, ``measured_mg_per_l``,
    ``cl_l_per_h``, ``cl_interval``, ``typical_cl_l_per_h``, ``proposal`` (text or None), ``reason``,
    ``warnings`` and ``citations`` (``Citation`` values).
    """
    warnings = list(level.get("warnings") or [])
    lo, hi = level["cl_interval"]
    lines = [f"- Latest level: **{float(level['measured_mg_per_l']):.2f} mg/L** drawn {level['at']}",
             f"- Clearance for this patient: {float(level['cl_l_per_h']):.2f} L/h (90% interval {float(lo):.2f}-"
             f"{float(hi):.2f}); typical at this kidney function {float(level['typical_cl_l_per_h']):.2f} L/h"]
    lines += [f"- **{w}**" for w in warnings]
    proposal = level.get("proposal")
    reason = level.get("reason", "")
    lines.append(f"- Proposal: {proposal}. {reason}" if proposal else f"- No proposal. {reason}")
    text = (f"Measured gabapentin level {float(level['measured_mg_per_l']):.1f} mg/L: "
            + (f"proposal {proposal}" if proposal else "no regimen proposed"))
    body = ("From the patient's GabaCare journal (doses patient-reported) and a population model:\n\n"
            + "\n".join(lines))
    return card(instance, "measured-level", text, "warning" if warnings else "info", body,
                list(level.get("citations") or []), topic="measured-level")


def taper_watch_card(instance: str, watch: Mapping[str, Any]) -> Card:
    """The withdrawal watch over the latest taper step (``gabacare taper-watch``), with the entries
    behind its proposal: info for "continue", warning for hold/slow/step back, critical for an emergency.

    ``watch`` is the journal summary's ``taper_watch``: ``proposal``, ``title``, ``message``, ``step``
    (``from_mg_per_day``, ``to_mg_per_day``, ``at``), ``window`` (``start``, ``end``, ``complete``),
    ``evidence`` (``at``, ``name``, ``level``) and ``citations`` (``Citation`` values).
    """
    step, window = watch["step"], watch["window"]
    lines = [f"- Step on {step['at']}: {float(step['from_mg_per_day']):g} -> {float(step['to_mg_per_day']):g} mg/day; "
             f"watched {window['start']} to {window['end']}" + (" (still open)" if window.get("complete") is False else ""),
             f"- {watch['message']}"]
    lines += [f"  - {e['at']}: {e['name']}" + (f" ({e['level']})" if e.get("level") is not None else "")
              for e in watch.get("evidence") or []]
    indicator: Indicator = ("critical" if watch["proposal"] == "emergency"
                            else "info" if watch["proposal"] == "continue" else "warning")
    body = ("The withdrawal watch over the patient's GabaCare journal (patient-reported), a proposal for the "
            "prescriber, never a change of the plan:\n\n" + "\n".join(lines))
    return card(instance, "taper-watch", f"Withdrawal watch: {watch['title']}", indicator, body,
                list(watch.get("citations") or []), topic="taper-watch")
