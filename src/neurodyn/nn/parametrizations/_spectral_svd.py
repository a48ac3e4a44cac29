"""Singular values in [σmin, σmax] by construction (and the soft, regularised variant)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from neurodyn.nn.parametrizations._base import (
    Init,
    Parametrization,
    check_finite,
    register,
    weight_of,
)
from neurodyn.nn.parametrizations._factors import (
    bounded,
    haar,
    orthonormal_factor,
    randn,
    unbounded,
)
from neurodyn.nn.parametrizations._measurement import Measurement, default_atol, violation
from neurodyn.nn.parametrizations._proofs import singular_values_up

__all__ = ["SoftSpectralSVD", "SpectralSVD", "spectral_svd"]


class SpectralSVD(Parametrization):
    """``W = U diag(s) Vᵀ`` with orthonormal ``U`` (m×r), ``V`` (n×r), r = min(m, n).

    ``U = (B_U · exp(A − Aᵀ))[:, :r]``, ``V = (B_V · exp(B − Bᵀ))[:, :r]`` (see
    :func:`~neurodyn.nn.parametrizations._factors.orthonormal_factor`, which also restores
    orthogonality lost to rounding below float64) where ``B_U``, ``B_V`` are fixed orthogonal
    buffers (the base point, set at registration: the SVD factors of the projected weight, or
    Haar-random) and ``s = σmax − (σmax − σmin)·sigmoid(raw)`` (Drgoňa et al. 2022, eq. 23a). The
    singular values of W are exactly ``s`` ∈ [σmin, σmax]. Originals: ``(A, B, raw)`` with the
    weight's leading (stack) dimensions.
    """

    name = "spectral_svd"

    def __init__(
        self, shape: tuple[int, ...], sigma_min: float, sigma_max: float,
        init: Init = "project", generator=None, dtype=None, device=None,
    ):  # fmt: skip
        super().__init__(init, generator)
        *batch, m, n = shape
        self.sigma_min, self.sigma_max = float(sigma_min), float(sigma_max)
        eye = torch.eye
        self.register_buffer(
            "base_u", eye(m, dtype=dtype, device=device).expand(*batch, m, m).clone()
        )
        self.register_buffer(
            "base_v", eye(n, dtype=dtype, device=device).expand(*batch, n, n).clone()
        )

    def factors(self, a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
        """The orthonormal factors ``(U, V)`` built from the originals ``a``, ``b``."""
        r = min(a.shape[-1], b.shape[-1])
        return orthonormal_factor(self.base_u, a, r), orthonormal_factor(self.base_v, b, r)

    def forward(self, a: Tensor, b: Tensor, raw: Tensor) -> Tensor:
        U, V = self.factors(a, b)
        s = bounded(raw, self.sigma_min, self.sigma_max)
        return (U * s[..., None, :]) @ V.mT

    def _project(self, W: Tensor) -> tuple[Tensor, ...]:
        U, S, Vh = torch.linalg.svd(W.double(), full_matrices=True)
        self.base_u.copy_(U.to(W.dtype))
        self.base_v.copy_(Vh.mT.to(W.dtype))
        *batch, m, n = W.shape
        raw = unbounded(S.clamp(self.sigma_min, self.sigma_max), self.sigma_min, self.sigma_max)
        return W.new_zeros(*batch, m, m), W.new_zeros(*batch, n, n), raw.to(W.dtype)

    def _random(self, W: Tensor) -> tuple[Tensor, ...]:
        *batch, m, n = W.shape
        batch = tuple(batch)
        self.base_u.copy_(haar(batch, m, W, self.generator))
        self.base_v.copy_(haar(batch, n, W, self.generator))
        raw = randn((*batch, min(m, n)), W, self.generator)
        return W.new_zeros(*batch, m, m), W.new_zeros(*batch, n, n), raw

    def _measure(self, W: Tensor, *originals: Tensor) -> Measurement:
        s = torch.linalg.svdvals(W.detach().double())
        lo, hi = self.sigma_min, self.sigma_max
        return Measurement(
            self.name, "singular values of W", s, lo, hi, violation(s, lo, hi), default_atol(W)
        )

    def _proven(self, W: Tensor, *originals: Tensor) -> tuple[float, str]:
        lo, hi, a = singular_values_up(W.detach())
        worst = max(self.sigma_min - lo, hi - self.sigma_max) + a
        return worst, "singular values of W in float64, widened by the SVD's backward error (Weyl)"

    def extra_repr(self) -> str:
        return f"sigma_min={self.sigma_min}, sigma_max={self.sigma_max}"


class SoftSpectralSVD(Parametrization):
    """SOFT variant of Drgoňa et al. 2022, eq. 22–23: free factors ``U`` (m×r), ``V`` (n×r).

    ``W = U diag(s) Vᵀ`` with ``s`` bounded as in :class:`SpectralSVD`, but ``U`` and ``V`` are
    unconstrained parameters kept near orthonormal only by adding ``orthogonality_penalty``
    to the loss (eq. 22). Singular values of W leave ``[σmin, σmax]`` as soon as the factors
    drift: NO GUARANTEE. Originals: ``(U, V, raw)``.
    """

    name = "spectral_svd_soft"
    guaranteed = False

    def __init__(self, sigma_min: float, sigma_max: float, init: Init = "project", generator=None):
        super().__init__(init, generator)
        self.sigma_min, self.sigma_max = float(sigma_min), float(sigma_max)

    def forward(self, U: Tensor, V: Tensor, raw: Tensor) -> Tensor:
        return (U * bounded(raw, self.sigma_min, self.sigma_max)[..., None, :]) @ V.mT

    def _project(self, W: Tensor) -> tuple[Tensor, ...]:
        U, S, Vh = torch.linalg.svd(W, full_matrices=False)
        raw = unbounded(S.clamp(self.sigma_min, self.sigma_max), self.sigma_min, self.sigma_max)
        return U, Vh.mT.contiguous(), raw

    def _random(self, W: Tensor) -> tuple[Tensor, ...]:
        *batch, m, n = W.shape
        batch = tuple(batch)
        r = min(m, n)
        U = haar(batch, m, W, self.generator)[..., :r].contiguous()
        V = haar(batch, n, W, self.generator)[..., :r].contiguous()
        return U, V, randn((*batch, r), W, self.generator)

    def _measure(self, W: Tensor, *originals: Tensor) -> Measurement:
        s = torch.linalg.svdvals(W.detach().double())
        lo, hi = self.sigma_min, self.sigma_max
        return Measurement(
            self.name, "singular values of W (soft: targets, not guaranteed)",
            s, lo, hi, violation(s, lo, hi), default_atol(W), guaranteed=False,
        )  # fmt: skip

    def extra_repr(self) -> str:
        return f"sigma_min={self.sigma_min}, sigma_max={self.sigma_max}, soft=True"


def spectral_svd(
    module: nn.Module, name: str = "weight", *, sigma_min: float, sigma_max: float,
    soft: bool = False, init: Init = "project", generator: torch.Generator | None = None,
) -> nn.Module:  # fmt: skip
    """Constrain the singular values of ``module.<name>`` to ``[σmin, σmax]`` (any shape).

    Implements Drgoňa et al. 2022, eq. 23 with exact orthogonal factors: ``W = U diag(s) Vᵀ``,
    ``U = (B_U·exp(A − Aᵀ))[:, :r]``, ``V = (B_V·exp(B − Bᵀ))[:, :r]``, r = min(m, n),
    ``s = σmax − (σmax − σmin)·sigmoid(raw)``. ``B_U``, ``B_V`` are orthogonal buffers fixed at
    registration (dynamic-trivialisation base point, as in ``torch.nn.utils.parametrizations.
    orthogonal``), which makes every W reachable (also ``det W < 0``). Below float64 one
    Newton–Schulz step re-orthonormalises ``U`` and ``V``, so the bound also holds in float32
    after large optimiser steps (the generators then grow to norms where float32 ``matrix_exp``
    alone is orthogonal only to ~1e-4).

    ``soft=True`` gives the paper's regularised variant instead (SOFT, NO GUARANTEE): ``U``, ``V``
    are free parameters and ``orthogonality_penalty`` (eq. 22) must be added to the loss.

    Args:
        module: a module with a ``module.<name>`` of shape ``(m, n)``, or a stack ``(*, m, n)``
            of blocks (e.g. a ``(k, n, n)`` block-diagonal recurrent weight; guarantee per block).
        name: the tensor to parametrize.
        sigma_min, sigma_max: ``0 ≤ sigma_min ≤ sigma_max``.
        soft: use the regularised (unguaranteed) variant.
        init: ``"project"`` (default): SVD of the current weight with singular values clamped to
            ``[σmin, σmax]`` (W unchanged if already inside). ``"random"``: Haar-random factors
            and Gaussian ``raw``.
        generator: RNG for ``init="random"``.

    Returns:
        ``module``; originals ``(A, B, raw)`` (soft: ``(U, V, raw)``).

    Raises:
        ValueError: ``sigma_min < 0`` or ``sigma_min > sigma_max`` (singular values are ≥ 0;
            the paper's App. D negative ranges have no meaning here), bad ``init``.

    Example:
        >>> import torch
        >>> from neurodyn.nn import parametrizations as P
        >>> lin = P.spectral_svd(torch.nn.Linear(5, 3), sigma_min=0.5, sigma_max=1.0)
        >>> s = torch.linalg.svdvals(lin.weight)
        >>> bool(s.min() >= 0.5 - 1e-5 and s.max() <= 1.0 + 1e-5)
        True

    References:
        Drgoňa et al. 2022 (App. B, eq. 22–23); Zhang et al. (2018); Lezcano-Casado (2019).
    """
    who = "spectral_svd"
    W = weight_of(module, name, who)
    check_finite(sigma_min=sigma_min, sigma_max=sigma_max)
    if not 0 <= sigma_min <= sigma_max:
        raise ValueError(
            f"spectral_svd needs 0 ≤ sigma_min ≤ sigma_max, got sigma_min={sigma_min}, "
            f"sigma_max={sigma_max} (singular values are nonnegative)."
        )
    if soft:
        p: Parametrization = SoftSpectralSVD(sigma_min, sigma_max, init, generator)
    else:
        p = SpectralSVD(
            tuple(W.shape), sigma_min, sigma_max, init, generator, dtype=W.dtype, device=W.device
        )
    return register(module, name, p)
