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

``icalendar`` is imported inside :func:`plan_calendar`.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from gabacare.clinical.regimen import format_time
from gabacare.interop.fhir import DoseDay, _units_text, dose_steps, dose_units
from gabacare.knowledge import load_monograph

__all__ = ["event_uid", "plan_calendar", "reminders_ics"]

_NAMESPACE = uuid.UUID("6f1c2a5e-0b7d-4c1e-9a4f-3d2b8e7c6a10")  # GabaCare reminders (fixed; never change)


def event_uid(owner: str, step: int, at: str) -> str:
    """The stable UID of the reminder for ``owner``'s plan step ``step`` at clock time ``at`` (``HH:MM``)."""
    return f"{uuid.uuid5(_NAMESPACE, f'{owner}|{step}|{at}')}@gabacare"


def plan_calendar(
    days: Sequence[DoseDay],
    *,
    owner: str,
    tz: str,
    stamp: datetime,
    open_ended: bool = False,
    private: bool = False,
    name: str = "Gabapentin reminders",
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
    """
    from zoneinfo import ZoneInfo

    from icalendar import Alarm, Calendar, Event

    zone = ZoneInfo(tz)
    cal = Calendar()
    cal.add("prodid", "-//GabaCare//Dose reminders//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", tz)
    notice = load_monograph().notice_text
    utc_stamp = stamp.astimezone(ZoneInfo("UTC")) if stamp.tzinfo else stamp.replace(tzinfo=ZoneInfo("UTC"))
    for step in dose_steps(days, open_ended=open_ended):
        count = None if step.end is None else (step.end - step.start).days + 1
        for t, mg in step.doses:
            clock = format_time(t)
            units = _units_text(dose_units(mg))
            if private:
                summary, description = "Medicine reminder", f"Time for your {clock} medicine."
            else:
                summary = f"Gabapentin {mg:g} mg ({units})"
                until = "onwards" if step.end is None else f"to {step.end.isoformat()}"
                description = (f"Take {units} = {mg:g} mg gabapentin at {clock}. Plan step {step.sequence}: "
                               f"{step.start.isoformat()} {until}.\n{notice}")
            ev = Event()
            ev.add("uid", event_uid(owner, step.sequence, clock))
            ev.add("dtstamp", utc_stamp)
            ev.add("dtstart", datetime.combine(step.start, t, tzinfo=zone))
            ev.add("duration", timedelta(0))
            ev.add("summary", summary)
            ev.add("description", description)
            ev.add("sequence", int(hashlib.sha256(f"{summary}|{description}|{count}".encode()).hexdigest()[:6], 16))
            rule: dict[str, Any] = {"freq": "daily"}
            if count is not None:
                rule["count"] = count
            ev.add("rrule", rule)
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", summary)
            alarm.add("trigger", timedelta(0))
            ev.add_component(alarm)
            cal.add_component(ev)
    cal.add_missing_timezones()
    return cal


def reminders_ics(days: Sequence[DoseDay], **kwargs: Any) -> bytes:
    """:func:`plan_calendar` serialised as ``.ics`` bytes (CRLF lines, as RFC 5545 asks)."""
    return bytes(plan_calendar(days, **kwargs).to_ical())
