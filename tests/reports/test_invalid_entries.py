"""The doctor's report over a journal holding rows an older version stored outside today's rules
(a dose of 1e308 mg, an infinite score, a lab value of NaN): every section is computed without them,
the charts and the HTML (which the PDF lays out) render, and the report lists them as invalid, by id (issue 13 item 3)."""

from __future__ import annotations

import json
import math
from datetime import datetime

from gabacare.journal.model import EntryData
from gabacare.reports import build_report, render_html
from gabacare.reports.charts import dose_chart
from gabacare.serialize import dumps

from ._journal import END, NOW, START, build_journal


def test_invalid_rows_are_left_out_and_listed() -> None:
    j, facts = build_journal("memory://")  # the SQL backends: tests/journal/test_invalid_rows.py
    clean = build_report(j, facts.pid, start=START, end=END, now=NOW)
    bad = [
        j.repo.add_entry(facts.pid, EntryData("dose", datetime(2026, 6, 10, 7, 30), mg=1e308, status="taken"),
                         recorded_at=NOW).id,
        j.repo.add_entry(facts.pid, EntryData("symptom", datetime(2026, 6, 11, 19, 0), name="pain", value=math.inf),
                         recorded_at=NOW).id,
        j.repo.add_entry(facts.pid, EntryData("lab", datetime(2026, 6, 27, 9, 0), name="creatinine", value=math.nan,
                         unit="mg/dL"), recorded_at=NOW).id,
    ]
    report = build_report(j, facts.pid, start=START, end=END, now=NOW)
    assert [i.id for i in report.invalid_entries] == bad
    # Every figure is the one without the invalid rows.
    assert report.adherence == clean.adherence and report.daily_mg == clean.daily_mg
    assert report.trends == clean.trends and report.renal == clean.renal
    doc = json.loads(dumps(report.to_json()), parse_constant=lambda name: (_ for _ in ()).throw(AssertionError(name)))
    assert [i["id"] for i in doc["invalid_entries"]] == bad and all(i["problem"] for i in doc["invalid_entries"])
    # The dose chart is the one the 1e308 mg dose broke (the PDF lays out this same HTML: test_render.py).
    svg = dose_chart(report.daily_mg, report.plan_changes)
    assert svg.startswith("<svg")
    no_charts = {"adherence": None, "dose": svg, "scores": {}}
    html = render_html(report, charts=no_charts)
    assert 'id="invalid-entries"' in html and all(f"#{i}" in html for i in bad)
    assert "1e+308" not in html and "Infinity" not in html
    assert "invalid-entries" not in render_html(clean, charts=no_charts)
