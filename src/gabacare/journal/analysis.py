"""Journal analysis (pure functions over entries and the plan's schedule).

* :func:`match_doses` pairs each scheduled dose with the dose entry that answers it: the entry whose
  stored ``slot`` is that dose's date and time (never the nearest entry in time).
* :func:`adherence` -- per day and per ISO week: scheduled vs taken, on time within a window,
  missed-dose streaks, mg actually taken vs planned, and as-needed (PRN) doses apart.
* :func:`trends` -- each score's daily mean and trailing rolling mean.
* :func:`dose_response` -- score vs daily mg taken, and scores before/after each plan step,
  including the withdrawal watch window after a dose reduction (knowledge base ``[withdrawal]``).

Definitions (also in the CLI help): ``adherence_pct`` = scheduled doses that were taken (whatever
the hour) ÷ scheduled doses due so far (a dose is due once its time has come, or once it has been
answered, taken or skipped, ahead of time); ``on_time_pct`` = scheduled doses taken (the moment
stored in ``at``) within ``window`` of their time ÷ the same denominator (``None`` when nothing was
due). A ``late`` dose counts as taken but never as on time; ``skipped`` counts as not taken. A dose
answering no scheduled dose (no slot, a slot the plan does not call for, or a second answer to one
slot) is an ``extra`` dose; an as-needed dose (``prn``) is neither: it is counted in ``prn_doses``.
``taken_mg`` is every mg actually taken, as-needed doses included (``prn_mg`` of it).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import field
from datetime import date, datetime, time, timedelta
from itertools import pairwise

from gabacare._record import record
from gabacare.journal import settings
from gabacare.journal.model import Entry, EntryData, InvalidEntry, ScheduledDose, entry_problem
from gabacare.journal.schedule import days
from gabacare.knowledge import load_monograph

__all__ = [
    "AdherenceReport",
    "DayAdherence",
    "DoseMatch",
    "DosePoint",
    "DoseResponse",
    "MissedStreak",
    "ScaleDoseResponse",
    "StepEffect",
    "TrendPoint",
    "WeekAdherence",
    "adherence",
    "daily_planned_mg",
    "dose_day",
    "dose_response",
    "match_doses",
    "pct",
    "period_trends",
    "stored_problem",
    "trends",
]


def pct(part: int, whole: int) -> float | None:
    """``part / whole`` as a percentage rounded to 0.1, or None when ``whole`` is 0."""
    return None if whole == 0 else round(settings.PCT * part / whole, 1)


_TAKEN = ("taken", "late")

# Memo of entry_problem for stored doses and scores (see stored_problem): the monograph it was
# computed under, and its answers. Bounded: emptied when full (a year of one patient is ~2,200 dose
# and score rows; the longest period, [journal_limits] max_period_days, about three times that).
# Kinds with free text are not kept: they are few, and their text could be long.
_PROBLEMS_MAX = 1 << 14
_MEMO_KINDS = frozenset(("dose", "symptom"))
_problems: tuple[object, dict[tuple[object, ...], str | None]] = (None, {})


def stored_problem(data: EntryData) -> str | None:
    """:func:`gabacare.journal.model.entry_problem` of ``data``, remembered.

    Every view checks every stored entry it reads against today's rules (about 20-50 µs an entry in
    pure Python; a year's Trends page reads ~2,200). The answer depends only on the entry's values
    and the knowledge base's limits, so for doses and scores without text (the rows a period's views
    read by the thousand) it is kept per (values, their types) for the monograph in force:
    ``EntryData`` is immutable, its values hashable, and their types are part of the key because equal values
    of other types can break a rule (``True == 1.0``, but a bool is not a number here). A new
    monograph (a rule changed) starts an empty memo. Values that do not compare equal to themselves
    (NaN) simply miss and are checked again.
    """
    if not isinstance(data.kind, str) or data.kind not in _MEMO_KINDS or data.text is not None:
        return entry_problem(data)
    monograph = load_monograph()  # cached: a new object only when the knowledge base is reloaded
    owner, memo = _problems
    if owner is not monograph:
        memo = {}
        _set_memo(monograph, memo)
    # Every field but text (None here), then the types: a plain tuple compares in C, where the
    # dataclass's own __eq__ and __hash__ would build two tuples of fields in Python per lookup.
    at, mg, status, name, value, unit, urgency, slot, prn = (
        data.at, data.mg, data.status, data.name, data.value, data.unit, data.urgency, data.slot, data.prn)
    key = (data.kind, at, mg, status, name, value, unit, urgency, slot, prn, type(at), type(mg), type(status),
           type(name), type(value), type(unit), type(urgency), type(slot), type(prn))
    try:
        return memo[key]
    except KeyError:
        pass
    except TypeError:  # a value that cannot be hashed (never stored by this version): just check it
        return entry_problem(data)
    why = entry_problem(data)
    if len(memo) >= _PROBLEMS_MAX:
        memo = {}
        _set_memo(monograph, memo)
    memo[key] = why
    return why


def _set_memo(monograph: object, memo: dict[tuple[object, ...], str | None]) -> None:
    global _problems  # swapped whole (one assignment), so a concurrent reader sees one consistent pair
    _problems = (monograph, memo)


def daily_planned_mg(scheduled: Sequence[ScheduledDose], start: date, end: date) -> dict[date, float]:
    """Planned mg per day from ``start`` to ``end`` (0 where nothing is due), summed in schedule order
    from ``scheduled`` (:func:`gabacare.journal.schedule.scheduled_doses` of at least those days):
    the same sums as :func:`gabacare.journal.schedule.planned_daily_mg` without a second schedule."""
    totals = dict.fromkeys(days(start, end), 0.0)
    for dose in scheduled:
        day = dose.at.date()
        if day in totals:
            totals[day] += dose.mg
    return totals


@record
class DoseMatch:
    """A scheduled dose, the taken dose that answers it (None when none does) and, when none was
    taken, the entry that skipped it."""

    scheduled: ScheduledDose
    logged: Entry | None
    on_time: bool
    skipped: Entry | None = None

    @property
    def answered(self) -> bool:
        return self.logged is not None or self.skipped is not None


def dose_day(e: Entry) -> date:
    """The day a dose entry counts on: its slot's day (the planned dose it answers), else the day taken."""
    return (e.data.slot or e.data.at).date()


def match_doses(
    scheduled: Sequence[ScheduledDose], logged: Sequence[Entry], *, window: timedelta
) -> tuple[list[DoseMatch], list[Entry]]:
    """Pair each scheduled dose with the dose entry whose stored ``slot`` is its date and time.

    ``logged`` are dose entries (any status; as-needed ones are left out here). When several answer
    one slot, a taken (or late) one wins over a skipped one, then the first recorded (lowest id).
    Returns the matches in schedule order and the taken doses that answer none of ``scheduled``
    (extra doses: no slot, a slot not scheduled, or a second answer to a slot), by time.
    """
    out, used = _match(scheduled, logged, window)
    extra = [e for e in logged if e.id not in used and not e.data.prn and e.data.status in _TAKEN]
    return out, sorted(extra, key=lambda e: (e.at, e.id))


def _match(
    scheduled: Sequence[ScheduledDose], logged: Sequence[Entry], window: timedelta,
) -> tuple[list[DoseMatch], set[int]]:
    """:func:`match_doses`' matches, and the ids of the entries they use (taken or skipped)."""
    by_slot: dict[datetime, list[Entry]] = defaultdict(list)
    for e in sorted(logged, key=lambda e: e.id):
        if e.data.slot is not None and not e.data.prn:
            by_slot[e.data.slot].append(e)
    used: set[int] = set()
    out: list[DoseMatch] = []
    append = out.append
    for s in scheduled:
        got = skip = None
        # The first unused taken (or late) answer wins; else the first unused skipped one.
        for e in by_slot.get(s.at, ()):
            if e.id in used:
                continue
            status = e.data.status
            if status in _TAKEN:
                got = e
                break
            if skip is None and status == "skipped":
                skip = e
        if got is not None:
            used.add(got.id)
            append(DoseMatch(s, got, got.data.status == "taken" and abs(got.data.at - s.at) <= window, None))
        else:
            if skip is not None:
                used.add(skip.id)
            append(DoseMatch(s, None, False, skip))
    return out, used


@record
class DayAdherence:
    date: date
    scheduled: int
    taken: int
    on_time: int
    extra: int
    planned_mg: float
    taken_mg: float
    adherence_pct: float | None


@record
class WeekAdherence:
    week_start: date
    scheduled: int
    taken: int
    on_time: int
    adherence_pct: float | None
    on_time_pct: float | None


@record
class MissedStreak:
    """Consecutive scheduled doses not taken."""

    first: datetime
    last: datetime
    doses: int


@record
class AdherenceReport:
    start: date
    end: date
    scheduled: int
    taken: int
    on_time: int
    extra: int
    skipped: int
    adherence_pct: float | None
    on_time_pct: float | None
    on_time_window_min: int
    planned_mg: float
    taken_mg: float
    longest_missed_streak: int
    missed_streaks: tuple[MissedStreak, ...]
    days: tuple[DayAdherence, ...]
    weeks: tuple[WeekAdherence, ...]
    invalid_entries: tuple[InvalidEntry, ...] = ()
    """Stored dose entries left out because today's rules refuse them (the services fill this in)."""
    prn_doses: int = 0
    """As-needed doses taken in the period (counted apart: never scheduled, taken or extra)."""
    prn_mg: float = 0.0
    """mg of those as-needed doses (included in ``taken_mg``)."""


def adherence(
    scheduled: Sequence[ScheduledDose],
    doses: Sequence[Entry],
    *,
    start: date,
    end: date,
    now: datetime,
    window: timedelta = settings.ON_TIME_WINDOW,
) -> AdherenceReport:
    """Adherence from ``start`` to ``end`` inclusive; doses due after ``now`` are not counted yet
    (unless already answered: taken or skipped ahead of time).

    ``doses`` are dose entries (any status) counting on the period's days (:func:`dose_day`; a
    wider list is filtered); ``scheduled`` the plan's doses in it. They must be valid
    (``Entry.problem`` is None): the services leave invalid stored entries out.
    """
    in_period = [s for s in scheduled if start <= s.at.date() <= end]
    # One pass sorts the dose entries (in their order) into: not as-needed (what planned doses match),
    # those of them counting on the period's days (dose_day), as-needed ones taken in the period, and
    # every dose taken in the period (mg taken per day, as-needed ones included).
    planned_logged: list[Entry] = []
    logged: list[Entry] = []
    prn: list[Entry] = []
    taken_logged: list[Entry] = []
    for e in doses:
        d = e.data
        if d.kind != "dose":
            continue
        taken_in_period = d.status in _TAKEN and start <= d.at.date() <= end
        if d.prn:
            if taken_in_period:
                prn.append(e)
        else:
            planned_logged.append(e)
            if start <= (d.slot or d.at).date() <= end:
                logged.append(e)
        if taken_in_period:
            taken_logged.append(e)
    matched, _ = _match(in_period, planned_logged, window)
    matches = [m for m in matched if m.scheduled.at <= now or m.logged is not None or m.skipped is not None]
    used = {m.logged.id for m in matched if m.logged is not None}
    extra = [e for e in logged if e.data.status in _TAKEN and e.id not in used]

    per_day: dict[date, list[int]] = {d: [0, 0, 0, 0] for d in days(start, end)}  # sched, taken, on time, extra
    planned_mg: dict[date, float] = defaultdict(float)
    taken_mg: dict[date, float] = defaultdict(float)
    for m in matches:
        row = per_day[m.scheduled.at.date()]
        row[0] += 1
        row[1] += m.logged is not None
        row[2] += m.on_time
    for s in in_period:
        planned_mg[s.at.date()] += s.mg
    for e in extra:
        per_day[dose_day(e)][3] += 1
    for e in taken_logged:
        taken_mg[e.data.at.date()] += e.data.mg or 0.0
    day_rows = tuple(
        DayAdherence(d, r[0], r[1], r[2], r[3], planned_mg[d], taken_mg[d], pct(r[1], r[0]))
        for d, r in per_day.items()
    )
    weeks: dict[date, list[int]] = {}
    for day_row in day_rows:
        monday = day_row.date - timedelta(days=day_row.date.weekday())
        w = weeks.setdefault(monday, [0, 0, 0])
        w[0] += day_row.scheduled
        w[1] += day_row.taken
        w[2] += day_row.on_time
    week_rows = tuple(WeekAdherence(k, v[0], v[1], v[2], pct(v[1], v[0]), pct(v[2], v[0])) for k, v in weeks.items())

    streaks: list[MissedStreak] = []
    run: list[ScheduledDose] = []
    for maybe in [*matches, None]:
        if maybe is not None and maybe.logged is None:
            run.append(maybe.scheduled)
            continue
        if run:
            streaks.append(MissedStreak(run[0].at, run[-1].at, len(run)))
            run = []
    n_sched = len(matches)
    n_taken = sum(1 for m in matches if m.logged is not None)
    n_on_time = sum(1 for m in matches if m.on_time)
    return AdherenceReport(
        start=start, end=end, scheduled=n_sched, taken=n_taken, on_time=n_on_time, extra=len(extra),
        skipped=sum(1 for e in logged if e.data.status == "skipped"),
        prn_doses=len(prn), prn_mg=sum(e.data.mg or 0.0 for e in prn),
        adherence_pct=pct(n_taken, n_sched), on_time_pct=pct(n_on_time, n_sched),
        on_time_window_min=int(window.total_seconds() // 60),
        planned_mg=sum(planned_mg.values()), taken_mg=sum(taken_mg.values()),
        longest_missed_streak=max((s.doses for s in streaks), default=0), missed_streaks=tuple(streaks),
        days=day_rows, weeks=week_rows,
    )


@record
class TrendPoint:
    date: date
    mean: float
    n: int
    rolling_mean: float


def _daily_means(symptoms: Sequence[Entry]) -> dict[str, dict[date, list[float]]]:
    out: dict[str, dict[date, list[float]]] = defaultdict(lambda: defaultdict(list))
    for e in symptoms:
        d = e.data
        if d.kind == "symptom" and d.name is not None and d.value is not None:
            out[d.name][d.at.date()].append(d.value)
    return out


def trends(symptoms: Sequence[Entry], *, window_days: int = settings.ROLLING_WINDOW_DAYS) -> dict[str, list[TrendPoint]]:
    """Per scale: each day's mean score and the trailing ``window_days`` rolling mean of daily means."""
    return _trends(_daily_means(symptoms), window_days)


def _trends(daily: dict[str, dict[date, list[float]]], window_days: int) -> dict[str, list[TrendPoint]]:
    """:func:`trends` from the scores per scale and day (:func:`_daily_means`)."""
    result: dict[str, list[TrendPoint]] = {}
    reach = timedelta(days=window_days - 1)
    for scale, per_day in sorted(daily.items()):
        ordered = sorted(per_day)
        means = [sum(per_day[d]) / len(per_day[d]) for d in ordered]
        points = []
        lo = 0
        for hi, d in enumerate(ordered):
            first = d - reach
            while ordered[lo] < first:
                lo += 1
            window = means[lo:hi + 1]  # the same sum, in the same order, as a plain slice of daily means
            points.append(TrendPoint(d, round(means[hi], 3), len(per_day[d]), round(sum(window) / len(window), 3)))
        result[scale] = points
    return result


def period_trends(
    entries: Sequence[Entry],
    planned_mg: Mapping[date, float],
    *,
    withdrawal_onset_min_h: float,
    withdrawal_onset_max_h: float,
    scales: Collection[str] | None = None,
) -> tuple[dict[str, list[TrendPoint]], DoseResponse]:
    """:func:`trends` and :func:`dose_response` of one period's valid entries (any kinds: scores and
    doses are picked out; mg taken per day counts taken and late doses on the day taken), so that a
    caller that has read the period once (the doctor's report) need not read it again.
    ``planned_mg`` as for :func:`dose_response`; ``scales``: only these scales' scores (every
    scale when None)."""
    symptoms: list[Entry] = []
    taken: dict[date, float] = {}
    for e in entries:
        d = e.data
        if d.kind == "symptom":
            if scales is None or d.name in scales:
                symptoms.append(e)
        elif d.kind == "dose" and d.status in _TAKEN:
            day = d.at.date()
            taken[day] = taken.get(day, 0.0) + (d.mg or 0.0)
    daily = _daily_means(symptoms)  # once for both
    return _trends(daily, settings.ROLLING_WINDOW_DAYS), _dose_response(
        daily, symptoms, taken, planned_mg, withdrawal_onset_min_h=withdrawal_onset_min_h,
        withdrawal_onset_max_h=withdrawal_onset_max_h, compare_days=settings.STEP_COMPARE_DAYS)


@record
class DosePoint:
    date: date
    taken_mg: float
    score: float


@record
class ScaleDoseResponse:
    """Daily mean score against mg taken that day; slope per 100 mg by least squares."""

    scale: str
    points: tuple[DosePoint, ...]
    slope_per_100mg: float | None
    correlation: float | None


@record
class StepEffect:
    """Mean scores around a change of the planned daily dose (``at`` is the step day's midnight)."""

    at: datetime
    from_mg: float
    to_mg: float
    direction: str
    before: dict[str, float | None]
    after: dict[str, float | None]
    withdrawal_from: datetime | None
    withdrawal_until: datetime | None
    withdrawal_window: dict[str, float | None] | None
    before_n: dict[str, int] = field(default_factory=dict)
    after_n: dict[str, int] = field(default_factory=dict)
    change_ci95: dict[str, float | None] = field(default_factory=dict)
    """Half-width of the 95% interval of ``after - before`` (normal approximation, Welch's standard
    error of a difference of two means); None with fewer than two scores on either side."""

    def change(self, scale: str) -> float | None:
        """``after - before`` for one scale (None when either side has no score)."""
        b, a = self.before.get(scale), self.after.get(scale)
        return None if a is None or b is None else round(a - b, 3)


@record
class DoseResponse:
    scales: tuple[ScaleDoseResponse, ...]
    steps: tuple[StepEffect, ...]


def _fit(xs: Sequence[float], ys: Sequence[float]) -> tuple[float | None, float | None]:
    n = len(xs)
    if n < 2:
        return None, None
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    if sxx == 0:
        return None, None
    slope = sxy / sxx * 100
    corr = None if syy == 0 else sxy / math.sqrt(sxx * syy)
    return round(slope, 4), None if corr is None else round(corr, 4)


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 3) if values else None


_Z95 = 1.959964  # standard normal quantile for a two-sided 95% interval (a statistical constant)


def _ci95_of_change(before: Sequence[float], after: Sequence[float]) -> float | None:
    """Half-width of the 95% interval of mean(after) - mean(before): z x sqrt(s1^2/n1 + s2^2/n2)."""
    if len(before) < 2 or len(after) < 2:
        return None

    def var(xs: Sequence[float]) -> float:
        m = sum(xs) / len(xs)
        return sum((x - m) ** 2 for x in xs) / (len(xs) - 1)

    return round(_Z95 * math.sqrt(var(before) / len(before) + var(after) / len(after)), 3)


def dose_response(
    symptoms: Sequence[Entry],
    taken_mg: Mapping[date, float],
    planned_mg: Mapping[date, float],
    *,
    withdrawal_onset_min_h: float,
    withdrawal_onset_max_h: float,
    compare_days: int = settings.STEP_COMPARE_DAYS,
) -> DoseResponse:
    """Score vs mg per day, and before/after means around each change of the planned daily dose.

    ``planned_mg`` must hold every day of the period (0 when nothing was planned); a step is a day
    whose planned total differs from the day before. After a reduction, the withdrawal window
    (``onset_min_h``..``onset_max_h`` after the step, knowledge base ``[withdrawal]``, label 5.5)
    gets its own mean.
    """
    return _dose_response(_daily_means(symptoms), symptoms, taken_mg, planned_mg, withdrawal_onset_min_h=withdrawal_onset_min_h,
                          withdrawal_onset_max_h=withdrawal_onset_max_h, compare_days=compare_days)


def _dose_response(
    daily: dict[str, dict[date, list[float]]],
    symptoms: Sequence[Entry],
    taken_mg: Mapping[date, float],
    planned_mg: Mapping[date, float],
    *,
    withdrawal_onset_min_h: float,
    withdrawal_onset_max_h: float,
    compare_days: int,
) -> DoseResponse:
    """:func:`dose_response` given ``daily``, the :func:`_daily_means` of ``symptoms``."""
    # Each scale's (time, score) in the order of ``symptoms``: the windows below scan one scale's
    # scores, not every score once per scale and window (the same values in the same order).
    timed: dict[str, list[tuple[datetime, float]]] = {}
    for e in symptoms:
        d = e.data
        if d.kind == "symptom" and d.name is not None and d.value is not None:
            timed.setdefault(d.name, []).append((d.at, d.value))

    def between(scale: str, lo: datetime, hi: datetime) -> list[float]:
        return [v for at, v in timed.get(scale, ()) if lo <= at < hi]

    scales = []
    for scale, per_day in sorted(daily.items()):
        pts = tuple(DosePoint(d, taken_mg.get(d, 0.0), round(sum(v) / len(v), 3)) for d, v in sorted(per_day.items()))
        slope, corr = _fit([p.taken_mg for p in pts], [p.score for p in pts])
        scales.append(ScaleDoseResponse(scale, pts, slope, corr))
    names = sorted(daily)
    steps = []
    ordered = sorted(planned_mg.items())
    for (_, prev), (day, cur) in pairwise(ordered):
        if cur == prev:
            continue
        at = datetime.combine(day, time(0, 0))
        span = timedelta(days=compare_days)
        down = cur < prev
        w_from = at + timedelta(hours=withdrawal_onset_min_h) if down else None
        w_until = at + timedelta(hours=withdrawal_onset_max_h) if down else None
        before = {s: between(s, at - span, at) for s in names}
        after = {s: between(s, at, at + span) for s in names}
        steps.append(StepEffect(
            at=at, from_mg=prev, to_mg=cur, direction="down" if down else "up",
            before={s: round(sum(v) / len(v), 3) if v else None for s, v in before.items()},
            after={s: round(sum(v) / len(v), 3) if v else None for s, v in after.items()},
            withdrawal_from=w_from, withdrawal_until=w_until,
            withdrawal_window=None if w_from is None or w_until is None else
            {s: _mean(between(s, w_from, w_until)) for s in names},
            before_n={s: len(v) for s, v in before.items()}, after_n={s: len(v) for s, v in after.items()},
            change_ci95={s: _ci95_of_change(before[s], after[s]) for s in names},
        ))
    return DoseResponse(tuple(scales), tuple(steps))
