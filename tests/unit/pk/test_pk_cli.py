"""The ``simulate`` and ``simulate-population`` commands: JSON contract, exit codes, plots."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gabacare.cli import app

runner = CliRunner()


def _json(*args: str) -> dict[str, object]:
    res = runner.invoke(app, [*args, "--json"])
    assert res.exit_code == 0, res.output
    out: dict[str, object] = json.loads(res.stdout)
    return out


def test_simulate_json_has_the_contract_keys() -> None:
    out = _json("simulate", "300 mg TID", "--crcl", "90", "--days", "2")
    curve = out["curve"]
    assert isinstance(curve, dict) and len(curve["t_h"]) == len(curve["c_mg_per_l"]) == 49
    assert set(out["summary"]) >= {"cmax_mg_per_l", "tmax_h", "cmin_mg_per_l", "cavg_mg_per_l", "half_life_h"}
    assert out["citations"] and out["notice"]


def test_simulate_single_dose_json_gives_times_from_midnight_and_from_the_dose() -> None:
    out = _json("simulate", "400 mg once", "--days", "2")
    curve, summary, doses = out["curve"], out["summary"], out["doses"]
    assert isinstance(curve, dict) and isinstance(summary, dict) and isinstance(doses, list)
    dose_at = doses[0]["time_h"]
    assert dose_at > 0  # the dose is not at midnight
    assert len(curve["t_after_dose_h"]) == len(curve["t_h"])
    for t, after in zip(curve["t_h"], curve["t_after_dose_h"], strict=True):
        assert after is None if t < dose_at else after == pytest.approx(t - dose_at)
    assert summary["peak_dose_at_h"] == dose_at
    assert summary["tmax_after_dose_h"] == pytest.approx(summary["peak_at_h"] - dose_at)
    assert summary["tmax_after_dose_h"] == summary["tmax_h"]


def test_simulate_step_and_missed_doses() -> None:
    full = _json("simulate", "300 mg TID", "--days", "2", "--step-min", "30")
    missed = _json("simulate", "300 mg TID", "--days", "2", "--step-min", "30", "--missed", "4,day2@21:00")
    assert len(full["curve"]["t_h"]) == 97  # type: ignore[index]
    assert len(missed["doses"]) == len(full["doses"]) - 2  # type: ignore[arg-type]
    assert missed["summary"]["cavg_mg_per_l"] < full["summary"]["cavg_mg_per_l"]  # type: ignore[index]


@pytest.mark.parametrize(
    "args",
    [
        ["simulate", "0 mg TID"],
        ["simulate", "300 mg TID", "--crcl", "0"],
        ["simulate", "300 mg TID", "--days", "3651"],
        ["simulate", "300 mg TID", "--step-min", "0"],
        ["simulate", "300 mg TID", "--missed", "99"],
        ["simulate", "300 mg TID", "--plot", "curve.pdf"],
        ["simulate-population", "300 mg TID", "--n", "0"],
        ["simulate-population", "300 mg TID", "--crcl-range", "90-30"],
        ["simulate-population", "300 mg TID", "--crcl", "50", "--crcl-mean", "60"],
    ],
)
def test_bad_input_exits_2_with_one_line(args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(app, [*args, "--json"])
    assert res.exit_code == 2
    assert res.stdout == ""
    assert len(res.stderr.strip().splitlines()) == 1


def test_simulate_population_json_and_determinism() -> None:
    args = ("simulate-population", "300 mg BID", "--n", "300", "--crcl-mean", "60", "--crcl-sd", "20",
            "--days", "2", "--seed", "5", "--threshold-mg-per-l", "2")
    a, b = _json(*args), _json(*args)
    assert a == b
    pct = a["percentiles"]
    assert isinstance(pct, dict) and set(pct) == {"p5", "p50", "p95"}
    assert len(pct["p50"]) == len(a["t_h"]) == len(a["share_above"]) == 49  # type: ignore[arg-type]
    assert a["citations"] and a["notice"]


@pytest.mark.parametrize("suffix", [".svg", ".png"])
def test_plots_are_written(tmp_path: Path, suffix: str) -> None:
    pytest.importorskip("matplotlib")
    one, many = tmp_path / f"one{suffix}", tmp_path / f"many{suffix}"
    assert runner.invoke(app, ["simulate", "300 mg TID", "--days", "2", "--plot", str(one)]).exit_code == 0
    res = runner.invoke(app, ["simulate-population", "300 mg TID", "--n", "50", "--days", "2", "--plot", str(many)])
    assert res.exit_code == 0
    assert one.stat().st_size > 1000 and many.stat().st_size > 1000
    assert "Sources" in res.stdout


def test_human_output_has_units_sources_and_notice() -> None:
    res = runner.invoke(app, ["simulate", "400 mg once", "--crcl", "40", "--dialysis", "day1@12:00"])
    assert res.exit_code == 0, res.output
    assert "mg/L" in res.stdout and "label §12.3" in res.stdout and "clinician" in res.stdout
