"""The experimental grid of Drgoňa et al., Spectral analysis, App. D, as plain ``nn.Sequential``
networks.

Axes (App. D): factorization × eigenvalue range × activation {ReLU, SELU, GELU, Tanh, Sigmoid,
Softplus} × depth {1, 4, 8} × bias {on, off}. Factorizations and ranges:

* Gershgorin disc, real spectrum — 7 ranges; Gershgorin disc, complex spectrum — 7 ranges;
  spectral (SVD) — 7 ranges; Perron–Frobenius — (1.00, 1.00) only; unstructured — none.

That is 7 + 7 + 7 + 1 + 1 = 23 weight configurations × 6 activations × 3 depths × 2 bias
settings = **828**, exactly the paper's "828 different models" (App. D).

A network of depth L is f = σ ∘ A_L ∘ ⋯ ∘ σ ∘ A_1 with A_i(x) = W_i x + b_i, every layer
``width × width`` and followed by the activation (the paper's 2-D nets are square at every
layer). The weights are drawn from the factorization's parametrization
(:mod:`neurodyn.nn.parametrizations`) and then *baked*: the returned network is a plain
``nn.Sequential`` of ``nn.Linear`` and activations, which any torch code and every neurodyn
analysis accepts. How an eigenvalue range (λmin, λmax) maps onto each factorization:

* Gershgorin: disc centre (λmin + λmax)/2, radius (λmax − λmin)/2 — every eigenvalue lies in
  the disc; the real variant keeps them on the real interval [λmin, λmax].
* spectral: singular values in [|λ|min, |λ|max]; for a negative range, W = −U Σ Vᵀ (the paper's
  eq. 23 would produce negative "singular values").
* Perron–Frobenius: Perron root in [λmin, λmax].
* unstructured: torch's default ``nn.Linear`` initialisation.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn.utils import parametrize

__all__ = [
    "ACTIVATIONS",
    "DEPTHS",
    "EIGEN_RANGES",
    "FACTORIZATIONS",
    "ZooConfig",
    "build",
    "grid",
]

EIGEN_RANGES: tuple[tuple[float, float], ...] = (
    (-1.50, -1.10),
    (0.00, 1.00),
    (0.99, 1.00),
    (0.99, 1.01),
    (0.99, 1.10),
    (1.00, 1.01),
    (1.10, 1.50),
)
FACTORIZATIONS: dict[str, tuple[tuple[float, float], ...] | tuple[None]] = {
    "gershgorin-real": EIGEN_RANGES,
    "gershgorin-complex": EIGEN_RANGES,
    "spectral": EIGEN_RANGES,
    "perron-frobenius": ((1.00, 1.00),),
    "unstructured": (None,),
}
ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "selu": nn.SELU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "softplus": nn.Softplus,
}
DEPTHS: tuple[int, ...] = (1, 4, 8)


@dataclass(frozen=True)
class ZooConfig:
    """One model of the grid.

    Attributes:
        factorization: a key of :data:`FACTORIZATIONS`.
        eig_range: (λmin, λmax), or None for unstructured weights.
        activation: a key of :data:`ACTIVATIONS`.
        depth: number of (Linear, activation) layers.
        bias: whether the linear layers have biases.
        width: state dimension n (2 for the phase-plane figures).
        seed: the generator seed of the weights (and biases).
    """

    factorization: str
    eig_range: tuple[float, float] | None
    activation: str
    depth: int
    bias: bool
    width: int = 2
    seed: int = 0

    def __post_init__(self) -> None:
        if self.factorization not in FACTORIZATIONS:
            raise ValueError(
                f"unknown factorization {self.factorization!r}; one of {list(FACTORIZATIONS)}."
            )
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {self.activation!r}; one of {list(ACTIVATIONS)}.")
        if self.depth < 1 or self.width < 1:
            raise ValueError(f"depth and width must be ≥ 1, got {self.depth}, {self.width}.")

    @property
    def name(self) -> str:
        rng = "none" if self.eig_range is None else f"{self.eig_range[0]:g}..{self.eig_range[1]:g}"
        return (
            f"{self.factorization}[{rng}]-{self.activation}-L{self.depth}-"
            f"{'bias' if self.bias else 'nobias'}-n{self.width}-s{self.seed}"
        )

    def to_dict(self) -> dict:
        return asdict(self)


def grid(width: int = 2, seed: int = 0) -> list[ZooConfig]:
    """Every configuration of Drgoňa et al., Spectral analysis, App. D (828 of them), in a fixed
    order."""
    return list(_iter_grid(width, seed))


def _iter_grid(width: int, seed: int) -> Iterator[ZooConfig]:
    for factorization, ranges in FACTORIZATIONS.items():
        for eig_range in ranges:
            for activation in ACTIVATIONS:
                for depth in DEPTHS:
                    for bias in (True, False):
                        yield ZooConfig(
                            factorization, eig_range, activation, depth, bias, width, seed
                        )


def _constrain(layer: nn.Linear, config: ZooConfig) -> None:
    from neurodyn.nn import parametrizations as P

    lo, hi = config.eig_range if config.eig_range is not None else (None, None)
    kind = config.factorization
    if kind.startswith("gershgorin"):
        P.gershgorin(
            layer,
            center=(lo + hi) / 2,
            radius=(hi - lo) / 2,
            complex=kind.endswith("complex"),
            init="random",
        )
    elif kind == "spectral":
        a, b = sorted((abs(lo), abs(hi)))
        P.spectral_svd(layer, sigma_min=a, sigma_max=b, init="random")
        if hi < 0:  # negative range: flip the sign, singular values unchanged
            parametrize.remove_parametrizations(layer, "weight", leave_parametrized=True)
            with torch.no_grad():
                layer.weight.neg_()
            return
    elif kind == "perron-frobenius":
        P.perron_frobenius(layer, lam_min=lo, lam_max=hi, init="random")
    else:
        return
    parametrize.remove_parametrizations(layer, "weight", leave_parametrized=True)


def build(config: ZooConfig, dtype: torch.dtype = torch.float64) -> nn.Sequential:
    """The network of ``config`` as a plain ``nn.Sequential`` (weights baked), in eval mode.

    Seeded: the same config always gives the same weights (``torch.manual_seed(config.seed)``
    is used inside a ``torch.random.fork_rng`` so the caller's RNG state is untouched).
    """
    layers: list[nn.Module] = []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        for _ in range(config.depth):
            lin = nn.Linear(config.width, config.width, bias=config.bias).to(dtype)
            _constrain(lin, config)
            layers += [lin, ACTIVATIONS[config.activation]()]
    return nn.Sequential(*layers).eval()
