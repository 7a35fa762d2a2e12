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
