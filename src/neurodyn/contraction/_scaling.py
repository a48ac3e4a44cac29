"""Optimal diagonal scaling: ``min over d > 0 of σ_max(D W D⁻¹)``, ``D = diag(d)``.

Kozachkov et al. 2022, Thm. 5 asks for a diagonal ``P ≻ 0`` with ``g²WᵀPW − P ≺ 0``; with
``P = D²`` that is exactly ``g·‖D W D⁻¹‖₂ < 1`` (multiply by ``D⁻¹`` on both sides). So Thm. 5
is the classical problem of optimal diagonal scaling for the spectral norm, which is far more
structured than a generic n × n semidefinite program:

* ``u ↦ σ_max(e^U W e^{−U})`` (``U = diag(u)``) is convex (Sezginer & Overton 1990, "The
  largest singular value of e^X A e^{-X} is convex on convex sets of commuting matrices", IEEE
  TAC 35), so descent on ``u = log d`` finds the global infimum.
* Its gradient, where the top singular value σ of ``M = D W D⁻¹`` is simple with singular
  vectors ``a`` (left), ``b`` (right), is ``∂σ/∂u_k = σ (a_k² − b_k²)`` (from
  ``∂M_ij/∂u_k = M_ij (δ_ik − δ_jk)`` and ``Mb = σa``, ``Mᵀa = σb``): one top singular pair per
  step.
* Lower bound: ``σ_max(DWD⁻¹) ≥ ρ(W)`` for every D (similarity keeps the spectral radius), so
  ``g·ρ(W) ≥ 1`` proves that no diagonal metric exists.
* Start: for elementwise nonnegative W the Perron scaling ``d = √(y/x)`` (x, y the right and
  left Perron vectors) is optimal, ``σ_max(DWD⁻¹) = ρ(W)``: ``DWD⁻¹`` and its transpose then
  share the positive eigenvector ``√(x∘y)``, so it is the Perron vector of ``(DWD⁻¹)ᵀ(DWD⁻¹)``.
  For a general W the Perron scaling of ``|W|`` bounds ``σ_max(DWD⁻¹) ≤ ρ(|W|)``; Osborne's
  balancing (equal row and column norms, the minimiser of the Frobenius norm ``‖DWD⁻¹‖_F``,
  which bounds σ_max from above) is the second start; the descent starts from the better one.

The scaling found is only a candidate: the proof is the ``eigvalsh`` re-check of
``g²WᵀPW − P ≺ 0`` in :func:`~neurodyn.contraction.theorem5`.

Infeasibility has a checkable proof too (the theorem of alternatives for the LMI): if some
``Z ⪰ 0``, ``Z ≠ 0`` has ``diag(Z) ≤ g²·diag(W Z Wᵀ)``, then for every diagonal ``P ⪰ 0``
``⟨P − g²WᵀPW, Z⟩ = Σ_k p_k (Z_kk − g²(WZWᵀ)_kk) ≤ 0``, so ``P − g²WᵀPW ≻ 0`` is impossible.
:func:`infeasibility_certificate` looks for ``Z = Σ μ_i z_i z_iᵀ`` (μ ≥ 0, Σμ = 1) over
``z_i = D_i⁻¹ b_i``, the top right singular vectors met along the descent mapped back to W's
coordinates (at the infimum, with ``Y = bbᵀ``, ``diag(MYMᵀ) = σ² diag(Y)``: the optimality
condition), by one linear program (HiGHS).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

__all__ = ["ScalingResult", "diagonal_scaling", "infeasibility_certificate"]

#: |log d_i| ≤ 15 (d_max/d_min ≤ e³⁰ ≈ 1e13): where the infimum is approached only as d → 0 or ∞
#: (a reducible W, e.g. triangular), the descent stops at this box; metrics beyond it are too
#: ill-conditioned to re-check in float64 anyway
_LOG_D_MAX = 15.0
_KEEP = 24  # blocks of right singular vectors kept for the infeasibility LP (the last steps')


@dataclass
class ScalingResult:
    """The best diagonal scaling found for ``σ_max(D W D⁻¹)``.

    Attributes:
        d: ``(n,)`` positive scaling (the metric of Thm. 5 is ``P = diag(d²)``).
        sigma: ``σ_max(D W D⁻¹)`` at ``d`` (as computed; the caller re-checks what it needs).
        lower_bound: ``ρ(W)``, below which no scaling goes.
        start: "perron" or "osborne", the start the descent took.
        iterations: descent steps taken (each one top singular block, plus line-search trials).
        converged: the descent stopped on its tolerance (not on ``max_iter``).
        seconds: wall time.
        candidates: ``(m, n)`` unit vectors ``z_i = D_i⁻¹ b_i`` of the top right singular
            vectors of the last 24 steps, in W's coordinates (for
            :func:`infeasibility_certificate`).
    """

    d: np.ndarray
    sigma: float
    lower_bound: float
    start: str
    iterations: int
    converged: bool
    seconds: float
    candidates: np.ndarray | None = None


class _TopBlock:
    """The top-m singular triplets of ``M(u) = e^U W e^{-U}`` by subspace iteration, warm-started
    from the previous point's right singular block (the block moves little between steps)."""

    def __init__(self, W: np.ndarray, m: int, seed: int = 0):
        self.W = W
        n = W.shape[0]
        rng = np.random.default_rng(seed)
        self.V = np.linalg.qr(rng.standard_normal((n, m)))[0]

    def __call__(self, u: np.ndarray, sweeps: int = 2):
        """``(σ (m,), A (n, m), B (n, m))``: Ritz values (descending) and unit vectors."""
        M = np.exp(u)[:, None] * self.W * np.exp(-u)[None, :]
        V = self.V
        for _ in range(sweeps):
            V = np.linalg.qr(M.T @ (M @ V))[0]
        U, s, Zt = np.linalg.svd(M @ V, full_matrices=False)  # Rayleigh-Ritz on span(V)
        B = V @ Zt.T
        self.V = B
        return s, U, B


def _smooth(s: np.ndarray, A: np.ndarray, B: np.ndarray, p: float):
    """``f_p = log (Σ σ_i^{2p})^{1/2p}`` (≥ log σ_1, ≤ log σ_1 + log(m)/2p) and its gradient
    ``Σ w_i (a_i² − b_i²)`` in u, ``w = softmax(2p log σ)``."""
    ls = np.log(np.maximum(s, np.finfo(float).tiny))
    z = 2 * p * (ls - ls[0])
    w = np.exp(z)
    tot = w.sum()
    w /= tot
    f = ls[0] + np.log(tot) / (2 * p)
    return f, (A**2 - B**2) @ w


def _perron_start(A: np.ndarray, iters: int = 300) -> np.ndarray | None:
    """``log √(y/x)`` from the Perron vectors of a nonnegative A (power iteration on A + I, which
    has the same Perron vectors and is primitive when A is irreducible), or None if they are
    not positive (reducible A). Only a start: any d > 0 is a valid candidate."""
    B = A + np.eye(len(A)) * (np.abs(A).max() + 1e-300)
    x = np.ones(len(A))
    y = np.ones(len(A))
    for _ in range(iters):
        x = B @ x
        x /= x.max()
        y = B.T @ y
        y /= y.max()
    if not (x.min() > 1e-12 and y.min() > 1e-12):
        return None
    return 0.5 * (np.log(y) - np.log(x))


def _osborne_start(W: np.ndarray, sweeps: int = 30) -> np.ndarray:
    """``log d`` of Osborne's balancing: row and column 2-norms of DWD⁻¹ (off-diagonal) equal."""
    A = np.abs(W).copy()
    np.fill_diagonal(A, 0.0)
    A2 = A**2
    u = np.zeros(len(W))
    for _ in range(sweeps):
        e = np.exp(2 * u)
        r = A2 @ (1 / e) * e  # Σ_j W_ij² d_i²/d_j²
        c = A2.T @ e / e  # Σ_i W_ij² d_i²/d_j²
        ok = (r > 0) & (c > 0)
        step = np.zeros_like(u)
        step[ok] = 0.25 * (np.log(c[ok]) - np.log(r[ok]))
        u += step
        if np.abs(step).max() < 1e-6:
            break
    return u - u.mean()


def diagonal_scaling(
    W,
    *,
    target: float | None = None,
    max_iter: int = 400,
    block: int | None = None,
    rtol: float = 1e-6,
) -> ScalingResult:
    """The diagonal ``d > 0`` minimising ``σ_max(diag(d) W diag(d)⁻¹)`` (module docstring).

    The infimum sits where several top singular values meet (a kink), so the descent is on the
    smooth upper bound ``f_p(u) = log (Σ_{i≤m} σ_i^{2p})^{1/2p}`` of ``log σ_max`` over the top
    ``m = block`` singular values (subspace iteration, warm-started), gradient descent with an
    Armijo line search, doubling ``p`` from 4 to 1024 each time a stage stops improving. Starts
    from the better of the Perron scaling of ``|W|`` and Osborne's balancing. Each step costs
    about four products of an n × n matrix with an n × m block.

    Args:
        W: ``(n, n)`` matrix.
        target: stop as soon as the (Ritz) ``σ_max ≤ target``, e.g. ``(1 − 1e-3)/g`` for Thm. 5,
            or once ``ρ(W) ≥ target`` shows it cannot be reached. None: descend to the infimum.
        max_iter: most descent steps in all.
        block: m, how many top singular triplets are tracked (None: ``max(12, n // 40)``,
            capped at n; too small a block makes the Ritz values, and so the descent, inexact).
        rtol: a stage ends when a step lowers ``f_p`` by less than ``rtol``.

    Returns:
        A :class:`ScalingResult` (``sigma`` is the Ritz estimate of σ_max at ``d``, a lower
        bound of the true value: callers that need it exactly recompute it).
    """
    W = np.asarray(W, dtype=np.float64)
    t0 = time.perf_counter()
    n = W.shape[0]
    m = max(1, min(max(12, n // 40) if block is None else int(block), n))
    rho = float(np.abs(np.linalg.eigvals(W)).max()) if n else 0.0
    starts = {"osborne": _osborne_start(W)}
    perron = _perron_start(np.abs(W)) if n > 1 else None
    if perron is not None:
        starts["perron"] = perron
    top = _TopBlock(W, m)
    scored = []
    for name, u0 in starts.items():
        u0 = np.clip(u0 - u0.mean(), -_LOG_D_MAX, _LOG_D_MAX)
        scored.append((float(top(u0, sweeps=6)[0][0]), name, u0))
    _, start, u = min(scored, key=lambda t: t[0])
    s, A, B = top(u, sweeps=6)
    seen = [B * np.exp(-u)[:, None]]
    it, converged, step, p = 0, False, 1.0, 4.0
    f, grad = _smooth(s, A, B, p)
    while it < max_iter:
        if target is not None and (s[0] <= target or rho >= target):
            converged = True
            break
        gg = float(grad @ grad)
        it += 1
        t, accepted = step, False
        while t > 1e-8 and gg > 1e-30:  # Armijo: f(u − t g) ≤ f(u) − t/4 ‖g‖²
            trial = u - t * grad
            trial = np.clip(trial - trial.mean(), -_LOG_D_MAX, _LOG_D_MAX)
            keep = top.V
            s2, A2, B2 = top(trial)
            f2, g2 = _smooth(s2, A2, B2, p)
            if f2 <= f - 0.25 * t * gg:
                accepted = True
                break
            top.V = keep
            t *= 0.5
        improved = accepted and f - f2 > rtol
        if accepted:
            u, s, A, B, f, grad = trial, s2, A2, B2, f2, g2
            seen.append(B * np.exp(-u)[:, None])
            step = min(2.0 * t, 1e3)
        if not improved:  # this stage is done: sharpen the smoothing, or stop
            if p >= 1024:
                converged = True
                break
            p *= 2.0
            f, grad = _smooth(s, A, B, p)
            step = 1.0
    z = np.concatenate(seen[-_KEEP:], axis=1).T
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    return ScalingResult(
        np.exp(u), float(s[0]), rho, start, it, converged, time.perf_counter() - t0, z
    )


def infeasibility_certificate(W, g: float, candidates: np.ndarray):
    """``(Z, slack)`` proving that no diagonal ``P ⪰ 0, P ≠ 0`` has ``g²WᵀPW − P ≺ 0``, or None.

    ``Z = Σ μ_i z_i z_iᵀ`` over the rows of ``candidates`` (``(m, n)``), μ from the linear
    program ``max t`` s.t. ``Σ_i μ_i (g²(W z_i)_k² − z_ik²) ≥ t`` for every k, ``μ ≥ 0``,
    ``Σ μ = 1``. Returned only if ``diag(Z) ≤ g² diag(WZWᵀ)`` holds as computed with each entry's
    rounding error (``16·n·eps`` times its magnitude) to spare; ``slack`` is the
    smallest ``g²(WZWᵀ)_kk − Z_kk``. Z is positive semidefinite and nonzero by construction
    (a nonnegative combination of unit-vector outer products with weights summing to 1).
    """
    from scipy.optimize import linprog

    W = np.asarray(W, dtype=np.float64)
    z = np.asarray(candidates, dtype=np.float64)
    m, n = z.shape
    coef = (g**2) * (z @ W.T) ** 2 - z**2  # (m, n): candidate i's term in constraint k
    # variables (μ_1..μ_m, t): minimise −t; −Σ μ_i coef_ik + t ≤ 0; Σ μ = 1
    A_ub = np.hstack([-coef.T, np.ones((n, 1))])
    A_eq = np.hstack([np.ones((1, m)), np.zeros((1, 1))])
    c = np.zeros(m + 1)
    c[-1] = -1.0
    res = linprog(c, A_ub=A_ub, b_ub=np.zeros(n), A_eq=A_eq, b_eq=[1.0],
                  bounds=[(0, None)] * m + [(None, None)], method="highs")  # fmt: skip
    if res.status != 0:
        return None
    mu = np.clip(res.x[:m], 0.0, None)
    Z = (z.T * mu) @ z
    lhs = np.diag(Z)
    rhs = (g**2) * np.einsum("ki,ij,kj->k", W, Z, W)
    tol = 16 * n * np.finfo(float).eps * (np.abs(lhs) + np.abs(rhs) + np.finfo(float).tiny)
    if not np.all(lhs + tol <= rhs):  # each inequality must hold beyond its rounding error
        return None
    return Z, float((rhs - lhs).min())
