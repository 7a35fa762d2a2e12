"""Symptom triage: what a person types → emergency / contact the prescriber / expected.

Sources (``[[adverse_effects]]``, label §5 and §6, fda-dsc-2019): swelling of face, lips, tongue or
throat and trouble breathing (anaphylaxis/angioedema, label §5.2), rash with fever or swollen glands
(DRESS, §5.1), slow or shallow breathing, extreme sleepiness, blue lips (respiratory depression,
§5.7), seizures (§5.5) and thoughts of suicide (§5.6) are emergencies; mood changes (§5.6), a rash
or fever alone, persistent sleepiness and withdrawal symptoms call for the prescriber; dizziness,
sleepiness, unsteadiness and swollen ankles (§6.1) are expected and usually fade.

People reorder words ("my lips are swollen") and add punctuation; the most urgent match wins.
Results list emergencies first, then contact-the-prescriber, then unrecognised text (which may still
be serious), then expected effects. Unrecognised text is flagged and points to a clinician.
"""

from __future__ import annotations

import pytest
from _table import Table

from gabacare.clinical import triage

PHRASES = Table(
    """
    text                                   | urgency            | effect
    ---------------------------------------+--------------------+------------------------
    swollen lips                           | emergency          | anaphylaxis-angioedema
    my lips are swollen                    | emergency          | anaphylaxis-angioedema
    My face is swollen                     | emergency          | anaphylaxis-angioedema
    tongue is swollen                      | emergency          | anaphylaxis-angioedema
    SWOLLEN LIPS!!                         | emergency          | anaphylaxis-angioedema
    can't breathe                          | emergency          | anaphylaxis-angioedema
    Can’t breathe                          | emergency          | anaphylaxis-angioedema
    cant breathe                           | emergency          | anaphylaxis-angioedema
    short of breath                        | emergency          | anaphylaxis-angioedema
    I feel dizzy and my throat is closing  | emergency          | anaphylaxis-angioedema
    rash and fever                         | emergency          | dress
    fever and rash                         | emergency          | dress
    swollen glands                         | emergency          | dress
    blue lips                              | emergency          | respiratory-depression
    slow breathing                         | emergency          | respiratory-depression
    extremely sleepy                       | emergency          | respiratory-depression
    hard to wake                           | emergency          | respiratory-depression
    seizure                                | emergency          | seizure
    I took too many pills                  | emergency          | overdose
    I had a fit this morning               | emergency          | seizure
    my throat feels tight                  | emergency          | anaphylaxis-angioedema
    thoughts of suicide                    | emergency          | suicidal-thoughts
    I want to die                          | emergency          | suicidal-thoughts
    depressed                              | contact_prescriber | mood-change
    mood swings                            | contact_prescriber | mood-change
    I have a rash                          | contact_prescriber | rash
    fever                                  | contact_prescriber | rash
    hives                                  | contact_prescriber | rash
    still drowsy                           | contact_prescriber | persistent-sleepiness
    can't sleep                            | contact_prescriber | withdrawal
    sleepy                                 | expected           | somnolence
    tired                                  | expected           | somnolence
    dizzy                                  | expected           | dizziness
    light-headed                           | expected           | dizziness
    unsteady                               | expected           | ataxia
    swollen ankles                         | expected           | peripheral-oedema
    my ankles are swollen                  | expected           | peripheral-oedema
    blurred vision                         | expected           | vision
    upset stomach                          | expected           | gut
    """
)


@pytest.mark.parametrize(PHRASES.argnames, PHRASES.rows, ids=PHRASES.ids)
def test_phrase_to_urgency(text, urgency, effect):
    (r,) = triage([text]).results
    assert (r.recognized, r.urgency, r.effect_id) == (True, urgency, effect)
    assert r.citations and any(c.source == "label" for c in r.citations)
    if urgency == "emergency":
        assert r.advice.startswith("Emergency")


@pytest.mark.parametrize("text", ["purple elephants", "headache", "swelling", "I feel fit and well"])
def test_unrecognised_text_is_flagged_and_points_to_a_clinician(text):
    report = triage([text])
    (r,) = report.results
    assert (r.recognized, r.urgency) == (False, None)
    assert "pharmacist" in r.advice and "urgent" in r.advice
    assert report.most_urgent is None
    assert r.to_json()["recognized"] is False


def test_emergencies_come_first_then_prescriber_then_unrecognised_then_expected():
    report = triage(["sleepy", "purple elephants", "I have a rash", "dizzy", "swollen lips", "rash and fever"])
    assert [r.urgency for r in report.results] == [
        "emergency", "emergency", "contact_prescriber", None, "expected", "expected",
    ]
    assert [r.input for r in report.results][:2] == ["swollen lips", "rash and fever"]
    assert report.most_urgent == "emergency" and report.emergency is True


MOST_URGENT = Table(
    """
    texts                         | most_urgent
    ------------------------------+-------------------
    sleepy,dizzy                  | expected
    sleepy,depressed              | contact_prescriber
    swollen ankles,swollen lips   | emergency
    headache                      | -
    headache,dizzy                | expected
    """,
    texts=lambda s: tuple(x.strip() for x in s.split(",")),
)


@pytest.mark.parametrize(MOST_URGENT.argnames, MOST_URGENT.rows, ids=MOST_URGENT.ids)
def test_most_urgent(texts, most_urgent):
    report = triage(texts)
    assert report.most_urgent == most_urgent
    assert report.to_json()["most_urgent"] == most_urgent


def test_blank_entries_are_ignored():
    assert triage(["", "   "]).results == ()


def test_every_knowledge_base_phrase_triages_to_its_own_urgency():
    from gabacare.knowledge import load_monograph

    for effect in load_monograph().adverse_effects:
        for phrase in effect.phrases:
            (r,) = triage([phrase]).results
            rank = ["emergency", "contact_prescriber", "expected"]
            # A phrase may hit a more urgent group (over-matching errs towards urgency), never a less urgent one.
            assert rank.index(r.urgency) <= rank.index(effect.urgency), (phrase, r.effect_id)


# Families of wording found in held-out v14 once it was rotated into development (the corpus rows
# themselves are in tests/eval/data/symptoms_dev18.toml); these rows are new wordings of each family,
# and two non-emergencies that the old rules raised (clothes that "do not fit" read as a fit; "swole"
# read as the face).
FAMILIES_V14 = Table(
    """
    text                                                                 | urgency   | effect
    ---------------------------------------------------------------------+-----------+------------------
    if a lorry hit me on the way home I would not mind                   | emergency | suicidal-thoughts
    thinking of logging out of life for good                             | emergency | suicidal-thoughts
    gave my guitar to my sister, won't be needing it much longer         | emergency | suicidal-thoughts
    he had it all planned, the tablets lined up on the table             | emergency | suicidal-thoughts
    new cuts all over his forearms                                       | emergency | suicidal-thoughts
    what's the point of waking up                                        | emergency | suicidal-thoughts
    took my evening pills twice because I forgot I'd had them            | emergency | overdose
    the nurse gave him his dose not realising he had already taken it    | emergency | overdose
    she got through a month of tablets in ten days                       | emergency | overdose
    my son is jerking on the kitchen floor                               | emergency | seizure
    c/o central CP since 0600                                            | emergency | general-emergency
    rash on back, T 39.1                                                 | emergency | dress
    my trousers do not fit, I have put on weight                         | expected  | weight-gain
    feet swole up by the evening                                         | expected  | peripheral-oedema
    """
)



# The same for held-out v15 (tests/eval/data/symptoms_dev19.toml): new wordings of each family tuned on,
# and a question about fits answered "I have never had one" (a denial, not a report).
FAMILIES_V15 = Table(
    """
    text                                                                   | urgency   | effect
    -----------------------------------------------------------------------+-----------+------------------------
    keep thinking the van going off the bridge would solve everything      | emergency | suicidal-thoughts
    WANT LIFE FINISH. NO POINT.                                            | emergency | suicidal-thoughts
    wrote notes for the grandkids to open after I'm gone                   | emergency | suicidal-thoughts
    she gave her dog away, says she won't be around much longer            | emergency | suicidal-thoughts
    stood at the window last night thinking about jumping                  | emergency | suicidal-thoughts
    black ideas all week since the new dose                                | emergency | suicidal-thoughts
    wnt to kll myslf                                                       | emergency | suicidal-thoughts
    breathing rate about 5 breaths a minute and he's hard to rouse         | emergency | respiratory-depression
    her eyes have gone a yellowish colour                                  | emergency | dress
    gums full of sores and a temperature                                   | emergency | dress
    the lymph nodes in my neck are swollen and I have a fever              | emergency | dress
    HE FIT LAST NIGHT, SHAKING ON FLOOR                                    | emergency | seizure
    my brother had an epileptic crisis this morning                        | emergency | seizure
    counted the pills, there should be 20 left but only 8                  | emergency | overdose
    took all the day's tablets at once by mistake                          | emergency | overdose
    the dog got into the pill organiser and the weekend slots are empty    | emergency | overdose
    what should I do if I have a fit? I have never had one                 | -         | -
    """
)



# Held-out v16 (tests/eval/data/symptoms_dev20.toml): new wordings of its families, and figures of speech
# (language.toml [idioms]) read as no words at all, while the same words said literally still count.
FAMILIES_V16 = Table(
    """
    text                                                                   | urgency   | effect
    -----------------------------------------------------------------------+-----------+------------------------
    I think my children would be better for everyone if I am not in this world | emergency | suicidal-thoughts
    lately I want to vanish from this life                                 | emergency | suicidal-thoughts
    stood on the roof edge after my shift thinking about going over        | emergency | suicidal-thoughts
    strangely calm about not being around after the weekend                | emergency | suicidal-thoughts
    the air feels thick and I'm puffing just walking up the stairs         | emergency | anaphylaxis-angioedema
    burning up all night and a rash on my chest this morning               | emergency | dress
    he choked on his food and can't breathe                                | emergency | anaphylaxis-angioedema
    we choked in the final again, gutted                                   | -         | -
    my grandson is so funny, I nearly died laughing                        | -         | -
    fit as a fiddle today, walked five miles                               | -         | -
    """
)



def test_an_idiom_hides_only_its_own_words():
    from gabacare.clinical.text import read_text

    reading = read_text("nearly died laughing, then had a fit")
    assert reading.urgency == "emergency"
    assert {f.effect for f in reading.findings if f.kind == "sign"} == {"seizure"}
    assert "died" not in reading.words


# Held-out v17 (tests/eval/data/symptoms_dev21.toml): new wordings of its families; a day's total set
# against the day's plan (language.toml [dose_counts] per_day); a denial followed by "until" says when
# the thing began ([negation] until).
FAMILIES_V17 = Table(
    """
    text                                                                   | urgency   | effect
    -----------------------------------------------------------------------+-----------+------------------------
    he keeps signing that he wants to go to heaven with grandad            | emergency | suicidal-thoughts
    she typed no more me on her tablet                                     | emergency | suicidal-thoughts
    my wife would be fine without me, the kids would get on without me too | emergency | suicidal-thoughts
    if the surgery fails I'll swallow every pill in the house and go with him | emergency | suicidal-thoughts
    my sister texted look after the kids for me and now her phone is off   | emergency | suicidal-thoughts
    I stand at the platform and think how quick it would be                | emergency | suicidal-thoughts
    held my hand on the hob on purpose last night                          | emergency | suicidal-thoughts
    been thinking of walking out into the sea and not coming back          | emergency | suicidal-thoughts
    no seizures for two years until last night                             | emergency | seizure
    I'm on 300 three times a day and I've had 1800 today                   | emergency | overdose
    I'm on 300 three times a day and I've had 900 today                    | -         | -
    the inside of his mouth is all blistered and he has a temperature      | emergency | dress
    that match nearly gave me a heart attack                               | -         | -
    my boss is going to kill me if I'm late                                | -         | -
    no rash until today, now it is spreading                               | contact_prescriber | rash
    """
)



# Held-out v18 (tests/eval/data/symptoms_dev22.toml): new wordings of its families, and idioms of death.
FAMILIES_V18 = Table(
    """
    text                                                                   | urgency   | effect
    -----------------------------------------------------------------------+-----------+------------------------
    keep googling how high the car park roof is                            | emergency | suicidal-thoughts
    Nan says she is saving her tablets to go and join Grandad              | emergency | suicidal-thoughts
    written letters for the kids in case I'm not around next month         | emergency | suicidal-thoughts
    honestly I'm done with all of it                                       | emergency | suicidal-thoughts
    nobody is going to miss me when I'm gone                               | emergency | suicidal-thoughts
    resp rate 6 and very drowsy                                            | emergency | respiratory-depression
    his breathing keeps stopping when he dozes off                         | emergency | respiratory-depression
    her skin has gone the colour of custard                                | emergency | dress
    had one of my turns in the night, the shaking kind                     | emergency | seizure
    took 10 tablets because I was in so much pain                          | emergency | overdose
    she took the whole week supply at once                                 | emergency | overdose
    my dose was given twice by mistake this morning                        | emergency | overdose
    I've taken 4200 mg today, my prescription is 1800                      | emergency | overdose
    this rota will be the death of me                                      | -         | -
    dying to get out of the house after a week in bed                      | -         | -
    """
)



# Held-out v19 (tests/eval/data/symptoms_dev23.toml): new wordings of its families; a figure of speech's
# leftover words are not sent to the semantic net ("my boss will ... the bill" read as an emergency).
FAMILIES_V19 = Table(
    """
    text                                                                   | urgency   | effect
    -----------------------------------------------------------------------+-----------+------------------------
    on the drive home I thought it would be easier if a lorry took me out  | emergency | suicidal-thoughts
    she has written the notes and is just waiting for Friday               | emergency | suicidal-thoughts
    the office would run smoother without me in it                         | emergency | suicidal-thoughts
    he bought a rope for the garden but we have no garden                  | emergency | suicidal-thoughts
    my brother gave his records away and says he will not be needing them  | emergency | suicidal-thoughts
    she posted 'bye all' on the group chat and is not answering            | emergency | suicidal-thoughts
    he texted tell the kids I love them and turned his phone off           | emergency | suicidal-thoughts
    skin coming away on his back and febrile                               | emergency | dress
    years without a seizure and then I had one last night                  | emergency | seizure
    my wife said it was a fit, I only remember the floor                   | emergency | seizure
    took 3 x 300 mg at once, prescription is 1 x 300 mg three times a day  | emergency | overdose
    total today 3000 mg, max on my label is 1800 mg                        | emergency | overdose
    my little boy took my tablets from the table, maybe two                | emergency | overdose
    her speech went garbled and her arm went numb                          | emergency | general-emergency
    my boss will have a fit when she sees the bill                         | -         | -
    """
)


# Held-out v20 (tests/eval/data/symptoms_dev24.toml).
FAMILIES_V20 = Table(
    """
    text                                                                   | urgency   | effect
    -----------------------------------------------------------------------+-----------+------------------------
    keep picturing walking into the river and not coming out               | emergency | suicidal-thoughts
    Mum says she asked God to take her tonight                             | emergency | suicidal-thoughts
    sorting my things so nobody has to later                               | emergency | suicidal-thoughts
    he said he's going to do himself in                                    | emergency | suicidal-thoughts
    took the car out meaning to crash it                                   | emergency | suicidal-thoughts
    my body hot like fire and red spots everywhere                         | emergency | dress
    blisters spreading all over my chest                                   | emergency | dress
    water bumps on his hands and his mouth is sore                         | emergency | dress
    I took 9 tablet together for the pain                                  | emergency | overdose
    dropped a whole strip of gabapentin                                    | emergency | overdose
    my son took some of my pills off the side                              | emergency | overdose
    that sunset took my breath away                                        | -         | -
    dead chuffed with my scan results                                      | -         | -
    """
)


FAMILIES_V21 = Table(
    """
    text                                                                   | urgency   | effect
    -----------------------------------------------------------------------+-----------+------------------------
    I keep staring over the balcony thinking how easy it would be to jump  | emergency | suicidal-thoughts
    left a note for my wife for when I am gone                             | emergency | suicidal-thoughts
    if a car hit me that'd be fine by me                                   | emergency | suicidal-thoughts
    stood on the pier thinking about jumping in                            | emergency | suicidal-thoughts
    the river keeps calling me in                                          | emergency | suicidal-thoughts
    wants to jump off the cliff and be done with it                        | emergency | suicidal-thoughts
    planning my final exit, a permanent one                                | emergency | suicidal-thoughts
    says he won't be around much longer and gave away his fishing rods     | emergency | suicidal-thoughts
    I don't care if I wake up or not anymore                               | emergency | suicidal-thoughts
    it would be better if I was dead                                       | emergency | suicidal-thoughts
    the dog knocked one off the counter and swallowed it                   | emergency | overdose
    my hamster chewed a capsule                                            | emergency | overdose
    my flatmate borrowed some of my tablets                                | emergency | overdose
    took 1200 mg at lunch, my script says 300 three times a day            | emergency | overdose
    took one, it did not work, so took another and another                 | emergency | overdose
    his speech went garbled and his leg went weak                          | emergency | general-emergency
    qandho and a red rash on my chest                                      | emergency | dress
    is she breathing? no                                                   | emergency | respiratory-depression
    breathing: no                                                          | emergency | respiratory-depression
    fever - no, rash - no                                                  | -         | -
    Q: seizures? A: none                                                   | -         | -
    Q: trouble breathing? A: no                                            | -         | -
    my boss is going to kill me                                            | -         | -
    we did the shop fit out all weekend                                    | -         | -
    """
)


FAMILIES_V22 = Table(
    """
    text                                                                   | urgency   | effect
    -----------------------------------------------------------------------+-----------+------------------------
    could paddle out past the buoys and never come back                    | emergency | suicidal-thoughts
    I stand on the bridge every night and think about going over           | emergency | suicidal-thoughts
    been having sewer side thoughts all week                               | emergency | suicidal-thoughts
    I had 8 capsules today. I'm meant to have 3.                           | emergency | overdose
    can not breed properly since lunchtime                                 | emergency | anaphylaxis-angioedema
    she had a sees her at the bus stop                                     | emergency | seizure
    my son kena fit at school this morning                                 | emergency | seizure
    demam since yesterday and a rash on my back                            | emergency | dress
    wysypka on my legs and goraczka                                        | emergency | dress
    the computer had a seizure at work again                               | -         | -
    the coach threw a fit about the referee                                | -         | -
    my mum says I'm back to my old self                                    | -         | -
    """
)


FAMILIES_V23 = Table(
    """
    text                                                                   | urgency   | effect
    -----------------------------------------------------------------------+-----------+------------------------
    she asked me to leave all her tablets by the bed tonight               | emergency | suicidal-thoughts
    grandad says he'd rather be pushing up daisies                         | emergency | suicidal-thoughts
    my kids would be better off with someone else as their mum             | emergency | suicidal-thoughts
    breathing                                                              | emergency | anaphylaxis-angioedema
    nagkaseizure si lola kagabi                                            | emergency | seizure
    the night nurse gave him another resident's gabapentin                 | emergency | overdose
    drank way more than my 5ml of the liquid                               | emergency | overdose
    chest pain? no. breathing? fine.                                       | -         | -
    the derby was a bloodbath                                              | -         | -
    """
)


FAMILIES_V24 = Table(
    """
    text                                                                   | urgency   | effect
    -----------------------------------------------------------------------+-----------+------------------------
    since my wife passed I would rather be with her than here alone        | emergency | suicidal-thoughts
    sat on the bridge railing until someone talked me down                 | emergency | suicidal-thoughts
    me quiero morir, no puedo más                                          | emergency | suicidal-thoughts
    tengo fiebre y ronchas en la espalda                                   | emergency | dress
    se me hincharon los labios after lunch                                 | emergency | anaphylaxis-angioedema
    mi hijo tuvo convulsiones anoche                                       | emergency | seizure
    bukhar hai aur daane all over                                          | emergency | dress
    seene mein dard since morning                                          | emergency | general-emergency
    took 2400mg at once, prescribed 600mg                                  | emergency | overdose
    my housemate took some of my gabapentin last night                     | emergency | overdose
    the dog licked a broken capsule                                        | emergency | overdose
    the cut on my hand won't stop spurting                                 | emergency | general-emergency
    never had a fit in my life but he just had one in the kitchen          | emergency | seizure
    took a diazepam with my gabapentin and feel a bit muddled, breathing fine | contact_prescriber | sedation-with-depressant
    we died on stage at the open mic                                       | -         | -
    a high fibre diet and a fire in the grate                              | -         | -
    """
)


FAMILIES_V25 = Table(
    """
    text                                                                   | urgency   | effect
    -----------------------------------------------------------------------+-----------+------------------------
    knitted them each a scarf to remember me by when I'm gone              | emergency | suicidal-thoughts
    I keep thinking about stepping out in front of the express             | emergency | suicidal-thoughts
    the tablets are counted out on the desk and the note is written        | emergency | suicidal-thoughts
    I'd be better off in the grave beside my mum                           | emergency | suicidal-thoughts
    I keep hoping the tractor will roll over on me                         | emergency | suicidal-thoughts
    I plan to be gone soon                                                 | emergency | suicidal-thoughts
    my pikin dey shake for ground since morning                            | emergency | seizure
    he takes the gabapentin of my mother, not his own                      | emergency | overdose
    the rash is peeling off me in sheets                                   | emergency | dress
    my chest feels like a truck is parked on it                            | emergency | general-emergency
    this level is killing me lol                                           | -         | -
    going to die of boredom at this meeting                                | -         | -
    """
)


# Held-out v26, rotated into development: hedges that are no denial ("probably nothing but ..."), a
# rope and a chosen branch, looking up how high a bridge is or how many pills it takes, a goodbye
# like the last time, tablets stockpiled; a child's age written "7yo"; itch and dizziness in Dutch
# and Greek kept as their own words; a device that "died".
FAMILIES_V26 = Table(
    """
    text                                                                     | urgency            | effect
    -------------------------------------------------------------------------+--------------------+-----------------------
    honestly it would be the kindest thing for everyone if I was gone        | emergency          | suicidal-thoughts
    bought a rope last week and I already picked the branch                  | emergency          | suicidal-thoughts
    found razors hidden under his bed and plasters on his arms               | emergency          | suicidal-thoughts
    I've been looking up how many pills it would take                        | emergency          | suicidal-thoughts
    some nights I think of swimming out and never coming back                | emergency          | suicidal-thoughts
    I keep thinking about being done with it all                             | emergency          | suicidal-thoughts
    I checked how high the multi-storey car park is                          | emergency          | suicidal-thoughts
    Dad rang to say goodbye like it was the last time                        | emergency          | suicidal-thoughts
    she has been stockpiling her tablets for months                          | emergency          | suicidal-thoughts
    I've made up my mind, tonight is the night                               | emergency          | suicidal-thoughts
    I keep thinking about pointing the nail gun at myself                    | emergency          | suicidal-thoughts
    my daughter has been helping herself to my gabapentin                    | emergency          | overdose
    probably nothing but I took two extra capsules                           | emergency          | overdose
    my face looks like I've done ten rounds in a boxing match                | emergency          | anaphylaxis-angioedema
    my 7yo is a nightmare since starting, can't sit still                    | contact_prescriber | child-behaviour
    maybe its nothing but since i came off them i can't settle               | contact_prescriber | withdrawal
    jeuk all over my arms since the new tablets                              | contact_prescriber | rash
    zalada since the new dose                                                | expected           | dizziness
    seeing dubble when I'm tired                                             | expected           | vision
    my phone died halfway through the call                                   | -                  | -
    """
)


# Held-out v27, rotated into development: nobody would notice one less, a plan and a date, better off
# with the insurance, giving things away, throwing oneself in the water; someone who cannot be woken
# and snores then stops; a fit "last nite"; tablets counted as "my 600s"; a dose raised without asking;
# tablets borrowed or given to a pet; a smile on one side; rash and fever told together; figures of
# speech (a team "having a seizure", passing out from boredom).
FAMILIES_V27 = Table(
    """
    text                                                                     | urgency            | effect
    -------------------------------------------------------------------------+--------------------+-----------------------
    on the night shift I keep thinking nobody would notice if I slipped over the rail | emergency | suicidal-thoughts
    checked the roof access on my round, not for work, I want it over        | emergency          | suicidal-thoughts
    he said he might just steer the truck into a bridge on the way home      | emergency          | suicidal-thoughts
    I have a plan and a date now                                             | emergency          | suicidal-thoughts
    they'd be better off with the life insurance payout                      | emergency          | suicidal-thoughts
    my sister says she will throw herself in the canal tonight               | emergency          | suicidal-thoughts
    I've started giving away my tools and my books                           | emergency          | suicidal-thoughts
    can't get my wife to wake up, she snores then stops for ages             | emergency          | respiratory-depression
    had a fit last nite, fine now                                            | emergency          | seizure
    his arms and legs were jerking nonstop and he could not talk             | emergency          | seizure
    the cat ate two of my 600s                                               | emergency          | overdose
    I upped my own dose to 2400 without asking anyone                        | emergency          | overdose
    my flatmate has been borrowing my pregabs to get to sleep                | emergency          | overdose
    he gave the dog some of his gabapentin for the fireworks                 | emergency          | overdose
    Dad can't smile on one side and his arm feels heavy                      | emergency          | general-emergency
    rash with a fever last week, both gone now                               | emergency          | dress
    the floor tilts when I stand up since starting                           | expected           | dizziness
    up 5 kilos since I started these                                         | expected           | weight-gain
    my fantasy team is having a seizure this season lol                      | -                  | -
    I nearly passed out from boredom in that meeting                         | -                  | -
    """
)


# Held-out v28, rotated into development: ligatures and a banister, not a problem for anyone much
# longer, a place that "keeps calling me", a Somali prayer to be taken, a knife hidden in a room; lips
# that "become very big"; a rash with sores in the mouth (a combination, label 5.1); shaking of the
# whole body with the eyes rolled up; a pupil's behaviour, Serbian dizziness, weight in kg; figures of
# speech (dying inside lol, fainting at a price, cutting one's own fringe).
FAMILIES_V28 = Table(
    """
    text                                                                     | urgency            | effect
    -------------------------------------------------------------------------+--------------------+-----------------------
    seen enough ligatures at work to know what I'm doing with the banister   | emergency          | suicidal-thoughts
    won't be a problem for anyone much longer, I've sorted who gets the dog  | emergency          | suicidal-thoughts
    keep picturing lying down in the middle of the motorway                  | emergency          | suicidal-thoughts
    the bridge over the river keeps calling me                               | emergency          | suicidal-thoughts
    my uncle keeps saying Ilaahay ha i qaado and won't eat                   | emergency          | suicidal-thoughts
    he hides the kitchen knife under his pillow                              | emergency          | suicidal-thoughts
    her lips become very big after the tablet                                | emergency          | anaphylaxis-angioedema
    rash all over and sores inside my mouth                                  | emergency          | dress
    he was shaking all the body with eyes rolled up, 2 minutes               | emergency          | seizure
    in the night she started to shake very strong, arms and legs             | emergency          | seizure
    crying at the adverts again, it's the tablets                            | contact_prescriber | mood-change
    one of my year 3s on gabapentin is suddenly hitting everyone             | contact_prescriber | child-behaviour
    vrtoglavica since the new dose                                           | expected           | dizziness
    gained 4kg since starting                                                | expected           | weight-gain
    could sleep on a washing line since the dose went up                     | expected           | somnolence
    team got slaughtered and I'm dying inside lol                            | -                  | -
    nearly fainted when I saw the price of petrol                            | -                  | -
    cut myself a new fringe today, looks awful                               | -                  | -
    he ODd on his gabapentin last night                                      | emergency          | overdose
    I feel a bit odd on my gabapentin today                                  | -                  | -
    """
)


# Held-out v29 (tests/eval/data/symptoms_dev33.toml): other languages' body and symptom words read as
# English ([normalise.words]), so any word order reads; pairs of figures of speech ([[idioms.pairs]]);
# a bare number or day word past a comma ([clauses] comma_bound).
FAMILIES_V29 = Table(
    """
    text                                                                   | urgency   | effect
    -----------------------------------------------------------------------+-----------+------------------------
    my sister says the kids would manage fine without her                  | emergency | suicidal-thoughts
    bas khud ko khatam karna chahta hoon                                   | emergency | suicidal-thoughts
    nonno respira piano e le labbra sono blu                               | emergency | respiratory-depression
    it's like breathing through a straw since last night                   | emergency | anaphylaxis-angioedema
    se le hinchó la cara y la lengua                                       | emergency | anaphylaxis-angioedema
    tiene la boca muy hinchada                                             | emergency | anaphylaxis-angioedema
    may lagnat at pantal sa likod                                          | emergency | dress
    mia madre ha avuto una crisi epilettica                                | emergency | seizure
    took two 800s together to get ahead of the pain                        | emergency | overdose
    took today's dose and tomorrow's dose at once                          | emergency | overdose
    nana ka muh tedha ho gaya                                              | emergency | general-emergency
    grandad took a weakness in the garden and went down                    | emergency | respiratory-depression
    dolor fuerte en el pecho desde anoche                                  | emergency | general-emergency
    she does not answer when I call her and her lips look grey             | emergency | respiratory-depression
    my tomatoes collapsed in the storm                                     | -         | -
    overdosed on mince pies again                                          | -         | -
    breathless from laughing at the panto                                  | -         | -
    passed out the hymn sheets at church                                   | -         | -
    the printer choked on the card stock                                   | -         | -
    a heart attack of a day at the office                                  | -         | -
    won 3-1, took my 8pm dose after the match                              | -         | -
    payday tomorrow, took my morning caps                                  | -         | -
    """
)

# Held-out v30 (tests/eval/data/symptoms_dev34.toml): Nigerian Pidgin, Tagalog and Polish wordings, means
# looked at "differently", an arm that went dead with odd speech, a fit told by what came after it, and a
# Tagalog denial of self-harm.
FAMILIES_V30 = Table(
    """
    text                                                                   | urgency   | effect
    -----------------------------------------------------------------------+-----------+------------------------
    mi no wan live again, e don tire me                                    | emergency | suicidal-thoughts
    been eyeing the rope in the shed differently, if you know what I mean  | emergency | suicidal-thoughts
    hindi ko siya magising, ang bagal ng hinga niya                        | emergency | respiratory-depression
    miałam atak padaczki dziś rano                                         | emergency | seizure
    nainom ko yung gamot ni tatay by mistake                               | emergency | overdose
    popped 2 of my mate's xanax at the festival                            | emergency | overdose
    his leg went numb and his speech was slurred for a few minutes         | emergency | general-emergency
    grandad went stiff and jerking in his chair and bit his tongue         | emergency | seizure
    wala akong balak saktan ang sarili ko, malungkot lang                  | -         | -
    I'll die of embarrassment if she sings at the wedding                  | -         | -
    she was dying of boredom at the meeting                                | -         | -
    """
)

# Held-out v31 (tests/eval/data/symptoms_dev35.toml): a plan told by its date or its means, the rest of the
# pills and not coming back, a handful "for a buzz"; a fall told as an idiom; alarm clocks, tempers and
# bills as figures of speech.
FAMILIES_V31 = Table(
    """
    text                                                                   | urgency            | effect
    -----------------------------------------------------------------------+--------------------+-----------------
    I've picked a date and worked out how I'll do it                       | emergency          | suicidal-thoughts
    they found him in the car in the garage with a hose on the exhaust     | emergency          | suicidal-thoughts
    off to the woods with the whole packet and never coming back           | emergency          | overdose
    popped like 8 of them for a buzz, feel weird now                       | emergency          | overdose
    went arse over tit on the ice this morning                             | contact_prescriber | falls
    slept through two alarms this morning, a bit drowsy                    | expected           | somnolence
    she'll have a fit when she sees the price of the boots                 | -                  | -
    the bills are killing me this month                                    | -                  | -
    """
)

# Held-out v32 (tests/eval/data/symptoms_dev36.toml): being gone told as nobody noticing, a world made
# lighter, "stop being alive"; jumbled words with a weak hand; two days' doses at once; a trip told as one;
# training sessions and waiting rooms as figures of speech.
FAMILIES_V32 = Table(
    """
    text                                                                   | urgency            | effect
    -----------------------------------------------------------------------+--------------------+-----------------
    everyone would be better off with me out of the way                    | emergency          | suicidal-thoughts
    he says nobody would notice if he just disappeared                     | emergency          | suicidal-thoughts
    I just want to stop being alive                                        | emergency          | suicidal-thoughts
    her words came out garbled and her left hand went weak                 | emergency          | general-emergency
    took two days worth together by accident                               | emergency          | overdose
    grandad tripped over the rug again                                     | contact_prescriber | falls
    the gym session ran us till we wanted to die                           | -                  | -
    the office is where hope goes to die                                   | -                  | -
    """
)

# Held-out v33 (tests/eval/data/symptoms_dev37.toml): someone else taking some of my supply (the lexicon's
# word groups); a refill not needed because things are "sorted out for good"; the height of a bridge, a
# balcony and how easy it would be, a dead weight to others; Indonesian "pengen mati"; Portuguese skin and
# blisters with a fever; a rash and temperature that went away; not remembering, so taking them again; a
# denial that ends at a colon; a reason for treatment by the medicine's everyday name; a tumble told as a fall.
FAMILIES_V33 = Table(
    """
    text                                                                   | urgency            | effect
    -----------------------------------------------------------------------+--------------------+-----------------
    my stepdaughter took a couple of my gabapentin to get to sleep         | emergency          | overdose
    my lodger helped himself to my pregabalin last night                   | emergency          | overdose
    she will not be needing her refill, she has sorted it all out for good | emergency          | suicidal-thoughts
    I keep working out which bridge is high enough                         | emergency          | suicidal-thoughts
    stood on the balcony thinking how easy it would be                     | emergency          | suicidal-thoughts
    i feel like a dead weight to my family                                 | emergency          | suicidal-thoughts
    saya pengen mati saja                                                  | emergency          | suicidal-thoughts
    pele vermelha com bolhas and a fever                                   | emergency          | dress
    had a rash and a temperature on friday that went away, telling you now | emergency          | dress
    I could not remember if I had taken them so I took them again          | emergency          | overdose
    I am deaf so cannot phone: my lips are swelling up                     | emergency          | anaphylaxis-angioedema
    my boy is on gaba for his seizures and has been moody                  | contact_prescriber | mood-change
    took a tumble on the stairs, just a bruised knee                       | contact_prescriber | falls
    """
)

# Held-out v34 (tests/eval/data/symptoms_dev38.toml): not around for a birthday, videos for after he is gone,
# not caring whether she wakes, leaning toward the train, how tall the car park is, a blade stared at;
# breaths miles apart, snores with long pauses, breathing through a wet towel, a golf ball to swallow that
# came on (not big tablets); a pet paddling its legs, shaking then coming round; another person's pills,
# one every hour; a word the corrector would have made a denial ("reny" is not "deny"); an arm that will not
# lift; someone else taking my tablets read in order (not "took my gabapentin, the kids ...").
FAMILIES_V34 = Table(
    """
    text                                                                         | urgency            | effect
    -----------------------------------------------------------------------------+--------------------+-----------------
    no present please, she doesnt think she will be around for her birthday      | emergency          | suicidal-thoughts
    he has been recording videos for the kids to open after he is gone           | emergency          | suicidal-thoughts
    says she stopped caring if she wakes up, half hopes she wont                 | emergency          | suicidal-thoughts
    when the train comes in part of me wants to step forward                     | emergency          | suicidal-thoughts
    keeps checking how tall the car park is and whether the drop would be enough | emergency          | suicidal-thoughts
    sat on the edge of the bed with a blade just staring at it                   | emergency          | suicidal-thoughts
    his breaths are miles apart since the methadone                              | emergency          | respiratory-depression
    she snores then there are long pauses, on oxycodone and gabapentin           | emergency          | respiratory-depression
    breathing feels like sucking air through a wet towel                         | emergency          | anaphylaxis-angioedema
    swallowing feels like a golf ball stuck, my throat went tight                | emergency          | anaphylaxis-angioedema
    the cat lay on his side paddling his legs                                    | emergency          | seizure
    my uncle shook all over then came round confused                             | emergency          | seizure
    took my cellmate's pills as well as my own                                   | emergency          | overdose
    kept popping one every hour for the pain                                     | emergency          | overdose
    her reny had a seizure at the shop                                           | emergency          | seizure
    he suddenly could not lift his left arm and his face looked odd              | emergency          | general-emergency
    took my gabapentin anyway, the kids are driving me round the bend            | -                  | -
    swallowing these 800s is like swallowing golf balls                          | -                  | -
    """
)

# Held-out v35 (tests/eval/data/symptoms_dev39.toml) and the fourth batch of diary notes: Nigerian Pidgin
# and Tagalog wishes to die, a shotgun sat with, a mind made up; forgetting to breathe; a rash with a body
# burning hot; shaking and wetting herself; two doses at once, Patois "tek two extra", a grandmother taking
# my tablets for hers, "ingested 2x"; a face drooping to one side; a throat shrinking; "blead" is bleed;
# Tagalog "wala namang rash" denies; Afrikaans dizziness; things fitted, a river swollen, an "overdose" of
# adverts and a queue "giving me a heart attack" are no symptoms.
FAMILIES_V35 = Table(
    """
    text                                                     | urgency            | effect
    ---------------------------------------------------------+--------------------+-----------------
    abeg I no fit continue, I wan sleep and no wake up       | emergency          | suicidal-thoughts
    he sat in the shed with his shotgun all afternoon        | emergency          | suicidal-thoughts
    gusto ko nang mamatay, I am so tired                     | emergency          | suicidal-thoughts
    every few breaths she forgets to take the next one       | emergency          | respiratory-depression
    rash all over him and he is burning hot                  | emergency          | dress
    she shook all over and wet herself in the chair          | emergency          | seizure
    took two of my doses at once by mistake                  | emergency          | overdose
    I tek two extra pill for the pain                        | emergency          | overdose
    my nan took my tablets thinking they were hers           | emergency          | overdose
    ingested 2x the prescribed dose an hour ago              | emergency          | overdose
    her face is drooping to one side suddenly                | emergency          | general-emergency
    made my mind up, I will not be here by christmas         | emergency          | suicidal-thoughts
    my throat is shrinking, I can hardly swallow             | emergency          | anaphylaxis-angioedema
    blead from my nose for an hour and it will not stop      | emergency          | general-emergency
    may lagnat ako, wala namang rash                         | contact_prescriber | rash
    the queue at the post office is giving me a heart attack | -                  | -
    ek voel bietjie duiselig today                           | expected           | dizziness
    fitted the new blinds in the kitchen                     | -                  | -
    total overdose of christmas adverts this year            | -                  | -
    the river was swollen so we took the long way            | -                  | -
    """
)

# Held-out v36 (tests/eval/data/symptoms_dev40.toml): a gun and how quick it would be, letters with the
# will, the only thing keeping me here; stopping on the stairs to catch my breath, a sentence not finished
# without gasping, a lip come up like a sting; red spots, very hot and a sore mouth told in three sentences,
# sunburnt all over with a fever, Gujarati fever, Greek and Swahili fits; "3x my script"; an arm that will
# not work, a hand that would not grip, the worst headache of his life; a reported question answered no
# in its own sentence denies what it asked; hot food, the loo and money are no symptoms.
FAMILIES_V36 = Table(
    """
    text                                                                          | urgency            | effect
    ------------------------------------------------------------------------------+--------------------+-----------------
    keeps oiling his old rifle and thinking how quick it would be                 | emergency          | suicidal-thoughts
    she wrote letters to each of the grandkids and put them with the will         | emergency          | suicidal-thoughts
    my dog is the only thing keeping me here                                      | emergency          | suicidal-thoughts
    had to stop twice on the stairs to catch my breath since the new dose         | emergency          | anaphylaxis-angioedema
    I can not finish a sentence without gasping                                   | emergency          | anaphylaxis-angioedema
    his top lip has come up like he was stung                                     | emergency          | anaphylaxis-angioedema
    I have red spots. I feel very hot. My mouth hurts inside.                     | emergency          | dress
    my skin looks like I have been sunburnt all over and I have a fever           | emergency          | dress
    taav aavyo che and a rash everywhere                                          | emergency          | dress
    o papous had an epileptiki krisi at lunch                                     | emergency          | seizure
    alipata kifafa this morning                                                   | emergency          | seizure
    took 3x my script last night                                                  | emergency          | overdose
    My arm will not work.                                                         | emergency          | general-emergency
    my hand would not grip and one side of my face is numb                        | emergency          | general-emergency
    worst headache of his life, came on suddenly                                  | emergency          | general-emergency
    the nurse asked if I have been thinking of ending things, I honestly have not | -                  | -
    the nurse asked if I have been thinking of ending things, I said yes          | emergency          | suicidal-thoughts
    that curry had my mouth on fire                                               | -                  | -
    dying for the loo on this ward                                                | -                  | -
    been bleeding money on parking                                                | -                  | -
    """
)

# Held-out v37 (tests/eval/data/symptoms_dev41.toml): a plane that does not land with me on it, dark for good, how many
# floors one would not survive, a balcony and whether to step off, an accident for the insurance, windows wide enough;
# breaths that forget to happen; a carer's list of fragments (breathing ~6/min, colour grey, responsive barely, a
# generalised shaking, a dose scheduled and a dose taken); a pet that got at a capsule; telegraphic "pill. twice. mistake.";
# a list that answers "normal" denies its label; someone else's dose "on top of" only in order.
FAMILIES_V37 = Table(
    """
    text                                                                           | urgency            | effect
    -------------------------------------------------------------------------------+--------------------+-------------------------
    thinking it would be fine if the plane went down with me on it                 | emergency          | suicidal-thoughts
    I just want to be dark for good                                                | emergency          | suicidal-thoughts
    been looking up how many storeys you need to not survive a fall                | emergency          | suicidal-thoughts
    stood on the bridge deciding whether to step off                               | emergency          | suicidal-thoughts
    I looked up how to make it look like an accident so they get the insurance     | emergency          | suicidal-thoughts
    keep checking which windows open wide enough                                   | emergency          | suicidal-thoughts
    my breaths keep forgetting to happen                                           | emergency          | respiratory-depression
    I have to remind myself to breathe                                             | emergency          | respiratory-depression
    - breathing: 5/min                                                             | emergency          | respiratory-depression
    - colour: grey                                                                 | emergency          | respiratory-depression
    - responsive: barely                                                           | emergency          | respiratory-depression
    - event: generalised shaking for a minute                                      | emergency          | seizure
    the cat got at a tablet on the floor and chewed it                             | emergency          | overdose
    his eyes and lips have puffed right up                                         | emergency          | anaphylaxis-angioedema
    took medicine two times by accident                                            | emergency          | overdose
    dose. twice. mistake.                                                          | emergency          | overdose
    - scheduled: 300mg - actual: 1200mg                                            | emergency          | overdose
    - temp: normal                                                                 | -                  | -
    - face/lips: ok                                                                | -                  | -
    son had beers on top of his gabapentin, sleepy, answers me, breathing normally | contact_prescriber | sedation-with-depressant
    the stylist's colour came out blue and she loved it                            | -                  | -
    """
)

# Held-out v38 (tests/eval/data/symptoms_dev42.toml): a list of fragments split by slashes (want it over, a rope), wheeling
# oneself off a pier, ready to go and asking where the tablets are; BSL-influenced glosses (ME BREATH HARD, telegraphic
# sentences of up to four words read together); a face like a pufferfish; skin like a map with a fever; another
# resident's medicine; eating well on the medicine; throwing things and screaming. A bare "ok" denies nothing:
# "slow, breathing ok" stays an emergency (a post trigger "ok" denied "his lips are swelling up ok").
FAMILIES_V38 = Table(
    """
    text                                                                 | urgency            | effect
    ---------------------------------------------------------------------+--------------------+-------------------------
    tablets / low / want it all over / bought a rope                     | emergency          | suicidal-thoughts
    thought about wheeling myself off the end of the jetty               | emergency          | suicidal-thoughts
    she keeps saying she is ready to go and asking where her tablets are | emergency          | suicidal-thoughts
    ME BREATH HARD. SLEEPY.                                              | emergency          | respiratory-depression
    my lips and cheeks look like a pufferfish                            | emergency          | anaphylaxis-angioedema
    her skin looks like a map and she has a temperature of 39            | emergency          | dress
    a patient on the ward was given another patient's gabapentin         | emergency          | overdose
    ME PILL TWO TIMES. FORGET FIRST.                                     | emergency          | overdose
    took my zopiclone and gabapentin, feel heavy and slow, breathing ok  | emergency          | respiratory-depression
    no tantrums, sleeping well, eating well on the medicine              | -                  | -
    since the new medicine he is throwing things and screaming           | contact_prescriber | child-behaviour
    """
)

# Held-out v39 (tests/eval/data/symptoms_dev43.toml): who gets the bees after I am gone, not paddling back in, asking God
# to take her, notes in the drawer, sleep and simply not wake up, ways to off myself; minutes lost and waking on the floor;
# a golf ball in the throat; a lip like a sausage; water bubbles on a rash; a whole body jerking for a minute; a cousin
# who nicked a few of my pregabs; a day's total so far ("six by lunchtime") against the bottle; boots that fitted, double
# vision (expected: label 6.1), a fit of the giggles, a rig that gave up the ghost.
FAMILIES_V39 = Table(
    """
    text                                                              | urgency   | effect
    ------------------------------------------------------------------+-----------+-----------------------
    I have sorted out who gets the horses after I am gone             | emergency | suicidal-thoughts
    keep thinking about not swimming back in                          | emergency | suicidal-thoughts
    she keeps asking god to take her tonight                          | emergency | suicidal-thoughts
    wrote the goodbye letters and put them in the drawer              | emergency | suicidal-thoughts
    how many would let me go to sleep and just never wake up          | emergency | suicidal-thoughts
    been googling ways to off myself                                  | emergency | suicidal-thoughts
    I lost a few minutes and came round on the bathroom floor         | emergency | respiratory-depression
    feels like a golf ball in my throat and it keeps getting bigger   | emergency | anaphylaxis-angioedema
    his top lip has gone like a sausage                               | emergency | anaphylaxis-angioedema
    the rash has little water bubbles that keep bursting              | emergency | dress
    my whole body was jerking for about a minute then I was wiped out | emergency | seizure
    my flatmate nicked some of my pregabalin                          | emergency | overdose
    the box says two a day and I have had five by lunchtime           | emergency | overdose
    my new boots fitted fine                                          | -         | -
    had double vision for an hour yesterday                           | expected  | vision
    she had a fit of the giggles in the meeting                       | -         | -
    the old printer finally gave up the ghost                         | -         | -
    """
)

# Held-out v40 (tests/eval/data/symptoms_dev44.toml): a kindness to everyone if I did not come back, a breath like
# dragging a net up a slipway, an evening dose given by two staff, Luganda "omwana" (a child), an arm and a leg that
# belong to someone else (both legs: unsteadiness), words that suddenly would not come; stopping all at once and loose
# stools twice are no double dose; soaked to the skin.
FAMILIES_V40 = Table(
    """
    text                                                                     | urgency            | effect
    -------------------------------------------------------------------------+--------------------+-----------------------
    I would be doing everyone a favour if I just did not come back one night | emergency          | suicidal-thoughts
    every breath feels like dragging a sack up a hill                        | emergency          | anaphylaxis-angioedema
    she was given her evening gabapentin by two different carers             | emergency          | overdose
    omwana swallowed my capsules                                             | emergency          | overdose
    my right arm and leg feel like they belong to someone else               | emergency          | general-emergency
    this morning I suddenly could not get my words out                       | emergency          | general-emergency
    my legs feel like they belong to someone else when I walk                | -                  | -
    she came off her capsules all at once and is jittery                     | contact_prescriber | withdrawal
    had loose stools twice today, otherwise fine                             | expected           | gut
    soaked to the skin on the way home                                       | -                  | -
    """
)

FAMILIES_V41 = Table(
    """
    text                                                                     | urgency            | effect
    -------------------------------------------------------------------------+--------------------+-----------------------
    it would be easier to walk out in front of a bus than carry on           | emergency          | suicidal-thoughts
    my nana took my tablets and her own, she muddled the packets             | emergency          | overdose
    bunica took my pills along with her own                                  | emergency          | overdose
    """
)

FAMILIES_V42 = Table(
    """
    text                                                                      | urgency            | effect
    --------------------------------------------------------------------------+--------------------+-----------------------
    I have gone right off the idea of being alive                             | emergency          | suicidal-thoughts
    my tongue is swollen, is that normal                                      | emergency          | anaphylaxis-angioedema
    I was heavy-handed with my tablets tonight, twice what the label says     | emergency          | overdose
    tipped the whole box into my mouth                                        | emergency          | overdose
    half my face will not do what I tell it                                   | emergency          | general-emergency
    my whole body jerked and I came round on the kitchen floor                | emergency          | seizure
    when I am gone tell my daughter the passwords are in the drawer           | emergency          | suicidal-thoughts
    I have chosen the rope and the beam                                       | emergency          | suicidal-thoughts
    planning my own funeral, I have picked the date                           | emergency          | suicidal-thoughts
    the fence was bleeding rust after the rain                                | -                  | -
    """
)

FAMILIES_V43 = Table(
    """
    text                                                                      | urgency            | effect
    --------------------------------------------------------------------------+--------------------+-----------------------
    thinking the bridge would be an easy way out, not joking                  | emergency          | suicidal-thoughts
    if you do not hear from me it is because I went through with it           | emergency          | suicidal-thoughts
    I have got the pills ready already, not kidding                           | emergency          | suicidal-thoughts
    I try to take a breath and it will not go in                              | emergency          | anaphylaxis-angioedema
    she admitted taking thirty of her tablets                                 | emergency          | overdose
    agony in my belly going through to my back and vomiting                   | emergency          | general-emergency
    my mum reminds me to take my tablets every night                          | -                  | -
    took me tablets with me tea                                               | -                  | -
    my heart was in my mouth on the roof but all good                         | -                  | -
    """
)

FAMILIES_V44 = Table(
    """
    text                                                                      | urgency            | effect
    --------------------------------------------------------------------------+--------------------+-----------------------
    it would be easier if I just did not wake up again                        | emergency          | suicidal-thoughts
    I no longer wish to live                                                  | emergency          | suicidal-thoughts
    my brother is not planning to be around for his birthday                  | emergency          | suicidal-thoughts
    grandad keeps saying he will jump off the balcony                         | emergency          | suicidal-thoughts
    she took an overdoes of her tablets last night                            | emergency          | overdose
    the packet is empty and he does not remember taking them                  | emergency          | overdose
    dad took all the pills in the box                                         | emergency          | overdose
    my aunt swallowed a week of tablets in one go                             | emergency          | overdose
    he has lost the power in his left arm                                     | emergency          | general-emergency
    that parking ticket nearly gave me a stroke                               | -                  | -
    the telescope had a seizure in the cold                                   | -                  | -
    """
)

FAMILIES_V45 = Table(
    """
    text                                                                      | urgency            | effect
    --------------------------------------------------------------------------+--------------------+-----------------------
    I keep wondering which bridge would be high enough                        | emergency          | suicidal-thoughts
    thought about steering the van into a tree on purpose                     | emergency          | suicidal-thoughts
    he says he is a burden and has been giving away his tools                 | emergency          | suicidal-thoughts
    the river would be a peaceful way to go                                   | emergency          | suicidal-thoughts
    I think about burning myself just to feel something                       | emergency          | suicidal-thoughts
    found the baby with my gabapentin packet                                  | emergency          | overdose
    she has swallowed all 30 of her capsules                                  | emergency          | overdose
    mum could not find her words and her arm went numb                        | emergency          | general-emergency
    a headache like a thunderclap out of nowhere                              | emergency          | general-emergency
    nae fever, just an itchy rash on my arms                                  | contact_prescriber | rash
    grandad had a wee fall again but he is fine                               | contact_prescriber | falls
    took my capsule and slept like a baby                                     | -                  | -
    """
)

FAMILIES_V46 = Table(
    """
    text                                                                      | urgency            | effect
    --------------------------------------------------------------------------+--------------------+-----------------------
    my dad tried to hang himself last week                                    | emergency          | suicidal-thoughts
    she keeps reading up on how to kill herself                               | emergency          | suicidal-thoughts
    all you think about at night is how to end yourself                       | emergency          | suicidal-thoughts
    been thinking of offing myself since starting the capsules                | emergency          | suicidal-thoughts
    my son said he might off himself                                          | emergency          | suicidal-thoughts
    they found him trying to drown himself in the bath                        | emergency          | suicidal-thoughts
    she tried to jump off the car park roof                                   | emergency          | suicidal-thoughts
    my sister threatened to throw herself off the balcony                     | emergency          | suicidal-thoughts
    """
)

FAMILIES_V47 = Table(
    """
    text                                                                      | urgency            | effect
    --------------------------------------------------------------------------+--------------------+-----------------------
    keep thinking about driving the car off the cliff road                    | emergency          | suicidal-thoughts
    mum died in the spring and I just want to go and join her                 | emergency          | suicidal-thoughts
    counted out all my tablets tonight and lined them up and thought about it | emergency          | suicidal-thoughts
    my niece has been scratching herself with a razor                         | emergency          | suicidal-thoughts
    the puppy licked up the spilt oral solution                               | emergency          | overdose
    my mokopuna swallowed some of my capsules                                 | emergency          | overdose
    the rabbit got into the gabapentin for our cat and ate some capsules      | emergency          | overdose
    our manager almost had a stroke when he saw the rota                      | -                  | -
    """
)

FAMILIES_V48 = Table(
    """
    text                                                          | urgency            | effect
    --------------------------------------------------------------+--------------------+-----------------------
    my grandson got hold of my lyrica and ate a few               | emergency          | overdose
    little bro ate my gabapentin caps this morning                | emergency          | overdose
    he says he will drive into the quarry so it all just stops    | emergency          | suicidal-thoughts
    she told the nurse she would jump down the well               | emergency          | suicidal-thoughts
    been quietly working out which bridge to use                  | emergency          | suicidal-thoughts
    our caretaker collapsed at work and could not be roused       | emergency          | respiratory-depression
    I have had double vision since my dose went up last week      | expected           | vision
    the roast at the pub was to die for                           | -                  | -
    the drive home was a killer                                   | -                  | -
    """
)

FAMILIES_V49 = Table(
    """
    text                                                          | urgency            | effect
    --------------------------------------------------------------+--------------------+-----------------------
    keeps saying one step off the top and that would be that      | emergency          | suicidal-thoughts
    I keep designing my headstone                                 | emergency          | suicidal-thoughts
    she said she would go over the side and not come back         | emergency          | suicidal-thoughts
    lying awake planning how I would do it                        | emergency          | suicidal-thoughts
    my son took way to many of his tablets                        | emergency          | overdose
    I swallowed two days of tablets at once                       | emergency          | overdose
    the lads necked a whole strip of pregabalin                   | emergency          | overdose
    """
)

FAMILIES_V50 = Table(
    """
    text                                                          | urgency            | effect
    --------------------------------------------------------------+--------------------+-----------------------
    I nearly let myself drop into the river on purpose            | emergency          | suicidal-thoughts
    my grandson had a load of my capsules while I slept           | emergency          | overdose
    he took his whole monthly supply last night                   | emergency          | overdose
    my throte is closing up                                       | emergency          | anaphylaxis-angioedema
    """
)

FAMILIES_V51 = Table(
    """
    text                                                          | urgency            | effect
    --------------------------------------------------------------+--------------------+-----------------------
    I wish I were not here, the pills are counted out for tonight | emergency          | suicidal-thoughts
    made my will and picked the spot, sorry everyone              | emergency          | suicidal-thoughts
    my nan says she should walk into the river so she is no burden | emergency         | suicidal-thoughts
    typing up my own obituary tonight and I mean it               | emergency          | suicidal-thoughts
    my daugher swallowed a hole box of my tablets                 | emergency          | overdose
    dad keeps throwin up blood                                    | emergency          | general-emergency
    my brother stopped his tablets all at once and now he cannot sleep | contact_prescriber | withdrawal
    since the tablets I eat more than ever and put on weight      | expected           | weight-gain
    """
)

FAMILIES_V52 = Table(
    """
    text                                                          | urgency            | effect
    --------------------------------------------------------------+--------------------+-----------------------
    my brother is giving away his fishing rods because he does not plan to be here next month | emergency | suicidal-thoughts
    she said she would do away with herself                       | emergency          | suicidal-thoughts
    my mate keeps saying he will kill himslef                     | emergency          | suicidal-thoughts
    found grandad breathing really shallowly and he only groans when I shake him | emergency | respiratory-depression
    the nipper got the lid off my gabapentin and scoffed a few    | emergency          | overdose
    daughter, 3, swallowed approx. 5 x pregabalin 75 mg           | emergency          | overdose
    Dr. Khan says my swollen ankles are from the gabapentin       | expected           | peripheral-oedema
    """
)

FAMILIES_V53 = Table(
    """
    text                                                          | urgency            | effect
    --------------------------------------------------------------+--------------------+-----------------------
    honestly i dont wanna be alive anymore                        | emergency          | suicidal-thoughts
    he was stood on the bridge for ages meaning to jump           | emergency          | suicidal-thoughts
    i keep thinking about jumping from the roof of the flats      | emergency          | suicidal-thoughts
    my sister swallowed them all                                  | emergency          | overdose
    my dad swallowed his entire month of tablets                  | emergency          | overdose
    she took every remaining capsule in the drawer                | emergency          | overdose
    sudden terrible headache like thunder                         | emergency          | general-emergency
    """
)

FAMILIES_V54 = Table(
    """
    text                                                          | urgency            | effect
    --------------------------------------------------------------+--------------------+-----------------------
    uncle wants to drive the taxi into the harbour for real       | emergency          | suicidal-thoughts
    she took a kitchen knife to her shins                         | emergency          | suicidal-thoughts
    she wants to lie down in the snow and freeze to death         | emergency          | suicidal-thoughts
    my cousin take the whole pack of pills at one time            | emergency          | overdose
    a red rash on my arm, nggak fever, nggak swelling             | contact_prescriber | rash
    the school caretaker did not know which street he was on, he takes gabapentin | contact_prescriber | confusion
    grandpa has taken a tumble twice in the garden since the pregabalin went up | contact_prescriber | falls
    the wedding cake collapsed in the heat but I feel fine        | -                  | -
    my daughter threw a fit at the till over sweets               | emergency          | seizure
    the printer jammed halfway, had to start again                | -                  | -
    took my night capsule at 9 instead of 11, we were out         | -                  | -
    had the morning one with tea rather than coffee               | -                  | -
    took 3 capsules instead of 1 by mistake                       | emergency          | overdose
    """
)

FAMILIES_V55 = Table(
    """
    text                                                          | urgency            | effect
    --------------------------------------------------------------+--------------------+-----------------------
    she swallowed a fortnight's tablets at once this afternoon    | emergency          | overdose
    standing by the railway line thinking one step and it is over | emergency          | suicidal-thoughts
    my mum just dropped in the kitchen and is not answering at all | emergency         | respiratory-depression
    picked him up off the floor again this morning, he is on pregabalin | contact_prescriber | falls
    our band died a death at the contest, gutted                  | -                  | -
    my son ate the whole box of chocolates on the sofa            | -                  | -
    Quorblen, delivered to my son's stomach, 30 capsules of it    | emergency          | overdose
    she's taken them for 40 years                                 | -                  | -
    my 3 year old swallowed 4 of my capsules                      | emergency          | overdose
    """
)

FAMILIES_V56 = Table(
    """
    text                                                          | urgency            | effect
    --------------------------------------------------------------+--------------------+-----------------------
    my uncle is nodding off and breathing once every 10 seconds   | emergency          | respiratory-depression
    she left a letter saying sorry, she could not carry on        | emergency          | suicidal-thoughts
    rash everywhere and a raging temperature since the pregabalin | emergency          | dress
    he fell off the ladder shaking all over, stopped his gabapentin on Monday | emergency | seizure
    my cousin necked a whole bunch of pills at the party          | emergency          | overdose
    she took twelve of my 300s in one go                          | emergency          | overdose
    worst headache she has ever had, came on like a bang          | emergency          | general-emergency
    receipt: 1x dizzy spell, 0x fever, 0x rash                    | expected           | dizziness
    """
)

FAMILIES_V57 = Table(
    """
    text                                                          | urgency            | effect
    --------------------------------------------------------------+--------------------+-----------------------
    he wrote do not look for me after the weekend                 | emergency          | suicidal-thoughts
    she texted sorry for everything, look after the cat, and she is not answering | emergency | suicidal-thoughts
    reasons to stay alive: none. I have made my plan              | emergency          | suicidal-thoughts
    mum took three times her gabapentin dose by mistake           | emergency          | overdose
    grandad took his morning capsules four times because he forgot | emergency         | overdose
    I accidently took both doses together, way too much          | emergency          | overdose
    thanks for the reminder, took my gabapentin at 8              | -                  | -
    """
)

FAMILIES_V58 = Table(
    """
    text                                                          | urgency            | effect
    --------------------------------------------------------------+--------------------+-----------------------
    my brother says he is going to shoot himself with the rifle   | emergency          | suicidal-thoughts
    she keeps threatening to stab herself                         | emergency          | suicidal-thoughts
    I just want someone to find my body in the woods              | emergency          | suicidal-thoughts
    drove to the quarry meaning to drive off the edge             | emergency          | suicidal-thoughts
    my daughter texted that she will jump from the viaduct        | emergency          | suicidal-thoughts
    little Amy is only three and she swallowed some of grandad's gabapentin | emergency | overdose
    the twins got hold of granny's tablets and ate a few          | emergency          | overdose
    I quit my pregabalin all at once and now I'm sweating and shaky | contact_prescriber | withdrawal
    I really shot myself in the foot at work today                | -                  | -
    """
)

FAMILIES_V59 = Table(
    """
    text                                                          | urgency            | effect
    --------------------------------------------------------------+--------------------+-----------------------
    she left a note saying sorry for everything, the cat goes to her sister | emergency | suicidal-thoughts
    he spent all night deciding which ledge                       | emergency          | suicidal-thoughts
    I keep thinking about walking out into the hills and not coming back, and I mean it | emergency | suicidal-thoughts
    he was sitting in the bath with a razor blade again           | emergency          | suicidal-thoughts
    the dog chewed open my gabapentin tub and the capsules are missing | emergency     | overdose
    by mistake I took 4500mg of gabapentin today                  | emergency          | overdose
    I took 100 mg of gabapentin today as my first dose            | -                  | -
    my essay took twice as long to write on gabapentin            | -                  | -
    """
)

FAMILIES_V60 = Table(
    """
    text                                                          | urgency            | effect
    --------------------------------------------------------------+--------------------+-----------------------
    my brother says he is not planning to wake up tomorrow        | emergency          | suicidal-thoughts
    she wrote that she won't have to be alive much longer         | emergency          | suicidal-thoughts
    up on the wall I kept wanting to unclip myself and fall       | emergency          | suicidal-thoughts
    he keeps googling cliffs near us, not for the scenery         | emergency          | suicidal-thoughts
    thought about not opening my chute on the next jump           | emergency          | suicidal-thoughts
    his pregabalin ran out and he was shaking so hard on the floor | emergency         | seizure
    put 'final day' in my diary for Sunday and invited nobody     | emergency          | suicidal-thoughts
    the dog shook so hard after the bath, it was funny            | -                  | -
    time,resp_rate,wakes_to_voice\\n22:00,6,no                    | emergency          | respiratory-depression
    """
)

FAMILIES_V61 = Table(
    """
    text                                                          | urgency            | effect
    --------------------------------------------------------------+--------------------+-----------------------
    he said he put the knife in and was never going to pull it back out | emergency    | suicidal-thoughts
    I keep thinking about cutting my own air hose on the next dive | emergency         | suicidal-thoughts
    she wants to walk past the last marker on purpose and not come back | emergency    | suicidal-thoughts
    my lad popped 20 pregabs at the party                         | emergency          | overdose
    he dropped a handful of gabbies to get wrecked                | emergency          | overdose
    took my evening dose six times over, I kept forgetting        | emergency          | overdose
    the neighbour's sheep got into my gabapentin and ate the lot  | emergency          | overdose
    the lamb was born this morning and my gabapentin dose was on time | -              | -
    """
)

FAMILIES_V62 = Table(
    """
    text                                                          | urgency            | effect
    --------------------------------------------------------------+--------------------+-----------------------
    she said she would go out onto the thin ice and not come back | emergency          | suicidal-thoughts
    no fever, no rash, but I keep imagining taking all the pills so it stops | emergency | suicidal-thoughts
    he wrote K-I-L-L-M-Y-S-E-L-F on the fogged window             | emergency          | suicidal-thoughts
    my cousin texted goodbye to the family then turned his phone off | emergency       | suicidal-thoughts
    30 pregabalin capsules, deliberately, last night              | emergency          | overdose
    took my dads gabapentin as well as my own this morning        | emergency          | overdose
    the lad ate a few of his nan's pregabalin from her handbag    | emergency          | overdose
    skating on thin ice with my boss, the gabapentin makes me late | -                 | -
    """
)

FAMILIES_V63 = Table(
    """
    text                                                          | urgency            | effect
    --------------------------------------------------------------+--------------------+-----------------------
    she rowed out past the buoys and never meant to come back     | emergency          | suicidal-thoughts
    my uncle keeps talking about walking in front of a lorry      | emergency          | suicidal-thoughts
    every night I wonder how to stop waking up                    | emergency          | suicidal-thoughts
    he says one day he just won't come back up from a dive        | emergency          | suicidal-thoughts
    say a prayer for me, I think I'll end it all tonight          | emergency          | suicidal-thoughts
    she is breathing hardly at all after her pregabalin and wine  | emergency          | respiratory-depression
    he snorted 20 lyrica at the festival                          | emergency          | overdose
    I finished my essay and took my gabapentin at 9               | -                  | -
    """
)

# Held-out v64 rotated into development: a note that cannot keep on living; "could not" forms in reported speech;
# "every intention of" throwing oneself in; jerking then groggy afterwards; no response from a carer's husband;
# a headache "like a bomb"; a price "enough to give anyone a seizure"; "fell asleep" and "keeps falling asleep"
# are no fall (before "asleep" a word of falling is read as one of sleeping).
FAMILIES_V64 = Table(
    """
    text                                                                           | urgency            | effect
    -------------------------------------------------------------------------------+--------------------+-----------------------
    the note on the table said sorry, I can't keep on living like this             | emergency          | suicidal-thoughts
    my brother told the nurse he couldn't go on living                             | emergency          | suicidal-thoughts
    she walked to the weir meaning it, with every intention of throwing herself in | emergency          | suicidal-thoughts
    grandad started jerking in the chair and was groggy afterwards                 | emergency          | seizure
    he's lying on the lawn and I can't get any response from him                   | emergency          | respiratory-depression
    on pregabalin and got a headache like a bomb went off in my skull              | emergency          | general-emergency
    this heat is enough to give anyone a seizure, otherwise all good               | -                  | -
    he keeps falling asleep at his desk since the new tablets                      | contact_prescriber | persistent-sleepiness
    I fell asleep on the train home and my legs jerked                             | contact_prescriber | persistent-sleepiness
    """
)

# Held-out v65 rotated into development: the family would be happier without him, a spot picked; "I'll have finally
# gone through with it" after a reassurance ("don't worry" denies nothing); whether a number of capsules is "enough to
# stop waking up"; German and Spanish mixed into English (hands that "zittern", seeing "alles doppelt", vomiting
# "sangre", a small child who "Kapseln gegessen" hat); "the lot" at the end of a list is everything, not a dose taken.
FAMILIES_V65 = Table(
    """
    text                                                                                | urgency            | effect
    ------------------------------------------------------------------------------------+--------------------+-----------------------
    my brother keeps saying his kids would be happier without him, he's picked the spot | emergency          | suicidal-thoughts
    don't worry if I'm not here tomorrow, I'll have finally gone through with it        | emergency          | suicidal-thoughts
    she asked me if thirty was enough to stop waking up                                 | emergency          | suicidal-thoughts
    meine Hände zittern since the new Tabletten                                         | expected           | tremor
    i seh alles doppelt since Monday on the Kapseln                                     | expected           | vision
    he is vomiting sangre since this morning                                            | emergency          | general-emergency
    unser Kleiner hat sechs Kapseln gegessen, he's three                                | emergency          | overdose
    my little girl has had meltdowns, kicking, screaming, the lot since the gabapentin  | contact_prescriber | child-behaviour
    """
)

# Every family table above, one test: each row a new wording of a family tuned on from a held-out split.
_FAMILIES = {"v14": FAMILIES_V14, "v15": FAMILIES_V15, "v16": FAMILIES_V16, "v17": FAMILIES_V17, "v18": FAMILIES_V18,
             "v19": FAMILIES_V19, "v20": FAMILIES_V20, "v21": FAMILIES_V21,
             "v22": FAMILIES_V22, "v23": FAMILIES_V23,
             "v24": FAMILIES_V24, "v25": FAMILIES_V25, "v26": FAMILIES_V26, "v27": FAMILIES_V27, "v28": FAMILIES_V28,
             "v29": FAMILIES_V29, "v30": FAMILIES_V30, "v31": FAMILIES_V31,
             "v32": FAMILIES_V32, "v33": FAMILIES_V33,
             "v34": FAMILIES_V34, "v35": FAMILIES_V35,
             "v36": FAMILIES_V36, "v37": FAMILIES_V37, "v38": FAMILIES_V38, "v39": FAMILIES_V39, "v40": FAMILIES_V40,
             "v41": FAMILIES_V41, "v42": FAMILIES_V42, "v43": FAMILIES_V43,
             "v44": FAMILIES_V44, "v45": FAMILIES_V45, "v46": FAMILIES_V46, "v47": FAMILIES_V47,
             "v48": FAMILIES_V48, "v49": FAMILIES_V49,
             "v50": FAMILIES_V50, "v51": FAMILIES_V51, "v52": FAMILIES_V52,
             "v53": FAMILIES_V53, "v54": FAMILIES_V54,
             "v55": FAMILIES_V55, "v56": FAMILIES_V56,
             "v57": FAMILIES_V57, "v58": FAMILIES_V58,
             "v59": FAMILIES_V59, "v60": FAMILIES_V60, "v61": FAMILIES_V61, "v62": FAMILIES_V62, "v63": FAMILIES_V63,
             "v64": FAMILIES_V64, "v65": FAMILIES_V65}


@pytest.mark.parametrize(("text", "urgency", "effect"),
                         [row for table in _FAMILIES.values() for row in table.rows],
                         ids=[f"{split}-{i}" for split, table in _FAMILIES.items() for i in table.ids])
def test_wording_families_of_held_out_splits(text, urgency, effect):
    results = triage([text]).results
    assert (results[0].urgency, results[0].to_json()["effect"]) == (urgency, effect)


_WHO = ("I", "my nan", "he", "she", "my husband", "the lodger")
_SLEEP = ("fell asleep", "keeps falling asleep", "kept falling asleep", "falls asleep", "was falling asleep")
_WHERE = ("on the sofa", "in the chair after lunch", "in front of the telly", "on the bus home", "while reading")


@pytest.mark.parametrize("text", [f"{who} {verb} {where}" for who in _WHO for verb in _SLEEP for where in _WHERE])
def test_falling_asleep_is_never_read_as_a_fall(text):
    # "fell", "falls" and "falling" stem like the fall they are not: before "asleep" they are read as words of
    # sleeping ([normalise] asleep), so no fall's advice (label 5.4) is given. 44 development rows about
    # daytime sleepiness had been given it (held-out v64 rotated into development).
    assert all(r.to_json()["effect"] != "falls" for r in triage([text]).results)


@pytest.mark.parametrize("text", [f"{who} {verb}" for who in _WHO for verb in (
    "fell over in the kitchen", "fell down the stairs", "had a fall last night", "has fallen twice this month",
    "fell off the step", "slipped and fell", "keeps falling over", "fell out of bed", "fell. Hurt my knee",
    "fell asleep, then fell out of bed")])
def test_a_fall_named_with_what_follows_is_still_a_fall(text):
    results = triage([text]).results
    assert (results[0].urgency, results[0].to_json()["effect"]) == ("contact_prescriber", "falls")


@pytest.mark.parametrize(("text", "effect_cites", "sign_cites"), [
    ("terrible pain in my belly going through to my back", ("nhs-999", None), ("uclh-abdominal-pain", None)),
    ("feeling jittery and sweaty since I stopped my gabapentin", ("label", "6.2"), ("label", "5.5")),
])
def test_a_result_settled_by_a_sign_cites_the_signs_own_source_beside_its_effects(text, effect_cites, sign_cites):
    # lexicon.toml cites each sign; where a sign rests on a source its effect does not carry (the NHS
    # trust's belly-pain leaflet; label section 5.5 for withdrawal), the answer cites both, once each.
    result = triage([text]).results[0]
    cited = [(c.source, c.section) for c in result.citations]
    assert effect_cites in cited and sign_cites in cited
    assert len(set(cited)) == len(cited)


@pytest.mark.parametrize("bad", [{"fell": "fell"}, {"fell": "fell asleep"}, {"Fell": "slept"}, {"fell": ""}])
def test_a_falling_word_read_as_sleeping_must_be_one_other_lower_case_word(bad):
    # [normalise] asleep rewrites one stem for another in place: a word for itself, for two words or for none
    # is refused when language.toml is loaded, not met as a silent misreading later.
    from pydantic import ValidationError

    from gabacare.knowledge.language import load_language

    normalise = load_language().normalise
    with pytest.raises(ValidationError, match=r"normalise\.asleep"):
        type(normalise).model_validate({**normalise.model_dump(), "asleep": bad})
