"""The plan as made in real Chromium with axe-core (WCAG 2.1 A and AA, 0 violations): the demo
patient's plan page shows the stored plan with the knowledge base version that made it, and its
"Re-check this plan against today's rules" button shows the comparison (the same rules here: no
difference) and changes nothing."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from .screenshots import sign_in_as_demo
from .test_accessibility import axe_violations


def test_plan_page_and_recheck(page: Any) -> None:
    sign_in_as_demo(page)
    response = page.goto("/patients/1/plan")
    assert response is not None and response.ok
    expect(page.get_by_text("knowledge base kb-").first).to_be_visible()
    assert axe_violations(page) == []

    page.get_by_role("button", name="Re-check this plan against today's rules").click()

    expect(page).to_have_url(re.compile(r"/patients/1/plan/recheck\??$"))
    expect(page.get_by_role("heading", name="Re-checked against today's rules")).to_be_visible()
    expect(page.get_by_text("Today's rules make the same days, doses and warnings.")).to_be_visible()
    expect(page.get_by_text("Nothing was changed")).to_be_visible()
    assert axe_violations(page) == []
    assert not page.console_errors, page.console_errors
