"""Missed-dose advice from the schedule, the missed dose's time and the time now.

Rule (knowledge base ``[missed_dose]``, article-400mg): take the missed dose when remembered unless
the next dose is near; then skip it; never double. "Near" is past ``near_fraction_of_interval`` of
the way from the missed dose to the next one (gabacare-policy), and a late dose is never taken within
``min_gap_h`` of the next one, whatever else applies. If the next dose time has already come, take
that one only. In epilepsy, a skip that would leave more than 12 hours between doses (label 2.2)
becomes "take now" unless the next dose is within the window. Times are clock times; a missed time
later than "now" is yesterday's dose (the 21:00 dose remembered at 07:00) unless another dose has come
since and the missed time is the next one due: then it is not due yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Literal

from gabacare._record import record
from gabacare.clinical.errors import ClinicalInputError
from gabacare.clinical.regimen import format_time
from gabacare.knowledge import Citation, load_monograph

__all__ = ["MissedDoseAdvice", "missed_dose_advice"]

Advice = Literal["take_now", "skip"]
Status = Literal["late", "next_due", "not_due"]
_HOUR = timedelta(hours=1)


@record
class MissedDoseAdvice:
    """Contract keys: ``advice`` (take_now|skip), ``message``, ``next_dose`` (HH:MM).

    ``status`` says which case it is: ``late`` (the missed dose, late), ``next_due`` (a later dose is
    already due: take that one only) or ``not_due`` (the dose has not come yet; ``advice`` is ``skip``:
    nothing to take now). ``min_gap_h`` is the window within which two doses are never taken.
    """

    advice: Advice
    message: str
    next_dose: str | None
    hours_since_missed: float
    hours_to_next: float
    citations: tuple[Citation, ...]
    notice: str
    status: Status = "late"
    min_gap_h: float | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "advice": self.advice, "message": self.message, "next_dose": self.next_dose,
            "hours_since_missed": round(self.hours_since_missed, 2), "hours_to_next": round(self.hours_to_next, 2),
            "never_double": True, "status": self.status, "min_gap_h": self.min_gap_h,
            "citations": list(self.citations), "notice": self.notice,
        }


def _skip_gap_h(times: Sequence[time], missed_dt: datetime, next_dt: datetime) -> float:
    """Hours from the dose before the missed one to the next dose, i.e. the gap if the missed dose is skipped."""
    earlier = [t for t in times if t < missed_dt.time()]
    prev_dt = datetime.combine(missed_dt.date(), earlier[-1]) if earlier else datetime.combine(
        missed_dt.date() - timedelta(days=1), times[-1])
    return (next_dt - prev_dt) / _HOUR


def _next_after(times: Sequence[time], moment: datetime) -> datetime:
    """The first scheduled dose strictly after ``moment``."""
    later = [t for t in times if datetime.combine(moment.date(), t) > moment]
    return datetime.combine(moment.date(), later[0]) if later else datetime.combine(
        moment.date() + timedelta(days=1), times[0])


def missed_dose_advice(
    schedule: Sequence[time], missed: time, now: time, *, epilepsy: bool = False
) -> MissedDoseAdvice:
    """Advise ``take_now`` or ``skip`` for a missed dose (never a double dose).

    Which dose is meant: the latest occurrence of ``missed`` at or before ``now`` (today's, else
    yesterday's). If another scheduled dose has come since yesterday's and the missed time is the next
    one due, the dose is simply not due yet (``status`` "not_due": nothing to take now). A late dose is
    taken only when the next dose is more than ``min_gap_h`` away, epilepsy included, so two doses are
    never taken within that window.

    Examples
    --------
    >>> missed_dose_advice([time(8), time(20)], time(8), time(10)).advice
    'take_now'
    >>> missed_dose_advice([time(8), time(20)], time(8), time(17)).advice
    'skip'
    >>> missed_dose_advice([time(8), time(20)], time(8), time(7)).status
    'not_due'
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
    next_dt = _next_after(times, missed_dt)
    since = (now_dt - missed_dt) / _HOUR
    interval = (next_dt - missed_dt) / _HOUR
    to_next = (next_dt - now_dt) / _HOUR
    window = rule.min_gap_h
    cites = [Citation(source=rule.source), Citation(source=rule.near_source), Citation(source=rule.min_gap_source)]
    gap_limit = m.limits.epilepsy_max_gap_h
    next_txt = format_time(next_dt.time())
    status: Status = "late"
    advice: Advice
    upcoming = _next_after(times, now_dt)
    if to_next <= 0 and missed > now and upcoming.time() == missed:
        # Yesterday's dose was followed by others; today's is still to come: nothing is missed yet.
        status, advice = "not_due", "skip"
        to_next = (upcoming - now_dt) / _HOUR
        since = 0.0
        next_txt = format_time(missed)
        message = (
            f"The {next_txt} dose is not due yet ({to_next:.1f} h from now): nothing is missed. Take it at {next_txt} "
            "as usual. If you meant yesterday's dose, it is too late for it now: never take two doses at once."
        )
    elif to_next <= 0:
        # A later dose time has already come: that dose is the one to take, never both.
        due_dt = next_dt
        while (cand := _next_after(times, due_dt)) <= now_dt:
            due_dt = cand
        status, advice = "next_due", "skip"
        next_txt = format_time(due_dt.time())
        message = (
            f"Skip the missed {format_time(missed)} dose: the {next_txt} dose is already due. Take that one if you "
            "have not yet, and never two doses at once."
        )
        to_next = 0.0
    elif to_next <= window:
        # Never two doses within the window, epilepsy included: the next dose is the one to take.
        advice = "skip"
        message = (
            f"Skip the missed {format_time(missed)} dose: the next dose at {next_txt} is only {to_next:.1f} h away, "
            f"and two doses should not be taken within {window:g} hours. Take the {next_txt} dose as usual; do not double it."
        )
    elif since < interval * rule.near_fraction_of_interval or (epilepsy and _skip_gap_h(times, missed_dt, next_dt) > gap_limit):
        # In epilepsy a skipped dose must not leave more than the label's maximum gap between doses.
        advice = "take_now"
        message = (
            f"Take the missed {format_time(missed)} dose now, then the next dose at {next_txt} as usual "
            f"({to_next:.1f} h from now). Never take two doses at once."
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
    return MissedDoseAdvice(advice, message, next_txt, since, to_next, tuple(cites), m.notice_text, status, window)
