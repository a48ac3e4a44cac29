"""Sampled checks of Drgoňa et al., Dissipative: Theorem 1's dissipativity over a region and the
Corollary 3 equilibrium-norm bounds.

Cor. 3 is evaluated at the equilibria found: the paper writes it at a general x, but the
derivation ((I − A*(x̄)) x̄ = b*(x̄)) holds only at x = x̄.
"""

from __future__ import annotations

import torch
from torch import Tensor

from neurodyn._core import Certificate, json_float, norm2
from neurodyn.pwa import linearize
from neurodyn.stability._sampling import fmt_point, worst_index

__all__ = ["dissipativity", "equilibrium_bounds"]


def dissipativity(
    A: Tensor, b: Tensor, pts: Tensor, record: dict, n_random: int, square: bool
) -> Certificate:
    """max over the sampled points of ‖A*(x)‖₂ < 1, kind "sampled" (Drgoňa et al.,
    Dissipative, Thm. 1, eq. 10)."""
    a_norm = norm2(A)
    j = worst_index(a_norm, pts, n_random)
    nmax = float(a_norm[j])
    b_norm = torch.linalg.vector_norm(b, dim=1)
    holds = nmax < 1 and square
    if holds:
        conclusion = (
            f"No sampled point has ‖A*(x)‖₂ ≥ 1 (max {nmax:.6g}), i.e. ‖f(x)‖ − ‖x‖ ≤ ‖b*(x)‖ at "
            "every sampled x. Between samples nothing is claimed; norm_product gives the global "
            "proof when it holds."
        )
    elif nmax < 1:
        conclusion = (
            f"max ‖A*(x)‖₂ = {nmax:.6g} < 1 on the samples, but the network is not a map "
            "ℝⁿ → ℝⁿ, so there is no dissipation inequality of x_(t+1) = f(x_t). Nothing is "
            "concluded."
        )
    else:
        conclusion = (
            f"The condition fails: ‖A*(x)‖₂ = {nmax:.6g} ≥ 1 at the sampled point "
            f"{fmt_point(pts[j])}, so the dissipation inequality is not shown there. Nothing is "
            "concluded (a sampled check; the map may still be dissipative in other norms)."
        )
    return Certificate(
        "dissipativity",
        holds,
        1 - nmax,
        "sampled",
        "max over the sampled domain of ‖A*(x)‖₂ (Drgoňa et al., Dissipative, Thm. 1, eq. 10), "
        "spectral norm.",
        conclusion,
        ("points as sampled",),
        {
            "max_norm2": nmax,
            "worst_point": pts[j].tolist(),
            "max_bias_norm": float(b_norm.max()),
            **record,
        },
    )


def equilibrium_bounds(
    net, pts: Tensor, square: bool, equilibria: Tensor | None, complete: bool = False
) -> Certificate:
    """‖b*(x̄)‖/‖I − A*(x̄)‖₂ ≤ ‖x̄‖₂ ≤ ‖b*(x̄)‖/(1 − ‖A*(x̄)‖₂) at each equilibrium x̄ (seed
    001 Cor. 3, eq. 23, p = 2), kind "sampled".

    Args:
        equilibria: ``(K, n)`` fixed points; by default found by
            :func:`neurodyn.dynamics.fixed_points` from up to 400 of ``pts``.
        complete: ``equilibria`` is every fixed point in the box, solved region by region
            (``certify(exact=True)``), not what Newton found.
    """
    method = (
        "‖b*(x̄)‖/‖I − A*(x̄)‖₂ ≤ ‖x̄‖₂ ≤ ‖b*(x̄)‖/(1 − ‖A*(x̄)‖₂) at each equilibrium x̄ "
        "(Drgoňa et al., Dissipative, Cor. 3, eq. 23, p = 2)."
    )
    if not square:
        return Certificate(
            "equilibrium_bounds",
            False,
            float("nan"),
            "sampled",
            method,
            "Not applicable: the network is not a map ℝⁿ → ℝⁿ. Nothing is concluded.",
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
    if complete and not rows:
        conclusion = (
            "f has no fixed point in the box (every linear region's (I − A)x = b solved "
            "exactly), so there is nothing to check."
        )
    elif complete and ok:
        conclusion = (
            f"Each of the {len(rows)} fixed points in the box — the complete list, solved "
            "exactly region by region — has its norm between the Cor. 3 bounds evaluated there "
            "(the upper bound is finite only where ‖A*(x̄)‖₂ < 1). Drgoňa et al., Dissipative, "
            "state the bounds at a general x; they hold only at x = x̄."
        )
    elif not rows:
        conclusion = (
            "No equilibrium was found from the sampled seeds, so there is nothing to check. "
            "Nothing is concluded (in particular not that f has no equilibrium)."
        )
    elif ok:
        conclusion = (
            f"Each of the {len(rows)} equilibria found numerically has its norm between the Cor. 3 "
            "bounds evaluated there (the upper bound is finite only where ‖A*(x̄)‖₂ < 1). The "
            "bounds follow from (I − A*(x̄)) x̄ = b*(x̄), so at an exact equilibrium they are a "
            "theorem; this checks them at the approximate equilibria Newton found from the sampled "
            "seeds. It does not show that no other equilibria exist. Drgoňa et al., Dissipative, "
            "state the bounds "
            "at a general x; they hold only at x = x̄."
        )
    else:
        bad = [r for r in rows if not r["holds"]]
        first = bad[0]
        where = fmt_point(torch.tensor(first["x"]))
        conclusion = (
            f"{len(bad)} of the {len(rows)} equilibria found violate the Cor. 3 bounds (first at "
            f"x̄ = {where}, ‖x̄‖ = {first['norm']:.6g} outside [{first['lower']:.6g}, "
            f"{float(first['upper']):.6g}]): the point returned is not an accurate equilibrium. "
            "Nothing is concluded."
        )
    found_by = (
        "equilibria: every fixed point in the box, (I − A)x = b solved in each linear region"
        if complete
        else "equilibria found numerically by Newton's method (residual ≤ tol)"
    )
    return Certificate(
        "equilibrium_bounds",
        (ok and bool(rows)) or (complete and not rows),
        margin if rows else float("nan"),
        "sampled",
        method,
        conclusion,
        (found_by,),
        {"equilibria": rows, "complete": complete},
    )
