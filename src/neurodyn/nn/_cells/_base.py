"""What every recurrent cell shares: the ``nn.RNN`` calling convention and the cell's Map.

A cell writes three things — ``_weights()`` (the current matrices, read once per sequence),
``_drive(x, w)`` (the input projection, applied to a whole sequence in one matmul) and
``_update(h, d, w, jac=False, out=None)`` (one step from the projected drive ``d``, and with
``jac=True`` also the analytic ∂h'/∂h of the full state). :class:`RecurrentCell` runs the time
loop (``batch_first``, ``h0``, unbatched input, validation) over ``_update``; :class:`CellMap`
calls the very same ``_update`` for ``step``, ``jacobian`` and ``step_and_jacobian``, so the
module and its Map cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils import parametrize

from neurodyn.systems import ModuleMap

__all__ = ["ACTIVATIONS", "Activation", "CellMap", "RecurrentCell", "activation"]


@dataclass(frozen=True)
class Activation:
    """An elementwise nonlinearity φ with φ' from (pre-activation, output) and its slope bound g
    (0 ≤ φ' ≤ g everywhere: the bound the contraction certificates of Kozachkov et al. 2022
    assume)."""

    name: str
    fn: object
    deriv: object
    slope_bound: float


ACTIVATIONS = {
    "tanh": Activation("tanh", torch.tanh, lambda a, y: 1.0 - y * y, 1.0),
    "relu": Activation("relu", torch.relu, lambda a, y: (a > 0).to(a.dtype), 1.0),  # φ'(0) = 0
    "sigmoid": Activation("sigmoid", torch.sigmoid, lambda a, y: y * (1.0 - y), 0.25),
}


def activation(name: str, who: str, allowed: tuple[str, ...] = tuple(ACTIVATIONS)) -> Activation:
    """The :class:`Activation` called ``name``; ValueError naming the supported ones if not."""
    if not isinstance(name, str) or name not in allowed:
        raise ValueError(
            f"{who}: nonlinearity {name!r} is not supported; use one of {list(allowed)} "
            "(each has a known slope bound 0 ≤ φ' ≤ g, which the Jacobian and the contraction "
            "certificates need)."
        )
    return ACTIVATIONS[name]


def _positive_int(value, what: str, who: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{who}: {what} must be a positive int, got {value!r}.")
    return value


def positive_float(value, what: str, who: str) -> float:
    """``float(value)`` if finite and > 0, else ValueError."""
    v = float(value)
    if not (v > 0 and v < float("inf")):
        raise ValueError(f"{who}: {what} must be a positive finite number, got {value!r}.")
    return v


class RecurrentCell(nn.Module):
    """Base class of neurodyn's recurrent cells: ``nn.RNN``'s calling convention over one step.

    ``forward(input, h0=None) -> (output, h_T)``:

    * ``input``: ``(T, B, input_size)``, ``(B, T, input_size)`` with ``batch_first=True``, or
      unbatched ``(T, input_size)``; in the parameters' dtype and device.
    * ``h0``: the full state ``(B, state_size)`` (``(state_size,)`` for unbatched input);
      zeros if None. For two-part cells (CoRNN, LEM) the state is ``[y, z]``.
    * ``output``: the hidden part y of the state at every step, ``(T, B, hidden_size)``
      (``(B, T, hidden_size)`` with ``batch_first``; ``(T, hidden_size)`` unbatched).
    * ``h_T``: the full final state, shaped like ``h0``.

    ``neurodyn.as_map(cell)`` is the one-step map of the same update (``__neurodyn_map__``),
    with the analytic Jacobian of the full state.
    """

    #: number of hidden_size-wide parts of the state (1: h; 2: [y, z])
    _state_parts: int = 1
    #: time per step of the Map (1: exponents per step, as for nn.RNN / nn.LSTM)
    _map_dt: float = 1.0

    def __init__(self, input_size: int, hidden_size: int, *, batch_first: bool = False):
        super().__init__()
        who = type(self).__name__
        self.input_size = _positive_int(input_size, "input_size", who)
        self.hidden_size = _positive_int(hidden_size, "hidden_size", who)
        if not isinstance(batch_first, bool):
            raise TypeError(f"{who}: batch_first must be True or False, got {batch_first!r}.")
        self.batch_first = batch_first

    # -- what a cell writes ---------------------------------------------------------------------

    def _weights(self) -> tuple:  # pragma: no cover - abstract
        raise NotImplementedError

    def _drive(self, x: Tensor, w: tuple) -> Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def _update(self, h: Tensor, d: Tensor, w: tuple, jac: bool = False, out=None):
        raise NotImplementedError  # pragma: no cover - abstract

    def _forward_update(self, h: Tensor, d: Tensor, w: tuple) -> Tensor:
        """The update the module's forward runs (NoisyRNN adds its training noise here)."""
        return self._update(h, d, w)

    def _loop(self, h: Tensor, drive: Tensor, w: tuple) -> tuple[list[Tensor], Tensor]:
        """The forward's time loop over the projected drive ``(T, B, ·)``: ``([y_t], h_T)``.

        This generic loop calls ``_forward_update`` per step. A cell may override it with a
        fused loop (fewer ops per step, the state kept in parts), which must equal this one to
        float32 rounding; the tests compare the two (``RecurrentCell._loop(cell, …)``). It may
        return the outputs already stacked, one ``(T, B, hidden_size)`` tensor (the hand-written
        BPTT of ``_bptt``).
        """
        H = self.hidden_size
        outs = []
        # unbind, not d[t]: the backward of T selects would allocate and fill T zero tensors of
        # the whole drive's size (O(T²) memory traffic); unbind's is one stack
        for d_t in drive.unbind(0):
            h = self._forward_update(h, d_t, w)
            outs.append(h[:, :H])
        return outs, h

    # -- shared -------------------------------------------------------------------------------

    @property
    def state_size(self) -> int:
        """n, the width of the full state (``hidden_size``, or ``2·hidden_size`` for [y, z])."""
        return self._state_parts * self.hidden_size

    @property
    def _layout(self) -> str:
        return "[y, z]" if self._state_parts == 2 else "h"

    def _param(self) -> Tensor:
        return next(self.parameters())

    def _check_tensor(self, t, what: str) -> None:
        who = type(self).__name__
        if not isinstance(t, Tensor):
            raise TypeError(f"{who}: {what} must be a torch.Tensor, got {type(t).__name__}.")
        p = self._param()
        if t.dtype != p.dtype or t.device != p.device:
            raise TypeError(
                f"{who}: {what} is {t.dtype} on {t.device} but the parameters are {p.dtype} on "
                f"{p.device}: pass {what}.to({p.dtype}) (or convert the cell, e.g. cell.double())."
            )

    def forward(self, input: Tensor, h0: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Run the cell over a sequence (class docstring for shapes); returns ``(output, h_T)``."""
        who = type(self).__name__
        self._check_tensor(input, "input")
        if input.dim() not in (2, 3) or input.shape[-1] != self.input_size:
            layout = "(B, T, F)" if self.batch_first else "(T, B, F)"
            raise ValueError(
                f"{who}: expected input {layout} or unbatched (T, F) with F = input_size = "
                f"{self.input_size}, got {tuple(input.shape)}."
            )
        batched = input.dim() == 3
        x = input if not batched else (input.transpose(0, 1) if self.batch_first else input)
        if not batched:
            x = x.unsqueeze(1)
        T, B, n = x.shape[0], x.shape[1], self.state_size
        if T == 0:
            raise ValueError(f"{who}: the input sequence is empty (T = 0).")
        if h0 is None:
            h = x.new_zeros(B, n)
        else:
            self._check_tensor(h0, "h0")
            want = (B, n) if batched else (n,)
            if tuple(h0.shape) != want:
                raise ValueError(
                    f"{who}: expected h0 of shape {want} (the full state {self._layout}, "
                    f"state_size = {n}, batch {B}), got {tuple(h0.shape)}."
                )
            h = h0 if batched else h0.unsqueeze(0)
        with parametrize.cached():
            w = self._weights()
            outs, h = self._loop(h, self._drive(x, w), w)
        output = outs if isinstance(outs, Tensor) else torch.stack(outs)
        if not batched:
            return output.squeeze(1), h.squeeze(0)
        return (output.transpose(0, 1) if self.batch_first else output), h

    def __neurodyn_map__(self) -> CellMap:
        """The cell's one-step map h' = F(h, x) with its analytic Jacobian (:class:`CellMap`)."""
        return CellMap(self)


class CellMap(ModuleMap):
    """The one-step map of a :class:`RecurrentCell`: ``step`` is the module's own update.

    Attributes:
        dim: the cell's ``state_size`` (full state). input_size: the cell's.
        dt: 1.0 (Lyapunov exponents per step, comparable with ``nn.RNN``/``nn.LSTM`` maps).
        cell: the module (parameters read afresh at every call).
    """

    def __init__(self, cell: RecurrentCell):
        self.cell = self._module = cell
        self.dim = cell.state_size
        self.input_size = cell.input_size
        self.dt = float(cell._map_dt)

    def __repr__(self) -> str:
        c = self.cell
        return (
            f"CellMap({type(c).__name__}, input_size={c.input_size}, "
            f"hidden_size={c.hidden_size}, dim={self.dim})"
        )

    def _check(self, h: Tensor, x: Tensor | None) -> None:
        name = type(self.cell).__name__
        if x is None:
            raise ValueError(f"{name}'s map is driven: pass x of shape (B, {self.input_size}).")
        if not isinstance(h, Tensor) or h.dim() != 2 or h.shape[1] != self.dim:
            raise ValueError(
                f"{name}'s map: expected a state of shape (B, {self.dim}) (layout "
                f"{self.cell._layout}), got {tuple(getattr(h, 'shape', ()))}."
            )
        if x.dim() != 2 or x.shape != (h.shape[0], self.input_size):
            raise ValueError(
                f"{name}'s map: expected x of shape ({h.shape[0]}, {self.input_size}), "
                f"got {tuple(x.shape)}."
            )

    def _prepare(self, h: Tensor, x: Tensor):
        self._check(h, x)
        w = self.cell._weights()
        return w, self.cell._drive(x, w)

    def step(self, h: Tensor, x: Tensor | None = None) -> Tensor:
        """One step of the cell (noise-free; the module's forward in eval mode), ``(B, n)``."""
        w, d = self._prepare(h, x)
        return self.cell._update(h, d, w)

    def jacobian(self, h: Tensor, x: Tensor | None = None) -> Tensor:
        """Analytic ∂h'/∂h of the full state at (h, x), ``(B, n, n)``."""
        w, d = self._prepare(h, x)
        return self.cell._update(h, d, w, jac=True)[1]

    def step_and_jacobian(self, h: Tensor, x: Tensor | None = None, *, out: Tensor | None = None):
        """``(step(h, x), jacobian(h, x))`` from one evaluation; ``out`` may receive J."""
        w, d = self._prepare(h, x)
        return self.cell._update(h, d, w, jac=True, out=out)

    def output(self, state: Tensor) -> Tensor:
        """The module's output at this step: the hidden part y, ``(B, hidden_size)``."""
        return state[..., : self.cell.hidden_size]


def into(J: Tensor, out: Tensor | None) -> Tensor:
    """``J``, written into ``out`` when a buffer is given (the Map contract's ``out=`` hint)."""
    if out is None:
        return J
    if out.shape != J.shape or out.dtype != J.dtype:
        raise ValueError(f"out must be a {tuple(J.shape)} {J.dtype} tensor.")
    return out.copy_(J)


def linear(x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    """``x Wᵀ + b`` over any leading dimensions (one matmul for a whole sequence)."""
    return F.linear(x, weight, bias)
