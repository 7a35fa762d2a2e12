"""Missed-dose advice from the schedule, the missed dose's time and the time now.

Rule (knowledge base ``[missed_dose]``, article-400mg): take the missed dose when remembered unless
the next dose is near; then skip it; never double. "Near" is past ``near_fraction_of_interval`` of
the way from the missed dose to the next one (gabacare-policy). If the next dose time has already
come, take that one only. In epilepsy, a skip that would leave more than 12 hours between doses
(label 2.2) becomes "take now". Times are clock times; a missed time later than "now" is taken as
yesterday's dose (e.g. the 21:00 dose remembered at 07:00).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from gabacare.clinical.errors import ClinicalInputError
from gabacare.clinical.regimen import format_time
from gabacare.knowledge import Citation, load_monograph

__all__ = ["MissedDoseAdvice", "missed_dose_advice"]

Advice = Literal["take_now", "skip"]
_HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class MissedDoseAdvice:
    """Contract keys: ``advice`` (take_now|skip), ``message``, ``next_dose`` (HH:MM)."""

    advice: Advice
    message: str
    next_dose: str | None
    hours_since_missed: float
    hours_to_next: float
    citations: tuple[Citation, ...]
    notice: str

    def to_json(self) -> dict[str, object]:
        return {
            "advice": self.advice, "message": self.message, "next_dose": self.next_dose,
            "hours_since_missed": round(self.hours_since_missed, 2), "hours_to_next": round(self.hours_to_next, 2),
            "never_double": True, "citations": list(self.citations), "notice": self.notice,
        }


def _skip_gap_h(times: Sequence[time], missed_dt: datetime, next_dt: datetime) -> float:
    """Hours from the dose before the missed one to the next dose, i.e. the gap if the missed dose is skipped."""
    earlier = [t for t in times if t < missed_dt.time()]
    prev_dt = datetime.combine(missed_dt.date(), earlier[-1]) if earlier else datetime.combine(
        missed_dt.date() - timedelta(days=1), times[-1])
    return (next_dt - prev_dt) / _HOUR


def missed_dose_advice(
    schedule: Sequence[time], missed: time, now: time, *, epilepsy: bool = False
) -> MissedDoseAdvice:
    """Advise ``take_now`` or ``skip`` for a missed dose (never a double dose).

    Examples
    --------
    >>> missed_dose_advice([time(8), time(20)], time(8), time(10)).advice
    'take_now'
    >>> missed_dose_advice([time(8), time(20)], time(8), time(17)).advice
    'skip'
    """
    m = load_monograph()
    rule = m.missed_dose
    times = sorted(set(schedule))
    if not times:
        raise ClinicalInputError("the schedule needs at least one dose time")
    if missed not in times:
        raise ClinicalInputError(
            f"the missed time {format_time(missed)} is not in the schedule ({', '.join(format_time(t) for t in times)})"
        )
    day = date(2000, 1, 2)
    now_dt = datetime.combine(day, now)
    missed_dt = datetime.combine(day, missed)
    if missed_dt > now_dt:
        missed_dt -= timedelta(days=1)
    later = [t for t in times if t > missed]
    next_dt = datetime.combine(missed_dt.date(), later[0]) if later else datetime.combine(
        missed_dt.date() + timedelta(days=1), times[0]
    )
    since = (now_dt - missed_dt) / _HOUR
    interval = (next_dt - missed_dt) / _HOUR
    to_next = (next_dt - now_dt) / _HOUR
    cites = [Citation(source=rule.source), Citation(source=rule.near_source)]
    gap_limit = m.limits.epilepsy_max_gap_h
    next_txt = format_time(next_dt.time())
    if to_next <= 0:
        # A later dose time has already come: that dose is the one to take, never both.
        due_dt = next_dt
        while True:
            nxt = [t for t in times if datetime.combine(due_dt.date(), t) > due_dt]
            cand = datetime.combine(due_dt.date(), nxt[0]) if nxt else datetime.combine(
                due_dt.date() + timedelta(days=1), times[0])
            if cand > now_dt:
                break
            due_dt = cand
        advice: Advice = "skip"
        next_txt = format_time(due_dt.time())
        message = (
            f"Skip the missed {format_time(missed)} dose: the {next_txt} dose is already due. Take that one if you "
            "have not yet, and never two doses at once."
        )
        to_next = 0.0
    elif since < interval * rule.near_fraction_of_interval or (epilepsy and _skip_gap_h(times, missed_dt, next_dt) > gap_limit):
        # In epilepsy a skipped dose must not leave more than the label's maximum gap between doses.
        advice = "take_now"
        message = (
            f"Take the missed {format_time(missed)} dose now, then the next dose at {next_txt} as usual. "
            "Never take two doses at once."
        )
    else:
        advice = "skip"
        message = (
            f"Skip the missed {format_time(missed)} dose: the next dose at {next_txt} is near "
            f"({to_next:.1f} h away). Take that one as usual; do not double it."
        )
    if epilepsy:
        message += " " + rule.epilepsy_note
        cites.append(Citation(source=rule.epilepsy_source, section=rule.epilepsy_section))
    return MissedDoseAdvice(advice, message, next_txt, since, to_next, tuple(cites), m.notice_text)
