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
        N, dt, Whh = self.hidden_size, self.dt, self.weight_hh
        eye = torch.eye(N, dtype=Whh.dtype, device=Whh.device)
        # the linear part of z', [−Δtγ I | (1 − Δtε) I] h, joins W_hh in one matmul, and the
        # drive is padded with zeros for it: addmm gives [a, lin] with a the tanh argument
        lin = torch.cat([-dt * self.gamma * eye, (1.0 - dt * self.epsilon) * eye], 1)
        U, b = self.weight_ih, self.bias
        U2 = torch.cat([U, torch.zeros_like(U)])
        b2 = None if b is None else torch.cat([b, torch.zeros_like(b)])
        return torch.cat([Whh, lin]), U2, b2

    def _drive(self, x: Tensor, w: tuple) -> Tensor:
        return linear(x, w[1], w[2])

    def _update(self, h: Tensor, d: Tensor, w: tuple, jac: bool = False, out=None):
        G = w[0]
        N, dt = self.hidden_size, self.dt
        al = torch.addmm(d, h, G.T)
        t = torch.tanh(al[:, :N])
        z_new = torch.add(al[:, N:], t, alpha=dt)  # z + Δt(tanh(a) − γy − εz)
        y_new = torch.add(h[:, :N], z_new, alpha=dt)
        new = torch.cat([y_new, z_new], 1)
        if not jac:
            return new
        dz = G[N:] + dt * ((1.0 - t * t).unsqueeze(2) * G[:N])  # (B, N, 2N)
        dy = dt * dz
        dy[:, :, :N].diagonal(dim1=1, dim2=2).add_(1.0)
        return new, into(torch.cat([dy, dz], 1), out)
