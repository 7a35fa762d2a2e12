"""Refills in real Chromium (issue 15): the Today page loads its "Pills on hand" section, a pick-up
logged on the Pills on hand page shows there, and axe-core (WCAG 2.1 A and AA) finds no violation on
Today with the section or on the Pills on hand page."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from .screenshots import sign_in_as_demo
from .test_accessibility import axe_violations


def test_today_shows_pills_on_hand_and_a_pickup_counts(page: Any) -> None:
    sign_in_as_demo(page)
    page.goto("/patients/1/today")
    section = page.locator("#supply")
    expect(section.get_by_role("heading", name="Pills on hand")).to_be_visible()
    expect(section.get_by_role("link", name="Log a pick-up")).to_be_visible()  # the loaded section replaced the link
    assert axe_violations(page) == []

    section.get_by_role("link", name="Log a pick-up").click()
    page.wait_for_url("**/patients/1/supply")
    assert axe_violations(page) == []
    page.get_by_label("Strength").select_option("300")
    page.get_by_label("How many pills").fill("90")
    page.get_by_role("button", name="Save pick-up").click()
    expect(page.get_by_role("status")).to_contain_text("Pick-up saved.")
    expect(page.locator("#supply")).to_contain_text("Run-out date")
    assert axe_violations(page) == []

    page.goto("/patients/1/today")
    expect(page.locator("#supply")).to_contain_text("300 mg capsule")
    expect(page.locator("#supply")).to_contain_text("Run-out date")
    assert axe_violations(page) == []
    assert not page.console_errors, page.console_errors
