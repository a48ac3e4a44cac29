"""The affine pieces of each piecewise-linear activation, unit by unit.

A piecewise-linear σ with breakpoints β₁ < … < β_K is σ(z) = s_p z + c_p on piece p, the
interval (β_p, β_{p+1}) (β₀ = −∞, β_{K+1} = +∞). At a breakpoint itself the unit is assigned
the piece autograd's derivative selects there (ReLU'(0) = 0 → the off piece; Hardtanh'(hi) = 0 →
the saturated piece), the convention :func:`neurodyn.pwa.activation_pattern` uses, so a point on
a region boundary gets the same pattern from both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from neurodyn.activations import ActivationSpec

__all__ = ["PieceTable", "piece_table"]


@dataclass(frozen=True)
class PieceTable:
    """Pieces of one activation layer of ``width`` units (float64 numpy).

    Attributes:
        breakpoints: ``(width, K)`` increasing per unit; +inf marks a breakpoint that is not one
            for that unit (its two pieces coincide, e.g. a PReLU channel with slope 1).
        slopes, intercepts: ``(width, K + 1)``, σ(z) = slopes[u, p]·z + intercepts[u, p].
        tie_right: ``(width, K)`` True where z = β belongs to the piece on its right.
        through_sigma0: every piece passes through (0, σ(0)), so Λ(z) = (σ(z) − σ(0))/z is the
            piece's slope and A*(x) is constant on each linear region (ReLU, LeakyReLU, PReLU,
            RReLU, Hardshrink); False for Hardtanh, ReLU6, Hardsigmoid, Softshrink.
        name: the activation's name.
    """

    breakpoints: np.ndarray
    slopes: np.ndarray
    intercepts: np.ndarray
    tie_right: np.ndarray
    through_sigma0: bool
    name: str

    @property
    def pieces(self) -> int:
        return self.slopes.shape[1]

    def index(self, z: np.ndarray) -> np.ndarray:
        """Piece of each unit at pre-activations ``z`` ``(B, width)`` → ``(B, width)`` int."""
        bp = self.breakpoints[None]
        right = np.where(self.tie_right[None], z[..., None] >= bp, z[..., None] > bp)
        return right.sum(axis=-1)


def _raw(spec: ActivationSpec) -> tuple[list[float], list[float], list[float], bool]:
    """(breakpoints, slopes, intercepts, discontinuous-ok) for a scalar activation, or raise."""
    m = spec.module
    name = spec.name
    if isinstance(m, nn.ReLU):
        return [0.0], [0.0, 1.0], [0.0, 0.0], False
    if isinstance(m, nn.LeakyReLU):
        a = float(m.negative_slope)
        return [0.0], [a, 1.0], [0.0, 0.0], False
    if isinstance(m, nn.RReLU):
        a = (float(m.lower) + float(m.upper)) / 2
        return [0.0], [a, 1.0], [0.0, 0.0], False
    if isinstance(m, nn.Hardtanh):  # also ReLU6
        lo, hi = float(m.min_val), float(m.max_val)
        return [lo, hi], [0.0, 1.0, 0.0], [lo, 0.0, hi], False
    if isinstance(m, nn.Hardsigmoid):
        return [-3.0, 3.0], [0.0, 1.0 / 6.0, 0.0], [0.0, 0.5, 1.0], False
    if isinstance(m, nn.Softshrink):
        lam = float(m.lambd)
        return [-lam, lam], [1.0, 0.0, 1.0], [lam, 0.0, -lam], False
    if isinstance(m, nn.Hardshrink):
        lam = float(m.lambd)
        return [-lam, lam], [1.0, 0.0, 1.0], [0.0, 0.0, 0.0], True
    raise ValueError(
        f"{name} is not piecewise linear, so the network has no finite set of linear regions "
        "(A*(x) varies continuously with x). Piecewise-linear activations: ReLU, LeakyReLU, "
        "PReLU, RReLU, Hardtanh, ReLU6, Hardsigmoid, Softshrink, Hardshrink."
    )


def piece_table(spec: ActivationSpec, width: int) -> PieceTable:
    """The :class:`PieceTable` of ``spec`` applied to ``width`` units.

    Raises:
        ValueError: ``spec`` is not piecewise linear (smooth activations have no linear regions).
    """
    m = spec.module
    if isinstance(m, nn.PReLU):
        w = m.weight.detach().double().cpu().numpy().reshape(-1)
        a = np.broadcast_to(w, (width,)).copy()
        bp = np.zeros((width, 1))
        slopes = np.stack([a, np.ones(width)], axis=1)
        inter = np.zeros((width, 2))
    else:
        b, s, c, _ = _raw(spec)
        bp = np.tile(np.asarray(b, dtype=np.float64), (width, 1))
        slopes = np.tile(np.asarray(s, dtype=np.float64), (width, 1))
        inter = np.tile(np.asarray(c, dtype=np.float64), (width, 1))
    k = bp.shape[1]
    # merge pieces that coincide (LeakyReLU(1.0), a PReLU channel with slope 1): β → +inf
    same = (slopes[:, :-1] == slopes[:, 1:]) & (inter[:, :-1] == inter[:, 1:])
    bp = np.where(same, np.inf, bp)
    # tie side: the piece whose slope autograd reports at z = β exactly
    tie_right = np.zeros((width, k), dtype=bool)
    for j in range(k):
        z = torch.as_tensor(np.where(np.isfinite(bp[:, j]), bp[:, j], 0.0)).reshape(1, width)
        _, d = spec.value_and_derivative(z.to(_module_dtype(m)))
        d = d.double().numpy().reshape(width)
        left, right = slopes[:, j], slopes[:, j + 1]
        tie_right[:, j] = np.abs(d - right) < np.abs(d - left)
    s0 = spec.sigma0
    s0 = s0.detach().double().cpu().numpy() if isinstance(s0, torch.Tensor) else float(s0)
    through = bool(np.all(np.abs(inter - np.broadcast_to(np.asarray(s0), (width,))[:, None]) == 0))
    return PieceTable(bp, slopes, inter, tie_right, through, spec.name)


def _module_dtype(m: nn.Module) -> torch.dtype:
    for p in m.parameters():
        return p.dtype
    return torch.float64
