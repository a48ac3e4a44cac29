"""Exact certificates over a box for piecewise-linear nets: maxima of ρ(A*) and ‖A*‖₂ taken over
every linear region instead of over samples.

When every piece of every activation passes through (0, σ(0)) (ReLU, LeakyReLU, PReLU, RReLU,
Hardshrink), A*(x) is the constant linear part A_r of the region r holding x, so
max_{x ∈ box} ρ(A*(x)) = max_r ρ(A_r) and max ‖A*(x)‖₂ = max_r ‖A_r‖₂ (Drgoňa et al., Spectral
analysis, Lemma 3 and Sec. 3): Theorem 6's necessary condition (eq. 9) and the dissipativity of
Drgoňa et al., Dissipative, Thm. 1 (eq. 10) over the box become proofs.

Rounding allowance (so a margin below the rounding never becomes a proof):

* forming A_r = W_L S_{L−1} ⋯ S_1 W_1 in float64 errs by at most
  e_form = (Σ_i width_i)·eps·∏_i ‖|W_i|‖₂·max|s_i| (standard GEMM error bound, |·| elementwise);
* ‖A_r‖₂ is rounded up as the norm proofs do (σ̂·(1 + 8·max(m, n)·eps), backward-stable SVD)
  plus e_form;
* ρ(A_r): the computed eigenvalues are exact for A_r + E with ‖E‖₂ ≤ 8n·eps·‖A_r‖₂ + e_form,
  and by Elsner's theorem every eigenvalue moves by at most (2‖A‖₂ + ‖E‖₂)^{1−1/n}‖E‖₂^{1/n};
  the bound used is min(ρ̂ + that, ‖A_r‖₂ upper), since ρ ≤ ‖·‖₂.
"""

from __future__ import annotations

import numpy as np
import torch

from neurodyn._core import Box, Certificate, Progress
from neurodyn.pwa import LinearRegions, linear_regions
from neurodyn.pwa._regions import _stages
from neurodyn.stability._bounds import _EPS64, norm2_upper
from neurodyn.stability._sampling import fmt_point

__all__ = ["dissipativity_exact", "exact_regions", "theorem6_exact"]

EXACT_ASSUMPTIONS = (
    "f is the network as parsed (weights as they are now), in exact arithmetic",
    "every linear region meeting the box contains a ball of radius > min_radius (thinner "
    "slivers, below the LP's resolution, are not enumerated; 'slivers' counts those the LP saw)",
    "region maxima rounded up for float64 forming, SVD and eigenvalue errors (Elsner's bound), "
    "see neurodyn/stability/_exact.py",
)


def exact_regions(
    net, box: Box, *, max_regions, time_limit, progress: Progress | None
) -> LinearRegions:
    """The enumeration behind ``certify(..., exact=True)``, after checking it can be a proof.

    Raises:
        ValueError: a smooth activation (A*(x) varies continuously, no finite region set), or a
            piecewise-linear one whose pieces do not pass through (0, σ(0)) (Hardtanh, ReLU6,
            Hardsigmoid, Softshrink: A*(x) varies inside each region).
    """
    try:
        stages, _, _, _ = _stages(net)
    except ValueError as err:
        raise ValueError(f"certify(exact=True) needs a piecewise-linear network. {err}") from err
    bad = [s.table.name for s in stages if not s.table.through_sigma0]
    if bad:
        raise ValueError(
            f"certify(exact=True): {', '.join(sorted(set(bad)))} has pieces that do not pass "
            "through (0, σ(0)) (e.g. Hardtanh's saturated pieces σ = ±1), so on such a piece "
            "Λ(z) = (σ(z) − σ(0))/z varies with z and A*(x) is not constant on a linear region: "
            "its maximum over the box is not a maximum over finitely many regions. The regions "
            "and every fixed point are still exact: neurodyn.pwa.linear_regions(net, low, high) "
            "and its .fixed_points(). Supported for exact=True: ReLU, LeakyReLU, PReLU, RReLU, "
            "Hardshrink."
        )
    with torch.no_grad():
        return linear_regions(
            net,
            box,
            max_regions=max_regions,
            time_limit=time_limit,
            progress=progress,
        )


def _forming_error(net) -> float:
    stages, W_out, _, _ = _stages(net)
    total_width = 0
    prod = 1.0
    for st in stages:
        prod *= float(np.linalg.norm(np.abs(st.weight), 2)) * float(np.abs(st.table.slopes).max())
        total_width += st.weight.shape[0] + st.weight.shape[1]
    prod *= float(np.linalg.norm(np.abs(W_out), 2))
    total_width += sum(W_out.shape)
    return total_width * _EPS64 * prod


def _region_maxima(net, regs: LinearRegions, square: bool):
    A, b = regs.stack()
    e_form = _forming_error(net)
    norms = torch.linalg.matrix_norm(A, ord=2)
    nup = torch.tensor(
        [norm2_upper(float(v), A.shape[1:]) + e_form for v in norms], dtype=torch.float64
    )
    rho_up = rho = None
    if square:
        n = A.shape[-1]
        rho = torch.linalg.eigvals(A).abs().amax(dim=1)
        E = 8 * n * _EPS64 * nup + e_form
        elsner = (2 * nup + E) ** (1 - 1 / n) * E ** (1 / n)
        rho_up = torch.minimum(rho + elsner, nup)
    bnorm = torch.linalg.vector_norm(b, dim=1)
    return norms, nup, rho, rho_up, bnorm


def _evidence(regs: LinearRegions, i: int, record: dict) -> dict:
    r = regs[i]
    return {
        "regions": len(regs),
        "worst_region_pattern": r.pattern.tolist(),
        "worst_point": r.center.tolist(),
        "worst_region_radius": r.radius,
        "lps": regs.lps,
        "min_radius": regs.min_radius,
        "slivers": regs.slivers,
        "partial": regs.partial,
        "reason": regs.reason,
        **record,
    }


def theorem6_exact(net, regs: LinearRegions, square: bool, record: dict, not_necessary: str):
    """max over every region of ρ(A_r) ≤ 1 (Drgoňa et al., Spectral analysis, Thm. 6, eq. 9)."""
    method = (
        "max over every linear region meeting the box of ρ(A*) (A* constant per region), "
        "rounded up (Drgoňa et al., Spectral analysis, Thm. 6, necessary condition, eq. 9)."
    )
    if not square or not len(regs):
        return None
    _, _, rho, rho_up, _ = _region_maxima(net, regs, square)
    i = int(torch.argmax(rho_up))
    top = float(rho_up[i])
    holds = top <= 1.0
    kind = "sampled" if regs.partial else "proof"
    where = fmt_point(regs[i].center)
    if regs.partial:
        conclusion = (
            f"The region enumeration stopped early ({regs.reason}) after {len(regs)} regions, "
            f"so this is a maximum over those regions only (max ρ ≤ {top:.6g}); nothing is "
            "claimed for the rest of the box."
        )
    elif holds:
        conclusion = (
            f"ρ(A*(x)) ≤ {top:.6g} ≤ 1 for every x in the box (maximum over all {len(regs)} "
            f"linear regions, attained in the region around {where}). This does not establish "
            f"stability: {not_necessary}."
        )
    else:
        conclusion = (
            f"The condition fails: ρ(A*(x)) = {float(rho[i]):.6g} > 1 on the whole region around "
            f"{where} (one of {len(regs)}). Nothing is concluded: this is not a proof of "
            f"instability, since {not_necessary}."
        )
    return Certificate(
        "theorem6_necessary",
        holds,
        1.0 - top,
        kind,
        method,
        conclusion,
        EXACT_ASSUMPTIONS if not regs.partial else ("regions enumerated before the budget",),
        {
            "max_spectral_radius": top,
            "max_spectral_radius_computed": float(rho[i]),
            "min_spectral_radius": float(rho.min()),
            **_evidence(regs, i, record),
        },
    )


def dissipativity_exact(net, regs: LinearRegions, square: bool, record: dict) -> Certificate:
    """max over every region of ‖A_r‖₂ < 1 (Drgoňa et al., Dissipative, Thm. 1, eq. 10)."""
    norms, nup, _, _, bnorm = _region_maxima(net, regs, square)
    i = int(torch.argmax(nup))
    top = float(nup[i])
    holds = top < 1 and square and not regs.partial
    where = fmt_point(regs[i].center)
    if regs.partial:
        conclusion = (
            f"The region enumeration stopped early ({regs.reason}) after {len(regs)} regions; "
            f"max ‖A*‖₂ ≤ {top:.6g} over those only. Nothing is claimed for the rest of the box."
        )
        holds = top < 1 and square
    elif holds:
        conclusion = (
            f"‖A*(x)‖₂ ≤ {top:.6g} < 1 for every x in the box (maximum over all {len(regs)} "
            "linear regions), so ‖f(x)‖ − ‖x‖ ≤ ‖b*(x)‖ ≤ "
            f"{float(bnorm.max()):.6g} at every x in the box (Drgoňa et al., Dissipative, Thm. 1)."
        )
    elif top < 1:
        conclusion = (
            f"max ‖A*‖₂ ≤ {top:.6g} < 1 over the box, but the network is not a map ℝⁿ → ℝⁿ, so "
            "there is no dissipation inequality of x_(t+1) = f(x_t). Nothing is concluded."
        )
    else:
        conclusion = (
            f"The condition fails: ‖A*(x)‖₂ = {float(norms[i]):.6g} ≥ 1 on the whole region "
            f"around {where} (one of {len(regs)}). Nothing is concluded (the map may still be "
            "dissipative in other norms)."
        )
    return Certificate(
        "dissipativity",
        holds,
        1 - top,
        "sampled" if regs.partial else "proof",
        "max over every linear region meeting the box of ‖A*‖₂ (A* constant per region), "
        "rounded up (Drgoňa et al., Dissipative, Thm. 1, eq. 10).",
        conclusion,
        EXACT_ASSUMPTIONS if not regs.partial else ("regions enumerated before the budget",),
        {
            "max_norm2": top,
            "max_norm2_computed": float(norms[i]),
            "max_bias_norm": float(bnorm.max()),
            **_evidence(regs, i, record),
        },
    )
