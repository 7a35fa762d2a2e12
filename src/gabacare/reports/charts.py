"""Charts for the doctor's report: matplotlib (Agg, imported lazily) drawn to SVG text.

Each function returns one ``<svg>`` element ready to inline in HTML (no XML prolog, ``role="img"``,
a ``<title>`` and an ``aria-label``, width following its container). Text stays text
(``svg.fonttype = none``) so it is selectable and readable by screen readers and PDF text
extraction. Nothing is told apart by colour alone: series differ by line style and marker too,
and colours are dark enough for a white page and greyscale printing.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any, Final

from gabacare.reports.doctor_report import DailyDose, PlanChange, ScaleTrend, WeekRow

__all__ = ["adherence_chart", "dose_chart", "score_chart"]

INK: Final = "#1a1a1a"
BLUE: Final = "#1f4e79"
ORANGE: Final = "#9a4a00"
GREY: Final = "#5f5f5f"
_SIZE: Final = (7.2, 2.6)  # inches: the A4 text width at 100 dpi-ish, short enough for two per page


@contextmanager
def _figure(salt: str) -> Iterator[tuple[Any, Any]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    style: Any = {
        "svg.fonttype": "none", "svg.hashsalt": salt, "font.family": "DejaVu Sans", "font.size": 8,
        "axes.edgecolor": INK, "axes.labelcolor": INK, "xtick.color": INK, "ytick.color": INK, "text.color": INK,
        "axes.spines.top": False, "axes.spines.right": False,
    }
    with plt.rc_context(style):
        fig, ax = plt.subplots(figsize=_SIZE, layout="constrained")
        try:
            yield fig, ax
        finally:
            plt.close(fig)


def _svg(fig: Any, title: str, description: str) -> str:
    import io

    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Title": title})
    text = buf.getvalue()
    start = text.index("<svg")
    text = text[start:]
    # Fit the container (the viewBox keeps the aspect ratio) and describe the chart for assistive tech.
    head_end = text.index(">")
    head = re.sub(r'\s(width|height)="[^"]*"', "", text[:head_end])
    label = html.escape(f"{title}. {description}", quote=True)
    head += f' role="img" aria-label="{label}" class="chart"'
    return head + text[head_end:]  # matplotlib writes the <title> from the metadata


def _date_axis(ax: Any, start: date, end: date) -> None:
    import matplotlib.dates

    mdates: Any = matplotlib.dates  # its locators and formatters are untyped
    ax.set_xlim(start - timedelta(hours=12), end + timedelta(hours=12))
    span = (end - start).days
    locator = mdates.DayLocator(interval=max(1, span // 8 + 1)) if span <= 62 else mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
    ax.grid(axis="y", color="#c8c8c8", linewidth=0.6)
    ax.set_axisbelow(True)


def _step_markers(ax: Any, changes: Sequence[PlanChange], *, label_top: bool) -> None:
    """Vertical dotted lines at each change of the planned daily dose, labelled with the new mg/day."""
    from matplotlib.transforms import blended_transform_factory

    trans = blended_transform_factory(ax.transData, ax.transAxes)
    for i, c in enumerate(changes):
        ax.axvline(c.date, color=GREY, linestyle=":", linewidth=1.0, label="dose step" if i == 0 else None)
        if label_top:
            arrow = "\u2191" if c.direction == "up" else "\u2193"
            ax.text(c.date, 1.0, f"{arrow}{c.to_mg:g}", transform=trans, rotation=90, va="top", ha="right",
                    fontsize=6.5, color=GREY)


def adherence_chart(weeks: Sequence[WeekRow]) -> str:
    """Per-week bars: % of scheduled doses taken (solid) and taken on time (hatched), values written on the bars."""
    with _figure("adherence") as (fig, ax):
        labels = [w.week_start.strftime("%d %b") for w in weeks]
        xs = list(range(len(weeks)))
        taken = [w.adherence_pct or 0.0 for w in weeks]
        on_time = [w.on_time_pct or 0.0 for w in weeks]
        width = 0.38
        b1 = ax.bar([x - width / 2 for x in xs], taken, width, color=BLUE, edgecolor=INK, label="taken (any time of day)")
        b2 = ax.bar([x + width / 2 for x in xs], on_time, width, color="white", edgecolor=ORANGE, hatch="////",
                    label="taken on time")
        for bars, values, src in ((b1, taken, weeks), (b2, on_time, weeks)):
            for bar, v, w in zip(bars, values, src, strict=True):
                text = "n/a" if w.scheduled == 0 else f"{v:.0f}%"
                ax.annotate(text, (bar.get_x() + bar.get_width() / 2, bar.get_height()), xytext=(0, 2),
                            textcoords="offset points", ha="center", va="bottom", fontsize=7)
        ax.set_xticks(xs, labels)
        ax.set_ylim(0, 115)
        ax.set_yticks([0, 25, 50, 75, 100])
        ax.set_ylabel("% of scheduled doses")
        ax.set_xlabel("week starting (Monday)")
        ax.set_title("Adherence per week", loc="left", fontweight="bold")
        ax.grid(axis="y", color="#c8c8c8", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
        desc = "; ".join(f"week of {w.week_start:%d %b}: {w.taken} of {w.scheduled} taken" for w in weeks)
        return _svg(fig, "Adherence per week", desc or "no doses scheduled")


def dose_chart(days: Sequence[DailyDose], changes: Sequence[PlanChange]) -> str:
    """Daily mg planned (dashed step line) and taken (solid line with circles), dose steps marked."""
    with _figure("dose") as (fig, ax):
        ds = [d.date for d in days]
        ax.step(ds, [d.planned_mg for d in days], where="mid", color=INK, linestyle="--", linewidth=1.4,
                label="planned")
        ax.plot(ds, [d.taken_mg for d in days], color=BLUE, linestyle="-", marker="o", markersize=3.2,
                linewidth=1.2, label="taken")
        _step_markers(ax, changes, label_top=False)
        if ds:
            _date_axis(ax, ds[0], ds[-1])
        ax.set_ylim(bottom=0, top=max([d.planned_mg for d in days] + [d.taken_mg for d in days] + [1.0]) * 1.15)
        ax.set_ylabel("gabapentin (mg/day)")
        ax.set_xlabel("date")
        ax.set_title("Daily dose: taken vs planned", loc="left", fontweight="bold")
        ax.legend(loc="best", fontsize=7, frameon=True, framealpha=0.9)
        total_p = sum(d.planned_mg for d in days)
        total_t = sum(d.taken_mg for d in days)
        return _svg(fig, "Daily dose: taken vs planned",
                    f"{total_t:g} mg taken of {total_p:g} mg planned over {len(days)} days; {len(changes)} dose steps")


def score_chart(trend: ScaleTrend, changes: Sequence[PlanChange], *, start: date, end: date, window_days: int) -> str:
    """A scale's daily means (open squares) and trailing rolling mean (solid line), dose steps as dotted lines."""
    name = trend.scale.replace("_", " ")
    with _figure(f"score-{trend.scale}") as (fig, ax):
        ds = [p.date for p in trend.points]
        ax.plot(ds, [p.mean for p in trend.points], linestyle="none", marker="s", markersize=3.5,
                markerfacecolor="white", markeredgecolor=GREY, label="daily mean")
        ax.plot(ds, [p.rolling_mean for p in trend.points], color=BLUE, linewidth=1.8,
                label=f"{window_days}-day rolling mean")
        _step_markers(ax, changes, label_top=True)
        _date_axis(ax, start, end)
        if trend.unit.startswith("score"):
            ax.set_ylim(0, 12.2)  # the band above 10 holds the step labels, clear of the data
            ax.set_yticks([0, 2, 4, 6, 8, 10])
        else:
            ax.set_ylim(bottom=0)
        ax.set_ylabel(f"{name} ({trend.unit})")
        ax.set_xlabel("date")
        title = f"{name.capitalize()}: daily scores and {window_days}-day rolling mean"
        ax.set_title(title, loc="left", fontweight="bold", pad=14)
        ax.legend(loc="best", fontsize=7, frameon=True, framealpha=0.9)
        desc = (f"rolling mean from {trend.first_rolling:g} to {trend.last_rolling:g}"
                if trend.first_rolling is not None and trend.last_rolling is not None else "no scores")
        return _svg(fig, title, desc + f"; {len(changes)} dose steps marked")
