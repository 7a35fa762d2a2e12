"""Interactions: the name a person types → ingredients → class → severity → what to do.

Sources (``[[interaction_classes]]`` and ``[names.map]``; table in ``clinical-reference.md``): opioids
avoid (label §5.7, §7; fda-dsc-2019; gomes-2017; beers-2023); alcohol avoid (article-spasms,
article-400mg); benzodiazepines and other CNS depressants caution (fda-dsc-2019, beers-2023); another
gabapentinoid is duplicate therapy, avoid (label, beers-2023); aluminium/magnesium antacids: take
gabapentin 2 h after (label §7); cimetidine, naproxen: small change, no action; phenytoin,
carbamazepine, valproate, phenobarbital, oral contraceptives: no meaningful interaction (label §7).
Brands resolve to ingredients; a name GabaCare does not know is ``known=False`` and never "none".
"""

from __future__ import annotations

import re

import pytest
from _table import Table, words

from gabacare.clinical import check_interactions
from gabacare.knowledge import load_monograph

NAMES = Table(
    """
    name              | ingredients                                | klass                     | severity | action
    ------------------+--------------------------------------------+---------------------------+----------+---------
    Xanax             | alprazolam                                 | benzodiazepines           | major    | caution
    Xanax 0.5 mg      | alprazolam                                 | benzodiazepines           | major    | caution
    Valium            | diazepam                                   | benzodiazepines           | major    | caution
    Percocet          | oxycodone, paracetamol                     | opioids                   | major    | avoid
    oxycodone/paracetamol | oxycodone, paracetamol                 | opioids                   | major    | avoid
    OxyContin         | oxycodone                                  | opioids                   | major    | avoid
    MS Contin         | morphine                                   | opioids                   | major    | avoid
    Suboxone          | buprenorphine, naloxone                    | opioids                   | major    | avoid
    tramadol          | tramadol                                   | opioids                   | major    | avoid
    Ultram            | tramadol                                   | opioids                   | major    | avoid
    Lyrica            | pregabalin                                 | gabapentinoids            | major    | avoid
    Horizant          | gabapentin_enacarbil                       | gabapentinoids            | major    | avoid
    Gralise           | gabapentin                                 | gabapentinoids            | major    | avoid
    beer              | alcohol                                    | alcohol                   | moderate | avoid
    wine              | alcohol                                    | alcohol                   | moderate | avoid
    Ambien            | zolpidem                                   | z-drugs                   | moderate | caution
    Flexeril          | cyclobenzaprine                            | muscle-relaxants          | moderate | caution
    baclofen          | baclofen                                   | muscle-relaxants          | moderate | caution
    Maalox            | aluminium_hydroxide, magnesium_hydroxide   | antacids                  | minor    | separate
    Gaviscon          | aluminium_hydroxide, magnesium_trisilicate | antacids                  | minor    | separate
    cimetidine        | cimetidine                                 | small-pk-change           | minor    | none
    Tagamet           | cimetidine                                 | small-pk-change           | minor    | none
    Aleve             | naproxen                                   | small-pk-change           | minor    | none
    phenytoin         | phenytoin                                  | no-meaningful-interaction | none     | none
    Tegretol          | carbamazepine                              | no-meaningful-interaction | none     | none
    Depakote          | valproate                                  | no-meaningful-interaction | none     | none
    the pill          | ethinylestradiol, norethindrone            | no-meaningful-interaction | none     | none
    Ixprim            | tramadol, paracetamol                      | opioids                   | major    | avoid
    Tilidin comp      | tilidine, naloxone                         | opioids                   | major    | avoid
    Stangyl           | trimipramine                               | sedating-antidepressants  | moderate | caution
    CTM tablet        | chlorphenamine                             | sedating-antihistamines   | moderate | caution
    Muscoril 4 mg     | thiocolchicoside                           | muscle-relaxants          | moderate | caution
    Konyagi           | alcohol                                    | alcohol                   | moderate | avoid
    """,
    ingredients=lambda s: tuple(w.replace("_", " ") for w in words(s)),
)


@pytest.mark.parametrize(NAMES.argnames, NAMES.rows, ids=NAMES.ids)
def test_name_to_severity_and_action(name, ingredients, klass, severity, action):
    (r,) = check_interactions([name]).results
    assert r.known is True
    assert (r.ingredients, r.class_id, r.severity, r.action) == (ingredients, klass, severity, action)
    assert r.citations, "every known interaction is cited"
    assert all(c.source in load_monograph().sources for c in r.citations)
    assert r.to_json()["class"] == klass


def test_opioids_cite_the_fda_warning_and_the_label():
    (r,) = check_interactions(["Percocet"]).results
    assert {"label", "fda-dsc-2019", "gomes-2017", "beers-2023"} <= {c.source for c in r.citations}


def test_antacids_say_two_hours():
    (r,) = check_interactions(["Maalox"]).results
    assert "2 hours" in r.advice


UNKNOWN = Table(
    """
    name            | ingredients
    ----------------+-------------
    ibuprofen       | ibuprofen
    Ibuprofen 400mg | ibuprofen
    grapefruit      | -
    Tylenol         | paracetamol
    acetaminophen   | paracetamol
    zorbax          | -
    """,
    ingredients=words,
)


@pytest.mark.parametrize(UNKNOWN.argnames, UNKNOWN.rows, ids=UNKNOWN.ids)
def test_unknown_names_are_unknown_never_none(name, ingredients):
    report = check_interactions([name])
    (r,) = report.results
    assert r.known is False
    assert r.ingredients == ingredients
    assert r.severity is None and r.action is None and r.class_id is None
    assert not re.search(r"no (known |meaningful )?interaction(?! record)", r.advice, re.IGNORECASE)
    assert "does not mean it is safe" in r.advice
    data = report.to_json()
    assert data["unknown"] == [name]
    assert data["most_severe"] is None


def test_results_keep_input_order_and_most_severe_is_the_worst_known():
    report = check_interactions(["Maalox", "ibuprofen", "tramadol", "phenytoin"])
    assert [r.input for r in report.results] == ["Maalox", "ibuprofen", "tramadol", "phenytoin"]
    assert report.to_json()["most_severe"] == "major"


def test_blank_names_are_ignored():
    assert check_interactions(["", "  ", "Xanax"]).results[0].input == "Xanax"
    assert len(check_interactions(["", "  ", "Xanax"]).results) == 1


BEERS = Table(
    """
    age | names              | warned | why
    ----+--------------------+--------+----------------------------------------------
    70  | Xanax tramadol     | yes    | gabapentin + 2 CNS-active = 3, at 65+
    65  | Ambien Valium      | yes    | exactly 65, exactly 3
    64  | Xanax tramadol     | no     | under 65
    70  | Xanax              | no     | only 2 with gabapentin
    70  | Xanax Maalox       | no     | an antacid is not CNS-active
    """,
    names=words,
)


@pytest.mark.parametrize(BEERS.argnames, BEERS.rows, ids=BEERS.ids)
def test_beers_three_cns_drugs_in_older_adults(age, names, warned, why):
    report = check_interactions(names, age_years=age)
    beers = [w for w in report.warnings if "Beers" in w]
    assert bool(beers) is (warned == "yes"), why
    if beers:
        assert "beers-2023" in {c.source for c in report.citations}


COMBINATIONS = Table(
    """
    names                          | warning
    -------------------------------+----------------------------------
    Xanax tramadol                 | opioid-benzodiazepine
    hydrocodone_bitartrate Klonopin| opioid-benzodiazepine
    oxycodone Ambien               | opioid-sedative
    Percocet beer                  | opioid-sedative
    lean                           | opioid-sedative
    Xanax Ambien                   | -
    tramadol ibuprofen             | -
    """,
    names=lambda s: [n.replace("_", " ") for n in s.split()],
)


@pytest.mark.parametrize(COMBINATIONS.argnames, COMBINATIONS.rows, ids=COMBINATIONS.ids)
def test_classes_together_add_their_own_warning(names, warning):
    """An opioid with a benzodiazepine gets the FDA 2016 boxed-warning text; an opioid with any
    other sedative (one product with two ingredients counts) the general one; never both."""
    report = check_interactions(names)
    rows = {w.id: w for w in load_monograph().combination_warnings}
    if warning is None:
        assert not report.warnings
        return
    assert report.warnings == (rows[warning].text,)
    assert {c.source for c in rows[warning].citations} <= {c.source for c in report.citations}


READ = Table(
    """
    typed                                   | ingredients              | guessed
    ----------------------------------------+--------------------------+--------
    hydromorphone HCl                       | hydromorphone            | no
    OXYCODONE HCL 5 MG PO TABS              | oxycodone                | no
    Norco 10/325                            | hydrocodone, paracetamol | no
    hydrocodone bitartrate                  | hydrocodone              | no
    morphine sulfate ER 15 mg               | morphine                 | no
    co-codamol 30/500                       | codeine, paracetamol     | no
    alprazolm                               | alprazolam               | yes
    oxycodne                                | oxycodone                | yes
    Oxycodon                                | oxycodone                | no
    """,
    ingredients=words,
)


@pytest.mark.parametrize(READ.argnames, READ.rows, ids=READ.ids)
def test_names_as_people_and_records_write_them(typed, ingredients, guessed):
    (r,) = check_interactions([typed]).results
    assert r.known and r.ingredients == ingredients
    assert r.guessed is (guessed == "yes")
    if r.guessed:
        # A guess is always shown as a question, never silently.
        assert "did you mean" in r.advice.lower() and r.to_json()["did_you_mean"]


CLASS_WORDS = Table(
    """
    text                               | classes
    -----------------------------------+--------------------------------------
    some kind of benzo for the flight  | benzodiazepines
    a strong opiate from the hospital  | opioids
    a tricyclic at bedtime             | sedating-antidepressants
    z-drug sleeping tablets            | z-drugs
    Propavan                           | sedating-antihistamines
    Dithiaden                          | sedating-antihistamines
    """
)


@pytest.mark.parametrize(("text", "classes"), CLASS_WORDS.rows, ids=CLASS_WORDS.ids)
def test_a_class_named_anywhere_in_the_text_adds_its_warning(text, classes):
    """A class said in words ("some kind of benzo") gets the class's warning, also beside a name the
    text was read as ("sleeping tablets" -> diphenhydramine): a warning is never dropped for a guess."""
    r = check_interactions([text]).results[0]
    assert r.known and set(r.classes) == set(words(classes))


def test_a_non_drowsy_antihistamine_is_not_the_sedating_class():
    assert check_interactions(["a non-drowsy antihistamine"]).results[0].classes == ()


WRITTEN = Table(
    """
    text                  | ingredients
    ----------------------+-------------
    リリカカプセル75mg     | pregabalin
    ガバペン錠300mg        | gabapentin
    Лирика 150 мг         | pregabalin
    加巴喷丁胶囊            | gabapentin
    트라마돌               | tramadol
    Ривотрил 2 мг         | clonazepam
    Фенобарбитал 100 мг табл. | phenobarbital
    Оксикодон             | oxycodone
    Ξάναξ 0,5 mg          | alprazolam
    Βάλιουμ               | diazepam
    뉴론틴                 | gabapentin
    졸피뎀 10mg            | zolpidem
    """
)


@pytest.mark.parametrize(("text", "ingredients"), WRITTEN.rows, ids=WRITTEN.ids)
def test_names_written_in_another_script_are_read(text, ingredients):
    """A Japanese package insert's katakana, a Russian or Korean pack, a Chinese generic name
    ([names.written]) are read as the Latin name."""
    r = check_interactions([text]).results[0]
    assert r.known and r.ingredients == words(ingredients)


def test_other_alphabets_are_spelt_in_latin_letters_and_a_near_spelling_is_offered_not_taken_silently():
    """Cyrillic and Greek letters ([names.letters], longest sequence first) and Hangul syllables (from
    their jamo) become Latin letters; a spelling that is then near a name, not exactly one, is read
    with "did you mean" like any typed slip."""
    from gabacare.clinical.drug_names import _latin_letters, read_name

    assert _latin_letters("뉴론틴 маалокс βάλιουμ") == "nyurontin maalox valioum"
    assert _latin_letters("ok 한") == "ok han"
    # "Оксикадон" (one letter off): spelt "oxikadon", offered as oxikodon (the Nordic spelling), not taken.
    exact, near = read_name("Ривотрил"), read_name("Оксикадон")
    assert (exact.ingredients, exact.guessed) == (("clonazepam",), ())
    assert near.ingredients == ("oxycodone",) and [typed for typed, _ in near.guessed] == ["oxikadon"]
    assert near.did_you_mean


@pytest.mark.parametrize("letters", [{"a": "a"}, {"ж": "Zh"}, {"ж": "z h"}])
def test_letters_must_map_another_alphabet_to_latin_letters(letters):
    from pydantic import ValidationError

    from gabacare.knowledge.monograph import Names

    with pytest.raises(ValidationError, match=r"names\.letters"):
        Names(source="gabacare-policy", map={}, letters=letters)


def test_incomplete_hangul_tables_are_refused():
    from pydantic import ValidationError

    from gabacare.knowledge.monograph import Names

    with pytest.raises(ValidationError, match="19 initials, 21 medials and 28 finals"):
        Names(source="gabacare-policy", map={}, hangul_initials=("g",) * 19, hangul_medials=("a",) * 20,
              hangul_finals=("",) * 28)


def test_every_written_name_reads_as_a_medicine():
    from gabacare.clinical.drug_names import read_name

    unread = [k for k in load_monograph().names.written if not read_name(k).ingredients]
    assert not unread
