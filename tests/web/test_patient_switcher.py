"""Issue 15 item 4a: the header's patient switcher (a caregiver with several patients), in process.

With two patients every owner journal page shows a labelled ``<select>`` listing both, and its "Go"
(a plain GET form, no script) opens the same tab for the chosen patient; with one patient there is
no switcher; another account's patients never appear in it, and the switch route refuses them (404)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from .test_journal_pages import add_patient, japp, sign_up  # noqa: F401  (japp: the module's app fixture)


def _switcher(html: str) -> str | None:
    m = re.search(r'<form method="get" action="/patients/switch" class="patient-switch">(.*?)</form>', html, re.S)
    return m.group(1) if m else None


def _options(form: str) -> dict[int, str]:
    return {int(v): name for v, name in re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>', form)}


@pytest.fixture
def caregiver(japp: FastAPI) -> Iterator[tuple[TestClient, int, int]]:  # noqa: F811
    with TestClient(japp, base_url="http://testserver") as c:
        sign_up(c, f"carer-{uuid.uuid4().hex[:8]}@example.org", "Carer")
        first = add_patient(c, "Mum Patient")
        second = add_patient(c, "Dad Patient")
        yield c, first, second


@pytest.mark.parametrize("tab", ["today", "log", "plan", "trends", "levels", "report", "share", "audit"])
def test_two_patients_the_switcher_lists_both_and_keeps_the_tab(caregiver: tuple[TestClient, int, int], tab: str) -> None:
    c, first, second = caregiver
    page = c.get(f"/patients/{first}/{tab}")
    assert page.status_code == 200
    form = _switcher(page.text)
    assert form is not None, f"no switcher on {tab}"
    assert '<label for="patient-switch">Patient</label>' in form
    assert _options(form) == {first: "Mum Patient", second: "Dad Patient"}
    assert re.search(rf'<option value="{first}" selected>', form)  # the patient shown is the one chosen
    assert f'<input type="hidden" name="tab" value="{tab}">' in form
    # "Go" without JavaScript: the same tab, for the other patient.
    r = c.get("/patients/switch", params={"patient": second, "tab": tab}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/patients/{second}/{tab}"
    assert c.get(r.headers["location"]).status_code == 200


def test_an_unknown_tab_opens_today(caregiver: tuple[TestClient, int, int]) -> None:
    c, _, second = caregiver
    for tab in ("https://evil.example", "../account", "delete", ""):
        r = c.get("/patients/switch", params={"patient": second, "tab": tab}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == f"/patients/{second}/today"


def test_one_patient_no_switcher(japp: FastAPI) -> None:  # noqa: F811
    with TestClient(japp, base_url="http://testserver") as c:
        sign_up(c, f"single-{uuid.uuid4().hex[:8]}@example.org")
        pid = add_patient(c)
        for tab in ("today", "plan", "trends"):
            page = c.get(f"/patients/{pid}/{tab}")
            assert page.status_code == 200 and _switcher(page.text) is None
            assert 'id="patient-switch"' not in page.text


def test_another_accounts_patients_never_appear(japp: FastAPI, caregiver: tuple[TestClient, int, int]) -> None:  # noqa: F811
    c, first, second = caregiver
    with TestClient(japp, base_url="http://testserver") as other:
        sign_up(other, f"other-{uuid.uuid4().hex[:8]}@example.org", "Other")
        theirs = [add_patient(other, "Their One"), add_patient(other, "Their Two")]
        their_form = _switcher(other.get(f"/patients/{theirs[0]}/today").text)
        assert their_form is not None and set(_options(their_form)) == set(theirs)
        # Switching to someone else's patient is refused like opening their page.
        r = other.get("/patients/switch", params={"patient": first, "tab": "today"}, follow_redirects=False)
        assert r.status_code == 404
    page = c.get(f"/patients/{first}/today").text
    form = _switcher(page)
    assert form is not None and set(_options(form)) == {first, second}
    assert "Their One" not in page and "Their Two" not in page


def test_a_share_link_shows_no_switcher(caregiver: tuple[TestClient, int, int]) -> None:
    from .conftest import form_token

    c, first, _ = caregiver
    token = form_token(c.get(f"/patients/{first}/share").text)
    r = c.post(f"/patients/{first}/share", data={"csrf_token": token, "days": "7"})
    link = re.search(r"(/shared\?token=[^\"<\s]+)", r.text)
    assert link, r.text[:2000]
    with TestClient(c.app, base_url="http://testserver") as clinician:
        page = clinician.get(link.group(1).replace("&amp;", "&"))
        assert page.status_code == 200 and _switcher(page.text) is None


def test_bad_switch_input_is_a_4xx_not_a_500(caregiver: tuple[TestClient, int, int]) -> None:
    c, _, _ = caregiver
    for params in ({"patient": "x"}, {}, {"patient": str(2**70)}, {"patient": "-1"}):
        r = c.get("/patients/switch", params=params, follow_redirects=False)
        assert 400 <= r.status_code < 500, (params, r.status_code)
