"""Regimen values and the parser for the regimen texts GabaCare reads.

Accepted forms (case-insensitive, ``mg`` optional in the pattern form)::

    600 mg TID        three doses a day        (also: three times daily, 3x/day, q8h)
    300 mg BID        two doses a day          (also: twice daily, 2x/day, q12h)
    400 mg QD         one dose a day           (also: OD, daily, once daily, nightly, qhs)
    400 mg once       a single dose, not repeated
    300-300-600       morning-midday-evening mg (two parts: morning-evening)

Dose clock times come from the knowledge base schedule (``[schedule]``, gabacare-policy).
"""

from __future__ import annotations

import functools
import re
from dataclasses import field
from datetime import time
from typing import Literal

from gabacare._record import record
from gabacare.clinical.errors import RegimenParseError
from gabacare.clinical.units import Milligrams
from gabacare.knowledge import load_monograph

__all__ = ["DailyRegimen", "Dose", "format_time", "parse_clock", "parse_regimen", "schedule_times"]

Frequency = Literal["QD", "BID", "TID", "ONCE", "PATTERN"]

_FREQ_WORDS: dict[str, tuple[Frequency, int]] = {
    "qd": ("QD", 1), "od": ("QD", 1), "daily": ("QD", 1), "once daily": ("QD", 1), "once a day": ("QD", 1),
    "nightly": ("QD", 1), "qhs": ("QD", 1), "1x/day": ("QD", 1), "q24h": ("QD", 1),
    "bid": ("BID", 2), "bd": ("BID", 2), "twice daily": ("BID", 2), "twice a day": ("BID", 2), "2x/day": ("BID", 2),
    "q12h": ("BID", 2),
    "tid": ("TID", 3), "tds": ("TID", 3), "three times daily": ("TID", 3), "three times a day": ("TID", 3),
    "3x/day": ("TID", 3), "q8h": ("TID", 3),
    "once": ("ONCE", 1), "single dose": ("ONCE", 1), "stat": ("ONCE", 1),
}
_FREQ_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:mg)?\s+(.+?)\s*$", re.IGNORECASE)
_PATTERN_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)(?:\s*-\s*(\d+(?:\.\d+)?)){0,2}\s*(?:mg)?\s*$", re.IGNORECASE)
_HELP = "use e.g. '600 mg TID', '300 mg BID', '400 mg QD', '400 mg once' or '300-300-600'"


def parse_clock(text: str) -> time:
    """Parse ``HH:MM`` (24-hour) into a time; raise ``RegimenParseError`` otherwise."""
    m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", text)
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise RegimenParseError(f"not a 24-hour HH:MM time: {text!r}")
    return time(int(m.group(1)), int(m.group(2)))


def format_time(t: time) -> str:
    """``HH:MM``."""
    return f"{t.hour:02d}:{t.minute:02d}"


@functools.cache
def schedule_times(doses_per_day: int) -> tuple[time, ...]:
    """Default clock times for 1-3 doses a day (knowledge base ``[schedule]``)."""
    try:
        return tuple(parse_clock(t) for t in load_monograph().schedule.times(doses_per_day))
    except ValueError as exc:
        raise RegimenParseError(f"GabaCare schedules 1 to 3 doses a day, not {doses_per_day}") from exc


@record
class Dose:
    """One dose: a clock time and an amount."""

    time: time
    mg: Milligrams


@record
class DailyRegimen:
    """A day's doses in clock order. ``repeat`` is False for a single (``once``) dose."""

    doses: tuple[Dose, ...]
    frequency: Frequency
    repeat: bool = True
    text: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.doses:
            raise RegimenParseError("a regimen needs at least one dose")
        times = [d.time for d in self.doses]
        if times != sorted(times):
            raise RegimenParseError("doses must be in clock order")

    @property
    def total_mg(self) -> float:
        """The day's total in mg."""
        return sum(d.mg.value for d in self.doses)

    @property
    def doses_per_day(self) -> int:
        return len(self.doses)

    def describe(self) -> str:
        """Canonical text, e.g. ``300 mg TID`` or ``300-300-600 mg``."""
        amounts = [d.mg.value for d in self.doses]
        if self.frequency in ("QD", "BID", "TID", "ONCE") and len(set(amounts)) == 1:
            word = {"QD": "QD", "BID": "BID", "TID": "TID", "ONCE": "once"}[self.frequency]
            return f"{amounts[0]:g} mg {word}"
        return "-".join(f"{a:g}" for a in amounts) + " mg"


def _mg(text: str, whole: str) -> Milligrams:
    value = float(text)
    if value <= 0:
        raise RegimenParseError(f"a dose must be more than 0 mg in {whole!r}")
    return Milligrams(value)


def parse_regimen(text: str) -> DailyRegimen:
    """Read a regimen text (see the module docstring); raise ``RegimenParseError`` with help otherwise.

    Examples
    --------
    >>> parse_regimen("300-300-600").total_mg
    1200.0
    >>> parse_regimen("600 mg tid").describe()
    '600 mg TID'
    """
    if not isinstance(text, str) or not text.strip():
        raise RegimenParseError(f"empty regimen: {_HELP}")
    pattern = _PATTERN_RE.match(text)
    if pattern and "-" in text:
        parts = [p for p in re.split(r"\s*-\s*", re.sub(r"(?i)mg", "", text).strip()) if p]
        amounts = [_mg(p, text) for p in parts]
        times = schedule_times(len(amounts))
        return DailyRegimen(tuple(Dose(t, a) for t, a in zip(times, amounts, strict=True)), "PATTERN", text=text)
    m = _FREQ_RE.match(text)
    if not m:
        raise RegimenParseError(f"cannot read regimen {text!r}: {_HELP}")
    word = re.sub(r"\s+", " ", m.group(2).strip().lower())
    if word not in _FREQ_WORDS:
        raise RegimenParseError(f"unknown frequency {m.group(2)!r} in {text!r}: {_HELP}")
    freq, n = _FREQ_WORDS[word]
    amount = _mg(m.group(1), text)
    times = schedule_times(n)
    return DailyRegimen(tuple(Dose(t, amount) for t in times), freq, repeat=freq != "ONCE", text=text)
