"""Issue 15 in real Chromium with the network switched off: the Log page opens offline from the copy
the service worker stored (marked as a saved copy); a side effect and scores written offline are kept
on the phone with a client id and shown as "saved on this phone, not yet sent", survive a reload
offline, and are sent when the connection returns: the server then has exactly one entry per value,
even when the same queued form is sent again. axe-core finds no WCAG 2.1 A/AA violation on the Log
page with queued entries shown. Also: a dose reminder's notification, tapped, leads to the patient's
Today page (the worker's ``notificationclick`` target)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from playwright.sync_api import expect

from .harness import LiveServer
from .test_accessibility import axe_violations
from .test_offline_queue import _patient_on_a_plan, _until, queue_server  # noqa: F401  (fixture)


def _entries(db: str, pid: int) -> list[Any]:
    from gabacare.composition import journal

    return [e for e in journal(db).entries(pid) if e.kind != "dose"]


def test_log_offline_reload_offline_reconnect_one_entry_each(browser: Any,
                                                             queue_server: tuple[LiveServer, str]) -> None:  # noqa: F811
    server, db = queue_server
    ctx, page, errors, pid = _patient_on_a_plan(browser, server, "queue-log@example.org")
    log = f"/patients/{pid}/log"

    # Online: the worker installs and, once it controls the page, stores the Log page it fetches.
    page.goto(log)
    assert page.evaluate("navigator.serviceWorker.ready.then(r => !!r.active)")
    page.reload()
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.wait_for_function(f"caches.open('gabacare-today').then(c => c.match('{log}')).then(Boolean)")
    assert _entries(db, pid) == []

    ctx.set_offline(True)
    try:
        page.reload()
        expect(page.locator("#offline-copy")).to_contain_text(re.compile(r"Saved copy from \d\d:\d\d — you are offline"))
        page.get_by_label("What do you notice?").fill("dizziness in the morning")
        page.get_by_role("button", name="Save and check", exact=True).click()
        queue = page.locator("#offline-queue")
        expect(queue).to_be_visible()
        expect(queue.locator("[role=status] li")).to_have_count(1)
        expect(queue.locator("[role=status] li")).to_contain_text(
            "Side effect: dizziness in the morning (checked when it is sent)")
        expect(queue.locator("[role=status] li")).to_contain_text("saved on this phone, not yet sent")
        expect(page.get_by_label("What do you notice?")).to_have_value("")  # kept on the phone, the form is free
        page.get_by_label("Pain").fill("4")
        page.get_by_label("Sleep problems").fill("2")
        page.get_by_role("button", name="Save scores").click()
        expect(queue.locator("[role=status] li")).to_have_count(2)
        expect(queue.locator("[role=status] li").nth(1)).to_contain_text("Scores: pain 4, sleep 2")
        assert axe_violations(page) == []  # the marked copy and the queued entries
        assert _entries(db, pid) == [], "nothing reached the server"

        page.reload()  # offline again: the stored copy, and the entries still waiting on the phone
        expect(page.locator("#offline-copy")).to_be_visible()
        expect(page.locator("#offline-queue [role=status] li")).to_have_count(2)
        queued = page.evaluate("GabaCareQueue.all()")
        assert [q["state"] for q in queued] == ["queued", "queued"]
        assert _entries(db, pid) == []
    finally:
        ctx.set_offline(False)

    # Reconnected: the online event sends the queue, and the page shows the server's Log again.
    _until(lambda: len(_entries(db, pid)) >= 3, "the queued entries to reach the server")
    expect(page.locator("#offline-queue")).to_be_hidden()
    expect(page.locator("#offline-copy")).to_be_hidden()
    expect(page.locator(".entry-list")).to_contain_text("dizziness in the morning")
    assert page.evaluate("GabaCareQueue.all()") == []

    # The same forms sent twice more (a retried sync, a second tab): still one entry per value.
    answers = page.evaluate("""async (items) => {
      const token = (await (await fetch("/pwa/csrf-token")).json()).csrf_token;
      const send = (item) => {
        const body = new URLSearchParams(item.fields);
        body.set("client_id", item.id);
        return fetch(item.action, {method: "POST", body, headers: {"HX-Request": "true", "X-CSRF-Token": token}})
          .then((r) => r.status);
      };
      return Promise.all(items.flatMap((item) => [send(item), send(item)]));
    }""", queued)
    assert answers == [200, 200, 200, 200], answers
    entries = _entries(db, pid)
    assert sorted((e.kind, e.data.name or e.data.text) for e in entries) == [
        ("side_effect", "dizziness in the morning"), ("symptom", "pain"), ("symptom", "sleep")], entries
    side = next(e for e in entries if e.kind == "side_effect")
    assert side.uid == queued[0]["id"], "the form's client id is the entry's uid"
    written = datetime.fromisoformat(queued[0]["tapped"])
    assert abs(side.data.at - written) <= timedelta(seconds=1), "dated when written, not when sent"
    assert side.data.urgency is not None, "triaged when it reached the server"

    # A reminder's notification leads to the patient's Today page (and nowhere else).
    worker = next(w for w in ctx.service_workers if w.url.endswith("/sw.js"))
    target = worker.evaluate("(u) => self.GabaCareNotificationTarget({url: u})", f"/patients/{pid}/today")
    assert target == f"{server.url}/patients/{pid}/today"
    assert worker.evaluate("self.GabaCareNotificationTarget({url: 'https://elsewhere.example/patients/1/today'})") \
        == f"{server.url}/patients"
    assert worker.evaluate("self.GabaCareNotificationTarget(null)") == f"{server.url}/patients"
    assert errors == [], errors
    ctx.close()

