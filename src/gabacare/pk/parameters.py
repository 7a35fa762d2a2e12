"""Model parameters derived from the label's pharmacokinetics (knowledge base ``[pk]``, label §12.3).

The label gives figures, not a model; this module turns them into one, and each derivation is a
documented modelling choice (``[pk].model_note``, gabacare-policy):

* **Volume** ``V`` = 58 L (label).
* **Clearance** has a small non-renal part, so an anuric patient still clears the drug, and a renal
  part that rises with creatinine clearance and bends towards zero at low CrCl::

      CL(CrCl) = CL_nr + CL_r,ref · h(CrCl) / h(CrCl_ref),     h(c) = c² / (c + K)
      CL_nr    = V · ln 2 / t½_anuric                 (132 h: no renal clearance at all)
      CL_r,ref = V · ln 2 / t½_normal − CL_nr         (6.5 h at the reference CrCl, 100 mL/min)

  Well above ``K`` the renal part is nearly a straight line in ``CrCl − K`` (the label and Blum et al.
  1994: clearance linear in CrCl); below ``K`` it falls smoothly to zero instead of crossing it.
  ``K`` (mL/min) is *fitted* here, by golden-section search, to minimise the squared log residuals
  against the label's figures for the groups of its renal-impairment study (``[[pk.renal_groups]]``:
  each group's half-life at its mean CrCl, and each group's CL/F relative to the best-kidney group's,
  which does not depend on the bioavailability because absorption did not differ between groups).
  ``K = 0`` is a straight line through the anuric and normal points, which gives 38 h at the
  CrCl < 30 group's mean CrCl (13 mL/min) against the label's 52 h. ``docs/pk-calibration.md`` shows
  the fit and its residuals.
* **Hemodialysis** adds a dialyser clearance ``CL_hd`` while a session runs, chosen so an anuric
  patient's half-life on dialysis is the label's 3.8 h: ``CL_hd = V · ln 2 / t½_hd − CL_nr``.
* **Absorption** is first order; ``ka`` is the rate for which a single dose peaks at the middle of the
  label's 2-3 h with normal kidneys, solving ``tmax = ln(ka/ke) / (ka − ke)`` by bisection.
* **Bioavailability** falls with the size of each dose (saturable uptake). The label's table is by daily
  dose in three divided doses, so each point is taken as a single dose of daily/3 mg. The absorbed
  amount ``F(D)·D`` is interpolated linearly between the points (so it never falls as the dose rises);
  below and above the table the end fractions hold.
* **Variability** (population runs): log-normal, median at the typical value; the volume's CV comes
  from the label's ± 6 L, the clearance and ``ka`` CVs are modelling choices (``[pk].iiv_*``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache

import numpy as np
from numpy.typing import ArrayLike, NDArray

from gabacare._record import record
from gabacare.knowledge import Citation, load_monograph
from gabacare.knowledge.monograph import PK

__all__ = ["PKParameters", "RenalFitPoint", "default_parameters", "renal_fit_points", "time_of_peak_h"]

LN2 = math.log(2.0)
ML_MIN_TO_L_H = 60.0 / 1000.0  # unit conversion: 1 mL/min = 0.06 L/h


def time_of_peak_h(ka: float, ke: float) -> float:
    """Time of the peak after one dose of a one-compartment, first-order absorption model.

    ``tmax = ln(ka/ke) / (ka − ke)``, with the limit ``1/ke`` when ``ka == ke``.

    Examples
    --------
    >>> round(time_of_peak_h(1.0, 0.1), 3)
    2.558
    """
    if ka <= 0 or ke <= 0:
        raise ValueError("rate constants must be positive")
    if ka == ke:
        return 1.0 / ke
    return math.log(ka / ke) / (ka - ke)


def _ka_for_tmax(tmax_h: float, ke: float) -> float:
    """The absorption rate (ka > ke) whose single-dose peak falls at ``tmax_h``; bisection on log(ka)."""
    if not 0 < tmax_h < 1.0 / ke:
        raise ValueError(f"no absorption rate puts the peak at {tmax_h} h when ke is {ke} /h")
    lo, hi = ke, ke
    while time_of_peak_h(hi, ke) > tmax_h:  # tmax falls monotonically as ka rises above ke
        hi *= 2.0
    for _ in range(200):
        mid = math.sqrt(lo * hi)
        if time_of_peak_h(mid, ke) > tmax_h:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-15 * hi:
            break
    return math.sqrt(lo * hi)


@record
class PKParameters:
    """Typical-patient parameters (units: L, h, mg, mL/min) and how they depend on CrCl.

    Build it with :func:`default_parameters`; every field is derived from knowledge base ``[pk]``.
    """

    volume_l: float
    ka_per_h: float
    cl_nonrenal_l_per_h: float
    cl_renal_ref_l_per_h: float
    reference_crcl_ml_min: float
    crcl_bend_ml_min: float
    cl_dialysis_l_per_h: float
    dose_points_mg: tuple[float, ...]
    absorbed_points_mg: tuple[float, ...]
    iiv_cv_clearance: float
    iiv_cv_volume: float
    iiv_cv_ka: float
    citations: tuple[Citation, ...]

    def renal_clearance_l_per_h(self, crcl_ml_min: ArrayLike) -> NDArray[np.float64]:
        """The renal part of clearance in L/h: ``CL_r,ref · h(CrCl) / h(CrCl_ref)``, ``h(c) = c²/(c + K)``."""
        crcl = np.asarray(crcl_ml_min, dtype=np.float64)
        out: NDArray[np.float64] = self.cl_renal_ref_l_per_h * _bend(crcl, self.crcl_bend_ml_min) / float(
            _bend(np.float64(self.reference_crcl_ml_min), self.crcl_bend_ml_min))
        return out

    def clearance_l_per_h(self, crcl_ml_min: ArrayLike, dialysis: bool = False) -> NDArray[np.float64]:
        """Total clearance in L/h at a CrCl (mL/min, 0 = anuric), plus the dialyser's during a session."""
        cl = self.cl_nonrenal_l_per_h + self.renal_clearance_l_per_h(crcl_ml_min)
        return cl + self.cl_dialysis_l_per_h if dialysis else cl

    def ke_per_h(self, crcl_ml_min: ArrayLike, dialysis: bool = False) -> NDArray[np.float64]:
        """Elimination rate constant ``CL / V`` in 1/h."""
        return self.clearance_l_per_h(crcl_ml_min, dialysis) / self.volume_l

    def half_life_h(self, crcl_ml_min: ArrayLike, dialysis: bool = False) -> NDArray[np.float64]:
        """Elimination half-life ``ln 2 · V / CL`` in h."""
        return LN2 / self.ke_per_h(crcl_ml_min, dialysis)

    def absorbed_mg(self, dose_mg: ArrayLike) -> NDArray[np.float64]:
        """Amount reaching the circulation for single doses of ``dose_mg`` (saturable absorption)."""
        dose = np.asarray(dose_mg, dtype=np.float64)
        x, y = self.dose_points_mg, self.absorbed_points_mg
        # One interpolation: (0, 0) extends the first fraction down to nothing, and a point beyond the
        # largest dose extends the last fraction upwards (both lines pass through the origin).
        top = max(float(dose.max(initial=0.0)), x[-1]) * 2.0
        out: NDArray[np.float64] = np.interp(dose, (0.0, *x, top), (0.0, *y, y[-1] / x[-1] * top))
        return out

    def bioavailability(self, dose_mg: ArrayLike) -> NDArray[np.float64]:
        """Fraction absorbed for single doses of ``dose_mg`` (the end fractions outside the table)."""
        dose = np.asarray(dose_mg, dtype=np.float64)
        safe = np.where(dose > 0, dose, self.dose_points_mg[0])
        return self.absorbed_mg(safe) / safe


def _bend(crcl: NDArray[np.float64] | np.float64, k: float) -> NDArray[np.float64]:
    """``h(c) = c² / (c + K)`` (``h(0) = 0``, also when ``K = 0``)."""
    c = np.asarray(crcl, dtype=np.float64)
    den = c + k
    out: NDArray[np.float64] = np.divide(c * c, den, out=np.zeros_like(c), where=den > 0)
    return out


@record
class RenalFitPoint:
    """One figure of ``[[pk.renal_groups]]`` that the bend ``K`` is fitted to.

    A half-life (h) at ``crcl_ml_min`` when ``versus_crcl_ml_min`` is None; otherwise a ratio of
    clearances, CL at ``crcl_ml_min`` ÷ CL at ``versus_crcl_ml_min`` (the published CL/F ratio).
    """

    group: str
    crcl_ml_min: float
    published: float
    versus_group: str | None = None
    versus_crcl_ml_min: float | None = None

    def model(self, cl_l_per_h: Callable[[float], float], volume_l: float) -> float:
        """The model's value of this figure, for a clearance function of CrCl (L/h) and a volume (L)."""
        if self.versus_crcl_ml_min is None:
            return volume_l * LN2 / cl_l_per_h(self.crcl_ml_min)
        return cl_l_per_h(self.crcl_ml_min) / cl_l_per_h(self.versus_crcl_ml_min)


def renal_fit_points(pk: PK) -> tuple[RenalFitPoint, ...]:
    """The label's group figures: each group's half-life at its mean CrCl, then each group's CL/F
    against the first group's that has one (groups run from the best kidney function to the worst)."""
    points = [RenalFitPoint(g.name, g.crcl_mean_ml_min, g.half_life_h) for g in pk.renal_groups
              if g.crcl_mean_ml_min is not None and g.half_life_h is not None]
    top: tuple[str, float, float] | None = None  # name, mean CrCl and CL/F of the first group with a CL/F
    for g in pk.renal_groups:
        if g.crcl_mean_ml_min is None or g.apparent_clearance_ml_min is None:
            continue
        if top is None:
            top = (g.name, g.crcl_mean_ml_min, g.apparent_clearance_ml_min)
        else:
            points.append(RenalFitPoint(g.name, g.crcl_mean_ml_min, g.apparent_clearance_ml_min / top[2],
                                        top[0], top[1]))
    return tuple(points)


def _fit_bend(points: tuple[RenalFitPoint, ...], volume_l: float, cl_nr: float, cl_r_ref: float,
              crcl_ref: float) -> float:
    """The ``K`` in [0, CrCl_ref] minimising the squared log residuals (golden-section search).

    The loss is smooth and has one minimum in that interval for the label's figures (a test checks the
    result against a grid). Without fit points the relation stays a straight line (``K = 0``).
    """
    if not points:
        return 0.0

    def loss(k: float) -> float:
        ref = float(_bend(np.float64(crcl_ref), k))

        def cl(c: float) -> float:
            return cl_nr + cl_r_ref * float(_bend(np.float64(c), k)) / ref

        return sum(math.log(p.model(cl, volume_l) / p.published) ** 2 for p in points)

    inv_phi = (math.sqrt(5.0) - 1.0) / 2.0
    lo, hi = 0.0, crcl_ref
    a, b = hi - inv_phi * (hi - lo), lo + inv_phi * (hi - lo)
    fa, fb = loss(a), loss(b)
    while hi - lo > 1e-9 * crcl_ref:
        if fa <= fb:
            hi, b, fb = b, a, fa
            a = hi - inv_phi * (hi - lo)
            fa = loss(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + inv_phi * (hi - lo)
            fb = loss(b)
    return (lo + hi) / 2.0


def _derive(pk: PK) -> PKParameters:
    v = pk.volume_l
    cl_nr = v * LN2 / pk.half_life_anuric_h
    cl_ref = v * LN2 / pk.half_life_normal_h
    cl_r_ref = cl_ref - cl_nr
    bend = _fit_bend(renal_fit_points(pk), v, cl_nr, cl_r_ref, pk.reference_crcl_ml_min)
    cl_hd = v * LN2 / pk.half_life_hemodialysis_h - cl_nr
    ke_ref = cl_ref / v
    ka = _ka_for_tmax((pk.tmax_min_h + pk.tmax_max_h) / 2.0, ke_ref)
    per_dose = tuple(p.daily_mg / pk.bioavailability_doses_per_day for p in pk.bioavailability)
    absorbed = tuple(d * p.fraction for d, p in zip(per_dose, pk.bioavailability, strict=True))
    return PKParameters(
        volume_l=v,
        ka_per_h=ka,
        cl_nonrenal_l_per_h=cl_nr,
        cl_renal_ref_l_per_h=cl_r_ref,
        reference_crcl_ml_min=pk.reference_crcl_ml_min,
        crcl_bend_ml_min=bend,
        cl_dialysis_l_per_h=cl_hd,
        dose_points_mg=per_dose,
        absorbed_points_mg=absorbed,
        iiv_cv_clearance=pk.iiv_cv_clearance,
        iiv_cv_volume=pk.volume_sd_l / pk.volume_l,
        iiv_cv_ka=pk.iiv_cv_ka,
        citations=(*pk.citations, pk.model_citation),
    )


@cache
def default_parameters() -> PKParameters:
    """Parameters derived from the bundled knowledge base (computed once).

    Examples
    --------
    >>> p = default_parameters()
    >>> round(float(p.half_life_h(p.reference_crcl_ml_min)), 2), p.volume_l
    (6.5, 58.0)
    >>> round(float(p.bioavailability(300.0)), 2)
    0.6
    """
    return _derive(load_monograph().pk)
