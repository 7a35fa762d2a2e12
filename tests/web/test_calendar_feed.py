"""The calendar subscription feed (issue 15, item 2) through the real app over a real SQLite file:
a secret address per patient that a calendar app reads without signing in, created, rotated and
revoked on the Share page; one event with an alarm per planned dose, stable slot UIDs, audited reads."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from icalendar import Calendar

from gabacare.journal import settings

from .conftest import form_token
from .test_journal_pages import add_patient, make_app, set_titration, sign_up


@pytest.fixture(scope="module")
def fapp(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return make_app(tmp_path_factory.mktemp("feed") / "journal.sqlite3")


@pytest.fixture
def owner(fapp: FastAPI) -> Iterator[tuple[TestClient, int]]:
    """A signed-in account with one patient on a titration that began three days ago."""
    with TestClient(fapp, base_url="http://testserver") as c:
        sign_up(c, f"feed-{uuid.uuid4().hex[:8]}@example.org")
        pid = add_patient(c, "Feed Patient")
        set_titration(c, pid)
        yield c, pid


def create_feed(client: TestClient, pid: int) -> tuple[str, str]:
    """Create (or rotate) the feed; return the https-style URL path and the whole page."""
    page = client.get(f"/patients/{pid}/share").text
    r = client.post(f"/patients/{pid}/calendar-feed", data={"csrf_token": form_token(page)})
    assert r.status_code == 200, r.text[:300]
    m = re.search(r'id="new-feed">http://testserver(/feeds/[A-Za-z0-9_-]{43}\.ics)<', r.text)
    assert m, "the page shows no feed address"
    return m.group(1), r.text


def events(client: TestClient, path: str) -> dict[str, Any]:
    """UID -> VEVENT of the feed at ``path`` (parsed with the icalendar library)."""
    r = client.get(path)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    assert "no-store" in r.headers["cache-control"]
    cal = Calendar.from_ical(r.content)
    found = {str(ev["UID"]): ev for ev in cal.walk("VEVENT")}
    assert len(found) == len(cal.walk("VEVENT")), "UIDs must be unique"
    return found


def test_the_feed_is_one_event_with_an_alarm_per_planned_dose_in_the_window(owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    path, _ = create_feed(client, pid)
    anonymous = TestClient(client.app, base_url="http://testserver")  # a calendar app: no cookie, no sign-in
    evs = events(anonymous, path)
    assert evs
    today = date.today()
    first, last = today - timedelta(days=settings.CALENDAR_FEED_DAYS_BEHIND), today + timedelta(
        days=settings.CALENDAR_FEED_DAYS_AHEAD - 1)
    for ev in evs.values():
        start = ev.decoded("DTSTART")
        assert isinstance(start, datetime) and first <= start.date() <= last
        assert "RRULE" not in ev  # one event per dose, so a plan change moves single doses
        assert re.fullmatch(r"Gabapentin \d+(\.\d+)? mg \(.+\)", str(ev["SUMMARY"]))
        assert "mg gabapentin" in str(ev["DESCRIPTION"])
        alarms = ev.walk("VALARM")
        assert len(alarms) == 1 and str(alarms[0]["ACTION"]) == "DISPLAY"
        assert alarms[0].decoded("TRIGGER") == timedelta(0)
    # a titration started three days ago: doses before today are in the feed too
    assert min(ev.decoded("DTSTART").date() for ev in evs.values()) < today
    assert "REFRESH-INTERVAL" in anonymous.get(path).text
    assert set(events(anonymous, path)) == set(evs)  # a second read: the same UIDs


def test_a_taper_changes_the_events_but_keeps_the_uids_of_slots_it_keeps(owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    path, _ = create_feed(client, pid)
    before = events(client, path)
    page = client.get(f"/patients/{pid}/plan").text
    r = client.post(f"/patients/{pid}/plan", data={"csrf_token": form_token(page), "source": "taper",
                                                   "from_regimen": "300-300-600", "risk": "low",
                                                   "start": (date.today() + timedelta(days=1)).isoformat()})
    assert r.status_code == 200 and "taper" in r.text.lower()
    after = events(client, path)
    tomorrow = date.today() + timedelta(days=1)

    def summaries(evs: dict[str, Any], past: bool) -> dict[str, str]:
        return {u: str(e["SUMMARY"]) for u, e in evs.items() if (e.decoded("DTSTART").date() < tomorrow) == past}

    # the days before the taper are the same events, with the same UIDs and the same doses
    assert summaries(after, past=True) == summaries(before, past=True)
    # from the taper on, the doses change; a slot both plans use keeps its UID and changes its amount
    old_future, new_future = summaries(before, past=False), summaries(after, past=False)
    assert old_future != new_future
    kept = set(old_future) & set(new_future)
    assert kept, "the taper shares no dose slot with the titration"
    assert any(old_future[u] != new_future[u] for u in kept)
    # changed events carry a new SEQUENCE, so a calendar takes them as newer versions
    assert all(int(before[u]["SEQUENCE"]) != int(after[u]["SEQUENCE"]) for u in kept if old_future[u] != new_future[u])


def test_rotating_retires_the_old_address_at_once_and_revoking_stops_the_feed(owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    old, _ = create_feed(client, pid)
    assert client.get(old).status_code == 200
    new, page = create_feed(client, pid)
    assert new != old and "any earlier address has stopped working" in page
    assert client.get(old).status_code == 404
    assert set(events(client, new))  # the new address works, with the same UIDs as before
    share = client.get(f"/patients/{pid}/share").text
    assert "A calendar address is active" in share and new not in share  # the secret is shown only once
    r = client.post(f"/patients/{pid}/calendar-feed/revoke", data={"csrf_token": form_token(share)},
                    follow_redirects=False)
    assert r.status_code == 303
    assert client.get(new).status_code == 404
    assert "Create a calendar address" in client.get(f"/patients/{pid}/share").text


def test_the_share_page_has_the_webcal_link_an_svg_qr_code_and_says_what_the_feed_does_not_do(
        owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    path, page = create_feed(client, pid)
    assert f'href="webcal://testserver{path}"' in page
    assert 'src="data:image/svg+xml' in page and "QR code of the calendar address" in page
    assert "No push service is used" in page and "every few hours" in page


def test_another_account_cannot_create_rotate_or_revoke_a_feed_it_does_not_own(
        fapp: FastAPI, owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    path, _ = create_feed(client, pid)
    with TestClient(fapp, base_url="http://testserver") as other:
        sign_up(other, f"other-{uuid.uuid4().hex[:8]}@example.org")
        token = form_token(other.get("/patients").text)
        for action in ("", "/revoke"):
            r = other.post(f"/patients/{pid}/calendar-feed{action}", data={"csrf_token": token})
            assert r.status_code == 404
        assert other.get(f"/patients/{pid}/share").status_code == 404
    assert client.get(path).status_code == 200  # the owner's address still works
    # signed out, nothing can be done either
    with TestClient(fapp, base_url="http://testserver") as anonymous:
        r = anonymous.post(f"/patients/{pid}/calendar-feed", data={}, follow_redirects=False)
        assert r.status_code in (303, 401, 403, 404)


@pytest.mark.parametrize("path", [
    "/feeds/" + "A" * 43 + ".ics",  # well-formed, unknown
    "/feeds/x.ics", "/feeds/.ics", "/feeds/" + "x" * 400 + ".ics", "/feeds/%00.ics", "/feeds/%C3%A9%E2%82%AC.ics",
    "/feeds/..%2F..%2Fetc.ics", "/feeds/a%20b.ics", "/feeds/abc", "/feeds/abc.ics.ics",
])
def test_an_unknown_or_malformed_token_answers_404(fapp: FastAPI, path: str) -> None:
    with TestClient(fapp, base_url="http://testserver", raise_server_exceptions=False) as c:
        assert c.get(path).status_code == 404


def test_a_feed_token_reads_the_schedule_only_and_every_read_is_audited(fapp: FastAPI,
                                                                         owner: tuple[TestClient, int]) -> None:
    client, pid = owner
    path, _ = create_feed(client, pid)
    token = path.removeprefix("/feeds/").removesuffix(".ics")
    with TestClient(fapp, base_url="http://testserver") as stranger:
        assert stranger.get(path).status_code == 200
        assert stranger.get("/shared", params={"token": token}).status_code == 404  # not a share link
        for url in (f"/api/v1/patients/{pid}", f"/api/v1/patients/{pid}/reminders.ics", f"/patients/{pid}/today"):
            r = stranger.get(url, headers={"authorization": f"Bearer {token}"}, follow_redirects=False)
            # 405: the path /api/v1/patients/{id} has only DELETE; answered before any credential is read
            assert r.status_code in (302, 303, 307, 401, 404, 405) and "Feed Patient" not in r.text  # pages: to sign-in
    accounts = fapp.state.journal_web.accounts()
    log = accounts.repo.list_audit(pid)
    feed_id = accounts.repo.live_calendar_feed(pid).id
    assert ("user", "share", "calendar_feed", feed_id) in [(a.actor_kind, a.action, a.resource_kind, a.resource_id)
                                                            for a in log]
    reads = [a for a in log if a.actor_kind == "feed"]
    assert len(reads) == 1 and (reads[0].actor_id, reads[0].action, reads[0].resource_kind) == (feed_id, "read", "plan")
    audit_page = client.get(f"/patients/{pid}/audit").text
    assert f"calendar feed #{feed_id}" in audit_page


def test_a_patient_without_a_plan_gets_a_valid_empty_calendar(fapp: FastAPI, tmp_path: Path) -> None:
    with TestClient(fapp, base_url="http://testserver") as c:
        sign_up(c, f"noplan-{uuid.uuid4().hex[:8]}@example.org")
        pid = add_patient(c, "No Plan")
        path, _ = create_feed(c, pid)
        r = c.get(path)
        assert r.status_code == 200 and Calendar.from_ical(r.content).walk("VEVENT") == []


def test_the_feed_address_uses_the_public_base_url_and_warns_about_a_loopback_one() -> None:
    from gabacare.web.share_view import feed_address

    token = "A" * 43
    public = feed_address("https://care.example.org/", "http://127.0.0.1:8000/", token)
    assert public.url == f"https://care.example.org/feeds/{token}.ics"
    assert public.webcal == f"webcal://care.example.org/feeds/{token}.ics" and not public.local_only
    assert public.qr_data_uri.startswith("data:image/svg+xml")
    local = feed_address(None, "http://127.0.0.1:8000/", token)
    assert local.local_only and local.webcal == f"webcal://127.0.0.1:8000/feeds/{token}.ics"
