"""The application layer reads every face's inputs one way: form text or typed values, the same rules."""

from __future__ import annotations

from datetime import date

import pytest

from gabacare import app
from gabacare.app._inputs import items, number, plan_start
from gabacare.app.pk import crcl_distribution, dialysis_sessions, output_step_min
from gabacare.errors import InputError
from gabacare.knowledge import load_monograph


def refused(call: object, *args: object, **kwargs: object) -> str:
    with pytest.raises(InputError) as info:
        call(*args, **kwargs)  # type: ignore[operator]
    message = str(info.value)
    assert "\n" not in message, "refusals are one line"
    return message


# --- reading form text and typed values the same way ---------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    (None, None), ("", None), ("  ", None), ("45", 45.0), (" 45,5 ", 45.5), (45, 45.0), (45.5, 45.5),
])
def test_numbers_from_forms_and_from_typed_faces(value: object, expected: float | None) -> None:
    assert number(value, "Age") == expected  # type: ignore[arg-type]


def test_a_form_number_that_is_not_one_names_the_field() -> None:
    assert refused(number, "lots", "Target dose") == "Target dose must be a number, got 'lots'"


def test_lists_from_a_textarea_or_from_arguments() -> None:
    assert items("Xanax, beer\n\ntramadol; ") == ["Xanax", "beer", "tramadol"]
    assert items(["dizzy, tired", " "]) == ["dizzy, tired"], "an argument is one item, commas and all"
    assert items(None) == [] == items("")


@pytest.mark.parametrize("text", ["1900-01-01", "2999-12-31", date(2026, 3, 2)])
def test_plan_start_within_the_bounds(text: str | date) -> None:
    assert plan_start(text) == (text if isinstance(text, date) else date.fromisoformat(text))


@pytest.mark.parametrize(("text", "needle"), [
    ("1899-12-31", "between 1900 and 2999"), (date(9999, 12, 1), "between 1900 and 2999"),
    ("31/01/2026", "must be a date like 2026-01-31"),
])
def test_plan_start_refusals(text: str | date, needle: str) -> None:
    assert needle in refused(plan_start, text)


def test_blank_start_is_today() -> None:
    assert plan_start(" ", today=date(2026, 5, 1)) == date(2026, 5, 1)


# --- dialysis: one grammar, sessions only on simulated days ----------------------------------------

def test_dialysis_sessions_last_the_labels_session() -> None:
    length = load_monograph().renal.hemodialysis_session_h
    [s] = dialysis_sessions(["Day2@09:30"], 3)
    assert (s.start_h, s.end_h) == (33.5, 33.5 + length)


@pytest.mark.parametrize("spec", ["day2@09:00", "d2@9:00", "day2 09:00", " DAY 2 @ 09:00 "])
def test_dialysis_spellings_a_missed_dose_also_accepts(spec: str) -> None:
    assert [s.start_h for s in dialysis_sessions(spec, 7)] == [33.0]


def test_dialysis_repeated_or_comma_separated() -> None:
    assert dialysis_sessions(["day1@08:00, day3@08:00"], 3) == dialysis_sessions(["day1@08:00", "day3@08:00"], 3)


@pytest.mark.parametrize("spec", ["day0@09:00", "day8@09:00", "day12345@09:00", "day" + "9" * 5000 + "@09:00"])
def test_dialysis_outside_the_simulated_days_is_refused(spec: str) -> None:
    assert "dialysis day must be one of the simulated days 1-7" in refused(dialysis_sessions, [spec], 7)


@pytest.mark.parametrize("spec", ["tuesday", "day2", "day2@9", "2@09:00"])
def test_unreadable_dialysis_is_refused_with_the_format(spec: str) -> None:
    assert "dialysis takes dayN@HH:MM" in refused(dialysis_sessions, [spec], 7)


def test_dialysis_clock_must_be_a_real_time() -> None:
    assert "HH:MM" in refused(dialysis_sessions, ["day2@25:00"], 7)


@pytest.mark.parametrize("step", [0, -5, float("nan"), float("inf")])
def test_output_step_must_be_finite_and_positive(step: float) -> None:
    assert refused(output_step_min, step).startswith("step_min must be more than 0 minutes")


def test_output_step_defaults_to_the_knowledge_base() -> None:
    assert output_step_min(None) == load_monograph().pk.default_step_min


# --- the use cases ---------------------------------------------------------------------------------

def test_crcl_answer_is_the_contract_json() -> None:
    data = app.crcl(age=60, sex="male", weight_kg=72, scr=1.0).to_json()
    assert data["crcl_ml_min"] == 80.0 and data["citations"] and "clinician" in data["notice"]


@pytest.mark.parametrize(("kwargs", "needle"), [
    ({"age": 60, "sex": "other", "weight_kg": 72, "scr": 1}, "sex must be female or male"),
    ({"age": 60, "sex": "male", "weight_kg": 72, "scr": 1, "scr_unit": "mmol/L"}, "mg/dL or umol/L"),
    ({"age": 60, "sex": "male", "weight_kg": None, "scr": 1}, "give all of age, sex, weight_kg and scr"),
])
def test_crcl_refusals(kwargs: dict[str, object], needle: str) -> None:
    assert needle in refused(app.crcl, **kwargs)


def test_limits_from_a_crcl_or_from_an_estimate() -> None:
    given = app.limits(crcl=45, age=80)  # a CrCl given wins over partial estimate inputs
    assert given.estimate is None and given.to_json()["band"] == given.limits.band
    estimated = app.limits(age="80", sex="male", weight_kg="70", scr="2,0")  # form text
    assert estimated.estimate is not None
    assert estimated.limits.crcl_ml_min == pytest.approx(estimated.estimate.crcl_ml_min)
    assert app.limits(crcl=45, hemodialysis=True).to_json()["hemodialysis_supplement_mg"]
    assert app.limits(crcl=45).to_json()["hemodialysis_supplement_mg"] is None


def test_titrate_and_taper_read_form_text() -> None:
    plan = app.titrate(indication="phn", start="2026-03-02", target_mg="1800", crcl="")
    assert plan.days[0].date == date(2026, 3, 2)
    taper = app.taper(from_regimen="600 mg TID", start="2026-03-02", risk="", step_mg="")
    assert taper.days[-1].total_mg == 0
    assert "not both" in refused(app.taper, from_regimen="600 mg TID", risk="high", step_mg="100")


def test_check_blank_indication_means_none() -> None:
    assert app.check(regimen="600 mg BID", indication=" ").to_json() == app.check(regimen="600 mg BID").to_json()
    assert "unknown indication 'gout'" in refused(app.check, regimen="600 mg BID", indication="gout")


def test_check_with_drugs_from_a_textarea_or_a_list() -> None:
    assert (app.check(regimen="300 mg TID", with_drugs="pregabalin, xanax").to_json()
            == app.check(regimen="300 mg TID", with_drugs=["pregabalin", "xanax"]).to_json())


def test_interactions_and_symptoms_need_one_non_blank_item() -> None:
    assert refused(app.interactions, [" ", ""]) == "give at least one medicine name"
    assert refused(app.symptoms, " \n ") == "give at least one symptom"
    assert [r.input for r in app.interactions("xanax,\n beer").results] == ["xanax", "beer"]


def test_missed_reads_a_schedule_text_or_list() -> None:
    a = app.missed(schedule=" 08:00, 20:00 ", missed_at="08:00", now="17:00")
    b = app.missed(schedule=["08:00", "20:00"], missed_at=" 08:00", now="17:00 ")
    assert a == b and a.advice == "skip"


def test_simulate_answer_keys_and_inputs() -> None:
    answer = app.simulate(regimen="300 mg TID", days=2, step_min=30, missed="2", dialysis="day2@09:00")
    data = answer.to_json()
    assert {"curve", "summary", "citations", "regimen", "days", "step_min", "plot", "notice"} <= data.keys()
    assert (data["days"], data["step_min"], data["plot"]) == (2, 30.0, None)
    assert len(answer.simulation.t_h) == 2 * 48 + 1


def test_simulate_reads_the_regimen_first() -> None:
    assert "cannot read regimen" in refused(app.simulate, regimen="lots", days=0, step_min=0, dialysis="x")


def test_simulate_population_is_reproducible_with_a_seed() -> None:
    a = app.simulate_population(regimen="300 mg TID", n=20, days=2, seed=7, dialysis="day2@09:00")
    b = app.simulate_population(regimen="300 mg TID", n=20, days=2, seed=7, dialysis="day2@09:00")
    assert a.to_json()["percentiles"] == b.to_json()["percentiles"]
    assert a.to_json()["n"] == 20


@pytest.mark.parametrize(("kwargs", "needle"), [
    ({"crcl": 60, "crcl_range": "30-90"}, "give one of crcl"),
    ({"crcl_sd": 10}, "crcl_sd needs crcl_mean"),
    ({"crcl_range": "thirty"}, "LOW-HIGH"),
])
def test_crcl_distribution_refusals(kwargs: dict[str, object], needle: str) -> None:
    assert needle in refused(crcl_distribution, **kwargs)


def test_compare_and_ask() -> None:
    assert refused(app.compare, "").startswith("give an indication: one of")
    assert [o.drug for o in app.compare("phn", "Lyrica").options] == ["gabapentin", "pregabalin"]
    assert app.ask(["can", "I", "drink", "alcohol?"]).question == app.ask("can I drink alcohol?").question
