"""Batched QR factorisations for tangent-space reorthonormalisation.

``householder`` is ``torch.linalg.qr`` (LAPACK / cuSOLVER), backward stable for any input.
``cholesky`` is CholeskyQR2 (Fukaya et al. 2014): G = QᵀQ, R₁ = chol(G)ᵀ, Q₁ = Q R₁⁻¹, then once
more; it is all GEMMs and a small Cholesky, so it runs near matmul speed, and two passes make Q
orthonormal to working precision when κ(Q) ≲ ε^(−1/2) (≈ 1e8 in float64). When a Cholesky
fails (the tangent vectors have become nearly parallel) the batch falls back to Householder.
``auto`` picks ``cholesky`` only for tall-skinny float64 frames (k ≤ n/4): for square frames
CholeskyQR2 does ~3× Householder's flops and measured 1.7–2.4× slower (``benchmarks/RESULTS.md``);
in float32, ε^(−1/2) ≈ 3e3 is too small a margin. Even tall-skinny, whether it pays depends on
the BLAS (k = 32 of n = 512–1024: 0.7–0.8× Householder's time on one Xeon, 1.3–1.5× on one
EPYC), so ``lyapunov_spectrum`` defaults to ``householder`` and ``auto`` is opt-in.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["QR_METHODS", "positive_qr", "qr"]

QR_METHODS = ("householder", "cholesky", "auto")


def _cholesky_qr(Q: Tensor) -> tuple[Tensor, Tensor] | None:
    G = Q.mT @ Q
    L, info = torch.linalg.cholesky_ex(G)
    if bool((info != 0).any()):
        return None
    # Q L⁻ᵀ: solve L Xᵀ = Qᵀ  ⇔  X = Q L⁻ᵀ
    Q1 = torch.linalg.solve_triangular(L, Q.mT, upper=False).mT
    return Q1, L.mT


def positive_qr(Q: Tensor, method: str = "householder") -> tuple[Tensor, Tensor]:
    """:func:`qr` with the signs fixed so that R's diagonal is positive (Q ← Q S, R ← S R with
    S = diag(sign R_ii)), the unique reduced QR of a full-rank frame. The differentiable spectrum
    uses it: the factors are then smooth functions of the frame, so gradients through the QR
    (torch's ``linalg.qr`` backward) do not depend on LAPACK's sign choices.
    """
    Q, R = qr(Q, method)
    d = torch.diagonal(R, dim1=-2, dim2=-1)
    s = torch.where(d < 0, -torch.ones_like(d), torch.ones_like(d))
    return Q * s.unsqueeze(-2), R * s.unsqueeze(-1)


def qr(Q: Tensor, method: str = "householder") -> tuple[Tensor, Tensor]:
    """Reduced QR of a batch ``(B, n, k)`` → ``(Q (B, n, k), R (B, k, k))``.

    The diagonal of R is not sign-normalised (see :func:`positive_qr`); exponents use log|R_ii|.
    Every method is differentiable by autograd (Householder through ``torch.linalg.qr``,
    CholeskyQR2 through ``cholesky_ex`` and ``solve_triangular``).
    """
    if Q.shape[-1] == 1:  # one vector: QR is normalisation (much cheaper than LAPACK here)
        norm = torch.linalg.vector_norm(Q, dim=-2, keepdim=True)
        return Q / norm, norm
    if method == "auto":
        tall = 4 * Q.shape[-1] <= Q.shape[-2]
        method = "cholesky" if Q.dtype == torch.float64 and tall else "householder"
    if method == "householder":
        return torch.linalg.qr(Q)
    if method != "cholesky":
        raise ValueError(f"qr method must be one of {QR_METHODS}, got {method!r}.")
    first = _cholesky_qr(Q)
    if first is None:
        return torch.linalg.qr(Q)
    Q1, R1 = first
    second = _cholesky_qr(Q1)
    if second is None:
        return torch.linalg.qr(Q)
    Q2, R2 = second
    return Q2, R2 @ R1
