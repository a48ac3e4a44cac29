"""The antisymmetric RNN (Chang et al. 2019; Vogt, dissertation eq. 3.2–3.4)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from neurodyn.nn._cells._base import RecurrentCell, activation, into, linear, positive_float
from neurodyn.nn._cells._lipschitz import uniform_init
from neurodyn.nn.parametrizations import skew_symmetric

__all__ = ["AntisymmetricRNN"]


class AntisymmetricRNN(RecurrentCell):
    """Antisymmetric RNN h' = h + ε φ((K − γI) h + U x + b), K = L − Lᵀ skew-symmetric.

    Implements Vogt, dissertation eq. 3.3 (Chang et al. 2019, AntisymmetricRNN) with diffusion
    γ; K − γI comes from :func:`neurodyn.nn.parametrizations.skew_symmetric` (every eigenvalue
    has real part exactly −γ). Jacobian (eq. 3.4, which we confirm):

        ∂h'/∂h = I + ε·diag(φ'(a)) (K − γI),   a = (K − γI) h + U x + b.

    (The dissertation's published code flips the sign of K in its Jacobian: it steps with
    ``h @ (K − γI)`` = (K − γI)ᵀ h = (−K − γI) h but differentiates with +K.) With γ = 0 and
    small ε every singular value of J lies in [1 − ε‖K‖₂, 1 + ε‖K‖₂], so every Lyapunov
    exponent per step lies within log(1 ± ε‖K‖₂) of 0.

    Args:
        input_size, hidden_size: F and n.
        eps: the step ε > 0 (default 0.01). gamma: the diffusion γ (default 0.01; Vogt's grid
            uses ε ∈ {0.01, 0.1, 1}, γ ∈ {0.001, 0.01, 0.1}).
        nonlinearity: ``"tanh"`` (default), ``"relu"`` or ``"sigmoid"``.
        bias, batch_first: as ``nn.RNN``.

    Attributes:
        weight_hh: the current K − γI ``(n, n)``. weight_ih: U. bias: b or None.
        eps, gamma, nonlinearity, slope_bound.

    Example:
        >>> import torch, neurodyn
        >>> cell = neurodyn.nn.AntisymmetricRNN(2, 6, gamma=0.0)
        >>> K = cell.weight_hh.detach()
        >>> bool(torch.allclose(K, -K.T))
        True
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        *,
        eps: float = 0.01,
        gamma: float = 0.01,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
    ):
        super().__init__(input_size, hidden_size, batch_first=batch_first)
        who = type(self).__name__
        self.eps = positive_float(eps, "eps", who)
        self.gamma = float(gamma)
        self._act = activation(nonlinearity, who)
        self.nonlinearity, self.slope_bound = self._act.name, self._act.slope_bound
        n, m = hidden_size, input_size
        self.weight_ih = nn.Parameter(torch.empty(n, m))
        self.bias = nn.Parameter(torch.empty(n)) if bias else None
        uniform_init(self.weight_ih, self.bias, m)
        self.weight_hh = nn.Parameter(torch.empty(n, n))
        skew_symmetric(self, "weight_hh", gamma=self.gamma, init="random")

    def extra_repr(self) -> str:
        return (
            f"{self.input_size}, {self.hidden_size}, eps={self.eps}, gamma={self.gamma}, "
            f"nonlinearity={self.nonlinearity!r}, batch_first={self.batch_first}"
        )

    def _weights(self) -> tuple:
        return (self.weight_hh,)

    def _drive(self, x: Tensor, w: tuple) -> Tensor:
        return linear(x, self.weight_ih, self.bias)

    def _update(self, h: Tensor, d: Tensor, w: tuple, jac: bool = False, out=None):
        (K,) = w
        a = torch.addmm(d, h, K.T)
        y = self._act.fn(a)
        new = torch.add(h, y, alpha=self.eps)
        if not jac:
            return new
        J = self.eps * (self._act.deriv(a, y).unsqueeze(2) * K)
        J.diagonal(dim1=1, dim2=2).add_(1.0)
        return new, into(J, out)
