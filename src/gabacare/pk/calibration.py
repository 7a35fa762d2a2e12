"""The model against the label's numbers (label §12.3): one row per figure, with the error of each.

Every model value here is *measured from simulated curves* (not read back from the derivation), so the
table checks the engine as well as the parameters:

* bioavailability: ``CL · AUC(24 h at steady state) ÷ daily dose`` for the daily dose in three
  doses 8 h apart, at the reference CrCl;
* half-lives: the log-linear slope of the curve after absorption is over (on dialysis: across a
  session of the label's length), for normal kidneys, the anuric patient and dialysis;
* the CrCl < 30 group: the label gives one half-life (52 h) for the whole band, while the model's
  half-life runs from the band's edge to the anuric value; the row reports the CrCl at which the
  model gives 52 h and passes if it lies inside the band;
* peak time after a single dose (label: 2-3 h); the steady-state peak is shown for information.

``tests/spec/test_pk_calibration.py`` asserts every row and that ``docs/pk-calibration.md`` is the
current rendering of :func:`calibration_table`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gabacare.knowledge import load_monograph
from gabacare.pk import _engine
from gabacare.pk._engine import F64
from gabacare.pk.model import concentrations
from gabacare.pk.parameters import LN2, PKParameters, default_parameters

__all__ = ["CalibrationRow", "calibration_table", "render_markdown"]

_RELATIVE_TOLERANCE = 0.01  # measured values must match the label within 1 %


@dataclass(frozen=True)
class CalibrationRow:
    """One comparison: the label's figure, the model's, the relative error and whether it passes."""

    quantity: str
    label: str
    model: str
    error: str
    tolerance: str
    ok: bool


def _curve_with_ke(params: PKParameters, ke_by_segment: list[float], breakpoints: list[float],
                   dose_mg: float, t: F64) -> F64:
    """One dose at t = 0 with a piecewise-constant ``ke`` (allows the anuric case, CrCl = 0)."""
    grid = _engine.build_grid(t, np.array(breakpoints), 0.0)
    ke = np.array(ke_by_segment)[:, None]
    one = np.ones(1)
    chunk = _engine.make_chunk(grid, one * params.ka_per_h, ke, one * params.volume_l, np.zeros((1, 1)),
                               np.full((1, 1), float(params.absorbed_mg(dose_mg))))
    out = np.zeros((t.size, 1))
    _engine.advance_numpy(grid, chunk, 0, grid.times.size - 1, np.zeros(1), np.zeros(1), out, 0)
    result: F64 = out[:, 0]
    return result


def _slope_half_life(t0: float, t1: float, c0: float, c1: float) -> float:
    return (t1 - t0) * LN2 / math.log(c0 / c1)


def _rel(model: float, label: float) -> float:
    return (model - label) / label


def _row(quantity: str, label: float, model: float, unit: str, digits: int = 2) -> CalibrationRow:
    err = _rel(model, label)
    return CalibrationRow(quantity, f"{label:g} {unit}".strip(), f"{model:.{digits}f} {unit}".strip(),
                          f"{err * 100:+.2f} %", f"± {_RELATIVE_TOLERANCE * 100:g} %",
                          abs(err) <= _RELATIVE_TOLERANCE)


def calibration_table(parameters: PKParameters | None = None) -> list[CalibrationRow]:
    """Measure the model against each label figure (see the module docstring)."""
    m = load_monograph()
    pk = m.pk
    p = parameters or default_parameters()
    crcl_ref = pk.reference_crcl_ml_min
    minute = pk.summary_step_min / 60.0
    rows: list[CalibrationRow] = []
    per_day = pk.bioavailability_doses_per_day
    interval = 24.0 / per_day
    days = math.ceil(10 * float(p.half_life_h(crcl_ref)) / 24.0) + 1  # ten half-lives: steady state
    for point in pk.bioavailability:
        each = point.daily_mg / per_day
        doses = [(i * interval, each) for i in range(days * per_day)]
        t = np.arange(0.0, 24.0 + minute / 2, minute) + (days - 1) * 24.0
        c = concentrations(doses, t, crcl=crcl_ref, engine="numpy")
        auc = float(np.sum((c[1:] + c[:-1]) * np.diff(t)) / 2.0)
        f_model = float(p.clearance_l_per_h(crcl_ref)) * auc / point.daily_mg
        rows.append(_row(f"bioavailability, {point.daily_mg} mg/day in {per_day} doses", point.fraction, f_model,
                         "", 3))

    # Half-lives from the terminal slope: start once absorption is over (e^(−ka·t) below 1e-13),
    # measure across two expected half-lives. The test dose is the smallest of the label's table.
    dose = pk.bioavailability[0].daily_mg / per_day
    settled = 30.0 / p.ka_per_h

    def terminal(expected_h: float, crcl: float | None, dialysis_h: float = 0.0) -> float:
        t0 = settled
        t1 = t0 + (dialysis_h or 2.0 * expected_h)
        t = np.array([t0, t1])
        if crcl is not None:
            c = concentrations([(0.0, dose)], t, crcl=crcl, engine="numpy")
        elif dialysis_h:  # anuric (CrCl 0 is below what the public API accepts) with one session
            on = [float(p.ke_per_h(0.0)), float(p.ke_per_h(0.0, dialysis=True)), float(p.ke_per_h(0.0))]
            c = _curve_with_ke(p, on, [t0, t1], dose, t)
        else:
            c = _curve_with_ke(p, [float(p.ke_per_h(0.0))], [], dose, t)
        return _slope_half_life(t0, t1, c[0], c[1])

    rows.append(_row(f"half-life, normal kidneys (CrCl {crcl_ref:g} mL/min)", pk.half_life_normal_h,
                     terminal(pk.half_life_normal_h, crcl_ref), "h"))
    rows.append(_row("half-life, anuric", pk.half_life_anuric_h, terminal(pk.half_life_anuric_h, None), "h"))
    session = m.renal.hemodialysis_session_h
    rows.append(_row(f"half-life during a {session:g} h hemodialysis session (anuric)", pk.half_life_hemodialysis_h,
                     terminal(pk.half_life_hemodialysis_h, None, session), "h"))

    band = pk.half_life_severe_crcl_max
    implied = (p.volume_l * LN2 / pk.half_life_severe_h - p.cl_nonrenal_l_per_h) / p.cl_renal_l_per_h_per_ml_min
    measured = terminal(pk.half_life_severe_h, implied)
    edge = float(p.half_life_h(band))
    ok = 0 < implied < band and abs(_rel(measured, pk.half_life_severe_h)) <= _RELATIVE_TOLERANCE
    rows.append(CalibrationRow(f"half-life, CrCl < {band:g} mL/min", f"{pk.half_life_severe_h:g} h",
                               f"{measured:.2f} h at CrCl {implied:.1f} mL/min (band: {edge:.1f} h at "
                               f"{band:g} to {pk.half_life_anuric_h:g} h anuric)",
                               f"{_rel(measured, pk.half_life_severe_h) * 100:+.2f} %",
                               f"CrCl inside 0-{band:g}", ok))

    t = np.arange(0.0, 4.0 * pk.tmax_max_h, minute)
    c = concentrations([(0.0, dose)], t, crcl=crcl_ref, engine="numpy")
    tmax = float(t[int(np.argmax(c))])
    mid = (pk.tmax_min_h + pk.tmax_max_h) / 2.0
    rows.append(CalibrationRow("peak time after a single dose", f"{pk.tmax_min_h:g}-{pk.tmax_max_h:g} h",
                               f"{tmax:.2f} h", f"{tmax - mid:+.2f} h from the middle",
                               f"{pk.tmax_min_h:g}-{pk.tmax_max_h:g} h",
                               pk.tmax_min_h <= tmax <= pk.tmax_max_h))

    doses = [(i * interval, dose) for i in range(days * per_day)]
    t = np.arange(0.0, interval, minute) + (days - 1) * 24.0
    c = concentrations(doses, t, crcl=crcl_ref, engine="numpy")
    tmax_ss = float(t[int(np.argmax(c))] - t[0])
    rows.append(CalibrationRow(f"peak time at steady state, every {interval:g} h (information)",
                               "not given", f"{tmax_ss:.2f} h", "-", "-", True))
    return rows


def render_markdown(rows: list[CalibrationRow]) -> str:
    """The calibration table as Markdown (``docs/pk-calibration.md``)."""
    lines = [
        "<!-- Generated from gabacare.pk.calibration.calibration_table(); "
        "tests/spec/test_pk_calibration.py checks it is current. -->",
        "# PK model calibration against the label (section 12.3)",
        "",
        "Each model value is measured from simulated curves; see `gabacare.pk.calibration` for how.",
        "",
        "| quantity | label | model | error | tolerance | ok |",
        "|---|---|---|---|---|---|",
    ]
    lines += [f"| {r.quantity} | {r.label} | {r.model} | {r.error} | {r.tolerance} | {'yes' if r.ok else 'NO'} |"
              for r in rows]
    pk = load_monograph().pk
    p = default_parameters()
    edge = pk.half_life_normal_crcl_min
    lines += [
        "",
        "Notes on what the table does not show:",
        "",
        f"- The label gives one half-life per kidney-function group. With clearance proportional to CrCl the "
        f"model's half-life varies inside each group: {float(p.half_life_h(edge)):.1f} h at CrCl {edge:g} mL/min "
        f"(the edge of the normal group) against {pk.half_life_normal_h:g} h at the reference "
        f"{pk.reference_crcl_ml_min:g} mL/min.",
        "- The label's 2-3 h peak is matched for a single dose; at steady state the peak comes earlier "
        "(last row), as the one-compartment model predicts.",
        "- Bioavailability depends on the size of each dose; the label's table is for three divided doses, "
        "so a regimen with unequal doses gets each dose's own fraction.",
    ]
    return "\n".join(lines) + "\n"
