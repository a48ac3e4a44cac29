"""``FrozenInput``: a driven map h' = F(h, x) with its input held at x, an autonomous map."""

from __future__ import annotations

import torch
from torch import Tensor

from neurodyn.systems._as_map import complete_map
from neurodyn.systems._map import MapBase

__all__ = ["FrozenInput"]


class FrozenInput(MapBase):
    """The autonomous map h ↦ F(h, x̄) of a driven map F with its input frozen at x̄.

    What fixed points, basins and attractors of an input-driven model mean: the equilibria
    h̄ = F(h̄, x̄) under a constant input (the stroboscopic / frozen-input system of
    DynamicalSystemsBase). Jacobians are ∂F/∂h at (h, x̄), so stability is the driven map's.

    Args:
        map: a driven Map (``input_size`` not None; ``complete_map`` is applied), e.g. an
            ``nn.LSTM``.
        x: the input, ``(input_size,)`` (shared by every row) or ``(B, input_size)`` (one per
            row; then states must have batch B). Cast to each state's dtype and device.

    Raises:
        ValueError: an autonomous map, a wrong input width, a batch mismatch at a step, or an
            x passed to ``step``.

    Example:
        >>> import torch
        >>> from neurodyn.dynamics import fixed_points
        >>> from neurodyn.systems import FrozenInput, LinearMap
        >>> driven = LinearMap(torch.tensor([[0.5]]), B=torch.tensor([[1.0]]))
        >>> f = FrozenInput(driven, torch.tensor([2.0]))   # h' = h/2 + 2: h̄ = 4
        >>> fixed_points(f, seeds=torch.zeros(1, 1, dtype=torch.float64)).points[0].x.item()
        4.0
    """

    def __init__(self, map, x):
        self.map: MapBase = complete_map(map)
        m = self.map.input_size
        if m is None:
            raise ValueError(f"FrozenInput needs a driven map; {self.map!r} is autonomous.")
        x = torch.as_tensor(x)
        if not x.is_floating_point():
            x = x.to(torch.float64)
        if x.dim() not in (1, 2) or x.shape[-1] != m:
            raise ValueError(f"x must be ({m},) or (B, {m}), got {tuple(x.shape)}.")
        self.x = x.detach()
        self.dim, self.dt = self.map.dim, self.map.dt
        self.tangent_dim = self.map.tangent_dim
        self.input_size = None

    @property
    def dtype(self):
        return self.map.dtype

    @property
    def device(self):
        return self.map.device

    def __repr__(self) -> str:
        return f"FrozenInput({self.map!r}, x={tuple(self.x.shape)})"

    def _input(self, h: Tensor, x: Tensor | None) -> Tensor:
        if x is not None:
            raise ValueError("FrozenInput is autonomous: its input is frozen; pass no x.")
        u = self.x.to(dtype=h.dtype, device=h.device)
        if u.dim() == 1:
            return u.expand(h.shape[0], -1)
        if u.shape[0] != h.shape[0]:
            raise ValueError(
                f"FrozenInput holds {u.shape[0]} inputs (one per row) but the state has batch "
                f"{h.shape[0]}."
            )
        return u

    def step(self, h: Tensor, x: Tensor | None = None) -> Tensor:
        """F(h, x̄), ``(B, n)``."""
        return self.map.step(h, self._input(h, x))

    def jacobian(self, h: Tensor, x: Tensor | None = None) -> Tensor:
        """∂F/∂h at (h, x̄), ``(B, k, k)``."""
        return self.map.jacobian(h, self._input(h, x))

    def step_and_jacobian(self, h, x=None, *, out=None):
        return self.map.step_and_jacobian(h, self._input(h, x), out=out)

    def zero_state(self, batch: int, dtype=None, device=None) -> Tensor:
        return self.map.zero_state(batch, dtype, device)
