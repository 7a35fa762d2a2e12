"""Single-patient simulation: any sequence of doses, CrCl changing over time, hemodialysis sessions.

Times are hours from ``t = 0`` (the regimen helpers put ``t = 0`` at midnight before the first dose
day); concentrations are plasma concentrations in mg/L; CrCl is in mL/min. The engine is exact (see
:mod:`gabacare.pk._engine`): the curve is the model's analytic solution at each sample time, whatever
the step.

Errors: every bad input raises :class:`gabacare.clinical.errors.ClinicalInputError` with one sentence.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from gabacare._record import record
from gabacare.clinical.errors import ClinicalInputError
from gabacare.clinical.units import CrCl
from gabacare.knowledge import Citation, load_monograph
from gabacare.pk import _engine
from gabacare.pk._engine import F64
from gabacare.pk.parameters import LN2, PKParameters, default_parameters

__all__ = [
    "CrClChange",
    "DialysisSession",
    "DoseEvent",
    "Engine",
    "Simulation",
    "Summary",
    "concentrations",
    "simulate_doses",
]

Engine = Literal["auto", "numpy", "numba"]
Advance = Callable[[_engine.Grid, _engine.Chunk, int, int, F64, F64, F64, int], None]

# "auto" uses numba only when the work is large enough to repay its start-up (import and cached
# compile take about a second); below this many patient-grid steps NumPy is faster overall
# (measured: NumPy ~35 ns per patient-step, numba ~5 ns, numba start-up ~1 s).
_NUMBA_PAYS_FROM = 30_000_000


def _finite(value: float, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ClinicalInputError(f"{what} must be a finite number, got {value!r}")
    return float(value)


@record
class DoseEvent:
    """A dose of ``mg`` taken at ``time_h`` (hours from t = 0); 0 mg is allowed (a skipped dose)."""

    time_h: float
    mg: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "time_h", _finite(self.time_h, "a dose time in hours"))
        mg = _finite(self.mg, "a dose in mg")
        if mg < 0:
            raise ClinicalInputError(f"a dose cannot be negative ({mg:g} mg)")
        object.__setattr__(self, "mg", mg)


@record
class DialysisSession:
    """A hemodialysis session from ``start_h`` to ``end_h`` (hours from t = 0)."""

    start_h: float
    end_h: float

    def __post_init__(self) -> None:
        start = _finite(self.start_h, "a dialysis start time")
        end = _finite(self.end_h, "a dialysis end time")
        if end <= start:
            raise ClinicalInputError(f"a dialysis session must end after it starts ({start:g} h to {end:g} h)")
        object.__setattr__(self, "start_h", start)
        object.__setattr__(self, "end_h", end)


@record
class CrClChange:
    """From ``time_h`` on, creatinine clearance is ``crcl_ml_min`` (validated as :class:`CrCl`)."""

    time_h: float
    crcl_ml_min: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "time_h", _finite(self.time_h, "a CrCl change time"))
        object.__setattr__(self, "crcl_ml_min", CrCl(self.crcl_ml_min).ml_min)


@record
class Summary:
    """Exposure over a window (normally the last dosing day), read from a fine grid.

    Times come two ways: from ``t = 0`` (the clock: midnight before the first dose day for the regimen
    helpers) and from the dose. ``tmax_h`` is the time from the latest dose before the peak to the peak,
    also given as ``tmax_after_dose_h`` so the name says what it is measured from; ``peak_at_h`` is the
    peak's clock position and ``peak_dose_at_h`` that dose's (``None`` if no dose precedes the peak in
    the window, and ``tmax_h`` is then measured from the window's start). ``half_life_h`` is the
    elimination half-life at the window's end (off dialysis); ``cavg`` is the area under the curve ÷
    the window's length.
    """

    cmax_mg_per_l: float
    tmax_h: float
    cmin_mg_per_l: float
    cavg_mg_per_l: float
    half_life_h: float
    peak_at_h: float
    window_start_h: float
    window_end_h: float
    tmax_after_dose_h: float
    peak_dose_at_h: float | None


@dataclass(frozen=True, eq=False)
class Simulation:
    """A concentration-time curve with its summary, the doses used and the citations."""

    t_h: F64
    c_mg_per_l: F64
    summary: Summary
    doses: tuple[DoseEvent, ...]
    crcl_ml_min: float
    citations: tuple[Citation, ...]

    @property
    def t_after_dose_h(self) -> F64:
        """Hours since the latest dose taken (mg > 0) at or before each sample; NaN before the first."""
        given = np.sort(np.array([d.time_h for d in self.doses if d.mg > 0], dtype=np.float64))
        # NOTE: a sample meant to fall on a dose time may sit a rounding error before it (t = start + i·step).
        idx = np.searchsorted(given, self.t_h + 1e-9, side="right") - 1
        out: F64 = np.full(self.t_h.shape, np.nan)
        hit = idx >= 0
        out[hit] = np.maximum(self.t_h[hit] - given[idx[hit]], 0.0)
        return out

    def to_json(self) -> dict[str, Any]:
        """The CLI/API contract: ``curve``, ``summary``, ``doses``, ``citations``.

        ``curve.t_h`` is hours from ``t = 0``; ``curve.t_after_dose_h`` is hours since the latest dose
        taken at or before each point (``null`` before the first dose), so "8 h after the dose" can be
        read off directly.
        """
        return {
            "curve": {"t_h": [round(float(t), 6) for t in self.t_h],
                      "c_mg_per_l": [round(float(c), 6) for c in self.c_mg_per_l],
                      "t_after_dose_h": [None if math.isnan(a) else round(float(a), 6) for a in self.t_after_dose_h]},
            "summary": {k: None if v is None else round(v, 6) for k, v in asdict(self.summary).items()},
            "crcl_ml_min": self.crcl_ml_min,
            "doses": [{"time_h": d.time_h, "mg": d.mg} for d in self.doses],
            "citations": list(self.citations),
        }


# --- input normalisation ----------------------------------------------------------------------

def as_dose_events(doses: Iterable[DoseEvent | tuple[float, float]]) -> tuple[DoseEvent, ...]:
    """Dose events from ``DoseEvent`` objects or ``(time_h, mg)`` pairs, sorted by time (stable)."""
    events = tuple(d if isinstance(d, DoseEvent) else DoseEvent(*d) for d in doses)
    return tuple(sorted(events, key=lambda d: d.time_h))


def _crcl_schedule(crcl: float | Sequence[CrClChange | tuple[float, float]]) -> tuple[F64, F64]:
    """(change times, CrCl per segment): segment 0 runs until the first change time."""
    if isinstance(crcl, int | float):
        return np.empty(0), np.array([CrCl(crcl).ml_min])
    changes = sorted((c if isinstance(c, CrClChange) else CrClChange(*c) for c in crcl), key=lambda c: c.time_h)
    if not changes:
        raise ClinicalInputError("a CrCl schedule needs at least one value")
    times = np.array([c.time_h for c in changes[1:]])
    values = np.array([c.crcl_ml_min for c in changes])
    return times, values


def _sessions(dialysis: Iterable[DialysisSession | tuple[float, float]]) -> tuple[DialysisSession, ...]:
    sessions = sorted((s if isinstance(s, DialysisSession) else DialysisSession(*s) for s in dialysis),
                      key=lambda s: s.start_h)
    for before, after in itertools.pairwise(sessions):
        if after.start_h < before.end_h:
            raise ClinicalInputError("dialysis sessions must not overlap")
    return tuple(sessions)


@record
class Timeline:
    """Where ``ke`` changes: ``breakpoints`` split time into segments with a CrCl and dialysis flag.

    ``crcl[s]`` is the CrCl of segment ``s`` (NaN when each patient keeps their own), and
    ``dialysis[s]`` whether a session runs.
    """

    breakpoints: F64
    crcl: F64
    dialysis: NDArray[np.bool_]


def timeline(crcl: float | Sequence[CrClChange | tuple[float, float]] | None,
             dialysis: Iterable[DialysisSession | tuple[float, float]] = ()) -> Timeline:
    """Merge a CrCl schedule (``None``: per-patient CrCl) and dialysis sessions into segments."""
    change_t, change_v = _crcl_schedule(crcl) if crcl is not None else (np.empty(0), np.array([np.nan]))
    sessions = _sessions(dialysis)
    edges = np.array([t for s in sessions for t in (s.start_h, s.end_h)])
    breakpoints = np.unique(np.concatenate([change_t, edges]))
    # Each segment is represented by its start; segment 0 by a point before every breakpoint.
    probe = np.concatenate([[-np.inf], breakpoints])
    seg_crcl = change_v[np.searchsorted(change_t, probe, side="right")]
    starts = np.array([s.start_h for s in sessions])
    ends = np.array([s.end_h for s in sessions])
    on = np.zeros(probe.size, dtype=np.bool_)
    if sessions:
        idx = np.searchsorted(starts, probe, side="right") - 1
        on = (idx >= 0) & (probe < ends[np.maximum(idx, 0)])
    return Timeline(breakpoints=breakpoints, crcl=seg_crcl, dialysis=on)


def ke_table(params: PKParameters, line: Timeline, crcl: F64, cl_scale: F64, volume: F64) -> F64:
    """``ke[segment, patient]`` in 1/h: scaled patient clearance (+ dialyser clearance) over volume.

    ``crcl`` is each patient's CrCl, used where the timeline has no shared value (NaN).
    """
    seg_crcl = np.where(np.isnan(line.crcl)[:, None], crcl[None, :], line.crcl[:, None])
    cl = cl_scale[None, :] * params.clearance_l_per_h(seg_crcl)
    cl = cl + np.asarray(line.dialysis, dtype=np.float64)[:, None] * params.cl_dialysis_l_per_h
    out: F64 = cl / volume[None, :]
    return out


def pick_advance(engine: Engine, work: int) -> Advance:
    """The recurrence to use: numba when asked (or, for ``auto``, when installed and the work is large)."""
    if engine == "numpy" or (engine == "auto" and work < _NUMBA_PAYS_FROM):
        return _engine.advance_numpy
    try:
        from gabacare.pk._numba_kernel import advance_numba
    except ImportError as exc:
        if engine == "numba":
            raise RuntimeError("numba is not installed: pip install 'gabacare[fast]'") from exc
        return _engine.advance_numpy
    return advance_numba


def validate_span(start_h: float, end_h: float, step_h: float) -> int:
    """Check the simulated span and the number of samples against the knowledge base limits."""
    pk = load_monograph().pk
    if not end_h > start_h:
        raise ClinicalInputError("the simulation must end after it starts")
    if (end_h - start_h) > pk.max_days * 24.0:
        raise ClinicalInputError(f"a simulation can cover at most {pk.max_days} days")
    if not (math.isfinite(step_h) and step_h > 0):
        raise ClinicalInputError("the output step must be more than 0 minutes")
    n = math.floor((end_h - start_h) / step_h + 1e-9) + 1
    if n > pk.max_output_points:
        raise ClinicalInputError(f"{n} output points is too many (at most {pk.max_output_points}); use a longer step")
    return n


# --- single patient ---------------------------------------------------------------------------

def concentrations(doses: Iterable[DoseEvent | tuple[float, float]], sample_t_h: Sequence[float] | F64, *,
                   crcl: float | Sequence[CrClChange | tuple[float, float]],
                   dialysis: Iterable[DialysisSession | tuple[float, float]] = (),
                   bioavailability: float | None = None, parameters: PKParameters | None = None,
                   engine: Engine = "auto") -> F64:
    """Plasma concentrations (mg/L) of one typical patient at the given sorted sample times.

    Parameters
    ----------
    doses : dose events or ``(time_h, mg)`` pairs, in any order; doses may be late, doubled or missing.
    sample_t_h : sorted sample times in hours.
    crcl : CrCl in mL/min, or a schedule of :class:`CrClChange` / ``(time_h, crcl)``.
    dialysis : hemodialysis sessions (``DialysisSession`` or ``(start_h, end_h)``).
    bioavailability : hold the fraction absorbed fixed (e.g. to test superposition); ``None`` uses the
        label's dose-dependent bioavailability.

    Examples
    --------
    >>> c = concentrations([(0.0, 300.0)], [0.0, 2.5, 24.0], crcl=100)
    >>> [round(float(v), 2) for v in c]
    [0.0, 2.38, 0.27]
    """
    params = parameters or default_parameters()
    events = as_dose_events(doses)
    t = np.asarray(sample_t_h, dtype=np.float64)
    if t.ndim != 1 or t.size == 0 or not np.all(np.isfinite(t)) or np.any(np.diff(t) < 0):
        raise ClinicalInputError("sample times must be a non-empty sorted list of finite hours")
    line = timeline(crcl, dialysis)
    mg = np.array([[d.mg for d in events]], dtype=np.float64)
    if bioavailability is None:
        absorbed = params.absorbed_mg(mg)
    else:
        f = _finite(bioavailability, "bioavailability")
        if not 0 < f <= 1:
            raise ClinicalInputError(f"bioavailability must be above 0 and at most 1, got {f:g}")
        absorbed = mg * f
    dose_t = np.array([[d.time_h for d in events]], dtype=np.float64)
    start = float(min(t[0], dose_t.min(initial=t[0])))
    one = np.ones(1)
    volume = one * params.volume_l
    ka = one * params.ka_per_h
    ke = ke_table(params, line, np.full(1, np.nan), one, volume)
    grid = _engine.build_grid(t, line.breakpoints, start)
    last = grid.times.size - 1
    chunk = _engine.make_chunk(grid, ka, ke, volume, dose_t, absorbed)
    out = np.zeros((t.size, 1))
    pick_advance(engine, grid.times.size)(grid, chunk, 0, last, np.zeros(1), np.zeros(1), out, 0)
    result: F64 = out[:, 0]
    return result


def _summary(events: tuple[DoseEvent, ...], end_h: float, start_h: float, params: PKParameters,
             crcl: float | Sequence[CrClChange | tuple[float, float]],
             dialysis: tuple[DialysisSession, ...], bioavailability: float | None) -> Summary:
    pk = load_monograph().pk
    given = [d.time_h for d in events if d.mg > 0 and d.time_h <= end_h]
    last = max(given) if given else start_h
    day = 24.0
    w0 = max(start_h, math.floor(last / day) * day)
    w1 = min(end_h, w0 + day)
    if w1 <= w0:
        w0, w1 = start_h, end_h
    step = pk.summary_step_min / 60.0
    n = max(2, math.ceil((w1 - w0) / step) + 1)
    t = np.linspace(w0, w1, n)
    c = concentrations(events, t, crcl=crcl, dialysis=dialysis, bioavailability=bioavailability,
                       parameters=params, engine="numpy")
    i = int(np.argmax(c))
    before = [d for d in given if d <= t[i]]
    auc = float(np.sum((c[1:] + c[:-1]) * np.diff(t)) / 2.0)
    line = timeline(crcl, ())
    seg = int(np.searchsorted(line.breakpoints, w1, side="right"))
    half_life = float(LN2 / params.ke_per_h(line.crcl[seg]))
    dose_at = max(before) if before else None
    tmax = float(t[i] - (w0 if dose_at is None else dose_at))
    return Summary(cmax_mg_per_l=float(c[i]), tmax_h=tmax,
                   cmin_mg_per_l=float(c.min()), cavg_mg_per_l=auc / (w1 - w0), half_life_h=half_life,
                   peak_at_h=float(t[i]), window_start_h=float(w0), window_end_h=float(w1),
                   tmax_after_dose_h=tmax, peak_dose_at_h=None if dose_at is None else float(dose_at))


def simulate_doses(doses: Iterable[DoseEvent | tuple[float, float]], *,
                   crcl: float | Sequence[CrClChange | tuple[float, float]],
                   end_h: float | None = None, start_h: float = 0.0, step_h: float | None = None,
                   dialysis: Iterable[DialysisSession | tuple[float, float]] = (),
                   bioavailability: float | None = None, parameters: PKParameters | None = None,
                   engine: Engine = "auto") -> Simulation:
    """Simulate any list of dose events for one typical patient: curve, summary and citations.

    This is the entry point for doses read from a journal (``gabacare simulate --patient``).

    Parameters
    ----------
    doses : ``DoseEvent`` objects or ``(time_h, mg)`` pairs (hours from t = 0; any order).
    crcl : CrCl in mL/min, or a schedule of ``(time_h, crcl)`` changes (the first applies from the start).
    end_h : end of the curve; default: the end of the day (24 h block from t = 0) of the last dose.
    start_h : start of the curve (doses before it still count).
    step_h : output step in hours (default: the knowledge base's, hourly).
    dialysis : hemodialysis sessions as ``DialysisSession`` or ``(start_h, end_h)``.
    bioavailability : a fixed fraction absorbed instead of the label's dose-dependent one.

    Returns
    -------
    Simulation
        ``t_h``, ``c_mg_per_l``, ``summary`` over the last dosing day, ``doses``, ``citations``.

    Raises
    ------
    ClinicalInputError
        negative dose, CrCl ≤ 0 or implausible, step ≤ 0, span over the knowledge base maximum, etc.

    Examples
    --------
    >>> sim = simulate_doses([(8.0, 300.0)], crcl=100)
    >>> float(sim.t_h[-1]), round(sim.summary.tmax_h, 2), round(sim.summary.half_life_h, 2)
    (24.0, 2.5, 6.5)
    """
    pk = load_monograph().pk
    params = parameters or default_parameters()
    events = as_dose_events(doses)
    sessions = _sessions(dialysis)
    if end_h is None:
        last = max((d.time_h for d in events), default=start_h)
        end_h = (math.floor(last / 24.0) + 1) * 24.0
    step = pk.default_step_min / 60.0 if step_h is None else _finite(step_h, "the output step")
    end = _finite(end_h, "the end time")
    n = validate_span(start_h, end, step)
    t: F64 = start_h + np.arange(n, dtype=np.float64) * step
    c = concentrations(events, t, crcl=crcl, dialysis=sessions, bioavailability=bioavailability,
                       parameters=params, engine=engine)
    summary = _summary(events, float(t[-1]), start_h, params, crcl, sessions, bioavailability)
    first_crcl = crcl if isinstance(crcl, int | float) else float(_crcl_schedule(crcl)[1][0])
    citations = (*params.citations, pk.simulation_citation)
    return Simulation(t_h=t, c_mg_per_l=c, summary=summary, doses=events,
                      crcl_ml_min=float(first_crcl), citations=citations)
