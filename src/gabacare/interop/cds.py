"""CDS Hooks 2.0 service logic for gabapentin orders, as pure functions over JSON-like dicts.

No web framework here: the web layer parses the HTTP body, calls one function and sends back the
:class:`CdsResponse` it gets (``status`` and ``body``). Bad input never raises to the caller.

Services (one per hook, :func:`discovery`): ``gabacare-order-select``, ``gabacare-order-sign`` and
``gabacare-patient-view``, each declaring the prefetch templates ``patient``, ``creatinine`` (latest
serum creatinine, LOINC 2160-0 or 14682-9), ``weight`` (LOINC 29463-7) and ``activeMeds``.

For each draft gabapentin order under review (order-select: the ``selections``; order-sign: every
draft), recognised by RxNorm code (knowledge base ``drug.rxnorm_ingredient``, ``forms[].rxnorm``,
``oral_solution.rxnorm``) or by name (gabapentin enacarbil and pregabalin are *other* gabapentinoids),
the service estimates CrCl by Cockcroft-Gault from the prefetch (age at ``now``, sex, weight,
creatinine converted by its unit code) and returns cards for:

=============================  ==========  ======================================================
finding                        indicator   source
=============================  ==========  ======================================================
daily dose above renal band    warning     label 2.3 (suggestion: the band's regimen, ``update``)
daily dose above 3600 mg       critical    label 2.1, 2.2 (suggestion as above)
doses per day above the band   warning     label 2.3 (folded into the dose card when both apply)
fewer doses than the band      info        label 2.3
opioid / benzodiazepine /      warning     fda-dsc-2019, label 5.7, 7, gomes-2017, beers-2023
other sedative co-prescribed   (info for
                               sedatives)
duplicate gabapentinoid        warning     label, beers-2023
abrupt stop, no taper          warning     label 2, 5.5 (suggestion: the core's taper, ``create``)
age at or above the FDA/Beers  info        fda-dsc-2019, beers-2023
risk age
no creatinine / weight         info        label 2.3 ("renal check not done")
unreadable gabapentin order    info        (the checks could not run)
=============================  ==========  ======================================================

The request is read at the door first (:func:`gabacare.interop.cds_request.read_hook_request`): typed
models of the parts read here, and every count and range bounded by the knowledge base's
``[cds_limits]`` before any work (400 naming the field). Orders are read by :func:`order_regimens`,
which bounds doses a day and mg a day again before it builds one item per dose (a draft beyond them
is a 400; an active order read from the EHR is left unread).

Prefetch states: a missing key (or an OperationOutcome) means *not provided*; GabaCare then asks the
EHR's FHIR server through the injected ``fetch`` (the web layer's
:class:`gabacare.interop.fhir_client.FhirClient`: allow-list, public addresses, one deadline, size
limit, the token only to its server) and, failing that, answers **412** with an OperationOutcome
naming the missing keys and why the server was not read. ``null`` (or an empty search) means *no
data*: 200 with an info card.

Handles patient data: nothing here logs; error reasons name fields, never values.
"""

from __future__ import annotations

import math
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Final, Protocol
from urllib.parse import quote

from gabacare.clinical.adjust import suggest_regimen
from gabacare.clinical.checks import check_regimen
from gabacare.clinical.drug_names import read_name
from gabacare.clinical.errors import ClinicalInputError
from gabacare.clinical.interactions import check_interactions
from gabacare.clinical.regimen import DailyRegimen, Dose, Frequency, schedule_times
from gabacare.clinical.renal import CrClResult, cockcroft_gault, renal_limits
from gabacare.clinical.taper import taper
from gabacare.clinical.units import CrCl, Milligrams, SerumCreatinine
from gabacare.errors import InputError
from gabacare.interop.cds_request import (
    CdsRequestError,
    Dosage,
    Quantity,
    cds_limits,
    doses_per_day,
    has_lone_surrogate,
    is_medication,
    read_dosage,
    read_hook_request,
)
from gabacare.interop.codes import (
    GABACARE_SYSTEM,
    LOINC_BODY_WEIGHT,
    LOINC_CREATININE_MASS,
    LOINC_CREATININE_MOLES,
    RXNORM,
    RXNORM_BRANDED_GABAPENTIN,
    RXNORM_OTHER,
)
from gabacare.interop.fhir import FhirResourceError, plan_medication_request, regimen_medication_request, validate_resource
from gabacare.interop.fhir_client import FhirFetchError
from gabacare.knowledge import Citation, load_monograph

__all__ = [
    "SERVICES",
    "CdsResponse",
    "FeedbackStore",
    "Fetcher",
    "ImplausibleOrder",
    "InMemoryFeedbackStore",
    "Medication",
    "SummaryProvider",
    "UnreadableOrder",
    "discovery",
    "handle_hook",
    "identify_medication",
    "order_regimens",
    "record_feedback",
]

#: service id -> hook
SERVICES: Final = {
    "gabacare-order-select": "order-select",
    "gabacare-order-sign": "order-sign",
    "gabacare-patient-view": "patient-view",
}
_TITLES = {
    "order-select": "GabaCare gabapentin check (order select)",
    "order-sign": "GabaCare gabapentin check (order sign)",
    "patient-view": "GabaCare patient journal summary",
}
_DESCRIPTIONS = {
    "order-select": "Renal band, daily maximum, doses per day, CNS-depressant and duplicate-gabapentinoid checks "
                    "for a selected gabapentin order, with a corrected order to accept in one click.",
    "order-sign": "Renal band, daily maximum, doses per day, CNS-depressant, duplicate-gabapentinoid and "
                  "abrupt-stop checks for gabapentin orders about to be signed.",
    "patient-view": "What the patient has logged in GabaCare (adherence, score trends, side effects, "
                    "emergencies flagged) when the EHR patient is linked to a GabaCare patient.",
}
_PREFETCH: Final = {
    "patient": "Patient/{{context.patientId}}",
    "creatinine": f"Observation?patient={{{{context.patientId}}}}&code=http://loinc.org|{LOINC_CREATININE_MASS},"
                  f"http://loinc.org|{LOINC_CREATININE_MOLES}&_sort=-date&_count=1",
    "weight": f"Observation?patient={{{{context.patientId}}}}&code=http://loinc.org|{LOINC_BODY_WEIGHT}"
              "&_sort=-date&_count=1",
    "activeMeds": "MedicationRequest?patient={{context.patientId}}&status=active",
}
_STOP_STATUSES = frozenset({"stopped", "cancelled"})
_INACTIVE_STATUSES = frozenset({"stopped", "cancelled", "completed", "entered-in-error"})
_OVERRIDE = (
    ("benefit-outweighs-risk", "Benefit outweighs the risk for this patient"),
    ("recent-value-differs", "A more recent or better kidney function value is known"),
    ("specialist-advice", "Dose set on specialist advice"),
    ("will-monitor", "Will monitor the patient closely"),
)

#: (FHIR server base URL, relative query, fhirAuthorization or None) -> the JSON answer, or None.
Fetcher = Callable[[str, str, Mapping[str, Any] | None], Any]
#: EHR patient id -> a summary of the linked GabaCare patient's journal, or None when not linked.
SummaryProvider = Callable[[str], Mapping[str, Any] | None]


class FeedbackStore(Protocol):
    """Stores one feedback record under a key; returns False when the key was already stored."""

    def __call__(self, key: str, record: Mapping[str, Any]) -> bool: ...


@dataclass
class InMemoryFeedbackStore:
    """A :class:`FeedbackStore` in a dict (tests, local demos); with ``max_records`` set, the oldest
    records are dropped beyond it, so feedback can never fill the server's memory."""

    records: OrderedDict[str, dict[str, Any]] = field(default_factory=OrderedDict)
    max_records: int | None = None

    def __call__(self, key: str, record: Mapping[str, Any]) -> bool:
        if key in self.records:
            return False
        self.records[key] = dict(record)
        while self.max_records is not None and len(self.records) > self.max_records:
            self.records.popitem(last=False)
        return True


@dataclass(frozen=True)
class CdsResponse:
    """What to send back: HTTP ``status`` and a JSON ``body``; ``reason`` is a one-line text for 4xx."""

    status: int
    body: dict[str, Any]
    reason: str | None = None


# -- discovery ------------------------------------------------------------------------------------
def discovery() -> dict[str, Any]:
    """The ``GET /cds-services`` document: three services, each with the four prefetch templates."""
    return {"services": [
        {"hook": hook, "id": sid, "title": _TITLES[hook], "description": _DESCRIPTIONS[hook], "prefetch": dict(_PREFETCH)}
        for sid, hook in SERVICES.items()
    ]}


# -- errors -----------------------------------------------------------------------------------------
def _outcome(status: int, reason: str, code: str = "invalid") -> CdsResponse:
    body = {"resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": code, "diagnostics": reason}]}
    return CdsResponse(status, body, reason)


# -- reading resources leniently ----------------------------------------------------------------------
_MISSING: Final = object()  # prefetch key absent, or an OperationOutcome: "not provided"


def _resources(value: Any) -> list[dict[str, Any]] | object:
    """Resources in a prefetch value or a FHIR search answer: a list (possibly empty = no data) or
    ``_MISSING`` (not provided, not usable, or more entries than ``cds_limits.max_bundle_entries``)."""
    if isinstance(value, Mapping) and "resource" in value and "resourceType" not in value:
        value = value.get("resource")  # pre-1.0 {"response", "resource"} wrapper (one level only)
    if value is None:
        return []
    if not isinstance(value, Mapping):
        return _MISSING
    rtype = value.get("resourceType")
    if rtype == "OperationOutcome":
        return _MISSING
    if rtype == "Bundle":
        out: list[dict[str, Any]] = []
        entries = value.get("entry")
        if isinstance(entries, list) and len(entries) > cds_limits().max_bundle_entries:
            return _MISSING
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, Mapping):
                continue
            search = entry.get("search")
            if isinstance(search, Mapping) and search.get("mode") == "outcome":
                continue
            res = entry.get("resource") if "resource" in entry else entry  # bare resources: repaired
            if isinstance(res, Mapping) and isinstance(res.get("resourceType"), str):
                if res.get("resourceType") == "OperationOutcome":
                    continue
                out.append(dict(res))
        return out
    if isinstance(rtype, str):
        return [dict(value)]
    return _MISSING


def _codings(concept: Any) -> list[Mapping[str, Any]]:
    if not isinstance(concept, Mapping):
        return []
    codings = concept.get("coding")
    return [c for c in codings if isinstance(c, Mapping)] if isinstance(codings, list) else []


def _has_code(resource: Mapping[str, Any], *codes: str) -> bool:
    return any(str(c.get("code")) in codes for c in _codings(resource.get("code")))


def _concept(mr: Mapping[str, Any]) -> Mapping[str, Any]:
    concept = mr.get("medicationCodeableConcept")
    if isinstance(concept, Mapping):
        return concept
    med = mr.get("medication")  # R5 CodeableReference
    inner = med.get("concept") if isinstance(med, Mapping) else None
    return inner if isinstance(inner, Mapping) else {}


def _names_in_text(text: str) -> list[str]:
    """Ingredients named in a medication's display text, read by the one drug-name engine (salts,
    release forms, strengths, EHR capitals and spelling guesses: a guess errs towards checking)."""
    return list(read_name(text).ingredients)


@dataclass(frozen=True)
class Medication:
    """What a medication resource is: its ingredients and, for gabapentin, the product's strength."""

    ingredients: tuple[str, ...]
    label: str
    strength_mg: float | None = None
    per_ml_mg: float | None = None

    @property
    def is_gabapentin(self) -> bool:
        return self.ingredients == ("gabapentin",)

    @property
    def gabapentinoid(self) -> bool:
        return bool({"gabapentin", "pregabalin", "gabapentin enacarbil"} & set(self.ingredients))


def identify_medication(resource: Mapping[str, Any]) -> Medication:
    """What a MedicationRequest/Statement (R4, STU3 or R5 shape) is: RxNorm code first, then names."""
    m = load_monograph()
    limits = cds_limits()
    concept = _concept(resource)
    ingredients: list[str] = []
    strength = per_ml = None
    texts: list[str] = []
    for c in _codings(concept)[:limits.max_codings]:
        code = str(c.get("code", ""))
        system = c.get("system")
        if isinstance(c.get("display"), str):
            texts.append(c["display"])
        if system not in (RXNORM, None):
            continue
        code = RXNORM_BRANDED_GABAPENTIN.get(code, code)
        if code == m.drug.rxnorm_ingredient:
            ingredients.append("gabapentin")
        elif code == m.oral_solution.rxnorm:
            ingredients.append("gabapentin")
            per_ml = m.oral_solution.concentration_mg_per_ml
        elif any(f.rxnorm == code for f in m.forms):
            ingredients.append("gabapentin")
            strength = float(next(f.strength_mg for f in m.forms if f.rxnorm == code))
        elif code in RXNORM_OTHER:
            ingredients.extend(RXNORM_OTHER[code])
    if isinstance(concept.get("text"), str):
        texts.append(concept["text"])
    if not ingredients:
        for t in texts:
            ingredients.extend(_names_in_text(t[:limits.max_text_chars]))
    label = next((t for t in texts if t.strip()), None) or (ingredients[0] if ingredients else "unnamed medicine")
    return Medication(tuple(dict.fromkeys(ingredients)), " ".join(label.split())[:80], strength, per_ml)


class UnreadableOrder(InputError):
    """A medication order whose daily dose cannot be read (the message says which element)."""


class ImplausibleOrder(UnreadableOrder):
    """An order whose numbers are beyond any gabapentin dosing (``[cds_limits]``): a draft order like
    this is refused with 400; an active order read from the EHR is left unread."""


_UNIT_WORDS: Final = ("{capsule}", "{tablet}", "{pill}", "capsule", "tablet", "cap", "tab")


def _dose_mg(dosage: Dosage, med: Medication) -> float:
    qty: Quantity | None = dosage.quantity
    if qty is None:
        raise UnreadableOrder("the order has no dose quantity")
    value = qty.value
    if value is None or value <= 0:
        raise UnreadableOrder("the dose quantity has no positive value")
    unit = (qty.code or qty.unit or "").strip().lower()
    if unit == "mg":
        mg = value
    elif unit == "g":
        mg = value * 1000
    elif unit in _UNIT_WORDS and med.strength_mg:
        mg = value * med.strength_mg
    elif unit == "ml" and med.per_ml_mg:
        mg = value * med.per_ml_mg
    else:
        raise UnreadableOrder("the dose unit cannot be converted to mg for this product")
    if not math.isfinite(mg) or mg > cds_limits().max_daily_mg:
        raise ImplausibleOrder("the dose is beyond any plausible gabapentin dose")
    return mg


def _clock(text: str) -> time:
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise UnreadableOrder("timeOfDay is not a time") from None


def _spread(n: int) -> tuple[time, ...]:
    """Default clock times for ``n`` doses: the knowledge base schedule for 1-3, else evenly spread."""
    if 1 <= n <= 3:
        return schedule_times(n)
    first = datetime.combine(date.min, schedule_times(1)[0])
    step = timedelta(days=1) / n
    return tuple(sorted((first + i * step).time() for i in range(n)))


def order_regimens(mr: Mapping[str, Any], med: Medication) -> list[DailyRegimen]:
    """The order's daily regimens, one per ``sequence`` (concurrent Dosages merged), in sequence order.

    Every count is bounded before a list is built (``[cds_limits]``: dosage instructions, doses a day,
    mg a day).

    Raises
    ------
    UnreadableOrder
        a dose not convertible to mg, a timing that is not daily, a malformed Dosage.
    ImplausibleOrder
        more doses a day or more mg a day than any gabapentin order (a kind of UnreadableOrder).
    """
    limits = cds_limits()
    dosages = mr.get("dosageInstruction")
    if isinstance(dosages, Mapping):
        dosages = [dosages]
    if not isinstance(dosages, list) or not dosages:
        raise UnreadableOrder("the order has no dosage instructions")
    if len(dosages) > limits.max_dosage_instructions:
        raise ImplausibleOrder(f"the order has more than {limits.max_dosage_instructions} dosage instructions")
    groups: dict[int, list[tuple[time | None, float]]] = {}
    for raw in dosages:
        if not isinstance(raw, Mapping):
            raise UnreadableOrder("a dosage instruction is not an object")
        try:
            dosage = read_dosage(raw, "dosageInstruction")
        except CdsRequestError as exc:
            raise UnreadableOrder(exc.reason) from None
        if dosage.asNeededBoolean is True or "asNeededCodeableConcept" in raw:
            raise UnreadableOrder("as-needed gabapentin has no fixed daily dose to check")
        repeat = dosage.timing.repeat if dosage.timing else None
        tod = repeat.timeOfDay if repeat else None
        if tod and len(tod) > limits.max_doses_per_day:
            raise ImplausibleOrder(f"the timing means more than {limits.max_doses_per_day} doses a day")
        per_day = doses_per_day(repeat, len(tod) if tod else 0)
        if per_day is None:
            raise UnreadableOrder("the dosage timing (frequency, period, periodUnit) cannot be read")
        if per_day >= limits.max_doses_per_day + 1:  # checked before round(): per_day may be inf
            raise ImplausibleOrder(f"the timing means more than {limits.max_doses_per_day} doses a day")
        if abs(per_day - round(per_day)) > 1e-6 or round(per_day) < 1:
            raise UnreadableOrder("the dosage timing is not a whole number of doses a day")
        n = round(per_day)
        mg = _dose_mg(dosage, med)
        times = [_clock(t) for t in tod] if tod else None
        group = groups.setdefault(dosage.sequence if dosage.sequence is not None else 1, [])
        if len(group) + n > limits.max_doses_per_day:
            raise ImplausibleOrder(f"the order means more than {limits.max_doses_per_day} doses a day")
        if times is not None and len(times) == n:
            group.extend((t, mg) for t in times)
        else:
            group.extend((None, mg) for _ in range(n))
    out = []
    for seq in sorted(groups):
        items = groups[seq]
        if sum(mg for _, mg in items) > limits.max_daily_mg:
            raise ImplausibleOrder("the daily dose is beyond any plausible gabapentin dose")
        if any(t is None for t, _ in items):
            clock = _spread(len(items))
            items = [(clock[i], mg) for i, (_, mg) in enumerate(items)]
        items.sort(key=lambda x: x[0] or time.min)
        amounts = {mg for _, mg in items}
        freq_word: Frequency = {1: "QD", 2: "BID", 3: "TID"}.get(len(items), "PATTERN") if len(amounts) == 1 else "PATTERN"  # type: ignore[assignment]
        try:
            out.append(DailyRegimen(tuple(Dose(t or time.min, Milligrams(mg)) for t, mg in items), freq_word))
        except ClinicalInputError as exc:
            raise UnreadableOrder(str(exc)) from None
    return out


# -- patient facts from the prefetch ------------------------------------------------------------------
@dataclass(frozen=True)
class _Renal:
    crcl: CrClResult | None
    why_not: str | None
    creatinine_date: str | None
    age_years: float | None


def _age(birth: Any, now: datetime) -> float | None:
    if not isinstance(birth, str):
        return None
    try:
        born = date.fromisoformat(birth + "-01" if len(birth) == 7 else birth[:10])
    except ValueError:
        return None
    today = now.date()
    return float(today.year - born.year - ((today.month, today.day) < (born.month, born.day)))


def _quantity(obs: Mapping[str, Any]) -> tuple[float, str] | None:
    q = obs.get("valueQuantity")
    if not isinstance(q, Mapping):
        return None
    v = q.get("value")
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    return float(v), str(q.get("code") or q.get("unit") or "").strip()


def _latest(obs: list[dict[str, Any]], *codes: str) -> dict[str, Any] | None:
    usable = [o for o in obs if o.get("resourceType") == "Observation" and _has_code(o, *codes)
              and o.get("status") not in ("entered-in-error", "cancelled")]
    usable.sort(key=lambda o: str(o.get("effectiveDateTime") or o.get("issued") or ""), reverse=True)
    return usable[0] if usable else None


def _renal(patient: list[dict[str, Any]], creat: list[dict[str, Any]], weight: list[dict[str, Any]],
           now: datetime) -> _Renal:
    p = next((r for r in patient if r.get("resourceType") == "Patient"), None)
    age = _age(p.get("birthDate"), now) if p else None
    sex = p.get("gender") if p else None
    c = _latest(creat, LOINC_CREATININE_MASS, LOINC_CREATININE_MOLES)
    w = _latest(weight, LOINC_BODY_WEIGHT)
    c_date = str(c.get("effectiveDateTime"))[:10] if c and c.get("effectiveDateTime") else None
    if c is None:
        return _Renal(None, "no serum creatinine result is available", None, age)
    if age is None:
        return _Renal(None, "the patient's birth date is not available", c_date, age)
    if sex not in ("female", "male"):
        return _Renal(None, "Cockcroft-Gault needs the patient's sex (female or male)", c_date, age)
    if w is None:
        return _Renal(None, "no body weight is available", c_date, age)
    wq, cq = _quantity(w), _quantity(c)
    if wq is None or wq[1] not in ("kg", "g"):
        return _Renal(None, "the body weight is not in kg", c_date, age)
    kg = wq[0] / 1000 if wq[1] == "g" else wq[0]
    units = {"mg/dl": "mg/dL", "umol/l": "umol/L", "µmol/l": "umol/L", "μmol/l": "umol/L"}
    if cq is None or cq[1].lower() not in units:
        return _Renal(None, "the creatinine unit is not mg/dL or umol/L", c_date, age)
    try:
        scr = SerumCreatinine(cq[0], units[cq[1].lower()])  # type: ignore[arg-type]
        result = cockcroft_gault(age_years=age, sex=sex, weight_kg=kg, scr=scr)
    except ClinicalInputError as exc:
        return _Renal(None, f"Cockcroft-Gault could not be applied: {exc}", c_date, age)
    return _Renal(result, None, c_date, age)


# -- cards ------------------------------------------------------------------------------------------
def _cite_line(citations: Iterable[Citation]) -> str:
    m = load_monograph()
    parts = []
    for c in dict.fromkeys(citations):
        src = m.sources.get(c.source)
        parts.append(f"{c.render()}" + (f" ({src.title})" if src else ""))
    return "; ".join(parts)


def _card(instance: str, key: str, summary: str, indicator: str, body: str, citations: Sequence[Citation], *,
          suggestions: Sequence[dict[str, Any]] = (), topic: str) -> dict[str, Any]:
    m = load_monograph()
    first = citations[0] if citations else None
    src = m.sources.get(first.source) if first else None
    label = "GabaCare" + (f" · {first.render()}" if first else "")
    source: dict[str, Any] = {"label": label, "topic": {"system": GABACARE_SYSTEM, "code": topic,
                                                         "display": topic.replace("-", " ")}}
    if src is not None and src.url.startswith("http"):
        source["url"] = src.url
    detail = f"{body}\n\n**Sources:** {_cite_line(citations)}\n\n*{m.notice_text}*"
    if len(summary) >= 140:
        summary = summary[:136].rstrip() + "…"
    card: dict[str, Any] = {
        "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:gabacare:cds:{instance}:{key}")),
        "summary": summary,
        "indicator": indicator,
        "detail": detail,
        "source": source,
    }
    if suggestions:
        card["suggestions"] = list(suggestions)
        card["selectionBehavior"] = "at-most-one"
    if indicator != "info":
        card["overrideReasons"] = [{"system": GABACARE_SYSTEM, "code": c, "display": d} for c, d in _OVERRIDE]
    return card


def _suggestion(instance: str, key: str, label: str, action: dict[str, Any]) -> dict[str, Any]:
    return {"label": label, "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:gabacare:cds:{instance}:{key}:s")),
            "isRecommended": True, "actions": [action]}


def _order_ref(mr: Mapping[str, Any]) -> str:
    return f"MedicationRequest/{mr['id']}" if isinstance(mr.get("id"), str) else "the draft order"


def _dose_cards(instance: str, mr: Mapping[str, Any], regimens: list[DailyRegimen], renal: _Renal) -> list[dict[str, Any]]:
    m = load_monograph()
    crcl = None
    if renal.crcl is not None:
        crcl = CrCl(min(renal.crcl.crcl_ml_min, m.renal.plausible.crcl_max_ml_min))
    cards: list[dict[str, Any]] = []
    key = _order_ref(mr)
    for i, reg in enumerate(regimens):
        res = check_regimen(reg, crcl=crcl)
        codes = {p.code: p for p in res.problems}
        step = f" (dosage sequence {i + 1})" if len(regimens) > 1 else ""
        total = reg.total_mg
        if {"max_daily_exceeded", "renal_max_exceeded", "renal_doses_per_day"} & set(codes):
            lim = renal_limits(crcl) if crcl is not None else None
            if "renal_max_exceeded" in codes and lim is not None:
                summary = (f"Gabapentin {total:g} mg/day exceeds the {lim.max_daily_mg:g} mg/day maximum for "
                           f"CrCl {lim.crcl_ml_min:.0f} mL/min (Cockcroft-Gault)")
            elif "max_daily_exceeded" in codes:
                summary = f"Gabapentin {total:g} mg/day exceeds the {m.limits.max_daily_mg} mg/day label maximum"
            else:
                assert lim is not None
                summary = (f"Gabapentin in {reg.doses_per_day} doses a day: at CrCl {lim.crcl_ml_min:.0f} mL/min "
                           f"the label gives {lim.doses_per_day} a day")
            lines = [f"Ordered{step}: **{reg.describe()}** ({total:g} mg/day in {reg.doses_per_day} doses)."]
            if renal.crcl is not None and lim is not None:
                lines.append(f"Estimated CrCl **{renal.crcl.crcl_ml_min:.1f} mL/min** by Cockcroft-Gault "
                             f"({renal.crcl.formula}; age {renal.crcl.age_years:g}, {renal.crcl.weight_kg:g} kg, "
                             f"creatinine {renal.crcl.scr_mg_dl:.2f} mg/dL"
                             + (f" on {renal.creatinine_date}" if renal.creatinine_date else "") + ").")
                lines.append(f"Label band {lim.band}: {lim.min_daily_mg:g}-{lim.max_daily_mg:g} mg/day in "
                             f"{lim.doses_per_day} dose(s) a day.")
            lines.extend(f"- {p.message}" for p in res.problems)
            suggestions: list[dict[str, Any]] = []
            cites = list(res.citations)
            if renal.crcl is not None:
                cites = [*renal.crcl.citations, *cites]
            if len(regimens) == 1:
                band_crcl = crcl if crcl is not None else CrCl(m.renal.bands[0].crcl_min)
                try:
                    better = suggest_regimen(reg, band_crcl)
                    resource = validate_resource(regimen_medication_request(better, crcl=crcl, base=mr))
                except (ClinicalInputError, FhirResourceError):
                    better = None
                if better is not None and better != reg:
                    lines.append(f"Suggested: **{better.describe()}** ({better.total_mg:g} mg/day), the label's "
                                 "regimen in the same column of the renal table.")
                    suggestions.append(_suggestion(instance, key + f":{i}", f"Change to {better.describe()} "
                                                   f"({better.total_mg:g} mg/day)", {
                                                       "type": "update",
                                                       "description": f"Replace the order with {better.describe()}",
                                                       "resource": resource}))
            indicator = "critical" if "max_daily_exceeded" in codes else "warning"
            cards.append(_card(instance, f"dose:{key}:{i}", summary, indicator, "\n\n".join(lines), cites,
                               suggestions=suggestions, topic="renal-dose"))
        elif crcl is not None and any(w.code == "fewer_doses_than_band" for w in res.warnings):
            lim = renal_limits(crcl)
            w = next(w for w in res.warnings if w.code == "fewer_doses_than_band")
            summary = (f"Gabapentin {total:g} mg/day in {reg.doses_per_day} dose(s): the label splits it into "
                       f"{lim.doses_per_day} at CrCl {lim.crcl_ml_min:.0f} mL/min")
            cards.append(_card(instance, f"few:{key}:{i}", summary, "info", w.message, w.citations, topic="doses-per-day"))
    return cards


def _interaction_cards(instance: str, others: list[Medication], gaba_drafts: list[Medication], age: float | None
                       ) -> list[dict[str, Any]]:
    m = load_monograph()
    names = list(dict.fromkeys(i for med in others for i in med.ingredients))
    report = check_interactions(names, age_years=age)
    classes = {c.id: c for c in m.interaction_classes}
    cards: list[dict[str, Any]] = []
    by_class: dict[str, list[str]] = {}
    for r in report.results:
        if r.class_id:
            by_class.setdefault(r.class_id, []).append(r.input)
    words = {"opioids": "an opioid", "benzodiazepines": "a benzodiazepine"}
    # Opioids and benzodiazepines first (major), then every other sedating class in data order.
    sedating = [c.id for c in m.interaction_classes if c.sedating and c.id != "gabapentinoids"]
    order = [c for c in ("opioids", "benzodiazepines") if c in sedating] + [c for c in sedating if c not in words]
    present = [cid for cid in order if cid in by_class]
    for cid in present:
        cls = classes[cid]
        who = ", ".join(by_class[cid])
        major = cls.severity == "major"
        risk = "added risk of respiratory depression and sedation" if major else "added sedation and risk of falls"
        summary = f"Gabapentin with {words.get(cid, 'another sedative')} ({who}): {risk}"
        body = [f"Co-prescribed: **{who}** ({cls.title}).", f"{cls.effect}", f"What to do: {cls.advice}",
                "FDA Drug Safety Communication (19 Dec 2019): serious breathing problems can occur when "
                "gabapentinoids are taken with opioids or other CNS depressants; start at the lowest dose and "
                "monitor for sedation and slowed breathing."]
        cites = list(cls.citations)
        if cid == present[0] and report.warnings:
            # Combination warnings (opioid + benzodiazepine, FDA 2016) and the Beers count, with their sources.
            body.extend(report.warnings)
            cites = list(dict.fromkeys((*cites, *report.citations)))
        cards.append(_card(instance, f"cns:{cid}", summary, "warning" if major else "info",
                           "\n\n".join(body), cites, topic="cns-depressant"))
    unknown = list(dict.fromkeys(med.label for med in others if not med.ingredients))
    if unknown:
        listed = "; ".join(unknown)
        cards.append(_card(instance, "unidentified", f"Not checked for interactions: {listed[:100]}", "info",
                           f"GabaCare could not identify **{listed}**, so it was not checked against gabapentin "
                           "(opioids, benzodiazepines and other sedatives slow breathing together with it). "
                           "Check it by hand before signing.",
                           [c for cls in m.interaction_classes if cls.id == "opioids" for c in cls.citations],
                           topic="cns-depressant"))
    draft_ings = {i for med in gaba_drafts for i in med.ingredients}
    dup = [n for n in dict.fromkeys(i for med in others for i in med.ingredients)
           if n in classes["gabapentinoids"].members and n not in draft_ings]
    if dup:
        cls = classes["gabapentinoids"]
        ordered = ", ".join(sorted(draft_ings))
        summary = f"Duplicate gabapentinoid: {ordered} ordered while the patient has {', '.join(dup)}"
        body = [f"The order ({ordered}) and **{', '.join(dup)}** are both gabapentinoids.", cls.effect,
                f"What to do: {cls.advice}"]
        cards.append(_card(instance, "duplicate", summary, "warning", "\n\n".join(body), cls.citations,
                           topic="duplicate-therapy"))
    return cards


def _age_card(instance: str, age: float) -> dict[str, Any] | None:
    cls = next((c for c in load_monograph().interaction_classes if c.older_adult_age_years), None)
    if cls is None or cls.older_adult_age_years is None or age < cls.older_adult_age_years:
        return None
    m = load_monograph()
    summary = f"Age {age:g}: start gabapentin low, titrate slowly, watch for sedation, falls and slowed breathing"
    body = [f"Age {cls.older_adult_age_years:g} or over is a risk factor named in the FDA Drug Safety Communication "
            "of 19 Dec 2019 for serious breathing problems with gabapentinoids; the Beers criteria flag falls "
            "with CNS-active combinations.", m.renal.elderly_note]
    cites = [*cls.citations, Citation(source=m.renal.elderly_source, section=m.renal.elderly_section)]
    return _card(instance, "older-adult", summary, "info", "\n\n".join(body), cites, topic="older-adult")


def _stop_card(instance: str, mr: Mapping[str, Any], regimen: DailyRegimen | None, crcl: CrCl | None,
               now: datetime) -> dict[str, Any]:
    m = load_monograph()
    t = m.taper
    what = f"{regimen.total_mg:g} mg/day" if regimen else "gabapentin"
    summary = f"Stopping {what} at once: taper over at least {t.min_duration_days} days to avoid withdrawal"
    body = [f"{_order_ref(mr)} stops gabapentin without a taper. {t.abrupt_stop_warning}"]
    cites: list[Citation] = [t.min_duration_citation, Citation(source=t.abrupt_stop_source)]
    suggestions = []
    if regimen is not None and regimen.repeat:
        try:
            plan = taper(regimen, start=now.date() + timedelta(days=1), crcl=crcl)
            subject = mr.get("subject")
            resource = plan_medication_request(plan, intent="order", status="draft",
                                               subject=subject.get("reference") if isinstance(subject, Mapping) else None)
            resource = validate_resource(resource)
            body.append(f"Suggested taper: {plan.label}, {len(plan.days)} days "
                        f"({plan.days[0].date.isoformat()} to {plan.days[-1].date.isoformat()}).")
            cites.extend(plan.citations)
            suggestions.append(_suggestion(instance, f"stop:{_order_ref(mr)}", f"Add a taper: {plan.label}", {
                "type": "create", "description": "Create a tapering order to replace the abrupt stop",
                "resource": resource}))
        except (ClinicalInputError, FhirResourceError):
            pass
    return _card(instance, f"stop:{_order_ref(mr)}", summary, "warning", "\n\n".join(b for b in body if b), cites,
                 suggestions=suggestions, topic="abrupt-stop")


def _info(instance: str, key: str, summary: str, body: str, cites: Sequence[Citation], topic: str) -> dict[str, Any]:
    return _card(instance, key, summary, "info", body, cites, topic=topic)


# -- the hook -----------------------------------------------------------------------------------------
@dataclass
class _Reads:
    """What one hook call read from the EHR's FHIR server, and why not when it did not."""

    fetch: Fetcher | None
    server: str | None
    auth: Mapping[str, Any] | None
    failure: str | None = None

    def value(self, key: str, prefetch: Mapping[str, Any], patient_id: str) -> list[dict[str, Any]] | object:
        found = _resources(prefetch[key]) if key in prefetch else _MISSING
        if found is not _MISSING:
            return found
        if self.failure is not None:  # the server failed once in this call: not asked again
            return _MISSING
        if self.fetch is None:
            self.failure = "this service reads no FHIR server"
            return _MISSING
        if self.server is None:
            self.failure = "the request names no fhirServer"
            return _MISSING
        query = _PREFETCH[key].replace("{{context.patientId}}", quote(patient_id, safe=""))
        try:
            answer = self.fetch(self.server, query, self.auth)
        except FhirFetchError as exc:
            self.failure = exc.reason
            return _MISSING
        except Exception:  # any failure of the EHR's server means "not available"
            self.failure = "the fhirServer could not be read"
            return _MISSING
        if answer is None or has_lone_surrogate(answer):
            self.failure = "the fhirServer's answer could not be used"
            return _MISSING
        found = _resources(answer)
        if found is _MISSING:
            self.failure = "the fhirServer's answer could not be used"
        return found

    def why(self) -> str:
        return f" ({self.failure})" if self.failure else ""


def handle_hook(
    service_id: str,
    request: Any,
    *,
    fetch: Fetcher | None = None,
    now: datetime,
    summary_provider: SummaryProvider | None = None,
) -> CdsResponse:
    """Answer one CDS Hooks call (``POST /cds-services/{service_id}``); never raises for bad input.

    Parameters
    ----------
    service_id: one of :data:`SERVICES` (an unknown id gives 404).
    request: the parsed JSON body.
    fetch: reads a prefetch query from the EHR's ``fhirServer`` when a required prefetch is missing
        (the web layer passes :meth:`gabacare.interop.fhir_client.FhirClient.fetcher`: allow-list,
        one deadline, size limit).
    now: the clock (ages are computed at ``now``; a taper suggestion starts the next day).
    summary_provider: for patient-view, the linked GabaCare patient's journal summary (None: not linked).

    Returns
    -------
    200 ``{"cards": [...]}``; 400 for a malformed or out-of-bounds request
    (:func:`gabacare.interop.cds_request.read_hook_request`, checked before any work); 404 for an
    unknown service; 412 with an OperationOutcome when the patient, creatinine or weight is needed,
    not prefetched and not readable from a FHIR server (the reason says what was missing and why the
    server was not read).
    """
    hook = SERVICES.get(service_id)
    if hook is None:
        return _outcome(404, f"unknown CDS service {service_id!r}", "not-found")
    try:
        return _handle(hook, request, fetch=fetch, now=now, summary_provider=summary_provider)
    except CdsRequestError as exc:
        return _outcome(exc.status, exc.reason, exc.code)


def _handle(hook: str, request: Any, *, fetch: Fetcher | None, now: datetime,
            summary_provider: SummaryProvider | None) -> CdsResponse:
    req = read_hook_request(hook, request)
    instance, patient_id, prefetch = req.instance, req.patient_id, req.prefetch
    if hook == "patient-view":
        return CdsResponse(200, {"cards": _patient_view(instance, patient_id, summary_provider)})
    judged, drafts = req.judged, req.drafts
    med_orders = [(d, identify_medication(d)) for d in judged if d.get("resourceType") == "MedicationRequest"]
    gaba = [(d, med) for d, med in med_orders if med.gabapentinoid]
    if not gaba:
        return CdsResponse(200, {"cards": []})
    most = cds_limits().max_gabapentin_orders
    if sum(1 for _, med in gaba if med.is_gabapentin) > most:
        raise CdsRequestError(f"the request has more than {most} gabapentin orders to check", code="too-costly")
    # Every gabapentin order under review is read before anything is fetched: an implausible one is a 400.
    readings: dict[int, list[DailyRegimen] | UnreadableOrder] = {}
    for d, med in gaba:
        if med.is_gabapentin:
            try:
                readings[id(d)] = order_regimens(d, med)
            except ImplausibleOrder as exc:
                raise CdsRequestError(f"{_order_ref(d)}: {exc}", code="value") from None
            except UnreadableOrder as exc:
                readings[id(d)] = exc
    needs_renal = any(med.is_gabapentin and str(d.get("status", "draft")) not in _STOP_STATUSES for d, med in gaba)
    reads = _Reads(fetch, req.fhir_server, req.fhir_authorization)
    values: dict[str, list[dict[str, Any]]] = {}
    missing = []
    for key in ("patient", "creatinine", "weight"):
        got_value = reads.value(key, prefetch, patient_id) if needs_renal or key == "patient" else []
        if got_value is _MISSING:
            if needs_renal:
                missing.append(key)
            got_value = []
        values[key] = got_value  # type: ignore[assignment]
    if missing:
        return _outcome(412, "required prefetch not provided and not read from a FHIR server: " + ", ".join(missing)
                        + reads.why(), "incomplete")
    active = reads.value("activeMeds", prefetch, patient_id)
    renal = _renal(values["patient"], values["creatinine"], values["weight"], now)
    crcl = None
    if renal.crcl is not None:
        crcl = CrCl(min(renal.crcl.crcl_ml_min, load_monograph().renal.plausible.crcl_max_ml_min))
    cards: list[dict[str, Any]] = []
    m = load_monograph()
    renal_cites = [m.renal.formula_citation]
    active_list = active if isinstance(active, list) else []
    active_meds = [(r, identify_medication(r)) for r in active_list if is_medication(r)
                   and str(r.get("status", "active")) not in _INACTIVE_STATUSES]
    judged_ids = {id(d) for d, _ in gaba}
    other_drafts = [(d, identify_medication(d)) for d in drafts if id(d) not in judged_ids
                    and d.get("resourceType") == "MedicationRequest"]
    renal_info_done = False
    for d, med in gaba:
        if not med.is_gabapentin:
            continue
        stopping = str(d.get("status", "draft")) in _STOP_STATUSES
        reading = readings[id(d)]
        if isinstance(reading, UnreadableOrder):
            if stopping:
                prior = next((r for r, am in active_meds if am.is_gabapentin), None)
                regimens = []
                if prior is not None:
                    try:
                        regimens = order_regimens(prior, identify_medication(prior))
                    except UnreadableOrder:
                        regimens = []
            else:
                cards.append(_info(instance, f"unreadable:{_order_ref(d)}",
                                   "GabaCare could not read this gabapentin order, so its dose was not checked",
                                   f"{_order_ref(d)}: {reading}. Check the dose against the label's limits.",
                                   [m.limits.max_daily_citation], "unreadable-order"))
                continue
        else:
            regimens = reading
        if stopping:
            replacement = any(med2.is_gabapentin and str(d2.get("status", "draft")) not in _STOP_STATUSES
                              for d2, med2 in [*gaba, *other_drafts] if d2 is not d)
            if not replacement:
                reg = regimens[-1] if regimens else None
                cards.append(_stop_card(instance, d, reg, crcl, now))
            continue
        cards.extend(_dose_cards(instance, d, regimens, renal))
        if renal.crcl is None and not renal_info_done:
            renal_info_done = True
            cards.append(_info(instance, "renal-not-done", "Renal check not done: " + (renal.why_not or "no data"),
                               f"GabaCare could not estimate creatinine clearance ({renal.why_not}). Gabapentin is "
                               "cleared by the kidneys: check a recent serum creatinine, then the label's renal "
                               "dose table, before signing. Only the 3600 mg/day maximum was checked.",
                               renal_cites, "renal-not-done"))
    if any(med.is_gabapentin for _, med in gaba) and renal.age_years is not None:
        card = _age_card(instance, renal.age_years)
        if card is not None:
            cards.append(card)
    if active is _MISSING:
        cards.append(_info(instance, "meds-not-checked", "Co-prescribed opioids and sedatives not checked: "
                           "no active medication list", "The EHR sent no active medication list (prefetch "
                           "activeMeds) and none could be read" + reads.why() + ". Check for opioids, "
                           "benzodiazepines and other sedatives before signing.",
                           [c for cls in m.interaction_classes if cls.id == "opioids" for c in cls.citations],
                           "meds-not-checked"))
    others = [med for _, med in active_meds] + [med for _, med in other_drafts]
    cards.extend(_interaction_cards(instance, others, [med for _, med in gaba], renal.age_years))
    return CdsResponse(200, {"cards": cards})


def _patient_view(instance: str, patient_id: str, provider: SummaryProvider | None) -> list[dict[str, Any]]:
    if provider is None:
        return []
    try:
        summary = provider(patient_id)
    except Exception:  # the journal being unavailable must not break the EHR's chart view
        return []
    if not summary:
        return []
    m = load_monograph()
    lines = []
    emergencies = summary.get("emergencies") or 0
    if summary.get("adherence_pct") is not None:
        lines.append(f"- Adherence: **{float(summary['adherence_pct']):.0f}%** of scheduled doses taken"
                     + (f" ({summary.get('period')})" if summary.get("period") else ""))
    if summary.get("plan"):
        lines.append(f"- Plan in force: {summary['plan']}")
    for scale, trend in (summary.get("trends") or {}).items():
        lines.append(f"- {str(scale).replace('_', ' ')}: {trend}")
    side = summary.get("side_effects") or []
    if side:
        lines.append("- Side effects logged: " + ", ".join(str(s) for s in side))
    if emergencies:
        lines.append(f"- **Emergencies flagged by triage: {emergencies}**")
    indicator = "warning" if emergencies else "info"
    text = "GabaCare journal: " + (f"{emergencies} emergency symptom(s) flagged; " if emergencies else "") + (
        f"adherence {float(summary['adherence_pct']):.0f}%" if summary.get("adherence_pct") is not None
        else "patient-reported doses and symptoms")
    body = "What the patient logged in GabaCare (patient-reported, not verified):\n\n" + "\n".join(lines or ["- nothing yet"])
    return [_card(instance, "journal-summary", text, indicator, body, [Citation(source="gabacare-policy")]
                  if "gabacare-policy" in m.sources else [], topic="journal-summary")]


# -- feedback ---------------------------------------------------------------------------------------
def record_feedback(service_id: str, body: Any, store: FeedbackStore) -> CdsResponse:
    """Validate and store ``POST /cds-services/{id}/feedback`` (idempotent by service + card + outcome).

    Returns 200 ``{"stored": n, "duplicates": k}``, 404 for an unknown service, 400 for a malformed body
    (nothing is stored when any item is malformed) or more than ``cds_limits.max_feedback_items``
    items; card ids are at most ``max_text_chars`` long and comments are cut at ``max_comment_chars``.
    """
    if service_id not in SERVICES:
        return _outcome(404, f"unknown CDS service {service_id!r}", "not-found")
    if not isinstance(body, Mapping) or not isinstance(body.get("feedback"), list) or not body["feedback"]:
        return _outcome(400, "the body must be {\"feedback\": [ ... ]} with at least one item")
    limits = cds_limits()
    if len(body["feedback"]) > limits.max_feedback_items:
        return _outcome(400, f"feedback has more than {limits.max_feedback_items} items", "too-costly")
    if has_lone_surrogate(body):
        return _outcome(400, "the feedback holds text with a lone surrogate (\\ud800-\\udfff), which is not valid text")
    records: list[tuple[str, dict[str, Any]]] = []
    for i, item in enumerate(body["feedback"]):
        where = f"feedback[{i}]"
        if not isinstance(item, Mapping):
            return _outcome(400, f"{where} must be an object")
        card = item.get("card")
        outcome = item.get("outcome")
        stamp = item.get("outcomeTimestamp")
        if not isinstance(card, str) or not card.strip() or len(card) > limits.max_text_chars:
            return _outcome(400, f"{where}.card is required (the card's uuid, at most {limits.max_text_chars} characters)")
        if outcome not in ("accepted", "overridden"):
            return _outcome(400, f"{where}.outcome must be accepted or overridden")
        if not isinstance(stamp, str) or not _is_datetime(stamp):
            return _outcome(400, f"{where}.outcomeTimestamp must be an ISO date-time")
        record: dict[str, Any] = {"service": service_id, "card": card, "outcome": outcome, "outcomeTimestamp": stamp}
        if outcome == "accepted":
            acc = item.get("acceptedSuggestions")
            if (not isinstance(acc, list) or not acc or len(acc) > limits.max_feedback_items
                    or not all(isinstance(a, Mapping) and isinstance(a.get("id"), str)
                               and len(a["id"]) <= limits.max_text_chars for a in acc)):
                return _outcome(400, f"{where}.acceptedSuggestions is required when accepted (a list of {{\"id\"}})")
            record["acceptedSuggestions"] = [a["id"] for a in acc]
        else:
            reason = item.get("overrideReason")
            if reason is not None:
                if not isinstance(reason, Mapping):
                    return _outcome(400, f"{where}.overrideReason must be an object")
                coding = reason.get("reason")
                if coding is not None and not (isinstance(coding, Mapping) and isinstance(coding.get("code"), str)):
                    return _outcome(400, f"{where}.overrideReason.reason must be a Coding with a code")
                comment = reason.get("userComment")
                if comment is not None and not isinstance(comment, str):
                    return _outcome(400, f"{where}.overrideReason.userComment must be text")
                system = coding.get("system") if isinstance(coding, Mapping) else None
                record["overrideReason"] = {
                    "code": coding["code"][:limits.max_text_chars] if isinstance(coding, Mapping) else None,
                    "system": system[:limits.max_text_chars] if isinstance(system, str) else None,
                    "userComment": comment[:limits.max_comment_chars] if comment is not None else None}
        records.append((f"{service_id}|{card}|{outcome}", record))
    stored = sum(1 for key, rec in records if store(key, rec))
    return CdsResponse(200, {"stored": stored, "duplicates": len(records) - stored})


def _is_datetime(text: str) -> bool:
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True
