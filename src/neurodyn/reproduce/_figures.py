"""Drgoňa et al., Spectral analysis, Figs. 2–8 regenerated from the zoo, with the numbers behind
them and the claims table (:mod:`neurodyn.reproduce._claims`), written through
:class:`neurodyn.report.Report`.

Only orchestration and drawing live here: every number comes from
:func:`neurodyn.report.phase_plane` and every panel from :mod:`neurodyn.plot` (Fig. 5's
histograms are plain ``Axes.hist``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from neurodyn import plot
from neurodyn._core._files import claim_folder
from neurodyn.report import PhasePlane, Report
from neurodyn.reproduce._claims import (
    BOX,
    NOT_REPRODUCED_REASONS,
    _fmt_pt,
    _stable_point,
    analyse,
    evaluate,
    last_bias,
    numbers,
)
from neurodyn.zoo import NOT_REPRODUCED, PAPER_MODELS, paper_config, paper_model

__all__ = ["FIGURES", "paper_figures"]

#: The models of each figure, in the paper's panel order.
FIGURES: dict[str, tuple[str, ...]] = {
    "fig2": ("fig2-stable", "fig2-bibo", "fig2-unstable"),
    "fig3": ("fig3-relu", "fig3-tanh", "fig3-selu", "fig3-sigmoid"),
    "fig4": ("fig4-bias", "fig4-nobias"),
    "fig5": tuple(
        f"fig5-{tag}-{depth}" for tag in ("stable", "edge", "unstable") for depth in (1, 4, 8)
    ),
    "fig6": (
        "fig6-point",
        "fig6-multipoint",
        "fig6-line",
        "fig6-cycle",
        "fig6-chaotic",
        "fig6-unstable",
    ),
}

_TITLES = {
    "fig2-stable": "asymptotically stable",
    "fig2-bibo": "BIBO stable",
    "fig2-unstable": "unstable",
    "fig3-relu": "ReLU",
    "fig3-tanh": "Tanh",
    "fig3-selu": "SELU",
    "fig3-sigmoid": "Sigmoid",
    "fig4-bias": r"with bias ($\bar x \neq 0$)",
    "fig4-nobias": r"without bias ($\bar x = 0$)",
    "fig6-point": "single point",
    "fig6-multipoint": "multiple points",
    "fig6-line": "line attractor",
    "fig6-cycle": "limit cycle",
    "fig6-chaotic": "chaotic attractor",
    "fig6-unstable": "unstable dynamics",
}

_CAPTIONS = {
    "fig2": "Fig. 2 — 8-layer DNNs with asymptotically stable (left), BIBO stable (centre) and "
    "unstable (right) dynamics: phase portraits (top) and the eigenvalues of A*(x) over the "
    "grid (bottom).",
    "fig3": "Fig. 3 — ρ(A*(x)) of 4-layer DNNs with stable weights: ReLU, Tanh, SELU, Sigmoid "
    "(the paper's order). Black contour: ρ = 1.",
    "fig4": "Fig. 4 — a stable 1-layer ReLU net with bias (left) and without bias (right).",
    "fig5": "Fig. 5 — real parts of the eigenvalues of A*(x) over the grid, GELU nets with "
    "asymptotically stable (top), edge-of-stability (middle) and unstable (bottom) layers; "
    "depth 1, 4, 8 left to right. Dashed: ±1.",
    "fig6": "Fig. 6 — attractor types: single point, multiple points, line, limit cycle, "
    "chaotic, unstable (title: the type classify_attractor measures).",
    "fig7": "Fig. 7 — ρ(A*(x)) of the Fig. 6 models.",
    "fig8": "Fig. 8 — eigenvalues of A*(x) over the grid for the Fig. 6 models.",
}


def _figure(rows: int, cols: int, width: float = 3.6, height: float = 3.4):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(cols * width, rows * height), layout="compressed")
    axes = fig.subplots(rows, cols, squeeze=False)
    return fig, axes


def _phase(ax, draw: PhasePlane, title: str, legend: bool = False) -> None:

    plot.phase_portrait(
        draw.trajectories,
        fixed_points=draw.fixed_points,
        vector_field=draw.field,
        ax=ax,
        title=title,
        legend=legend,
    )


def _phase_legend(fig, axes, draws: dict, names) -> None:
    """One legend below a set of phase portraits, with the entries any of them uses."""
    from matplotlib.lines import Line2D

    from neurodyn.plot import FIXED_POINT_STYLES

    diverged = any(bool(draws[n].trajectories.diverged.any()) for n in names)
    kinds = {p.kind for n in names for p in draws[n].fixed_points.points}
    handles = [
        Line2D([], [], color="0.72", marker=r"$\rightarrow$", ls="none", ms=10, label="f(x) − x"),
        Line2D([], [], color="tab:blue", lw=1.2, label="trajectory"),
    ]
    if diverged:
        handles.append(Line2D([], [], color="tab:red", lw=1.2, ls="--", label="diverged"))
    for kind, style in FIXED_POINT_STYLES.items():
        if kind in kinds:
            handles.append(
                Line2D(
                    [],
                    [],
                    ls="none",
                    marker=style["marker"],
                    markerfacecolor=style["facecolors"],
                    markeredgecolor="black",
                    markersize=7,
                    label=f"{kind} fixed point",
                )
            )
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False)


def _fig2(draws, models):

    names = FIGURES["fig2"]
    fig, axes = _figure(2, 3, 3.8, 3.6)
    for j, name in enumerate(names):
        d = draws[name]
        _phase(axes[0, j], d, f"{_TITLES[name]}\n{_attr_note(models[name])}")
        vis = models[name]["spectral_radius_visited"]["max"]
        plot.eigenvalue_cloud(
            d.eigenvalues,
            ax=axes[1, j],
            title=f"eigenvalues of A*(x) on the grid\n(max ρ over visited states: {vis:.3g})",
        )
    _phase_legend(fig, axes[0], draws, names)
    return fig


def _attr_note(model: dict) -> str:
    div = model["diverged_fraction"]
    note = f"attractor: {model['attractor']['kind']}"
    return note + (f", {div:.0%} diverge" if div > 0 else "")


def _rho_row(names, draws, models, cols: int):

    rows = math.ceil(len(names) / cols)
    fig, axes = _figure(rows, cols, 3.9, 3.3)
    for k, name in enumerate(names):
        d = draws[name]
        r = models[name]["spectral_radius"]
        plot.spectral_radius_map(
            d.xs,
            d.ys,
            d.rho,
            ax=axes.flat[k],
            title=f"{_TITLES[name]}  (max ρ = {r['max']:.3g})",
        )
        if r["identically_zero"]:
            axes.flat[k].text(
                0.5,
                0.5,
                "A*(x) ≡ 0 on the grid:\nthe net is constant\n(rank-1 2×2 Gershgorin layers)",
                transform=axes.flat[k].transAxes,
                ha="center",
                va="center",
                fontsize="small",
                bbox={"boxstyle": "round", "fc": "white", "ec": "0.8"},
            )
    return fig


def _fig4(draws, models):
    fig, axes = _figure(1, 2, 4.2, 4.0)
    for j, name in enumerate(FIGURES["fig4"]):
        eq = _stable_point(models[name])
        _phase(axes[0, j], draws[name], f"{_TITLES[name]}\nx̄ = {_fmt_pt(eq)}")
    _phase_legend(fig, axes[0], draws, FIGURES["fig4"])
    return fig


def _fig5(draws, models):
    import numpy as np

    fig, axes = _figure(3, 3, 3.6, 2.6)
    rows = (("stable", "(0, 1)"), ("edge", "(0.99, 1)"), ("unstable", "(0.99, 1.1)"))
    for i, (tag, rng) in enumerate(rows):
        names = [f"fig5-{tag}-{d}" for d in (1, 4, 8)]
        re = [draws[n].eigenvalues.real.reshape(-1).numpy() for n in names]
        lo = min(-1.2, *(float(v.min()) for v in re))
        hi = max(1.2, *(float(v.max()) for v in re))
        bins = np.linspace(lo, hi, 61)
        for j, (name, vals) in enumerate(zip(names, re, strict=True)):
            ax = axes[i, j]
            ax.hist(vals, bins=bins, color="tab:blue", alpha=0.8)
            ax.set_yscale("log")
            ax.set_ylim(0.7, 2.0 * vals.size)
            for v in (-1.0, 1.0):
                ax.axvline(v, color="0.3", ls="--", lw=0.9)
            depth = paper_config(name).depth
            r = models[name]["spectral_radius"]["max"]
            ax.set_title(f"{tag} {rng}, L = {depth}: max ρ = {r:.3g}", fontsize="medium")
            if i == 2:
                ax.set_xlabel(r"Re $\lambda(A^*(x))$")
            if j == 0:
                ax.set_ylabel("count")
    return fig


def _fig6(draws, models):
    fig, axes = _figure(2, 3, 3.9, 3.7)
    for k, name in enumerate(FIGURES["fig6"]):
        _phase(axes.flat[k], draws[name], f"{_TITLES[name]}\n{_attr_note(models[name])}")
    _phase_legend(fig, axes.flat, draws, FIGURES["fig6"])
    return fig


def _fig8(draws, models):

    fig, axes = _figure(2, 3, 3.6, 3.5)
    for k, name in enumerate(FIGURES["fig6"]):
        plot.eigenvalue_cloud(draws[name].eigenvalues, ax=axes.flat[k], title=_TITLES[name])
    return fig


# --------------------------------------------------------------------------- entry point


def _quiet(_msg: str) -> None:
    return None


def paper_figures(
    out: str | Path,
    *,
    resolution: int = 121,
    progress: Callable[[str], None] = _quiet,
) -> dict:
    """Regenerate Drgoňa et al., Spectral analysis, Figs. 2–8 from the Table 1 models over the box
    [−6, 6]².

    Writes ``fig2.png`` … ``fig8.png``, ``paper_figures.json`` (per-model numbers, Fig. 5's
    depth series and the claims table of :func:`neurodyn.reproduce.evaluate`) and
    ``index.html`` into ``out``; returns the JSON content.

    Args:
        out: output folder (created): new, empty or a neurodyn report folder (replaced).
        resolution: grid points per axis for the A*(x) maps, eigenvalue clouds and histograms.
        progress: called with a short description before each step.

    Raises:
        ValueError: ``resolution`` < 2.
        OutputExistsError: ``out`` is a file, a folder neurodyn did not write, or another kind
            of neurodyn output (checked before any work).
    """
    if resolution < 2:
        raise ValueError(f"resolution must be at least 2, got {resolution}.")
    claim_folder(out, "report", what="paper_figures: out")  # before the figures are drawn
    # every batch here is tiny (≤ 15k 2×2 matrices, 64 trajectories): intra-op threads only
    # add synchronisation, which on a loaded machine slows classify_attractor 10–30×
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _paper_figures(Path(out), resolution, progress)
    finally:
        torch.set_num_threads(threads)


def _paper_figures(out: Path, resolution: int, progress: Callable[[str], None]) -> dict:
    t0 = time.perf_counter()
    models: dict[str, dict] = {}
    draws: dict[str, PhasePlane] = {}
    for name in PAPER_MODELS:
        progress(f"analysing {name}")
        net = paper_model(name)
        pp = analyse(net, resolution)
        row = PAPER_MODELS[name]
        models[name] = {
            "figure": row.figure,
            "behaviour": row.behaviour,
            "config": paper_config(name).to_dict(),
            "not_reproduced": name in NOT_REPRODUCED,
            "last_bias": last_bias(net),
            **numbers(pp),
        }
        draws[name] = pp

    fig5 = {
        tag: {
            "depths": [1, 4, 8],
            "max_rho": [models[f"fig5-{tag}-{d}"]["spectral_radius"]["max"] for d in (1, 4, 8)],
        }
        for tag in ("stable", "edge", "unstable")
    }
    claims = evaluate(models)

    from neurodyn.activations import classify

    sig = classify(nn.Sigmoid())
    rep = Report("Drgoňa et al., Spectral analysis, Figs. 2–8 regenerated from the neurodyn zoo")
    rep.data.update(
        {
            "box": {"low": [BOX[0][0], BOX[1][0]], "high": [BOX[0][1], BOX[1][1]]},
            "resolution": resolution,
            "models": models,
            "fig5": fig5,
            "claims": claims,
            "not_reproduced": {
                n: NOT_REPRODUCED_REASONS.get(n, "") for n in sorted(NOT_REPRODUCED)
            },
            "sigmoid_activation": {
                "lambda_sup": sig.lambda_sup,
                "lambda_sup_no_offset": sig.lambda_sup_no_offset,
            },
        }
    )
    rep.section("Setup").text(
        f"Box [−6, 6]², {resolution}×{resolution} grid; Table 1 models from "
        "neurodyn.zoo.paper_model at their frozen seeds."
    )
    rep.section("Claims").table(
        [
            [
                f"Fig. {c['figure']}",
                c["paper"],
                c["measured"],
                f"{'pass' if c['passed'] else 'fail'} ({c['status']})",
                c.get("reason", ""),
            ]
            for c in claims
        ],
        columns=["fig.", "the paper says", "measured", "verdict", "why not"],
        status=[
            {"reproduced": "good", "not reproduced": "warn", "refuted": "warn"}.get(
                c["status"], "bad"
            )
            for c in claims
        ],
    )
    rep.section("Models").table(
        [
            [
                n,
                m["config"]["factorization"],
                m["config"]["activation"],
                m["config"]["depth"],
                str(m["config"]["eig_range"]),
                "Y" if m["config"]["bias"] else "N",
                m["config"]["seed"],
                m["spectral_radius"]["max"],
                f"{m['spectral_radius']['fraction_above_1']:.3f}",
                m["attractor"]["kind"],
                f"{m['diverged_fraction']:.2f}",
            ]
            for n, m in models.items()
        ],
        columns=[
            "name",
            "factorization",
            "activation",
            "L",
            "range",
            "bias",
            "seed",
            "max ρ",
            "ρ > 1",
            "attractor",
            "diverged",
        ],
    )

    progress("figures")
    builders = {
        "fig2": lambda: _fig2(draws, models),
        "fig3": lambda: _rho_row(FIGURES["fig3"], draws, models, 4),
        "fig4": lambda: _fig4(draws, models),
        "fig5": lambda: _fig5(draws, models),
        "fig6": lambda: _fig6(draws, models),
        "fig7": lambda: _rho_row(FIGURES["fig6"], draws, models, 3),
        "fig8": lambda: _fig8(draws, models),
    }
    rep.section("Figures")
    for key, build in builders.items():
        progress(f"drawing {key}")
        rep.figure(build(), f"{key}.png", _CAPTIONS[key], dpi=110, wide=True)
    rep.data["seconds"] = time.perf_counter() - t0
    return rep.write(out, json_name="paper_figures.json")
