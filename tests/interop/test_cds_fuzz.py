"""A CDS fuzzer: FHIR-shaped junk in draft orders and prefetch never gives a 5xx, always valid JSON.

Hypothesis builds hook requests whose every element is either what an EHR sends (RxNorm codes of the
knowledge base, UCUM units, ``timing.repeat``, searchset Bundles) or junk of any JSON type (objects
where text belongs, huge and non-finite numbers, lone surrogates, empty lists). Each request goes to
:func:`handle_hook` (and a sample through the HTTP route, JWT off): the answer is 200 with
well-formed cards, or a 4xx OperationOutcome naming the field, and its body is strict JSON that
encodes as UTF-8. Examples per test: ``GABACARE_CDS_FUZZ_EXAMPLES`` (default small, for ``make test``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gabacare.interop.cds import handle_hook
from gabacare.knowledge import load_monograph
from gabacare.web import WebSettings, create_app

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
EXAMPLES = int(os.environ.get("GABACARE_CDS_FUZZ_EXAMPLES", "120"))
RX = "http://www.nlm.nih.gov/research/umls/rxnorm"
LOINC = "http://loinc.org"
M = load_monograph()
GABAPENTIN_CODES = [M.drug.rxnorm_ingredient, M.oral_solution.rxnorm, *(f.rxnorm for f in M.forms if f.rxnorm)]
OTHER_CODES = ["1049621", "197591", "187832", "1482820", "617993", "000000"]

# -- junk of every JSON type ---------------------------------------------------------------------------
texts = st.text(max_size=12) | st.sampled_from(["", " ", "\udc80", "x" * 400, "Patient/p1", "08:00", "mg"])
numbers = (st.integers(min_value=-(2**70), max_value=2**70) | st.floats(allow_nan=True, allow_infinity=True)
           | st.sampled_from([0, -1, 1e308, 2**64, 1e-300, 100_000]))
scalars = st.none() | st.booleans() | numbers | texts
junk = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
                    max_leaves=6)


def maybe(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly what an EHR sends; sometimes junk of any type."""
    return st.one_of(valid, valid, valid, junk)


def fields(**parts: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """An object with ``parts`` mostly present (each maybe junk)."""
    return st.fixed_dictionaries({}, optional={k: maybe(v) for k, v in parts.items()}) | st.fixed_dictionaries(
        {k: maybe(v) for k, v in parts.items()})


# -- FHIR shapes ----------------------------------------------------------------------------------------
coding = fields(system=st.sampled_from([RX, "urn:local"]), code=st.sampled_from(GABAPENTIN_CODES + OTHER_CODES),
                display=st.sampled_from(["Gabapentin 300 MG Oral Capsule", "Oxycodone 5 MG Oral Tablet",
                                         "lorazepam 1 mg", "Zorbaxitol 10 mg"]))
concept = fields(coding=st.lists(coding, max_size=3), text=texts)
quantity = fields(value=numbers | st.sampled_from([100, 300, 600, 1200]),
                  code=st.sampled_from(["mg", "g", "{tablet}", "{capsule}", "mL", "{puff}"]), unit=texts)
repeat = fields(frequency=st.integers(min_value=-1, max_value=8) | numbers, period=st.sampled_from([1, 8, 12, 24, 0.5]),
                periodUnit=st.sampled_from(["d", "h", "wk", "min", "s", "mo", "a", "x"]),
                timeOfDay=st.lists(st.sampled_from(["08:00", "14:00", "21:00", "25:99"]), max_size=4))
dosage = fields(timing=fields(repeat=repeat), doseAndRate=st.lists(fields(doseQuantity=quantity), max_size=2)
                | fields(doseQuantity=quantity), doseQuantity=quantity, sequence=st.integers(0, 3),
                asNeededBoolean=st.booleans())
gabapentin = st.fixed_dictionaries({"coding": st.lists(st.fixed_dictionaries(
    {"system": st.just(RX), "code": st.sampled_from(GABAPENTIN_CODES)}), min_size=1, max_size=1)})
med_request = st.builds(
    lambda rid, rest: {"resourceType": "MedicationRequest", "id": rid, **rest},
    maybe(st.sampled_from(["d1", "d2", "a1"])),
    fields(status=st.sampled_from(["draft", "active", "stopped", "cancelled", "completed"]),
           medicationCodeableConcept=gabapentin | concept, medication=fields(concept=concept),
           dosageInstruction=st.lists(dosage, min_size=1, max_size=3) | dosage,
           subject=fields(reference=st.just("Patient/p1"))),
)
resource = med_request | junk | st.fixed_dictionaries({"resourceType": st.sampled_from(["Observation", "Patient",
                                                                                       "OperationOutcome", "Basic"])})
observation = st.builds(
    lambda code, rest: {"resourceType": "Observation", "code": {"coding": [{"system": LOINC, "code": code}]}, **rest},
    st.sampled_from(["2160-0", "14682-9", "29463-7"]),
    fields(status=st.sampled_from(["final", "entered-in-error"]), effectiveDateTime=texts,
           valueQuantity=fields(value=numbers | st.sampled_from([1.2, 80, 58]),
                                code=st.sampled_from(["mg/dL", "umol/L", "kg", "g", "lb"]))))
patient = st.builds(lambda rest: {"resourceType": "Patient", "id": "p1", **rest},
                    fields(gender=st.sampled_from(["female", "male", "other"]),
                           birthDate=st.sampled_from(["1946-03-15", "2020-01-01", "1946", "1900-02-30"])))


def bundle(of: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    entry = st.builds(lambda r: {"resource": r}, of) | of | junk
    return st.builds(lambda entries, rest: {"resourceType": "Bundle", "type": "searchset", "entry": entries, **rest},
                     st.lists(entry, max_size=4), fields(total=st.integers(0, 5)))


prefetch_value = st.none() | junk | st.just({"resourceType": "OperationOutcome", "issue": []})
# Mostly complete (so that the orders are read, not answered 412 for want of a creatinine).
prefetch = st.fixed_dictionaries({
    "patient": maybe(patient), "creatinine": maybe(bundle(observation)), "weight": maybe(bundle(observation))},
    optional={"activeMeds": bundle(med_request) | prefetch_value})


@st.composite
def hook_requests(draw: st.DrawFn) -> tuple[str, Any]:
    hook = draw(st.sampled_from(["order-sign", "order-select", "patient-view"]))
    drafts = draw(st.lists(resource, max_size=4))
    context = draw(fields(userId=st.just("Practitioner/1"), patientId=st.just("p1"),
                          selections=st.lists(st.sampled_from(["MedicationRequest/d1", "d2", "x"]), max_size=3),
                          draftOrders=st.builds(lambda e: {"resourceType": "Bundle", "type": "collection",
                                                           "entry": [{"resource": d} for d in e]}, st.just(drafts))))
    body = draw(fields(hook=st.just(hook), hookInstance=st.just("i-1"), context=st.just(context),
                       prefetch=prefetch, fhirServer=st.just("http://127.0.0.1:9/fhir"),
                       fhirAuthorization=fields(access_token=texts, token_type=st.just("Bearer"))))
    if draw(st.integers(0, 20)) == 0:
        body = draw(junk)
    return f"gabacare-{hook}", body


# -- mutations of real requests: one to three elements anywhere replaced by junk ------------------------------
def _paths(node: Any, here: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield here
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*here, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, (*here, i))


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        doc = doc[part]
    return doc


def _replace(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(doc, dict):
        return {**doc, head: _replace(doc[head], rest, value)}
    copy = list(doc)
    copy[head] = _replace(doc[head], rest, value)
    return copy


def _base_requests() -> list[tuple[str, dict[str, Any]]]:
    from interop._requests import med_request as mr
    from interop._requests import order_request

    oxy = mr("oxy-1", "pat-1", "1049621", status="active", display="Oxycodone 5 MG Oral Tablet")
    stop = mr("g-stop", "pat-1", "310433", mg=600, status="stopped")
    prior = mr("g-1", "pat-1", "310433", mg=600, status="active")
    return [
        ("gabacare-order-sign", order_request("order-sign", active=[oxy])),
        ("gabacare-order-select", order_request("order-select", active=[oxy])),
        ("gabacare-order-sign", order_request("order-sign", drafts=[stop], active=[prior])),
        ("gabacare-patient-view", {"hook": "patient-view", "hookInstance": "i-1",
                                   "context": {"userId": "Practitioner/1", "patientId": "p1"}}),
    ]


BASES = _base_requests()


# The values that broke the service before (issue 13): the wrong type where text or a number belongs, and
# numbers no dose or count can be.
confusing = st.sampled_from([{}, [], None, True, "", "\udc80", 1e308, -1e308, float("inf"), float("nan"), 2**64,
                             0, -1, 1e-300, "x" * 400, [{}], {"value": 1}])


@st.composite
def mutated_requests(draw: st.DrawFn) -> tuple[str, Any]:
    service, body = draw(st.sampled_from(BASES))
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(body))[1:]
        # Mostly a leaf of an order (its dose and timing above all): where the clinical reading happens.
        leaves = [p for p in paths if not isinstance(_get(body, p), dict | list)]
        in_orders = [p for p in leaves if p[:2] in (("context", "draftOrders"), ("prefetch", "activeMeds"))]
        in_dosages = [p for p in in_orders if "dosageInstruction" in p]
        where = draw(st.sampled_from([in_dosages, in_dosages, in_orders, paths]))
        path = draw(st.sampled_from(where or paths))
        body = _replace(body, path, draw(confusing | junk))
    return service, body


def check_answer(status: int, body: Any) -> None:
    assert status in (200, 400, 412), (status, body)
    json.dumps(body, allow_nan=False, ensure_ascii=False).encode("utf-8")  # strict JSON, valid UTF-8
    if status == 200:
        assert isinstance(body["cards"], list)
        for card in body["cards"]:
            assert card["indicator"] in ("info", "warning", "critical") and len(card["summary"]) < 140
    else:
        (issue,) = body["issue"]
        assert body["resourceType"] == "OperationOutcome" and issue["diagnostics"]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(hook_requests())
def test_fhir_shaped_junk_never_gives_a_server_error(case: tuple[str, Any]) -> None:
    service, body = case
    answer = handle_hook(service, body, now=NOW)  # fetch=None: no network
    check_answer(answer.status, answer.body)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(mutated_requests())
def test_real_requests_with_junk_anywhere_never_give_a_server_error(case: tuple[str, Any]) -> None:
    service, body = case
    answer = handle_hook(service, body, now=NOW)
    check_answer(answer.status, answer.body)


@pytest.fixture(scope="module")
def http() -> Iterator[TestClient]:
    app = create_app(WebSettings(secret_key="cds-fuzz-secret-key-0123456789", access_log=False, cds_require_jwt=False))
    with TestClient(app) as c:
        yield c


@settings(max_examples=max(EXAMPLES // 3, 10), deadline=None, suppress_health_check=list(HealthCheck))
@given(case=hook_requests() | mutated_requests())
def test_through_http_never_a_5xx_and_always_a_json_body(http: TestClient, case: tuple[str, Any]) -> None:
    service, body = case
    raw = json.dumps(body, ensure_ascii=True).encode()  # NaN and Infinity go out as JSON would never allow
    r = http.post(f"/cds-services/{service}", content=raw, headers={"content-type": "application/json"})
    assert r.status_code < 500, r.text[:300]
    doc = r.json()
    if r.headers["content-type"].startswith("application/problem+json"):  # the app-wide guard answered
        assert r.status_code in (400, 413) and doc["status"] == r.status_code
    else:
        check_answer(r.status_code, doc)
