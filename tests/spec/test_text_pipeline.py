"""The text pipeline's steps, one behaviour each, plus the invariants that guard safety.

Spec-style tables for negation scope, normalisation and reasons for treatment; hypothesis
properties for the two invariants the issue sets: adding text never lowers an emergency, and the
semantic net never lowers what the rules read.
"""

from __future__ import annotations

import pytest
from _table import Table
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gabacare.clinical import triage
from gabacare.clinical.text import read_text
from gabacare.clinical.text import semantic as semantic_module
from gabacare.clinical.text.negation import negation_scopes
from gabacare.clinical.text.normalise import normalise_words, sentences, tokenise
from gabacare.knowledge import load_monograph
from gabacare.knowledge.language import load_language

RANK = {"emergency": 0, "contact_prescriber": 1, "expected": 2, None: 3}

NEGATION = Table(
    """
    text                                          | urgency            | denied
    ----------------------------------------------+--------------------+--------------------
    my lips are not swollen                       | -                  | face-swelling
    I don't have a fever                          | -                  | fever
    no fever but my throat feels tight            | emergency          | fever
    no rash, just a bit dizzy                     | expected           | rash
    the rash on my arms has gone away             | -                  | rash
    the swelling in my lips has gone down         | emergency          | -
    my lips are fine now                          | -                  | -
    not sure if my lips are swollen               | emergency          | -
    he is not breathing                           | emergency          | -
    i cant breathe                                | emergency          | -
    she won't wake up                             | emergency          | -
    never had a seizure                           | -                  | seizure
    no one can wake him                           | emergency          | -
    not dizzy and my tongue is swelling           | emergency          | dizziness
    denies rash, fever, or breathing difficulty   | -                  | breathing-difficulty
    no rash, fever or swelling                    | -                  | fever
    no rash, my lips are swollen                  | emergency          | rash
    no fever, lips swollen                        | emergency          | fever
    thoughts of self harm? no, none at all        | -                  | self-harm
    Trouble breathing? A: no.                     | -                  | breathing-difficulty
    thoughts of self harm? yes                    | emergency          | -
    """
)


@pytest.mark.parametrize(NEGATION.argnames, NEGATION.rows, ids=NEGATION.ids)
def test_negation_has_a_scope(text, urgency, denied):
    reading = read_text(text)
    assert reading.urgency == urgency
    denied_ids = {f.id for f in reading.negated}
    if denied:
        assert denied in denied_ids
    else:
        assert not denied_ids


def test_a_pre_trigger_covers_what_follows_up_to_a_terminator():
    words = ["no", "fever", "but", "my", "lips", "are", "swollen"]
    assert sorted(negation_scopes(words).negated) == [1]
    words = ["no", "rash", ",", "fever"]
    assert sorted(negation_scopes(words).negated) == [1]


def test_words_of_a_finding_are_not_triggers():
    words = ["he", "is", "not", "breathing"]
    assert negation_scopes(words, inert={2, 3}).negated == frozenset()


def test_a_terminator_in_a_findings_words_still_ends_a_scope():
    # "with no suit on so it all ends": the finding "so it all ends" (inert) starts with the terminator
    # "so it"; the denial covers the suit, never the finding (a terminator can only end a scope).
    words = ["walk", "in", "with", "no", "suit", "on", "so", "it", "all", "ends"]
    scopes = negation_scopes(words, inert={6, 7, 8, 9})
    assert sorted(scopes.negated) == [4, 5]
    # A pre trigger inside a finding stays inert (it cannot deny anything).
    assert negation_scopes(["can", "not", "breathe"], inert={0, 1, 2}).negated == frozenset()


NORMALISE = Table(
    """
    typed                      | read
    ---------------------------+------------------------------
    cant breathe               | can not breathe
    Can’t BREATHE!!            | can not breathe
    im so dizzy                | i am so dizzy
    my husband's lips are grey | my husband lips are gray
    oedema in my ankles        | edema in my ankles
    """
)


@pytest.mark.parametrize(NORMALISE.argnames, NORMALISE.rows, ids=NORMALISE.ids)
def test_normalisation(typed, read):
    words = [w for s in sentences(typed) for _, w in normalise_words(tokenise(s))]
    assert " ".join(words) == read


SPELLING = Table(
    """
    typed                        | corrected
    -----------------------------+-------------------
    my tounge is swelling        | tounge tongue
    cant catch my breth          | breth breath
    had a siezure                | siezure seizure
    """,
    corrected=lambda s: tuple(s.split()),
)


@pytest.mark.parametrize(SPELLING.argnames, SPELLING.rows, ids=SPELLING.ids)
def test_spelling_slips_are_corrected_and_shown(typed, corrected):
    reading = read_text(typed)
    assert corrected in reading.corrections
    assert reading.urgency == "emergency"


@pytest.mark.parametrize("word", ["bread", "fitted", "weather", "passed"])
def test_real_words_are_never_corrected(word):
    assert read_text(f"I {word} it").corrections == ()


REASONS = Table(
    """
    text                                              | urgency
    --------------------------------------------------+-----------
    I take gabapentin for my seizures                 | -
    she is on it for anxiety                          | -
    he went to hospital for a seizure                 | emergency
    takes it for seizures and had a fit this morning  | emergency
    """
)


@pytest.mark.parametrize(REASONS.argnames, REASONS.rows, ids=REASONS.ids)
def test_the_reason_for_treatment_is_not_a_symptom(text, urgency):
    assert read_text(text).urgency == urgency


COMBINATIONS = Table(
    """
    text                                          | urgency            | rule
    ----------------------------------------------+--------------------+----------------------------------------
    blistering rash and I'm burning up            | emergency          | rash-with-fever-or-blisters
    itchy rash and a temperature                  | emergency          | rash-with-fever-or-blisters
    an itchy rash                                 | contact_prescriber | -
    very drowsy since the oxycodone               | contact_prescriber | sedation-with-depressant
    so sleepy after a few beers                   | contact_prescriber | sedation-with-depressant
    mouth all blistered and a temperature         | emergency          | mouth-sores-with-fever
    mouth all blistered                           | contact_prescriber | -
    """
)


@pytest.mark.parametrize(COMBINATIONS.argnames, COMBINATIONS.rows, ids=COMBINATIONS.ids)
def test_combination_rules(text, urgency, rule):
    (r,) = triage([text]).results
    assert r.urgency == urgency
    assert r.rule == rule


def test_third_person_and_past_reports_count_and_are_shown():
    (r,) = triage(["my husband had a fit last night"]).results
    assert r.urgency == "emergency" and r.to_json()["experiencer"] == "other"


def test_suicidal_thoughts_carry_the_crisis_lines():
    (r,) = triage(["everyone would be better off without me"]).results
    assert r.urgency == "emergency" and r.effect_id == "suicidal-thoughts"
    numbers = {c["number"] for c in r.to_json()["crisis_lines"]}  # type: ignore[union-attr]
    assert {"988", "116 123"} <= numbers
    assert {"label", "lifeline-988", "samaritans"} <= {c.source for c in r.citations}


def test_nothing_urgent_always_shows_the_red_flags_and_what_was_not_understood():
    (r,) = triage(["purple elephants on the ceiling"]).results
    data = r.to_json()
    assert r.recognized is False and r.urgency is None
    assert len(data["red_flags"]) == len(load_language().red_flags) >= 6  # type: ignore[arg-type]
    assert data["not_understood"] == ["purple elephants on the ceiling"]
    assert "purple elephants" in r.advice
    (e,) = triage(["my lips are swollen"]).results
    assert e.to_json()["red_flags"] == []


def test_without_the_semantic_net_the_rules_still_work(monkeypatch):
    monkeypatch.setattr(semantic_module, "model_files", lambda: (_ for _ in ()).throw(FileNotFoundError("gone")))
    monkeypatch.setattr(semantic_module, "_state", {})
    (r,) = triage(["feeling a bit dizzy today"]).results
    assert r.urgency == "expected"
    assert "unavailable" in str(r.to_json()["semantic_net"])
    (e,) = triage(["my lips are swollen"]).results
    assert e.urgency == "emergency"


# --- invariants --------------------------------------------------------------------------------

EMERGENCY_PHRASES = sorted(
    p for e in load_monograph().adverse_effects if e.urgency == "emergency" for p in e.phrases
)
_words = st.text(alphabet=st.characters(whitelist_categories=("Ll", "Lu", "Zs"), max_codepoint=0x7F), max_size=60)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(phrase=st.sampled_from(EMERGENCY_PHRASES), extra=_words, before=st.booleans())
def test_adding_a_sentence_never_lowers_an_emergency(phrase, extra, before):
    """Whatever else a person writes in another sentence, an emergency stays an emergency."""
    assert read_text(phrase).urgency == "emergency"
    text = f"{extra}. {phrase}" if before else f"{phrase}. {extra}"
    assert read_text(text).urgency == "emergency"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_words)
def test_the_semantic_net_never_lowers_an_urgency(text):
    rules = read_text(text, net=False).urgency
    with_net = read_text(text).urgency
    assert RANK[with_net] <= RANK[rules]


@pytest.mark.parametrize("text", ["!!!", "???", "\udc80\x00\x07", "12 34 56", "... ,,, ;;;"])
def test_text_without_words_is_unrecognised_never_an_error(text):
    (r,) = triage([text]).results
    assert r.recognized is False and r.urgency is None
    assert r.to_json()["red_flags"]


@pytest.mark.parametrize("name", ["", "   ", "10 mg", "HCl tab", "!!!", "\udc80"])
def test_a_name_without_a_medicine_is_unknown(name):
    from gabacare.clinical.drug_names import read_name

    reading = read_name(name)
    assert reading.ingredients == () and not reading.known and reading.guessed == ()
