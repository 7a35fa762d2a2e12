"""Fuzz every API and CDS route against a real server process (``gabacare serve``), as attackers meet it.

``test_schemathesis.py`` fuzzes the app in-process; this module sends the generated requests over
HTTP to a subprocess and watches that process: no answer may be a 5xx, and its peak resident memory
(``VmHWM``) must stay under a stated bound for the whole run. The request count, the 5xx count and
the peak memory are printed (``-s``) for the closing note. CDS routes are fuzzed with the JWT check
off (the development switch); their tokens are tested in ``tests/interop/test_cds_auth.py``.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from e2e.harness import LiveServer
from gabacare.web import WebSettings, create_app

#: Peak resident memory allowed for the server over the whole run (MiB): the app takes ~150 MiB and
#: nothing a fuzzed request asks for may grow it much (no Argon2 here: no sign-in is fuzzed).
PEAK_MIB = 500
EXAMPLES = int(os.environ.get("GABACARE_FUZZ_EXAMPLES_LIVE", "15"))
CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance]

# The schema the server serves, read in-process (the server is started by the fixture below).
_raw = create_app(WebSettings(secret_key="fuzz-secret-key-0123456789", access_log=False)).openapi()
schema = schemathesis.openapi.from_dict(_raw)
seen: Counter[str] = Counter()


def _peak_mib(pid: int) -> float:
    match = re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    assert match, "the server's peak memory (VmHWM) is readable on Linux"
    return int(match.group(1)) / 1024


@pytest.fixture(scope="module")
def live() -> Iterator[tuple[LiveServer, requests.Session]]:
    db = Path(tempfile.mkdtemp(prefix="gabacare-fuzz-live-")) / "journal.sqlite3"
    env = {"GABACARE_DB": f"sqlite:///{db}", "GABACARE_CDS_REQUIRE_JWT": "false", "GABACARE_ACCESS_LOG": "false"}
    with LiveServer(env=env) as server, requests.Session() as session:
        yield server, session
        pid = server._proc.pid if server._proc else 0
        peak = _peak_mib(pid)
        print(f"\nlive fuzz: {sum(seen.values())} requests, {seen['5xx']} answered 5xx, "
              f"server peak memory {peak:.0f} MiB (bound {PEAK_MIB} MiB)")
        assert peak < PEAK_MIB, f"server peak memory {peak:.0f} MiB is above {PEAK_MIB} MiB"


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_route_answers_5xx_over_http(case: schemathesis.Case, live: tuple[LiveServer, requests.Session]) -> None:
    server, session = live
    response = case.call(base_url=server.url, session=session, timeout=30)
    seen["5xx" if response.status_code >= 500 else "ok"] += 1
    case.validate_response(response, checks=CHECKS)


def test_the_live_fuzz_covers_the_cds_and_journal_routes() -> None:
    # A guard against fuzzing nothing: the routes attackers reach are in the schema sent.
    paths = set(_raw["paths"])
    assert {"/cds-services/{service_id}", "/api/v1/patients/{patient_id}/fhir", "/api/v1/titrate"} <= paths
