"""Names read only as typed (medicines.toml [names.exact]: drinks and cannabis of many countries)."""

from __future__ import annotations

import pytest

from gabacare.clinical import check_interactions, triage
from gabacare.clinical.drug_names import read_name
from gabacare.knowledge.monograph import Names, load_monograph


def test_a_drink_typed_exactly_is_alcohol_and_a_strain_cannabis() -> None:
    exact = load_monograph().names.exact
    assert len(exact) > 1000 and set(map(tuple, exact.values())) == {("alcohol",), ("cannabis",)}
    assert read_name("two bottles of Jever").ingredients == ("alcohol",)
    assert check_interactions(["Staropramen"]).results[0].class_id == "alcohol"


@pytest.mark.parametrize(("typed", "ingredients"), [
    ("zanex", ("alprazolam",)),     # a misspelt Xanax is not made ambiguous by a drink's near name
    ("xanaks", ("alprazolam",)),
    ("valley um", ("diazepam",)),  # nor a medicine said by its sound
])
def test_a_misspelt_medicine_is_still_read_beside_thousands_of_drinks(typed: str, ingredients: tuple[str, ...]) -> None:
    assert read_name(typed).ingredients == ingredients


def test_an_everyday_word_is_never_guessed_into_a_drink() -> None:
    # "fever" is one letter from the beer Jever, "bars" two from Bärwurz: neither is guessed.
    assert read_name("cetirizine 10 mg tab PO daily PRN hay fever").ingredients == ("cetirizine",)
    assert "alcohol" not in read_name("bars").ingredients
    assert triage(["had a fever and a rash"]).results[0].urgency == "emergency"  # still a rash with fever


def test_a_name_cannot_be_both_exact_and_guessable() -> None:
    with pytest.raises(ValueError, match="both in"):
        Names(source="gabacare-policy", map={"jever": ("alcohol",)}, exact={"jever": ("alcohol",)})


def test_no_word_is_corrected_into_a_drink_and_a_drink_is_left_as_typed() -> None:
    from gabacare.clinical.text.vocabulary import corrector

    c = corrector()
    assert c.correct("kufa") == "kufa"        # Shona "to die" was corrected to the beer "kuba"
    assert c.correct("reny") == "deny"        # not the cognac "remy"
    assert c.correct("staropramen") == "staropramen"


@pytest.mark.parametrize(("typed", "ingredients"), [
    ("Quorblen Amber at the pub", ("alcohol",)),      # an unknown brand told where it was drunk
    ("a shot of Quorblen", ("alcohol",)),
    ("Quorblen, half an eighth", ("cannabis",)),     # told by its weight
    ("Quorblen from the dispensary", ("cannabis",)),
])
def test_an_unknown_name_told_where_or_how_it_was_had_is_read_as_that_and_shown_as_a_guess(
        typed: str, ingredients: tuple[str, ...]) -> None:
    reading = read_name(typed)
    assert reading.ingredients == ingredients
    assert reading.guessed and reading.did_you_mean[0] == ingredients[0] and "quorblen" in " ".join(reading.unread)


def test_a_context_never_replaces_a_name_that_is_read() -> None:
    # the medicine is read; "at the pub" adds nothing to it (nor to an entry that names a drink already)
    assert read_name("paracetamol at the pub").ingredients == ("paracetamol",)
    assert read_name("tramadol 50 mg from the bar").ingredients == ("tramadol",)
    assert read_name("Quorblen").ingredients == ()


def test_every_context_stands_for_a_name_the_list_knows() -> None:
    contexts = load_monograph().name_words.contexts
    assert contexts and all(read_name(name).ingredients == (name,) for name in set(contexts.values()))
