"""The doctor's report use case: the report over a period, with the withdrawal watch when a taper
step is being watched, the same for the CLI (``gabacare report``) and the web (report downloads).

The report itself is built by :func:`gabacare.reports.doctor_report.build_report`; the watch by
:func:`gabacare.app.questionnaires.taper_watch`. Both read the same journal; nothing is written.

>>> from datetime import date, datetime
>>> from gabacare.journal import InMemoryJournalRepository, Journal, PlanSpec
>>> now = datetime(2026, 3, 20, 12, 0)
>>> j = Journal(InMemoryJournalRepository(), lambda: now)
>>> pid = j.add_patient("Ada").id
>>> _ = j.set_plan(pid, PlanSpec("taper", date(2026, 3, 19), regimen="300 mg TID"))
>>> r = doctor_report(j, pid, start=date(2026, 3, 13), end=date(2026, 3, 20), now=now)
>>> (r.watch.proposal, r.to_json()["watch"]["proposal"])
('continue', 'continue')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gabacare.journal.services import Journal
    from gabacare.reports.doctor_report import DoctorReport

__all__ = ["doctor_report"]


def doctor_report(journal: Journal, patient_id: int, *, start: date, end: date, now: datetime,
                  medicines: Sequence[str] = ()) -> DoctorReport:
    """The report for ``start``..``end`` (inclusive) as of ``now`` (naive local time), with the watch.

    Raises the journal's errors (unknown patient, a period the journal refuses) unchanged.
    """
    from gabacare.app.estimate import measured_estimate
    from gabacare.app.questionnaires import taper_watch
    from gabacare.journal.refills import supply
    from gabacare.reports.doctor_report import build_report

    report = build_report(journal, patient_id, start=start, end=end, now=now, medicines=medicines)
    levels, _why = measured_estimate(journal, patient_id)
    return replace(report, watch=taper_watch(journal, patient_id).result, levels=levels,
                   supply=supply(journal, patient_id, on=now))
