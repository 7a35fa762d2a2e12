"""The one-read adherence and trends (issue 18, bounded work) give exactly what the old definitions gave.

The old definitions are copied here as they stood before the change (``Journal.adherence`` read the
plans and the period's doses, ``Journal.trends`` read them again with the scores, both checked every
row with ``Entry.problem``), with the analysis functions as they stood (``_analysis_before.py``).
On random journals (plans, doses answering or missing their slots, skipped, late, as-needed and extra
doses, scores, and stored rows today's rules refuse: impossible amounts, NaN scores, foreign fields,
times beyond tomorrow) and random periods, on the in-memory repository, SQLite and PostgreSQL, the
new ``adherence``, ``trends`` and ``adherence_and_trends`` equal them. Also: the rewritten analysis
functions equal their frozen copies, the remembered plausibility check equals ``entry_problem``
(types included), and the SQL adapter's cheaper row construction makes the same entries as ``_entry``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import asdict, fields, replace
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gabacare.journal import analysis
from gabacare.journal import settings as journal_settings
from gabacare.journal.memory import InMemoryJournalRepository
from gabacare.journal.model import (
    Entry,
    EntryData,
    InvalidEntry,
    PlanSpec,
    day_bounds,
    dose_bounds,
    entry_problem,
)
from gabacare.journal.schedule import planned_daily_mg, scheduled_doses
from gabacare.journal.services import Journal, TrendsReport, build_plan
from gabacare.knowledge import load_monograph

from . import _analysis_before as before

START = date(2026, 3, 1)
NOW = datetime(2026, 4, 20, 12, 0)
SCALES = ("pain", "sleep", "spasm_count")
DAYS = 50


# -- the old definitions (services.py before the one-read change) ------------------------------------
def _old_problem(e: Entry, limit: datetime) -> str | None:
    if e.problem is not None:
        return e.problem
    return "entry time is in the future (more than a day ahead of now)" if e.at > limit else None


def _old_split(entries: Sequence[Entry], limit: datetime) -> tuple[list[Entry], tuple[InvalidEntry, ...]]:
    valid, invalid = [], []
    for e in entries:
        why = _old_problem(e, limit)
        if why is None:
            valid.append(e)
        else:
            invalid.append(InvalidEntry.of(e, why))
    return valid, tuple(invalid)


def _old_adherence(j: Journal, pid: int, start: date | None, end: date | None) -> Any:
    start, end = j.period(pid, start, end)
    plans = j.repo.list_plans(pid)
    lo, hi = dose_bounds(start, end)
    doses, invalid = _old_split(j.repo.list_entries(pid, start=lo, end=hi, kinds=["dose"]),
                                j.clock() + journal_settings.FUTURE_TOLERANCE)
    invalid = tuple(i for i in invalid if i.at is None or start <= i.at.date() <= end)
    report = before.adherence(scheduled_doses(plans, start, end), doses, start=start, end=end, now=j.clock())
    return replace(report, invalid_entries=invalid)


def _old_trends(j: Journal, pid: int, start: date | None, end: date | None, scales: Sequence[str] | None) -> TrendsReport:
    start, end = j.period(pid, start, end)
    plans = j.repo.list_plans(pid)
    lo, hi = day_bounds(start, end)
    entries, invalid = _old_split(j.repo.list_entries(pid, start=lo, end=hi, kinds=["symptom", "dose"]),
                                  j.clock() + journal_settings.FUTURE_TOLERANCE)
    wanted = None if not scales else {s.strip().lower().replace("-", "_").replace(" ", "_") for s in scales}
    symptoms = [e for e in entries if e.kind == "symptom" and (wanted is None or e.data.name in wanted)]
    taken: dict[date, float] = {}
    for e in entries:
        if e.kind == "dose" and e.data.status in ("taken", "late"):
            taken[e.at.date()] = taken.get(e.at.date(), 0.0) + (e.data.mg or 0.0)
    planned = planned_daily_mg(plans, start - timedelta(days=1), end)
    w = load_monograph().withdrawal
    return TrendsReport(
        start=start, end=end, window_days=journal_settings.ROLLING_WINDOW_DAYS, scales=before.trends(symptoms),
        dose_response=before.dose_response(symptoms, taken, planned, withdrawal_onset_min_h=w.onset_min_h,
                                             withdrawal_onset_max_h=w.onset_max_h),
        invalid_entries=invalid,
    )


# -- random journals ----------------------------------------------------------------------------------
def _at(day: int, minute: int) -> datetime:
    return datetime.combine(START + timedelta(days=day), time(0, 0)) + timedelta(minutes=minute)


plans_st = st.lists(st.tuples(st.integers(0, DAYS), st.sampled_from(["300 mg TID", "600 mg TID", "300 mg BID"])),
                    min_size=0, max_size=3)
# (day, planned dose index, minutes off the slot, status, mg, kind of dose)
doses_st = st.lists(st.tuples(st.integers(-2, DAYS + 2), st.integers(0, 2), st.integers(-300, 300),
                              st.sampled_from(["taken", "late", "skipped"]), st.sampled_from([100.0, 300.0, 600.0]),
                              st.sampled_from(["slot", "slot", "slot", "no slot", "prn"])), max_size=80)
scores_st = st.lists(st.tuples(st.sampled_from(SCALES), st.integers(-2, DAYS + 2), st.integers(0, 24 * 60 - 1),
                               st.integers(0, 10).map(float)), max_size=80)
BAD = [
    EntryData("dose", _at(5, 420), mg=1e308, status="taken"),
    EntryData("dose", _at(7, 840), mg=300.0, status="taken", text="a dose has no text"),
    EntryData("symptom", _at(9, 600), name="pain", value=math.nan),
    EntryData("symptom", _at(11, 600), name="pain", value=3.0, unit="kg"),
    EntryData("dose", NOW + timedelta(days=3), mg=300.0, status="taken"),
    EntryData("symptom", NOW + timedelta(days=2), name="sleep", value=4.0),
]
bad_st = st.lists(st.sampled_from(range(len(BAD))), max_size=4)
period_st = st.tuples(st.one_of(st.none(), st.integers(-5, DAYS + 5)), st.one_of(st.none(), st.integers(0, DAYS + 10)))
scales_st = st.one_of(st.none(), st.lists(st.sampled_from(["pain", "Sleep", "spasm-count", "mood"]), max_size=2))


def _fill(j: Journal, plans: list[tuple[int, str]], doses: list[tuple[int, int, int, str, float, str]],
          scores: list[tuple[str, int, int, float]], bad: list[int]) -> int:
    pid = j.add_patient("Ada").id
    new_plans = [build_plan(PlanSpec("regimen", START + timedelta(days=d), regimen=r))[0] for d, r in sorted(plans)]
    sched = {}
    if new_plans:
        from gabacare.journal.model import StoredPlan
        stored = [StoredPlan(i + 1, pid, NOW, p) for i, p in enumerate(new_plans)]
        for s in scheduled_doses(stored, START - timedelta(days=3), START + timedelta(days=DAYS + 3)):
            sched.setdefault(s.at.date(), []).append(s.at)
    rows: list[EntryData] = []
    for day, index, off, status, mg, how in doses:
        slots = sched.get(START + timedelta(days=day), [])
        slot = slots[index % len(slots)] if slots and how == "slot" else None
        base = slot or _at(day, 8 * 60 + 240 * index)
        at = base if status == "skipped" and slot is not None else base + timedelta(minutes=off)
        if status == "skipped" and slot is None:
            status = "taken"
        rows.append(EntryData("dose", at, mg=mg, status=status, slot=slot, prn=how == "prn" and status != "skipped"))
    rows += [EntryData("symptom", _at(day, minute), name=scale, value=value) for scale, day, minute, value in scores]
    rows += [BAD[i] for i in bad]
    # Straight through the repository (no validation), as an older version or a hand-made file could.
    j.repo.add_batch(pid, plans=new_plans, entries=rows, recorded_at=NOW)
    return pid


def _day(n: int | None) -> date | None:
    return None if n is None else START + timedelta(days=n)


def _compare(j: Journal, pid: int, period: tuple[int | None, int | None], scales: list[str] | None) -> None:
    start, end = _day(period[0]), _day(period[1])
    try:
        old_adh = _old_adherence(j, pid, start, end)
    except Exception as exc:  # the same refusal (a start after the end) from every new path
        for call in (lambda: j.adherence(pid, start=start, end=end), lambda: j.trends(pid, start=start, end=end),
                     lambda: j.adherence_and_trends(pid, start=start, end=end)):
            with pytest.raises(type(exc)):
                call()
        return
    old_trends = _old_trends(j, pid, start, end, scales)
    # Field by field (asdict: the reference's dataclasses are its own copies of the same classes).
    assert asdict(j.adherence(pid, start=start, end=end)) == asdict(old_adh)
    assert asdict(j.trends(pid, start=start, end=end, scales=scales)) == asdict(old_trends)
    adh, trends = j.adherence_and_trends(pid, start=start, end=end, scales=scales)
    assert (asdict(adh), asdict(trends)) == (asdict(old_adh), asdict(old_trends))


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def journal(request: pytest.FixtureRequest) -> Iterator[Journal]:
    if request.param == "memory":
        yield Journal(InMemoryJournalRepository(), clock=lambda: NOW)
        return
    from gabacare.composition import repository

    repo = repository(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url"))
    yield Journal(repo, clock=lambda: NOW)
    repo.close()


@given(plans_st, doses_st, scores_st, bad_st, period_st, scales_st)
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
def test_adherence_and_trends_equal_the_old_definitions(
    journal: Journal, plans: list[tuple[int, str]], doses: list[tuple[int, int, int, str, float, str]],
    scores: list[tuple[str, int, int, float]], bad: list[int], period: tuple[int | None, int | None],
    scales: list[str] | None,
) -> None:
    pid = _fill(journal, plans, doses, scores, bad)  # a new patient per example: the database is shared
    _compare(journal, pid, period, scales)


def test_a_long_random_year_equals_the_old_definitions(journal: Journal) -> None:
    """One bigger journal than hypothesis makes: a plan change, four months of doses and scores."""
    import random

    rng = random.Random(18)
    doses = [(d, i, rng.randint(-90, 90), rng.choice(["taken", "taken", "late", "skipped"]), 300.0,
              rng.choice(["slot"] * 8 + ["no slot", "prn"])) for d in range(DAYS) for i in range(3) if rng.random() < 0.9]
    scores = [(s, d, rng.randint(0, 1439), float(rng.randint(0, 10))) for d in range(DAYS) for s in SCALES]
    pid = _fill(journal, [(0, "300 mg TID"), (20, "600 mg TID")], doses, scores, [0, 2, 4])
    for period in [(None, None), (0, DAYS - 1), (3, 30), (-10, 5), (25, None)]:
        _compare(journal, pid, period, None)
    _compare(journal, pid, (0, DAYS), ["pain"])


# -- the rewritten analysis functions against their frozen copies ----------------------------------------
entry_rows = st.lists(st.tuples(
    st.sampled_from(["dose", "dose", "symptom", "note"]), st.integers(-2, 30), st.integers(0, 24 * 60 - 1),
    st.sampled_from(["taken", "late", "skipped"]), st.sampled_from([0.0, 100.0, 300.0]),
    st.one_of(st.none(), st.integers(0, 5)), st.booleans(), st.sampled_from(SCALES), st.integers(0, 10).map(float),
), max_size=120)


def _random_entries(rows: list[tuple[str, int, int, str, float, int | None, bool, str, float]],
                    slots: list[datetime]) -> list[Entry]:
    out = []
    for i, (kind, day, minute, status, mg, slot, prn, scale, value) in enumerate(rows):
        at = _at(day, minute)
        if kind == "dose":
            data = EntryData("dose", at, mg=mg, status=status, prn=prn,
                             slot=None if slot is None or not slots else slots[(day * 3 + slot) % len(slots)])
        elif kind == "symptom":
            data = EntryData("symptom", at, name=scale, value=value)
        else:
            data = EntryData("note", at, text="x")
        out.append(Entry(len(rows) - i, 1, 1, NOW, data))  # ids not in time order: ties broken by id
    return out


@given(entry_rows, plans_st, st.integers(-3, 20), st.integers(0, 30), st.integers(0, 40), st.integers(1, 10))
@settings(max_examples=300, deadline=None)
def test_analysis_equals_its_frozen_copy(
    rows: list[tuple[str, int, int, str, float, int | None, bool, str, float]], plans: list[tuple[int, str]],
    a: int, b: int, now_day: int, window_h: int,
) -> None:
    from gabacare.journal.model import StoredPlan

    stored = [StoredPlan(i + 1, 1, NOW, build_plan(PlanSpec("regimen", START + timedelta(days=d), regimen=r))[0])
              for i, (d, r) in enumerate(sorted(plans))]
    start, end = START + timedelta(days=min(a, b)), START + timedelta(days=max(a, b))
    sched = scheduled_doses(stored, start - timedelta(days=1), end + timedelta(days=1))
    entries = _random_entries(rows, [s.at for s in sched])
    doses = [e for e in entries if e.kind == "dose"]
    now, window = _at(now_day, 600), timedelta(hours=window_h)
    in_period = scheduled_doses(stored, start, end)
    assert asdict(analysis.adherence(in_period, entries, start=start, end=end, now=now, window=window)) == asdict(
        before.adherence(in_period, entries, start=start, end=end, now=now, window=window))
    new_matches, new_extra = analysis.match_doses(sched, doses, window=window)
    old_matches, old_extra = before.match_doses(sched, doses, window=window)
    # Field by field (the frozen copy's DoseMatch is its own class).
    assert [asdict(m) for m in new_matches] == [asdict(m) for m in old_matches] and new_extra == old_extra
    planned = planned_daily_mg(stored, start - timedelta(days=1), end)
    assert analysis.daily_planned_mg(sched, start - timedelta(days=1), end) == planned
    w = load_monograph().withdrawal
    for wanted in (None, {"pain"}, set()):
        got = analysis.period_trends(entries, planned, withdrawal_onset_min_h=w.onset_min_h,
                                     withdrawal_onset_max_h=w.onset_max_h, scales=wanted)
        kept = [e for e in entries if e.kind != "symptom" or wanted is None or e.data.name in wanted]
        old = before.period_trends(kept, planned, withdrawal_onset_min_h=w.onset_min_h, withdrawal_onset_max_h=w.onset_max_h)
        assert {k: [asdict(p) for p in v] for k, v in got[0].items()} == {k: [asdict(p) for p in v] for k, v in old[0].items()}
        assert asdict(got[1]) == asdict(old[1])
    symptoms = [e for e in entries if e.kind == "symptom"]
    assert asdict(analysis.dose_response(symptoms, {}, planned, withdrawal_onset_min_h=w.onset_min_h,
                                         withdrawal_onset_max_h=w.onset_max_h)) == asdict(
        before.dose_response(symptoms, {}, planned, withdrawal_onset_min_h=w.onset_min_h, withdrawal_onset_max_h=w.onset_max_h))


# -- the remembered plausibility check ------------------------------------------------------------------
values = st.one_of(st.none(), st.booleans(), st.integers(-5, 2000), st.floats(allow_nan=True, allow_infinity=True),
                   st.sampled_from([300.0, 300, True, 1, 1.0, -0.0, 1e308]))
datas = st.builds(
    EntryData,
    kind=st.sampled_from(["dose", "symptom", "note", "lab", "trigger"]),
    at=st.one_of(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)), st.just(date(2026, 1, 1))),
    mg=values, status=st.sampled_from([None, "taken", "late", "skipped", "maybe"]),
    name=st.sampled_from([None, "pain", "sleep", "spasm_count", ""]), value=values,
    unit=st.sampled_from([None, "mg/dL", "kg"]), text=st.sampled_from([None, "x"]),
    urgency=st.sampled_from([None, "routine"]),
    slot=st.one_of(st.none(), st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 1, 3))),
    prn=st.sampled_from([False, True, 0, 1]),
)


@given(st.lists(datas, max_size=30))
@settings(max_examples=200, deadline=None)
def test_the_remembered_check_equals_entry_problem(batch: list[EntryData]) -> None:
    for data in [*batch, *batch]:  # the second time from the memo
        assert analysis.stored_problem(data) == entry_problem(data)


def test_equal_values_of_another_type_are_checked_apart() -> None:
    at = datetime(2026, 1, 1, 8)
    as_float = EntryData("symptom", at, name="pain", value=1.0)
    as_bool = EntryData("symptom", at, name="pain", value=True)
    assert as_float == as_bool  # what a memo keyed on the values alone would confuse
    assert analysis.stored_problem(as_float) is None
    assert analysis.stored_problem(as_bool) == entry_problem(as_bool) is not None


def test_a_new_knowledge_base_starts_an_empty_memo(monkeypatch: pytest.MonkeyPatch) -> None:
    """A changed rule (the monograph reloaded with a lower maximum dose) is applied to rows already checked."""
    from gabacare.journal import model

    dose = EntryData("dose", datetime(2026, 1, 1, 8), mg=2000.0, status="taken")
    assert analysis.stored_problem(dose) is None
    real = model.load_monograph()
    stricter = real.model_copy(update={"journal_limits": real.journal_limits.model_copy(update={"max_dose_mg": 1000.0})})
    for module in (model, analysis):  # what a reload of the knowledge base gives both
        monkeypatch.setattr(module, "load_monograph", lambda: stricter)
    assert analysis.stored_problem(dose) == entry_problem(dose) is not None


# -- the SQL adapter's row construction -------------------------------------------------------------------
def test_listed_rows_make_the_entries_entry_makes() -> None:
    from gabacare.journal import sql

    assert [f.name for f in fields(EntryData)] == list(sql._CONTENT)
    assert {f.name for f in fields(Entry)} == {"id", "patient_id", "version", "recorded_at", "data", "uid", "deleted_at"}
    at = datetime(2026, 1, 1, 8)
    rows: list[dict[str, Any]] = [
        {"id": 7, "version": 2, "recorded_at": NOW, "uid": "u-7", "kind": "dose", "at": at, "mg": 300.0,
         "status": "taken", "name": None, "value": None, "unit": None, "text": None, "urgency": None, "slot": at,
         "prn": 0},
        {"id": 8, "version": 1, "recorded_at": NOW, "uid": None, "kind": "symptom", "at": at, "mg": None,
         "status": None, "name": "pain", "value": 3.0, "unit": None, "text": None, "urgency": None, "slot": None,
         "prn": 1},
    ]
    fast = sql._listed(4, [tuple(r[k] for k in sql._LISTED) for r in rows])
    slow = [sql._entry({**r, "deleted_at": None}, entry_id=r["id"], patient_id=4) for r in rows]  # type: ignore[arg-type]
    assert fast == slow
    for f, s in zip(fast, slow, strict=True):
        assert vars(f) == vars(s) and vars(f.data) == vars(s.data) and type(f.data.prn) is bool
        assert f.problem == s.problem
