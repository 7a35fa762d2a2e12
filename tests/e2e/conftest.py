"""E2E fixtures: one real server and one headless Chromium per session, a fresh browser context per test.

Server logs are attached to every failing e2e test's report. Without Chromium the tests fail under
CI (``CI=true``) and skip elsewhere.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from .harness import ChromiumMissing, LiveServer, launch_chromium

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
_SERVER: LiveServer | None = None


@pytest.fixture(scope="session")
def live_server() -> Iterator[LiveServer]:
    global _SERVER
    import tempfile
    from pathlib import Path

    from .screenshots import demo_server_env

    # The server's journal is a throwaway demo database (never the user data directory).
    with LiveServer(env=demo_server_env(Path(tempfile.mkdtemp(prefix="gabacare-e2e-db-")))) as server:
        _SERVER = server
        yield server
    _SERVER = None
    server.cleanup()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        try:
            chromium = launch_chromium(pw)
        except ChromiumMissing as exc:
            if os.environ.get("CI", "").lower() == "true":
                pytest.fail(str(exc))
            pytest.skip(str(exc))
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A desktop-sized page in a fresh context (own cookies), collecting console errors."""
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP, locale="en-GB", timezone_id="UTC")
    context.set_default_timeout(10_000)
    pg = context.new_page()
    pg.console_errors = []
    pg.on("console", lambda m: pg.console_errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.console_errors.append(str(e)))
    yield pg
    context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.failed and _SERVER is not None:
        report.sections.append(("gabacare serve output", _SERVER.logs()))
    return report
