"""FHIR R4B resources for gabapentin plans: one MedicationRequest per titration, taper or maintenance plan.

Shape (interop-reference §2.2): one ``Dosage`` per plan step, ordered by ``sequence``; a step whose
doses differ within the day (``300-300-600``) has one Dosage per distinct amount with the *same*
``sequence`` (concurrent). Each Dosage carries ``timing.repeat`` (``frequency`` per 1 ``d``,
``boundsPeriod`` with whole-day inclusive dates, local ``timeOfDay``), the dose in mg (UCUM), the
text and patient instruction, and ``maxDosePerPeriod``: the renal band maximum for a known CrCl, else
the label's daily maximum (knowledge base ``[limits]``/``[[renal.bands]]``, label 2.1-2.3). Products
are RxNorm-coded from the knowledge base (``drug.rxnorm_ingredient``, ``forms[].rxnorm``,
``oral_solution.rxnorm``); ``dispenseRequest.quantity`` is the plan's dispense total when one product
makes every dose (several products: each total is listed in a ``note``).

A taper ends at its last non-zero step; a titration or maintenance plan's last step is open-ended
(the patient stays on it). A GabaCare proposal has ``intent`` ``plan``; only a prescriber's order is
``order``.

``fhir.resources`` is imported only inside :func:`validate_resource`, so importing this module is cheap.
Errors: :class:`FhirResourceError` (an :class:`~gabacare.errors.InputError`, so a ``ValueError``) names the
element paths that failed, never values.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, time
from typing import Any

from gabacare._record import record
from gabacare.clinical.errors import ClinicalInputError
from gabacare.clinical.pills import DispenseLine, Unit, dispense_totals, pill_plan
from gabacare.clinical.plan import Plan
from gabacare.clinical.regimen import DailyRegimen, format_time
from gabacare.clinical.renal import renal_limits
from gabacare.clinical.units import CrCl
from gabacare.errors import InputError
from gabacare.interop.codes import RXNORM, SNOMED, SNOMED_ORAL_ROUTE, UCUM
from gabacare.knowledge import Citation, load_monograph

__all__ = [
    "PLAN_SPEC_EXTENSION",
    "DoseDay",
    "DoseStep",
    "FhirResourceError",
    "days_medication_request",
    "dose_steps",
    "dose_units",
    "max_dose_ratio",
    "medication_concept",
    "plan_days",
    "plan_medication_request",
    "regimen_medication_request",
    "validate_resource",
]

#: Extension carrying the journal's plan spec (compact JSON), so an exported plan re-imports exactly.
PLAN_SPEC_EXTENSION = "https://gabacare.example/fhir/StructureDefinition/plan-spec"

#: One calendar day's doses: the date and (clock time, mg) pairs in clock order.
DoseDay = tuple[date, tuple[tuple[time, float], ...]]

_UCUM_FORM = {"capsule": "{capsule}", "tablet": "{tablet}", "oral-solution": "mL"}


class FhirResourceError(InputError):
    """A resource failed FHIR R4B validation; ``problems`` lists ``(path, message)`` pairs."""

    def __init__(self, resource_type: str, problems: Sequence[tuple[str, str]]) -> None:
        self.resource_type = resource_type
        self.problems = tuple(problems)
        shown = "; ".join(f"{p}: {m}" for p, m in self.problems[:5])
        super().__init__(f"invalid {resource_type}: {shown}")


@record
class DoseStep:
    """A run of consecutive days with the same doses; ``end`` None means open-ended (it continues)."""

    sequence: int
    start: date
    end: date | None
    doses: tuple[tuple[time, float], ...]


def _num(x: float) -> int | float:
    return int(x) if float(x).is_integer() else round(float(x), 3)


def _qty(value: float, code: str, unit: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"value": _num(value), "unit": unit or code, "system": UCUM, "code": code}
    return out


def dose_units(mg: float) -> tuple[Unit, ...]:
    """The units that make ``mg``: capsules/tablets when possible, else oral solution (label 3)."""
    try:
        return pill_plan(mg).units
    except ClinicalInputError:
        return pill_plan(mg, form="solution").units


def _units_text(units: Iterable[Unit]) -> str:
    parts = []
    for u in units:
        if u.form == "oral-solution":
            parts.append(f"{u.count:g} mL oral solution")
        else:
            parts.append(f"{u.count:g} × {u.strength_mg:g} mg {u.form}")
    return " + ".join(parts)


def _join(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def plan_days(plan: Plan) -> tuple[DoseDay, ...]:
    """A core plan's days as :data:`DoseDay` values."""
    return tuple((d.date, tuple((x.time, float(x.mg)) for x in d.doses)) for d in plan.days)


def dose_steps(days: Sequence[DoseDay], *, open_ended: bool) -> tuple[DoseStep, ...]:
    """Group consecutive days with identical doses into steps; days without doses (a taper's stop) end it.

    With ``open_ended`` the last step has no end date (the plan continues on it).
    """
    steps: list[DoseStep] = []
    for on, doses in days:
        active = tuple((t, mg) for t, mg in doses if mg > 0)
        if not active:
            continue
        last = steps[-1] if steps else None
        if last is not None and last.doses == active and last.end is not None and (on - last.end).days == 1:
            steps[-1] = DoseStep(last.sequence, last.start, on, active)
        else:
            steps.append(DoseStep(len(steps) + 1, on, on, active))
    if open_ended and steps:
        s = steps[-1]
        steps[-1] = DoseStep(s.sequence, s.start, None, s.doses)
    return tuple(steps)


def max_dose_ratio(crcl: CrCl | None) -> dict[str, Any]:
    """``maxDosePerPeriod``: the renal band maximum per day for a CrCl, else the label maximum (label 2.1-2.3)."""
    m = load_monograph()
    top = renal_limits(crcl).max_daily_mg if crcl is not None else float(m.limits.max_daily_mg)
    return {"numerator": _qty(top, "mg"), "denominator": _qty(1, "d", "day")}


def _product_codings(units: Iterable[Unit]) -> list[dict[str, Any]]:
    m = load_monograph()
    out: dict[str, dict[str, Any]] = {}
    for u in units:
        if u.form == "oral-solution":
            sol = m.oral_solution
            out[sol.rxnorm] = {"system": RXNORM, "code": sol.rxnorm,
                               "display": f"gabapentin {sol.concentration_mg_per_ml:g} MG/ML Oral Solution"}
            continue
        for f in m.forms:
            if f.form == u.form and f.strength_mg == u.strength_mg:
                out[f.rxnorm] = {"system": RXNORM, "code": f.rxnorm,
                                 "display": f"gabapentin {f.strength_mg:g} MG Oral {f.form.capitalize()}"}
    return list(out.values())


def medication_concept(units: Iterable[Unit]) -> dict[str, Any]:
    """``medicationCodeableConcept``: one product's RxNorm code, or the ingredient plus the products used."""
    m = load_monograph()
    products = _product_codings(units)
    if len(products) == 1:
        return {"coding": products, "text": products[0]["display"]}
    ingredient = {"system": RXNORM, "code": m.drug.rxnorm_ingredient, "display": m.drug.name}
    text = m.drug.name + (" (" + ", ".join(p["display"] for p in products) + ")" if products else "")
    return {"coding": [ingredient, *products], "text": text}


def _dispense(lines: Sequence[DispenseLine]) -> tuple[dict[str, Any] | None, list[str]]:
    if len(lines) == 1:
        line = lines[0]
        return {"quantity": _qty(line.count, _UCUM_FORM.get(line.form, "1"))}, []
    notes = [f"Dispense {ln.count:g} {'mL' if ln.form == 'oral-solution' else ln.form + '(s)'} of "
             f"{ln.strength_mg:g} mg{'/mL' if ln.form == 'oral-solution' else ''}" for ln in lines]
    return None, notes


def _cite_text(citations: Iterable[Citation]) -> str:
    return "Sources: " + "; ".join(dict.fromkeys(c.render() for c in citations))


def days_medication_request(
    days: Sequence[DoseDay],
    *,
    label: str,
    open_ended: bool,
    subject: str | None = None,
    crcl: CrCl | None = None,
    resource_id: str | None = None,
    status: str = "draft",
    intent: str = "plan",
    notes: Sequence[str] = (),
    spec: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A MedicationRequest (R4B JSON) for a day-by-day dose schedule (see the module docstring).

    ``subject`` is a reference such as ``Patient/7`` (a display-only reference when None); ``spec``
    (a journal plan spec) is kept in the :data:`PLAN_SPEC_EXTENSION` extension.
    Raises ``ClinicalInputError`` when the schedule has no dose above 0 mg.
    """
    steps = dose_steps(days, open_ended=open_ended)
    if not steps:
        raise ClinicalInputError("a plan without any dose above 0 mg cannot be written as a MedicationRequest")
    ratio = max_dose_ratio(crcl)
    route = {"coding": [{"system": SNOMED, "code": SNOMED_ORAL_ROUTE, "display": "Oral route"}]}
    dosages: list[dict[str, Any]] = []
    for step in steps:
        by_amount: dict[float, list[time]] = {}
        for t, mg in step.doses:
            by_amount.setdefault(mg, []).append(t)
        when = (f"from {step.start.isoformat()}" if step.end is None
                else f"{step.start.isoformat()} to {step.end.isoformat()}")
        for mg, times in by_amount.items():
            units = _units_text(dose_units(mg))
            clock = _join([format_time(t) for t in times])
            bounds: dict[str, str] = {"start": step.start.isoformat()}
            if step.end is not None:
                bounds["end"] = step.end.isoformat()
            dosages.append({
                "sequence": step.sequence,
                "text": f"{mg:g} mg at {clock}, {when}",
                "patientInstruction": f"Take {units} ({mg:g} mg) at {clock}, {when}.",
                "timing": {"repeat": {"boundsPeriod": bounds, "frequency": len(times), "period": 1, "periodUnit": "d",
                                      "timeOfDay": [f"{format_time(t)}:00" for t in times]}},
                "route": route,
                "doseAndRate": [{"doseQuantity": _qty(mg, "mg")}],
                "maxDosePerPeriod": ratio,
            })
    all_units = [u for _, doses in days for _, mg in doses if mg > 0 for u in dose_units(mg)]
    dispense, dispense_notes = _dispense(dispense_totals(all_units))
    resource: dict[str, Any] = {"resourceType": "MedicationRequest"}
    if resource_id:
        resource["id"] = resource_id
    if spec is not None:
        resource["extension"] = [{"url": PLAN_SPEC_EXTENSION, "valueString": json.dumps(dict(spec), sort_keys=True)}]
    resource.update({
        "status": status,
        "intent": intent,
        "medicationCodeableConcept": medication_concept(all_units),
        "subject": {"reference": subject} if subject else {"display": "the patient"},
        "dosageInstruction": dosages,
    })
    if dispense is not None:
        resource["dispenseRequest"] = dispense
    all_notes = [label, *notes, *dispense_notes]
    resource["note"] = [{"text": n} for n in all_notes if n]
    return resource


def plan_medication_request(
    plan: Plan,
    *,
    subject: str | None = None,
    crcl: CrCl | None = None,
    resource_id: str | None = None,
    status: str = "draft",
    intent: str = "plan",
    spec: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A core :class:`Plan` (titration, taper or maintenance) as one MedicationRequest (R4B JSON).

    Notes carry the plan's label, warnings, citations and the notice (not a substitute for your clinician).

    Examples
    --------
    >>> from datetime import date
    >>> from gabacare.clinical import titrate
    >>> mr = plan_medication_request(titrate("spasticity", start=date(2026, 1, 1)))
    >>> [d["sequence"] for d in mr["dosageInstruction"]][:3], mr["intent"]
    ([1, 2, 3], 'plan')
    """
    notes = [*plan.warnings, _cite_text(plan.citations), plan.notice]
    return days_medication_request(
        plan_days(plan), label=f"GabaCare {plan.kind} plan: {plan.label}", open_ended=plan.kind != "taper",
        subject=subject, crcl=crcl, resource_id=resource_id, status=status, intent=intent, notes=notes, spec=spec,
    )


def regimen_medication_request(
    regimen: DailyRegimen,
    *,
    crcl: CrCl | None,
    base: Mapping[str, Any] | None = None,
    with_times: bool = False,
) -> dict[str, Any]:
    """A simple repeating order for ``regimen`` (one Dosage per distinct amount), e.g. a CDS suggestion.

    ``base`` (a draft order) supplies ``id``, ``status``, ``intent``, ``subject``, ``encounter``,
    ``requester`` and ``authoredOn``; the medication, dosage and ``maxDosePerPeriod`` are GabaCare's.
    ``timeOfDay`` is written only ``with_times`` (an EHR order usually leaves clock times to the patient).
    """
    base = base or {}
    by_amount: dict[float, list[time]] = {}
    for d in regimen.doses:
        by_amount.setdefault(d.mg.value, []).append(d.time)
    units = [u for d in regimen.doses for u in dose_units(d.mg.value)]
    words = {1: "once daily", 2: "twice daily", 3: "three times daily"}
    dosages = []
    for mg, times in by_amount.items():
        repeat: dict[str, Any] = {"frequency": len(times), "period": 1, "periodUnit": "d"}
        if with_times or len(by_amount) > 1:
            repeat["timeOfDay"] = [f"{format_time(t)}:00" for t in times]
        how = words.get(len(times), f"{len(times)} times daily")
        dosages.append({
            "sequence": 1,
            "text": f"{mg:g} mg by mouth {how}" + (f" at {', '.join(format_time(t) for t in times)}"
                                                   if "timeOfDay" in repeat else ""),
            "timing": {"repeat": repeat},
            "route": {"coding": [{"system": SNOMED, "code": SNOMED_ORAL_ROUTE, "display": "Oral route"}]},
            "doseAndRate": [{"doseQuantity": _qty(mg, "mg")}],
            "maxDosePerPeriod": max_dose_ratio(crcl),
        })
    resource: dict[str, Any] = {"resourceType": "MedicationRequest"}
    for key in ("id",):
        if isinstance(base.get(key), str):
            resource[key] = base[key]
    resource["status"] = base.get("status") if isinstance(base.get("status"), str) else "draft"
    resource["intent"] = base.get("intent") if isinstance(base.get("intent"), str) else "order"
    resource["medicationCodeableConcept"] = medication_concept(units)
    subject = base.get("subject")
    resource["subject"] = dict(subject) if isinstance(subject, Mapping) else {"display": "the patient"}
    for key in ("encounter", "requester"):
        if isinstance(base.get(key), Mapping):
            resource[key] = dict(base[key])
    if isinstance(base.get("authoredOn"), str):
        resource["authoredOn"] = base["authoredOn"]
    resource["dosageInstruction"] = dosages
    return resource


def validate_resource(resource: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a resource with the ``fhir.resources`` R4B model of its ``resourceType``.

    Returns the resource as a plain dict; raises :class:`FhirResourceError` with the failing element
    paths (values are never echoed: they may be patient data).
    """
    from fhir.resources.R4B import get_fhir_model_class
    from pydantic import ValidationError

    rtype = resource.get("resourceType") if isinstance(resource, Mapping) else None
    if not isinstance(rtype, str):
        raise FhirResourceError("resource", [("resourceType", "missing or not text")])
    try:
        model = get_fhir_model_class(rtype)
    except (KeyError, ValueError, AttributeError, ImportError):
        raise FhirResourceError(rtype, [("resourceType", "not a FHIR R4B resource type")]) from None
    try:
        model.model_validate(dict(resource))
    except ValidationError as exc:
        problems = [(".".join(str(p) for p in err.get("loc", ())) or rtype, str(err.get("msg", "invalid")))
                    for err in exc.errors(include_input=False, include_url=False)]
        raise FhirResourceError(rtype, problems) from None
    except (TypeError, ValueError) as exc:
        raise FhirResourceError(rtype, [(rtype, type(exc).__name__)]) from None
    return dict(resource)
