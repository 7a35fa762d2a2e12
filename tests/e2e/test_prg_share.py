"""Issue 18 item 4 in real Chromium: the Share page's forms are Post/Redirect/Get. Creating a link lands
on ``share?created=<id>`` with the address shown once (never in the address bar); reloading shows
"made, shown once" without it and creates no second link; the address shown opens the read-only
view; revoking lands on ``?done=revoked``; the page still passes axe-core (WCAG 2.1 A/AA)."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from .conftest import PHONE
from .harness import LiveServer
from .test_accessibility import axe_violations


def test_a_share_link_is_made_shown_once_and_a_reload_makes_nothing(browser: Any, live_server: LiveServer) -> None:
    ctx = browser.new_context(base_url=live_server.url, viewport=PHONE, locale="en-GB")
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    page.goto("/account/sign-up")
    page.get_by_label("Your name").fill("Sharer")
    page.get_by_label("E-mail address").fill("prg-share-e2e@example.org")
    page.get_by_label("Password").fill("a long enough secret")
    page.get_by_role("button", name="Create the account").click()
    page.goto("/patients")
    page.get_by_label(re.compile(r"^Name")).fill("Sam Share")
    page.get_by_role("button", name="Add", exact=True).click()
    pid = int(re.search(r"/patients/(\d+)/plan", page.url).group(1))  # type: ignore[union-attr]

    page.goto(f"/patients/{pid}/share")
    page.get_by_label("Expires after (days)").fill("3")
    page.get_by_role("button", name="Create a share link").click()
    expect(page.locator("#new-link")).to_be_visible()
    address = page.locator("#new-link").inner_text()
    token = address.split("token=", 1)[1]
    assert re.search(rf"/patients/{pid}/share\?created=\d+$", page.url) and token not in page.url
    assert axe_violations(page) == []

    page.reload()
    expect(page.get_by_text(re.compile(r"Link #\d+ was made"))).to_be_visible()
    assert page.locator("#new-link").count() == 0 and token not in page.content()
    page.reload()
    assert page.get_by_role("button", name=re.compile("Revoke")).count() == 1  # still one link

    reader = browser.new_context(base_url=live_server.url)
    shared = reader.new_page()
    assert shared.goto(f"/shared?token={token}").status == 200  # type: ignore[union-attr]

    page.get_by_role("button", name=re.compile("Revoke")).click()
    assert page.url.endswith(f"/patients/{pid}/share?done=revoked")
    expect(page.get_by_text("Link revoked")).to_be_visible()
    assert shared.goto(f"/shared?token={token}").status == 404  # type: ignore[union-attr]
    reader.close()
    ctx.close()
