"""A small inline SVG of a patient's simulated levels (the PK curve of their own logged doses).

Drawn by hand rather than with matplotlib so that it can sit inline in a page under the strict CSP:
only presentation attributes (no ``style``), colours from ``currentColor`` and two CSS classes
(``chart-line``, ``chart-axis`` in ``gabacare.css``). It carries ``role="img"``, a ``<title>`` and a
``<desc>`` summarising the curve, and the page shows the same figures as text.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

__all__ = ["estimate_svg", "pk_curve_svg"]

_W, _H = 640.0, 260.0
_LEFT, _RIGHT, _TOP, _BOTTOM = 52.0, 12.0, 14.0, 36.0


def _nice_max(value: float) -> float:
    for step in (0.5, 1, 2, 2.5, 5, 10, 20, 25, 50, 100):
        if value <= step * 5:
            return step * 5
    return value


def pk_curve_svg(sim: Any) -> str:
    """The concentration curve of a :class:`gabacare.journal.pk_history.PatientSimulation` as SVG text.

    The x axis is days from the simulation's origin (midnight of its first day), the y axis mg/L.
    """
    data = sim.simulation.to_json()
    ts: list[float] = list(data["curve"]["t_h"])
    cs: list[float] = list(data["curve"]["c_mg_per_l"])
    if not ts:
        return ""
    summary = data.get("summary", {})
    desc = (f"Simulated gabapentin level from {sim.origin.date():%d %b %Y} over {max(ts[-1], 24.0) / 24:.0f} days "
            f"of {sim.doses} logged doses; highest {max(cs):.1f} mg/L.")
    if summary.get("cavg_mg_per_l") is not None:
        desc += f" Average on the last day {summary['cavg_mg_per_l']:.1f} mg/L."
    return _chart_svg("pk", "Simulated level of your logged doses", desc, sim.origin, 0.0, max(ts[-1], 24.0),
                      [(ts, cs, "chart-line", "")])


def estimate_svg(ts: Sequence[float], population: Sequence[float], individual: Sequence[float],
                 band: tuple[Sequence[float], Sequence[float]], levels: Sequence[tuple[float, float]],
                 origin: datetime) -> str:
    """Measured levels (dots) over the typical patient's curve (dashed), this patient's curve (solid)
    and its interval (a shaded band); ``ts`` in hours from ``origin``, concentrations in mg/L."""
    if not ts:
        return ""
    lo, hi = band
    measured = ", ".join(f"{c:.1f} mg/L" for _, c in levels)
    desc = (f"Measured level(s) {measured}, with the level predicted for a typical patient (dashed line) and for "
            f"this patient (solid line, shaded interval), from {origin + timedelta(hours=ts[0]):%d %b %H:%M} to "
            f"{origin + timedelta(hours=ts[-1]):%d %b %H:%M}.")
    return _chart_svg("est", "Measured and predicted levels", desc, origin, ts[0], ts[-1],
                      [(ts, population, "chart-line", ' stroke-dasharray="6 4" stroke-opacity="0.6"'),
                       (ts, individual, "chart-line", "")], band=(ts, lo, hi), dots=levels)


def _chart_svg(key: str, title: str, desc: str, origin: datetime, t0: float, t1: float,
               lines: Sequence[tuple[Sequence[float], Sequence[float], str, str]], *,
               band: tuple[Sequence[float], Sequence[float], Sequence[float]] | None = None,
               dots: Sequence[tuple[float, float]] = ()) -> str:
    """Axes (days from ``origin`` on x, mg/L on y), lines, an optional band and dots, as one SVG."""
    top = max([max(cs, default=0.0) for _, cs, _, _ in lines] + [max(band[2], default=0.0) if band else 0.0]
              + [c for _, c in dots])
    y_max = _nice_max(max(top, 0.1) * 1.1)
    span = max(t1 - t0, 1.0)
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM

    def x(t: float) -> float:
        return _LEFT + (t - t0) / span * plot_w

    def y(c: float) -> float:
        return _TOP + plot_h - min(c, y_max) / y_max * plot_h

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W:.0f} {_H:.0f}" role="img" '
             f'aria-labelledby="{key}-title {key}-desc" class="chart pk-chart">',
             f'<title id="{key}-title">{html.escape(title)}</title>',
             f'<desc id="{key}-desc">{html.escape(desc)}</desc>',
             '<g class="chart-axis" fill="currentColor" font-size="11">']
    for i in range(6):
        c = y_max * i / 5
        parts.append(f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{y(c):.1f}" y2="{y(c):.1f}" stroke="currentColor" '
                     f'stroke-opacity="0.2"/>')
        parts.append(f'<text x="{_LEFT - 6}" y="{y(c) + 4:.1f}" text-anchor="end">{c:g}</text>')
    first_day, last_day = math.ceil(t0 / 24), math.floor(t1 / 24)
    days = max(1, last_day - first_day)
    every = max(1, days // 7 + (1 if days % 7 else 0))
    for d in range(first_day, last_day + 1, every):
        xd = x(d * 24.0)
        parts.append(f'<line x1="{xd:.1f}" x2="{xd:.1f}" y1="{_TOP + plot_h}" y2="{_TOP + plot_h + 4}" '
                     'stroke="currentColor"/>')
        parts.append(f'<text x="{xd:.1f}" y="{_TOP + plot_h + 17}" text-anchor="middle">'
                     f'{origin.date() + timedelta(days=d):%d %b}</text>')
    parts.append(f'<text x="14" y="{_TOP + plot_h / 2:.0f}" text-anchor="middle" '
                 f'transform="rotate(-90 14 {_TOP + plot_h / 2:.0f})">mg/L</text>')
    parts.append(f'<line x1="{_LEFT}" x2="{_LEFT}" y1="{_TOP}" y2="{_TOP + plot_h}" stroke="currentColor"/>')
    parts.append(f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{_TOP + plot_h}" y2="{_TOP + plot_h}" stroke="currentColor"/>')
    parts.append("</g>")
    if band is not None:
        bt, lo, hi = band
        outline = [f"{x(t):.1f},{y(c):.1f}" for t, c in zip(bt, hi, strict=True)]
        outline += [f"{x(t):.1f},{y(c):.1f}" for t, c in zip(reversed(bt), reversed(lo), strict=True)]
        parts.append(f'<polygon points="{" ".join(outline)}" fill="currentColor" fill-opacity="0.15" stroke="none"/>')
    for ts, cs, css, extra in lines:
        points = " ".join(f"{x(t):.1f},{y(c):.1f}" for t, c in zip(ts, cs, strict=True))
        parts.append(f'<polyline class="{css}" points="{points}" fill="none" stroke="currentColor" stroke-width="2" '
                     f'stroke-linejoin="round"{extra}/>')
    for t, c in dots:
        parts.append(f'<circle cx="{x(t):.1f}" cy="{y(c):.1f}" r="5" fill="currentColor" stroke="white" '
                     'stroke-width="1.5"/>')
    parts.append("</svg>")
    return "".join(parts)
