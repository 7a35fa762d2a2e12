"""Alternatives side by side (``gabacare compare``): each row and the cited facts it must carry.

Sources: alternatives-reference.md via ``knowledge/data/alternatives.toml``. ``line`` is the
guideline's rank and ``line by`` the guideline cited for it (``~`` = no guideline ranks it: shown as
"not ranked"); ``risk`` (dependence risk) and ``renal`` (dose adjusted for kidney function) as the
cited labels say; ``engine`` is the interaction class GabaCare's interaction engine reports with gabapentin
(``-`` = the engine has no record, the row's own cited text is shown); ``cites`` must all be among
the row's citations. Every comparator in the data file has a row here.
"""

from __future__ import annotations

import pytest
from _table import Table, words

from gabacare.guide import ComparisonRow, compare, comparison_groups
from gabacare.knowledge.guide_data import load_guide

ROWS = Table(
    """
    group            | drug                      | line            | line by       | risk     | renal | engine
    -----------------+---------------------------+-----------------+---------------+----------+-------+--------------------------
    spasticity       | gabapentin                | first           | otero-2016    | moderate | yes   | -
    spasticity       | baclofen                  | first           | otero-2016    | moderate | yes   | muscle-relaxants
    spasticity       | tizanidine                | first           | otero-2016    | moderate | yes   | muscle-relaxants
    spasticity       | dantrolene                | second          | otero-2016    | low      | no    | -
    spasticity       | diazepam                  | second          | otero-2016    | high     | no    | benzodiazepines
    spasticity       | botulinum toxin A         | specialist      | nhsh-spas     | low      | no    | -
    spasticity       | nabiximols                | third           | ng144         | moderate | no    | -
    neuropathic-pain | gabapentin                | first           | cg173         | moderate | yes   | -
    neuropathic-pain | pregabalin                | first           | finnerup-2015 | moderate | yes   | gabapentinoids
    neuropathic-pain | duloxetine                | first           | cg173         | low      | yes   | -
    neuropathic-pain | amitriptyline             | first           | cg173         | low      | no    | sedating-antidepressants
    neuropathic-pain | venlafaxine               | first           | finnerup-2015 | moderate | no    | -
    neuropathic-pain | lidocaine 5% plaster      | second          | finnerup-2015 | low      | no    | -
    neuropathic-pain | capsaicin 8% patch        | specialist      | cg173-ifp     | low      | no    | -
    neuropathic-pain | tramadol                  | second          | finnerup-2015 | high     | yes   | opioids
    neuropathic-pain | carbamazepine             | first           | cks-tn        | low      | no    | no-meaningful-interaction
    anxiety          | gabapentin                | third           | ~             | moderate | yes   | -
    anxiety          | CBT or applied relaxation | first           | cg113         | low      | no    | -
    anxiety          | sertraline                | first           | cg113         | low      | no    | -
    anxiety          | escitalopram              | first           | cg113         | low      | no    | -
    anxiety          | venlafaxine               | second          | cg113         | moderate | no    | -
    anxiety          | duloxetine                | second          | cg113         | low      | yes   | -
    anxiety          | pregabalin                | third           | cg113         | moderate | yes   | gabapentinoids
    anxiety          | benzodiazepines           | not-recommended | cg113         | high     | no    | benzodiazepines
    anxiety          | buspirone                 | third           | ~             | low      | no    | -
    anxiety          | hydroxyzine               | third           | ~             | low      | no    | sedating-antihistamines
    """
)

# The sources each row must cite (among others).
CITES = Table(
    """
    group            | drug                      | cites
    -----------------+---------------------------+--------------------------------------
    spasticity       | gabapentin                | label article-spasms
    spasticity       | baclofen                  | bac-label itb-label beers-2023
    spasticity       | tizanidine                | tiz-label abi-scot
    spasticity       | dantrolene                | dan-label
    spasticity       | diazepam                  | dzp-label bzd-dsc-2020
    spasticity       | botulinum toxin A         | botox-label
    spasticity       | nabiximols                | sativex-smpc etges-2016
    neuropathic-pain | gabapentin                | label finnerup-2015 nhs-gpn
    neuropathic-pain | pregabalin                | lyrica-us lyrica-smpc
    neuropathic-pain | duloxetine                | dlx-label cymbalta-smpc
    neuropathic-pain | amitriptyline             | iatrox-np beers-2023
    neuropathic-pain | venlafaxine               | efx-pm
    neuropathic-pain | lidocaine 5% plaster      | lido-review
    neuropathic-pain | capsaicin 8% patch        | qutenza-pi
    neuropathic-pain | tramadol                  | tram-bw gomes-2017 fda-dsc-2019
    neuropathic-pain | carbamazepine             | cbz-label
    anxiety          | gabapentin                | article-anxiety pande-1999 pande-2000
    anxiety          | CBT or applied relaxation | rscpp
    anxiety          | sertraline                | nhsh-gad
    anxiety          | escitalopram              | escit-label
    anxiety          | venlafaxine               | efx-pm
    anxiety          | duloxetine                | dlx-label
    anxiety          | pregabalin                | lyrica-smpc pfizer-2004
    anxiety          | benzodiazepines           | bzd-dsc-2020 beers-2023
    anxiety          | buspirone                 | buspar-label
    anxiety          | hydroxyzine               | mhra-hydroxyzine beers-2023
    """,
    cites=words,
)


def _row(group: str, drug: str) -> ComparisonRow:
    return next(o for o in compare(group).options if o.drug == drug)


@pytest.mark.parametrize(ROWS.argnames.replace("line by", "line_by"), ROWS.rows, ids=ROWS.ids)
def test_row_carries_its_cited_facts(
    group: str, drug: str, line: str, line_by: str, risk: str, renal: str, engine: str | None
) -> None:
    row = _row(group, drug)
    assert row.line == line
    line_sources = {c.source for c in row.line_citations}
    if line_by == "~":
        assert row.ranked is False
    else:
        assert row.ranked is True and line_by in line_sources
    assert row.dependence_risk == risk
    assert row.renal_adjustment is (renal == "yes")
    if engine is None:
        assert row.interaction is None
    else:
        assert row.interaction is not None and row.interaction.class_id == engine
        assert set(row.interaction.citations) <= set(row.citations)


@pytest.mark.parametrize(CITES.argnames, CITES.rows, ids=CITES.ids)
def test_row_cites_its_sources(group: str, drug: str, cites: tuple[str, ...]) -> None:
    assert set(cites) <= {c.source for c in _row(group, drug).citations}


def test_every_comparator_in_the_data_has_a_row() -> None:
    table = {(g, d) for g, d, *_ in ROWS.rows}
    assert table == {(g, d) for g, d, _ in CITES.rows}
    data = {(a.group, a.drug) for a in load_guide().alternatives}
    assert table == data
    assert {g for g, _ in table} == set(comparison_groups())
