"""The pure clinical engine: values in, values out, each result carrying its citations.

No I/O, no clock, no globals beyond the read-only knowledge base.

>>> check_regimen(parse_regimen("600 mg TID"), crcl=CrCl(25)).ok
False
"""

from gabacare.clinical.checks import CheckResult, Problem, check_regimen
from gabacare.clinical.errors import ClinicalInputError, RegimenParseError
from gabacare.clinical.interactions import InteractionReport, InteractionResult, check_interactions
from gabacare.clinical.missed_dose import MissedDoseAdvice, missed_dose_advice
from gabacare.clinical.pills import PillPlan, Unit, pill_plan
from gabacare.clinical.plan import Plan, PlanDay, PlannedDose, PlanStep, maintenance_plan
from gabacare.clinical.regimen import DailyRegimen, Dose, parse_regimen
from gabacare.clinical.renal import CrClResult, RenalLimits, cockcroft_gault, renal_limits
from gabacare.clinical.taper import taper
from gabacare.clinical.titration import titrate
from gabacare.clinical.triage import TriageReport, TriageResult, triage
from gabacare.clinical.units import CrCl, Milligrams, SerumCreatinine

__all__ = [
    "CheckResult",
    "ClinicalInputError",
    "CrCl",
    "CrClResult",
    "DailyRegimen",
    "Dose",
    "InteractionReport",
    "InteractionResult",
    "Milligrams",
    "MissedDoseAdvice",
    "PillPlan",
    "Plan",
    "PlanDay",
    "PlanStep",
    "PlannedDose",
    "Problem",
    "RegimenParseError",
    "RenalLimits",
    "SerumCreatinine",
    "TriageReport",
    "TriageResult",
    "Unit",
    "check_interactions",
    "check_regimen",
    "cockcroft_gault",
    "maintenance_plan",
    "missed_dose_advice",
    "parse_regimen",
    "pill_plan",
    "renal_limits",
    "taper",
    "titrate",
    "triage",
]
