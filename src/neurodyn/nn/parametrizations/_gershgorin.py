"""Gershgorin-disc weights: every eigenvalue in the disc (center, radius)."""

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
from neurodyn.nn.parametrizations._proofs import allowance

__all__ = ["Gershgorin", "gershgorin"]


class Gershgorin(Parametrization):
    """Eigenvalues inside the disc (``center``, ``radius``) by the Gershgorin circle theorem.

    ``complex=True``: ``W = λI + r·M/max(1, ‖M‖∞)`` with ``M`` the original (any signs, diagonal
    included) and ``‖M‖∞`` its largest absolute row sum. Row i's Gershgorin disc has centre
    λ + r·M̂_ii and radius r·Σ_{j≠i}|M̂_ij|, so it lies in |z − λ| ≤ r·Σ_j|M̂_ij| ≤ r: every
    eigenvalue is in the disc (λ, r); they may be complex. Drgoňa et al. 2022, eq. 26 is the
    special case of a zero diagonal and every row sum exactly r — which in 2-D leaves only the
    signs free (W = ½[[1, ±1], [±1, 1]] for the range (0, 1), rank 1), so the trainable diagonal
    and row sums below r matter for the paper's own 2-D nets.

    ``complex=False`` (real variant): ``W = λI + r·N/max(1, ‖N‖∞)`` with ``N = (M + Mᵀ)/2``:
    W is symmetric (real spectrum) and ‖W − λI‖₂ ≤ r‖N̂‖∞ ≤ r, so the eigenvalues are real and
    in ``[λ − r, λ + r]``. Original: ``(M,)``, ``(*, n, n)`` (``‖·‖∞`` per block). A weight
    already in the set is reproduced exactly by ``init="project"`` (M = (W − λI)/r, symmetrised
    for the real variant).
    """

    name = "gershgorin"

    def __init__(
        self, center: float, radius: float, complex: bool = False,
        init: Init = "project", generator=None,
    ):  # fmt: skip
        super().__init__(init, generator)
        self.center, self.radius, self.complex = float(center), float(radius), bool(complex)

    def forward(self, M: Tensor) -> Tensor:
        N = M if self.complex else 0.5 * (M + M.mT)
        scale = N.abs().sum(dim=-1).amax(dim=-1, keepdim=True)[..., None].clamp_min(1.0)
        return self.center * eye_like(M) + self.radius * (N / scale)

    def _project(self, W: Tensor) -> tuple[Tensor]:
        eye = eye_like(W)
        M = (W - self.center * eye) / self.radius if self.radius > 0 else torch.zeros_like(W)
        return (M if self.complex else 0.5 * (M + M.mT),)

    def _random(self, W: Tensor) -> tuple[Tensor]:
        return (randn(W.shape, W, self.generator),)

    def _measure(self, W: Tensor, *originals: Tensor) -> Measurement:
        lam = eig(W)
        c, r = self.center, self.radius
        if self.complex:
            dist = (lam - c).abs()
            return Measurement(
                self.name, "eigenvalues (checked: |λ − center| ≤ radius)", lam, c - r, c + r,
                float(dist.max() - r), default_atol(W),
            )  # fmt: skip
        worst = max(violation(lam.real, c - r, c + r), float(lam.imag.abs().max()))
        return Measurement(
            self.name, "eigenvalues (checked: real, in [center − radius, center + radius])",
            lam, c - r, c + r, worst, default_atol(W),
        )  # fmt: skip

    def _proven(self, W: Tensor, *originals: Tensor) -> tuple[float, str]:
        Wd = W.detach().double()
        c, r, a = self.center, self.radius, allowance(Wd)
        if not self.complex and torch.equal(Wd, Wd.mT):  # exactly symmetric: real spectrum
            ev = torch.linalg.eigvalsh(Wd)
            # max with 0: the sub-condition Im λ = 0 holds exactly (as in ``_measure``)
            worst = max(c - r - float(ev.min()) + a, float(ev.max()) - c - r + a, 0.0)
            return worst, "W exactly symmetric; eigvalsh in float64 widened by its backward error"
        if not self.complex:  # the discs would bound |λ − c| only, not Im λ = 0
            return float("inf"), "W is not exactly symmetric: no proof of a real spectrum"
        d = torch.diagonal(Wd)
        radii = Wd.abs().sum(dim=-1) - d.abs()
        worst = float(((d - c).abs() + radii).max()) - r + a
        return worst, "Gershgorin discs of W itself (centre W_ii, radius Σ_j≠i |W_ij|), rounded up"

    def extra_repr(self) -> str:
        return f"center={self.center}, radius={self.radius}, complex={self.complex}"


def gershgorin(
    module: nn.Module, name: str = "weight", *, center: float, radius: float,
    complex: bool = False, init: Init = "project", generator: torch.Generator | None = None,
) -> nn.Module:  # fmt: skip
    """Constrain every eigenvalue of ``module.<name>`` to the disc (``center``, ``radius``).

    Implements Drgoňa et al. 2022, eq. 26 (App. D's "real" and "complex" variants) with a fully
    trainable pattern ``M`` (diagonal included); ``center`` λ and ``radius`` r are fixed. App. D's
    ranges ``(λmin, λmax)`` correspond to ``center = (λmin + λmax)/2``,
    ``radius = (λmax − λmin)/2``. With ``‖X‖∞ = max_i Σ_j |X_ij|`` (largest absolute row sum):

    * ``complex=True``: ``W = λI + r·M/max(1, ‖M‖∞)``. Row i's Gershgorin disc (centre
      ``W_ii``, radius ``Σ_{j≠i}|W_ij|``) lies inside ``|z − λ| ≤ r·Σ_j|M_ij|/max(1, ‖M‖∞) ≤ r``,
      so every eigenvalue is in the disc (λ, r); they may be complex. (The paper's eq. 26 is the
      special case of a zero diagonal with every row scaled to exactly r.)
    * ``complex=False`` (default, "real"): ``W = λI + r·N/max(1, ‖N‖∞)`` with ``N = (M + Mᵀ)/2``
      symmetric: eigenvalues are real, and ``‖W − λI‖₂ ≤ r`` puts them in ``[λ − r, λ + r]``.

    Args:
        module: a module with a square ``module.<name>``, ``(n, n)`` or a stack ``(*, n, n)``
            of blocks (``‖·‖∞`` and the guarantee per block).
        name: the tensor to parametrize.
        center: the disc centre λ (real).
        radius: the disc radius ``r ≥ 0``.
        complex: the complex variant (see above).
        init: ``"project"`` (default): ``M = (W − λI)/r`` (symmetrised for the real variant).
            A weight with ``‖M‖∞ ≤ 1`` is reproduced unchanged; any other is scaled about λI
            until its largest row ℓ1 norm ``‖W − λI‖∞`` is r (the diagonal is kept, not reset).
            ``"random"``: a standard Gaussian ``M`` of both signs.
        generator: RNG for ``init="random"``.

    Returns:
        ``module``; original ``(M,)`` of the weight's shape.

    Raises:
        ValueError: non-square weight, ``radius < 0``, non-finite values, bad ``init``.

    Example:
        >>> import torch
        >>> from neurodyn.nn import parametrizations as P
        >>> lin = P.gershgorin(torch.nn.Linear(5, 5), center=0.5, radius=0.4, complex=True)
        >>> bool(((torch.linalg.eigvals(lin.weight) - 0.5).abs() <= 0.4 + 1e-5).all())
        True

    References:
        Drgoňa et al. 2022 (App. B eq. 26, App. D); Varga, *Geršgorin and His Circles* (2004).
    """
    who = "gershgorin"
    W = weight_of(module, name, who)
    square(W, who, "Gershgorin discs bound eigenvalues")
    check_finite(center=center, radius=radius)
    if radius < 0:
        raise ValueError(f"gershgorin needs radius ≥ 0, got {radius}.")
    return register(module, name, Gershgorin(center, radius, complex, init, generator))
