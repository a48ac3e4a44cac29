"""The Map contract: a batched discrete-time system h' = F(h, x) with its Jacobian ∂F/∂h.

Every algorithm in neurodyn that iterates a system (fixed points, basins, attractors, Lyapunov
spectra) takes a Map. Flows become Maps through their integrator step, with ``dt`` the step.

The whole contract is :class:`MapBase`: a Map must provide ``dim``, ``step`` and ``jacobian``;
everything else is an optional hook whose default the base class declares. This module is the
bottom of ``neurodyn.systems``: the adapters (``_feedforward``, ``_torch_rnn``, the reference
systems) build on it, and :func:`~neurodyn.systems.as_map` (``_as_map``), which picks the adapter
for an object, sits above them all.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch
from torch import Tensor, nn

from neurodyn.pwa import AffineForm

__all__ = [
    "CallableMap",
    "Map",
    "MapBase",
    "ModuleMap",
    "require_dtype",
]


@runtime_checkable
class Map(Protocol):
    """The minimal Map: a batched discrete-time system h_{t+1} = F(h_t, x_t).

    A class with these three members works with every algorithm (:func:`as_map` fills in the
    optional hooks of :class:`MapBase` with their defaults):

    * ``dim``: state dimension n;
    * ``step(h, x=None)``: ``(B, n)`` (and ``(B, input_size)``) → ``(B, n)``, the next state;
    * ``jacobian(h, x=None)``: ``(B, n)`` → ``(B, k, k)``, ∂F/∂h evaluated at (h, x) — the state
      the step starts from, not the one it lands on.

    Optional members it may also have (read by :func:`as_map`): ``dt``, ``input_size``,
    ``tangent_dim``, ``zero_state``, ``step_and_jacobian``, ``dtype``, ``device``,
    ``affine_form`` — see :class:`MapBase`.
    """

    dim: int

    def step(self, h: Tensor, x: Tensor | None = None) -> Tensor: ...

    def jacobian(self, h: Tensor, x: Tensor | None = None) -> Tensor: ...


class MapBase:
    """Base class of every Map in neurodyn: the whole contract, with the default of each hook.

    Subclasses set ``dim`` and implement ``step`` and ``jacobian``; they override a hook only
    where they can do better than its default.

    Attributes:
        dim: state dimension n.
        dt: time per step (1 for discrete maps); exponents and rates are per unit time.
        input_size: width m of the input x_t, or None for an autonomous map.
        tangent_dim: size k of the Jacobian; defaults to ``dim``. Smaller only for an explicitly
            approximate tangent space (the h-only LSTM convention of Vogt et al. 2022, where the
            cell state is carried but not differentiated).
        dtype, device: what states must be built in (a module's parameters), or None where the
            map follows the dtype and device of the state it is given.

    Methods:
        step(h, x=None): the next state ``(B, n)``.
        jacobian(h, x=None): ∂F/∂h at (h, x), ``(B, k, k)``.
        step_and_jacobian(h, x=None, *, out=None): both at once. ``out`` is a hint: a
            ``(B, k, k)`` buffer the map *may* write J into and return (the default ignores it
            and calls ``step`` and ``jacobian``). Callers must use the returned J.
        zero_state(batch, dtype=None, device=None): the rest state ``(batch, n)`` driven maps
            start from (zeros by default).
        affine_form(h): the exact pointwise-affine form A*(h) h + b*(h) where the map has one
            (feedforward nets), else None.
    """

    dim: int
    dt: float = 1.0
    input_size: int | None = None
    dtype: torch.dtype | None = None
    device: torch.device | None = None
    _tangent_dim: int | None = None

    @property
    def tangent_dim(self) -> int:
        return self.dim if self._tangent_dim is None else self._tangent_dim

    @tangent_dim.setter
    def tangent_dim(self, k: int) -> None:
        self._tangent_dim = int(k)

    def step(self, h: Tensor, x: Tensor | None = None) -> Tensor:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement step(h, x).")

    def jacobian(self, h: Tensor, x: Tensor | None = None) -> Tensor:  # pragma: no cover
        raise NotImplementedError(f"{type(self).__name__} must implement jacobian(h, x).")

    def step_and_jacobian(
        self, h: Tensor, x: Tensor | None = None, *, out: Tensor | None = None
    ) -> tuple[Tensor, Tensor]:
        """``(step(h, x), jacobian(h, x))``; ``out`` may receive J (see the class docstring)."""
        return self.step(h, x), self.jacobian(h, x)

    def zero_state(self, batch: int, dtype=None, device=None) -> Tensor:
        """Zeros ``(batch, dim)`` in ``dtype`` / ``device`` (default: the map's, else float32)."""
        return torch.zeros(batch, self.dim, dtype=dtype or self.dtype, device=device or self.device)

    def affine_form(self, h: Tensor) -> AffineForm | None:
        """The exact pointwise-affine form at ``h``, or None (the default: the map has none)."""
        return None


class ModuleMap(MapBase):
    """A Map computed by a torch module's parameters: ``dtype`` and ``device`` are those of the
    module's first parameter (None for a module without parameters), read when asked, so they
    follow ``module.double()`` or ``module.to(device)`` after the Map was made."""

    _module: nn.Module

    def _first_parameter(self) -> Tensor | None:
        return next(iter(self._module.parameters()), None)

    @property
    def dtype(self) -> torch.dtype | None:
        p = self._first_parameter()
        return None if p is None else p.dtype

    @property
    def device(self) -> torch.device | None:
        p = self._first_parameter()
        return None if p is None else p.device


class CallableMap(MapBase):
    """Any batched step function as a Map, with its Jacobian by ``torch.func`` (autograd).

    The fallback for systems without an analytic Jacobian: the same numbers as an analytic
    one (tests compare both to 1e-10), only slower. ``fn(h)`` or ``fn(h, x)`` must map a batch
    ``(B, n)`` (and ``(B, input_size)``) to ``(B, n)`` row by row (no coupling across the batch).

    Args:
        fn: the step function.
        dim: state dimension n.
        input_size: width of x, or None if ``fn`` takes only h.
        dt: time per step.
        dtype, device: what ``fn`` computes in (e.g. a wrapped module's parameters), or None
            (default) where it follows its input; algorithms that build states themselves
            (grids of :func:`~neurodyn.dynamics.fixed_points`, ``basins``, ...) use them.
    """

    def __init__(
        self,
        fn,
        dim: int,
        *,
        input_size: int | None = None,
        dt: float = 1.0,
        dtype: torch.dtype | None = None,
        device: torch.device | str | None = None,
    ):
        if not callable(fn):
            raise TypeError(f"CallableMap needs a callable step function, got {type(fn).__name__}.")
        if not isinstance(dim, int) or dim < 1:
            raise ValueError(f"dim must be a positive int, got {dim!r}.")
        self.fn, self.dim, self.input_size, self.dt = fn, dim, input_size, float(dt)
        self.dtype = dtype
        self.device = None if device is None else torch.device(device)

    def __repr__(self) -> str:
        return f"CallableMap({getattr(self.fn, '__name__', self.fn)!r}, dim={self.dim})"

    def _call(self, h: Tensor, x: Tensor | None) -> Tensor:
        if self.input_size is None:
            if x is not None:
                raise ValueError("this CallableMap is autonomous (input_size=None): pass no x.")
            return self.fn(h)
        if x is None:
            raise ValueError(f"this CallableMap is driven: pass x of shape (B, {self.input_size}).")
        return self.fn(h, x)

    def step(self, h: Tensor, x: Tensor | None = None) -> Tensor:
        return self._call(h, x)

    def jacobian(self, h: Tensor, x: Tensor | None = None) -> Tensor:
        """∂F/∂h per row, ``(B, n, n)``, via ``vmap(jacrev)`` over single rows."""
        if self.input_size is None:
            if x is not None:
                raise ValueError("this CallableMap is autonomous (input_size=None): pass no x.")
            single = lambda hi: self.fn(hi.unsqueeze(0)).squeeze(0)  # noqa: E731
            return torch.func.vmap(torch.func.jacrev(single))(h)
        if x is None:
            raise ValueError(f"this CallableMap is driven: pass x of shape (B, {self.input_size}).")
        single = lambda hi, xi: self.fn(hi.unsqueeze(0), xi.unsqueeze(0)).squeeze(0)  # noqa: E731
        return torch.func.vmap(torch.func.jacrev(single, argnums=0))(h, x)


def require_dtype(f: MapBase, t: Tensor, what: str) -> None:
    """Raise a clear ``TypeError`` if ``t`` is not in the dtype (and device) the map declares.

    Maps that follow their input (``f.dtype is None``) accept any floating dtype.
    """
    if not isinstance(t, Tensor):
        return
    if not t.is_floating_point():
        raise TypeError(f"{what} must be floating point, got {t.dtype}.")
    if f.dtype is not None and t.dtype != f.dtype:
        raise TypeError(
            f"{what} is {t.dtype} but the map {f!r} computes in {f.dtype}: pass "
            f"{what}.to({f.dtype}), or convert the model to {t.dtype} first "
            f"(e.g. model.to({t.dtype}))."
        )
    if f.device is not None and t.device != f.device:
        raise TypeError(
            f"{what} is on {t.device} but the map {f!r} is on {f.device}: pass "
            f"{what}.to({str(f.device)!r})."
        )
