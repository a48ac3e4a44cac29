"""Gradient flossing (Engelken 2023, "Gradient flossing: improving gradient descent through
dynamic control of Jacobians", NeurIPS): push the first k Lyapunov exponents of a recurrent
network toward a target (zero by default) by gradient descent on

    L_floss = w · Σ_{i=1..k} (λ_i − λ*_i)²

with λ_i from the QR iteration of the tangent dynamics along the network's own trajectories,
differentiated through the QR (:func:`~neurodyn.lyapunov.lyapunov_spectrum` with
``differentiable=True``). Exponents near zero keep the long-term Jacobian well conditioned, so
errors propagate back over long delays without exploding or vanishing.

:func:`~neurodyn.train.fit` floss options (:class:`Floss`): ``before`` flossing-only updates
before training (the paper's "flossing before training"), and ``every``: the exponent loss added
to the task loss on every ``every``-th batch during training ("flossing during training").
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import torch
from torch import Tensor, nn

__all__ = ["Floss", "floss_before_training", "floss_loss", "resolve_floss"]


@dataclass(frozen=True)
class Floss:
    """What gradient flossing does in :func:`~neurodyn.train.fit` (Engelken 2023).

    ``before`` flossing-only updates (a fresh optimizer of fit's kind and lr) run before epoch
    0's evaluation; during training ``weight · Σ(λ_i − target_i)²`` is added to the task loss
    on every ``every``-th batch, its exponents from that batch's first ``sequences`` rows. The
    history gets ``floss_loss`` and ``floss_exponents`` (the epoch's mean; at epoch 0 after the
    pre-training flossing, with ``floss_initial`` before it).

    Attributes:
        k: number of leading exponents pushed (the paper floss 1 to all N of them).
        weight: w, the weight of the exponent loss (added to the task loss during training).
        target: λ* (nats per unit time of the Map, as ``lyapunov_spectrum`` reports): one value
            for all k, or k values.
        before: flossing-only optimizer steps before the first epoch (0: none).
        every: during training, add the exponent loss on every ``every``-th batch (None: not
            during training).
        steps: sequence length the spectrum is computed over (the first ``steps`` steps of
            the batch; None: the whole sequence).
        sequences: batch rows the spectrum is averaged over (the first rows of the batch).
        grad_steps: truncate the exponents' gradient to the last ``grad_steps`` steps (None:
            exact; see ``lyapunov_spectrum``).
    """

    k: int = 1
    weight: float = 1.0
    target: float | tuple[float, ...] = 0.0
    before: int = 0
    every: int | None = 10
    steps: int | None = None
    sequences: int = 16
    grad_steps: int | None = None

    def __post_init__(self):
        def positive_int(name, allow_none=False, allow_zero=False):
            v = getattr(self, name)
            if v is None and allow_none:
                return
            low = 0 if allow_zero else 1
            if isinstance(v, bool) or not isinstance(v, int) or v < low:
                what = "a non-negative" if allow_zero else "a positive"
                none = " or None" if allow_none else ""
                raise ValueError(f"floss: {name} must be {what} int{none}, got {v!r}.")

        positive_int("k")
        positive_int("before", allow_zero=True)
        positive_int("every", allow_none=True)
        positive_int("steps", allow_none=True)
        positive_int("sequences")
        positive_int("grad_steps", allow_none=True)
        if not (isinstance(self.weight, int | float) and self.weight > 0):
            raise ValueError(f"floss: weight must be > 0, got {self.weight!r}.")
        target = self.target
        if isinstance(target, list | tuple):
            if len(target) != self.k:
                raise ValueError(
                    f"floss: target has {len(target)} values but k = {self.k}; give one value "
                    "or k values."
                )
            object.__setattr__(self, "target", tuple(float(t) for t in target))
        elif isinstance(target, int | float):
            object.__setattr__(self, "target", float(target))
        else:
            raise TypeError(f"floss: target must be a number or k numbers, got {target!r}.")
        if self.before == 0 and self.every is None:
            raise ValueError("floss: before = 0 and every = None floss nothing; set one.")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["target"] = list(self.target) if isinstance(self.target, tuple) else self.target
        return d


def resolve_floss(floss, model: nn.Module | None = None) -> Floss | None:
    """None, an int k (:class:`Floss` ``(k=k)``: every 10th batch, no pre-training), a dict of
    :class:`Floss` fields, or a :class:`Floss`. With ``model``, a k above its body's state
    dimension is refused here, once, before any work (:func:`floss_loss` does not re-check it
    at every flossing step: that would build the body's Map each time)."""
    fl = _resolve(floss)
    if fl is not None and model is not None:
        from neurodyn.systems import complete_map

        n = complete_map(_body(model)).tangent_dim
        if fl.k > n:
            raise ValueError(f"floss: k = {fl.k} exceeds the state dimension {n} of the model.")
    return fl


def _resolve(floss) -> Floss | None:
    if floss is None or floss is False:
        return None
    if isinstance(floss, Floss):
        return floss
    if isinstance(floss, bool):
        raise TypeError("floss: pass k (an int), a dict of Floss options or a Floss, not True.")
    if isinstance(floss, int):
        return Floss(k=floss)
    if isinstance(floss, dict):
        unknown = set(floss) - set(Floss.__dataclass_fields__)
        if unknown:
            raise ValueError(
                f"floss: unknown options {sorted(unknown)}; the options are "
                f"{sorted(Floss.__dataclass_fields__)}."
            )
        return Floss(**floss)
    raise TypeError(f"floss: pass k (an int), a dict or a Floss, got {type(floss).__name__}.")


def _body(model: nn.Module) -> nn.Module:
    return getattr(model, "body", model)


@dataclass
class FlossStats:
    """Running record of one epoch's flossing: the exponents and losses of each event."""

    exponents: list[list[float]] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)

    def term(self, model: nn.Module, x: Tensor, floss: Floss) -> Tensor:
        """The flossing loss on batch ``x``, its value and exponents recorded (the caller
        checks ``losses[-1]`` is finite)."""
        f_loss, lam = floss_loss(model, x, floss)
        self.losses.append(float(f_loss.detach()))
        self.exponents.append(lam.detach().tolist())
        return f_loss

    def row(self) -> dict:
        if not self.losses:
            return {"floss_loss": None, "floss_exponents": None}
        k = len(self.exponents[0])
        mean = [sum(e[i] for e in self.exponents) / len(self.exponents) for i in range(k)]
        return {"floss_loss": sum(self.losses) / len(self.losses), "floss_exponents": mean}


def floss_loss(model: nn.Module, x: Tensor, floss: Floss) -> tuple[Tensor, Tensor]:
    """``(w · Σ (λ_i − λ*_i)², λ)`` for the body of ``model`` driven by ``x (B, T, F)``.

    λ (``(k,)``, with a graph to the parameters) is the mean over the first ``floss.sequences``
    rows of ``x``, over its first ``floss.steps`` steps, from the zero state.
    """
    from neurodyn.lyapunov import lyapunov_spectrum

    xs = x[: floss.sequences]
    if floss.steps is not None:
        xs = xs[:, : floss.steps]
    body = _body(model)
    was = body.training
    body.eval()  # the Map is the noise-free step (a NoisyRNN's noise is training-only)
    try:
        res = lyapunov_spectrum(
            body, xs, k=floss.k, differentiable=True, grad_steps=floss.grad_steps,
            batch_first=True,
        )  # fmt: skip
    finally:
        body.train(was)
    lam = res.exponents
    target = torch.as_tensor(floss.target, dtype=lam.dtype, device=lam.device)
    return floss.weight * ((lam - target) ** 2).sum(), lam


def floss_before_training(model, X: Tensor, fl: Floss, make_optimizer, clip, seed, diverged):
    """Flossing before training: ``fl.before`` updates of the exponent loss alone, by a fresh
    optimizer from ``make_optimizer()``, on random rows of the training inputs ``X`` drawn by a
    generator seeded apart from fit's shuffling one (so the epochs see the same batches as
    without flossing). Returns fit's epoch-0 row entries: the exponents on the first
    ``fl.sequences`` training sequences before (``floss_initial``) and after.
    ``diverged(value, what, step)`` makes the error raised for a non-finite loss."""
    _, lam0 = floss_loss(model, X[: fl.sequences], fl)
    initial = lam0.detach().tolist()
    if fl.before == 0:
        return {"floss_initial": initial}
    opt = make_optimizer()
    gen = torch.Generator().manual_seed(int(seed) + 7919)
    params = [p for p in model.parameters() if p.requires_grad]
    for step in range(fl.before):
        idx = torch.randint(len(X), (fl.sequences,), generator=gen)
        opt.zero_grad(set_to_none=True)
        f_loss, _ = floss_loss(model, X[idx], fl)
        value = float(f_loss.detach())
        if not math.isfinite(value):
            raise diverged(value, "flossing loss (before training)", step)
        f_loss.backward()
        if clip:
            nn.utils.clip_grad_norm_(params, clip)
        opt.step()
    f_loss, lam = floss_loss(model, X[: fl.sequences], fl)  # the rows floss_initial used
    return {"floss_initial": initial, "floss_loss": float(f_loss.detach()),
            "floss_exponents": lam.detach().tolist()}  # fmt: skip
