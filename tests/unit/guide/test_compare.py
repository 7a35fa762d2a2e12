"""``compare``: groups and aliases, filtering, the interaction engine's findings, unverified cells."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from gabacare.cli import app
from gabacare.clinical import ClinicalInputError
from gabacare.guide import compare, comparison_groups
from gabacare.knowledge import load_monograph

runner = CliRunner()


@pytest.mark.parametrize(
    ("name", "group"),
    [
        ("spasticity", "spasticity"), ("muscle-spasms", "spasticity"), ("neuropathic-pain", "neuropathic-pain"),
        ("postherpetic-neuralgia", "neuropathic-pain"), ("phn", "neuropathic-pain"),
        ("diabetic-neuropathy", "neuropathic-pain"), ("fibromyalgia", "neuropathic-pain"), ("anxiety", "anxiety"),
        ("panic", "anxiety"), ("Diabetic Neuropathy", "neuropathic-pain"),
    ],
)
def test_indications_and_aliases_resolve_to_their_group(name: str, group: str) -> None:
    assert compare(name).indication == group


@pytest.mark.parametrize("name", ["epilepsy", "restless-legs", "migraine", ""])
def test_no_group_is_refused_listing_the_groups(name: str) -> None:
    with pytest.raises(ClinicalInputError, match="spasticity, neuropathic-pain, anxiety"):
        compare(name)


def test_every_group_has_gabapentin_first_then_options_by_line() -> None:
    order = ["first", "second", "third", "specialist", "not-recommended"]
    for group in comparison_groups():
        options = compare(group).options
        assert options[0].drug == "gabapentin"
        lines = [order.index(o.line) for o in options[1:]]
        assert lines == sorted(lines)
        assert all(o.citations and o.line_citations for o in options)


def test_named_drugs_narrow_the_table_by_name_or_brand() -> None:
    assert [o.drug for o in compare("spasticity", ["Zanaflex", "baclofen"]).options] == ["gabapentin", "baclofen", "tizanidine"]
    assert [o.drug for o in compare("anxiety", ["xanax"]).options] == ["gabapentin", "benzodiazepines"]
    with pytest.raises(ClinicalInputError, match="not in the spasticity comparison: aspirin"):
        compare("spasticity", ["aspirin"])


def test_the_interaction_engine_finding_is_shown_where_it_knows_the_comparator() -> None:
    rows = {o.drug: o for o in compare("neuropathic-pain").options}
    pregabalin = rows["pregabalin"].interaction
    assert pregabalin is not None and (pregabalin.class_id, pregabalin.action) == ("gabapentinoids", "avoid")
    assert rows["tramadol"].interaction is not None and rows["tramadol"].interaction.class_id == "opioids"
    assert rows["tramadol"].with_gabapentin is not None and rows["tramadol"].with_gabapentin.startswith("major (avoid)")
    assert rows["duloxetine"].interaction is None and rows["duloxetine"].with_gabapentin == "May add drowsiness."
    assert rows["gabapentin"].with_gabapentin is None


def test_unverified_cells_are_not_shown_as_fact() -> None:
    rows = {o.drug: o for o in compare("spasticity").options}
    assert rows["baclofen"].onset is None  # time to benefit not confirmed
    assert rows["tizanidine"].onset is not None
    assert rows["nabiximols"].with_gabapentin is None and "with_gabapentin" in rows["nabiximols"].unverified


def test_every_citation_resolves() -> None:
    sources = load_monograph().sources
    for group in comparison_groups():
        table = compare(group)
        assert all(c.source in sources for c in table.citations)


def test_cli_json_contract() -> None:
    res = runner.invoke(app, ["compare", "--indication", "neuropathic-pain", "--json"])
    assert res.exit_code == 0
    data = json.loads(res.stdout)
    assert data["indication"] == "neuropathic-pain"
    keys = {"drug", "brands", "class", "line", "onset", "dependence_risk", "renal_adjustment", "with_gabapentin",
            "common_side_effects", "serious_risks", "citations"}
    for o in data["options"]:
        assert keys <= set(o)
        assert o["line"] in {"first", "second", "third", "specialist", "not-recommended"}
        assert o["dependence_risk"] in {"low", "moderate", "high"}
        assert isinstance(o["renal_adjustment"], bool)


def test_cli_unknown_indication_exits_2_listing_the_groups() -> None:
    res = runner.invoke(app, ["compare", "--indication", "migraine"])
    assert res.exit_code == 2
    assert "spasticity, neuropathic-pain, anxiety" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_cli_table_shows_ranks_citations_and_notice() -> None:
    res = runner.invoke(app, ["compare", "--indication", "anxiety"], env={"COLUMNS": "220"})
    assert res.exit_code == 0
    flat = " ".join(res.stdout.split())
    assert "not ranked" in flat and "cg113" in flat and "not a substitute" in flat
