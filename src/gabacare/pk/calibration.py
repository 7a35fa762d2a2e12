"""The model against the label's numbers (label §12.3) and the renal-impairment groups, with the error of each.

Every model value here is *measured from simulated curves* (not read back from the derivation), so the
table checks the engine as well as the parameters:

* bioavailability: ``CL · AUC(24 h at steady state) ÷ daily dose`` for the daily dose in three
  doses 8 h apart, at the reference CrCl;
* half-lives: the log-linear slope of the curve after absorption is over (on dialysis: across a
  session of the label's length), for normal kidneys, the anuric patient and dialysis;
* peak time after a single dose (label: 2-3 h); the steady-state peak is shown for information;
* the renal-impairment groups (``[[pk.renal_groups]]``, one 400 mg dose as in the study): each
  group's half-life at its mean CrCl, its CL/F relative to the best-kidney group's (``AUC`` ratio of
  simulated single doses, extrapolated to infinity), and the half-life of the group's digitised mean
  curve (log-linear fit from 12 h on) against the model's range over the group's CrCl band.

The bend of clearance against CrCl is fitted to the group figures (:mod:`gabacare.pk.parameters`);
the group rows are its residuals. ``tests/spec/test_pk_calibration.py`` asserts every row and that
``docs/pk-calibration.md`` is the current rendering of :func:`calibration_table`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from gabacare._record import record
from gabacare.knowledge import load_monograph
from gabacare.pk import _engine
from gabacare.pk._engine import F64
from gabacare.pk.model import concentrations
from gabacare.pk.parameters import LN2, PKParameters, default_parameters, renal_fit_points

__all__ = ["CalibrationRow", "calibration_table", "render_markdown"]

_RELATIVE_TOLERANCE = 0.01  # measured values must match the label within 1 %
# The renal groups: the label's figures are rounded ("about 6.5 h", "approximately 190 mL/min") and are
# means of individual values compared at the group's mean CrCl, so a fitted figure passes within 5 %.
_GROUP_TOLERANCE = 0.05
# The group that holds the reference CrCl: its half-life is set by the reference anchor (6.5 h at
# CrCl 100, a modelling choice), not by the fit, and the label puts that group's mean CrCl at 114.
_ANCHORED_GROUP_TOLERANCE = 0.15
# A digitised mean curve's terminal half-life is fitted from this time after the dose: the peak is
# past in every group (2-3 h normal, later in kidney disease) and absorption is over.
_CURVE_FROM_H = 12.0


@record
class CalibrationRow:
    """One comparison: the label's figure, the model's, the relative error and whether it passes."""

    quantity: str
    label: str
    model: str
    error: str
    tolerance: str
    ok: bool
    part: str = "label"  # "label": the label's figures; "renal": the renal-impairment groups (fit residuals)


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


def _row(quantity: str, label: float, model: float, unit: str, digits: int = 2,
         tolerance: float = _RELATIVE_TOLERANCE, why: str = "", part: str = "label") -> CalibrationRow:
    err = _rel(model, label)
    return CalibrationRow(quantity, f"{label:g} {unit}".strip(), f"{model:.{digits}f} {unit}".strip(),
                          f"{err * 100:+.2f} %", f"± {tolerance * 100:g} %{why}", abs(err) <= tolerance, part)


def _terminal_half_life(t: tuple[float, ...], c: tuple[float, ...], from_h: float) -> float:
    """Half-life of a curve's log-linear least-squares fit over the points from ``from_h`` on."""
    x = np.array([ti for ti in t if ti >= from_h])
    y = np.log(np.array([ci for ti, ci in zip(t, c, strict=True) if ti >= from_h]))
    slope = float(np.polyfit(x, y, 1)[0])
    return -LN2 / slope


def _auc_single_dose(p: PKParameters, crcl: float, dose_mg: float, minute: float) -> float:
    """AUC from 0 to infinity of one dose (trapezoids over ten half-lives, then the exponential tail)."""
    end = 10.0 * float(p.half_life_h(crcl)) + 30.0 / p.ka_per_h
    t = np.arange(0.0, end + minute / 2, minute)
    c = concentrations([(0.0, dose_mg)], t, crcl=crcl, engine="numpy")
    tail = c[-1] * (t[-1] - t[-2]) / math.log(c[-2] / c[-1])
    return float(np.sum((c[1:] + c[:-1]) * np.diff(t)) / 2.0) + float(tail)


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
        if crcl is not None and crcl > 0:
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
    rows += _renal_group_rows(p, terminal, minute)
    return rows


def _renal_group_rows(p: PKParameters, terminal: Callable[[float, float | None], float],
                      minute: float) -> list[CalibrationRow]:
    """The renal-impairment groups: the fitted figures (half-lives, CL/F ratios), then the mean curves."""
    m = load_monograph()
    pk = m.pk
    dose = pk.renal_study_dose_mg
    groups = {g.name: g for g in pk.renal_groups}
    rows: list[CalibrationRow] = []
    for point in renal_fit_points(pk):
        g = groups[point.group]
        if point.versus_crcl_ml_min is None:
            anchored = g.contains(p.reference_crcl_ml_min)
            tol, why = ((_ANCHORED_GROUP_TOLERANCE, f" (anchored at CrCl {p.reference_crcl_ml_min:g}, not fitted)")
                        if anchored else (_GROUP_TOLERANCE, " (fitted)"))
            rows.append(_row(f"half-life, group {g.name}, at its mean CrCl {point.crcl_ml_min:g} mL/min",
                             point.published, terminal(point.published, point.crcl_ml_min), "h",
                             tolerance=tol, why=why, part="renal"))
            continue
        top = groups[point.versus_group or ""]
        # CL/F ratio = AUC ratio of the same dose: the bioavailability cancels (the same in every group).
        ratio = _auc_single_dose(p, point.versus_crcl_ml_min, dose, minute) / _auc_single_dose(
            p, point.crcl_ml_min, dose, minute)
        err = _rel(ratio, point.published)
        rows.append(CalibrationRow(
            f"CL/F, group {g.name} ÷ group {top.name} (mean CrCl {point.crcl_ml_min:g} vs "
            f"{point.versus_crcl_ml_min:g} mL/min)",
            f"{point.published:.3f} ({g.apparent_clearance_ml_min:g} ÷ {top.apparent_clearance_ml_min:g} mL/min)",
            f"{ratio:.3f}", f"{err * 100:+.2f} %", f"± {_GROUP_TOLERANCE * 100:g} % (fitted)",
            abs(err) <= _GROUP_TOLERANCE, "renal"))
    top_crcl = m.renal.plausible.crcl_max_ml_min
    for g in pk.renal_groups:
        if not g.curve_t_h:
            continue
        observed = _terminal_half_life(g.curve_t_h, g.curve_c_mg_per_l, _CURVE_FROM_H)
        hi_crcl = g.crcl_max_ml_min if g.crcl_max_ml_min is not None else top_crcl
        slow = terminal(float(p.half_life_h(g.crcl_min_ml_min)), g.crcl_min_ml_min)
        fast = terminal(float(p.half_life_h(hi_crcl)), hi_crcl)
        model = f"{fast:.1f}-{slow:.1f} h over CrCl {g.crcl_min_ml_min:g}-{hi_crcl:g}"
        error = "-"
        if g.crcl_mean_ml_min is not None:
            at_mean = terminal(float(p.half_life_h(g.crcl_mean_ml_min)), g.crcl_mean_ml_min)
            model += f"; {at_mean:.1f} h at mean CrCl {g.crcl_mean_ml_min:g}"
            error = f"{_rel(at_mean, observed) * 100:+.1f} % at the mean"
        rows.append(CalibrationRow(
            f"mean-curve half-life, group {g.name} (digitised figure, fit from {_CURVE_FROM_H:g} h)",
            f"{observed:.1f} h", model, error, "inside the model's range over the group",
            fast <= observed <= slow, "renal"))
    return rows


def _table(rows: list[CalibrationRow], published: str) -> list[str]:
    out = [f"| quantity | {published} | model | error | tolerance | ok |", "|---|---|---|---|---|---|"]
    out += [f"| {r.quantity} | {r.label} | {r.model} | {r.error} | {r.tolerance} | {'yes' if r.ok else 'NO'} |"
            for r in rows]
    return out


def _fit_section(p: PKParameters) -> list[str]:
    """How clearance depends on CrCl: the relation, its parameters with their sources, the half-lives."""
    m = load_monograph()
    pk = m.pk
    ml_min = 1000.0 / 60.0  # L/h to mL/min
    k = p.crcl_bend_ml_min
    straight = replace(p, crcl_bend_ml_min=0.0)
    figures = [g for g in pk.renal_groups if None not in (g.crcl_mean_ml_min, g.half_life_h, g.apparent_clearance_ml_min)]
    best, worst = (figures[0], figures[-1]) if len(figures) >= 2 else (None, None)
    lines = [
        "",
        "## Kidney function: the fitted relation",
        "",
        "Clearance (L/h) at a creatinine clearance `CrCl` (mL/min):",
        "",
        "    CL(CrCl) = CL_nr + CL_r,ref * h(CrCl) / h(CrCl_ref),   h(c) = c^2 / (c + K)",
        "",
        "| parameter | value | from | source |",
        "|---|---|---|---|",
        f"| V | {p.volume_l:g} L | label | label §12.3 |",
        f"| CL_nr | {p.cl_nonrenal_l_per_h:.4f} L/h ({p.cl_nonrenal_l_per_h * ml_min:.2f} mL/min) | "
        f"anuric half-life {pk.half_life_anuric_h:g} h: V ln2 / t½ | label §12.3 |",
        f"| CL_r,ref | {p.cl_renal_ref_l_per_h:.4f} L/h ({p.cl_renal_ref_l_per_h * ml_min:.1f} mL/min) | "
        f"half-life {pk.half_life_normal_h:g} h at CrCl_ref: V ln2 / t½ - CL_nr | label §12.3; "
        f"CrCl_ref = {p.reference_crcl_ml_min:g} mL/min is gabacare-policy |",
        f"| K | {k:.2f} mL/min | fitted: least squares of the log residuals of the group figures below | "
        f"gabacare-policy (`[pk].model_note`), fitted to label §12.3 |",
        "",
    ]
    if best is not None and worst is not None and worst.crcl_mean_ml_min is not None:
        lines += [
            f"The label (§12.3) summarises its renal-impairment study (Blum et al. 1994, one "
            f"{pk.renal_study_dose_mg:g} mg dose) by the extreme groups only: mean CrCl of the groups from "
            f"{worst.crcl_mean_ml_min:g} to {best.crcl_mean_ml_min:g} mL/min, half-life from about "
            f"{best.half_life_h:g} h ({best.name}) to {worst.half_life_h:g} h ({worst.name}), CL/F from about "
            f"{best.apparent_clearance_ml_min:g} to {worst.apparent_clearance_ml_min:g} mL/min. GabaCare reads "
            f"the extremes as belonging together (group {best.name}: mean CrCl {best.crcl_mean_ml_min:g}; group "
            f"{worst.name}: mean CrCl {worst.crcl_mean_ml_min:g}). The fit uses those figures: each group's "
            "half-life at its mean CrCl, and the ratio of the CL/F values (the bioavailability is the same in "
            "every group, so the ratio of CL/F is the ratio of clearances). A group's mean half-life is longer "
            "than the half-life at the group's mean CrCl (half-life rises steeply as CrCl falls), so fitting "
            "one to the other tends to overstate the bend somewhat; the CL/F ratio, a ratio of mean "
            "clearances, is hardly affected by the spread of CrCl inside a group.",
            "",
            f"With `K = 0` the relation is the straight line through the anuric and normal points (the earlier "
            f"model); it gives {float(straight.half_life_h(worst.crcl_mean_ml_min)):.1f} h at the mean CrCl of "
            f"group {worst.name} against the label's {worst.half_life_h:g} h. Well above K the fitted renal "
            f"part is nearly a straight line in CrCl - {k:.1f} (the study found CL/F and renal clearance linear "
            "in CrCl); below K it falls smoothly to zero. The bend is an empirical one-parameter correction, "
            "not a mechanism.",
            "",
        ]
    lines += [
        "| CrCl (mL/min) | half-life, fitted (h) | half-life, straight line K = 0 (h) |",
        "|---|---|---|",
    ]
    for crcl in (5.0, 10.0, 13.0, 15.0, 20.0, 30.0, 45.0, 60.0, 100.0, 114.0, 150.0):
        lines.append(f"| {crcl:g} | {float(p.half_life_h(crcl)):.1f} | {float(straight.half_life_h(crcl)):.1f} |")
    lines += [
        "",
        "### Residuals: the renal-impairment groups",
        "",
        "Figures of the label (§12.3) for the groups, and each group's mean plasma curve after the dose as "
        "digitised from Blum et al. 1994 by Open Systems Pharmacology (`osp-qualification-ckd` in "
        "`sources.toml`; the points are in `[[pk.renal_groups]]`). A curve's half-life is the log-linear "
        f"fit from {_CURVE_FROM_H:g} h on; as the group's individual CrCl values are not published, it is "
        "checked against the model's range over the group's CrCl band.",
        "",
    ]
    return lines


def render_markdown(rows: list[CalibrationRow]) -> str:
    """The calibration tables as Markdown (``docs/pk-calibration.md``)."""
    lines = [
        "<!-- Generated from gabacare.pk.calibration.calibration_table(); "
        "tests/spec/test_pk_calibration.py checks it is current. -->",
        "# PK model calibration against the label (section 12.3) and kidney function",
        "",
        "Each model value is measured from simulated curves; see `gabacare.pk.calibration` for how.",
        "",
        *_table([r for r in rows if r.part == "label"], "label"),
    ]
    pk = load_monograph().pk
    p = default_parameters()
    edge = pk.half_life_normal_crcl_min
    lines += _fit_section(p)
    lines += _table([r for r in rows if r.part == "renal"], "published")
    lines += [
        "",
        "What the residuals say:",
        "",
        f"- The two fitted figures of the CrCl < 30 group (half-life, CL/F ratio) are within ± "
        f"{_GROUP_TOLERANCE * 100:g} %.",
        f"- The CrCl > 60 group's half-life is not fitted: the normal half-life is anchored at the reference "
        f"CrCl {p.reference_crcl_ml_min:g} mL/min (a modelling choice kept from before), while the label's group "
        f"mean is CrCl 114, where the model gives a shorter half-life. The row allows ± "
        f"{_ANCHORED_GROUP_TOLERANCE * 100:g} % for that reason; a tighter tolerance would fail it.",
        "- The digitised mean curves disagree with the label's own figures at the ends: the CrCl > 60 group's "
        "mean curve falls with a half-life well above 6.5 h from 12 h on, and the CrCl < 30 group's above "
        "52 h. A mean curve of several patients falls ever more slowly (the slowest patients dominate late), "
        "and the late, low, digitised points weigh heavily in a log-linear fit. The curves are therefore "
        "only checked against the model's range over each group's CrCl band, not fitted.",
        "- The middle group (CrCl 30-59) has no label figures and no published mean CrCl that could be verified, "
        "so it is not in the fit; its digitised curve lies inside the model's range for the band.",
        "",
        "Gap: Blum et al.'s per-group table (group sizes, each group's mean CrCl, half-life, CL/F, renal "
        "clearance and AUC) could not be found in the copies searched; only the abstract, the label's summary "
        "(§12.3) and the digitised mean curves were available. Per-group renal clearances are not used. When "
        "the table is available, its figures go into `[[pk.renal_groups]]` and the fit and these residuals "
        "update themselves.",
        "",
        "Notes on what the tables do not show:",
        "",
        f"- The label gives one half-life per kidney-function group; the model's half-life varies inside each "
        f"group: {float(p.half_life_h(edge)):.1f} h at CrCl {edge:g} mL/min (the edge of the normal group) "
        f"against {pk.half_life_normal_h:g} h at the reference {pk.reference_crcl_ml_min:g} mL/min.",
        "- The label's 2-3 h peak is matched for a single dose; at steady state the peak comes earlier "
        "(information row), as the one-compartment model predicts.",
        "- Bioavailability depends on the size of each dose; the label's table is for three divided doses, "
        "so a regimen with unequal doses gets each dose's own fraction.",
    ]
    return "\n".join(lines) + "\n"
