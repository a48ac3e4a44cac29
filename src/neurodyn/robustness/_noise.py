"""Accuracy under random input noise (Erichson et al. 2021, Sec. 6.4, "Input perturbation
analysis", eq. 17–19, Fig. 3).

Two noise models, applied independently to every input entry ``x[b, t, f]`` (for a pixel
sequence: every pixel):

* Gaussian, ``x̃ = x + Δx`` with ``Δx ~ N(0, σ²)``, σ the level (the paper writes N(0, σ) and
  calls σ the standard deviation of "white noise"; we take σ as the std);
* salt and pepper (impulse noise), eq. 17–19: ``x̃ = x`` with probability ``1 − α``,
  ``x̃ = max`` with probability ``α/2`` and ``x̃ = min`` with probability ``α/2``, α the level and
  min / max the smallest and largest input value (of the dataset unless given). Eq. 17 reads
  "Pr(X = X) = 1 − α" in the extracted text; it is ``Pr(X̃(i, j) = X(i, j)) = 1 − α``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from neurodyn._core import json_float, register_result, tensor_from_json, tensor_to_json

__all__ = ["NOISE_KINDS", "NoiseCurve", "accuracy", "gaussian_noise", "noise_robustness",
           "salt_and_pepper"]  # fmt: skip

#: the noise models and their default levels (σ for Gaussian, α for salt and pepper)
NOISE_KINDS: dict[str, tuple[float, ...]] = {
    "gaussian": (0.0, 0.1, 0.2, 0.3, 0.4, 0.5),
    "salt_pepper": (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3),
}


def gaussian_noise(x: Tensor, std: float, *, generator: torch.Generator | None = None) -> Tensor:
    """``x + std·N(0, 1)`` entrywise (same shape and dtype as ``x``)."""
    noise = torch.randn(x.shape, generator=generator, dtype=torch.float64)
    return x + (std * noise).to(x.dtype)


def salt_and_pepper(
    x: Tensor, fraction: float, *, low: float, high: float, generator: torch.Generator | None = None
) -> Tensor:
    """Each entry replaced by ``low`` with probability α/2 and by ``high`` with probability α/2
    (Erichson et al. 2021, eq. 17–19), α = ``fraction`` ∈ [0, 1]."""
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"salt-and-pepper fraction must be in [0, 1], got {fraction}.")
    u = torch.rand(x.shape, generator=generator, dtype=torch.float64)
    out = torch.where(u < fraction / 2, torch.as_tensor(low, dtype=x.dtype), x)
    return torch.where((u >= fraction / 2) & (u < fraction), torch.as_tensor(high, dtype=x.dtype),
                       out)  # fmt: skip


@torch.no_grad()
def accuracy(model: nn.Module, x: Tensor, y: Tensor, *, batch_size: int = 512) -> float:
    """Fraction of ``argmax model(x) == y`` (model in eval mode, restored after)."""
    was = model.training
    model.eval()
    try:
        hits = sum(
            int((model(x[i : i + batch_size]).argmax(-1) == y[i : i + batch_size]).sum())
            for i in range(0, x.shape[0], batch_size)
        )
    finally:
        model.train(was)
    return hits / max(1, x.shape[0])


@register_result
@dataclass(frozen=True)
class NoiseCurve:
    """Test accuracy against the level of one noise model.

    Attributes:
        kind: ``"gaussian"`` (level σ, the std) or ``"salt_pepper"`` (level α, eq. 17–19).
        levels: ``(L,)`` float64 noise levels.
        accuracy: ``(draws, L)`` accuracy on the whole set for each noise draw and level.
        seed: seed of the draws (draw d at level l uses the generator seeded ``seed``, advanced
            through the previous draws); low, high: salt-and-pepper values (None for Gaussian);
        clipped: whether noisy inputs were clipped to [low, high].
    """

    kind: str
    levels: Tensor
    accuracy: Tensor
    seed: int
    low: float | None = None
    high: float | None = None
    clipped: bool = False

    @property
    def draws(self) -> int:
        return int(self.accuracy.shape[0])

    @property
    def mean(self) -> Tensor:
        """``(L,)`` mean accuracy over the draws."""
        return self.accuracy.mean(0)

    @property
    def stderr(self) -> Tensor:
        """``(L,)`` standard error over the noise draws (sample std / √draws; 0 for one draw).
        It is the spread over noise only: the test set is fixed."""
        if self.draws < 2:
            return torch.zeros_like(self.levels)
        return self.accuracy.std(0, correction=1) / math.sqrt(self.draws)

    def to_dict(self) -> dict:
        return {
            "result_type": "NoiseCurve",
            "kind": self.kind,
            "levels": tensor_to_json(self.levels),
            "accuracy": tensor_to_json(self.accuracy),
            "mean": [json_float(v) for v in self.mean.tolist()],
            "stderr": [json_float(v) for v in self.stderr.tolist()],
            "seed": self.seed,
            "low": self.low,
            "high": self.high,
            "clipped": self.clipped,
        }

    @classmethod
    def from_dict(cls, d: dict) -> NoiseCurve:
        """Inverse of :meth:`to_dict`."""
        return cls(d["kind"], tensor_from_json(d["levels"]), tensor_from_json(d["accuracy"]),
                   int(d["seed"]), d.get("low"), d.get("high"), bool(d.get("clipped")))  # fmt: skip

    def __repr__(self) -> str:
        pts = ", ".join(
            f"{lv:g}: {m:.3f}"
            for lv, m in zip(self.levels.tolist(), self.mean.tolist(), strict=True)
        )
        return f"NoiseCurve({self.kind}, {self.draws} draws; {pts})"  # fmt: skip


def noise_robustness(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    kind: str = "gaussian",
    levels: Sequence[float] | None = None,
    *,
    draws: int = 5,
    seed: int = 0,
    value_range: tuple[float, float] | None = None,
    clip: bool = False,
    batch_size: int = 512,
) -> NoiseCurve:
    """Accuracy of ``model`` on ``(x, y)`` under ``kind`` noise at each level, over ``draws``
    independent noise draws (Erichson et al. 2021, Sec. 6.4, Fig. 3).

    Args:
        x, y: ``(N, T, F)`` inputs and ``(N,)`` labels (a test split).
        kind: ``"gaussian"`` or ``"salt_pepper"``; levels: σ or α values (default
            :data:`NOISE_KINDS`).
        draws: noise draws per level (the mean ± s.e. is over them).
        value_range: (min, max) of valid inputs: the salt-and-pepper values and the clip range
            (default: ``x.min()``, ``x.max()``).
        clip: clip noisy inputs to ``value_range`` (the paper does not say it does; off).

    Example:
        >>> import torch
        >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(6, 2))
        >>> x, y = torch.rand(50, 3, 2), torch.randint(0, 2, (50,))
        >>> c = noise_robustness(model, x, y, "salt_pepper", [0.0, 0.5], draws=3)
        >>> c.accuracy.shape
        torch.Size([3, 2])
    """
    if kind not in NOISE_KINDS:
        raise ValueError(f"unknown noise kind {kind!r}; known: {', '.join(NOISE_KINDS)}.")
    if draws < 1:
        raise ValueError(f"draws={draws}: need at least one noise draw.")
    levels = torch.tensor(
        NOISE_KINDS[kind] if levels is None else list(levels), dtype=torch.float64
    )
    if (levels < 0).any():
        raise ValueError(f"noise levels must be ≥ 0, got {levels.tolist()}.")
    lo, hi = (float(x.min()), float(x.max())) if value_range is None else map(float, value_range)
    gen = torch.Generator().manual_seed(seed)
    acc = torch.empty(draws, len(levels), dtype=torch.float64)
    for d in range(draws):
        for j, lv in enumerate(levels.tolist()):
            if kind == "gaussian":
                xn = gaussian_noise(x, lv, generator=gen)
            else:
                xn = salt_and_pepper(x, lv, low=lo, high=hi, generator=gen)
            if clip:
                xn = xn.clamp(lo, hi)
            acc[d, j] = accuracy(model, xn, y, batch_size=batch_size)
    sp = kind == "salt_pepper"
    return NoiseCurve(kind, levels, acc, int(seed), lo if sp or clip else None,
                      hi if sp or clip else None, bool(clip))  # fmt: skip
