"""Render the doctor's report of the test journal and save its first page as a PNG.

Usage: ``.venv/bin/python scripts/report_screenshot.py [OUT.png]`` (default
``docs/screenshots/report-page1.png``). The journal is the one ``tests/reports/conftest.py`` builds
(a made-up patient), in a temporary SQLite file; nothing real is read.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.reports._journal import END, NOW, START, build_journal  # noqa: E402

from gabacare.reports.doctor_report import build_report  # noqa: E402
from gabacare.reports.render import render_pdf  # noqa: E402


def main(out: Path) -> None:
    import pypdfium2

    with tempfile.TemporaryDirectory() as tmp:
        journal, facts = build_journal(f"sqlite:///{tmp}/journal.sqlite3")
        report = build_report(journal, facts.pid, start=START, end=END, now=NOW, medicines=["Percocet", "sertraline"])
        pdf = render_pdf(report)
        journal.repo.close()
    doc = pypdfium2.PdfDocument(pdf)
    out.parent.mkdir(parents=True, exist_ok=True)
    doc[0].render(scale=150 / 72).to_pil().save(out, optimize=True)
    sys.stdout.write(f"{out} ({len(doc)} pages)\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots" / "report-page1.png")
