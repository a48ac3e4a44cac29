"""Figures of Lyapunov results: the spectrum with error bars and the convergence of FTLEs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib
import numpy as np

from neurodyn.plot._figures import _axes, _np

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from neurodyn.lyapunov import LyapunovResult

__all__ = ["ftle_convergence_plot", "lyapunov_spectrum_plot"]


def _units(result: LyapunovResult) -> str:
    return (
        "nats / unit time" if abs(result.base - np.e) < 1e-12 else f"log{result.base:g} / unit time"
    )


def lyapunov_spectrum_plot(
    result: LyapunovResult, *, ax: Axes | None = None, title: str | None = None, label=None
):
    """Exponents λ_i against index i with ±2 standard errors, and the zero line."""
    ax, fig = _axes(ax, figsize=(6.0, 4.0))
    lam = _np(result.exponents)
    err = _np(result.stderr)
    idx = np.arange(1, lam.size + 1)
    ax.axhline(0.0, color="0.6", lw=0.8, zorder=0)
    ax.errorbar(
        idx, lam, yerr=2 * np.nan_to_num(err), fmt="o-", ms=3.5, lw=1.0, capsize=2, label=label
    )
    ax.set_xlabel("index i")
    ax.set_ylabel(f"λ_i ({_units(result)})")
    stats = result.stats()
    ax.text(
        0.98,
        0.97,
        f"λ_max = {stats['max']:.4g}\nmean = {stats['mean']:.4g}\n"
        f"D_KY = {stats['kaplan_yorke']:.3g}\nB = {result.per_sample.shape[0]}, "
        f"T = {result.steps}",
        transform=ax.transAxes,
        ha="right",
        va="top",
        fontsize=8,
        bbox={"boxstyle": "round", "fc": "white", "ec": "0.8"},
    )
    ax.set_title(title or "Lyapunov spectrum (±2 s.e.)")
    if label is not None:
        ax.legend(loc="lower left", fontsize=8)
    return fig


def ftle_convergence_plot(
    result: LyapunovResult, *, ax: Axes | None = None, title: str | None = None, max_lines=12
):
    """Running estimate of each exponent against time (batch mean), for the first
    ``max_lines`` exponents; flat lines mean a converged estimate."""
    ax, fig = _axes(ax, figsize=(7.0, 4.0))
    running = _np(result.running)
    blocks = running.shape[0]
    time = np.linspace(result.steps * result.dt / blocks, result.steps * result.dt, blocks)
    shown = min(max_lines, running.shape[1])
    colours = matplotlib.colormaps["viridis"](np.linspace(0.0, 0.9, shown))  # one per exponent
    for i in range(shown):
        ax.plot(time, running[:, i], lw=1.0, color=colours[i], label=f"λ_{i + 1}")
    ax.axhline(0.0, color="0.6", lw=0.8, zorder=0)
    ax.set_xlabel("time")
    ax.set_ylabel(f"running estimate ({_units(result)})")
    more = f" (first {shown} of {running.shape[1]})" if shown < running.shape[1] else ""
    ax.set_title(title or f"Convergence of the exponents{more}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return fig
