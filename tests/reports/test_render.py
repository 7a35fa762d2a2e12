"""The rendered report: HTML structure, and a PDF whose pages are rasterised and read back."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from gabacare.knowledge import load_monograph
from gabacare.reports import DoctorReport, build_report, render_html, render_pdf
from gabacare.reports.render import charts_for

from ._journal import END, NAME, NOW, START


class _Outline(HTMLParser):
    """Collects headings, table count, inline SVGs and section ids in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[tuple[str, str]] = []
        self.sections: list[str] = []
        self.tables = 0
        self.svgs = 0
        self.svg_titles = 0
        self.external: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("h1", "h2"):
            self._in = tag
            self.headings.append((tag, ""))
        elif tag == "section":
            self.sections.append(a.get("id") or "")
        elif tag == "table":
            self.tables += 1
        elif tag == "svg":
            self.svgs += 1
            assert a.get("role") == "img" and a.get("aria-label")
        elif tag == "title" and self.svgs:
            self.svg_titles += 1
        for key in ("src", "href"):
            if a.get(key) and not str(a[key]).startswith("#"):
                self.external.append(str(a[key]))

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            tag, text = self.headings[-1]
            self.headings[-1] = (tag, text + data)


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def report(journal_facts) -> DoctorReport:
    j, facts, _ = journal_facts
    return build_report(j, facts.pid, start=START, end=END, now=NOW, medicines=["Percocet"])


@pytest.fixture(scope="module")
def html(report: DoctorReport) -> str:
    return render_html(report)


def test_html_structure(html: str, report: DoctorReport) -> None:
    page = _Outline()
    page.feed(html)
    assert page.headings[0][0] == "h1"
    assert page.sections[:3] == ["emergencies", "summary", "plan"]  # the emergency comes first
    assert {"adherence", "dose", "trends", "side-effects", "medicines", "renal", "sources"} <= set(page.sections)
    titles = [_flat(t) for tag, t in page.headings if tag == "h2"]
    assert titles[0].startswith("⚠ Emergency")
    assert "Adherence" in titles and "Kidney function" in titles
    assert page.tables >= 6
    # adherence, dose, one per scale; each with a <title> for assistive technology
    assert page.svgs == 2 + len(report.trends) == page.svg_titles
    assert page.external == []  # self-contained: nothing to fetch
    assert html.count(load_monograph().notice_text) == 2  # running footer and the closing notice
    assert NAME in html and "swollen lips" in html
    assert html.count('class="sources"') >= 9  # every section shows its sources


def test_html_escapes_journal_text(journal_facts) -> None:
    from datetime import date, datetime

    j, facts, _ = journal_facts
    j.log_note(facts.pid, "<script>alert(1)</script> & co", at=datetime(2026, 5, 25, 22, 0))  # before the period
    day = date(2026, 5, 25)
    out = render_html(build_report(j, facts.pid, start=day, end=day, now=NOW),
                      charts={"adherence": None, "dose": None, "scores": {}})
    assert "<script>" not in out and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in out


def test_no_emergency_section_without_an_emergency(journal_facts) -> None:
    from datetime import date

    j, facts, _ = journal_facts
    r = build_report(j, facts.pid, start=date(2026, 6, 1), end=date(2026, 6, 10), now=NOW)
    assert not r.emergencies
    out = render_html(r, charts={"adherence": None, "dose": None, "scores": {}})
    assert 'id="emergencies"' not in out and "dizziness" in out


def test_charts_are_accessible_svg(report: DoctorReport) -> None:
    charts = charts_for(report)
    for svg in [charts["adherence"], charts["dose"], *charts["scores"].values()]:
        assert svg.startswith("<svg") and "<?xml" not in svg
        assert re.search(r"<title>[^<]+</title>", svg)
        assert 'width="' not in svg.split(">", 1)[0]  # follows its container
    assert "mg/day" in charts["dose"] and "% of scheduled doses" in charts["adherence"]
    assert "pain (score 0-10)" in charts["scores"]["pain"]
    # the dose-step labels on the score chart name the new daily dose of every step
    labels = re.findall(r"[↑↓](\d+)", charts["scores"]["pain"])
    assert labels == [f"{c.to_mg:g}" for c in report.plan_changes]


def test_pdf_pages_render_and_read_back(report: DoctorReport, html: str, tmp_path: Path) -> None:
    import numpy as np
    import pypdfium2

    pdf = render_pdf(report, html=html)
    assert pdf.startswith(b"%PDF-")
    doc = pypdfium2.PdfDocument(pdf)
    assert len(doc) >= 1
    texts = []
    for i in range(len(doc)):
        page = doc[i]
        image = page.render(scale=1).to_pil().convert("L")
        image.save(tmp_path / f"page-{i + 1}.png")
        variance = float(np.asarray(image, dtype=float).var())
        assert variance > 50, f"page {i + 1} looks blank"
        text = _flat(page.get_textpage().get_text_range())
        texts.append(text)
        assert load_monograph().notice_text in text, f"page {i + 1} lacks the notice"
        assert NAME in text, f"page {i + 1} lacks the patient's name in its header"
        assert f"Page {i + 1} of {len(doc)}" in text
    everything = " ".join(texts)
    assert "Adherence" in everything
    assert _flat(report.emergencies[0].advice) in texts[0]  # the emergency advice is on the first page
    assert len(list(tmp_path.glob("page-*.png"))) == len(doc)
