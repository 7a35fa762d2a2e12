"""Issue 15 item 2 (in-page part) in real Chromium: dose reminders on the Today page
(static/reminders.js), with the notifications permission granted and the page's clock driven by
Playwright (``page.clock``; the server keeps the real clock).

Shown: no reminder before a dose's time and none asked for on load; at the time a banner
(role="alert") "Time for your 300 mg dose (HH:MM)" and a system notification through the service
worker's registration; "Snooze" hides it and it comes back after the snooze interval, not before;
"Taken" sends the list's own form, so the server logs exactly one dose for that slot; an unanswered
reminder repeats, a few times at most; a dismissed reminder does not come back after a reload, even
past its repeat time; a dose answered on the list loses its banner; axe-core finds no WCAG 2.1
A/AA violation with the banner shown."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import PHONE
from .harness import LiveServer
from .test_accessibility import axe_violations
from .test_offline_queue import _until

# What a wait for the service worker may take on a busy shared machine (seconds): a wait ends as soon as
# its condition holds, so only a failing run waits this long.
_SLOW_S = 30.0

CLOSE_NOTIFICATIONS = """async () => {
  const reg = await navigator.serviceWorker.getRegistration();
  if (reg) { (await reg.getNotifications()).forEach((n) => n.close()); }
}"""
NOTIFIED = """async () => {
  const reg = await navigator.serviceWorker.getRegistration();
  return reg ? (await reg.getNotifications()).map((n) => n.body) : null;
}"""


@pytest.fixture(scope="module")
def reminder_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str]]:
    db = f"sqlite:///{tmp_path_factory.mktemp('e2e-reminders') / 'journal.sqlite3'}"
    with LiveServer(env={"GABACARE_DB": db}) as server:
        yield server, db
    server.cleanup()


def _doses(db: str, pid: int) -> list[Any]:
    from gabacare.composition import journal

    return journal(db).entries(pid, kinds=["dose"])


def _minutes(ms: float) -> str:
    """A duration for page.clock.fast_forward ("mm:ss")."""
    seconds = int(ms // 1000)
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def _signed_up_with_a_plan(browser: Any, server: LiveServer, email: str) -> tuple[Any, Any, list[str], int]:
    # The browser keeps the host's time zone, like the server: a dose's time means the same to both.
    ctx = browser.new_context(base_url=server.url, viewport=PHONE, locale="en-GB", permissions=["notifications"])
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto("/account/sign-up")
    page.get_by_label("Your name").fill("Remind")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill("a long enough secret")
    page.get_by_role("button", name="Create the account").click()
    page.get_by_label(re.compile(r"^Name")).fill("Remind Patient")
    page.get_by_role("button", name="Add", exact=True).click()
    pid = int(re.search(r"/patients/(\d+)/plan", page.url).group(1))  # type: ignore[union-attr]
    csrf = page.locator('input[name="csrf_token"]').first.get_attribute("value")
    r = page.request.put(f"/api/v1/patients/{pid}/plan", headers={"x-csrf-token": csrf or ""},
                         data={"source": "regimen", "regimen": "300 mg TID",
                               "start": (date.today() - timedelta(days=7)).isoformat()})
    assert r.ok, r.text()
    return ctx, page, errors, pid


def test_reminder_fires_snoozes_is_taken_once_and_stays_dismissed(browser: Any,
                                                                 reminder_server: tuple[LiveServer, str]) -> None:
    server, db = reminder_server
    if not time(0, 10) < datetime.now().time() < time(23, 50):
        pytest.skip("too close to midnight for a day's Today page")
    ctx, page, errors, pid = _signed_up_with_a_plan(browser, server, "remind@example.org")
    today = f"/patients/{pid}/today"

    # The open doses, as the page gives them to the script (real clock: the server decides their status).
    page.goto(today)
    page.wait_for_function("navigator.serviceWorker.ready.then(r => !!r.active)")
    slots = page.eval_on_selector_all("li.dose[data-slot]", "els => els.map(e => [e.dataset.slot, e.dataset.status])")
    open_slots = [s for s, status in slots if status in ("due", "upcoming", "missed")]
    assert len(open_slots) == 3, slots
    first, second = (datetime.fromisoformat(s) for s in open_slots[:2])
    policy = page.evaluate("GabaCareReminders.policy")
    assert policy["SNOOZE_MS"] == 10 * 60_000 and policy["REPEAT_EVERY_MS"] > policy["SNOOZE_MS"]
    # Nothing is asked on load: the permission is only asked from the button (granted here by the context).
    expect(page.locator("#reminders-setup")).to_contain_text("Reminders are on for this device")

    # Loaded on the real clock, a dose due now (within its hour) has already notified: clear those, so
    # what follows counts only what the controlled clock makes fire (the test must not depend on the hour).
    page.evaluate(CLOSE_NOTIFICATIONS)
    _until(lambda: page.evaluate(NOTIFIED) == [], "the real clock's notifications to close", timeout_s=_SLOW_S)
    # ... and forget that they fired: a dose reminded on the real clock a minute ago is, rightly, not reminded
    # again before REPEAT_EVERY_MS, so within an hour after the first dose's time its notification never came.
    page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('gabacare-reminder:'))"
                  ".forEach(k => localStorage.removeItem(k))")
    # One minute before the first dose: no banner. At its time: the banner and a system notification.
    page.clock.install(time=first - timedelta(minutes=1))
    page.goto(today)
    banner = page.locator("#dose-reminders .dose-reminder")
    expect(banner).to_have_count(0)
    page.clock.fast_forward("02:00")
    expect(banner).to_have_count(1)
    expect(banner).to_have_attribute("role", "alert")
    label = f"Time for your 300 mg dose ({first:%H:%M})"
    expect(banner.locator("p")).to_have_text(label)
    _until(lambda: page.evaluate(NOTIFIED) == [f"Time for your {first:%H:%M} dose"], "the system notification",
           timeout_s=_SLOW_S)
    assert axe_violations(page) == []

    # Keyboard reachable: Tab from the dose list's start lands on the banner's buttons before the list's.
    taken = banner.get_by_role("button", name=re.compile("^Taken"))
    taken.focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.act") == "snooze"

    # Snooze: gone, not back before the interval, back after it.
    banner.get_by_role("button", name=re.compile("^Snooze 10 min")).click()
    expect(banner).to_have_count(0)
    page.clock.fast_forward(_minutes(policy["SNOOZE_MS"] - 60_000))
    page.evaluate("GabaCareReminders.check()")
    expect(banner).to_have_count(0)
    page.clock.fast_forward("02:00")
    expect(banner).to_have_count(1)
    expect(banner.locator("p")).to_have_text(label)

    # Taken: the list's own form is sent; exactly one dose for that slot on the server.
    assert _doses(db, pid) == []
    banner.get_by_role("button", name=re.compile("^Taken")).click()
    expect(banner).to_have_count(0)
    _until(lambda: len(_doses(db, pid)) >= 1, "the dose to reach the server")
    expect(page.locator(f'li.dose[data-slot="{open_slots[0]}"]')).to_have_attribute(
        "data-status", re.compile("^(taken|late|early)$"))
    doses = _doses(db, pid)
    assert len(doses) == 1 and doses[0].data.slot == first and doses[0].data.status == "taken", doses
    page.clock.fast_forward(_minutes(policy["REPEAT_EVERY_MS"] + 60_000))
    page.evaluate("GabaCareReminders.check()")
    expect(banner).to_have_count(0)  # an answered dose is not reminded again

    # The second dose: dismissed, then a reload past its repeat time brings nothing back.
    page.clock.set_system_time(second + timedelta(seconds=30))
    page.evaluate("GabaCareReminders.check()")
    expect(banner).to_have_count(1)
    expect(banner.locator("p")).to_have_text(f"Time for your 300 mg dose ({second:%H:%M})")
    # Unanswered, it repeats every REPEAT_EVERY_MS, at most REMIND_AT_MOST times in all.
    state = f"GabaCareReminders.state({open_slots[1]!r})"
    every, most = policy["REPEAT_EVERY_MS"], policy["REMIND_AT_MOST"]
    for n in range(2, most + 3):
        last = page.evaluate(f"{state}.last")  # the page's clock runs on between steps: count from the last
        page.clock.set_system_time(datetime.fromtimestamp((last + every + 1000) / 1000))
        page.evaluate("GabaCareReminders.check()")
        assert page.evaluate(f"{state}.fired") == min(n, most)
        expect(banner).to_have_count(1)  # still on screen until answered
    banner.get_by_role("button", name=re.compile("^Dismiss")).click()
    expect(banner).to_have_count(0)
    page.reload()
    page.clock.set_system_time(second + timedelta(milliseconds=every * (most + 3)))
    page.evaluate("GabaCareReminders.check()")
    expect(page.locator("#today-doses")).to_be_visible()
    expect(banner).to_have_count(0)
    assert page.evaluate(f"GabaCareReminders.state({open_slots[1]!r}).dismissed") is True
    assert len(_doses(db, pid)) == 1, "nothing else was logged"

    # The third dose answered on the list itself (not the banner): its banner goes with the swap.
    third = datetime.fromisoformat(open_slots[2])
    page.clock.set_system_time(third + timedelta(seconds=30))
    page.evaluate("GabaCareReminders.check()")
    expect(banner).to_have_count(1)
    expect(banner.locator("p")).to_have_text(f"Time for your 300 mg dose ({third:%H:%M})")
    page.locator(f'li.dose[data-slot="{open_slots[2]}"]').get_by_role("button", name=re.compile("^Taken")).click()
    expect(banner).to_have_count(0)
    _until(lambda: len(_doses(db, pid)) == 2, "the list's tap to reach the server")
    assert errors == [], errors
    ctx.close()


def test_the_permission_is_asked_only_from_the_button(browser: Any, reminder_server: tuple[LiveServer, str]) -> None:
    """Without a granted permission the page shows the button and asks nothing by itself; the
    button asks (here answered "denied" by the headless browser's default) and the page says so."""
    server, _ = reminder_server
    ctx = browser.new_context(base_url=server.url, viewport=PHONE, locale="en-GB")
    page = ctx.new_page()
    page.add_init_script("""(() => {
      window.__asked = 0;
      const real = Notification.requestPermission.bind(Notification);
      Notification.requestPermission = (...a) => { window.__asked += 1; return real(...a); };
    })()""")
    page.goto("/account/sign-up")
    page.get_by_label("Your name").fill("Ask")
    page.get_by_label("E-mail address").fill("remind-ask@example.org")
    page.get_by_label("Password").fill("a long enough secret")
    page.get_by_role("button", name="Create the account").click()
    page.get_by_label(re.compile(r"^Name")).fill("Ask Patient")
    page.get_by_role("button", name="Add", exact=True).click()
    pid = int(re.search(r"/patients/(\d+)/plan", page.url).group(1))  # type: ignore[union-attr]
    page.goto(f"/patients/{pid}/today")
    permission = page.evaluate("Notification.permission")
    button = page.get_by_role("button", name="Turn on reminders on this device")
    if permission == "default":
        expect(button).to_be_visible()
        assert page.evaluate("window.__asked") == 0, "asked on page load"
        button.click()
        page.wait_for_function("window.__asked === 1")
    else:  # a browser that answers for the user (headless policy): the page says what it is
        expect(button).to_have_count(0)
        assert page.evaluate("window.__asked") == 0
    expect(page.locator("#reminders-setup")).to_contain_text("While this page is open")
    assert axe_violations(page) == []
    ctx.close()
