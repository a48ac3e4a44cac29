"""The report of a Lyapunov spectrum: its table, statistics and the two figures."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from neurodyn.report._report import Report

if TYPE_CHECKING:
    from neurodyn.lyapunov import LyapunovResult

__all__ = ["lyapunov_report"]


def lyapunov_report(result: LyapunovResult, *, title: str = "Lyapunov spectrum") -> Report:
    """``result`` as a :class:`Report`: ``data`` is ``result.to_dict()`` (so the JSON file holds
    the exponents, standard errors, drift and statistics, −∞ written as ``"-inf"``), a table of
    every exponent, the statistics in words (how many exponents are −∞ when some are) and the
    spectrum and convergence figures (:mod:`neurodyn.plot`).

    Example:
        >>> import tempfile, json, pathlib, torch
        >>> from neurodyn.lyapunov import lyapunov_spectrum
        >>> from neurodyn.systems import LinearMap
        >>> res = lyapunov_spectrum(LinearMap(torch.diag(torch.tensor([0.5, 0.0]))),
        ...                         steps=20, h0=torch.ones(1, 2, dtype=torch.float64))
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     body = lyapunov_report(res).write(tmp, json_name="lyapunov.json")
        ...     text = (pathlib.Path(tmp) / "lyapunov.json").read_text()
        >>> json.loads(text)["exponents"][1], "Infinity" in text
        ('-inf', False)
    """
    from neurodyn.plot import ftle_convergence_plot, lyapunov_spectrum_plot

    rep = Report(title, data=result.to_dict())
    lam = result.exponents.tolist()
    err = result.stderr.tolist()
    n_inf = sum(1 for v in lam if v == -math.inf)
    st = result.stats()
    summary = (
        f"{result.k} exponents over {result.steps} steps (warm-up {result.warmup}, QR every "
        f"{result.t_on} steps), batch {result.per_sample.shape[0]}. "
        f"λ_max = {st['max']:+.5f}, #positive = {st['n_positive']}, "
        f"Kaplan–Yorke dimension {st['kaplan_yorke']:.3f}."
    )
    if n_inf:
        summary += (
            f" {n_inf} of {result.k} exponents are −∞ (a direction the map collapses exactly, "
            "e.g. a zero singular value of the Jacobian), so the mean and sum are −∞."
        )
    else:
        summary += f" Mean {st['mean']:+.5f}."
    rep.section("Spectrum").text(summary)
    rep.table(
        [[i + 1, lam[i], err[i]] for i in range(result.k)],
        columns=["i", f"λ_i ({rep.data['units']})", "± s.e."],
    )
    rep.section("Figures")
    rep.figure(
        lyapunov_spectrum_plot(result),
        "spectrum.png",
        "Exponents with ±2 standard errors across the batch; −∞ exponents are marked at the "
        "bottom of the axis.",
    )
    rep.figure(
        ftle_convergence_plot(result),
        "convergence.png",
        "Running estimate of each exponent against time (batch mean); flat lines mean a "
        "converged estimate.",
    )
    return rep
