"""Fuzz the JSON API from its own OpenAPI schema (schemathesis 4, in-process ASGI).

Every operation gets generated valid and invalid requests; each answer must not be a server error
and must conform to the schema (status documented, body matching its model, problem bodies for
errors). Example counts are bounded so the whole module stays fast; raise them locally with
``GABACARE_FUZZ_EXAMPLES=500``.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from gabacare.web import WebSettings, create_app

# The checks: no server error, and every answer as documented (status, content type, headers, body).
# Left out on purpose: "positive data accepted" (schema-valid input can still be clinically
# implausible, e.g. a creatinine of 0, and is refused with a 422 problem) and "negative data
# rejected" (FastAPI's lax parsing reads JSON `false` as 0 and a repeated query value as its last).
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]
EXAMPLES = int(os.environ.get("GABACARE_FUZZ_EXAMPLES", "40"))

# CDS routes fuzzed without the JWT check (their tokens are tested in tests/interop/test_cds_auth.py).
app = create_app(WebSettings(secret_key="fuzz-secret-key-0123456789", access_log=False, cds_require_jwt=False))
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_never_errors_and_conforms_to_its_schema(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=CHECKS)


@pytest.mark.parametrize("path", ["/api/v1/crcl", "/api/v1/titrate", "/api/v1/symptoms", "/api/v1/ask", "/api/v1/compare",
                                  "/api/v1/topics/{topic_id}", "/cds-services", "/cds-services/{service_id}",
                                  "/cds-services/{service_id}/feedback", "/api/v1/patients/{patient_id}/fhir"])
def test_the_fuzzed_schema_is_the_served_one(path: str) -> None:
    # A guard against fuzzing nothing: the schema must list the operations the CLI has.
    assert path in schema.raw_schema["paths"]
