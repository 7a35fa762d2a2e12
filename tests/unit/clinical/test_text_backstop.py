"""The backstop ("when unsure, escalate", ``language.toml`` ``[backstop]``), clinical denial lists,
and the families that held-out v3 showed weak: structure (capitals, long rambling messages,
contractions), overdose, self-harm, passive death wishes, bleeding, mouth sores.

All wordings are our own; none is copied from a corpus.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gabacare.clinical import triage
from gabacare.clinical.text import read_text
from gabacare.knowledge.language import load_language

_RANK = {"emergency": 0, "contact_prescriber": 1, "expected": 2, None: 3}


def _urgency(text: str) -> str | None:
    return triage([text]).most_urgent


# --- the backstop raises "may be an emergency" where the rules read none ---

ESCALATES = [
    ("HOW COME I CANT BREATHE RIGHT", "breathing"),
    ("my partner is struggling to breathe tonight", "breathing"),
    ("she keeps gasping for air", "breathing"),
    ("since this morning its really hard to swallow anything", "swallowing"),
    ("took the new capsule then chatted to the neighbour for ages and my mouth feels swollen and odd", "face-swelling"),
    ("fingertips and lips gone a dusky blue colour", "blue-lips"),
    ("coughing up blood since lunch", "bleeding"),
    ("my son has been cutting his arms with a razor", "self-harm"),
    ("i keep thinking i'd be better off dead", "death-wish"),
    ("me no want live more, too tired", "death-wish"),
    ("i just want to go to sleep and never wake up", "death-wish"),
    ("dad swallowed the whole box this afternoon", "overdose"),
    ("gave him his evening tablets and then his wife gave them again", "overdose"),
    ("the toddler got into the dosette and ate some", "overdose"),
    ("patient ingested 30 tabs of 600 mg", "overdose"),
    ("took 8 by accident instead of my blood pressure ones", "overdose"),
    ("he had convulsions in the kitchen", "seizure"),
    ("crushing chest pains since an hour", "chest-pain"),
    ("grandad collapsed in the garden and is out cold", "unresponsive"),
    ("ulcers in my mouth so bad i cant drink", "mouth-sores"),
    ("the night nurse gave him a double lot of his capsules", "overdose"),
    ("pt swallowed ?40 caps, found by neighbour", "overdose"),
    ("not breathing", "not-breathing"),
    ("OD'd on my nerve tablets", "overdose"),
    ("my girlfriend has been cutting again", "self-harm"),
    ("big blisters on her legs and ulcers inside her cheeks", "mouth-sores"),
    ("found the baby with one of my capsules in his hand, it was chewed", "overdose"),
    ("our kids got into my meds while I was asleep", "overdose"),
    ("I think I misread the strength on the box and took too much", "overdose"),
    ("his face has dropped on the left and he can't lift his arm", "stroke"),
    ("mum has weakness on one side since breakfast", "stroke"),
]


@pytest.mark.parametrize(("text", "concept"), ESCALATES)
def test_backstop_escalates(text: str, concept: str) -> None:
    r = triage([text])
    assert r.most_urgent == "emergency", text
    ids = {f.id for f in r.results[0].reading.possible} if r.results[0].reading else set()
    # The rules may already read it; otherwise the backstop must have said why.
    assert r.results[0].rule != "backstop" or concept in ids


def test_backstop_advice_names_the_concept_and_cites_policy() -> None:
    res = triage(["WHY CANT I BREATHE PROPERLY"]).results[0]
    assert res.urgency == "emergency" and res.rule == "backstop"
    assert res.advice.startswith("This may be an emergency if it means trouble breathing")
    assert "gabacare-policy" in {c.source for c in res.citations}
    out = res.to_json()
    assert out["possible_emergency"] and out["possible_emergency"][0]["via"] == "backstop"  # type: ignore[index]


def test_a_self_harm_backstop_hit_carries_the_crisis_lines() -> None:
    res = triage(["my sister scratches her wrists with a pen lid"]).results[0]
    assert res.urgency == "emergency" and res.crisis_lines


# --- near misses: red-flag words denied, resolved, about a body part that is not the face, or asked
# about as a risk - never an emergency ---

NEAR_MISSES = [
    "I can breathe fine",
    "breathing is fine now, just sleepy",
    "no blood in my stool",
    "my hand is swollen from gardening",
    "ankles a bit swollen by the evening",
    "had a blood test today, results normal",
    "no trouble swallowing, no swelling of my lips",
    "I am fit and well, just a bit dizzy",
    "the rash went away and hasn't come back",
    "cut my finger chopping onions",
    "denies chest pain, SOB, swollen lips",
    "nil SOB, chest pain or rash",
    "Pt c/o mild dizziness. Denies SI, SH, seizures.",
    "fell in the garden, no head injury, GCS 15",
    "I took my evening dose by mistake an hour early",
    "honestly i could sleep forever on these",
    "my wrist aches from knitting",
    "I've been cutting down my dose slowly",
    "not breathing badly at all, just sleepy",
    "i'm swallowing the capsules ok now",
    "hard to swallow the tablets, can i open them?",
    "my son scratched his wrist on a fence",
    "a blister on my heel from new boots and a mouth ulcer",
    "my kid has a cold and I feel sleepy",
    "I misread the appointment letter",
    "the grandchild asked what my tablets are for",
]


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_near_misses_do_not_escalate(text: str) -> None:
    assert _urgency(text) != "emergency", text


@pytest.mark.parametrize("question", ["will it make me struggle to breathe?", "could stopping cause a fit?",
                                      "is it ok if i took it twice by mistake once last year?"])
def test_a_question_about_a_risk_is_not_a_backstop_report(question: str) -> None:
    assert not any(f.kind == "backstop" for f in read_text(question).possible)


def test_a_question_that_reports_is_still_read() -> None:
    assert _urgency("why can i not breathe properly?") == "emergency"


def test_a_fall_with_a_normal_gcs_is_a_fall() -> None:
    assert _urgency("found on the floor, witnessed fall, GCS 15, no injury") == "contact_prescriber"


# --- clinical denial lists: "denies"/"nil" run over a comma list to the sentence end ---

@pytest.mark.parametrize("text", ["Pt denies SI, SOB, chest pain", "nil rash, fever, swollen lips",
                                  "no c/o chest pain, SOB"])
def test_denial_lists_cover_every_item(text: str) -> None:
    r = read_text(text)
    assert r.urgency is None and r.negated, text


def test_a_denial_list_stops_at_a_new_subject() -> None:
    assert _urgency("denies rash, my lips are swollen") == "emergency"


# --- structure: capitals, long messages, contractions ---

def test_capitals_read_like_lower_case() -> None:
    assert _urgency("I CANNOT CATCH MY BREATH") == _urgency("i cannot catch my breath") == "emergency"


def test_a_long_rambling_message_is_read_to_its_end() -> None:
    chatter = ", ".join(["went to the shop", "bought some milk", "saw my friend from church",
                         "talked about the weather", "came home and had a cup of tea"] * 4)
    text = f"{chatter}, then after the new tablet my tongue felt swollen and thick, anyway sorry to bother you"
    assert _urgency(text) == "emergency"


def test_a_question_mark_glued_to_a_number_is_shorthand_not_a_sentence_end() -> None:
    assert _urgency("Pt took ?25 tabs, time unknown") == "emergency"


def test_contractions_with_would() -> None:
    assert _urgency("it'd be easier for everyone if I wasn't here") == "emergency"


# --- the backstop only escalates ---

_WORDS = ["breathe", "fine", "no", "not", "swollen", "lips", "hand", "blood", "test", "rash", "fever",
          "took", "too", "many", "by", "mistake", "dizzy", "sleepy", "can", "want", "live", "die", "my",
          "wrist", "cut", "fit", "seizure", "chest", "pain", ",", "and", "but", "denies", "nil"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=14))
def test_the_backstop_never_lowers_an_urgency(words: list[str]) -> None:
    text = " ".join(words).replace(" ,", ",")
    without = read_text(text, net=False, backstop=False).urgency
    with_it = read_text(text, net=False).urgency
    assert _RANK[with_it] <= _RANK[without]


def test_every_backstop_concept_points_to_an_emergency_and_cites_policy() -> None:
    b = load_language().backstop
    assert b is not None and b.concepts
    for c in b.concepts:
        assert "gabacare-policy" in {x.source for x in c.citations}, c.id
