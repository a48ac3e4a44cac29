"""``CONSTRAINTS``: the registry of guaranteed constraints the conformance suite runs over."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import nn

from neurodyn.nn.parametrizations._contracting_svd import contracting_svd
from neurodyn.nn.parametrizations._gershgorin import gershgorin
from neurodyn.nn.parametrizations._perron_frobenius import perron_frobenius
from neurodyn.nn.parametrizations._skew_symmetric import skew_symmetric
from neurodyn.nn.parametrizations._spectral_svd import spectral_svd
from neurodyn.nn.parametrizations._symmetric_skew import symmetric_skew
from neurodyn.nn.parametrizations._symplectic import symplectic

__all__ = ["CONSTRAINTS", "ConstraintSpec"]


@dataclass(frozen=True)
class ConstraintSpec:
    """One guaranteed constraint: its registrar and what it accepts.

    Attributes:
        name: registry key (the registrar's name).
        registrar: ``fn(module, name="weight", **hyper)``.
        shapes: ``"any"``, ``"square"`` or ``"even square"`` — other shapes raise ValueError.
        guarantee: one line, as in docs/parametrizations.md.
        batched: whether a stack ``(*, m, n)`` of blocks is accepted (guarantee per block).
    """

    name: str
    registrar: Callable[..., nn.Module]
    shapes: str
    guarantee: str
    batched: bool = True

    def accepts(self, m: int, n: int) -> bool:
        """Whether a weight (block) of shape ``(m, n)`` is accepted."""
        if self.shapes == "any":
            return True
        if self.shapes == "square":
            return m == n
        return m == n and m % 2 == 0


CONSTRAINTS: dict[str, ConstraintSpec] = {
    s.name: s
    for s in (
        ConstraintSpec("perron_frobenius", perron_frobenius, "square",
                       "W ≥ 0, row sums and Perron root ρ(W) in [λmin, λmax]"),
        ConstraintSpec("spectral_svd", spectral_svd, "any",
                       "singular values in [σmin, σmax]"),
        ConstraintSpec("skew_symmetric", skew_symmetric, "square",
                       "Re λ_i(W) = −γ"),
        ConstraintSpec("symplectic", symplectic, "even square",
                       "Re λ_i(W) = 0"),
        ConstraintSpec("gershgorin", gershgorin, "square",
                       "|λ_i − center| ≤ radius (real variant: λ_i real)"),
        ConstraintSpec("symmetric_skew", symmetric_skew, "square",
                       "(1−β)λmin(M+Mᵀ) − γ ≤ Re λ_i(W) ≤ (1−β)λmax(M+Mᵀ) − γ"),
        ConstraintSpec("contracting_svd", contracting_svd, "square",
                       "‖ΦWΦ⁻¹‖₂ < 1/g ⇔ g²WᵀΦ²W − Φ² ≺ 0"),
    )
}  # fmt: skip
