"""Issue 18 in real Chromium, with and without JavaScript: tapping "Taken" on a dose stores the slot
it answers and the real time; "Change" corrects the time taken; "Undo this change" puts it back;
the report counts it from the stored facts. Runs against ``gabacare serve`` on the real clock, so the
expectations follow the time of day (a dose more than an hour past its time is late)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import DESKTOP, PHONE
from .harness import LiveServer
from .test_journal_flow import _axe


@pytest.fixture(scope="module")
def record_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str]]:
    db = f"sqlite:///{tmp_path_factory.mktemp('e2e-record') / 'journal.sqlite3'}"
    with LiveServer(env={"GABACARE_DB": db}) as server:
        yield server, db
    server.cleanup()


def _stored(db: str, pid: int, entry_id: int) -> Any:
    from gabacare.composition import journal

    return journal(db).get_entry(pid, entry_id)


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_tap_taken_late_then_change_the_time_then_undo(browser: Any, record_server: tuple[LiveServer, str],
                                                       javascript: bool) -> None:
    server, db = record_server
    start = datetime.now()
    if start.time() < time(0, 10) or start.time() > time(23, 50):
        pytest.skip("too close to midnight for a day's Today page")
    ctx = browser.new_context(base_url=server.url, viewport=PHONE if javascript else DESKTOP, locale="en-GB",
                              java_script_enabled=javascript)
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    page.goto("/account/sign-up")
    page.get_by_label("Your name").fill("Rec")
    page.get_by_label("E-mail address").fill(f"record-{int(javascript)}@example.org")
    page.get_by_label("Password").fill("a long enough secret")
    page.get_by_role("button", name="Create the account").click()
    page.get_by_label(re.compile(r"^Name")).fill("Rec Patient")
    page.get_by_role("button", name="Add", exact=True).click()
    pid = int(re.search(r"/patients/(\d+)/plan", page.url).group(1))  # type: ignore[union-attr]
    # a steady 300 mg TID (07:00, 14:00, 21:00) since last week, through the API with the page's session
    csrf = page.locator('input[name="csrf_token"]').first.get_attribute("value")
    r = page.request.put(f"/api/v1/patients/{pid}/plan", headers={"x-csrf-token": csrf or ""},
                         data={"source": "regimen", "regimen": "300 mg TID",
                               "start": (date.today() - timedelta(days=7)).isoformat()})
    assert r.ok, r.text()

    page.goto(f"/patients/{pid}/today")
    first = page.locator("li.dose").first
    first.get_by_role("button", name=re.compile("^Taken")).click()
    status = page.locator("#saved-entry")
    expect(status).to_contain_text("the 07:00 dose taken at")
    tapped = datetime.now()
    if not javascript:  # Post/Redirect/Get: the address is the page's own, with the entry to undo
        assert re.search(rf"/patients/{pid}/today\?saved=\d+$", page.url), page.url
    entry_id = int(status.locator("form").get_attribute("action").split("/")[-2])  # type: ignore[union-attr]
    entry = _stored(db, pid, entry_id)
    slot = datetime.combine(date.today(), time(7, 0))
    assert entry.data.slot == slot, "the tap stores the slot it answers"
    assert start - timedelta(seconds=5) <= entry.data.at <= tapped + timedelta(seconds=5), "and the real time"
    late = entry.data.at > slot + timedelta(hours=1)
    expect(first.locator(".badge")).to_have_text("late" if late else "taken")
    if javascript:  # axe-core runs as a script in the page
        _axe(page)  # the Undo banner, the Change and Taken-earlier forms, the as-needed form

    # "taken at": the real time was earlier than the tap
    when = min(tapped - timedelta(minutes=2), slot + timedelta(minutes=5)).replace(second=0, microsecond=0)
    first = page.locator("li.dose").first
    first.locator("summary").filter(has_text="Change").click()
    first.get_by_label("Taken at").fill(f"{when:%H:%M}")
    first.get_by_role("button", name=re.compile("^Save")).click()
    expect(page.get_by_role("status")).to_contain_text(f"Changed: the 07:00 dose taken at {when:%H:%M}")
    edited = _stored(db, pid, entry_id)
    assert (edited.version, edited.data.at, edited.data.slot) == (2, when, slot)

    page.get_by_role("button", name="Undo this change").click()
    expect(page.get_by_role("status")).to_contain_text("Undone.")
    if javascript:
        _axe(page)
    reverted = _stored(db, pid, entry_id)
    assert (reverted.version, reverted.data.at) == (3, entry.data.at)
    expect(page.locator("li.dose").first.locator(".badge")).to_have_text("late" if late else "taken")

    # the report (adherence) counts the stored facts: one dose taken for the 07:00 slot, on time or not
    adherence = page.request.get(f"/api/v1/patients/{pid}/adherence",
                                 params={"from": date.today().isoformat(), "to": date.today().isoformat()}).json()
    # On time means within the window on either side of the slot: a tap hours before 07:00 (a run just
    # after midnight) is taken but not on time, like a late one.
    from gabacare.journal.settings import ON_TIME_WINDOW

    on_time = abs(entry.data.at - slot) <= ON_TIME_WINDOW
    assert adherence["taken"] == 1 and adherence["on_time"] == (1 if on_time else 0)
    ctx.close()
