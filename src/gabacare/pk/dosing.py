"""Turn a regimen into dose events, and read which doses were missed (``--missed``).

``t = 0`` is midnight before day 1; dose ``n`` (counting from 1) is the ``n``-th dose in time order.
A missed dose is named by its number (``5``) or by day and clock time (``day2@14:00``; also
``day2 14:00`` or ``d2@14:00``); several may be given, separated by commas.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from gabacare.clinical.errors import ClinicalInputError
from gabacare.clinical.regimen import DailyRegimen, parse_clock
from gabacare.knowledge import load_monograph
from gabacare.pk.model import DoseEvent

__all__ = ["parse_missed", "regimen_doses"]

_HOURS_PER_DAY = 24.0
_DAY_TIME = re.compile(r"^d(?:ay)?\s*(\d+)\s*(?:@|\s)\s*(\d{1,2}:\d{2})$", re.IGNORECASE)


def _check_days(days: int) -> int:
    pk = load_monograph().pk
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= pk.max_days:
        raise ClinicalInputError(f"days must be a whole number from 1 to {pk.max_days}, got {days!r}")
    return days


def regimen_doses(regimen: DailyRegimen, days: int, missed: Iterable[int] = ()) -> tuple[DoseEvent, ...]:
    """The dose events of ``regimen`` taken for ``days`` days, leaving out the ``missed`` dose numbers.

    A single (``once``) regimen gives one dose whatever ``days`` is. Dose numbers count from 1.

    Examples
    --------
    >>> from gabacare.clinical.regimen import parse_regimen
    >>> [(d.time_h, d.mg) for d in regimen_doses(parse_regimen("300 mg BID"), 1)]
    [(8.0, 300.0), (20.0, 300.0)]
    """
    _check_days(days)
    n_days = days if regimen.repeat else 1
    events = [DoseEvent(day * _HOURS_PER_DAY + d.time.hour + d.time.minute / 60.0, d.mg.value)
              for day in range(n_days) for d in regimen.doses]
    skip = set(missed)
    bad = sorted(i for i in skip if not 1 <= i <= len(events))
    if bad:
        raise ClinicalInputError(f"missed dose {bad[0]} does not exist: doses are numbered 1 to {len(events)}")
    return tuple(e for i, e in enumerate(events, start=1) if i not in skip)


def parse_missed(items: Iterable[str], regimen: DailyRegimen, days: int) -> set[int]:
    """Dose numbers (from 1) named by ``--missed`` values: ``5``, ``day2@14:00``, or comma lists of them.

    Examples
    --------
    >>> from gabacare.clinical.regimen import parse_regimen
    >>> sorted(parse_missed(["2, day2@07:00"], parse_regimen("300 mg TID"), 3))
    [2, 4]
    """
    _check_days(days)
    per_day = regimen.doses_per_day
    clock = [f"{d.time.hour:02d}:{d.time.minute:02d}" for d in regimen.doses]
    out: set[int] = set()
    for item in items:
        for raw in item.split(","):
            text = raw.strip()
            if not text:
                continue
            if text.isdigit():
                out.add(int(text))
                continue
            m = _DAY_TIME.match(text)
            if not m:
                raise ClinicalInputError(f"cannot read missed dose {text!r}: use a dose number (5) or day2@14:00")
            day, at = int(m.group(1)), parse_clock(m.group(2))
            hhmm = f"{at.hour:02d}:{at.minute:02d}"
            if hhmm not in clock or not 1 <= day <= (days if regimen.repeat else 1):
                raise ClinicalInputError(f"no dose is scheduled on day {day} at {hhmm} (doses at {', '.join(clock)})")
            out.add((day - 1) * per_day + clock.index(hhmm) + 1)
    return out
