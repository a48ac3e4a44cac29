"""The Lipschitz RNN (Erichson et al. 2021) and the Noisy RNN built on it (Lim et al. 2021)."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from neurodyn.nn._cells._base import RecurrentCell, activation, into, linear, positive_float
from neurodyn.nn.parametrizations import symmetric_skew

__all__ = ["LipschitzRNN", "NoisyRNN"]

METHODS = ("euler", "imex")


def uniform_init(weight: Tensor, bias: Tensor | None, fan_in: int) -> None:
    """``nn.Linear``'s default: U(−1/√fan_in, 1/√fan_in) for the weight and the bias."""
    k = 1.0 / math.sqrt(fan_in)
    with torch.no_grad():
        weight.uniform_(-k, k)
        if bias is not None:
            bias.uniform_(-k, k)


class LipschitzRNN(RecurrentCell):
    """Lipschitz recurrent unit ḣ = A h + φ(W h + U x + b), stepped by Euler or IMEX.

    Implements Erichson et al. 2021, eq. 1 with A and W built by their eq. 9 with separate
    tuning pairs (App. C, eq. 62–63; Vogt, dissertation App. C):
    ``A = (1−β_A)(M_A + M_Aᵀ) + β_A(M_A − M_Aᵀ) − γ_A I`` and likewise W with (β_W, γ_W),
    through :func:`neurodyn.nn.parametrizations.symmetric_skew` (so A and W keep Prop. 2's
    eigenvalue bounds by construction). One step, z = W h + U x + b:

    * ``method="euler"`` (eq. 15, the scheme of the paper's experiments):
      ``h' = h + dt·A h + dt·φ(z)``; ∂h'/∂h = I + dt·A + dt·diag(φ'(z)) W.
    * ``method="imex"`` (eq. 14): ``h' = h + dt·φ(z) + dt·[(1−ρ) A h + ρ A h']``, solved
      exactly (a linear solve, no iteration): ``h' = R[(I + (1−ρ)dt A) h + dt φ(z)]`` with
      ``R = (I − ρ dt A)⁻¹``; ∂h'/∂h = R[I + (1−ρ)dt A + dt·diag(φ'(z)) W]. ρ = 1 (default:
      linear part implicit, nonlinear part explicit, as the paper describes IMEX); ρ = 0 is
      Euler.

    The state is h, ``(B, hidden_size)``; the output is h at every step.

    ``alpha`` scales the linear term: ḣ = α A h + φ(z), so the Euler step is Erichson et al.
    2021's ablation unit, eq. 16, ``h' = h + α·dt·A h + dt·φ(z)`` (α = 1: the Lipschitz RNN;
    α = 0: the paper's "neural ODE RNN" baseline of Sec. 6.3 and Table 3), and IMEX integrates
    the same ODE (α A in place of A above). The step, its Jacobian, the Map and
    :func:`neurodyn.contraction.certify` all use α A.

    Args:
        input_size: F, width of x. hidden_size: n.
        beta_a, gamma_a: (β_A, γ_A) of A; ``0 ≤ β ≤ 1``, ``γ ≥ 0``.
        beta_w, gamma_w: (β_W, γ_W) of W. Defaults β = 0.75, γ = 1e-3 (Erichson et al. 2021,
            §4 recommends β ∈ [0.65, 0.85], §6.3 uses γ = 0.001).
        dt: the step ε (default 0.01, the step of the authors' released sequential-MNIST
            runs; the paper tunes it, App. C).
        method: ``"euler"`` (default) or ``"imex"``.
        rho: ρ ∈ [0, 1] of the IMEX scheme (default 1.0); only with ``method="imex"``.
        alpha: α ≥ 0, the weight of the linear term (eq. 16; default 1.0). The paper sweeps
            it over [0, 1.6] (Fig. 2a) and reports that the unit degenerates beyond 1.6.
        nonlinearity: ``"tanh"`` (default, the paper's), ``"relu"`` or ``"sigmoid"``.
        bias: whether b is learned (else b = 0).
        batch_first: input/output ``(B, T, ·)`` instead of ``(T, B, ·)``.

    Attributes:
        A, W: the current ``(n, n)`` matrices (parametrized, recomputed from M_A, M_W).
        weight_ih: U, ``(n, F)``. bias: b, ``(n,)`` or None.
        dt (float), method (str), rho (float: 0.0 for Euler), alpha (float), nonlinearity (str),
        slope_bound (float: max φ', 1 for tanh), beta_a, gamma_a, beta_w, gamma_w.

    Raises:
        ValueError: bad sizes, β ∉ [0, 1], γ < 0, dt ≤ 0, unknown method or nonlinearity,
            ρ ∉ [0, 1] or ρ given with Euler.

    Example:
        >>> import torch, neurodyn
        >>> cell = neurodyn.nn.LipschitzRNN(3, 8, method="imex").double()
        >>> out, h = cell(torch.randn(20, 2, 3, dtype=torch.float64))
        >>> out.shape, h.shape, neurodyn.as_map(cell).dim
        (torch.Size([20, 2, 8]), torch.Size([2, 8]), 8)
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        *,
        beta_a: float = 0.75,
        gamma_a: float = 1e-3,
        beta_w: float = 0.75,
        gamma_w: float = 1e-3,
        dt: float = 0.01,
        method: str = "euler",
        rho: float | None = None,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        alpha: float = 1.0,
    ):
        super().__init__(input_size, hidden_size, batch_first=batch_first)
        who = type(self).__name__
        ok = isinstance(alpha, int | float) and not isinstance(alpha, bool)
        if not ok or not 0.0 <= float(alpha) < float("inf"):
            raise ValueError(
                f"{who}: alpha must be a finite number ≥ 0 (the weight of A h, Erichson et al. "
                f"2021, eq. 16), got {alpha!r}."
            )
        self.alpha = float(alpha)
        if method not in METHODS:
            raise ValueError(f"{who}: method must be one of {METHODS}, got {method!r}.")
        if method == "euler" and rho not in (None, 0, 0.0):
            raise ValueError(f"{who}: rho is the IMEX weight; pass method='imex' to use it.")
        rho = (1.0 if method == "imex" else 0.0) if rho is None else float(rho)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"{who}: rho must lie in [0, 1] (Erichson et al. 2021, eq. 14).")
        self.dt = positive_float(dt, "dt", who)
        self.method, self.rho = method, rho
        self._act = activation(nonlinearity, who)
        self.nonlinearity, self.slope_bound = self._act.name, self._act.slope_bound
        self.beta_a, self.gamma_a = float(beta_a), float(gamma_a)
        self.beta_w, self.gamma_w = float(beta_w), float(gamma_w)
        n, m = hidden_size, input_size
        self.weight_ih = nn.Parameter(torch.empty(n, m))
        self.bias = nn.Parameter(torch.empty(n)) if bias else None
        uniform_init(self.weight_ih, self.bias, m)
        self.A = nn.Parameter(torch.empty(n, n))
        self.W = nn.Parameter(torch.empty(n, n))
        try:
            symmetric_skew(self, "A", beta=beta_a, gamma=gamma_a, init="random")
            symmetric_skew(self, "W", beta=beta_w, gamma=gamma_w, init="random")
        except ValueError as err:
            raise ValueError(f"{who}: {err}") from err

    def extra_repr(self) -> str:
        return (
            f"{self.input_size}, {self.hidden_size}, method={self.method!r}, dt={self.dt}"
            + (f", rho={self.rho}" if self.method == "imex" else "")
            + (f", alpha={self.alpha}" if self.alpha != 1.0 else "")
            + f", nonlinearity={self.nonlinearity!r}, batch_first={self.batch_first}"
        )

    def _weights(self) -> tuple:
        A, W = self.A, self.W
        if self.alpha != 1.0:  # eq. 16: the linear term α A (α = 1 multiplies by nothing)
            A = self.alpha * A
        n, dt = self.hidden_size, self.dt
        eye = torch.eye(n, dtype=A.dtype, device=A.device)
        U, b = self.weight_ih, self.bias
        # the drive is padded with zeros so that one addmm gives [W h + U x + b, P h]
        U2 = torch.cat([U, torch.zeros_like(U)])
        b2 = None if b is None else torch.cat([b, torch.zeros_like(b)])
        if self.method == "euler":
            return torch.cat([W, eye + dt * A]), W, None, U2, b2
        # eq. 14 solved for h': (I − ρ dt A) h' = (I + (1−ρ) dt A) h + dt φ(z), one solve for
        # both right-hand sides: [P | Q] = (I − ρ dt A)⁻¹ [I + (1−ρ) dt A | dt I].
        rhs = torch.cat([eye + (1.0 - self.rho) * dt * A, dt * eye], 1)
        PQ = torch.linalg.solve(eye - self.rho * dt * A, rhs)
        return torch.cat([W, PQ[:, :n]]), W, PQ[:, n:], U2, b2

    def _drive(self, x: Tensor, w: tuple) -> Tensor:
        return linear(x, w[3], w[4])

    def _update(self, h: Tensor, d: Tensor, w: tuple, jac: bool = False, out=None):
        G, W, Q = w[:3]
        n = self.hidden_size
        zp = torch.addmm(d, h, G.T)  # [z, P h], z = W h + U x + b, in one matmul
        z, p = zp[:, :n], zp[:, n:]
        y = self._act.fn(z)
        new = torch.add(p, y, alpha=self.dt) if Q is None else torch.addmm(p, y, Q.T)
        if not jac:
            return new
        DW = self._act.deriv(z, y).unsqueeze(2) * W
        J = G[n:] + (self.dt * DW if Q is None else Q @ DW)
        return new, into(J, out)


class NoisyRNN(LipschitzRNN):
    """Noisy RNN: the Euler Lipschitz unit with noise injected in training mode only.

    Implements the Euler–Maruyama step of Lim et al. 2021 (Noisy recurrent neural networks,
    NeurIPS; in Vogt, dissertation App. C) dh = [A h + φ(W h + U x + b)] dt + σ(h) dB with
    additive and multiplicative diffusion σ(h) = σ_add I + σ_mult diag(h):

        training: h' = h + dt·(A h + φ(z)) + √dt·(σ_add + σ_mult h) ⊙ ξ,   ξ ~ N(0, I)
        eval:     h' = h + dt·(A h + φ(z))                  (the LipschitzRNN Euler step)

    **Its Map is the eval-mode, noise-free map** (whatever mode the module is in): a random
    step is not a map; its Jacobian is I + dt·A + dt·diag(φ'(z)) W. (Vogt's App. C instead
    scales the whole update by a random factor η and differentiates that sample.)

    Args:
        noise_add, noise_mult: σ_add, σ_mult ≥ 0 (default 0.02 each).
        The rest as :class:`LipschitzRNN` (Euler only).

    Example:
        >>> import torch, neurodyn
        >>> cell = neurodyn.nn.NoisyRNN(2, 4).eval()
        >>> x = torch.randn(5, 1, 2)
        >>> torch.equal(cell(x)[1], cell(x)[1])
        True
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        *,
        beta_a: float = 0.75,
        gamma_a: float = 1e-3,
        beta_w: float = 0.75,
        gamma_w: float = 1e-3,
        dt: float = 0.01,
        noise_add: float = 0.02,
        noise_mult: float = 0.02,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
    ):
        super().__init__(
            input_size, hidden_size, beta_a=beta_a, gamma_a=gamma_a, beta_w=beta_w,
            gamma_w=gamma_w, dt=dt, method="euler", nonlinearity=nonlinearity, bias=bias,
            batch_first=batch_first,
        )  # fmt: skip
        for name, v in (("noise_add", noise_add), ("noise_mult", noise_mult)):
            if not float(v) >= 0 or float(v) == float("inf"):
                raise ValueError(f"NoisyRNN: {name} must be a finite number ≥ 0, got {v!r}.")
        self.noise_add, self.noise_mult = float(noise_add), float(noise_mult)

    def extra_repr(self) -> str:
        return super().extra_repr() + f", noise_add={self.noise_add}, noise_mult={self.noise_mult}"

    def _forward_update(self, h: Tensor, d: Tensor, w: tuple) -> Tensor:
        new = self._update(h, d, w)
        if not self.training or (self.noise_add == 0 and self.noise_mult == 0):
            return new
        xi = torch.randn_like(h)
        return new + math.sqrt(self.dt) * (self.noise_add + self.noise_mult * h) * xi
