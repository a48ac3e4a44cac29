"""Eigenvalues, spectral radii, singular values and spectral norms of batched matrices.

All functions take ``(B, m, n)`` tensors (a single matrix is a batch of one) or an
:class:`~neurodyn.pwa.AffineForm`, and return per-matrix results. 2×2 matrices — the phase-plane
case of the case studies in Drgoňa et al., Spectral analysis — use closed forms, 10–20× faster than
LAPACK calls on millions of tiny matrices (``benchmarks/bench_pwa_grid.py``); larger ones use
``torch.linalg``.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["eigvals", "norm2", "singular_values", "spectral_radius"]


def _matrices(A) -> Tensor:
    A = getattr(A, "A", A)  # accept an AffineForm
    if not isinstance(A, Tensor):
        raise TypeError(f"expected a (B, m, n) tensor or an AffineForm, got {type(A).__name__}.")
    if A.ndim != 3:
        raise ValueError(
            f"expected a batch of matrices of shape (B, m, n), got shape {tuple(A.shape)}; "
            "for one matrix use A.unsqueeze(0)."
        )
    return A


def _square(A: Tensor) -> Tensor:
    A = _matrices(A)
    if A.shape[-1] != A.shape[-2]:
        raise ValueError(
            f"eigenvalues need square matrices, got {A.shape[-2]}×{A.shape[-1]} (a map from "
            f"ℝ^{A.shape[-1]} to ℝ^{A.shape[-2]}). Use neurodyn.stability.singular_values or "
            "norm2 for non-square maps (Drgoňa et al., Spectral analysis, §3.2)."
        )
    return A


def _scaled2(A: Tensor) -> tuple[Tensor, Tensor]:
    """``(A / s, s)`` with s the power of two just below max |a_ij| (1 for a zero matrix), so that
    the squares and products of the closed forms neither underflow (entries ≲ 1e-154, or ≲ 1e-19
    in float32) nor overflow. Powers of two scale exactly; eigenvalues and ρ are homogeneous of
    degree 1 in A."""
    _, e = torch.frexp(A.abs().amax(dim=(-2, -1)))  # max = m·2^e, m ∈ [½, 1); 0 → e = 0
    s = torch.ldexp(torch.ones(e.shape, dtype=A.dtype, device=A.device), e - 1)
    return A / s[:, None, None], s


def _eig2(A: Tensor) -> Tensor:
    """Eigenvalues of 2×2 matrices in closed form, ``(B, 2)`` complex, larger modulus first."""
    A, s = _scaled2(A)
    a, b, c, d = A[:, 0, 0], A[:, 0, 1], A[:, 1, 0], A[:, 1, 1]
    half_tr = 0.5 * (a + d)
    # discriminant (tr/2)² − det written as ((a−d)/2)² + bc to avoid cancellation for a ≈ d
    disc = (0.5 * (a - d)) ** 2 + b * c
    cdtype = torch.complex128 if A.dtype == torch.float64 else torch.complex64
    root = torch.sqrt(disc.to(cdtype))  # real or purely imaginary
    sign = torch.where(half_tr >= 0, 1.0, -1.0).to(A.dtype)
    big = half_tr.to(cdtype) + sign.to(cdtype) * root  # no cancellation in the larger root
    det = (a * d - b * c).to(cdtype)
    safe = big.abs() > 0
    small = torch.where(
        safe, det / torch.where(safe, big, torch.ones_like(big)), half_tr.to(cdtype)
    )
    # complex pair: both have modulus sqrt(det); compute directly for conjugate symmetry
    cplx = disc < 0
    small = torch.where(cplx, half_tr.to(cdtype) - sign.to(cdtype) * root, small)
    return torch.stack([big, small], dim=-1) * s[:, None]


def eigvals(A) -> Tensor:
    """Eigenvalues of square matrices.

    Args:
        A: ``(B, n, n)`` real tensor or a square :class:`~neurodyn.pwa.AffineForm`.

    Returns:
        ``(B, n)`` complex eigenvalues (for 2×2: larger modulus first; otherwise LAPACK order).

    Raises:
        ValueError: non-square maps (use :func:`singular_values`) or a wrong shape.
    """
    A = _square(A)
    if A.shape[-1] == 2:
        return _eig2(A)
    return torch.linalg.eigvals(A)


def spectral_radius(A) -> Tensor:
    """ρ(A) = max_i |λ_i(A)| per matrix (Drgoňa et al., Spectral analysis, Definition 5), ``(B,)``.

    2×2: ρ = |tr|/2 + √disc for real eigenvalues and √det for a complex pair.
    """
    A = _square(A)
    if A.shape[-1] == 2:
        A, s = _scaled2(A)
        a, b, c, d = A[:, 0, 0], A[:, 0, 1], A[:, 1, 0], A[:, 1, 1]
        disc = (0.5 * (a - d)) ** 2 + b * c
        real = 0.5 * (a + d).abs() + torch.sqrt(disc.clamp(min=0))
        cplx = torch.sqrt((a * d - b * c).clamp(min=0))
        return torch.where(disc >= 0, real, cplx) * s
    if A.shape[-1] == 1:
        return A[:, 0, 0].abs()
    return torch.linalg.eigvals(A).abs().amax(dim=-1)


def singular_values(A) -> Tensor:
    """Singular values per matrix, ``(B, min(m, n))``, descending. Works for non-square maps."""
    A = _matrices(A)
    return torch.linalg.svdvals(A)


def norm2(A) -> Tensor:
    """Spectral norm ‖A‖₂ = σ_max(A) per matrix, ``(B,)`` — the operator 2-norm, not Frobenius.

    2×2 uses the closed form σ_max = (√((a+d)²+(b−c)²) + √((a−d)²+(b+c)²)) / 2.
    """
    A = _matrices(A)
    if A.shape[-2:] == (2, 2):
        a, b, c, d = A[:, 0, 0], A[:, 0, 1], A[:, 1, 0], A[:, 1, 1]
        return 0.5 * (torch.hypot(a + d, b - c) + torch.hypot(a - d, b + c))
    return torch.linalg.matrix_norm(A, ord=2)
