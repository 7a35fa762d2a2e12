"""The demo `make run` serves: a titrating patient with a measured level, and a tapering patient with a
withdrawal flare that the watch turns into a proposal (issues 16 and 17)."""

from __future__ import annotations

from datetime import datetime

import pytest

from gabacare import composition
from gabacare.app.estimate import estimate_patient
from gabacare.app.questionnaires import taper_watch
from gabacare.journal.services import Journal
from gabacare.web.demo import seed_demo


@pytest.mark.parametrize("now", ["2026-12-06T00:30", "2026-12-05T07:30", "2026-12-05T22:30"])
def test_the_demo_has_a_measured_level_and_a_withdrawal_flare_whatever_the_hour(tmp_path, now: str) -> None:
    url = f"sqlite:///{tmp_path}/demo.db"
    moment = datetime.fromisoformat(now)
    try:
        seeded = seed_demo(url, now=moment)
        assert seeded.created and seeded.taper_patient_id is not None
        journal = Journal(composition.journal(url).repo, clock=lambda: moment)
        estimate = estimate_patient(journal, seeded.patient_id)
        assert estimate.levels and estimate.proposal is not None
        watch = taper_watch(journal, seeded.taper_patient_id).result
        assert watch is not None and watch.proposal == "step_back" and watch.evidence
        again = seed_demo(url, now=moment)
        assert not again.created and again.patient_id == seeded.patient_id  # idempotent
    finally:
        composition.close_stores()
