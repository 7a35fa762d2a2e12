"""PK use cases: ``simulate`` (one typical patient) and ``simulate_population`` (virtual patients).

Both read the regimen, the days, the output step, missed doses and hemodialysis sessions here, once,
then call the pure engine (:mod:`gabacare.pk`). NumPy and the engine are imported inside the functions
so that importing :mod:`gabacare.app` stays cheap.

Hemodialysis sessions are written ``dayN@HH:MM`` (also ``dN@HH:MM`` or ``dayN HH:MM``, as missed doses
are), repeatable or comma-separated, each as long as the label's session (knowledge base
``[renal].hemodialysis_session_h``). Day N must be one of the simulated days: a session after the
last day would change nothing, so it is refused rather than silently ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from gabacare._record import record
from gabacare.app._inputs import items, positive_finite
from gabacare.clinical.errors import ClinicalInputError
from gabacare.clinical.regimen import parse_clock, parse_regimen
from gabacare.knowledge import load_monograph

if TYPE_CHECKING:
    from gabacare.pk import CrClDistribution, DialysisSession, PopulationResult, Simulation

__all__ = [
    "PopulationAnswer",
    "SimulationAnswer",
    "crcl_distribution",
    "dialysis_sessions",
    "output_step_min",
    "simulate",
    "simulate_population",
]

# The same day-and-time grammar as a missed dose (gabacare.pk.dosing): day2@09:00, d2@9:00, day2 09:00.
_DAY_TIME = re.compile(r"d(?:ay)?\s*(\d+)\s*(?:@|\s)\s*(\d{1,2}:\d{2})", re.IGNORECASE)
_MAX_DAY_DIGITS = 6  # longer numbers are out of range anyway (and int() of thousands of digits is refused)


@record
class SimulationAnswer:
    """One typical patient's curve on a regimen, with the inputs that made it (``gabacare simulate``)."""

    simulation: Simulation
    regimen: str
    days: int
    step_min: float

    def to_json(self) -> dict[str, Any]:
        """Contract keys: ``curve {t_h, c_mg_per_l}``, ``summary`` (last dosing day), and the inputs."""
        return {**self.simulation.to_json(), "regimen": self.regimen, "days": self.days, "step_min": self.step_min,
                "plot": None, "notice": load_monograph().notice_text}


@record
class PopulationAnswer:
    """Percentiles over virtual patients on a regimen (``gabacare simulate-population``)."""

    result: PopulationResult
    regimen: str
    days: int
    step_min: float

    def to_json(self) -> dict[str, Any]:
        """The population's percentiles over time (see :class:`gabacare.pk.PopulationResult`) and the inputs."""
        return {**self.result.to_json(), "regimen": self.regimen, "days": self.days, "step_min": self.step_min,
                "plot": None, "notice": load_monograph().notice_text}


def output_step_min(step_min: float | None) -> float:
    """The output step in minutes: the knowledge base's default (``[pk].default_step_min``) or a finite
    number above 0.

    Examples
    --------
    >>> output_step_min(30)
    30.0
    >>> output_step_min(0)
    Traceback (most recent call last):
    ...
    gabacare.clinical.errors.ClinicalInputError: step_min must be more than 0 minutes, got 0
    """
    if step_min is None:
        return float(load_monograph().pk.default_step_min)
    return positive_finite(float(step_min), "step_min", "minutes")


def dialysis_sessions(specs: str | Sequence[str] | None, days: int) -> list[DialysisSession]:
    """Hemodialysis sessions from ``dayN@HH:MM`` texts, for a simulation of ``days`` days (t = 0 is midnight
    before day 1; each session lasts the label's session length).

    Examples
    --------
    >>> [(s.start_h, s.end_h) for s in dialysis_sessions(["day2@09:00", "d3 10:30, day5@08:00"], 7)]
    [(33.0, 37.0), (58.5, 62.5), (104.0, 108.0)]
    >>> dialysis_sessions("day12345@09:00", 7)
    Traceback (most recent call last):
    ...
    gabacare.clinical.errors.ClinicalInputError: dialysis day must be one of the simulated days 1-7, got 'day12345@09:00'
    """
    from gabacare.pk import DialysisSession

    length = load_monograph().renal.hemodialysis_session_h
    sessions = []
    texts = [part for spec in items(specs) for part in items(spec)]  # repeatable, or comma-separated
    for text in texts:
        m = _DAY_TIME.fullmatch(text)
        if not m:
            raise ClinicalInputError(f"dialysis takes dayN@HH:MM (e.g. day2@09:00), got {text!r}")
        digits = m.group(1)
        if len(digits) > _MAX_DAY_DIGITS or not 1 <= int(digits) <= days:
            raise ClinicalInputError(f"dialysis day must be one of the simulated days 1-{days}, got {text!r}")
        at = parse_clock(m.group(2))
        start = (int(digits) - 1) * 24.0 + at.hour + at.minute / 60.0
        sessions.append(DialysisSession(start, start + length))
    return sessions


def _days(days: int | None) -> int:
    return int(load_monograph().pk.default_days) if days is None else days


def simulate(*, regimen: str, crcl: float | None = None, days: int | None = None, step_min: float | None = None,
             missed: str | Sequence[str] | None = None, dialysis: str | Sequence[str] | None = None) -> SimulationAnswer:
    """Concentration-time curve of one typical patient on a regimen text (label §12.3).

    Defaults (days, output step, reference CrCl) come from the knowledge base ``[pk]``. Inputs are read in
    this order, so one bad request gets the same first refusal from every face: the regimen, the days and
    missed doses, the output step, the dialysis sessions, then CrCl (by the engine).

    Examples
    --------
    >>> answer = simulate(regimen="300 mg TID", days=2, dialysis=["day2@09:00"])
    >>> answer.to_json()["days"], len(answer.simulation.t_h)
    (2, 49)
    """
    from gabacare.pk import parse_missed, regimen_doses, simulate_doses

    reg = parse_regimen(regimen)
    n_days = _days(days)
    events = regimen_doses(reg, n_days, parse_missed(items(missed), reg, n_days))
    step = output_step_min(step_min)
    sessions = dialysis_sessions(dialysis, n_days)
    crcl_value = load_monograph().pk.reference_crcl_ml_min if crcl is None else crcl
    sim = simulate_doses(events, crcl=crcl_value, end_h=n_days * 24.0, step_h=step / 60.0, dialysis=sessions)
    return SimulationAnswer(sim, reg.describe(), n_days, step)


def crcl_distribution(*, crcl: float | None = None, crcl_mean: float | None = None, crcl_sd: float | None = None,
                      crcl_range: str | None = None) -> CrClDistribution:
    """The virtual patients' CrCl: one value, a normal (mean, sd) or a uniform ``LOW-HIGH`` range;
    the reference CrCl when none is given."""
    from gabacare.pk import CrClDistribution

    given = [crcl is not None, crcl_mean is not None or crcl_sd is not None, crcl_range is not None]
    if sum(given) > 1:
        raise ClinicalInputError("give one of crcl, crcl_mean/crcl_sd or crcl_range")
    if crcl_range is not None:
        low, _sep, high = crcl_range.partition("-")
        try:
            lo, hi = float(low), float(high)
        except ValueError:
            raise ClinicalInputError(f"crcl_range takes LOW-HIGH in mL/min (e.g. 30-90), got {crcl_range!r}") from None
        return CrClDistribution.uniform(lo, hi)
    if crcl_mean is not None or crcl_sd is not None:
        if crcl_mean is None:
            raise ClinicalInputError("crcl_sd needs crcl_mean")
        return CrClDistribution.normal(crcl_mean, 0.0 if crcl_sd is None else crcl_sd)
    return CrClDistribution.fixed(load_monograph().pk.reference_crcl_ml_min if crcl is None else crcl)


def simulate_population(*, regimen: str, n: int | None = None, crcl: float | None = None,
                        crcl_mean: float | None = None, crcl_sd: float | None = None, crcl_range: str | None = None,
                        days: int | None = None, step_min: float | None = None, seed: int | None = None,
                        threshold_mg_per_l: float | None = None, dialysis: str | Sequence[str] | None = None,
                        progress: Callable[[int, int], None] | None = None,
                        dask: str | None = None) -> PopulationAnswer:
    """Percentiles (5th/50th/95th) over time for ``n`` virtual patients on a regimen text.

    ``n`` defaults to ``[pk].population_default_n``; ``progress(done, total)`` is called as patients finish.
    ``dask`` is a Dask scheduler's address: the patients' chunks then run as tasks on that cluster (the
    ``cluster`` extra), with the same result as a local run for the same seed. Without Dask installed it
    raises :class:`gabacare.errors.InputError` (CLI exit 2).
    """
    from gabacare.pk import regimen_doses
    from gabacare.pk import simulate_population as run

    runner = None
    if dask is not None:
        from gabacare.app._cluster import dask_runner

        runner = dask_runner(dask)
    pk = load_monograph().pk
    reg = parse_regimen(regimen)
    n_days = _days(days)
    events = regimen_doses(reg, n_days)
    step = output_step_min(step_min)
    sessions = dialysis_sessions(dialysis, n_days)
    dist = crcl_distribution(crcl=crcl, crcl_mean=crcl_mean, crcl_sd=crcl_sd, crcl_range=crcl_range)
    result = run(events, n=pk.population_default_n if n is None else n, crcl=dist, end_h=n_days * 24.0,
                 step_h=step / 60.0, seed=seed, threshold_mg_per_l=threshold_mg_per_l, dialysis=sessions,
                 progress=progress, runner=runner)
    return PopulationAnswer(result, reg.describe(), n_days, step)
