"""A tiny reader for the ASCII tables the spec tests are written in.

A table is a multi-line string: a header row of column names, an optional rule line of dashes
(``---+---``), then one row per case, cells separated by ``|``::

    crcl | band  | max_mg
    -----+-------+-------
    60   | 60+   | 3600
    59.9 | 30-59 | 1400

Cells are read as ``int`` when they look like an integer, ``float`` when they look like a number,
``None`` for ``-`` (or an empty cell), and text otherwise. A column can be given its own converter
(``Table(text, columns=numbers)``). ``Table.argnames``, ``Table.rows`` and ``Table.ids`` plug
straight into ``pytest.mark.parametrize``; the id of a row is its first cell.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Table", "cell", "numbers", "words"]

_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?")


def cell(text: str) -> Any:
    """Read one cell: int, float, None (``-`` or empty) or the stripped text."""
    s = text.strip()
    if s in ("", "-", "—"):
        return None
    if _INT.fullmatch(s):
        return int(s)
    if _FLOAT.fullmatch(s):
        return float(s)
    return s


def numbers(text: str) -> tuple[Any, ...]:
    """A cell holding several numbers separated by spaces or ``+``: ``"300 400 600"`` → (300, 400, 600)."""
    s = text.strip()
    if s in ("", "-", "—"):
        return ()
    return tuple(cell(x) for x in re.split(r"[\s+]+", s) if x)


def words(text: str) -> tuple[str, ...]:
    """A cell holding several words separated by spaces or commas; ``-`` is the empty tuple."""
    s = text.strip()
    if s in ("", "-", "—"):
        return ()
    return tuple(x for x in re.split(r"[\s,]+", s) if x)


@dataclass(frozen=True)
class Table:
    """Parse ``text`` into rows; ``converters`` map column names to cell readers."""

    text: str
    converters: dict[str, Callable[[str], Any]]

    def __init__(self, text: str, **converters: Callable[[str], Any]) -> None:
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "converters", converters)
        unknown = set(converters) - set(self.names)
        if unknown:
            raise ValueError(f"converters for columns not in the table: {sorted(unknown)}")
        widths = {len(r) for r in self._raw_rows()}
        if widths - {len(self.names)}:
            raise ValueError(f"every row needs {len(self.names)} cells: {self.text!r}")

    def _lines(self) -> list[str]:
        lines = [ln.strip() for ln in self.text.strip("\n").splitlines()]
        return [ln for ln in lines if ln and not ln.startswith("#") and not re.fullmatch(r"[-+|=: ]+", ln)]

    def _raw_rows(self) -> list[list[str]]:
        return [[c.strip() for c in ln.split("|")] for ln in self._lines()[1:]]

    @property
    def names(self) -> tuple[str, ...]:
        """Column names from the header row."""
        return tuple(c.strip() for c in self._lines()[0].split("|"))

    @property
    def argnames(self) -> str:
        """Column names as ``pytest.mark.parametrize`` wants them."""
        return ",".join(self.names)

    @property
    def rows(self) -> list[tuple[Any, ...]]:
        """The rows, each cell converted."""
        out = []
        for raw in self._raw_rows():
            out.append(tuple(self.converters.get(n, cell)(c) for n, c in zip(self.names, raw, strict=True)))
        return out

    @property
    def ids(self) -> list[str]:
        """A readable id per row (its first two cells)."""
        return [" ".join(raw[:2]) for raw in self._raw_rows()]

    def dicts(self) -> list[dict[str, Any]]:
        """The rows as ``{column: value}``."""
        return [dict(zip(self.names, row, strict=True)) for row in self.rows]


def plan_steps(plan):
    """Collapse a plan into (first_day, last_day, total_mg, per-dose mg) rows, one per run of equal days."""
    out = []
    for d in plan.days:
        doses = tuple(x.mg for x in d.doses)
        if out and out[-1][2] == d.total_mg and out[-1][3] == doses:
            out[-1] = (out[-1][0], d.day, d.total_mg, doses)
        else:
            out.append((d.day, d.day, d.total_mg, doses))
    return out


def expected_steps(table):
    """The rows of a ``first | last | total | doses`` table in :func:`plan_steps` form."""
    return [(r["first"], r["last"], r["total"], r["doses"]) for r in table.dicts()]
