"""Concentration-time charts for the PK simulator (matplotlib, Agg backend, imported lazily).

The file type follows the suffix: ``.png`` or ``.svg``. Each chart carries its sources and the
notice in a footer, like every other result a user sees.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gabacare.errors import InputError
from gabacare.knowledge import Citation, load_monograph
from gabacare.pk.model import Simulation
from gabacare.pk.population import PopulationResult

__all__ = ["SUFFIXES", "plot_population", "plot_simulation"]

SUFFIXES = (".png", ".svg")


def _figure() -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4.8), layout="constrained")
    return fig, ax


def _check(path: Path) -> Path:
    if path.suffix.lower() not in SUFFIXES:
        raise InputError(f"plot file must end in .png or .svg, got {path.name!r}")
    return path


def _finish(fig: Any, ax: Any, path: Path, citations: tuple[Citation, ...]) -> Path:
    import matplotlib.pyplot as plt

    ax.set_xlabel("time (h)")
    ax.set_ylabel("plasma concentration (mg/L)")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    sources = "; ".join(dict.fromkeys(c.render() for c in citations))
    fig.get_layout_engine().set(rect=(0.0, 0.04, 1.0, 0.96))  # leave a strip at the bottom for the footer
    fig.text(0.01, 0.01, f"Sources: {sources}. {load_monograph().notice_text}", fontsize=6, va="bottom")
    fig.savefig(path, format=path.suffix.lower().lstrip("."))
    plt.close(fig)
    return path


def plot_simulation(sim: Simulation, path: str | Path, title: str = "") -> Path:
    """Draw one patient's curve, marking the doses and the summary window; return the path."""
    out = _check(Path(path))
    fig, ax = _figure()
    ax.plot(sim.t_h, sim.c_mg_per_l, color="C0", lw=1.5, label="concentration")
    s = sim.summary
    ax.axvspan(s.window_start_h, s.window_end_h, color="C1", alpha=0.08, label="summary window")
    doses = [d.time_h for d in sim.doses if d.mg > 0 and sim.t_h[0] <= d.time_h <= sim.t_h[-1]]
    if doses:
        ax.plot(doses, [0.0] * len(doses), "|", color="C3", ms=12, label="doses")
    ax.set_title(title or f"Simulated concentration (CrCl {sim.crcl_ml_min:g} mL/min)")
    ax.legend(loc="upper left", fontsize=8)
    return _finish(fig, ax, out, sim.citations)


def plot_population(res: PopulationResult, path: str | Path, title: str = "") -> Path:
    """Draw the 5th-95th percentile band and the median over time; return the path."""
    out = _check(Path(path))
    fig, ax = _figure()
    ax.fill_between(res.t_h, res.p5, res.p95, color="C0", alpha=0.25, label="5th-95th percentile")
    ax.plot(res.t_h, res.p50, color="C0", lw=1.5, label="median")
    if res.threshold_mg_per_l is not None:
        ax.axhline(res.threshold_mg_per_l, color="C3", ls="--", lw=1, label="threshold")
    ax.set_title(title or f"{res.n} virtual patients (CrCl {res.crcl.describe()})")
    ax.legend(loc="upper left", fontsize=8)
    return _finish(fig, ax, out, res.citations)
