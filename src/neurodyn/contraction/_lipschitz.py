"""Lipschitz RNN ``ḣ = Ah + tanh(Wh + Ux + b)`` (Erichson et al. 2021, eq. 1): sound conditions.

Jacobian ``J(D) = A + D W`` with ``D = diag(φ'(Wh + …)) ∈ [0, g]ⁿ``.

* Erichson et al. 2021, Prop. 1 ("asymptotically stable if the eigenvalues of A have negative
  real parts") is false as stated: its proof chooses δ freely although the nonlinearity's slope
  enters through ‖W‖. ``ḣ = −0.1h + tanh(5h)`` has A = −0.1, but the origin is unstable
  (linearisation −0.1 + 5 > 0). Kept only as kind "heuristic".
* Sound: ``μ₂(A) + g‖W‖₂ < 0`` (metric I), and the sector LMI in a metric M covering every D.
"""

from __future__ import annotations

import numpy as np

from neurodyn.contraction._common import as_square, check_g, make, neg_def_margin
from neurodyn.contraction._lmi import sector_solve
from neurodyn.contraction._theorems import _sector_certificate

__all__ = ["lipschitz_norm", "lipschitz_sector", "prop1", "prop2_bounds"]

_ASSUME = (
    "ḣ = Ah + φ(Wh + Ux + b), 0 ≤ φ' ≤ g (Erichson et al. 2021, eq. 1; tanh: g = 1)",
    "continuous time (the flow itself, not a discretisation)",
)


def _pair(A, W):
    A, W = as_square(A, "A"), as_square(W, "W")
    if A.shape != W.shape:
        raise ValueError(f"A and W must have the same shape, got {A.shape} and {W.shape}.")
    return A, W


def prop1(A, W=None):
    """Erichson et al. 2021, Prop. 1 as stated — kind "heuristic" (false; module docstring)."""
    A = as_square(A, "A")
    a = float(np.linalg.eigvals(A).real.max())
    return make(
        "erichson_prop1", a < 0, -a, "heuristic",
        "max Re λ(A) < 0, the condition of Erichson et al. 2021, Prop. 1 — FALSE as stated: "
        "ḣ = −0.1h + tanh(5h) satisfies it with an unstable origin",
        "nothing: the slope of the nonlinearity (through ‖W‖) is ignored", _ASSUME,
        spectral_abscissa_A=a,
    )  # fmt: skip


def lipschitz_norm(A, W, *, g: float = 1.0):
    """``μ₂(A) + g‖W‖₂ < 0`` ⇒ contraction in the identity metric with rate ``−2(μ₂ + g‖W‖)``.

    ``μ₂(A + DW) ≤ μ₂(A) + ‖D‖₂‖W‖₂`` (subadditivity, μ ≤ ‖·‖). Rounding: eigvalsh and the
    2-norm are widened by their backward error.
    """
    (A, W), g = _pair(A, W), check_g(g)
    mu, tol = neg_def_margin(0.5 * (A + A.T))
    nw = float(np.linalg.norm(W, 2))
    bound = mu + tol + g * nw * (1 + 8 * len(W) * np.finfo(float).eps)
    return make(
        "lipschitz_norm", bound < 0, -2 * bound, "proof",
        "μ₂(A) + g‖W‖₂ < 0 (rounding-aware): μ₂(A + DW) ≤ μ₂(A) + g‖W‖₂ for every slope D",
        "contracting in the identity metric with rate ≥ margin, for every input", _ASSUME,
        metric=np.eye(len(A)), mu2_A=mu, norm_W=nw,
    )  # fmt: skip


def lipschitz_sector(A, W, *, g: float = 1.0, metric: str = "full", linear_solver=None):
    """LMI ``[[MA + AᵀM, M + gWᵀΛ], [M + gΛW, −2Λ]] ≺ 0``: covers every D ∈ [0, g]ⁿ.

    Contains the norm condition (M = I, Λ = λI for a suitable λ), so it is never less tight.
    """
    (A, W), g = _pair(A, W), check_g(g)
    n = len(A)
    res = sector_solve(g, A=A, B=np.eye(n), C=W, metric=metric, linear_solver=linear_solver)
    return _sector_certificate(
        f"lipschitz_sector_{metric}", res, g, A=A, B=np.eye(n), C=W, assumptions=_ASSUME
    )


def prop2_bounds(M, beta: float, gamma: float):
    """``A_{β,γ}`` of Erichson et al. 2021, eq. 9, and the bounds of their Prop. 2 on Re λ.

    ``A = (1 − β)(M + Mᵀ) + β(M − Mᵀ) − γI``; ``(A + Aᵀ)/2 = (1 − β)M_sym − γI``, and every
    eigenvalue's real part lies in the numerical range of that symmetric part, so for β ≤ 1
    ``(1 − β)λ_min(M_sym) − γ ≤ Re λ_i(A) ≤ (1 − β)λ_max(M_sym) − γ`` (the paper's eq. 10 prints
    an extra ``− γ`` in the middle term). Returns ``(A, lower, upper)``.
    """
    M = as_square(M, "M")
    if not 0 <= beta <= 1:
        raise ValueError(f"Prop. 2 bounds hold for β ∈ [0, 1] (paper: [0.5, 1]), got {beta}.")
    Ms = M + M.T
    A = (1 - beta) * Ms + beta * (M - M.T) - gamma * np.eye(len(M))
    ev = np.linalg.eigvalsh(Ms)
    return A, (1 - beta) * ev[0] - gamma, (1 - beta) * ev[-1] - gamma
