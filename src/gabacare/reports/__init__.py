"""Charts and reports built on the core (matplotlib and WeasyPrint are imported lazily inside).

The doctor's report: :func:`build_report` gathers a period of a patient's journal into a
:class:`DoctorReport` (pure data, ``to_json()``); :func:`render_html` and :func:`render_pdf` turn
it into a self-contained HTML document or an A4 PDF. PK charts live in :mod:`gabacare.reports.pk_plot`.
"""

from gabacare.reports.doctor_report import DoctorReport, build_report, default_period
from gabacare.reports.render import MEDIA_TYPES, render_html, render_pdf

__all__ = ["MEDIA_TYPES", "DoctorReport", "build_report", "default_period", "render_html", "render_pdf"]
