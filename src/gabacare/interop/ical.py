"""iCalendar (RFC 5545) dose reminders for a plan: one recurring event per plan step and dose time.

Each step of consecutive days with the same doses (:func:`gabacare.interop.fhir.dose_steps`) gives,
for each dose time, one VEVENT starting on the step's first day at the local time (``TZID``, with a
VTIMEZONE) and repeating daily ``COUNT`` times (the step's days), so a titration's changing doses
appear on the right days and a DST change keeps the wall-clock time. Each event has a VALARM at the
dose time and names the dose in mg and pill units (``private`` leaves drug and dose out, for shared
calendars).

UIDs are derived from the calendar owner (e.g. the patient id), the step's number and the dose time, so
importing a re-exported calendar updates the events instead of duplicating them; ``SEQUENCE`` is
derived from the event's content, so a changed dose is seen as a newer version.

With ``per_dose`` (a subscription feed, which is re-read as the plan changes), every single dose is
its own VEVENT, without ``RRULE``, whose UID comes from the owner and the dose's slot (date and
clock time, :func:`slot_uid`): a new plan that keeps a slot changes that event in place, and a slot the
new plan drops disappears. The text, alarm and ``SEQUENCE`` rules are the same in both modes.

``icalendar`` is imported inside :func:`plan_calendar`.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from gabacare.clinical.regimen import format_time
from gabacare.interop.fhir import DoseDay, _units_text, dose_steps, dose_units
from gabacare.knowledge import load_monograph

__all__ = ["event_uid", "plan_calendar", "reminders_ics", "slot_uid"]

_NAMESPACE = uuid.UUID("6f1c2a5e-0b7d-4c1e-9a4f-3d2b8e7c6a10")  # GabaCare reminders (fixed; never change)


def event_uid(owner: str, step: int, at: str) -> str:
    """The stable UID of the reminder for ``owner``'s plan step ``step`` at clock time ``at`` (``HH:MM``)."""
    return f"{uuid.uuid5(_NAMESPACE, f'{owner}|{step}|{at}')}@gabacare"


def slot_uid(owner: str, day: date, at: str) -> str:
    """The stable UID of ``owner``'s single dose on ``day`` at clock time ``at`` (``HH:MM``), whatever plan fills it."""
    return f"{uuid.uuid5(_NAMESPACE, f'{owner}|{day.isoformat()}|{at}')}@gabacare"


def plan_calendar(
    days: Sequence[DoseDay],
    *,
    owner: str,
    tz: str,
    stamp: datetime,
    open_ended: bool = False,
    private: bool = False,
    name: str = "Gabapentin reminders",
    per_dose: bool = False,
    refresh: timedelta | None = None,
) -> Any:
    """Build the VCALENDAR (an ``icalendar.Calendar``) for a day-by-day dose schedule.

    Parameters
    ----------
    days: the schedule (each date with its ``(time, mg)`` doses); days without doses end a step.
    owner: whose calendar it is (part of every UID; e.g. ``patient-7``).
    tz: IANA time zone of the dose times (e.g. ``Europe/Berlin``).
    stamp: the ``DTSTAMP`` (UTC) written on every event.
    open_ended: the last step repeats without end (a titration's or maintenance's reached dose).
    private: leave the drug and the dose out of titles and descriptions.
    name: the calendar's display name (``X-WR-CALNAME``).
    per_dose: one event per dose with a slot UID (:func:`slot_uid`) instead of one recurring event per
        step and dose time; ``open_ended`` is then ignored (a feed covers a bounded window).
    refresh: how often a subscribing app should re-read the calendar (``REFRESH-INTERVAL``, RFC 7986,
        and ``X-PUBLISHED-TTL``); a hint the app may ignore.
    """
    from zoneinfo import ZoneInfo

    from icalendar import Calendar

    zone = ZoneInfo(tz)
    cal = Calendar()
    cal.add("prodid", "-//GabaCare//Dose reminders//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", tz)
    if refresh is not None:
        cal.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
        # an X- property has no type of its own: write the RFC 5545 duration text (seconds, e.g. PT14400S)
        cal.add("x-published-ttl", f"PT{int(refresh.total_seconds())}S")
    notice = load_monograph().notice_text
    utc_stamp = stamp.astimezone(ZoneInfo("UTC")) if stamp.tzinfo else stamp.replace(tzinfo=ZoneInfo("UTC"))
    for step in dose_steps(days, open_ended=open_ended and not per_dose):
        count = None if step.end is None else (step.end - step.start).days + 1
        for t, mg in step.doses:
            clock = format_time(t)
            units = _units_text(dose_units(mg))
            if private:
                summary, description = "Medicine reminder", f"Time for your {clock} medicine."
            else:
                summary = f"Gabapentin {mg:g} mg ({units})"
                until = "onwards" if step.end is None else f"to {step.end.isoformat()}"
                # NOTE: a per-dose event names no step: a feed's window moves every day, and the step
                # numbers and end dates it would quote would change (and so re-version) every event.
                step_text = "" if per_dose else f" Plan step {step.sequence}: {step.start.isoformat()} {until}."
                description = f"Take {units} = {mg:g} mg gabapentin at {clock}.{step_text}\n{notice}"
            if not per_dose:
                first = datetime.combine(step.start, t, tzinfo=zone)
                cal.add_component(_dose_event(event_uid(owner, step.sequence, clock), first, summary, description,
                                              utc_stamp, count=count, repeat=True))
                continue
            for offset in range(count or 0):
                day = step.start + timedelta(days=offset)
                cal.add_component(_dose_event(slot_uid(owner, day, clock), datetime.combine(day, t, tzinfo=zone),
                                              summary, description, utc_stamp, count=None, repeat=False))
    cal.add_missing_timezones()
    return cal


def display_alarm(summary: str) -> Any:
    """A VALARM that shows ``summary`` at the event's start (zero trigger): every reminder's alarm."""
    from icalendar import Alarm

    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", summary)
    alarm.add("trigger", timedelta(0))
    return alarm


def _dose_event(uid: str, start: datetime, summary: str, description: str, stamp: datetime, *, count: int | None,
                repeat: bool) -> Any:
    """One dose reminder: a zero-length VEVENT with a display VALARM at the dose time.

    ``repeat`` adds a daily ``RRULE`` (``count`` times, or without end when ``count`` is None).
    """
    from icalendar import Event

    ev = Event()
    ev.add("uid", uid)
    ev.add("dtstamp", stamp)
    ev.add("dtstart", start)
    ev.add("duration", timedelta(0))
    ev.add("summary", summary)
    ev.add("description", description)
    ev.add("sequence", int(hashlib.sha256(f"{summary}|{description}|{count}".encode()).hexdigest()[:6], 16))
    if repeat:
        rule: dict[str, Any] = {"freq": "daily"}
        if count is not None:
            rule["count"] = count
        ev.add("rrule", rule)
    ev.add_component(display_alarm(summary))
    return ev


def reminders_ics(days: Sequence[DoseDay], **kwargs: Any) -> bytes:
    """:func:`plan_calendar` serialised as ``.ics`` bytes (CRLF lines, as RFC 5545 asks)."""
    return bytes(plan_calendar(days, **kwargs).to_ical())
