"""A journal with four weeks of a titration, a dose reduction, doses (some skipped or late), scores,
triggers, an expected and an emergency side effect, notes and a serum creatinine, on SQLite.

``facts`` records what was logged, so tests can compute the expected numbers on their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from gabacare.journal.model import PlanSpec
from gabacare.journal.services import Journal

START = date(2026, 6, 1)
END = date(2026, 6, 28)
NOW = datetime(2026, 6, 29, 9, 0)
NAME = "Maria Testpatient"
REDUCTION = date(2026, 6, 20)


@dataclass
class Facts:
    pid: int
    scheduled: int = 0
    taken: int = 0
    on_time: int = 0
    skipped: int = 0
    planned_by_day: dict[date, float] = field(default_factory=dict)
    taken_by_day: dict[date, float] = field(default_factory=dict)


def build_journal(db_url: str) -> tuple[Journal, Facts]:
    from gabacare.composition import repository

    j = Journal(repository(db_url), clock=lambda: NOW)
    pid = j.add_patient(NAME, birth_date=date(1958, 3, 14), sex="female", weight_kg=68).id
    j.set_plan(pid, PlanSpec(source="titrate", start=START, indication="postherpetic-neuralgia", target_mg=1800))
    j.set_plan(pid, PlanSpec(source="regimen", start=REDUCTION, regimen="400 mg TID"))
    facts = Facts(pid)
    day = START
    n = 0
    while day <= END:
        for dose in j.today(pid, on=day).doses:
            n += 1
            facts.scheduled += 1
            facts.planned_by_day[day] = facts.planned_by_day.get(day, 0.0) + dose.mg
            if n in (20, 21, 22, 40):  # a streak of three missed doses, then one more
                j.log_dose(pid, dose.mg, at=dose.at + timedelta(minutes=5), status="skipped")
                facts.skipped += 1
                continue
            late = n % 9 == 0
            j.log_dose(pid, dose.mg, at=dose.at + timedelta(minutes=100 if late else 10),
                       status="late" if late else "taken")
            facts.taken += 1
            facts.on_time += not late
            facts.taken_by_day[day] = facts.taken_by_day.get(day, 0.0) + dose.mg
        pain = max(1.0, 8.0 - 0.25 * (day - START).days)
        j.log_symptom(pid, "pain", pain, at=datetime.combine(day, time(19, 0)))
        if day.day % 3 == 0:
            j.log_symptom(pid, "sleep", 5.0 + (day.day % 4), at=datetime.combine(day, time(8, 30)))
        day += timedelta(days=1)
    j.log_trigger(pid, "cold weather", at=datetime(2026, 6, 5, 10, 0))
    j.log_trigger(pid, "Cold  weather", at=datetime(2026, 6, 12, 10, 0))
    j.log_trigger(pid, "long walk", at=datetime(2026, 6, 14, 10, 0))
    j.log_side_effect(pid, "dizziness", at=datetime(2026, 6, 4, 10, 0))
    j.log_side_effect(pid, "swollen lips", at=datetime(2026, 6, 22, 15, 30))
    for i, d in enumerate((3, 9, 15, 21, 25, 27)):
        j.log_note(pid, f"note number {i + 1}", at=datetime(2026, 6, d, 21, 30))
    j.log_lab(pid, "creatinine", 1.4, unit="mg/dL", at=datetime(2026, 6, 21, 9, 0))
    # Outside the period: must not count.
    j.log_side_effect(pid, "swollen tongue", at=datetime(2026, 5, 20, 9, 0))
    return j, facts


