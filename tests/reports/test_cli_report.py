"""`gabacare report` end to end through the CLI (in-process) on a SQLite journal."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from gabacare.cli import app

from ._journal import END, NAME, START

runner = CliRunner()


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_report_writes_a_pdf_and_html(journal_facts, tmp_path: Path) -> None:
    _, facts, url = journal_facts
    period = ["--from", START.isoformat(), "--to", END.isoformat()]
    pdf = tmp_path / "x.pdf"
    code, out, err = _run("report", "--patient", str(facts.pid), *period, "--out", str(pdf), "--db", url,
                          "--medicine", "Percocet", "--json")
    assert code == 0, err
    body = json.loads(out)
    assert body["out"] == str(pdf) and body["format"] == "pdf" and body["emergency"] is True
    assert body["adherence"]["scheduled"] == facts.scheduled
    assert [f["input"] for f in body["medicines"]["findings"]] == ["Percocet"]
    assert pdf.read_bytes().startswith(b"%PDF-")

    page = tmp_path / "x.html"
    code, out, err = _run("report", "--patient", str(facts.pid), *period, "--out", str(page), "--db", url)
    assert code == 0, err
    assert str(page) in " ".join(out.split()) and NAME in page.read_text(encoding="utf-8")


def test_report_summary_without_out(journal_facts) -> None:
    _, facts, url = journal_facts
    code, out, err = _run("report", "--patient", str(facts.pid), "--from", START.isoformat(), "--to", END.isoformat(),
                          "--db", url)
    assert code == 0, err
    flat = " ".join(out.split())
    assert "EMERGENCY" in flat and "swollen lips" in flat and "Adherence:" in flat
    assert "Other medicines: none recorded." in flat
    assert flat.index("EMERGENCY") < flat.index("Adherence:")


def test_bad_input_exits_2_with_one_line(journal_facts, tmp_path: Path) -> None:
    _, facts, url = journal_facts
    pid = str(facts.pid)
    cases = [
        (["--from", "2026-13-01"], "--from must be a date"),
        (["--to", "yesterday"], "--to must be a date"),
        (["--from", "2026-06-28", "--to", "2026-06-01"], "after its end"),
        (["--out", str(tmp_path / "x.docx")], "--out must end in .pdf or .html"),
    ]
    for extra, message in cases:
        code, out, err = _run("report", "--patient", pid, *extra, "--db", url)
        assert code == 2 and out == "", (extra, out, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], (extra, err)
    code, out, err = _run("report", "--patient", "424242", "--db", url, "--json")
    assert code == 2 and out == "" and "unknown patient" in err
    assert not (tmp_path / "x.docx").exists()
