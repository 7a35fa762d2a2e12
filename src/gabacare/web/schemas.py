"""Request bodies and documented response shapes of the JSON API (``/api/v1``).

Request models mirror the CLI's options (docs/cli-contract.md), with the CLI's names: ``taper`` takes
``from`` like ``--from``, ``check`` takes ``with`` like ``--with``. Response models document the
contract keys for the OpenAPI schema; routes return the cores' own ``to_json()`` (serialised by
:func:`gabacare.web.serialize.jsonable`), and the schemathesis test checks that they conform. Extra
keys are allowed: the contract names the keys scripts rely on, not all of them.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_only(value: Any) -> Any:
    """Dates come as ``YYYY-MM-DD`` text (or a date): a bare number is not taken as a Unix time."""
    if isinstance(value, int | float):  # bool is an int too
        raise ValueError("a date must be written YYYY-MM-DD, not a number")
    if isinstance(value, str) and not _ISO_DATE.fullmatch(value.strip()):
        raise ValueError("a date must be written YYYY-MM-DD")
    return value


#: A calendar date that only accepts ISO text (``2026-01-05``) or a date, never an integer timestamp.
IsoDate = Annotated[date, BeforeValidator(_iso_date_only)]

__all__ = [
    "CheckIn",
    "CheckOut",
    "CitationOut",
    "CrClOut",
    "InteractionsIn",
    "InteractionsOut",
    "LimitsOut",
    "MissedOut",
    "PlanOut",
    "Problem",
    "SimulateOut",
    "SymptomsIn",
    "SymptomsOut",
    "TaperIn",
    "TitrateIn",
]

class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class TitrateIn(_In):
    """``gabacare titrate`` options as JSON."""

    indication: str = Field(description="Indication id or alias, e.g. postherpetic-neuralgia, phn, epilepsy-child.")
    target_mg: float | None = Field(None, description="Daily target in mg (default: the indication's).")
    crcl: float | None = Field(None, description="Creatinine clearance in mL/min; caps the plan.")
    start: IsoDate | None = Field(None, description="Date of day 1 (default today; 1900 to 2999).")
    weight_kg: float | None = Field(None, description="Weight in kg (epilepsy-child).")
    age: float | None = Field(None, description="Age in years (epilepsy-child).")


class TaperIn(_In):
    """``gabacare taper`` options as JSON (``from`` is the current regimen)."""

    from_regimen: str = Field(alias="from", description="Current regimen, e.g. '600 mg TID' or '300-300-600'.")
    risk: Literal["low", "moderate", "high"] | None = Field(None, description="Withdrawal risk: proportional steps.")
    crcl: float | None = Field(None, description="Creatinine clearance in mL/min.")
    start: IsoDate | None = Field(None, description="Date of the first reduced day (default today; 1900 to 2999).")
    step_mg: float | None = Field(None, description="Linear step in mg/day (default: the knowledge base's).")


class CheckIn(_In):
    """``gabacare check`` arguments as JSON (``with`` lists other medicines taken)."""

    regimen: str = Field(description="e.g. '600 mg TID', '300 mg BID', '300-300-600'.")
    crcl: float | None = Field(None, description="Creatinine clearance in mL/min.")
    indication: str | None = Field(None, description="Enables rules such as the epilepsy 12-hour gap.")
    with_drugs: list[str] = Field(default_factory=list, alias="with", description="Other medicines taken.")


class InteractionsIn(_In):
    """``gabacare interactions`` arguments as JSON."""

    drugs: list[str] = Field(min_length=1, description="Medicines, brands or alcohol, e.g. ['Xanax', 'beer'].")
    age: float | None = Field(None, description="Age in years (Beers check for 65+).")


class SymptomsIn(_In):
    """``gabacare symptoms`` arguments as JSON."""

    symptoms: list[str] = Field(min_length=1, description="Symptoms in the patient's words, e.g. ['swollen lips'].")


class _Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class CitationOut(_Out):
    source: str
    section: str | None
    text: str
    title: str | None


class CrClOut(_Out):
    crcl_ml_min: float
    formula: str
    citations: list[CitationOut]
    notice: str


class LimitsOut(_Out):
    crcl_ml_min: float
    band: str
    min_daily_mg: float
    max_daily_mg: float
    doses_per_day: int
    hemodialysis_supplement_mg: list[float] | None
    citations: list[CitationOut]
    notice: str


class UnitOut(_Out):
    form: str
    strength_mg: float
    count: float


class DoseOut(_Out):
    time: str
    mg: float
    units: list[UnitOut]


class DayOut(_Out):
    day: int
    date: str
    total_mg: float
    doses: list[DoseOut]


class PlanOut(_Out):
    kind: Literal["titration", "taper", "maintenance"]
    label: str
    days: list[DayOut]
    warnings: list[str]
    notes: list[str]
    citations: list[CitationOut]
    notice: str


class ProblemItem(_Out):
    code: str
    message: str
    citations: list[CitationOut]


class CheckOut(_Out):
    ok: bool
    problems: list[ProblemItem]
    warnings: list[ProblemItem]
    citations: list[CitationOut]
    notice: str


class InteractionOut(_Out):
    input: str
    known: bool
    ingredients: list[str]
    class_: str | None = Field(alias="class")
    severity: Literal["major", "moderate", "minor", "none"] | None
    action: Literal["avoid", "caution", "separate", "none"] | None
    advice: str
    citations: list[CitationOut]


class InteractionsOut(_Out):
    results: list[InteractionOut]
    warnings: list[str]
    citations: list[CitationOut]
    notice: str


class SymptomOut(_Out):
    input: str
    recognized: bool
    urgency: Literal["emergency", "contact_prescriber", "expected"] | None
    advice: str
    citations: list[CitationOut]


class SymptomsOut(_Out):
    results: list[SymptomOut]
    most_urgent: Literal["emergency", "contact_prescriber", "expected"] | None
    emergency: bool
    notice: str


class MissedOut(_Out):
    advice: Literal["take_now", "skip"]
    message: str
    next_dose: str | None
    status: Literal["late", "next_due", "not_due"] = "late"
    min_gap_h: float | None = None
    citations: list[CitationOut]
    notice: str


class CurveOut(_Out):
    t_h: list[float]
    c_mg_per_l: list[float]


class PKSummaryOut(_Out):
    cmax_mg_per_l: float
    tmax_h: float
    cmin_mg_per_l: float
    cavg_mg_per_l: float
    half_life_h: float
    tmax_after_dose_h: float | None = None


class SimulateOut(_Out):
    curve: CurveOut
    summary: PKSummaryOut
    citations: list[CitationOut]
    notice: str


class Problem(_Out):
    """RFC 9457 problem details (``application/problem+json``)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
