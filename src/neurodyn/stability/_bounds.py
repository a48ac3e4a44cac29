"""Per-layer norms and activation bounds of a parsed network, rounded up to be proofs.

Shared by the norm-product, Corollary 4, Lipschitz and Theorem 6 certificates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from neurodyn.pwa import walk

__all__ = ["LayerBounds", "layer_bounds", "norm2_upper", "product_upper"]

# Rounding allowance for a computed spectral norm. LAPACK's SVD is backward stable: the computed
# σ̂ are the exact singular values of W + E with ‖E‖₂ ≤ p(m, n)·eps·‖W‖₂ and p a modest
# polynomial, so (Weyl) |σ̂ − σ| ≤ p·eps·‖W‖₂. We take p = 8·max(m, n) — the usual working
# constant, far above the errors seen in practice — and certify with σ̂·(1 + p·eps), so a margin
# smaller than the rounding of the SVD never becomes a "proof".
_EPS64 = float(torch.finfo(torch.float64).eps)

#: The assumptions every norm-based proof rests on.
NORM_ASSUMPTIONS = (
    "f is the network as parsed (weights as they are now), in exact arithmetic",
    "activation bounds sup|Λ| as derived in docs/activations.md",
    "computed spectral norms are within 8·max(m, n)·eps₆₄ of the true ones (backward-stable "
    "SVD); the bounds use them rounded up by that much",
)


def norm2_upper(computed: float, shape) -> float:
    """An upper bound on ‖W‖₂ from the computed value (see the allowance above)."""
    return computed * (1.0 + 8.0 * max(shape) * _EPS64)


def product_upper(xs) -> float:
    """∏ xs, rounded up by a relative (len(xs) + 1)·eps (each float multiply errs by ≤ eps/2)."""
    xs = list(xs)
    out = 1.0
    for x in xs:
        out *= x
    return out * (1.0 + (len(xs) + 1) * _EPS64)


@dataclass(frozen=True)
class LayerBounds:
    """What the norm-based certificates need, layer by layer.

    Attributes:
        weights: one dict per affine layer: layer, shape, norm2 (rounded up), norm2_computed,
            spectral_radius (None if not square), bias_norm.
        activations: one dict per activation: layer, activation, sigma0 (max |σ(0)|),
            lambda_bound, lipschitz_bound.
        beta: an upper bound on sup_x ‖b*(x)‖₂, by β_{i+1} = ‖W_i‖₂ β_i + ‖b_i‖ after an affine
            layer and β ← sup|Λ|·β + max|σ(0)|·√width after an activation.
    """

    weights: list[dict]
    activations: list[dict]
    beta: float

    @property
    def norms(self) -> list[float]:
        return [w["norm2"] for w in self.weights]

    @property
    def lambda_bounds(self) -> list[float]:
        return [a["lambda_bound"] for a in self.activations]

    @property
    def lipschitz_bounds(self) -> list[float]:
        return [a["lipschitz_bound"] for a in self.activations]

    @property
    def spectral_radii(self) -> list[float | None]:
        return [w["spectral_radius"] for w in self.weights]


def layer_bounds(layers) -> LayerBounds:
    """Per-layer 2-norms, spectral radii and activation bounds, and the bias bound β."""
    weights, acts = [], []
    beta = 0.0  # running bound on sup ‖c‖₂, the offset of the current hidden state
    for step in walk(layers):
        if (layer := step.affine) is not None:
            w = layer.weight.detach().double()
            computed = float(torch.linalg.matrix_norm(w, ord=2))
            nrm = norm2_upper(computed, w.shape)
            square = w.shape[0] == w.shape[1]
            rho = float(torch.linalg.eigvals(w).abs().max()) if square else None
            bias_norm = 0.0 if layer.bias is None else float(layer.bias.detach().double().norm())
            weights.append(
                {
                    "layer": layer.source,
                    "shape": list(w.shape),
                    "norm2": nrm,
                    "norm2_computed": computed,
                    "spectral_radius": rho,
                    "bias_norm": bias_norm,
                }
            )
            beta = nrm * beta + bias_norm
        else:
            layer = step.activation
            spec = layer.spec
            s0 = spec.sigma0
            s0_max = float(s0.abs().max()) if isinstance(s0, Tensor) else abs(float(s0))
            acts.append(
                {
                    "layer": layer.source,
                    "activation": spec.name,
                    "sigma0": s0_max,
                    "lambda_bound": spec.lambda_bound,
                    "lipschitz_bound": spec.lipschitz_bound,
                }
            )
            beta = spec.lambda_bound * beta + s0_max * math.sqrt(step.width_in)
    return LayerBounds(weights, acts, beta)
