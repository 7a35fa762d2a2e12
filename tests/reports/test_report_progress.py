"""Long work shows progress (issue 18, item 3): ``gabacare report --progress`` prints its steps to stderr
(never into the ``--json`` object on stdout) and stays quiet when stderr is not a terminal unless asked.
The web's report page: tests/web/test_report_pdf_hint.py."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from gabacare.cli import app

from ._journal import END, NAME, START

runner = CliRunner()


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_progress_goes_to_stderr_and_json_stays_one_object(journal_facts, tmp_path: Path) -> None:
    _, facts, url = journal_facts
    pdf = tmp_path / "x.pdf"
    code, out, err = _run("report", "--patient", str(facts.pid), "--from", START.isoformat(), "--to", END.isoformat(),
                          "--out", str(pdf), "--db", url, "--json", "--progress")
    assert code == 0, err
    body = json.loads(out)  # stdout is the one JSON object, nothing else
    assert body["format"] == "pdf" and pdf.read_bytes().startswith(b"%PDF-")
    lines = err.splitlines()
    assert [re.sub(r" \(\d+\.\d s\)$", "", line) for line in lines[:-1]] == [
        "gabacare: [1] reading the journal and building the report…",
        "gabacare: [2] drawing the charts and the HTML…",
        "gabacare: [3] laying out the PDF (a few seconds for a long period)…",
        "gabacare: [4] writing the file…",
    ]
    assert re.fullmatch(r"gabacare: done in \d+\.\d s", lines[-1])
    assert NAME not in err  # steps name the work, never the patient


def test_html_and_summary_steps(journal_facts, tmp_path: Path) -> None:
    _, facts, url = journal_facts
    page = tmp_path / "x.html"
    code, _, err = _run("report", "--patient", str(facts.pid), "--out", str(page), "--db", url, "--progress")
    assert code == 0, err
    assert "[3] writing the file" in err and "PDF" not in err
    code, out, err = _run("report", "--patient", str(facts.pid), "--db", url, "--progress")
    assert code == 0 and "Adherence:" in out
    assert err.splitlines()[0].startswith("gabacare: [1] reading the journal") and "done in" in err


def test_quiet_when_stderr_is_not_a_terminal_or_when_told(journal_facts, tmp_path: Path) -> None:
    _, facts, url = journal_facts
    for extra in ([], ["--no-progress"]):  # CliRunner's stderr is not a terminal
        code, out, err = _run("report", "--patient", str(facts.pid), "--out", str(tmp_path / "y.html"), "--db", url,
                              "--json", *extra)
        assert code == 0 and err == "" and json.loads(out)["format"] == "html"


def test_bad_input_still_exits_2_with_one_line(journal_facts) -> None:
    _, facts, url = journal_facts
    code, out, err = _run("report", "--patient", str(facts.pid), "--from", "2026-06-28", "--to", "2026-06-01",
                          "--db", url, "--progress")
    assert code == 2 and out == ""
    assert err.splitlines()[-1].startswith("gabacare: error:") and "after its end" in err

