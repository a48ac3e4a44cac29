"""``as_map``: which Map an object becomes, and ``complete_map``: every optional hook filled in.

The dispatch sits above the adapters it chooses between (``FeedforwardMap``, ``TorchRNNMap``,
``CallableMap``), so they import only the contract in ``_map`` and nothing imports back.
"""

from __future__ import annotations

import inspect

from torch import Tensor, nn

from neurodyn.systems._feedforward import FeedforwardMap
from neurodyn.systems._map import CallableMap, Map, MapBase
from neurodyn.systems._torch_rnn import TorchRNNMap

__all__ = ["as_map", "complete_map"]


class _ProtocolMap(MapBase):
    """A user object with ``dim``, ``step`` and ``jacobian`` (and any optional hooks) as a
    :class:`MapBase`: its own hooks are used where it has them, the defaults elsewhere."""

    def __init__(self, obj):
        self.obj = obj
        self.dim = int(obj.dim)
        self.dt = float(getattr(obj, "dt", 1.0))
        self.input_size = getattr(obj, "input_size", None)
        self.dtype = getattr(obj, "dtype", None)
        self.device = getattr(obj, "device", None)
        k = getattr(obj, "tangent_dim", None)
        if k is not None:
            self.tangent_dim = k
        fused = getattr(obj, "step_and_jacobian", None)
        self._fused = fused
        self._fused_out = fused is not None and "out" in inspect.signature(fused).parameters

    def __repr__(self) -> str:
        return f"as_map({self.obj!r})"

    def step(self, h: Tensor, x: Tensor | None = None) -> Tensor:
        return self.obj.step(h, x)

    def jacobian(self, h: Tensor, x: Tensor | None = None) -> Tensor:
        return self.obj.jacobian(h, x)

    def step_and_jacobian(self, h, x=None, *, out=None):
        if self._fused is None:
            return super().step_and_jacobian(h, x)
        return self._fused(h, x, out=out) if self._fused_out else self._fused(h, x)

    def zero_state(self, batch: int, dtype=None, device=None) -> Tensor:
        own = getattr(self.obj, "zero_state", None)
        if own is not None:
            return own(batch, dtype=dtype, device=device)
        return super().zero_state(batch, dtype, device)

    def affine_form(self, h: Tensor):
        own = getattr(self.obj, "affine_form", None)
        return None if own is None else own(h)


def as_map(obj, **options) -> Map:
    """Wrap ``obj`` as a Map.

    In this order:

    * a :class:`MapBase` is returned unchanged;
    * an object with a ``__neurodyn_map__(**options)`` method — the extension hook, for modules
      defined outside neurodyn.systems (neurodyn's own cells, or a user's module) — gives the
      Map that method returns;
    * ``nn.RNN``/``nn.LSTM``/``nn.GRU`` and their ``*Cell``s → :class:`TorchRNNMap`
      (options: ``lstm_state="hc"`` (exact, default) or ``"h"`` (the h-only approximation));
    * any other object with ``dim``, ``step`` and ``jacobian`` (the :class:`Map` protocol) is
      returned unchanged (:func:`complete_map` gives it the default hooks);
    * any other ``nn.Module`` made of ``nn.Linear`` and elementwise activations, square, used as
      x_{t+1} = f(x_t) → :class:`FeedforwardMap`;
    * a plain callable ``fn(h)`` or ``fn(h, x)`` → :class:`CallableMap` (autograd Jacobian;
      options: ``dim`` (required), ``input_size``, ``dt``, ``dtype``, ``device``).

    Raises:
        TypeError: for anything else, naming what is supported.

    Example:
        >>> import torch, neurodyn
        >>> class Rotation(torch.nn.Module):
        ...     def __neurodyn_map__(self):
        ...         A = torch.tensor([[0.0, -1.0], [1.0, 0.0]], dtype=torch.float64)
        ...         return neurodyn.systems.LinearMap(A)
        >>> neurodyn.as_map(Rotation()).dim
        2
    """
    if isinstance(obj, MapBase):
        if options:
            raise TypeError(f"{type(obj).__name__} is already a Map; options {options} unused.")
        return obj
    hook = getattr(type(obj), "__neurodyn_map__", None)
    if hook is not None:
        made = hook(obj, **options)
        if made is obj or getattr(type(made), "__neurodyn_map__", None) is not None:
            raise TypeError(
                f"{type(obj).__name__}.__neurodyn_map__ must return a Map (an object with dim, "
                "step and jacobian), not an object that has __neurodyn_map__ itself."
            )
        return as_map(made)
    if isinstance(obj, nn.RNNBase | nn.RNNCellBase):
        return TorchRNNMap(obj, **options)
    if isinstance(obj, Map):
        if options:
            raise TypeError(f"{type(obj).__name__} is already a Map; options {options} unused.")
        return obj
    if isinstance(obj, nn.Module):
        if options:
            raise TypeError(f"as_map(feedforward net) takes no options, got {options}.")
        try:
            return FeedforwardMap(obj)
        except TypeError as err:
            raise TypeError(
                f"as_map: {err} Any other module can still be a Map through the autograd "
                "fallback: as_map(lambda h: module(h), dim=n) (or fn(h, x) with input_size=m), "
                "or by giving the module a __neurodyn_map__ method that returns its Map."
            ) from err
    if callable(obj):
        if "dim" not in options:
            raise TypeError(
                "as_map(callable) needs the state dimension: as_map(fn, dim=n) "
                "(and input_size=m for fn(h, x))."
            )
        return CallableMap(obj, **options)
    raise TypeError(
        f"as_map: cannot make a Map from {type(obj).__name__}. Supported: torch nn.RNN, nn.LSTM, "
        "nn.GRU and their cells; a square feedforward nn.Module (nn.Linear + elementwise "
        "activations); a callable fn(h) or fn(h, x) with dim=...; an object with dim, "
        "step(h, x) and jacobian(h, x); or one with a __neurodyn_map__() method returning a Map."
    )


def complete_map(obj, **options) -> MapBase:
    """:func:`as_map`, then every optional hook of :class:`MapBase` filled in.

    What algorithms call: a user's class with only ``dim``, ``step`` and ``jacobian`` is adapted
    (its own optional hooks, where it has them, are kept); a :class:`MapBase` is returned as is.
    """
    made = as_map(obj, **options)
    return made if isinstance(made, MapBase) else _ProtocolMap(made)
