"""The demo journal's pages that show issue 16 and 17 work, in real Chromium with axe-core (WCAG 2.1 A
and AA, 0 violations): the Levels page with a measured level, the log page's level form, the
questionnaire list and forms (and a PHQ-9 answered with item 9 above zero: the emergency box), and the
tapering patient's Today page with the withdrawal watch."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from .screenshots import sign_in_as_demo
from .test_accessibility import axe_violations

PAGES = ["/patients/1/levels", "/patients/1/log", "/patients/1/questionnaires", "/patients/1/questionnaires/phq9",
         "/patients/1/questionnaires/penn_spasm", "/patients/1/questionnaires/pgic", "/patients/2/today",
         "/account/password",
         # issue 18 item 8: the home page signed in, the missed-dose helper filled from a plan, the exports
         "/", "/patients/1/missed", "/patients/1/report",
         # issue 18 item 4: deleting a patient or the account (the pages only; nothing is posted)
         "/patients/1/delete", "/account/delete"]


@pytest.fixture
def demo_page(page: Any) -> Any:
    sign_in_as_demo(page)
    return page


def test_the_new_journal_pages_have_no_wcag_21_aa_violations(demo_page: Any) -> None:
    page = demo_page
    for path in PAGES:
        response = page.goto(path)
        assert response is not None and response.ok, path
        assert axe_violations(page) == [], path
    assert not page.console_errors, page.console_errors


def test_measured_level_and_withdrawal_watch_are_shown(demo_page: Any) -> None:
    page = demo_page
    page.goto("/patients/1/levels")
    expect(page.get_by_role("img", name="Measured and predicted levels")).to_be_visible()
    expect(page.get_by_role("table", name="Each measured level beside the model's predictions")).to_be_visible()
    page.goto("/patients/2/today")
    expect(page.get_by_text("Go back to the previous step").first).to_be_visible()


def test_a_phq9_with_item_9_above_zero_shows_the_emergency_first(demo_page: Any) -> None:
    page = demo_page
    page.goto("/patients/1/questionnaires/phq9")
    for n in range(1, 10):
        page.locator(f"#q{n}-{1 if n == 9 else 0}").check()
    page.get_by_role("button", name="Save and score").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("988")
    assert axe_violations(page) == []
