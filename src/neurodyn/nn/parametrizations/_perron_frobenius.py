"""Perron–Frobenius weights: nonnegative, row sums and Perron root in [λmin, λmax]."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from neurodyn.nn.parametrizations._base import (
    Init,
    Parametrization,
    check_finite,
    register,
    square,
    weight_of,
)
from neurodyn.nn.parametrizations._factors import bounded, eig, randn, unbounded
from neurodyn.nn.parametrizations._measurement import Measurement, default_atol, violation
from neurodyn.nn.parametrizations._proofs import allowance

__all__ = ["PerronFrobenius", "perron_frobenius"]


class PerronFrobenius(Parametrization):
    """Nonnegative ``W_ij = softmax(A')_ij·M_ij``, ``M = λmax − (λmax − λmin)·σ(M')``.

    Drgoňa et al. 2022, eq. 21.

    Entries are nonnegative and each row sum is a convex combination of damping values in
    ``[λmin, λmax]``, so row sums — and hence the Perron root ρ(W) — lie in ``[λmin, λmax]``.
    Originals: ``(A', M')``, both ``(*, n, n)``.
    """

    name = "perron_frobenius"

    def __init__(self, lam_min: float, lam_max: float, init: Init = "project", generator=None):
        super().__init__(init, generator)
        self.lam_min, self.lam_max = float(lam_min), float(lam_max)

    def forward(self, logits: Tensor, damping: Tensor) -> Tensor:
        M = bounded(damping, self.lam_min, self.lam_max)
        return torch.softmax(logits, dim=-1) * M

    def _project(self, W: Tensor) -> tuple[Tensor, Tensor]:
        absW = W.abs()
        tiny = torch.finfo(W.dtype).tiny
        logits = torch.log(absW.clamp_min(tiny))
        rows = absW.sum(dim=-1, keepdim=True).clamp(self.lam_min, self.lam_max)
        damping = unbounded(rows, self.lam_min, self.lam_max).expand_as(W).clone()
        return logits, damping

    def _random(self, W: Tensor) -> tuple[Tensor, Tensor]:
        return randn(W.shape, W, self.generator), randn(W.shape, W, self.generator)

    def _measure(self, W: Tensor, *originals: Tensor) -> Measurement:
        Wd = W.detach().double()
        rho = eig(Wd).abs().max().reshape(1)
        rows = Wd.sum(dim=-1)
        lo, hi = self.lam_min, self.lam_max
        worst = max(
            violation(rho, lo, hi), violation(rows, lo, hi), float(-Wd.min()) if Wd.numel() else 0
        )
        return Measurement(
            self.name, "Perron root ρ(W) (also checked: row sums in range, W ≥ 0)",
            rho, lo, hi, worst, default_atol(W),
        )  # fmt: skip

    def _proven(self, W: Tensor, *originals: Tensor) -> tuple[float, str]:
        Wd = W.detach().double()
        rows, a = Wd.sum(dim=-1), allowance(Wd)
        worst = max(float(-Wd.min()), self.lam_min - float(rows.min()) + a,
                    float(rows.max()) - self.lam_max + a)  # fmt: skip
        return worst, (
            "W ≥ 0 checked entrywise and its row sums bounded (float64, rounded up), so "
            "min row sum ≤ ρ(W) ≤ max row sum (Perron–Frobenius theorem)"
        )

    def extra_repr(self) -> str:
        return f"lam_min={self.lam_min}, lam_max={self.lam_max}"


def perron_frobenius(
    module: nn.Module, name: str = "weight", *, lam_min: float, lam_max: float,
    init: Init = "project", generator: torch.Generator | None = None,
) -> nn.Module:  # fmt: skip
    """Constrain ``module.<name>`` to a nonnegative matrix with Perron root in ``[λmin, λmax]``.

    Implements Drgoňa et al. 2022, eq. 21: ``W_ij = softmax_j(A'_i·)·M_ij`` with damping
    ``M = λmax − (λmax − λmin)·sigmoid(M')``. Each row sum is a convex combination of damping
    values, so ``λmin ≤ Σ_j W_ij ≤ λmax``, and the Perron root ρ(W) lies between the smallest and
    largest row sums. (Aside: this also gives ``‖W‖∞ ≤ λmax``.)

    Args:
        module: a module with a square ``module.<name>`` of shape ``(n, n)`` (e.g.
            ``nn.Linear(n, n)``), or a stack ``(*, n, n)`` of blocks (guarantee per block).
        name: the tensor to parametrize.
        lam_min, lam_max: ``0 ≤ lam_min ≤ lam_max`` (equal values give fixed row sums).
        init: ``"project"`` (default) keeps the current weight's pattern: logits ``log|W_ij|`` and
            per-row damping equal to the row sums of ``|W|`` clamped to ``[λmin, λmax]``; a
            nonnegative W with row sums in range is reproduced (to rounding), others are mapped to
            ``|W|`` with clamped row sums. ``"random"``: fresh Gaussian ``A'``, ``M'``.
        generator: RNG for ``init="random"``.

    Returns:
        ``module``; originals ``parametrizations.<name>.original0`` (A'), ``original1`` (M').

    Raises:
        ValueError: a non-square weight (use :func:`spectral_svd`), ``lam_min < 0`` or
            ``lam_min > lam_max``, an already parametrized tensor, an unknown ``init``.

    Example:
        >>> import torch
        >>> from neurodyn.nn import parametrizations as P
        >>> lin = P.perron_frobenius(torch.nn.Linear(4, 4), lam_min=0.5, lam_max=0.9)
        >>> rho = torch.linalg.eigvals(lin.weight).abs().max()
        >>> bool(0.5 - 1e-5 <= rho <= 0.9 + 1e-5)
        True

    References:
        Drgoňa et al. 2022 (App. B, eq. 21); Tuor et al. (2020).
    """
    who = "perron_frobenius"
    W = weight_of(module, name, who)
    square(W, who, "the guarantee bounds an eigenvalue")
    check_finite(lam_min=lam_min, lam_max=lam_max)
    if not 0 <= lam_min <= lam_max:
        raise ValueError(
            f"perron_frobenius needs 0 ≤ lam_min ≤ lam_max, got lam_min={lam_min}, "
            f"lam_max={lam_max} (the Perron root of a nonnegative matrix is ≥ 0)."
        )
    return register(module, name, PerronFrobenius(lam_min, lam_max, init, generator))
