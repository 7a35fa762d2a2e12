"""``GET /api/v1/patients`` lists the patients shared with the account as well as its own, each with the
new key ``role`` (owner / viewer / logger); the keys it had keep their names and meanings."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from .test_journal_pages import add_patient
from .test_patient_members_web import Family, family, japp  # noqa: F401  (fixtures)


def _bearer(app: FastAPI, email: str) -> dict[str, str]:
    accounts = app.state.journal_web.accounts()
    found = accounts.repo.find_user(email)
    assert found is not None
    return {"authorization": f"Bearer {accounts.create_api_token(found[0], 'tests')[0]}"}


def test_each_account_sees_its_own_and_shared_patients_with_its_role(japp: FastAPI, family: Family) -> None:  # noqa: F811
    f = family
    own = add_patient(f.logger, "Logger's Own")
    with TestClient(japp) as c:
        def listed(who: str) -> list[tuple[int, str]]:
            r = c.get("/api/v1/patients", headers=_bearer(japp, f.emails[who]))
            assert r.status_code == 200, r.text
            patients = r.json()["patients"]
            for p in patients:  # the keys of `gabacare patient add --json`, unchanged, and the new one
                assert set(p) == {"id", "name", "birth_date", "sex", "weight_kg", "created_at", "role"}
            return [(p["id"], p["role"]) for p in patients]

        assert listed("owner") == [(f.pid, "owner")]
        assert listed("viewer") == [(f.pid, "viewer")]
        assert listed("logger") == [(own, "owner"), (f.pid, "logger")]  # owned first, then shared
        assert listed("stranger") == []
        # Removing the member takes the patient off its list at once.
        viewer = japp.state.journal_web.accounts().repo.find_user(f.emails["viewer"])[0]
        owner = japp.state.journal_web.accounts().repo.find_user(f.emails["owner"])[0]
        japp.state.journal_web.accounts().remove_member(owner, f.pid, viewer.id)
        assert listed("viewer") == []


def test_the_schema_documents_the_role_key(japp: FastAPI) -> None:  # noqa: F811
    with TestClient(japp) as c:
        schema = c.get("/api/v1/openapi.json").json()
    listed = schema["components"]["schemas"]["ListedPatientOut"]
    assert listed["properties"]["role"]["enum"] == ["owner", "viewer", "logger"]
    assert "role" in listed["required"]
