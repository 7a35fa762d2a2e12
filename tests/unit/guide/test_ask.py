"""``ask``: triage first (for a symptom happening now), interactions when a medicine or alcohol is
named, hybrid retrieval (keywords + meaning), and no made-up answers.

Real behaviour through the real knowledge base, the real SQLite FTS5 index and the real sentence
embeddings (no mocks; one test makes the embeddings unavailable to check the keyword fallback).
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gabacare.cli import app
from gabacare.clinical.text import semantic
from gabacare.guide import TOPIC_IDS, ask
from gabacare.guide.ask import clauses, interpret, is_general_question
from gabacare.knowledge import KnowledgeBaseError, load_monograph
from gabacare.knowledge.guide_data import _raw_files, build_guide, load_guide

runner = CliRunner()
ask_module = importlib.import_module("gabacare.guide.ask")  # the package exports ask() by that name


def test_a_named_emergency_comes_before_any_answer() -> None:
    result = ask("my lips are swollen, can I keep taking it?")
    assert result.triage is not None and result.triage.most_urgent == "emergency"
    assert result.triage.results[0].effect_id == "anaphylaxis-angioedema"
    assert result.emergency
    assert result.message == load_guide().search.emergency_message
    assert result.answers[0].topic == "emergencies"
    out = runner.invoke(app, ["ask", "my lips are swollen, can I keep taking it?"]).stdout
    assert out.index("EMERGENCY") < out.index("Emergencies: when to get help now")


def test_json_shape_follows_the_contract() -> None:
    res = runner.invoke(app, ["ask", "my lips are swollen, can I keep taking it?", "--json"])
    assert res.exit_code == 0
    data = json.loads(res.stdout)
    assert {"question", "answers", "triage", "interactions", "message"} <= set(data)
    assert data["triage"]["most_urgent"] == "emergency"
    assert data["interactions"] is None
    for a in data["answers"]:
        assert {"topic", "title", "text", "citations", "score"} <= set(a)
        assert a["citations"] and isinstance(a["score"], int | float)
    scores = [a["score"] for a in data["answers"]]
    assert scores == sorted(scores, reverse=True)
    # Added keys: how the question was searched, the topic list (only without answers), and the
    # clauses read as general questions (not triaged).
    assert data["retrieval"] == "hybrid"
    assert data["topics"] is None
    assert data["not_triaged"] == []  # "can I keep taking it" is no general question: all triaged


def test_no_triage_when_no_symptom_is_named() -> None:
    assert ask("how should I store the liquid").triage is None


def test_a_named_opioid_brings_the_interaction_finding() -> None:
    result = ask("can I take it with tramadol?")
    assert result.interactions is not None
    [finding] = result.interactions.results
    assert (finding.input, finding.class_id, finding.severity, finding.action) == ("tramadol", "opioids", "major", "avoid")
    assert {c.source for c in finding.citations} >= {"label", "fda-dsc-2019"}
    assert result.answers[0].topic == "alcohol-and-sedatives"


@pytest.mark.parametrize("question", ["is a glass of wine ok", "can I drink booze on it", "a few beers tonight?"])
def test_alcohol_words_bring_the_alcohol_finding(question: str) -> None:
    result = ask(question)
    assert result.interactions is not None
    assert [r.class_id for r in result.interactions.results] == ["alcohol"]
    assert result.answers[0].topic == "alcohol-and-sedatives"


def test_gabapentin_itself_is_not_reported_as_an_interaction() -> None:
    assert ask("how does neurontin work").interactions is None
    result = ask("nuerontin and vodka")
    assert result.interactions is not None
    assert [r.class_id for r in result.interactions.results] == ["alcohol"]


def test_a_comparator_the_engine_does_not_know_is_reported_unknown_not_safe() -> None:
    result = ask("can I take duloxetine as well")
    assert result.interactions is not None
    [finding] = result.interactions.results
    assert finding.known is False and "pharmacist" in finding.advice


@pytest.mark.parametrize(
    "question",
    ["what is the capital of france", "how do I bake bread", "what is the weather tomorrow", "asdf qwerty", "!!!?? 42"],
)
def test_nothing_matching_gives_no_answer_and_points_to_the_pharmacist(question: str) -> None:
    if not any(ch.isalpha() for ch in question):
        with pytest.raises(ValueError, match="ask a question in words"):
            ask(question)
        return
    result = ask(question)
    assert result.answers == ()
    assert result.message is not None and "pharmacist" in result.message
    assert result.to_json()["answers"] == []


@pytest.mark.parametrize("question", ["   ", "why " * 200])
def test_an_empty_or_overlong_question_is_refused_with_exit_2(question: str) -> None:
    res = runner.invoke(app, ["ask", question])
    assert res.exit_code == 2
    assert res.stderr.strip().startswith("gabacare: error:")
    assert len(res.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("phrase", "canonical"),
    [
        ("booze", "alcohol"),
        ("glass of wine", "alcohol"),
        ("come off", "stop"),
        ("forgot my pill", "missed"),
        ("behind the wheel", "drive"),
        ("expecting a baby", "pregnant"),
        ("cold turkey", "stop"),
    ],
)
def test_patient_phrases_reach_the_topic_words(phrase: str, canonical: str) -> None:
    assert canonical in interpret(f"what about {phrase}").terms


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("gabapentn", "gabapentin"), ("nuerontin", "neurontin"), ("lyrca", "lyrica"), ("tramadoll", "tramadol"),
     ("alchohol", "alcohol"), ("pregnent", "pregnant"), ("withdrawl", "withdrawal")],
)
def test_spelling_slips_are_corrected(typed: str, meant: str) -> None:
    assert (typed, meant) in interpret(f"question about {typed}").corrections


def test_known_words_and_short_words_are_left_alone() -> None:
    reading = interpret("stopped driving at night, ok?")
    assert reading.corrections == ()


def test_misspelt_medicine_still_reaches_the_interaction_engine() -> None:
    result = ask("can I take lyrca too")
    assert result.interactions is not None
    assert result.interactions.results[0].ingredients == ("pregabalin",)
    assert result.interactions.results[0].action == "avoid"


def test_answers_carry_resolvable_citations_and_the_notice() -> None:
    sources = load_monograph().sources
    result = ask("how does gabapentin work")
    assert result.answers[0].topic == "how-it-works"
    for a in result.answers:
        assert a.text and a.citations and all(c.source in sources for c in a.citations)
    assert "not a substitute for your clinician" in result.notice
    assert len(result.answers) <= load_guide().search.max_answers


def test_human_output_shows_sources_and_notice() -> None:
    res = runner.invoke(app, ["ask", "can", "I", "drive", "on", "it"])
    assert res.exit_code == 0
    assert "Driving and using machines" in res.stdout
    assert "Sources:" in res.stdout and "not a substitute" in " ".join(res.stdout.split())


# --- no good answer -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "question", ["best pizza near me", "how do I renew my passport", "how do I fix a leaking tap", "tell me a joke"]
)
def test_an_off_topic_question_gets_no_answer_and_the_list_of_topics(question: str) -> None:
    result = ask(question)
    assert result.answers == ()
    assert result.message is not None and result.message.startswith(load_guide().search.no_answer_message)
    for page in load_guide().topics:
        assert page.title in result.message
    data = result.to_json()
    assert data["answers"] == []
    topics = data["topics"]
    assert isinstance(topics, list) and [t["topic"] for t in topics] == list(TOPIC_IDS)


# --- triage only what is happening now ------------------------------------------------------------
@pytest.mark.parametrize(
    "question",
    [
        "will stopping cause seizures?",
        "can gabapentin cause swollen lips?",
        "what happens if I stop suddenly and have a fit",
        "what are the signs of an allergic reaction",
        "can it make you sleepy?",
        "what if I have a seizure while driving",
    ],
)
def test_a_general_question_is_answered_without_triage(question: str) -> None:
    result = ask(question)
    assert result.triage is None
    assert not result.emergency
    assert result.general_clauses and result.to_json()["not_triaged"]
    assert result.answers, "the guide still answers the question"


@pytest.mark.parametrize(
    "question",
    [
        "my lips are swelling, can it cause that?",
        "I can't breathe what do I do",
        "can it cause my lips to swell like this",
        "does gabapentin make your tongue swell? mine is swelling now",
        "my throat feels tight and its hard to swallow",
    ],
)
def test_a_symptom_happening_now_is_triaged_first(question: str) -> None:
    result = ask(question)
    assert result.triage is not None and result.triage.most_urgent == "emergency"
    assert result.message == load_guide().search.emergency_message


def test_only_the_clauses_happening_now_are_triaged() -> None:
    result = ask("my lips are swelling, can it cause that?")
    assert result.general_clauses == ("can it cause that",)
    assert result.triage is not None and result.triage.results[0].input == "my lips are swelling"


@pytest.mark.parametrize(
    ("clause", "general"),
    [
        ("will stopping cause seizures", True),
        ("can gabapentin cause swollen lips", True),
        ("what are the symptoms of withdrawal", True),
        ("what if I have a fit", True),  # "I have" belongs to the general phrase "if I have"
        ("my lips are swelling", False),
        ("I can't breathe what do I do", False),  # no general phrase: when in doubt, triage
        ("can it cause my lips to swell like this", False),  # "like this": happening now
        ("does it do this, I've got a rash right now", False),
    ],
)
def test_general_questions_are_told_from_symptoms_happening_now(clause: str, general: bool) -> None:
    assert is_general_question(clause) is general


def test_a_question_is_cut_into_clauses_at_sentence_ends_and_commas() -> None:
    assert clauses("My lips are swelling, can it cause that? I'm scared!") == [
        "My lips are swelling", "can it cause that", "I'm scared"]


# --- hybrid retrieval -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("what is the right amount to take at night", "dosing"),
        ("will it affect my baby's development", "pregnancy-and-breastfeeding"),
        ("can i keep my tablets in the kitchen", "storage"),
        ("can i have wine with dinner on gabapentin", "alcohol-and-sedatives"),
    ],
)
def test_meaning_finds_the_topic_for_a_paraphrase(question: str, topic: str) -> None:
    result = ask(question)
    assert result.retrieval == "hybrid"
    assert result.answers[0].topic == topic
    assert result.answers[0].semantic_score is not None and result.answers[0].semantic_score > 0


def test_every_answer_carries_both_scores() -> None:
    answers = ask("can I drive on gabapentin").to_json()["answers"]
    assert isinstance(answers, list) and answers
    for a in answers:
        assert 0 <= a["score"] <= 1 and a["keyword_score"] >= 0 and -1 <= a["semantic_score"] <= 1


def test_without_the_embeddings_the_keywords_still_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing() -> tuple[Path, Path]:
        raise FileNotFoundError("the wordllama package (which holds the embedding weights) is not installed")

    # As on a machine without the embeddings' wheel: no model files, so no net and no compiled copy.
    monkeypatch.setattr(ask_module, "_semantic_state", {})
    monkeypatch.setattr(semantic, "_state", {})
    monkeypatch.setattr(semantic, "model_files", missing)
    result = ask("can I drive on gabapentin")
    assert result.retrieval == "keywords only" and result.to_json()["retrieval"] == "keywords only"
    assert result.answers[0].topic == "driving" and result.answers[0].semantic_score is None
    assert ask("best pizza near me").answers == ()


@pytest.mark.parametrize("topic_id", TOPIC_IDS)
def test_every_topic_has_15_to_30_example_questions(topic_id: str) -> None:
    examples = load_guide().topic(topic_id).examples
    assert 15 <= len(examples) <= 30
    assert len(set(examples)) == len(examples)


# --- reading the question -------------------------------------------------------------------------
def test_a_real_word_is_never_corrected() -> None:
    assert interpret("i dont want to be on it forever").corrections == ()


@pytest.mark.parametrize(
    "question", ["im 75, is it riskier for me", "my 90 year old dad takes it", "is it ok for people over 65"]
)
def test_a_stated_older_age_reads_as_older_adults(question: str) -> None:
    assert "older" in interpret(question).terms
    assert ask(question).answers[0].topic == "older-adults"


def test_a_younger_age_does_not() -> None:
    assert "older" not in interpret("i'm 30, what dose should i take").terms


def test_a_synonym_that_replaces_drops_the_persons_word() -> None:
    reading = interpret("does it make you forgetful")
    assert "memory" in reading.terms and "forgetful" not in reading.terms
    assert ask("does it make you forgetful").answers[0].topic == "side-effects"


def test_a_synonym_phrase_with_digits_fails_at_load() -> None:
    files = [(n, dict(raw)) for n, raw in _raw_files()]
    for name, raw in files:
        if name == "synonyms.toml":
            raw["synonyms"] = [*raw["synonyms"], {"to": "older", "phrases": ["over 65"]}]
    with pytest.raises(KnowledgeBaseError, match="digits"):
        build_guide(files, load_monograph())


def test_a_name_known_only_as_typed_is_never_corrected_into_another_word() -> None:
    # "charanda" (a Mexican cane spirit in medicines.toml [names.exact], which are no spelling targets)
    # was corrected to a word of the guide's vocabulary, and the alcohol it names was lost.
    from gabacare.clinical.drug_names import exact_only_names

    names = sorted(name[0] for name in exact_only_names() if len(name) == 1)
    assert "charanda" in names
    corrected = [name for name in names if any(typed == name for typed, _ in interpret(f"is {name} ok with it").corrections)]
    assert corrected == []
    result = ask("will a shot of charanda at the wedding be a problem with my gabapentin?")
    assert result.interactions is not None and result.interactions.results[0].class_id == "alcohol"
