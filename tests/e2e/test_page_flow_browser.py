"""Flow between pages in real Chromium against ``gabacare serve`` over its own SQLite file (issue 18,
item 8): the home page leads to sign-up, then to the journal; a titration made on the planner is saved
to the patient's journal (HTMX result, then Post/Redirect/Get to the plan page); Today's "Missed a
dose?" opens the missed-dose helper filled with today's dose times; the report page lists the exports.
Axe-core (WCAG 2.1 A and AA) finds no violation on any of these pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import DESKTOP, PHONE
from .harness import LiveServer
from .test_accessibility import axe_violations


@pytest.fixture(scope="module")
def flow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    db = tmp_path_factory.mktemp("e2e-flow") / "journal.sqlite3"
    with LiveServer(env={"GABACARE_DB": f"sqlite:///{db}"}) as server:
        yield server
    server.cleanup()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_from_the_home_page_through_a_saved_plan_to_the_missed_dose_helper(
        browser: Any, flow_server: LiveServer, viewport: dict[str, int]) -> None:
    ctx = browser.new_context(base_url=flow_server.url, viewport=viewport, locale="en-GB")
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto("/")
        assert axe_violations(page) == []
        page.get_by_role("link", name="Create a free account").click()
        page.get_by_label("Your name").fill("Flow")
        page.get_by_label("E-mail address").fill(f"flow-{viewport['width']}@example.org")
        page.get_by_label("Password").fill("a long enough secret")
        page.get_by_role("button", name="Create the account").click()
        page.get_by_label(re.compile(r"^Name")).fill("Flow Patient")
        page.get_by_role("button", name=re.compile("Add")).click()
        page.wait_for_url(re.compile(r"/patients/\d+/plan$"))
        pid = int(re.findall(r"/patients/(\d+)/plan", page.url)[0])

        page.goto("/")
        link = page.get_by_role("link", name="Open my journal")
        expect(link).to_have_attribute("href", f"/patients/{pid}/today")
        assert axe_violations(page) == []

        page.goto("/plan/titrate")
        page.get_by_label("What is it for?").select_option("postherpetic-neuralgia")
        page.get_by_label("First day").fill((date.today() - timedelta(days=5)).isoformat())
        page.get_by_role("button", name="Make the plan").click()
        save = page.get_by_role("button", name="Save to my journal")
        expect(save).to_be_visible()
        expect(page.get_by_label("Whose journal?")).to_have_value(str(pid))
        assert axe_violations(page) == []
        save.click()
        page.wait_for_url(re.compile(rf"/patients/{pid}/plan\?saved=\d+$"))  # Post/Redirect/Get
        expect(page.get_by_text("titration", exact=False).first).to_be_visible()

        page.goto(f"/patients/{pid}/today")
        assert axe_violations(page) == []
        page.get_by_role("link", name="Missed a dose?").click()
        page.wait_for_url(f"**/patients/{pid}/missed")
        expect(page.get_by_label("Your dose times")).to_have_value(re.compile(r"^\d\d:\d\d(, \d\d:\d\d)*$"))
        assert axe_violations(page) == []

        page.goto(f"/patients/{pid}/report")
        expect(page.get_by_role("link", name="FHIR R4B bundle")).to_be_visible()
        assert axe_violations(page) == []
        assert not errors, errors
    finally:
        ctx.close()
