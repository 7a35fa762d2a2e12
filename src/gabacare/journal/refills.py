"""Refills (issue 15): log a pick-up of pills, and say what is on hand and when it runs out.

The use cases over :class:`~gabacare.journal.services.Journal`: they read the patient's pick-ups, the
doses logged as taken and the plan's doses to come, and hand them to the pure core
(:func:`gabacare.clinical.supply.forecast`). Work is bounded: pick-ups and doses of the last
``settings.SUPPLY_HISTORY_DAYS`` days are counted, and the plan is walked at most
``settings.SUPPLY_HORIZON_DAYS`` days ahead.

Taken doses are entries of kind ``dose`` with status ``taken`` or ``late`` (a skipped dose used no
pill), as-needed ones included; the planned doses to come are those from now on that no entry
answers yet (an entry's ``slot``), so a dose logged early is not counted twice.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from gabacare._record import record
from gabacare.clinical.errors import ClinicalInputError
from gabacare.clinical.supply import DoseEvent, PickUp, SupplyForecast, forecast
from gabacare.journal import settings
from gabacare.journal.errors import JournalInputError
from gabacare.journal.model import is_row_id
from gabacare.journal.pickups import NewPickUp, StoredPickUp, max_pickup_count, pill_strengths, validate_pickup
from gabacare.journal.schedule import scheduled_doses
from gabacare.journal.services import Journal

__all__ = ["SupplyView", "check_lead_days", "delete_pickup", "log_pickup", "patient_lead_days", "pickup_limits",
           "set_lead_days", "supply"]


@record
class SupplyView:
    """A patient's pills on hand (``forecast``), the pick-ups it counted (newest last) and ``as_of``
    (the local time it was computed at)."""

    patient_id: int
    as_of: datetime
    forecast: SupplyForecast
    pickups: tuple[StoredPickUp, ...]

    def to_json(self) -> dict[str, Any]:
        """``patient``, ``as_of``, the forecast's keys (see ``SupplyForecast.to_json``) and ``pickups``."""
        return {"patient": self.patient_id, "as_of": self.as_of.isoformat(timespec="minutes"),
                **self.forecast.to_json(), "pickups": [p.to_json() for p in self.pickups]}


def check_lead_days(value: Any) -> int:
    """The refill lead time (days) checked: a whole number from 0 to ``REFILL_LEAD_DAYS_MAX``; None
    gives the default ``settings.REFILL_LEAD_DAYS``."""
    if value is None:
        return settings.REFILL_LEAD_DAYS
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= settings.REFILL_LEAD_DAYS_MAX:
        raise JournalInputError(f"the refill lead time must be a whole number of days from 0 to "
                                f"{settings.REFILL_LEAD_DAYS_MAX}")
    return value


def pickup_limits() -> dict[int, int]:
    """Strength (mg) -> the largest plausible count of one pick-up (for forms and messages)."""
    return {s: max_pickup_count(s) for s in pill_strengths()}


def log_pickup(journal: Journal, patient_id: int, strength_mg: Any, count: Any, *,
               at: datetime | None = None) -> StoredPickUp:
    """Record that ``count`` pieces of ``strength_mg`` mg were collected at ``at`` (default now).

    Raises ``JournalInputError`` (nothing written) for a strength that is not a capsule or tablet of
    the knowledge base, an implausible count or a time in the future; ``UnknownPatientError``.
    """
    now = journal.clock()
    when = at if at is not None else now.replace(second=0, microsecond=0)
    data = validate_pickup(NewPickUp(when, strength_mg, count), now=now, tolerance=settings.FUTURE_TOLERANCE)
    journal.repo.get_patient(patient_id)
    return journal.repo.add_pickup(patient_id, data, recorded_at=now)


def delete_pickup(journal: Journal, patient_id: int, pickup_id: Any) -> StoredPickUp:
    """Remove a pick-up logged by mistake, for good, and return it as it was: from now on it is not
    counted (the pills on hand, the run-out date, the refill reminder and the calendar feed follow at
    their next read). The caller (CLI, API, page) checks access and writes the audit row.

    Raises ``UnknownPickUpError`` (nothing changed) when the patient has no pick-up with that id:
    another patient's, one deleted already, or an id no pick-up can have (not looked up).
    """
    from gabacare.journal.errors import UnknownPickUpError

    if not is_row_id(pickup_id):
        raise UnknownPickUpError(pickup_id)
    return journal.repo.delete_pickup(patient_id, pickup_id)


def patient_lead_days(journal: Journal, patient_id: int) -> int:
    """The patient's refill lead time (days): the one they chose, else ``settings.REFILL_LEAD_DAYS``."""
    chosen = journal.repo.get_refill_lead_days(patient_id)
    return settings.REFILL_LEAD_DAYS if chosen is None else chosen


def set_lead_days(journal: Journal, patient_id: int, days: Any) -> int:
    """Keep the patient's refill lead time (checked by :func:`check_lead_days`; None: back to the
    default); return the lead time now in force."""
    journal.repo.set_refill_lead_days(patient_id, None if days is None else check_lead_days(days))
    return patient_lead_days(journal, patient_id)


def supply(journal: Journal, patient_id: int, *, lead_days: Any = None, on: datetime | None = None) -> SupplyView:
    """Pills on hand now (or at ``on``), the run-out date, the refill reminder and the pick-up list.

    ``lead_days``: the reminder's lead time for this answer; None: the patient's own (see
    :func:`set_lead_days`), else the default ``settings.REFILL_LEAD_DAYS``."""
    lead = check_lead_days(lead_days) if lead_days is not None else patient_lead_days(journal, patient_id)
    now = on or journal.clock()
    since = now - timedelta(days=settings.SUPPLY_HISTORY_DAYS)
    ups = tuple(p for p in journal.repo.list_pickups(patient_id) if since <= p.data.picked_up_at)
    doses = journal.entries(patient_id, start=since.date(), end=now.date() + timedelta(days=1), kinds=["dose"])
    taken = [DoseEvent(e.at, float(e.data.mg or 0.0)) for e in doses
             if e.data.status in ("taken", "late") and e.at >= since]
    answered = {e.data.slot for e in doses if e.data.slot is not None}
    plans = journal.plans(patient_id)
    last = now.date() + timedelta(days=settings.SUPPLY_HORIZON_DAYS - 1)
    planned = [DoseEvent(d.at, d.mg) for d in scheduled_doses(plans, now.date(), last)
               if d.at >= now and d.at not in answered]
    list_until = now.date() + timedelta(days=settings.PICKUP_LIST_DAYS - 1)
    try:
        result = forecast([PickUp(p.data.picked_up_at, p.data.strength_mg, p.data.count) for p in ups],
                          taken, planned, lead_days=lead, list_until=list_until)
    except ClinicalInputError as exc:  # a stored row today's rules refuse (a strength since removed)
        raise JournalInputError(str(exc)) from None
    return SupplyView(patient_id, now.replace(second=0, microsecond=0), result, ups)


def reminder_day(view: SupplyView) -> date | None:
    """The day the calendar's refill reminder falls on: the reminder date, or today when it has passed."""
    r = view.forecast.refill_reminder
    return None if r is None else max(r, view.as_of.date())
