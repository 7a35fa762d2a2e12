"""Fuzz ``/api/v1/patients`` from the OpenAPI schema (schemathesis 4, in-process), signed in with a bearer token.

Half the generated cases aim at a real patient of the token's account (so the routes do real work on
real rows), the rest at whatever id was generated (404 problems). Every answer must be documented
and never a server error. ``GABACARE_FUZZ_EXAMPLES`` raises the example count locally.
"""

from __future__ import annotations

import os
import tempfile
from datetime import date, timedelta
from pathlib import Path

import schemathesis
from argon2 import PasswordHasher
from hypothesis import HealthCheck, settings

from gabacare.journal.model import PlanSpec
from gabacare.web import WebSettings, create_app

from .test_schemathesis import CHECKS

EXAMPLES = int(os.environ.get("GABACARE_FUZZ_EXAMPLES", "25"))

_DB = Path(tempfile.mkdtemp(prefix="gabacare-fuzz-")) / "journal.sqlite3"
app = create_app(WebSettings(secret_key="fuzz-secret-key-0123456789", access_log=False, db=f"sqlite:///{_DB}"))
app.state.journal_web.password_hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
_accounts = app.state.journal_web.accounts()
_user = _accounts.sign_up("fuzz@example.org", "a long enough secret", "Fuzz")
TOKEN = _accounts.create_api_token(_user, "fuzzer")[0]
PATIENT = _accounts.create_patient_for(_user, "Fuzz Patient", birth_date=date(1960, 1, 1), sex="male", weight_kg=80).id
app.state.journal_web.journal().set_plan(PATIENT, PlanSpec("titrate", date.today() - timedelta(days=5), indication="phn"))

# Every patient route, the FHIR and reminders downloads included, fuzzed as a signed-in owner.
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app).include(path_regex=r"^/api/v1/patients")


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_journal_api_never_errors_and_conforms_to_its_schema(case: schemathesis.Case) -> None:
    if case.path_parameters and "patient_id" in case.path_parameters and hash(repr(case.body)) % 2 == 0:
        case.path_parameters["patient_id"] = PATIENT
    case.call_and_validate(headers={"authorization": f"Bearer {TOKEN}"}, checks=CHECKS)


def test_the_fuzzer_covers_every_journal_route() -> None:
    paths = set(schema.raw_schema["paths"])
    assert {f"/api/v1/patients{p}" for p in ("", "/{patient_id}/plan", "/{patient_id}/doses", "/{patient_id}/symptoms",
                                            "/{patient_id}/triggers", "/{patient_id}/side-effects",
                                            "/{patient_id}/labs", "/{patient_id}/notes", "/{patient_id}/today",
                                            "/{patient_id}/adherence", "/{patient_id}/trends", "/{patient_id}/entries",
                                            "/{patient_id}/export")} <= paths
