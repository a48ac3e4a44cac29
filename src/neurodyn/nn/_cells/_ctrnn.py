"""The continuous-time RNN τẋ = −x + W φ(x) + U u + b (Kozachkov et al. 2022, eq. 1), stepped
by :class:`neurodyn.systems.FlowMap`."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from neurodyn.nn._cells._base import RecurrentCell, activation, linear, positive_float
from neurodyn.nn._cells._bptt import CTRNNRK4Sequence, fast_path
from neurodyn.nn._cells._lipschitz import uniform_init
from neurodyn.systems import FLOW_SCHEMES, FlowMap

__all__ = ["CTRNN", "CTRNNFlow"]


class CTRNNFlow(FlowMap):
    """A :class:`CTRNN` as a :class:`~neurodyn.systems.FlowMap` (its exact step Jacobians).

    Field (explicit schemes): f(x, u) = (−x + W φ(x) + U u + b)/τ, Df = (−I + W diag(φ'(x)))/τ.
    For ``"imex"`` the leak −x/τ is the implicit linear part L = −I/τ and the field is the
    rest, N = (W φ(x) + U u + b)/τ. ``projected=True`` takes the drive v = U u + b itself as
    input (the module's forward projects a whole sequence in one matmul first).
    """

    def __init__(self, cell: CTRNN, *, projected: bool = False):
        self.cell, self._projected = cell, projected
        self._fn = self._jac = None
        n = cell.hidden_size
        self.dim = n
        self.input_size = n if projected else cell.input_size
        self._setup(cell.dt, cell.method, -1.0 / cell.tau if cell.method == "imex" else None)

    def __repr__(self) -> str:
        c = self.cell
        return (
            f"CTRNNFlow(hidden_size={c.hidden_size}, tau={c.tau}, dt={self.dt:g}, "
            f"scheme={self.scheme!r}, nonlinearity={c.nonlinearity!r})"
        )

    @property
    def dtype(self):
        return self.cell.weight_hh.dtype

    @property
    def device(self):
        return self.cell.weight_hh.device

    def _field(self, h: Tensor, x: Tensor | None) -> Tensor:
        c = self.cell
        v = x if self._projected else c._drive(x, ())
        f = torch.addmm(v, c._act.fn(h), c.weight_hh.T)
        if self.scheme != "imex":
            f = f - h
        return f / c.tau

    def _field_jac(self, h: Tensor, x: Tensor | None) -> Tensor:
        c = self.cell
        J = c.weight_hh * c._act.deriv(h, c._act.fn(h)).unsqueeze(1)  # W diag(φ'(x))
        if self.scheme != "imex":
            J.diagonal(dim1=1, dim2=2).sub_(1.0)
        return J / c.tau


class CTRNN(RecurrentCell):
    """Continuous-time RNN τẋ = −x + W φ(x) + U u + b, one integrator step per input.

    Implements Kozachkov et al. 2022, eq. 1 (the system their contraction Theorems 1–5 are
    about), discretised by :class:`~neurodyn.systems.FlowMap` with the input held over the step:
    ``"euler"``: x' = x + dt f(x, u), J = I + (dt/τ)(−I + W diag(φ'(x))); ``"imex"``: the leak
    implicit, x' = (x + (dt/τ)(W φ(x) + U u + b)) / (1 + dt/τ); ``"rk4"``: classical RK4 with
    its exact step Jacobian. ``as_map(cell)`` is that :class:`CTRNNFlow` (dt = the step, so
    Lyapunov exponents are per unit time of eq. 1).

    Args:
        input_size, hidden_size: widths of u and x.
        tau: τ > 0. dt: the step > 0 (default 0.1).
        nonlinearity: ``"tanh"`` (g = 1), ``"relu"`` (g = 1) or ``"sigmoid"`` (g = 1/4).
        method: ``"euler"`` (default), ``"imex"`` or ``"rk4"``.
        bias, batch_first: as ``nn.RNN``.

    Attributes:
        weight_hh: W ``(n, n)``. weight_ih: U ``(n, F)``. bias: b or None.
        tau, dt (floats), method, nonlinearity (str), slope_bound (g: 0 ≤ φ' ≤ g).

    Example:
        >>> import torch, neurodyn
        >>> cell = neurodyn.nn.CTRNN(2, 5, tau=2.0, method="imex")
        >>> type(neurodyn.as_map(cell)).__name__, neurodyn.as_map(cell).dt
        ('CTRNNFlow', 0.1)
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        *,
        tau: float = 1.0,
        dt: float = 0.1,
        nonlinearity: str = "tanh",
        method: str = "euler",
        bias: bool = True,
        batch_first: bool = False,
    ):
        super().__init__(input_size, hidden_size, batch_first=batch_first)
        who = type(self).__name__
        self.tau = positive_float(tau, "tau", who)
        self.dt = positive_float(dt, "dt", who)
        if method not in FLOW_SCHEMES:
            raise ValueError(f"{who}: method must be one of {FLOW_SCHEMES}, got {method!r}.")
        self.method = method
        self._act = activation(nonlinearity, who)
        self.nonlinearity, self.slope_bound = self._act.name, self._act.slope_bound
        n, m = hidden_size, input_size
        self.weight_ih = nn.Parameter(torch.empty(n, m))
        self.bias = nn.Parameter(torch.empty(n)) if bias else None
        uniform_init(self.weight_ih, self.bias, m)
        self.weight_hh = nn.Parameter(torch.empty(n, n))
        uniform_init(self.weight_hh, None, n)

    def extra_repr(self) -> str:
        return (
            f"{self.input_size}, {self.hidden_size}, tau={self.tau}, dt={self.dt}, "
            f"method={self.method!r}, nonlinearity={self.nonlinearity!r}, "
            f"batch_first={self.batch_first}"
        )

    def _weights(self) -> tuple:
        return (CTRNNFlow(self, projected=True),)

    def _drive(self, x: Tensor, w: tuple) -> Tensor:
        return linear(x, self.weight_ih, self.bias)

    def _update(self, h: Tensor, d: Tensor, w: tuple, jac: bool = False, out=None):
        (flow,) = w
        return flow.step_and_jacobian(h, d, out=out) if jac else flow.step(h, d)

    def _loop(self, h: Tensor, drive: Tensor, w: tuple) -> tuple[list[Tensor], Tensor]:
        """The forward's loop with 1/τ (and for Euler dt/τ) folded into W and the whole drive
        once per sequence: Euler h' = (1 − dt/τ) h + (dt/τ)(W φ(h) + v), 3 ops a step; RK4
        Kᵢ = (W/τ) φ(sᵢ) + v/τ − sᵢ/τ, 19 ops a step (the :class:`CTRNNFlow` step, to float32
        rounding); when training, RK4 runs with its hand-written BPTT (``CTRNNRK4Sequence``).
        ``"imex"`` runs the generic loop."""
        if self.method == "imex":
            return super()._loop(h, drive, w)
        act, dt, c = self._act.fn, self.dt, 1.0 / self.tau
        outs = []
        if self.method == "euler":
            s = dt * c
            WT, drive = (s * self.weight_hh).T, s * drive
            for v in drive.unbind(0):
                h = torch.add(torch.addmm(v, act(h), WT), h, alpha=1.0 - s)
                outs.append(h)
            return outs, h
        if fast_path(drive, h, self.weight_hh):  # hand-written BPTT (``_bptt``), same numbers
            H = CTRNNRK4Sequence.apply(drive, h, self.weight_hh, self)
            return H, H[-1]
        WT, drive = (c * self.weight_hh).T, c * drive
        for v in drive.unbind(0):
            k1 = torch.sub(torch.addmm(v, act(h), WT), h, alpha=c)
            s = torch.add(h, k1, alpha=0.5 * dt)
            k2 = torch.sub(torch.addmm(v, act(s), WT), s, alpha=c)
            s = torch.add(h, k2, alpha=0.5 * dt)
            k3 = torch.sub(torch.addmm(v, act(s), WT), s, alpha=c)
            s = torch.add(h, k3, alpha=dt)
            k4 = torch.sub(torch.addmm(v, act(s), WT), s, alpha=c)
            acc = torch.add(torch.add(torch.add(k1, k2, alpha=2.0), k3, alpha=2.0), k4)
            h = torch.add(h, acc, alpha=dt / 6)
            outs.append(h)
        return outs, h

    def __neurodyn_map__(self) -> CTRNNFlow:
        """The flow map of one step, driven by the raw input u (:class:`CTRNNFlow`)."""
        return CTRNNFlow(self)
