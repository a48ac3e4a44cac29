"""Shared pieces: input validation, rounding-aware eigenvalue re-checks, Lyapunov metrics."""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg

from neurodyn._core import Certificate

__all__ = [
    "EQ1",
    "as_square",
    "check_g",
    "check_metric",
    "diag_rate",
    "lyapunov_metric",
    "make",
    "metzler_diagonal_metric",
    "neg_def_margin",
    "slope_bound_of",
]

EQ1 = "τẋ = −x + Wφ(x) + u, 0 ≤ φ' ≤ g (Kozachkov et al. 2022, eq. 1)"
_EPS = np.finfo(np.float64).eps


def as_square(W, name: str = "W") -> np.ndarray:
    """``W`` as a finite float64 ``(n, n)`` numpy array, or a clear error."""
    try:
        import torch

        if isinstance(W, torch.Tensor):
            W = W.detach().to("cpu", torch.float64).numpy()
    except ImportError:  # pragma: no cover
        pass
    if not isinstance(W, np.ndarray | list | tuple):
        raise TypeError(f"{name} must be a torch.Tensor or numpy array, got {type(W).__name__}.")
    W = np.array(W, dtype=np.float64)
    if W.ndim != 2 or W.shape[0] != W.shape[1] or W.shape[0] == 0:
        raise ValueError(
            f"{name} must be a square (n, n) matrix (the recurrent weight of {EQ1}), "
            f"got shape {W.shape}."
        )
    if not np.isfinite(W).all():
        raise ValueError(f"{name} has NaN or inf entries.")
    return W


def check_g(g) -> float:
    if g is None:
        raise ValueError(
            "no slope bound for the nonlinearity: contraction of eq. 1 needs 0 ≤ φ' ≤ g; pass "
            "g= (1 for ReLU/tanh) or a monotone activation with a known bound."
        )
    g = float(g)
    if not math.isfinite(g) or g <= 0:
        raise ValueError(f"the slope bound g must be positive and finite, got {g}.")
    return g


# monotone activations (0 ≤ φ' ≤ g) and their slope bound g
_MONOTONE = {
    "ReLU": lambda m: 1.0,
    "Tanh": lambda m: 1.0,
    "Sigmoid": lambda m: 0.25,
    "Softplus": lambda m: 1.0,
    "Hardtanh": lambda m: 1.0,
    "Hardsigmoid": lambda m: 1.0 / 6.0,
    "ReLU6": lambda m: 1.0,
    "Identity": lambda m: 1.0,
    "LeakyReLU": lambda m: 1.0 if 0 <= m.negative_slope <= 1 else None,
    "ELU": lambda m: 1.0 if 0 <= m.alpha <= 1 else None,
}


def slope_bound_of(activation) -> float:
    """``g`` with ``0 ≤ φ' ≤ g`` for a torch activation module, or a ValueError naming why not."""
    name = type(activation).__name__
    if name not in _MONOTONE:
        raise ValueError(
            f"no slope bound 0 ≤ φ' ≤ g is known for {name}: eq. 1's theorems need a monotone "
            "activation with bounded slope (ReLU, Tanh, Sigmoid, Softplus, Hardtanh, LeakyReLU, "
            "ELU with α ≤ 1, ...). GELU/SiLU/Mish have φ' < 0 somewhere. Pass g= yourself only "
            "if you have proved the bound."
        )
    g = _MONOTONE[name](activation)
    if g is None:
        raise ValueError(f"{activation!r} has slopes outside [0, 1]; pass g= explicitly.")
    return g


def neg_def_margin(S: np.ndarray) -> tuple[float, float]:
    """``(λ_max(S), tol)``: S ≺ 0 is proven when ``λ_max + tol < 0``.

    ``tol = 8·n·eps·‖S‖_F`` bounds the backward error of ``eigvalsh`` (Weyl).
    """
    S = 0.5 * (S + S.T)
    lam = float(np.linalg.eigvalsh(S)[-1])
    return lam, 8 * S.shape[0] * _EPS * float(np.linalg.norm(S))


def check_metric(M, n: int | None = None, name: str = "metric") -> np.ndarray:
    """A symmetric positive definite float64 metric, or a ValueError."""
    M = as_square(M, name)
    if n is not None and M.shape[0] != n:
        raise ValueError(f"{name} must be ({n}, {n}), got {M.shape}.")
    if not np.allclose(M, M.T, rtol=1e-12, atol=1e-12 * np.abs(M).max()):
        raise ValueError(f"{name} must be symmetric.")
    M = 0.5 * (M + M.T)
    lam, tol = neg_def_margin(-M)
    if not lam + tol < 0:
        raise ValueError(
            f"{name} is not positive definite (smallest eigenvalue {-lam:.3g}); a contraction "
            "metric must satisfy M ≻ 0."
        )
    return M


def metzler_diagonal_metric(A: np.ndarray) -> np.ndarray | None:
    """``p`` with ``diag(p) A + Aᵀ diag(p) ≺ 0`` for a Hurwitz Metzler A, else None.

    ``v = −A⁻¹1 > 0``, ``w = −A⁻ᵀ1 > 0`` and ``p = w / v``: then ``(PA + AᵀP) v = P(Av) + Aᵀw
    < 0`` componentwise for the symmetric Metzler matrix ``PA + AᵀP``, which is therefore Hurwitz
    (Perron–Frobenius), i.e. negative definite (Narendra & Shorten 2010).
    """
    n = A.shape[0]
    if np.linalg.eigvals(A).real.max() >= 0:
        return None
    try:
        v = -np.linalg.solve(A, np.ones(n))
        w = -np.linalg.solve(A.T, np.ones(n))
    except np.linalg.LinAlgError:
        return None
    if not ((v > 0).all() and (w > 0).all()):
        return None
    p = w / v
    return p / p.max()


def lyapunov_metric(A, Q=None) -> np.ndarray:
    """``M`` with ``M A + Aᵀ M = −Q`` (Q = I by default) for a Hurwitz A (Bartels–Stewart).

    SciPy's ``solve_continuous_lyapunov`` (Schur-based, O(n³)); never the Kronecker
    ``method="direct"`` (O(n⁶)). Raises ValueError when A is not Hurwitz.
    """
    A = as_square(A, "A")
    n = A.shape[0]
    if np.linalg.eigvals(A).real.max() >= 0:
        raise ValueError("A is not Hurwitz: no M ≻ 0 solves M A + Aᵀ M = −Q.")
    Q = np.eye(n) if Q is None else np.asarray(Q, float)
    M = scipy.linalg.solve_continuous_lyapunov(A.T, -Q)
    return 0.5 * (M + M.T)


def make(name, holds, margin, kind, method, conclusion, assumptions=(), **evidence):
    """A Certificate with JSON-ready evidence (metrics as nested lists)."""
    ev = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in evidence.items()}
    return Certificate(
        name=name, holds=bool(holds), margin=float(margin), kind=kind, method=method,
        conclusion=conclusion, assumptions=tuple(assumptions), evidence=ev,
    )  # fmt: skip


def diag_rate(S: np.ndarray, p: np.ndarray) -> float:
    """Largest proven β with ``S ⪯ −β diag(p)``: ``−λ_max(P^-½SP^-½)`` less its rounding tol."""
    r = 1 / np.sqrt(p)
    lam, tol = neg_def_margin(S * r[:, None] * r[None, :])
    return -(lam + tol)


def rate_in_metric(S: np.ndarray, M: np.ndarray) -> float:
    """Largest β with ``S ⪯ −β M`` (S symmetric, M ≻ 0): −λ_max(M^{-1/2} S M^{-1/2})."""
    L = np.linalg.cholesky(M)
    X = scipy.linalg.solve_triangular(L, S, lower=True)
    X = scipy.linalg.solve_triangular(L, X.T, lower=True)
    return -float(np.linalg.eigvalsh(0.5 * (X + X.T))[-1])
