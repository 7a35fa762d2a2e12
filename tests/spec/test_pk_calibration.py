"""PK calibration: the model's curves against the label's pharmacokinetic figures (label §12.3).

Each row of the label table is measured from simulated curves by ``gabacare.pk.calibration`` (see its
docstring for how) and must fall within the tolerance. The rendered table lives in
``docs/pk-calibration.md``; a test keeps it current.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _table import Table

from gabacare.pk import calibration_table, render_markdown

# label value | what it is                                   | tolerance
LABEL = Table(
    """
    quantity                                            | label | tolerance
    ----------------------------------------------------+-------+----------
    bioavailability, 900 mg/day in 3 doses              | 0.60  | 0.01
    bioavailability, 1200 mg/day in 3 doses             | 0.47  | 0.01
    bioavailability, 2400 mg/day in 3 doses             | 0.34  | 0.01
    bioavailability, 3600 mg/day in 3 doses             | 0.33  | 0.01
    bioavailability, 4800 mg/day in 3 doses             | 0.27  | 0.01
    half-life, normal kidneys (CrCl 100 mL/min)         | 6.5   | 0.01
    half-life, anuric                                   | 132   | 0.01
    half-life during a 4 h hemodialysis session (anuric)| 3.8   | 0.01
    half-life, CrCl < 30 mL/min                         | 52    | 0.01
    """
)

ROWS = {row.quantity: row for row in calibration_table()}


@pytest.mark.parametrize(LABEL.argnames, LABEL.rows, ids=LABEL.ids)
def test_model_matches_the_label(quantity: str, label: float, tolerance: float) -> None:
    row = ROWS[quantity]
    model = float(row.model.split()[0])
    assert float(row.label.split()[0]) == pytest.approx(label)
    assert abs(model - label) / label <= tolerance
    assert row.ok


def test_the_crcl_below_30_half_life_is_reached_inside_the_band() -> None:
    row = ROWS["half-life, CrCl < 30 mL/min"]
    implied = float(row.model.split("CrCl ")[1].split()[0])
    assert 0 < implied < 30


def test_a_single_dose_peaks_two_to_three_hours_after_it() -> None:
    row = ROWS["peak time after a single dose"]
    assert 2.0 <= float(row.model.split()[0]) <= 3.0
    assert row.ok


def test_every_row_passes() -> None:
    assert [r.quantity for r in calibration_table() if not r.ok] == []


def test_the_rendered_table_in_docs_is_current() -> None:
    doc = Path(__file__).resolve().parents[2] / "docs" / "pk-calibration.md"
    assert doc.read_text(encoding="utf-8") == render_markdown(calibration_table())
