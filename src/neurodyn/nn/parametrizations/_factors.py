"""Factors shared by the constraints: bounded squashing, skew parts, Haar draws, orthogonal U.

Every function works on a single matrix ``(m, n)`` or a stack ``(*, m, n)`` (leading dimensions are
a batch of blocks).
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = [
    "bounded",
    "eig",
    "eye_like",
    "haar",
    "orthonormal_factor",
    "randn",
    "skew",
    "unbounded",
]

# dtypes whose matrix_exp is orthogonal to ~1e-13 even for generators of norm ~1e4 (measured):
# no correction step there, so float64 numbers are exactly those of the plain construction.
_EXACT_ENOUGH = (torch.float64, torch.complex128)


def bounded(raw: Tensor, lo: float, hi: float) -> Tensor:
    """``hi − (hi − lo)·sigmoid(raw)`` ∈ [lo, hi] (Drgoňa et al. 2022, eq. 21a / 23a)."""
    return hi - (hi - lo) * torch.sigmoid(raw)


def unbounded(value: Tensor, lo: float, hi: float) -> Tensor:
    """A right inverse of :func:`bounded` on ``value`` clamped to ``[lo, hi]``."""
    if hi == lo:
        return torch.zeros_like(value)
    eps = torch.finfo(value.dtype).eps
    t = ((hi - value) / (hi - lo)).clamp(eps, 1 - eps)
    return torch.logit(t)


def skew(X: Tensor) -> Tensor:
    """``X − Xᵀ`` (exactly skew-symmetric in floating point: negation is exact)."""
    return X - X.mT


def eye_like(X: Tensor, n: int | None = None) -> Tensor:
    """The ``n×n`` identity (default ``n = X.shape[-1]``) in ``X``'s dtype and device."""
    n = X.shape[-1] if n is None else n
    return torch.eye(n, dtype=X.dtype, device=X.device)


def randn(shape, like: Tensor, generator: torch.Generator | None, std: float = 1.0) -> Tensor:
    """``std``-scaled standard normal draws of ``shape`` in ``like``'s dtype and device."""
    return std * torch.randn(*shape, dtype=like.dtype, device=like.device, generator=generator)


def haar(batch: tuple[int, ...], n: int, like: Tensor, generator: torch.Generator | None) -> Tensor:
    """Haar-random ``n×n`` orthogonal matrices, shape ``(*batch, n, n)`` (QR with the sign fix)."""
    G = torch.randn(*batch, n, n, dtype=like.dtype, device=like.device, generator=generator)
    Q, R = torch.linalg.qr(G)
    d = torch.sign(torch.diagonal(R, dim1=-2, dim2=-1))
    return Q * torch.where(d == 0, torch.ones_like(d), d)[..., None, :]


def orthonormal_factor(base: Tensor, generator: Tensor, r: int) -> Tensor:
    """``U = (B · exp(X − Xᵀ))[..., :r]``: ``r`` orthonormal columns (dynamic trivialisation).

    ``B`` (``(*, m, m)``, orthogonal, fixed) is the base point, ``X`` (``(*, m, m)``) the trainable
    generator (Lezcano-Casado 2019). In exact arithmetic ``UᵀU = I``. In float32 ``matrix_exp`` of a
    large skew matrix is not orthogonal (‖UᵀU − I‖₂ ≈ 2e-5 at ‖X − Xᵀ‖₂ = 100, 3e-4 at 1000, 3e-3
    at 1e4), and Adam with a large learning rate grows the generator to such norms. Below float64
    one Newton–Schulz (polar) step ``U ← U(3I − UᵀU)/2`` follows: it squares the orthogonality
    error (``δ → 3δ²/4`` plus rounding), bringing it back to a few ``√m·eps`` for ``δ ≲ 1e-2``
    (generator norms up to ~1e4), at the price of two ``r×r``-sized matrix products. It is
    differentiable and the identity on orthonormal ``U``, so the map and its gradients are
    unchanged in exact arithmetic; float64 skips it.
    """
    U = base @ torch.linalg.matrix_exp(skew(generator))[..., :r]
    if U.dtype not in _EXACT_ENOUGH:
        U = 1.5 * U - 0.5 * U @ (U.mT @ U)
    return U


def eig(W: Tensor) -> Tensor:
    """Eigenvalues computed in float64 / complex128 (batched over leading dimensions)."""
    return torch.linalg.eigvals(W.detach().double())
