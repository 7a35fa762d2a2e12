"""CDS Hooks service logic: requests written from the hook definitions, the two worked examples, error paths."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from gabacare.interop.cds import InMemoryFeedbackStore, discovery, handle_hook, record_feedback
from gabacare.interop.fhir import validate_resource
from interop._requests import med_request, observation, order_request, searchset

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "cds_samples"


def cards(sid: str, req: Any, **kw: Any) -> list[dict[str, Any]]:
    r = handle_hook(sid, req, now=NOW, **kw)
    assert r.status == 200, r.body
    json.dumps(r.body)  # JSON round trip
    return r.body["cards"]


def check_card_shape(card: dict[str, Any]) -> None:
    assert len(card["summary"]) < 140
    assert card["indicator"] in ("info", "warning", "critical")
    assert card["source"]["label"].startswith("GabaCare")
    assert "not a substitute for your clinician" in card["detail"]
    assert "**Sources:**" in card["detail"]
    if "suggestions" in card:
        assert card["selectionBehavior"] == "at-most-one"
        for s in card["suggestions"]:
            for action in s["actions"]:
                validate_resource(action["resource"])


def test_discovery_lists_three_services_with_prefetch() -> None:
    doc = discovery()
    by_id = {s["id"]: s for s in doc["services"]}
    assert {k: v["hook"] for k, v in by_id.items()} == {
        "gabacare-order-select": "order-select", "gabacare-order-sign": "order-sign",
        "gabacare-patient-view": "patient-view"}
    for s in doc["services"]:
        assert set(s["prefetch"]) == {"patient", "creatinine", "weight", "activeMeds"}
        assert "2160-0" in s["prefetch"]["creatinine"] and "14682-9" in s["prefetch"]["creatinine"]
        assert s["description"]


def test_worked_example_i_renal_warning_with_corrected_order_and_age_card() -> None:
    got = cards("gabacare-order-sign", order_request("order-sign", patient="pat-79f"))
    assert [c["indicator"] for c in got] == ["warning", "info"]
    renal, age = got
    assert renal["summary"] == ("Gabapentin 1800 mg/day exceeds the 700 mg/day maximum for CrCl 26 mL/min "
                                "(Cockcroft-Gault)")
    assert "label §2.3" in renal["source"]["label"]
    (suggestion,) = renal["suggestions"]
    assert suggestion["isRecommended"] is True
    (action,) = suggestion["actions"]
    assert action["type"] == "update"
    mr = action["resource"]
    assert mr["id"] == "draft-gaba-1" and mr["subject"] == {"reference": "Patient/pat-79f"}
    assert mr["medicationCodeableConcept"]["coding"][0]["code"] == "310432"
    (dosage,) = mr["dosageInstruction"]
    assert dosage["doseAndRate"][0]["doseQuantity"]["value"] == 400
    assert dosage["timing"]["repeat"]["frequency"] == 1
    assert dosage["maxDosePerPeriod"]["numerator"]["value"] == 700
    assert renal["overrideReasons"]
    assert "fda-dsc-2019" in age["detail"] and "beers-2023" in age["detail"]
    for c in got:
        check_card_shape(c)


def test_worked_example_ii_opioid_warning_and_no_renal_card() -> None:
    oxy = med_request("oxy-1", "pat-52m", "1049621", status="active",
                      display="Oxycodone Hydrochloride 5 MG Oral Tablet")
    oxy["dosageInstruction"] = [{"asNeededBoolean": True, "timing": {"repeat": {"frequency": 1, "period": 6,
                                                                                "periodUnit": "h"}}}]
    req = order_request("order-select", patient="pat-52m", gender="male", birth="1973-01-20", weight_kg=80,
                        creatinine=(80, "umol/L"), drafts=[med_request("draft-gaba-2", "pat-52m", "310431", mg=300)],
                        active=[oxy])
    got = cards("gabacare-order-select", req)
    assert len(got) == 1
    (card,) = got
    assert card["indicator"] == "warning"
    assert card["summary"] == ("Gabapentin with an opioid (oxycodone): added risk of respiratory depression "
                               "and sedation")
    assert "suggestions" not in card and "selectionBehavior" not in card
    for source in ("fda-dsc-2019", "gomes-2017", "beers-2023", "label §5.7, 7"):
        assert source in card["detail"]
    assert "44%" in card["detail"]  # morphine's effect on gabapentin exposure is part of the class text
    check_card_shape(card)


def test_normal_kidneys_and_usual_dose_give_no_card() -> None:
    req = order_request("order-sign", gender="male", birth="1980-01-01", weight_kg=80, creatinine=(0.9, "mg/dL"),
                        drafts=[med_request("d1", "pat-1", "310431", mg=300)], active=[])
    assert cards("gabacare-order-sign", req) == []


def test_above_3600_is_critical_with_a_suggestion_within_the_maximum() -> None:
    req = order_request("order-sign", gender="male", birth="1980-01-01", weight_kg=80, creatinine=(0.9, "mg/dL"),
                        drafts=[med_request("d1", "pat-1", "310434", mg=1600)], active=[])
    (card,) = cards("gabacare-order-sign", req)
    assert card["indicator"] == "critical"
    assert "3600 mg/day" in card["summary"]
    dose = card["suggestions"][0]["actions"][0]["resource"]["dosageInstruction"][0]
    assert dose["doseAndRate"][0]["doseQuantity"]["value"] * dose["timing"]["repeat"]["frequency"] <= 3600
    check_card_shape(card)


def test_too_many_and_too_few_doses_for_the_band() -> None:
    # CrCl ~ 44 mL/min (30-59 band: 2 doses a day)
    base = {"gender": "male", "birth": "1965-01-01", "weight_kg": 70, "creatinine": (1.7, "mg/dL"), "active": []}
    many = order_request("order-sign", drafts=[med_request("d1", "pat-1", "310430", mg=100)], **base)  # type: ignore[arg-type]
    (card,) = cards("gabacare-order-sign", many)
    assert card["indicator"] == "warning" and "3 doses a day" in card["summary"]
    few = order_request("order-sign", drafts=[med_request("d1", "pat-1", "310431", mg=300, per_day=1)],
                        **base)  # type: ignore[arg-type]
    (card,) = cards("gabacare-order-sign", few)
    assert card["indicator"] == "info" and "splits it into 2" in card["summary"]


def test_benzodiazepine_and_sedative_cards_by_name_fallback() -> None:
    benzo = med_request("a1", "pat-1", "999999", status="active")
    benzo["medicationCodeableConcept"] = {"text": "Lorazepam 1 mg tablet"}
    sleeper = med_request("a2", "pat-1", "999998", status="active", display="Zolpidem 10 MG Oral Tablet")
    req = order_request("order-sign", gender="male", birth="1980-01-01", weight_kg=80, creatinine=(0.9, "mg/dL"),
                        drafts=[med_request("d1", "pat-1", "310431", mg=300)], active=[benzo, sleeper])
    got = {c["summary"].split(":")[0]: c for c in cards("gabacare-order-sign", req)}
    assert "Gabapentin with a benzodiazepine (lorazepam)" in got
    assert "Gabapentin with another sedative (zolpidem)" in got


def test_duplicate_gabapentinoid_and_enacarbil_is_not_gabapentin() -> None:
    pregabalin = med_request("p1", "pat-1", "187832", status="active")
    req = order_request("order-sign", gender="male", birth="1980-01-01", weight_kg=80, creatinine=(0.9, "mg/dL"),
                        drafts=[med_request("d1", "pat-1", "310431", mg=300)], active=[pregabalin])
    (card,) = cards("gabacare-order-sign", req)
    assert card["summary"].startswith("Duplicate gabapentinoid") and "pregabalin" in card["summary"]
    # A gabapentin enacarbil order is not checked as gabapentin (no renal prefetch needed) but duplicates it.
    horizant = med_request("h1", "pat-1", "1482820", mg=600, per_day=1)
    gaba = med_request("g1", "pat-1", "310431", status="active")
    req = order_request("order-sign", drafts=[horizant], active=[gaba], omit=("creatinine", "weight"))
    (card,) = cards("gabacare-order-sign", req)
    assert "Duplicate gabapentinoid" in card["summary"] and "gabapentin enacarbil" in card["summary"]


def test_abrupt_stop_offers_the_core_taper() -> None:
    stop = med_request("g-stop", "pat-1", "310433", mg=600, status="stopped")
    req = order_request("order-sign", gender="male", birth="1980-01-01", weight_kg=80, creatinine=(0.9, "mg/dL"),
                        drafts=[stop], active=[])
    (card,) = cards("gabacare-order-sign", req)
    assert card["indicator"] == "warning" and card["summary"].startswith("Stopping 1800 mg/day at once")
    (action,) = card["suggestions"][0]["actions"]
    assert action["type"] == "create"
    taper = action["resource"]
    steps = [d["doseAndRate"][0]["doseQuantity"]["value"] * d["timing"]["repeat"]["frequency"]
             for d in taper["dosageInstruction"]]
    assert steps[0] < 1800 and steps == sorted(steps, reverse=True)
    check_card_shape(card)


def test_null_creatinine_gives_renal_not_done_info_card() -> None:
    req = order_request("order-sign", creatinine=None, drafts=[med_request("d1", "pat-1", "310431", mg=300)], active=[])
    got = cards("gabacare-order-sign", req)
    assert any(c["indicator"] == "info" and c["summary"].startswith("Renal check not done") for c in got)


@pytest.mark.parametrize("key", ["patient", "creatinine", "weight"])
def test_missing_prefetch_without_fhir_server_is_412(key: str) -> None:
    r = handle_hook("gabacare-order-sign", order_request("order-sign", omit=(key,)), now=NOW)
    assert r.status == 412
    assert r.body["resourceType"] == "OperationOutcome" and key in (r.reason or "")


def test_operation_outcome_prefetch_is_fetched_from_the_fhir_server() -> None:
    req = order_request("order-sign", patient="pat-79f")
    req["prefetch"]["creatinine"] = {"resourceType": "OperationOutcome", "issue": []}
    req["fhirServer"] = "https://ehr.example/fhir"
    asked: list[str] = []

    def fetch(server: str, query: str, auth: Any) -> Any:
        asked.append(query)
        return searchset(observation("2160-0", 1.6, "mg/dL", "2025-05-28T07:30:00Z"))

    got = cards("gabacare-order-sign", req, fetch=fetch)
    assert asked and asked[0].startswith("Observation?patient=pat-79f&code=http://loinc.org|2160-0")
    assert got[0]["summary"].startswith("Gabapentin 1800 mg/day exceeds the 700 mg/day")

    def broken(server: str, query: str, auth: Any) -> Any:
        raise OSError("unreachable")

    assert handle_hook("gabacare-order-sign", req, now=NOW, fetch=broken).status == 412


def test_non_gabapentin_orders_need_no_prefetch() -> None:
    amox = med_request("a1", "pat-1", "617993", mg=500)
    req = order_request("order-sign", drafts=[amox], omit=("patient", "creatinine", "weight", "activeMeds"))
    assert cards("gabacare-order-sign", req) == []


MALFORMED: list[tuple[str, Any, int]] = [
    ("not an object", [1, 2], 400),
    ("no hook", {"hookInstance": "x", "context": {}}, 400),
    ("wrong hook", {"hook": "patient-view", "hookInstance": "x", "context": {"patientId": "p"}}, 400),
    ("no context", {"hook": "order-sign", "hookInstance": "x"}, 400),
    ("no patientId", {"hook": "order-sign", "hookInstance": "x", "context": {"draftOrders": {}}}, 400),
    ("no draftOrders", {"hook": "order-sign", "hookInstance": "x", "context": {"patientId": "p"}}, 400),
    ("prefetch not object", {"hook": "order-sign", "hookInstance": "x", "context": {"patientId": "p",
                                                                                  "draftOrders": {}}, "prefetch": 3}, 400),
]


@pytest.mark.parametrize(("what", "body", "status"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_requests_are_4xx_with_a_reason(what: str, body: Any, status: int) -> None:
    r = handle_hook("gabacare-order-sign", body, now=NOW)
    assert r.status == status and r.reason


def test_order_select_needs_selections_and_judges_only_them() -> None:
    req = order_request("order-select")
    del req["context"]["selections"]
    assert handle_hook("gabacare-order-select", req, now=NOW).status == 400
    req = order_request("order-select", selections=["MedicationRequest/other"])
    assert cards("gabacare-order-select", req) == []


def test_unknown_service_is_404() -> None:
    assert handle_hook("nope", {}, now=NOW).status == 404


def test_unreadable_gabapentin_dose_gives_an_info_card() -> None:
    draft = med_request("d1", "pat-1", "310431", mg=300)
    draft["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["code"] = "{puff}"
    got = cards("gabacare-order-sign", order_request("order-sign", drafts=[draft], active=[]))
    assert got[0]["indicator"] == "info" and "could not read" in got[0]["summary"]


def test_legacy_shapes_are_repaired() -> None:
    draft = med_request("d1", "pat-79f", "310433")
    draft["dosageInstruction"] = [{"timing": {"repeat": {"frequency": 3, "period": 1, "periodUnit": "d"}},
                                   "doseAndRate": {"doseQuantity": {"value": 600, "code": "mg"}}}]
    req = order_request("order-sign", patient="pat-79f", drafts=[draft])
    del req["context"]["draftOrders"]["type"]
    assert cards("gabacare-order-sign", req)[0]["summary"].startswith("Gabapentin 1800 mg/day exceeds")
    stu3 = copy.deepcopy(draft)
    stu3["dosageInstruction"] = [{"timing": {"repeat": {"frequency": 3, "period": 1, "periodUnit": "d"}},
                                  "doseQuantity": {"value": 1, "code": "{tablet}"}}]
    req = order_request("order-sign", patient="pat-79f", drafts=[stu3])
    assert "1800 mg/day" in cards("gabacare-order-sign", req)[0]["summary"]


def test_patient_view_summary_only_when_linked() -> None:
    req = {"hook": "patient-view", "hookInstance": "i-1", "context": {"userId": "Practitioner/1", "patientId": "ehr-9"}}
    assert cards("gabacare-patient-view", req) == []
    summaries = {"ehr-9": {"adherence_pct": 86.0, "plan": "300 mg TID", "trends": {"pain": "7 → 4"},
                           "side_effects": ["dizziness"], "emergencies": 1}}
    (card,) = cards("gabacare-patient-view", req, summary_provider=summaries.get)
    assert card["indicator"] == "warning" and "86%" in card["summary"] and "dizziness" in card["detail"]
    req["context"]["patientId"] = "ehr-unlinked"
    assert cards("gabacare-patient-view", req, summary_provider=summaries.get) == []


def test_feedback_is_validated_and_idempotent() -> None:
    store = InMemoryFeedbackStore()
    item = {"card": "c-1", "outcome": "accepted", "acceptedSuggestions": [{"id": "s-1"}],
            "outcomeTimestamp": "2025-06-01T12:00:00Z"}
    r = record_feedback("gabacare-order-sign", {"feedback": [item]}, store)
    assert r.status == 200 and r.body == {"stored": 1, "duplicates": 0}
    assert record_feedback("gabacare-order-sign", {"feedback": [item]}, store).body == {"stored": 0, "duplicates": 1}
    over = {"card": "c-1", "outcome": "overridden", "outcomeTimestamp": "2025-06-01T12:01:00Z",
            "overrideReason": {"reason": {"code": "will-monitor", "system": "x"}, "userComment": "ok"}}
    assert record_feedback("gabacare-order-sign", {"feedback": [over]}, store).body["stored"] == 1
    assert len(store.records) == 2
    bad = [{"feedback": []}, {"feedback": [{"card": "c", "outcome": "accepted", "outcomeTimestamp": "2025-06-01T12:00Z"}]},
           {"feedback": [{"card": "c", "outcome": "maybe", "outcomeTimestamp": "2025-06-01T12:00Z"}]}, "x"]
    for body in bad:
        assert record_feedback("gabacare-order-sign", body, store).status == 400
    assert record_feedback("nope", {"feedback": [item]}, store).status == 404
    assert len(store.records) == 2


def _sample_bodies() -> list[Path]:
    return sorted(SAMPLES.glob("*.json")) if SAMPLES.is_dir() else []


@pytest.mark.skipif(not _sample_bodies(), reason="../shared/cds_samples not beside the checkout")
@pytest.mark.parametrize("path", _sample_bodies(), ids=lambda p: p.stem)
def test_public_sample_requests_never_fail_hard(path: Path) -> None:
    raw = path.read_bytes()
    body = json.loads(raw.decode("utf-8-sig"))
    if isinstance(body, dict) and isinstance(body.get("fhirServer"), str):
        body["fhirServer"] = "http://127.0.0.1:9/fhir"  # never reach outside hosts
    for sid in ("gabacare-order-select", "gabacare-order-sign", "gabacare-patient-view"):
        r = handle_hook(sid, body, now=NOW)
        assert r.status in (200, 400, 412)
        json.dumps(r.body)
        if r.status == 200:
            assert all(c["indicator"] in ("info", "warning", "critical") for c in r.body["cards"])
        else:
            assert r.reason


def test_medications_written_as_ehrs_write_them_are_checked_and_unknown_ones_are_named() -> None:
    """EHR display strings go through the one drug-name engine (salts, strengths, misspellings); a
    medication it cannot identify gets an info card naming it (unknown is never "no interaction")."""
    hydro = med_request("h-1", "pat-52m", "0000001", status="active", display="HYDROmorphone HCl 2 MG PO TABS")
    alpraz = med_request("a-1", "pat-52m", "0000002", status="active", display="alprazolm 0.5 mg")
    mystery = med_request("m-1", "pat-52m", "0000003", status="active", display="Zorbaxitol 10 mg tablet")
    req = order_request("order-select", patient="pat-52m", gender="male", birth="1973-01-20", weight_kg=80,
                        creatinine=(80, "umol/L"), drafts=[med_request("draft-gaba-2", "pat-52m", "310431", mg=300)],
                        active=[hydro, alpraz, mystery])
    got = {c["summary"]: c for c in cards("gabacare-order-select", req)}
    opioid = next(c for s, c in got.items() if s.startswith("Gabapentin with an opioid (hydromorphone)"))
    assert opioid["indicator"] == "warning"
    # The opioid + benzodiazepine boxed warning (FDA 2016) travels with the first sedative card.
    assert "benzodiazepine" in opioid["detail"].lower() and "fda-dsc-2016" in opioid["detail"]
    assert any(s.startswith("Gabapentin with a benzodiazepine (alprazolam)") for s in got)
    unknown = next(c for s, c in got.items() if s.startswith("Not checked for interactions"))
    assert unknown["indicator"] == "info" and "Zorbaxitol" in unknown["detail"]
    for card in got.values():
        check_card_shape(card)
