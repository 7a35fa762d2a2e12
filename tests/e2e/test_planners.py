"""The planners in a real browser: keyboard use, HTMX results with citations, emergencies first,
no JavaScript needed, no CSP violations, and no serious accessibility findings (axe)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import PHONE
from .screenshots import SHOTS, Shot


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(page: Any) -> None:
    page.goto("/plan/titrate")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_titration_by_keyboard_shows_the_plan_table_with_citations(page: Any) -> None:
    page.goto("/plan/titrate")
    page.get_by_label("What is it for?").focus()
    page.keyboard.press("End")  # the select's last option, then back to PHN by typing its name
    page.get_by_label("What is it for?").select_option("postherpetic-neuralgia")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Daily target (mg)")).to_be_focused()
    page.keyboard.type("1800")
    page.get_by_label("First day").fill("2026-03-02")
    page.get_by_label("Daily target (mg)").focus()
    page.keyboard.press("Enter")  # submit from a text field, as keyboard users do
    result = page.locator("#result")
    table = result.get_by_role("table").first
    expect(table).to_be_visible()
    expect(table.get_by_role("row").nth(1)).to_contain_text("300")
    expect(result.locator(".citations")).to_contain_text("NEURONTIN")
    expect(result.locator(".citations")).to_contain_text("§2.1")
    expect(result).to_contain_text("not a substitute for your clinician")
    assert page.url.endswith("/plan/titrate"), "HTMX swapped the result in place"
    assert not page.console_errors, page.console_errors


def test_triage_of_swollen_lips_shows_the_emergency_alert_first(page: Any) -> None:
    page.set_viewport_size(PHONE)
    page.goto("/symptoms")
    page.get_by_label("Your symptoms").fill("dizzy\nswollen lips")
    page.get_by_label("Your symptoms").focus()
    page.keyboard.press("Tab")
    submit = page.get_by_role("button", name="Check symptoms")
    expect(submit).to_be_focused()
    page.keyboard.press("Enter")
    alert = page.get_by_role("alert").filter(has_text="Emergency")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("call emergency services")
    expect(alert).to_be_focused()  # keyboard and screen-reader users land on the emergency
    first = page.locator("#result > :first-child")
    expect(first).to_have_attribute("role", "alert")
    box = alert.bounding_box()
    other = page.get_by_text("Dizziness").bounding_box()
    assert box is not None and other is not None and box["y"] < other["y"], "the emergency is shown above the rest"
    assert not page.console_errors, page.console_errors


def test_forms_work_without_javascript(browser: Any, live_server: Any) -> None:
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/plan/kidneys")
        page.get_by_label("Creatinine clearance (mL/min), if known").fill("25")
        page.get_by_role("button", name="Show the range").click()
        expect(page.get_by_role("heading", level=2).filter(has_text="mg a day")).to_be_visible()
        expect(page.locator(".citations")).to_contain_text("§2.3")
    finally:
        context.close()


def test_refused_input_is_announced(page: Any) -> None:
    page.goto("/plan/taper")
    page.get_by_label("Current regimen").fill("a lot")
    page.get_by_label("Current regimen").press("Enter")
    expect(page.locator("#result").get_by_role("alert")).to_contain_text("regimen")


@pytest.mark.parametrize("shot", SHOTS, ids=[s.name for s in SHOTS])
def test_pages_and_their_results_have_no_serious_accessibility_violations(page: Any, shot: Shot) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page.goto(shot.path)
    if shot.fill is not None:  # audit the page with its result (plan table, emergency alert, ...)
        shot.fill(page)
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert not serious, "\n".join(f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes: "
                                  f"{[n['target'] for n in v['nodes']][:3]})" for v in serious)
    assert not page.console_errors, page.console_errors
