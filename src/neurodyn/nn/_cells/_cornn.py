"""The coupled oscillatory RNN (Rusch & Mishra 2021; Vogt, dissertation App. C)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from neurodyn.nn._cells._base import RecurrentCell, into, linear, positive_float
from neurodyn.nn._cells._lipschitz import uniform_init

__all__ = ["CoRNN"]


class CoRNN(RecurrentCell):
    """Coupled oscillatory RNN on the state [y, z] (Rusch & Mishra 2021, eq. 3):

        z' = z + Δt·(tanh(W_y y + W_z z + V x + b) − γ y − ε z)
        y' = y + Δt·z'

    (Vogt, dissertation App. C). ``weight_hh = [W_y | W_z]`` acts on the whole state. Jacobian
    of the full state, a = W_y y + W_z z + V x + b, D = diag(1 − tanh²(a)):

        ∂z'/∂y = Δt (D W_y − γ I),   ∂z'/∂z = I + Δt (D W_z − ε I),
        ∂y'/∂y = I + Δt ∂z'/∂y,      ∂y'/∂z = Δt ∂z'/∂z.

    The dissertation gives only ∂y'/∂y, as (1 − Δt²γ) I + Δt² W_yᵀ(1 − tanh²(a)): the diagonal
    factor multiplies the rows of W_y (D W_y), not the columns of W_yᵀ, and the z-half of the
    state (N of its 2N dimensions) is missing.

    Args:
        input_size, hidden_size: F and N (the state has n = 2N entries, [y, z]).
        dt, gamma, epsilon: Δt, γ, ε (defaults 0.042, 2.7, 4.7: Rusch & Mishra's
            sequential-MNIST values).
        bias, batch_first: as ``nn.RNN``.

    Attributes:
        weight_hh: ``(N, 2N)`` = [W_y | W_z]. weight_ih: V ``(N, F)``. bias: b or None.
        dt, gamma, epsilon; slope_bound = 1 (tanh); nonlinearity = "tanh".

    Example:
        >>> import torch, neurodyn
        >>> cell = neurodyn.nn.CoRNN(1, 4)
        >>> out, h = cell(torch.randn(10, 3, 1))
        >>> out.shape, h.shape            # output y; state [y, z]
        (torch.Size([10, 3, 4]), torch.Size([3, 8]))
    """

    _state_parts = 2
    nonlinearity = "tanh"
    slope_bound = 1.0

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        *,
        dt: float = 0.042,
        gamma: float = 2.7,
        epsilon: float = 4.7,
        bias: bool = True,
        batch_first: bool = False,
    ):
        super().__init__(input_size, hidden_size, batch_first=batch_first)
        who = type(self).__name__
        self.dt = positive_float(dt, "dt", who)
        self.gamma, self.epsilon = float(gamma), float(epsilon)
        N, m = hidden_size, input_size
        self.weight_ih = nn.Parameter(torch.empty(N, m))
        self.bias = nn.Parameter(torch.empty(N)) if bias else None
        uniform_init(self.weight_ih, self.bias, m)
        self.weight_hh = nn.Parameter(torch.empty(N, 2 * N))
        uniform_init(self.weight_hh, None, 2 * N)

    def extra_repr(self) -> str:
        return (
            f"{self.input_size}, {self.hidden_size}, dt={self.dt}, gamma={self.gamma}, "
            f"epsilon={self.epsilon}, batch_first={self.batch_first}"
        )

    def _weights(self) -> tuple:
        N, Whh = self.hidden_size, self.weight_hh
        # W_yᵀ and W_zᵀ (views, once per sequence), so each step is two addmm's on the parts
        # y, z: no slicing or concatenating of the state (a slice's backward writes a zero
        # tensor of the whole state, per step)
        return Whh, Whh[:, :N].T, Whh[:, N:].T

    def _drive(self, x: Tensor, w: tuple) -> Tensor:
        return linear(x, self.weight_ih, self.bias)

    def _parts(self, y: Tensor, z: Tensor, d: Tensor, w: tuple) -> tuple[Tensor, Tensor, Tensor]:
        """One step on the parts: ``(y', z', tanh(a))`` (the class docstring's eq. 3)."""
        _, WyT, WzT = w
        dt = self.dt
        t = torch.tanh(torch.addmm(torch.addmm(d, y, WyT), z, WzT))
        # z' = (1 − Δtε) z − Δtγ y + Δt tanh(a)
        z_new = torch.add(
            torch.add(z * (1.0 - dt * self.epsilon), y, alpha=-dt * self.gamma), t, alpha=dt
        )
        return torch.add(y, z_new, alpha=dt), z_new, t

    def _loop(self, h: Tensor, drive: Tensor, w: tuple) -> tuple[list[Tensor], Tensor]:
        N = self.hidden_size
        y, z = h[:, :N], h[:, N:]
        outs = []
        for d_t in drive.unbind(0):
            y, z, _ = self._parts(y, z, d_t, w)
            outs.append(y)
        return outs, torch.cat([y, z], 1)

    def _update(self, h: Tensor, d: Tensor, w: tuple, jac: bool = False, out=None):
        N, dt = self.hidden_size, self.dt
        y_new, z_new, t = self._parts(h[:, :N], h[:, N:], d, w)
        new = torch.cat([y_new, z_new], 1)
        if not jac:
            return new
        G = w[0]
        dz = dt * ((1.0 - t * t).unsqueeze(2) * G)  # (B, N, 2N): Δt D [W_y | W_z]
        dz[:, :, :N].diagonal(dim1=1, dim2=2).sub_(dt * self.gamma)
        dz[:, :, N:].diagonal(dim1=1, dim2=2).add_(1.0 - dt * self.epsilon)
        dy = dt * dz
        dy[:, :, :N].diagonal(dim1=1, dim2=2).add_(1.0)
        return new, into(torch.cat([dy, dz], 1), out)
