"""The JSON API mirrors the CLI: same parameters, same JSON (docs/cli-contract.md), problems for bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from gabacare.cli import app as cli_app

PROBLEM_KEYS = {"type", "title", "status", "detail"}


def cli_json(*args: str) -> Any:
    result = CliRunner().invoke(cli_app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body.keys() >= PROBLEM_KEYS
    assert body["status"] == status
    return dict(body)


# (API request, equivalent CLI arguments): each pair must give the same JSON.
MIRRORS = [
    (("GET", "/api/v1/crcl", {"age": 60, "sex": "male", "weight_kg": 72, "scr": 1.0}, None),
     ("crcl", "--age", "60", "--sex", "male", "--weight-kg", "72", "--scr", "1.0")),
    (("GET", "/api/v1/crcl", {"age": 70, "sex": "female", "weight_kg": 60, "scr": 110, "scr_unit": "umol/L"}, None),
     ("crcl", "--age", "70", "--sex", "female", "--weight-kg", "60", "--scr", "110", "--scr-unit", "umol/L")),
    (("GET", "/api/v1/limits", {"crcl": 45, "hemodialysis": "true"}, None), ("limits", "--crcl", "45", "--hemodialysis")),
    (("GET", "/api/v1/limits", {"age": 80, "sex": "male", "weight_kg": 70, "scr": 2.0}, None),
     ("limits", "--age", "80", "--sex", "male", "--weight-kg", "70", "--scr", "2.0")),
    (("POST", "/api/v1/titrate", None, {"indication": "phn", "start": "2026-03-02"}),
     ("titrate", "--indication", "phn", "--start", "2026-03-02")),
    (("GET", "/api/v1/titrate", {"indication": "epilepsy", "target_mg": 1800, "crcl": 45, "start": "2026-03-02"}, None),
     ("titrate", "--indication", "epilepsy", "--target-mg", "1800", "--crcl", "45", "--start", "2026-03-02")),
    (("POST", "/api/v1/titrate", None, {"indication": "epilepsy-child", "weight_kg": 20, "age": 6, "start": "2026-03-02"}),
     ("titrate", "--indication", "epilepsy-child", "--weight-kg", "20", "--age", "6", "--start", "2026-03-02")),
    (("POST", "/api/v1/taper", None, {"from": "600 mg TID", "start": "2026-03-02"}),
     ("taper", "--from", "600 mg TID", "--start", "2026-03-02")),
    (("GET", "/api/v1/taper", {"from": "300-300-600", "risk": "high", "start": "2026-03-02"}, None),
     ("taper", "--from", "300-300-600", "--risk", "high", "--start", "2026-03-02")),
    (("POST", "/api/v1/check", None, {"regimen": "1200 mg TID", "crcl": 40, "with": ["pregabalin"]}),
     ("check", "1200 mg TID", "--crcl", "40", "--with", "pregabalin")),
    (("GET", "/api/v1/check", {"regimen": "600 mg BID", "indication": "epilepsy"}, None),
     ("check", "600 mg BID", "--indication", "epilepsy")),
    (("GET", "/api/v1/interactions", {"drugs": ["Xanax", "beer", "zzzunknown"], "age": 70}, None),
     ("interactions", "Xanax", "beer", "zzzunknown", "--age", "70")),
    (("POST", "/api/v1/interactions", None, {"drugs": ["Percocet"]}), ("interactions", "Percocet")),
    (("POST", "/api/v1/symptoms", None, {"symptoms": ["dizzy", "swollen lips", "purple toes"]}),
     ("symptoms", "dizzy", "swollen lips", "purple toes")),
    (("GET", "/api/v1/missed", {"schedule": "08:00,20:00", "missed": "08:00", "now": "10:00"}, None),
     ("missed", "--schedule", "08:00,20:00", "--missed", "08:00", "--now", "10:00")),
    (("GET", "/api/v1/missed", {"schedule": "08:00,14:00,21:00", "missed": "14:00", "now": "20:00", "epilepsy": "true"},
      None), ("missed", "--schedule", "08:00,14:00,21:00", "--missed", "14:00", "--now", "20:00", "--epilepsy")),
    (("GET", "/api/v1/simulate", {"regimen": "300 mg TID"}, None), ("simulate", "300 mg TID")),
    (("GET", "/api/v1/simulate", {"regimen": "300 mg TID", "days": 2, "crcl": 10, "missed": ["2", "day2@07:00"],
                                  "dialysis": "day2@09:00", "step_min": 30}, None),
     ("simulate", "300 mg TID", "--days", "2", "--crcl", "10", "--missed", "2", "--missed", "day2@07:00",
      "--dialysis", "day2@09:00", "--step-min", "30")),
]


@pytest.mark.parametrize(("request_", "cli_args"), MIRRORS, ids=[" ".join(c[:2]) for _, c in MIRRORS])
def test_api_answers_the_same_json_as_the_cli(client: TestClient, request_: tuple[Any, ...], cli_args: tuple[str, ...]) -> None:
    method, path, params, body = request_
    r = client.request(method, path, params=params, json=body)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    assert r.json() == cli_json(*cli_args)


def test_contract_keys_of_every_endpoint(client: TestClient) -> None:
    crcl = client.get("/api/v1/crcl", params={"age": 60, "sex": "male", "weight_kg": 72, "scr": 1}).json()
    assert crcl["crcl_ml_min"] == 80
    lim = client.get("/api/v1/limits", params={"crcl": 45}).json()
    assert {"band", "min_daily_mg", "max_daily_mg", "doses_per_day", "hemodialysis_supplement_mg", "citations"} <= lim.keys()
    assert lim["hemodialysis_supplement_mg"] is None
    assert isinstance(lim["doses_per_day"], int)
    plan = client.post("/api/v1/titrate", json={"indication": "phn", "start": "2026-03-02"}).json()
    day = plan["days"][0]
    assert {"day", "date", "total_mg", "doses"} <= day.keys()
    assert {"time", "mg", "units"} <= day["doses"][0].keys()
    assert {"form", "strength_mg", "count"} <= day["doses"][0]["units"][0].keys()
    assert plan["citations"] and {"source", "section", "text", "title", "url"} <= plan["citations"][0].keys()
    taper = client.post("/api/v1/taper", json={"from": "600 mg TID", "start": "2026-03-02"}).json()
    assert taper["days"][-1]["total_mg"] == 0
    check = client.post("/api/v1/check", json={"regimen": "2400 mg TID"}).json()
    assert check["ok"] is False and {"code", "message"} <= check["problems"][0].keys()
    ix = client.get("/api/v1/interactions", params={"drugs": "tramadol"}).json()["results"][0]
    assert {"input", "known", "ingredients", "class", "severity", "action", "citations"} <= ix.keys()
    sx = client.post("/api/v1/symptoms", json={"symptoms": ["sleepy", "swollen lips"]}).json()
    assert sx["most_urgent"] == "emergency"
    assert sx["results"][0]["urgency"] == "emergency", "emergencies come first"
    assert {"input", "recognized", "urgency", "advice"} <= sx["results"][0].keys()
    missed = client.get("/api/v1/missed", params={"schedule": "08:00,20:00", "missed": "08:00", "now": "17:00"}).json()
    assert (missed["advice"], missed["next_dose"]) == ("skip", "20:00")
    sim = client.get("/api/v1/simulate", params={"regimen": "300 mg TID", "days": 3}).json()
    assert len(sim["curve"]["t_h"]) == len(sim["curve"]["c_mg_per_l"]) == 3 * 24 + 1
    assert {"cmax_mg_per_l", "tmax_h", "cmin_mg_per_l", "cavg_mg_per_l", "half_life_h"} <= sim["summary"].keys()
    for body in (crcl, lim, plan, taper, check, sx, missed, sim):
        assert "not a substitute for your clinician" in body["notice"]


@pytest.mark.parametrize(("method", "path", "params", "body", "needle"), [
    ("GET", "/api/v1/crcl", {"age": 600, "sex": "male", "weight_kg": 72, "scr": 1}, None, "age"),
    ("GET", "/api/v1/limits", {"crcl": -3}, None, "above 0"),
    ("GET", "/api/v1/limits", {"age": 50}, None, "give crcl"),
    ("POST", "/api/v1/titrate", None, {"indication": "hiccups"}, "unknown indication"),
    ("POST", "/api/v1/titrate", None, {"indication": "phn", "target_mg": 99999}, "target"),
    ("POST", "/api/v1/titrate", None, {"indication": "epilepsy-child"}, "weight"),
    ("POST", "/api/v1/titrate", None, {"indication": "phn", "start": "9999-12-31"}, "between 1900 and 2999"),
    ("POST", "/api/v1/taper", None, {"from": "lots of it"}, "regimen"),
    ("POST", "/api/v1/taper", None, {"from": "600 mg TID", "risk": "high", "step_mg": 100}, "not both"),
    ("POST", "/api/v1/check", None, {"regimen": ""}, "regimen"),
    ("POST", "/api/v1/symptoms", None, {"symptoms": ["   "]}, "at least one symptom"),
    ("POST", "/api/v1/interactions", None, {"drugs": [" "]}, "at least one"),
    ("GET", "/api/v1/missed", {"schedule": "08:00,20:00", "missed": "09:00", "now": "10:00"}, None, "not in the schedule"),
    ("GET", "/api/v1/missed", {"schedule": "8 o'clock", "missed": "08:00", "now": "10:00"}, None, "HH:MM"),
    ("GET", "/api/v1/simulate", {"regimen": "300 mg TID", "days": 0}, None, "days"),
    ("GET", "/api/v1/simulate", {"regimen": "300 mg TID", "step_min": 0.001}, None, "too many"),
    ("GET", "/api/v1/simulate", {"regimen": "300 mg TID", "dialysis": "tuesday"}, None, "dayn@hh:mm"),
    ("GET", "/api/v1/simulate", {"regimen": "300 mg TID", "days": 1, "missed": "9"}, None, "does not exist"),
])
def test_refused_clinical_input_is_a_422_problem(client: TestClient, method: str, path: str, params: Any, body: Any,
                                                 needle: str) -> None:
    problem = assert_problem(client.request(method, path, params=params, json=body), 422)
    assert problem["type"].endswith("/problems/clinical-input")
    assert needle.lower() in problem["detail"].lower()
    assert problem["instance"] == path


@pytest.mark.parametrize(("method", "path", "params", "body"), [
    ("GET", "/api/v1/crcl", {"age": 60}, None),
    ("GET", "/api/v1/crcl", {"age": "old", "sex": "male", "weight_kg": 72, "scr": 1}, None),
    ("GET", "/api/v1/crcl", {"age": 60, "sex": "other", "weight_kg": 72, "scr": 1}, None),
    ("POST", "/api/v1/titrate", None, {}),
    ("POST", "/api/v1/titrate", None, {"indication": "phn", "start": "31/01/2026"}),
    ("POST", "/api/v1/titrate", None, {"indication": "phn", "surprise": 1}),
    ("POST", "/api/v1/taper", None, {"from": "600 mg TID", "risk": "extreme"}),
    ("POST", "/api/v1/symptoms", None, {"symptoms": []}),
    ("GET", "/api/v1/interactions", {}, None),
])
def test_invalid_parameters_are_a_422_validation_problem(client: TestClient, method: str, path: str, params: Any,
                                                         body: Any) -> None:
    problem = assert_problem(client.request(method, path, params=params, json=body), 422)
    assert problem["type"].endswith("/problems/validation")
    assert problem["errors"] and {"loc", "msg", "type"} <= problem["errors"][0].keys()
    assert all("input" not in e for e in problem["errors"]), "validation problems never echo the input"


def test_malformed_json_is_a_400_problem(client: TestClient) -> None:
    r = client.post("/api/v1/titrate", content=b'{"indication": "phn",', headers={"content-type": "application/json"})
    assert assert_problem(r, 400)["type"].endswith("/problems/malformed-json")


def test_unknown_route_and_wrong_method_are_problems(client: TestClient) -> None:
    assert assert_problem(client.get("/api/v1/nothing-here"), 404)["type"] == "about:blank"
    r = client.delete("/api/v1/titrate")
    assert_problem(r, 405)
    assert "GET" in r.headers["allow"] and "POST" in r.headers["allow"]


def test_problem_types_are_documented(client: TestClient) -> None:
    slug = client.get("/api/v1/limits", params={"crcl": 0}).json()["type"].rsplit("/", 1)[1]
    page = client.get(f"/problems/{slug}")
    assert page.status_code == 200 and "Input refused" in page.text


def test_a_bug_is_a_500_problem_without_details(app: Any) -> None:
    from fastapi import APIRouter

    from gabacare.web import WebSettings, create_app

    boom = APIRouter()

    @boom.get("/api/v1/boom")
    def explode() -> None:
        raise RuntimeError("patient Jane Doe 600 mg")

    buggy = create_app(WebSettings(secret_key="test-secret-key-0123456789", access_log=False), routers=[boom])
    with TestClient(buggy, raise_server_exceptions=False) as c:
        problem = assert_problem(c.get("/api/v1/boom"), 500)
    assert "Jane" not in json.dumps(problem)


def test_openapi_schema_documents_every_cli_command_and_its_errors(client: TestClient) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    for name in ("crcl", "limits", "titrate", "taper", "check", "interactions", "symptoms", "missed", "simulate"):
        assert f"/api/v1/{name}" in paths
    assert {"get", "post"} <= paths["/api/v1/titrate"].keys()
    assert {"200", "400", "422"} <= paths["/api/v1/titrate"]["post"]["responses"].keys()
    assert not any(p.startswith("/plan") for p in paths), "pages stay out of the API schema"
    body = schema["components"]["schemas"]["TaperIn"]["properties"]
    assert "from" in body, "the taper body uses the CLI's name: from"
