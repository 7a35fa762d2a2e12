"""iCalendar reminders: the .ics of a titration parses back to the plan's dose times and amounts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar

from gabacare.clinical import parse_regimen, taper, titrate
from gabacare.interop.fhir import plan_days
from gabacare.interop.ical import event_uid, reminders_ics

STAMP = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


def expand(ics: bytes) -> dict[datetime, float]:
    """Every (local start -> mg) the calendar's daily RRULEs produce."""
    cal = Calendar.from_ical(ics)
    out: dict[datetime, float] = {}
    for ev in cal.walk("VEVENT"):
        start = ev.decoded("dtstart")
        rule = ev.get("rrule")
        count = rule["COUNT"][0]
        assert rule["FREQ"] == ["DAILY"]
        mg = float(str(ev.get("summary")).split()[1])
        for i in range(count):
            local = datetime.combine(start.date() + timedelta(days=i), start.time(), tzinfo=start.tzinfo)
            assert local not in out
            out[local] = mg
        assert ev.walk("VALARM"), "each event has an alarm"
    return out


def test_titration_ics_matches_the_plan_across_dst() -> None:
    plan = titrate("spasticity", start=date(2025, 3, 25))  # crosses the 2025-03-30 change to CEST
    ics = reminders_ics(plan_days(plan), owner="patient-7", tz="Europe/Berlin", stamp=STAMP)
    expected = {datetime.combine(d.date, x.time, tzinfo=BERLIN): x.mg for d in plan.days for x in d.doses}
    got = expand(ics)
    assert {k.replace(tzinfo=None): v for k, v in got.items()} == {k.replace(tzinfo=None): v for k, v in expected.items()}
    assert all(str(k.tzinfo) == "Europe/Berlin" for k in got)
    cal = Calendar.from_ical(ics)
    assert cal.get("version") == "2.0" and cal.get("prodid")
    assert cal.walk("VTIMEZONE")
    text = ics.decode()
    assert "capsule" in text and "not a substitute for your clinician" in text.replace("\r\n ", "")


def test_uids_are_stable_and_derived_from_owner_step_time() -> None:
    plan = titrate("spasticity", start=date(2025, 3, 25))
    a = reminders_ics(plan_days(plan), owner="patient-7", tz="Europe/Berlin", stamp=STAMP)
    b = reminders_ics(plan_days(plan), owner="patient-7", tz="Europe/Berlin", stamp=STAMP)
    assert a == b
    uids = [str(e.get("uid")) for e in Calendar.from_ical(a).walk("VEVENT")]
    assert len(uids) == len(set(uids))
    assert uids[0] == event_uid("patient-7", 1, "21:00")
    other = reminders_ics(plan_days(plan), owner="patient-8", tz="Europe/Berlin", stamp=STAMP)
    assert not set(uids) & {str(e.get("uid")) for e in Calendar.from_ical(other).walk("VEVENT")}


def test_taper_stops_and_private_mode_hides_the_drug() -> None:
    plan = taper(parse_regimen("300 mg TID"), start=date(2025, 1, 6))
    ics = reminders_ics(plan_days(plan), owner="p", tz="UTC", stamp=STAMP, private=True)
    cal = Calendar.from_ical(ics)
    last = max(datetime.combine(d.date, x.time) for d in plan.days for x in d.doses if x.mg > 0)
    ends = []
    for ev in cal.walk("VEVENT"):
        assert "abapentin" not in str(ev.get("summary")) + str(ev.get("description"))
        start = ev.decoded("dtstart")
        ends.append(start.replace(tzinfo=None) + timedelta(days=ev.get("rrule")["COUNT"][0] - 1))
    assert max(ends) == last
