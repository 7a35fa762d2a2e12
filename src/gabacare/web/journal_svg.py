"""A small inline SVG of a patient's simulated levels (the PK curve of their own logged doses).

Drawn by hand rather than with matplotlib so that it can sit inline in a page under the strict CSP:
only presentation attributes (no ``style``), colours from ``currentColor`` and two CSS classes
(``chart-line``, ``chart-axis`` in ``gabacare.css``). It carries ``role="img"``, a ``<title>`` and a
``<desc>`` summarising the curve, and the page shows the same figures as text.
"""

from __future__ import annotations

import html
from typing import Any

__all__ = ["pk_curve_svg"]

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
    t_max = max(ts[-1], 24.0)
    y_max = _nice_max(max(max(cs), 0.1) * 1.1)
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM

    def x(t: float) -> float:
        return _LEFT + t / t_max * plot_w

    def y(c: float) -> float:
        return _TOP + plot_h - c / y_max * plot_h

    points = " ".join(f"{x(t):.1f},{y(c):.1f}" for t, c in zip(ts, cs, strict=True))
    summary = data.get("summary", {})
    first = sim.origin.date()
    desc = (f"Simulated gabapentin level from {first:%d %b %Y} over {t_max / 24:.0f} days of {sim.doses} logged doses; "
            f"highest {max(cs):.1f} mg/L.")
    if summary.get("cavg_mg_per_l") is not None:
        desc += f" Average on the last day {summary['cavg_mg_per_l']:.1f} mg/L."
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W:.0f} {_H:.0f}" role="img" '
             f'aria-labelledby="pk-title pk-desc" class="chart pk-chart">',
             '<title id="pk-title">Simulated level of your logged doses</title>',
             f'<desc id="pk-desc">{html.escape(desc)}</desc>',
             '<g class="chart-axis" fill="currentColor" font-size="11">']
    for i in range(6):
        c = y_max * i / 5
        parts.append(f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{y(c):.1f}" y2="{y(c):.1f}" stroke="currentColor" '
                     f'stroke-opacity="0.2"/>')
        parts.append(f'<text x="{_LEFT - 6}" y="{y(c) + 4:.1f}" text-anchor="end">{c:g}</text>')
    days = round(t_max / 24)
    every = max(1, days // 7 + (1 if days % 7 else 0))
    from datetime import timedelta

    for d in range(0, days + 1, every):
        xd = x(d * 24.0)
        parts.append(f'<line x1="{xd:.1f}" x2="{xd:.1f}" y1="{_TOP + plot_h}" y2="{_TOP + plot_h + 4}" '
                     'stroke="currentColor"/>')
        parts.append(f'<text x="{xd:.1f}" y="{_TOP + plot_h + 17}" text-anchor="middle">'
                     f'{first + timedelta(days=d):%d %b}</text>')
    parts.append(f'<text x="14" y="{_TOP + plot_h / 2:.0f}" text-anchor="middle" '
                 f'transform="rotate(-90 14 {_TOP + plot_h / 2:.0f})">mg/L</text>')
    parts.append(f'<line x1="{_LEFT}" x2="{_LEFT}" y1="{_TOP}" y2="{_TOP + plot_h}" stroke="currentColor"/>')
    parts.append(f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{_TOP + plot_h}" y2="{_TOP + plot_h}" stroke="currentColor"/>')
    parts.append("</g>")
    parts.append(f'<polyline class="chart-line" points="{points}" fill="none" stroke="currentColor" stroke-width="2" '
                 'stroke-linejoin="round"/>')
    parts.append("</svg>")
    return "".join(parts)
