"""Covariant Lyapunov vectors by Ginelli's forward–backward method.

Ginelli, Poggi, Turchi, Chaté, Livi, Politi, "Characterizing dynamics with covariant Lyapunov
vectors", PRL 99, 130601 (2007). Forward: J_t Q_{t−1} = Q_t R_t (QR every step). Backward: from
a random upper-triangular C at the end, C_{t−1} = R_t⁻¹ C_t with columns renormalised; then the
covariant vectors at time t are V_t = Q_t C_t. They satisfy J_{t+1} v_i(t) ∥ v_i(t+1) and grow
at the i-th Lyapunov exponent, in both time directions.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from neurodyn.lyapunov._qr import qr
from neurodyn.systems import complete_map

__all__ = ["CLVResult", "covariant_lyapunov_vectors"]


@dataclass(frozen=True)
class CLVResult:
    """Covariant Lyapunov vectors along a trajectory.

    Attributes:
        vectors: ``(B, T, n, k)``; ``vectors[:, t, :, i]`` is the unit vector v_i at state
            ``states[:, t]`` (t = 0 … T−1).
        states: ``(B, T, n)`` the states the vectors live at.
        exponents: ``(k,)`` growth rates of the covariant vectors in the backward pass (they
            equal the Lyapunov exponents), nats per unit time.
        forward_exponents: ``(k,)`` the QR (Gram–Schmidt) exponents of the same forward run.
    """

    vectors: Tensor
    states: Tensor
    exponents: Tensor
    forward_exponents: Tensor

    def to_dict(self) -> dict:
        return {
            "exponents": self.exponents.tolist(),
            "forward_exponents": self.forward_exponents.tolist(),
            "shape": list(self.vectors.shape),
        }


@torch.no_grad()
def covariant_lyapunov_vectors(
    map,
    inputs: Tensor | None = None,
    h0: Tensor | None = None,
    *,
    steps: int,
    warmup: int = 100,
    transient: int = 100,
    k: int | None = None,
    generator: torch.Generator | None = None,
) -> CLVResult:
    """Covariant Lyapunov vectors (Ginelli et al. 2007) over ``steps`` states of a trajectory.

    Args:
        map: a Map (``neurodyn.as_map`` is applied).
        inputs: ``(B, warmup + steps + transient, input_size)`` for driven maps.
        h0: ``(B, n)`` initial states (zeros for driven maps by default).
        steps: number of states T at which vectors are returned.
        warmup: forward steps before the window (Gram–Schmidt vectors converge).
        transient: extra forward steps after the window, used by the backward pass to converge
            C onto the covariant directions before the window is reached.
        k: number of vectors (default n).
    """
    f = complete_map(map)
    n = f.dim
    kt = f.tangent_dim
    if kt != n:
        raise ValueError("covariant vectors need the full tangent space (tangent_dim == dim).")
    k = n if k is None else k
    if not 1 <= k <= n:
        raise ValueError(f"k must be in [1, {n}], got {k}.")
    total = warmup + steps + transient
    input_size = f.input_size
    if input_size is not None:
        if inputs is None or inputs.ndim != 3 or inputs.shape[1] < total:
            raise ValueError(f"inputs must have shape (B, ≥{total}, {input_size}).")
        if h0 is None:
            h0 = torch.zeros(inputs.shape[0], n, dtype=inputs.dtype, device=inputs.device)
    elif h0 is None:
        raise ValueError("an autonomous map needs h0 of shape (B, n).")
    if h0.ndim != 2 or h0.shape[1] != n:
        raise ValueError(f"h0 must have shape (B, {n}), got {tuple(h0.shape)}.")
    batch = h0.shape[0]

    def x_at(t: int) -> Tensor | None:
        return None if inputs is None else inputs[:, t]

    h = h0
    Q = torch.eye(n, k, dtype=h.dtype, device=h.device).expand(batch, n, k).clone()
    Qs: list[Tensor] = []
    Rs: list[Tensor] = []
    states: list[Tensor] = []
    log_fwd = torch.zeros(batch, k, dtype=h.dtype, device=h.device)
    for t in range(total):
        if warmup <= t < warmup + steps:
            states.append(h)
            Qs.append(Q)  # basis at the state h (before the step)
        J = f.jacobian(h, x_at(t))
        h = f.step(h, x_at(t))
        Q, R = qr(J @ Q)
        if not bool(torch.isfinite(R).all()):
            raise ValueError(f"non-finite tangent dynamics at step {t + 1}.")
        if t >= warmup:
            Rs.append(R)  # R of the step leaving state warmup + len(Rs) - 1
            if t < warmup + steps:
                log_fwd += torch.log(torch.diagonal(R, dim1=-2, dim2=-1).abs())
    # backward pass: Rs[j] maps the basis at window state j to state j+1 (j = 0 … steps+transient-1)
    C = torch.triu(torch.rand(batch, k, k, generator=generator, dtype=h.dtype).to(h.device))
    C = C + torch.eye(k, dtype=h.dtype, device=h.device)
    C = C / torch.linalg.vector_norm(C, dim=1, keepdim=True)
    vectors: list[Tensor] = [None] * steps  # type: ignore[list-item]
    log_bwd = torch.zeros(batch, k, dtype=h.dtype, device=h.device)
    for j in range(steps + transient - 1, -1, -1):
        C = torch.linalg.solve_triangular(Rs[j], C, upper=True)
        norms = torch.linalg.vector_norm(C, dim=1, keepdim=True)
        C = C / norms
        if j < steps:
            log_bwd += torch.log(norms.squeeze(1))
            vectors[j] = Qs[j] @ C
    time = steps * f.dt
    return CLVResult(
        vectors=torch.stack(vectors, dim=1),
        states=torch.stack(states, dim=1),
        exponents=(-log_bwd / time).mean(0),
        forward_exponents=(log_fwd / time).mean(0),
    )
