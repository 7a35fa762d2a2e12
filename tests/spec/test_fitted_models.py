"""The two fitted models in the knowledge base: the semantic net's emergency model and ask's topic
model (``emergency_net.toml``, ``topic_model.toml``, written by ``scripts/train_*.py``).

What must hold whatever the numbers: the emergency model only ever escalates, never reads a text
that denies or reassures, and says what the escalation may mean; the topic model is fitted to the
guide's own topics and vectors; bad files fail the load with a knowledge-base error.
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gabacare.clinical import triage
from gabacare.clinical.text import read_text
from gabacare.clinical.text.semantic import semantic_net
from gabacare.guide import ask
from gabacare.knowledge import KnowledgeBaseError
from gabacare.knowledge import language as language_module
from gabacare.knowledge.guide_data import load_guide
from gabacare.knowledge.language import load_emergency_model, load_emergency_words_model, load_topic_model

RANK = {"emergency": 0, "contact_prescriber": 1, "expected": 2, None: 3}


def test_the_emergency_model_fits_the_net_and_cites_its_corpus():
    model = load_emergency_model()
    net = semantic_net()
    assert net is not None
    assert len(model.weights) == model.dimensions == net.embed(["x"]).shape[1]
    assert model.source == "gabacare-eval" and 0 < model.threshold < 1
    assert "heldout" not in model.trained_on
    assert model.out_of_fold_fer <= model.target_fer + 0.01


def test_the_word_model_reads_the_vector_and_hashed_words_and_was_fitted_like_the_first():
    words, vector = load_emergency_words_model(), load_emergency_model()
    assert words.dimensions == vector.dimensions and words.lexical_size == len(words.lexical_weights) > 0
    assert vector.lexical_size == 0 and not vector.lexical_weights
    assert words.trained_on == vector.trained_on and "heldout" not in words.trained_on
    assert 0 < words.threshold < 1 and words.out_of_fold_fer <= words.target_fer + 0.01


def test_either_model_may_flag_a_text_the_rules_cannot_read(monkeypatch):
    """The union: a text the vector model leaves below its threshold is flagged when the word model's
    probability reaches the word model's own threshold, and not when it does not."""
    from gabacare.clinical.text import reading as reading_module
    from gabacare.clinical.text.semantic import lexical_features

    text = "the tomato plants are doing well this year"
    first = read_text(text, net=False)
    assert first.urgency is None and first.net_text and read_text(text).urgency is None
    real = load_emergency_words_model()
    slot = next(iter(lexical_features(first.net_text, real.lexical_size)))
    loud = [0.0] * real.lexical_size
    loud[slot] = 50.0  # one of this text's words now decides
    flagging = real.model_copy(update={"lexical_weights": tuple(loud)})
    monkeypatch.setattr(reading_module, "emergency_words_model", lambda: flagging)
    flagged = read_text(text)
    assert flagged.urgency == "emergency" and [f.kind for f in flagged.possible] == ["semantic"]
    quiet = real.model_copy(update={"lexical_weights": tuple(-50.0 if i == slot else 0.0 for i in range(real.lexical_size))})
    monkeypatch.setattr(reading_module, "emergency_words_model", lambda: quiet)
    assert read_text(text).urgency is None


@pytest.mark.parametrize("text", [
    "my lips are not swollen and breathing ok",
    "no fever, no rash, breathing normal",
    "took my tablets, all fine, obs stable",
    "I only took the one dose, checked the box",
])
def test_a_text_that_denies_or_reassures_never_reaches_the_model(text):
    assert read_text(text).net_text == ""


def test_an_undenied_text_reaches_the_model_as_its_normalised_words():
    assert read_text("Can't keep my eyes open").net_text == "can not keep my eyes open"


def test_the_model_is_asked_only_when_the_rules_read_no_sign_and_then_names_what_it_may_mean():
    model = load_emergency_model()
    net = semantic_net()
    assert net is not None
    read = read_text("I have a rash", net=False)
    # A reading the rules made is never overruled, however the whole text scores.
    assert read.urgency == "contact_prescriber" and read_text("I have a rash").urgency == "contact_prescriber"
    # Development texts the rules read no sign in (as of the v28 round), with the two models' scores.
    texts = ["lips big. tongue big. scared", "breath hard. slow. help", "accidentally necked two days worth this morning",
             "he has gone a funny colour and is gurgling"]
    unread = [t for t in texts if read_text(t, net=False).urgency is None and read_text(t, net=False).net_text]
    assert unread
    above = [t for t in unread if net.emergency_probability(read_text(t, net=False).net_text) >= model.threshold]
    assert above, "at least one unreadable emergency is above the threshold"
    for t in above:
        r = read_text(t)
        hits = [f for f in r.possible if f.kind == "semantic"]
        assert r.urgency == "emergency" and hits and hits[0].effect and hits[0].score is not None
        (result,) = triage([t]).results
        assert result.to_json()["urgency"] == "emergency"


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(alphabet=st.sampled_from(list("abcdefghijklmnopqrstuvwxyz ,.'")), max_size=80))
def test_the_model_never_lowers_what_the_rules_read(text):
    assert RANK[read_text(text).urgency] <= RANK[read_text(text, net=False).urgency]


def test_the_topic_model_covers_exactly_the_guides_topics():
    model = load_topic_model()
    assert set(model.topics) == {t.id for t in load_guide().topics}
    assert len(model.weights) == model.dimensions and all(len(r) == len(model.topics) for r in model.weights)
    assert "heldout" not in model.trained_on
    # The weight was chosen because it helped out of fold, or it is zero.
    assert model.out_of_fold_top1_with >= model.out_of_fold_top1_without


def test_ask_adds_the_topic_models_weighted_probability_and_answers_without_it(monkeypatch):
    ask_module = __import__("sys").modules["gabacare.guide.ask"]
    question = "can physio replace the capsules"
    model = load_topic_model()
    sem = ask_module._semantic()
    vector = ask_module.question_vector(question)
    assert sem is not None and vector is not None
    probability = sem.topic_probabilities(vector)
    assert abs(sum(probability.values()) - 1) < 1e-9
    with_model = {a.topic: a.score for a in ask(question).answers}
    plain_model = ask_module._topic_model()
    monkeypatch.setattr(ask_module, "_topic_model", lambda: dataclasses.replace(plain_model, weight=0.0))
    without = {a.topic: a.score for a in ask(question).answers}
    assert without  # keywords and meaning alone still answer
    shared = with_model.keys() & without.keys()
    assert shared
    for topic in shared:
        # ask reports (combined + weight x probability) / (1 + weight): a 0-1 score, the order unchanged.
        expected = (without[topic] + model.weight * probability[topic]) / (1 + model.weight)
        assert with_model[topic] == pytest.approx(expected, abs=1e-9)
        assert 0 <= with_model[topic] <= 1


@pytest.mark.parametrize(("name", "loader", "broken"), [
    ("emergency_net.toml", "load_emergency_model", {"model": {"source": "gabacare-eval", "model_source": "wordllama",
                                                              "dimensions": 3, "weights": [1.0, 2.0], "bias": 0.0,
                                                              "threshold": 0.5, "l2": 1.0, "target_fer": 0.02,
                                                              "trained_on": "x", "texts": 1, "out_of_fold_recall": 0.5,
                                                              "out_of_fold_fer": 0.01}}),
    ("emergency_words.toml", "load_emergency_words_model", {"model": {
        "source": "gabacare-eval", "model_source": "wordllama", "dimensions": 1, "weights": [1.0], "bias": 0.0,
        "threshold": 0.5, "l2": 1.0, "target_fer": 0.02, "trained_on": "x", "texts": 1, "out_of_fold_recall": 0.5,
        "out_of_fold_fer": 0.01, "lexical_size": 3, "lexical_weights": [1.0, 2.0]}}),
    ("topic_model.toml", "load_topic_model", {"model": {"source": "gabacare-eval", "model_source": "wordllama",
                                                        "topics": ["a", "b"], "dimensions": 1, "weights": [[1.0]],
                                                        "bias": [0.0, 0.0], "weight": 0.1, "l2": 1.0,
                                                        "trained_on": "x", "questions": 1,
                                                        "out_of_fold_top1_without": 0.5,
                                                        "out_of_fold_top1_with": 0.6}}),
])
def test_a_model_file_of_the_wrong_shape_fails_the_load(monkeypatch, name, loader, broken):
    # The file itself is unchanged (only its reader is patched): the cache, keyed by the file's bytes,
    # would rightly give the validated model, so this load goes without it.
    monkeypatch.setenv("GABACARE_CACHE", "off")
    original = language_module._read_toml
    monkeypatch.setattr(language_module, "_read_toml", lambda n: broken if n == name else original(n))
    load = getattr(language_module, loader)
    load.cache_clear()
    try:
        with pytest.raises(KnowledgeBaseError, match=name):
            load()
    finally:
        load.cache_clear()
