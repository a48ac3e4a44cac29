"""Feedback and hierarchical combination of contracting blocks (Kozachkov et al. 2022, App. 5.2).

Blocks ``τẋ_i = −x_i + W_iφ(x_i) + …`` (or linear ``ẋ_i = A_i x_i``), each contracting in a
constant metric ``M_i``, coupled linearly: ``τẋ = −x + Wφ(x) + Lx + u`` with
``W = blockdiag(W_i)``.

* Feedback: ``B = −M₁⁻¹GᵀM₂`` couples two blocks so that ``M L + LᵀM = 0`` with
  ``M = blockdiag(M₁, M₂)``. For many blocks, from any block lower-triangular B:
  ``L = B − M⁻¹BᵀM`` (our convention; ``ML + LᵀM = MB − BᵀM + BᵀM − MB = 0``). The convention
  ``L = B − MBᵀM⁻¹`` of the public kozleo/rnns-of-rnns code does not keep ``ML + LᵀM = 0``
  and can destabilise (tests/test_contraction_combination.py).
* Hierarchical (and any small coupling): with ``ℓ_ij = ‖M_i^½ L_ij M_j^-½‖₂`` the comparison
  matrix ``H = diag(−β_i/2 + μ_ii) + (ℓ_ij)_{i≠j}`` is Metzler; if it is Hurwitz (always, for a
  block-triangular L) the metric ``blockdiag(c_i M_i)`` with ``c = w/v`` proves contraction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.linalg

from neurodyn._core import CertificateReport
from neurodyn.contraction._common import (
    as_square,
    check_g,
    check_metric,
    diag_rate,
    make,
    metzler_diagonal_metric,
    neg_def_margin,
    rate_in_metric,
)
from neurodyn.contraction._theorems import _thm1_matrix, theorem5_rate

__all__ = [
    "Assembly",
    "block_rate",
    "certify_assembly",
    "feedback_gain",
    "skew_interconnection",
    "skew_residual",
]

_EPS = np.finfo(np.float64).eps


def feedback_gain(M1, M2, G) -> np.ndarray:
    """``B = −M₁⁻¹GᵀM₂`` (Kozachkov et al. 2022, App. 5.2) for ``ẋ = f(x) + By, ẏ = g(y) + Gx``."""
    M1, M2 = check_metric(M1, name="M1"), check_metric(M2, name="M2")
    G = np.asarray(G, float)
    if G.shape != (M2.shape[0], M1.shape[0]):
        raise ValueError(f"G must be ({M2.shape[0]}, {M1.shape[0]}), got {G.shape}.")
    return -np.linalg.solve(M1, G.T @ M2)


def skew_interconnection(B, metric) -> np.ndarray:
    """``L = B − M⁻¹BᵀM``: the metric-skew coupling, ``ML + LᵀM = 0`` (module docstring)."""
    M = check_metric(metric)
    B = np.asarray(B, float)
    return B - np.linalg.solve(M, B.T @ M)


def skew_residual(L, metric) -> float:
    """An upper bound on ``‖M^-½(ML + LᵀM)M^-½‖₂``, the float64 rounding of computing it included.

    ``L = B − M⁻¹BᵀM`` is M-skew in exact arithmetic, but the stored L of a network is the
    rounded result of that formula (float32: a residual ~1e-7 relative), so a proof that uses
    ``ML + LᵀM = 0`` must bound what is left. With ``X = M^-½KM^-½``, ``K = ML + LᵀM``,
    ``δxᵀKδx ≤ ‖X‖₂ δxᵀMδx``.

    * Diagonal M (``m = diag M``): ``X = Y + Yᵀ`` with ``Y_ij = √m_i L_ij /√m_j``, formed entry
      by entry with a relative error ≤ 2·eps per term (a square root, a product and a
      quotient), so ``|X − X̂| ≤ 3·eps(|Ŷ| + |Ŷ|ᵀ)`` with the sum's rounding; ``‖X‖₂ ≤
      max|λ(X̂)| + 8n·eps‖X̂‖_F + 3·eps‖|Ŷ| + |Ŷ|ᵀ‖_F`` (eigvalsh's backward error, Weyl).
    * Full M: ``‖X‖₂ ≤ ‖K‖₂/λ_min(M)`` with ``‖K − K̂‖ ≤ (n + 2)·eps‖|M||L| + |L|ᵀ|M|‖_F``
      (matrix-product error bound) and λ_min(M) rounded down by eigvalsh's backward error;
      sound, and loose by at most the condition number of M.
    """
    M = check_metric(metric)
    L = as_square(L, "interconnection")
    if L.shape != M.shape:
        raise ValueError(f"interconnection is {L.shape} but the metric is {M.shape}.")
    n = len(M)
    if np.array_equal(M, np.diag(np.diag(M))):
        r = np.sqrt(np.diag(M))
        Y = r[:, None] * L / r[None, :]
        X = Y + Y.T
        absY = np.abs(Y)
        lam = float(np.abs(np.linalg.eigvalsh(X)).max())
        return (
            lam
            + 8 * n * _EPS * float(np.linalg.norm(X))
            + 3 * _EPS * float(np.linalg.norm(absY + absY.T))
        ) * (1 + 2 * _EPS)
    K = M @ L + L.T @ M
    absM, absL = np.abs(M), np.abs(L)
    k_up = float(np.linalg.norm(K, 2)) * (1 + 8 * n * _EPS) + (n + 2) * _EPS * float(
        np.linalg.norm(absM @ absL + absL.T @ absM)
    )
    lo = float(np.linalg.eigvalsh(M)[0]) - 8 * n * _EPS * float(np.linalg.norm(M))
    return k_up / lo * (1 + 2 * _EPS)


def block_rate(W, M, *, g: float = 1.0, tau: float = 1.0, linear: bool = False):
    """``(β, how)``: ``M J(D) + J(D)ᵀ M ⪯ −βM`` for every slope, re-checked by eigenvalues.

    Linear blocks: J = W exactly. eq. 1 blocks with a diagonal M: Theorem 1's relaxation, else
    Theorem 5's (both valid in any diagonal metric); full M: the vertex check for n ≤ 10.
    """
    W, M = as_square(W), check_metric(M)
    if linear:
        S = M @ W + W.T @ M
        lam, tol = neg_def_margin(S)
        return (rate_in_metric(S, M) if lam + tol < 0 else -np.inf), "linear block: MA + AᵀM"
    n = len(W)
    cands = []
    if np.array_equal(M, np.diag(np.diag(M))):
        p = np.diag(M)
        A1 = _thm1_matrix(W, g)
        cands.append((diag_rate(M @ A1 + A1.T @ M, p) / tau, "Theorem 1 relaxation in M"))
        cands.append((theorem5_rate(W, p, g) / tau, "Theorem 5 in M"))
    elif n <= 10:
        import itertools

        worst = -np.inf
        for v in itertools.product((0.0, g), repeat=n):
            J = (-np.eye(n) + W * np.array(v)[None, :]) / tau
            S = M @ J + J.T @ M
            lam, tol = neg_def_margin(S)
            worst = max(worst, lam + tol)
        cands.append((-worst / np.linalg.eigvalsh(M)[-1], "all slope vertices"))
    if not cands:
        return -np.inf, "no check for a full metric at n > 10"
    return max(cands, key=lambda c: c[0])


@dataclass(frozen=True)
class Assembly:
    """Contracting blocks and their linear interconnection: ``τẋ = −x + Wφ(x) + Lx + u``.

    Args:
        blocks: the blocks' recurrent matrices ``W_i`` (``(n_i, n_i)``), or for
            ``linear=True`` their Jacobians ``A_i`` (``ẋ_i = A_i x_i + …``).
        metrics: one ``(n_i, n_i)`` metric per block.
        interconnection: ``L`` ``(n, n)``, ``n = Σ n_i`` (its diagonal blocks may be nonzero).
        tau, g: eq. 1's time constant and slope bound (unused for linear blocks but τ).
        linear: blocks are linear systems.

    Example:
        >>> import numpy as np
        >>> from neurodyn import contraction
        >>> A = [-np.eye(2), np.array([[-1.0, 3.0], [0.0, -2.0]])]
        >>> Ms = [np.eye(2), contraction.lyapunov_metric(A[1])]
        >>> B = np.zeros((4, 4)); B[2:, :2] = np.random.default_rng(0).normal(size=(2, 2))
        >>> L = contraction.skew_interconnection(B, contraction.block_diag(Ms))
        >>> contraction.certify(contraction.Assembly(A, Ms, L, linear=True))["assembly"].holds
        True
    """

    blocks: tuple
    metrics: tuple
    interconnection: np.ndarray
    tau: float = 1.0
    g: float = 1.0
    linear: bool = False
    sizes: tuple = field(init=False)

    def __post_init__(self):
        blocks = tuple(as_square(b, "block") for b in self.blocks)
        metrics = tuple(check_metric(m) for m in self.metrics)
        if len(blocks) != len(metrics) or not blocks:
            raise ValueError("Assembly needs one metric per block (and at least one block).")
        for i, (b, m) in enumerate(zip(blocks, metrics, strict=True)):
            if b.shape != m.shape:
                raise ValueError(f"block {i} is {b.shape} but its metric is {m.shape}.")
        n = sum(len(b) for b in blocks)
        L = as_square(self.interconnection, "interconnection")
        if L.shape != (n, n):
            raise ValueError(f"interconnection must be ({n}, {n}) for these blocks, got {L.shape}.")
        object.__setattr__(self, "blocks", blocks)
        object.__setattr__(self, "metrics", metrics)
        object.__setattr__(self, "interconnection", L)
        object.__setattr__(self, "sizes", tuple(len(b) for b in blocks))
        check_g(self.g)

    @property
    def metric(self) -> np.ndarray:
        return scipy.linalg.block_diag(*self.metrics)

    def jacobian(self, slopes=None) -> np.ndarray:
        """The full Jacobian at a slope vector (default g everywhere); linear: the constant one."""
        W = scipy.linalg.block_diag(*self.blocks)
        n = len(W)
        if self.linear:
            return W + self.interconnection / self.tau
        d = np.full(n, self.g) if slopes is None else np.asarray(slopes, float)
        return (-np.eye(n) + W * d[None, :] + self.interconnection) / self.tau

    def __repr__(self) -> str:
        return f"Assembly(sizes={self.sizes}, linear={self.linear}, tau={self.tau}, g={self.g})"


def certify_assembly(asm: Assembly) -> CertificateReport:
    """Block certificates, then the interconnection (feedback, else the comparison matrix)."""
    certs, rates = [], []
    for i, (W, M) in enumerate(zip(asm.blocks, asm.metrics, strict=True)):
        beta, how = block_rate(W, M, g=asm.g, tau=asm.tau, linear=asm.linear)
        rates.append(beta)
        certs.append(
            make(
                f"block{i}",
                beta > 0,
                beta,
                "proof",
                f"block {i} contracts in its metric M_{i}: {how}, re-checked by eigvalsh",
                f"block {i} is contracting in M_{i} with rate ≥ margin",
                (),
                metric=M,
            )
        )
    M = asm.metric
    offs = np.cumsum((0, *asm.sizes))
    blocks_ok = all(r > 0 for r in rates)
    assume = ("each block certified above", "linear interconnection Lx")
    domain = {"sizes": list(asm.sizes), "tau": asm.tau, "network_level": ["assembly"]}
    # e ≥ ‖M^-½(ML + LᵀM)M^-½‖₂/τ, rounding included: the stored L is M-skew only up to the
    # rounding of its parametrization (float32: ~1e-7 relative), and that residual is treated
    # as a perturbation, δxᵀ(K/τ)δx ≤ e·δxᵀMδx, so MJ + JᵀM ⪯ −(min β_i − e)M.
    e = skew_residual(asm.interconnection, M) / asm.tau * (1 + 2 * _EPS)
    beta = min(rates) - e
    if blocks_ok and min(rates) > e:
        certs.append(
            make(
                "assembly",
                True,
                beta,
                "proof",
                "feedback combination: with M = blockdiag(M_i), MJ + JᵀM = blockdiag(M_iJ_i + "
                "J_iᵀM_i) + (ML + LᵀM)/τ (Kozachkov et al. 2022, App. 5.2); ML + LᵀM vanishes "
                "in exact arithmetic and its rounding residual in the stored weights is bounded "
                f"by e = ‖M^-½(ML + LᵀM)M^-½‖₂/τ ≤ {e:.2g}, so the rate is ≥ min_i β_i − e",
                "the assembly is contracting in M with rate ≥ margin",
                assume,
                metric=M,
                skew_residual=e,
                mode="feedback",
            )
        )
        return CertificateReport(tuple(certs), domain)
    L = asm.interconnection / asm.tau
    p = len(asm.sizes)
    H = np.zeros((p, p))
    roots, iroots = [], []
    for Mi in asm.metrics:
        w, V = np.linalg.eigh(Mi)
        roots.append((V * np.sqrt(w)) @ V.T)
        iroots.append((V / np.sqrt(w)) @ V.T)
    for i in range(p):
        for j in range(p):
            Lij = L[offs[i] : offs[i + 1], offs[j] : offs[j + 1]]
            X = roots[i] @ Lij @ iroots[j]
            if i == j:
                lam, tol = neg_def_margin(X)  # rounded up by eigvalsh's backward error
                H[i, i] = -rates[i] / 2 + lam + tol
            else:
                H[i, j] = float(np.linalg.norm(X, 2)) * (1 + 1e-12)
    c = metzler_diagonal_metric(H) if blocks_ok else None
    if c is None:
        if blocks_ok:
            alpha = float(np.linalg.eigvals(H).real.max())
            why = (
                f"the comparison matrix H (−β_i/2 + μ_ii on the diagonal, ‖M_i^½L_ijM_j^-½‖ off "
                f"it) is not Hurwitz (max Re λ(H) = {alpha:.3g}): no metric blockdiag(c_iM_i)"
            )
            # how far each method is from holding (both ≤ 0 here): the feedback rate bound
            # min β_i − e and the comparison system's rate −2·max Re λ(H)
            margin = max(beta, min(-2 * alpha, 0.0))
        else:
            bad = [i for i, r in enumerate(rates) if not r > 0]
            why = f"block(s) {bad} are not certified, so neither combination applies"
            margin = min(rates)
        certs.append(
            make(
                "assembly",
                False,
                margin,
                "proof",
                "feedback combination (Kozachkov et al. 2022, App. 5.2: min_i β_i must exceed "
                f"the skew residual e = {e:.2g}), then the comparison matrix "
                "(hierarchical/small-gain combination)",
                f"not certified: {why}",
                assume,
                comparison=H if blocks_ok else None,
                skew_residual=e,
            )
        )
    else:
        S = np.diag(c) @ H + H.T @ np.diag(c)
        lam, tol = neg_def_margin(S)
        Mc = scipy.linalg.block_diag(*[ci * Mi for ci, Mi in zip(c, asm.metrics, strict=True)])
        certs.append(
            make(
                "assembly",
                lam + tol < 0,
                -(lam + tol) / c.max(),
                "proof",
                "hierarchical/small-gain combination: Metzler comparison matrix H Hurwitz, "
                "metric blockdiag(c_i M_i) with c = w/v (Kozachkov et al. 2022, App. 5.2; "
                "Lohmiller & Slotine 1998)",
                "the assembly is contracting in the metric",
                assume,
                metric=Mc,
                comparison=H,
                c=c,
                mode="comparison",
                skew_residual=e,
            )
        )
    return CertificateReport(tuple(certs), domain)
