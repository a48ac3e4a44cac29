"""The Map protocol: a batched discrete-time system h' = F(h, x) with its Jacobian ∂F/∂h.

Every algorithm in neurodyn that iterates a system (fixed points, basins, attractors, Lyapunov
spectra) takes a Map. Flows become Maps through their integrator step, with ``dt`` the step.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch
from torch import Tensor, nn

__all__ = ["CallableMap", "FeedforwardMap", "Map", "as_map"]


@runtime_checkable
class Map(Protocol):
    """A batched discrete-time system h_{t+1} = F(h_t, x_t).

    Attributes:
        dim: state dimension n.
        dt: time per step (1 for discrete maps; exponents and rates are per unit time).
        input_size: width of the input x_t, or None for an autonomous map.
        tangent_dim: size k of the Jacobian, normally n. Smaller only for an explicitly
            approximate tangent space (the seed-004 h-only LSTM convention, where the cell state
            is carried but not differentiated); optional, defaults to ``dim``.

    Methods:
        step(h, x=None): ``(B, n)`` (and ``(B, input_size)``) → ``(B, n)``, the next state.
        jacobian(h, x=None): ``(B, n)`` → ``(B, k, k)``, ∂F/∂h at (h, x) — evaluated at the
            state the step starts from, not the one it lands on.
    """

    dim: int
    dt: float

    def step(self, h: Tensor, x: Tensor | None = None) -> Tensor: ...

    def jacobian(self, h: Tensor, x: Tensor | None = None) -> Tensor: ...


class FeedforwardMap:
    """An autonomous map x_{t+1} = f(x_t) given by a square feedforward network f: ℝⁿ → ℝⁿ.

    ``jacobian`` is the exact Jacobian ∂f/∂x = W_L D_L W_{L−1} ⋯ D_1 W_0 with D_i = diag(σ'(z_i))
    computed in one forward pass (σ' by autograd on the elementwise activation, which is exact:
    an analytic derivative, not a finite difference). ``affine_form`` gives A*(x), b*(x).

    Args:
        net: a network accepted by :func:`neurodyn.linearize` with equal input and output width.
    """

    dt: float = 1.0
    input_size = None

    def __init__(self, net: nn.Module):
        from neurodyn.pwa._network import AffineLayer, parse_network

        self.net = net
        self.layers = parse_network(net)
        affine = [layer for layer in self.layers if isinstance(layer, AffineLayer)]
        if not affine:
            raise ValueError("as_map(net): the network has no nn.Linear layer to fix its width.")
        n_in, n_out = affine[0].weight.shape[1], affine[-1].weight.shape[0]
        if n_in != n_out:
            raise ValueError(
                f"as_map(net): an autonomous map x_(t+1) = f(x_t) needs as many outputs as inputs; "
                f"this network maps ℝ^{n_in} → ℝ^{n_out}. Use neurodyn.linearize for its affine "
                "form and singular values instead."
            )
        self.dim = n_in

    def __repr__(self) -> str:
        return f"FeedforwardMap(dim={self.dim}, layers={len(self.layers)})"

    def step(self, h: Tensor, x: Tensor | None = None) -> Tensor:
        """f(h), ``(B, n)``. ``x`` must be None (the map is autonomous)."""
        if x is not None:
            raise ValueError("FeedforwardMap is autonomous: step(h) takes no input x.")
        return self.net(h)

    def jacobian(self, h: Tensor, x: Tensor | None = None) -> Tensor:
        """∂f/∂h at each state, ``(B, n, n)``, by forward-mode propagation of the identity."""
        from neurodyn.pwa._network import AffineLayer

        if x is not None:
            raise ValueError("FeedforwardMap is autonomous: jacobian(h) takes no input x.")
        batch, n = h.shape
        z = h
        tangent: Tensor | None = None  # Jᵀ as (B, n, width)
        for layer in self.layers:
            if isinstance(layer, AffineLayer):
                w = layer.weight
                z = torch.nn.functional.linear(z, w, layer.bias)
                tangent = (
                    w.t().expand(batch, n, w.shape[0])
                    if tangent is None
                    else torch.matmul(tangent, w.t())
                )
            else:
                act = layer.spec.module
                # σ is elementwise, so its Jacobian is diag(σ'(z)): one backward pass of the sum
                # gives every σ'(z_i) exactly (autograd's convention at kinks, e.g. ReLU'(0) = 0).
                with torch.enable_grad():
                    zz = z.detach().requires_grad_(True)
                    (d,) = torch.autograd.grad(act(zz).sum(), zz)
                z = act(z)
                tangent = torch.diag_embed(d) if tangent is None else tangent * d.unsqueeze(1)
        if tangent is None:
            return torch.eye(n, dtype=h.dtype, device=h.device).expand(batch, n, n).clone()
        return tangent.transpose(1, 2)

    def affine_form(self, h: Tensor):
        """The exact pointwise-affine form A*(h) h + b*(h) (see :func:`neurodyn.linearize`)."""
        from neurodyn.pwa import linearize

        return linearize(self.net, h)


class CallableMap:
    """Any batched step function as a Map, with its Jacobian by ``torch.func`` (autograd).

    The fallback for systems without an analytic Jacobian: the same numbers as an analytic
    one (tests compare both to 1e-10), only slower. ``fn(h)`` or ``fn(h, x)`` must map a batch
    ``(B, n)`` (and ``(B, input_size)``) to ``(B, n)`` row by row (no coupling across the batch).

    Args:
        fn: the step function.
        dim: state dimension n.
        input_size: width of x, or None if ``fn`` takes only h.
        dt: time per step.
    """

    def __init__(self, fn, dim: int, *, input_size: int | None = None, dt: float = 1.0):
        if not callable(fn):
            raise TypeError(f"CallableMap needs a callable step function, got {type(fn).__name__}.")
        if not isinstance(dim, int) or dim < 1:
            raise ValueError(f"dim must be a positive int, got {dim!r}.")
        self.fn, self.dim, self.input_size, self.dt = fn, dim, input_size, float(dt)

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


def as_map(obj, **options) -> Map:
    """Wrap ``obj`` as a :class:`Map`.

    * an object that already satisfies the Map protocol is returned unchanged;
    * ``nn.RNN``/``nn.LSTM``/``nn.GRU`` and their ``*Cell``s → :class:`TorchRNNMap`
      (options: ``lstm_state="hc"`` (exact, default) or ``"h"`` (the seed's approximation));
    * any other ``nn.Module`` made of ``nn.Linear`` and elementwise activations, square, used as
      x_{t+1} = f(x_t) → :class:`FeedforwardMap`;
    * a plain callable ``fn(h)`` or ``fn(h, x)`` → :class:`CallableMap` (autograd Jacobian;
      options: ``dim`` (required), ``input_size``, ``dt``).

    Raises:
        TypeError: for anything else, naming what is supported.
    """
    from neurodyn.systems._torch_rnn import TorchRNNMap

    if isinstance(obj, Map):
        if options:
            raise TypeError(f"{type(obj).__name__} is already a Map; options {options} unused.")
        return obj
    if isinstance(obj, nn.RNNBase | nn.RNNCellBase):
        return TorchRNNMap(obj, **options)
    if isinstance(obj, nn.Module):
        if options:
            raise TypeError(f"as_map(feedforward net) takes no options, got {options}.")
        try:
            return FeedforwardMap(obj)
        except TypeError as err:
            raise TypeError(
                f"as_map: {err} Any other module can still be a Map through the autograd "
                "fallback: as_map(lambda h: module(h), dim=n) (or fn(h, x) with input_size=m)."
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
        "activations); a callable fn(h) or fn(h, x) with dim=...; or an object with dim, dt, "
        "step(h, x) and jacobian(h, x)."
    )
