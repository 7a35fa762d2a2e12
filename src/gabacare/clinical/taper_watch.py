"""The withdrawal watch: after a taper step, what the journal says → a proposal for the prescriber.

Withdrawal after a gabapentin reduction appears 12 hours to 7 days after it (``gabapentin.toml``
``[withdrawal]`` ``onset_min_h``/``onset_max_h``: mersfelder-2016, label 5.5 and 6.2). That window
after each step is watched: the short withdrawal checklist (the symptoms ``[withdrawal]`` names,
rated none/mild/moderate/severe), the validated questionnaires (compared with their latest score in
the days before the step), seizures and logged emergencies. The rules are data
(``questionnaires.toml`` ``[taper_watch]``, each cited, GabaCare's thresholds as ``gabacare-policy``);
each proposes one of::

    continue < hold < slow < step_back < emergency

and the most severe proposal any rule reaches wins, with the entries that triggered it as evidence.
It is always a proposal to the prescriber, never a change of the plan. Seizures and emergencies count
from the moment of the step (not only from 12 hours), PHQ-9 item 9 above zero is an emergency
whatever else was logged, and entries after the window's end are not read.

Errors::

    ClinicalInputError      a step that does not lower the dose, an unknown symptom or questionnaire,
                            a level or score out of range, times that mix zones with naive times
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Literal

from gabacare._record import record
from gabacare.clinical.errors import ClinicalInputError
from gabacare.knowledge import Citation, load_monograph
from gabacare.knowledge.language import CrisisLine, load_language
from gabacare.knowledge.questionnaires import PROPOSALS, Instrument, WatchRule, load_questionnaires

__all__ = ["PROPOSAL_ORDER", "TaperStep", "WatchEntry", "WatchReason", "WatchResult", "taper_watch"]

#: The proposals from the least to the most severe (``questionnaires.toml`` rules use these words).
PROPOSAL_ORDER = PROPOSALS
EntryKind = Literal["symptom", "score", "seizure", "emergency"]
_DAY = timedelta(hours=24)
_SUICIDAL = "suicidal-thoughts"
_ECHO = 16  # characters of a refused input echoed back in the one-line error


@record
class TaperStep:
    """One taper step: from ``at`` on, ``to_mg_per_day`` instead of ``from_mg_per_day``."""

    at: datetime
    from_mg_per_day: float
    to_mg_per_day: float

    def __post_init__(self) -> None:
        for name in ("from_mg_per_day", "to_mg_per_day"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v < 0:
                raise ClinicalInputError(f"taper step: {name} must be a dose of 0 mg/day or more")
        if self.to_mg_per_day >= self.from_mg_per_day:
            raise ClinicalInputError(
                f"a taper step lowers the daily dose; got {self.from_mg_per_day:g} -> {self.to_mg_per_day:g} mg/day")

    @property
    def size_mg(self) -> float:
        return self.from_mg_per_day - self.to_mg_per_day

    def to_json(self) -> dict[str, object]:
        return {"at": self.at, "from_mg_per_day": self.from_mg_per_day, "to_mg_per_day": self.to_mg_per_day}


@record
class WatchEntry:
    """A journal entry the watch reads.

    ``symptom``: ``name`` is a checklist symptom, ``value`` its level (0 none … 3 severe);
    ``score``: ``name`` an instrument id, ``value`` its total, ``emergency`` its own emergency flag;
    ``seizure`` / ``emergency``: a logged event. ``ref`` is the journal's id for the entry, echoed back.
    """

    at: datetime
    kind: EntryKind
    name: str | None = None
    value: int | None = None
    emergency: bool = False
    ref: str | None = None

    @classmethod
    def symptom(cls, at: datetime, name: str, level: int | str, ref: str | None = None) -> WatchEntry:
        """A checklist symptom; ``level`` as a number or a word (``"moderate"``)."""
        if not isinstance(level, str):
            return cls(at, "symptom", name, level, ref=ref)
        try:
            value = load_questionnaires().taper_watch.level_value(level)
        except KeyError:
            words = ", ".join(load_questionnaires().taper_watch.levels)
            raise ClinicalInputError(f"symptom level must be one of {words}; got {level[:_ECHO]!r}") from None
        return cls(at, "symptom", name, value, ref=ref)

    @property
    def level_word(self) -> str | None:
        """A checklist symptom's level as its word (``questionnaires.toml`` ``levels``); None otherwise."""
        levels = load_questionnaires().taper_watch.levels
        if self.kind != "symptom" or self.value is None or not 0 <= self.value < len(levels):
            return None
        return levels[self.value]

    def to_json(self) -> dict[str, object]:
        return {"at": self.at, "kind": self.kind, "name": self.name, "value": self.value,
                "emergency": self.emergency, "ref": self.ref}


@record
class WatchReason:
    """A rule that fired: its id, its proposal, why, and the entries behind it."""

    rule: str
    proposal: str
    why: str
    evidence: tuple[WatchEntry, ...]
    citations: tuple[Citation, ...]

    def to_json(self) -> dict[str, object]:
        return {"rule": self.rule, "proposal": self.proposal, "why": self.why,
                "evidence": [e.to_json() for e in self.evidence], "citations": list(self.citations)}


@record
class WatchResult:
    """The watch's proposal for one step.

    Contract keys (DESIGN.md ``taper-watch``): ``proposal``, ``step``, ``window`` (``start``, ``end``),
    ``evidence`` (the entries behind the proposal), ``citations``.
    """

    proposal: str
    step: TaperStep
    window_start: datetime
    window_end: datetime
    evidence: tuple[WatchEntry, ...]
    baseline: tuple[WatchEntry, ...]
    reasons: tuple[WatchReason, ...]
    message: str
    next_step_mg: float | None
    window_complete: bool | None
    crisis_lines: tuple[CrisisLine, ...]
    citations: tuple[Citation, ...]
    notice: str

    @property
    def title(self) -> str:
        """The proposal's heading where it is shown (``questionnaires.toml`` ``[taper_watch] titles``)."""
        return load_questionnaires().taper_watch.titles[self.proposal]

    @property
    def severity(self) -> int:
        """The proposal's rank in :data:`PROPOSAL_ORDER` (0 continue … 4 emergency)."""
        return PROPOSAL_ORDER.index(self.proposal)

    def to_json(self) -> dict[str, object]:
        return {
            "proposal": self.proposal, "step": self.step.to_json(),
            "window": {"start": self.window_start, "end": self.window_end, "complete": self.window_complete},
            "evidence": [e.to_json() for e in self.evidence], "baseline": [e.to_json() for e in self.baseline],
            "reasons": [r.to_json() for r in self.reasons], "message": self.message,
            "next_step_mg": self.next_step_mg,
            "crisis_lines": [{"region": c.region, "name": c.name, "number": c.number} for c in self.crisis_lines],
            "citations": list(self.citations), "notice": self.notice,
        }


def _validated(step: TaperStep, entries: Iterable[WatchEntry]) -> list[WatchEntry]:
    q = load_questionnaires()
    symptoms = {s.lower() for s in load_monograph().withdrawal.symptoms}
    top_level = len(q.taper_watch.levels) - 1
    aware = step.at.tzinfo is not None
    out: list[WatchEntry] = []
    for e in entries:
        if (e.at.tzinfo is not None) != aware:
            raise ClinicalInputError("entry and step times must all carry a time zone, or none of them")
        if e.kind == "symptom":
            name = (e.name or "").strip().lower()
            if name not in symptoms:
                raise ClinicalInputError(
                    f"unknown withdrawal symptom {str(e.name)[:_ECHO]!r}; the checklist: {', '.join(sorted(symptoms))}")
            if isinstance(e.value, bool) or not isinstance(e.value, int) or not 0 <= e.value <= top_level:
                raise ClinicalInputError(f"symptom {name}: level must be 0 to {top_level}")
            e = WatchEntry(e.at, "symptom", name, e.value, e.emergency, e.ref)
        elif e.kind == "score":
            try:
                inst = q.instrument(e.name or "")
            except KeyError as exc:
                raise ClinicalInputError(str(exc.args[0])) from None
            lo, hi = inst.total_range
            if isinstance(e.value, bool) or not isinstance(e.value, int) or not lo <= e.value <= hi:
                raise ClinicalInputError(f"{inst.id} score must be {lo} to {hi}")
            e = WatchEntry(e.at, "score", inst.id, e.value, e.emergency, e.ref)
        elif e.kind not in ("seizure", "emergency"):
            raise ClinicalInputError(f"unknown entry kind {str(e.kind)[:_ECHO]!r}")
        out.append(e)
    return sorted(out, key=lambda e: e.at)


def _baselines(step: TaperStep, entries: Sequence[WatchEntry], days: int) -> dict[str, WatchEntry]:
    """The latest score of each instrument in the ``days`` before the step."""
    since = step.at - timedelta(days=days)
    out: dict[str, WatchEntry] = {}
    for e in entries:
        if e.kind == "score" and e.name and since <= e.at < step.at:
            out[e.name] = e  # entries are in time order: the last one wins
    return out


def _fires(rule: WatchRule, step: TaperStep, window: Sequence[WatchEntry], since_step: Sequence[WatchEntry],
           baselines: dict[str, WatchEntry], instruments: dict[str, Instrument]) -> tuple[WatchEntry, ...]:
    """The entries behind ``rule`` when it fires, else ``()``."""
    if rule.when == "flag":
        return tuple(e for e in since_step if e.kind in rule.flags)
    if rule.when == "score_emergency":
        return tuple(e for e in since_step if e.kind == "score" and e.emergency)
    if rule.when == "symptoms":
        hits = [e for e in window if e.kind == "symptom" and (e.value or 0) >= (rule.min_level or 0)]
        days = {int((e.at - step.at) / _DAY) for e in hits}
        names = {e.name for e in hits}
        ok = len(days) >= (rule.min_days or 1) and len(names) >= (rule.min_symptoms or 1)
        return tuple(hits) if ok and hits else ()
    if rule.when == "scale_worse":
        worse: list[WatchEntry] = []
        scales = 0
        for name, base in baselines.items():
            step_up = instruments[name].worse_by
            if step_up is None:
                continue
            threshold = (base.value or 0) + (rule.mid_multiple or 1.0) * step_up
            hits = [e for e in window if e.kind == "score" and e.name == name and (e.value or 0) >= threshold]
            if hits:
                scales += 1
                worse.extend([base, *hits])
        return tuple(worse) if scales >= (rule.min_scales or 1) else ()
    # scale_level
    return tuple(e for e in window if e.kind == "score" and e.name == rule.instrument
                 and (e.value or 0) >= (rule.min_total or 0))


def _next_step_mg(step: TaperStep, fraction: float, granule: int) -> float:
    """A smaller next reduction: ``fraction`` of the step just taken, in whole granules when that leaves one."""
    smaller = step.size_mg * fraction
    whole = math.floor(smaller / granule) * granule
    return float(whole) if whole >= granule else round(smaller, 1)


def taper_watch(step: TaperStep, entries: Iterable[WatchEntry], *, as_of: datetime | None = None) -> WatchResult:
    """Propose continue / hold / slow / step_back / emergency for one taper step from the journal.

    Parameters
    ----------
    step
        The taper step (when it began, the daily dose before and after).
    entries
        Journal entries before and after the step: checklist symptoms, questionnaire scores, seizures
        and emergencies. Scores in the ``baseline_days`` before the step are the baseline; entries
        past the window's end (or past ``as_of``) are not read.
    as_of
        The moment of reading, when known: says whether the window is complete.

    Returns
    -------
    WatchResult
        The proposal, the step, the window, the evidence, the rules that fired and the citations.

    Raises
    ------
    ClinicalInputError
        An unknown symptom or questionnaire, a level or score out of range, mixed time zones.

    Examples
    --------
    >>> from datetime import datetime
    >>> step = TaperStep(datetime(2026, 3, 1, 8), 900, 600)
    >>> day2 = datetime(2026, 3, 2, 20)
    >>> r = taper_watch(step, [WatchEntry.symptom(day2, "anxiety", "mild")])
    >>> (r.proposal, r.window_start.isoformat(), r.window_end.isoformat())
    ('hold', '2026-03-01T20:00:00', '2026-03-08T08:00:00')
    >>> taper_watch(step, [WatchEntry(day2, "seizure")]).proposal
    'emergency'
    >>> taper_watch(step, []).proposal
    'continue'
    """
    m = load_monograph()
    q = load_questionnaires()
    tw = q.taper_watch
    w = m.withdrawal
    valid = _validated(step, entries)
    if as_of is not None and (as_of.tzinfo is not None) != (step.at.tzinfo is not None):
        raise ClinicalInputError("as_of and the step time must both carry a time zone, or neither")
    start = step.at + timedelta(hours=w.onset_min_h)
    end = step.at + timedelta(hours=w.onset_max_h)
    last = end if as_of is None else min(end, as_of)
    since_step = [e for e in valid if step.at <= e.at <= last]
    window = [e for e in since_step if e.at >= start]
    baselines = _baselines(step, valid, tw.baseline_days)
    instruments = {i.id: i for i in q.instruments}

    fired: list[tuple[WatchRule, tuple[WatchEntry, ...]]] = []
    for rule in tw.rules:
        hits = _fires(rule, step, window, since_step, baselines, instruments)
        if hits:
            fired.append((rule, hits))
    fired.sort(key=lambda f: -PROPOSAL_ORDER.index(f[0].proposal))
    proposal = fired[0][0].proposal if fired else "continue"
    top = [f for f in fired if f[0].proposal == proposal]

    cites: list[Citation] = [*w.citations]
    reasons: list[WatchReason] = []
    for rule, hits in fired:
        extra: list[Citation] = []
        if rule.when == "scale_worse":
            extra = [c for name in dict.fromkeys(e.name for e in hits if e.name) for c in instruments[name].worse_by_citations]
        reasons.append(WatchReason(rule.id, rule.proposal, rule.why, hits, tuple(dict.fromkeys([*rule.citations, *extra]))))
    for r in reasons:
        if r.proposal == proposal:
            cites.extend(r.citations)
    evidence = tuple(sorted(dict.fromkeys(e for _, hits in top for e in hits if e.at >= step.at), key=lambda e: e.at))

    crisis: tuple[CrisisLine, ...] = ()
    next_step: float | None = None
    values = {"from_mg": f"{step.from_mg_per_day:g}", "to_mg": f"{step.to_mg_per_day:g}",
              "step_mg": f"{step.size_mg:g}"}
    if proposal == "emergency":
        effects = {e.id: e for e in m.adverse_effects}
        advice: list[str] = []
        for rule, _ in top:
            effect = effects.get(rule.effect or "")
            advice.append(effect.advice if effect else (rule.advice or ""))
            if effect:
                cites.extend(effect.citations)
            if rule.effect == _SUICIDAL:
                crisis = load_language().crisis_lines
                cites.extend(c for line in crisis for c in line.citations)
        message = " ".join(dict.fromkeys(a for a in advice if a))
    elif proposal == "step_back":
        message = tw.step_back_message.format(**values)
    elif proposal == "slow":
        next_step = _next_step_mg(step, tw.slow_step_fraction, m.limits.dose_granule_mg)
        message = tw.slow_message.format(next_step_mg=f"{next_step:g}", **values)
        cites += [Citation(source=tw.slow_step_source), Citation(source=m.limits.dose_granule_source)]
    elif proposal == "hold":
        message = tw.hold_message.format(hold=m.taper.hold_if_withdrawal, **values)
        cites.append(Citation(source=m.taper.hold_source))
    else:
        message = tw.continue_message.format(**values)
    if proposal != "emergency":
        cites.append(tw.message_citation(proposal))
    complete = None if as_of is None else as_of >= end
    if complete is False and proposal != "emergency":
        message = f"{message} {tw.watching_note.format(end=end.isoformat(timespec='minutes'))}"
        cites.append(Citation(source=tw.watching_note_source))
    return WatchResult(
        proposal=proposal, step=step, window_start=start, window_end=end, evidence=evidence,
        baseline=tuple(baselines[k] for k in sorted(baselines)), reasons=tuple(reasons), message=message,
        next_step_mg=next_step, window_complete=complete, crisis_lines=crisis,
        citations=tuple(dict.fromkeys(cites)), notice=m.notice_text,
    )
