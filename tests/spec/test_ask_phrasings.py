"""Questions in patients' words → the topic that answers them (``gabacare ask``).

Each row is a phrasing a person might type, written for GabaCare (slang, indirect wording and
spelling slips included), and the topic that must come first. Every row must pass; the share on
topic is also printed (``pytest -s``) so a change to the synonyms or weights shows its effect.
Vocabulary: ``knowledge/data/synonyms.toml`` (gabacare-policy); topics: ``knowledge/data/topics/``.
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

_ON_TOPIC: list[bool] = []


@pytest.mark.parametrize(PHRASINGS.argnames, PHRASINGS.rows, ids=[q for q, _ in PHRASINGS.rows])
def test_the_expected_topic_answers_first(question: str, topic: str) -> None:
    answers = ask(question).answers
    top = answers[0].topic if answers else None
    _ON_TOPIC.append(top == topic)
    assert top == topic, f"{question!r}: expected {topic}, got {[a.topic for a in answers]}"


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
