"""Batched trajectories of an autonomous map x_{t+1} = f(x_t)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from neurodyn._core import register_result, tensor_from_json, tensor_to_json
from neurodyn._core._validate import prepare_model
from neurodyn.dynamics._common import check_states, escaped
from neurodyn.systems import complete_map

__all__ = ["Trajectory", "simulate"]


@register_result
@dataclass(frozen=True)
class Trajectory:
    """Batched trajectories of an autonomous map.

    Attributes:
        states: ``(B, T+1, n)``; after divergence a trajectory is frozen at its last finite state.
        diverged: ``(B,)`` bool, True where ‖x_t‖ exceeded ``bound`` (or became non-finite).
        diverged_at: ``(B,)`` int, first step at which it did, −1 if never.
        bound: the escape radius used.
    """

    states: Tensor
    diverged: Tensor
    diverged_at: Tensor
    bound: float

    def __repr__(self) -> str:
        B, T1, n = self.states.shape
        return (
            f"Trajectory(batch={B}, steps={T1 - 1}, dim={n}, diverged={int(self.diverged.sum())}"
            f", dtype={str(self.states.dtype).removeprefix('torch.')})"
        )

    def to_dict(self) -> dict:
        """Summary (steps, batch, diverged, bound) and the full arrays (``states``,
        ``diverged_at`` as tensor records) so that :meth:`from_dict` rebuilds it."""
        return {
            "result_type": "Trajectory",
            "steps": self.states.shape[1] - 1,
            "batch": self.states.shape[0],
            "diverged": int(self.diverged.sum()),
            "bound": self.bound,
            "states": tensor_to_json(self.states),
            "diverged_at": tensor_to_json(self.diverged_at),
        }

    @classmethod
    def from_dict(cls, d: dict) -> Trajectory:
        """Inverse of :meth:`to_dict`."""
        at = tensor_from_json(d["diverged_at"])
        return cls(tensor_from_json(d["states"]), at >= 0, at, float(d["bound"]))


@torch.no_grad()
def simulate(map, x0: Tensor, steps: int, *, bound: float = 1e6) -> Trajectory:
    """Iterate x_{t+1} = f(x_t) from a batch of initial states.

    Args:
        map: a Map or a square feedforward net.
        x0: ``(B, n)`` initial states, in the map's dtype and device where it has them.
        steps: number of steps T ≥ 1.
        bound: escape radius; a state with ‖x‖₂ > bound counts as diverged and is frozen.

    Raises:
        ValueError: ``x0`` not ``(B, n)`` or not finite; ``steps < 1``; a NaN/inf parameter
            (named). float16 / bfloat16 modules run as a float32 copy (with a warning).
        TypeError: ``x0`` not in the map's dtype / device (names both and the fix).
    """
    map, x0 = prepare_model(map, x0, what="simulate")
    f = complete_map(map)
    check_states(f, x0)
    if steps < 1:
        raise ValueError(f"steps must be ≥ 1, got {steps}.")
    x = x0
    out = [x0]
    diverged = torch.zeros(x0.shape[0], dtype=torch.bool, device=x0.device)
    diverged_at = torch.full((x0.shape[0],), -1, dtype=torch.long, device=x0.device)
    for t in range(1, steps + 1):
        nxt = f.step(x)
        bad = escaped(nxt, bound)
        new = bad & ~diverged
        diverged_at = torch.where(new, t, diverged_at)
        diverged = diverged | bad
        x = torch.where(diverged.unsqueeze(1), x, nxt)
        out.append(x)
    return Trajectory(torch.stack(out, dim=1), diverged, diverged_at, bound)
