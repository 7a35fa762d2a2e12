"""The Backup page in real Chromium (issue 15, item 5): the demo account downloads its encrypted backup,
a new account restores it (two journals created), restores it again (nothing added) and is refused a
wrong passphrase; axe-core finds no WCAG 2.1 A or AA violation on the page, its result or its error."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from gabacare.web.demo import DEMO_PATIENT, DEMO_TAPER_PATIENT

from .conftest import DESKTOP
from .harness import LiveServer
from .screenshots import sign_in_as_demo
from .test_accessibility import axe_violations

PASS = "e2e backup passphrase"


def _context(browser: Any, server: LiveServer) -> Any:
    context = browser.new_context(base_url=server.url, viewport=DESKTOP, locale="en-GB", timezone_id="UTC",
                                  accept_downloads=True)
    context.set_default_timeout(20_000)  # scrypt: about half a second per backup or restore, more on a busy box
    return context


def _restore(page: Any, file: Path, passphrase: str) -> None:
    page.goto("/account/backup")
    page.get_by_label("Backup file").set_input_files(str(file))
    page.get_by_label("Its passphrase").fill(passphrase)
    page.get_by_role("button", name="Restore from a backup").click()


def test_download_restore_twice_and_a_wrong_passphrase(browser: Any, live_server: LiveServer, tmp_path: Path) -> None:
    context = _context(browser, live_server)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        sign_in_as_demo(page)
        page.get_by_role("link", name="Back up or restore").click()
        expect(page.get_by_role("heading", name="Back up or restore your journals")).to_be_visible()
        assert axe_violations(page) == []
        page.locator("#f-passphrase").fill(PASS)
        page.get_by_label("Passphrase again").fill(PASS)
        with page.expect_download() as info:
            page.get_by_role("button", name="Download encrypted backup").click()
        download = info.value
        assert download.suggested_filename.startswith("gabacare-backup-")
        saved = tmp_path / download.suggested_filename
        download.save_as(str(saved))
        assert saved.read_bytes()[:4] == b"GCBK"

        page.get_by_role("button", name="Sign out").click()
        page.goto("/account/sign-up")
        page.get_by_label("Your name").fill("Moved")
        page.get_by_label("E-mail address").fill(f"moved-{uuid.uuid4().hex[:8]}@example.org")
        page.get_by_label("Password").fill("a long enough secret")
        page.get_by_role("button", name="Create the account").click()
        expect(page.get_by_role("heading", name="My journal")).to_be_visible()

        _restore(page, saved, PASS)
        result = page.get_by_role("status")
        expect(result).to_contain_text("2 journal(s) created, 0 already here")
        assert axe_violations(page) == []
        _restore(page, saved, PASS)
        expect(page.get_by_role("status")).to_contain_text("0 journal(s) created, 2 already here")
        expect(page.get_by_role("status")).to_contain_text("0 entries and 0 plan(s) added")

        _restore(page, saved, "not the passphrase")
        expect(page.get_by_role("alert")).to_contain_text("passphrase is wrong")
        assert axe_violations(page) == []
        page.goto("/patients")
        for name in (DEMO_PATIENT, DEMO_TAPER_PATIENT):  # the demo's journals are in the new account
            expect(page.get_by_role("main")).to_contain_text(name)
        assert not errors, errors
    finally:
        context.close()
