"""Which doses a patient's plans call for on given days (pure; no storage, no clock).

Rule: on a day, the plan in force is the most recently set plan (highest id) whose start is on or
before that day. A newly set plan thus replaces every earlier plan from its start date on, while
the days before it keep the plan that was in force then.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from gabacare.journal.model import ScheduledDose, StoredPlan

__all__ = ["days", "plan_in_force", "planned_daily_mg", "scheduled_doses"]


def days(start: date, end: date) -> list[date]:
    """Every date from ``start`` to ``end`` inclusive."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def plan_in_force(plans: Sequence[StoredPlan], day: date) -> StoredPlan | None:
    """The plan that governs ``day`` (None before the first plan starts)."""
    candidates = [p for p in plans if p.plan.start <= day]
    return max(candidates, key=lambda p: p.id) if candidates else None


def scheduled_doses(plans: Sequence[StoredPlan], start: date, end: date) -> list[ScheduledDose]:
    """Every dose due from ``start`` to ``end`` inclusive, in time order."""
    out: list[ScheduledDose] = []
    for day in days(start, end):
        plan = plan_in_force(plans, day)
        if plan is not None:
            out.extend(plan.plan.doses_on(day))
    return sorted(out, key=lambda d: d.at)


def planned_daily_mg(plans: Sequence[StoredPlan], start: date, end: date) -> dict[date, float]:
    """Planned mg per day (0 where no plan is in force or a taper has ended)."""
    totals = dict.fromkeys(days(start, end), 0.0)
    for dose in scheduled_doses(plans, start, end):
        totals[dose.at.date()] += dose.mg
    return totals
