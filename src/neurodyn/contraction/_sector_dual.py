"""A frequency-domain proof that the sector LMI has no solution (for B = I).

The continuous sector LMI (``_lmi``) asks for M ≻ 0 and a diagonal Λ ⪰ 0 with

    G(M, Λ) = [[MA + AᵀM, MB + gCᵀΛ], [BᵀM + gΛC, −2Λ]] ≺ 0.

For any frequency ω ∈ ℝ, complex x ≠ 0 and u with Ax + Bu = jωx, the M terms cancel
(x*M(Ax + Bu) + (Ax + Bu)*Mx = jω x*Mx − jω x*Mx = 0), leaving

    [x; u]* G [x; u] = 2 Σ_j λ_j c_j,   c_j = g Re(ū_j (Cx)_j) − |u_j|²,

which a solution makes < 0. So finitely many (ω_k, x_k) and weights w_k ≥ 0 with
Σ_k w_k c_kj ≥ 0 for every channel j contradict every (M, Λ): Σ_k w_k [x_k; u_k]* G [x_k; u_k] is
< 0 by G ≺ 0 and ≥ 0 by Λ ⪰ 0. This is the KYP lemma's easy direction read as a dual certificate.
With B = I the equality is exact by construction, u_k := jω_k x_k − A x_k; its rounding, and that
of every c_kj and of the weighted sums, is bounded elementwise (:func:`check_frequency_dual`), so
the proof is rounding-aware. Candidates: the top eigenvectors of He(H(jω)), H(s) = C(sI − A)⁻¹, on
a frequency grid; the weights come from one HiGHS linear program.
"""

from __future__ import annotations

import numpy as np

__all__ = ["check_frequency_dual", "frequency_dual"]

_EPS = np.finfo(float).eps


def _terms(g: float, A: np.ndarray, C: np.ndarray, omega: np.ndarray, X: np.ndarray):
    """(K, m) c_kj and their rounding bounds, for the rows x_k of X (K, n) at ω_k."""
    n = A.shape[0]
    U = 1j * omega[:, None] * X - X @ A.T  # u_k = jω x_k − A x_k (B = I)
    Y = X @ C.T  # (Cx)_k
    ax = np.abs(X)
    gam = 4 * (n + 4) * _EPS  # a generous γ_n for complex dot products
    eu = gam * (ax @ np.abs(A).T + np.abs(omega)[:, None] * ax + np.abs(U))
    ey = gam * (ax @ np.abs(C).T + np.abs(Y))
    c = g * np.real(np.conj(U) * Y) - np.abs(U) ** 2
    au, ay = np.abs(U), np.abs(Y)
    err = g * (eu * ay + au * ey + eu * ey) + 2 * au * eu + eu**2 + 8 * _EPS * (g * au * ay + au**2)
    return c, err


def check_frequency_dual(g: float, A, C, omega, X, weights) -> float:
    """The smallest certified Σ_k w_k c_kj over channels j (a rounding-aware lower bound); the
    certificate proves the sector LMI (B = I) infeasible iff this is ≥ 0 and some w_k x_k ≠ 0.

    Args:
        A (n, n), C (m, n): the system; omega (K,): frequencies; X (K, n) complex: the x_k;
        weights (K,) ≥ 0.

    Returns ``-inf`` for a malformed certificate (negative weight, all-zero, non-finite).
    """
    A, C = np.asarray(A, float), np.asarray(C, float)
    omega, X = np.asarray(omega, float).ravel(), np.asarray(X, complex)
    w = np.asarray(weights, float).ravel()
    if (
        X.ndim != 2
        or X.shape != (omega.size, A.shape[0])
        or w.size != omega.size
        or np.any(w < 0)
        or not (np.all(np.isfinite(X)) and np.all(np.isfinite(w)) and np.all(np.isfinite(omega)))
        or not np.any((w > 0) & (np.abs(X).max(axis=1) > 0))
    ):
        return -np.inf
    c, err = _terms(g, A, C, omega, X)
    s = w @ c
    bound = w @ err + omega.size * 2 * _EPS * (w @ np.abs(c))
    return float(np.min(s - bound))


def frequency_dual(g: float, A, C, *, n_omega: int = 40, per_omega: int = 8) -> dict | None:
    """A certificate that no (M ≻ 0, Λ ⪰ 0 diagonal) solves the sector LMI with B = I, or None.

    Tries ω = 0 and ``n_omega`` frequencies log-spaced over [1e-3, 10]·max|λ(A)|, at each the
    ``per_omega`` top eigenvectors v of He(H(jω)) with g·eigenvalue > 1 (only there can Σ_j c_j
    be positive), x = (jωI − A)⁻¹v; then the weights maximise min_j Σ_k w_k c_kj (HiGHS).

    Returns:
        ``{"omega" (K,), "x" (K, n) complex, "weights" (K,), "slack"}`` when
        :func:`check_frequency_dual` certifies it (slack ≥ 0), else None (no proof found: the
        LMI may still be infeasible).
    """
    from scipy.optimize import linprog

    A, C = np.asarray(A, float), np.asarray(C, float)
    n = A.shape[0]
    scale = float(np.abs(np.linalg.eigvals(A)).max()) or 1.0
    omegas = np.concatenate([[0.0], np.logspace(-3, 1, int(n_omega)) * scale])
    om, xs = [], []
    for w in omegas:
        try:
            R = np.linalg.solve(1j * w * np.eye(n) - A, np.eye(n))
        except np.linalg.LinAlgError:
            continue
        H = C @ R
        vals, vecs = np.linalg.eigh(0.5 * (H + H.conj().T))
        for i in range(1, min(int(per_omega), len(vals)) + 1):
            if g * vals[-i] <= 1:
                break
            om.append(w)
            xs.append(R @ vecs[:, -i])
    if not xs:
        return None
    omega, X = np.asarray(om), np.asarray(xs)
    X = X / np.abs(X).max(axis=1, keepdims=True)  # scale-free: each x_k has max |x_kj| = 1
    c, _ = _terms(g, A, C, omega, X)
    K, m = c.shape
    res = linprog(
        np.r_[np.zeros(K), -1.0],
        A_ub=np.hstack([-c.T, np.ones((m, 1))]),
        b_ub=np.zeros(m),
        A_eq=np.r_[np.ones(K), 0.0][None, :],
        b_eq=[1.0],
        bounds=[(0, None)] * K + [(None, None)],
        method="highs",
    )
    if res.status != 0 or -res.fun <= 0:
        return None
    weights = np.clip(res.x[:K], 0.0, None)
    keep = weights > 0
    omega, X, weights = omega[keep], X[keep], weights[keep]
    slack = check_frequency_dual(g, A, C, omega, X, weights)
    if not slack >= 0:
        return None
    return {"omega": omega, "x": X, "weights": weights, "slack": slack}
