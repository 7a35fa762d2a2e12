"""What :func:`gabacare.guide.ask.ask` reads of the knowledge base, as plain values.

The guide, the monograph and the topic model are validated pydantic models; importing pydantic and
building their model classes costs a new process ~0.1 s, more than everything else a warm ``gabacare
ask`` does. The values ``ask`` reads of them (the topics with their rendered paragraphs and
citations, the search settings, the question cues, the comparators' names, the medicine's own names,
the classes that do not interact, the notice and the topic model's numbers) are therefore taken from
the validated models once per version of their data files and code, kept as JSON in the cache
directory (:func:`gabacare.knowledge.cache.derived`), and read back into the small frozen dataclasses
below: a process that finds them imports no pydantic. They are copies, never a second source: each
value is read from the validated model (:func:`build_json`), the citations as
:func:`gabacare.serialize.citation_json` writes them, and ``tests/unit/guide/test_ask_plain.py``
holds that every field equals the model's. A cached file of another shape (damage) is not used: the
values are then taken from the validated models, as without a cache.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from gabacare._record import record
from gabacare.knowledge.plain import PlainCitation, mirror_json
from gabacare.knowledge.plain import from_json as plain_from_json

__all__ = [
    "AskAlternative",
    "AskCitation",
    "AskCues",
    "AskData",
    "AskParagraph",
    "AskSearch",
    "AskTopic",
    "AskTopicModel",
    "ask_data",
    "build_json",
    "from_json",
]

_NAME = "ask-plain"


#: A citation as the answer shows it: one class with the triage's (:mod:`gabacare.knowledge.plain`).
AskCitation = PlainCitation


@record
class AskParagraph:
    """A rendered paragraph of a topic and its citations."""

    text: str
    citations: tuple[AskCitation, ...]


@record
class AskTopic:
    """A topic ready to show (the guide's ``GuideText``); ``text`` is its paragraphs' text as one."""

    id: str
    title: str
    summary: str
    terms: tuple[str, ...]
    examples: tuple[str, ...]
    paragraphs: tuple[AskParagraph, ...]
    text: str


@record
class AskAlternative:
    """A comparator's names: the drug, its brands and the name the interaction engine knows it by."""

    drug: str
    brands: tuple[str, ...]
    interaction_name: str | None


@record
class AskSearch:
    """The guide's ``[search]`` settings (``SearchSettings``), every field but its citations."""

    weight_title: float
    weight_terms: float
    weight_summary: float
    weight_body: float
    min_score: float
    relative_cutoff: float
    max_answers: int
    max_question_chars: int
    typo_min_length: int
    typo_two_edits_min_length: int
    no_answer_message: str
    emergency_message: str
    semantic_weight: float
    keyword_half_score: float
    semantic_components_removed: int
    min_combined: float
    min_keyword_alone: float
    older_age_years: int
    older_age_words: str
    min_semantic_alone: float
    relative_cutoff_combined: float
    anchors: tuple[str, ...]
    min_combined_unanchored: float
    triage_topic_boost: float
    triage_topics: dict[str, str]
    emergency_topic: str | None
    class_topic_boost: float
    class_topics: dict[str, str]
    off_topic_examples: tuple[str, ...]
    off_topic_margin: float


@record
class AskCues:
    """The guide's general-question cues (``GeneralQuestionCues``) without their citations."""

    general: tuple[str, ...]
    now: tuple[str, ...]
    refers_back: tuple[str, ...]


@record
class AskTopicModel:
    """``topic_model.toml``'s numbers (``TopicModel``): ``weights`` is dimensions x topics."""

    topics: tuple[str, ...]
    dimensions: int
    weights: tuple[tuple[float, ...], ...]
    bias: tuple[float, ...]
    weight: float


@record
class AskData:
    """Everything ``ask`` reads of the knowledge base.

    ``self_names`` are the monograph's drug name and brands (the medicine itself, read as "it");
    ``inert_classes`` the interaction classes of severity ``none``; ``notice_text`` the monograph's
    notice."""

    topics: tuple[AskTopic, ...]
    alternatives: tuple[AskAlternative, ...]
    stopwords: frozenset[str]
    search: AskSearch
    general_cues: AskCues
    self_names: tuple[str, ...]
    inert_classes: frozenset[str]
    notice_text: str
    topic_model: AskTopicModel

    def topic(self, topic_id: str) -> AskTopic:
        """A topic by id; ``KeyError`` for another id."""
        for t in self.topics:
            if t.id == topic_id:
                return t
        raise KeyError(f"unknown topic {topic_id!r}")


# --- from the validated models ------------------------------------------------------------------
def build_json() -> dict[str, Any]:
    """The values :class:`AskData` holds, read from the validated guide, monograph and topic model,
    as JSON types (what the cache keeps): each field that mirrors a model's attribute is read by the
    one generic reader of the knowledge base's plain copies (:func:`gabacare.knowledge.plain.mirror_json`)."""
    from gabacare.knowledge.guide_data import load_guide
    from gabacare.knowledge.language import load_topic_model
    from gabacare.knowledge.monograph import load_monograph

    guide, m, model = load_guide(), load_monograph(), load_topic_model()
    hints = _field_types()
    return {
        "topics": mirror_json(guide.topics, hints["topics"]),
        "alternatives": mirror_json(guide.alternatives, hints["alternatives"]),
        "stopwords": mirror_json(frozenset(guide.stopwords), hints["stopwords"]),
        "search": mirror_json(guide.search, hints["search"]),
        "general_cues": mirror_json(guide.general_cues, hints["general_cues"]),
        "self_names": [m.drug.name, *m.drug.brands],
        "inert_classes": sorted(c.id for c in m.interaction_classes if c.severity == "none"),
        "notice_text": m.notice_text,
        "topic_model": mirror_json(model, hints["topic_model"]),
    }


def _field_types() -> dict[str, Any]:
    """:class:`AskData`'s field types, resolved (this module writes them as strings)."""
    import typing

    return typing.get_type_hints(AskData, globals())


# --- from JSON ------------------------------------------------------------------------------------
def from_json(value: Any) -> AskData:
    """:class:`AskData` from :func:`build_json`'s values; ``TypeError`` or ``ValueError`` for anything
    of another shape (read by :func:`gabacare.knowledge.plain.from_json`, driven by the field types)."""
    return plain_from_json(AskData, value)


def _key_files() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The data files the values come from, the guide's (which include the monograph's and
    ``sources.toml``) and the topic model's, and the code that validates and reads them (with the
    code :func:`gabacare.knowledge.plain.cached_mirror` adds)."""
    from gabacare.knowledge import files

    data = (*files.guide_files(), "topic_model.toml")
    return data, (__file__, *(files.code_file(m) for m in ("guide_data", "monograph", "language", "files")))


@cache
def ask_data() -> AskData:
    """:class:`AskData` for the current knowledge base: from the cache directory when it holds the
    values for these data files and this code, else read from the validated models (and kept for the
    next process). A cached file of another shape is not used (the validated models are read)."""
    from gabacare.knowledge.plain import cached_mirror

    return cached_mirror(AskData, _NAME, *_key_files(), build_json)
