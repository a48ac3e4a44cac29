"""Certificates of the update that is actually run, and a sampled check along trajectories.

A step ``x' = F_A x + F_B φ-part`` with Jacobian ``J(D) = F_A + F_B D C``, ``D ∈ [0, g]^m``
(Euler or IMEX step of eq. 1 or of the Lipschitz RNN) is a contraction in ‖·‖_M when
``J(D)ᵀ M J(D) − M ⪯ −β M`` for every D (Kozachkov et al. 2022, App. 5.1, constant metric).
"""

from __future__ import annotations

import itertools

import numpy as np
import scipy.linalg

from neurodyn.contraction._common import check_g, check_metric, make
from neurodyn.contraction._lmi import sector_lmi
from neurodyn.contraction._theorems import _sector_certificate

__all__ = ["carry_over", "discrete", "sampled", "step_matrices"]

_STEP = "the discrete update x_{t+1} = F(x_t, u_t) as run (Euler/IMEX step)"


def step_matrices(kind: str, method: str, dt: float, *, W, A=None, tau: float = 1.0, rho=1.0):
    """``(F_A, F_B, C, A_c, B_c)`` of one step and of the continuous Jacobian ``A_c + B_c D C``.

    * eq. 1 (``kind="ctrnn"``), ``h = dt/τ``: Euler ``F_A = (1 − h)I``, ``F_B = hW``; IMEX (leak
      implicit, as ``neurodyn.systems.FlowMap``) ``F_A = I/(1 + h)``, ``F_B = hW/(1 + h)``; C = I.
    * Lipschitz RNN ``ḣ = Ah + tanh(Wh + Ux + b)`` (Erichson et al. 2021): Euler eq. 15
      ``F_A = I + dt·A``, ``F_B = dt·I``; IMEX eq. 14 ``F_A = (I − ρ dt A)⁻¹(I + (1 − ρ) dt A)``,
      ``F_B = dt (I − ρ dt A)⁻¹``; C = W.
    """
    dt = float(dt)
    if not np.isfinite(dt) or dt <= 0:
        raise ValueError(f"dt must be a positive finite step, got {dt}.")
    if method not in ("euler", "imex"):
        raise ValueError(f"method must be 'euler' or 'imex', got {method!r}.")
    n = W.shape[0]
    eye = np.eye(n)
    if kind == "ctrnn":
        h = dt / tau
        Ac, Bc, C = -eye / tau, W / tau, eye
        if method == "euler":
            return (1 - h) * eye, h * W, C, Ac, Bc
        return eye / (1 + h), h * W / (1 + h), C, Ac, Bc
    if method == "euler":
        return eye + dt * A, dt * eye, W, A, eye
    R = np.linalg.inv(eye - rho * dt * A)
    return R @ (eye + (1 - rho) * dt * A), dt * R, W, A, eye


def _vertex_radius(F_A, F_B, C, g, *, exhaustive_n: int = 10, samples: int = 64, seed: int = 0):
    m = C.shape[0]
    if m <= exhaustive_n:
        verts = [np.array(v, float) for v in itertools.product((0.0, 1.0), repeat=m)]
    else:
        rng = np.random.default_rng(seed)
        verts = [np.zeros(m), np.ones(m), *list(rng.integers(0, 2, (samples, m)).astype(float))]
    worst, where = -np.inf, None
    for v in verts:
        J = F_A + F_B @ (g * v[:, None] * C)
        r = float(np.abs(np.linalg.eigvals(J)).max())
        if r > worst:
            worst, where = r, v
    return worst, where, len(verts), m <= exhaustive_n


def discrete(F_A, F_B, C, *, g: float = 1.0, metric: str = "full", assumptions=(), prefix=""):
    """Certificates of one step with Jacobian ``F_A + F_B D C``: LMI proof + necessary check."""
    g = check_g(g)
    F_A, F_B, C = (np.asarray(z, float) for z in (F_A, F_B, C))
    res = sector_lmi(g, B=F_B, C=C, F_A=F_A, discrete=True, metric=metric)
    assume = (*assumptions, _STEP)
    lmi = _sector_certificate(
        f"{prefix}discrete_sector_{metric}", res, g, B=F_B, C=C, F_A=F_A, discrete=True,
        assumptions=assume,
    )  # fmt: skip
    rho, where, count, exact = _vertex_radius(F_A, F_B, C, g)
    nec = make(
        f"{prefix}discrete_spectral_radius", rho < 1, 1 - rho, "sampled",
        f"spectral radius of the step Jacobian F_A + F_B D C at {count} "
        f"{'(all)' if exact else 'sampled'} vertices D of [0, g]^m; a necessary condition",
        "holds=False proves the step is NOT a contraction in any metric when the activation "
        "attains that slope pattern; holds=True proves nothing", assume,
        max_spectral_radius=rho, worst_vertex=None if where is None else where.tolist(),
    )  # fmt: skip
    return [lmi, nec]


def carry_over(metric, rate: float, A_c, B_c, C, *, g: float, dt: float, method: str):
    """Does the continuous certificate ``MJ + JᵀM ⪯ −βM`` carry over to an Euler step of size dt?

    With ``L = ‖M^{1/2}A_cM^{-1/2}‖₂ + g‖M^{1/2}B_c‖₂‖CM^{-1/2}‖₂ ≥ ‖J(D)‖_M``:
    ``(I + dtJ)ᵀM(I + dtJ) − M = dt(MJ + JᵀM) + dt²JᵀMJ ⪯ (−dtβ + dt²L²)M``, a contraction for
    ``dt < β/L²`` with factor ``√(1 − dtβ + dt²L²)``. (IMEX steps are not covered by this bound.)
    """
    M = check_metric(metric)
    Lc = np.linalg.cholesky(M)  # M = Lc Lcᵀ; ‖X‖_M = ‖Lcᵀ X Lc⁻ᵀ‖
    Li = scipy.linalg.solve_triangular(Lc, np.eye(len(M)), lower=True)  # Lc⁻¹
    norm = lambda X: float(np.linalg.norm(X, 2))  # noqa: E731
    L = norm(Lc.T @ A_c @ Li.T) + g * norm(Lc.T @ B_c) * norm(C @ Li.T)
    dt_max = rate / L**2 if rate > 0 else 0.0
    ok = method == "euler" and rate > 0 and dt < dt_max
    factor = float(np.sqrt(max(1 - dt * rate + dt**2 * L**2, 0.0)))
    return make(
        "continuous_carries_over", ok, (1 - factor) if ok else dt_max - dt, "proof",
        "Euler step of a continuous certificate MJ + JᵀM ⪯ −βM: contraction in ‖·‖_M for "
        "dt < β/L², L = ‖M^½A M^-½‖ + g‖M^½B‖‖C M^-½‖ (Kozachkov et al. 2022, App. 5.1)",
        f"the Euler step with dt = {dt:g} contracts in the continuous metric"
        if method == "euler" else "not applicable to IMEX steps (bound is for Euler)",
        (f"step method {method}",), metric=M, beta=rate, L=L, dt=dt, dt_max=dt_max,
        factor_bound=factor,
    )  # fmt: skip


def sampled(
    map_, h0, inputs=None, *, metric=None, steps: int = 100, continuous: bool = False
):  # fmt: skip
    """Max over visited states of ‖J‖_M (discrete) or the M-weighted log-norm (continuous).

    Runs any Map (``neurodyn.systems.complete_map``) from the rows of ``h0`` ``(B, n)`` for
    ``steps`` steps (``inputs``: ``(steps, B, m)`` for a driven map). Continuous: uses the
    map's ``vector_field_jacobian`` (a ``FlowMap``) and ``μ_M(J) = λ_max(M^½JM^-½ + (·)ᵀ)/2``.
    Kind "sampled": no claim between the visited states.
    """
    import torch

    from neurodyn.systems import complete_map

    mp = complete_map(map_)
    n = mp.dim
    M = np.eye(n) if metric is None else check_metric(metric, n)
    Lc = np.linalg.cholesky(M)
    Li = scipy.linalg.solve_triangular(Lc, np.eye(n), lower=True)
    h = torch.as_tensor(h0)
    T1 = torch.as_tensor(Lc.T, dtype=h.dtype)
    T2 = torch.as_tensor(Li.T, dtype=h.dtype)
    if continuous and not hasattr(mp, "vector_field_jacobian"):
        raise TypeError("continuous=True needs a map with vector_field_jacobian (a FlowMap).")
    worst = -np.inf
    for t in range(steps):
        x = None if inputs is None else torch.as_tensor(inputs[t], dtype=h.dtype)
        J = mp.vector_field_jacobian(h, x) if continuous else mp.jacobian(h, x)
        X = T1 @ J @ T2
        if continuous:
            val = torch.linalg.eigvalsh(0.5 * (X + X.mT))[:, -1].max()
        else:
            val = torch.linalg.matrix_norm(X, 2).max()
        worst = max(worst, float(val))
        h = mp.step(h, x)
    holds = worst < 0 if continuous else worst < 1
    what = "log-norm μ_M(Df)" if continuous else "‖J‖_M"
    return make(
        "sampled_trajectory", holds, -worst if continuous else 1 - worst, "sampled",
        f"max over {steps} steps × {h.shape[0]} trajectories of the {what} at visited states",
        "no visited state violated contraction; nothing is claimed between samples",
        ("the map and inputs given",), metric=M, worst=worst, steps=steps,
    )  # fmt: skip
