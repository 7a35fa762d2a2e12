"""The CLI, the JSON API and the pages give the same answer, or the same refusal, for the same input.

All three call one use case of :mod:`gabacare.app`, which reads the inputs once. These are the cases
where the faces had drifted apart before that layer existed, each with the one rule now kept:

* a hemodialysis session must fall on a simulated day (``day12345@09:00`` was accepted by the CLI and
  silently ignored, refused by the web with a misleading format message); ``d2 9:00`` and comma lists
  are read the same way a missed dose is;
* a plan's start date lies between 1900 and 2999 (the CLI accepted 9999-12-01, and a taper from it
  crashed with an "unexpected" error; the API refused it);
* a blank indication in ``check`` means none (the CLI refused ``''`` as an unknown indication);
* ``interactions`` with only blank names is refused (the CLI answered an empty list);
* ``compare`` without an indication is refused with the groups (the faces said it differently);
* ``simulate`` reads its inputs in one order, so a request with several faults gets the same first
  refusal; a step that is not a finite positive number gets one message.

A refusal is exit 2 with ``gabacare: error: <message>`` on the CLI and a ``clinical-input`` 422
problem whose ``detail`` is the same ``<message>`` on the API (and the page's alert).
"""

from __future__ import annotations

import html
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from gabacare.cli import app as cli_app

from .conftest import form_token

Request = tuple[str, str, dict[str, Any] | None, dict[str, Any] | None]


def cli(*args: str) -> tuple[int, str]:
    """(exit code, the JSON text or the error message without its prefix)."""
    result = CliRunner().invoke(cli_app, [*args, "--json"])
    if result.exit_code == 0:
        return 0, result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("gabacare: error: "), result.stderr
    return result.exit_code, lines[0].removeprefix("gabacare: error: ")


def api(client: TestClient, request: Request) -> Any:
    method, path, params, body = request
    return client.request(method, path, params=params, json=body)


REFUSED: list[tuple[str, tuple[str, ...], Request, str]] = [
    ("dialysis-far-beyond-the-days", ("simulate", "300 mg TID", "--dialysis", "day12345@09:00"),
     ("GET", "/api/v1/simulate", {"regimen": "300 mg TID", "dialysis": "day12345@09:00"}, None),
     "dialysis day must be one of the simulated days 1-7, got 'day12345@09:00'"),
    ("dialysis-after-the-last-day", ("simulate", "300 mg TID", "--days", "2", "--dialysis", "day3@09:00"),
     ("GET", "/api/v1/simulate", {"regimen": "300 mg TID", "days": 2, "dialysis": "day3@09:00"}, None),
     "dialysis day must be one of the simulated days 1-2, got 'day3@09:00'"),
    ("dialysis-day-0", ("simulate", "300 mg TID", "--dialysis", "day0@09:00"),
     ("GET", "/api/v1/simulate", {"regimen": "300 mg TID", "dialysis": "day0@09:00"}, None),
     "dialysis day must be one of the simulated days 1-7, got 'day0@09:00'"),
    ("dialysis-unreadable", ("simulate", "300 mg TID", "--dialysis", "tuesday"),
     ("GET", "/api/v1/simulate", {"regimen": "300 mg TID", "dialysis": "tuesday"}, None),
     "dialysis takes dayN@HH:MM (e.g. day2@09:00), got 'tuesday'"),
    ("simulate-first-fault-is-the-regimen", ("simulate", "lots", "--step-min", "0"),
     ("GET", "/api/v1/simulate", {"regimen": "lots", "step_min": 0}, None), "cannot read regimen 'lots'"),
    ("simulate-step-not-finite", ("simulate", "300 mg TID", "--step-min", "nan"),
     ("GET", "/api/v1/simulate", {"regimen": "300 mg TID", "step_min": "nan"}, None),
     "step_min must be more than 0 minutes, got nan"),
    ("titrate-start-beyond-2999", ("titrate", "--indication", "phn", "--start", "9999-12-01"),
     ("POST", "/api/v1/titrate", None, {"indication": "phn", "start": "9999-12-01"}),
     "start date must be between 1900 and 2999, got 9999-12-01"),
    ("taper-start-beyond-2999", ("taper", "--from", "600 mg TID", "--start", "9999-12-01"),
     ("POST", "/api/v1/taper", None, {"from": "600 mg TID", "start": "9999-12-01"}),
     "start date must be between 1900 and 2999, got 9999-12-01"),
    ("taper-risk-and-step", ("taper", "--from", "600 mg TID", "--risk", "high", "--step-mg", "100"),
     ("POST", "/api/v1/taper", None, {"from": "600 mg TID", "risk": "high", "step_mg": 100}),
     "use either risk (proportional steps) or step_mg (linear steps), not both"),
    ("interactions-only-blank-names", ("interactions", " "),
     ("POST", "/api/v1/interactions", None, {"drugs": [" "]}), "give at least one medicine name"),
    ("limits-partial-estimate", ("limits", "--age", "50"),
     ("GET", "/api/v1/limits", {"age": 50}, None), "give crcl, or all of age, sex, weight_kg and scr"),
    ("compare-without-indication", ("compare", "--indication", " "),
     ("GET", "/api/v1/compare", {"indication": " "}, None),
     "give an indication: one of spasticity, neuropathic-pain, anxiety"),
]


@pytest.mark.parametrize(("cli_args", "request_", "message"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_both_faces_refuse_with_the_same_message(client: TestClient, cli_args: tuple[str, ...], request_: Request,
                                                 message: str) -> None:
    code, cli_message = cli(*cli_args)
    r = api(client, request_)
    assert code == 2, cli_message
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["type"].endswith("/problems/clinical-input")
    assert cli_message == problem["detail"]
    assert message in cli_message


ANSWERED: list[tuple[str, tuple[str, ...], Request]] = [
    ("dialysis-short-form", ("simulate", "300 mg TID", "--days", "3", "--dialysis", "d2 9:00"),
     ("GET", "/api/v1/simulate", {"regimen": "300 mg TID", "days": 3, "dialysis": "d2 9:00"}, None)),
    ("dialysis-comma-list", ("simulate", "300 mg TID", "--days", "4", "--dialysis", "day2@09:00,day4@09:00"),
     ("GET", "/api/v1/simulate", {"regimen": "300 mg TID", "days": 4, "dialysis": "day2@09:00,day4@09:00"}, None)),
    ("dialysis-last-day", ("simulate", "300 mg BID", "--days", "2", "--dialysis", "day2@22:00"),
     ("GET", "/api/v1/simulate", {"regimen": "300 mg BID", "days": 2, "dialysis": ["day2@22:00"]}, None)),
    ("check-blank-indication", ("check", "600 mg TID", "--indication", ""),
     ("GET", "/api/v1/check", {"regimen": "600 mg TID", "indication": ""}, None)),
    ("interactions-blank-name-dropped", ("interactions", "xanax", " "),
     ("POST", "/api/v1/interactions", None, {"drugs": ["xanax", " "]})),
    ("titrate-start-1900", ("titrate", "--indication", "phn", "--start", "1900-01-01"),
     ("POST", "/api/v1/titrate", None, {"indication": "phn", "start": "1900-01-01"})),
]


@pytest.mark.parametrize(("cli_args", "request_"), [r[1:] for r in ANSWERED], ids=[r[0] for r in ANSWERED])
def test_both_faces_answer_the_same_json(client: TestClient, cli_args: tuple[str, ...], request_: Request) -> None:
    code, text = cli(*cli_args)
    r = api(client, request_)
    assert code == 0, text
    assert r.status_code == 200, r.text
    assert r.json() == json.loads(text)


def test_dialysis_sessions_change_the_curve_the_same_way_on_both_faces(client: TestClient) -> None:
    base = ("simulate", "300 mg TID", "--crcl", "10", "--days", "3")
    _, without = cli(*base)
    _, with_hd = cli(*base, "--dialysis", "day2@09:00,day3@09:00")
    assert json.loads(with_hd)["curve"] != json.loads(without)["curve"], "the sessions are simulated, not ignored"
    r = client.get("/api/v1/simulate", params={"regimen": "300 mg TID", "crcl": 10, "days": 3,
                                               "dialysis": ["day2@09:00", "day3@09:00"]})
    assert r.json() == json.loads(with_hd), "repeated or comma-separated: the same sessions"


PAGES: list[tuple[str, dict[str, str], tuple[str, ...]]] = [
    ("/plan/titrate", {"indication": "phn", "start": "9999-12-01"},
     ("titrate", "--indication", "phn", "--start", "9999-12-01")),
    ("/plan/taper", {"from_regimen": "600 mg TID", "risk": "high", "step_mg": "100"},
     ("taper", "--from", "600 mg TID", "--risk", "high", "--step-mg", "100")),
    ("/plan/interactions", {"drugs": " \n "}, ("interactions", " ")),
    ("/plan/kidneys", {"age": "50"}, ("limits", "--age", "50")),
]


@pytest.mark.parametrize(("path", "form", "cli_args"), PAGES, ids=[p[0] for p in PAGES])
def test_the_pages_show_the_cli_refusal(client: TestClient, path: str, form: dict[str, str],
                                        cli_args: tuple[str, ...]) -> None:
    code, message = cli(*cli_args)
    assert code == 2
    token = form_token(client.get(path).text)
    r = client.post(path, data={**form, "csrf_token": token})
    assert r.status_code == 422
    assert 'role="alert"' in r.text and html.escape(message) in r.text
