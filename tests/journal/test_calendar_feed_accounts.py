"""Calendar feeds in the account service (in memory) and the per-dose calendar they read: a hashed
secret that reads one patient's schedule and nothing else; rotation, revocation, audit; slot UIDs."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from icalendar import Calendar

from gabacare.accounts.model import AccessDenied, Actor
from gabacare.interop.ical import event_uid, reminders_ics, slot_uid
from gabacare.interop.journal_ical import feed_reminders
from gabacare.journal import settings
from gabacare.journal.model import PlanSpec

from .test_accounts import PASSWORD, T0, World, _memory_world


@pytest.fixture
def w() -> World:
    return _memory_world()


def test_only_the_live_token_reads_and_only_as_a_feed(w: World) -> None:
    user = w.accounts.sign_up("ada@example.org", PASSWORD, "Ada")
    pid = w.accounts.create_patient_for(user, "Ada Patient").id
    token, feed = w.accounts.create_calendar_feed(user, pid)
    assert token not in repr(feed) and feed.token_hash != token  # only the hash is kept
    actor = w.accounts.feed_actor(token)
    assert actor is not None and (actor.kind, actor.id, actor.patient_id, actor.user_id) == ("feed", feed.id, pid, None)
    for write in (False, True):  # a feed actor may read nothing through the ordinary checks
        with pytest.raises(AccessDenied):
            w.accounts.require_access(actor, pid, write=write)
    assert w.accounts.share_actor(token) is None and w.accounts.token_user(token) is None
    for bad in ("", "x" * 10_000, token + "x", token.upper()):
        assert w.accounts.feed_actor(bad) is None
    new_token, new = w.accounts.create_calendar_feed(user, pid)  # rotation
    assert w.accounts.feed_actor(token) is None and w.accounts.feed_actor(new_token) is not None
    assert w.accounts.calendar_feed_of(user, pid) == new
    assert w.accounts.revoke_calendar_feed(user, pid) and not w.accounts.revoke_calendar_feed(user, pid)
    assert w.accounts.feed_actor(new_token) is None and w.accounts.calendar_feed_of(user, pid) is None
    log = [(a.actor_kind, a.action, a.resource_kind, a.resource_id) for a in w.repo.list_audit(pid)]
    assert log[-3:] == [("user", "share", "calendar_feed", feed.id), ("user", "share", "calendar_feed", new.id),
                        ("user", "revoke", "calendar_feed", new.id)]


def test_another_account_and_a_disabled_owner_get_nothing(w: World) -> None:
    ada = w.accounts.sign_up("ada@example.org", PASSWORD, "Ada")
    bob = w.accounts.sign_up("bob@example.org", PASSWORD, "Bob")
    pid = w.accounts.create_patient_for(ada, "Ada Patient").id
    token, _ = w.accounts.create_calendar_feed(ada, pid)
    for call in (w.accounts.create_calendar_feed, w.accounts.calendar_feed_of, w.accounts.revoke_calendar_feed):
        with pytest.raises(AccessDenied):
            call(bob, pid)
        with pytest.raises(AccessDenied):
            call(ada, 10**30)  # no such id (beyond any SQL integer)
    assert w.accounts.feed_actor(token) is not None
    w.accounts.disable_user(ada)
    assert w.accounts.feed_actor(token) is None
    assert Actor.for_user(bob).kind == "user"


def test_the_feed_window_follows_the_plans_and_slot_uids_ignore_the_plan(w: World) -> None:
    pid = w.journal.add_patient("Ada Patient").id
    today = T0.date()
    w.journal.set_plan(pid, PlanSpec("regimen", today - timedelta(days=30), regimen="300 mg TID"))
    first = feed_reminders(w.journal, pid, tz="Europe/Berlin", stamp=datetime(2026, 3, 1, 9, 0))
    assert (first.start, first.end) == (today - timedelta(days=settings.CALENDAR_FEED_DAYS_BEHIND),
                                        today + timedelta(days=settings.CALENDAR_FEED_DAYS_AHEAD - 1))
    assert first.events == 3 * (settings.CALENDAR_FEED_DAYS_BEHIND + settings.CALENDAR_FEED_DAYS_AHEAD)
    again = feed_reminders(w.journal, pid, tz="Europe/Berlin", stamp=datetime(2026, 3, 1, 10, 0))

    def by_uid(data: bytes) -> dict[str, tuple[str, int]]:
        return {str(e["UID"]): (str(e["SUMMARY"]), int(str(e["SEQUENCE"]))) for e in Calendar.from_ical(data).walk("VEVENT")}

    assert by_uid(first.data) == by_uid(again.data)  # another read, another stamp: the same events and versions
    w.journal.set_plan(pid, PlanSpec("regimen", today + timedelta(days=2), regimen="600 mg TID"))
    later = by_uid(feed_reminders(w.journal, pid, tz="Europe/Berlin").data)
    before = by_uid(first.data)
    assert set(later) == set(before)  # same slots, same UIDs
    changed = {u for u in before if before[u] != later[u]}
    assert len(changed) == 3 * (settings.CALENDAR_FEED_DAYS_AHEAD - 2)
    assert all("600 mg" in later[u][0] for u in changed)


def test_slot_uids_are_stable_and_differ_from_step_uids() -> None:
    day = date(2026, 3, 1)
    assert slot_uid("patient-1-feed", day, "08:00") == slot_uid("patient-1-feed", day, "08:00")
    assert len({slot_uid("patient-1-feed", day, "08:00"), slot_uid("patient-1-feed", day, "14:00"),
                slot_uid("patient-2-feed", day, "08:00"), slot_uid("patient-1-feed", day + timedelta(days=1), "08:00"),
                event_uid("patient-1-feed", 1, "08:00")}) == 5
    data = reminders_ics(((day, ((time(8), 300.0),)), (day + timedelta(days=1), ((time(8), 300.0),))),
                         owner="o", tz="UTC", stamp=datetime(2026, 3, 1), per_dose=True, refresh=timedelta(hours=4))
    cal = Calendar.from_ical(data)
    assert len(cal.walk("VEVENT")) == 2 and b"RRULE" not in data
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT4H" in data and b"X-PUBLISHED-TTL:PT14400S" in data
