"""The phase-plane report: analysis of a 2-D map written as report.json, PNGs and index.html.

Only orchestration lives here: every number comes from the library's algorithms and every
picture from :mod:`neurodyn.plot`.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from neurodyn.dynamics import basins, classify_attractor, fixed_points, grid_points, simulate
from neurodyn.pwa import linear_regions, linearize
from neurodyn.stability import certify, eigvals, norm2, spectral_radius

__all__ = ["phase_plane_report"]

_NOOP: Callable[[str], None] = lambda _msg: None  # noqa: E731


def phase_plane_report(
    net: nn.Module,
    out: Path,
    *,
    low: tuple[float, float] = (-4.0, -4.0),
    high: tuple[float, float] = (4.0, 4.0),
    resolution: int = 201,
    basin_resolution: int = 121,
    steps: int = 300,
    title: str = "neurodyn report",
    progress: Callable[[str], None] = _NOOP,
) -> dict:
    """Analyse a square 2-D network used as x_{t+1} = f(x_t) over the box [low, high] and write
    ``report.json``, the PNG figures and ``index.html`` into ``out``. Returns the report dict.
    """
    from matplotlib.figure import Figure  # noqa: F401  (fail early if matplotlib is missing)

    from neurodyn import plot

    out.mkdir(parents=True, exist_ok=True)
    ref = next(net.parameters())
    dtype = ref.dtype
    report: dict = {"title": title, "box": {"low": list(low), "high": list(high)}}
    figures: list[tuple[str, str]] = []

    def save(fig, name: str, caption: str) -> None:
        fig.savefig(out / name, dpi=120, bbox_inches="tight")
        figures.append((name, caption))

    with torch.no_grad():
        progress("pointwise-affine form over the grid")
        xs, ys, pts = grid_points(low, high, resolution, dtype=dtype)
        form = linearize(net, pts)
        rho = spectral_radius(form.A)
        a_norm = norm2(form.A)
        eig = eigvals(form.A)
        ny, nx = len(ys), len(xs)
        i_max = int(rho.argmax())
        report["affine_form"] = {
            "grid": [nx, ny],
            "spectral_radius": {
                "max": float(rho.max()),
                "min": float(rho.min()),
                "mean": float(rho.mean()),
                "argmax": pts[i_max].tolist(),
                "fraction_above_1": float((rho > 1).double().mean()),
            },
            "norm2": {"max": float(a_norm.max()), "min": float(a_norm.min())},
        }

        progress("fixed points (Newton from a seed grid)")
        fps = fixed_points(net, low=low, high=high, resolution=25)
        report["fixed_points"] = fps.to_dict()

        progress("attractor type")
        attractor = classify_attractor(net, low, high)
        report["attractor"] = attractor.to_dict()

        progress("basins of attraction")
        bas = basins(net, low, high, resolution=basin_resolution, steps=steps, attractors=fps)
        report["basins"] = bas.to_dict()

        progress("trajectories")
        starts = grid_points(low, high, 5, dtype=dtype)[2] * 0.9
        traj = simulate(net, starts, 60)
        vxs, vys, vpts = grid_points(low, high, 25, dtype=dtype)
        field = (net(vpts) - vpts).reshape(len(vys), len(vxs), 2)

        progress("certificates")
        cert = certify(net, [(low[0], high[0]), (low[1], high[1])])
        report["certificates"] = cert.to_dict()

        regions = None
        try:
            regions = linear_regions(net, pts).reshape(ny, nx)
            report["linear_regions"] = int(regions.max()) + 1
        except ValueError as err:  # smooth activations: no linear regions
            report["linear_regions"] = None
            report["linear_regions_note"] = str(err)

    progress("figures")
    save(
        plot.phase_portrait(
            traj, fixed_points=fps, vector_field=(vxs, vys, field), title="Phase portrait"
        ),
        "phase_portrait.png",
        "Trajectories of x_{t+1} = f(x_t) from a 5×5 grid of starts, the "
        "step field f(x) − x, and the fixed points found by Newton's method.",
    )
    save(
        plot.spectral_radius_map(xs, ys, rho.reshape(ny, nx), title="Spectral radius of A*(x)"),
        "spectral_radius.png",
        "ρ(A*(x)) of the exact pointwise-affine form over the grid; the "
        "contour marks ρ = 1 (seed 000 Fig. 3, 7).",
    )
    save(
        plot.eigenvalue_cloud(eig, title="Eigenvalues of A*(x) over the grid"),
        "eigenvalues.png",
        "Eigenvalues of A*(x) at every grid point with the unit circle (seed 000 Fig. 2, 8).",
    )
    save(
        plot.basins_map(bas, title="Basins of attraction"),
        "basins.png",
        f"Which stable fixed point each grid point reaches after {steps} steps.",
    )
    if regions is not None:
        save(
            plot.regions_map(xs, ys, regions, title="Linear regions"),
            "regions.png",
            "Linear regions of the piecewise-linear network.",
        )
    report["figures"] = [name for name, _ in figures]
    (out / "report.json").write_text(json.dumps(_clean(report), indent=2, allow_nan=False))
    (out / "index.html").write_text(_html(report, figures))
    return report


def _clean(obj):
    """JSON-safe copy: non-finite floats become strings."""
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return "nan" if math.isnan(obj) else ("inf" if obj > 0 else "-inf")
    return obj


def _html(report: dict, figures: list[tuple[str, str]]) -> str:
    esc = html.escape
    rows = []
    for c in report["certificates"]["certificates"]:
        verdict = "holds" if c["holds"] else "does not hold"
        rows.append(
            f"<tr><td>{esc(c['name'])}</td><td>{esc(c['kind'])}</td><td>{verdict}</td>"
            f"<td>{esc(str(c['margin']))}</td><td>{esc(c['conclusion'])}</td></tr>"
        )
    fps = "".join(
        f"<li>x̄ = ({p['x'][0]:.4f}, {p['x'][1]:.4f}) — {esc(p['kind'])}, ρ(J) = "
        f"{p['spectral_radius']:.4f}</li>"
        for p in report["fixed_points"]["points"]
    )
    aff = report["affine_form"]["spectral_radius"]
    figs = "".join(
        f'<figure><img src="{esc(name)}" alt="{esc(name)}"><figcaption>{esc(cap)}</figcaption>'
        "</figure>"
        for name, cap in figures
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(report["title"])}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }}
table {{ border-collapse: collapse; font-size: 0.9em; }}
td, th {{ border: 1px solid #ccc; padding: 4px 8px; vertical-align: top; }}
figure {{ display: inline-block; width: 48%; margin: 0.5%; }} img {{ width: 100%; }}
figcaption {{ font-size: 0.85em; color: #555; }}
</style></head><body>
<h1>{esc(report["title"])}</h1>
<p>Box [{report["box"]["low"]}, {report["box"]["high"]}]. Attractor type:
<b>{esc(report["attractor"]["kind"])}</b>. ρ(A*(x)) over the grid: max {aff["max"]:.4f}
at {[round(v, 3) for v in aff["argmax"]]}, min {aff["min"]:.4f}; fraction with ρ &gt; 1:
{aff["fraction_above_1"]:.3f}.</p>
<h2>Fixed points</h2><ul>{fps}</ul>
<h2>Certificates</h2>
<p><i>proof</i>: holds for every x under the stated assumptions; <i>sampled</i>: only on the
sampled points; <i>seed-heuristic</i>: the seed's condition, whose argument is flawed.</p>
<table><tr><th>certificate</th><th>kind</th><th>verdict</th><th>margin</th><th>meaning</th></tr>
{"".join(rows)}</table>
<h2>Figures</h2>{figs}
<p>Full numbers: <a href="report.json">report.json</a>.</p>
</body></html>
"""
