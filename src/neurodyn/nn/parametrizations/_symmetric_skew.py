"""The symmetric-skew form A_{β,γ} of Lipschitz RNNs (Erichson et al. 2021, eq. 9)."""

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
from neurodyn.nn.parametrizations._factors import eig, eye_like, randn
from neurodyn.nn.parametrizations._measurement import Measurement, default_atol, violation
from neurodyn.nn.parametrizations._proofs import allowance, numerical_range

__all__ = ["SymmetricSkew", "symmetric_skew"]


class SymmetricSkew(Parametrization):
    """``W = (1−β)(M + Mᵀ) + β(M − Mᵀ) − γI`` (Erichson et al. 2021, eq. 9), β ∈ [0, 1].

    Guarantee (Erichson et al. 2021, Prop. 2, corrected): every eigenvalue satisfies
    ``(1−β)λ_min(M+Mᵀ) − γ ≤ Re λ_i(W) ≤ (1−β)λ_max(M+Mᵀ) − γ``; for β = 1, ``Re λ_i = −γ``.
    Original: ``(M,)``, ``(*, n, n)`` (bounds per block).
    """

    name = "symmetric_skew"

    def __init__(self, beta: float, gamma: float, init: Init = "project", generator=None):
        super().__init__(init, generator)
        self.beta, self.gamma = float(beta), float(gamma)

    def forward(self, M: Tensor) -> Tensor:
        Mt = M.mT
        return (1 - self.beta) * (M + Mt) + self.beta * (M - Mt) - self.gamma * eye_like(M)

    def _project(self, W: Tensor) -> tuple[Tensor]:
        S = 0.5 * (W + W.mT) + self.gamma * eye_like(W)  # = (1−β)(M + Mᵀ)
        K = 0.5 * (W - W.mT)  # = β(M − Mᵀ)
        M = torch.zeros_like(W)
        if self.beta < 1:
            M = M + S / (2 * (1 - self.beta))
        if self.beta > 0:
            M = M + K / (2 * self.beta)
        if not bool(torch.isfinite(M).all()) and bool(torch.isfinite(W).all()):
            raise ValueError(
                f"symmetric_skew: projecting this weight needs M = S/(2(1−β)) + K/(2β), which "
                f"overflows {W.dtype} for beta={self.beta}, gamma={self.gamma}; use a beta further "
                "from 0 and 1, float64, or init='random'."
            )
        return (M,)

    def _random(self, W: Tensor) -> tuple[Tensor]:
        return (randn(W.shape, W, self.generator, W.shape[-1] ** -0.5),)

    def bounds(self, M: Tensor) -> tuple[float, float]:
        """Prop. 2's bounds on ``Re λ_i(W)`` for the original ``M`` (one block)."""
        ev = torch.linalg.eigvalsh((M + M.mT).detach().double())
        return (
            (1 - self.beta) * float(ev.min()) - self.gamma,
            (1 - self.beta) * float(ev.max()) - self.gamma,
        )

    def _measure(self, W: Tensor, *originals: Tensor) -> Measurement:
        if len(originals) != 1:
            raise ValueError("symmetric_skew's bound depends on M: pass it, measure(W, M).")
        lo, hi = self.bounds(originals[0])
        re = eig(W).real
        return Measurement(
            self.name, "real parts of eigenvalues (bounds from M + Mᵀ, Erichson et al. 2021 "
            "Prop. 2)", re, lo, hi, violation(re, lo, hi), default_atol(W),
        )  # fmt: skip

    def _proven(self, W: Tensor, *originals: Tensor) -> tuple[float, str]:
        M = originals[0].detach().double()
        lo, hi = self.bounds(M)
        wlo, whi, a = numerical_range(W.detach())
        worst = max(lo - wlo, whi - hi) + a + allowance((1 - self.beta) * (M + M.mT))
        return worst, (
            "numerical range of W, H = (W + Wᵀ)/2 (Bendixson 1902), against Prop. 2's bounds "
            "from M + Mᵀ; both eigvalsh in float64 widened by their backward errors"
        )

    def extra_repr(self) -> str:
        return f"beta={self.beta}, gamma={self.gamma}"


def symmetric_skew(
    module: nn.Module, name: str = "weight", *, beta: float, gamma: float,
    init: Init = "project", generator: torch.Generator | None = None,
) -> nn.Module:  # fmt: skip
    """Constrain ``module.<name>`` to ``A_{β,γ} = (1−β)(M+Mᵀ) + β(M−Mᵀ) − γI``.

    Implements Erichson et al. 2021, eq. 9. Guarantee (their Prop. 2, stated correctly): for
    every eigenvalue, ``(1−β)λ_min(M+Mᵀ) − γ ≤ Re λ_i(W) ≤ (1−β)λ_max(M+Mᵀ) − γ`` (numerical
    range: ``Re v*Wv = (1−β) v*(M+Mᵀ)v − γ`` for unit v). The bound is relative to the current M;
    for ``β = 1`` it reads ``Re λ_i = −γ``.

    Args:
        module: a module with a square ``module.<name>``, ``(n, n)`` or a stack ``(*, n, n)`` of
            blocks (bounds per block).
        name: the tensor to parametrize.
        beta: ``0 ≤ β ≤ 1`` (the paper recommends [0.5, 1]).
        gamma: ``γ ≥ 0``.
        init: ``"project"`` (default): ``M = S/(2(1−β)) + K/(2β)`` from the symmetric part
            ``S = (W+Wᵀ)/2 + γI`` and skew part ``K = (W−Wᵀ)/2``, which reproduces any W for
            0 < β < 1; for β = 1 (β = 0) the symmetric (skew) part is replaced as the form
            requires. ``"random"``: Gaussian M with std ``n^-1/2``.
        generator: RNG for ``init="random"``.

    Returns:
        ``module``; original ``(M,)``.

    Raises:
        ValueError: non-square weight, β outside [0, 1], γ < 0, bad ``init``.

    Example:
        >>> import torch
        >>> from neurodyn.nn import parametrizations as P
        >>> lin = P.symmetric_skew(torch.nn.Linear(4, 4), beta=1.0, gamma=0.2)
        >>> torch.allclose(torch.linalg.eigvals(lin.weight).real, torch.tensor(-0.2), atol=1e-5)
        True

    References:
        Erichson et al. 2021 (eq. 9, Prop. 2).
    """
    who = "symmetric_skew"
    W = weight_of(module, name, who)
    square(W, who, "the guarantee is on eigenvalues")
    check_finite(beta=beta, gamma=gamma)
    if not 0 <= beta <= 1:
        raise ValueError(f"symmetric_skew needs 0 ≤ beta ≤ 1, got {beta}.")
    if gamma < 0:
        raise ValueError(f"symmetric_skew needs gamma ≥ 0 (a left shift), got {gamma}.")
    return register(module, name, SymmetricSkew(beta, gamma, init, generator))
