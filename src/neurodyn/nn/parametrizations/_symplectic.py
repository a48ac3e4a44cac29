"""The block form [[0, A], [−Aᵀ, 0]] ("symplectic", Drgoňa et al. 2022): imaginary spectrum."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from neurodyn.nn.parametrizations._base import Init, Parametrization, register, square, weight_of
from neurodyn.nn.parametrizations._factors import eig, randn
from neurodyn.nn.parametrizations._measurement import Measurement, default_atol, violation
from neurodyn.nn.parametrizations._proofs import numerical_range

__all__ = ["Symplectic", "symplectic"]


class Symplectic(Parametrization):
    """``W = [[0, A], [−Aᵀ, 0]]`` for even ``n = 2k`` (Drgoňa et al. 2022, eq. 25, named as there).

    W is skew-symmetric, so its eigenvalues are ``±i·σ_j(A)``: on the imaginary axis. (It is
    Hamiltonian only for symmetric A, and not a symplectic matrix; see docs/parametrizations.md.)
    Original: ``(A,)``, ``(*, k, k)``.
    """

    name = "symplectic"

    def __init__(self, init: Init = "project", generator=None):
        super().__init__(init, generator)

    def forward(self, A: Tensor) -> Tensor:
        Z = torch.zeros_like(A)
        return torch.cat([torch.cat([Z, A], dim=-1), torch.cat([-A.mT, Z], dim=-1)], dim=-2)

    def _project(self, W: Tensor) -> tuple[Tensor]:
        k = W.shape[-1] // 2
        return (0.5 * (W[..., :k, k:] - W[..., k:, :k].mT),)

    def _random(self, W: Tensor) -> tuple[Tensor]:
        k = W.shape[-1] // 2
        return (randn((*W.shape[:-2], k, k), W, self.generator, k**-0.5),)

    def _measure(self, W: Tensor, *originals: Tensor) -> Measurement:
        re = eig(W).real
        return Measurement(
            self.name, "real parts of eigenvalues", re, 0.0, 0.0, violation(re, 0.0, 0.0),
            default_atol(W),
        )  # fmt: skip

    def _proven(self, W: Tensor, *originals: Tensor) -> tuple[float, str]:
        lo, hi, a = numerical_range(W.detach())
        return max(-lo, hi) + a, (
            "numerical range: λmin(H) ≤ Re λ_i(W) ≤ λmax(H), H = (W + Wᵀ)/2 (Bendixson 1902), "
            "eigvalsh in float64 widened by its backward error"
        )


def symplectic(
    module: nn.Module, name: str = "weight", *, init: Init = "project",
    generator: torch.Generator | None = None,
) -> nn.Module:  # fmt: skip
    """Constrain ``module.<name>`` to ``[[0, A], [−Aᵀ, 0]]``: eigenvalues on the imaginary axis.

    Implements Drgoňa et al. 2022, eq. 25 under the paper's name. W is skew-symmetric, so its
    eigenvalues are ``±i·σ_j(A)``. The paper's claims that this is a symplectic matrix and that
    its dominant eigenvalue is 1 are wrong (see docs/parametrizations.md); the spectral radius is
    ``σmax(A)``.

    Args:
        module: a module with a square ``2k×2k`` ``module.<name>`` (or a ``(*, 2k, 2k)`` stack).
        name: the tensor to parametrize.
        init: ``"project"`` (default): nearest member in Frobenius norm,
            ``A = (W₁₂ − W₂₁ᵀ)/2`` (members unchanged). ``"random"``: Gaussian A, std ``k^-1/2``.
        generator: RNG for ``init="random"``.

    Returns:
        ``module``; original ``(A,)`` of shape ``k×k``.

    Raises:
        ValueError: a non-square or odd-sized weight.

    Example:
        >>> import torch
        >>> from neurodyn.nn import parametrizations as P
        >>> lin = P.symplectic(torch.nn.Linear(4, 4))
        >>> bool(torch.linalg.eigvals(lin.weight).real.abs().max() < 1e-5)
        True
    """
    who = "symplectic"
    W = weight_of(module, name, who)
    n = square(W, who, "the block form [[0, A], [−Aᵀ, 0]] is square")
    if n % 2:
        raise ValueError(
            f"symplectic needs an even size 2k (blocks [[0, A], [−Aᵀ, 0]] with A k×k), got {n}×{n}."
            " Use skew_symmetric(..., gamma=0) for odd sizes (also imaginary-axis eigenvalues)."
        )
    return register(module, name, Symplectic(init, generator))
