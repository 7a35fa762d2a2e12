"""The CDS service's parts, each on its own: the typed card model, the dosage reader, the patient facts
and the prefetch reader, plus the package's public surface (the names the web routes and tests use)."""

from __future__ import annotations

import importlib
import json
from datetime import UTC, datetime, time
from typing import Any

import pytest
from pydantic import ValidationError

from gabacare.errors import InputError
from gabacare.interop import cds
from gabacare.interop.cds.dosage import ImplausibleOrder, UnreadableOrder, order_regimens
from gabacare.interop.cds.facts import renal_facts
from gabacare.interop.cds.medication import identify_medication
from gabacare.interop.cds.models import Card, Coding, Source
from gabacare.interop.cds.prefetch import MISSING, Reads, resources
from gabacare.interop.fhir_client import FhirTimeout
from interop._requests import med_request, observation, order_request, searchset

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
MODULES = ["cards", "discovery", "dosage", "facts", "feedback", "hooks", "medication", "models", "prefetch"]


def test_the_package_keeps_the_public_names() -> None:
    for name in ("SERVICES", "CdsResponse", "FeedbackStore", "Fetcher", "ImplausibleOrder", "InMemoryFeedbackStore",
                 "Medication", "SummaryProvider", "UnreadableOrder", "discovery", "handle_hook",
                 "identify_medication", "order_regimens", "record_feedback"):
        assert name in cds.__all__ and hasattr(cds, name), name
    assert list(cds.__all__) == sorted(cds.__all__, key=lambda n: (0 if n.isupper() else 1 if n[0].isupper() else 2, n))


@pytest.mark.parametrize("name", MODULES)
def test_each_module_exports_what_it_defines(name: str) -> None:
    module = importlib.import_module(f"gabacare.interop.cds.{name}")
    assert module.__doc__ and module.__all__
    assert [n for n in module.__all__ if not hasattr(module, n)] == []


def test_every_card_of_a_hook_is_a_valid_typed_card() -> None:
    oxy = med_request("oxy-1", "pat-1", "1049621", status="active", display="Oxycodone 5 MG Oral Tablet")
    answer = cds.handle_hook("gabacare-order-sign", order_request("order-sign", active=[oxy]), now=NOW)
    assert answer.status == 200 and answer.body["cards"]
    for raw in answer.body["cards"]:
        card = Card.model_validate(raw)
        assert card.to_json() == raw  # the model is the wire format, nothing added or lost
        assert json.loads(json.dumps(raw)) == raw


def test_a_card_leaves_absent_members_out_and_refuses_unknown_ones() -> None:
    source = Source(label="GabaCare", topic=Coding(system="urn:x", code="t", display="t"))
    card = Card(uuid="u", summary="s", indicator="info", detail="d", source=source)
    assert card.to_json() == {"uuid": "u", "summary": "s", "indicator": "info", "detail": "d",
                              "source": {"label": "GabaCare", "topic": {"system": "urn:x", "code": "t", "display": "t"}}}
    with pytest.raises(ValidationError):
        Card(uuid="u", summary="s", indicator="urgent", detail="d", source=source)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        Card.model_validate({**card.to_json(), "extra": 1})


def _order(*dosages: dict[str, Any], rxcui: str = "310433") -> dict[str, Any]:
    return med_request("d1", "p1", rxcui, dosageInstruction=list(dosages))


def _dosage(value: float, code: str = "mg", *, per_day: int = 1, times: list[str] | None = None,
            sequence: int | None = None) -> dict[str, Any]:
    repeat: dict[str, Any] = {"frequency": per_day, "period": 1, "periodUnit": "d"}
    if times:
        repeat["timeOfDay"] = times
    d: dict[str, Any] = {"timing": {"repeat": repeat}, "doseAndRate": [{"doseQuantity": {"value": value, "code": code}}]}
    if sequence is not None:
        d["sequence"] = sequence
    return d


def test_concurrent_dosages_merge_into_one_day_and_sequences_stay_apart() -> None:
    mr = _order(_dosage(300, times=["08:00"]), _dosage(600, times=["20:00"]), _dosage(2, "{capsule}", per_day=3, sequence=2))
    med = identify_medication(mr)
    assert med.is_gabapentin and med.strength_mg is not None
    first, second = order_regimens(mr, med)  # two units of the product's strength, three times a day
    assert [(d.time, d.mg.value) for d in first.doses] == [(time(8), 300.0), (time(20), 600.0)]
    assert first.total_mg == 900 and second.total_mg == 6 * med.strength_mg and second.doses_per_day == 3


@pytest.mark.parametrize(("dosages", "error", "words"), [
    ((), UnreadableOrder, "no dosage instructions"),
    ((_dosage(3, "puffs"),), UnreadableOrder, "cannot be converted to mg"),
    ((_dosage(300, times=["25:99"]),), UnreadableOrder, "timeOfDay"),
    ((_dosage(1e9),), ImplausibleOrder, "beyond any plausible"),
    ((_dosage(300, per_day=10**6),), ImplausibleOrder, "doses a day"),
])
def test_unreadable_and_implausible_orders_are_input_errors(dosages: tuple[dict[str, Any], ...], error: type,
                                                            words: str) -> None:
    mr = _order(*dosages)
    with pytest.raises(error, match=words) as raised:
        order_regimens(mr, identify_medication(mr))
    assert isinstance(raised.value, InputError)


@pytest.mark.parametrize(("patient", "creat", "weight", "why"), [
    ({"gender": "female", "birthDate": "1946-03-15"}, None, 58, "no serum creatinine"),
    ({"gender": "female"}, 1.6, 58, "birth date"),
    ({"gender": "unknown", "birthDate": "1946-03-15"}, 1.6, 58, "sex"),
    ({"gender": "female", "birthDate": "1946-03-15"}, 1.6, None, "no body weight"),
])
def test_renal_facts_say_why_crcl_was_not_estimated(patient: dict[str, Any], creat: float | None,
                                                    weight: float | None, why: str) -> None:
    p = [{"resourceType": "Patient", **patient}]
    c = [observation("2160-0", creat, "mg/dL", "2025-05-28")] if creat is not None else []
    w = [observation("29463-7", weight, "kg", "2025-05-28")] if weight is not None else []
    facts = renal_facts(p, c, w, NOW)
    assert facts.crcl is None and facts.checked_crcl is None and why in str(facts.why_not)


def test_renal_facts_estimate_crcl_at_now() -> None:
    p = [{"resourceType": "Patient", "gender": "female", "birthDate": "1946-03-15"}]
    facts = renal_facts(p, [observation("2160-0", 1.6, "mg/dL", "2025-05-28T07:30:00Z")],
                        [observation("29463-7", 58, "kg", "2025-05-28")], NOW)
    assert facts.age_years == 79 and facts.creatinine_date == "2025-05-28"
    assert facts.crcl is not None and facts.checked_crcl is not None and 25 < facts.crcl.crcl_ml_min < 27


def test_prefetch_states_and_one_failed_fetch_per_call() -> None:
    assert resources(None) == [] and resources({"resourceType": "OperationOutcome"}) is MISSING
    assert resources(searchset({"resourceType": "Patient"})) == [{"resourceType": "Patient"}]
    calls: list[str] = []

    def slow(server: str, query: str, auth: Any) -> Any:
        calls.append(query)
        raise FhirTimeout("the FHIR server did not answer in time")

    reads = Reads(slow, "https://ehr.example/fhir", None)
    assert reads.value("creatinine", {}, "p/1") is MISSING
    assert reads.value("weight", {}, "p/1") is MISSING  # not asked again in the same call
    assert len(calls) == 1 and "patient=p%2F1" in calls[0]
    assert reads.why() == " (the FHIR server did not answer in time)"
    assert Reads(None, None, None).value("patient", {"patient": None}, "p1") == []
