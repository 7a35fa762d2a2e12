"""Deleting a pick-up in real Chromium (issue 15): the Pills on hand page lists each pick-up with a
"Delete" button named after it; deleting one says so and the count follows; axe-core (WCAG 2.1 A and
AA) finds no violation on the page with the buttons or after the deletion."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from .screenshots import sign_in_as_demo
from .test_accessibility import axe_violations


def test_a_pickup_logged_by_mistake_is_deleted_from_the_supply_page(page: Any) -> None:
    sign_in_as_demo(page)
    page.goto("/patients/1/supply")
    before = page.locator(".pickup-list li").count()
    page.get_by_label("Strength").select_option("800")
    page.get_by_label("How many pills").fill("45")
    page.get_by_role("button", name="Save pick-up").click()
    expect(page.get_by_role("status")).to_contain_text("Pick-up saved.")
    expect(page.locator("#supply")).to_contain_text("800 mg tablet")
    assert axe_violations(page) == []  # the list with its Delete buttons

    page.get_by_role("button", name=re.compile(r"^Delete the pick-up of .*: 45 × 800 mg$")).click()
    expect(page.get_by_role("status")).to_contain_text("Pick-up deleted: it is no longer counted.")
    expect(page.locator(".pickup-list li")).to_have_count(before)
    expect(page.locator("#supply")).not_to_contain_text("800 mg tablet")
    assert axe_violations(page) == []
    assert not page.console_errors, page.console_errors
