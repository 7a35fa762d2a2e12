"""Installable and offline in real Chromium: the service worker installs, the app shell and the public
pages already opened work with the network switched off, a page never opened shows the offline page
(with the emergency checklist), and account pages are never stored by the worker (of the journal it
stores only a patient's Today page: tests/e2e/test_offline_queue.py)."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

STORED_URLS = """async () => {
  const out = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) { out.push(new URL(request.url).pathname); }
  }
  return out;
}"""


def test_visited_pages_open_offline_and_others_show_the_offline_page(page: Any) -> None:
    page.goto("/guide")
    assert page.evaluate("navigator.serviceWorker.ready.then(r => !!r.active)")
    page.reload()  # controlled from now on: this navigation is stored
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.goto("/plan/titrate")
    page.goto("/account/sign-in")  # private: must not be stored
    stored = page.evaluate(STORED_URLS)
    assert "/offline" in stored and "/guide" in stored and "/plan/titrate" in stored
    assert not any(p.startswith(("/account", "/patients", "/api/")) for p in stored), stored

    page.context.set_offline(True)
    try:
        page.goto("/plan/titrate")
        expect(page.get_by_label("What is it for?")).to_be_visible()
        page.goto("/compare")  # never opened on this device
        expect(page.get_by_role("heading", name="You are offline")).to_be_visible()
        expect(page.locator("aside.emergency-box")).to_contain_text("Call emergency services now")
    finally:
        page.context.set_offline(False)
    page.goto("/compare")
    expect(page.get_by_role("heading", name="You are offline")).to_have_count(0)
    assert page.console_errors == [], page.console_errors
