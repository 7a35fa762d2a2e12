"""FHIR Bundle and reminders downloads over HTTP: owner-scoped (404 for anyone else), audited, valid.

The journal and the accounts are real (SQLite in a temporary folder). Until the accounts helper's
session/bearer backend is wired into ``create_app``, ``app.state.auth`` is a small test backend that
resolves real API tokens through :meth:`Accounts.token_user`, the way the real one will.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import Request
from fastapi.testclient import TestClient

from gabacare import composition
from gabacare.web import WebSettings, create_app
from gabacare.web.deps import CurrentUser, bearer_token

CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


class TokenAuth:
    """Test auth backend: ``Authorization: Bearer <API token>`` → the account that owns the token."""

    def __init__(self, db: str) -> None:
        self.db = db

    def user_for(self, request: Request) -> CurrentUser | None:
        plaintext = bearer_token(request)
        user = None if plaintext is None else composition.accounts(self.db, password_hasher=CHEAP).token_user(plaintext)
        return None if user is None else CurrentUser(id=str(user.id), display_name=user.display_name)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from gabacare.journal.model import PlanSpec

    db = f"sqlite:///{tmp_path_factory.mktemp('journal') / 'journal.db'}"
    mp = pytest.MonkeyPatch()
    mp.setenv("GABACARE_DB", db)
    accounts = composition.accounts(db, password_hasher=CHEAP)
    owner = accounts.sign_up("owner@example.org", "correct horse battery staple", "Owner")
    other = accounts.sign_up("other@example.org", "another long passphrase here", "Other")
    owner_token, _ = accounts.create_api_token(owner, "tests")
    other_token, _ = accounts.create_api_token(other, "tests")
    patient = accounts.create_patient_for(owner, "Pat Example", birth_date=date(1950, 5, 1), sex="female", weight_kg=62)
    journal = composition.journal(db)
    today = journal.clock().date()
    journal.set_plan(patient.id, PlanSpec(source="titrate", start=today - timedelta(days=1), indication="postherpetic-neuralgia"))
    journal.log_dose(patient.id, 300, at=datetime.combine(today - timedelta(days=1), time(21, 0)))
    journal.log_symptom(patient.id, "pain", 6, at=datetime.combine(today - timedelta(days=1), time(20, 0)))
    journal.log_lab(patient.id, "creatinine", 1.1, unit="mg/dL", at=datetime.combine(today - timedelta(days=1), time(8, 0)))
    bare = accounts.create_patient_for(owner, "No Plan Yet")
    app = create_app(WebSettings(secret_key="interop-secret-key-0123456789", access_log=False))
    app.state.auth = TokenAuth(db)
    with TestClient(app) as client:
        yield {"client": client, "accounts": accounts, "owner": owner, "patient": patient.id, "bare": bare.id,
               "owner_auth": {"authorization": f"Bearer {owner_token}"},
               "other_auth": {"authorization": f"Bearer {other_token}"}}
    composition.close_stores()
    mp.undo()


def test_fhir_export_is_a_valid_r4b_bundle_and_is_audited(world: dict[str, Any]) -> None:
    from fhir.resources.R4B.bundle import Bundle

    pid = world["patient"]
    r = world["client"].get(f"/api/v1/patients/{pid}/fhir", headers=world["owner_auth"])
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/fhir+json")
    bundle = Bundle.model_validate_json(r.content)
    kinds = {e.resource.get_resource_type() for e in bundle.entry or []}
    assert bundle.type == "collection" and {"Patient", "MedicationRequest", "MedicationStatement", "Observation"} <= kinds
    log = world["accounts"].audit_log(world["owner"], pid)
    assert any(e.action == "export" and e.patient_id == pid for e in log)


@pytest.mark.parametrize("path", ["/api/v1/patients/{id}/reminders.ics", "/patients/{id}/reminders.ics"])
def test_reminders_parse_back_with_icalendar(world: dict[str, Any], path: str) -> None:
    from icalendar import Calendar

    r = world["client"].get(path.format(id=world["patient"]), params={"days": 7}, headers=world["owner_auth"])
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/calendar")
    cal = Calendar.from_ical(r.content)
    events = list(cal.walk("VEVENT"))
    assert events and all(e.get("uid") and e.walk("VALARM") for e in events)
    assert any("mg" in str(e.get("summary")) + str(e.get("description")) for e in events)
    # Stable UIDs: a second download updates the same events rather than adding new ones.
    again = Calendar.from_ical(world["client"].get(path.format(id=world["patient"]), params={"days": 7},
                                                   headers=world["owner_auth"]).content)
    assert {str(e.get("uid")) for e in again.walk("VEVENT")} == {str(e.get("uid")) for e in events}


@pytest.mark.parametrize("path", ["/api/v1/patients/{id}/fhir", "/api/v1/patients/{id}/reminders.ics",
                                  "/patients/{id}/reminders.ics"])
def test_another_user_and_unknown_ids_get_404_and_nobody_gets_401(world: dict[str, Any], path: str) -> None:
    c = world["client"]
    assert c.get(path.format(id=world["patient"]), headers=world["other_auth"]).status_code == 404
    assert c.get(path.format(id=999_999), headers=world["owner_auth"]).status_code == 404
    assert c.get(path.format(id=world["patient"])).status_code == 401


@pytest.mark.parametrize("days", [0, -1, 367, "lots"])
def test_reminder_days_are_bounded(world: dict[str, Any], days: Any) -> None:
    r = world["client"].get(f"/api/v1/patients/{world['patient']}/reminders.ics", params={"days": days},
                            headers=world["owner_auth"])
    assert r.status_code == 422


def test_reminders_without_a_plan_are_a_409_problem(world: dict[str, Any]) -> None:
    r = world["client"].get(f"/api/v1/patients/{world['bare']}/reminders.ics", headers=world["owner_auth"])
    assert r.status_code == 409 and "no plan" in r.json()["detail"]


def test_downloads_are_in_the_openapi_schema(world: dict[str, Any]) -> None:
    paths = world["client"].get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/patients/{patient_id}/fhir" in paths and "/api/v1/patients/{patient_id}/reminders.ics" in paths
