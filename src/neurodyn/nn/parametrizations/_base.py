"""The base class of every parametrization and the helpers every registrar uses."""

from __future__ import annotations

import contextlib
import math
from typing import ClassVar, Literal

import torch
from torch import Tensor, nn
from torch.nn.utils import parametrize

from neurodyn.nn.parametrizations._measurement import Measurement, stack_measurements

__all__ = ["INITS", "Init", "Parametrization", "check_finite", "register", "square", "weight_of"]

Init = Literal["project", "random"]
INITS = ("project", "random")


class Parametrization(nn.Module):
    """Base class: the one-shot ``init="random"`` switch and the measurement interface.

    ``right_inverse`` projects (see each subclass); with ``init="random"`` the *first* call (the
    one :func:`torch.nn.utils.parametrize.register_parametrization` makes) ignores the weight and
    draws fresh factors instead. Later assignments ``module.weight = X`` always project.

    Weights may be a single matrix ``(m, n)`` or a stack ``(*, m, n)`` of blocks; every original
    then carries the same leading dimensions, and the guarantee holds per block. Subclasses
    implement ``forward``, ``_project``, ``_random`` (all batched) and ``_measure`` (one block).
    """

    name: ClassVar[str] = ""
    guaranteed: ClassVar[bool] = True

    def __init__(self, init: Init, generator: torch.Generator | None) -> None:
        super().__init__()
        if init not in INITS:
            raise ValueError(f"init must be one of {INITS}, got {init!r}.")
        self.init = init
        self._fresh = init == "random"
        self.generator = generator

    def right_inverse(self, W: Tensor) -> tuple[Tensor, ...]:
        if self._fresh:
            self._fresh = False
            return self._random(W)
        return self._project(W)

    def _project(self, W: Tensor) -> tuple[Tensor, ...]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _random(self, W: Tensor) -> tuple[Tensor, ...]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _measure(self, W: Tensor, *originals: Tensor) -> Measurement:  # pragma: no cover
        raise NotImplementedError

    def measure(self, W: Tensor, *originals: Tensor) -> Measurement:
        """Measure the guarantee on ``W`` (built from ``originals``); per block for a stack."""
        if W.ndim <= 2:
            return self._measure(W, *originals)
        batch = tuple(W.shape[:-2])
        k = math.prod(batch)
        Wf = W.reshape(k, *W.shape[-2:])
        flat = [o.reshape(k, *o.shape[len(batch) :]) for o in originals]
        blocks = [self._measure(Wf[i], *(o[i] for o in flat)) for i in range(k)]
        return stack_measurements(blocks, batch)

    def _proven(self, W: Tensor, *originals: Tensor) -> tuple[float, str] | None:
        """A rounded-up bound on one block's violation and how it was obtained (None: none)."""
        return None

    def proven(self, W: Tensor, *originals: Tensor) -> tuple[float, str] | None:
        """The largest rounded-up violation bound over the blocks (see ``_proofs``), or None."""
        if W.ndim <= 2:
            return self._proven(W, *originals)
        k = math.prod(W.shape[:-2])
        nb = W.ndim - 2
        Wf = W.reshape(k, *W.shape[-2:])
        flat = [o.reshape(k, *o.shape[nb:]) for o in originals]
        got = [self._proven(Wf[i], *(o[i] for o in flat)) for i in range(k)]
        if any(g is None for g in got):
            return None
        return max(g[0] for g in got), got[0][1]

    def check(self, W: Tensor, *originals: Tensor, atol: float | None = None) -> bool:
        """Whether ``W`` (built from ``originals``) satisfies the guarantee within ``atol``."""
        return self.measure(W, *originals).holds(atol)

    def keeping(self, *originals: Tensor) -> contextlib.AbstractContextManager:
        """A context in which projecting the current weight returns it unchanged (a member).

        Where ``init="project"`` keeps members only given extra information (contracting_svd:
        the metric ``Φ``), the subclass supplies it from ``originals`` here; elsewhere a no-op.
        :func:`neurodyn.testing.check_parametrization` uses it for the round-trip check.
        """
        return contextlib.nullcontext()


def weight_of(module: nn.Module, name: str, who: str) -> Tensor:
    """``module.<name>``, validated: floating, ``(m, n)`` or ``(*, m, n)``, not parametrized."""
    if not isinstance(module, nn.Module):
        raise TypeError(
            f"{who} expects an nn.Module (e.g. nn.Linear), got {type(module).__name__}."
        )
    if parametrize.is_parametrized(module, name):
        raise ValueError(
            f"{type(module).__name__}.{name} is already parametrized; remove it first with "
            f"torch.nn.utils.parametrize.remove_parametrizations(module, {name!r})."
        )
    W = getattr(module, name, None)
    if not isinstance(W, Tensor) or W.ndim < 2:
        got = "missing" if W is None else f"shape {tuple(getattr(W, 'shape', ()))}"
        raise ValueError(
            f"{who} needs module.{name} to be a 2-D weight tensor, or a (*, m, n) stack of "
            f"blocks ({got})."
        )
    if not W.is_floating_point():
        raise TypeError(f"{who} needs a floating-point weight, got {W.dtype}.")
    return W


def square(W: Tensor, who: str, why: str) -> int:
    """The block size ``n`` of a square ``(*, n, n)`` weight; ValueError with the fix if not."""
    m, n = W.shape[-2:]
    if m != n:
        raise ValueError(
            f"{who} needs a square weight ({why}); got {m}×{n} (a map from ℝ^{n} to ℝ^{m}), "
            "whose eigenvalues do not exist. For a rectangular map bound its singular values "
            "with neurodyn.nn.parametrizations.spectral_svd."
        )
    return n


def check_finite(**kw: float) -> None:
    """ValueError naming the first non-finite hyper-parameter."""
    for k, v in kw.items():
        if not math.isfinite(float(v)):
            raise ValueError(f"{k} must be finite, got {v}.")


def register(module: nn.Module, name: str, p: Parametrization) -> nn.Module:
    """Register ``p`` on ``module.<name>`` and return ``module``."""
    parametrize.register_parametrization(module, name, p)
    return module
