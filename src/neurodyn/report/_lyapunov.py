"""The report of a Lyapunov spectrum: its table, statistics and the two figures."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from neurodyn.report._format import dtype_digits, fmt, fmt_pm
from neurodyn.report._report import Report, panel

if TYPE_CHECKING:
    from neurodyn.lyapunov import LyapunovResult

__all__ = ["add_lyapunov", "lyapunov_report"]


def lyapunov_report(
    result: LyapunovResult,
    *,
    title: str = "Lyapunov spectrum",
    max_digits: int | None = None,
) -> Report:
    """``result`` as a :class:`Report`: ``data`` is ``result.to_dict()`` (so the JSON file holds
    the exponents, standard errors, drift and statistics, −∞ written as ``"-inf"``), what λ_max
    says in the verdict box, a table of every exponent, the statistics in words (how many
    exponents are −∞ when some are) and the spectrum and convergence figures
    (:mod:`neurodyn.plot`). ``max_digits`` caps the significant digits shown (default: what
    the exponents' dtype carries, :func:`~neurodyn.report.dtype_digits`; pass that of the
    weights as saved when they were upcast).

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
    if max_digits is None:
        max_digits = dtype_digits(result.exponents.dtype)
    rep = Report(title, data=result.to_dict(), max_digits=max_digits)
    add_lyapunov(rep, result, verdict=True)
    return rep


def add_lyapunov(
    rep: Report,
    result: LyapunovResult,
    *,
    name: str = "",
    verdict: bool = False,
    max_digits: int | None = None,
) -> Report:
    """Add a Lyapunov spectrum to ``rep``: the statistics in words, a table of every exponent
    rounded by its standard error, and the spectrum and convergence figures (file names
    prefixed by ``name``); with ``verdict``, what λ_max says in the page's verdict box. The
    numbers themselves go into ``rep.data`` by the caller.

    The exponents are listed in the order of the QR columns, as in the JSON (``exponents[i −
    1]``), never re-sorted: a finite-time spectrum averaged over a batch is descending only
    once converged, and sorting would pair a value with another column's Q-vector and
    standard error. Where two neighbours are out of order the page says so, by how many
    standard errors, and the table gains a "rank" column (1 = largest).

    ``max_digits`` caps the significant digits shown (default ``rep.max_digits``).
    """
    from neurodyn.plot import ftle_convergence_plot, lyapunov_spectrum_plot

    cap = rep.max_digits if max_digits is None else max_digits
    lam = result.exponents.tolist()
    err = result.stderr.tolist()
    n_inf = sum(1 for v in lam if v == -math.inf)
    st = result.stats()
    finite_err = [e for e in err if math.isfinite(e) and e > 0]
    se = max(finite_err) if finite_err else None
    i_max = max(range(result.k), key=lambda i: (not math.isnan(lam[i]), lam[i]))
    lead = (
        f"λ_max = λ{_sub(i_max + 1)} = {fmt_pm(st['max'], err[i_max], sign=True, max_digits=cap)}"
    )
    summary = (
        f"{result.k} exponents over {result.steps} steps (warm-up {result.warmup}, QR every "
        f"{result.t_on} steps), batch {result.per_sample.shape[0]}. "
        f"{lead}, #positive = {st['n_positive']}, "
        f"Kaplan–Yorke dimension {fmt(st['kaplan_yorke'], max_digits=cap)}."
    )
    if n_inf:
        summary += (
            f" {n_inf} of {result.k} exponents are −∞ (a direction the map collapses exactly, "
            "e.g. a zero singular value of the Jacobian), so the mean and sum are −∞."
        )
    else:
        summary += f" Mean {fmt(st['mean'], se, sign=True, max_digits=cap)}."
    if result.interrupted:
        summary += f" Interrupted: the spectrum is over the {result.steps} steps finished."
    units = "nats per unit time" if result.base == math.e else f"log base {result.base}"
    rep.section("Lyapunov spectrum").text(summary)
    rep.summarize(f"λ_max ({units})", fmt_pm(st["max"], err[i_max], sign=True, max_digits=cap))
    rep.summarize("#positive exponents", str(st["n_positive"]))
    swapped = _out_of_order(lam, err)
    if swapped:
        rep.text(_order_note(swapped, cap))
    col = f"λ_i ({units})"
    rows = [[i + 1, lam[i], err[i]] for i in range(result.k)]
    columns = ["i", col, "± s.e."]
    precision = [None, "± s.e.", "± s.e."]
    caption = (
        "Each exponent is rounded to its standard error across the batch; listed in the order "
        "of the QR columns, as in the JSON."
    )
    if swapped:
        order = sorted(range(result.k), key=lambda i: -lam[i] if not math.isnan(lam[i]) else 0)
        rank = {i: r + 1 for r, i in enumerate(order)}
        rows = [[*row, rank[i]] for i, row in enumerate(rows)]
        columns.append("rank")
        precision.append(None)
        caption += " rank: the exponent's place by value (1 = largest)."
    rep.table(rows, columns=columns, precision=precision, caption=caption)
    if verdict:
        _verdict(rep, result, i_max, cap)
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


_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _sub(i: int) -> str:
    return str(i).translate(_SUB)


def _out_of_order(lam: list[float], err: list[float]) -> list[tuple[int, float, float]]:
    """Neighbours with λ_i < λ_{i+1} (finite): ``(i, difference, its standard error)``."""
    out = []
    for i in range(len(lam) - 1):
        a, b = lam[i], lam[i + 1]
        if math.isfinite(a) and math.isfinite(b) and a < b:
            ea, eb = (e if math.isfinite(e) else 0.0 for e in (err[i], err[i + 1]))
            out.append((i, b - a, math.hypot(ea, eb)))
    return out


def _order_note(swapped: list[tuple[int, float, float]], cap: int | None) -> str:
    pairs = []
    for i, diff, se in swapped:
        within = f", {fmt(diff / se, digits=2)} s.e. of the difference" if se > 0 else ""
        pairs.append(
            f"λ{_sub(i + 1)} < λ{_sub(i + 2)} by {fmt(diff, digits=2, max_digits=cap)}{within}"
        )
    return (
        f"Out of order: {'; '.join(pairs)}. The exponents are listed as computed, in the order "
        "of the QR columns (the JSON's order), not sorted: a finite-time spectrum averaged over "
        "a batch comes out descending only once converged, and exponents this close (e.g. the "
        "equal exponents of a complex pair of Jacobian eigenvalues) are not resolved at this "
        "run length. Sorting would pair each value with another column's Q-vector and standard "
        "error; a longer run (more steps) or a larger batch separates them or shows they "
        "coincide."
    )


def _verdict(rep: Report, result: LyapunovResult, i_max: int, cap: int | None) -> None:
    """λ_max against 0 (± 2 s.e.) in the page's verdict box."""
    lam, se = float(result.exponents[i_max]), float(result.stderr[i_max])
    two = 2 * se if math.isfinite(se) else 0.0
    shown = fmt_pm(lam, se, sign=True, max_digits=cap)
    if lam + two < 0:
        lead = (
            f"λ_max = {shown} < 0: nearby states converge under these inputs (a finite-time "
            "estimate along the sampled trajectories, not a proof)."
        )
        status = "pass"
    elif lam - two > 0:
        lead = (
            f"λ_max = {shown} > 0: sensitive dependence on the state under these inputs "
            "(chaotic, or not yet converged: see the convergence figure)."
        )
        status = "fail"
    else:
        lead = (
            f"λ_max = {shown} is within 2 standard errors of 0: neither convergence nor "
            "sensitive dependence is shown (a longer run or a larger batch may decide)."
        )
        status = None
    st = result.stats()
    drift = [d for d in result.drift.tolist() if math.isfinite(d)]
    items = [
        f"{st['n_positive']} of {result.k} exponents positive; Kaplan–Yorke dimension "
        f"{fmt(st['kaplan_yorke'], max_digits=cap)}.",
    ]
    if drift:
        items.append(
            f"Convergence: the running estimates moved by at most "
            f"{fmt(max(drift), digits=2, max_digits=cap)} over the last 20 % of the run."
        )
    rep.verdict(lead, items, status=status)
