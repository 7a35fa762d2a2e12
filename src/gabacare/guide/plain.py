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

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from functools import cache
from typing import Any

from gabacare.knowledge.plain import PlainCitation

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


@dataclass(frozen=True)
class AskParagraph:
    """A rendered paragraph of a topic and its citations."""

    text: str
    citations: tuple[AskCitation, ...]


@dataclass(frozen=True)
class AskTopic:
    """A topic ready to show (the guide's ``GuideText``); ``text`` is its paragraphs' text as one."""

    id: str
    title: str
    summary: str
    terms: tuple[str, ...]
    examples: tuple[str, ...]
    paragraphs: tuple[AskParagraph, ...]
    text: str


@dataclass(frozen=True)
class AskAlternative:
    """A comparator's names: the drug, its brands and the name the interaction engine knows it by."""

    drug: str
    brands: tuple[str, ...]
    interaction_name: str | None


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class AskCues:
    """The guide's general-question cues (``GeneralQuestionCues``) without their citations."""

    general: tuple[str, ...]
    now: tuple[str, ...]
    refers_back: tuple[str, ...]


@dataclass(frozen=True)
class AskTopicModel:
    """``topic_model.toml``'s numbers (``TopicModel``): ``weights`` is dimensions x topics."""

    topics: tuple[str, ...]
    dimensions: int
    weights: tuple[tuple[float, ...], ...]
    bias: tuple[float, ...]
    weight: float


@dataclass(frozen=True)
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
    as JSON types (what the cache keeps)."""
    from gabacare.knowledge.guide_data import load_guide
    from gabacare.knowledge.language import load_topic_model
    from gabacare.knowledge.monograph import load_monograph
    from gabacare.serialize import citation_json

    guide, m, model = load_guide(), load_monograph(), load_topic_model()
    search_fields = [f.name for f in fields(AskSearch)]
    search = {n: _json_value(getattr(guide.search, n)) for n in search_fields}
    cues = guide.general_cues
    return {
        "topics": [{"id": t.id, "title": t.title, "summary": t.summary, "terms": list(t.terms), "examples": list(t.examples),
                    "paragraphs": [{"text": p.text, "citations": [citation_json(c) for c in p.citations]} for p in t.paragraphs],
                    "text": t.text} for t in guide.topics],
        "alternatives": [{"drug": a.drug, "brands": list(a.brands), "interaction_name": a.interaction_name}
                         for a in guide.alternatives],
        "stopwords": sorted(guide.stopwords),
        "search": search,
        "general_cues": {"general": list(cues.general), "now": list(cues.now), "refers_back": list(cues.refers_back)},
        "self_names": [m.drug.name, *m.drug.brands],
        "inert_classes": sorted(c.id for c in m.interaction_classes if c.severity == "none"),
        "notice_text": m.notice_text,
        "topic_model": {"topics": list(model.topics), "dimensions": model.dimensions,
                        "weights": [list(row) for row in model.weights], "bias": list(model.bias), "weight": model.weight},
    }


def _json_value(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Mapping):
        return dict(value)
    return value


# --- from JSON ------------------------------------------------------------------------------------
def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a text, got {type(value).__name__}")
    return value


def _opt_str(value: Any) -> str | None:
    return None if value is None else _str(value)


def _strs(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return tuple(_str(v) for v in value)


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    return value


def _float(value: Any) -> float:
    # A float field keeps its type through JSON (``0.0``, not ``0``): anything else is damage.
    if not isinstance(value, float):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    return value


def _floats(value: Any) -> tuple[float, ...]:
    # (the topic model's ~4,000 numbers: one pass over the list, not a call per number)
    if not isinstance(value, list) or not all(type(v) is float for v in value):
        raise TypeError("expected a list of numbers")
    return tuple(value)


def _table(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise TypeError(f"expected a table, got {type(value).__name__}")
    return {_str(k): _str(v) for k, v in value.items()}


def _dict(value: Any, keys: Sequence[str]) -> dict[str, Any]:
    if not isinstance(value, dict) or set(value) != set(keys):
        raise ValueError(f"expected the fields {sorted(keys)}")
    return value


#: How each search setting is read back: by the type its field declares.
_SEARCH_READERS: dict[str, Callable[[Any], Any]] = {"float": _float, "int": _int, "str": _str, "str | None": _opt_str,
                                                  "tuple[str, ...]": _strs, "dict[str, str]": _table}


def _citation(value: Any) -> AskCitation:
    c = _dict(value, ("source", "section", "text", "title", "url"))
    return AskCitation(_str(c["source"]), _opt_str(c["section"]), _str(c["text"]), _opt_str(c["title"]), _opt_str(c["url"]))


def _topic(value: Any) -> AskTopic:
    t = _dict(value, ("id", "title", "summary", "terms", "examples", "paragraphs", "text"))
    if not isinstance(t["paragraphs"], list):
        raise TypeError("paragraphs: expected a list")
    paragraphs = []
    for raw in t["paragraphs"]:
        p = _dict(raw, ("text", "citations"))
        if not isinstance(p["citations"], list):
            raise TypeError("citations: expected a list")
        paragraphs.append(AskParagraph(_str(p["text"]), tuple(_citation(c) for c in p["citations"])))
    return AskTopic(_str(t["id"]), _str(t["title"]), _str(t["summary"]), _strs(t["terms"]), _strs(t["examples"]),
                    tuple(paragraphs), _str(t["text"]))


def from_json(value: Any) -> AskData:
    """:class:`AskData` from :func:`build_json`'s values; ``TypeError`` or ``ValueError`` for anything
    of another shape."""
    d = _dict(value, ("topics", "alternatives", "stopwords", "search", "general_cues", "self_names", "inert_classes",
                      "notice_text", "topic_model"))
    if not isinstance(d["topics"], list) or not isinstance(d["alternatives"], list):
        raise TypeError("topics, alternatives: expected lists")
    alternatives = []
    for raw in d["alternatives"]:
        a = _dict(raw, ("drug", "brands", "interaction_name"))
        alternatives.append(AskAlternative(_str(a["drug"]), _strs(a["brands"]), _opt_str(a["interaction_name"])))
    s = _dict(d["search"], [f.name for f in fields(AskSearch)])
    search = AskSearch(**{f.name: _SEARCH_READERS[str(f.type)](s[f.name]) for f in fields(AskSearch)})
    c = _dict(d["general_cues"], ("general", "now", "refers_back"))
    tm = _dict(d["topic_model"], ("topics", "dimensions", "weights", "bias", "weight"))
    if not isinstance(tm["weights"], list):
        raise TypeError("weights: expected a list")
    model = AskTopicModel(_strs(tm["topics"]), _int(tm["dimensions"]), tuple(_floats(row) for row in tm["weights"]),
                          _floats(tm["bias"]), _float(tm["weight"]))
    return AskData(tuple(_topic(t) for t in d["topics"]), tuple(alternatives), frozenset(_strs(d["stopwords"])), search,
                   AskCues(_strs(c["general"]), _strs(c["now"]), _strs(c["refers_back"])), _strs(d["self_names"]),
                   frozenset(_strs(d["inert_classes"])), _str(d["notice_text"]), model)


def _key_files() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The data files and the code the values come from: the guide's files (which include the
    monograph's and ``sources.toml``) and the topic model's; the modules that validate and read them,
    the cache's code, the citations' JSON and pydantic's version."""
    from gabacare import serialize
    from gabacare.knowledge import cache, files, plain

    data = (*files.guide_files(), "topic_model.toml")
    code = (__file__, plain.__file__, *(files.code_file(m) for m in ("guide_data", "monograph", "language", "files")),
            cache.__file__, serialize.__file__, files.pydantic_version_file())
    return data, code


@cache
def ask_data() -> AskData:
    """:class:`AskData` for the current knowledge base: from the cache directory when it holds the
    values for these data files and this code, else read from the validated models (and kept for the
    next process). A cached file of another shape is not used (the validated models are read)."""
    from gabacare.knowledge.cache import derived

    data, code = _key_files()
    try:
        return from_json(derived(_NAME, data, code, build_json))
    except (TypeError, ValueError, KeyError, AttributeError):
        return from_json(build_json())
