"""Validated questionnaires: each instrument scores the published worked examples and band edges.

Sources: PHQ-9 totals of 5, 10, 15 and 20 mark mild, moderate, moderately severe and severe
depression, 0-4 minimal (kroenke-2001); GAD-7 totals of 5, 10 and 15 mark mild, moderate and severe
anxiety (spitzer-2006); Penn spasm frequency 0-4 with the severity part (1 mild, 2 moderate, 3 severe)
asked only when there are spasms (penn-1989, ninds-cde-psfs); pain 0-10 with cut-points 4 and 6
(serlin-1995, palos-2006); PGIC 1 very much improved … 7 very much worse (guy-1976). PHQ-9 item 9
above zero is an emergency whatever the total (phq-screeners, label 5.6).

The table reads ``instrument | answers | total | severity | emergency``.
"""

from __future__ import annotations

import copy
import importlib.util
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gabacare.clinical import ClinicalInputError
from gabacare.clinical.questionnaires import instrument_ids, parse_answers, score
from gabacare.errors import InputError
from gabacare.knowledge import KnowledgeBaseError, load_monograph
from gabacare.knowledge.language import load_language
from gabacare.knowledge.monograph import _read_toml
from gabacare.knowledge.questionnaires import build_questionnaires, load_questionnaires

TESTS = Path(__file__).resolve().parents[2]


def _module(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


_table = _module("_questionnaire_spec_table", TESTS / "spec" / "_table.py")
Table, numbers = _table.Table, _table.numbers

WORKED = Table(
    """
    case                   | instrument | answers             | total | severity          | emergency
    -----------------------+------------+---------------------+-------+-------------------+----------
    phq9 all 0             | phq9       | 0 0 0 0 0 0 0 0 0   | 0     | minimal           | no
    phq9 all 1 (item 9=1)  | phq9       | 1 1 1 1 1 1 1 1 1   | 9     | mild              | yes
    phq9 all 1, item 9 = 0 | phq9       | 1 1 1 1 1 1 1 1 0   | 8     | mild              | no
    phq9 edge 4            | phq9       | 1 1 1 1 0 0 0 0 0   | 4     | minimal           | no
    phq9 edge 5            | phq9       | 1 1 1 1 1 0 0 0 0   | 5     | mild              | no
    phq9 edge 9            | phq9       | 3 3 3 0 0 0 0 0 0   | 9     | mild              | no
    phq9 edge 10           | phq9       | 3 3 3 1 0 0 0 0 0   | 10    | moderate          | no
    phq9 edge 14           | phq9       | 2 2 2 2 2 2 2 0 0   | 14    | moderate          | no
    phq9 edge 15           | phq9       | 2 2 2 2 2 2 2 1 0   | 15    | moderately_severe | no
    phq9 edge 19           | phq9       | 3 3 3 3 3 3 1 0 0   | 19    | moderately_severe | no
    phq9 edge 20           | phq9       | 3 3 3 3 3 3 2 0 0   | 20    | severe            | no
    phq9 all 3             | phq9       | 3 3 3 3 3 3 3 3 3   | 27    | severe            | yes
    phq9 item 9 only       | phq9       | 0 0 0 0 0 0 0 0 1   | 1     | minimal           | yes
    phq9 item 9 = 3        | phq9       | 0 0 0 0 0 0 0 0 3   | 3     | minimal           | yes
    gad7 all 0             | gad7       | 0 0 0 0 0 0 0       | 0     | minimal           | no
    gad7 edge 4            | gad7       | 1 1 1 1 0 0 0       | 4     | minimal           | no
    gad7 edge 5            | gad7       | 1 1 1 1 1 0 0       | 5     | mild              | no
    gad7 all 1             | gad7       | 1 1 1 1 1 1 1       | 7     | mild              | no
    gad7 edge 9            | gad7       | 3 3 3 0 0 0 0       | 9     | mild              | no
    gad7 edge 10           | gad7       | 3 3 3 1 0 0 0       | 10    | moderate          | no
    gad7 edge 14           | gad7       | 2 2 2 2 2 2 2       | 14    | moderate          | no
    gad7 edge 15           | gad7       | 3 3 3 3 3 0 0       | 15    | severe            | no
    gad7 all 3             | gad7       | 3 3 3 3 3 3 3       | 21    | severe            | no
    penn none              | penn_spasm | 0                   | 0     | none              | no
    penn 1 mild            | penn_spasm | 1 1                 | 1     | mild              | no
    penn 3 moderate        | penn_spasm | 3 2                 | 3     | moderate          | no
    penn 4 severe          | penn_spasm | 4 3                 | 4     | severe            | no
    pain 0                 | pain_nrs   | 0                   | 0     | none              | no
    pain 1                 | pain_nrs   | 1                   | 1     | mild              | no
    pain edge 4            | pain_nrs   | 4                   | 4     | mild              | no
    pain edge 5            | pain_nrs   | 5                   | 5     | moderate          | no
    pain edge 6            | pain_nrs   | 6                   | 6     | moderate          | no
    pain edge 7            | pain_nrs   | 7                   | 7     | severe            | no
    pain 10                | pain_nrs   | 10                  | 10    | severe            | no
    pgic 1                 | pgic       | 1                   | 1     | very_much_improved | no
    pgic 2                 | pgic       | 2                   | 2     | much_improved     | no
    pgic 3                 | pgic       | 3                   | 3     | minimally_improved | no
    pgic 4                 | pgic       | 4                   | 4     | no_change         | no
    pgic 5                 | pgic       | 5                   | 5     | minimally_worse   | no
    pgic 6                 | pgic       | 6                   | 6     | much_worse        | no
    pgic 7                 | pgic       | 7                   | 7     | very_much_worse   | no
    """,
    answers=numbers,
)


@pytest.mark.parametrize(WORKED.argnames, WORKED.rows, ids=WORKED.ids)
def test_worked_examples(case, instrument, answers, total, severity, emergency):
    r = score(instrument, answers)
    assert (r.total, r.severity, r.emergency) == (total, severity, emergency == "yes")
    assert r.citations and r.notice == load_monograph().notice_text
    assert r.advice


def test_item_9_takes_the_triage_emergency_path_with_its_crisis_lines():
    r = score("phq9", [0] * 8 + [1])
    suicidal = next(e for e in load_monograph().adverse_effects if e.id == "suicidal-thoughts")
    assert r.emergency and r.advice == suicidal.advice
    assert r.crisis_lines == load_language().crisis_lines
    assert {"lifeline-988", "samaritans", "phq-screeners"} <= {c.source for c in r.citations}
    assert any(c.source == "label" and c.section == "5.6" for c in r.citations)
    assert r.band_advice != r.advice


def test_no_emergency_no_crisis_lines():
    r = score("phq9", [3] * 8 + [0])
    assert (r.total, r.severity, r.emergency, r.crisis_lines) == (24, "severe", False, ())


def test_contract_json_keys():
    data = score("gad7", [1] * 7).to_json()
    assert {"instrument", "total", "severity", "emergency", "advice", "citations"} <= set(data)
    assert data["loinc"] == {"system": "http://loinc.org", "code": "70274-6"}
    assert score("phq9", [0] * 9).to_json()["loinc"]["code"] == "44261-6"


BAD = [
    ("too few", "phq9", [0] * 8, r"phq9 takes 9 answers, got 8"),
    ("too many", "gad7", [0] * 8, r"gad7 takes 7 answers, got 8"),
    ("none", "pain_nrs", [], r"pain_nrs takes 1 answers, got 0"),
    ("above range", "phq9", [0] * 8 + [4], r"phq9: answer 9 must be 0 to 3, got 4"),
    ("negative", "gad7", [-1] + [0] * 6, r"answer 1 must be 0 to 3, got -1"),
    ("pain 11", "pain_nrs", [11], r"must be 0 to 10, got 11"),
    ("pgic 0", "pgic", [0], r"pgic: answer 1 must be 1 to 7, got 0"),
    ("penn severity 0", "penn_spasm", [2, 0], r"answer 2 must be 1 to 3, got 0"),
    ("penn severity missing", "penn_spasm", [2], r"penn_spasm takes 2 answers"),
    ("penn severity without spasms", "penn_spasm", [0, 1], r"penn_spasm takes 1 answers"),
    ("float", "pain_nrs", [1.5], r"answer 1 must be a whole number"),
    ("bool", "pain_nrs", [True], r"answer 1 must be a whole number"),
    ("text", "pain_nrs", ["3"], r"answer 1 must be a whole number"),
    ("unknown instrument", "bpi", [1], r"unknown questionnaire 'bpi'; known: phq9, gad7, penn_spasm, pain_nrs, pgic"),
]


@pytest.mark.parametrize(("instrument", "answers", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_answers_raise_one_line_input_errors(instrument, answers, message):
    with pytest.raises(ClinicalInputError, match=message) as info:
        score(instrument, answers)
    assert isinstance(info.value, InputError) and "\n" not in str(info.value)


@pytest.mark.parametrize(("text", "expected"), [("0,1,2", (0, 1, 2)), (" 3 ; 2,1 ", (3, 2, 1)), ("7", (7,)),
                                                 ("-1", (-1,))])
def test_parse_answers(text, expected):
    assert parse_answers(text) == expected


@pytest.mark.parametrize("text", ["", " , ", "1,a", "1.0", "1e3", "0x1", "1234"])
def test_parse_answers_refuses_what_is_not_whole_numbers(text):
    with pytest.raises(ClinicalInputError):
        parse_answers(text)


def test_instrument_lookup_forgives_case_and_punctuation():
    assert score("PHQ-9", [0] * 9).instrument == "phq9"
    assert score("Pain NRS", [3]).instrument == "pain_nrs"


@given(st.lists(st.integers(0, 3), min_size=9, max_size=9))
def test_phq9_total_and_emergency_properties(answers):
    r = score("phq9", answers)
    assert r.total == sum(answers)
    assert r.emergency == (answers[8] > 0)
    assert r.band_min <= r.total <= r.band_max


@given(st.integers(0, 4), st.integers(1, 3))
def test_penn_total_is_the_frequency_grade(frequency, severity):
    answers = [0] if frequency == 0 else [frequency, severity]
    r = score("penn_spasm", answers)
    assert r.total == frequency
    assert r.severity == ("none" if frequency == 0 else ("mild", "moderate", "severe")[severity - 1])


# --- the data -------------------------------------------------------------------------------------

def test_the_instruments_and_their_codes():
    q = load_questionnaires()
    assert q.ids == ("phq9", "gad7", "penn_spasm", "pain_nrs", "pgic") == instrument_ids()
    codes = {i.id: (i.loinc_panel, i.loinc_total) for i in q.instruments}
    assert codes == {"phq9": ("44249-1", "44261-6"), "gad7": ("69737-5", "70274-6"), "penn_spasm": (None, None),
                     "pain_nrs": (None, "72514-3"), "pgic": (None, None)}
    assert {i.id: i.mid for i in q.instruments} == {"phq9": 5, "gad7": 4, "penn_spasm": None, "pain_nrs": 2,
                                                      "pgic": None}
    for i in q.instruments:
        assert i.licence and i.loinc_note and i.mid_note and i.interval_days >= 1


def test_fee_licensed_instruments_are_absent():
    text = " ".join(i.id + " " + i.name + " " + i.title for i in load_questionnaires().instruments).lower()
    assert "brief pain inventory" not in text and "bpi" not in text and "irls" not in text


def test_every_number_in_questionnaires_toml_names_its_own_source():
    rule = _module("_questionnaire_sources_rule", TESTS / "unit" / "knowledge" / "test_sources_per_row.py")
    assert list(rule.uncovered_numbers(_read_toml("questionnaires.toml"))) == []


@pytest.fixture
def raw():
    return copy.deepcopy(_read_toml("questionnaires.toml"))


def test_a_band_gap_fails_at_load(raw):
    raw["instruments"][0]["bands"][1]["min"] = 6
    with pytest.raises(KnowledgeBaseError, match="gap or overlap at 5"):
        build_questionnaires(raw)


def test_bands_must_reach_the_top_score(raw):
    raw["instruments"][1]["bands"][-1]["max"] = 20
    with pytest.raises(KnowledgeBaseError, match="must end at 21"):
        build_questionnaires(raw)


def test_an_unknown_source_fails_at_load(raw):
    raw["instruments"][0]["source"] = "nowhere"
    with pytest.raises(KnowledgeBaseError, match="nowhere"):
        build_questionnaires(raw)


def test_a_rule_naming_an_unknown_effect_fails_at_load(raw):
    raw["taper_watch"]["rules"][0]["effect"] = "nothing-like-it"
    with pytest.raises(KnowledgeBaseError, match="unknown adverse effect"):
        build_questionnaires(raw)


def test_an_incomplete_rule_fails_at_load(raw):
    rule = next(r for r in raw["taper_watch"]["rules"] if r["when"] == "symptoms")
    del rule["min_days"]
    with pytest.raises(KnowledgeBaseError, match="needs min_days"):
        build_questionnaires(raw)
