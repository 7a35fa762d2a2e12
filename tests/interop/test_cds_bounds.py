"""Bounded work and valid shapes at the CDS door (issue 13): every hostile case of the audit answers a
quick 4xx naming the field, and every bound is the knowledge base's ``[cds_limits]``.

Each case is timed: the refusal must come before the work (a list per dose, a name search per text),
so it takes milliseconds whatever the number written in the request.
"""

from __future__ import annotations

import copy
import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from gabacare.interop.cds import InMemoryFeedbackStore, handle_hook, record_feedback
from gabacare.interop.cds_request import cds_limits
from interop._requests import med_request, order_request, searchset

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
QUICK_S = 1.0  # a refusal happens before any work: far below this even on a slow machine
LIMITS = cds_limits()


def answer(body: Any, service: str = "gabacare-order-sign", **kw: Any) -> tuple[int, dict[str, Any], float]:
    started = time.monotonic()
    r = handle_hook(service, body, now=NOW, **kw)
    took = time.monotonic() - started
    json.dumps(r.body, allow_nan=False).encode("utf-8")  # always valid JSON text
    return r.status, r.body, took


def refused(body: Any, *words: str, service: str = "gabacare-order-sign") -> str:
    status, out, took = answer(body, service)
    assert status == 400, out
    assert out["resourceType"] == "OperationOutcome"
    (issue,) = out["issue"]
    reason = str(issue["diagnostics"])
    for word in words:
        assert word in reason, reason
    assert took < QUICK_S, f"refused after {took:.2f} s: the work was done first"
    return reason


def with_timing(**repeat: Any) -> dict[str, Any]:
    draft = med_request("d1", "pat-1", "310433", mg=600)
    draft["dosageInstruction"][0]["timing"]["repeat"] = repeat
    return order_request("order-sign", drafts=[draft])


def with_dose(value: Any, unit: str = "mg") -> dict[str, Any]:
    draft = med_request("d1", "pat-1", "310433", mg=600)
    draft["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"] = {"value": value, "code": unit}
    return order_request("order-sign", drafts=[draft])


# -- the audit's cases ---------------------------------------------------------------------------------
@pytest.mark.parametrize("frequency", [2**64, 100_000, LIMITS.max_doses_per_day + 1])
def test_a_huge_frequency_is_refused_before_one_item_per_dose_is_built(frequency: int) -> None:
    reason = refused(with_timing(frequency=frequency, period=1, periodUnit="d"), "timing", "doses a day")
    assert "dosageInstruction[0]" in reason


@pytest.mark.parametrize("repeat", [
    {"frequency": 1, "period": 1e-300, "periodUnit": "d"},  # 1e300 doses a day
    {"frequency": 1, "period": 1, "periodUnit": "s"},
    {"frequency": 10**400, "period": 1, "periodUnit": "d"},  # too large even to become a float
    {"timeOfDay": ["08:00"] * (LIMITS.max_doses_per_day + 1)},
])
def test_any_timing_meaning_too_many_doses_a_day_is_refused(repeat: dict[str, Any]) -> None:
    refused(with_timing(**repeat), "doses a day")


def test_the_most_doses_a_day_allowed_still_get_their_cards() -> None:
    status, out, _ = answer(with_timing(frequency=LIMITS.max_doses_per_day, period=1, periodUnit="d"))
    assert status == 200 and out["cards"][0]["indicator"] in ("warning", "critical")


def test_20000_draft_orders_are_refused_at_once() -> None:
    drafts = [med_request(f"d{i}", "pat-1", "310433", mg=600) for i in range(20_000)]
    refused(order_request("order-sign", drafts=drafts), "draftOrders", f"more than {LIMITS.max_draft_orders}")
    # The most drafts allowed, of which the most gabapentin orders allowed, are all checked.
    gaba = drafts[:LIMITS.max_gabapentin_orders]
    others = [med_request(f"o{i}", "pat-1", "197591", mg=1) for i in range(LIMITS.max_draft_orders - len(gaba))]
    status, out, _ = answer(order_request("order-sign", drafts=gaba + others))
    assert status == 200 and len(out["cards"]) > len(gaba)


def test_more_gabapentin_orders_than_one_patient_has_are_refused() -> None:
    drafts = [med_request(f"d{i}", "pat-1", "310433", mg=600) for i in range(LIMITS.max_gabapentin_orders + 1)]
    refused(order_request("order-sign", drafts=drafts), f"more than {LIMITS.max_gabapentin_orders} gabapentin orders")


@pytest.mark.parametrize("unit", [{}, [], 3, True])
def test_period_unit_of_the_wrong_type_is_refused(unit: Any) -> None:
    refused(with_timing(frequency=3, period=1, periodUnit=unit), "periodUnit", "must be text")


@pytest.mark.parametrize(("field", "value", "words"), [
    ("frequency", "3", ("frequency", "whole number")),
    ("frequency", 2.5, ("frequency", "whole number")),
    ("frequency", True, ("frequency", "whole number")),
    ("period", "1", ("period", "number")),
    ("period", {}, ("period", "number")),
    ("timeOfDay", "08:00", ("timeOfDay", "list")),
    ("timeOfDay", [{}], ("timeOfDay[0]", "text")),
])
def test_timing_fields_of_the_wrong_type_are_refused(field: str, value: Any, words: tuple[str, ...]) -> None:
    repeat: dict[str, Any] = {"frequency": 3, "period": 1, "periodUnit": "d"}
    repeat[field] = value
    refused(with_timing(**repeat), *words)


@pytest.mark.parametrize(("value", "unit"), [(1e308, "mg"), (float("inf"), "mg"), (float("nan"), "mg"),
                                             (-1e308, "mg"), (LIMITS.max_daily_mg + 1, "mg"), (1e300, "g")])
def test_an_absurd_or_non_finite_dose_is_refused(value: float, unit: str) -> None:
    refused(with_dose(value, unit), "dose")


def test_a_dose_that_becomes_absurd_once_converted_to_mg_is_refused() -> None:
    # 40 g a dose is a valid number but 40 000 mg, three times a day: beyond any gabapentin order.
    refused(with_dose(40, "g"), "MedicationRequest/d1", "plausible")
    refused(with_dose(LIMITS.max_daily_mg, "{tablet}"), "plausible")


def test_a_slipped_decimal_place_still_gets_its_critical_card() -> None:
    status, out, _ = answer(with_dose(6000))  # 6000 mg three times a day: ten times too much, but a dose
    assert status == 200 and out["cards"][0]["indicator"] == "critical"


@pytest.mark.parametrize("value", [{}, [], "600", True, None])
def test_a_dose_value_of_the_wrong_type_is_refused_or_unread(value: Any) -> None:
    status, out, _ = answer(with_dose(value))
    if value is None:  # no value at all: the order cannot be read, an info card says so
        assert status == 200 and "could not read" in out["cards"][0]["summary"]
    else:
        assert status == 400 and "doseQuantity.value" in out["issue"][0]["diagnostics"]


def test_lone_surrogates_anywhere_are_refused() -> None:
    for path in (("context", "userId"), ("hookInstance",), ("prefetch", "patient", "gender")):
        body = order_request("order-sign")
        target = body
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = "\udc80"
        refused(body, "lone surrogate")
    body = order_request("order-sign")
    body["context"]["draftOrders"]["entry"][0]["resource"]["medicationCodeableConcept"]["text"] = "ok\ud800"
    refused(body, "lone surrogate")


# -- the other counts ------------------------------------------------------------------------------------
def test_too_many_dosage_instructions_in_one_order_are_refused() -> None:
    draft = med_request("d1", "pat-1", "310433", mg=600)
    draft["dosageInstruction"] = [dict(draft["dosageInstruction"][0], sequence=i)
                                  for i in range(LIMITS.max_dosage_instructions + 1)]
    refused(order_request("order-sign", drafts=[draft]), "dosageInstruction", "dosage instructions")


def test_concurrent_dosages_adding_up_to_too_many_doses_are_unreadable_not_expanded() -> None:
    draft = med_request("d1", "pat-1", "310433", mg=100)
    one = draft["dosageInstruction"][0]
    draft["dosageInstruction"] = [copy.deepcopy(one) for _ in range(LIMITS.max_doses_per_day)]  # 3 x 6 a day
    refused(order_request("order-sign", drafts=[draft]), "MedicationRequest/d1", "doses a day")


def test_a_prefetch_bundle_beyond_the_bound_is_refused() -> None:
    meds = [med_request(f"a{i}", "pat-1", "197591", status="active") for i in range(LIMITS.max_bundle_entries + 1)]
    refused(order_request("order-sign", active=meds), "prefetch.activeMeds.entry", "entries")


def test_too_many_codings_and_too_many_texts_to_read_are_refused() -> None:
    draft = med_request("d1", "pat-1", "310433", mg=600)
    draft["medicationCodeableConcept"]["coding"] *= LIMITS.max_codings + 1
    refused(order_request("order-sign", drafts=[draft]), "codings")
    per_med = LIMITS.max_codings
    n = LIMITS.max_name_texts // per_med + 1
    meds = []
    for i in range(n):
        med = med_request(f"a{i}", "pat-1", "000000", status="active")
        med["medicationCodeableConcept"]["coding"] = [{"system": "urn:local", "code": str(j), "display": f"drug {i}-{j}"}
                                                      for j in range(per_med)]
        meds.append(med)
    assert n <= LIMITS.max_bundle_entries
    refused(order_request("order-sign", active=meds), "medication texts")


def test_a_long_medication_text_is_read_only_up_to_the_bound() -> None:
    med = med_request("a1", "pat-1", "000000", status="active")
    med["medicationCodeableConcept"] = {"text": "Oxycodone 5 mg tablet " + "x" * 100_000}
    status, out, took = answer(order_request("order-sign", active=[med]))
    assert status == 200 and took < QUICK_S
    assert any("opioid" in c["summary"] for c in out["cards"])


def test_too_many_selections_are_refused() -> None:
    body = order_request("order-select")
    body["context"]["selections"] = [f"MedicationRequest/x{i}" for i in range(LIMITS.max_draft_orders + 1)]
    refused(body, "selections", service="gabacare-order-select")


# -- what the EHR's FHIR server sends back is bounded too -----------------------------------------------------
def test_a_fetched_answer_beyond_the_bound_counts_as_not_read() -> None:
    body = order_request("order-sign", omit=("activeMeds",))
    body["fhirServer"] = "https://ehr.example/fhir"
    many = searchset(*[med_request(f"a{i}", "pat-1", "197591", status="active")
                       for i in range(LIMITS.max_bundle_entries + 1)])

    def fetch(server: str, query: str, auth: Any) -> Any:
        return many

    status, out, _ = answer(body, fetch=fetch)
    assert status == 200
    (meds,) = [c for c in out["cards"] if c["summary"].startswith("Co-prescribed opioids and sedatives not checked")]
    assert "could not be used" in meds["detail"]


def test_an_absurd_active_order_read_from_the_ehr_leaves_the_taper_out_but_never_fails() -> None:
    stop = med_request("g-stop", "pat-1", "310433", status="stopped")
    body = order_request("order-sign", gender="male", birth="1980-01-01", weight_kg=80, creatinine=(0.9, "mg/dL"),
                         drafts=[stop], omit=("activeMeds",))
    body["fhirServer"] = "https://ehr.example/fhir"
    prior = med_request("g-1", "pat-1", "310433", mg=600, status="active")
    prior["dosageInstruction"][0]["timing"]["repeat"]["frequency"] = 2**64

    def fetch(server: str, query: str, auth: Any) -> Any:
        return searchset(prior)

    status, out, took = answer(body, fetch=fetch)
    assert status == 200 and took < QUICK_S
    (card,) = out["cards"]
    assert card["summary"].startswith("Stopping gabapentin at once") and "suggestions" not in card


def test_a_patient_id_cannot_rewrite_the_fhir_query() -> None:
    body = order_request("order-sign", patient="x/../../admin?_format=xml#", omit=("creatinine",))
    body["fhirServer"] = "https://ehr.example/fhir"
    asked: list[str] = []

    def fetch(server: str, query: str, auth: Any) -> Any:
        asked.append(query)
        return searchset()

    answer(body, fetch=fetch)
    assert asked and asked[0].startswith("Observation?patient=x%2F..%2F..%2Fadmin%3F_format%3Dxml%23&code=")


# -- feedback -------------------------------------------------------------------------------------------
def test_feedback_is_bounded() -> None:
    store = InMemoryFeedbackStore(max_records=3)
    item = {"card": "c", "outcome": "overridden", "outcomeTimestamp": "2025-06-01T12:00:00Z"}
    many = [dict(item, card=f"c{i}") for i in range(LIMITS.max_feedback_items + 1)]
    r = record_feedback("gabacare-order-sign", {"feedback": many}, store)
    assert r.status == 400 and "more than" in (r.reason or "")
    r = record_feedback("gabacare-order-sign", {"feedback": many[:5]}, store)
    assert r.status == 200 and r.body == {"stored": 5, "duplicates": 0}
    assert list(store.records) == [f"gabacare-order-sign|c{i}|overridden" for i in (2, 3, 4)]  # oldest dropped
    long_card = dict(item, card="c" * (LIMITS.max_text_chars + 1))
    assert record_feedback("gabacare-order-sign", {"feedback": [long_card]}, store).status == 400
    comment = dict(item, card="c9", overrideReason={"userComment": "x" * 100_000})
    assert record_feedback("gabacare-order-sign", {"feedback": [comment]}, store).status == 200
    assert len(store.records["gabacare-order-sign|c9|overridden"]["overrideReason"]["userComment"]) == \
        LIMITS.max_comment_chars
    assert record_feedback("gabacare-order-sign", {"feedback": [dict(item, card="\udc80")]}, store).status == 400
