"""Pharmacokinetics of gabapentin (NumPy; numba where it pays): exact, event-driven, cited.

One compartment with first-order absorption, dose-dependent bioavailability and clearance rising with
CrCl (fitted to the label's renal-impairment groups), every constant derived from the knowledge base
(label §12.3; derivations in :mod:`gabacare.pk.parameters`). Pure: no I/O, no clock.

* :func:`simulate_doses` / :func:`concentrations`: one typical patient, any dose events, CrCl
  changing over time, hemodialysis sessions.
* :func:`regimen_doses` / :func:`parse_missed`: a regimen's dose events, missed doses left out.
* :func:`simulate_population` / :func:`simulate_matrix`: virtual patients with variability.
* :func:`calibration_table`: the model against the label's numbers and the renal-impairment groups.
"""

from gabacare.pk.calibration import CalibrationRow, calibration_table, render_markdown
from gabacare.pk.dosing import parse_missed, regimen_doses
from gabacare.pk.model import (
    CrClChange,
    DialysisSession,
    DoseEvent,
    Simulation,
    Summary,
    concentrations,
    simulate_doses,
)
from gabacare.pk.parameters import PKParameters, default_parameters
from gabacare.pk.population import (
    CrClDistribution,
    PopulationResult,
    VirtualPatients,
    draw_patients,
    simulate_matrix,
    simulate_population,
)

__all__ = [
    "CalibrationRow",
    "CrClChange",
    "CrClDistribution",
    "DialysisSession",
    "DoseEvent",
    "PKParameters",
    "PopulationResult",
    "Simulation",
    "Summary",
    "VirtualPatients",
    "calibration_table",
    "concentrations",
    "default_parameters",
    "draw_patients",
    "parse_missed",
    "regimen_doses",
    "render_markdown",
    "simulate_doses",
    "simulate_matrix",
    "simulate_population",
]
