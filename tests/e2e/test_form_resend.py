"""A typed side-effect note survives a restart that rotated the form key, in real Chromium against
``gabacare serve`` (issue 18 item 4): the page comes back with the note and "Send again", one click
stores it exactly once. Axe audits the new pages (the resend page, sign-in with its box, reset)."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from .conftest import PHONE
from .harness import LiveServer
from .test_journal_flow import _axe, _sign_up

OLD_KEY, NEW_KEY = "e2e-old-form-key-0123456789abcdef", "e2e-new-form-key-0123456789abcdef"
NOTE = "Dizzy and unsteady <since> the evening dose & a headache"


def test_a_typed_note_survives_an_expired_token_and_one_click_sends_it(browser: Any, tmp_path: Any) -> None:
    db = f"sqlite:///{tmp_path / 'journal.sqlite3'}"
    first = LiveServer(env={"GABACARE_DB": db}, secret_key=OLD_KEY)
    context = browser.new_context(base_url=first.url, viewport=PHONE, locale="en-GB")
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        with first:
            _sign_up(page, "resend@example.org", "Res")
            page.get_by_label(re.compile(r"^Name")).fill("Res Patient")
            page.get_by_label("Birth date").fill("1962-02-02")
            page.get_by_label("Sex").select_option("male")
            page.get_by_label("Weight (kg)").fill("80")
            page.get_by_role("button", name="Add", exact=True).click()
            pid = int(re.search(r"/patients/(\d+)/", page.url).group(1))  # type: ignore[union-attr]
            page.goto(f"/patients/{pid}/log")
            page.get_by_label("What do you notice?").fill(NOTE)
        # The server restarts with a new key (the old one retired) while the note sits typed in the page.
        second = LiveServer(env={"GABACARE_DB": db, "GABACARE_PREVIOUS_SECRET_KEYS": OLD_KEY}, secret_key=NEW_KEY)
        second.port, second.url = first.port, first.url
        with second:
            page.get_by_role("button", name="Save and check", exact=True).click()
            expect(page.get_by_role("heading", name="Send this form again")).to_be_visible()
            expect(page.get_by_role("alert").first).to_contain_text("Nothing was saved")
            kept = page.get_by_label("Text")
            expect(kept).to_have_value(NOTE)
            _axe(page)
            entries = page.request.get(f"/api/v1/patients/{pid}/entries?kind=side_effect").json()["entries"]
            assert entries == [], "nothing is stored before the second send"
            page.get_by_role("button", name="Send again").click()
            expect(page.get_by_role("heading", name="Send this form again")).to_have_count(0)
            entries = page.request.get(f"/api/v1/patients/{pid}/entries?kind=side_effect").json()["entries"]
            assert [e["text"] for e in entries] == [NOTE], entries

            page.get_by_role("button", name=re.compile("Sign out")).first.click()
            page.goto("/account/sign-in")
            expect(page.get_by_label("Stay signed in on this device")).not_to_be_checked()
            _axe(page)
            page.get_by_role("link", name="Forgot your password?").click()
            expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
            _axe(page)
        # Chromium logs the 403 of the "send again" page itself as a failed load; nothing else may fail.
        assert [e for e in errors if "status of 403" not in e] == [], errors
        assert len(errors) <= 1
    finally:
        context.close()
        first.cleanup()
