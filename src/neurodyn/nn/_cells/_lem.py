"""Long Expressive Memory (Rusch et al. 2022; Vogt, dissertation eq. 3.8–3.9)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from neurodyn.nn._cells._base import RecurrentCell, into, linear, positive_float
from neurodyn.nn._cells._bptt import LEMSequence, fast_path
from neurodyn.nn._cells._lipschitz import uniform_init

__all__ = ["LEM"]


class LEM(RecurrentCell):
    """Long Expressive Memory on the state [y, z] (Vogt, dissertation eq. 3.8–3.9):

        Δt_n  = Δt σ̂(W_1 y + V_1 x + b_1),   Δ̄t_n = Δt σ̂(W_2 y + V_2 x + b_2)
        z'    = (1 − Δt_n) ⊙ z + Δt_n ⊙ σ(W_z y + V_z x + b_z)                 (3.8)
        y'    = (1 − Δ̄t_n) ⊙ y + Δ̄t_n ⊙ σ(W_y z' + V_y x + b_y)                (3.9)

    with σ̂ the logistic sigmoid and σ = tanh (Rusch et al. 2022). Jacobian of the full state
    (s = σ̂ values, t = tanh values, D(v) = diag(v)):

        ∂z'/∂y = D(Δt s_1(1−s_1)(t_z − z)) W_1 + D(Δt_n (1 − t_z²)) W_z,   ∂z'/∂z = D(1 − Δt_n)
        ∂y'/∂y = D(1 − Δ̄t_n) + D(Δt s_2(1−s_2)(t_y − y)) W_2 + D(Δ̄t_n (1 − t_y²)) W_y ∂z'/∂y
        ∂y'/∂z = D(Δ̄t_n (1 − t_y²)) W_y D(1 − Δt_n).

    The dissertation's derivation drops σ in eq. 3.9 (it differentiates
    Δ̄t_n ⊙ (W_y z_n + V_y u_n + b_y)), writes the products W_1 σ̂'(·) with the diagonal on the
    wrong side, and gives only the y-block; the z-columns are part of the state.

    Args:
        input_size, hidden_size: F and N (state n = 2N, [y, z]).
        dt: Δt (default 1.0, which keeps 1 − Δt_n ∈ (0, 1)).
        bias, batch_first: as ``nn.RNN``.

    Attributes:
        weight_ih: ``(4N, F)`` = [V_1; V_2; V_z; V_y]. bias: ``(4N,)`` or None.
        weight_hh: ``(3N, N)`` = [W_1; W_2; W_z] (acting on y). weight_zy: W_y ``(N, N)``.
        dt; nonlinearity = "tanh"; slope_bound = 1.

    Example:
        >>> import torch, neurodyn
        >>> cell = neurodyn.nn.LEM(2, 3, batch_first=True)
        >>> out, h = cell(torch.randn(4, 7, 2))
        >>> out.shape, h.shape
        (torch.Size([4, 7, 3]), torch.Size([4, 6]))
    """

    _state_parts = 2
    nonlinearity = "tanh"
    slope_bound = 1.0

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        *,
        dt: float = 1.0,
        bias: bool = True,
        batch_first: bool = False,
    ):
        super().__init__(input_size, hidden_size, batch_first=batch_first)
        self.dt = positive_float(dt, "dt", type(self).__name__)
        N, m = hidden_size, input_size
        self.weight_ih = nn.Parameter(torch.empty(4 * N, m))
        self.bias = nn.Parameter(torch.empty(4 * N)) if bias else None
        uniform_init(self.weight_ih, self.bias, m)
        self.weight_hh = nn.Parameter(torch.empty(3 * N, N))
        self.weight_zy = nn.Parameter(torch.empty(N, N))
        uniform_init(self.weight_hh, None, N)
        uniform_init(self.weight_zy, None, N)

    def extra_repr(self) -> str:
        return (
            f"{self.input_size}, {self.hidden_size}, dt={self.dt}, batch_first={self.batch_first}"
        )

    def _weights(self) -> tuple:
        # with their transposes, taken once per sequence rather than once per step
        return self.weight_hh, self.weight_zy, self.weight_hh.T, self.weight_zy.T

    def _drive(self, x: Tensor, w: tuple) -> Tensor:
        return linear(x, self.weight_ih, self.bias)

    def _parts(self, y: Tensor, z: Tensor, dg: Tensor, dy: Tensor, w: tuple):
        """One step on the parts (eq. 3.8–3.9) from the drive split as ``dg`` (the 3N rows
        [V_1; V_2; V_z] x + b) and ``dy`` (V_y x + b_y): ``(y', z', g, [Δt_n, Δ̄t_n], t_z, t_y)``."""
        WhhT, WyT = w[2:]
        N, dt = self.hidden_size, self.dt
        g = torch.addmm(dg, y, WhhT)
        gs, gz = g.split([2 * N, N], 1)  # one SplitBackward, not a zero tensor per slice
        steps = torch.sigmoid(gs)
        if dt != 1.0:
            steps = dt * steps  # [Δt_n, Δ̄t_n]
        dt1, dt2 = steps.split(N, 1)
        tz = torch.tanh(gz)
        z_new = torch.lerp(z, tz, dt1)  # (1 − Δt_n) z + Δt_n tz
        ty = torch.tanh(torch.addmm(dy, z_new, WyT))
        y_new = torch.lerp(y, ty, dt2)
        return y_new, z_new, g, steps, tz, ty

    def _loop(self, h: Tensor, drive: Tensor, w: tuple) -> tuple[list[Tensor] | Tensor, Tensor]:
        N = self.hidden_size
        y, z = h[:, :N], h[:, N:]
        if fast_path(drive, h, w[0], w[1]):  # hand-written BPTT (``_bptt``), same numbers
            Y, z = LEMSequence.apply(drive, y, z, w[0], w[1], self)
            return Y, torch.cat([Y[-1], z], 1)
        dg, dy = drive.split([3 * N, N], 2)
        outs = []
        for dg_t, dy_t in zip(dg.unbind(0), dy.unbind(0), strict=True):
            y, z = self._parts(y, z, dg_t, dy_t, w)[:2]
            outs.append(y)
        return outs, torch.cat([y, z], 1)

    def _update(self, h: Tensor, d: Tensor, w: tuple, jac: bool = False, out=None):
        Whh, Wy = w[:2]
        N, dt = self.hidden_size, self.dt
        y, z = h[:, :N], h[:, N:]
        y_new, z_new, g, steps, tz, ty = self._parts(y, z, d[:, : 3 * N], d[:, 3 * N :], w)
        new = torch.cat([y_new, z_new], 1)
        if not jac:
            return new
        dt1, dt2 = steps[:, :N], steps[:, N:]
        W1, W2, Wz = Whh[:N], Whh[N : 2 * N], Whh[2 * N :]
        s1, s2 = torch.sigmoid(g[:, :N]), torch.sigmoid(g[:, N : 2 * N])
        col = lambda v, M: v.unsqueeze(2) * M  # noqa: E731  (D(v) M, batched)
        keep_z = 1.0 - dt1
        dzy = col(dt * s1 * (1.0 - s1) * (tz - z), W1) + col(dt1 * (1.0 - tz * tz), Wz)
        gy = col(dt2 * (1.0 - ty * ty), Wy)  # ∂y'/∂z' (B, N, N)
        dyy = col(dt * s2 * (1.0 - s2) * (ty - y), W2) + gy @ dzy
        dyy.diagonal(dim1=1, dim2=2).add_(1.0 - dt2)
        dyz = gy * keep_z.unsqueeze(1)
        dzz = torch.diag_embed(keep_z)
        J = torch.cat([torch.cat([dyy, dyz], 2), torch.cat([dzy, dzz], 2)], 1)
        return new, into(J, out)
