"""Questions in patients' words → the topic that answers them (``gabacare ask``).

Each row is a phrasing a person might type, written for GabaCare (slang, indirect wording and
spelling slips included), and the topic that must come first. Every row must pass; the share on
topic is also printed (``pytest -s``) so a change to the synonyms or weights shows its effect.
``PARAPHRASES`` are indirect wordings found by meaning as well as by words (hybrid retrieval);
``OFF_TOPIC`` questions must get no answer at all (the guide lists its topics instead).
Vocabulary: ``knowledge/data/synonyms.toml`` (gabacare-policy); topics: ``knowledge/data/topics/``
(``examples`` are the example questions the meaning is compared with). None of these rows is copied
from the evaluation corpora in ``tests/eval/data``.
"""

from __future__ import annotations

import pytest
from _table import Table

from gabacare.guide import TOPIC_IDS, ask

PHRASINGS = Table(
    """
    question                                                        | topic
    ----------------------------------------------------------------+-----------------------------
    how does gabapentin work                                        | how-it-works
    how does neurontin work in the brain?                           | how-it-works
    what does this medicine actually do to my nerves                | how-it-works
    how long before gabapentine starts working                      | how-it-works
    why was I given an epilepsy drug for nerve pain                 | how-it-works
    what is the maximum dose per day                                | dosing
    how many times a day should I take it                           | dosing
    can I cut the 600 mg tablet in half                             | dosing
    can I open the capsule or chew it                               | dosing
    how much gabapentin can I take for spasms                       | dosing
    what is the max dosage of neurontin                             | dosing
    i forgot my pill this morning what do i do                      | missed-dose
    I missed a dose, should I take two next time?                   | missed-dose
    can I double up if I skipped a dose                             | missed-dose
    forgot to take my evening dose                                  | missed-dose
    I remembered my dose late, take it now or skip?                 | missed-dose
    can I just stop taking it                                       | stopping
    how do I come off gabapentin                                    | stopping
    what happens if I go cold turkey                                | stopping
    I ran out of my tablets yesterday                               | stopping
    how long does it take to wean off                               | stopping
    what are the withdrawl symptoms                                 | stopping
    what are the side effects                                       | side-effects
    does gabapentin cause weight gain                               | side-effects
    is it normal to feel dizzy and wobbly on it                     | side-effects
    my ankles are puffy since I started                             | side-effects
    will the sleepyness go away                                     | side-effects
    what are the warning signs I need an ambulance                  | emergencies
    when is a reaction an emergency                                 | emergencies
    my lips are swollen, can I keep taking it?                      | emergencies
    is a glass of wine ok                                           | alcohol-and-sedatives
    can I drink booze on gabapentin                                 | alcohol-and-sedatives
    can I take it with tramadol?                                    | alcohol-and-sedatives
    is it safe with my sleeping pills                               | alcohol-and-sedatives
    can I have a few beers at the weekend                           | alcohol-and-sedatives
    alchohol and neurontin                                          | alcohol-and-sedatives
    can I take oxycodone and gabapentin together                    | alcohol-and-sedatives
    can I drive on gabapentin                                       | driving
    is it safe to get behind the wheel                              | driving
    can I operate heavy machinery at work                           | driving
    is it legal to drive while taking it in the UK                  | driving
    I have kidney disease, is the dose different                    | kidneys
    I am on dialysis                                                | kidneys
    my creatinine clearance is low                                  | kidneys
    do my kidnies affect how much I can take                        | kidneys
    should I take it with food or on an empty stomach               | food-and-antacids
    can I take gaviscon for heartburn at the same time              | food-and-antacids
    does milk help if it upsets my stomach                          | food-and-antacids
    is it ok to take with meals                                     | food-and-antacids
    I'm expecting a baby, is it safe                                | pregnancy-and-breastfeeding
    can I breastfeed while on gabapentin                            | pregnancy-and-breastfeeding
    we are trying for a baby                                        | pregnancy-and-breastfeeding
    I just found out I'm pregnent                                   | pregnancy-and-breastfeeding
    does it pass into breast milk                                   | pregnancy-and-breastfeeding
    should I keep the liquid in the fridge                          | storage
    how should I store my capsules                                  | storage
    can I leave it in a hot car                                     | storage
    what temperature do I keep it at                                | storage
    is gabapentin addictive                                         | misuse
    can you get high on it                                          | misuse
    is it a controlled drug in the uk                               | misuse
    I'm worried I'm getting hooked                                  | misuse
    my elderly mum takes it, is it safe for her                     | older-adults
    is it safe for older people                                     | older-adults
    my dad keeps falling since he started it                        | older-adults
    my grandmother is on lots of medicines                          | older-adults
    I took too many pills by accident                               | overdose
    what happens if you overdose on gabapentin                      | overdose
    my child swallowed some of my capsules                          | overdose
    how much is a dangerous dose                                    | overdose
    what are the alternatives to gabapentin                         | alternatives
    is baclofen better than gabapentin for spasms                   | alternatives
    should I switch to lyrica instead                               | alternatives
    how does it compare with duloxetine for nerve pain              | alternatives
    would an ssri be better for my anxiety                          | alternatives
    tizanadine or gabapentin for muscle spasms                      | alternatives
    """
)

PARAPHRASES = Table(
    """
    question                                                        | topic
    ----------------------------------------------------------------+-----------------------------
    what's gabapentin meant to treat                                | how-it-works
    what is the right amount to take at night                       | dosing
    i slept through my lunchtime one                                | missed-dose
    i dont want to be on it forever, how do i get off               | stopping
    is this stuff going to make me fat                              | side-effects
    when do i need to ring an ambulance                             | emergencies
    can i have wine with dinner on gabapentin                       | alcohol-and-sedatives
    i'm a bus driver, will this affect my job                       | driving
    i've had a kidney transplant, what dose                         | kidneys
    is it fine to take with a cup of tea                            | food-and-antacids
    will it affect my baby's development                            | pregnancy-and-breastfeeding
    can i keep my tablets in the kitchen                            | storage
    my mate asked to buy some of my gabapentin                      | misuse
    my 90 year old dad is on it and very wobbly                     | older-adults
    my little boy ate two of my pills                               | overdose
    what other drugs can i take for nerve pain                      | alternatives
    """
)

OFF_TOPIC = [
    "best pizza near me",
    "how do I renew my passport",
    "how do i make a sourdough starter",
    "what is the population of canada",
    "can you recommend a good hotel in london",
    "how do i fix a leaking tap",
    "how do i register with a dentist",
    "how do i cancel my netflix",
]

_ON_TOPIC: list[bool] = []


@pytest.mark.parametrize(PHRASINGS.argnames, PHRASINGS.rows, ids=[q for q, _ in PHRASINGS.rows])
def test_the_expected_topic_answers_first(question: str, topic: str) -> None:
    answers = ask(question).answers
    top = answers[0].topic if answers else None
    _ON_TOPIC.append(top == topic)
    assert top == topic, f"{question!r}: expected {topic}, got {[a.topic for a in answers]}"


@pytest.mark.parametrize(PARAPHRASES.argnames, PARAPHRASES.rows, ids=[q for q, _ in PARAPHRASES.rows])
def test_a_paraphrase_finds_its_topic_by_meaning(question: str, topic: str) -> None:
    result = ask(question)
    top = result.answers[0].topic if result.answers else None
    assert result.retrieval == "hybrid"
    assert top == topic, f"{question!r}: expected {topic}, got {[a.topic for a in result.answers]}"


@pytest.mark.parametrize("question", OFF_TOPIC)
def test_an_off_topic_question_gets_no_answer(question: str) -> None:
    result = ask(question)
    assert result.answers == (), f"{question!r}: expected no answer, got {[a.topic for a in result.answers]}"
    assert result.message is not None and "pharmacist" in result.message


def test_the_paraphrases_cover_every_topic() -> None:
    assert {t for _, t in PARAPHRASES.rows} == set(TOPIC_IDS)


def test_the_table_covers_every_topic_and_is_large_enough() -> None:
    topics = [t for _, t in PHRASINGS.rows]
    assert set(topics) == set(TOPIC_IDS)
    assert len(topics) >= 60
    assert min(topics.count(t) for t in TOPIC_IDS) >= 3


def test_report_share_on_topic() -> None:
    """Runs after the rows (file order) and prints the measured share answered on topic."""
    rows = PHRASINGS.rows
    on_topic = sum(1 for q, t in rows if (a := ask(q).answers) and a[0].topic == t)
    share = on_topic / len(rows)
    print(f"\nask: {on_topic}/{len(rows)} phrasings answered on topic ({share:.0%})")
    assert share == 1.0
