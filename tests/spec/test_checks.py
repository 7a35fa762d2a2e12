"""Regimen checks: regimen (+ CrCl, indication, other medicines) → problem codes.

Sources: maximum 3600 mg/day (label §2.1, §2.2); renal maximum and doses per day by CrCl band
(label §2.3); no more than 12 h between doses in epilepsy (label §2.2), excused only when the renal
band itself allows fewer doses (once daily at CrCl 15-29); doses must be made from real products
(label §3); another gabapentinoid is duplicate therapy (label, beers-2023). ``ok`` is true when there
are no problems; warnings (below the band's range, fewer doses than the band, oral solution
needed) never make a regimen fail.
"""

from __future__ import annotations

import pytest
from _table import Table, words

from gabacare.clinical import ClinicalInputError, CrCl, check_regimen, parse_regimen
from gabacare.clinical.checks import max_gap_hours

CHECKS = Table(
    """
    regimen     | crcl | indication | other     | problems
    ------------+------+------------+-----------+----------------------------------------------------------
    600 mg TID  | -    | -          | -         | -
    1200 mg TID | -    | -          | -         | -
    1300 mg TID | -    | -          | -         | max_daily_exceeded
    1800 mg BID | -    | -          | -         | -
    1900 mg BID | -    | -          | -         | max_daily_exceeded
    600 mg TID  | 100  | -          | -         | -
    600 mg TID  | 60   | -          | -         | -
    600 mg TID  | 59.9 | -          | -         | renal_max_exceeded renal_doses_per_day
    700 mg BID  | 45   | -          | -         | -
    800 mg BID  | 45   | -          | -         | renal_max_exceeded
    300 mg TID  | 45   | -          | -         | renal_doses_per_day
    100 mg QD   | 45   | -          | -         | -
    700 mg QD   | 25   | -          | -         | -
    800 mg QD   | 25   | -          | -         | renal_max_exceeded
    600 mg TID  | 25   | -          | -         | renal_max_exceeded renal_doses_per_day
    300 mg QD   | 15   | -          | -         | -
    400 mg QD   | 15   | -          | -         | renal_max_exceeded
    200 mg QD   | 7.5  | -          | -         | renal_max_exceeded
    1300 mg TID | 25   | -          | -         | max_daily_exceeded renal_max_exceeded renal_doses_per_day
    400 mg once | 25   | -          | -         | -
    300 mg TID  | -    | epilepsy   | -         | -
    300-300-600 | -    | epilepsy   | -         | -
    300 mg BID  | -    | epilepsy   | -         | -
    300 mg QD   | -    | epilepsy   | -         | epilepsy_gap
    300 mg QD   | -    | seizures   | -         | epilepsy_gap
    300 mg QD   | -    | phn        | -         | -
    300 mg QD   | 25   | epilepsy   | -         | -
    300 mg QD   | 45   | epilepsy   | -         | epilepsy_gap
    250 mg TID  | -    | -          | -         | -
    333 mg TID  | -    | -          | -         | unmakeable_dose
    300 mg TID  | -    | -          | Lyrica    | duplicate_gabapentinoid
    300 mg TID  | -    | -          | Horizant  | duplicate_gabapentinoid
    300 mg TID  | -    | -          | Xanax     | interaction_major
    300 mg TID  | -    | -          | oxycodone | interaction_major
    300 mg TID  | -    | -          | ibuprofen | -
    300 mg TID  | -    | -          | Ambien    | -
    300 mg TID  | -    | -          | zorbax    | -
    1200 mg TID | -    | rls        | -         | indication_max_exceeded
    300 mg QD   | -    | rls        | -         | -
    800 mg TID  | -    | epilepsy   | -         | -
    1000 mg TID | -    | epilepsy   | -         | indication_max_exceeded
    1000 mg TID | -    | fms        | -         | indication_max_exceeded
    600 mg TID  | 40   | rls        | oxycodone | renal_max_exceeded renal_doses_per_day interaction_major
    """,
    problems=words,
)

# Warnings never make ``ok`` false; a row not listed here has no warnings.
WARNINGS = Table(
    """
    regimen    | crcl | indication | other     | warnings
    -----------+------+------------+-----------+-----------------------------------------
    100 mg QD  | 45   | -          | -         | below_renal_range fewer_doses_than_band
    300 mg QD  | 45   | epilepsy   | -         | below_renal_range fewer_doses_than_band
    250 mg TID | -    | -          | -         | needs_oral_solution
    300 mg TID | -    | -          | ibuprofen | interaction_unknown
    300 mg TID | -    | -          | Ambien    | interaction
    300 mg TID | -    | -          | zorbax    | interaction_unknown
    800 mg TID  | -   | epilepsy   | -         | above_usual_range
    """,
    warnings=words,
)
WARNED = {(r["regimen"], r["crcl"], r["indication"], r["other"]): r["warnings"] for r in WARNINGS.dicts()}


@pytest.mark.parametrize(CHECKS.argnames, CHECKS.rows, ids=[f"{r[0]} crcl={r[1]} {r[2] or ''} {r[3] or ''}".strip()
                                                            for r in CHECKS.rows])
def test_check_table(regimen, crcl, indication, other, problems):
    res = check_regimen(parse_regimen(regimen), crcl=None if crcl is None else CrCl(crcl), indication=indication,
                        other_drugs=() if other is None else (other,))
    assert tuple(p.code for p in res.problems) == problems
    assert tuple(w.code for w in res.warnings) == WARNED.get((regimen, crcl, indication, other), ())
    assert res.ok is (not problems)
    assert all(p.citations for p in (*res.problems, *res.warnings)), "every finding is cited"
    assert res.citations


def test_every_warning_row_is_a_checked_row():
    checked = {(r["regimen"], r["crcl"], r["indication"], r["other"]) for r in CHECKS.dicts()}
    assert set(WARNED) <= checked


def test_problem_messages_name_the_numbers():
    res = check_regimen(parse_regimen("600 mg TID"), crcl=CrCl(25))
    by_code = {p.code: p.message for p in res.problems}
    assert "700" in by_code["renal_max_exceeded"]
    assert "1 a day" in by_code["renal_doses_per_day"]
    assert any(c.source == "label" and c.section == "2.3" for p in res.problems for c in p.citations)


def test_unknown_indication_refused():
    with pytest.raises(ClinicalInputError, match="known"):
        check_regimen(parse_regimen("300 mg TID"), indication="gout")


GAPS = Table(
    """
    regimen      | max_gap_h
    -------------+----------
    300 mg TID   | 10
    300 mg BID   | 12
    300 mg QD    | 24
    300-300-600  | 10
    300-600      | 12
    """
)


@pytest.mark.parametrize(GAPS.argnames, GAPS.rows, ids=GAPS.ids)
def test_max_gap_includes_the_overnight_gap(regimen, max_gap_h):
    assert max_gap_hours(parse_regimen(regimen)) == max_gap_h


# When the renal band is exceeded, the check offers the same column of the label's renal table in
# the patient's band (label 2.3): the corrected order a prescriber can accept.
SUGGESTIONS = Table(
    """
    regimen      | crcl | suggestion
    -------------+------+-----------
    600 mg TID   | 25   | 400 mg QD
    600 mg TID   | 40   | 400 mg BID
    1200 mg TID  | 40   | 700 mg BID
    300 mg TID   | 20   | 200 mg QD
    300 mg TID   | 90   | -
    300 mg BID   | 45   | -
    """,
    crcl=float,
)


@pytest.mark.parametrize(SUGGESTIONS.argnames, SUGGESTIONS.rows, ids=SUGGESTIONS.ids)
def test_renal_problems_come_with_the_band_regimen(regimen, crcl, suggestion):
    result = check_regimen(parse_regimen(regimen), crcl=CrCl(crcl))
    assert result.suggestion == (None if suggestion == "-" else suggestion)
    assert result.to_json()["suggestion"] == result.suggestion
