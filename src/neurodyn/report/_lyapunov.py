"""The report of a Lyapunov spectrum: its table, statistics and the two figures."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from neurodyn.report._format import fmt, fmt_pm
from neurodyn.report._report import Report, panel

if TYPE_CHECKING:
    from neurodyn.lyapunov import LyapunovResult

__all__ = ["add_lyapunov", "lyapunov_report"]


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
    rep = Report(title, data=result.to_dict())
    add_lyapunov(rep, result)
    return rep


def add_lyapunov(rep: Report, result: LyapunovResult, *, name: str = "") -> Report:
    """Add a Lyapunov spectrum to ``rep``: the statistics in words, a table of every exponent
    rounded by its standard error, and the spectrum and convergence figures (file names
    prefixed by ``name``). The numbers themselves go into ``rep.data`` by the caller."""
    from neurodyn.plot import ftle_convergence_plot, lyapunov_spectrum_plot

    lam = result.exponents.tolist()
    err = result.stderr.tolist()
    n_inf = sum(1 for v in lam if v == -math.inf)
    st = result.stats()
    finite_err = [e for e in err if math.isfinite(e) and e > 0]
    se = max(finite_err) if finite_err else None
    summary = (
        f"{result.k} exponents over {result.steps} steps (warm-up {result.warmup}, QR every "
        f"{result.t_on} steps), batch {result.per_sample.shape[0]}. "
        f"λ_max = {fmt_pm(st['max'], err[0], sign=True)}, #positive = {st['n_positive']}, "
        f"Kaplan–Yorke dimension {fmt(st['kaplan_yorke'])}."
    )
    if n_inf:
        summary += (
            f" {n_inf} of {result.k} exponents are −∞ (a direction the map collapses exactly, "
            "e.g. a zero singular value of the Jacobian), so the mean and sum are −∞."
        )
    else:
        summary += f" Mean {fmt(st['mean'], se, sign=True)}."
    if result.interrupted:
        summary += f" Interrupted: the spectrum is over the {result.steps} steps finished."
    units = "nats per unit time" if result.base == math.e else f"log base {result.base}"
    rep.section("Lyapunov spectrum").text(summary)
    rep.summarize(f"λ_max ({units})", fmt_pm(st["max"], err[0], sign=True))
    rep.summarize("#positive exponents", str(st["n_positive"]))
    col = f"λ_i ({units})"
    rep.table(
        [[i + 1, lam[i], err[i]] for i in range(result.k)],
        columns=["i", col, "± s.e."],
        precision=[None, "± s.e.", "± s.e."],
        caption="Each exponent is rounded to its standard error across the batch.",
    )
    rep.figure(
        lambda: lyapunov_spectrum_plot(result, ax=panel()),
        f"{name}spectrum.png",
        "Exponents with ±2 standard errors across the batch; −∞ exponents are marked at the "
        "bottom of the axis.",
    )
    rep.figure(
        lambda: ftle_convergence_plot(result, ax=panel()),
        f"{name}convergence.png",
        "Running estimate of each exponent against time (batch mean); flat lines mean a "
        "converged estimate.",
    )
    return rep
