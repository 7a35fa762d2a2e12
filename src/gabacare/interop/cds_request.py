"""A CDS Hooks request read at the door: typed models of the parts GabaCare reads, every bound checked
before any work is done.

:func:`read_hook_request` turns the parsed JSON body of ``POST /cds-services/{id}`` into a
:class:`HookRequest` or raises :class:`CdsRequestError` (a 4xx with a reason naming the field, never a
value). It refuses:

* wrong shapes: an object or a list where FHIR has text (``periodUnit: {}``), text where it has a
  number, ``true`` where it has a number, lone surrogates in any text;
* non-finite or absurd numbers: ``doseQuantity.value`` beyond the knowledge base's
  ``cds_limits.max_daily_mg``; a timing that means more than ``cds_limits.max_doses_per_day`` doses a
  day (``frequency`` 18446744073709551616, or ``period`` 1e-300 days);
* counts that scale work: draft orders and selections (``max_draft_orders``), dosage instructions per
  order, entries per prefetch Bundle, codings per medication, medication texts the drug-name engine
  may have to read (all ``[cds_limits]`` in ``gabapentin.toml``, source ``gabacare-policy``).

The models are lenient where FHIR versions differ (R4, STU3 and R5 shapes, a lone object where R4 has
a list) and keep every element they do not name (``extra="allow"``): they type what GabaCare reads
and nothing else. :func:`read_dosage` is the same typed reading for one Dosage, used by the service
for draft orders and for the active orders it reads from the prefetch or the EHR's FHIR server.

Errors::

    gabacare.errors.InputError (a ValueError)
    └── CdsRequestError      the request is refused (``status``, FHIR issue ``code``, ``reason``)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Final

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationError, field_validator

from gabacare._record import record
from gabacare.errors import InputError
from gabacare.knowledge import load_monograph
from gabacare.knowledge.monograph import CdsLimits

__all__ = [
    "MEDICATION_TYPES",
    "PER_DAY",
    "CdsRequestError",
    "Dosage",
    "HookRequest",
    "cds_limits",
    "doses_per_day",
    "has_lone_surrogate",
    "is_medication",
    "read_dosage",
    "read_hook_request",
]

#: Resource types whose medication GabaCare identifies (and whose texts the drug-name engine may read).
MEDICATION_TYPES: Final = frozenset({"MedicationRequest", "MedicationStatement"})
#: UCUM period units -> periods per day (FHIR ``Timing.repeat.periodUnit``).
PER_DAY: Final = {"d": 1.0, "h": 24.0, "min": 1440.0, "s": 86400.0, "wk": 1 / 7, "mo": 1 / 30, "a": 1 / 365}


class CdsRequestError(InputError):
    """A CDS request refused: ``status`` (400 unless said), FHIR issue ``code`` and a one-line ``reason``."""

    def __init__(self, reason: str, status: int = 400, code: str = "invalid") -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.code = code


def cds_limits() -> CdsLimits:
    """The knowledge base's ``[cds_limits]`` (a missing table is a broken knowledge base)."""
    limits = load_monograph().cds_limits
    if limits is None:
        from gabacare.knowledge import KnowledgeBaseError

        raise KnowledgeBaseError("gabapentin.toml: the [cds_limits] table is missing")
    return limits


# -- typed models of the parts GabaCare reads ---------------------------------------------------------
Finite = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Text = Annotated[str, Field(strict=True)]
Required = Annotated[str, Field(strict=True, min_length=1)]


class _Fhir(BaseModel):
    """A FHIR element: the named children are typed, every other one is kept as it came."""

    model_config = ConfigDict(extra="allow", frozen=True)


def _one_or_many(value: Any) -> Any:
    """R4 has a list; some EHR examples send the lone object: repaired."""
    return [value] if isinstance(value, Mapping) else value


class Quantity(_Fhir):
    value: Finite | None = None
    unit: Text | None = None
    code: Text | None = None
    system: Text | None = None


class Range(_Fhir):
    low: Quantity | None = None
    high: Quantity | None = None


class DoseAndRate(_Fhir):
    doseQuantity: Quantity | None = None
    doseRange: Range | None = None


class Repeat(_Fhir):
    frequency: StrictInt | None = None
    period: Finite | None = None
    periodUnit: Text | None = None
    unit: Text | None = None  # an older spelling of periodUnit seen in EHR examples
    timeOfDay: list[Text] | None = None


class Timing(_Fhir):
    repeat: Repeat | None = None


class Dosage(_Fhir):
    """One FHIR Dosage as GabaCare reads it (R4 ``doseAndRate``; STU3 ``doseQuantity`` on the Dosage)."""

    sequence: StrictInt | None = None
    timing: Timing | None = None
    doseAndRate: list[DoseAndRate] | None = None
    doseQuantity: Quantity | None = None
    asNeededBoolean: StrictBool | None = None

    @field_validator("doseAndRate", mode="before")
    @classmethod
    def _repair(cls, value: Any) -> Any:
        return _one_or_many(value)

    @property
    def quantity(self) -> Quantity | None:
        """The dose: the first ``doseAndRate``'s quantity (or its range's high end), else STU3's."""
        if self.doseAndRate:
            first = self.doseAndRate[0]
            if first.doseQuantity is not None:
                return first.doseQuantity
            if first.doseRange is not None and first.doseRange.high is not None:
                return first.doseRange.high
        return self.doseQuantity


class Coding(_Fhir):
    system: Text | None = None
    code: Text | StrictInt | None = None
    display: Text | None = None


class CodeableConcept(_Fhir):
    coding: list[Coding] | None = None
    text: Text | None = None


class CodeableReference(_Fhir):  # R5 MedicationRequest.medication
    concept: CodeableConcept | None = None


class Reference(_Fhir):
    reference: Text | None = None


class MedicationResource(_Fhir):
    """A MedicationRequest or MedicationStatement (R4, STU3 or R5): what GabaCare reads of it."""

    resourceType: Required
    id: Text | None = None
    status: Text | None = None
    subject: Reference | None = None
    medicationCodeableConcept: CodeableConcept | None = None
    medication: CodeableReference | None = None
    dosageInstruction: list[Dosage] | None = None

    @field_validator("dosageInstruction", mode="before")
    @classmethod
    def _repair(cls, value: Any) -> Any:
        return _one_or_many(value)

    def concepts(self) -> list[CodeableConcept]:
        return [c for c in (self.medicationCodeableConcept, self.medication.concept if self.medication else None)
                if c is not None]


class FhirAuthorization(_Fhir):
    """CDS Hooks ``fhirAuthorization``: the token GabaCare may send to the request's ``fhirServer``."""

    access_token: Text | None = None
    token_type: Text | None = None
    expires_in: Finite | None = None
    scope: Text | None = None
    subject: Text | None = None


class _Context(_Fhir):
    patientId: Required
    userId: Text | None = None
    encounterId: Text | None = None
    selections: list[Required] | None = None
    draftOrders: dict[str, Any] | None = None


class _Envelope(_Fhir):
    # Field order is the order problems are reported in (the first one is named).
    hook: Required
    hookInstance: Required
    fhirServer: Text | None = None
    fhirAuthorization: FhirAuthorization | None = None
    prefetch: dict[str, Any] | None = None
    context: _Context


@record
class HookRequest:
    """A CDS Hooks request that passed the door: its typed parts, and the raw resources to judge.

    ``drafts`` are every draft resource of ``context.draftOrders``; ``judged`` are the ones under
    review (order-select: the selections; order-sign: all). Both are empty for patient-view.
    """

    hook: str
    instance: str
    patient_id: str
    fhir_server: str | None
    fhir_authorization: Mapping[str, Any] | None
    prefetch: Mapping[str, Any]
    drafts: list[dict[str, Any]]
    judged: list[dict[str, Any]]


# -- errors as reasons ---------------------------------------------------------------------------------
def _path(where: str, loc: Sequence[int | str]) -> str:
    out = where
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


_WORDS: Final = {
    "missing": "is required",
    "string_type": "must be text",
    "string_unicode": "holds text with a lone surrogate (\\ud800-\\udfff), which is not valid text",
    "string_too_short": "must not be empty",
    "float_type": "must be a number",
    "int_type": "must be a whole number",
    "finite_number": "must be a finite number",
    "bool_type": "must be true or false",
    "list_type": "must be a list",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
}


def _refusal(exc: ValidationError, where: str) -> CdsRequestError:
    """The first problem pydantic found, as a reason naming the field (never the value)."""
    first = exc.errors(include_input=False, include_url=False)[0]
    loc = [p for p in first["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
    words = _WORDS.get(first["type"], "is not valid")
    return CdsRequestError(f"{_path(where, loc)} {words}")


def has_lone_surrogate(value: Any) -> bool:
    """True when any text in a decoded JSON value (keys included) is not valid Unicode text."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


# -- timing: doses a day ----------------------------------------------------------------------------------
def doses_per_day(repeat: Repeat | None, times: int) -> float | None:
    """Doses a day meant by a ``Timing.repeat`` (``times`` = entries of ``timeOfDay``); None when the
    timing cannot be read as a daily schedule (no frequency ≥ 1, no positive period, unknown unit).

    Finite for every input the models accept; the caller bounds it before building one item per dose.

    Examples
    --------
    >>> doses_per_day(Repeat(frequency=3, period=1, periodUnit="d"), 0)
    3.0
    >>> doses_per_day(Repeat(frequency=1, period=8, periodUnit="h"), 0)
    3.0
    >>> doses_per_day(Repeat(frequency=18446744073709551616, period=1, periodUnit="d"), 0) > 1e18
    True
    """
    r = repeat or Repeat()
    freq = r.frequency if r.frequency is not None else (times or 1)
    period = r.period if r.period is not None else 1.0
    unit = r.periodUnit if r.periodUnit is not None else (r.unit if r.unit is not None else "d")
    if freq < 1 or period <= 0 or unit not in PER_DAY:
        return None
    try:
        per_day = float(freq) * PER_DAY[unit] / period
    except OverflowError:
        return math.inf
    return per_day if math.isfinite(per_day) else math.inf


def read_dosage(raw: Any, where: str) -> Dosage:
    """One Dosage, typed; :class:`CdsRequestError` names the field when it has the wrong shape."""
    try:
        return Dosage.model_validate(raw)
    except ValidationError as exc:
        raise _refusal(exc, where) from None


def _check_dosage(dosage: Dosage, where: str, limits: CdsLimits) -> None:
    qty = dosage.quantity
    if qty is not None and qty.value is not None and abs(qty.value) > limits.max_daily_mg:
        raise CdsRequestError(f"{where} dose value is beyond any plausible gabapentin dose "
                              f"(at most {limits.max_daily_mg:g} in any unit)", code="value")
    repeat = dosage.timing.repeat if dosage.timing else None
    times = len(repeat.timeOfDay) if repeat and repeat.timeOfDay else 0
    per_day = doses_per_day(repeat, times)
    if times > limits.max_doses_per_day or (per_day is not None and per_day > limits.max_doses_per_day):
        raise CdsRequestError(f"{where}.timing means more than {limits.max_doses_per_day} doses a day, "
                              "which is not a gabapentin schedule", code="value")


# -- the door -------------------------------------------------------------------------------------------
def _medication(raw: Any, where: str, limits: CdsLimits) -> MedicationResource:
    try:
        med = MedicationResource.model_validate(raw)
    except ValidationError as exc:
        raise _refusal(exc, where) from None
    for concept in med.concepts():
        if concept.coding is not None and len(concept.coding) > limits.max_codings:
            raise CdsRequestError(f"{where} medication has more than {limits.max_codings} codings", code="too-costly")
    dosages = med.dosageInstruction or []
    if len(dosages) > limits.max_dosage_instructions:
        raise CdsRequestError(f"{where}.dosageInstruction has more than {limits.max_dosage_instructions} "
                              "dosage instructions", code="too-costly")
    for i, dosage in enumerate(dosages):
        _check_dosage(dosage, f"{where}.dosageInstruction[{i}]", limits)
    return med


def is_medication(resource: Any) -> bool:
    """A MedicationRequest or MedicationStatement (any other value, of any JSON type, is not)."""
    kind = resource.get("resourceType") if isinstance(resource, Mapping) else None
    return isinstance(kind, str) and kind in MEDICATION_TYPES


def _name_texts(med: MedicationResource) -> int:
    return sum((1 if c.text else 0) + sum(1 for cd in c.coding or [] if cd.display) for c in med.concepts())


def _bundle_entries(bundle: Mapping[str, Any], where: str, limits: CdsLimits) -> list[tuple[str, Any]]:
    """(where, resource) of a Bundle's entries, bounded; bare resources in ``entry`` are repaired."""
    entries = bundle.get("entry")
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise CdsRequestError(f"{where}.entry must be a list")
    if len(entries) > limits.max_bundle_entries:
        raise CdsRequestError(f"{where}.entry has more than {limits.max_bundle_entries} entries", status=400,
                              code="too-costly")
    out = []
    for i, entry in enumerate(entries):
        search = entry.get("search") if isinstance(entry, Mapping) else None
        if isinstance(search, Mapping) and search.get("mode") == "outcome":
            continue
        if isinstance(entry, Mapping):
            resource = entry.get("resource") if "resource" in entry else entry
            out.append((f"{where}.entry[{i}]" + (".resource" if "resource" in entry else ""), resource))
    return out


def _prefetch_medications(prefetch: Mapping[str, Any], limits: CdsLimits) -> int:
    """Check every prefetch value GabaCare may read; return how many medication texts it holds."""
    texts = 0
    for key, value in prefetch.items():
        where = f"prefetch.{key}"
        if not isinstance(value, Mapping):
            continue
        inner = value.get("resource") if "resource" in value and "resourceType" not in value else value
        if not isinstance(inner, Mapping):
            continue
        bundle = inner.get("resourceType") == "Bundle"
        resources = _bundle_entries(inner, where, limits) if bundle else [(where, inner)]
        for at, resource in resources:
            if is_medication(resource):
                texts += _name_texts(_medication(resource, at, limits))
    return texts


def _envelope(hook: str, request: Any) -> _Envelope:
    """The request's envelope, typed: the hook it is for, its instance and the patient."""
    if not isinstance(request, Mapping):
        raise CdsRequestError("the request body must be a JSON object")
    if not isinstance(request.get("hook"), str) or not str(request.get("hook")).strip():
        raise CdsRequestError("request.hook is required and must be a non-empty string")
    if request["hook"].strip() != hook:
        raise CdsRequestError(f"this service answers the {hook} hook, not {request['hook'].strip()!r}")
    try:
        env = _Envelope.model_validate(request)
    except ValidationError as exc:
        raise _refusal(exc, "request") from None
    if not env.hookInstance.strip():
        raise CdsRequestError("request.hookInstance is required and must be a non-empty string")
    return env


def _check_counts(hook: str, env: _Envelope, limits: CdsLimits) -> None:
    """The counts that scale work, before anything is read: draft orders and selections."""
    bundle = env.context.draftOrders
    if bundle is None:
        raise CdsRequestError("context.draftOrders is required and must be a FHIR Bundle")
    entries = bundle.get("entry")
    if isinstance(entries, list) and len(entries) > limits.max_draft_orders:
        raise CdsRequestError(f"context.draftOrders.entry has more than {limits.max_draft_orders} draft orders",
                              code="too-costly")
    selections = env.context.selections
    if hook == "order-select" and selections is not None and len(selections) > limits.max_draft_orders:
        raise CdsRequestError(f"context.selections has more than {limits.max_draft_orders} references",
                              code="too-costly")


def _drafts(bundle: Mapping[str, Any], limits: CdsLimits) -> tuple[list[dict[str, Any]], int]:
    """The draft resources (OperationOutcomes and non-resources left out) and their medication texts."""
    drafts: list[dict[str, Any]] = []
    texts = 0
    for at, resource in _bundle_entries(bundle, "context.draftOrders", limits):
        if not isinstance(resource, Mapping) or not isinstance(resource.get("resourceType"), str):
            continue
        if resource.get("resourceType") == "OperationOutcome":
            continue
        if is_medication(resource):
            texts += _name_texts(_medication(resource, at, limits))
        drafts.append(dict(resource))
    return drafts, texts


def _selected(env: _Envelope, drafts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """order-select: the drafts its ``selections`` name (by id)."""
    selections = env.context.selections
    if selections is None:
        raise CdsRequestError("context.selections is required for order-select and must be a list of references")
    wanted = {s.strip().split("/")[-1] for s in selections}
    return [d for d in drafts if isinstance(d.get("id"), str) and d["id"].strip() in wanted]


def read_hook_request(hook: str, request: Any) -> HookRequest:
    """Read and bound one hook request for the service answering ``hook`` (module docstring).

    Raises
    ------
    CdsRequestError
        400 naming the field at fault (shape, range or count); never for an order GabaCare merely
        cannot read (that gets an info card).
    """
    limits = cds_limits()
    env = _envelope(hook, request)
    patient_id = env.context.patientId.strip().removeprefix("Patient/")
    if not patient_id:
        raise CdsRequestError("context.patientId is required and must be a non-empty string")
    prefetch = env.prefetch or {}
    # The counts first (cheap), then one pass over all the text, then the resources one by one.
    if hook != "patient-view":
        _check_counts(hook, env, limits)
    if has_lone_surrogate(request):
        raise CdsRequestError("the request holds text with a lone surrogate (\\ud800-\\udfff), which is not valid text")
    auth = env.fhirAuthorization.model_dump(exclude_none=True) if env.fhirAuthorization else None
    instance = env.hookInstance.strip()
    texts = _prefetch_medications(prefetch, limits)
    bundle = env.context.draftOrders
    if hook == "patient-view" or bundle is None:
        return HookRequest(hook, instance, patient_id, env.fhirServer, auth, prefetch, [], [])
    drafts, draft_texts = _drafts(bundle, limits)
    if texts + draft_texts > limits.max_name_texts:
        raise CdsRequestError(f"the request holds more than {limits.max_name_texts} medication texts to read",
                              code="too-costly")
    judged = _selected(env, drafts) if hook == "order-select" else drafts
    return HookRequest(hook, instance, patient_id, env.fhirServer, auth, prefetch, drafts, judged)
