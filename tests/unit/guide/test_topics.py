"""Topic pages: every `ask` contract topic exists, every citation resolves, every number is the knowledge base's.

The numbers are checked independently of the loader: each ``{path}`` placeholder of the raw topic
files is looked up again here, by attribute, in ``load_monograph()`` (or the counselling facts of
``alternatives.toml``), and the page must show exactly that value.
"""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from typing import Any

import pytest

from gabacare.guide import TOPIC_IDS, all_topics, topic
from gabacare.knowledge import KnowledgeBaseError, load_monograph
from gabacare.knowledge.guide_data import build_guide, load_guide
from gabacare.knowledge.monograph import cited_source_ids

# The topic ids of the `ask` contract (docs/cli-contract.md), copied so that a change to either is noticed.
DESIGN_TOPICS = {
    "how-it-works", "dosing", "missed-dose", "stopping", "side-effects", "emergencies", "alcohol-and-sedatives",
    "driving", "kidneys", "food-and-antacids", "pregnancy-and-breastfeeding", "storage", "misuse", "older-adults",
    "overdose", "alternatives",
}
PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_.+\-]*)(?:\|([a-z]+))?\}")
DATA = resources.files("gabacare.knowledge").joinpath("data")


def raw_topic(topic_id: str) -> dict[str, Any]:
    with DATA.joinpath("topics", f"{topic_id}.toml").open("rb") as fh:
        return tomllib.load(fh)


def raw_files() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for name in ("alternatives.toml", "synonyms.toml"):
        with DATA.joinpath(name).open("rb") as fh:
            out.append((name, tomllib.load(fh)))
    out += [(f"topics/{t}.toml", raw_topic(t)) for t in sorted(DESIGN_TOPICS)]
    return out


def lookup(path: str) -> Any:
    """Walk a dotted path by hand: attributes, dict keys, tuple index or member id/level."""
    keys = path.split(".")
    if keys[0] == "facts":
        return load_guide().facts[keys[1]].values[keys[2]]
    node: Any = load_monograph()
    for key in keys:
        if isinstance(node, tuple):
            by_id = [x for x in node if key in (getattr(x, "id", None), getattr(x, "level", None))]
            node = by_id[0] if by_id else node[int(key)]
        elif isinstance(node, dict):
            node = node[key]
        else:
            node = getattr(node, key)
    return node


def shown(value: Any, flt: str | None) -> str:
    def num(v: float) -> str:
        return str(int(v)) if float(v).is_integer() else f"{v:g}"

    if flt == "days":
        return num(value / 24)
    if flt == "pct":
        return num(round(value * 100, 2))
    if flt == "list":
        items = [num(v) if isinstance(v, int | float) else v for v in value]
        return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else items[0]
    return num(value) if isinstance(value, int | float) else str(value)


def test_every_design_topic_exists_and_no_other() -> None:
    assert set(TOPIC_IDS) == DESIGN_TOPICS
    assert [t.id for t in all_topics()] == list(TOPIC_IDS)


@pytest.mark.parametrize("topic_id", sorted(DESIGN_TOPICS))
def test_numbers_are_the_knowledge_base_values(topic_id: str) -> None:
    raw = raw_topic(topic_id)
    page = topic(topic_id)
    assert len(raw["paragraphs"]) == len(page.paragraphs)
    for raw_para, para in zip(raw["paragraphs"], page.paragraphs, strict=True):
        assert not re.search(r"\d", PLACEHOLDER.sub("", raw_para["text"])), "a number was typed instead of a placeholder"
        expected = PLACEHOLDER.sub(lambda m: shown(lookup(m.group(1)), m.group(2)), raw_para["text"])
        assert para.text == " ".join(expected.split())


def test_the_maximum_daily_dose_shown_is_the_limit() -> None:
    m = load_monograph()
    assert f"{m.limits.max_daily_mg} mg a day" in topic("dosing").summary
    assert f"{m.limits.epilepsy_max_gap_h:g} hours" in topic("missed-dose").text
    assert f"{m.taper.min_duration_days} days" in topic("stopping").summary
    hours = f"{m.withdrawal.onset_min_h:g} hours to {m.withdrawal.onset_max_h / 24:g} days"
    assert hours in topic("stopping").text


@pytest.mark.parametrize("topic_id", sorted(DESIGN_TOPICS))
def test_every_paragraph_is_cited_and_every_citation_resolves(topic_id: str) -> None:
    sources = load_monograph().sources
    for raw_para, para in zip(raw_topic(topic_id)["paragraphs"], topic(topic_id).paragraphs, strict=True):
        assert raw_para.get("source") or raw_para.get("sources"), "each paragraph names its own sources"
        assert para.citations
        assert all(c.source in sources for c in para.citations)


def test_every_source_in_sources_toml_is_cited_somewhere() -> None:
    assert set(load_monograph().sources) - cited_source_ids() == set()


def test_unverified_facts_are_kept_but_never_shown() -> None:
    facts = load_guide().facts
    unverified = [k for k, g in facts.items() if not g.verified]
    assert unverified, "the pregnancy registry entry is stored as unverified"
    text = " ".join(t.text + t.summary for t in all_topics())
    for key in unverified:
        for value in facts[key].values.values():
            assert str(value) not in text


def _with(files: list[tuple[str, dict[str, Any]]], name: str, change: Any) -> list[tuple[str, dict[str, Any]]]:
    return [(n, change(dict(raw)) if n == name else raw) for n, raw in files]


def _para(text: str, **cite: Any) -> dict[str, Any]:
    return {"text": text, **(cite or {"source": "label"})}


@pytest.mark.parametrize(
    ("why", "text", "cite", "message"),
    [
        ("typed number", "The most is 3600 mg a day.", {}, "number typed"),
        ("unknown path", "The most is {limits.max_weekly_mg} mg.", {}, "no 'max_weekly_mg'"),
        ("unverified fact", "Call {facts.pregnancy_registry.phone}.", {}, "unverified"),
        ("unknown source", "Plain words.", {"source": "made-up-source"}, "unknown sources"),
        ("bad filter", "{limits.max_daily_mg|weeks} weeks.", {}, "unknown filter"),
        ("list without |list", "At {schedule.times_3}.", {}, "not a number or text"),
    ],
)
def test_bad_topic_data_fails_at_load(why: str, text: str, cite: dict[str, Any], message: str) -> None:
    files = _with(raw_files(), "topics/dosing.toml", lambda raw: {**raw, "paragraphs": [_para(text, **cite)]})
    with pytest.raises(KnowledgeBaseError, match=re.escape(message)):
        build_guide(files, load_monograph())


def test_a_missing_topic_fails_at_load() -> None:
    files = [(n, raw) for n, raw in raw_files() if n != "topics/storage.toml"]
    with pytest.raises(KnowledgeBaseError, match="topics missing: storage"):
        build_guide(files, load_monograph())


def test_a_topic_not_in_the_contract_fails_at_load() -> None:
    files = [*raw_files(), ("topics/astrology.toml", {**raw_topic("storage"), "id": "astrology"})]
    with pytest.raises(KnowledgeBaseError, match=r"not a topic of the ask contract"):
        build_guide(files, load_monograph())


def test_unknown_topic_lists_the_known_ones() -> None:
    with pytest.raises(KeyError, match="how-it-works"):
        topic("horoscope")


def test_topic_page_json_carries_citations_and_notice() -> None:
    data = topic("kidneys").to_json()
    assert data["id"] == "kidneys"
    assert data["paragraphs"] and all(p["citations"] for p in data["paragraphs"])  # type: ignore[union-attr]
    assert "not a substitute for your clinician" in str(data["notice"])
