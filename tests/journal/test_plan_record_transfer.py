"""A plan survives export and import as it was made (issue 18 item 7, the export's gap).

An export carries each plan's record (``record``: days, doses, warnings, citations, ``kb_version``,
``made_at``, ``origin``); an import keeps it and takes the dose rows from its days instead of making
the plan again with today's rules. A file is untrusted: a record that does not parse, whose days do
not start at the spec's start, whose doses are not plausible or whose kind does not fit the spec is
refused with its line, and nothing is written. Files without records (versions 1 and 2) still import,
their plans made from the spec as before.

A change of rules is simulated as ``test_plan_as_made`` does: the knowledge base loader serves a
modified monograph (the three-a-day clock times moved, an indication dropped).
"""

from __future__ import annotations

import copy
import csv
import io
import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gabacare.cli import app
from gabacare.journal import transfer
from gabacare.journal.errors import ImportValidationError
from gabacare.journal.memory import InMemoryJournalRepository
from gabacare.journal.model import PlanSpec
from gabacare.journal.services import Journal
from gabacare.knowledge import knowledge_version, load_monograph

from .conftest import NOW
from .test_plan_as_made import _SPECS, change_rules  # noqa: F401  (change_rules: a fixture)

START = date(2026, 7, 1)
LATER = NOW + timedelta(days=40)
runner = CliRunner()


def _patient(journal: Journal, name: str = "Ada") -> int:
    return journal.add_patient(name, birth_date=date(1960, 1, 1), sex="female", weight_kg=70).id


def _fill(journal: Journal) -> int:
    pid = _patient(journal)
    journal.set_plan(pid, PlanSpec("titrate", date(2026, 5, 1), indication="postherpetic-neuralgia"))
    journal.set_plan(pid, PlanSpec("taper", date(2026, 6, 1), regimen="300-300-600", risk="high"))
    journal.set_plan(pid, PlanSpec("regimen", START, regimen="1600 mg TID"))  # above the label: a warning
    journal.log_dose(pid, 300, at=datetime(2026, 6, 1, 7, 5))
    journal.log_note(pid, "a note, with \"quotes\"\r\nand a line", at=datetime(2026, 6, 2, 9))
    return pid


def _as_made(journal: Journal, pid: int) -> list[tuple[Any, ...]]:
    """What a stored plan is: its spec, its record and the dose rows adherence counts."""
    return [(sp.plan.spec, sp.plan.made, sp.plan.kind, sp.plan.label, sp.plan.start, sp.plan.end,
             sp.plan.continues, sp.plan.doses, sp.plan.warnings) for sp in journal.plans(pid)]


def _fresh(clock: datetime = LATER) -> Journal:
    return Journal(InMemoryJournalRepository(), clock=lambda: clock)


# -- round trip -----------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_import_keeps_each_plan_exactly_as_made(any_journal: Journal, fmt: transfer.Format) -> None:
    pid = _fill(any_journal)
    text = any_journal.export(pid, fmt)
    before = _as_made(any_journal, pid)
    assert all(made is not None and made.origin == "made" and made.made_at == NOW for _, made, *_ in before)

    # Into another patient of the same store (its SQL adapter writes the record), and into a fresh journal
    # whose clock is later: made_at, kb_version and origin are the record's, not the import's.
    other = _patient(any_journal, "Ben")
    elsewhere = _fresh()
    far = _patient(elsewhere)
    for journal, target in ((any_journal, other), (elsewhere, far)):
        counts = journal.import_text(target, text, fmt)
        assert counts == {"entries": 2, "plans": 3, "already_present": 0}
        assert _as_made(journal, target) == before
        assert journal.export(target, fmt) == text  # byte for byte
        again = journal.import_text(target, text, fmt)  # the same file again adds nothing, plans included
        assert again == {"entries": 0, "plans": 0, "already_present": 5}
        assert _as_made(journal, target) == before


def test_the_export_carries_the_record_in_a_new_column_and_key(mem_journal: Journal) -> None:
    pid = _patient(mem_journal)
    mem_journal.set_plan(pid, PlanSpec("regimen", START, regimen="300 mg TID"))
    mem_journal.log_dose(pid, 300, at=datetime(2026, 6, 1, 7))
    header = mem_journal.export(pid, "csv").splitlines()[0]
    assert header == "kind,at,mg,status,name,value,unit,text,slot,prn,uid,record"
    doc = json.loads(mem_journal.export(pid, "json"))
    assert doc["version"] == transfer.FORMAT_VERSION == 3
    plan_row, dose_row = doc["rows"]
    stored = mem_journal.plans(pid)[0].plan.made
    assert stored is not None and plan_row["record"] == stored.to_text()
    assert dose_row["record"] is None
    assert set(plan_row) == set(transfer.COLUMNS)  # every version 2 key kept, one added


def test_a_plan_made_under_other_rules_is_restored_as_made(mem_journal: Journal,
                                                           change_rules: Callable[..., None]) -> None:  # noqa: F811
    pid = _patient(mem_journal)
    made = mem_journal.set_plan(pid, PlanSpec("regimen", START, regimen="300 mg TID"))
    anxiety = mem_journal.set_plan(pid, PlanSpec("titrate", START + timedelta(days=7), indication="anxiety"))
    text = mem_journal.export(pid, "csv")
    kb_then = knowledge_version()

    change_rules(times_3=["06:00", "14:00", "22:00"], drop_indication="anxiety")

    journal = _fresh()
    target = _patient(journal)
    assert journal.import_text(target, text, "csv")["plans"] == 2
    (first, second) = journal.plans(target)
    assert first.plan.made == made.stored.plan.made and second.plan.made == anxiety.stored.plan.made
    assert first.plan.made is not None and first.plan.made.kb_version == kb_then != knowledge_version()
    assert first.plan.doses == made.stored.plan.doses  # 07:00, 14:00, 21:00: not today's 06:00 and 22:00
    assert [d.at.strftime("%H:%M") for d in first.plan.doses] == ["07:00", "14:00", "21:00"]
    assert second.plan.doses == anxiety.stored.plan.doses  # today's rules could not make it at all
    check = journal.recheck_plan(target, first.id)
    assert check is not None and not check.same and check.kb_then == kb_then
    assert journal.export(target, "csv") == text
    # Today's page tells the patient the doses as made.
    today = journal.today(target, on=START)
    assert [d.at.strftime("%H:%M") for d in today.doses] == ["07:00", "14:00", "21:00"]


def test_backup_then_restore_keeps_a_plan_made_under_other_rules(
        sqlite_template: Path, tmp_path: Path, change_rules: Callable[..., None]) -> None:  # noqa: F811
    import shutil

    from gabacare.app import backup

    from .test_backup import FAST, PASS, _site

    urls = []
    for name in ("home.sqlite3", "fresh.sqlite3"):
        shutil.copyfile(sqlite_template, tmp_path / name)
        urls.append(f"sqlite:///{tmp_path / name}")
    home, fresh = _site(urls[0]), _site(urls[1])
    try:
        patient = home.accounts.create_patient_for(home.user, "Ann Record", sex="female")
        made = home.journal.set_plan(patient.id, PlanSpec("taper", START, regimen="600 mg TID", risk="low"))
        data = backup.make_backup(home.journal, home.accounts, home.user, PASS, actor=home.actor, kdf=FAST).data

        change_rules(times_3=["06:00", "14:00", "22:00"])

        result = backup.restore_backup(fresh.journal, fresh.accounts, fresh.user, data, PASS, actor=fresh.actor)
        assert (result.created, result.plans) == (1, 1)
        (restored,) = fresh.accounts.patients_of(fresh.user)
        (plan,) = fresh.journal.plans(restored.id)
        assert plan.plan.made == made.stored.plan.made and plan.plan.doses == made.stored.plan.doses
        assert plan.plan.end == made.stored.plan.end and plan.plan.continues is False
        again = backup.restore_backup(fresh.journal, fresh.accounts, fresh.user, data, PASS, actor=fresh.actor)
        assert (again.plans, len(fresh.journal.plans(restored.id))) == (0, 1)
    finally:
        for site in (home, fresh):
            site.engine.dispose()  # type: ignore[attr-defined]


# -- older files ------------------------------------------------------------------------------------

def test_older_files_without_records_still_import_made_from_their_spec(mem_journal: Journal) -> None:
    pid = _fill(mem_journal)
    doc = json.loads(mem_journal.export(pid, "json"))
    for version, drop in ((2, ("record",)), (1, ("record", "slot", "prn", "uid"))):
        rows = [{k: v for k, v in r.items() if k not in drop} for r in doc["rows"]]
        old = json.dumps({"format": "gabacare-journal", "version": version, "rows": rows})
        journal = _fresh()
        target = _patient(journal)
        assert journal.import_text(target, old, "json")["plans"] == 3
        plans = journal.plans(target)
        assert [p.plan.doses for p in plans] == [p.plan.doses for p in mem_journal.plans(pid)]  # same rules
        assert all(p.plan.made is not None and p.plan.made.made_at == LATER for p in plans)  # made at import
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    for row in csv.reader(io.StringIO(mem_journal.export(pid, "csv"), newline="")):
        writer.writerow(row[:-1])  # a version 2 CSV file: no record column
    old_csv = out.getvalue()
    assert old_csv.startswith("kind,at,mg,status,name,value,unit,text,slot,prn,uid\n")
    journal = _fresh()
    target = _patient(journal)
    assert journal.import_text(target, old_csv, "csv") == {"entries": 2, "plans": 3, "already_present": 0}
    assert all(p.plan.made is not None and p.plan.made.made_at == LATER for p in journal.plans(target))


# -- untrusted records -------------------------------------------------------------------------------

def _record_of_first_plan(doc: dict[str, Any]) -> dict[str, Any]:
    return json.loads(doc["rows"][0]["record"])  # type: ignore[no-any-return]


def _max_dose() -> float:
    return float(load_monograph().journal_limits.max_dose_mg)


def _tampered(journal: Journal, pid: int, change: Callable[[dict[str, Any]], Any]) -> str:
    doc = json.loads(journal.export(pid, "json"))
    record = _record_of_first_plan(doc)
    out = change(record)
    doc["rows"][0]["record"] = out if isinstance(out, str) else json.dumps(record)
    return json.dumps(doc, indent=1)


def _huge_dose(r: dict[str, Any]) -> None:
    r["days"][0]["doses"][0]["mg"] = 10_000
    r["days"][0]["total_mg"] = sum(x["mg"] for x in r["days"][0]["doses"])


def _shift_days(r: dict[str, Any]) -> None:
    for d in r["days"]:
        d["date"] = (date.fromisoformat(d["date"]) + timedelta(days=1)).isoformat()


def _gap(r: dict[str, Any]) -> None:
    r["days"][1]["date"] = (date.fromisoformat(r["days"][1]["date"]) + timedelta(days=1)).isoformat()


def _over_the_day(r: dict[str, Any]) -> None:
    half = float(load_monograph().limits.max_daily_mg) / 2 + 100  # two doses, each within the one-dose bound
    r["days"][0]["doses"] = [{"time": "07:00", "mg": half, "units": []}, {"time": "21:00", "mg": half, "units": []}]
    r["days"][0]["total_mg"] = 2 * half


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(r: dict[str, Any]) -> None:
        target: Any = r
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return change


TAMPERS: list[tuple[str, Callable[[dict[str, Any]], Any], str]] = [
    ("a 10,000 mg dose", _huge_dose, "dose of 10000 mg"),
    ("days not starting at the spec's start", _shift_days, "consecutive dates from the spec's start"),
    ("a missing day", _gap, "consecutive dates"),
    ("garbage JSON", lambda r: "{not json", "not valid JSON"),
    ("JSON of something else", lambda r: "[1, 2]", "not valid JSON"),
    ("an empty record", lambda r: "", "record as text"),
    ("a day above the daily maximum", _over_the_day, "mg/day maximum"),
    ("a zero dose", _set(("days", 0, "doses", 0, "mg"), 0), "above 0"),
    ("a negative dose", _set(("days", 0, "doses", 0, "mg"), -300), "above 0"),
    ("a dose as text", _set(("days", 0, "doses", 0, "mg"), "300"), "above 0"),
    ("a dose at 25:00", _set(("days", 0, "doses", 0, "time"), "25:00"), "valid time"),
    ("two doses at one time", _set(("days", 0, "doses"), [{"time": "07:00", "mg": 300, "units": []}] * 2),
     "in order of time"),
    ("a total that is not the sum", _set(("days", 0, "total_mg"), 1), "not the sum"),
    ("another kind", _set(("kind",), "taper"), "kind must be 'titration'"),
    ("no label", _set(("label",), ""), "label"),
    ("no days", _set(("days",), []), "no days"),
    ("a made_at in 1900", _set(("made_at",), "1900-01-01T00:00:00"), "made_at"),
    ("a made_at with a zone", _set(("made_at",), "2026-06-30T12:00:00+02:00"), "time zone"),
    ("an unreadable step", _set(("steps", 0, "start"), 5), "steps, dispense or citations"),
    ("a step above the daily maximum", _set(("steps", 0, "total_mg"), 99_999), "step's total_mg"),
    ("citations that are not citations", _set(("citations",), ["label"]), "citations"),
    ("warnings that are not texts", _set(("warnings",), [{"x": 1}]), "warnings"),
]


@pytest.mark.parametrize(("what", "change", "words"), TAMPERS, ids=[t[0] for t in TAMPERS])
def test_a_tampered_record_is_refused_with_its_line_and_nothing_is_written(
        mem_journal: Journal, what: str, change: Callable[[dict[str, Any]], Any], words: str) -> None:
    pid = _patient(mem_journal)
    mem_journal.set_plan(pid, PlanSpec("titrate", START, indication="postherpetic-neuralgia"))
    mem_journal.log_dose(pid, 300, at=datetime(2026, 6, 1, 7))
    text = _tampered(mem_journal, pid, change)
    line = text.split('"rows": [')[0].count("\n") + 2  # the plan row's opening brace, under "rows"
    target = _patient(mem_journal, "Ben")

    with pytest.raises(ImportValidationError) as info:
        mem_journal.import_text(target, text, "json")

    assert info.value.problems[0][0] == line and info.value.total == 1
    message = str(info.value)
    assert f"line {line}: plan record refused" in message and words in message, message
    assert "\n" not in message
    assert mem_journal.plans(target) == [] and mem_journal.entries(target) == []  # all or nothing


def test_the_dose_bound_is_the_knowledge_bases(mem_journal: Journal) -> None:
    pid = _patient(mem_journal)
    mem_journal.set_plan(pid, PlanSpec("regimen", START, regimen="300 mg QD"))

    def one_dose(mg: float) -> Callable[[dict[str, Any]], None]:
        return _set(("days", 0), {"day": 1, "date": START.isoformat(), "total_mg": mg,
                                  "doses": [{"time": "21:00", "mg": mg, "units": []}]})

    edge, over = (_tampered(mem_journal, pid, one_dose(mg)) for mg in (_max_dose(), _max_dose() + 1))
    assert mem_journal.import_text(_patient(mem_journal, "Ben"), edge, "json")["plans"] == 1  # at the bound
    with pytest.raises(ImportValidationError, match=f"above the {_max_dose():g} mg any one dose"):
        mem_journal.import_text(_patient(mem_journal, "Cy"), over, "json")


def test_a_record_on_another_row_or_with_a_spec_that_does_not_fit_is_refused(mem_journal: Journal) -> None:
    pid = _patient(mem_journal)
    mem_journal.set_plan(pid, PlanSpec("regimen", START, regimen="300 mg TID"))
    mem_journal.log_note(pid, "hello", at=datetime(2026, 6, 1, 9))
    doc = json.loads(mem_journal.export(pid, "json"))
    record = doc["rows"][0]["record"]
    moved = copy.deepcopy(doc)
    moved["rows"][1]["record"] = record
    with pytest.raises(ImportValidationError, match="only a plan row has a record"):
        mem_journal.import_text(_patient(mem_journal, "Ben"), json.dumps(moved), "json")
    # The record of one spec under another spec (a taper's record for a regimen): refused.
    other = _patient(mem_journal, "Cy")
    mem_journal.set_plan(other, PlanSpec("taper", START, regimen="300 mg TID"))
    swapped = copy.deepcopy(doc)
    swapped["rows"][0]["record"] = json.loads(mem_journal.export(other, "json"))["rows"][0]["record"]
    with pytest.raises(ImportValidationError, match="kind must be 'maintenance'"):
        mem_journal.import_text(_patient(mem_journal, "Dee"), json.dumps(swapped), "json")


# -- faces: the CLI ---------------------------------------------------------------------------------

def _cli(db: str, *args: str, code: int = 0) -> Any:
    result = runner.invoke(app, [*args, "--db", db])
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result


@pytest.mark.parametrize("what", ["a 10,000 mg dose", "days not starting at the spec's start", "garbage JSON"])
def test_cli_import_refuses_a_tampered_record_with_exit_2(sqlite_url: str, tmp_path: Path, what: str) -> None:
    pid = json.loads(_cli(sqlite_url, "patient", "add", "Ada", "--json").stdout)["id"]
    _cli(sqlite_url, "plan", "set", "--patient", str(pid), "300 mg TID", "--start", START.isoformat())
    good = tmp_path / "good.json"
    _cli(sqlite_url, "export", "--patient", str(pid), "--format", "json", "--out", str(good))
    change, words = next((c, w) for name, c, w in TAMPERS if name == what)
    doc = json.loads(good.read_text(encoding="utf-8"))
    record = json.loads(doc["rows"][0]["record"])
    out = change(record)
    doc["rows"][0]["record"] = out if isinstance(out, str) else json.dumps(record)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    other = json.loads(_cli(sqlite_url, "patient", "add", "Ben", "--json").stdout)["id"]

    result = _cli(sqlite_url, "import", str(bad), "--patient", str(other), code=2)
    err = result.stderr.strip()
    assert "plan record refused" in err and words in " ".join(err.split()) and "line 1" in err
    assert result.stdout == ""
    empty = json.loads(_cli(sqlite_url, "export", "--patient", str(other), "--format", "json", "--json").stdout)
    assert json.loads(empty["content"])["rows"] == []  # nothing written

    ok = json.loads(_cli(sqlite_url, "import", str(good), "--patient", str(other), "--json").stdout)
    assert (ok["added"], ok["already_present"]) == (1, 0)
    again = json.loads(_cli(sqlite_url, "import", str(good), "--patient", str(other), "--json").stdout)
    assert (again["added"], again["already_present"]) == (0, 1)


# -- property ---------------------------------------------------------------------------------------

@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=st.lists(_SPECS, min_size=1, max_size=3), fmt=st.sampled_from(["csv", "json"]),
       made_at=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 1, 1)))
def test_export_import_export_is_identical_for_any_valid_plans(specs: list[PlanSpec], fmt: transfer.Format,
                                                               made_at: datetime) -> None:
    source = _fresh(made_at)
    pid = _patient(source)
    for spec in specs:
        source.set_plan(pid, spec)
    text = source.export(pid, fmt)

    target = _fresh()
    tid = _patient(target)
    assert target.import_text(tid, text, fmt)["plans"] == len(specs)

    assert target.export(tid, fmt) == text
    assert _as_made(target, tid) == _as_made(source, pid)
    assert target.import_text(tid, text, fmt) == {"entries": 0, "plans": 0, "already_present": len(specs)}
