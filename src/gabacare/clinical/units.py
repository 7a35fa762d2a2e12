"""Clinical quantities as distinct immutable types: mg, mL/min, serum creatinine, kg, years.

Distinct types keep a CrCl in mL/min from being passed where a dose in mg is expected; each
validates on construction (finite, within a physical range).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from gabacare._record import record
from gabacare.clinical.errors import ClinicalInputError
from gabacare.knowledge import load_monograph

__all__ = ["CrCl", "Milligrams", "ScrUnit", "SerumCreatinine", "Sex"]

ScrUnit = Literal["mg/dL", "umol/L"]
Sex = Literal["female", "male"]


def _finite(value: float, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ClinicalInputError(f"{what} must be a finite number, got {value!r}")
    return float(value)


@dataclass(frozen=True, order=True)
class Milligrams:
    """An amount of gabapentin in mg (never negative)."""

    value: float

    def __post_init__(self) -> None:
        v = _finite(self.value, "a dose in mg")
        if v < 0:
            raise ClinicalInputError(f"a dose cannot be negative ({v:g} mg)")
        object.__setattr__(self, "value", v)

    def __add__(self, other: Milligrams) -> Milligrams:
        return Milligrams(self.value + other.value)

    def __str__(self) -> str:
        return f"{self.value:g} mg"


@dataclass(frozen=True, order=True)
class CrCl:
    """Creatinine clearance in mL/min (positive).

    >>> str(CrCl(45))
    '45 mL/min'
    """

    ml_min: float

    def __post_init__(self) -> None:
        v = _finite(self.ml_min, "creatinine clearance (mL/min)")
        limit = load_monograph().renal.plausible.crcl_max_ml_min
        if v <= 0:
            raise ClinicalInputError(f"creatinine clearance must be above 0 mL/min, got {v:g}")
        if v > limit:
            raise ClinicalInputError(f"creatinine clearance {v:g} mL/min is implausible (above {limit:g}); check the inputs")
        object.__setattr__(self, "ml_min", v)

    def __str__(self) -> str:
        return f"{self.ml_min:.0f} mL/min"


@record
class SerumCreatinine:
    """Serum creatinine with its unit; ``mg_dl`` converts µmol/L using the knowledge base factor.

    >>> round(SerumCreatinine(88.4, "umol/L").mg_dl, 3)
    1.0
    """

    value: float
    unit: ScrUnit = "mg/dL"

    def __post_init__(self) -> None:
        v = _finite(self.value, "serum creatinine")
        if self.unit not in ("mg/dL", "umol/L"):
            raise ClinicalInputError(f"serum creatinine unit must be mg/dL or umol/L, got {self.unit!r}")
        if v <= 0:
            raise ClinicalInputError(f"serum creatinine must be above 0, got {v:g} {self.unit}")
        object.__setattr__(self, "value", v)

    @property
    def mg_dl(self) -> float:
        """The value in mg/dL (µmol/L ÷ 88.4, label 2.3)."""
        if self.unit == "mg/dL":
            return self.value
        return self.value / load_monograph().renal.umol_per_l_per_mg_dl
