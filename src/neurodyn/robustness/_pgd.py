"""Projected gradient descent attacks in ℓ2 and ℓ∞ (Madry et al. 2018), as Erichson et al.
2021, Sec. 6.4, eq. 20 and Table 3 use them: ``max_{‖Δx‖_p ≤ r} ℓ(F(x + Δx), y)`` with 7
iterations of step size 0.01.

One iteration (per example; δ = x_adv − x):

* ℓ∞: ``δ ← clamp(δ + a·sign(∇ₓℓ), −ε, ε)``;
* ℓ2: ``δ ← Π_ε(δ + a·∇ₓℓ/‖∇ₓℓ‖₂)`` with ``Π_ε(δ) = δ·min(1, ε/‖δ‖₂)`` (norms over all of one
  sequence's T·F entries);

then ``x_adv = clamp(x + δ, low, high)`` when a valid range is given. Clipping after the
projection keeps δ in the ball: for x inside the range, clipping only shrinks each |δ_i|.

Written with ``torch.autograd`` rather than torchattacks: torchattacks requires torchvision,
whose wheel replaces the CPU torch build with a 4.6 GB CUDA one unless installed ``--no-deps``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from neurodyn._core import json_float, register_result

__all__ = ["PGDResult", "pgd_attack", "pgd_robustness"]

NORMS = ("linf", "l2")


def _check(norm: str, eps: float, step: float, steps: int) -> None:
    if norm not in NORMS:
        raise ValueError(f"PGD norm must be 'linf' or 'l2', got {norm!r}.")
    if not eps > 0 or not step > 0 or steps < 1:
        raise ValueError(f"PGD needs eps > 0, step > 0 and steps ≥ 1, got {eps}, {step}, {steps}.")


def _per_example_norm(t: Tensor) -> Tensor:
    return t.flatten(1).norm(dim=1).reshape(-1, *([1] * (t.dim() - 1)))


def attack_label(attack: str, norm: str, eps: float) -> str:
    """The Table-3 column name of an attack: ``"PGD-ℓ∞ ε=0.05"``, ``"DF-ℓ2 ε=0.05"``."""
    return f"{attack}-{'ℓ∞' if norm == 'linf' else 'ℓ2'} ε={eps:g}"


def _project(delta: Tensor, norm: str, eps: float) -> Tensor:
    """``delta`` onto the ε-ball of ``norm`` per example (ℓ∞: clamp; ℓ2: rescale)."""
    if norm == "linf":
        return delta.clamp(-eps, eps)
    n = _per_example_norm(delta)
    return delta * torch.clamp(eps / n.clamp_min(torch.finfo(delta.dtype).tiny), max=1.0)


def pgd_attack(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    *,
    norm: str = "linf",
    eps: float = 0.05,
    step: float = 0.01,
    steps: int = 7,
    random_start: bool = False,
    clip: tuple[float, float] | None = (0.0, 1.0),
    seed: int = 0,
    loss_fn=nn.functional.cross_entropy,
) -> tuple[Tensor, list[float]]:
    """Untargeted PGD adversarial examples for ``(x, y)`` (module docstring for the update).

    Args:
        model: ``model(x (B, ...)) -> logits (B, C)``; run in eval mode (restored after); its
            parameters' ``.grad`` are not touched.
        norm: ``"linf"`` or ``"l2"``; eps: the radius r of the ball (eq. 20).
        step, steps: step size a and iterations (Erichson et al. 2021: 0.01 and 7).
        random_start: start from a uniform point of the ball (ℓ∞: uniform in the cube; ℓ2:
            uniform in the ball) instead of x.
        clip: (low, high) valid input range (digits in [0, 1]); None for no clipping.
        seed: seeds the random start.

    Returns:
        ``(x_adv, losses)``: ``x_adv`` with ``‖x_adv − x‖_p ≤ eps`` per example (up to float
        rounding of the subtraction, ≤ √(T·F)·u·max|x| with u the unit roundoff) and
        ``losses``, the mean loss before each step and after the last (steps + 1 values).
    """
    _check(norm, eps, step, steps)
    was = model.training
    model.eval()
    x = x.detach()
    delta = torch.zeros_like(x)
    if random_start:
        gen = torch.Generator().manual_seed(seed)
        if norm == "linf":
            delta = (torch.rand(x.shape, generator=gen, dtype=torch.float64) * 2 - 1) * eps
        else:
            g = torch.randn(x.shape, generator=gen, dtype=torch.float64)
            d = g[0].numel()
            r = torch.rand(x.shape[0], generator=gen, dtype=torch.float64) ** (1.0 / d) * eps
            delta = g / _per_example_norm(g) * r.reshape(-1, *([1] * (x.dim() - 1)))
        delta = _project(delta.to(x.dtype), norm, eps)
    x_adv = x + delta if clip is None else (x + delta).clamp(*clip)
    losses = []
    try:
        for _ in range(steps):
            x_adv = x_adv.detach().requires_grad_(True)
            loss = loss_fn(model(x_adv), y, reduction="none")
            losses.append(float(loss.detach().mean()))
            (g,) = torch.autograd.grad(loss.sum(), x_adv)
            if norm == "linf":
                move = g.sign()
            else:
                move = g / _per_example_norm(g).clamp_min(torch.finfo(g.dtype).tiny)
            delta = _project(x_adv.detach() + step * move - x, norm, eps)
            x_adv = x + delta if clip is None else (x + delta).clamp(*clip)
        with torch.no_grad():
            losses.append(float(loss_fn(model(x_adv), y)))
    finally:
        model.train(was)
    return x_adv.detach(), losses


@register_result
@dataclass(frozen=True)
class PGDResult:
    """Accuracy under a PGD attack (Erichson et al. 2021, Table 3, column PGD).

    Attributes:
        norm, eps, step, steps, random_start, clip: the attack (:func:`pgd_attack`).
        n: examples attacked; clean_accuracy, accuracy: before / under the attack;
        clean_loss, loss: mean cross-entropy before / after.
    """

    norm: str
    eps: float
    step: float
    steps: int
    random_start: bool
    clip: tuple[float, float] | None
    n: int
    clean_accuracy: float
    accuracy: float
    clean_loss: float
    loss: float

    @property
    def label(self) -> str:
        return attack_label("PGD", self.norm, self.eps)

    def to_dict(self) -> dict:
        return {
            "result_type": "PGDResult",
            "norm": self.norm,
            "eps": self.eps,
            "step": self.step,
            "steps": self.steps,
            "random_start": self.random_start,
            "clip": None if self.clip is None else list(self.clip),
            "n": self.n,
            "clean_accuracy": json_float(self.clean_accuracy),
            "accuracy": json_float(self.accuracy),
            "clean_loss": json_float(self.clean_loss),
            "loss": json_float(self.loss),
        }

    @classmethod
    def from_dict(cls, d: dict) -> PGDResult:
        """Inverse of :meth:`to_dict`."""
        from neurodyn._core import from_json_float

        f = {k: float(from_json_float(d[k])) for k in ("clean_accuracy", "accuracy",
                                                      "clean_loss", "loss")}  # fmt: skip
        clip = None if d.get("clip") is None else tuple(d["clip"])
        return cls(d["norm"], float(d["eps"]), float(d["step"]), int(d["steps"]),
                   bool(d["random_start"]), clip, int(d["n"]), **f)  # fmt: skip


def pgd_robustness(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    *,
    norm: str = "linf",
    eps: float = 0.05,
    step: float = 0.01,
    steps: int = 7,
    random_start: bool = False,
    clip: tuple[float, float] | None = (0.0, 1.0),
    seed: int = 0,
    batch_size: int = 256,
) -> PGDResult:
    """Clean and adversarial accuracy and loss of ``model`` on ``(x, y)`` under
    :func:`pgd_attack` (same arguments), in batches of ``batch_size``.

    Example:
        >>> import torch
        >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(6, 2))
        >>> x, y = torch.rand(20, 3, 2), torch.randint(0, 2, (20,))
        >>> r = pgd_robustness(model, x, y, norm="l2", eps=0.05)
        >>> r.loss >= r.clean_loss
        True
    """
    _check(norm, eps, step, steps)
    hits = hits0 = 0
    loss_sum = loss0_sum = 0.0
    was = model.training
    model.eval()
    try:
        for i in range(0, x.shape[0], batch_size):
            xb, yb = x[i : i + batch_size], y[i : i + batch_size]
            xa, _ = pgd_attack(model, xb, yb, norm=norm, eps=eps, step=step, steps=steps,
                               random_start=random_start, clip=clip, seed=seed + i)  # fmt: skip
            with torch.no_grad():
                for xs, is_adv in ((xb, False), (xa, True)):
                    out = model(xs)
                    h = int((out.argmax(-1) == yb).sum())
                    ls = float(nn.functional.cross_entropy(out, yb, reduction="sum"))
                    if is_adv:
                        hits, loss_sum = hits + h, loss_sum + ls
                    else:
                        hits0, loss0_sum = hits0 + h, loss0_sum + ls
    finally:
        model.train(was)
    n = int(x.shape[0])
    clip_t = None if clip is None else (float(clip[0]), float(clip[1]))
    return PGDResult(norm, float(eps), float(step), int(steps), bool(random_start), clip_t, n,
                     hits0 / n, hits / n, loss0_sum / n, loss_sum / n)  # fmt: skip
