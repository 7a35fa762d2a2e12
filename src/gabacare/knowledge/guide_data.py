"""Typed, validated view of the patient-guide data: topic pages, alternatives and search vocabulary.

Files (all under ``knowledge/data/``)::

    topics/<id>.toml    one patient topic: title, summary, search terms, example questions in
                        patients' words (matched by meaning, never shown), cited paragraphs
    alternatives.toml   comparators per indication group, and the counselling facts ([facts.*])
                        the topics need that gabapentin.toml does not hold
    synonyms.toml       the words patients use -> the words the topics use, stop words,
                        search settings, the "ask your pharmacist" message and the cues that tell
                        a general question from a symptom happening now (gabacare-policy)

Topic text never types a number. A number is a placeholder naming a fact of the knowledge base:
``{limits.max_daily_mg}`` (a dotted path into :class:`~gabacare.knowledge.monograph.Monograph`;
a tuple is indexed by position or by its members' ``id``/``level``) or ``{facts.storage.room_max_c}``
(a counselling fact of ``alternatives.toml``). An optional filter converts units:
``|days`` (hours -> days), ``|pct`` (fraction -> percent), ``|list`` ("a, b and c"). Loading
fails on any digit outside a placeholder, an unknown path, a fact marked ``verified = false``, an
unknown source, a missing topic or a topic file that is not listed.

Errors::

    KnowledgeBaseError      (from monograph) any of the above; raised by :func:`load_guide`
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from gabacare.knowledge.files import MONOGRAPH_FILES, guide_files, read_toml
from gabacare.knowledge.monograph import (
    Citation,
    KnowledgeBaseError,
    Monograph,
    _Cited,
    _walk_source_ids,
    load_monograph,
)

__all__ = [
    "TOPIC_IDS",
    "Alternative",
    "AlternativeGroup",
    "FactGroup",
    "GeneralQuestionCues",
    "Guide",
    "GuideText",
    "Paragraph",
    "RenderedParagraph",
    "SearchSettings",
    "Synonym",
    "Topic",
    "build_guide",
    "guide_cited_source_ids",
    "load_guide",
    "render_template",
    "resolve_fact",
]

#: The topic ids of the ``ask`` contract (docs/cli-contract.md), in reading order.
TOPIC_IDS: tuple[str, ...] = (
    "how-it-works", "dosing", "missed-dose", "stopping", "side-effects", "emergencies", "alcohol-and-sedatives",
    "driving", "kidneys", "food-and-antacids", "pregnancy-and-breastfeeding", "storage", "misuse", "older-adults",
    "overdose", "alternatives",
)

Line = Literal["first", "second", "third", "specialist", "not-recommended"]
Level = Literal["low", "moderate", "high"]

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_.+\-]*)(?:\|([a-z]+))?\}")
_FILTERS = ("days", "pct", "list")


class _Frozen(BaseModel):
    # Validators are built on first validation only: a process that reads the guide from the cache
    # (:func:`load_guide`) never validates, and building them cost every ``gabacare ask`` ~20 ms.
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


# --- counselling facts ------------------------------------------------------------------------
class FactGroup(_Cited):
    """Numbers (and short lists) one source gives, e.g. storage temperatures from label §16.

    ``verified = false`` marks facts the references could not confirm: they are kept for review
    but a topic may not render them.
    """

    values: dict[str, int | float | str | tuple[str, ...]]
    verified: bool = True
    note: str = ""


# --- alternatives -------------------------------------------------------------------------------
class AlternativeGroup(_Cited):
    """A comparison group (``spasticity``, ``neuropathic-pain``, ``anxiety``) and what resolves to it."""

    id: str
    title: str
    indications: tuple[str, ...] = Field(min_length=1)
    note: str


class Alternative(_Cited):
    """One comparator in one group. ``line`` is the guideline's rank, cited by ``line_sources``;
    an option no guideline ranks has ``ranked = false`` (its ``line`` then only orders the table)."""

    group: str
    drug: str
    brands: tuple[str, ...] = ()
    drug_class: str
    how_it_works: str
    line: Line
    ranked: bool = True
    line_note: str
    line_sources: tuple[str, ...] = Field(min_length=1)
    onset: str | None = None
    dependence_risk: Level
    dependence_note: str
    renal_adjustment: bool
    renal_note: str
    interaction_name: str | None = None
    with_gabapentin: str | None = None
    common_side_effects: tuple[str, ...] = Field(min_length=1)
    serious_risks: tuple[str, ...] = ()
    unverified: tuple[Literal["onset", "renal_adjustment", "dependence_risk", "with_gabapentin"], ...] = ()

    @property
    def line_citations(self) -> tuple[Citation, ...]:
        return tuple(Citation(source=s) for s in self.line_sources)


# --- search vocabulary --------------------------------------------------------------------------
class Synonym(_Frozen):
    """Patient phrases that mean ``to`` (words the topics use, or a medicine name such as alcohol).

    The person's own words are kept beside ``to`` unless ``replace`` is set: "forgetful" must not
    also search for "forget" (the missed-dose topic's word) once it has been read as memory.
    """

    to: str
    phrases: tuple[str, ...] = Field(min_length=1)
    replace: bool = False

    @field_validator("phrases")
    @classmethod
    def _no_digits(cls, phrases: tuple[str, ...]) -> tuple[str, ...]:
        # Questions are matched word by word and digits are not words: "over 65" would mean "over".
        bad = [p for p in phrases if re.search(r"\d", p)]
        if bad:
            raise ValueError(f"a phrase cannot hold digits (they are not matched): {bad}")
        return phrases


class SearchSettings(_Cited):
    """Ranking and matching choices (gabacare-policy): bm25 column weights, cut-offs, edit distances."""

    weight_title: float = Field(gt=0)
    weight_terms: float = Field(gt=0)
    weight_summary: float = Field(gt=0)
    weight_body: float = Field(gt=0)
    min_score: float = Field(ge=0)
    relative_cutoff: float = Field(gt=0, le=1)
    max_answers: int = Field(ge=1, le=16)
    max_question_chars: int = Field(ge=20, le=10000)
    typo_min_length: int = Field(ge=3)
    typo_two_edits_min_length: int = Field(ge=4)
    no_answer_message: str
    emergency_message: str
    # Hybrid ranking (keywords + meaning); see synonyms.toml for what each one does.
    semantic_weight: float = Field(ge=0, le=1)
    keyword_half_score: float = Field(gt=0)
    semantic_components_removed: int = Field(ge=0, le=8)
    min_combined: float = Field(ge=0, le=1)
    min_keyword_alone: float = Field(gt=0)
    older_age_years: int = Field(ge=18, le=120)
    older_age_words: str = Field(min_length=1)
    min_semantic_alone: float = Field(ge=0, le=1)
    relative_cutoff_combined: float = Field(gt=0, le=1)
    # Off-topic questions: words that tie a question to the medicine ("it", "my tablets"), and the
    # stricter combined score a question without any of them (nor a medicine the guide covers)
    # needs. See synonyms.toml.
    anchors: tuple[str, ...] = ()
    min_combined_unanchored: float = Field(default=0.0, ge=0, le=1)
    # A symptom happening now that the triage reads as an emergency raises the topic that answers
    # it: `triage_topics` maps an effect id to its topic, any other emergency goes to `emergency_topic`.
    triage_topic_boost: float = Field(default=0.0, ge=0, le=1)
    triage_topics: dict[str, str] = Field(default_factory=dict)
    emergency_topic: str | None = None
    # A question that names alcohol or another sedative ("can grandad have his whisky", "with my
    # amitriptyline") raises the topic about that class by `class_topic_boost`: class id -> topic.
    class_topic_boost: float = Field(default=0.0, ge=0, le=1)
    class_topics: dict[str, str] = Field(default_factory=dict)
    # Questions about other things (pets, colds, travel, other medicines alone), compared by meaning:
    # an unanchored question closer to one of them than to every topic's texts, by `off_topic_margin`,
    # gets no answer.
    off_topic_examples: tuple[str, ...] = ()
    off_topic_margin: float = Field(default=0.0, ge=-1, le=1)


class GeneralQuestionCues(_Cited):
    """Phrases that mark a clause as a general question ("can it cause ...", "what happens if ..."),
    not a symptom happening now, and the words that say it is happening now after all.

    A clause is general when it holds a ``general`` phrase and, once that phrase is taken out, none
    of the ``now`` phrases ("right now", "i've got", "like this"). Only the other clauses go to
    the symptom triage, and the whole question when one of them only points back at a general one
    (``refers_back``: "does it make your tongue swell? mine is swelling now"). When in doubt, triage.
    """

    general: tuple[str, ...] = Field(min_length=1)
    now: tuple[str, ...] = ()
    refers_back: tuple[str, ...] = ()


# --- topics -----------------------------------------------------------------------------------
class Paragraph(_Cited):
    """A paragraph of topic text (with ``{path}`` placeholders) and the sources it rests on."""

    text: str = Field(min_length=1)


class Topic(_Frozen):
    id: str
    title: str
    summary: str
    terms: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    paragraphs: tuple[Paragraph, ...] = Field(min_length=1)


class RenderedParagraph(_Frozen):
    """A paragraph with its numbers filled in from the knowledge base; citations include the facts'."""

    text: str
    citations: tuple[Citation, ...]
    facts: tuple[str, ...]


class GuideText(_Frozen):
    """A topic ready to show: rendered summary and paragraphs."""

    id: str
    title: str
    summary: str
    terms: tuple[str, ...]
    paragraphs: tuple[RenderedParagraph, ...]
    examples: tuple[str, ...] = ()

    @property
    def citations(self) -> tuple[Citation, ...]:
        return tuple(dict.fromkeys(c for p in self.paragraphs for c in p.citations))

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.paragraphs)


class Guide(_Frozen):
    """Everything the patient guide reads, validated against the monograph."""

    topics: tuple[GuideText, ...]
    groups: tuple[AlternativeGroup, ...]
    alternatives: tuple[Alternative, ...]
    facts: dict[str, FactGroup]
    synonyms: tuple[Synonym, ...]
    stopwords: frozenset[str]
    search: SearchSettings
    general_cues: GeneralQuestionCues

    def topic(self, topic_id: str) -> GuideText:
        """A topic by id; ``KeyError`` names the known ids."""
        for t in self.topics:
            if t.id == topic_id:
                return t
        raise KeyError(f"unknown topic {topic_id!r}; known: {', '.join(TOPIC_IDS)}")

    def group(self, group_id: str) -> AlternativeGroup:
        for g in self.groups:
            if g.id == group_id:
                return g
        raise KeyError(group_id)

    def options(self, group_id: str) -> tuple[Alternative, ...]:
        return tuple(a for a in self.alternatives if a.group == group_id)


# --- templates --------------------------------------------------------------------------------
def _fmt_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _apply(value: Any, flt: str | None, path: str) -> str:
    if flt is None:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise KnowledgeBaseError(f"placeholder {{{path}}} is not a number or text (use |list for lists)")
        return _fmt_number(value) if isinstance(value, int | float) else value
    if flt == "list":
        if not isinstance(value, tuple | list) or not value:
            raise KnowledgeBaseError(f"placeholder {{{path}|list}} is not a list")
        items = [_fmt_number(v) if isinstance(v, int | float) else str(v) for v in value]
        return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise KnowledgeBaseError(f"placeholder {{{path}|{flt}}} is not a number")
    if flt == "days":
        return _fmt_number(round(value / 24, 2))
    if flt == "pct":
        return _fmt_number(round(value * 100, 2))
    raise KnowledgeBaseError(f"unknown filter |{flt} in {{{path}}}; known: {', '.join(_FILTERS)}")


def _step(node: Any, key: str, path: str) -> Any:
    if isinstance(node, tuple | list):
        # A member's id wins over a position: the renal band "15" is the band, not item 15.
        for item in node:
            if getattr(item, "id", None) == key or getattr(item, "level", None) == key:
                return item
        if key.isdigit() and int(key) < len(node):
            return node[int(key)]
    elif isinstance(node, Mapping):
        if key in node:
            return node[key]
    elif isinstance(node, BaseModel) and key in type(node).model_fields:
        return getattr(node, key)
    raise KnowledgeBaseError(f"placeholder {{{path}}}: no {key!r} in the knowledge base")


def _prefixed_citation(node: BaseModel, field: str) -> Citation | None:
    """For flat sections such as ``[limits]``: ``max_daily_mg`` is cited by ``max_daily_source``."""
    best: str | None = None
    for name in type(node).model_fields:
        if name.endswith("_source") and field.startswith(name.removesuffix("_source")) and (
            best is None or len(name) > len(best)
        ):
            best = name
    if best is None:
        return None
    section = getattr(node, best.removesuffix("_source") + "_section", None)
    return Citation(source=getattr(node, best), section=section)


def resolve_fact(path: str, monograph: Monograph, facts: Mapping[str, FactGroup]) -> tuple[Any, tuple[Citation, ...]]:
    """The value at a dotted ``path`` and the citations of the fact it belongs to.

    Raises
    ------
    KnowledgeBaseError
        The path names nothing, or names a fact marked ``verified = false``.
    """
    keys = path.split(".")
    cites: tuple[Citation, ...] = ()
    if keys[0] == "facts":
        if len(keys) != 3 or keys[1] not in facts or keys[2] not in facts[keys[1]].values:
            raise KnowledgeBaseError(f"placeholder {{{path}}}: no such counselling fact")
        group = facts[keys[1]]
        if not group.verified:
            raise KnowledgeBaseError(f"placeholder {{{path}}}: the fact is marked unverified and may not be shown")
        return group.values[keys[2]], group.citations
    node: Any = monograph
    for key in keys:
        parent = node
        node = _step(node, key, path)
        if isinstance(node, _Cited):
            cites = node.citations
        elif isinstance(parent, BaseModel) and not isinstance(parent, _Cited):
            found = _prefixed_citation(parent, key)
            if found is not None:
                cites = (found,)
    return node, cites


def render_template(text: str, monograph: Monograph, facts: Mapping[str, FactGroup]) -> RenderedParagraph:
    """Fill every ``{path|filter}`` placeholder; refuse digits typed outside placeholders."""
    bare = _PLACEHOLDER.sub("", text)
    if re.search(r"\d", bare):
        raise KnowledgeBaseError(f"number typed into topic text (use a placeholder): {text[:80]!r}")
    if "{" in bare or "}" in bare:
        raise KnowledgeBaseError(f"malformed placeholder in: {text[:80]!r}")
    cites: list[Citation] = []
    used: list[str] = []

    def fill(match: re.Match[str]) -> str:
        path, flt = match.group(1), match.group(2)
        value, fact_cites = resolve_fact(path, monograph, facts)
        cites.extend(fact_cites)
        used.append(path)
        return _apply(value, flt, path)

    out = _PLACEHOLDER.sub(fill, text)
    return RenderedParagraph(text=" ".join(out.split()), citations=tuple(cites), facts=tuple(used))


# --- loading ------------------------------------------------------------------------------------
def _raw_files() -> Iterator[tuple[str, dict[str, Any]]]:
    """(name, raw TOML) for alternatives.toml, synonyms.toml and every topics/*.toml file (the guide's
    own files of :func:`gabacare.knowledge.files.guide_files`, in its order)."""
    shared = {*MONOGRAPH_FILES, "sources.toml"}
    for name in guide_files():
        if name not in shared:
            yield name, read_toml(name)


def guide_cited_source_ids() -> set[str]:
    """Every source id the guide's data files cite (alternatives, synonyms, topics)."""
    out: set[str] = set()
    for _name, raw in _raw_files():
        out |= {sid for _, sid in _walk_source_ids(raw)}
        out |= {sid for opt in raw.get("alternatives", []) for sid in opt.get("line_sources", [])}
    return out


def _check_sources(name: str, raw: Any, known: Mapping[str, Any]) -> None:
    ids = list(_walk_source_ids(raw))
    if isinstance(raw, Mapping):
        ids += [(f"alternatives.{o.get('drug')}.line_sources", s) for o in raw.get("alternatives", [])
                for s in o.get("line_sources", [])]
    unknown = sorted({f"{where} -> {sid!r}" for where, sid in ids if sid not in known})
    if unknown:
        raise KnowledgeBaseError(f"{name} cites unknown sources: " + "; ".join(unknown))


def _render_topic(name: str, topic: Topic, monograph: Monograph, facts: Mapping[str, FactGroup]) -> GuideText:
    try:
        paragraphs = []
        for p in topic.paragraphs:
            rendered = render_template(p.text, monograph, facts)
            # A fact's own citation is added unless the paragraph already cites that source.
            declared = {c.source for c in p.citations}
            cites = tuple(dict.fromkeys((*p.citations, *(c for c in rendered.citations if c.source not in declared))))
            paragraphs.append(rendered.model_copy(update={"citations": cites}))
        summary = render_template(topic.summary, monograph, facts).text
    except KnowledgeBaseError as exc:
        raise KnowledgeBaseError(f"{name}: {exc}") from exc
    return GuideText(id=topic.id, title=topic.title, summary=summary, terms=topic.terms, paragraphs=tuple(paragraphs),
                     examples=topic.examples)


def build_guide(files: Sequence[tuple[str, dict[str, Any]]], monograph: Monograph) -> Guide:
    """Validate raw guide files against ``monograph`` (exposed for tests of bad data)."""
    raw = dict(files)
    for name, content in files:
        _check_sources(name, content, monograph.sources)
    alt, syn = raw.get("alternatives.toml"), raw.get("synonyms.toml")
    if alt is None or syn is None:
        raise KnowledgeBaseError("knowledge base file missing: alternatives.toml or synonyms.toml")
    try:
        facts = {k: FactGroup(**v) for k, v in alt.get("facts", {}).items()}
        groups = tuple(AlternativeGroup(**g) for g in alt.get("groups", []))
        alternatives = tuple(Alternative(**a) for a in alt.get("alternatives", []))
    except (TypeError, ValidationError) as exc:
        raise KnowledgeBaseError(f"alternatives.toml: {exc}") from exc
    group_ids = {g.id for g in groups}
    for a in alternatives:
        if a.group not in group_ids:
            raise KnowledgeBaseError(f"alternatives.toml: {a.drug} names unknown group {a.group!r}")
    for g in groups:
        for ind in g.indications:
            try:
                monograph.indication(ind)
            except KeyError as exc:
                raise KnowledgeBaseError(f"alternatives.toml: group {g.id}: {exc.args[0]}") from exc
    try:
        synonyms = tuple(Synonym(**s) for s in syn.get("synonyms", []))
        search = SearchSettings(**syn["search"])
        cues = GeneralQuestionCues(**syn["general_questions"])
        stopwords = frozenset(str(w).lower() for w in syn.get("stopwords", []))
    except (KeyError, TypeError, ValidationError) as exc:
        raise KnowledgeBaseError(f"synonyms.toml: {exc}") from exc
    topics: list[GuideText] = []
    for name, content in files:
        if not name.startswith("topics/"):
            continue
        try:
            topic = Topic(**content)
        except (TypeError, ValidationError) as exc:
            raise KnowledgeBaseError(f"{name}: {exc}") from exc
        if name != f"topics/{topic.id}.toml":
            raise KnowledgeBaseError(f"{name}: id {topic.id!r} does not match the file name")
        if topic.id not in TOPIC_IDS:
            raise KnowledgeBaseError(f"{name}: {topic.id!r} is not a topic of the ask contract (docs/cli-contract.md)")
        topics.append(_render_topic(name, topic, monograph, facts))
    missing = [t for t in TOPIC_IDS if t not in {x.id for x in topics}]
    if missing:
        raise KnowledgeBaseError(f"topics missing: {', '.join(missing)}")
    ordered = tuple(sorted(topics, key=lambda t: TOPIC_IDS.index(t.id)))
    return Guide(topics=ordered, groups=groups, alternatives=alternatives, facts=facts, synonyms=synonyms,
                 stopwords=stopwords, search=search, general_cues=cues)


@cache
def load_guide() -> Guide:
    """Load and validate the guide data once; raise :class:`KnowledgeBaseError` if anything is broken.

    Built once per version of its data files and code: the first process reads the TOML, renders
    the topics and validates everything (:func:`build_guide`), then keeps the validated guide's
    fields as JSON in the cache directory (:func:`gabacare.knowledge.cache.validated_model`;
    ``GABACARE_CACHE=off`` disables it), but only when rebuilding them gives back an equal guide.
    Later processes rebuild the same objects from that JSON without validating (a few
    milliseconds, where reading and rendering the files takes tens, and validating the JSON ~10 ms
    more). The key hashes the files' contents, their names (part of the cache name), this module,
    the monograph's module, the cache's code and pydantic's version; a damaged file is read as a miss.

    >>> guide = load_guide()
    >>> (guide.topic("dosing").id, len(guide.topics))
    ('dosing', 16)
    """
    import hashlib

    from gabacare.knowledge import monograph
    from gabacare.knowledge.cache import validated_model

    files = guide_files()
    name = "guide-" + hashlib.sha256("\0".join(files).encode()).hexdigest()[:8]
    return validated_model(name, Guide, files, (__file__, monograph.__file__),
                           lambda: build_guide(tuple(_raw_files()), load_monograph()), verify=True)
