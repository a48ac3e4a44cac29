"""Analysis of neural state-space models with inputs (Drgoňa et al., Dissipative).

With x_{t+1} = A*ₓ(x_t, u_t) x_t + b(x_t, u_t) (:meth:`NeuralSSM.affine_form`; for the
additive model A*ₓ = A*(x) of f and b = b*(x) + g(u)):

* spectra of A*ₓ along trajectories and over a box of states × inputs (sampled);
* equilibria x̄(ū) for constant inputs, through ``FrozenInput`` + ``fixed_points``;
* dissipativity ‖x_{t+1}‖ − ‖x_t‖ ≤ ‖b(x_t, u_t)‖ where ‖A*ₓ‖₂ < 1 (Thm. 1), sampled over a
  box, and as a proof from the layer-norm product q (Cor. 4 / neurodyn.certify's norm_product);
* the input's contribution bounded soundly: G ≥ sup_{u∈U} ‖g(u)‖ (exact for linear g, by the
  box's vertices; Lipschitz bound for an MLP g; q·sup‖u‖ for the coupled model), giving the
  absorbing ball ‖x‖ ≤ (β + G)/(1 − q) for every input in U and the Cor. 3 equilibrium bounds;
* incremental input-to-state stability from L = Lip(f) < 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from neurodyn._core import Box, Certificate, CertificateReport, norm2, spectral_radius
from neurodyn.dynamics import fixed_points
from neurodyn.stability import certify
from neurodyn.sysid._models import NeuralSSM
from neurodyn.systems import FrozenInput, as_map

__all__ = [
    "EquilibriumSweep",
    "Spectra",
    "certify_ssm",
    "equilibria",
    "incremental_bound",
    "outside_behaviour",
    "spectra",
]

_EPS = float(torch.finfo(torch.float64).eps)


@dataclass(frozen=True)
class Spectra:
    """Spectra of A*ₓ at (x, u) points: eigenvalues ``(P, n)``, ρ ``(P,)``, ‖·‖₂ ``(P,)``."""

    eigvals: Tensor
    rho: Tensor
    norm2: Tensor

    def to_dict(self) -> dict:
        return {
            "rho_max": float(self.rho.max()),
            "norm2_max": float(self.norm2.max()),
            "rho": self.rho.tolist(),
            "norm2": self.norm2.tolist(),
        }


@torch.no_grad()
def spectra(model: NeuralSSM, x: Tensor, u: Tensor) -> Spectra:
    """Eigenvalues, ρ and ‖·‖₂ of A*ₓ(x, u) at points ``x`` ``(P, n)``, ``u`` ``(P, m)``.

    Along a trajectory pass its states ``x[:-1]`` and inputs; over a box pass a grid.
    """
    A = model.affine_form(x, u).A
    return Spectra(torch.linalg.eigvals(A), spectral_radius(A), norm2(A))


def _lohi(b: Box) -> tuple[Tensor, Tensor]:
    return torch.tensor(b.low, dtype=torch.float64), torch.tensor(b.high, dtype=torch.float64)


def _box(box, n: int, dtype) -> Box:
    b = box if isinstance(box, Box) else Box.coerce(box)
    if b.dim != n:
        raise ValueError(f"box has dimension {b.dim}, expected {n}.")
    return b


def _grid(x_box: Box, u_box: Box | None, res: int, dtype, coupled: bool):
    xg = x_box.grid(res).to(dtype)
    if u_box is None or not coupled:
        return xg, None
    ug = u_box.corners().to(dtype) if u_box.dim > 2 else u_box.grid(max(2, res // 4)).to(dtype)
    X = xg.repeat_interleave(ug.shape[0], 0)
    U = ug.repeat(xg.shape[0], 1)
    return X, U


@dataclass(frozen=True)
class EquilibriumSweep:
    """Equilibria x̄ = F(x̄, ū) for each constant input ū, with their stability."""

    inputs: Tensor
    results: tuple

    def rows(self) -> list[dict]:
        out = []
        for u, res in zip(self.inputs, self.results, strict=True):
            for p in res.points:
                out.append(
                    {
                        "u": u.tolist(),
                        "x": p.x.tolist(),
                        "kind": p.kind,
                        "rho": float(p.eigenvalues.abs().max()),
                        "residual": p.residual,
                    }
                )
        return out

    def to_dict(self) -> dict:
        return {"equilibria": self.rows()}


def equilibria(
    model: NeuralSSM, inputs: Tensor, x_box, *, resolution: int = 12
) -> EquilibriumSweep:
    """Equilibria under each constant input: Newton from a grid on ``x_box`` on
    ``FrozenInput(model, ū)`` (:func:`neurodyn.fixed_points`), classified by ∂F/∂x at x̄.

    Args:
        inputs: ``(K, m)`` constant inputs (normalised units, like the model).
        x_box: the state box to seed from.
    """
    inputs = torch.as_tensor(inputs, dtype=model.dtype).reshape(-1, model.m)
    box = _box(x_box, model.n, model.dtype)
    seeds = box.grid(resolution).to(model.dtype)
    drv = as_map(model)
    res = tuple(fixed_points(FrozenInput(drv, ub), seeds=seeds) for ub in inputs)
    return EquilibriumSweep(inputs, res)


def _up(v: float, k: int = 8) -> float:
    """``v`` rounded up by a relative k·eps (for bounds used in proofs)."""
    return v * (1 + k * _EPS) if v > 0 else v


def _net_proofs(net, width: int, dtype) -> dict:
    """q, β and L of an MLP from neurodyn.certify's norm_product and lipschitz_contraction."""
    pts = torch.zeros(1, width, dtype=dtype)
    square = net[0].in_features == net[-1].out_features
    eq = torch.zeros(0, width, dtype=dtype) if square else None
    rep = {c.name: c for c in certify(net, pts, equilibria=eq)}
    npc, lip = rep["norm_product"], rep["lipschitz_contraction"]
    return {
        "q": npc.evidence["q"],
        "beta": npc.evidence["beta"],
        "L": lip.evidence["L"],
        "norms": npc.evidence["weight_norms"],
    }


def _input_bound(model: NeuralSSM, u_box: Box, f_proofs: dict) -> tuple[float, float, str]:
    """(G ≥ sup_{u∈U}‖g(u)‖₂, γ ≥ Lip(g), how)."""
    lo, hi = _lohi(u_box)
    if model.coupled:
        corners = u_box.corners().double()
        umax = float(torch.linalg.vector_norm(corners, dim=1).max())
        q = f_proofs["q"]
        return (
            _up(q * umax),
            f_proofs["L"],
            (
                "coupled f(x, u): ‖A*ᵤ(z) u‖ ≤ q‖u‖ with q the norm product of f (A*ᵤ: columns of "
                f"A*), sup over the box's corners of ‖u‖ = {umax:.6g}"
            ),
        )
    if model.is_linear_g:
        Bm = model.g.weight.detach().double()
        corners = u_box.corners().double()
        G = float(torch.linalg.vector_norm(corners @ Bm.T, dim=1).max())
        gamma = float(torch.linalg.matrix_norm(Bm, ord=2))
        return (
            _up(G, 16),
            _up(gamma, 8 * max(Bm.shape)),
            (
                "linear g(u) = B u: ‖B u‖₂ is convex, so its maximum over the box is attained at a "
                f"vertex; exact over the {corners.shape[0]} vertices (rounded up by 16 eps)"
            ),
        )
    gp = _net_proofs(model.g, model.m, model.dtype)
    c = (lo + hi) / 2
    r = float(torch.linalg.vector_norm((hi - lo) / 2))
    gc = float(torch.linalg.vector_norm(model.g(c.to(model.dtype).unsqueeze(0)).double()))
    return (
        _up(gc + gp["L"] * r, 16),
        gp["L"],
        (
            f"MLP g: ‖g(u)‖ ≤ ‖g(c)‖ + Lip(g)‖u − c‖ with c the box centre, ‖g(c)‖ = {gc:.6g}, "
            f"Lip(g) ≤ {gp['L']:.6g} (product of layer norms × activation Lipschitz constants), "
            f"‖u − c‖ ≤ {r:.6g}"
        ),
    )


@torch.no_grad()
def certify_ssm(
    model: NeuralSSM, x_box, u_box, *, resolution: int = 41, equilibrium_inputs: int = 5
) -> CertificateReport:
    """Dissipativity, bounded response, equilibrium bounds and incremental ISS of a model with
    inputs over a state box X and an input box U (normalised units, like the model).

    Certificates, in order:

    * ``dissipativity_sampled`` (sampled): max ‖A*ₓ(x, u)‖₂ over a grid of X (× U for the
      coupled model) < 1 — Drgoňa et al., Dissipative, Thm. 1 eq. 10 on the region.
    * ``dissipativity_proof`` (proof): q = ∏‖W_i‖₂ ∏ sup|Λ_i| < 1 (Cor. 4 generalised) bounds
      ‖A*ₓ‖₂ ≤ q everywhere, so ‖x_{t+1}‖ − ‖x_t‖ ≤ ‖b(x_t, u_t)‖ on X (and everywhere).
    * ``bounded_response`` (proof): with β ≥ sup‖b*‖ and G ≥ sup_{u∈U}‖g(u)‖,
      ‖x_{t+1}‖ ≤ q‖x_t‖ + β + G, so for every input sequence in U the ball
      ‖x‖ ≤ (β + G)/(1 − q) is invariant and attracts every trajectory; every equilibrium
      x̄(ū), ū ∈ U, lies in it (the global form of Cor. 3's upper bound).
    * ``equilibrium_bounds`` (sampled): Cor. 3 with the input, ‖b(x̄, ū)‖/‖I − A*ₓ‖₂ ≤ ‖x̄‖ ≤
      ‖b(x̄, ū)‖/(1 − ‖A*ₓ‖₂), at the equilibria found for ``equilibrium_inputs`` inputs on U's
      diagonal (true at exact equilibria; checked at Newton's).
    * ``incremental_iss`` (proof): L ≥ Lip(f) < 1 gives, for two trajectories,
      ‖x_t − y_t‖ ≤ Lᵗ‖x₀ − y₀‖ + Σ_{k<t} L^{t−1−k} γ‖u_k − v_k‖ (see
      :func:`incremental_bound`), γ = ‖B‖₂ / Lip(g) / L for the coupled model.

    Example:
        >>> import torch
        >>> from neurodyn.sysid import NeuralSSM, certify_ssm
        >>> model = NeuralSSM(2, 1, hidden=(8,), structure="spectral", sigma_max=0.9)
        >>> rep = certify_ssm(model, [(-2, 2), (-2, 2)], [(-1, 1)], resolution=5)
        >>> [(c.name, c.kind, c.holds) for c in rep][1:3]
        [('dissipativity_proof', 'proof', True), ('bounded_response', 'proof', True)]
    """
    dt = model.dtype
    xb, ub = _box(x_box, model.n, dt), _box(u_box, model.m, dt)
    width = model.n + model.m if model.coupled else model.n
    fp = _net_proofs(model.f, width, dt)
    q, beta, L = fp["q"], fp["beta"], fp["L"]
    G, gamma, how = _input_bound(model, ub, fp)
    record = {"x_box": [list(xb.low), list(xb.high)], "u_box": [list(ub.low), list(ub.high)]}
    ulo, uhi = (t.to(dt) for t in _lohi(ub))
    certs = []
    # 1. sampled dissipativity over X (× U)
    X, U = _grid(xb, ub, resolution, dt, model.coupled)
    if U is None:
        U = ((ulo + uhi) / 2).expand(X.shape[0], -1)
    sp = spectra(model, X, U)
    j = int(torch.argmax(sp.norm2))
    nmax = float(sp.norm2[j])
    certs.append(
        Certificate(
            "dissipativity_sampled",
            nmax < 1,
            1 - nmax,
            "sampled",
            "max over a grid of the state box (× input box for coupled f) of ‖A*ₓ(x, u)‖₂ < 1 "
            "(Drgoňa et al., Dissipative, Thm. 1, eq. 10).",
            (
                f"No grid point has ‖A*ₓ‖₂ ≥ 1 (max {nmax:.6g}): ‖x_(t+1)‖ − ‖x_t‖ ≤ ‖b(x_t, u_t)‖ "
                "at every sampled point; nothing is claimed between samples."
                if nmax < 1
                else f"‖A*ₓ‖₂ = {nmax:.6g} ≥ 1 at x = {X[j].tolist()}: the dissipation inequality "
                "is not shown there. Nothing is concluded."
            ),
            ("points as sampled",),
            {
                "max_norm2": nmax,
                "max_rho": float(sp.rho.max()),
                "worst_point": X[j].tolist(),
                "points": int(X.shape[0]),
                **record,
            },
        )
    )
    # 2. dissipativity proof from the norm product
    assumptions = (
        "f and g are the networks as they are now, in exact arithmetic",
        "layer norms and activation bounds as in neurodyn.certify (norm_product, "
        "lipschitz_contraction), computed norms rounded up",
    )
    certs.append(
        Certificate(
            "dissipativity_proof",
            q < 1,
            1 - q,
            "proof",
            "q = ∏‖W_i‖₂ ∏ sup|Λ_i| < 1 bounds ‖A*ₓ(x, u)‖₂ ≤ ‖A*(z)‖₂ ≤ q for every state and "
            "input (Drgoňa et al., Dissipative, Cor. 4 generalised to the product).",
            (
                f"q = {q:.6g} < 1: ‖x_(t+1)‖ − ‖x_t‖ ≤ ‖b(x_t, u_t)‖ for every x (so on the data's "
                "box) and every input: the model is dissipative with supply rate ‖b*(x) + g(u)‖."
                if q < 1
                else f"q = {q:.6g} ≥ 1: the layer norms do not prove dissipativity. Nothing is "
                "concluded (see dissipativity_sampled)."
            ),
            assumptions,
            {"q": q, "weight_norms": fp["norms"], **record},
        )
    )
    # 3. bounded response / absorbing ball with inputs in U
    radius = _up((beta + G) / (1 - q), 8) if q < 1 else float("inf")
    certs.append(
        Certificate(
            "bounded_response",
            q < 1,
            1 - q,
            "proof",
            "‖x_(t+1)‖ ≤ q‖x_t‖ + β + G with β ≥ sup‖b*‖ (layer by layer) and G ≥ sup_(u∈U)‖g(u)‖ "
            f"({how}).",
            (
                f"For every input sequence in U, the ball ‖x‖ ≤ (β + G)/(1 − q) = {radius:.6g} is "
                f"invariant and every trajectory enters it (at rate qᵗ, q = {q:.6g}); every "
                "equilibrium x̄(ū), ū ∈ U, lies in it (Cor. 3's upper bound, globally)."
                if q < 1
                else "q ≥ 1: no absorbing ball follows. Nothing is concluded."
            ),
            (*assumptions, "inputs u_t ∈ U for all t"),
            {"q": q, "beta": beta, "G": G, "radius": radius, "input_bound_method": how, **record},
        )
    )
    # 4. Cor. 3 at the equilibria found for inputs on U's diagonal
    ts = torch.linspace(0, 1, equilibrium_inputs, dtype=dt).unsqueeze(1)
    inputs = ulo + ts * (uhi - ulo)
    sweep = equilibria(model, inputs, xb, resolution=max(3, min(12, resolution // 3)))
    rows, ok, margin = [], True, float("inf")
    for ubar, res in zip(inputs, sweep.results, strict=True):
        if not res.points:
            continue
        xs = res.stack()
        uu = ubar.expand(xs.shape[0], -1)
        form = model.affine_form(xs, uu)
        eye = torch.eye(model.n, dtype=dt)
        an, ima = norm2(form.A), norm2(eye - form.A)
        bn = torch.linalg.vector_norm(form.b, dim=1)
        xn = torch.linalg.vector_norm(xs, dim=1)
        for k in range(xs.shape[0]):
            lb = float(bn[k] / ima[k])
            ubd = float(bn[k] / (1 - an[k])) if float(an[k]) < 1 else float("inf")
            good = (
                lb <= float(xn[k]) * (1 + 1e-9) + 1e-12 and float(xn[k]) <= ubd * (1 + 1e-9) + 1e-12
            )
            ok &= good
            margin = min(margin, ubd - float(xn[k]), float(xn[k]) - lb)
            rows.append(
                {
                    "u": ubar.tolist(),
                    "x": xs[k].tolist(),
                    "norm": float(xn[k]),
                    "lower": lb,
                    "upper": ubd,
                    "holds": good,
                    "within_radius": float(xn[k]) <= radius,
                }
            )
    certs.append(
        Certificate(
            "equilibrium_bounds",
            ok and bool(rows),
            margin if rows else float("nan"),
            "sampled",
            "‖b(x̄, ū)‖/‖I − A*ₓ(x̄)‖₂ ≤ ‖x̄‖₂ ≤ ‖b(x̄, ū)‖/(1 − ‖A*ₓ(x̄)‖₂) with b = b*(x̄) + g(ū) "
            "(Drgoňa et al., Dissipative, Cor. 3, eq. 23, p = 2, with the input's term).",
            (
                f"All {len(rows)} equilibria found (for {equilibrium_inputs} constant inputs on "
                "U's "
                "diagonal) satisfy the bounds; they follow from (I − A*ₓ(x̄))x̄ = b(x̄, ū), so hold "
                "at exact equilibria; other equilibria may exist."
                if ok and rows
                else (
                    "No equilibrium was found; nothing is concluded."
                    if not rows
                    else "Some equilibria found violate the bounds (inaccurate equilibria). "
                    "Nothing is concluded."
                )
            ),
            ("equilibria found numerically by Newton's method",),
            {"equilibria": rows},
        )
    )
    # 5. incremental ISS
    certs.append(
        Certificate(
            "incremental_iss",
            L < 1,
            1 - L,
            "proof",
            "L ≥ Lip(f) (product of layer norms × activation Lipschitz constants) < 1 ⇒ "
            "‖x_t − y_t‖ ≤ Lᵗ‖x₀ − y₀‖ + Σ_(k<t) L^(t−1−k) γ‖u_k − v_k‖.",
            (
                f"L = {L:.6g} < 1, γ = {gamma:.6g}: any two trajectories converge to each other "
                "up to the accumulated input difference (incrementally input-to-state stable), "
                f"with asymptotic gain γ/(1 − L) = {gamma / (1 - L):.6g}."
                if L < 1
                else f"L = {L:.6g} ≥ 1: no incremental bound follows. Nothing is concluded."
            ),
            assumptions,
            {"L": L, "gamma": gamma, "coupled": model.coupled},
        )
    )
    return CertificateReport(tuple(certs), record)


def incremental_bound(L: float, gamma: float, d0: float, du) -> np.ndarray:
    """The bound e_t on ‖x_t − y_t‖: e_0 = d0, e_{t+1} = L e_t + γ‖u_t − v_t‖ (``du`` ``(T,)``),
    i.e. e_t = Lᵗ d0 + Σ_{k<t} L^{t−1−k} γ du_k. ``(T + 1,)``."""
    du = np.asarray(du, dtype=np.float64)
    e = np.empty(du.size + 1)
    e[0] = d0
    for t in range(du.size):
        e[t + 1] = L * e[t] + gamma * du[t]
    return e


@torch.no_grad()
def outside_behaviour(model: NeuralSSM, x_box, u_box, *, factor: float = 10.0, steps: int = 500):
    """Simulate from the corners of the state box scaled by ``factor`` about its centre, under
    the corners of the input box scaled the same way held constant; report how far states go.

    Returns:
        dict: ``start_norm`` (largest ‖x₀‖), ``max_norm`` (largest ‖x_t‖), ``final_norm``
        (largest ‖x_T‖), ``finite`` and ``bounded`` (max ‖x_t‖ ≤ 10·max(‖x₀‖, data radius)).
    """
    dt = model.dtype
    xb, ub = _box(x_box, model.n, dt), _box(u_box, model.m, dt)

    def scaled(b):
        lo, hi = _lohi(b)
        c = (lo + hi) / 2
        return (c + factor * (b.corners() - c)).to(dt)

    x0 = scaled(xb)
    us = scaled(ub)
    X0 = x0.repeat_interleave(us.shape[0], 0)
    Uc = us.repeat(x0.shape[0], 1)
    traj = model.rollout(X0, Uc.unsqueeze(1).expand(-1, steps, -1))
    norms = torch.linalg.vector_norm(traj, dim=-1)
    finite = bool(torch.isfinite(norms).all())
    start = float(norms[:, 0].max())
    mx = float(torch.nan_to_num(norms, nan=math.inf).max())
    data_r = float(torch.linalg.vector_norm(torch.stack(_lohi(xb)).abs().amax(0)))
    return {
        "factor": factor,
        "steps": steps,
        "start_norm": start,
        "max_norm": mx,
        "final_norm": float(torch.nan_to_num(norms[:, -1], nan=math.inf).max()),
        "finite": finite,
        "bounded": finite and mx <= 10 * max(start, data_r),
    }
