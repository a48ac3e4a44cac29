"""Figures of Lyapunov results: the spectrum with error bars and the convergence of FTLEs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib
import numpy as np
from matplotlib.ticker import MaxNLocator

from neurodyn.plot._figures import _axes, _np

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from neurodyn.lyapunov import LyapunovResult

__all__ = ["ftle_convergence_plot", "lyapunov_spectrum_plot"]


def _units(result: LyapunovResult) -> str:
    return (
        "nats / unit time" if abs(result.base - np.e) < 1e-12 else f"log{result.base:g} / unit time"
    )


def _fmt(v: float, spec: str = ".4g") -> str:
    """A number for a figure's text: −∞ / +∞ / NaN spelled out."""
    if np.isnan(v):
        return "NaN"
    if np.isinf(v):
        return "−∞" if v < 0 else "+∞"
    return format(v, spec)


def lyapunov_spectrum_plot(
    result: LyapunovResult, *, ax: Axes | None = None, title: str | None = None, label=None
):
    """Exponents λ_i against index i with ±2 standard errors, and the zero line.

    Exponents that are not finite cannot be drawn at their value: −∞ ones (a direction the map
    collapses exactly) are marked with a downward triangle at the bottom of the axes and a
    "−∞" label, +∞ ones at the top, NaN ones with a cross labelled "NaN"; the statistics box
    says how many there are, so a mean of −∞ is explained rather than shown bare.
    """
    ax, fig = _axes(ax, figsize=(6.0, 4.0))
    lam = _np(result.exponents).astype(float)
    err = _np(result.stderr).astype(float)
    idx = np.arange(1, lam.size + 1)
    finite = np.isfinite(lam)
    ax.axhline(0.0, color="0.6", lw=0.8, zorder=0)
    ax.errorbar(
        idx[finite],
        lam[finite],
        yerr=2 * np.nan_to_num(err[finite], nan=0.0, posinf=0.0),
        fmt="o-",
        ms=3.5,
        lw=1.0,
        capsize=2,
        label=label,
    )
    ax.set_xlim(0.5, lam.size + 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    edge = ax.get_xaxis_transform()  # x in data, y in axes coordinates
    marks = (
        (np.isneginf(lam), 0.0, "v", "−∞", "bottom", 0.05),
        (np.isposinf(lam), 1.0, "^", "+∞", "top", 0.95),
        (np.isnan(lam), 0.0, "x", "NaN", "bottom", 0.05),
    )
    for mask, y, marker, word, va, y_text in marks:
        if mask.any():
            ax.plot(
                idx[mask],
                np.full(mask.sum(), y),
                ls="none",
                marker=marker,
                ms=8,
                color="tab:red",
                transform=edge,
                clip_on=False,
                zorder=3,
            )
            for i in idx[mask]:
                ax.text(
                    i, y_text, word, transform=edge, ha="center", va=va, color="tab:red", fontsize=8
                )
    ax.set_xlabel("index i")
    ax.set_ylabel(f"λ_i ({_units(result)})")
    stats = result.stats()
    n = lam.size
    notes = [
        f"{int(m.sum())} of {n} exponents are {w}"
        for m, w in ((np.isneginf(lam), "−∞"), (np.isposinf(lam), "+∞"), (np.isnan(lam), "NaN"))
        if m.any()
    ]
    mean = f"mean = {_fmt(stats['mean'])}" + (f" ({'; '.join(notes)})" if notes else "")
    ax.text(
        0.98,
        0.97,
        f"λ_max = {_fmt(stats['max'])}\n{mean}\n"
        f"D_KY = {_fmt(stats['kaplan_yorke'], '.3g')}\nB = {result.per_sample.shape[0]}, "
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
        last = running[-1, i]
        word = "" if np.isfinite(last) else f" = {_fmt(last)} (not drawn)"
        ax.plot(time, running[:, i], lw=1.0, color=colours[i], label=f"λ_{i + 1}{word}")
    ax.axhline(0.0, color="0.6", lw=0.8, zorder=0)
    ax.set_xlabel("time")
    ax.set_ylabel(f"running estimate ({_units(result)})")
    more = f" (first {shown} of {running.shape[1]})" if shown < running.shape[1] else ""
    ax.set_title(title or f"Convergence of the exponents{more}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return fig
