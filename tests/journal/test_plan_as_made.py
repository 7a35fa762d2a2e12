"""A plan is recorded as it was made (issue 18 item 7): the journal stores the core plan with the
knowledge base version that made it, shows that record, and re-checks it against today's rules only
when asked, reporting the differences without changing anything.

A change of rules is simulated by serving a modified monograph (the dose clock times for three doses
a day moved, or a lower daily maximum) through the knowledge base loader itself, so every rule of the
core reads it exactly as it would read an edited ``gabapentin.toml``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gabacare.cli import app
from gabacare.journal.errors import UnknownPlanError
from gabacare.journal.memory import InMemoryJournalRepository
from gabacare.journal.model import PlanSpec
from gabacare.journal.plan_record import PlanRecord, record_plan
from gabacare.journal.services import Journal
from gabacare.knowledge import knowledge_version

from .conftest import NOW

START = date(2026, 7, 1)
runner = CliRunner()


def _clear_rule_caches() -> None:
    from gabacare.clinical.regimen import schedule_times
    from gabacare.knowledge import monograph

    monograph.load_monograph.cache_clear()
    monograph.knowledge_version.cache_clear()
    schedule_times.cache_clear()


@pytest.fixture
def change_rules(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """``change_rules(times_3=[...], max_daily_mg=..., drop_indication=...)``: from then on the knowledge
    base says so."""
    from gabacare.knowledge import monograph

    original = monograph.read_raw_monograph()

    def change(*, times_3: list[str] | None = None, max_daily_mg: float | None = None,
               drop_indication: str | None = None) -> None:
        raw = copy.deepcopy(original)
        if drop_indication is not None:
            raw["indications"] = [i for i in raw["indications"] if i["id"] != drop_indication]
        if times_3 is not None:
            raw["schedule"]["times_3"] = times_3
        if max_daily_mg is not None:
            raw["limits"]["max_daily_mg"] = max_daily_mg
        monkeypatch.setenv("GABACARE_CACHE", "off")  # the on-disk cache is keyed by the files' bytes
        monkeypatch.setattr(monograph, "read_raw_monograph", lambda: copy.deepcopy(raw))
        _clear_rule_caches()

    yield change
    _clear_rule_caches()


def _patient(journal: Journal) -> int:
    return journal.add_patient("Ada", birth_date=date(1960, 1, 1), sex="female", weight_kg=70).id


def test_set_plan_stores_the_plan_as_made(any_journal: Journal) -> None:
    pid = _patient(any_journal)
    result = any_journal.set_plan(pid, PlanSpec("titrate", START, indication="postherpetic-neuralgia"))

    recorded = any_journal.recorded_plan(pid)

    assert recorded is not None and recorded.stored.id == result.stored.id
    record = recorded.record
    assert record.origin == "made" and record.made_at == NOW and record.kb_version == knowledge_version()
    assert record.kb_version.startswith("kb-") and len(record.kb_version) == 15
    assert record == record_plan(result.plan, made_at=NOW, kb_version=knowledge_version())
    out = recorded.to_json()
    assert out["days"][0]["date"] == START.isoformat() and out["citations"] and out["notice"]
    assert (out["kb_version"], out["made_at"], out["plan_id"]) == (record.kb_version, "2026-06-30T12:00", result.stored.id)
    # The record's doses are exactly the dose rows adherence counts.
    rows = [(d.at.date().isoformat(), d.at.strftime("%H:%M"), d.mg) for d in recorded.stored.plan.doses]
    assert rows == [(day["date"], x["time"], x["mg"]) for day in out["days"] for x in day["doses"]]


def test_the_record_does_not_change_when_the_rules_do(any_journal: Journal, change_rules: Callable[..., None]) -> None:
    pid = _patient(any_journal)
    made = any_journal.set_plan(pid, PlanSpec("regimen", START, regimen="300 mg TID"))
    before = any_journal.recorded_plan(pid)
    assert before is not None
    assert [x["time"] for x in before.to_json()["days"][0]["doses"]] == ["07:00", "14:00", "21:00"]

    change_rules(times_3=["06:00", "14:00", "22:00"])

    after = any_journal.recorded_plan(pid)
    assert after is not None and after.record == before.record == made.stored.plan.made
    assert [x["time"] for x in after.view().days[0].doses and after.to_json()["days"][0]["doses"]] == [
        "07:00", "14:00", "21:00"]
    check = any_journal.recheck_plan(pid)
    assert check is not None and not check.same and check.refused is None
    assert check.kb_then == before.record.kb_version != check.kb_now == knowledge_version()
    assert [(d.date, d.then, d.now) for d in check.days] == [
        (START, (("07:00", 300.0), ("14:00", 300.0), ("21:00", 300.0)),
         (("06:00", 300.0), ("14:00", 300.0), ("22:00", 300.0)))]
    assert check.to_json()["kb_changed"] is True
    # Re-checking changed nothing: not the record, not the rows adherence counts.
    again = any_journal.recorded_plan(pid)
    assert again is not None and again.record == before.record and again.stored.plan.doses == made.stored.plan.doses
    assert len(any_journal.plans(pid)) == 1


def test_recheck_reports_warnings_todays_rules_add(any_journal: Journal, change_rules: Callable[..., None]) -> None:
    pid = _patient(any_journal)
    any_journal.set_plan(pid, PlanSpec("regimen", START, regimen="1200 mg TID"))
    recorded = any_journal.recorded_plan(pid)
    assert recorded is not None and not any("2400" in w for w in recorded.record.warnings)

    change_rules(max_daily_mg=2400)

    check = any_journal.recheck_plan(pid)
    assert check is not None and not check.same and check.refused is None and check.days == ()
    assert [w for w in check.warnings_added if "2400" in w] and check.warnings_removed == ()
    after = any_journal.recorded_plan(pid)
    assert after is not None and after.record == recorded.record and after.view().days[0].total_mg == 3600


def test_recheck_reports_a_plan_todays_rules_refuse(any_journal: Journal, change_rules: Callable[..., None]) -> None:
    pid = _patient(any_journal)
    any_journal.set_plan(pid, PlanSpec("titrate", START, indication="anxiety"))

    change_rules(drop_indication="anxiety")

    check = any_journal.recheck_plan(pid)
    assert check is not None and check.refused and not check.same and check.days == ()
    assert check.to_json()["refused"] == check.refused
    recorded = any_journal.recorded_plan(pid)
    assert recorded is not None and recorded.view().label and recorded.view().days


def test_recheck_with_the_same_rules_reports_no_difference(any_journal: Journal) -> None:
    pid = _patient(any_journal)
    made = any_journal.set_plan(pid, PlanSpec("taper", START, regimen="600 mg TID", risk="high"))
    check = any_journal.recheck_plan(pid, made.stored.id)
    assert check is not None and check.same and check.kb_then == check.kb_now
    assert check.to_json()["days"] == [] and check.to_json()["same"] is True


def test_unknown_plan_and_no_plan(mem_journal: Journal) -> None:
    pid = _patient(mem_journal)
    assert mem_journal.recorded_plan(pid) is None and mem_journal.recheck_plan(pid) is None
    with pytest.raises(UnknownPlanError):
        mem_journal.recheck_plan(pid, 99)
    other = _patient(mem_journal)
    theirs = mem_journal.set_plan(other, PlanSpec("regimen", START, regimen="300 mg BID")).stored.id
    with pytest.raises(UnknownPlanError):  # another patient's plan is not this patient's
        mem_journal.recorded_plan(pid, theirs)


def test_a_damaged_record_is_a_storage_error_not_a_guess() -> None:
    from gabacare.journal.errors import JournalStorageError

    for text in ("", "{}", '{"days": 3, "kb_version": "x", "made_at": "2026-01-01T00:00"}', "[1]"):
        with pytest.raises(JournalStorageError):
            PlanRecord.from_text(text)


# -- property: what set_plan stores is what is read back, exactly ------------------------------

_AMOUNTS = st.sampled_from([100, 200, 300, 400, 600, 800, 900, 1200])
_FREQ = st.sampled_from(["QD", "BID", "TID"])
_DAYS = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
_INDICATIONS = st.sampled_from(["postherpetic-neuralgia", "epilepsy", "diabetic-neuropathy", "fibromyalgia",
                                "restless-legs", "spasticity", "anxiety"])
_SPECS = st.one_of(
    st.builds(lambda mg, f, d: PlanSpec("regimen", d, regimen=f"{mg} mg {f}"), _AMOUNTS, _FREQ, _DAYS),
    st.builds(lambda ind, d: PlanSpec("titrate", d, indication=ind), _INDICATIONS, _DAYS),
    st.builds(lambda mg, f, risk, d: PlanSpec("taper", d, regimen=f"{mg} mg {f}", risk=risk),
              _AMOUNTS, _FREQ, st.sampled_from([None, "low", "moderate", "high"]), _DAYS),
)


@pytest.fixture(scope="module")
def sqlite_journal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Journal]:
    from gabacare.composition import repository

    repo = repository(f"sqlite:///{tmp_path_factory.mktemp('made') / 'journal.sqlite3'}")
    yield Journal(repo, clock=lambda: NOW)
    repo.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=_SPECS, on_sql=st.booleans())
def test_set_then_read_gives_exactly_the_plan_built_at_set_time(spec: PlanSpec, on_sql: bool,
                                                                 sqlite_journal: Journal) -> None:
    journal = sqlite_journal if on_sql else Journal(InMemoryJournalRepository(), clock=lambda: NOW)
    pid = _patient(journal)
    result = journal.set_plan(pid, spec)

    recorded = journal.recorded_plan(pid, result.stored.id)

    assert recorded is not None
    from gabacare.serialize import jsonable

    assert dict(recorded.record.plan) == jsonable(result.plan.to_json())
    assert (recorded.record.made_at, recorded.record.kb_version, recorded.record.origin) == (
        NOW, knowledge_version(), "made")
    # The typed view carries the same days the core made (dates, clock times, amounts, units).
    view = recorded.view()
    assert [(d.date, [(x.time, x.mg, x.units) for x in d.doses]) for d in view.days] == [
        (d.date, [(x.time, x.mg, tuple(x.units)) for x in d.doses]) for d in result.plan.days]
    assert view.citations == tuple(result.plan.citations) and view.warnings == tuple(result.plan.warnings)


# -- CLI ----------------------------------------------------------------------------------------

def _cli(db: str, *args: str, code: int = 0) -> Any:
    result = runner.invoke(app, [*args, "--db", db])
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result


def test_cli_plan_recheck(sqlite_url: str, change_rules: Callable[..., None]) -> None:
    pid = json.loads(_cli(sqlite_url, "patient", "add", "Ada", "--json").stdout)["id"]
    made = json.loads(_cli(sqlite_url, "plan", "set", "--patient", str(pid), "300 mg TID", "--start", "2026-07-01",
                           "--json").stdout)
    assert made["kb_version"] == knowledge_version() and made["made_at"] and made["origin"] == "made"

    same = json.loads(_cli(sqlite_url, "plan", "recheck", "--patient", str(pid), "--json").stdout)
    assert same["same"] is True and same["plan_id"] == made["plan_id"] and same["days"] == []
    text = " ".join(_cli(sqlite_url, "plan", "recheck", "--patient", str(pid)).stdout.split())
    assert "same days, doses and warnings" in text and "unchanged" in text

    change_rules(times_3=["06:00", "14:00", "22:00"])

    diff = json.loads(_cli(sqlite_url, "plan", "recheck", "--patient", str(pid), "--plan", str(made["plan_id"]),
                           "--json").stdout)
    assert diff["same"] is False and diff["kb_changed"] is True
    assert diff["kb_version_then"] == made["kb_version"] != diff["kb_version_now"]
    assert diff["days"][0] == {"date": "2026-07-01", "then": [{"time": t, "mg": 300} for t in ("07:00", "14:00", "21:00")],
                               "now": [{"time": t, "mg": 300} for t in ("06:00", "14:00", "22:00")]}
    text = " ".join(_cli(sqlite_url, "plan", "recheck", "--patient", str(pid)).stdout.split())  # Rich wraps
    assert "2026-07-01: as made 07:00 300 mg" in text and "today 06:00 300 mg" in text


@pytest.mark.parametrize("args", [["--plan", "0"], ["--plan", "999"], ["--plan", "x"]])
def test_cli_plan_recheck_bad_input_exits_2(sqlite_url: str, args: list[str]) -> None:
    pid = json.loads(_cli(sqlite_url, "patient", "add", "Ada", "--json").stdout)["id"]
    _cli(sqlite_url, "plan", "set", "--patient", str(pid), "300 mg TID", "--json")
    result = _cli(sqlite_url, "plan", "recheck", "--patient", str(pid), *args, code=2)
    assert result.stdout == ""


def test_cli_plan_recheck_without_a_plan_exits_2(sqlite_url: str, tmp_path: Path) -> None:
    pid = json.loads(_cli(sqlite_url, "patient", "add", "Ada", "--json").stdout)["id"]
    result = _cli(sqlite_url, "plan", "recheck", "--patient", str(pid), "--json", code=2)
    assert "no plan yet" in result.stderr and result.stdout == ""
    _cli(sqlite_url, "plan", "recheck", "--patient", "4242", code=2)


def test_an_imported_plan_is_recorded_as_made_at_import(mem_journal: Journal) -> None:
    pid = _patient(mem_journal)
    mem_journal.set_plan(pid, PlanSpec("regimen", START, regimen="300 mg BID"))
    other = _patient(mem_journal)

    mem_journal.import_text(other, mem_journal.export(pid, "json"), "json")

    mine, theirs = mem_journal.recorded_plan(pid), mem_journal.recorded_plan(other)
    assert mine is not None and theirs is not None
    assert theirs.record.origin == "made" and theirs.record.made_at == NOW
    assert dict(theirs.record.plan) == dict(mine.record.plan)


def test_the_doctors_report_shows_the_plan_as_made(mem_journal: Journal, change_rules: Callable[..., None]) -> None:
    from gabacare.reports.doctor_report import build_report
    from gabacare.reports.render import render_html

    pid = _patient(mem_journal)
    made = mem_journal.set_plan(pid, PlanSpec("titrate", date(2026, 6, 1), indication="anxiety"))
    change_rules(drop_indication="anxiety")  # today's rules cannot make this plan any more

    report = build_report(mem_journal, pid, start=date(2026, 6, 1), end=date(2026, 6, 30), now=NOW)

    (plan,) = report.plans
    assert plan.citations == tuple(made.plan.citations) and plan.citations
    assert plan.kb_version == made.stored.plan.made.kb_version  # type: ignore[union-attr]
    assert plan.kb_version in render_html(report)
