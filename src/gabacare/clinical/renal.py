"""Kidney function: Cockcroft-Gault creatinine clearance, renal dose bands, dialysis supplement.

All numbers come from the knowledge base ``[renal]`` table (label section 2.3). The band edge rule
(``gabacare-policy``): a CrCl belongs to the first band, from the highest down, whose lower bound
it meets, so at an edge the lower (more conservative) band wins: 59.9 → 30-59, 30 → 15-29,
15 → the CrCl-15 row. Below 15 mL/min the CrCl-15 doses fall in proportion to CrCl.
"""

from __future__ import annotations

from gabacare._record import record
from gabacare.clinical.errors import ClinicalInputError
from gabacare.clinical.units import CrCl, SerumCreatinine, Sex
from gabacare.knowledge import Citation, load_monograph
from gabacare.knowledge.monograph import RenalBand

__all__ = ["CrClResult", "RenalLimits", "band_for", "band_regimens", "cockcroft_gault", "is_impaired", "renal_limits"]


@record
class CrClResult:
    """Estimated creatinine clearance (mL/min) and the inputs and source behind it."""

    crcl_ml_min: float
    age_years: float
    sex: Sex
    weight_kg: float
    scr_mg_dl: float
    formula: str
    citations: tuple[Citation, ...]

    @property
    def crcl(self) -> CrCl:
        return CrCl(self.crcl_ml_min)


def cockcroft_gault(*, age_years: float, sex: Sex, weight_kg: float, scr: SerumCreatinine) -> CrClResult:
    """Creatinine clearance by Cockcroft-Gault with actual body weight (label 2.3).

    ``CrCl = (140 - age) × weight / (72 × SCr[mg/dL])``, × 0.85 for women. The label applies it from
    age 12; implausible inputs (knowledge base ``[renal.plausible]``) are refused, never guessed.

    Examples
    --------
    >>> round(cockcroft_gault(age_years=60, sex="male", weight_kg=72, scr=SerumCreatinine(1.0)).crcl_ml_min, 1)
    80.0
    """
    r = load_monograph().renal
    p = r.plausible
    checks = [
        (age_years, p.age_min_years, p.age_max_years, "age", "years"),
        (weight_kg, p.weight_min_kg, p.weight_max_kg, "weight", "kg"),
        (scr.mg_dl, p.scr_min_mg_dl, p.scr_max_mg_dl, "serum creatinine", "mg/dL"),
    ]
    for value, low, high, what, unit in checks:
        if not (low <= value <= high):
            raise ClinicalInputError(
                f"{what} {value:g} {unit} is outside the plausible range {low:g}-{high:g} {unit} for Cockcroft-Gault"
            )
    if sex not in ("female", "male"):
        raise ClinicalInputError(f"sex must be 'female' or 'male' for Cockcroft-Gault, got {sex!r}")
    crcl = (r.cg_age_constant - age_years) * weight_kg / (r.cg_divisor * scr.mg_dl)
    if sex == "female":
        crcl *= r.female_factor
    if crcl > p.crcl_max_ml_min:
        raise ClinicalInputError(
            f"the inputs give a creatinine clearance of {crcl:.0f} mL/min, above the plausible {p.crcl_max_ml_min:g}; "
            "check the weight and creatinine (Cockcroft-Gault overestimates at very low creatinine or high weight)"
        )
    return CrClResult(
        crcl_ml_min=crcl,
        age_years=float(age_years),
        sex=sex,
        weight_kg=float(weight_kg),
        scr_mg_dl=scr.mg_dl,
        formula=f"({r.cg_age_constant:g} - age) × weight / ({r.cg_divisor:g} × SCr mg/dL)"
        + (f" × {r.female_factor:g}" if sex == "female" else ""),
        citations=(r.formula_citation,),
    )


def band_for(crcl: CrCl) -> RenalBand:
    """The renal band a CrCl falls in (edge rule in the module docstring)."""
    for band in load_monograph().renal.bands:
        if crcl.ml_min > band.crcl_min or (band.min_inclusive and crcl.ml_min == band.crcl_min):
            return band
    raise ClinicalInputError(f"no renal band for CrCl {crcl}")  # pragma: no cover - last band starts above 0


@record
class RenalLimits:
    """Daily dose range (mg), doses per day and per-dose columns for one CrCl (label 2.3).

    ``proportion`` is 1 except below 15 mL/min, where it is CrCl/15 and every amount is scaled.
    ``hemodialysis_supplement_mg`` is the per-column supplement after each 4 h session, or None.
    """

    crcl_ml_min: float
    band: str
    band_id: str
    min_daily_mg: float
    max_daily_mg: float
    doses_per_day: int
    columns_mg: tuple[float, ...]
    proportion: float
    hemodialysis_supplement_mg: tuple[float, ...] | None
    notes: tuple[str, ...]
    citations: tuple[Citation, ...]


def renal_limits(crcl: CrCl, *, hemodialysis: bool = False) -> RenalLimits:
    """Dose limits for a creatinine clearance, optionally with the hemodialysis supplement.

    Examples
    --------
    >>> lim = renal_limits(CrCl(30))
    >>> (lim.band_id, lim.min_daily_mg, lim.max_daily_mg, lim.doses_per_day)
    ('15-29', 200.0, 700.0, 1)
    """
    r = load_monograph().renal
    band = band_for(crcl)
    proportion = 1.0
    notes = [r.edge_rule]
    citations = [*band.citations, r.edge_citation]
    if crcl.ml_min < r.proportional_below_crcl:
        proportion = crcl.ml_min / r.proportional_reference_crcl
        notes.append(
            f"CrCl below {r.proportional_below_crcl:g} mL/min: the CrCl-{r.proportional_reference_crcl:g} doses are "
            f"reduced in proportion (× {proportion:.2f})."
        )
        citations.append(r.proportional_citation)
    supplement = None
    if hemodialysis:
        supplement = tuple(float(x) for x in r.hemodialysis.supplement_columns_mg)
        notes.append(r.hemodialysis.note)
        citations.extend(r.hemodialysis.citations)

    def scale(x: float) -> float:
        return round(x * proportion, 1)

    return RenalLimits(
        crcl_ml_min=crcl.ml_min,
        band=band.label if proportion == 1.0 else (
            f"CrCl <{r.proportional_below_crcl:g} mL/min (CrCl-{r.proportional_reference_crcl:g} doses × {proportion:.2f})"
        ),
        band_id=band.id,
        min_daily_mg=scale(band.min_daily_mg),
        max_daily_mg=scale(band.max_daily_mg),
        doses_per_day=band.doses_per_day,
        columns_mg=tuple(scale(c) for c in band.columns_mg),
        proportion=proportion,
        hemodialysis_supplement_mg=supplement,
        notes=tuple(notes),
        citations=tuple(dict.fromkeys(citations)),
    )


def is_impaired(lim: RenalLimits) -> bool:
    """True below the first (normal kidney function) band: plans then use only the band's own regimens."""
    return lim.band_id != load_monograph().renal.bands[0].id or lim.proportion < 1.0


def band_regimens(lim: RenalLimits, granule_mg: float, *, single_dose: bool = False) -> tuple[tuple[float, ...], ...]:
    """The label's regimens for a band that whole ``granule_mg`` amounts make, lowest daily total first.

    Each regimen is a tuple of per-dose amounts: ``doses_per_day`` equal doses of one column of the
    renal table (label 2.3). Columns that need the oral solution (e.g. 125 mg) are left out. Below
    CrCl 15, where the label scales the amounts in proportion, every whole-granule amount up to the
    scaled maximum is a regimen (one dose a day). ``single_dose`` keeps one dose a day (an evening-only
    indication) with the band's column amounts, up to the band's maximum.

    Examples
    --------
    >>> [sum(r) for r in band_regimens(renal_limits(CrCl(45)), 100)]
    [400.0, 600.0, 800.0, 1000.0, 1400.0]
    >>> band_regimens(renal_limits(CrCl(20)), 100)[-1]
    (700.0,)
    """
    if lim.proportion < 1.0:
        top = int(lim.max_daily_mg // granule_mg + 1e-9)
        return tuple((float(k * granule_mg),) for k in range(1, top + 1))
    n = 1 if single_dose else lim.doses_per_day
    out = []
    for column in lim.columns_mg:
        if abs(column / granule_mg - round(column / granule_mg)) > 1e-9 or column * n > lim.max_daily_mg + 1e-9:
            continue
        out.append((float(column),) * n)
    return tuple(sorted(set(out), key=sum))
