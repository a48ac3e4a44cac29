"""Stability and dissipativity certificates for feedforward nets used as x_{t+1} = f(x_t).

Each certificate is a :class:`Certificate` whose ``kind`` says what its ``holds`` means:

* ``"proof"`` — ``holds=True`` is a theorem for *every* x ∈ ℝⁿ under the listed assumptions;
  the evidence holds the numbers a reader needs to check it by hand (layer norms, bounds).
* ``"sampled"`` — computed on a finite point set; ``holds=True`` only says no sampled point
  violated it. Nothing is claimed between samples.
* ``"seed-heuristic"`` — the condition as a seed paper states it, where the paper's argument is
  wrong; kept for comparison with the paper, never as a guarantee.

What is implemented and why (details and counterexamples in ``docs/certificates.md``):

* seed 000 Thm. 6 "necessary condition" (ρ(A*(x)) ≤ 1 ∀x) — sampled, and not actually
  necessary: f(x) = −3·relu(x) − 0.1·relu(−x) has ρ(A*(x)) = 3 for x > 0 yet every
  trajectory converges to 0 (|f(f(x))| ≤ 0.3|x|). Reported as a diagnostic.
* seed 000 Thm. 6 "sufficient condition" (ρ(W_i) ≤ 1, |Λ| ≤ 1) — seed heuristic: it rests on
  ρ(AB) ≤ ρ(A)ρ(B), false for non-commuting matrices (A = [[0,1],[0,0]], B = Aᵀ: ρ(A) = ρ(B) = 0,
  ρ(AB) = 1).
* seed 001 Cor. 4 (‖W_i‖₂ < 1 ∀i, |Λ| ≤ 1) — proof, by submultiplicativity of ‖·‖₂:
  ‖A*(x)‖₂ ≤ ∏‖W_i‖₂ ∏ sup|Λ_i| < 1 for all x.
* the norm-product bound q = ∏‖W_i‖₂ ∏ sup|Λ_i| < 1 — proof; Cor. 4 is its special case.
  Then ‖x_{t+1}‖ ≤ q‖x_t‖ + β with β ≥ sup_x ‖b*(x)‖ (bounded layer by layer), so every
  trajectory enters the ball ‖x‖ ≤ β/(1 − q) (seed 001 Thm. 1 globally); with β = 0 the origin
  is globally exponentially stable.
* the Lipschitz (Banach) contraction bound L = ∏‖W_i‖₂ ∏ Lip(σ_i) < 1 — proof: f is a
  contraction, so it has exactly one fixed point and every trajectory converges to it at rate Lᵗ.
* seed 001 Thm. 1 dissipativity over a region (max ‖A*(x)‖₂ < 1 on the region) — sampled.
* seed 001 Cor. 3 equilibrium-norm bounds — sampled: evaluated at the equilibria found; the
  seed writes them at a general x, but the derivation ((I − A*(x̄)) x̄ = b*(x̄)) only holds at
  x = x̄.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from neurodyn._core import Certificate, CertificateReport, json_float, norm2, spectral_radius
from neurodyn.pwa import AffineLayer, linearize, parse_network

__all__ = ["Certificate", "CertificateReport", "certify", "sample_domain"]


def sample_domain(
    domain,
    *,
    dim: int,
    resolution: int = 101,
    samples: int = 10000,
    seed: int = 0,
    dtype: torch.dtype = torch.float64,
    device=None,
) -> tuple[Tensor, dict]:
    """Points of a domain and a record of how they were obtained.

    ``domain`` is either a ``(B, n)`` tensor of points (used as given) or a box: a sequence of
    ``(low, high)`` pairs, one per dimension. A box with n ≤ 2 is sampled on a regular grid of
    ``resolution`` points per axis; larger boxes by ``samples`` uniform random points (seeded)
    plus the 2ⁿ corners for n ≤ 10.
    """
    if isinstance(domain, Tensor):
        if domain.ndim != 2 or domain.shape[1] != dim:
            raise ValueError(
                f"domain points must have shape (B, {dim}), got {tuple(domain.shape)}."
            )
        return domain, {"type": "points", "count": int(domain.shape[0])}
    try:
        box = [(float(lo), float(hi)) for lo, hi in domain]
    except (TypeError, ValueError) as err:
        raise TypeError(
            "domain must be a (B, n) tensor of points or a box given as one (low, high) pair per "
            f"dimension, e.g. [(-6, 6), (-6, 6)]; got {domain!r}."
        ) from err
    if len(box) != dim:
        raise ValueError(
            f"the box has {len(box)} (low, high) pairs but the network has {dim} inputs."
        )
    for i, (lo, hi) in enumerate(box):
        if not (math.isfinite(lo) and math.isfinite(hi) and hi > lo):
            raise ValueError(f"box dimension {i}: need finite low < high, got ({lo}, {hi}).")
    lows = torch.tensor([b[0] for b in box], dtype=dtype)
    highs = torch.tensor([b[1] for b in box], dtype=dtype)
    if dim <= 2:
        axes = [torch.linspace(lo, hi, resolution, dtype=dtype) for lo, hi in box]
        pts = torch.stack(torch.meshgrid(*axes, indexing="ij"), dim=-1).reshape(-1, dim)
        record = {
            "type": "box",
            "box": box,
            "sampling": f"regular grid, {resolution} per axis",
            "count": int(pts.shape[0]),
        }
    else:
        gen = torch.Generator().manual_seed(seed)
        pts = lows + (highs - lows) * torch.rand(samples, dim, generator=gen, dtype=dtype)
        how = f"{samples} uniform random points (seed {seed})"
        if dim <= 10:
            corners = torch.cartesian_prod(*[torch.tensor(b, dtype=dtype) for b in box])
            pts = torch.cat([pts, corners.reshape(-1, dim)])
            how += f" + {2**dim} corners"
        record = {"type": "box", "box": box, "sampling": how, "count": int(pts.shape[0])}
    return pts.to(device), record


def _layer_bounds(layers) -> dict:
    """Per-layer 2-norms, spectral radii and activation bounds, and the bias bound β."""
    weights, acts = [], []
    beta = 0.0  # running bound on sup ‖c‖₂, the offset of the current hidden state
    for layer in layers:
        if isinstance(layer, AffineLayer):
            w = layer.weight.detach().double()
            computed = float(torch.linalg.matrix_norm(w, ord=2))
            nrm = _norm2_upper(computed, w.shape)
            square = w.shape[0] == w.shape[1]
            rho = float(torch.linalg.eigvals(w).abs().max()) if square else None
            bias_norm = 0.0 if layer.bias is None else float(layer.bias.detach().double().norm())
            weights.append(
                {
                    "layer": layer.source,
                    "shape": list(w.shape),
                    "norm2": nrm,
                    "norm2_computed": computed,
                    "spectral_radius": rho,
                    "bias_norm": bias_norm,
                }
            )
            beta = nrm * beta + bias_norm
        else:
            spec = layer.spec
            s0 = spec.sigma0
            width = None
            s0_max = float(s0.abs().max()) if isinstance(s0, Tensor) else abs(float(s0))
            acts.append(
                {
                    "layer": layer.source,
                    "activation": spec.name,
                    "sigma0": s0_max,
                    "lambda_bound": spec.lambda_bound,
                    "lipschitz_bound": spec.lipschitz_bound,
                }
            )
            width = _width_before(layers, layer)
            beta = spec.lambda_bound * beta + s0_max * math.sqrt(width)
    return {"weights": weights, "activations": acts, "beta": beta}


# Rounding allowance for a computed spectral norm. LAPACK's SVD is backward stable: the computed
# σ̂ are the exact singular values of W + E with ‖E‖₂ ≤ p(m, n)·eps·‖W‖₂ and p a modest
# polynomial, so (Weyl) |σ̂ − σ| ≤ p·eps·‖W‖₂. We take p = 8·max(m, n) — the usual working
# constant, far above the errors seen in practice — and certify with σ̂·(1 + p·eps), so a margin
# smaller than the rounding of the SVD never becomes a "proof".
_EPS64 = float(torch.finfo(torch.float64).eps)


def _norm2_upper(computed: float, shape) -> float:
    """An upper bound on ‖W‖₂ from the computed value (see the allowance above)."""
    return computed * (1.0 + 8.0 * max(shape) * _EPS64)


def _product_upper(xs) -> float:
    """∏ xs, rounded up by a relative len(xs)·eps (each float multiply errs by ≤ eps/2)."""
    xs = list(xs)
    return _product(xs) * (1.0 + (len(xs) + 1) * _EPS64)


def _width_before(layers, target) -> int:
    width = None
    for layer in layers:
        if layer is target:
            break
        if isinstance(layer, AffineLayer):
            width = layer.weight.shape[0]
    if width is None:
        raise ValueError("an activation before the first nn.Linear has unknown width")
    return width


def _product(xs) -> float:
    out = 1.0
    for x in xs:
        out *= x
    return out


@torch.no_grad()
def certify(
    net: nn.Module,
    domain: Tensor | Sequence[tuple[float, float]],
    *,
    resolution: int = 101,
    samples: int = 10000,
    seed: int = 0,
    equilibria: Tensor | None = None,
) -> CertificateReport:
    """Check the stability and dissipativity conditions of seeds 000 and 001 for ``net``.

    Args:
        net: feedforward network accepted by :func:`neurodyn.linearize`; square (n → n) for the
            conditions about x_{t+1} = f(x_t).
        domain: ``(B, n)`` points, or a box ``[(low, high), …]`` (sampled, see
            :func:`sample_domain`); the sampled certificates are evaluated there.
        equilibria: ``(K, n)`` fixed points for the Cor. 3 bounds; by default found by
            :func:`neurodyn.dynamics.fixed_points` from up to 400 domain points (square nets).

    Returns:
        :class:`CertificateReport` with, in order: ``theorem6_necessary`` (sampled),
        ``theorem6_sufficient`` (seed heuristic), ``corollary4`` (proof), ``norm_product``
        (proof), ``lipschitz_contraction`` (proof), ``dissipativity`` (sampled) and
        ``equilibrium_bounds`` (evaluated at equilibria).
    """
    layers = parse_network(net)
    affine = [layer for layer in layers if isinstance(layer, AffineLayer)]
    if not affine:
        raise ValueError("certify: the network has no nn.Linear layer.")
    n_in, n_out = affine[0].weight.shape[1], affine[-1].weight.shape[0]
    ref = affine[0].weight
    pts, record = sample_domain(
        domain,
        dim=n_in,
        resolution=resolution,
        samples=samples,
        seed=seed,
        dtype=ref.dtype,
        device=ref.device,
    )
    pts = pts.to(dtype=ref.dtype)
    square = n_in == n_out
    form = linearize(net, pts)
    bounds = _layer_bounds(layers)
    norms = [w["norm2"] for w in bounds["weights"]]
    lam = [a["lambda_bound"] for a in bounds["activations"]]
    lip = [a["lipschitz_bound"] for a in bounds["activations"]]
    certs: list[Certificate] = []

    # --- seed 000 Theorem 6, "necessary condition": sampled, and not actually necessary -------
    if square:
        rho = spectral_radius(form.A)
        i = int(torch.argmax(rho))
        rmax = float(rho[i])
        certs.append(
            Certificate(
                "theorem6_necessary",
                rmax <= 1.0,
                1.0 - rmax,
                "sampled",
                "max over the sampled domain of the spectral radius ρ(A*(x)) (seed 000 Thm. 6, "
                "necessary condition, eq. 9).",
                "No sampled point has ρ(A*(x)) > 1. This does not establish stability, nor the "
                "condition between samples; and the condition is not necessary for stability "
                "(counterexample f(x) = −3·relu(x) − 0.1·relu(−x): ρ = 3, globally stable). A "
                "violation is a diagnostic of local expansion of the secant map, not a proof of "
                "instability.",
                ("points as sampled",),
                {
                    "max_spectral_radius": rmax,
                    "worst_point": pts[i].tolist(),
                    "min_spectral_radius": float(rho.min()),
                    "points": int(pts.shape[0]),
                    **record,
                },
            )
        )
    else:
        certs.append(_not_applicable("theorem6_necessary", "sampled", n_in, n_out))

    # --- seed 000 Theorem 6, "sufficient condition": the seed's heuristic ---------------------
    rhos = [w["spectral_radius"] for w in bounds["weights"]]
    if all(r is not None for r in rhos):
        worst = max(max(rhos), max(lam, default=0.0))
        certs.append(
            Certificate(
                "theorem6_sufficient",
                worst <= 1.0,
                1.0 - worst,
                "seed-heuristic",
                "layer-wise spectral radii ρ(W_i) ≤ 1 and sup|Λ| ≤ 1 (seed 000 Thm. 6, sufficient "
                "condition, via eq. 10).",
                "None. The seed's proof uses ρ(A₁⋯A_m) ≤ ρ(A₁)⋯ρ(A_m), which is false for "
                "non-commuting matrices (A=[[0,1],[0,0]], B=Aᵀ: ρ(A)=ρ(B)=0, ρ(AB)=1). Use "
                "corollary4 / norm_product, which bound norms instead.",
                ("the seed's eq. 10 (false in general)",),
                {"weight_spectral_radii": rhos, "lambda_bounds": lam},
            )
        )
    else:
        certs.append(
            Certificate(
                "theorem6_sufficient",
                False,
                float("nan"),
                "seed-heuristic",
                "layer-wise spectral radii ρ(W_i) ≤ 1 (seed 000 Thm. 6, sufficient condition).",
                "Not applicable: some weight is not square, so ρ(W_i) is undefined.",
                (),
                {"weight_shapes": [w["shape"] for w in bounds["weights"]]},
            )
        )

    # --- seed 001 Corollary 4 and the norm-product bound: proofs -------------------------------
    q = _product_upper([*norms, *lam])
    cor4 = all(nv < 1 for nv in norms) and all(lv <= 1 for lv in lam)
    # margin: the strict part (1 − max‖W_i‖₂) when the |Λ| ≤ 1 part holds, else how far over
    lam_ok = all(lv <= 1 for lv in lam)
    cor4_margin = min(1 - nv for nv in norms) if lam_ok else min(1 - lv for lv in lam)
    assumptions = (
        "f is the network as parsed (weights as they are now), in exact arithmetic",
        "activation bounds sup|Λ| as derived in docs/activations.md",
        "computed spectral norms are within 8·max(m, n)·eps₆₄ of the true ones (backward-stable "
        "SVD); the bounds use them rounded up by that much",
    )
    certs.append(
        Certificate(
            "corollary4",
            cor4,
            cor4_margin,
            "proof",
            "‖W_i‖₂ < 1 for every weight and sup_z|Λ(z)| ≤ 1 for every activation "
            "(seed 001 Cor. 4, "
            "eq. 33).",
            "‖A*(x)‖₂ < 1 for every x ∈ ℝⁿ, by submultiplicativity of the spectral norm; hence the "
            "dissipation inequality ‖f(x)‖ − ‖x‖ ≤ ‖b*(x)‖ of seed 001 Thm. 1 holds globally.",
            assumptions,
            {"weight_norms": norms, "lambda_bounds": lam, "layers": bounds["weights"]},
        )
    )
    beta = bounds["beta"]
    conclusion = f"‖A*(x)‖₂ ≤ q = {q:.6g} < 1 for every x ∈ ℝⁿ."
    if square:
        if beta == 0.0:
            conclusion += (
                " The net has no bias and σ(0) = 0, so b* ≡ 0 and ‖x_t‖ ≤ qᵗ‖x_0‖: "
                "the origin is globally exponentially stable."
            )
        else:
            conclusion += (
                f" With sup‖b*(x)‖ ≤ β = {beta:.6g}, ‖x_(t+1)‖ ≤ q‖x_t‖ + β, so every "
                f"trajectory enters the ball ‖x‖ ≤ β/(1−q) = {beta / (1 - q):.6g}"
                " if q < 1."
            )
    certs.append(
        Certificate(
            "norm_product",
            q < 1,
            1 - q,
            "proof",
            "q = ∏‖W_i‖₂ · ∏ sup|Λ_i| (generalises seed 001 Cor. 4: only the product must be < 1).",
            conclusion,
            assumptions,
            {
                "q": q,
                "weight_norms": norms,
                "lambda_bounds": lam,
                "beta": beta,
                "absorbing_radius": beta / (1 - q) if q < 1 else None,
            },
        )
    )
    L = _product_upper([*norms, *lip])
    certs.append(
        Certificate(
            "lipschitz_contraction",
            L < 1 and square,
            1 - L,
            "proof",
            "L = ∏‖W_i‖₂ · ∏ Lip(σ_i), a global Lipschitz constant of f in ‖·‖₂.",
            "If L < 1 (square nets), f is a contraction of ℝⁿ: exactly one fixed point x̄, and "
            "‖x_t − x̄‖ ≤ Lᵗ‖x_0 − x̄‖ from every start (Banach fixed-point theorem).",
            (
                "activation Lipschitz constants as derived in docs/activations.md",
                assumptions[2],
            ),
            {"L": L, "weight_norms": norms, "lipschitz_bounds": lip},
        )
    )

    # --- seed 001 Theorem 1 over the sampled region ---------------------------------------------
    a_norm = norm2(form.A)
    j = int(torch.argmax(a_norm))
    nmax = float(a_norm[j])
    b_norm = torch.linalg.vector_norm(form.b, dim=1)
    certs.append(
        Certificate(
            "dissipativity",
            nmax < 1 and square,
            1 - nmax,
            "sampled",
            "max over the sampled domain of ‖A*(x)‖₂ (seed 001 Thm. 1, eq. 10), spectral norm.",
            "No sampled point has ‖A*(x)‖₂ ≥ 1, i.e. ‖f(x)‖ − ‖x‖ ≤ ‖b*(x)‖ at every sampled x. "
            "Between samples nothing is claimed; norm_product gives the global proof when it "
            "holds.",
            ("points as sampled",),
            {
                "max_norm2": nmax,
                "worst_point": pts[j].tolist(),
                "max_bias_norm": float(b_norm.max()),
                **record,
            },
        )
    )

    # --- seed 001 Corollary 3 at equilibria -------------------------------------------------------
    certs.append(_equilibrium_bounds(net, pts, square, equilibria))
    return CertificateReport(tuple(certs), record)


def _not_applicable(name: str, kind: str, n_in: int, n_out: int) -> Certificate:
    return Certificate(
        name,
        False,
        float("nan"),
        kind,
        "spectral radius of A*(x) (seed 000 Thm. 6).",
        f"Not applicable: the network maps ℝ^{n_in} → ℝ^{n_out}; eigenvalues need a square map. "
        "See dissipativity (singular values) instead.",
    )


def _equilibrium_bounds(net, pts, square, equilibria) -> Certificate:
    method = (
        "‖b*(x̄)‖/‖I − A*(x̄)‖₂ ≤ ‖x̄‖₂ ≤ ‖b*(x̄)‖/(1 − ‖A*(x̄)‖₂) at each equilibrium x̄ "
        "(seed 001 Cor. 3, eq. 23, p = 2)."
    )
    if not square:
        return Certificate(
            "equilibrium_bounds",
            False,
            float("nan"),
            "sampled",
            method,
            "Not applicable: the network is not a map ℝⁿ → ℝⁿ.",
        )
    if equilibria is None:
        from neurodyn.dynamics import fixed_points

        step = max(1, pts.shape[0] // 400)
        equilibria = fixed_points(net, seeds=pts[::step]).stack()
    rows = []
    ok = True
    margin = float("inf")
    if equilibria.numel():
        form = linearize(net, equilibria.to(pts.dtype))
        eye = torch.eye(form.A.shape[1], dtype=form.A.dtype, device=form.A.device)
        a_n = norm2(form.A)
        ima = norm2(eye - form.A)
        bn = torch.linalg.vector_norm(form.b, dim=1)
        xn = torch.linalg.vector_norm(equilibria, dim=1)
        for k in range(equilibria.shape[0]):
            lb = float(bn[k] / ima[k]) if float(ima[k]) > 0 else float("inf")
            ub = float(bn[k] / (1 - a_n[k])) if float(a_n[k]) < 1 else float("inf")
            holds = (
                lb <= float(xn[k]) * (1 + 1e-9) + 1e-12 and float(xn[k]) <= ub * (1 + 1e-9) + 1e-12
            )
            ok &= holds
            margin = min(margin, ub - float(xn[k]), float(xn[k]) - lb)
            rows.append(
                {
                    "x": equilibria[k].tolist(),
                    "norm": float(xn[k]),
                    "lower": lb,
                    "upper": json_float(ub),
                    "A_norm2": float(a_n[k]),
                    "holds": holds,
                }
            )
    return Certificate(
        "equilibrium_bounds",
        ok and bool(rows),
        margin if rows else float("nan"),
        "sampled",
        method,
        "Each equilibrium found numerically has its norm between the Cor. 3 bounds evaluated "
        "there (the upper bound is finite only where ‖A*(x̄)‖₂ < 1). The bounds follow from "
        "(I − A*(x̄)) x̄ = b*(x̄), so at an exact equilibrium they are a theorem; this checks them "
        "at the approximate equilibria Newton found from the sampled seeds. It does not show "
        "that no other equilibria exist. The seed states the bounds at a general x; they hold "
        "only at x = x̄.",
        ("equilibria found numerically by Newton's method (residual ≤ tol)",),
        {"equilibria": rows},
    )
