"""The JSON API answers byte for byte as before its speed work (issue 14, item 7).

Two checks, for each request below:

* against the old response path, run now: the route's result through ``jsonable``, FastAPI's
  ``jsonable_encoder`` and ``JSONResponse`` (what the routes returned before they returned bytes).
  Status, content type, length and body must be identical. This holds whatever the knowledge base says.
* against ``data/api_golden.json``: status, content type and body text as the API gave them before
  the change (generated from the code of commit 1f54862). Where the old path itself now answers
  differently (the knowledge base or the rules changed since), that entry is not compared; when all
  have drifted, regenerate it: ``GABACARE_REGEN_GOLDEN=1 .venv/bin/pytest tests/web/test_api_bytes_golden.py``.

Every body must also be strict JSON (no NaN or Infinity).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

import gabacare.web.api as api
from gabacare.serialize import jsonable

GOLDEN = Path(__file__).parent / "data" / "api_golden.json"

_PHN = {"indication": "postherpetic-neuralgia", "target_mg": 1800, "start": "2026-03-02"}

#: (method, path, query params or None, JSON body or None)
REQUESTS: list[tuple[str, str, dict[str, Any] | None, Any]] = [
    ("POST", "/api/v1/titrate", None, _PHN),
    ("GET", "/api/v1/titrate", _PHN, None),
    ("POST", "/api/v1/titrate", None, {"indication": "phn", "start": "2026-03-02"}),
    ("POST", "/api/v1/titrate", None, {"indication": "epilepsy", "start": "2026-01-31", "crcl": 25}),
    ("POST", "/api/v1/titrate", None, {"indication": "epilepsy-child", "start": "2026-02-27", "weight_kg": 23.5,
                                       "age": 7}),
    ("POST", "/api/v1/titrate", None, {"indication": "diabetic-neuropathy", "start": "2028-02-25", "target_mg": 3600}),
    ("POST", "/api/v1/titrate", None, {"indication": "fibromyalgia", "start": "2026-12-28", "crcl": 12}),
    ("POST", "/api/v1/titrate", None, {"indication": "restless-legs", "start": "2026-03-02"}),
    ("POST", "/api/v1/titrate", None, {"indication": "spasticity", "start": "2026-03-02", "crcl": 45.5}),
    ("POST", "/api/v1/titrate", None, {"indication": "anxiety", "start": "2026-03-02", "target_mg": 900}),
    ("POST", "/api/v1/titrate", None, {"indication": "postherpetic-neuralgia", "start": "2026-03-02", "target_mg": 1e9}),
    ("POST", "/api/v1/titrate", None, {"indication": "nothing-like-this", "start": "2026-03-02"}),
    ("POST", "/api/v1/titrate", None, {"indication": "phn", "start": "1066-10-14"}),
    ("POST", "/api/v1/titrate", None, {"indication": "phn", "start": 20260302}),
    ("POST", "/api/v1/titrate", None, {"start": "2026-03-02"}),
    ("POST", "/api/v1/titrate", None, {"indication": "phn", "start": "2026-03-02", "extra": True}),
    ("POST", "/api/v1/titrate", None, {"indication": "phn\u202e\x9b", "start": "2026-03-02"}),
    ("POST", "/api/v1/taper", None, {"from": "600 mg TID", "start": "2026-03-02"}),
    ("POST", "/api/v1/taper", None, {"from": "300-300-600", "start": "2026-03-02", "risk": "high", "crcl": 40}),
    ("GET", "/api/v1/taper", {"from": "900 mg BID", "start": "2026-03-02", "step_mg": 300}, None),
    ("POST", "/api/v1/check", None, {"regimen": "2400 mg TID"}),
    ("POST", "/api/v1/check", None, {"regimen": "600 mg BID", "crcl": 25, "indication": "epilepsy",
                                     "with": ["oxycodone", "beer", "zzz-unknown"]}),
    ("GET", "/api/v1/check", {"regimen": "300 mg TID"}, None),
    ("GET", "/api/v1/interactions", {"drugs": ["tramadol", "xanax", "beer", "nothing-known"], "age": 70}, None),
    ("POST", "/api/v1/interactions", None, {"drugs": ["morphine", "Maalox"]}),
    ("POST", "/api/v1/symptoms", None, {"symptoms": ["sleepy", "swollen lips", "dizzy when I stand up"]}),
    ("POST", "/api/v1/symptoms", None, {"symptoms": ["I can't breathe properly", "rash"]}),
    ("GET", "/api/v1/missed", {"schedule": "08:00,20:00", "missed": "08:00", "now": "17:00"}, None),
    ("GET", "/api/v1/missed", {"schedule": "08:00,14:00,21:00", "missed": "14:00", "now": "15:30", "epilepsy": True},
     None),
    ("GET", "/api/v1/crcl", {"age": 60, "sex": "male", "weight_kg": 72, "scr": 1}, None),
    ("GET", "/api/v1/crcl", {"age": 79, "sex": "female", "weight_kg": 51.3, "scr": 110, "scr_unit": "umol/L"}, None),
    ("GET", "/api/v1/limits", {"crcl": 45}, None),
    ("GET", "/api/v1/limits", {"crcl": 10, "hemodialysis": True}, None),
    ("GET", "/api/v1/limits", {"age": 80, "sex": "female", "weight_kg": 50, "scr": 1.4}, None),
    ("GET", "/api/v1/limits", {"crcl": 0}, None),
    ("GET", "/api/v1/simulate", {"regimen": "300 mg TID", "days": 3}, None),
    ("GET", "/api/v1/simulate", {"regimen": "600 mg BID", "crcl": 20, "days": 2, "step_min": 30,
                                 "missed": ["2"], "dialysis": ["day2@09:00"]}, None),
    ("GET", "/api/v1/compare", {"indication": "postherpetic-neuralgia"}, None),
    ("GET", "/api/v1/topics", None, None),
]


def _key(method: str, path: str, params: dict[str, Any] | None, body: Any) -> str:
    return json.dumps([method, path, params, body], sort_keys=True)


def _answer(client: TestClient, method: str, path: str, params: dict[str, Any] | None, body: Any) -> dict[str, Any]:
    extra: dict[str, Any] = {} if body is None else {"json": body}
    r = client.request(method, path, params=params, **extra)
    return {"status": r.status_code, "content_type": r.headers.get("content-type"), "body": r.text,
            "length": r.headers.get("content-length")}


def _old_path(result: Any) -> JSONResponse:
    """How the routes answered before: a dict, walked by FastAPI, dumped by ``JSONResponse``."""
    return JSONResponse(jsonable_encoder(jsonable(result)))


def _answers(client: TestClient) -> dict[str, dict[str, Any]]:
    return {_key(*req): _answer(client, *req) for req in REQUESTS}


def _old_answers(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> dict[str, dict[str, Any]]:
    with monkeypatch.context() as patch:
        patch.setattr(api, "_json", _old_path)
        with TestClient(app, base_url="http://testserver") as old_client:
            return _answers(old_client)


def test_api_answers_are_byte_identical_to_the_old_response_path(client: TestClient, app: FastAPI,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    new, old = _answers(client), _old_answers(app, monkeypatch)
    for key, answer in new.items():
        assert answer == old[key], key


def test_api_answers_are_byte_identical_to_the_golden_sample(client: TestClient, app: FastAPI,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    answers = {k: {f: v for f, v in a.items() if f != "length"} for k, a in _answers(client).items()}
    if os.environ.get("GABACARE_REGEN_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(answers, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        pytest.skip("golden sample regenerated")
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert set(answers) == set(golden), "the request list and the golden sample differ: regenerate deliberately"
    old = _old_answers(app, monkeypatch)
    drifted = [key for key in golden if {f: v for f, v in old[key].items() if f != "length"} != golden[key]]
    if len(drifted) == len(golden):
        pytest.skip("every golden answer has changed content since it was taken: regenerate it")
    for key, answer in answers.items():
        if key not in drifted:
            assert answer == golden[key], key


def test_every_golden_body_is_strict_json() -> None:
    def refuse(constant: str) -> Any:
        raise AssertionError(f"non-JSON constant {constant}")

    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert len(golden) == len(REQUESTS)
    for answer in golden.values():
        json.loads(answer["body"], parse_constant=refuse)
