"""Every page of the web app in a real browser: axe-core with the WCAG 2.1 A and AA rules (0 violations),
and text at 200% without loss (no horizontal scrolling at 1280 px, the heading and search box visible),
both on one load of each page.

The page list is read from the app's own routes, so a new page is audited without editing this file;
a page whose path has parameters needs an entry in ``EXPANSIONS`` (or ``NOT_PAGES``), which
``test_every_page_route_is_audited`` enforces. The CDS Hooks and ``/api`` routes answer JSON and
are left out. Pages with results (a filled planner, an emergency in the search) are audited too.
"""

from __future__ import annotations

from typing import Any

import pytest

from gabacare.guide import TOPIC_IDS, comparison_groups
from gabacare.web import WebSettings, create_app
from gabacare.web.problems import PROBLEM_TYPES

from .conftest import DESKTOP, PHONE
from .screenshots import SHOTS

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]}

#: Parametrised page paths and the concrete pages to audit for each.
EXPANSIONS: dict[str, list[str]] = {
    "/guide/{topic_id}": [f"/guide/{t}" for t in TOPIC_IDS],
    "/problems/{slug}": [f"/problems/{s}" for s in PROBLEM_TYPES],
}
#: GET routes that are not HTML pages (downloads, pictures, probes).
NOT_PAGES = {"/healthz", "/manifest.webmanifest", "/sw.js", "/pwa/csrf-token", "/patients/{patient_id}/reminders.ics",
             "/patients/{patient_id}/charts/{name}.svg", "/patients/{patient_id}/report.{fmt}",
             "/shared/charts/{name}.svg", "/shared/report.{fmt}", "/patients/{patient_id}/export.{fmt}",
             "/feeds/{token}.ics"}
#: Journal pages that show a signed-in user's patient (or a share link's): not audited here yet; they
#: need a signed-in browser session with a patient (see the report). Without one they answer the
#: sign-in or error page, which the unparametrised routes already cover.
SIGNED_IN_PAGES = {"/patients/{patient_id}", "/patients/{patient_id}/audit", "/patients/{patient_id}/levels",
                   "/patients/{patient_id}/log", "/patients/{patient_id}/plan", "/patients/{patient_id}/report",
                   "/patients/{patient_id}/share", "/patients/{patient_id}/today", "/patients/{patient_id}/trends",
                   # audited signed in as the demo account in test_demo_pages_a11y.py
                   "/patients/{patient_id}/questionnaires", "/patients/{patient_id}/questionnaires/{instrument}",
                   "/patients/{patient_id}/missed", "/patients/{patient_id}/delete",
                   # issue 15 refills: audited signed in as the demo account in test_supply_a11y.py
                   "/patients/{patient_id}/supply", "/patients/{patient_id}/supply/section",
                   # issue 18 item 7: audited signed in as the demo account in test_plan_as_made_a11y.py
                   "/patients/{patient_id}/plan/recheck"}
JSON_PREFIXES = ("/api/", "/cds-services", "/static")

#: Pages in a state worth auditing on their own (query strings: the answer is part of the page).
STATES = [
    *(f"/compare?indication={g}" for g in comparison_groups()),
    "/compare?indication=hiccups",  # refused: the alert
    "/search?q=my+lips+are+swelling+and+I+feel+dizzy",  # emergency first
    "/search?q=can+I+take+it+with+tramadol",  # interactions and answers
    "/search?q=zebra+quantum+violin",  # nothing matched: the pharmacist message
    "/guide/no-such-topic",  # the 404 page
]


def page_routes() -> list[str]:
    """Every GET route of the app that serves a page (from the router, as users would reach them)."""
    app = create_app(WebSettings(secret_key="a11y-secret-key-0123456789", access_log=False))
    found: list[tuple[str, set[str]]] = []
    for route in app.routes:
        # FastAPI 0.16x wraps each included router; its effective contexts carry the full paths.
        contexts = getattr(route, "effective_route_contexts", None)
        items = contexts() if callable(contexts) else [route]
        found.extend((str(getattr(r, "path", "")), set(getattr(r, "methods", None) or ())) for r in items)
    return sorted({path for path, methods in found if "GET" in methods and path
                   and not path.startswith(JSON_PREFIXES) and path not in NOT_PAGES | SIGNED_IN_PAGES})


def all_pages() -> list[str]:
    pages: list[str] = []
    for path in page_routes():
        pages.extend(EXPANSIONS.get(path, [path]))
    return [p for p in pages if "{" not in p] + STATES


def test_every_page_route_is_audited() -> None:
    unexpanded = [p for p in page_routes() if "{" in p and p not in EXPANSIONS]
    assert not unexpanded, f"add these parametrised pages to EXPANSIONS or NOT_PAGES: {unexpanded}"
    assert {"/", "/guide", "/compare", "/search", "/plan/titrate"} <= set(all_pages())


def axe_violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=AXE_OPTIONS)
    return [f"{v['id']} ({v.get('impact')}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"]]


@pytest.mark.parametrize("path", all_pages())
def test_page_has_no_wcag_21_aa_violations(page: Any, path: str) -> None:
    """axe-core's WCAG 2.1 A/AA rules, no console error, then text at 200% on the same load of the page
    (one navigation per page for both checks: this file is the longest part of the browser tests)."""
    response = page.goto(path)
    assert axe_violations(page) == []
    if response is not None and response.ok:  # an error page's own status is logged as a console error
        assert not page.console_errors, page.console_errors
    text_at_200_percent_needs_no_horizontal_scrolling(page, path)


@pytest.mark.parametrize("path", ["/compare?indication=spasticity", "/search?q=my+lips+are+swelling", "/guide/stopping", "/"])
def test_phone_width_pages_have_no_wcag_21_aa_violations(page: Any, path: str) -> None:
    page.set_viewport_size(PHONE)
    page.goto(path)
    assert axe_violations(page) == []


@pytest.mark.parametrize("shot", [s for s in SHOTS if s.fill is not None], ids=lambda s: s.name)
def test_pages_with_results_have_no_wcag_21_aa_violations(page: Any, shot: Any) -> None:
    page.goto(shot.path)
    shot.fill(page)
    assert axe_violations(page) == []


# Through the CSSOM (which the CSP allows, unlike an inline <style>): as a browser's text-size setting would.
LARGE_TEXT = "document.documentElement.style.setProperty('font-size', '200%', 'important')"


def text_at_200_percent_needs_no_horizontal_scrolling(page: Any, path: str) -> None:
    """WCAG 1.4.4 on the page as loaded at desktop width: the text doubles, nothing scrolls sideways, the
    heading and the search box stay visible and no content runs past the right edge."""
    from playwright.sync_api import expect

    assert page.viewport_size == DESKTOP
    before = page.evaluate("parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)")
    page.evaluate(LARGE_TEXT)
    after = page.evaluate("parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)")
    assert after >= 1.9 * before, "the text did not grow"
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{path}: {overflow}px of horizontal scrolling at 200% text"
    expect(page.locator("h1")).to_be_visible()
    expect(page.get_by_label("Search the guide")).to_be_visible()
    # Nothing is cut off: no element in the main content is wider than the page.
    clipped = page.evaluate("""() => [...document.querySelectorAll('main *')].filter(e => {
        const r = e.getBoundingClientRect();
        return r.width > 0 && r.right > document.documentElement.clientWidth + 1 && !e.closest('.table-wrap');
    }).map(e => e.tagName + '.' + e.className).slice(0, 5)""")
    assert clipped == [], f"{path}: content past the right edge at 200% text: {clipped}"
