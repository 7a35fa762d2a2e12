"""A plan spec's source is checked however the spec is made (it once fell through to a taper)."""

from __future__ import annotations

from datetime import date

import pytest

from gabacare.journal.errors import JournalInputError
from gabacare.journal.model import PlanSpec


@pytest.mark.parametrize("source", ["maintenance", "Taper", "", "titration"])
def test_an_unknown_source_is_refused_when_built_and_when_read(source: str) -> None:
    with pytest.raises(JournalInputError, match="regimen, titrate or taper"):
        PlanSpec(source, date(2026, 1, 1), regimen="300 mg TID")  # type: ignore[arg-type]
    with pytest.raises(JournalInputError, match="regimen, titrate or taper"):
        PlanSpec.from_dict({"source": source, "start": "2026-01-01"})


@pytest.mark.parametrize("source", ["regimen", "titrate", "taper"])
def test_the_three_sources_round_trip(source: str) -> None:
    spec = PlanSpec(source, date(2026, 1, 1), regimen="300 mg TID")  # type: ignore[arg-type]
    assert PlanSpec.from_dict(spec.to_dict()) == spec


def test_a_planner_choice_keeps_only_the_options_of_its_kind() -> None:
    # One function for every face (CLI, API, plan page, planners): a taper never carries a titration's
    # indication, a steady regimen never a creatinine clearance.
    options = {"regimen": "300 mg BID", "indication": "postherpetic neuralgia", "target_mg": 1800.0,
               "from_regimen": "600 mg TID", "risk": "high", "step_mg": 300.0, "crcl_ml_min": 45.0,
               "weight_kg": 70.0, "age_years": 71.0}
    day = date(2026, 1, 1)
    assert PlanSpec.from_choice("regimen", day, **options) == PlanSpec("regimen", day, regimen="300 mg BID")  # type: ignore[arg-type]
    assert PlanSpec.from_choice("titrate", day, **options) == PlanSpec(  # type: ignore[arg-type]
        "titrate", day, indication="postherpetic neuralgia", target_mg=1800.0, crcl_ml_min=45.0, weight_kg=70.0,
        age_years=71.0)
    assert PlanSpec.from_choice("taper", day, **options) == PlanSpec(  # type: ignore[arg-type]
        "taper", day, regimen="600 mg TID", risk="high", step_mg=300.0, crcl_ml_min=45.0)
    with pytest.raises(JournalInputError, match="choose a titration, a taper or a steady regimen"):
        PlanSpec.from_choice("maintenance", day, regimen="300 mg BID")
