"""The withdrawal watch's headings are data, one per proposal (questionnaires.toml [taper_watch] titles)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from gabacare.knowledge.questionnaires import PROPOSALS, TaperWatch, load_questionnaires


def test_every_proposal_has_a_title() -> None:
    assert set(load_questionnaires().taper_watch.titles) == set(PROPOSALS)


def test_a_missing_or_unknown_title_fails_the_load() -> None:
    raw = load_questionnaires().taper_watch.model_dump()
    for titles in ({k: v for k, v in raw["titles"].items() if k != "hold"}, {**raw["titles"], "pause": "Pause"}):
        with pytest.raises(ValidationError, match="titles must name exactly the proposals"):
            TaperWatch.model_validate({**raw, "titles": titles})
