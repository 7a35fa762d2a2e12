"""Make a dose from real products: capsules whole, scored tablets whole or halved, or oral solution.

Products and the halving rule come from the knowledge base (``[[forms]]``, ``[oral_solution]``,
label section 3 and 16). Among the ways to make a dose the one with the fewest pieces wins;
ties go to whole units over halves, then to fewer distinct products.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from functools import cache
from itertools import product
from typing import Literal

from gabacare._record import record
from gabacare.clinical.errors import ClinicalInputError
from gabacare.knowledge import Citation, load_monograph

__all__ = ["DispenseLine", "PillPlan", "Unit", "dispense_totals", "is_makeable", "pill_plan"]

FormPreference = Literal["solid", "solution"]


@record
class Unit:
    """``count`` pieces of one product: tablets may be 0.5; for oral solution ``count`` is mL and
    ``strength_mg`` is mg per mL."""

    form: str
    strength_mg: float
    count: float

    @property
    def mg(self) -> float:
        return self.strength_mg * self.count


@record
class PillPlan:
    """How one dose is made up."""

    mg: float
    units: tuple[Unit, ...]
    citations: tuple[Citation, ...]

    def describe(self) -> str:
        parts = []
        for u in self.units:
            if u.form == "oral-solution":
                parts.append(f"{u.count:g} mL oral solution ({u.strength_mg:g} mg/mL)")
            else:
                parts.append(f"{u.count:g} × {u.strength_mg:g} mg {u.form}")
        return " + ".join(parts) if parts else "nothing"


@cache
def _solid_plan(mg_tenths: int) -> tuple[Unit, ...] | None:
    m = load_monograph()
    target = mg_tenths / 10
    # Piece options: every whole form, plus at most one half of each splittable tablet
    # (two halves are one whole tablet, which is never worse).
    wholes = sorted(m.forms, key=lambda f: -f.strength_mg)
    best: tuple[tuple[float, int, int], tuple[Unit, ...]] | None = None
    halves = [f for f in wholes if f.splittable]
    for half_choice in product((0, 1), repeat=len(halves)):
        half_mg = sum(f.strength_mg / 2 for f, h in zip(halves, half_choice, strict=True) if h)
        rest = target - half_mg
        if rest < 0:
            continue
        for counts in _whole_combos(rest, tuple(f.strength_mg for f in wholes)):
            pieces = sum(counts) + sum(half_choice)
            used: dict[tuple[str, int], float] = {}
            for f, c in zip(wholes, counts, strict=True):
                if c:
                    used[(f.form, f.strength_mg)] = used.get((f.form, f.strength_mg), 0) + c
            for f, h in zip(halves, half_choice, strict=True):
                if h:
                    used[(f.form, f.strength_mg)] = used.get((f.form, f.strength_mg), 0) + 0.5
            key = (float(pieces), sum(half_choice), len(used))
            if best is None or key < best[0]:
                units = tuple(Unit(form, float(s), c) for (form, s), c in sorted(used.items(), key=lambda kv: -kv[0][1]))
                best = (key, units)
    return None if best is None else best[1]


def _whole_combos(amount: float, strengths: tuple[int, ...]) -> Iterable[tuple[int, ...]]:
    """Counts of whole units (largest first) summing exactly to ``amount``, with few pieces."""
    if not strengths:
        if abs(amount) < 1e-9:
            yield ()
        return
    first, rest = strengths[0], strengths[1:]
    top = int(amount // first)
    # Using many fewer of the largest strength than possible only adds pieces; look a little below.
    for n in range(top, max(-1, top - 3), -1):
        for tail in _whole_combos(amount - n * first, rest):
            yield (n, *tail)


def is_makeable(mg: float, form: FormPreference = "solid") -> bool:
    """Whether ``mg`` can be measured exactly from the products in the knowledge base."""
    try:
        pill_plan(mg, form=form)
    except ClinicalInputError:
        return False
    return True


def pill_plan(mg: float, *, form: FormPreference = "solid") -> PillPlan:
    """Make ``mg`` from available units; see :func:`_pill_plan` (results are cached: long plans repeat
    the same few amounts on hundreds of days, and a ``PillPlan`` is immutable)."""
    return _pill_plan(mg, form)


@functools.cache  # amounts are whole 0.1 mg steps within the limits: a small, bounded set
def _pill_plan(mg: float, form: FormPreference = "solid") -> PillPlan:
    """Make ``mg`` from available units (fewest pieces) or, with ``form="solution"``, in mL.

    Raises ``ClinicalInputError`` if the dose cannot be made exactly (e.g. 250 mg from solid forms,
    or an amount finer than the oral syringe's 0.1 mL).

    Examples
    --------
    >>> _pill_plan(900).describe()
    '1 × 800 mg tablet + 1 × 100 mg capsule'
    >>> _pill_plan(125, form="solution").describe()
    '2.5 mL oral solution (50 mg/mL)'
    """
    m = load_monograph()
    if not math.isfinite(mg) or mg < 0:
        raise ClinicalInputError(f"a dose must be a non-negative number of mg, got {mg!r}")
    if mg == 0:
        return PillPlan(0.0, (), ())
    if form == "solution":
        sol = m.oral_solution
        ml = mg / sol.concentration_mg_per_ml
        steps = ml / sol.measure_step_ml
        if abs(steps - round(steps)) > 1e-6:
            raise ClinicalInputError(
                f"{mg:g} mg cannot be measured as oral solution in {sol.measure_step_ml:g} mL steps"
            )
        ml = round(round(steps) * sol.measure_step_ml, 3)
        return PillPlan(float(mg), (Unit(sol.form, sol.concentration_mg_per_ml, ml),), sol.citations)
    tenths = round(mg * 10)
    units = _solid_plan(tenths) if abs(tenths - mg * 10) < 1e-6 else None
    if units is None:
        strengths = ", ".join(f"{f.strength_mg}" for f in m.forms)
        raise ClinicalInputError(
            f"{mg:g} mg cannot be made from capsules or tablets ({strengths} mg; 600/800 mg tablets may be halved); "
            "consider the oral solution"
        )
    cites = tuple(dict.fromkeys(c for f in m.forms for c in f.citations))
    if any(u.count != int(u.count) for u in units):
        cites = (*cites, *m.half_tablets.citations)
    return PillPlan(float(mg), units, cites)


@record
class DispenseLine:
    """Total of one product for a whole plan: whole tablets/capsules to dispense, or mL."""

    form: str
    strength_mg: float
    count: float


def dispense_totals(units: Iterable[Unit]) -> tuple[DispenseLine, ...]:
    """Add up the units of a plan; halves are rounded up to whole tablets (an unused half is kept
    for the next dose, label 16)."""
    totals: dict[tuple[str, float], float] = {}
    for u in units:
        totals[(u.form, u.strength_mg)] = totals.get((u.form, u.strength_mg), 0.0) + u.count
    lines = []
    for (form, strength), count in sorted(totals.items(), key=lambda kv: (kv[0][0], -kv[0][1])):
        lines.append(DispenseLine(form, strength, count if form == "oral-solution" else float(math.ceil(count - 1e-9))))
    return tuple(lines)
