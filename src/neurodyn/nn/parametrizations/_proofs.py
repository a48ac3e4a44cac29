"""Rounded-up a-posteriori bounds: what ``certificate`` may call a proof.

``measure`` reports eigenvalues from ``torch.linalg.eigvals``, whose error for a non-normal
matrix depends on its (unknown) eigenvalue condition numbers. A proof needs a route whose error is
bounded by the matrix norm alone. Each function returns an upper bound on the violation of the
guaranteed set computed only from well-conditioned quantities of the float64 upcast of ``W``
(exact: float32 → float64 is exact), rounded up by :func:`allowance`:

* singular values (Weyl: a backward-stable SVD moves each by at most its backward error);
* the numerical range: every eigenvalue satisfies ``λmin(H) ≤ Re λ ≤ λmax(H)``,
  ``H = (W + Wᵀ)/2`` (Bendixson 1902), and ``eigvalsh`` of the symmetric H is well conditioned;
* Gershgorin discs of ``W`` itself (centre ``W_ii``, radius ``Σ_{j≠i}|W_ij|``);
* row sums of a nonnegative ``W`` (Perron–Frobenius: ``min row sum ≤ ρ(W) ≤ max row sum``).
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["ALLOWANCE_C", "allowance", "numerical_range", "singular_values_up"]

#: Backward error assumed for LAPACK's float64 SVD / symmetric eigensolver and for float64
#: sums of n terms: ``ALLOWANCE_C · n · eps64 · ‖X‖_F`` (‖X‖_F ≥ ‖X‖₂ rounds the norm up).
ALLOWANCE_C = 8.0


def allowance(X: Tensor) -> float:
    """``8·n·eps64·‖X‖_F``: the rounding of one float64 decomposition or row sum of ``X``."""
    n = max(X.shape[-2:]) if X.ndim >= 2 else max(1, X.numel())
    eps = torch.finfo(torch.float64).eps
    return ALLOWANCE_C * n * eps * float(torch.linalg.vector_norm(X.double()))


def singular_values_up(X: Tensor) -> tuple[float, float, float]:
    """``(σmin, σmax, allowance)`` of ``X`` in float64."""
    s = torch.linalg.svdvals(X.double())
    return float(s.min()), float(s.max()), allowance(X)


def numerical_range(W: Tensor) -> tuple[float, float, float]:
    """``(λmin(H), λmax(H), allowance)``, ``H = (W + Wᵀ)/2``: bounds on every ``Re λ_i(W)``."""
    Wd = W.double()
    ev = torch.linalg.eigvalsh(0.5 * (Wd + Wd.mT))
    return float(ev.min()), float(ev.max()), allowance(Wd)
