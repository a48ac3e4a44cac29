"""Drgoňa et al., Spectral analysis, Theorem 6: the spectral-radius conditions, as diagnostics.

* "necessary condition" ρ(A*(x)) ≤ 1 ∀x — sampled, and not actually necessary:
  f(x) = −3·relu(x) − 0.1·relu(−x) has ρ(A*(x)) = 3 for x > 0 yet every trajectory converges
  to 0 (|f(f(x))| ≤ 0.3|x|).
* "sufficient condition" ρ(W_i) ≤ 1, |Λ| ≤ 1 — heuristic: it rests on
  ρ(AB) ≤ ρ(A)ρ(B), false for non-commuting matrices (A = [[0,1],[0,0]], B = Aᵀ).
"""

from __future__ import annotations

from torch import Tensor

from neurodyn._core import Certificate, spectral_radius
from neurodyn.stability._bounds import LayerBounds
from neurodyn.stability._sampling import fmt_point, worst_index

__all__ = ["theorem6_necessary", "theorem6_sufficient"]

_NOT_NECESSARY = (
    "the condition is not necessary for stability (counterexample f(x) = −3·relu(x) − "
    "0.1·relu(−x): ρ = 3, globally stable)"
)


def theorem6_necessary(
    A: Tensor | None, pts: Tensor, record: dict, n_random: int, shape: tuple[int, int]
) -> Certificate:
    """max over the sampled points of ρ(A*(x)) ≤ 1, kind "sampled" (Drgoňa et al., Spectral
    analysis, Thm. 6, eq. 9).

    Args:
        A: ``(B, n, n)`` A*(x) at ``pts`` (None when the network is not square).
        pts: ``(B, n)`` the sampled points; ``record`` how they were sampled.
        n_random: how many leading points were drawn (for the tie-break of ``worst_point``).
        shape: ``(n_in, n_out)`` of the network.
    """
    method = (
        "max over the sampled domain of the spectral radius ρ(A*(x)) (Drgoňa et al., Spectral "
        "analysis, Thm. 6, necessary condition, eq. 9)."
    )
    if A is None:
        return not_applicable(
            "theorem6_necessary",
            "sampled",
            "spectral radius of A*(x) (Drgoňa et al., Spectral analysis, Thm. 6).",
            *shape,
        )
    rho = spectral_radius(A)
    i = worst_index(rho, pts, n_random)
    rmax = float(rho[i])
    holds = rmax <= 1.0
    if holds:
        conclusion = (
            f"No sampled point has ρ(A*(x)) > 1 (max {rmax:.6g}). This does not establish "
            f"stability, nor the condition between samples; and {_NOT_NECESSARY}."
        )
    else:
        conclusion = (
            f"The condition fails: ρ(A*(x)) = {rmax:.6g} > 1 at the sampled point "
            f"{fmt_point(pts[i])}, a local expansion of the secant map there. Nothing is "
            f"concluded: this is not a proof of instability, since {_NOT_NECESSARY}."
        )
    return Certificate(
        "theorem6_necessary",
        holds,
        1.0 - rmax,
        "sampled",
        method,
        conclusion,
        ("points as sampled",),
        {
            "max_spectral_radius": rmax,
            "worst_point": pts[i].tolist(),
            "min_spectral_radius": float(rho.min()),
            "points": int(pts.shape[0]),
            **record,
        },
    )


def theorem6_sufficient(bounds: LayerBounds) -> Certificate:
    """ρ(W_i) ≤ 1 for every weight and sup|Λ| ≤ 1, kind "heuristic" (Drgoňa et al., Spectral
    analysis, Thm. 6, eq. 10)."""
    rhos = bounds.spectral_radii
    lam = bounds.lambda_bounds
    if not all(r is not None for r in rhos):
        return Certificate(
            "theorem6_sufficient",
            False,
            float("nan"),
            "heuristic",
            "layer-wise spectral radii ρ(W_i) ≤ 1 (Drgoňa et al., Spectral analysis, Thm. 6, "
            "sufficient condition).",
            "Not applicable: some weight is not square, so ρ(W_i) is undefined. Nothing is "
            "concluded.",
            (),
            {"weight_shapes": [w["shape"] for w in bounds.weights]},
        )
    worst = max(max(rhos), max(lam, default=0.0))
    holds = worst <= 1.0
    flaw = (
        "The paper's proof uses ρ(A₁⋯A_m) ≤ ρ(A₁)⋯ρ(A_m), which is false for non-commuting "
        "matrices (A=[[0,1],[0,0]], B=Aᵀ: ρ(A)=ρ(B)=0, ρ(AB)=1). Use corollary4 / norm_product, "
        "which bound norms instead."
    )
    if holds:
        conclusion = (
            f"The paper's condition is met (max of ρ(W_i) and sup|Λ| = {worst:.6g} ≤ 1), but "
            f"nothing follows from it. {flaw}"
        )
    else:
        conclusion = (
            f"The paper's condition fails (max of ρ(W_i) and sup|Λ| = {worst:.6g} > 1). Nothing "
            f"is concluded either way. {flaw}"
        )
    return Certificate(
        "theorem6_sufficient",
        holds,
        1.0 - worst,
        "heuristic",
        "layer-wise spectral radii ρ(W_i) ≤ 1 and sup|Λ| ≤ 1 (Drgoňa et al., Spectral analysis, "
        "Thm. 6, sufficient "
        "condition, via eq. 10).",
        conclusion,
        ("the paper's eq. 10 (false in general)",),
        {"weight_spectral_radii": rhos, "lambda_bounds": lam},
    )


def not_applicable(name: str, kind: str, method: str, n_in: int, n_out: int) -> Certificate:
    """A failed certificate for a network that is not a map ℝⁿ → ℝⁿ."""
    return Certificate(
        name,
        False,
        float("nan"),
        kind,
        method,
        f"Not applicable: the network maps ℝ^{n_in} → ℝ^{n_out}; eigenvalues need a square map. "
        "See dissipativity (singular values) instead. Nothing is concluded.",
    )
