"""Demo data for ``make run``: one demo account owning two demo patients: one titrating, with three
weeks of journal, and one tapering, with a withdrawal flare after the latest step.

:func:`seed_demo` writes, relative to today: a titration plan for nerve-related muscle spasms that
started :data:`DEMO_DAYS` days ago, the doses of every day so far (most on time, a few late or
skipped), daily scores (spasm intensity, spasm count, sleep), a trigger, a side effect, a serum
creatinine, a measured gabapentin trough and a note. It is idempotent: when the demo account already owns a patient, nothing is
written. The account is for trying GabaCare on one's own machine only; its password is public.

Everything goes through the same services as the web app (``Accounts``, ``Journal``), so the demo
data is validated like anything a person would enter.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, Final

from gabacare._record import record

__all__ = ["DEMO_DAYS", "DEMO_EMAIL", "DEMO_PASSWORD", "DemoSeed", "seed_demo"]

DEMO_EMAIL: Final = "demo@gabacare.local"
DEMO_PASSWORD: Final = "demo-only-not-secret"
DEMO_NAME: Final = "Demo User"
DEMO_PATIENT: Final = "Sam Example (demo)"
DEMO_DAYS: Final = 21
"""How many days ago the demo titration started."""
DEMO_TAPER_PATIENT: Final = "Alex Example (demo, tapering)"
DEMO_TAPER_REGIMEN: Final = "300 mg TID"
"""The tapering demo patient's regimen before the taper (demo data)."""
DEMO_TAPER_STEADY_DAYS: Final = 14
DEMO_LEVEL_MG_PER_L: Final = 4.4
"""The demo patient's measured gabapentin trough (demo data, not a limit)."""


@record
class DemoSeed:
    """What :func:`seed_demo` found or wrote."""

    user_id: int
    patient_id: int
    created: bool
    doses: int
    scores: int
    taper_patient_id: int | None = None
    """The second demo patient (tapering, with a withdrawal flare), when it was created."""


def _score(day: int, start: float, end: float, wobble: float) -> float:
    """A score drifting from ``start`` to ``end`` over the demo, with a fixed day-to-day wobble."""
    frac = min(1.0, day / DEMO_DAYS)
    pattern = (0.0, 1.0, -1.0, 0.5, 0.0, -0.5, 1.0)
    value = start + (end - start) * frac + wobble * pattern[day % len(pattern)]
    return float(max(0, min(10, round(value))))


def seed_demo(db: str | None = None, *, now: datetime | None = None) -> DemoSeed:
    """Create the demo account and patient in the database ``db`` (default as the journal's) unless present.

    ``now`` (naive local time) fixes "today" for tests; by default the clock's.
    """
    from gabacare import composition
    from gabacare.journal.model import PlanSpec
    from gabacare.journal.services import Journal

    accounts = composition.accounts(db)
    journal = composition.journal(db)
    if now is not None:
        fixed = now
        journal = Journal(journal.repo, clock=lambda: fixed)
    moment = journal.clock().replace(microsecond=0)

    user = accounts.authenticate(DEMO_EMAIL, DEMO_PASSWORD)
    if user is None:
        user = accounts.sign_up(DEMO_EMAIL, DEMO_PASSWORD, DEMO_NAME)
    owned = accounts.patients_of(user)
    if owned:
        return DemoSeed(user.id, owned[0].id, False, 0, 0)

    patient = accounts.create_patient_for(user, DEMO_PATIENT, birth_date=date(moment.year - 58, 4, 12),
                                          sex="female", weight_kg=68.0)
    pid = patient.id
    first = moment.date() - timedelta(days=DEMO_DAYS)
    journal.set_plan(pid, PlanSpec("titrate", first, indication="spasticity"))

    doses = scores = 0
    for offset in range(DEMO_DAYS + 1):
        day = first + timedelta(days=offset)
        for n, due in enumerate(journal.today(pid, on=day).doses):
            if due.at + timedelta(hours=2) > moment:
                break
            k = offset * 3 + n
            if k % 11 == 7:  # now and then a dose is skipped...
                journal.log_dose(pid, due.mg, at=due.at, status="skipped")
            elif k % 9 == 4:  # ...or taken two hours late
                journal.log_dose(pid, due.mg, at=due.at + timedelta(hours=2), status="late")
            else:
                journal.log_dose(pid, due.mg, at=due.at + timedelta(minutes=(k % 5) * 6))
            doses += 1
        evening = datetime.combine(day, time(20, 30))
        if evening <= moment:
            journal.log_symptom(pid, "spasm_intensity", _score(offset, 7, 3, 1), at=evening)
            journal.log_symptom(pid, "spasm_count", float(max(0, 12 - offset // 2 + (offset % 3))), at=evening)
            journal.log_symptom(pid, "sleep", _score(offset, 6, 3, 1), at=evening)
            scores += 3
    journal.log_trigger(pid, "cold weather", at=datetime.combine(first + timedelta(days=9), time(16, 0)))
    journal.log_side_effect(pid, "dizziness", at=datetime.combine(first + timedelta(days=4), time(10, 0)))
    journal.log_lab(pid, "creatinine", 0.9, unit="mg/dL", at=datetime.combine(first + timedelta(days=14), time(9, 0)))
    # A measured trough (issue 17): drawn a quarter of an hour before the first dose, two days ago,
    # a little above what the typical patient would have, so `gabacare estimate` has something to read.
    level_day = moment.date() - timedelta(days=2)
    first_due = journal.today(pid, on=level_day).doses[0].at
    journal.log_lab(pid, "gabapentin", DEMO_LEVEL_MG_PER_L, unit="mg/L", at=first_due - timedelta(minutes=15))
    journal.log_note(pid, "Started the new dose step; a little drowsy in the afternoon.",
                     at=datetime.combine(first + timedelta(days=3), time(18, 0)))
    taper_pid, taper_doses, taper_scores = _tapering_patient(accounts, journal, user, moment)
    return DemoSeed(user.id, pid, True, doses + taper_doses, scores + taper_scores, taper_pid)


def _tapering_patient(accounts: Any, journal: Any, user: Any, moment: datetime) -> tuple[int, int, int]:
    """A second demo patient, coming off gabapentin, with a withdrawal flare after the latest step.

    Two weeks on a steady regimen, then a taper that started yesterday: since the step, a poor night
    and heavy sweating are logged and a GAD-7 is filled in, so the withdrawal watch proposes going back
    a step (Today page, report, share view, ``gabacare taper-watch``, the CDS patient-view card).
    """
    from gabacare.journal.model import PlanSpec

    patient = accounts.create_patient_for(user, DEMO_TAPER_PATIENT, birth_date=date(moment.year - 44, 9, 3),
                                          sex="male", weight_kg=81.0)
    pid = patient.id
    steady_from = moment.date() - timedelta(days=DEMO_TAPER_STEADY_DAYS)
    taper_from = moment.date() - timedelta(days=1)
    journal.set_plan(pid, PlanSpec("regimen", steady_from, regimen=DEMO_TAPER_REGIMEN))
    journal.set_plan(pid, PlanSpec("taper", taper_from, regimen=DEMO_TAPER_REGIMEN))
    doses = 0
    for offset in range(DEMO_TAPER_STEADY_DAYS + 1):
        for due in journal.today(pid, on=steady_from + timedelta(days=offset)).doses:
            if due.at + timedelta(hours=1) > moment:
                break
            journal.log_dose(pid, due.mg, at=due.at + timedelta(minutes=10))
            doses += 1
    # The flare: in the last few hours, so inside the watch window (from 12 h after yesterday's step,
    # label 5.5) whatever the time of day the demo is seeded.
    flare = [("insomnia", 6.0, 210), ("sweating", 8.0, 150), ("anxiety", 6.0, 90)]
    for scale, score, minutes_ago in flare:
        journal.log_symptom(pid, scale, score, at=moment - timedelta(minutes=minutes_ago))
    journal.log_note(pid, "Since the dose went down: awake half the night, soaked in sweat, on edge.",
                     at=moment - timedelta(minutes=60))
    scores = len(flare)
    return pid, doses, scores
