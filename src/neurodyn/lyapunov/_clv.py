"""Covariant Lyapunov vectors by Ginelli's forward–backward method.

Ginelli, Poggi, Turchi, Chaté, Livi, Politi, "Characterizing dynamics with covariant Lyapunov
vectors", PRL 99, 130601 (2007). Forward: J_t Q_{t−1} = Q_t R_t (QR every step). Backward: from
a random upper-triangular C at the end, C_{t−1} = R_t⁻¹ C_t with columns renormalised; then the
covariant vectors at time t are V_t = Q_t C_t. They satisfy J_{t+1} v_i(t) ∥ v_i(t+1) and grow
at the i-th Lyapunov exponent, in both time directions.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import torch
from torch import Tensor

from neurodyn._core import DivergenceError
from neurodyn._core._validate import check_batch, prepare_model
from neurodyn.lyapunov._qr import qr
from neurodyn.systems import TangentMap, complete_map
from neurodyn.systems._tangent import few_threads

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
        converged: whether the vectors can be trusted: the backward exponents agree with the
            forward ones (within a tenth of the closest spacing) and ``transient`` spans at least
            10 e-foldings 1/Δλ of the closest pair of exponents Δλ (the backward pass converges
            like e^(−Δλ·t)). A warning is raised when False.
        exponent_gap: ``(k,)`` |exponents − forward_exponents|.
        min_spacing: Δλ, the smallest gap between consecutive forward exponents.
    """

    vectors: Tensor
    states: Tensor
    exponents: Tensor
    forward_exponents: Tensor
    converged: bool = True
    exponent_gap: Tensor | None = None
    min_spacing: float = math.inf

    def to_dict(self) -> dict:
        return {
            "exponents": self.exponents.tolist(),
            "forward_exponents": self.forward_exponents.tolist(),
            "converged": self.converged,
            "min_spacing": self.min_spacing,
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
        generator: for the random upper-triangular start of the backward pass.

    Returns:
        :class:`CLVResult`, with ``converged`` saying whether the transient sufficed.

    Warns:
        RuntimeWarning: when ``converged`` is False (raise ``transient``).

    Raises:
        DivergenceError: non-finite tangent dynamics (with the step).
        ValueError: wrong shapes, an empty batch, NaN/inf in ``inputs`` / ``h0`` (naming batch
            rows and time steps) or in a parameter (naming it). float16 / bfloat16 modules run
            as a float32 copy (with a warning).
    """
    map, inputs, h0 = prepare_model(map, inputs, h0, what="covariant_lyapunov_vectors")
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
            raise ValueError(
                f"inputs must have shape (B, ≥{total}, {input_size}) (warmup + steps + transient "
                f"= {warmup} + {steps} + {transient}), got "
                f"{None if inputs is None else tuple(inputs.shape)}."
            )
        check_batch(inputs, "inputs", time_axis=1)
        if h0 is None:
            h0 = torch.zeros(inputs.shape[0], n, dtype=inputs.dtype, device=inputs.device)
    elif h0 is None:
        raise ValueError("an autonomous map needs h0 of shape (B, n).")
    if h0.ndim != 2 or h0.shape[1] != n:
        raise ValueError(f"h0 must have shape (B, {n}), got {tuple(h0.shape)}.")
    check_batch(h0, "h0")
    batch = h0.shape[0]

    tm = TangentMap(f, k, t_on=1)
    h = h0
    Q = torch.eye(n, k, dtype=h.dtype, device=h.device).expand(batch, n, k).clone()
    Qs: list[Tensor] = []
    Rs: list[Tensor] = []
    states: list[Tensor] = []
    log_fwd = torch.zeros(batch, k, dtype=h.dtype, device=h.device)
    with few_threads(batch, n):
        for t in range(total):
            if warmup <= t < warmup + steps:
                states.append(h)
                Qs.append(Q)  # basis at the state h (before the step)
            # one step and one QR (t_on = 1): the TangentMap's block of length 1
            block = next(tm.blocks(h, Q, 1, qr, inputs=inputs, offset=t))
            h, Q, R = block.h, block.Q, block.R
            if not bool(torch.isfinite(R).all()):
                raise DivergenceError(
                    f"non-finite tangent dynamics at step {t + 1}.", step=t + 1, what="tangent"
                )
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
    exponents = (-log_bwd / time).mean(0)
    forward = (log_fwd / time).mean(0)
    gaps = (exponents - forward).abs()
    gap_min = _smallest_gap(forward)
    converged = _converged(exponents, forward, gap_min, transient * f.dt)
    if not converged:
        warnings.warn(
            f"covariant vectors may not have converged: backward-pass exponents differ from the "
            f"forward QR exponents by up to {float(gaps.max()):.3g}, and the closest pair of "
            f"exponents is {gap_min:.3g} apart, so C needs a transient of "
            f"~{_needed(gap_min, f.dt)} steps (have {transient}); raise transient "
            "(result.converged is False).",
            RuntimeWarning,
            stacklevel=2,
        )
    return CLVResult(
        vectors=torch.stack(vectors, dim=1),
        states=torch.stack(states, dim=1),
        exponents=exponents,
        forward_exponents=forward,
        converged=converged,
        exponent_gap=gaps,
        min_spacing=gap_min,
    )


#: The backward pass converges onto the covariant directions like e^(−Δλ·t) for the closest
#: pair of exponents Δλ; 10 e-foldings (a factor 4.5e-5) is what "converged" asks for.
_EFOLDS = 10.0


def _smallest_gap(exponents: Tensor) -> float:
    lam = torch.sort(exponents, descending=True).values
    if lam.numel() < 2:
        return math.inf
    return float((lam[:-1] - lam[1:]).min())


def _needed(gap: float, dt: float) -> int:
    return 0 if gap == math.inf else math.ceil(_EFOLDS / max(gap, 1e-12) / dt)


def _converged(bwd: Tensor, fwd: Tensor, gap: float, transient_time: float) -> bool:
    """Both checks of Ginelli et al.'s method: the covariant vectors grow at the QR exponents,
    and the transient spans ``_EFOLDS`` e-foldings of the slowest-separating pair."""
    agree = bool(((bwd - fwd).abs() <= 0.1 * max(gap, 1e-12) + 1e-9).all())
    return agree and gap * transient_time >= _EFOLDS
