"""``ask``: triage first, interactions when a medicine or alcohol is named, and no made-up answers.

Real behaviour through the real knowledge base and the real SQLite FTS5 index (no mocks).
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from gabacare.cli import app
from gabacare.guide import ask
from gabacare.guide.ask import interpret
from gabacare.knowledge import load_monograph
from gabacare.knowledge.guide_data import load_guide

runner = CliRunner()


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
    [("gabapentine", "gabapentin"), ("nuerontin", "neurontin"), ("lyrca", "lyrica"), ("tramadoll", "tramadol"),
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
