"""Figures of a Lyapunov spectrum: the exponents with error bars, and the convergence of the
running estimates.

Like the other results' figures (``train._plot``, ``robustness._plots``), these draw from plain
arrays and numbers, never from the result type: :meth:`LyapunovResult.plot` calls
:func:`spectrum_figure`, and :mod:`neurodyn.plot` (which consumes results) reads a result and
hands its fields on, so nothing here imports the result back. Each returns a
:class:`matplotlib.figure.Figure` (no pyplot state, no backend set).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["convergence_figure", "spectrum_figure"]


def _np(t: Any) -> np.ndarray:
    """A tensor / array as a float64 numpy array (detached, on the CPU)."""
    if hasattr(t, "detach"):
        t = t.detach().cpu().numpy()
    return np.asarray(t, dtype=np.float64)


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Axes, Any]:
    if ax is None:
        ax = Figure(figsize=figsize, layout="compressed").subplots()
    return ax, ax.figure


def _units(base: float) -> str:
    return "nats / unit time" if abs(base - np.e) < 1e-12 else f"log{base:g} / unit time"


def _fmt(v: float, spec: str = ".4g") -> str:
    """A number for a figure's text: −∞ / +∞ / NaN spelled out."""
    if np.isnan(v):
        return "NaN"
    if np.isinf(v):
        return "−∞" if v < 0 else "+∞"
    return format(v, spec)


def spectrum_figure(
    exponents: Any,
    stderr: Any,
    *,
    stats: dict,
    base: float,
    batch: int,
    steps: int,
    ax: Axes | None = None,
    title: str | None = None,
    label=None,
):
    """Exponents λ_i against index i with ±2 standard errors, and the zero line; a box with
    λ_max, the mean and D_KY from ``stats`` (:meth:`LyapunovResult.stats`), ``batch`` (B) and
    ``steps`` (T). ``base`` is the logarithm's base (e for nats).

    Exponents that are not finite cannot be drawn at their value: −∞ ones (a direction the map
    collapses exactly) are marked with a downward triangle at the bottom of the axes and a
    "−∞" label, +∞ ones at the top, NaN ones with a cross labelled "NaN"; the statistics box
    says how many there are, so a mean of −∞ is explained rather than shown bare.
    """
    ax, fig = _axes(ax, figsize=(6.0, 4.0))
    lam = _np(exponents)
    err = _np(stderr)
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
    ax.set_ylabel(f"λ_i ({_units(base)})")
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
        f"D_KY = {_fmt(stats['kaplan_yorke'], '.3g')}\nB = {batch}, T = {steps}",
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


def convergence_figure(
    running: Any,
    *,
    duration: float,
    base: float,
    ax: Axes | None = None,
    title: str | None = None,
    max_lines=12,
):
    """Running estimate of each exponent (``running``, ``(blocks, k)``, one row per QR block
    spread evenly over ``duration`` units of time) against time, for the first ``max_lines``
    exponents; flat lines mean a converged estimate."""
    ax, fig = _axes(ax, figsize=(7.0, 4.0))
    running = _np(running)
    blocks = running.shape[0]
    time = np.linspace(duration / blocks, duration, blocks)
    shown = min(max_lines, running.shape[1])
    colours = matplotlib.colormaps["viridis"](np.linspace(0.0, 0.9, shown))  # one per exponent
    for i in range(shown):
        last = running[-1, i]
        word = "" if np.isfinite(last) else f" = {_fmt(last)} (not drawn)"
        ax.plot(time, running[:, i], lw=1.0, color=colours[i], label=f"λ_{i + 1}{word}")
    ax.axhline(0.0, color="0.6", lw=0.8, zorder=0)
    ax.set_xlabel("time")
    ax.set_ylabel(f"running estimate ({_units(base)})")
    more = f" (first {shown} of {running.shape[1]})" if shown < running.shape[1] else ""
    ax.set_title(title or f"Convergence of the exponents{more}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return fig
