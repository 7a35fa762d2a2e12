"""Reading a face's raw inputs into values, once for every face (private to :mod:`gabacare.app`).

A face hands over what it received: the CLI and the JSON API typed values (numbers, dates, lists),
an HTML form plain text (``""`` for an empty field, ``45,5`` with a decimal comma, one textarea for
a list). These helpers accept both, so a rule such as "a start date lies between 1900 and 2999" is
written here and nowhere else. Every refusal is a :class:`gabacare.clinical.errors.ClinicalInputError`
(an :class:`gabacare.errors.InputError`) whose one-line message names the field and the rule.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import date

from gabacare.clinical.errors import ClinicalInputError

__all__ = ["FIRST_PLAN_YEAR", "LAST_PLAN_YEAR", "blank_to_none", "items", "number", "plan_start", "positive_finite"]

# NOTE: a plan's calendar must stay inside what Python dates can count (a taper from 9999-12-01
# overflows); this bounds the start date to dates a person could plan for.
FIRST_PLAN_YEAR = 1900
LAST_PLAN_YEAR = 2999

_LIST_SEPARATORS = re.compile(r"[,;\n\r]+")


def number(value: float | str | None, what: str) -> float | None:
    """A number from a typed value or a form's text (blank: None; a decimal comma is read as a point).

    Examples
    --------
    >>> number("45,5", "Creatinine clearance"), number(" ", "Age"), number(60, "Age")
    (45.5, None, 60.0)
    >>> number("forty", "Age")
    Traceback (most recent call last):
    ...
    gabacare.clinical.errors.ClinicalInputError: Age must be a number, got 'forty'
    """
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return float(text.replace(",", "."))
        except ValueError:
            raise ClinicalInputError(f"{what} must be a number, got {text!r}") from None
    return float(value)


def blank_to_none(value: str | None) -> str | None:
    """A text field, or None when it is missing or blank (an empty form field is "not given")."""
    return value.strip() if value is not None and value.strip() else None


def items(value: str | Sequence[str] | None) -> list[str]:
    """A list as the faces give it: a sequence (CLI arguments, JSON), or one text with an item per line
    or separated by commas or semicolons (a form's textarea). Blank items are dropped.

    Examples
    --------
    >>> items("Xanax, beer;\\n tramadol"), items(["a", " ", "b"]), items(None)
    (['Xanax', 'beer', 'tramadol'], ['a', 'b'], [])
    """
    if value is None:
        return []
    parts = _LIST_SEPARATORS.split(value) if isinstance(value, str) else list(value)
    return [p.strip() for p in parts if p.strip()]


def plan_start(value: date | str | None, *, today: date | None = None) -> date:
    """Day 1 of a plan: a date, ISO text (``2026-01-31``), or today when not given.

    Examples
    --------
    >>> plan_start("2026-03-02"), plan_start(None, today=date(2026, 1, 5))
    (datetime.date(2026, 3, 2), datetime.date(2026, 1, 5))
    >>> plan_start("0001-01-01")
    Traceback (most recent call last):
    ...
    gabacare.clinical.errors.ClinicalInputError: start date must be between 1900 and 2999, got 0001-01-01
    """
    if isinstance(value, str):
        text = value.strip()
        if not text:
            value = None
        else:
            try:
                value = date.fromisoformat(text)
            except ValueError:
                raise ClinicalInputError(f"start date must be a date like 2026-01-31, got {text!r}") from None
    if value is None:
        return today or date.today()
    if not FIRST_PLAN_YEAR <= value.year <= LAST_PLAN_YEAR:
        raise ClinicalInputError(
            f"start date must be between {FIRST_PLAN_YEAR} and {LAST_PLAN_YEAR}, got {value.isoformat()}")
    return value


def positive_finite(value: float, what: str, unit: str) -> float:
    """``value`` when it is a finite number above 0, else a refusal naming ``what``."""
    if not (math.isfinite(value) and value > 0):
        raise ClinicalInputError(f"{what} must be more than 0 {unit}, got {value:g}")
    return value
