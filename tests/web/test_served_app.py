"""The app as ``gabacare serve`` runs it: built, its lazily read data loaded, and the long-lived objects
frozen out of the garbage collector's full collections (a p99 latency fix; the figure is in
benchmarks/web_load.py, never timed here). Run in a child process: freezing the test process itself
would keep every earlier test's garbage."""

from __future__ import annotations

import json
import os
import subprocess
import sys

CHILD = """
import gc, json
from gabacare.web import create_served_app
from fastapi.testclient import TestClient
app = create_served_app()
frozen = gc.get_freeze_count()
with TestClient(app) as c:
    status = c.get("/healthz").status_code
    page = c.get("/plan/titrate").status_code
print(json.dumps({"frozen": frozen, "healthz": status, "page": page,
                  "templates_cached": len(app.state.templates.env.cache or {})}))
"""


def test_the_served_app_answers_with_its_long_lived_objects_frozen(tmp_path) -> None:
    env = {**os.environ, "GABACARE_DB": f"sqlite:///{tmp_path / 'j.sqlite3'}",
           "GABACARE_SECRET_KEY": "served-app-secret-key-0123456789", "GABACARE_ACCESS_LOG": "false"}
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=120, check=True)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["healthz"] == 200 and got["page"] == 200
    assert got["frozen"] > 50_000, got  # the knowledge base, lexicons and templates: ~190,000 objects
    assert got["templates_cached"] >= 20, got  # every page template compiled before the first request
