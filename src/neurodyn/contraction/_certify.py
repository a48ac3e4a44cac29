"""``certify(obj, g=1.0, ...)``: one entry point for matrices, cells, assemblies, combo nets."""

from __future__ import annotations

import numpy as np
import scipy.linalg

from neurodyn._core import CertificateReport
from neurodyn._core._validate import check_finite_parameters
from neurodyn.contraction._combination import Assembly, certify_assembly
from neurodyn.contraction._common import as_square, check_g, slope_bound_of
from neurodyn.contraction._discrete import carry_over, discrete, step_matrices
from neurodyn.contraction._lipschitz import lipschitz_norm, lipschitz_sector, prop1
from neurodyn.contraction._theorems import (
    matsuoka,
    sector,
    theorem1,
    theorem2,
    theorem3,
    theorem4,
    theorem5,
    vertex,
)

__all__ = [
    "assembly_of",
    "block_diag",
    "certify",
    "ctrnn",
    "lipschitz_rnn",
    "network_certificates",
]

_FULL_MAX_N = 64  # default: full-metric LMIs up to this size (above: diagonal only)


def _metric_choice(n: int, lmi: str) -> list[str]:
    if lmi == "auto":
        return ["diagonal", "full"] if n <= _FULL_MAX_N else ["diagonal"]
    if lmi == "none":
        return []
    if lmi in ("full", "diagonal"):
        return [lmi]
    raise ValueError(f"lmi must be 'auto', 'full', 'diagonal' or 'none', got {lmi!r}.")


def _best_proof(certs):
    proofs = [c for c in certs if c.kind == "proof" and c.holds and "metric" in c.evidence]
    return max(proofs, key=lambda c: c.margin) if proofs else None


def ctrnn(
    W, *, tau: float = 1.0, g: float = 1.0, dt: float | None = None, method: str | None = None,
    lmi: str = "auto", vertex_max_n: int = 8,
) -> CertificateReport:  # fmt: skip
    """Certificates for ``τẋ = −x + Wφ(x) + u`` (Kozachkov et al. 2022, eq. 1), and its step.

    Continuous time: Theorems 1–5 (each "not applicable" where its structure is absent), the
    sector LMI in a diagonal and (n ≤ 64) a full metric, the exact vertex LMI for n ≤
    ``vertex_max_n``, and the Matsuoka symmetric-part condition as a heuristic. With ``dt`` and
    ``method`` ("euler" | "imex"): the step that is run — its own LMI, a necessary spectral-radius
    check at slope vertices, and whether the best continuous certificate carries over.

    Args:
        W: ``(n, n)`` recurrent weight (tensor or array; float64 is used).
        tau: time constant τ > 0. g: slope bound, ``0 ≤ φ' ≤ g``.
        dt, method: the discretisation actually run (both or neither).
        lmi: "auto" | "full" | "diagonal" | "none".

    Returns:
        CertificateReport; ``margin`` is a contraction rate (continuous) or 1 − ‖J‖_M (step).

    Raises:
        ValueError: non-square or non-finite W, g or τ not positive, dt without method.

    Example:
        >>> import numpy as np
        >>> from neurodyn import contraction
        >>> rep = contraction.ctrnn(np.array([[0.0, -1.0], [1.0, 0.0]]))
        >>> rep["vertex"].holds, rep["theorem1"].holds
        (True, False)
    """
    W, g = as_square(W), check_g(g)
    tau = float(tau)
    if not tau > 0:
        raise ValueError(f"tau must be positive, got {tau}.")
    n = len(W)
    certs = [
        theorem1(W, g=g, tau=tau), theorem2(W, g=g, tau=tau), theorem3(W, g=g, tau=tau),
        theorem4(W, g=g, tau=tau), theorem5(W, g=g, tau=tau),
    ]  # fmt: skip
    certs += [sector(W, g=g, tau=tau, metric=m) for m in _metric_choice(n, lmi)]
    if n <= vertex_max_n:
        certs.append(vertex(W, g=g, tau=tau))
    certs.append(matsuoka(W, g=g, tau=tau))
    certs += _discrete_part("ctrnn", W, None, tau, g, dt, method, certs, lmi)
    return CertificateReport(tuple(certs), {"model": "ctrnn", "n": n, "tau": tau, "g": g})


def _discrete_part(kind, W, A, tau, g, dt, method, certs, lmi, rho=1.0):
    if dt is None and method is None:
        return []
    if dt is None or method is None:
        raise ValueError("pass both dt and method ('euler' | 'imex') to certify the step.")
    F_A, F_B, C, Ac, Bc = step_matrices(kind, method, dt, W=W, A=A, tau=tau, rho=rho)
    metrics = _metric_choice(len(W), lmi)[-1:] or ["diagonal"]
    out = discrete(F_A, F_B, C, g=g, metric=metrics[0])
    best = _best_proof(certs)
    if best is not None:
        M = np.array(best.evidence["metric"])
        out.append(carry_over(M, best.margin, Ac, Bc, C, g=g, dt=dt, method=method))
    return out


def lipschitz_rnn(
    A, W, *, g: float = 1.0, dt: float | None = None, method: str | None = None,
    rho: float = 1.0, lmi: str = "auto",
) -> CertificateReport:  # fmt: skip
    """Certificates for ``ḣ = Ah + tanh(Wh + Ux + b)`` (Erichson et al. 2021, eq. 1).

    Prop. 1 as a heuristic (false as stated), the sound norm condition ``μ₂(A) + g‖W‖₂ < 0``,
    the sector LMI (diagonal, and full for n ≤ 64), and with ``dt``/``method`` the Euler (eq. 15)
    or IMEX (eq. 14, parameter ``rho``) step.

    Example:
        >>> import numpy as np
        >>> from neurodyn import contraction
        >>> rep = contraction.lipschitz_rnn(-np.eye(3), 0.5 * np.eye(3))
        >>> rep["lipschitz_norm"].holds
        True
    """
    A, W, g = as_square(A, "A"), as_square(W, "W"), check_g(g)
    certs = [prop1(A), lipschitz_norm(A, W, g=g)]
    certs += [lipschitz_sector(A, W, g=g, metric=m) for m in _metric_choice(len(A), lmi)]
    certs += _discrete_part("lipschitz", W, A, 1.0, g, dt, method, certs, lmi, rho)
    return CertificateReport(tuple(certs), {"model": "lipschitz_rnn", "n": len(A), "g": g})


def assembly_of(net) -> Assembly:
    """The :class:`Assembly` of a ``neurodyn.nn.SparseComboNet`` (its current weights)."""
    Ws = net.block_weights.detach().double().cpu().numpy()
    ms = net.block_metrics.detach().double().cpu().numpy()
    L = net.interconnection().detach().double().cpu().numpy()
    return Assembly(
        tuple(Ws), tuple(np.diag(m) for m in ms), L, tau=float(net.tau), g=float(net.slope_bound)
    )


def _slope(obj, g):
    sb = getattr(obj, "slope_bound", None)
    if sb is None:
        raise ValueError(
            f"{type(obj).__name__} has no slope bound (slope_bound is None): its nonlinearity is "
            "not known to satisfy 0 ≤ φ' ≤ g, so no contraction theorem applies."
        )
    return float(sb)


def certify(obj, g: float | None = 1.0, **options) -> CertificateReport:
    """Contraction certificates for ``obj`` (Kozachkov et al. 2022; Erichson et al. 2021).

    ``obj`` may be:

    * a recurrent matrix W of eq. 1 (``torch.Tensor`` or ``numpy.ndarray``) → :func:`ctrnn`
      (options: ``tau``, ``dt``, ``method``, ``lmi``, ``activation`` (a torch module whose slope
      bound replaces ``g``));
    * an :class:`Assembly` → block and interconnection certificates;
    * a ``neurodyn.nn.SparseComboNet`` → its assembly's certificates;
    * a CT-RNN-like cell (``weight_hh``, ``tau``, ``dt``, ``method``, ``slope_bound``) or a
      Lipschitz-RNN-like cell (``A``, ``W``, ``dt``, ``method``, ``slope_bound``; optional
      ``rho``): the continuous certificates and those of the step the cell runs. A cell's
      ``slope_bound`` is used (``g`` is ignored for cells).

    Returns:
        CertificateReport: iterable of Certificates (``name``, ``holds``, ``kind``, ``margin``,
        ``evidence``); every proof that holds has ``evidence["metric"]`` (n × n nested list).
        Which of them are about the whole model (an assembly's ``block<i>`` are not):
        :func:`network_certificates`.

    Raises:
        TypeError: an unsupported object (the message lists what is supported).
        ValueError: bad shapes, a missing slope bound, inconsistent options.

    Example:
        >>> import torch
        >>> from neurodyn import contraction
        >>> rep = contraction.certify(0.3 * torch.eye(4, dtype=torch.float64))
        >>> rep["theorem2"].proven and "metric" in rep["theorem2"].evidence
        True
    """
    import torch

    act = options.pop("activation", None)
    if act is not None:
        g = slope_bound_of(act)
    if isinstance(obj, Assembly):
        return certify_assembly(obj)
    check_finite_parameters(obj, "contraction.certify")
    if hasattr(obj, "block_weights") and hasattr(obj, "interconnection"):
        return certify_assembly(assembly_of(obj))
    if isinstance(obj, torch.Tensor | np.ndarray):
        return ctrnn(obj, g=check_g(g), **options)
    if all(hasattr(obj, a) for a in ("weight_hh", "tau", "dt", "method")):
        gg = _slope(obj, g)
        if obj.method not in ("euler", "imex"):
            # Only the Euler / IMEX steps have discrete certificates (App. 5.1); certify the
            # flow and say plainly that the step the cell runs is not covered.
            rep = ctrnn(obj.weight_hh, tau=float(obj.tau), g=gg, **options)
            note = (
                f"the cell integrates with {obj.method!r}: only the continuous-time flow is "
                "certified here; no certificate covers its discrete step (use method='euler' or "
                "'imex' for step certificates)"
            )
            return CertificateReport(rep.certificates, {**rep.domain, "step_not_certified": note})
        return ctrnn(
            obj.weight_hh, tau=float(obj.tau), g=gg, dt=float(obj.dt), method=obj.method,
            **options,
        )  # fmt: skip
    if all(hasattr(obj, a) for a in ("A", "W", "dt", "method")):
        gg = _slope(obj, g)
        alpha = float(getattr(obj, "alpha", 1.0))  # eq. 16: the ODE's linear part is α A
        return lipschitz_rnn(
            obj.A if alpha == 1.0 else alpha * obj.A, obj.W, g=gg, dt=float(obj.dt),
            method=obj.method,
            rho=float(getattr(obj, "rho", 1.0)), **options,
        )  # fmt: skip
    raise TypeError(
        f"certify does not support {type(obj).__name__}. Supported: a square recurrent matrix W "
        "(torch.Tensor / numpy.ndarray) of τẋ = −x + Wφ(x) + u; a contraction.Assembly; a "
        "neurodyn.nn.SparseComboNet; a CT-RNN cell (weight_hh, tau, dt, method, slope_bound); a "
        "Lipschitz RNN cell (A, W, dt, method, slope_bound)."
    )


def network_certificates(report: CertificateReport) -> tuple[list, list]:
    """``(network, parts)``: the certificates of ``report`` about the whole model, and the rest.

    A verdict about the network may rest only on the first list. Which certificates those are,
    per model kind:

    * an :class:`Assembly` / a ``SparseComboNet``: ``assembly`` alone. ``block0``, ``block1``,
      … certify one block in its own metric; they are evidence the assembly proof uses, and
      by themselves say nothing about the network (the blocks' coupling can destabilise it).
    * a matrix W of eq. 1, a CT-RNN cell, a Lipschitz-RNN cell: every certificate. Each of
      Theorems 1–5, the sector and vertex LMIs, ``lipschitz_norm`` / ``lipschitz_sector``,
      the step's ``discrete_*`` and ``continuous_carries_over`` is about the whole state.

    The report's ``domain["network_level"]`` names the first list where not every certificate
    is network-level.
    """
    names = report.domain.get("network_level")
    certs = list(report)
    if names is None:
        return certs, []
    return [c for c in certs if c.name in names], [c for c in certs if c.name not in names]


def block_diag(mats) -> np.ndarray:
    """``scipy.linalg.block_diag`` of float64 copies (a convenience for metrics)."""
    return scipy.linalg.block_diag(*[np.asarray(m, float) for m in mats])
