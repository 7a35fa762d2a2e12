"""Render a :class:`~gabacare.reports.doctor_report.DoctorReport` to HTML (Jinja2) or PDF (WeasyPrint).

One template, ``templates/doctor_report.html`` with ``templates/report.css`` inlined, serves both:
the HTML is a self-contained file (charts inline as SVG, no external requests) and the PDF is that
same HTML laid out on A4 by WeasyPrint, with the patient's name and the period in every page's
header, the notice and page numbers in every footer. When an emergency side effect was logged in
the period, the emergency section comes first, right under the patient's details.

Jinja2 and WeasyPrint are imported inside the functions (each costs start-up time); the charts are
SVG written by :mod:`gabacare.reports.charts` (no plotting library).
Handles patient data: the output goes only to the caller; nothing is logged.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from gabacare.knowledge import Citation, load_monograph
from gabacare.reports.doctor_report import JOURNAL_SOURCE, DoctorReport

if TYPE_CHECKING:
    from collections.abc import Sequence

    from jinja2 import Environment

    from gabacare.journal.analysis import AdherenceReport
    from gabacare.journal.model import StoredPlan
    from gabacare.journal.services import TrendsReport

__all__ = ["MEDIA_TYPES", "charts_for", "period_charts", "render_html", "render_pdf"]

MEDIA_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}
"""Media types of the two renderings (for a web download's ``Content-Type``)."""

_URGENCY_WORDS = {"emergency": "Emergency", "contact_prescriber": "Contact prescriber", "expected": "Expected",
                  None: "Not recognised"}


def _day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    return f"{value.day} {value:%b %Y}"


def _moment(value: datetime | None) -> str:
    return "" if value is None else f"{value.day} {value:%b %Y %H:%M}"


def _num(value: float | None, suffix: str = "") -> str:
    return "n/a" if value is None else f"{value:g}{suffix}"


def _dec(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def _cites(citations: Any) -> str:
    return "; ".join(dict.fromkeys(c.render() for c in citations if isinstance(c, Citation)))


@cache
def _env() -> Environment:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(loader=PackageLoader("gabacare.reports", "templates"), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(day=_day, moment=_moment, num=_num, dec=_dec, cites=_cites,
                       urgency=lambda u: _URGENCY_WORDS.get(u, str(u)),
                       label=lambda s: str(s).replace("_", " "))
    return env


def charts_for(report: DoctorReport) -> dict[str, Any]:
    """The report's charts as inline SVG text: ``adherence``, ``dose`` and ``scores`` (scale → SVG)."""
    from gabacare.reports import charts

    return {
        "adherence": charts.adherence_chart(report.adherence.weeks) if report.adherence.weeks else None,
        "dose": charts.dose_chart(report.daily_mg, report.plan_changes) if report.daily_mg else None,
        "scores": {t.scale: charts.score_chart(t, report.plan_changes, start=report.start, end=report.end,
                                               window_days=report.window_days) for t in report.trends},
    }


def period_charts(adherence: AdherenceReport, trends: TrendsReport, plans: Sequence[StoredPlan]) -> dict[str, Any]:
    """The charts of :func:`charts_for` (same keys, the same SVG) from ``Journal.adherence`` and
    ``Journal.trends`` over one period and the patient's plans, without building the whole report.

    For a page that has both already (the Trends page): a year's charts then cost milliseconds,
    where each ``/charts/{name}.svg`` request builds the doctor's report again (issue 18).
    """
    from gabacare.journal.schedule import plan_in_force
    from gabacare.reports import charts
    from gabacare.reports.doctor_report import DailyDose, PlanChange, WeekRow, _trends, step_sentence

    start, end = trends.start, trends.end
    weeks = tuple(WeekRow(x.week_start, x.scheduled, x.taken, x.on_time, x.adherence_pct, x.on_time_pct)
                  for x in adherence.weeks)
    days = tuple(DailyDose(d.date, d.planned_mg, d.taken_mg) for d in adherence.days)
    changes = tuple(
        PlanChange(s.at.date(), s.from_mg, s.to_mg, s.direction,
                   (p.plan.label if (p := plan_in_force(plans, s.at.date())) else None),
                   s.withdrawal_from, s.withdrawal_until, step_sentence(s, trends.window_days))
        for s in trends.dose_response.steps if start <= s.at.date() <= end)
    return {
        "adherence": charts.adherence_chart(weeks) if weeks else None,
        "dose": charts.dose_chart(days, changes) if days else None,
        "scores": {t.scale: charts.score_chart(t, changes, start=start, end=end, window_days=trends.window_days)
                   for t in _trends(trends.scales, trends.dose_response.scales)},
    }


def render_html(report: DoctorReport, *, charts: dict[str, Any] | None = None) -> str:
    """The report as one self-contained HTML document (UTF-8 text).

    ``charts`` (from :func:`charts_for`) may be passed to reuse drawn charts; by default they are drawn.
    """
    from markupsafe import Markup

    drawn = charts if charts is not None else charts_for(report)
    # Markup: the SVG is our own (reports.charts escapes every text in it) and the CSS our own file;
    # everything else is escaped.
    safe = {
        "adherence": Markup(drawn["adherence"]) if drawn.get("adherence") else None,
        "dose": Markup(drawn["dose"]) if drawn.get("dose") else None,
        "scores": {k: Markup(v) for k, v in drawn.get("scores", {}).items()},
    }
    m = load_monograph()
    cited = [c for c in report.citations]
    sources = [m.sources[s] for s in dict.fromkeys(c.source for c in cited) if s in m.sources]
    css = _env().loader.get_source(_env(), "report.css")[0]  # type: ignore[union-attr]
    has_down = any(c.direction == "down" for c in report.plan_changes)
    return _env().get_template("doctor_report.html").render(
        r=report, charts=safe, css=Markup(css), sources=sources, journal_source=JOURNAL_SOURCE,
        has_down_step=has_down, plan_citations=tuple(dict.fromkeys(c for p in report.plans for c in p.citations)),
        side_effect_citations=tuple(dict.fromkeys(c for s in report.side_effects for c in s.citations)),
        emergency_citations=tuple(dict.fromkeys(c for s in report.emergencies for c in s.citations)),
    )


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    # The document is self-contained; a URL in it would be a leak or a hang, never something to fetch.
    raise ValueError("the report fetches no external resources")


def render_pdf(report: DoctorReport, *, html: str | None = None) -> bytes:
    """The report as a PDF (A4) made by WeasyPrint from :func:`render_html`'s document.

    No external resource is fetched: every stylesheet and chart is inline.
    """
    from weasyprint import HTML  # type: ignore[import-untyped]

    document = html if html is not None else render_html(report)
    pdf = HTML(string=document, base_url=None, url_fetcher=_no_fetch).write_pdf(
        pdf_identifier=f"gabacare-report-{report.patient.id}-{report.start}-{report.end}".encode(),
    )
    assert pdf is not None  # write_pdf without a target returns the bytes
    return bytes(pdf)
