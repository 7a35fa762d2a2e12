"""Plans as one FHIR R4B MedicationRequest; every resource validates with fhir.resources R4B."""

from __future__ import annotations

import json
from datetime import date

import pytest
from typer.testing import CliRunner

from gabacare.cli import app
from gabacare.clinical import CrCl, maintenance_plan, parse_regimen, taper, titrate
from gabacare.interop.fhir import FhirResourceError, plan_medication_request, validate_resource

START = date(2026, 1, 1)


def _daily(dosages: list[dict]) -> dict[int, float]:
    out: dict[int, float] = {}
    for d in dosages:
        mg = d["doseAndRate"][0]["doseQuantity"]["value"]
        out[d["sequence"]] = out.get(d["sequence"], 0) + mg * d["timing"]["repeat"]["frequency"]
    return out


@pytest.mark.parametrize("indication", ["spasticity", "postherpetic-neuralgia", "epilepsy", "restless-legs", "anxiety"])
def test_titration_request_has_one_dosage_per_step_in_order(indication: str) -> None:
    plan = titrate(indication, start=START)
    mr = validate_resource(plan_medication_request(plan, subject="Patient/p1"))
    assert mr["intent"] == "plan" and mr["subject"] == {"reference": "Patient/p1"}
    seqs = [d["sequence"] for d in mr["dosageInstruction"]]
    assert seqs == sorted(seqs) and seqs[0] == 1
    totals = _daily(mr["dosageInstruction"])
    assert list(totals.values()) == [s.total_mg for s in plan.steps]
    first, last = mr["dosageInstruction"][0], mr["dosageInstruction"][-1]
    assert first["timing"]["repeat"]["boundsPeriod"]["start"] == START.isoformat()
    assert "end" not in last["timing"]["repeat"]["boundsPeriod"]  # the reached dose continues
    for d in mr["dosageInstruction"]:
        rep = d["timing"]["repeat"]
        assert rep["periodUnit"] == "d" and len(rep["timeOfDay"]) == rep["frequency"]
        assert all(len(t) == 8 for t in rep["timeOfDay"])
        assert d["maxDosePerPeriod"]["numerator"]["value"] == 3600
        assert d["doseAndRate"][0]["doseQuantity"]["code"] == "mg" and d["patientInstruction"]
    assert any(c["system"] == "http://www.nlm.nih.gov/research/umls/rxnorm" for c in mr["medicationCodeableConcept"]["coding"])
    assert "not a substitute for your clinician" in json.dumps(mr)


def test_uneven_day_gives_concurrent_dosages_with_equal_sequence() -> None:
    plan = maintenance_plan(parse_regimen("300-300-600"), start=START, days=7)
    mr = validate_resource(plan_medication_request(plan))
    doses = mr["dosageInstruction"]
    assert [d["sequence"] for d in doses] == [1, 1]
    by_mg = {d["doseAndRate"][0]["doseQuantity"]["value"]: d["timing"]["repeat"]["timeOfDay"] for d in doses}
    assert by_mg == {300: ["07:00:00", "14:00:00"], 600: ["21:00:00"]}


def test_taper_ends_at_last_nonzero_step_with_renal_maximum_and_dispense() -> None:
    plan = taper(parse_regimen("600 mg BID"), start=START, crcl=CrCl(40))
    mr = validate_resource(plan_medication_request(plan, crcl=CrCl(40)))
    last_nonzero = max(d.date for d in plan.days if d.total_mg > 0)
    assert mr["dosageInstruction"][-1]["timing"]["repeat"]["boundsPeriod"]["end"] == last_nonzero.isoformat()
    assert all(d["maxDosePerPeriod"]["numerator"]["value"] == 1400 for d in mr["dosageInstruction"])
    totals = list(_daily(mr["dosageInstruction"]).values())
    assert totals == sorted(totals, reverse=True) and 0 not in totals
    if len(plan.dispense) == 1:
        assert mr["dispenseRequest"]["quantity"]["value"] == plan.dispense[0].count
    else:
        assert "dispenseRequest" not in mr and any("Dispense" in n["text"] for n in mr["note"])


def test_single_product_plan_carries_its_rxcui_and_dispense_quantity() -> None:
    plan = titrate("spasticity", start=START)
    mr = plan_medication_request(plan)
    assert mr["medicationCodeableConcept"]["coding"][0]["code"] == "310431"
    (line,) = plan.dispense
    assert mr["dispenseRequest"]["quantity"] == {"value": line.count, "unit": "{capsule}",
                                                 "system": "http://unitsofmeasure.org", "code": "{capsule}"}


def test_validation_errors_name_paths_not_values() -> None:
    with pytest.raises(FhirResourceError) as err:
        validate_resource({"resourceType": "MedicationRequest", "status": "draft", "secretfield": "Ann"})
    assert "Ann" not in str(err.value)
    with pytest.raises(FhirResourceError):
        validate_resource({"resourceType": "NotAType"})


def test_cli_titrate_and_taper_fhir() -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["titrate", "--indication", "spasticity", "--start", "2026-01-01", "--fhir"])
    assert res.exit_code == 0, res.output
    mr = json.loads(res.stdout)
    assert mr["resourceType"] == "MedicationRequest"
    validate_resource(mr)
    res = runner.invoke(app, ["taper", "--from", "600 mg TID", "--crcl", "45", "--start", "2026-01-01", "--fhir"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["dosageInstruction"][0]["maxDosePerPeriod"]["numerator"]["value"] == 1400
