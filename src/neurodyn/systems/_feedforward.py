"""A square feedforward network used as the autonomous map x_{t+1} = f(x_t)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from neurodyn.pwa import AffineForm, AffineLayer, linearize, parse_network, walk
from neurodyn.systems._map import ModuleMap

__all__ = ["FeedforwardMap"]


class FeedforwardMap(ModuleMap):
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
        self.net = self._module = net
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
        # an in-place activation applied first would overwrite the caller's state h in step()
        first = next((m for m in net.modules() if not isinstance(m, nn.Sequential)), None)
        self._clone_input = bool(getattr(first, "inplace", False))

    def __repr__(self) -> str:
        return f"FeedforwardMap(dim={self.dim}, layers={len(self.layers)})"

    def step(self, h: Tensor, x: Tensor | None = None) -> Tensor:
        """f(h), ``(B, n)``. ``x`` must be None (the map is autonomous)."""
        if x is not None:
            raise ValueError("FeedforwardMap is autonomous: step(h) takes no input x.")
        return self.net(h.clone() if self._clone_input else h)

    def jacobian(self, h: Tensor, x: Tensor | None = None) -> Tensor:
        """∂f/∂h at each state, ``(B, n, n)``, by forward-mode propagation of the identity."""
        if x is not None:
            raise ValueError("FeedforwardMap is autonomous: jacobian(h) takes no input x.")
        batch, n = h.shape
        z = h
        tangent: Tensor | None = None  # Jᵀ as (B, n, width)
        for step in walk(self.layers, n):
            if (layer := step.affine) is not None:
                w = layer.weight
                z = torch.nn.functional.linear(z, w, layer.bias)
                tangent = (
                    w.t().expand(batch, n, w.shape[0])
                    if step.first
                    else torch.matmul(tangent, w.t())
                )
            else:
                spec = step.activation.spec
                # σ is elementwise, so its Jacobian is diag(σ'(z)): one backward pass of the sum
                # gives every σ'(z_i) exactly (autograd's convention at kinks, e.g. ReLU'(0) = 0).
                # spec.module is out of place, so z is never overwritten.
                _, d = spec.value_and_derivative(z)
                z = spec(z)
                tangent = torch.diag_embed(d) if step.first else tangent * d.unsqueeze(1)
        if tangent is None:
            return torch.eye(n, dtype=h.dtype, device=h.device).expand(batch, n, n).clone()
        return tangent.transpose(1, 2)

    def affine_form(self, h: Tensor) -> AffineForm:
        """The exact pointwise-affine form A*(h) h + b*(h) (see :func:`neurodyn.linearize`)."""
        return linearize(self.net, h)
