"""Issue 15 item 4b in real Chromium (phone width): the owner shares a patient with a second account
from the Share page (e-mail + role, Post/Redirect/Get to ``?done=member-added``), the member list and
its Remove button pass axe-core (WCAG 2.1 A/AA); the member's /patients list shows the patient, its
pages say "Shared with you (read-only)" with no dose buttons (axe-clean too); Remove ends the access
at once (404)."""

from __future__ import annotations

import re
import uuid
from typing import Any

from playwright.sync_api import expect

from .conftest import PHONE
from .harness import LiveServer
from .test_accessibility import axe_violations


def _account(browser: Any, live_server: LiveServer, name: str, email: str) -> tuple[Any, Any]:
    ctx = browser.new_context(base_url=live_server.url, viewport=PHONE, locale="en-GB")
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    page.goto("/account/sign-up")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill("a long enough secret")
    page.get_by_role("button", name="Create the account").click()
    page.wait_for_url(re.compile(r"/patients$"))
    return ctx, page


def test_share_with_a_second_account_then_remove(browser: Any, live_server: LiveServer) -> None:
    tag = uuid.uuid4().hex[:8]
    member_email = f"member-{tag}@example.org"
    member_ctx, member = _account(browser, live_server, "Mo Member", member_email)
    owner_ctx, owner = _account(browser, live_server, "Olga Owner", f"owner-{tag}@example.org")
    owner.get_by_label(re.compile(r"^Name")).fill("Pat Shared")
    owner.get_by_role("button", name="Add", exact=True).click()
    pid = int(re.search(r"/patients/(\d+)/plan", owner.url).group(1))  # type: ignore[union-attr]

    owner.goto(f"/patients/{pid}/share")
    owner.get_by_label("Their account's e-mail").fill(member_email)
    owner.get_by_label("They may").select_option("viewer")
    owner.get_by_role("button", name="Share", exact=True).click()
    assert owner.url.endswith(f"/patients/{pid}/share?done=member-added#members")
    expect(owner.get_by_text("Shared: that account sees this patient")).to_be_visible()
    expect(owner.get_by_role("region", name="Accounts this journal is shared with")).to_contain_text(member_email)
    assert axe_violations(owner) == []

    member.goto("/patients")
    expect(member.get_by_text("Shared with you (read-only)")).to_be_visible()
    member.get_by_role("link", name=re.compile("Pat Shared")).click()
    assert member.url.endswith(f"/patients/{pid}/today")
    expect(member.locator(".share-banner")).to_contain_text("Shared with you (read-only)")
    assert member.get_by_role("button", name=re.compile("Taken")).count() == 0
    assert member.get_by_role("link", name="Share").count() == 0
    assert axe_violations(member) == []

    owner.get_by_role("button", name=re.compile("Remove")).click()
    assert owner.url.endswith(f"/patients/{pid}/share?done=member-removed#members")
    expect(owner.get_by_text("Not shared with any other account.")).to_be_visible()
    assert member.goto(f"/patients/{pid}/today").status == 404  # type: ignore[union-attr]
    member_ctx.close()
    owner_ctx.close()
