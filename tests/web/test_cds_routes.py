"""CDS Hooks 2.0 over HTTP: requests written from the spec's hook definitions, through the real app.

Covers discovery, the interop reference's worked examples (i) and (ii), normal kidneys, missing
prefetch (412 with an OperationOutcome), malformed bodies (4xx with a reason, never 500), feedback,
the JWT bearer rules (on by default; off only when a development setting says so), CORS preflight for
browser EHRs, and the patient-view card read from a real SQLite journal linked by the links file.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gabacare.web import WebSettings, create_app

BASE = "https://gabacare.example/prefix"
ISS = "https://ehr.example/issuer"
EHR_ORIGIN = "https://ehr.example"
SECRET = "cds-test-secret-key-0123456789"
CLOCK = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)  # the worked examples' clock

# -- the worked examples of interop-reference.md §3.3 and §3.4, as the spec's hooks define them ----------
RX = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
LOINC = "http://loinc.org"


def _latest(code: str, value: float, unit: str, when: str) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": {
        "resourceType": "Observation", "status": "final", "code": {"coding": [{"system": LOINC, "code": code}]},
        "effectiveDateTime": when, "valueQuantity": {"value": value, "system": UCUM, "code": unit}}}]}


def _gabapentin_draft(rid: str, patient: str, rxcui: str, mg: float, per_day: int) -> dict[str, Any]:
    return {"resourceType": "MedicationRequest", "id": rid, "status": "draft", "intent": "order",
            "subject": {"reference": f"Patient/{patient}"},
            "medicationCodeableConcept": {"coding": [{"system": RX, "code": rxcui}]},
            "dosageInstruction": [{"timing": {"repeat": {"frequency": per_day, "period": 1, "periodUnit": "d"}},
                                   "doseAndRate": [{"doseQuantity": {"value": mg, "system": UCUM, "code": "mg"}}]}]}


def example_i() -> dict[str, Any]:
    """order-sign: a woman aged 79, 58 kg, creatinine 1.6 mg/dL, gabapentin 600 mg three times a day."""
    return {"hook": "order-sign", "hookInstance": "3f0c2b4e-8d7a-4f61-9c1e-2a5b6d7e8f90",
            "context": {"userId": "Practitioner/prac-7", "patientId": "pat-79f", "draftOrders": {
                "resourceType": "Bundle", "type": "collection",
                "entry": [{"resource": _gabapentin_draft("draft-gaba-1", "pat-79f", "310433", 600, 3)}]}},
            "prefetch": {"patient": {"resourceType": "Patient", "id": "pat-79f", "gender": "female",
                                     "birthDate": "1946-03-15"},
                         "creatinine": _latest("2160-0", 1.6, "mg/dL", "2025-05-28T07:30:00Z"),
                         "weight": _latest("29463-7", 58, "kg", "2025-05-28T07:25:00Z"),
                         "activeMeds": None}}


def example_ii() -> dict[str, Any]:
    """order-select: a man aged 52 with an active oxycodone order; gabapentin 300 mg three times a day."""
    oxy = {"resourceType": "MedicationRequest", "id": "oxy-1", "status": "active", "intent": "order",
           "subject": {"reference": "Patient/pat-52m"},
           "medicationCodeableConcept": {"coding": [{"system": RX, "code": "1049621",
                                                     "display": "Oxycodone Hydrochloride 5 MG Oral Tablet"}]},
           "dosageInstruction": [{"asNeededBoolean": True,
                                  "timing": {"repeat": {"frequency": 1, "period": 6, "periodUnit": "h"}}}]}
    return {"hook": "order-select", "hookInstance": "9a7d4c21-5b3e-4f08-8e6a-c1d2e3f4a5b6",
            "context": {"userId": "PractitionerRole/role-3", "patientId": "pat-52m",
                        "selections": ["MedicationRequest/draft-gaba-2"],
                        "draftOrders": {"resourceType": "Bundle", "type": "collection", "entry": [
                            {"resource": _gabapentin_draft("draft-gaba-2", "pat-52m", "310431", 300, 3)}]}},
            "prefetch": {"patient": {"resourceType": "Patient", "id": "pat-52m", "gender": "male",
                                     "birthDate": "1973-01-20"},
                         "creatinine": _latest("14682-9", 80, "umol/L", "2025-05-20T08:00:00Z"),
                         "weight": _latest("29463-7", 80, "kg", "2025-05-20T08:00:00Z"),
                         "activeMeds": {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": oxy}]}}}


# -- apps -----------------------------------------------------------------------------------------------
def _app(**settings: Any) -> FastAPI:
    app = create_app(WebSettings(secret_key=SECRET, access_log=False, **settings))
    app.state.cds.clock = lambda: CLOCK
    return app


@pytest.fixture(scope="module")
def open_client() -> Iterator[TestClient]:
    """JWT off (the explicit development setting), one browser EHR origin allowed."""
    with TestClient(_app(cds_require_jwt=False, cds_cors_origins=(EHR_ORIGIN,))) as c:
        yield c


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    ec_key = ec.generate_private_key(ec.SECP384R1())
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(ec_key.public_key()))
    rsa_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key()))
    ec_jwk.update(kid="ec-1", alg="ES384")
    rsa_jwk.update(kid="rsa-1", alg="RS384")
    path = tmp_path_factory.mktemp("jwks") / "jwks.json"
    path.write_text(json.dumps({"keys": [ec_jwk, rsa_jwk]}))
    return {"ec": ec_key, "rsa": rsa_key, "file": path}


@pytest.fixture(scope="module")
def jwt_client(keys: dict[str, Any]) -> Iterator[TestClient]:
    """JWT on, as the production settings in docs/cds-hooks.md describe."""
    app = _app(cds_require_jwt=True, public_base_url=BASE + "/", cds_issuers=(ISS,), cds_jwks_file=keys["file"])
    with TestClient(app) as c:
        yield c


def token(keys: dict[str, Any], path: str, alg: str = "ES384", **over: Any) -> str:
    now = int(time.time())
    claims = {"iss": ISS, "aud": BASE + path, "exp": now + 120, "iat": now, "jti": f"jti-{time.monotonic_ns()}"}
    claims.update(over)
    key, kid = (keys["ec"], "ec-1") if alg == "ES384" else (keys["rsa"], "rsa-1")
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, key, algorithm=alg,
                      headers={"kid": kid, "typ": "JWT"})


def post(client: TestClient, service: str, body: Any, **headers: str) -> Any:
    return client.post(f"/cds-services/{service}", json=body, headers=headers)


def outcome_reason(response: Any) -> str:
    body = response.json()
    assert body["resourceType"] == "OperationOutcome", body
    (issue,) = body["issue"]
    assert issue["severity"] == "error" and issue["diagnostics"]
    return str(issue["diagnostics"])


# -- discovery and the worked examples --------------------------------------------------------------------
def test_discovery_lists_the_three_services(open_client: TestClient) -> None:
    r = open_client.get("/cds-services")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    services = {s["id"]: s for s in r.json()["services"]}
    assert {k: s["hook"] for k, s in services.items()} == {
        "gabacare-order-select": "order-select", "gabacare-order-sign": "order-sign",
        "gabacare-patient-view": "patient-view"}
    for s in services.values():
        assert set(s["prefetch"]) == {"patient", "creatinine", "weight", "activeMeds"}


def test_worked_example_i_warns_and_offers_the_corrected_order(open_client: TestClient) -> None:
    r = post(open_client, "gabacare-order-sign", example_i())
    assert r.status_code == 200, r.text
    cards = r.json()["cards"]
    assert [c["indicator"] for c in cards] == ["warning", "info"]
    renal, older = cards
    assert renal["summary"] == "Gabapentin 1800 mg/day exceeds the 700 mg/day maximum for CrCl 26 mL/min (Cockcroft-Gault)"
    assert len(renal["summary"]) < 140 and renal["selectionBehavior"] == "at-most-one" and renal["overrideReasons"]
    (suggestion,) = renal["suggestions"]
    assert suggestion["isRecommended"] is True
    (action,) = suggestion["actions"]
    order = action["resource"]
    assert action["type"] == "update" and order["id"] == "draft-gaba-1"
    assert order["medicationCodeableConcept"]["coding"][0]["code"] == "310432"  # 400 mg capsule
    (dosage,) = order["dosageInstruction"]
    assert dosage["doseAndRate"][0]["doseQuantity"]["value"] == 400
    assert dosage["timing"]["repeat"]["frequency"] == 1
    assert dosage["maxDosePerPeriod"]["numerator"]["value"] == 700
    assert "fda-dsc-2019" in older["detail"] and "beers-2023" in older["detail"]
    for card in cards:
        assert card["uuid"] and card["source"]["label"]
        assert "not a substitute for your clinician" in card["detail"]
    # The corrected order is a valid R4B MedicationRequest, as the EHR will read it.
    from fhir.resources.R4B.medicationrequest import MedicationRequest

    MedicationRequest.model_validate(order)


def test_worked_example_ii_warns_about_the_opioid_and_not_the_kidneys(open_client: TestClient) -> None:
    r = post(open_client, "gabacare-order-select", example_ii())
    assert r.status_code == 200, r.text
    (card,) = r.json()["cards"]
    assert card["indicator"] == "warning"
    assert card["summary"] == "Gabapentin with an opioid (oxycodone): added risk of respiratory depression and sedation"
    assert "suggestions" not in card and "selectionBehavior" not in card
    assert all(s in card["detail"] for s in ("fda-dsc-2019", "gomes-2017", "beers-2023"))


def test_normal_kidneys_and_a_usual_dose_give_no_card(open_client: TestClient) -> None:
    body = example_ii()
    body["prefetch"]["activeMeds"] = {"resourceType": "Bundle", "type": "searchset", "entry": []}
    r = post(open_client, "gabacare-order-select", body)
    assert r.status_code == 200 and r.json() == {"cards": []}


@pytest.mark.parametrize("key", ["patient", "creatinine", "weight"])
def test_missing_prefetch_without_a_fhir_server_is_412_with_an_operation_outcome(open_client: TestClient, key: str) -> None:
    body = example_i()
    del body["prefetch"][key]
    r = post(open_client, "gabacare-order-sign", body)
    assert r.status_code == 412
    assert key in outcome_reason(r)


def test_missing_prefetch_and_an_unreachable_fhir_server_is_412(open_client: TestClient) -> None:
    body = example_i()
    del body["prefetch"]["creatinine"]
    body["fhirServer"] = "http://127.0.0.1:9/fhir"  # a closed loopback port: nothing answers
    started = time.monotonic()
    r = post(open_client, "gabacare-order-sign", body)
    assert r.status_code == 412 and "creatinine" in outcome_reason(r)
    assert time.monotonic() - started < 10, "an unreachable FHIR server must not hold the EHR for long"


def test_null_creatinine_gives_a_renal_check_not_done_card(open_client: TestClient) -> None:
    body = example_i()
    body["prefetch"]["creatinine"] = None
    r = post(open_client, "gabacare-order-sign", body)
    assert r.status_code == 200
    assert any(c["summary"].startswith("Renal check not done") for c in r.json()["cards"])


@pytest.mark.parametrize(("raw", "reason"), [
    (b"", "empty"),
    (b"{not json", "not valid"),
    (b"\xff\xfe\x00", "not valid"),
    (b"[]", "JSON object"),
    (b'"order-sign"', "JSON object"),
    (json.dumps({"hook": "order-sign", "context": {}}).encode(), "hookInstance"),
    (json.dumps({"hook": "patient-view", "hookInstance": "x", "context": {"patientId": "p"}}).encode(), "order-sign"),
    (json.dumps({"hook": "order-sign", "hookInstance": "x", "context": {"userId": "u", "patientId": "p"}}).encode(),
     "draftOrders"),
    (json.dumps({"hook": "order-sign", "hookInstance": "x", "context": {"patientId": "p", "draftOrders": []},
                 "prefetch": []}).encode(), "prefetch"),
])
def test_malformed_bodies_are_400_with_a_reason(open_client: TestClient, raw: bytes, reason: str) -> None:
    r = open_client.post("/cds-services/gabacare-order-sign", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 400, r.text
    assert reason in outcome_reason(r)


def test_an_unknown_service_is_404(open_client: TestClient) -> None:
    r = post(open_client, "no-such-service", example_i())
    assert r.status_code == 404 and "unknown CDS service" in outcome_reason(r)


def test_feedback_is_stored_once_and_malformed_feedback_is_refused(open_client: TestClient) -> None:
    item = {"card": "card-uuid-1", "outcome": "overridden", "outcomeTimestamp": "2025-06-01T12:05:00Z",
            "overrideReason": {"reason": {"code": "will-monitor", "system": "https://gabacare.example/override"},
                               "userComment": "seen by nephrology"}}
    first = open_client.post("/cds-services/gabacare-order-sign/feedback", json={"feedback": [item]})
    again = open_client.post("/cds-services/gabacare-order-sign/feedback", json={"feedback": [item]})
    assert first.json() == {"stored": 1, "duplicates": 0} and again.json() == {"stored": 0, "duplicates": 1}
    bad = open_client.post("/cds-services/gabacare-order-sign/feedback",
                           json={"feedback": [{"card": "c", "outcome": "accepted", "outcomeTimestamp": "2025-06-01T12:05:00Z"}]})
    assert bad.status_code == 400 and "acceptedSuggestions" in outcome_reason(bad)
    assert open_client.post("/cds-services/gabacare-order-sign/feedback", content=b"nope").status_code == 400


# -- JWT on -----------------------------------------------------------------------------------------------
def test_jwt_is_on_by_default_and_an_unconfigured_server_refuses_every_call(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="gabacare.web.cds"), TestClient(_app()) as c:
        for r in (c.get("/cds-services"), post(c, "gabacare-order-sign", example_i()),
                  c.post("/cds-services/gabacare-order-sign/feedback", json={"feedback": []})):
            assert "trusts no CDS client" in _refused(r)
    assert "no trusted client is configured" in caplog.text


def test_turning_jwt_off_is_explicit_and_logged_loudly(caplog: pytest.LogCaptureFixture,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GABACARE_CDS_REQUIRE_JWT", "false")
    settings = WebSettings(secret_key=SECRET, access_log=False)
    assert settings.cds_require_jwt is False
    with caplog.at_level("WARNING", logger="gabacare.web.cds"), TestClient(create_app(settings)) as c:
        assert c.get("/cds-services").status_code == 200
    (record,) = [r for r in caplog.records if "JWT verification is OFF" in r.getMessage()]
    assert record.levelname == "WARNING" and "never expose it" in record.getMessage()


@pytest.mark.parametrize("alg", ["ES384", "RS384"])
def test_a_valid_token_is_accepted(jwt_client: TestClient, keys: dict[str, Any], alg: str) -> None:
    path = "/cds-services/gabacare-order-sign"
    r = post(jwt_client, "gabacare-order-sign", example_i(), authorization=f"Bearer {token(keys, path, alg)}")
    assert r.status_code == 200, r.text
    assert [c["indicator"] for c in r.json()["cards"]] == ["warning", "info"]
    found = jwt_client.get("/cds-services", headers={"authorization": f"Bearer {token(keys, '/cds-services')}"})
    assert found.status_code == 200


def _refused(r: Any) -> str:
    assert r.status_code == 401, r.text
    assert r.headers["www-authenticate"].startswith("Bearer")
    return outcome_reason(r)


def test_refused_tokens_get_401(jwt_client: TestClient, keys: dict[str, Any]) -> None:
    path = "/cds-services/gabacare-order-sign"
    now = int(time.time())
    unsigned = jwt.encode({"iss": ISS, "aud": BASE + path, "exp": now + 60, "iat": now, "jti": "none-1"}, None,
                          algorithm="none")
    hmac = jwt.encode({"iss": ISS, "aud": BASE + path, "exp": now + 60, "iat": now, "jti": "hs-1"},
                      "a-shared-secret-that-is-long-enough-for-hs256", algorithm="HS256")
    cases = {
        "missing": None,
        "none": unsigned,
        "HS256": hmac,
        "wrong audience (another service)": token(keys, "/cds-services/gabacare-order-select"),
        "audience from the Host header": token(keys, path, aud="http://testserver" + path),
        "expired": token(keys, path, exp=now - 10, iat=now - 100),
        "wrong issuer": token(keys, path, iss="https://evil.example"),
        "too long-lived": token(keys, path, exp=now + 3600),
        "no jti": token(keys, path, jti=None),
    }
    for what, tok in cases.items():
        headers = {} if tok is None else {"authorization": f"Bearer {tok}"}
        r = post(jwt_client, "gabacare-order-sign", example_i(), **headers)
        assert r.status_code == 401, f"{what}: {r.status_code} {r.text}"
        _refused(r)


def test_a_reused_jti_is_refused(jwt_client: TestClient, keys: dict[str, Any]) -> None:
    tok = token(keys, "/cds-services/gabacare-order-sign")
    assert post(jwt_client, "gabacare-order-sign", example_i(), authorization=f"Bearer {tok}").status_code == 200
    reason = _refused(post(jwt_client, "gabacare-order-sign", example_i(), authorization=f"Bearer {tok}"))
    assert "already used" in reason


def test_discovery_and_feedback_need_the_token_too(jwt_client: TestClient, keys: dict[str, Any]) -> None:
    _refused(jwt_client.get("/cds-services"))
    path = "/cds-services/gabacare-order-sign/feedback"
    body = {"feedback": [{"card": "c1", "outcome": "accepted", "acceptedSuggestions": [{"id": "s1"}],
                          "outcomeTimestamp": "2025-06-01T12:00:00Z"}]}
    _refused(jwt_client.post(path, json=body))
    ok = jwt_client.post(path, json=body, headers={"authorization": f"Bearer {token(keys, path)}"})
    assert ok.status_code == 200 and ok.json()["stored"] == 1


def test_jwt_on_without_its_settings_refuses_to_start() -> None:
    with pytest.raises(ValueError, match="GABACARE_PUBLIC_BASE_URL"):
        WebSettings(secret_key=SECRET, cds_require_jwt=True, cds_issuers=(ISS,))


# -- CORS -------------------------------------------------------------------------------------------------
def test_cors_preflight_allows_the_configured_origin_only(open_client: TestClient) -> None:
    ask = {"access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type"}
    ok = open_client.options("/cds-services/gabacare-order-sign", headers={"origin": EHR_ORIGIN, **ask})
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == EHR_ORIGIN
    assert set(ok.headers["access-control-allow-methods"].replace(" ", "").split(",")) == {"GET", "POST", "OPTIONS"}
    allowed = set(ok.headers["access-control-allow-headers"].lower().replace(" ", "").split(","))
    assert {"authorization", "content-type"} <= allowed
    other = open_client.options("/cds-services/gabacare-order-sign", headers={"origin": "https://evil.example", **ask})
    assert other.status_code == 400 and "access-control-allow-origin" not in other.headers
    call = post(open_client, "gabacare-order-sign", example_i(), origin=EHR_ORIGIN)
    assert call.headers["access-control-allow-origin"] == EHR_ORIGIN


def test_cors_stays_off_the_pages_and_the_api(open_client: TestClient) -> None:
    r = open_client.get("/api/v1/limits", params={"crcl": 45}, headers={"origin": EHR_ORIGIN})
    assert "access-control-allow-origin" not in r.headers
    assert "access-control-allow-origin" not in open_client.get("/cds-services").headers  # no Origin, no CORS


def test_cors_origins_must_be_exact() -> None:
    with pytest.raises(ValueError, match="exact"):
        WebSettings(secret_key=SECRET, cds_cors_origins=("*",))


@pytest.mark.parametrize("origin", ["https://fhir.example.org/r4", "*", "fhir.example.org", "https://u:p@fhir.example.org",
                                    "ftp://fhir.example.org", "https://fhir.example.org?x=1"])
def test_fhir_server_origins_must_be_exact(origin: str) -> None:
    with pytest.raises(ValueError, match="GABACARE_CDS_FHIR_SERVERS"):
        WebSettings(secret_key=SECRET, cds_fhir_servers=(origin,))


def test_fhir_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GABACARE_CDS_FHIR_SERVERS", "https://fhir.example.org/, http://127.0.0.1:8080")
    monkeypatch.setenv("GABACARE_CDS_FHIR_PRIVATE_NETWORKS", "10.20.0.0/16,::1/128")
    settings = WebSettings(secret_key=SECRET)
    assert settings.cds_fhir_servers == ("https://fhir.example.org", "http://127.0.0.1:8080")
    assert settings.cds_fhir_private_networks == ("10.20.0.0/16", "::1/128")
    monkeypatch.setenv("GABACARE_CDS_FHIR_PRIVATE_NETWORKS", "intranet")
    with pytest.raises(ValueError, match="GABACARE_CDS_FHIR_PRIVATE_NETWORKS"):
        WebSettings(secret_key=SECRET)


# -- patient-view, linked to a real journal ----------------------------------------------------------------
def test_patient_view_summarises_the_linked_journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gabacare import composition
    from gabacare.journal.model import PlanSpec

    url = f"sqlite:///{tmp_path / 'journal.db'}"
    monkeypatch.setenv("GABACARE_DB", url)
    journal = composition.journal(url)
    patient = journal.add_patient("Linked Patient", birth_date=date(1950, 1, 1), sex="female", weight_kg=60)
    today = journal.clock().date()
    journal.set_plan(patient.id, PlanSpec(source="regimen", start=today - timedelta(days=3), regimen="300 mg TID"))
    for days_ago in (3, 2, 1):
        at = datetime.combine(today - timedelta(days=days_ago), datetime.min.time()).replace(hour=8)
        journal.log_dose(patient.id, 300, at=at)
        journal.log_symptom(patient.id, "pain", 7 - days_ago, at=at)
    journal.log_side_effect(patient.id, "my lips are swelling", at=datetime.combine(today - timedelta(days=1),
                                                                                      datetime.min.time()).replace(hour=9))
    links = tmp_path / "links.json"
    links.write_text(json.dumps({"ehr-123": patient.id}))
    try:
        with TestClient(_app(cds_require_jwt=False, cds_patient_links_file=links)) as c:
            body = {"hook": "patient-view", "hookInstance": "0d9c3e5a-3c1b-4a7e-9f77-1b2c3d4e5f60",
                    "context": {"userId": "Practitioner/prac-7", "patientId": "ehr-123"}}
            answer = post(c, "gabacare-patient-view", body)
            assert answer.status_code == 200, answer.text
            (card,) = answer.json()["cards"]
            assert card["indicator"] == "warning"  # an emergency was flagged by the triage
            assert "1 emergency" in card["summary"] and "adherence" in card["summary"]
            assert "my lips are swelling" in card["detail"] and "pain" in card["detail"]
            unlinked = dict(body, context={"userId": "Practitioner/prac-7", "patientId": "someone-else"})
            assert post(c, "gabacare-patient-view", unlinked).json() == {"cards": []}
    finally:
        composition.close_stores()


def _linked_patient_view(tmp_path: Path, patient_id: int) -> list[dict[str, Any]]:
    """The patient-view cards for a GabaCare patient linked as "ehr-1" (the journal's stores closed after)."""
    from gabacare import composition

    links = tmp_path / "links.json"
    links.write_text(json.dumps({"ehr-1": patient_id}))
    try:
        with TestClient(_app(cds_require_jwt=False, cds_patient_links_file=links)) as c:
            body = {"hook": "patient-view", "hookInstance": "0d9c3e5a-3c1b-4a7e-9f77-1b2c3d4e5f61",
                    "context": {"userId": "Practitioner/prac-7", "patientId": "ehr-1"}}
            answer = post(c, "gabacare-patient-view", body)
            assert answer.status_code == 200, answer.text
            cards: list[dict[str, Any]] = answer.json()["cards"]
            return cards
    finally:
        composition.close_stores()


def test_patient_view_adds_a_card_for_a_measured_level(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gabacare import composition
    from gabacare.app.estimate import estimate_patient
    from gabacare.journal.model import PlanSpec

    url = f"sqlite:///{tmp_path / 'journal.db'}"
    monkeypatch.setenv("GABACARE_DB", url)
    journal = composition.journal(url)
    patient = journal.add_patient("Level Patient", birth_date=date(1950, 1, 1), sex="female", weight_kg=60)
    today = journal.clock().date()
    first = datetime.combine(today - timedelta(days=4), datetime.min.time()).replace(hour=8)
    journal.set_plan(patient.id, PlanSpec(source="regimen", start=first.date(), regimen="600 mg TID"))
    for k in range(9):
        journal.log_dose(patient.id, 600, at=first + timedelta(hours=8 * k))
    journal.log_lab(patient.id, "creatinine", 1.3, unit="mg/dL", at=first)  # CrCl ~37 mL/min: 600 TID is above the band
    journal.log_lab(patient.id, "gabapentin", 11.0, unit="mg/L", at=first + timedelta(hours=71, minutes=45))
    expected = estimate_patient(journal, patient.id)
    summary_card, level_card = _linked_patient_view(tmp_path, patient.id)
    assert "GabaCare journal" in summary_card["summary"]
    assert "11.0 mg/L" in level_card["summary"] and "11.00 mg/L" in level_card["detail"]
    assert expected.proposal is not None and expected.proposal.describe() in level_card["detail"]
    assert level_card["indicator"] == "warning" and "above the label's maximum" in level_card["detail"]
    assert "not a substitute" in level_card["detail"].lower()


def test_patient_view_adds_the_withdrawal_watch_during_a_taper(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gabacare import composition
    from gabacare.app.questionnaires import taper_watch
    from gabacare.journal.model import PlanSpec

    url = f"sqlite:///{tmp_path / 'journal.db'}"
    monkeypatch.setenv("GABACARE_DB", url)
    journal = composition.journal(url)
    patient = journal.add_patient("Taper Patient")
    now = journal.clock()
    journal.set_plan(patient.id, PlanSpec("taper", (now - timedelta(days=1)).date(), regimen="300 mg TID"))
    journal.log_symptom(patient.id, "sweating", 8, at=now - timedelta(minutes=30))
    expected = taper_watch(journal, patient.id).result
    cards = _linked_patient_view(tmp_path, patient.id)
    watch = next(card for card in cards if card["summary"].startswith("Withdrawal watch"))
    assert expected is not None and expected.proposal == "step_back"
    assert watch["summary"] == f"Withdrawal watch: {expected.title}" and watch["indicator"] == "warning"
    assert "sweating" in watch["detail"] and "900 -> 600 mg/day" in watch["detail"]


def test_a_broken_links_file_stops_the_app_from_starting(tmp_path: Path) -> None:
    links = tmp_path / "links.json"
    links.write_text(json.dumps({"ehr-123": "not an id"}))
    with pytest.raises(ValueError, match="GABACARE_CDS_PATIENT_LINKS_FILE"):
        _app(cds_patient_links_file=links)


# -- the public sample bodies (../shared/cds_samples): never a 5xx -----------------------------------------
SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "cds_samples"
_HOOK_SERVICE = {"order-select": "gabacare-order-select", "order-sign": "gabacare-order-sign",
                 "patient-view": "gabacare-patient-view"}


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/cds_samples not beside the checkout")
def test_public_sample_bodies_never_get_a_server_error(open_client: TestClient) -> None:
    for path in sorted(SAMPLES.glob("*.json")):
        raw = path.read_bytes()
        doc = json.loads(raw.decode("utf-8-sig"))
        if isinstance(doc, dict) and "fhirServer" in doc:  # never reach the outside hosts the samples name
            doc["fhirServer"] = "http://127.0.0.1:9/fhir"
            raw = json.dumps(doc).encode()
        service = _HOOK_SERVICE.get(doc.get("hook") if isinstance(doc, dict) else None, "gabacare-order-sign")
        r = open_client.post(f"/cds-services/{service}", content=raw, headers={"content-type": "application/json"})
        assert r.status_code in (200, 400, 412), f"{path.name}: {r.status_code} {r.text[:200]}"
        if r.status_code != 200:
            outcome_reason(r)


def test_cds_replies_set_no_browser_cookie():
    """The EHR calling the service is not a browser session: no CSRF cookie on its replies."""
    with TestClient(_app(cds_require_jwt=False)) as client:
        r = client.get("/cds-services")
        assert r.status_code == 200
        assert "set-cookie" not in {k.lower() for k in r.headers}
        page = client.get("/plan/titrate")
        assert "set-cookie" in {k.lower() for k in page.headers}  # pages still get their CSRF cookie
