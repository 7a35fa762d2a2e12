"""The journal end to end in real Chromium against ``gabacare serve`` over its own SQLite file:
sign up, add a patient, set a plan, tap today's doses, log scores, see the charts, download the PDF,
and a second account cannot read the first one's journal by URL or API. Axe audits the new pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import DESKTOP, PHONE
from .harness import LiveServer


@pytest.fixture(scope="module")
def journal_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    db = tmp_path_factory.mktemp("e2e-journal") / "journal.sqlite3"
    with LiveServer(env={"GABACARE_DB": f"sqlite:///{db}"}) as server:
        yield server
    server.cleanup()


def _context(browser: Any, server: LiveServer, viewport: dict[str, int] = DESKTOP) -> Any:
    context = browser.new_context(base_url=server.url, viewport=viewport, locale="en-GB", accept_downloads=True)
    context.set_default_timeout(15_000)
    return context


def _sign_up(page: Any, email: str, name: str) -> None:
    page.goto("/account/sign-up")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill("a long enough secret")
    page.get_by_role("button", name="Create the account").click()
    expect(page.get_by_role("heading", name="My journal")).to_be_visible()


def _axe(page: Any) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert not serious, f"{page.url}: " + "\n".join(f"{v['id']}: {v['help']} {[n['target'] for n in v['nodes']][:3]}"
                                                    for v in serious)


def test_a_day_in_the_journal_and_a_stranger_locked_out(browser: Any, journal_server: LiveServer) -> None:
    ctx = _context(browser, journal_server, PHONE)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _sign_up(page, "flow@example.org", "Flo")
    _axe(page)

    page.get_by_label(re.compile(r"^Name")).fill("Flo Patient")
    page.get_by_label("Birth date").fill("1958-06-01")
    page.get_by_label("Sex").select_option("female")
    page.get_by_label("Weight (kg)").fill("66")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("heading", name="Plan", exact=True)).to_be_visible()
    pid = int(re.search(r"/patients/(\d+)/plan", page.url).group(1))  # type: ignore[union-attr]

    page.get_by_label("What is it for?").select_option("postherpetic-neuralgia")
    page.get_by_label("First day").fill((date.today() - timedelta(days=4)).isoformat())
    page.get_by_role("button", name="Set titration plan").click()
    expect(page.locator(".citations").first).to_contain_text("NEURONTIN")
    _axe(page)

    page.get_by_role("link", name="Today", exact=True).click()
    taken = page.locator(".dose-actions").first.get_by_role("button", name=re.compile("^Taken"))
    taken.click()  # HTMX swaps the list in place
    expect(page.get_by_role("status")).to_contain_text("dose taken at")  # its slot, taken now (issue 18)
    expect(page.locator(".dose-taken, .dose-late")).to_have_count(1)
    assert page.url.endswith(f"/patients/{pid}/today")
    _axe(page)

    page.get_by_role("link", name="Log", exact=True).click()
    page.get_by_label("Pain").fill("6")
    page.get_by_label("Sleep problems").fill("4")
    page.get_by_label("Number of spasms today").fill("9")
    page.get_by_role("button", name="Save scores").click()
    expect(page.get_by_role("status")).to_contain_text("3 score(s) saved")
    _axe(page)
    page.get_by_label("What do you notice?").fill("swollen lips")
    page.get_by_role("button", name="Save and check", exact=True).click()
    alert = page.get_by_role("alert").filter(has_text="Emergency")
    expect(alert).to_be_visible()
    box, head = alert.bounding_box(), page.locator(".patient-head").bounding_box()
    assert box is not None and head is not None and box["y"] < head["y"], "the emergency comes first"

    page.get_by_role("link", name="Trends", exact=True).click()
    chart = page.get_by_role("img", name=re.compile("Pain"))
    expect(chart).to_be_visible()
    chart.scroll_into_view_if_needed()
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 100", arg=chart.element_handle())
    _axe(page)
    page.get_by_role("link", name="Levels", exact=True).click()
    expect(page.locator("svg.pk-chart")).to_be_visible()
    _axe(page)

    page.get_by_role("link", name="Report", exact=True).click()
    with page.expect_download() as info:
        page.get_by_role("button", name="Download PDF").click()
    pdf = info.value.path().read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    for tab in ("Share", "Audit log"):
        page.get_by_role("link", name=tab, exact=True).click()
        _axe(page)
    token_page = page.request.get("/account/tokens")
    assert token_page.ok
    assert not errors, errors

    stranger = _context(browser, journal_server)
    spage = stranger.new_page()
    _sign_up(spage, "stranger@example.org", "Eve")
    for path in ("today", "log", "trends", "report.pdf"):
        response = spage.goto(f"/patients/{pid}/{path}")
        assert response is not None and response.status == 404, path
    api = spage.request.get(f"/api/v1/patients/{pid}/today")
    assert api.status == 404
    assert spage.request.get("/api/v1/patients").json() == {"patients": []}
    stranger.close()
    ctx.close()
