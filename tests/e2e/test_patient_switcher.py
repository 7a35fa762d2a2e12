"""Issue 15 item 4a in real Chromium at phone width (390 px): the header's patient switcher fits
(no horizontal scrolling), passes axe-core (WCAG 2.1 A/AA), and its "Go" opens the same tab for
the other patient without any script of its own."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from .conftest import PHONE
from .harness import LiveServer
from .test_accessibility import axe_violations


def test_switcher_fits_a_phone_passes_axe_and_keeps_the_tab(browser: Any, live_server: LiveServer) -> None:
    ctx = browser.new_context(base_url=live_server.url, viewport=PHONE, locale="en-GB")
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    page.goto("/account/sign-up")
    page.get_by_label("Your name").fill("Carer")
    page.get_by_label("E-mail address").fill("switcher-e2e@example.org")
    page.get_by_label("Password").fill("a long enough secret")
    page.get_by_role("button", name="Create the account").click()
    ids = []
    for name in ("Margaret Long-Name Patient", "Bob"):
        page.goto("/patients")
        page.get_by_label(re.compile(r"^Name")).fill(name)
        page.get_by_role("button", name="Add", exact=True).click()
        ids.append(int(re.search(r"/patients/(\d+)/plan", page.url).group(1)))  # type: ignore[union-attr]

    for tab in ("today", "plan", "trends"):
        page.goto(f"/patients/{ids[0]}/{tab}")
        switcher = page.get_by_label("Patient", exact=True)
        expect(switcher).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0, tab
        assert axe_violations(page) == [], tab

    switcher.select_option(str(ids[1]))
    page.get_by_role("button", name="Go", exact=True).click()
    page.wait_for_url(re.compile(rf"/patients/{ids[1]}/trends$"))
    expect(page.get_by_label("Patient", exact=True)).to_have_value(str(ids[1]))
    ctx.close()
