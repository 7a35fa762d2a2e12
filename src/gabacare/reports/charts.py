"""Charts for the doctor's report and the Trends page, drawn as SVG text by hand.

Each function returns one ``<svg>`` element ready to inline in HTML or to serve on its own (no XML
prolog; ``xmlns``, a ``viewBox`` of 720 × 260 user units and no width or height, so it follows its
container; ``role="img"``, a ``<title>`` and an ``aria-label`` that states the figures). Text stays
text, so it is selectable and readable by screen readers and PDF text extraction. Only presentation
attributes are used (no ``style``), so the SVG passes a strict CSP. Nothing is told apart by colour
alone: series differ by line style and marker too, and colours are dark enough for a white page and
greyscale printing.

They were drawn with matplotlib until issue 18 ("report and charts for a year under 2 s"): a figure
cost 0.3-1.5 s of CPU (a year's dose chart the most); these cost a few milliseconds and grow linearly
with the points drawn. Values that are not finite are drawn at the axis (they never reach here from
the journal, which leaves invalid entries out, but a chart must not fail on them).
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Final

from gabacare.reports.doctor_report import DailyDose, PlanChange, ScaleTrend, WeekRow

__all__ = ["adherence_chart", "dose_chart", "score_chart"]

INK: Final = "#1a1a1a"
BLUE: Final = "#1f4e79"
ORANGE: Final = "#9a4a00"
GREY: Final = "#5f5f5f"
GRID: Final = "#c8c8c8"
W: Final = 720.0
H: Final = 260.0
"""The viewBox in user units (the Trends page's ``<img>`` is 720 × 260 too)."""
_LEFT, _RIGHT, _TOP, _BOTTOM = 58.0, 14.0, 44.0, 40.0
_MAX_TICKS: Final = 12
"""Most labels on the x axis (more would overlap at 720 units wide)."""
_BAR_VALUES_MAX_WEEKS: Final = 26
"""Above this many weeks the bars are too narrow for their values: the ``aria-label`` keeps them."""


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _f(value: float) -> str:
    """A coordinate with one decimal (``-0.0`` written as ``0.0``)."""
    return f"{value + 0.0:.1f}"


def _finite(value: float | None) -> float:
    return value if value is not None and math.isfinite(value) else 0.0


class _Plot:
    """The plotting area of one chart: data coordinates to SVG user units, and the parts drawn."""

    def __init__(self, x0: float, x1: float, y_max: float) -> None:
        self.x0, self.x1 = x0, x1 if x1 > x0 else x0 + 1.0
        self.y_max = y_max if y_max > 0 and math.isfinite(y_max) else 1.0
        self.w = W - _LEFT - _RIGHT
        self.h = H - _TOP - _BOTTOM
        self.parts: list[str] = []

    def x(self, value: float) -> float:
        return _LEFT + (value - self.x0) / (self.x1 - self.x0) * self.w

    def y(self, value: float) -> float:
        v = min(max(_finite(value), 0.0), self.y_max)
        return _TOP + self.h - v / self.y_max * self.h

    def y_axis(self, ticks: Sequence[float], label: str) -> None:
        p = self.parts
        for t in ticks:
            yy = _f(self.y(t))
            p.append(f'<line x1="{_LEFT}" x2="{W - _RIGHT}" y1="{yy}" y2="{yy}" stroke="{GRID}" stroke-width="0.6"/>')
            p.append(f'<text x="{_LEFT - 5}" y="{_f(self.y(t) + 4)}" text-anchor="end">{t:g}</text>')
        mid = _f(_TOP + self.h / 2)
        p.append(f'<text x="14" y="{mid}" text-anchor="middle" transform="rotate(-90 14 {mid})">{_esc(label)}</text>')

    def frame(self, x_label: str) -> None:
        p = self.parts
        base = _f(_TOP + self.h)
        p.append(f'<line x1="{_LEFT}" x2="{_LEFT}" y1="{_TOP}" y2="{base}" stroke="{INK}"/>')
        p.append(f'<line x1="{_LEFT}" x2="{W - _RIGHT}" y1="{base}" y2="{base}" stroke="{INK}"/>')
        p.append(f'<text x="{_f(_LEFT + self.w / 2)}" y="{H - 4}" text-anchor="middle">{_esc(x_label)}</text>')

    def x_tick(self, at: float, label: str) -> None:
        xx, base = _f(self.x(at)), _TOP + self.h
        self.parts.append(f'<line x1="{xx}" x2="{xx}" y1="{_f(base)}" y2="{_f(base + 4)}" stroke="{INK}"/>')
        self.parts.append(f'<text x="{xx}" y="{_f(base + 16)}" text-anchor="middle">{_esc(label)}</text>')


def _ordinal(d: date) -> float:
    return float(d.toordinal())


def _date_ticks(start: date, end: date) -> list[date]:
    """Days to label: every few days over two months or less, else month starts (at most ``_MAX_TICKS``)."""
    span = (end - start).days
    if span <= 62:
        step = max(1, span // 8 + 1)
        return [start + timedelta(days=i) for i in range(0, span + 1, step)]
    months = []
    d = date(start.year, start.month, 1)
    while d <= end:
        if d >= start:
            months.append(d)
        d = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    every = max(1, math.ceil(len(months) / _MAX_TICKS))
    return months[::every]


def _date_axis(plot: _Plot, start: date, end: date) -> None:
    for d in _date_ticks(start, end):
        plot.x_tick(_ordinal(d), f"{d:%d %b}")


def _open(title: str, description: str) -> list[str]:
    label = _esc(f"{title}. {description}")
    return [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W:.0f} {H:.0f}" role="img" aria-label="{label}" '
            f'class="chart" font-family="DejaVu Sans, Arial, sans-serif" font-size="11" fill="{INK}">',
            f"<title>{_esc(title)}</title>",
            f'<rect width="{W:.0f}" height="{H:.0f}" fill="white"/>',
            f'<text x="{_LEFT - 50}" y="16" font-size="12" font-weight="bold">{_esc(title)}</text>']


def _legend(items: Sequence[tuple[str, str]]) -> str:
    """One row of legend entries at the top right: ``(sample SVG drawn in a 22 × 10 box at 0,0, label)``."""
    x = W - _RIGHT
    placed: list[str] = []
    for sample, label in reversed(items):
        x -= 30 + 6.2 * len(label)
        placed.append(f'<g transform="translate({_f(x)} 24)">{sample}<text x="27" y="9" font-size="10">'
                      f"{_esc(label)}</text></g>")
    return "".join(reversed(placed))


def _step_markers(plot: _Plot, changes: Sequence[PlanChange], *, label_top: bool) -> None:
    """Vertical dotted lines at each change of the planned daily dose, labelled with the new mg/day."""
    for c in changes:
        xx = _f(plot.x(_ordinal(c.date)))
        plot.parts.append(f'<line x1="{xx}" x2="{xx}" y1="{_TOP}" y2="{_f(_TOP + plot.h)}" stroke="{GREY}" '
                          'stroke-dasharray="1.5 2.5"/>')
        if label_top:
            arrow = "\u2191" if c.direction == "up" else "\u2193"
            plot.parts.append(f'<text x="{_f(plot.x(_ordinal(c.date)) - 2)}" y="{_TOP + 2}" font-size="9" '
                              f'fill="{GREY}" text-anchor="end" transform="rotate(-90 {_f(plot.x(_ordinal(c.date)) - 2)} '
                              f'{_TOP + 2})">{arrow}{_finite(c.to_mg):g}</text>')


def _polyline(points: Sequence[tuple[float, float]], attrs: str) -> str:
    return f'<polyline points="{" ".join(f"{_f(x)},{_f(y)}" for x, y in points)}" fill="none" {attrs}/>'


def _markers(points: Sequence[tuple[float, float]], shape: str, r: float, attrs: str) -> str:
    """One ``<path>`` drawing a marker (``circle`` or ``square`` of half-size ``r``) at every point: a
    year has about a thousand, and one element lays out far faster than a thousand (WeasyPrint's PDF)."""
    if shape == "circle":
        d = "".join(f"M{_f(x - r)} {_f(y)}a{r} {r} 0 1 0 {2 * r:g} 0a{r} {r} 0 1 0 {-2 * r:g} 0" for x, y in points)
    else:
        d = "".join(f"M{_f(x - r)} {_f(y - r)}h{2 * r:g}v{2 * r:g}h{-2 * r:g}z" for x, y in points)
    return f'<path d="{d}" {attrs}/>' if points else ""


def adherence_chart(weeks: Sequence[WeekRow]) -> str:
    """Per-week bars: % of scheduled doses taken (solid) and taken on time (hatched), values on the bars
    (up to ``_BAR_VALUES_MAX_WEEKS`` weeks; the ``aria-label`` always lists each week)."""
    title = "Adherence per week"
    desc = "; ".join(f"week of {w.week_start:%d %b}: {w.taken} of {w.scheduled} taken" for w in weeks)
    parts = _open(title, desc or "no doses scheduled")
    parts.append('<defs><pattern id="ontime-hatch" width="5" height="5" patternUnits="userSpaceOnUse" '
                 f'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="5" stroke="{ORANGE}" '
                 'stroke-width="1.6"/></pattern></defs>')
    n = max(len(weeks), 1)
    plot = _Plot(-0.5, n - 0.5, 115.0)
    plot.y_axis([0, 25, 50, 75, 100], "% of scheduled doses")
    slot = plot.w / n
    width = slot * 0.38
    every = max(1, math.ceil(len(weeks) / _MAX_TICKS))
    base = _TOP + plot.h
    for i, w in enumerate(weeks):
        centre = plot.x(i)
        for offset, value, fill in ((-width / 2, w.adherence_pct, BLUE), (width / 2, w.on_time_pct, "url(#ontime-hatch)")):
            v = _finite(value)
            top = plot.y(v)
            edge = INK if fill == BLUE else ORANGE
            plot.parts.append(f'<rect x="{_f(centre + offset - width / 2)}" y="{_f(top)}" width="{_f(width)}" '
                              f'height="{_f(base - top)}" fill="{fill}" stroke="{edge}" stroke-width="0.8"/>')
            if len(weeks) <= _BAR_VALUES_MAX_WEEKS:
                text = "n/a" if w.scheduled == 0 else f"{v:.0f}%"
                plot.parts.append(f'<text x="{_f(centre + offset)}" y="{_f(top - 3)}" font-size="8" '
                                  f'text-anchor="middle">{text}</text>')
        if i % every == 0:
            plot.x_tick(i, f"{w.week_start:%d %b}")
    plot.frame("week starting (Monday)")
    parts += plot.parts
    parts.append(_legend([
        (f'<rect width="22" height="10" fill="{BLUE}" stroke="{INK}" stroke-width="0.8"/>', "taken (any time of day)"),
        (f'<rect width="22" height="10" fill="url(#ontime-hatch)" stroke="{ORANGE}" stroke-width="0.8"/>',
         "taken on time"),
    ]))
    parts.append("</svg>")
    return "".join(parts)


def dose_chart(days: Sequence[DailyDose], changes: Sequence[PlanChange]) -> str:
    """Daily mg planned (dashed step line) and taken (solid line with circles), dose steps marked."""
    title = "Daily dose: taken vs planned"
    total_p = sum(d.planned_mg for d in days)
    total_t = sum(d.taken_mg for d in days)
    parts = _open(title, f"{total_t:g} mg taken of {total_p:g} mg planned over {len(days)} days; "
                         f"{len(changes)} dose steps")
    top = max([_finite(d.planned_mg) for d in days] + [_finite(d.taken_mg) for d in days] + [1.0]) * 1.15
    y_max, ticks = _nice_axis(top)
    first = days[0].date if days else date(1970, 1, 1)
    last = days[-1].date if days else first
    plot = _Plot(_ordinal(first) - 0.5, _ordinal(last) + 0.5, y_max)
    plot.y_axis(ticks, "gabapentin (mg/day)")
    _date_axis(plot, first, last)
    _step_markers(plot, changes, label_top=False)
    planned: list[tuple[float, float]] = []
    for d in days:  # a step "where=mid": each day's value from half a day before to half a day after
        o, yy = _ordinal(d.date), plot.y(d.planned_mg)
        planned += [(plot.x(o - 0.5), yy), (plot.x(o + 0.5), yy)]
    plot.parts.append(_polyline(planned, f'stroke="{INK}" stroke-width="1.4" stroke-dasharray="5 3"'))
    taken = [(plot.x(_ordinal(d.date)), plot.y(d.taken_mg)) for d in days]
    plot.parts.append(_polyline(taken, f'stroke="{BLUE}" stroke-width="1.2" stroke-linejoin="round"'))
    r = 2.2 if len(days) <= 62 else 1.3
    plot.parts.append(_markers(taken, "circle", r, f'fill="{BLUE}"'))
    plot.frame("date")
    parts += plot.parts
    parts.append(_legend([
        (f'<line x1="0" x2="22" y1="5" y2="5" stroke="{INK}" stroke-width="1.4" stroke-dasharray="5 3"/>', "planned"),
        (f'<line x1="0" x2="22" y1="5" y2="5" stroke="{BLUE}" stroke-width="1.2"/>'
         f'<circle cx="11" cy="5" r="2.2" fill="{BLUE}"/>', "taken"),
    ]))
    parts.append("</svg>")
    return "".join(parts)


def _nice_axis(top: float) -> tuple[float, list[float]]:
    """Ticks every 1, 2, 2.5 or 5 × 10^k (the smallest step giving at most six intervals) from 0 to
    the first tick at or above ``top``; returns that maximum and the ticks."""
    top = top if top > 0 and math.isfinite(top) else 1.0
    magnitude = 10 ** math.floor(math.log10(top / 6))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if math.ceil(top / (m * magnitude)) <= 6)
    n = math.ceil(top / step)
    return n * step, [step * i for i in range(n + 1)]


def score_chart(trend: ScaleTrend, changes: Sequence[PlanChange], *, start: date, end: date, window_days: int) -> str:
    """A scale's daily means (open squares) and trailing rolling mean (solid line), dose steps as dotted lines."""
    name = trend.scale.replace("_", " ")
    title = f"{name.capitalize()}: daily scores and {window_days}-day rolling mean"
    desc = (f"rolling mean from {trend.first_rolling:g} to {trend.last_rolling:g}"
            if trend.first_rolling is not None and trend.last_rolling is not None else "no scores")
    parts = _open(title, desc + f"; {len(changes)} dose steps marked")
    if trend.unit.startswith("score"):
        y_max, ticks = 12.2, [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]  # the band above 10 holds the step labels
    else:
        y_max, ticks = _nice_axis(max([_finite(p.mean) for p in trend.points] + [1.0]) * 1.15)
    plot = _Plot(_ordinal(start) - 0.5, _ordinal(end) + 0.5, y_max)
    plot.y_axis(ticks, f"{name} ({trend.unit})")
    _date_axis(plot, start, end)
    _step_markers(plot, changes, label_top=True)
    side = 4.0 if len(trend.points) <= 62 else 2.6
    plot.parts.append(_markers([(plot.x(_ordinal(p.date)), plot.y(p.mean)) for p in trend.points], "square", side / 2,
                               f'fill="white" stroke="{GREY}" stroke-width="0.8"'))
    plot.parts.append(_polyline([(plot.x(_ordinal(p.date)), plot.y(p.rolling_mean)) for p in trend.points],
                                f'stroke="{BLUE}" stroke-width="1.8" stroke-linejoin="round"'))
    plot.frame("date")
    parts += plot.parts
    parts.append(_legend([
        (f'<rect x="8" y="2" width="6" height="6" fill="white" stroke="{GREY}"/>', "daily mean"),
        (f'<line x1="0" x2="22" y1="5" y2="5" stroke="{BLUE}" stroke-width="1.8"/>', f"{window_days}-day rolling mean"),
    ]))
    parts.append("</svg>")
    return "".join(parts)
