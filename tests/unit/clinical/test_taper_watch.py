"""The withdrawal watch: worked journals (a taper step, then entries day by day) → the proposal.

Sources: withdrawal begins 12 hours to 7 days after a reduction (gabapentin.toml ``[withdrawal]``:
mersfelder-2016, label 5.5/6.2); hold a step while withdrawal symptoms settle, and make later steps
smaller when a step brings them (maudsley-2024); a seizure after a reduction and PHQ-9 item 9 above
zero are emergencies (label 5.5, 5.6); a questionnaire is "worse" when it rises by its minimal
important difference (PHQ-9 5 lowe-2004, GAD-7 4 toussaint-2020, pain 2 farrar-2001, Penn 1 grade
gabacare-policy) over its latest score in the 14 days before the step; the thresholds of each rule
are gabacare-policy (``questionnaires.toml`` ``[taper_watch]``).

Every journal starts from a step on 1 March 2026 at 08:00 (so the window runs from 20:00 that day to
8 March 08:00). An entry reads ``d<day>[@HH] <what> [value]``: the day after the step (``d-3`` is three
days before it), the hour (09 unless given), then a checklist symptom and its level, a questionnaire
and its total (``!`` when its own emergency rule fired), ``seizure`` or ``emergency``; ``d1..4`` repeats the
entry on days 1 to 4.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gabacare.clinical import ClinicalInputError
from gabacare.clinical.taper_watch import PROPOSAL_ORDER, TaperStep, WatchEntry, taper_watch
from gabacare.knowledge import load_monograph
from gabacare.knowledge.language import load_language
from gabacare.knowledge.questionnaires import load_questionnaires

TESTS = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("_taper_watch_spec_table", TESTS / "spec" / "_table.py")
assert _spec is not None and _spec.loader is not None
_table = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _table
_spec.loader.exec_module(_table)
Table = _table.Table

STEP_AT = datetime(2026, 3, 1, 8, 0)
SYMPTOMS = tuple(load_monograph().withdrawal.symptoms)
LEVELS = load_questionnaires().taper_watch.levels
_ENTRY = re.compile(r"d(-?\d+)(?:\.\.(\d+))?(?:@(\d{1,2}))?\s+(\S+)(?:\s+(\S+))?")


def read_journal(text: str) -> list[WatchEntry]:
    entries = []
    for part in (p.strip() for p in (text or "").split(";")):
        if not part:
            continue
        m = _ENTRY.fullmatch(part)
        assert m, f"cannot read {part!r}"
        first, hour, what, value = int(m[1]), int(m[3] or 9), m[4], m[5]
        for day in range(first, int(m[2] or first) + 1):
            at = datetime.combine(STEP_AT.date() + timedelta(days=day), datetime.min.time()) + timedelta(hours=hour)
            if what in ("seizure", "emergency"):
                entries.append(WatchEntry(at, what))
            elif what in SYMPTOMS:
                entries.append(WatchEntry.symptom(at, what, value))
            else:
                flagged = value.endswith("!")
                entries.append(WatchEntry(at, "score", what, int(value.rstrip("!")), emergency=flagged))
    return entries


def make_step(text: str) -> TaperStep:
    before, after = (float(x) for x in text.split("->"))
    return TaperStep(STEP_AT, before, after)


WORKED = Table(
    """
    case                          | step     | journal                                                   | proposal
    ------------------------------+----------+-----------------------------------------------------------+---------
    nothing logged                | 900->600 | -                                                         | continue
    scores steady                 | 900->600 | d-2 gad7 5; d3 gad7 6; d-1 pain_nrs 3; d4 pain_nrs 4       | continue
    symptom rated none            | 900->600 | d2 anxiety none                                           | continue
    one mild symptom              | 900->600 | d2 anxiety mild                                           | hold
    too early: 2 h after the step | 900->600 | d0@10 anxiety severe                                      | continue
    window opens at 12 h          | 900->600 | d0@20 insomnia mild                                       | hold
    window closes at 168 h        | 900->600 | d7@08 insomnia mild                                       | hold
    after the window              | 900->600 | d7@09 insomnia severe; d9 nausea severe                   | continue
    moderate on one day           | 900->600 | d2 insomnia moderate                                      | hold
    moderate on two days          | 900->600 | d2..3 insomnia moderate                                   | slow
    moderate on three days        | 900->600 | d1..3 insomnia moderate                                   | slow
    three moderate symptoms       | 900->600 | d3 anxiety moderate; d3 sweating moderate; d3 nausea moderate | slow
    two moderate, one mild        | 900->600 | d3 anxiety moderate; d3 sweating moderate; d3 nausea mild | hold
    one severe symptom            | 600->300 | d4 pain severe                                            | step_back
    moderate on days 1 to 4       | 600->300 | d1..4 agitation moderate | step_back
    GAD-7 up by its MID (4)       | 900->600 | d-2 gad7 5; d4 gad7 9                                     | hold
    GAD-7 up by 3                 | 900->600 | d-2 gad7 5; d4 gad7 8                                     | continue
    GAD-7 up by twice its MID     | 900->600 | d-2 gad7 5; d4 gad7 13                                    | step_back
    two scales up by their MID    | 900->600 | d-2 gad7 5; d4 gad7 9; d-1 pain_nrs 3; d5 pain_nrs 5       | slow
    PHQ-9 up by its MID (5)       | 900->600 | d-7 phq9 4; d6 phq9 9                                     | hold
    pain up by its MID (2)        | 900->600 | d-1 pain_nrs 4; d2 pain_nrs 6                             | hold
    Penn up one grade             | 900->600 | d-1 penn_spasm 1; d2 penn_spasm 2                         | hold
    Penn up two grades            | 900->600 | d-1 penn_spasm 1; d2 penn_spasm 3                         | step_back
    no baseline, high score       | 900->600 | d3 gad7 15                                                | continue
    baseline older than 14 days   | 900->600 | d-20 gad7 2; d3 gad7 12                                   | continue
    the latest baseline counts    | 900->600 | d-10 gad7 2; d-1 gad7 8; d3 gad7 11                       | continue
    PGIC minimally worse          | 900->600 | d5 pgic 5                                                 | hold
    PGIC much worse               | 900->600 | d5 pgic 6                                                 | slow
    PGIC very much worse          | 900->600 | d5 pgic 7                                                 | slow
    PGIC no change                | 900->600 | d5 pgic 4                                                 | continue
    seizure 2 h after the step    | 900->600 | d0@10 seizure                                             | emergency
    seizure on day 3              | 300->0   | d3 seizure; d3 anxiety mild                               | emergency
    seizure after the window      | 900->600 | d9 seizure                                                | continue
    seizure before the step       | 900->600 | d-1 seizure                                               | continue
    PHQ-9 item 9 above zero       | 900->600 | d3 phq9 3!                                                | emergency
    logged emergency              | 900->600 | d5 emergency                                              | emergency
    emergency beats a severe one  | 900->600 | d2 pain severe; d4 phq9 6!                                | emergency
    """,
)


@pytest.mark.parametrize(WORKED.argnames, WORKED.rows, ids=WORKED.ids)
def test_worked_journals(case, step, journal, proposal):
    r = taper_watch(make_step(step), read_journal(journal))
    assert r.proposal == proposal
    if proposal == "continue":
        assert r.evidence == () and r.reasons == ()
    else:
        assert r.evidence and all(r.step.at <= e.at <= r.window_end for e in r.evidence)
        assert r.reasons[0].proposal == proposal
    assert r.citations and r.notice == load_monograph().notice_text


def test_the_window_is_the_knowledge_base_withdrawal_onset():
    w = load_monograph().withdrawal
    r = taper_watch(make_step("900->600"), [])
    assert r.window_start - STEP_AT == timedelta(hours=w.onset_min_h) == timedelta(hours=12)
    assert r.window_end - STEP_AT == timedelta(hours=w.onset_max_h) == timedelta(days=7)
    assert {"mersfelder-2016", "label"} <= {c.source for c in r.citations}


def test_step_back_proposes_the_previous_dose_and_cites_maudsley():
    r = taper_watch(make_step("900->600"), read_journal("d4 pain severe"))
    assert "go back to 900 mg/day" in r.message and r.message.startswith("Proposal for the prescriber")
    assert "maudsley-2024" in {c.source for c in r.citations}
    assert [e.name for e in r.evidence] == ["pain"]


@pytest.mark.parametrize(("change", "next_mg"), [("900->600", 100), ("1200->600", 300), ("300->0", 100),
                                                 ("200->100", 50)])
def test_slow_proposes_a_smaller_next_step(change, next_mg):
    r = taper_watch(make_step(change), read_journal("d2 insomnia moderate; d3 insomnia moderate"))
    assert (r.proposal, r.next_step_mg) == ("slow", next_mg)
    assert f"about {next_mg:g} mg/day at a time" in r.message


def test_hold_uses_the_taper_table_advice():
    r = taper_watch(make_step("900->600"), read_journal("d2 anxiety mild"))
    assert load_monograph().taper.hold_if_withdrawal in r.message and "hold 600 mg/day longer" in r.message


def test_seizure_advice_is_the_triage_advice():
    r = taper_watch(make_step("900->600"), read_journal("d1 seizure"))
    seizure = next(e for e in load_monograph().adverse_effects if e.id == "seizure")
    assert r.message == seizure.advice and r.crisis_lines == ()


def test_item_9_brings_the_crisis_lines():
    r = taper_watch(make_step("900->600"), read_journal("d3 phq9 2!"))
    assert r.crisis_lines == load_language().crisis_lines
    assert "988" in r.message


def test_scale_evidence_and_baseline():
    r = taper_watch(make_step("900->600"), read_journal("d-2 gad7 5; d2 gad7 7; d4 gad7 9"))
    assert [(e.name, e.value) for e in r.evidence] == [("gad7", 9)]
    assert [(e.name, e.value) for e in r.baseline] == [("gad7", 5)]
    assert "toussaint-2020" in {c.source for c in r.citations}


def test_as_of_says_whether_the_window_is_complete():
    open_ = taper_watch(make_step("900->600"), [], as_of=datetime(2026, 3, 3, 12))
    assert open_.window_complete is False and "still open" in open_.message
    done = taper_watch(make_step("900->600"), [], as_of=datetime(2026, 3, 9))
    assert done.window_complete is True and "still open" not in done.message
    assert taper_watch(make_step("900->600"), []).window_complete is None


def test_entries_after_as_of_are_not_read():
    r = taper_watch(make_step("900->600"), read_journal("d5 anxiety severe"), as_of=datetime(2026, 3, 4))
    assert r.proposal == "continue"


def test_contract_json_keys():
    data = taper_watch(make_step("900->600"), read_journal("d2 anxiety mild")).to_json()
    assert {"proposal", "step", "window", "evidence", "citations"} <= set(data)
    assert set(data["window"]) >= {"start", "end"}
    assert data["step"]["from_mg_per_day"] == 900 and data["step"]["to_mg_per_day"] == 600
    assert data["evidence"][0]["kind"] == "symptom"


def test_time_zones_must_not_mix():
    aware = TaperStep(STEP_AT.replace(tzinfo=UTC), 900, 600)
    assert taper_watch(aware, [WatchEntry.symptom(datetime(2026, 3, 2, 9, tzinfo=UTC), "anxiety", 1)]
                       ).proposal == "hold"
    with pytest.raises(ClinicalInputError, match="time zone"):
        taper_watch(aware, read_journal("d2 anxiety mild"))


@pytest.mark.parametrize(("make", "message"), [
    (lambda: TaperStep(STEP_AT, 600, 600), "a taper step lowers the daily dose"),
    (lambda: TaperStep(STEP_AT, 600, 900), "a taper step lowers the daily dose"),
    (lambda: TaperStep(STEP_AT, float("nan"), 300), "from_mg_per_day must be a dose"),
    (lambda: TaperStep(STEP_AT, 600, -100), "to_mg_per_day must be a dose"),
    (lambda: taper_watch(make_step("900->600"), [WatchEntry.symptom(STEP_AT, "hiccups", 1)]), "unknown withdrawal symptom"),
    (lambda: WatchEntry.symptom(STEP_AT, "anxiety", "awful"), "symptom level must be one of none, mild"),
    (lambda: taper_watch(make_step("900->600"), [WatchEntry.symptom(STEP_AT, "anxiety", 4)]), "level must be 0 to 3"),
    (lambda: taper_watch(make_step("900->600"), [WatchEntry(STEP_AT, "score", "gad7", 22)]), "gad7 score must be 0 to 21"),
    (lambda: taper_watch(make_step("900->600"), [WatchEntry(STEP_AT, "score", "bpi", 2)]), "unknown questionnaire"),
])
def test_bad_input_is_a_clinical_input_error(make, message):
    with pytest.raises(ClinicalInputError, match=message):
        make()


# --- properties -------------------------------------------------------------------------------------

HOURS = st.integers(min_value=-24 * 20, max_value=24 * 10)


@st.composite
def entries(draw) -> list[WatchEntry]:
    out: list[WatchEntry] = []
    for _ in range(draw(st.integers(0, 8))):
        at = STEP_AT + timedelta(hours=draw(HOURS))
        if draw(st.booleans()):
            out.append(WatchEntry.symptom(at, draw(st.sampled_from(SYMPTOMS)), draw(st.integers(0, 3))))
        else:
            inst = draw(st.sampled_from(load_questionnaires().instruments))
            lo, hi = inst.total_range
            out.append(WatchEntry(at, "score", inst.id, draw(st.integers(lo, hi))))
    return out


def rank(r) -> int:
    return PROPOSAL_ORDER.index(r.proposal)


@given(entries(), st.integers(min_value=0, max_value=168 * 60))
def test_a_seizure_in_the_window_is_always_an_emergency(journal, minutes):
    seizure = WatchEntry(STEP_AT + timedelta(minutes=minutes), "seizure")
    assert taper_watch(make_step("900->600"), [*journal, seizure]).proposal == "emergency"


@given(entries(), st.sampled_from(SYMPTOMS), st.integers(1, 3), st.integers(12 * 60, 168 * 60))
def test_adding_a_symptom_never_lowers_the_proposal(journal, name, level, minutes):
    before = taper_watch(make_step("900->600"), journal)
    worse = WatchEntry.symptom(STEP_AT + timedelta(minutes=minutes), name, level)
    after = taper_watch(make_step("900->600"), [*journal, worse])
    assert rank(after) >= rank(before) and rank(after) >= PROPOSAL_ORDER.index("hold")


@given(entries(), st.data())
def test_raising_a_symptom_level_never_lowers_the_proposal(journal, data):
    symptoms = [i for i, e in enumerate(journal) if e.kind == "symptom" and (e.value or 0) < 3]
    if not symptoms:
        return
    i = data.draw(st.sampled_from(symptoms))
    e = journal[i]
    raised = [*journal[:i], WatchEntry(e.at, "symptom", e.name, (e.value or 0) + 1), *journal[i + 1:]]
    assert rank(taper_watch(make_step("900->600"), raised)) >= rank(taper_watch(make_step("900->600"), journal))


@given(entries(), entries())
def test_entries_after_the_window_change_nothing(journal, later):
    end = STEP_AT + timedelta(hours=load_monograph().withdrawal.onset_max_h)
    shifted = [WatchEntry(end + timedelta(minutes=1) + (e.at - STEP_AT) % timedelta(days=5), e.kind, e.name, e.value)
               for e in later]
    a = taper_watch(make_step("900->600"), journal)
    b = taper_watch(make_step("900->600"), [*journal, *shifted])
    assert (a.proposal, a.evidence) == (b.proposal, b.evidence)


@given(entries())
def test_the_proposal_is_a_known_word_with_evidence_inside_the_window(journal):
    r = taper_watch(make_step("900->600"), journal)
    assert r.proposal in PROPOSAL_ORDER
    assert all(STEP_AT <= e.at <= r.window_end for e in r.evidence)
    assert (r.proposal == "continue") == (r.evidence == ())
