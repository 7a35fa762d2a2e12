"""From measured levels to one patient's parameters (Bayesian MAP) and a dose proposal, cited.

The population model (:func:`population_model`, knowledge base ``[pk]`` + ``[pk_population]``) is
the simulator's one-compartment model with first-order absorption, clearance on CrCl and
dose-dependent bioavailability (label §12.3, :mod:`gabacare.pk.parameters`), plus log-normal
between-subject variability and a proportional residual error on the log scale::

    CL_i = CL(CrCl) · exp(η_CL),   V_i = V · exp(η_V),   ka_i = ka · exp(η_ka),   η ~ N(0, Ω)
    log(level) = log(C(t; CL_i, V_i, ka_i)) + ε,         ε ~ N(0, σ²)

with Ω diagonal, ω² = ln(1 + CV²) per parameter (``gidal-2000`` for clearance, the label's volume
spread, ``[pk].iiv_cv_ka`` for absorption) and σ² = ln(1 + CV²) for the residual (``va428-2017``).

* :func:`estimate`: the maximum a posteriori η for one patient (Levenberg–Marquardt on the stacked,
  whitened residuals, several starts), its Laplace covariance (inverse Hessian of the negative log
  posterior at the mode) and the interval of individual clearance it implies.
* :func:`predict_regimens`: steady-state trough and peak under candidate regimens, with intervals from
  η drawn from the Laplace normal (seeded: the same inputs give the same answer).
* :func:`choose`: the candidate whose predicted trough is inside the reference range and closest to its
  geometric middle; never a regimen it was not given.

Pure: NumPy and the standard library only; no I/O, no clock. Times are hours from a common t = 0,
doses mg, levels mg/L, CrCl mL/min.

Errors::

    ClinicalInputError (gabacare.clinical.errors)
    └── EstimationInputError    no level, a level before any dose, a non-finite, zero or negative
                                value, an empty regimen…: one sentence saying what to fix
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from statistics import NormalDist

import numpy as np
from numpy.typing import NDArray

from gabacare._record import record
from gabacare.clinical.errors import ClinicalInputError
from gabacare.clinical.units import CrCl
from gabacare.knowledge import Citation, load_monograph
from gabacare.pk.model import DoseEvent, as_dose_events
from gabacare.pk.parameters import PKParameters, default_parameters

__all__ = [
    "ETA_NAMES",
    "Estimate",
    "EstimationInputError",
    "Level",
    "LevelPrediction",
    "Params",
    "PopulationModel",
    "Regimen",
    "RegimenPrediction",
    "TargetRange",
    "choose",
    "estimate",
    "level_from_umol_per_l",
    "model_concentrations",
    "population_model",
    "predict_regimens",
]

F64 = NDArray[np.float64]

ETA_NAMES = ("cl", "v", "ka")
_N_ETA = len(ETA_NAMES)
HOURS_PER_DAY = 24.0  # unit conversion
_MG_PER_G = 1000.0  # unit conversion: µmol/L × g/mol ÷ 1000 = mg/L
_MIN_PER_H = 60.0  # unit conversion

# Numerical settings of the optimiser (method choices, not clinical numbers; docs/pk-estimation.md).
_FD_STEP = 1e-5  # central-difference step in η for the Jacobian
_HESS_STEP = 1e-4  # step in η for the finite-difference Hessian
_LM_LAMBDA0 = 1e-3
_LM_GROW, _LM_SHRINK = 10.0, 0.1
_LM_LAMBDA_MAX = 1e12
_STEP_TOL = 1e-9  # stop when the step in η is this small
_COST_TOL = 1e-14  # …or the relative fall of the objective is this small
_GRAD_TOL = 1e-9  # …or the gradient of the objective is this small
_TINY_CONC = 1e-300  # floor before a logarithm (a prediction that underflowed)
_RATE_SEPARATION = 1e-9  # ka and ke closer than this (relative) are nudged apart at steady state
_SAMPLE_CHUNK = 256  # η draws evaluated at once on the steady-state grid (bounds memory)
_PEAK_COARSE_STEPS = 96  # points a day on which the steady-state peak is first located (then refined)
_GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0  # golden-section ratio


class EstimationInputError(ClinicalInputError):
    """An input to the estimator is missing or cannot be used (the message says what to log or fix)."""


def _finite(value: float, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise EstimationInputError(f"{what} must be a finite number")
    return float(value)


# --- values -------------------------------------------------------------------------------------

@record
class Params:
    """One-compartment parameters: clearance (L/h), volume (L), absorption rate (1/h)."""

    cl_l_per_h: float
    v_l: float
    ka_per_h: float

    @property
    def ke_per_h(self) -> float:
        """Elimination rate constant ``CL / V`` (1/h)."""
        return self.cl_l_per_h / self.v_l

    @property
    def half_life_h(self) -> float:
        """Elimination half-life ``ln 2 · V / CL`` (h)."""
        return math.log(2.0) / self.ke_per_h


@record
class Level:
    """A measured plasma level: ``mg_per_l`` (mg/L = µg/mL) drawn at ``time_h`` (hours from t = 0).

    A level must be above 0: a result below the assay's limit carries no number to fit.
    """

    time_h: float
    mg_per_l: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "time_h", _finite(self.time_h, "a level's time in hours"))
        value = _finite(self.mg_per_l, "a level in mg/L")
        if value <= 0:
            raise EstimationInputError("a level must be above 0 mg/L (a result below the assay's limit cannot be fitted)")
        object.__setattr__(self, "mg_per_l", value)


def level_from_umol_per_l(time_h: float, umol_per_l: float, model: PopulationModel | None = None) -> Level:
    """A :class:`Level` from a result in µmol/L: mg/L = µmol/L × molar mass (g/mol) ÷ 1000.

    The molar mass is the knowledge base's (``[pk_population].molar_mass_g_per_mol``, source
    ``usp-gabapentin``).

    Examples
    --------
    >>> round(level_from_umol_per_l(6.0, 35.0).mg_per_l, 3)
    5.993
    """
    m = model or population_model()
    return Level(time_h, _finite(umol_per_l, "a level in µmol/L") * m.molar_mass_g_per_mol / _MG_PER_G)


@record
class TargetRange:
    """A reference range for a steady-state trough (mg/L) with its sources."""

    low_mg_per_l: float
    high_mg_per_l: float
    sample: str
    citations: tuple[Citation, ...]

    @property
    def geometric_middle_mg_per_l(self) -> float:
        """``√(low · high)``: the middle of the range on the log scale the residual error lives on."""
        return math.sqrt(self.low_mg_per_l * self.high_mg_per_l)

    def contains(self, mg_per_l: float) -> bool:
        """Whether a level lies in the range (ends included)."""
        return self.low_mg_per_l <= mg_per_l <= self.high_mg_per_l


@dataclass(frozen=True, eq=False)
class PopulationModel:
    """The population model: typical values, between-subject variability, residual error, settings.

    Build it with :func:`population_model`. ``omega`` holds the η variances (log scale) in the order
    of :data:`ETA_NAMES`; ``residual_sd`` is σ on the log scale.
    """

    parameters: PKParameters
    omega: tuple[float, float, float]
    residual_sd: float
    target: TargetRange
    molar_mass_g_per_mol: float
    interval_probability: float
    prediction_samples: int
    prediction_seed: int
    starts_sd: tuple[float, ...]
    max_iterations: int
    grid_step_h: float
    citations: tuple[Citation, ...]

    def typical(self, crcl_ml_min: float) -> Params:
        """The typical patient's parameters at a CrCl (mL/min), η = 0.

        Examples
        --------
        >>> p = population_model().typical(100.0)
        >>> round(p.half_life_h, 2), p.v_l
        (6.5, 58.0)
        """
        return self.individual(crcl_ml_min, (0.0, 0.0, 0.0))

    def individual(self, crcl_ml_min: float, eta: Sequence[float]) -> Params:
        """Parameters for a CrCl (mL/min) and an η vector (order of :data:`ETA_NAMES`)."""
        crcl = CrCl(crcl_ml_min).ml_min
        e = [float(x) for x in eta]
        if len(e) != _N_ETA or not all(math.isfinite(x) for x in e):
            raise EstimationInputError(f"eta must be {_N_ETA} finite numbers")
        p = self.parameters
        return Params(cl_l_per_h=float(p.clearance_l_per_h(crcl)) * math.exp(e[0]),
                      v_l=p.volume_l * math.exp(e[1]), ka_per_h=p.ka_per_h * math.exp(e[2]))

    @property
    def omega_sd(self) -> F64:
        """The between-subject standard deviations of η (log scale)."""
        return np.sqrt(np.asarray(self.omega, dtype=np.float64))


def _log_variance(cv: float) -> float:
    """The log-scale variance of a log-normal quantity with coefficient of variation ``cv``."""
    return math.log1p(cv * cv)


@cache
def population_model() -> PopulationModel:
    """The population model from the bundled knowledge base (built once).

    Typical values: ``[pk]`` (label §12.3, :func:`gabacare.pk.parameters.default_parameters`).
    Variability: clearance ``[pk_population].omega_cv_clearance`` (``gidal-2000``), volume the label's
    ``volume_sd_l / volume_l``, absorption rate ``[pk].iiv_cv_ka`` (``gabacare-policy``). Residual:
    ``[pk_population].residual_cv`` (``va428-2017``). Reference range: ``[pk_population.reference_range]``.

    Raises
    ------
    gabacare.knowledge.KnowledgeBaseError
        the knowledge base has no ``[pk_population]`` table (a broken installation).
    """
    from gabacare.knowledge import KnowledgeBaseError

    mono = load_monograph()
    pop = mono.pk_population
    if pop is None:
        raise KnowledgeBaseError("gabapentin.toml: [pk_population] is missing")
    params = default_parameters()
    rng = pop.reference_range
    target = TargetRange(low_mg_per_l=rng.low_mg_per_l, high_mg_per_l=rng.high_mg_per_l, sample=rng.sample,
                         citations=rng.citations)
    omega = (_log_variance(pop.omega_cv_clearance), _log_variance(params.iiv_cv_volume),
             _log_variance(params.iiv_cv_ka))
    s = pop.settings
    citations = (*params.citations, pop.structure_citation, pop.clearance_variability_citation,
                 pop.other_variability_citation, mono.pk.iiv_citation, pop.residual_citation, *s.citations)
    return PopulationModel(
        parameters=params, omega=omega, residual_sd=math.sqrt(_log_variance(pop.residual_cv)), target=target,
        molar_mass_g_per_mol=pop.molar_mass_g_per_mol, interval_probability=s.interval_probability,
        prediction_samples=s.prediction_samples, prediction_seed=s.prediction_seed,
        starts_sd=s.optimizer_starts_sd, max_iterations=s.optimizer_max_iterations,
        grid_step_h=mono.pk.summary_step_min / _MIN_PER_H, citations=_unique(citations))


def _unique(citations: Iterable[Citation]) -> tuple[Citation, ...]:
    seen: dict[tuple[str, str | None], Citation] = {}
    for c in citations:
        seen.setdefault((c.source, c.section), c)
    return tuple(seen.values())


# --- the model's concentrations -----------------------------------------------------------------

def _bateman(ka: F64, ke: F64, dt: F64) -> F64:
    """``(e^{−ke·dt} − e^{−ka·dt}) / (ka − ke)`` for dt ≥ 0, stable for any ka, ke (limit ``dt·e^{−k·dt}``)."""
    lo = np.minimum(ka, ke)
    gap = np.abs(ka - ke)
    safe = np.where(gap > 0, gap, 1.0)
    ratio = np.where(gap > 0, -np.expm1(-gap * dt) / safe, dt)
    out: F64 = np.exp(-lo * dt) * ratio
    return out


def _concentrations(cl: F64, v: F64, ka: F64, dose_t: F64, absorbed: F64, t: F64) -> F64:
    """Concentrations (mg/L), shape ``(k, m)``, for k parameter sets at m times: superposition of doses."""
    dt = t[None, :, None] - dose_t[None, None, :]
    given = dt > 0
    dtp = np.where(given, dt, 0.0)
    k3 = (cl / v)[:, None, None]
    ka3 = ka[:, None, None]
    terms = np.where(given, absorbed[None, None, :] * _bateman(ka3, k3, dtp), 0.0)
    out: F64 = (ka / v)[:, None] * terms.sum(axis=-1)
    return out


@record
class _Problem:
    """One patient's data, ready for the objective: typical values, doses, levels."""

    model: PopulationModel
    typical: Params
    dose_t: F64
    absorbed: F64
    level_t: F64
    log_level: F64

    def predict(self, etas: F64) -> F64:
        """Predicted levels, shape ``(k, n_levels)``, for k η vectors (rows)."""
        e = np.exp(etas)
        return _concentrations(self.typical.cl_l_per_h * e[:, 0], self.typical.v_l * e[:, 1],
                               self.typical.ka_per_h * e[:, 2], self.dose_t, self.absorbed, self.level_t)

    def residuals(self, etas: F64) -> F64:
        """Stacked whitened residuals, shape ``(k, n_levels + 3)``: data then prior."""
        pred = np.maximum(self.predict(etas), _TINY_CONC)
        data = (self.log_level[None, :] - np.log(pred)) / self.model.residual_sd
        prior = etas / self.model.omega_sd[None, :]
        out: F64 = np.concatenate([data, prior], axis=1)
        return out

    def objective(self, etas: F64) -> F64:
        """The negative log posterior up to a constant: ``½ Σ r²`` per η row."""
        r = self.residuals(etas)
        out: F64 = 0.5 * np.sum(r * r, axis=1)
        return out


def _problem(model: PopulationModel, doses: Iterable[DoseEvent | tuple[float, float]],
             levels: Iterable[Level | tuple[float, float]], crcl_ml_min: float) -> tuple[_Problem, tuple[DoseEvent, ...],
                                                                                         tuple[Level, ...]]:
    try:
        events = as_dose_events(doses)
    except ClinicalInputError as exc:
        raise EstimationInputError(str(exc)) from exc
    lv = tuple(sorted((x if isinstance(x, Level) else Level(*x) for x in levels), key=lambda x: x.time_h))
    if not lv:
        raise EstimationInputError("no measured level: log a gabapentin level (mg/L) with the time it was drawn")
    taken = [d.time_h for d in events if d.mg > 0]
    if not taken:
        raise EstimationInputError("no dose taken: log the doses taken before the level")
    if lv[0].time_h <= min(taken):
        raise EstimationInputError("a level was drawn before any dose was taken: check its time or log the earlier doses")
    typical = model.typical(crcl_ml_min)
    dose_t = np.array([d.time_h for d in events], dtype=np.float64)
    absorbed = model.parameters.absorbed_mg(np.array([d.mg for d in events], dtype=np.float64))
    prob = _Problem(model=model, typical=typical, dose_t=dose_t, absorbed=absorbed,
                    level_t=np.array([x.time_h for x in lv], dtype=np.float64),
                    log_level=np.log(np.array([x.mg_per_l for x in lv], dtype=np.float64)))
    return prob, events, lv


def model_concentrations(params: Params, doses: Iterable[DoseEvent | tuple[float, float]], t_h: Sequence[float] | F64,
                         model: PopulationModel | None = None) -> F64:
    """Concentrations (mg/L) at times ``t_h`` for given parameters and doses (the model's superposition).

    Doses are ``DoseEvent`` or ``(time_h, mg)``; the absorbed amount of each is the knowledge base's
    dose-dependent bioavailability (label §12.3). Used for curves (population, individual, a drawn η)
    and by the validation study.

    Examples
    --------
    >>> p = population_model().typical(100.0)
    >>> [round(float(c), 2) for c in model_concentrations(p, [(0.0, 300.0)], [2.5, 24.0])]
    [2.38, 0.27]
    """
    m = model or population_model()
    events = as_dose_events(doses)
    absorbed = m.parameters.absorbed_mg(np.array([d.mg for d in events], dtype=np.float64))
    out: F64 = _concentrations(np.array([params.cl_l_per_h]), np.array([params.v_l]), np.array([params.ka_per_h]),
                               np.array([d.time_h for d in events], dtype=np.float64), absorbed,
                               np.asarray(t_h, dtype=np.float64))[0]
    return out


# --- the optimiser ------------------------------------------------------------------------------

def _jacobian(prob: _Problem, eta: F64) -> tuple[F64, F64]:
    """Residuals at η and their Jacobian by central differences (one batched evaluation)."""
    h = _FD_STEP
    pts = np.repeat(eta[None, :], 1 + 2 * _N_ETA, axis=0)
    for i in range(_N_ETA):
        pts[1 + 2 * i, i] += h
        pts[2 + 2 * i, i] -= h
    r = prob.residuals(pts)
    jac = np.stack([(r[1 + 2 * i] - r[2 + 2 * i]) / (2 * h) for i in range(_N_ETA)], axis=1)
    return r[0], jac


def _levenberg_marquardt(prob: _Problem, start: F64) -> tuple[F64, float, bool]:
    """Minimise ``½‖r(η)‖²`` from ``start``: (η, objective, converged).

    Levenberg–Marquardt with Marquardt's diagonal scaling, on the full finite-difference Hessian where
    it is positive definite and on Gauss–Newton's ``JᵀJ`` otherwise (with one or two levels the
    residuals at the mode are not small, and Gauss–Newton alone creeps along the CL–ka ridge).
    """
    eta = start.copy()
    r, jac = _jacobian(prob, eta)
    cost = 0.5 * float(r @ r)
    lam = _LM_LAMBDA0
    for _ in range(prob.model.max_iterations):
        grad = jac.T @ r
        if float(np.max(np.abs(grad))) < _GRAD_TOL:
            return eta, cost, True
        a = _hessian(prob, eta)
        damped = a + lam * np.diag(np.diag(a))
        try:
            step = np.linalg.solve(damped, -grad)
        except np.linalg.LinAlgError:
            lam *= _LM_GROW
            continue
        trial = eta + step
        new_cost = float(prob.objective(trial[None, :])[0])
        if math.isfinite(new_cost) and new_cost < cost:
            done = (float(np.max(np.abs(step))) < _STEP_TOL) or (cost - new_cost <= _COST_TOL * max(cost, 1.0))
            eta, cost = trial, new_cost
            lam = max(lam * _LM_SHRINK, _COST_TOL)
            r, jac = _jacobian(prob, eta)
            if done:
                return eta, cost, True
        else:
            lam *= _LM_GROW
            if lam > _LM_LAMBDA_MAX:
                # No step lowers the objective: a (numerical) minimum.
                return eta, cost, True
    return eta, cost, False


def _hessian(prob: _Problem, eta: F64) -> F64:
    """Hessian of the objective at η: central finite differences (batched), Gauss–Newton if not definite."""
    h = _HESS_STEP
    eye = np.eye(_N_ETA) * h
    pts = [eta]
    for i in range(_N_ETA):
        pts += [eta + eye[i], eta - eye[i]]
    pairs = [(i, j) for i in range(_N_ETA) for j in range(i + 1, _N_ETA)]
    for i, j in pairs:
        pts += [eta + eye[i] + eye[j], eta + eye[i] - eye[j], eta - eye[i] + eye[j], eta - eye[i] - eye[j]]
    f = prob.objective(np.array(pts))
    hess = np.empty((_N_ETA, _N_ETA))
    for i in range(_N_ETA):
        hess[i, i] = (f[1 + 2 * i] - 2 * f[0] + f[2 + 2 * i]) / (h * h)
    base = 1 + 2 * _N_ETA
    for k, (i, j) in enumerate(pairs):
        pp, pm, mp, mm = f[base + 4 * k: base + 4 * k + 4]
        hess[i, j] = hess[j, i] = (pp - pm - mp + mm) / (4 * h * h)
    if np.all(np.linalg.eigvalsh(hess) > 0):
        return hess
    _, jac = _jacobian(prob, eta)
    out: F64 = jac.T @ jac
    return out


# --- estimate -----------------------------------------------------------------------------------

@record
class LevelPrediction:
    """A measured level beside the model's predictions at its time (mg/L)."""

    time_h: float
    measured_mg_per_l: float
    population_mg_per_l: float
    individual_mg_per_l: float


@dataclass(frozen=True, eq=False)
class Estimate:
    """One patient's MAP estimate with its Laplace uncertainty.

    ``eta`` is the posterior mode (order :data:`ETA_NAMES`) and ``covariance`` the inverse Hessian of
    the negative log posterior there; ``cl_interval`` is the central ``interval_probability`` interval of
    individual clearance (L/h) under that normal. ``converged`` is False if the optimiser stopped on its
    iteration limit (the result is then the best point found).
    """

    population: Params
    individual: Params
    eta: tuple[float, float, float]
    covariance: tuple[tuple[float, ...], ...]
    cl_interval: tuple[float, float]
    interval_probability: float
    predictions: tuple[LevelPrediction, ...]
    doses: tuple[DoseEvent, ...]
    levels: tuple[Level, ...]
    crcl_ml_min: float
    objective: float
    converged: bool
    model: PopulationModel
    citations: tuple[Citation, ...]

    @property
    def cl_interval_90(self) -> tuple[float, float]:
        """``cl_interval`` (named for the knowledge base's 90 %; see ``interval_probability``)."""
        return self.cl_interval

    def concentrations(self, t_h: Sequence[float] | F64, *, individual: bool = True,
                       extra_doses: Iterable[DoseEvent | tuple[float, float]] = ()) -> F64:
        """The model curve (mg/L) at sorted times, for this patient's doses plus ``extra_doses``.

        ``individual=False`` gives the typical patient's curve at the same CrCl.
        """
        p = self.individual if individual else self.population
        return model_concentrations(p, (*self.doses, *extra_doses), t_h, self.model)

    def band(self, t_h: Sequence[float] | F64) -> tuple[F64, F64]:
        """The central ``interval_probability`` band (mg/L) of this patient's curve at times ``t_h``.

        Each of the :meth:`draws` (η from the Laplace normal, seeded) gives a curve for this
        patient's doses; the band is their pointwise quantiles. Draws are evaluated in chunks of
        :data:`_SAMPLE_CHUNK` so memory stays bounded.
        """
        t = np.asarray(t_h, dtype=np.float64)
        pop, m = self.population, self.model
        draws = np.exp(self.draws())
        dose_t = np.array([d.time_h for d in self.doses], dtype=np.float64)
        absorbed = m.parameters.absorbed_mg(np.array([d.mg for d in self.doses], dtype=np.float64))
        curves = [_concentrations(pop.cl_l_per_h * d[:, 0], pop.v_l * d[:, 1], pop.ka_per_h * d[:, 2], dose_t, absorbed, t)
                  for d in (draws[a:a + _SAMPLE_CHUNK] for a in range(0, draws.shape[0], _SAMPLE_CHUNK))]
        q = (1.0 - m.interval_probability) / 2.0
        lo, hi = np.quantile(np.concatenate(curves), [q, 1.0 - q], axis=0)
        return lo, hi

    def log_posterior(self, etas: Sequence[Sequence[float]] | F64) -> F64:
        """The unnormalised log posterior of η rows (shape ``(k, 3)``) for this patient's data.

        ``−½ Σ ((log level − log prediction)/σ)² − ½ ηᵀ Ω⁻¹ η``; its maximum is :attr:`eta`. For checks
        against brute-force posteriors (``benchmarks/pk_estimation.py``).
        """
        prob, _, _ = _problem(self.model, self.doses, self.levels, self.crcl_ml_min)
        out: F64 = -prob.objective(np.atleast_2d(np.asarray(etas, dtype=np.float64)))
        return out

    def draws(self, n: int | None = None, seed: int | None = None) -> F64:
        """η draws, shape ``(n, 3)``, from the Laplace normal (knowledge-base count and seed by default)."""
        count = self.model.prediction_samples if n is None else n
        rng = np.random.default_rng(self.model.prediction_seed if seed is None else seed)
        chol = np.linalg.cholesky(np.array(self.covariance))
        out: F64 = np.array(self.eta)[None, :] + rng.standard_normal((count, _N_ETA)) @ chol.T
        return out


def estimate(doses: Iterable[DoseEvent | tuple[float, float]], levels: Iterable[Level | tuple[float, float]], *,
             crcl_ml_min: float, model: PopulationModel | None = None) -> Estimate:
    """The maximum a posteriori estimate of one patient's parameters from measured levels.

    Parameters
    ----------
    doses : the doses taken (``DoseEvent`` or ``(time_h, mg)``), hours from a common t = 0; missed doses
        are simply absent (or 0 mg). Every dose before the last level counts.
    levels : measured levels (``Level`` or ``(time_h, mg/L)``), each after at least the first dose.
    crcl_ml_min : the patient's creatinine clearance (mL/min), taken as constant over the history.
    model : the population model (default: :func:`population_model`).

    Returns
    -------
    Estimate
        population and individual parameters, the η mode, its Laplace covariance, the interval of
        clearance, each level with the population and individual prediction, citations.

    Raises
    ------
    EstimationInputError
        no level, no dose, a level before the first dose, a non-finite, zero or negative value.
    ClinicalInputError
        an implausible CrCl (:class:`gabacare.clinical.units.CrCl`).

    Examples
    --------
    >>> doses = [(8.0 * i, 300.0) for i in range(21)]          # 300 mg every 8 h for 7 days
    >>> est = estimate(doses, [(167.5, 3.0)], crcl_ml_min=100)
    >>> est.individual.cl_l_per_h < est.population.cl_l_per_h  # a high level: lower clearance
    True
    >>> lo, hi = est.cl_interval
    >>> lo < est.individual.cl_l_per_h < hi
    True
    """
    m = model or population_model()
    prob, events, lv = _problem(m, doses, levels, crcl_ml_min)
    omega_sd = m.omega_sd
    best: tuple[F64, float, bool] | None = None
    for s in m.starts_sd:
        start = np.zeros(_N_ETA)
        start[0] = s * omega_sd[0]
        found = _levenberg_marquardt(prob, start)
        if best is None or found[1] < best[1]:
            best = found
    assert best is not None  # the knowledge base requires at least one start
    eta, cost, converged = best
    cov = np.linalg.inv(_hessian(prob, eta))
    cov = (cov + cov.T) / 2.0
    z = NormalDist().inv_cdf((1.0 + m.interval_probability) / 2.0)
    ind = m.individual(crcl_ml_min, eta.tolist())
    half = z * math.sqrt(float(cov[0, 0]))
    interval = (ind.cl_l_per_h * math.exp(-half), ind.cl_l_per_h * math.exp(half))
    pop_pred = prob.predict(np.zeros((1, _N_ETA)))[0]
    ind_pred = prob.predict(eta[None, :])[0]
    preds = tuple(LevelPrediction(time_h=x.time_h, measured_mg_per_l=x.mg_per_l, population_mg_per_l=float(p),
                                  individual_mg_per_l=float(i)) for x, p, i in zip(lv, pop_pred, ind_pred, strict=True))
    return Estimate(population=prob.typical, individual=ind, eta=(float(eta[0]), float(eta[1]), float(eta[2])),
                    covariance=tuple(tuple(float(c) for c in row) for row in cov), cl_interval=interval,
                    interval_probability=m.interval_probability, predictions=preds, doses=events, levels=lv,
                    crcl_ml_min=CrCl(crcl_ml_min).ml_min, objective=cost, converged=converged, model=m,
                    citations=m.citations)


# --- regimens -----------------------------------------------------------------------------------

@record
class Regimen:
    """A daily regimen repeated every day: dose times (clock hours in [0, 24)) and mg per dose."""

    times_h: tuple[float, ...]
    mg: tuple[float, ...]

    def __post_init__(self) -> None:
        times = tuple(_finite(t, "a dose time in hours") for t in self.times_h)
        mg = tuple(_finite(x, "a dose in mg") for x in self.mg)
        if not times or len(times) != len(mg):
            raise EstimationInputError("a regimen needs one mg amount per dose time, and at least one dose")
        if any(not 0 <= t < HOURS_PER_DAY for t in times):
            raise EstimationInputError("a regimen's dose times must be clock hours from 0 up to (not including) 24")
        if len(set(times)) != len(times):
            raise EstimationInputError("a regimen's dose times must differ")
        if any(x <= 0 for x in mg):
            raise EstimationInputError("each dose of a regimen must be above 0 mg")
        order = sorted(range(len(times)), key=times.__getitem__)
        object.__setattr__(self, "times_h", tuple(times[i] for i in order))
        object.__setattr__(self, "mg", tuple(mg[i] for i in order))

    @classmethod
    def evenly(cls, doses_per_day: int, mg_per_dose: float, first_h: float = 0.0) -> Regimen:
        """``doses_per_day`` equal doses spaced evenly over the day from ``first_h``."""
        if isinstance(doses_per_day, bool) or not isinstance(doses_per_day, int) or doses_per_day < 1:
            raise EstimationInputError("doses per day must be a whole number of at least 1")
        gap = HOURS_PER_DAY / doses_per_day
        times = tuple((first_h + i * gap) % HOURS_PER_DAY for i in range(doses_per_day))
        return cls(times, (float(mg_per_dose),) * doses_per_day)

    @property
    def daily_mg(self) -> float:
        """Total mg a day."""
        return float(sum(self.mg))


@record
class RegimenPrediction:
    """Predicted steady-state trough and peak (mg/L) under a regimen, with their intervals.

    The point values use the posterior mode; the intervals are the central ``interval_probability``
    range over η drawn from the Laplace normal. ``in_range`` says whether the point trough lies in the
    target range.
    """

    regimen: Regimen
    trough_mg_per_l: float
    peak_mg_per_l: float
    trough_interval: tuple[float, float]
    peak_interval: tuple[float, float]
    interval_probability: float
    in_range: bool
    target: TargetRange
    citations: tuple[Citation, ...]

    @property
    def daily_mg(self) -> float:
        return self.regimen.daily_mg


def _as_regimen(r: Regimen | tuple[int, float]) -> Regimen:
    if isinstance(r, Regimen):
        return r
    try:
        n, mg = r
    except (TypeError, ValueError) as exc:
        raise EstimationInputError("a candidate regimen is a Regimen or a (doses per day, mg per dose) pair") from exc
    return Regimen.evenly(n, mg)


def _steady_state_extremes(cl: F64, v: F64, ka: F64, regimen: Regimen, absorbed: F64, step_h: float) -> tuple[F64, F64]:
    """Steady-state (trough, peak) over one day for k parameter sets: closed-form sums over past days.

    The trough is the lowest pre-dose level (with first-order absorption the level falls until the
    next dose arrives, so the day's minimum is at a dose time). The peak is found on a coarse grid of
    :data:`_PEAK_COARSE_STEPS` points a day, then refined by golden-section search within one coarse
    step of the best point until the bracket is shorter than ``step_h`` (the curve is unimodal there).
    """
    times = np.array(regimen.times_h, dtype=np.float64)
    ke = cl / v
    # NOTE: the closed form divides by ka − ke; nudge ka where the two (nearly) coincide.
    ka = np.where(np.abs(ka - ke) <= _RATE_SEPARATION * ka, ka * (1.0 + math.sqrt(_RATE_SEPARATION)), ka)
    ke3, ka3 = ke[:, None, None], ka[:, None, None]
    scale = (ka / (v * (ka - ke)))[:, None]
    div_e, div_a = -np.expm1(-ke3 * HOURS_PER_DAY), -np.expm1(-ka3 * HOURS_PER_DAY)

    def conc(t: F64) -> F64:  # t: (k, m) hours of the day -> (k, m) mg/L
        since = np.mod(t[:, :, None] - times[None, None, :], HOURS_PER_DAY)
        out: F64 = scale * np.sum(absorbed[None, None, :] * (np.exp(-ke3 * since) / div_e - np.exp(-ka3 * since) / div_a),
                                  axis=-1)
        return out

    k = cl.shape[0]
    trough = conc(np.broadcast_to(times, (k, times.size))).min(axis=1)
    coarse = np.linspace(0.0, HOURS_PER_DAY, _PEAK_COARSE_STEPS, endpoint=False)
    h = HOURS_PER_DAY / _PEAK_COARSE_STEPS
    best = coarse[np.argmax(conc(np.broadcast_to(coarse, (k, coarse.size))), axis=1)]
    a, b = best - h, best + h
    while float(np.max(b - a)) > step_h:
        c, d = b - _GOLDEN * (b - a), a + _GOLDEN * (b - a)
        fc, fd = conc(np.stack([c, d], axis=1)).T
        left = fc >= fd
        b = np.where(left, d, b)
        a = np.where(left, a, c)
    peak = np.maximum(conc(((a + b) / 2.0)[:, None])[:, 0], conc(best[:, None])[:, 0])
    return trough, peak


def predict_regimens(est: Estimate, regimens: Iterable[Regimen | tuple[int, float]]) -> list[RegimenPrediction]:
    """Steady-state trough and peak (mg/L) for each candidate regimen, with intervals.

    Parameters
    ----------
    est : the patient's :class:`Estimate` (its CrCl and Laplace posterior are used).
    regimens : :class:`Regimen` values or ``(doses per day, mg per dose)`` pairs (evenly spaced). The
        caller supplies only regimens of real pills within the patient's renal band.

    Returns
    -------
    list[RegimenPrediction]
        in the order given. Intervals from ``prediction_samples`` η draws (seed ``prediction_seed``,
        knowledge base ``[pk_population.settings]``), so the same inputs give the same intervals.

    Examples
    --------
    >>> doses = [(8.0 * i, 300.0) for i in range(21)]
    >>> est = estimate(doses, [(167.5, 3.0)], crcl_ml_min=100)
    >>> low, high = predict_regimens(est, [(3, 300.0), (3, 600.0)])
    >>> low.trough_mg_per_l < high.trough_mg_per_l
    True
    """
    m = est.model
    cands = [_as_regimen(r) for r in regimens]
    if not cands:
        raise EstimationInputError("give at least one candidate regimen")
    draws = np.exp(est.draws())
    point = np.exp(np.array(est.eta))[None, :]
    pop = est.population
    lo_q, hi_q = (1.0 - m.interval_probability) / 2.0, (1.0 + m.interval_probability) / 2.0
    out = []
    for reg in cands:
        absorbed = m.parameters.absorbed_mg(np.array(reg.mg, dtype=np.float64))
        tr, pk = _steady_state_extremes(pop.cl_l_per_h * point[:, 0], pop.v_l * point[:, 1], pop.ka_per_h * point[:, 2],
                                        reg, absorbed, m.grid_step_h)
        troughs, peaks = [], []
        for a in range(0, draws.shape[0], _SAMPLE_CHUNK):
            d = draws[a:a + _SAMPLE_CHUNK]
            t_, p_ = _steady_state_extremes(pop.cl_l_per_h * d[:, 0], pop.v_l * d[:, 1], pop.ka_per_h * d[:, 2],
                                            reg, absorbed, m.grid_step_h)
            troughs.append(t_)
            peaks.append(p_)
        tq = np.quantile(np.concatenate(troughs), [lo_q, hi_q])
        pq = np.quantile(np.concatenate(peaks), [lo_q, hi_q])
        trough, peak = float(tr[0]), float(pk[0])
        out.append(RegimenPrediction(regimen=reg, trough_mg_per_l=trough, peak_mg_per_l=peak,
                                     trough_interval=(float(tq[0]), float(tq[1])),
                                     peak_interval=(float(pq[0]), float(pq[1])),
                                     interval_probability=m.interval_probability, in_range=m.target.contains(trough),
                                     target=m.target, citations=_unique((*est.citations, *m.target.citations))))
    return out


def choose(predictions: Sequence[RegimenPrediction], target: TargetRange | None = None) -> RegimenPrediction | None:
    """The candidate to propose: predicted trough inside the range, closest to its geometric middle.

    Closeness is ``|ln(trough / √(low·high))|`` (the log scale of the residual error); ties go to the
    smaller daily dose, then to fewer doses a day. Returns ``None`` when no candidate's predicted trough
    is in the range: the rule never proposes a regimen it was not given, nor one outside the range.

    Parameters
    ----------
    predictions : from :func:`predict_regimens`.
    target : the range (default: each prediction's own, the knowledge base's reference range).
    """
    best: tuple[float, float, int] | None = None
    pick: RegimenPrediction | None = None
    for p in predictions:
        rng = target or p.target
        if not rng.contains(p.trough_mg_per_l):
            continue
        key = (abs(math.log(p.trough_mg_per_l / rng.geometric_middle_mg_per_l)), p.daily_mg, len(p.regimen.mg))
        if best is None or key < best:
            best, pick = key, p
    return pick
