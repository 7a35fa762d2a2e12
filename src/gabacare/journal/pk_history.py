"""A patient's own logged doses through the PK simulator ("what did my levels look like?").

Reads the journal's taken and late doses (skipped doses are simply absent), takes midnight of the
first day as t = 0, and simulates with the patient's CrCl: the one given, else Cockcroft-Gault from
the latest serum creatinine in the journal and the patient's profile, else the knowledge base's
reference CrCl for normal kidney function, said plainly in ``crcl_source`` and ``warnings``.

Handles patient data: nothing here logs; errors name the rule, never the values.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from gabacare._record import record
from gabacare.journal.errors import JournalInputError
from gabacare.journal.services import Journal

__all__ = ["PatientSimulation", "hours_since", "patient_crcl", "simulate_patient"]

SECONDS_PER_HOUR = 3600.0  # unit conversion


@record
class PatientSimulation:
    """The simulation of a patient's logged doses and where its inputs came from."""

    simulation: Any  # gabacare.pk.Simulation (typed loosely: NumPy stays out of module import)
    patient_id: int
    origin: datetime
    doses: int
    crcl_ml_min: float
    crcl_source: str
    warnings: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            **self.simulation.to_json(),
            "patient_id": self.patient_id,
            "origin": self.origin.isoformat(timespec="minutes"),
            "doses_logged": self.doses,
            "crcl_ml_min": round(self.crcl_ml_min, 1),
            "crcl_source": self.crcl_source,
            "warnings": list(self.warnings),
        }


def simulate_patient(
    journal: Journal,
    patient_id: int,
    *,
    crcl: float | None = None,
    start: date | None = None,
    end: date | None = None,
    step_h: float | None = None,
) -> PatientSimulation:
    """Simulate the concentration curve of a patient's logged doses (mg/L over hours from ``origin``).

    Raises ``JournalInputError`` when the patient has no taken doses in the period.
    """
    from gabacare.pk.model import simulate_doses

    lo = datetime.combine(start, time(0, 0)) if start else None
    hi = datetime.combine(end + timedelta(days=1), time(0, 0)) if end else None
    events = journal.dose_events(patient_id, start=lo, end=hi)
    if not events:
        raise JournalInputError("no taken doses logged for this patient in the period: nothing to simulate")
    origin = lo or datetime.combine(events[0][0].date(), time(0, 0))
    last_day = (hi or datetime.combine(events[-1][0].date() + timedelta(days=1), time(0, 0)))
    end_h = hours_since(origin, last_day)
    value, source, warnings = patient_crcl(journal, patient_id, crcl)
    doses = [(hours_since(origin, at), mg) for at, mg in events]
    sim = simulate_doses(doses, crcl=value, end_h=end_h, step_h=step_h)
    return PatientSimulation(sim, patient_id, origin, len(events), round(float(value), 1), source, warnings)


def hours_since(origin: datetime, at: datetime) -> float:
    """Hours from ``origin`` to ``at`` (the PK engine's time axis)."""
    return (at - origin).total_seconds() / SECONDS_PER_HOUR


def patient_crcl(journal: Journal, patient_id: int, crcl: float | None) -> tuple[float, str, tuple[str, ...]]:
    """The CrCl (mL/min) a patient's curve or estimate uses, where it came from, and any warning.

    The one given; else Cockcroft-Gault from the journal's latest creatinine and the profile
    (:meth:`Journal.kidney_function`); else the knowledge base's reference CrCl for normal kidney
    function (``[pk].reference_crcl_ml_min``), with a warning that says so.
    """
    from gabacare.knowledge import load_monograph

    if crcl is not None:
        return crcl, "given", ()
    kidney = journal.kidney_function(patient_id)  # the one "latest CrCl from the journal" rule
    if kidney.crcl_ml_min is not None:
        return kidney.crcl_ml_min, "journal creatinine (Cockcroft-Gault)", ()
    ref = load_monograph().pk.reference_crcl_ml_min
    return ref, "reference (no creatinine in the journal)", (
        f"No usable creatinine in the journal: normal kidney function is assumed (CrCl {ref:g} mL/min). "
        "Log a creatinine for figures that fit this patient.",)
