"""Figures of Lyapunov results: the spectrum with error bars and the convergence of FTLEs.

The drawing lives beside the result (``neurodyn.lyapunov._plot``, which takes plain arrays, so
``LyapunovResult.plot()`` needs nothing from this package); these read a result and hand it on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from neurodyn.lyapunov._plot import convergence_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from neurodyn.lyapunov import LyapunovResult

__all__ = ["ftle_convergence_plot", "lyapunov_spectrum_plot"]


def lyapunov_spectrum_plot(
    result: LyapunovResult, *, ax: Axes | None = None, title: str | None = None, label=None
) -> Figure:
    """Exponents λ_i against index i with ±2 standard errors, and the zero line.

    Exponents that are not finite cannot be drawn at their value: −∞ ones (a direction the map
    collapses exactly) are marked with a downward triangle at the bottom of the axes and a
    "−∞" label, +∞ ones at the top, NaN ones with a cross labelled "NaN"; the statistics box
    says how many there are, so a mean of −∞ is explained rather than shown bare. The same
    figure as ``result.plot()``.
    """
    return result.plot(ax=ax, title=title, label=label)


def ftle_convergence_plot(
    result: LyapunovResult, *, ax: Axes | None = None, title: str | None = None, max_lines=12
) -> Figure:
    """Running estimate of each exponent against time (batch mean), for the first
    ``max_lines`` exponents; flat lines mean a converged estimate."""
    return convergence_figure(
        result.running,
        duration=result.steps * result.dt,
        base=result.base,
        ax=ax,
        title=title,
        max_lines=max_lines,
    )
