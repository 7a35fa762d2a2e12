"""Server-rendered pages without a browser: forms, results with citations, refusals, HTMX partials."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from gabacare.knowledge import load_monograph
from gabacare.web.pages import PLANNERS

from .conftest import form_token

NOTICE = "not a substitute for your clinician"


class FormAudit(HTMLParser):
    """Collects form controls and labels to check that every control is labelled."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()
        self.forms: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "label" and a.get("for"):
            self.label_for.add(str(a["for"]))
        if tag == "form":
            self.forms.append(a)
        if tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit"):
            self.controls.append(a)


@pytest.mark.parametrize("path", [p for p, *_ in PLANNERS])
def test_every_planner_page_has_labelled_controls_and_posts_its_form(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 200
    audit = FormAudit()
    audit.feed(r.text)
    unlabelled = [c.get("name") for c in audit.controls if c.get("id") not in audit.label_for and not c.get("aria-label")]
    assert not unlabelled, f"controls without a label: {unlabelled}"
    planner_forms = [f for f in audit.forms if f.get("action") == f"{path}#result"]
    assert planner_forms and planner_forms[0]["method"] == "post", "health data stays out of URLs"
    assert planner_forms[0]["hx-post"] == path
    assert 'href="#main"' in r.text and 'id="main"' in r.text, "skip link"
    assert NOTICE in r.text.lower()
    assert 'aria-current="page"' in r.text


def test_home_lists_the_tools_and_the_emergencies(client: TestClient) -> None:
    html = client.get("/").text
    for path, _name, title, _ in PLANNERS:
        assert f'href="{path}"' in html and title in html
    for e in load_monograph().adverse_effects:
        if e.urgency == "emergency":
            assert e.title in html


def post(client: TestClient, path: str, data: dict[str, str], *, htmx: bool = False) -> tuple[int, str]:
    token = form_token(client.get(path).text)
    headers = {"hx-request": "true"} if htmx else {}
    r = client.post(path, data={**data, "csrf_token": token}, headers=headers)
    return r.status_code, r.text


def test_titration_form_without_javascript_shows_the_plan_with_sources(client: TestClient) -> None:
    status, html = post(client, "/plan/titrate", {"indication": "postherpetic-neuralgia", "start": "2026-03-02"})
    assert status == 200
    assert "<html" in html, "without HTMX the whole page comes back"
    assert "Titration" in html or "titration" in html
    assert "300 × " not in html  # units render as "1 × 300 mg capsule"
    assert "1 × 300 mg capsule" in html
    assert 'class="citations"' in html and "NEURONTIN" in html
    assert "label §2.1" in html or "label §2" in html
    assert NOTICE in html.lower()
    assert 'value="2026-03-02"' in html, "the form keeps what was entered"


def test_htmx_request_gets_only_the_result_partial(client: TestClient) -> None:
    status, html = post(client, "/plan/titrate", {"indication": "phn", "start": "2026-03-02"}, htmx=True)
    assert status == 200
    assert "<html" not in html and "<form" not in html
    assert 'id="plan-title"' in html and 'class="citations"' in html


def test_refused_input_re_renders_the_form_with_the_reason(client: TestClient) -> None:
    status, html = post(client, "/plan/titrate", {"indication": "phn", "target_mg": "lots"})
    assert status == 422
    assert 'role="alert"' in html and "Target dose must be a number" in html
    assert 'value="lots"' in html
    status, partial = post(client, "/plan/titrate", {"indication": "epilepsy-child"}, htmx=True)
    assert status == 422, "htmx is configured to swap 4xx answers"
    assert 'role="alert"' in partial and "weight" in partial.lower()


def test_triage_shows_emergencies_first_as_an_alert(client: TestClient) -> None:
    status, html = post(client, "/symptoms", {"symptoms": "dizzy\nswollen lips"})
    assert status == 200
    alert = html.index('class="emergency" role="alert"')
    assert alert < html.index("Dizziness"), "the emergency comes before anything else"
    assert "call emergency services" in html[alert:alert + 2000]


def test_symptoms_without_an_emergency_have_no_alert(client: TestClient) -> None:
    _, html = post(client, "/symptoms", {"symptoms": "sleepy, weight gain"})
    assert 'class="emergency"' not in html
    assert "Sleepiness" in html and "Weight gain" in html


@pytest.mark.parametrize(("path", "data", "expect"), [
    ("/plan/taper", {"from_regimen": "600 mg TID", "start": "2026-03-02"}, "Watch for withdrawal"),
    ("/plan/kidneys", {"crcl": "45", "hemodialysis": "1"}, "After each 4-hour dialysis"),
    ("/plan/kidneys", {"age": "80", "sex": "female", "weight_kg": "60", "scr": "1.4"}, "Cockcroft-Gault"),
    ("/plan/check", {"regimen": "1200 mg TID", "crcl": "40", "with_drugs": "pregabalin"}, "problems found"),
    ("/plan/check", {"regimen": "300 mg TID"}, "Within the limits"),
    ("/plan/check", {"regimen": "600 mg TID", "crcl": "25"}, "Suggested for this kidney function:</strong> 400 mg QD"),
    ("/plan/interactions", {"drugs": "Xanax, beer, zzzunknown", "age": "70"}, "unknown"),
    ("/plan/missed", {"schedule": "08:00, 20:00", "missed": "08:00", "now": "10:00"}, "Take it now"),
    ("/plan/missed", {"schedule": "08:00, 20:00", "missed": "08:00", "now": "18:30"}, "Skip it"),
])
def test_each_planner_renders_its_result_with_sources(client: TestClient, path: str, data: dict[str, str],
                                                      expect: str) -> None:
    status, html = post(client, path, data)
    assert status == 200, html
    assert expect in html
    assert 'class="citations"' in html and NOTICE in html.lower()


@pytest.mark.parametrize(("path", "data", "reason"), [
    ("/plan/taper", {"from_regimen": "some"}, "regimen"),
    ("/plan/kidneys", {"age": "50"}, "give crcl"),
    ("/plan/check", {"regimen": "600 mg TID", "crcl": "-1"}, "above 0"),
    ("/plan/interactions", {"drugs": " "}, "at least one"),
    ("/symptoms", {"symptoms": ""}, "at least one symptom"),
    ("/plan/missed", {"schedule": "08:00", "missed": "09:00", "now": "10:00"}, "not in the schedule"),
])
def test_each_planner_refuses_bad_input_with_a_message(client: TestClient, path: str, data: dict[str, str],
                                                       reason: str) -> None:
    status, html = post(client, path, data)
    assert status == 422
    alert = re.search(r'<div class="refused" role="alert"[^>]*>(.*?)</div>', html, re.S)
    assert alert and reason in alert.group(1).lower()


def test_unknown_page_is_an_html_404(client: TestClient) -> None:
    r = client.get("/plan/nothing", headers={"accept": "text/html"})
    assert r.status_code == 404 and "<html" in r.text and "Not Found" in r.text


def test_static_assets_are_vendored_with_their_version(client: TestClient) -> None:
    html = client.get("/").text
    js = re.search(r'src="(/static/htmx-2\.0\.\d+\.min\.js)"', html)
    css = re.search(r'href="(/static/pico-2\.\d+\.\d+\.min\.css)"', html)
    assert js and css
    assert client.get(js.group(1)).status_code == 200 and client.get(css.group(1)).status_code == 200
