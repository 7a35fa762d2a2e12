"""Long work shows progress (issue 18, item 3): the report page says beside the PDF button that making
the PDF takes a few seconds, and the button points screen readers at that sentence (``aria-describedby``,
its accessible name unchanged)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from fastapi.testclient import TestClient

from .test_journal_pages import add_patient, make_app, sign_up


def test_the_report_page_says_the_pdf_takes_a_few_seconds(tmp_path: Path) -> None:
    with TestClient(make_app(tmp_path / "journal.sqlite3"), base_url="http://testserver") as client:
        sign_up(client, f"owner-{uuid.uuid4().hex[:8]}@example.org")
        pid = add_patient(client)
        page = client.get(f"/patients/{pid}/report").text
    button = re.search(r'<button type="submit" aria-describedby="([^"]+)">Download PDF</button>', page)
    assert button is not None
    hint = re.search(rf'<p id="{button.group(1)}"[^>]*>([^<]+)</p>', page)
    assert hint is not None and "a few seconds" in hint.group(1)
