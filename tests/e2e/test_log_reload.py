"""Reloading after logging stores nothing again (issue 18 item 4, Post/Redirect/Get), in real Chromium
against ``gabacare serve``: a side effect saved from the Log page lands on ``log?saved=…`` with its
emergency alert; reloading that page (twice) shows the same and the journal holds exactly one entry."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from .conftest import PHONE
from .harness import LiveServer
from .test_journal_flow import _axe, _sign_up


def test_a_reload_after_logging_a_side_effect_stores_it_once(browser: Any, tmp_path: Any) -> None:
    server = LiveServer(env={"GABACARE_DB": f"sqlite:///{tmp_path / 'journal.sqlite3'}"})
    context = browser.new_context(base_url=server.url, viewport=PHONE, locale="en-GB")
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        with server:
            _sign_up(page, "reload@example.org", "Rel")
            page.get_by_label(re.compile(r"^Name")).fill("Rel Patient")
            page.get_by_label("Birth date").fill("1960-05-05")
            page.get_by_label("Sex").select_option("female")
            page.get_by_label("Weight (kg)").fill("64")
            page.get_by_role("button", name="Add", exact=True).click()
            pid = int(re.search(r"/patients/(\d+)/", page.url).group(1))  # type: ignore[union-attr]
            page.goto(f"/patients/{pid}/log")
            page.get_by_label("What do you notice?").fill("swollen lips")
            page.get_by_role("button", name="Save and check", exact=True).click()
            expect(page).to_have_url(re.compile(rf"/patients/{pid}/log\?saved=\d+$"))
            for reload in range(3):  # the page after saving, then two reloads
                expect(page.get_by_role("alert").filter(has_text="Emergency")).to_be_visible()
                expect(page.get_by_role("status").filter(has_text="Side effect saved.")).to_be_visible()
                if reload == 0:
                    _axe(page)
                if reload < 2:
                    response = page.reload()
                    assert response is not None and response.request.method == "GET" and response.status == 200
            entries = page.request.get(f"/api/v1/patients/{pid}/entries?kind=side_effect").json()["entries"]
            assert [e["text"] for e in entries] == ["swollen lips"], entries
        assert errors == [], errors
    finally:
        context.close()
        server.cleanup()
