"""Contraction certificates for ``τẋ = −x + Wφ(x) + u`` (Kozachkov et al. 2022, Thms. 1–5, 7).

The Jacobian is ``J(D) = (−I + W D)/τ`` with ``D = diag(φ'(x)) ∈ [0, g]ⁿ``. A certificate that
holds as a proof carries a constant metric ``M`` (``evidence["metric"]``, coordinates of eq. 1)
with ``M J(D) + J(D)ᵀ M ⪯ −β M`` for every such D; ``margin`` is the rate β (per unit time).
Each metric is re-checked by eigenvalues of the inequality the theorem reduces to before it is
called a proof (tolerance: the eigensolver's backward error, see ``neg_def_margin``).
"""

from __future__ import annotations

import itertools
import time
from collections import deque

import numpy as np

from neurodyn.contraction._common import (
    EQ1,
    as_square,
    check_g,
    diag_rate,
    make,
    metzler_diagonal_metric,
    neg_def_margin,
)
from neurodyn.contraction._lmi import sector_matrix, sector_solve, theorem5_lmi, vertex_lmi

__all__ = [
    "matsuoka",
    "sector",
    "theorem1",
    "theorem2",
    "theorem3",
    "theorem4",
    "theorem5",
    "theorem7",
    "vertex",
]

_ASSUME = (EQ1, "τ > 0", "continuous time (the flow itself, not a discretisation)")
_CONTRACTS = "eq. 1 is contracting in the constant metric M with rate ≥ margin, for every input u"


def _thm1_matrix(W: np.ndarray, g: float) -> np.ndarray:
    Wa = np.abs(W)
    d = np.diag(W)
    Wa[np.diag_indices_from(Wa)] = np.where(d <= 0, 0.0, d)  # |W|_ii → 0 where W_ii ≤ 0
    return g * Wa - np.eye(W.shape[0])


def theorem1(W, *, g: float = 1.0, tau: float = 1.0):
    """Kozachkov et al. 2022, Thm. 1: ``P(g|W|' − I) + (g|W|' − I)ᵀP ≺ 0``, P diagonal.

    ``|W|'`` is ``|W|`` with the diagonal zeroed where ``W_ii ≤ 0``. ``g|W|' − I`` is Metzler, so
    a diagonal P exists iff it is Hurwitz; we take ``P = diag(w/v)`` (``metzler_diagonal_metric``).
    Proof (checked): ``δxᵀPWDδx ≤ g|δx|ᵀP|W|'|δx|`` for diagonal P ≻ 0, 0 ≤ D ≤ g.
    """
    W, g = as_square(W), check_g(g)
    A = _thm1_matrix(W, g)
    p = metzler_diagonal_metric(A)
    method = (
        "diagonal metric P = diag(w/v) of the Metzler matrix g|W|' − I (v = −A⁻¹1, w = −A⁻ᵀ1), "
        "re-checked: λ_max(P(g|W|'−I) + (g|W|'−I)ᵀP) < 0 (Kozachkov et al. 2022, Thm. 1)"
    )
    if p is None:
        a = float(np.linalg.eigvals(A).real.max())
        return make(
            "theorem1", False, -a / tau, "proof", method,
            "g|W|' − I is not Hurwitz: no diagonal metric of Theorem 1 exists",
            _ASSUME, spectral_abscissa=a,
        )  # fmt: skip
    P = np.diag(p)
    S = P @ A + A.T @ P
    lam, tol = neg_def_margin(S)
    # |δx|ᵀ S |δx| ≤ −β |δx|ᵀP|δx| = −β δxᵀPδx with β from P^-½SP^-½
    rate = diag_rate(S, p) / tau
    holds = lam + tol < 0 and rate > 0
    return make(
        "theorem1", holds, rate, "proof", method, _CONTRACTS, _ASSUME,
        metric=P, relaxation="P(g|W|' − I) + (g|W|' − I)ᵀ P", lambda_max=lam,
        tolerance=tol,
    )  # fmt: skip


def theorem2(W, *, g: float = 1.0, tau: float = 1.0):
    """Kozachkov et al. 2022, Thm. 2: ``W = Wᵀ`` and ``gW ≺ I`` ⇒ contraction.

    The paper's proof gives ``M_y = γ²R²`` for the firing-rate form ``τẏ = −y + φ(Wy + b)``
    (Jacobian ``−I + DW``), with ``γ² = g / (2(2 − β))``, ``S = (I/(4γ²) − W)^{1/2}``,
    ``R = S/γ + I/(2γ²)``, ``W = R − γ²R²``. For symmetric W the Jacobian of eq. 1,
    ``−I + WD``, is the transpose of ``−I + DW``, so ``M_y J_y + J_yᵀ M_y ⪯ −βM_y`` gives
    ``M J + JᵀM ⪯ −βM`` with ``M = M_y⁻¹`` (multiply by ``M_y⁻¹`` on both sides). β is any value
    in (0, 2) with ``(1 − β/2) I ⪰ gW``.
    """
    W, g = as_square(W), check_g(g)
    method = (
        "W symmetric and λ_max(gW) < 1 (eigvalsh, rounding-aware); state-independent metric "
        "M = (γR)⁻² in eq. 1's coordinates from the proof of Kozachkov et al. 2022, Thm. 2"
    )
    if not np.array_equal(W, W.T):
        return make(
            "theorem2", False, float("nan"), "proof", method, "not applicable: W ≠ Wᵀ",
            _ASSUME, asymmetry=float(np.abs(W - W.T).max()),
        )  # fmt: skip
    lam, V = np.linalg.eigh(W)
    lmax, tol = neg_def_margin(g * W - np.eye(len(W)))
    if not lmax + tol < 0:
        return make(
            "theorem2", False, -lmax / tau, "proof", method, "gW ≺ I fails", _ASSUME,
            lambda_max_gW_minus_I=lmax,
        )  # fmt: skip
    beta = min(1.5, 2 * (1 - (g * lam.max() + tol)))
    gamma2 = g / (2 * (2 - beta))
    s = np.sqrt(np.maximum(1 / (4 * gamma2) - lam, 0.0))
    r = s / np.sqrt(gamma2) + 1 / (2 * gamma2)
    M = (V / (gamma2 * r**2)) @ V.T
    M = 0.5 * (M + M.T)
    return make(
        "theorem2", True, beta / tau, "proof", method, _CONTRACTS, _ASSUME,
        metric=M, beta=beta, gamma2=gamma2, eigenvalues_W=lam,
        formula="M = V diag(1/(γ² r_i²)) Vᵀ, r_i = √(1/(4γ²) − λ_i)/γ + 1/(2γ²), W = V diag(λ) Vᵀ",
    )  # fmt: skip


def _ratio_scaling(W: np.ndarray) -> np.ndarray | None:
    """r > 0 with ``W_ij r_j = W_ji r_i`` for all i, j (diag(r)⁻¹W symmetric), else None."""
    n = len(W)
    nz = W != 0
    if not np.array_equal(nz, nz.T):
        return None
    logr = np.full(n, np.nan)
    for root in range(n):
        if not np.isnan(logr[root]):
            continue
        logr[root] = 0.0
        queue = deque([root])
        while queue:
            i = queue.popleft()
            for j in np.flatnonzero(nz[i]):
                if j == i:
                    continue
                if W[i, j] * W[j, i] <= 0:
                    return None
                val = logr[i] + np.log(W[j, i] / W[i, j])  # r_j = r_i W_ji / W_ij
                if np.isnan(logr[j]):
                    logr[j] = val
                    queue.append(j)
    r = np.exp(logr - logr.max())
    X = W * r[None, :]
    if np.abs(X - X.T).max() > 1e-12 * max(np.abs(X).max(), 1e-300):
        return None
    return r


def theorem3(W, *, g: float = 1.0, tau: float = 1.0):
    """Kozachkov et al. 2022, Thm. 3: ``W = −P₁QP₂`` (P₁, P₂ ≻ 0 diagonal, Q ≻ 0).

    Metric ``M = (P₁QP₁)⁻¹``; then ``MW = −P₁⁻¹P₂`` is diagonal ⪯ 0 and ``MJ + JᵀM ⪯ −2M/τ``
    for every D ⪰ 0 (no upper slope bound needed). We find ``P₁ = diag(r)``, ``P₂ = I`` from the
    ratios ``W_ij / W_ji`` (``diag(r)⁻¹W`` symmetric) and check ``Q = −diag(r)⁻¹W ≻ 0``.
    """
    W, g = as_square(W), check_g(g)
    method = (
        "factor W = −P₁QP₂ (P₁ = diag(r) from the ratios W_ij/W_ji, P₂ = I), check Q ≻ 0; metric "
        "M = (P₁QP₁)⁻¹ = (−W P₁)⁻¹, re-checked: MW diagonal ⪯ 0 (Kozachkov et al. 2022, Thm. 3)"
    )
    r = _ratio_scaling(W)
    if r is None:
        return make(
            "theorem3", False, float("nan"), "proof", method,
            "not applicable: W is not of the form −P₁QP₂ (ratios W_ij/W_ji inconsistent)", _ASSUME,
        )  # fmt: skip
    Q = -W / r[:, None]
    Q = 0.5 * (Q + Q.T)
    lq, tq = neg_def_margin(-Q)
    if not lq + tq < 0:
        return make(
            "theorem3", False, lq / tau, "proof", method, "Q = −P₁⁻¹W is not positive definite",
            _ASSUME, P1=r,
        )  # fmt: skip
    X = -W * r[None, :]
    M = np.linalg.inv(0.5 * (X + X.T))
    M = 0.5 * (M + M.T)
    MW = M @ W
    off = MW - np.diag(np.diag(MW))
    lmin_M = float(np.linalg.eigvalsh(M)[0])
    # MJ + JᵀM ⪯ (−2M + 2·diag(MW)·D + E)/τ, ‖E‖ ≤ 2g‖offdiag(MW)‖; diag(MW) ≤ 0 needed
    err = (
        2 * g * float(np.linalg.norm(off, 2)) + 8 * len(W) * np.finfo(float).eps * np.abs(MW).max()
    )
    diag_ok = bool((np.diag(MW) <= 1e-12 * np.abs(MW).max()).all())
    rate = (2 - err / lmin_M) / tau
    holds = diag_ok and lmin_M > 0 and rate > 0
    return make(
        "theorem3", holds, rate, "proof", method, _CONTRACTS, _ASSUME,
        metric=M, P1=r, P2=np.ones(len(W)), offdiag_MW_norm=float(np.linalg.norm(off, 2)),
    )  # fmt: skip


def theorem4(W, *, g: float = 1.0, tau: float = 1.0):
    """Kozachkov et al. 2022, Thm. 4: ``gW − I`` triangular and Hurwitz ⇒ a diagonal metric.

    For triangular W, ``g|W|' − I`` is triangular Metzler with diagonal ``g·max(W_ii, 0) − 1``,
    Hurwitz iff every ``gW_ii < 1``; Theorem 1 then gives the diagonal metric (the paper's
    ``Γ = diag(εⁱ)`` construction is one such metric). The paper's proof assumes ``W_ij = 0``
    for ``i ≤ j`` (strictly triangular); with a diagonal the same bound holds.
    """
    W, g = as_square(W), check_g(g)
    lower, upper = np.allclose(np.triu(W, 1), 0, atol=0), np.allclose(np.tril(W, -1), 0, atol=0)
    method = (
        "W triangular and max g·W_ii < 1; diagonal metric of Theorem 1 for the triangular "
        "Metzler matrix g|W|' − I, re-checked by eigvalsh (Kozachkov et al. 2022, Thm. 4)"
    )
    if not (lower or upper):
        return make(
            "theorem4", False, float("nan"), "proof", method, "not applicable: W not triangular",
            _ASSUME,
        )  # fmt: skip
    c = theorem1(W, g=g, tau=tau)
    return make(
        "theorem4", c.holds, c.margin, "proof", method,
        _CONTRACTS if c.holds else "some g·W_ii ≥ 1: gW − I is not Hurwitz", _ASSUME,
        **c.evidence, triangular="lower" if lower else "upper",
    )  # fmt: skip


def theorem5_rate(W: np.ndarray, p: np.ndarray, g: float) -> float:
    """β = 2(1 − q) (τ = 1) with ``q ≥ g‖P^½WP^-½‖₂`` proven from ``g²WᵀPW − P`` (−inf if ≥ 1).

    ``P^-½(g²WᵀPW − P)P^-½ ⪯ λ'I`` ⇒ ``g²‖P^½WP^-½‖² ≤ 1 + λ'``.
    """
    lam = -diag_rate(g**2 * W.T @ (p[:, None] * W) - np.diag(p), p)
    return 2 * (1 - np.sqrt(1 + lam)) if lam < 0 else -np.inf


def theorem5(
    W,
    *,
    g: float = 1.0,
    tau: float = 1.0,
    method: str = "scaling",
    linear_solver: str = "cpu_dense",
):
    """Kozachkov et al. 2022, Thm. 5: diagonal P with ``g²WᵀPW − P ≺ 0``.

    Proof (checked): ``μ₂(P^{1/2}JP^{-1/2}) ≤ (−1 + g‖P^{1/2}WP^{-1/2}‖₂)/τ < 0`` since P and D
    commute. The paper prints ``a²`` for ``g²`` in the statement.

    With ``P = D²`` the condition is ``g·σ_max(DWD⁻¹) < 1``: optimal diagonal scaling
    (``neurodyn.contraction._scaling``). ``method="scaling"`` (default) descends on ``log d``
    (one block of top singular vectors per step), then proves what it found: a metric by the
    ``eigvalsh`` re-check of ``g²WᵀPW − P ≺ 0``; infeasibility by ``g·ρ(W) ≥ 1`` or by a
    dual matrix ``Z ⪰ 0`` with ``diag(Z) ≤ g² diag(WZWᵀ)`` (evidence ``dual``), re-checked.
    If neither proves the answer it falls back to the LMI (``method="lmi"``: ``P − g²WᵀPW ⪰ I``,
    ``P ⪰ I`` by SCS with ``linear_solver``), which decides.
    """
    W, g = as_square(W), check_g(g)
    if method not in ("scaling", "lmi"):
        raise ValueError(f'theorem5: method must be "scaling" or "lmi", got {method!r}.')
    if method == "scaling":
        cert = _theorem5_scaling(W, g, tau)
        if cert is not None:
            return cert
    res = theorem5_lmi(W, g, linear_solver=linear_solver)
    method = (
        f"LMI P − g²WᵀPW ⪰ I, P ⪰ I diagonal ({res.solver}, {res.seconds:.2f} s), re-checked: "
        "λ_max(g²WᵀPW − P) < 0 by eigvalsh (Kozachkov et al. 2022, Thm. 5)"
    )
    if not res.solved:
        return make(
            "theorem5", False, float("nan"), "proof", method,
            f"no diagonal metric found (solver status {res.status!r})", _ASSUME,
            solver_status=res.status, seconds=res.seconds,
        )  # fmt: skip
    return _theorem5_metric(W, g, tau, res.metric, method, solver_status=res.status,
                            seconds=res.seconds)  # fmt: skip


def _theorem5_metric(W, g, tau, P, method, **evidence):
    lam, tol = neg_def_margin(g**2 * W.T @ P @ W - P)
    positive = bool((np.diag(P) > 0).all())  # g²WᵀPW − P ≺ 0 also holds for some P ≺ 0
    rate = theorem5_rate(W, np.diag(P), g) / tau if positive else -np.inf
    holds = lam + tol < 0 and positive and rate > 0
    return make(
        "theorem5", holds, rate, "proof", method, _CONTRACTS, _ASSUME,
        metric=P, lambda_max=lam, tolerance=tol, **evidence,
    )  # fmt: skip


def _theorem5_scaled(W, g, tau, d, found, common, t0):
    """The metric P = D² re-checked in scaled form: ``T = g²MᵀM − I ≺ 0`` for ``M = DWD⁻¹``,
    congruent to ``D⁻¹(g²WᵀPW − P)D⁻¹`` (same inertia, Sylvester), so well conditioned however
    wide d's range. Tolerance: eigvalsh's backward error plus forming M (2 roundings per entry)
    and MᵀM (γ_n): ``(n + 8)·eps·g²‖M‖_F²``."""
    n = len(W)
    M = d[:, None] * W / d[None, :]
    T = g**2 * (M.T @ M) - np.eye(n)
    lam, tol = neg_def_margin(T)
    tol += (n + 8) * np.finfo(float).eps * g**2 * float(np.sum(M * M))
    bound = lam + tol  # g²‖M‖₂² ≤ 1 + bound
    holds = bound < 0
    rate = 2 * (1 - np.sqrt(1 + bound)) / tau if holds else -np.inf
    method = (
        f"{found}, P = D², re-checked: λ_max(g²MᵀM − I) < 0 by eigvalsh for M = DWD⁻¹ "
        "(congruent to g²WᵀPW − P ≺ 0; rounding of M and MᵀM in the tolerance) "
        "(Kozachkov et al. 2022, Thm. 5)"
    )
    return make(
        "theorem5", holds, rate, "proof", method, _CONTRACTS, _ASSUME,
        metric=np.diag(d**2), scaling=d, lambda_max=lam, tolerance=tol, **common,
        seconds=time.perf_counter() - t0,
    )  # fmt: skip


def _theorem5_scaling(W, g, tau):
    """Thm. 5 by optimal diagonal scaling, or None where it proves neither answer."""
    from neurodyn.contraction._scaling import diagonal_scaling, infeasibility_certificate

    t0 = time.perf_counter()
    sc = diagonal_scaling(W)
    found = (
        f"optimal diagonal scaling min σ_max(DWD⁻¹) (descent on log d from the {sc.start} start, "
        f"{sc.iterations} steps, {sc.seconds:.2f} s)"
    )
    rho = sc.lower_bound  # ρ(W), computed once by the descent
    common = {"sigma": sc.sigma, "scaling_steps": sc.iterations, "spectral_radius": rho}
    if g * sc.sigma < 1:
        # the infimum's D can be too ill-conditioned to re-check in float64 (a reducible W
        # approaches it only as d → 0/∞); then a milder D, stopped at g·σ ≤ ½ or 0.9, is tried
        for target in (None, 0.5 / g, 0.9 / g):
            if target is not None:
                sc = diagonal_scaling(W, target=target)
                if g * sc.sigma >= 1:
                    continue
            cert = _theorem5_scaled(W, g, tau, sc.d, found, {**common, "sigma": sc.sigma}, t0)
            if cert.holds:
                return cert
        return None  # at the rounding edge: let the LMI decide
    if g * rho >= 1:
        return make(
            "theorem5", False, float("nan"), "proof",
            f"{found}; g·ρ(W) = {g * rho:.6g} ≥ 1 and σ_max(DWD⁻¹) ≥ ρ(W) for every D",
            "no diagonal metric exists: g·ρ(W) ≥ 1", _ASSUME,
            **common, seconds=time.perf_counter() - t0,
        )  # fmt: skip
    dual = infeasibility_certificate(W, g, sc.candidates)
    if dual is None:
        return None
    Z, slack = dual
    return make(
        "theorem5", False, float("nan"), "proof",
        f"{found}; infeasibility re-checked: Z ⪰ 0, tr Z = 1, diag(Z) ≤ g² diag(WZWᵀ) (min slack "
        f"{slack:.3g}), so ⟨P − g²WᵀPW, Z⟩ ≤ 0 for every diagonal P ⪰ 0",
        "no diagonal metric exists (dual certificate Z)", _ASSUME,
        **common, dual=Z, dual_slack=slack, seconds=time.perf_counter() - t0,
    )  # fmt: skip


def sector(W, *, g: float = 1.0, tau: float = 1.0, metric: str = "full", linear_solver=None):
    """Robust LMI over all slopes ``D ∈ [0, g]ⁿ`` via a diagonal multiplier (S-procedure).

    ``[[−2M, MW + gΛ], [WᵀM + gΛ, −2Λ]] ≺ 0`` ⇒ ``M(−I + WD) + (−I + WD)ᵀM ≺ 0`` for every such D
    (``_lmi`` docstring). Contains Theorem 5 (M = P diagonal). ``metric``: "full" or "diagonal".
    """
    W, g = as_square(W), check_g(g)
    n = len(W)
    A, B, C = -np.eye(n) / tau, W / tau, np.eye(n)
    res = sector_solve(g, A=A, B=B, C=C, metric=metric, linear_solver=linear_solver)
    return _sector_certificate(f"sector_{metric}", res, g, A=A, B=B, C=C, assumptions=_ASSUME)


def _sector_certificate(name, res, g, *, A=None, B, C, F_A=None, discrete=False, assumptions):
    what = "J(D)ᵀMJ(D) − M ≺ 0" if discrete else "MJ(D) + J(D)ᵀM ≺ 0"
    method = (
        f"LMI in a {'full' if 'full' in name else 'diagonal'} metric M and a diagonal multiplier "
        f"Λ ⪰ 0 covering every slope D ∈ [0, g]ⁿ (S-procedure; {res.solver}, {res.seconds:.2f} "
        f"s), re-checked: λ_max(G(M, Λ)) < 0 and M ≻ 0 by eigvalsh ⇒ {what}"
    )
    if not res.solved and res.dual is not None:
        d = res.dual
        return make(
            name, False, float("nan"), "proof",
            f"{method}; infeasibility proven by {res.solver}: for u_k = jω_k x_k − A x_k, "
            "Σ_k w_k [x_k; u_k]* G(M, Λ) [x_k; u_k] = 2 Σ_j λ_j Σ_k w_k c_kj with c_kj = "
            "g Re(ū_kj (C x_k)_j) − |u_kj|², and every Σ_k w_k c_kj ≥ 0 (rounding-aware, min "
            f"{d['slack']:.3g}) contradicts G ≺ 0",
            "no (M ≻ 0, Λ ⪰ 0) solves the sector LMI (frequency-domain dual certificate)",
            assumptions, solver_status=res.status, seconds=res.seconds,
            dual_omega=d["omega"], dual_x_re=d["x"].real.copy(), dual_x_im=d["x"].imag.copy(),
            dual_weights=d["weights"], dual_slack=d["slack"],
        )  # fmt: skip
    if not res.solved:
        return make(
            name, False, float("nan"), "proof", method,
            f"no metric found (solver status {res.status!r})", assumptions,
            solver_status=res.status, seconds=res.seconds,
        )  # fmt: skip
    M = res.metric
    G = sector_matrix(M, res.multiplier, g, A=A, B=B, C=C, F_A=F_A, discrete=discrete)
    lam, tol = neg_def_margin(G)
    # M ≻ 0 is a separate re-check: G ≺ 0 implies it only where G's top-left block is −M times
    # something positive (eq. 1's continuous A = −I/τ: MA + AᵀM = −2M/τ). For a Lipschitz RNN
    # with a non-Hurwitz A, or for a discrete step (top-left F_AᵀMF_A − M), G ≺ 0 can hold
    # with M = −I, which proves nothing.
    lm, tm = neg_def_margin(-M)
    holds = lam + tol < 0 and lm + tm < 0
    sigma = -(lam + tol)
    if discrete:  # JᵀMJ ⪯ M − σI ⪯ (1 − σ/λmax(M)) M
        rate = 1 - np.sqrt(max(1 - sigma / np.linalg.eigvalsh(M)[-1], 0.0))
        concl = "the step is a contraction in ‖·‖_M: ‖J‖_M ≤ 1 − margin for every slope"
    else:
        rate = sigma / np.linalg.eigvalsh(M)[-1]
        concl = "contracting in the constant metric M with rate ≥ margin, for every input"
    return make(
        name, holds, rate, "proof", method, concl, assumptions,
        metric=M, multiplier=res.multiplier, lambda_max=lam, tolerance=tol,
        solver_status=res.status, seconds=res.seconds,
    )  # fmt: skip


def _vertices(n: int, g: float):
    return [np.array(v, float) * g for v in itertools.product((0.0, 1.0), repeat=n)]


def vertex(W, *, g: float = 1.0, tau: float = 1.0, max_n: int = 10):
    """Exact test for a constant metric: one M for every vertex D of ``[0, g]ⁿ`` (n ≤ max_n).

    ``MJ(D) + J(D)ᵀM`` is affine in D, so negative definiteness at the 2ⁿ vertices is
    equivalent to it on the whole box. Solved with cvxpy + SCS; re-checked at every vertex.
    """
    W, g = as_square(W), check_g(g)
    n = len(W)
    if n > max_n:
        raise ValueError(f"vertex LMI has 2^n blocks; n = {n} > max_n = {max_n}. Use sector().")
    mats = [(-np.eye(n) + W * d[None, :]) / tau for d in _vertices(n, g)]
    res = vertex_lmi(mats)
    method = (
        f"LMI MJ(D) + J(D)ᵀM ⪯ −I at all 2^{n} vertices of [0, g]^{n}, M ⪰ I ({res.solver}); "
        "re-checked at every vertex by eigvalsh (exact: the inequality is affine in D)"
    )
    if not res.solved:
        return make(
            "vertex", False, float("nan"), "proof", method,
            f"no constant metric exists for this W (solver status {res.status!r})", _ASSUME,
            solver_status=res.status,
        )  # fmt: skip
    M = res.metric
    worst = -np.inf
    for J in mats:
        S = M @ J + J.T @ M
        lam, tol = neg_def_margin(S)
        worst = max(worst, lam + tol)
    # no separate M ≻ 0 check: the D = 0 vertex is among mats, with J = −I/τ, and there
    # S = −2M/τ ≺ 0 (re-checked above with its rounding allowance) is M ≻ 0.
    holds = worst < 0
    return make(
        "vertex", holds, -worst / np.linalg.eigvalsh(M)[-1], "proof", method, _CONTRACTS,
        _ASSUME, metric=M, worst_vertex_lambda_max=worst,
    )  # fmt: skip


def theorem7(c: float = 2.0, *, g: float = 1.0):
    """Kozachkov et al. 2022, Thm. 7: ``W = [[0, −c], [c, 0]]`` has no constant metric for gc ≥ 2.

    Returns the vertex certificate (holds False for ``gc ≥ 2``). Checked by hand: at the
    vertices ``diag(g, 0)`` and ``diag(0, g)`` with ``k = gc = 2`` the two 2×2 determinant
    conditions add up to ``(a − b)² + 2m² < 0`` for ``M = [[a, m], [m, b]]``. For ``gc < 2`` the
    identity works: ``λ_max((WD)_sym) − 1 = gc|d₁ − d₂|/2 − 1 < 0``.
    """
    W = np.array([[0.0, -c], [c, 0.0]])
    return vertex(W, g=g)


def matsuoka(W, *, g: float = 1.0, tau: float = 1.0):
    """Heuristic: ``λ_max(g·(W + Wᵀ)/2) < 1`` (Kozachkov et al. 2022, Sec. 2.2 / Matsuoka 1992).

    Not a contraction certificate: Matsuoka's result needs a constant input and gives a unique
    globally stable fixed point, Theorem 6 additionally needs a bound on Ḋ, and Theorem 7's
    ``W = [[0, −2], [2, 0]]`` satisfies it with no constant metric.
    """
    W, g = as_square(W), check_g(g)
    lam = float(np.linalg.eigvalsh(0.5 * g * (W + W.T))[-1])
    return make(
        "matsuoka_symmetric_part", lam < 1, (1 - lam) / tau, "heuristic",
        "λ_max(g·W_sym) < 1 as in Kozachkov et al. 2022 Sec. 2.2 (Matsuoka 1992); NOT a "
        "sufficient condition for contraction (Thm. 7 counterexample; Thm. 6 needs a bound on Ḋ)",
        "nothing about contraction; for constant u, Matsuoka's unique stable fixed point",
        _ASSUME, lambda_max_sym=lam,
    )  # fmt: skip
