"""A patient's journal as a FHIR R4B Bundle (type ``collection``), and reading such a Bundle back.

Export (:func:`journal_bundle`, pure; :func:`export_bundle` reads the journal):

=================  ===================================================================================
journal            FHIR R4B
=================  ===================================================================================
patient            Patient (``name.text``, ``birthDate``, ``gender``)
plan in force      MedicationRequest (``intent`` plan, see :mod:`gabacare.interop.fhir`) with its spec
dose               MedicationStatement: ``completed`` (late: extension ``dose-status``) or ``not-taken``
                   with ``statusReason`` SNOMED 266710000; ``identifier`` = journal entry id
symptom score      Observation, category ``survey``: pain 0-10 LOINC 72514-3 (``valueInteger``), other
                   scales the GabaCare CodeSystem (``valueQuantity`` ``{score}``, counts ``/d``)
lab                Observation, category ``laboratory``: creatinine LOINC 2160-0 (mg/dL) or 14682-9
                   (umol/L), UCUM; other tests the GabaCare CodeSystem
trigger, side      Observation, GabaCare CodeSystem, ``valueString``
effect, note
=================  ===================================================================================

Import (:func:`read_bundle`, pure; :func:`import_bundle` writes): accepts Bundles of type collection,
searchset, batch or transaction (ours or an EHR's); skips ``search.mode`` outcome entries and
de-duplicates by ``identifier``; validates every resource with the R4B models, then GabaCare's own
rules; reports every rejected resource with its reason and writes nothing if any is invalid. Resources
GabaCare has no place for (other medicines, Patient, body weight, other resource types) are reported as
skipped. A serum creatinine re-runs the renal check of the plan in force.

Times: the journal keeps naive local wall-clock times; export adds the offset of ``tz`` (the system's
zone by default), import converts to ``tz`` and drops it again.
Handles patient data: nothing here logs; reasons name elements and rules, never values.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import field
from datetime import date, datetime, tzinfo
from typing import Any

from gabacare._record import record
from gabacare.clinical.errors import ClinicalInputError
from gabacare.clinical.units import CrCl
from gabacare.errors import InputError
from gabacare.interop.codes import (
    GABACARE_SYSTEM,
    LOINC,
    LOINC_BODY_WEIGHT,
    LOINC_CREATININE_MASS,
    LOINC_CREATININE_MOLES,
    LOINC_PAIN_0_10,
    OBSERVATION_CATEGORY,
    SNOMED,
    SNOMED_DRUG_NOT_TAKEN,
    UCUM,
)
from gabacare.interop.fhir import (
    PLAN_SPEC_EXTENSION,
    DoseDay,
    FhirResourceError,
    days_medication_request,
    dose_units,
    medication_concept,
    validate_resource,
)
from gabacare.journal.model import Entry, Patient, StoredPlan

__all__ = [
    "DOSE_STATUS_EXTENSION",
    "BundleContent",
    "BundleImportError",
    "ImportReport",
    "export_bundle",
    "import_bundle",
    "journal_bundle",
    "read_bundle",
]

DOSE_STATUS_EXTENSION = "https://gabacare.example/fhir/StructureDefinition/dose-status"
ENTRY_SYSTEM = "urn:gabacare:journal-entry"
_COUNT_SCALES = frozenset({"spasm_count"})
_CREATININE_UNITS = {LOINC_CREATININE_MASS: "mg/dL", LOINC_CREATININE_MOLES: "umol/L"}
_ACCEPTED_TYPES = frozenset({"collection", "searchset", "batch", "transaction"})
#: A completed questionnaire: QuestionnaireResponse.questionnaire is this prefix + the instrument id
#: (``questionnaires.toml``); its identifier (this system) carries the journal's uid.
QUESTIONNAIRE_CANONICAL = "urn:gabacare:questionnaire:"
QUESTIONNAIRE_SYSTEM = "urn:gabacare:questionnaire-response"
#: The score of an instrument without a LOINC code (the Penn spasm scale, PGIC) is coded here.
QUESTIONNAIRE_SCORE_SYSTEM = "urn:gabacare:questionnaire-score"


class BundleImportError(InputError):
    """Some resources of a Bundle are invalid; ``problems`` lists ``(where, reason)``. Nothing was written."""

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        self.problems = tuple(problems)
        shown = "; ".join(f"{w}: {r}" for w, r in self.problems[:5])
        more = f" (and {len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__(f"import refused, {len(self.problems)} invalid resource(s), nothing imported: {shown}{more}")


class _Unreadable(InputError):
    """One resource of a Bundle is refused by GabaCare's rules (reported as a problem, never raised out)."""


# -- export -------------------------------------------------------------------------------------------
def _stamp(moment: datetime, tz: tzinfo | None) -> str:
    aware = moment.replace(tzinfo=tz) if tz is not None and moment.tzinfo is None else moment
    if aware.tzinfo is None:
        aware = aware.astimezone()
    return aware.isoformat(timespec="seconds")


def _plan_days(plan: StoredPlan) -> tuple[DoseDay, ...]:
    by_day: dict[date, list[tuple[Any, float]]] = {}
    for d in plan.plan.doses:
        by_day.setdefault(d.at.date(), []).append((d.at.time(), d.mg))
    return tuple((day, tuple(sorted(doses))) for day, doses in sorted(by_day.items()))


def _observation(entry: Entry, subject: str, tz: tzinfo | None) -> dict[str, Any]:
    d = entry.data
    category = "laboratory" if d.kind == "lab" else "survey"
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "id": f"entry-{entry.id}",
        "identifier": [{"system": ENTRY_SYSTEM, "value": str(entry.id)}],
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": category}]}],
        "subject": {"reference": subject},
        "effectiveDateTime": _stamp(d.at, tz),
        "issued": _stamp(entry.recorded_at, tz),
    }
    if d.kind == "symptom":
        value = float(d.value or 0.0)
        if d.name == "pain":
            obs["code"] = {"coding": [{"system": LOINC, "code": LOINC_PAIN_0_10,
                                       "display": "Pain severity 0-10 verbal numeric rating [Score] - Reported"}],
                           "text": "pain"}
        else:
            obs["code"] = {"coding": [{"system": GABACARE_SYSTEM, "code": str(d.name)}], "text": str(d.name)}
        if d.name == "pain" and value.is_integer():
            obs["valueInteger"] = int(value)
        elif d.name in _COUNT_SCALES:
            obs["valueQuantity"] = {"value": value, "unit": "per day", "system": UCUM, "code": "/d"}
        else:
            obs["valueQuantity"] = {"value": value, "unit": "score", "system": UCUM, "code": "{score}"}
    elif d.kind == "lab":
        if d.name == "creatinine":
            code = LOINC_CREATININE_MOLES if d.unit == "umol/L" else LOINC_CREATININE_MASS
            obs["code"] = {"coding": [{"system": LOINC, "code": code}], "text": "serum creatinine"}
            obs["valueQuantity"] = {"value": d.value, "unit": _CREATININE_UNITS[code], "system": UCUM,
                                    "code": _CREATININE_UNITS[code]}
        else:
            obs["code"] = {"coding": [{"system": GABACARE_SYSTEM, "code": f"lab-{d.name}"}], "text": str(d.name)}
            obs["valueQuantity"] = {"value": d.value, **({"unit": d.unit} if d.unit else {})}
    else:
        code = {"side_effect": "side-effect"}.get(d.kind, d.kind)
        obs["code"] = {"coding": [{"system": GABACARE_SYSTEM, "code": code}], "text": code.replace("-", " ")}
        obs["valueString"] = d.text or ""
    return obs


def _statement(entry: Entry, subject: str, plan_ref: str | None, tz: tzinfo | None) -> dict[str, Any]:
    d = entry.data
    mg = float(d.mg or 0.0)
    st: dict[str, Any] = {"resourceType": "MedicationStatement", "id": f"entry-{entry.id}"}
    if d.status == "late":
        st["extension"] = [{"url": DOSE_STATUS_EXTENSION, "valueCode": "late"}]
    st["identifier"] = [{"system": ENTRY_SYSTEM, "value": str(entry.id)}]
    if plan_ref:
        st["basedOn"] = [{"reference": plan_ref}]
    st["status"] = "not-taken" if d.status == "skipped" else "completed"
    if d.status == "skipped":
        st["statusReason"] = [{"coding": [{"system": SNOMED, "code": SNOMED_DRUG_NOT_TAKEN,
                                           "display": "Drugs not taken/completed"}], "text": "skipped"}]
    try:
        units = dose_units(mg) if mg > 0 else ()
    except ClinicalInputError:  # an amount no product measures (1 mg): the ingredient alone, not a crash
        units = ()
    st["medicationCodeableConcept"] = medication_concept(units)
    st["subject"] = {"reference": subject}
    st["effectiveDateTime"] = _stamp(d.at, tz)
    st["dateAsserted"] = _stamp(entry.recorded_at, tz)
    st["informationSource"] = {"reference": subject}
    if mg > 0:
        st["dosage"] = [{"text": f"{mg:g} mg", "doseAndRate": [{"doseQuantity": {
            "value": int(mg) if mg.is_integer() else mg, "unit": "mg", "system": UCUM, "code": "mg"}}]}]
    return st


def _questionnaire_resources(q: Any, subject: str, tz: tzinfo | None) -> list[dict[str, Any]]:
    """A stored questionnaire as a QuestionnaireResponse (the answers) and an Observation (the score,
    LOINC-coded where ``questionnaires.toml`` has the code, ``derivedFrom`` the response)."""
    from gabacare.knowledge.questionnaires import load_questionnaires

    inst = load_questionnaires().instrument(q.data.instrument)
    rid = f"questionnaire-{q.id}"
    items = [{"linkId": str(i + 1), "text": item.label, "answer": [{"valueInteger": a}]}
             for i, (item, a) in enumerate(zip(inst.items, q.data.answers, strict=False))]
    response = {"resourceType": "QuestionnaireResponse", "id": rid,
                "identifier": {"system": QUESTIONNAIRE_SYSTEM, "value": q.uid},
                "questionnaire": QUESTIONNAIRE_CANONICAL + inst.id, "status": "completed",
                "subject": {"reference": subject}, "authored": _stamp(q.at, tz), "item": items}
    code = ({"system": LOINC, "code": inst.loinc_total} if inst.loinc_total
            else {"system": QUESTIONNAIRE_SCORE_SYSTEM, "code": inst.id})
    score = {"resourceType": "Observation", "id": f"{rid}-score", "status": "final",
             "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey"}]}],
             "code": {"coding": [{**code, "display": f"{inst.title} total score"}], "text": f"{inst.title} total"},
             "subject": {"reference": subject}, "effectiveDateTime": _stamp(q.at, tz),
             "valueInteger": q.data.total,
             "derivedFrom": [{"reference": f"QuestionnaireResponse/{rid}"}]}
    return [response, score]


def journal_bundle(
    patient: Patient,
    plan: StoredPlan | None,
    entries: Sequence[Entry],
    *,
    now: datetime,
    tz: tzinfo | None = None,
    questionnaires: Sequence[Any] = (),
) -> dict[str, Any]:
    """The Bundle (type collection, R4B JSON) of one patient's profile, plan in force, entries and
    completed questionnaires (``StoredQuestionnaire``: a QuestionnaireResponse and its score) (pure)."""
    subject = f"Patient/{patient.id}"
    pat: dict[str, Any] = {"resourceType": "Patient", "id": str(patient.id),
                           "identifier": [{"system": "urn:gabacare:patient", "value": str(patient.id)}],
                           "name": [{"text": patient.name}]}
    if patient.sex:
        pat["gender"] = patient.sex
    if patient.birth_date:
        pat["birthDate"] = patient.birth_date.isoformat()
    resources: list[dict[str, Any]] = [pat]
    plan_ref = None
    if plan is not None:
        spec = plan.plan.spec
        try:
            crcl = CrCl(spec.crcl_ml_min) if spec.crcl_ml_min is not None else None
            mr = days_medication_request(
                _plan_days(plan), label=f"GabaCare {plan.plan.kind} plan: {plan.plan.label}",
                open_ended=plan.plan.continues, subject=subject, crcl=crcl, resource_id=f"plan-{plan.id}",
                status="active", intent="plan", notes=plan.plan.warnings, spec=spec.to_dict())
            resources.append(mr)
            plan_ref = f"MedicationRequest/plan-{plan.id}"
        except ClinicalInputError:
            plan_ref = None
    for e in entries:
        if e.kind == "dose":
            resources.append(_statement(e, subject, plan_ref, tz))
        else:
            resources.append(_observation(e, subject, tz))
    for q in questionnaires:
        resources.extend(_questionnaire_resources(q, subject, tz))
    if patient.weight_kg is not None:
        resources.append({"resourceType": "Observation", "id": "weight", "status": "final",
                          "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "vital-signs"}]}],
                          "code": {"coding": [{"system": LOINC, "code": LOINC_BODY_WEIGHT}], "text": "body weight"},
                          "subject": {"reference": subject},
                          "effectiveDateTime": _stamp(patient.created_at, tz),
                          "valueQuantity": {"value": patient.weight_kg, "unit": "kg", "system": UCUM, "code": "kg"}})
    stamp = _stamp(now, tz)
    bundle_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:gabacare:export:{patient.id}:{stamp}"))
    entry_list = []
    for r in resources:
        full = uuid.uuid5(uuid.NAMESPACE_URL, f"urn:gabacare:{patient.id}:{r['resourceType']}:{r.get('id')}")
        entry_list.append({"fullUrl": f"urn:uuid:{full}", "resource": r})
    return {"resourceType": "Bundle", "id": bundle_id,
            "identifier": {"system": "urn:gabacare:export", "value": bundle_id},
            "type": "collection", "timestamp": stamp, "entry": entry_list}


def export_bundle(journal: Any, patient_id: int, *, now: datetime | None = None, tz: tzinfo | None = None
                  ) -> dict[str, Any]:
    """Read one patient's journal (a :class:`gabacare.journal.Journal`) and return its Bundle."""
    moment = now or journal.clock()
    patient = journal.get_patient(patient_id)
    plan = journal.active_plan(patient_id, on=moment.date() if isinstance(moment, datetime) else None)
    stored = [q.stored for q in journal.questionnaires(patient_id)]
    return journal_bundle(patient, plan, journal.entries(patient_id), now=moment, tz=tz, questionnaires=stored)


# -- import ---------------------------------------------------------------------------------------------
@record
class BundleContent:
    """What a Bundle holds for the journal: journal rows (``kind, at, mg, ...``), rejections and skips."""

    rows: tuple[dict[str, Any], ...]
    wheres: tuple[str, ...]
    problems: tuple[tuple[str, str], ...]
    skipped: tuple[tuple[str, str], ...]


@record
class ImportReport:
    """Counts written, resources skipped (with why) and the renal re-checks creatinine triggered."""

    entries: int
    plans: int
    skipped: tuple[tuple[str, str], ...]
    renal: tuple[Any, ...] = field(default=())
    renal_skipped: tuple[str, ...] = field(default=())


def _local(text: Any, tz: tzinfo | None, what: str) -> str:
    if not isinstance(text, str):
        raise _Unreadable(f"{what} is required")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:  # datetime's own refusal of the text
        raise _Unreadable(f"{what} is not an ISO date-time") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(tz).replace(tzinfo=None) if tz is not None else moment.astimezone().replace(tzinfo=None)
    return moment.isoformat(timespec="seconds")


def _codes(resource: Mapping[str, Any]) -> list[tuple[str | None, str]]:
    concept = resource.get("code")
    codings = concept.get("coding") if isinstance(concept, Mapping) else None
    return [(c.get("system"), str(c.get("code"))) for c in codings or [] if isinstance(c, Mapping)]


def _mg_of(dosage: Any) -> float | None:
    if not isinstance(dosage, list) or not dosage or not isinstance(dosage[0], Mapping):
        return None
    dar = dosage[0].get("doseAndRate")
    if not isinstance(dar, list) or not dar or not isinstance(dar[0], Mapping):
        return None
    q = dar[0].get("doseQuantity")
    if not isinstance(q, Mapping) or (q.get("code") or q.get("unit")) != "mg":
        raise _Unreadable("the dose must be in mg (UCUM code mg)")
    value = q.get("value")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _row(kind: str, at: str, **fields: Any) -> dict[str, Any]:
    row = {"kind": kind, "at": at, "mg": None, "status": None, "name": None, "value": None, "unit": None, "text": None}
    row.update(fields)
    return row


def _read_observation(r: Mapping[str, Any], tz: tzinfo | None) -> dict[str, Any] | str:
    codes = _codes(r)
    if r.get("status") in ("entered-in-error", "cancelled"):
        return "entered in error or cancelled"
    at = _local(r.get("effectiveDateTime"), tz, "effectiveDateTime")
    q = r.get("valueQuantity") if isinstance(r.get("valueQuantity"), Mapping) else None
    qv = q.get("value") if q else None
    for system, code in codes:
        if system == LOINC and code in _CREATININE_UNITS:
            unit = str((q or {}).get("code") or (q or {}).get("unit") or "")
            if unit != _CREATININE_UNITS[code]:
                raise _Unreadable(f"LOINC {code} needs a value in {_CREATININE_UNITS[code]} (UCUM)")
            if not isinstance(qv, int | float):
                raise _Unreadable("a creatinine result needs valueQuantity.value")
            return _row("lab", at, name="creatinine", value=float(qv), unit=unit)
        if system == LOINC and code == LOINC_PAIN_0_10:
            value = r.get("valueInteger", qv)
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise _Unreadable("a pain score needs valueInteger (0-10)")
            return _row("symptom", at, name="pain", value=float(value))
        if system == LOINC and code == LOINC_BODY_WEIGHT:
            return "body weight belongs to the patient profile, which import does not change"
        if system == GABACARE_SYSTEM:
            if code in ("trigger", "side-effect", "note"):
                text = r.get("valueString")
                if not isinstance(text, str):
                    raise _Unreadable(f"a {code} needs valueString")
                return _row(code.replace("-", "_"), at, text=text)
            if code.startswith("lab-"):
                if not isinstance(qv, int | float):
                    raise _Unreadable("a lab result needs valueQuantity.value")
                return _row("lab", at, name=code[4:], value=float(qv), unit=(q or {}).get("unit"))
            value = r.get("valueInteger", qv)
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise _Unreadable("a score needs valueQuantity.value or valueInteger")
            return _row("symptom", at, name=code, value=float(value))
    return "no GabaCare mapping for this Observation code"


def _read_statement(r: Mapping[str, Any], tz: tzinfo | None) -> dict[str, Any] | str:
    from gabacare.interop.cds import identify_medication

    if not identify_medication(r).is_gabapentin and not _is_ours(r):
        return "not a gabapentin MedicationStatement"
    status = r.get("status")
    if status not in ("completed", "not-taken"):
        return f"status {status!r} is not a logged dose (completed or not-taken)"
    when = r.get("effectiveDateTime")
    if when is None and isinstance(r.get("effectivePeriod"), Mapping):
        when = r["effectivePeriod"].get("start")
    at = _local(when, tz, "effectiveDateTime")
    mg = _mg_of(r.get("dosage"))
    late = any(isinstance(x, Mapping) and x.get("url") == DOSE_STATUS_EXTENSION and x.get("valueCode") == "late"
               for x in r.get("extension") or [])
    if status == "not-taken":
        return _row("dose", at, mg=mg or 0.0, status="skipped")
    if mg is None:
        raise _Unreadable("a taken dose needs dosage[0].doseAndRate[0].doseQuantity in mg")
    return _row("dose", at, mg=mg, status="late" if late else "taken")


def _is_ours(r: Mapping[str, Any]) -> bool:
    return any(isinstance(i, Mapping) and i.get("system") == ENTRY_SYSTEM for i in r.get("identifier") or [])


def _read_request(r: Mapping[str, Any]) -> dict[str, Any] | str:
    from gabacare.interop.cds import UnreadableOrder, identify_medication, order_regimens

    for x in r.get("extension") or []:
        if isinstance(x, Mapping) and x.get("url") == PLAN_SPEC_EXTENSION and isinstance(x.get("valueString"), str):
            try:
                spec = json.loads(x["valueString"])
            except json.JSONDecodeError:
                raise _Unreadable("the plan-spec extension is not JSON") from None
            if not isinstance(spec, dict):
                raise _Unreadable("the plan-spec extension is not an object")
            return _row("plan", str(spec.get("start")), text=json.dumps(spec, sort_keys=True, separators=(",", ":")))
    med = identify_medication(r)
    if not med.is_gabapentin:
        return "not a gabapentin MedicationRequest"
    if r.get("status") not in ("active", "draft", "on-hold"):
        return f"status {r.get('status')!r} is not a current order"
    try:
        regimens = order_regimens(r, med)
    except UnreadableOrder as exc:
        raise _Unreadable(str(exc)) from None
    if len(regimens) != 1:
        raise _Unreadable("an order with several dosage steps needs GabaCare's plan-spec extension")
    start = None
    for d in r.get("dosageInstruction") or []:
        bounds = ((d.get("timing") or {}).get("repeat") or {}).get("boundsPeriod") if isinstance(d, Mapping) else None
        if isinstance(bounds, Mapping) and isinstance(bounds.get("start"), str):
            start = bounds["start"][:10]
    if start is None and isinstance(r.get("authoredOn"), str):
        start = r["authoredOn"][:10]
    if start is None:
        raise _Unreadable("the order needs authoredOn or a boundsPeriod start")
    spec = {"source": "regimen", "start": start, "regimen": regimens[0].describe()}
    return _row("plan", start, text=json.dumps(spec, sort_keys=True, separators=(",", ":")))


def _read_questionnaire(r: Mapping[str, Any], tz: tzinfo | None) -> dict[str, Any] | str:
    """A QuestionnaireResponse of one of GabaCare's instruments as a ``questionnaire`` row (the journal
    scores the answers again on import); any other questionnaire is skipped with the reason."""
    from gabacare.clinical.questionnaires import score

    canonical = str(r.get("questionnaire") or "")
    if not canonical.startswith(QUESTIONNAIRE_CANONICAL):
        return "only GabaCare's own questionnaires (PHQ-9, GAD-7, Penn spasm, pain 0-10, PGIC) are imported"
    if r.get("status") not in ("completed", "amended"):
        return "an unfinished questionnaire is not imported"
    answers: list[int] = []
    for item in r.get("item") or []:
        values = [a.get("valueInteger") for a in (item.get("answer") or []) if isinstance(a, Mapping)]
        if len(values) != 1 or not isinstance(values[0], int):
            raise _Unreadable("each questionnaire item needs exactly one whole-number answer")
        answers.append(values[0])
    instrument = canonical.removeprefix(QUESTIONNAIRE_CANONICAL)
    result = score(instrument, answers)  # an unknown instrument or answers out of range: ClinicalInputError
    ident = r.get("identifier")
    uid = ident.get("value") if isinstance(ident, Mapping) and ident.get("system") == QUESTIONNAIRE_SYSTEM else None
    return _row("questionnaire", _local(r.get("authored"), tz, "authored"), name=result.instrument,
                value=float(result.total), text=",".join(str(a) for a in result.answers), uid=uid)


def _derived_from_a_response(r: Mapping[str, Any]) -> bool:
    return any(isinstance(d, Mapping) and str(d.get("reference", "")).startswith("QuestionnaireResponse/")
               for d in r.get("derivedFrom") or [])


def _read_resource(r: Mapping[str, Any], rtype: Any, tz: tzinfo | None) -> dict[str, Any] | str:
    """One validated resource as a journal row, or why it is skipped; :class:`_Unreadable` if refused."""
    if rtype == "QuestionnaireResponse":
        return _read_questionnaire(r, tz)
    if rtype == "Observation" and _derived_from_a_response(r):
        return "a questionnaire's score is read again from its QuestionnaireResponse"
    if rtype == "Observation":
        return _read_observation(r, tz)
    if rtype == "MedicationStatement":
        return _read_statement(r, tz)
    if rtype == "MedicationRequest":
        return _read_request(r)
    if rtype == "Patient":
        return "the patient is chosen with --patient; profiles are not imported"
    return f"GabaCare does not import {rtype} resources"


def read_bundle(doc: Any, *, tz: tzinfo | None = None) -> BundleContent:
    """Read a Bundle into journal rows (pure): every resource validated, every problem and skip reported."""
    problems: list[tuple[str, str]] = []
    skipped: list[tuple[str, str]] = []
    rows: list[dict[str, Any]] = []
    wheres: list[str] = []
    if not isinstance(doc, Mapping) or doc.get("resourceType") != "Bundle":
        return BundleContent((), (), (("Bundle", "the file is not a FHIR Bundle"),), ())
    if doc.get("type") not in _ACCEPTED_TYPES:
        problems.append(("Bundle", "type must be collection, searchset, batch or transaction"))
    entries = doc.get("entry") or []
    if not isinstance(entries, list):
        return BundleContent((), (), (("Bundle", "entry must be a list"),), ())
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        where = f"entry[{i}]"
        if not isinstance(entry, Mapping) or not isinstance(entry.get("resource"), Mapping):
            problems.append((where, "an entry needs a resource"))
            continue
        search = entry.get("search")
        if isinstance(search, Mapping) and search.get("mode") == "outcome":
            continue
        r = entry["resource"]
        rtype = r.get("resourceType")
        where = f"{where} {rtype}/{r.get('id')}" if r.get("id") else f"{where} {rtype}"
        try:
            validate_resource(r)
        except FhirResourceError as exc:
            problems.append((where, "; ".join(f"{p}: {m}" for p, m in exc.problems[:3])))
            continue
        ident = next((f"{x.get('system')}|{x.get('value')}" for x in r.get("identifier") or []
                      if isinstance(x, Mapping) and x.get("value")), None)
        if ident is not None:
            key = f"{rtype}|{ident}"
            if key in seen:
                skipped.append((where, "duplicate identifier"))
                continue
            seen.add(key)
        try:
            got = _read_resource(r, rtype, tz)
        except InputError as exc:  # the resource is refused (a built-in error would be a defect, not a problem row)
            problems.append((where, str(exc)))
            continue
        if isinstance(got, str):
            skipped.append((where, got))
        else:
            rows.append(got)
            wheres.append(where)
    return BundleContent(tuple(rows), tuple(wheres), tuple(problems), tuple(skipped))


def import_bundle(journal: Any, patient_id: int, doc: Any, *, tz: tzinfo | None = None) -> ImportReport:
    """Validate a Bundle and write its content to one patient's journal, all or nothing.

    Raises :class:`BundleImportError` listing every invalid resource (nothing written). Each imported
    serum creatinine re-runs the renal check of the plan in force (``ImportReport.renal``).
    """
    from gabacare.journal.errors import ImportValidationError

    content = read_bundle(doc, tz=tz)
    if content.problems:
        raise BundleImportError(content.problems)
    patient = journal.get_patient(patient_id)
    rows = list(content.rows)
    body = ",\n".join("  " + json.dumps(r, ensure_ascii=False, sort_keys=True) for r in rows)
    text = '{"format": "gabacare-journal", "version": 1,\n"rows": [' + ("\n" + body + "\n" if rows else "") + "]}\n"
    try:
        counts = journal.import_text(patient_id, text, "json")
    except ImportValidationError as exc:
        mapped = [(content.wheres[line - 3] if 0 <= line - 3 < len(content.wheres) else f"row {line}", msg)
                  for line, msg in exc.problems]
        raise BundleImportError(mapped) from None
    renal: list[Any] = []
    renal_skipped: list[str] = []
    creat = [r for r in rows if r["kind"] == "lab" and r["name"] == "creatinine"]
    if creat:
        labs = journal.entries(patient_id, kinds=["lab"])
        for r in creat:
            at = datetime.fromisoformat(r["at"])
            entry = next((e for e in labs if e.at == at and e.data.name == "creatinine" and e.data.value == r["value"]), None)
            if entry is None:
                continue
            result, why = journal.renal_recheck(patient, entry)
            if result is not None:
                renal.append(result)
            elif why:
                renal_skipped.append(why)
    return ImportReport(int(counts.get("entries", 0)), int(counts.get("plans", 0)), content.skipped,
                        tuple(renal), tuple(renal_skipped))
