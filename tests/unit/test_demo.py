"""`make run` prints the demo: a titration plan, a renal check and an interaction check."""

import subprocess
import sys


def test_demo_prints_plan_renal_check_and_interactions() -> None:
    out = subprocess.run([sys.executable, "-m", "gabacare.demo"], capture_output=True, text=True, timeout=120,
                         env={"COLUMNS": "120", "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "Spasticity" in text and "titration to 900 mg/day" in text
    assert "Creatinine clearance: 30.4 mL/min" in text
    assert "renal_max_exceeded" in text
    assert "Percocet" in text and "unknown" in text
    assert "not a substitute for your clinician" in text
