"""Skew-symmetric weights with damping: every eigenvalue has real part exactly −γ."""

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
from neurodyn.nn.parametrizations._factors import eig, eye_like, randn, skew
from neurodyn.nn.parametrizations._measurement import Measurement, default_atol, violation
from neurodyn.nn.parametrizations._proofs import numerical_range

__all__ = ["SkewSymmetric", "skew_symmetric"]


class SkewSymmetric(Parametrization):
    """``W = L − Lᵀ − γI``, ``L`` strictly lower triangular (Drgoňa et al. 2022, eq. 24).

    ``L − Lᵀ`` is skew-symmetric (exactly, also in floating point), so every eigenvalue of W has
    real part exactly ``−γ``. Original: ``(X,)``, ``(*, n, n)`` (its upper triangle and diagonal
    are unused and receive zero gradient).
    """

    name = "skew_symmetric"

    def __init__(self, gamma: float, init: Init = "project", generator=None):
        super().__init__(init, generator)
        self.gamma = float(gamma)

    def forward(self, X: Tensor) -> Tensor:
        return skew(torch.tril(X, -1)) - self.gamma * eye_like(X)

    def _project(self, W: Tensor) -> tuple[Tensor]:
        return (torch.tril(0.5 * skew(W), -1),)

    def _random(self, W: Tensor) -> tuple[Tensor]:
        return (randn(W.shape, W, self.generator, W.shape[-1] ** -0.5),)

    def _measure(self, W: Tensor, *originals: Tensor) -> Measurement:
        re = eig(W).real
        g = -self.gamma
        return Measurement(
            self.name, "real parts of eigenvalues", re, g, g, violation(re, g, g), default_atol(W)
        )

    def _proven(self, W: Tensor, *originals: Tensor) -> tuple[float, str]:
        lo, hi, a = numerical_range(W.detach())
        return max(-self.gamma - lo, hi + self.gamma) + a, (
            "numerical range: λmin(H) ≤ Re λ_i(W) ≤ λmax(H), H = (W + Wᵀ)/2 (Bendixson 1902), "
            "eigvalsh in float64 widened by its backward error"
        )

    def extra_repr(self) -> str:
        return f"gamma={self.gamma}"


def skew_symmetric(
    module: nn.Module, name: str = "weight", *, gamma: float, init: Init = "project",
    generator: torch.Generator | None = None,
) -> nn.Module:  # fmt: skip
    """Constrain ``module.<name>`` to ``L − Lᵀ − γI``: every eigenvalue has real part ``−γ``.

    Implements Drgoňa et al. 2022, eq. 24 (Haber & Ruthotto 2017), ``L`` strictly lower
    triangular.

    Args:
        module: a module with a square ``module.<name>``, ``(n, n)`` or a stack ``(*, n, n)`` of
            blocks (guarantee per block).
        name: the tensor to parametrize.
        gamma: the damping (any finite real; ``γ > 0`` makes ``ẋ = Wx`` asymptotically stable).
        init: ``"project"`` (default): the nearest member in Frobenius norm, i.e. the skew part
            ``(W − Wᵀ)/2`` kept and the symmetric part replaced by ``−γI`` (members unchanged).
            ``"random"``: Gaussian L with std ``n^-1/2``.
        generator: RNG for ``init="random"``.

    Returns:
        ``module``; original ``(X,)`` whose strict lower triangle is L.

    Raises:
        ValueError: non-square weight, non-finite gamma, bad ``init``.

    Example:
        >>> import torch
        >>> from neurodyn.nn import parametrizations as P
        >>> lin = P.skew_symmetric(torch.nn.Linear(4, 4), gamma=0.1)
        >>> torch.allclose(torch.linalg.eigvals(lin.weight).real, torch.tensor(-0.1), atol=1e-5)
        True
    """
    who = "skew_symmetric"
    W = weight_of(module, name, who)
    square(W, who, "the guarantee is on eigenvalues")
    check_finite(gamma=gamma)
    return register(module, name, SkewSymmetric(gamma, init, generator))
