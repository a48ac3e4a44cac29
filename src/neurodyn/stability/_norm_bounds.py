"""Global proofs from layer norms: Corollary 4 of Drgoňa et al., Dissipative, the norm-product
bound it is a special case of, and the Lipschitz (Banach) contraction bound.

With q = ∏‖W_i‖₂ ∏ sup|Λ_i| (each factor rounded up, see ``_bounds``), submultiplicativity of
‖·‖₂ gives ‖A*(x)‖₂ ≤ q for every x ∈ ℝⁿ; with β ≥ sup_x ‖b*(x)‖, ‖x_{t+1}‖ ≤ q‖x_t‖ + β, so for
q < 1 every trajectory enters the ball ‖x‖ ≤ β/(1 − q) (Drgoňa et al., Dissipative, Thm. 1
globally).
"""

from __future__ import annotations

from neurodyn._core import Certificate
from neurodyn.stability._bounds import NORM_ASSUMPTIONS, LayerBounds, product_upper

__all__ = ["corollary4", "lipschitz_contraction", "norm_product"]


def corollary4(bounds: LayerBounds) -> Certificate:
    """‖W_i‖₂ < 1 ∀i and sup|Λ| ≤ 1 (Drgoňa et al., Dissipative, Cor. 4, eq. 33), kind "proof"."""
    norms, lam = bounds.norms, bounds.lambda_bounds
    lam_ok = all(lv <= 1 for lv in lam)
    holds = all(nv < 1 for nv in norms) and lam_ok
    # margin: the strict part (1 − max‖W_i‖₂) when the |Λ| ≤ 1 part holds, else how far over
    margin = min(1 - nv for nv in norms) if lam_ok else min(1 - lv for lv in lam)
    if holds:
        conclusion = (
            "‖A*(x)‖₂ < 1 for every x ∈ ℝⁿ, by submultiplicativity of the spectral norm; hence "
            "the dissipation inequality ‖f(x)‖ − ‖x‖ ≤ ‖b*(x)‖ of Drgoňa et al., Dissipative, "
            "Thm. 1 holds globally."
        )
    else:
        conclusion = (
            f"The condition fails: max ‖W_i‖₂ = {max(norms):.6g} (needs < 1), max sup|Λ| = "
            f"{max(lam, default=0.0):.6g} (needs ≤ 1). Nothing is concluded; norm_product needs "
            "only the product of the factors to be < 1."
        )
    return Certificate(
        "corollary4",
        holds,
        margin,
        "proof",
        "‖W_i‖₂ < 1 for every weight and sup_z|Λ(z)| ≤ 1 for every activation "
        "(Drgoňa et al., Dissipative, Cor. 4, eq. 33).",
        conclusion,
        NORM_ASSUMPTIONS,
        {"weight_norms": norms, "lambda_bounds": lam, "layers": bounds.weights},
    )


def norm_product(bounds: LayerBounds, square: bool) -> Certificate:
    """q = ∏‖W_i‖₂ ∏ sup|Λ_i| < 1, kind "proof"; with the absorbing ball for square nets."""
    norms, lam, beta = bounds.norms, bounds.lambda_bounds, bounds.beta
    q = product_upper([*norms, *lam])
    holds = q < 1
    if not holds:
        conclusion = (
            f"q = {q:.6g} ≥ 1: the norm product does not bound ‖A*(x)‖₂ below 1. Nothing is "
            "concluded (no contraction of ‖x‖, no absorbing ball)."
        )
    else:
        conclusion = f"‖A*(x)‖₂ ≤ q = {q:.6g} < 1 for every x ∈ ℝⁿ."
        if square and beta == 0.0:
            conclusion += (
                " The net has no bias and σ(0) = 0, so b* ≡ 0 and ‖x_t‖ ≤ qᵗ‖x_0‖: "
                "the origin is globally exponentially stable."
            )
        elif square:
            conclusion += (
                f" With sup‖b*(x)‖ ≤ β = {beta:.6g}, ‖x_(t+1)‖ ≤ q‖x_t‖ + β, so every "
                f"trajectory enters the ball ‖x‖ ≤ β/(1−q) = {beta / (1 - q):.6g}."
            )
    return Certificate(
        "norm_product",
        holds,
        1 - q,
        "proof",
        "q = ∏‖W_i‖₂ · ∏ sup|Λ_i| (generalises Drgoňa et al., Dissipative, Cor. 4: only the "
        "product must be < 1).",
        conclusion,
        NORM_ASSUMPTIONS,
        {
            "q": q,
            "weight_norms": norms,
            "lambda_bounds": lam,
            "beta": beta,
            "absorbing_radius": beta / (1 - q) if q < 1 else None,
        },
    )


def lipschitz_contraction(bounds: LayerBounds, square: bool) -> Certificate:
    """L = ∏‖W_i‖₂ ∏ Lip(σ_i) < 1 for a square net: f is a contraction, kind "proof"."""
    norms, lip = bounds.norms, bounds.lipschitz_bounds
    L = product_upper([*norms, *lip])
    holds = L < 1 and square
    if holds:
        conclusion = (
            f"L = {L:.6g} < 1: f is a contraction of ℝⁿ, so it has exactly one fixed point x̄, "
            "and ‖x_t − x̄‖ ≤ Lᵗ‖x_0 − x̄‖ from every start (Banach fixed-point theorem)."
        )
    elif L < 1:
        conclusion = (
            f"L = {L:.6g} < 1 bounds the Lipschitz constant of f, but f is not a map ℝⁿ → ℝⁿ, "
            "so there is no iteration to contract. Nothing is concluded about fixed points."
        )
    else:
        conclusion = (
            f"L = {L:.6g} ≥ 1: the product bound does not show a contraction. Nothing is concluded."
        )
    return Certificate(
        "lipschitz_contraction",
        holds,
        1 - L,
        "proof",
        "L = ∏‖W_i‖₂ · ∏ Lip(σ_i), a global Lipschitz constant of f in ‖·‖₂.",
        conclusion,
        ("activation Lipschitz constants as derived in docs/activations.md", NORM_ASSUMPTIONS[2]),
        {"L": L, "weight_norms": norms, "lipschitz_bounds": lip},
    )
