"""Target learning with FORCE (Sussillo & Abbott 2009, "Generating coherent patterns of activity
from chaotic neural networks", Neuron 63): the rank-1 RNN of Vogt, dissertation, §3.4.1 and
App. A ("Signal Reconstruction via Target Learning").

A random rate network with its read-out fed back,

    ẋ = −x + g J r + u z,   r = tanh(x),   z = wᵀ r,        J_ij ~ N(0, 1/N),  u_i ~ U[−1, 1],

is integrated by forward Euler with step dt, and only the read-out w is trained, online, by
recursive least squares: with ``P₀ = I/α`` and at every ``update_every``-th step

    k = P r,   c = 1/(1 + rᵀk),   P ← P − c k kᵀ,   w ← w − c (wᵀr − f(t)) k.

The closed loop is ẋ = −x + (gJ + u wᵀ) tanh(x): the effective connectivity is gJ plus a rank-1
update, i.e. eq. 1 of Kozachkov et al. 2022 with W = gJ + u wᵀ. :attr:`ForceResult.closed_loop`
is that network as a :class:`neurodyn.nn.CTRNN` (τ = 1, the same Euler step), so
``neurodyn.as_map`` gives its exact Jacobian and ``lyapunov_spectrum`` its exponents.

Checked (tests/test_force.py): :func:`rls` equals ridge regression on the same rows (RLS with
P₀ = I/α is the recursive form of ``(RᵀR + αI)⁻¹Rᵀf``); the closed loop's step equals the
training loop's with w frozen; FORCE learns a sine.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch

__all__ = ["ForceResult", "FourSine", "force", "four_sine", "rls"]


@dataclass(frozen=True)
class FourSine:
    """``f(t) = Σᵢ Aᵢ sin(2π ωᵢ t / period) / Σ|Aᵢ|`` (call it on an array of times): integer
    ωᵢ make it periodic with ``period``."""

    frequencies: tuple[int, ...]
    amplitudes: tuple[int, ...]
    period: float = 120.0

    def __call__(self, t) -> np.ndarray:
        t = np.asarray(t, dtype=np.float64)
        om = 2 * np.pi * np.asarray(self.frequencies, dtype=np.float64) / self.period
        a = np.asarray(self.amplitudes, dtype=np.float64)
        val = (a[:, None] * np.sin(om[:, None] * t.reshape(1, -1))).sum(0)
        return val.reshape(t.shape) / np.abs(a).sum()


def four_sine(seed: int = 0, period: float = 120.0) -> FourSine:
    """The "random four-sine" target of Vogt, dissertation, App. A: four sines with integer
    frequencies in [1, 6] and integer amplitudes in [1, 11], drawn by
    ``numpy.random.default_rng(seed)``.

    Read as harmonics of the 120-unit epoch (frequency ω = ω cycles per ``period``), so one
    epoch of 1200 steps at dt 0.1 is one period, and the slowest component spans 120 network
    time constants (τ = 1). This is the ratio in Sussillo & Abbott 2009's four-sine: a
    1,200 ms period at τ = 10 ms. The dissertation gives neither the unit nor a scale. ω in rad
    per time unit would put the fastest component at one τ per period, which no τ = 1 network
    follows (we measured a training MAE of 0.35 with FORCE). The sum is divided by Σ|Aᵢ|, so
    |f| ≤ 1: with feedback weights u ~ U[−1, 1], an unscaled target of amplitude up to 44
    saturates the network."""
    rng = np.random.default_rng(seed)
    return FourSine(tuple(int(v) for v in rng.integers(1, 7, 4)),
                    tuple(int(v) for v in rng.integers(1, 12, 4)), float(period))  # fmt: skip


def rls(P: np.ndarray, w: np.ndarray, r: np.ndarray, target: float) -> float:
    """One recursive-least-squares step on read-out ``w`` (N,) with inverse correlation ``P``
    (N, N), both updated in place, for activity ``r`` (N,) and target value ``target``:
    ``k = P r, c = 1/(1 + rᵀk), P ← P − c k kᵀ, w ← w − c e k`` with the prior error
    ``e = wᵀr − target`` (Sussillo & Abbott 2009, eq. 4–5). Returns e."""
    k = P @ r
    c = 1.0 / (1.0 + float(r @ k))
    e = float(w @ r) - target
    P -= c * np.outer(k, k)
    w -= (c * e) * k
    return e


@dataclass
class ForceResult:
    """A FORCE-trained rank-1 RNN.

    Attributes:
        J: ``(N, N)`` the fixed random connectivity (before g). u: ``(N,)`` feedback weights.
        w: ``(N,)`` trained read-out. g, dt, alpha: what was run.
        mae: mean |z − f| of the free-running closed loop (w frozen) over one more period of
            the target, from the state training ended in: the dissertation's validation MAE.
        train_mae: ``(epochs,)`` mean |z − f| during each training epoch (with RLS active).
        x_end: ``(N,)`` the state after the test period. z_test: ``(steps,)`` its output.
        seconds: wall time.
    """

    J: np.ndarray
    u: np.ndarray
    w: np.ndarray
    g: float
    dt: float
    alpha: float
    mae: float
    train_mae: np.ndarray
    x_end: np.ndarray
    z_test: np.ndarray = field(repr=False)
    seconds: float = 0.0

    @property
    def weight(self) -> np.ndarray:
        """The closed loop's effective connectivity ``g J + u wᵀ`` (N, N)."""
        return self.g * self.J + np.outer(self.u, self.w)

    @property
    def closed_loop(self):
        """The closed loop ẋ = −x + (gJ + u wᵀ) tanh(x) as a float64 :class:`neurodyn.nn.CTRNN`
        (one unused input, no bias, τ = 1, Euler with this dt): ``as_map`` of it is the Map the
        training loop iterated, with its exact Jacobian."""
        from neurodyn.nn import CTRNN

        N = self.J.shape[0]
        cell = CTRNN(1, N, tau=1.0, dt=self.dt, method="euler", bias=False).double()
        with torch.no_grad():
            cell.weight_hh.copy_(torch.as_tensor(self.weight))
            cell.weight_ih.zero_()
        return cell


def force(
    target,
    *,
    N: int = 512,
    g: float = 1.5,
    dt: float = 0.1,
    steps: int = 1200,
    epochs: int = 15,
    alpha: float = 1.0,
    update_every: int = 1,
    seed: int = 0,
) -> ForceResult:
    """Train the read-out of a rank-1 RNN by FORCE to reproduce ``target`` (module docstring).

    Args:
        target: f, a callable of an array of times (e.g. :func:`four_sine`), evaluated at
            t = k·dt, k = 0, 1, … continuing across epochs; or a ``(steps,)`` array of samples,
            repeated every epoch (give one period of a periodic signal, or it jumps at every
            epoch boundary).
        N: network size (512 in the dissertation). g: gain of J (1.1–2.0 there; > 1 chaotic
            without feedback). dt: Euler step (0.1). steps: steps per epoch (1200 = 120 time
            units at dt 0.1; an array target sets it). epochs: training epochs (15).
        alpha: P₀ = I/α, the RLS regulariser (Sussillo & Abbott use 1).
        update_every: RLS step on every this-many integration steps (they use 1–2).
        seed: draws J ~ N(0, 1/N), u ~ U[−1, 1], x₀ ~ N(0, 0.25) by
            ``numpy.random.default_rng(seed)``; w starts at 0.

    Returns:
        A :class:`ForceResult`; its ``mae`` is the free-running closed loop (w frozen) over the
        ``steps`` steps after training against f there.
    """
    for name, v in (("N", N), ("epochs", epochs), ("update_every", update_every)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"force: {name} must be a positive int, got {v!r}.")
    for name, v in (("g", g), ("dt", dt), ("alpha", alpha)):
        if not (isinstance(v, int | float) and math.isfinite(v) and v > 0):
            raise ValueError(f"force: {name} must be a positive number, got {v!r}.")
    if callable(target):
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 2:
            raise ValueError(f"force: steps must be an int ≥ 2, got {steps!r}.")
        f_all = np.asarray(target(np.arange((epochs + 1) * steps) * dt), dtype=np.float64)
    else:
        one = np.asarray(target, dtype=np.float64).reshape(-1)
        steps = one.size
        f_all = np.tile(one, epochs + 1)
    if f_all.size < 2 or not np.all(np.isfinite(f_all)):
        raise ValueError("force: target must give a finite signal of ≥ 2 steps.")
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    J = rng.standard_normal((N, N)) / math.sqrt(N)
    u = rng.uniform(-1.0, 1.0, N)
    x = 0.5 * rng.standard_normal(N)
    w = np.zeros(N)
    P = np.eye(N) / alpha
    gJ = g * J
    train_mae = np.empty(epochs)
    for ep in range(epochs):
        err = 0.0
        for i in range(steps):
            ft = f_all[ep * steps + i]
            r = np.tanh(x)
            if i % update_every == 0:
                rls(P, w, r, ft)
            z = float(w @ r)
            err += abs(z - ft)
            x = x + dt * (-x + gJ @ r + u * z)
        train_mae[ep] = err / steps
    f_test = f_all[epochs * steps :]
    z_test = np.empty(steps)
    for i in range(steps):  # free-running closed loop, w frozen
        r = np.tanh(x)
        z_test[i] = w @ r
        x = x + dt * (-x + gJ @ r + u * z_test[i])
    mae = float(np.mean(np.abs(z_test - f_test)))
    return ForceResult(J, u, w, float(g), float(dt), float(alpha), mae, train_mae, x, z_test,
                       time.perf_counter() - t0)  # fmt: skip
