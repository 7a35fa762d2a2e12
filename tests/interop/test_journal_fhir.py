"""The journal as a FHIR Bundle: every resource validates; export -> import -> export keeps the clinical content."""

from __future__ import annotations

import copy
import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gabacare.cli import app
from gabacare.interop.fhir import validate_resource
from gabacare.interop.journal_fhir import BundleImportError, export_bundle, import_bundle, read_bundle
from gabacare.journal import InMemoryJournalRepository, Journal, PlanSpec

TZ = timezone(timedelta(hours=1))


def _clock() -> datetime:
    return datetime(2026, 1, 10, 12, 0)


def _journal() -> tuple[Journal, int]:
    j = Journal(InMemoryJournalRepository(), _clock)
    p = j.add_patient("Test Person", birth_date=date(1950, 5, 1), sex="female", weight_kg=60)
    return j, p.id


@pytest.fixture
def filled() -> tuple[Journal, int]:
    j, pid = _journal()
    j.set_plan(pid, PlanSpec(source="titrate", start=date(2026, 1, 1), indication="spasticity"))
    j.log_dose(pid, 300, at=datetime(2026, 1, 1, 21, 0))
    j.log_dose(pid, 300, at=datetime(2026, 1, 2, 21, 40), status="late")
    j.log_dose(pid, 300, at=datetime(2026, 1, 3, 21, 0), status="skipped")
    j.log_symptom(pid, "pain", 6, at=datetime(2026, 1, 2, 9, 0))
    j.log_symptom(pid, "spasm_intensity", 4.5, at=datetime(2026, 1, 2, 9, 0))
    j.log_symptom(pid, "spasm_count", 12, at=datetime(2026, 1, 2, 9, 5))
    j.log_lab(pid, "creatinine", 1.4, at=datetime(2026, 1, 5, 8, 0))
    j.log_lab(pid, "creatinine", 97, unit="umol/L", at=datetime(2026, 1, 6, 8, 0))
    j.log_side_effect(pid, "dizzy", at=datetime(2026, 1, 5, 9, 0))
    j.log_trigger(pid, "cold", at=datetime(2026, 1, 5, 10, 0))
    return j, pid


def _content(bundle: dict[str, Any]) -> list[str]:
    """Clinical content: resources without ids, identifiers and record-keeping times."""
    out = []
    for e in bundle["entry"]:
        r = copy.deepcopy(e["resource"])
        for key in ("id", "identifier", "issued", "dateAsserted", "basedOn"):
            r.pop(key, None)
        out.append(json.dumps(r, sort_keys=True))
    return sorted(out)


def test_every_exported_resource_validates_and_uses_the_codes(filled: tuple[Journal, int]) -> None:
    j, pid = filled
    bundle = export_bundle(j, pid, tz=TZ)
    validate_resource(bundle)
    assert bundle["type"] == "collection" and bundle["timestamp"]
    urls = [e["fullUrl"] for e in bundle["entry"]]
    assert len(urls) == len(set(urls)) and all(u.startswith("urn:uuid:") for u in urls)
    for e in bundle["entry"]:
        validate_resource(e["resource"])
    text = json.dumps(bundle)
    for code in ("72514-3", "2160-0", "14682-9", "266710000", "https://gabacare.example/fhir/CodeSystem/journal"):
        assert code in text
    statements = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "MedicationStatement"]
    assert [s["status"] for s in statements] == ["completed", "completed", "not-taken"]
    assert statements[2]["statusReason"][0]["coding"][0]["code"] == "266710000"
    assert statements[0]["effectiveDateTime"] == "2026-01-01T21:00:00+01:00"
    (plan,) = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "MedicationRequest"]
    assert plan["status"] == "active" and plan["intent"] == "plan"


def test_round_trip_into_a_fresh_journal(filled: tuple[Journal, int]) -> None:
    j, pid = filled
    first = export_bundle(j, pid, tz=TZ)
    j2, pid2 = _journal()
    report = import_bundle(j2, pid2, json.loads(json.dumps(first)), tz=TZ)
    assert (report.entries, report.plans) == (10, 1)
    assert {w.split()[1].split("/")[0] for w, _ in report.skipped} == {"Patient", "Observation"}
    second = export_bundle(j2, pid2, tz=TZ)
    assert _content(first) == _content(second)


def test_creatinine_reruns_the_renal_check(filled: tuple[Journal, int]) -> None:
    j, pid = filled
    j2, pid2 = _journal()
    j2.set_plan(pid2, PlanSpec(source="regimen", start=date(2026, 1, 1), regimen="600 mg TID"))
    lab_only = export_bundle(j, pid, tz=TZ)
    lab_only["entry"] = [e for e in lab_only["entry"] if "2160-0" in json.dumps(e["resource"].get("code"))]
    report = import_bundle(j2, pid2, lab_only, tz=TZ)
    (renal,) = report.renal
    assert renal.ok is False and {p["code"] for p in renal.problems} >= {"renal_doses_per_day"}


def test_any_invalid_resource_rejects_the_whole_bundle(filled: tuple[Journal, int]) -> None:
    j, pid = filled
    bundle = export_bundle(j, pid, tz=TZ)
    bundle["entry"][2]["resource"].pop("subject")                                   # R4B: required
    bundle["entry"][3]["resource"]["valueQuantity"] = {"value": 2, "code": "umol/L"}  # our rule: unit by LOINC code
    bundle["entry"].append({"resource": {"resourceType": "Observation", "status": "final"}})  # no code
    j2, pid2 = _journal()
    with pytest.raises(BundleImportError) as err:
        import_bundle(j2, pid2, bundle, tz=TZ)
    assert len(err.value.problems) == 3
    assert j2.entries(pid2) == [] and j2.plans(pid2) == []


def test_journal_rule_failures_map_back_to_resources() -> None:
    j, pid = _journal()
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {
        "resourceType": "Observation", "status": "final", "code": {"coding": [{"system": "http://loinc.org",
                                                                             "code": "72514-3"}]},
        "subject": {"reference": "Patient/x"}, "effectiveDateTime": "2026-01-02T09:00:00+01:00", "valueInteger": 42}}]}
    with pytest.raises(BundleImportError) as err:
        import_bundle(j, pid, bundle, tz=TZ)
    assert err.value.problems[0][0].startswith("entry[0] Observation")


def test_ehr_searchset_with_order_and_foreign_resources() -> None:
    bundle = {"resourceType": "Bundle", "type": "searchset", "entry": [
        {"resource": {"resourceType": "OperationOutcome", "issue": [{"severity": "information", "code": "informational"}]},
         "search": {"mode": "outcome"}},
        {"resource": {"resourceType": "MedicationRequest", "id": "rx1", "status": "active", "intent": "order",
                      "subject": {"reference": "Patient/e1"}, "authoredOn": "2026-01-03",
                      "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                                                "code": "310431"}]},
                      "dosageInstruction": [{"timing": {"repeat": {"frequency": 3, "period": 1, "periodUnit": "d"}},
                                             "doseAndRate": [{"doseQuantity": {"value": 300, "code": "mg",
                                                                               "system": "http://unitsofmeasure.org"}}]}]}},
        {"resource": {"resourceType": "MedicationRequest", "id": "rx2", "status": "active", "intent": "order",
                      "subject": {"reference": "Patient/e1"},
                      "medicationCodeableConcept": {"text": "Amoxicillin 500 mg"}}},
        {"resource": {"resourceType": "Condition", "subject": {"reference": "Patient/e1"}}},
    ]}
    content = read_bundle(bundle, tz=TZ)
    assert content.problems == ()
    (row,) = content.rows
    assert row["kind"] == "plan" and json.loads(row["text"])["regimen"] == "300 mg TID"
    assert len(content.skipped) == 2
    j, pid = _journal()
    assert import_bundle(j, pid, bundle, tz=TZ).plans == 1
    assert j.active_plan(pid, on=date(2026, 1, 4)) is not None


def test_not_a_bundle_is_reported() -> None:
    assert read_bundle({"resourceType": "Patient"}).problems
    assert read_bundle({"resourceType": "Bundle", "type": "document", "entry": []}).problems


def test_cli_export_import_and_reminders(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'j.sqlite3'}"
    runner = CliRunner()

    def run(*args: str) -> Any:
        res = runner.invoke(app, [*args, "--db", db, "--json"])
        assert res.exit_code == 0, res.output
        return json.loads(res.stdout)

    pid = run("patient", "add", "Test Person", "--birth-date", "1950-01-01", "--sex", "female", "--weight-kg", "60")["id"]
    today = date.today().isoformat()
    run("plan", "set", "--patient", str(pid), "--indication", "spasticity", "--start", today)
    run("log", "dose", "--patient", str(pid), "--mg", "300", "--at", f"{today}T00:01")
    out = tmp_path / "b.json"
    assert run("fhir", "export", "--patient", str(pid), "--out", str(out))["resources"] >= 3
    other = run("patient", "add", "Other Person")["id"]
    assert run("fhir", "import", str(out), "--patient", str(other))["entries"] == 1
    ics = tmp_path / "r.ics"
    rem = run("reminders", "--patient", str(pid), "--days", "10", "--out", str(ics), "--tz", "Europe/Berlin")
    assert rem["events"] == 6 and ics.read_bytes().startswith(b"BEGIN:VCALENDAR")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"resourceType": "Bundle", "type": "collection",
                               "entry": [{"resource": {"resourceType": "Observation", "status": "final"}}]}))
    res = runner.invoke(app, ["fhir", "import", str(bad), "--patient", str(other), "--db", db])
    assert res.exit_code == 2 and "nothing imported" in res.output


# -- questionnaires: QuestionnaireResponse + its score Observation ----------------------------------

def _with_questionnaires() -> tuple[Journal, int]:
    j, pid = _journal()
    j.log_questionnaire(pid, "phq9", [1, 2, 0, 1, 0, 0, 1, 0, 0], at=datetime(2026, 1, 4, 10, 0))
    j.log_questionnaire(pid, "gad7", [2, 1, 1, 0, 0, 1, 0], at=datetime(2026, 1, 5, 10, 0))
    j.log_questionnaire(pid, "penn_spasm", [1, 3], at=datetime(2026, 1, 6, 10, 0))
    return j, pid


def test_questionnaires_export_as_valid_responses_with_loinc_coded_scores() -> None:
    j, pid = _with_questionnaires()
    bundle = export_bundle(j, pid, tz=TZ)
    validate_resource(bundle)
    responses = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "QuestionnaireResponse"]
    scores = [e["resource"] for e in bundle["entry"] if "derivedFrom" in e["resource"]]
    assert [r["questionnaire"] for r in responses] == ["urn:gabacare:questionnaire:phq9",
                                                        "urn:gabacare:questionnaire:gad7",
                                                        "urn:gabacare:questionnaire:penn_spasm"]
    assert [a["answer"][0]["valueInteger"] for a in responses[0]["item"]] == [1, 2, 0, 1, 0, 0, 1, 0, 0]
    assert responses[0]["item"][0]["text"]  # the item's own wording travels with the answer
    assert [s["valueInteger"] for s in scores] == [q.stored.data.total for q in j.questionnaires(pid)]
    assert [s["valueInteger"] for s in scores][:2] == [5, 5]  # PHQ-9 and GAD-7 totals, by hand
    assert scores[0]["code"]["coding"][0] == {**scores[0]["code"]["coding"][0], "system": "http://loinc.org",
                                               "code": "44261-6"}
    assert scores[1]["code"]["coding"][0]["code"] == "70274-6"
    assert scores[2]["code"]["coding"][0]["system"] == "urn:gabacare:questionnaire-score"  # no LOINC code published
    for r in (*responses, *scores):
        validate_resource(r)


def test_questionnaires_round_trip_losslessly_and_once() -> None:
    j, pid = _with_questionnaires()
    first = export_bundle(j, pid, tz=TZ)
    j2, pid2 = _journal()
    import_bundle(j2, pid2, json.loads(json.dumps(first)), tz=TZ)
    def seen(jj: Journal, p: int) -> list[tuple[str, tuple[int, ...], datetime, int, str]]:
        return [(q.stored.data.instrument, q.stored.data.answers, q.stored.at, q.stored.data.total, q.stored.uid)
                for q in jj.questionnaires(p)]
    assert seen(j2, pid2) == seen(j, pid)
    import_bundle(j2, pid2, json.loads(json.dumps(first)), tz=TZ)  # the same file again adds nothing
    assert len(j2.questionnaires(pid2)) == 3
    assert _content(export_bundle(j2, pid2, tz=TZ)) == _content(first)


def test_a_foreign_or_broken_questionnaire_response_is_skipped_or_refused() -> None:
    j, pid = _journal()
    base = {"resourceType": "QuestionnaireResponse", "status": "completed", "authored": "2026-01-04T10:00:00+01:00",
            "subject": {"reference": "Patient/1"}}
    foreign = {**base, "questionnaire": "http://example.org/Questionnaire/sf36",
               "item": [{"linkId": "1", "answer": [{"valueInteger": 1}]}]}
    bad = {**base, "questionnaire": "urn:gabacare:questionnaire:phq9",
           "item": [{"linkId": str(i), "answer": [{"valueInteger": 7}]} for i in range(9)]}
    doc = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": foreign}]}
    report = import_bundle(j, pid, doc, tz=TZ)
    assert report.skipped and "GabaCare's own questionnaires" in report.skipped[0][1]
    with pytest.raises(BundleImportError):
        import_bundle(j, pid, {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": bad}]}, tz=TZ)
    assert j.questionnaires(pid) == []
