"""Linear matrix inequalities for contraction metrics, built for SCS directly (and via cvxpy).

The robust ("sector") LMI covers every slope matrix ``D = diag(d)``, ``d ∈ [0, g]^m`` at once
through a diagonal multiplier ``Λ ⪰ 0`` (S-procedure): for a Jacobian ``J(D) = A + B D C``
(continuous time) or an update ``x' = F_A x + F_B w``, ``w = D C x`` (discrete time), the
quadratic form ``2 Σ λ_i w_i (g (Cx)_i − w_i) ≥ 0`` is added, and

* continuous: ``G = [[MA + AᵀM, MB + gCᵀΛ], [BᵀM + gΛC, −2Λ]] ≺ 0``
  ⇒ ``M J(D) + J(D)ᵀ M ≺ 0`` for every such D (take ``w = DCx``);
* discrete: ``G = [F_A F_B]ᵀ M [F_A F_B] − diag(M, 0) + [[0, gCᵀΛ], [gΛC, −2Λ]] ≺ 0``
  ⇒ ``J(D)ᵀ M J(D) − M ≺ 0`` for every such D.

Both are homogeneous in (M, Λ), so we solve ``G ⪯ −I``, ``M ⪰ I`` and minimise tr M + tr Λ.
SCS is called with its linear solver named explicitly (``"cpu_dense"`` for diagonal metrics,
``"cpu_indirect"`` for full ones): the automatic choice picked MKL and was ~28× slower, and
cvxpy's compile step dominated at n = 256. A solver's "solved" is never taken as a proof: the
callers re-check the returned metric by eigenvalues (``recheck_*``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = [
    "LMIResult",
    "sector_blocks",
    "sector_lmi",
    "sector_lmi_cvxpy",
    "sector_matrix",
    "sector_riccati",
    "sector_solve",
    "theorem5_lmi",
    "vertex_lmi",
]

_SQRT2 = np.sqrt(2.0)


@dataclass(frozen=True)
class LMIResult:
    """What a solver returned: status, the metric M (and multiplier Λ) in float64, time."""

    status: str
    metric: np.ndarray | None
    multiplier: np.ndarray | None
    solver: str
    seconds: float
    iterations: int = 0
    #: a proof that no solution exists (``_sector_dual.frequency_dual``), when one was found
    dual: dict | None = None

    @property
    def solved(self) -> bool:
        return self.status == "solved" and self.metric is not None


def _svec_index(i: np.ndarray, j: np.ndarray, N: int) -> np.ndarray:
    """Index of entry (i, j), i ≥ j, in SCS's column-major lower-triangular svec of an N×N."""
    return j * (2 * N - j + 1) // 2 + (i - j)


class _Builder:
    """Accumulates ``S(x) = F0 + Σ x_k F_k ⪰ 0`` blocks as SCS rows (s = b − A x)."""

    def __init__(self, nvar: int):
        self.nvar = nvar
        self.rows, self.cols, self.vals = [], [], []
        self.b = []
        self.offset = 0
        self.cone_l = 0
        self.cone_s: list[int] = []

    def linear(self, var: np.ndarray, coef: float, const: np.ndarray) -> None:
        """Rows ``coef·x_var + const ≥ 0`` (must be added before any PSD block)."""
        if self.cone_s:
            raise RuntimeError("linear rows must precede PSD blocks in SCS's cone order")
        k = len(var)
        r = self.offset + np.arange(k)
        self.rows.append(r)
        self.cols.append(np.asarray(var))
        self.vals.append(np.full(k, -coef))
        self.b.append(np.asarray(const, dtype=float))
        self.offset += k
        self.cone_l += k

    def psd(self, N: int, terms, const_diag: np.ndarray) -> None:
        """A PSD block ``Σ terms + diag(const_diag) ⪰ 0`` of size N.

        Each term ``(a, b, var, X, r0, c0, coef, mode)`` places ``coef · E X`` for every basis
        matrix ``E = e_a e_bᵀ + e_b e_aᵀ`` (``e_a e_aᵀ`` if a = b) of variable ``var`` at block
        offset (r0, c0): mode "plain" as is, "T" transposed, "sym" as ``EX + XᵀE`` (diagonal
        block).
        """
        R, C, V, K = [], [], [], []
        for a, b, var, X, r0, c0, coef, mode in terms:
            X = np.asarray(X, dtype=float)
            p = X.shape[1]
            j = np.arange(p)[None, :]
            for ra, rb, same in ((a, b, None), (b, a, a != b)):
                sel = slice(None) if same is None else same
                ra_, rb_, vv = ra[sel], rb[sel], var[sel]
                if len(vv) == 0:
                    continue
                vals = coef * X[rb_, :]  # row ra of E X is X[rb, :]
                rr = np.broadcast_to(ra_[:, None], vals.shape)
                cc = np.broadcast_to(j, vals.shape)
                kk = np.broadcast_to(vv[:, None], vals.shape)
                nz = vals != 0
                rr, cc, kk, vals = rr[nz], cc[nz], kk[nz], vals[nz]
                if mode == "T":
                    rr, cc = cc, rr
                if mode == "sym":
                    vals = np.where(rr == cc, 2 * vals, vals)
                R.append(rr + r0)
                C.append(cc + c0)
                V.append(vals)
                K.append(kk)
        R, C, V, K = (np.concatenate(z) for z in (R, C, V, K))
        hi, lo = np.maximum(R, C), np.minimum(R, C)
        V = np.where(hi != lo, V * _SQRT2, V)
        idx = _svec_index(hi, lo, N)
        self.rows.append(self.offset + idx)
        self.cols.append(K)
        self.vals.append(-V)
        bvec = np.zeros(N * (N + 1) // 2)
        d = np.arange(N)
        bvec[_svec_index(d, d, N)] = const_diag
        self.b.append(bvec)
        self.offset += N * (N + 1) // 2
        self.cone_s.append(N)

    def dense_psd(self, N: int, columns: np.ndarray, const: np.ndarray) -> None:
        """A PSD block from dense svec columns (``(nvar, N(N+1)/2)``) and a constant matrix."""
        iu = np.triu_indices(N)
        lo_, hi_ = iu  # (row r ≤ col c) in row-major = column-major lower with (i=c, j=r)
        scale = np.where(lo_ != hi_, _SQRT2, 1.0)
        order = _svec_index(hi_, lo_, N)
        A = np.zeros((N * (N + 1) // 2, self.nvar))
        A[order, :] = -(columns * scale[None, :]).T
        bvec = np.zeros(N * (N + 1) // 2)
        bvec[order] = const[iu] * scale
        rr, cc = np.nonzero(A)
        self.rows.append(self.offset + rr)
        self.cols.append(cc)
        self.vals.append(A[rr, cc])
        self.b.append(bvec)
        self.offset += N * (N + 1) // 2
        self.cone_s.append(N)

    def solve(self, c: np.ndarray, linear_solver: str, eps: float, max_iters: int):
        import scs

        A = sp.csc_matrix(
            (np.concatenate(self.vals), (np.concatenate(self.rows), np.concatenate(self.cols))),
            shape=(self.offset, self.nvar),
        )
        data = {"A": A, "b": np.concatenate(self.b), "c": c}
        cone = {"l": self.cone_l, "s": self.cone_s}
        solver = scs.SCS(
            data, cone, linear_solver=linear_solver, verbose=False, eps_abs=eps, eps_rel=eps,
            max_iters=max_iters,
        )  # fmt: skip
        sol = solver.solve()
        return sol["info"]["status"], sol["x"], int(sol["info"]["iter"])


def _metric_basis(n: int, metric: str):
    if metric == "full":
        a, b = np.triu_indices(n)
    elif metric == "diagonal":
        a = b = np.arange(n)
    else:
        raise ValueError(f"metric must be 'full' or 'diagonal', got {metric!r}.")
    return a, b


def _unpack_metric(x: np.ndarray, a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    M = np.zeros((n, n))
    M[a, b] = x[: len(a)]
    M[b, a] = x[: len(a)]
    return M


def sector_blocks(A, B, C, F_A=None, F_B=None):
    """Validate the shapes of ``J(D) = A + BDC`` (or ``F_A``, ``F_B``, C): returns (n, m)."""
    B, C = np.asarray(B, float), np.asarray(C, float)
    n, m = B.shape
    if C.shape != (m, n):
        raise ValueError(f"C must be ({m}, {n}) for B of shape {B.shape}, got {C.shape}.")
    return n, m


def sector_matrix(M, lam, g, *, A=None, B, C, F_A=None, discrete=False) -> np.ndarray:
    """The LMI matrix G(M, Λ) of the module docstring, in float64 (for re-checks)."""
    M, B, C = np.asarray(M, float), np.asarray(B, float), np.asarray(C, float)
    lam = np.asarray(lam, float)
    n, m = B.shape
    L = np.diag(lam)
    G = np.zeros((n + m, n + m))
    if not discrete:
        A = np.asarray(A, float)
        G[:n, :n] = M @ A + A.T @ M
        G[:n, n:] = M @ B + g * C.T @ L
        G[n:, :n] = G[:n, n:].T
        G[n:, n:] = -2 * L
        return G
    F = np.hstack([np.asarray(F_A, float), B])
    G = F.T @ M @ F
    G[:n, :n] -= M
    G[:n, n:] += g * C.T @ L
    G[n:, :n] += g * L @ C
    G[n:, n:] -= 2 * L
    return 0.5 * (G + G.T)


def sector_lmi(
    g: float, *, A=None, B, C, F_A=None, discrete: bool = False, metric: str = "full",
    linear_solver: str | None = None, eps: float = 1e-6, max_iters: int = 20000,
    objective: float = 0.0,
) -> LMIResult:  # fmt: skip
    """Solve the sector LMI (module docstring) with SCS called directly.

    Continuous time: ``J(D) = A + B D C``. Discrete time (``discrete=True``): the update's
    Jacobian ``F_A + B D C`` (B plays F_B). ``metric`` is ``"full"`` or ``"diagonal"``.
    """
    B, C = np.asarray(B, float), np.asarray(C, float)
    n, m = sector_blocks(A, B, C)
    a, b = _metric_basis(n, metric)
    K = len(a)
    nvar = K + m
    mvar, lvar = np.arange(K), K + np.arange(m)
    ld = np.arange(m)
    eye_m = np.eye(m)
    bld = _Builder(nvar)
    if metric == "diagonal":
        bld.linear(mvar, 1.0, -np.ones(n))  # m_i − 1 ≥ 0
    bld.linear(lvar, 1.0, np.zeros(m))  # λ ≥ 0
    if not discrete:
        A = np.asarray(A, float)
        N = n + m
        terms = [
            (a, b, mvar, A, 0, 0, -1.0, "sym"),  # −(MA + AᵀM)
            (a, b, mvar, B, n, 0, -1.0, "T"),  # −BᵀM in block (1, 0)
            (ld, ld, lvar, C, n, 0, -g, "plain"),  # −gΛC
            (ld, ld, lvar, eye_m, n, n, 1.0, "sym"),  # +2Λ
        ]
        bld.psd(N, terms, -np.ones(N))
        if metric == "full":
            bld.psd(n, [(a, b, mvar, np.eye(n), 0, 0, 0.5, "sym")], -np.ones(n))
    else:
        F = np.hstack([np.asarray(F_A, float), B])
        N = 2 * n + m
        terms = [
            (a, b, mvar, np.eye(n), 0, 0, 0.5, "sym"),  # M (top-left of Q)
            (ld, ld, lvar, C, n, 0, -g, "plain"),  # −gΛC
            (ld, ld, lvar, eye_m, n, n, 1.0, "sym"),  # +2Λ
            (a, b, mvar, F, n + m, 0, 1.0, "plain"),  # M F
            (a, b, mvar, np.eye(n), n + m, n + m, 0.5, "sym"),  # M
        ]
        const = np.concatenate([-np.ones(n + m), np.zeros(n)])
        bld.psd(N, terms, const)
    c = np.zeros(nvar)
    c[np.flatnonzero(a == b)] = objective
    c[lvar] = objective
    if linear_solver is None:
        linear_solver = "cpu_dense" if metric == "diagonal" and n <= 96 else "cpu_indirect"
    t0 = time.perf_counter()
    status, x, its = bld.solve(c, linear_solver, eps, max_iters)
    dt = time.perf_counter() - t0
    ok = status == "solved"
    M = _unpack_metric(x, a, b, n) if ok else None
    lam = x[K:].copy() if ok else None
    return LMIResult(status, M, lam, f"SCS {linear_solver}", dt, its)


def sector_riccati(g: float, *, A, B, C, multiplier=None, eps=(1e-3, 1e-7)) -> LMIResult:
    """The continuous sector LMI at a fixed multiplier Λ (default I), as a Riccati equation.

    For Λ ≻ 0 the Schur complement of ``−2Λ`` in G turns ``G(M, Λ) ≺ 0`` into
    ``M Ã + ÃᵀM + ½ M B Λ⁻¹ Bᵀ M + (g²/2) CᵀΛC ≺ 0``, ``Ã = A + (g/2) B C``, a Riccati
    inequality; its solution is that of the algebraic Riccati equation with ``εI`` added to the
    constant term (SciPy's ``solve_continuous_are`` with ``R = −I``, the bounded-real form), which
    exists iff the Hamiltonian has no imaginary-axis eigenvalues. G is homogeneous in (M, Λ), so
    Λ = I (the default) covers every scalar multiplier; ``multiplier`` gives the diagonal of
    another Λ. One Schur decomposition of a 2n Hamiltonian per ε tried (largest first, for the
    larger rate), instead of an SCS run over n(n+1)/2 metric entries.
    Returns status "solved" with M and Λ, or "riccati: no stabilising solution"; the callers
    re-check M ≻ 0 and G ≺ 0 by eigenvalues either way.
    """
    import scipy.linalg

    A, B, C = np.asarray(A, float), np.asarray(B, float), np.asarray(C, float)
    n, m = B.shape
    lam = np.ones(m) if multiplier is None else np.asarray(multiplier, float)
    t0 = time.perf_counter()
    At = A + 0.5 * g * B @ C
    b = B / np.sqrt(2 * lam)[None, :]
    q = 0.5 * g**2 * (C.T * lam) @ C
    scale = max(1.0, float(np.linalg.norm(q, 2)))
    for e in eps:
        try:
            X = scipy.linalg.solve_continuous_are(At, b, q + e * scale * np.eye(n), -np.eye(m))
        except (np.linalg.LinAlgError, ValueError):
            continue
        X = 0.5 * (X + X.T)
        if np.all(np.isfinite(X)):
            return LMIResult("solved", X, lam, _riccati_name(multiplier), time.perf_counter() - t0)
    dt = time.perf_counter() - t0
    return LMIResult("riccati: no stabilising solution", None, None, _riccati_name(multiplier), dt)


def _riccati_name(multiplier) -> str:
    return "Riccati (Λ = I)" if multiplier is None else "Riccati (Λ = d², scaling of C(−A)⁻¹B)"


def _scaled_multiplier(A, B, C) -> np.ndarray | None:
    """Λ = d² with d the optimal diagonal scaling of the loop's DC gain C(−A)⁻¹B
    (``_scaling.diagonal_scaling``): a diagonal Λ = S² is a change of coordinates of the
    nonlinearity's channels (B → BS⁻¹, C → SC; S commutes with the slopes D), so the
    multiplier search is a diagonal-scaling problem, and the scaling that minimises the gain's
    norm is the natural first try. None if A is singular."""
    from neurodyn.contraction._scaling import diagonal_scaling

    try:
        G0 = C @ np.linalg.solve(-A, B)
    except np.linalg.LinAlgError:
        return None
    if G0.shape[0] != G0.shape[1] or not np.all(np.isfinite(G0)):
        return None
    return diagonal_scaling(G0).d ** 2


def _dual_form(A: np.ndarray, B: np.ndarray, C: np.ndarray) -> tuple | None:
    """The (A, C) of an equivalent sector LMI with B = I, which the frequency-domain dual needs,
    or None. B = I: (A, C) itself. A = aI, C = I and B invertible (Kozachkov et al. 2022's
    τẋ = −x + Wφ(x): B = W/τ): (aI, B), since diag(Bᵀ, I) G(M, Λ; aI, B, I) diag(B, I) =
    G(BᵀMB, Λ; aI, I, B) is a congruence, exact in the data (no product is rounded). B is taken
    as invertible when σ_min(B) > 64·n·eps·σ_max(B), beyond the SVD's backward error."""
    n = len(A)
    if B.shape == (n, n) and np.array_equal(B, np.eye(n)):
        return A, C
    scalar_a = np.array_equal(A, A[0, 0] * np.eye(n))
    if not (scalar_a and B.shape == (n, n) and C.shape == (n, n) and np.array_equal(C, np.eye(n))):
        return None
    sv = np.linalg.svd(B, compute_uv=False)
    if not sv[-1] > 64 * n * np.finfo(float).eps * sv[0]:
        return None
    return A, B


def sector_solve(g: float, *, A, B, C, metric: str = "full", linear_solver=None) -> LMIResult:
    """The continuous sector LMI: for a full metric, Riccati solutions first
    (:func:`sector_riccati`) at Λ = I, then at Λ = d² from the diagonal scaling of the DC gain
    C(−A)⁻¹B (:func:`_scaled_multiplier`); the first whose ``M ≻ 0`` and ``G ≺ 0`` pass the
    eigenvalue re-check is kept. With B = I (or an exact congruence to it, :func:`_dual_form`), a
    frequency-domain dual certificate of infeasibility
    (:func:`neurodyn.contraction._sector_dual.frequency_dual`, re-checked with rounding bounds) is
    sought on 9 frequencies before the Riccati tries and on 41 after them. Otherwise (and for a
    diagonal metric) the SDP by SCS (:func:`sector_lmi`), which decides."""
    from neurodyn.contraction._common import neg_def_margin

    if metric != "full":
        return sector_lmi(g, A=A, B=B, C=C, metric=metric, linear_solver=linear_solver)
    t0, tried = time.perf_counter(), []

    def attempt(multiplier) -> LMIResult | None:
        res = sector_riccati(g, A=A, B=B, C=C, multiplier=multiplier)
        if res.solved:
            lam, tol = neg_def_margin(sector_matrix(res.metric, res.multiplier, g, A=A, B=B, C=C))
            lm, tm = neg_def_margin(-res.metric)
            if lam + tol < 0 and lm + tm < 0:
                return LMIResult(res.status, res.metric, res.multiplier, res.solver,
                                 time.perf_counter() - t0)  # fmt: skip
        tried.append(f"{res.solver}: {res.status if not res.solved else 'fails the re-check'}")
        return None

    B = np.asarray(B, float)
    dual_system = _dual_form(np.asarray(A, float), B, np.asarray(C, float))

    def disproof(n_omega: int) -> LMIResult | None:
        from neurodyn.contraction._sector_dual import frequency_dual

        dual = frequency_dual(g, *dual_system, n_omega=n_omega)
        if dual is None:
            tried.append(f"frequency-domain dual on {n_omega + 1} frequencies: none found")
            return None
        return LMIResult("infeasible", None, None,
                         f"frequency-domain dual, {len(dual['omega'])} (ω, x) pairs" +
                         (f" (after {'; '.join(tried)})" if tried else ""),
                         time.perf_counter() - t0, dual=dual)  # fmt: skip

    # a coarse frequency grid first (0.7 s at n = 256: a clear infeasibility is caught before
    # two Riccati tries that cannot succeed), the fine grid after them
    if dual_system is not None and (out := disproof(8)) is not None:
        return out
    found = attempt(None)
    if found is None:
        scaled = _scaled_multiplier(np.asarray(A, float), np.asarray(B, float),
                                    np.asarray(C, float))  # fmt: skip
        found = attempt(scaled) if scaled is not None else None
    if found is not None:
        return found
    if dual_system is not None and (out := disproof(40)) is not None:
        return out
    spent = time.perf_counter() - t0
    out = sector_lmi(g, A=A, B=B, C=C, metric=metric, linear_solver=linear_solver)
    return LMIResult(out.status, out.metric, out.multiplier,
                     f"{out.solver} (after {'; '.join(tried)})", out.seconds + spent,
                     out.iterations)  # fmt: skip


def sector_lmi_cvxpy(g: float, *, A, B, C, metric: str = "full", eps: float = 1e-6):
    """The continuous-time sector LMI through cvxpy + SCS (for comparison and cross-checks)."""
    import cvxpy as cp

    A, B, C = (np.asarray(z, float) for z in (A, B, C))
    n, m = B.shape
    M = cp.Variable((n, n), symmetric=True) if metric == "full" else None
    if metric == "diagonal":
        mv = cp.Variable(n)
        M = cp.diag(mv)
    lam = cp.Variable(m)
    L = cp.diag(lam)
    G = cp.bmat([[M @ A + A.T @ M, M @ B + g * C.T @ L], [B.T @ M + g * L @ C, -2 * L]])
    cons = [0.5 * (G + G.T) << -np.eye(n + m), lam >= 0]
    cons += [M >> np.eye(n)] if metric == "full" else [mv >= 1]
    prob = cp.Problem(cp.Minimize(0), cons)  # feasibility, as sector_lmi
    t0 = time.perf_counter()
    prob.solve(solver=cp.SCS, eps_abs=eps, eps_rel=eps, linear_solver="cpu_indirect")
    dt = time.perf_counter() - t0
    ok = prob.status == "optimal"
    return LMIResult(
        "solved" if ok else str(prob.status),
        np.asarray(M.value) if ok else None,
        np.asarray(lam.value) if ok else None,
        "cvxpy + SCS cpu_indirect",
        dt,
    )


def theorem5_lmi(
    W, g: float, *, linear_solver: str = "cpu_dense", eps: float = 1e-6, max_iters: int = 20000
) -> LMIResult:
    """Diagonal P with ``P − g² WᵀPW ⪰ I``, ``P ⪰ I`` (Kozachkov et al. 2022, Thm. 5), by SCS."""
    W = np.asarray(W, float)
    n = W.shape[0]
    iu = np.triu_indices(n)
    bld = _Builder(n)
    bld.linear(np.arange(n), 1.0, -np.ones(n))
    # column k of S(p) = Σ p_k (e_k e_kᵀ − g² W[k]ᵀ W[k]) − I, in row-major upper order
    cols = -(g**2) * W[:, iu[0]] * W[:, iu[1]]
    diag_pos = np.flatnonzero(iu[0] == iu[1])
    cols[np.arange(n), diag_pos] += 1.0
    bld.dense_psd(n, cols, -np.eye(n))
    t0 = time.perf_counter()
    status, x, its = bld.solve(np.zeros(n), linear_solver, eps, max_iters)  # feasibility
    dt = time.perf_counter() - t0
    ok = status == "solved"
    return LMIResult(status, np.diag(x) if ok else None, None, f"SCS {linear_solver}", dt, its)


def vertex_lmi(mats, *, discrete: bool = False, eps: float = 1e-7) -> LMIResult:
    """One M with ``M J + Jᵀ M ⪯ −I`` (or ``JᵀMJ − M ⪯ −I``) for every J in ``mats``, M ⪰ I.

    Through cvxpy (the problems are small: one block per vertex of the slope box).
    """
    import cvxpy as cp

    mats = [np.asarray(J, float) for J in mats]
    n = mats[0].shape[0]
    M = cp.Variable((n, n), symmetric=True)
    cons = [M >> np.eye(n)]
    for J in mats:
        if discrete:
            Q = cp.bmat([[M - np.eye(n), J.T @ M], [M @ J, M]])
            cons.append(0.5 * (Q + Q.T) >> 0)
        else:
            S = M @ J + J.T @ M
            cons.append(0.5 * (S + S.T) << -np.eye(n))
    prob = cp.Problem(cp.Minimize(cp.trace(M)), cons)
    t0 = time.perf_counter()
    prob.solve(solver=cp.SCS, eps_abs=eps, eps_rel=eps, linear_solver="cpu_dense")
    dt = time.perf_counter() - t0
    ok = prob.status == "optimal"
    return LMIResult(
        "solved" if ok else str(prob.status),
        np.asarray(M.value) if ok else None,
        None,
        "cvxpy + SCS cpu_dense",
        dt,
    )
