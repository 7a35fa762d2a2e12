"""The pure clinical engine: values in, values out, each result carrying its citations.

No I/O, no clock, no globals beyond the read-only knowledge base.

>>> from gabacare.clinical import CrCl, check_regimen, parse_regimen  # each name loads on first use
>>> check_regimen(parse_regimen("600 mg TID"), crcl=CrCl(25)).ok
False
"""

from typing import TYPE_CHECKING

from gabacare._lazy import keep_functions_over_submodules, lazy_exports

if TYPE_CHECKING:  # the names below, for type checkers; at run time they load on first use
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

# name -> module: each submodule is imported on first use (PEP 562), so `gabacare symptoms` does not
# load the dosing, taper and plan engines it never calls, and the other commands not the text pipeline.
_LAZY = {
    "CheckResult": "gabacare.clinical.checks",
    "ClinicalInputError": "gabacare.clinical.errors",
    "CrCl": "gabacare.clinical.units",
    "CrClResult": "gabacare.clinical.renal",
    "DailyRegimen": "gabacare.clinical.regimen",
    "Dose": "gabacare.clinical.regimen",
    "InteractionReport": "gabacare.clinical.interactions",
    "InteractionResult": "gabacare.clinical.interactions",
    "Milligrams": "gabacare.clinical.units",
    "MissedDoseAdvice": "gabacare.clinical.missed_dose",
    "PillPlan": "gabacare.clinical.pills",
    "Plan": "gabacare.clinical.plan",
    "PlanDay": "gabacare.clinical.plan",
    "PlanStep": "gabacare.clinical.plan",
    "PlannedDose": "gabacare.clinical.plan",
    "Problem": "gabacare.clinical.checks",
    "RegimenParseError": "gabacare.clinical.errors",
    "RenalLimits": "gabacare.clinical.renal",
    "SerumCreatinine": "gabacare.clinical.units",
    "TriageReport": "gabacare.clinical.triage",
    "TriageResult": "gabacare.clinical.triage",
    "Unit": "gabacare.clinical.pills",
    "check_interactions": "gabacare.clinical.interactions",
    "check_regimen": "gabacare.clinical.checks",
    "cockcroft_gault": "gabacare.clinical.renal",
    "maintenance_plan": "gabacare.clinical.plan",
    "missed_dose_advice": "gabacare.clinical.missed_dose",
    "parse_regimen": "gabacare.clinical.regimen",
    "pill_plan": "gabacare.clinical.pills",
    "renal_limits": "gabacare.clinical.renal",
    "taper": "gabacare.clinical.taper",
    "titrate": "gabacare.clinical.titration",
    "triage": "gabacare.clinical.triage",
}

# Two functions share their module's name: ``gabacare.clinical.taper`` and ``gabacare.clinical.triage``
# are the functions (as ``from gabacare.clinical import taper`` has always given), never the modules.
# Importing a submodule makes the import system set the package attribute of that name to the module
# (``setattr(package, "taper", module)``), whenever and by whoever it is imported; the package's class
# drops exactly that assignment (:func:`gabacare._lazy.keep_functions_over_submodules`), so the name stays
# unset until first use and then resolves, through ``__getattr__``, to the function.
_SHADOWED = frozenset({"taper", "triage"})

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


__getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY, __all__)


keep_functions_over_submodules(__name__, _SHADOWED)
