"""The claims Drgoňa et al., Spectral analysis makes about its Figs. 2–6, as data, and how each is
measured.

A :class:`Claim` names its figure, the Table 1 models it is about, what the paper says, the
quantity measured and the pass rule. Every model is measured once by :func:`measure_model`
(:func:`neurodyn.report.phase_plane` over the paper's box [−6, 6]²); :func:`evaluate` turns the
measurements into the claims table of ``neurodyn paper-figures``, and :func:`shows_behaviour` /
:func:`find_seed` (the zoo's seed search) use the same claims for one candidate network.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import torch
from torch import nn

from neurodyn.report import PhasePlane, phase_plane
from neurodyn.zoo import NOT_REPRODUCED, SCAN_LIMIT, build, paper_config

__all__ = [
    "BOX",
    "CLAIMS",
    "NOT_REPRODUCED_REASONS",
    "Claim",
    "claims_about",
    "evaluate",
    "find_seed",
    "measure_model",
    "shows_behaviour",
]

#: The paper's grid (§4 "Experimental Setup"): [−6, 6]².
BOX = ((-6.0, 6.0), (-6.0, 6.0))

#: Why the models of :data:`neurodyn.zoo.NOT_REPRODUCED` do not show the paper's behaviour.
NOT_REPRODUCED_REASONS: dict[str, str] = {
    "fig3-sigmoid": (
        "With the exact offset form Λ(z) = (σ(z) − σ(0))/z, |Λ| ≤ 1/4 for Sigmoid, so a 4-layer "
        "net whose layer eigenvalues lie in [0, 1] cannot have ρ(A*) > 1. The paper's 'large "
        "unstable region' comes from its Λ = σ(z)/z, which blows up near z = 0 because "
        "σ(0) = 1/2 ≠ 0 (activations.classify(nn.Sigmoid()).lambda_sup_no_offset = inf)."
    ),
    "fig6-multipoint": (
        "Every seed scanned gives a period-2 orbit: layer eigenvalues near −1.3 flip the state "
        "each step, so classify_attractor reports a cycle; in a phase portrait the orbit's two "
        "points look like 'multiple points'."
    ),
}

#: What :func:`measure_model` asks :func:`neurodyn.dynamics.classify_attractor`.
ATTRACTOR_OPTIONS = {"resolution": 8, "transient": 500, "window": 100}


def analyse(net: nn.Module, resolution: int) -> PhasePlane:
    """The paper's analysis of one model: :func:`~neurodyn.report.phase_plane` over
    [−6, 6]² with 15×15 Newton seeds, 9×9 starts of 300 steps for ρ over visited states and
    divergence, and 5×5 trajectories of 100 steps over a 21×21 step field."""
    return phase_plane(
        net,
        BOX,
        resolution=resolution,
        fixed_point_resolution=15,
        attractor_options=ATTRACTOR_OPTIONS,
        trajectory_steps=100,
        field_resolution=21,
        basin_grid=None,
        visited_grid=(9, 300),
        certificates=False,
        regions=False,
    )


def numbers(pp: PhasePlane) -> dict:
    """The JSON numbers of one model (the keys the claims read)."""
    vis = pp.visited
    return {
        "spectral_radius": pp.rho_stats(),
        "spectral_radius_visited": {k: vis[k] for k in ("max", "states", "method")},
        "diverged_fraction": vis["diverged_fraction"],
        "max_norm_bounded": vis["max_norm_bounded"],
        "fixed_points": [
            {"x": p.x.tolist(), "kind": p.kind, "spectral_radius": float(p.eigenvalues.abs().max())}
            for p in pp.fixed_points.points
        ],
        "attractor": {"kind": pp.attractor.kind, "evidence": pp.attractor.evidence},
        "eigenvalue_real_part": {
            "min": float(pp.eigenvalues.real.min()),
            "max": float(pp.eigenvalues.real.max()),
        },
    }


def last_bias(net: nn.Module) -> list[float] | None:
    """b_L, the bias of the last ``nn.Linear`` (None without one)."""
    linears = [m for m in net.modules() if isinstance(m, nn.Linear)]
    return None if not linears or linears[-1].bias is None else linears[-1].bias.tolist()


def measure_model(net: nn.Module, resolution: int = 61) -> dict:
    """Every number a claim reads for one network (see :func:`numbers`), plus ``last_bias``."""
    return {**numbers(analyse(net, resolution)), "last_bias": last_bias(net)}


# --------------------------------------------------------------------------- claims


@dataclass(frozen=True)
class Claim:
    """One claim of the paper about a figure, and how it is checked.

    Attributes:
        id: short identifier, e.g. ``"fig2-left"``.
        figure: the figure number, e.g. ``"2"``.
        models: the Table 1 models it is about (:data:`neurodyn.zoo.PAPER_MODELS`).
        paper: what the paper says (quoted where it has words for it).
        quantity: what is measured, in words.
        measure: per-model numbers (``{name: measure_model(...)}``) → the claim's numbers.
        rule: the claim's numbers → passed.
        describe: the claim's numbers → the measured text shown in the table.
        expect: ``"reproduced"``, or ``"refuted"`` for a claim we test because we expect it
            to be false.
    """

    id: str
    figure: str
    models: tuple[str, ...]
    paper: str
    quantity: str
    measure: Callable[[Mapping[str, dict]], dict]
    rule: Callable[[dict], bool]
    describe: Callable[[dict], str]
    expect: str = "reproduced"

    def check(self, models: Mapping[str, dict]) -> tuple[dict, bool]:
        """The claim's numbers and whether it passes, from per-model measurements."""
        values = self.measure(models)
        return values, bool(self.rule(values))


def _rho(name: str, models) -> dict:
    return models[name]["spectral_radius"]


def _kind(name: str, models) -> str:
    return models[name]["attractor"]["kind"]


def _stable_point(model: dict) -> list[float] | None:
    stable = [p["x"] for p in model["fixed_points"] if p["kind"] == "stable"]
    return stable[0] if len(stable) == 1 else None


def _fmt_pt(p) -> str:
    return "—" if p is None else "(" + ", ".join(f"{v:+.4f}" for v in p) + ")"


def _equilibrium(name: str, models) -> dict:
    eq = _stable_point(models[name])
    return {
        "equilibrium": eq,
        "norm": math.inf if eq is None else math.hypot(*eq),
        "attractor": _kind(name, models),
    }


def _x_equals_bl(models) -> dict:
    eq = _stable_point(models["fig4-bias"])
    b_l = models["fig4-bias"]["last_bias"]
    gap = math.inf if eq is None else max(abs(a - b) for a, b in zip(eq, b_l, strict=True))
    return {"equilibrium": eq, "last_bias": b_l, "max_abs_difference": gap}


def _depth_claim(tag: str, decreasing: bool) -> Claim:
    names = tuple(f"fig5-{tag}-{d}" for d in (1, 4, 8))
    word = "shrinks" if decreasing else "expands"
    layers = "asymptotically stable" if decreasing else "unstable"
    return Claim(
        f"fig5-{tag}",
        "5",
        names,
        f"Fig. 5 / §4: with {layers} layers, increasing the depth {word} the spectral radius",
        "max ρ(A*(x)) on the grid at depth 1, 4, 8",
        lambda m: {"depths": [1, 4, 8], "max_rho": [_rho(n, m)["max"] for n in names]},
        lambda v: all(
            (a > b) if decreasing else (a < b) for a, b in itertools.pairwise(v["max_rho"])
        ),
        lambda v: "max ρ at depth 1, 4, 8 = " + ", ".join(f"{x:.4g}" for x in v["max_rho"]),
    )


_FIG6 = {
    "fig6-point": ("single point", "point"),
    "fig6-multipoint": ("multiple points", "multipoint"),
    "fig6-line": ("line attractor", "line"),
    "fig6-cycle": ("limit cycle", "cycle"),
    "fig6-chaotic": ("chaotic attractor", "chaotic"),
    "fig6-unstable": ("unstable dynamics", "divergent"),
}


def _fig6_claim(name: str) -> Claim:
    title, want = _FIG6[name]
    return Claim(
        name,
        "6",
        (name,),
        f"Fig. 6: attractor type '{title}' ({want})",
        "classify_attractor over [−6, 6]²",
        lambda m: {"expected_kind": want, "attractor": _kind(name, m)},
        lambda v: v["attractor"] == v["expected_kind"],
        lambda v: f"classify_attractor: {v['attractor']}",
    )


def _stable_grid_claim(name: str, act: str) -> Claim:
    return Claim(
        name,
        "3",
        (name,),
        "Fig. 3: 'Thanks to the asymptotic stability of ReLU and Tanh … the whole state space "
        f"is guaranteed to be stable with ρ(A*) ≤ 1' ({act})",
        "max ρ(A*(x)) on the grid",
        lambda m: {"max_rho": _rho(name, m)["max"]},
        lambda v: v["max_rho"] <= 1,
        lambda v: f"max ρ = {v['max_rho']:.4g}",
    )


#: Every claim, in the order of the paper's figures.
CLAIMS: tuple[Claim, ...] = (
    Claim(
        "fig2-left",
        "2",
        ("fig2-stable",),
        "Fig. 2 left: asymptotically stable — ρ(A*) ≤ 1 on the grid and trajectories "
        "converge to one equilibrium",
        "max ρ(A*(x)) on the grid; attractor type",
        lambda m: {"max_rho": _rho("fig2-stable", m)["max"], "attractor": _kind("fig2-stable", m)},
        lambda v: v["max_rho"] <= 1 and v["attractor"] == "point",
        lambda v: f"max ρ = {v['max_rho']:.4f}; attractor {v['attractor']}",
    ),
    Claim(
        "fig2-centre",
        "2",
        ("fig2-bibo",),
        "Fig. 2 centre: BIBO stable — trajectories stay bounded although ρ(A*) > 1 somewhere",
        "fraction of 9×9 starts diverging in 300 steps; max ρ(A*(x)) on the grid",
        lambda m: {
            "max_rho": _rho("fig2-bibo", m)["max"],
            "fraction_above_1": _rho("fig2-bibo", m)["fraction_above_1"],
            "diverged_fraction": m["fig2-bibo"]["diverged_fraction"],
            "max_norm": m["fig2-bibo"]["max_norm_bounded"],
            "attractor": _kind("fig2-bibo", m),
        },
        lambda v: v["diverged_fraction"] == 0 and v["max_rho"] > 1,
        lambda v: (
            f"max ρ = {v['max_rho']:.4f} (fraction > 1: {v['fraction_above_1']:.3f}); "
            f"diverged {v['diverged_fraction']:.2f}; max ‖x‖ = "
            f"{math.nan if v['max_norm'] is None else v['max_norm']:.3g}; "
            f"attractor {v['attractor']}"
        ),
    ),
    Claim(
        "fig2-right",
        "2",
        ("fig2-unstable",),
        "Fig. 2 right: unstable — ρ(A*) > 1 and trajectories diverge",
        "max ρ(A*) over the states 300-step trajectories visit; diverged fraction",
        lambda m: {
            "max_rho_grid": _rho("fig2-unstable", m)["max"],
            "max_rho_visited": m["fig2-unstable"]["spectral_radius_visited"]["max"],
            "diverged_fraction": m["fig2-unstable"]["diverged_fraction"],
        },
        lambda v: v["max_rho_visited"] > 1 and v["diverged_fraction"] > 0,
        lambda v: (
            f"max ρ on [−6, 6]² = {v['max_rho_grid']:.4f} (< 1 on the grid); max ρ "
            f"over visited states = {v['max_rho_visited']:.4f}; "
            f"diverged {v['diverged_fraction']:.2f}"
        ),
    ),
    _stable_grid_claim("fig3-relu", "ReLU"),
    _stable_grid_claim("fig3-tanh", "Tanh"),
    Claim(
        "fig3-selu",
        "3",
        ("fig3-selu",),
        "Fig. 3: 'SELU network generated globally stable dynamics'",
        "attractor type; diverged fraction",
        lambda m: {
            "attractor": _kind("fig3-selu", m),
            "max_rho": _rho("fig3-selu", m)["max"],
            "diverged_fraction": m["fig3-selu"]["diverged_fraction"],
        },
        lambda v: v["attractor"] == "point" and v["diverged_fraction"] == 0,
        lambda v: (
            f"attractor {v['attractor']}; diverged {v['diverged_fraction']:.2f}; "
            f"max ρ = {v['max_rho']:.4f}"
        ),
    ),
    Claim(
        "fig3-sigmoid",
        "3",
        ("fig3-sigmoid",),
        "Fig. 3: 'Sigmoid network generated large unstable region surrounded by stable regions'",
        "fraction of the grid with ρ(A*(x)) > 1",
        lambda m: {
            "max_rho": _rho("fig3-sigmoid", m)["max"],
            "fraction_above_1": _rho("fig3-sigmoid", m)["fraction_above_1"],
        },
        lambda v: v["fraction_above_1"] > 0,
        lambda v: f"max ρ = {v['max_rho']:.4g}; fraction with ρ > 1: {v['fraction_above_1']:.3f}",
    ),
    Claim(
        "fig4-nobias",
        "4",
        ("fig4-nobias",),
        "Fig. 4 right / §4: 'a neural network without bias is globally asymptotically stable "
        "with the equilibrium point at the origin x̄ = 0'",
        "attractor type; ‖x̄‖ of the one stable fixed point",
        lambda m: _equilibrium("fig4-nobias", m),
        lambda v: v["attractor"] == "point" and v["norm"] < 1e-9,
        lambda v: f"attractor {v['attractor']}; ‖x̄‖ = {v['norm']:.2e}",
    ),
    Claim(
        "fig4-bias",
        "4",
        ("fig4-bias",),
        "Fig. 4 left: with bias the stable equilibrium moves away from the origin (x̄ ≠ 0)",
        "attractor type; ‖x̄‖ of the one stable fixed point",
        lambda m: _equilibrium("fig4-bias", m),
        lambda v: v["attractor"] == "point" and 1e-3 < v["norm"] < math.inf,
        lambda v: (
            f"attractor {v['attractor']}; x̄ = {_fmt_pt(v['equilibrium'])}, ‖x̄‖ = {v['norm']:.4f}"
        ),
    ),
    Claim(
        "fig4-x=bL",
        "4",
        ("fig4-bias",),
        "§4: 'the equilibrium point are uniquely defined by last layer's bias terms x̄ = b_L'",
        "‖x̄ − b_L‖∞ for the one stable fixed point x̄",
        _x_equals_bl,
        lambda v: (
            v["max_abs_difference"] <= 1e-6 * (1 + max(abs(b) for b in v["last_bias"] or [0.0]))
        ),
        lambda v: (
            f"x̄ = {_fmt_pt(v['equilibrium'])}, b_L = {_fmt_pt(v['last_bias'])}, "
            f"‖x̄ − b_L‖∞ = {v['max_abs_difference']:.4f}"
        ),
        expect="refuted",
    ),
    _depth_claim("stable", True),
    _depth_claim("unstable", False),
    *(_fig6_claim(name) for name in _FIG6),
)


def evaluate(models: Mapping[str, dict], claims: tuple[Claim, ...] = CLAIMS) -> list[dict]:
    """The claims table: one dict per claim with ``id``, ``figure``, ``models``, ``paper``,
    ``quantity``, ``measured`` (text), ``passed``, ``expected``, ``status`` and ``numbers``.

    ``status`` is ``"reproduced"`` when the claim passes, ``"not reproduced"`` when it fails
    for a model of :data:`neurodyn.zoo.NOT_REPRODUCED` (``reason`` says why), ``"refuted"``
    when a claim expected to be false fails, and ``"failed"`` otherwise (a regression).
    """
    out = []
    for claim in claims:
        values, passed = claim.check(models)
        known = [m for m in claim.models if m in NOT_REPRODUCED]
        if passed:
            status = "reproduced"
        elif known:
            status = "not reproduced"
        else:
            status = "refuted" if claim.expect == "refuted" else "failed"
        row = {
            "id": claim.id,
            "figure": claim.figure,
            "models": list(claim.models),
            "paper": claim.paper,
            "quantity": claim.quantity,
            "measured": claim.describe(values),
            "passed": passed,
            "expected": "not reproduced" if known else claim.expect,
            "status": status,
            "numbers": values,
        }
        if known:
            row["reason"] = " ".join(NOT_REPRODUCED_REASONS.get(m, "") for m in known).strip()
        # flag claims that hold only because the net is constant on the grid
        zero = [n for n in claim.models if models[n]["spectral_radius"]["identically_zero"]]
        if zero:
            row["identically_zero"] = zero
            row["measured"] += (
                f"; A*(x) ≡ 0 for {', '.join(zero)} (a constant net: products of rank-1 "
                "2×2 Gershgorin layers vanish)" + (", so this holds trivially" if passed else "")
            )
        out.append(row)
    return out


# --------------------------------------------------------------------------- seed search


def claims_about(name: str) -> tuple[Claim, ...]:
    """The claims a single model ``name`` must pass to show its figure's behaviour: those
    about that model alone and not expected to be refuted (Fig. 5's depth series is about
    three models together, so Fig. 5 models have none)."""
    return tuple(c for c in CLAIMS if c.models == (name,) and c.expect != "refuted")


def shows_behaviour(name: str, net: nn.Module, *, resolution: int = 61) -> bool:
    """Whether ``net`` passes every claim the paper makes about model ``name`` alone
    (:func:`claims_about`), measured on a ``resolution``² grid; True when there is none."""
    claims = claims_about(name)
    if not claims:
        return True
    models = {name: measure_model(net, resolution)}
    return all(c.check(models)[1] for c in claims)


def find_seed(name: str, limit: int = SCAN_LIMIT) -> int | None:
    """The first generator seed in [0, limit) whose Table 1 model ``name`` shows its
    behaviour (:func:`shows_behaviour`), or None; the results are frozen in
    :data:`neurodyn.zoo.PAPER_SEEDS`."""
    for seed in range(limit):
        net = build(paper_config(name, seed=seed), dtype=torch.float64)
        if shows_behaviour(name, net):
            return seed
    return None
