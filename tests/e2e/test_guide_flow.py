"""The guide with the keyboard and on a phone: search box → results, emergency first, the comparison
table reachable, and cards instead of a table on narrow screens."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from .conftest import DESKTOP, PHONE


def tab_until(page: Any, predicate_js: str, limit: int = 60) -> int:
    """Press Tab until ``predicate_js`` (evaluated on document.activeElement as ``el``) is true; the presses used."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate(f"(el => {predicate_js})(document.activeElement)"):
            return presses
    raise AssertionError(f"not reached with {limit} Tab presses")


def test_search_box_by_keyboard_answers_with_the_emergency_first(page: Any) -> None:
    page.goto("/guide")
    tab_until(page, "el.id === 'site-search-q'", limit=5)  # skip link, brand, then the search box
    page.keyboard.type("my lips are swelling, is that the gabapentin?")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=*")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Emergency: get help now")
    expect(alert).to_contain_text("call emergency services")
    first = page.locator("main > :is(h1, form, div, section, p)").nth(2)
    expect(first).to_have_attribute("role", "alert")  # straight after the heading and the question box
    # The answers are reachable by keyboard: a link to a guide topic gets focus.
    tab_until(page, "el.tagName === 'A' && el.getAttribute('href').startsWith('/guide/')")
    assert not page.console_errors, page.console_errors


def test_a_question_about_another_medicine_shows_the_interaction(page: Any) -> None:
    page.goto("/search?q=can+I+take+it+with+tramadol")
    section = page.get_by_role("region", name="With gabapentin")
    expect(section).to_contain_text("tramadol")
    expect(section).to_contain_text("major")


def test_the_comparison_table_is_reachable_and_a_real_table_on_desktop(page: Any) -> None:
    page.set_viewport_size(DESKTOP)
    page.goto("/compare")
    tab_until(page, "el.getAttribute('href') === '/compare?indication=spasticity'", limit=30)
    page.keyboard.press("Enter")
    page.wait_for_url("**indication=spasticity")
    tab_until(page, "el.classList.contains('table-wrap')")  # the table's region takes focus (scrollable by keys)
    table = page.get_by_role("table")
    expect(table.get_by_role("columnheader", name="With gabapentin")).to_be_visible()
    expect(table.get_by_role("rowheader").first).to_contain_text("Gabapentin")
    assert page.evaluate("getComputedStyle(document.querySelector('.compare-table thead')).position") != "absolute"


def test_the_comparison_becomes_cards_on_a_phone(page: Any) -> None:
    page.set_viewport_size(PHONE)
    page.goto("/compare?indication=neuropathic-pain")
    rows = page.locator(".compare-table tbody tr")
    assert rows.count() >= 3
    assert page.evaluate("getComputedStyle(document.querySelector('.compare-table tbody tr')).display") == "block"
    label = page.evaluate("getComputedStyle(document.querySelector('.compare-table td'), '::before').content")
    assert "Guideline rank" in label
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    expect(page.get_by_text("First line").first).to_be_visible()
