"""``analyze``: one call from a user's model to a report (``neurodyn analyze`` runs it).

A feedforward net f: ℝⁿ → ℝⁿ is analysed as the map x_{t+1} = f(x_t) over a box; a recurrent
module (``nn.RNN/LSTM/GRU``, a cell, or any module with ``__neurodyn_map__``) as a driven map
h_{t+1} = F(h_t, x_t) under Gaussian (or given) inputs, as ``neurodyn lyapunov`` does. The
analysis is a list of independent *section functions* ``section(analysis, report)``
(:data:`FEEDFORWARD_SECTIONS`, :data:`RECURRENT_SECTIONS`): each computes one thing, writes its
numbers into ``report.data`` and its blocks into the report, and records in
``analysis.not_done`` what it could not do and why; pass ``sections=[...]`` to run others.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from neurodyn._core import Box, DivergenceError, InputError, eigvals, norm2, spectral_radius
from neurodyn._core import provenance as _provenance
from neurodyn.report._format import dtype_digits, fmt, fmt_pm, fmt_vector
from neurodyn.report._lyapunov import add_lyapunov
from neurodyn.report._report import Report, panel

__all__ = [
    "DEFAULT_HALF_WIDTH",
    "FEEDFORWARD_SECTIONS",
    "RECURRENT_SECTIONS",
    "Analysis",
    "analyze",
    "default_box",
]

#: The default box is [−3, 3] on every axis (inputs of trained nets are usually standardised).
DEFAULT_HALF_WIDTH = 3.0
#: Exponents computed by default for a recurrent model: the leading 10 (or all when fewer).
RECURRENT_K = 10


def default_box(dim: int) -> Box:
    """The box used when none is given: [−3, 3]ⁿ (:data:`DEFAULT_HALF_WIDTH`)."""
    return Box((-DEFAULT_HALF_WIDTH,) * dim, (DEFAULT_HALF_WIDTH,) * dim)


def _quiet(_msg: str) -> None:
    return None


@dataclass
class Analysis:
    """What every section reads (the model, the box, the options) and shares (``cache``).

    Attributes:
        net: the module; ``map``: it as a neurodyn Map; ``dim``: the state dimension.
        box: the state box (feedforward nets; None for recurrent modules).
        options: the settings (``resolution``, ``samples``, ``steps``, ``warmup``, ``batch``,
            ``basin_resolution``, ``inputs``, ``input_std``, ``lstm_state``, ``k``, ``t_on``).
        seed: the seed of every random draw.
        stage: called with a short description before each long step (a spinner).
        progress: ``progress(done, total)`` of the long loops (a bar), or None.
        cache: results one section leaves for another (``fixed_points``, ``trajectories``).
        not_done: one sentence per part that was skipped, with the reason.
        max_digits: the most significant digits a number on the page shows: what the weights
            carry (:func:`~neurodyn.report.dtype_digits` of the dtype they were saved in, 3
            for float16), None for no cap; :meth:`fmt`, :meth:`fmt_pm` and
            :meth:`fmt_vector` apply it.
    """

    net: nn.Module
    map: object
    dim: int
    box: Box | None
    options: dict
    seed: int = 0
    stage: Callable[[str], None] = _quiet
    progress: Callable[[int, int], None] | None = None
    cache: dict = field(default_factory=dict)
    not_done: list[str] = field(default_factory=list)
    max_digits: int | None = None

    @property
    def dtype(self) -> torch.dtype:
        return next(self.net.parameters()).dtype

    def fmt(self, value, uncertainty=None, **kw) -> str:
        """:func:`~neurodyn.report.fmt` with at most :attr:`max_digits` significant digits."""
        return fmt(value, uncertainty, max_digits=self.max_digits, **kw)

    def fmt_pm(self, value, error, **kw) -> str:
        return fmt_pm(value, error, max_digits=self.max_digits, **kw)

    def fmt_vector(self, values, tol=None, **kw) -> str:
        return fmt_vector(values, tol, max_digits=self.max_digits, **kw)

    def sample(self, count: int) -> torch.Tensor:
        """``count`` points drawn uniformly in the box (seeded), in the net's dtype."""
        return self.box.sample(count, seed=self.seed, dtype=self.dtype)


# ---------------------------------------------------------------------- feedforward sections


def affine_section(a: Analysis, rep: Report) -> None:
    """ρ(A*(x)) and ‖A*(x)‖₂ of the exact pointwise-affine form f(x) = A*(x) x + b*(x)
    (Drgoňa et al., Spectral analysis, Lemma 3) on a grid (n ≤ 2) or sampled points."""
    from neurodyn import plot
    from neurodyn.pwa import linearize

    a.stage("pointwise-affine form A*(x)")
    res = a.options["resolution"]
    if a.dim <= 2:
        axes = a.box.axes(res, dtype=a.dtype)  # one axis for a 1-D map, two for a 2-D one
        pts = a.box.grid(res, dtype=a.dtype)
        how = f"{res}×{res} grid" if a.dim == 2 else f"{res}-point grid"
    else:
        pts = a.sample(a.options["samples"])
        how = f"{pts.shape[0]} uniform random points (seed {a.seed})"
    with torch.no_grad():
        A = linearize(a.net, pts).A
        rho, nrm = spectral_radius(A), norm2(A)
    i = int(rho.argmax())
    stats = {
        "points": how,
        "count": int(pts.shape[0]),
        "spectral_radius": {
            "max": float(rho.max()),
            "min": float(rho.min()),
            "mean": float(rho.mean()),
            "argmax": pts[i].tolist(),
            "fraction_above_1": float((rho > 1).double().mean()),
        },
        "norm2": {"max": float(nrm.max()), "min": float(nrm.min())},
    }
    rep.data["affine_form"] = stats
    r = stats["spectral_radius"]
    pct = a.fmt(100 * r["fraction_above_1"], 0.5)
    rep.section("Pointwise-affine form").text(
        f"A*(x) over {how} in the box: spectral radius ρ(A*(x)) from {a.fmt(r['min'])} to "
        f"{a.fmt(r['max'])} (mean {a.fmt(r['mean'])}), above 1 on {pct} % "
        f"of the points, largest at x = {a.fmt_vector(r['argmax'], 1e-3)}; ‖A*(x)‖₂ from "
        f"{a.fmt(stats['norm2']['min'])} to {a.fmt(stats['norm2']['max'])}. ρ > 1 somewhere does "
        "not by itself mean instability (see the certificates)."
    )
    rep.summarize(
        "ρ(A*(x)) over the box", f"{a.fmt(r['min'])} … {a.fmt(r['max'])} (> 1 on {pct} %)"
    )
    if a.dim == 2:
        xs, ys = axes
        rep.figure(
            lambda: plot.spectral_radius_map(
                xs, ys, rho.reshape(len(ys), len(xs)), ax=panel(), title="ρ(A*(x))"
            ),
            "spectral_radius.png",
            f"ρ(A*(x)) on the {how}; "
            + (
                "the contour marks ρ = 1"
                if r["min"] <= 1 <= r["max"]
                else f"ρ {'<' if r['max'] < 1 else '>'} 1 on the whole grid, so there is no "
                "ρ = 1 contour"
            )
            + " (Drgoňa et al., Spectral analysis, Figs. 3, 7).",
        )
    shown = f"{min(int(pts.shape[0]), 20000)} of the {pts.shape[0]} points"
    rep.figure(
        lambda: plot.eigenvalue_cloud(eigvals(A), ax=panel(), title="Eigenvalues of A*(x)"),
        "eigenvalues.png",
        f"Eigenvalues of A*(x) at {shown if pts.shape[0] > 20000 else 'every point'} "
        f"({how}) with the unit circle (Drgoňa et al., Spectral analysis, Figs. 2, 8).",
    )


def certificates_section(a: Analysis, rep: Report) -> None:
    """:func:`neurodyn.stability.certify` over the box: proofs, sampled checks, heuristics."""
    from neurodyn.stability import certify

    a.stage("certificates")
    with torch.no_grad():
        certs = certify(
            a.net,
            a.box.pairs,
            resolution=a.options["resolution"],
            samples=a.options["samples"],
            seed=a.seed,
        )
    rep.data["certificates"] = certs.to_dict()
    rep.section("Certificates").text(
        "proof: holds for every x under the stated assumptions; sampled: only on the sampled "
        "points; heuristic: a paper's condition whose argument is flawed, never a guarantee."
    )
    for cert in certs:
        rep.certificate(cert)


def _seeds(a: Analysis) -> torch.Tensor:
    """Newton seeds: a grid (n ≤ 2) or sampled starts plus where 100-step trajectories from
    them end (fixed points that attract are found from there)."""
    from neurodyn.dynamics import simulate

    if a.dim <= 2:
        return a.box.grid(25, dtype=a.dtype)
    starts = a.sample(a.options["fixed_point_seeds"])
    with torch.no_grad():
        traj = simulate(a.net, starts, 100)
    ends = traj.states[:, -1][~traj.diverged]
    return torch.cat([starts, ends])


def fixed_points_section(a: Analysis, rep: Report) -> None:
    """Fixed points x̄ = f(x̄) by damped Newton (:func:`neurodyn.dynamics.fixed_points`)."""
    from neurodyn.dynamics import fixed_points

    a.stage("fixed points (Newton)")
    seeds = _seeds(a)
    with torch.no_grad():
        fps = fixed_points(a.net, seeds=seeds)
    a.cache["fixed_points"] = fps
    rep.data["fixed_points"] = {**fps.to_dict(), "seeding": _seeding(a, seeds)}
    inside = [bool(a.box.contains(p.x.unsqueeze(0))[0]) for p in fps.points]
    kinds = {}
    for p in fps.points:
        kinds[p.kind] = kinds.get(p.kind, 0) + 1
    counts = ", ".join(f"{v} {k}" for k, v in sorted(kinds.items())) or "none"
    rep.section("Fixed points").text(
        f"{len(fps)} fixed point{'s' if len(fps) != 1 else ''} ({counts}) from "
        f"{_seeding(a, seeds)}; {sum(inside)} inside the box (Newton residual ≤ "
        f"{a.fmt(fps.tol)}; coordinates shown to 10⁻⁴, all digits in the JSON); kind from the "
        "eigenvalues of the Jacobian at x̄."
    )
    for p in fps.points[:6]:
        rep.summarize("fixed point", f"{a.fmt_vector(p.x.tolist(), 1e-4)} {p.kind}")
    if len(fps.points) > 6:
        rep.summarize("", f"… {len(fps.points) - 6} more")
    if not fps.points:
        rep.summarize("fixed points", "none found")
    if fps.points:
        tol = max(fps.tol, 1e-4)
        coord = "x̄" if a.dim <= 4 else f"x̄ (first 4 of {a.dim})"
        rep.table(
            [
                [
                    a.fmt_vector(p.x.tolist(), tol),
                    p.kind,
                    float(p.eigenvalues.abs().max()),
                    inside[i],
                ]
                for i, p in enumerate(fps.points[:50])
            ],
            columns=[coord, "kind", "ρ(J(x̄))", "in box"],
            caption="" if len(fps) <= 50 else f"The first 50 of {len(fps)}; all in the JSON.",
        )


def _seeding(a: Analysis, seeds: torch.Tensor) -> str:
    if a.dim <= 2:
        return f"a 25-per-axis grid of seeds ({seeds.shape[0]})"
    n = a.options["fixed_point_seeds"]
    return (
        f"{n} uniform random starts in the box (seed {a.seed}) and the {seeds.shape[0] - n} "
        "bounded ends of 100-step trajectories from them"
    )


def attractor_section(a: Analysis, rep: Report) -> None:
    """The attractor type: :func:`neurodyn.dynamics.classify_attractor` over a 2-D grid, and for
    n > 2 the attractors found by recurrence from sampled starts
    (:func:`neurodyn.dynamics.attractors`: fixed points, cycles, quasi-periodic and chaotic sets,
    with the fraction of starts reaching each and its standard error)."""
    from neurodyn.dynamics import attractors, classify_attractor

    if a.dim != 2:
        samples, steps = a.options["attractor_samples"], a.options["steps"]
        a.stage("attractors (recurrence)")
        with torch.no_grad():
            found = attractors(
                a.net, box=a.box, samples=samples, steps=steps, window=steps, seed=a.seed,
                progress=a.progress,
            )  # fmt: skip
        a.cache["attractors"] = found
        rep.data["attractor"] = found.to_dict()
        fr, se = found.fractions(), found.stderr()
        rows = [
            [
                k, att.kind, att.period if att.period is not None else "—",
                a.fmt(att.multiplier) if att.multiplier is not None else "—",
                a.fmt(att.lyapunov) if att.lyapunov is not None else "—",
                a.fmt_pm(fr[f"attractor_{k}"], se.get(f"attractor_{k}", 0.0)),
            ]
            for k, att in enumerate(found.attractors)
        ]  # fmt: skip
        sec = rep.section("Attractors")
        sec.text(
            f"Attractors of x_{{t+1}} = f(x_t) reached from {samples} uniform random starts in "
            f"the box (seed {a.seed}), found by recurrence on a tessellation of state space "
            f"after {steps} transient steps: {len(found)} found. Basin fractions are over the "
            "sampled starts, ± one binomial standard error."
        )
        if rows:
            sec.table(rows, ["#", "kind", "period", "multiplier", "λ₁", "basin fraction"])
        rep.summarize("attractors", _attractors_line(found, fr, se))
        if fr["divergent"] or fr["other"]:
            sec.text(
                f"{a.fmt(100 * fr['divergent'], 0.5)} % of the starts diverged; "
                f"{a.fmt(100 * fr['other'], 0.5)} % were not resolved within the window."
            )
        return
    a.stage("attractor type")
    with torch.no_grad():
        att = classify_attractor(a.net, a.box)
    rep.data["attractor"] = att.to_dict()
    rep.summarize("attractor type", att.kind)
    ev = att.evidence
    rep.section("Attractor").text(
        f"Attractor type over the box: {att.kind} (from {ev.get('trajectories')} trajectories, "
        f"{ev.get('transient')} transient + {ev.get('window')} recorded steps; "
        f"{a.fmt(100 * ev.get('fraction_divergent', 0.0), 0.5)} % diverged)."
    )


def _attractors_line(found, fr: dict, se: dict) -> str:
    """``2 found: fixed point (62 ± 2 %), cycle of period 2 (38 ± 2 %)`` (the first 4)."""
    parts = []
    for k, att in enumerate(found.attractors[:4]):
        what = att.kind.replace("_", " ")
        if att.kind == "cycle" and att.period:
            what += f" of period {att.period}"
        share = fmt_pm(100 * fr[f"attractor_{k}"], 100 * se.get(f"attractor_{k}", 0.0))
        parts.append(f"{what} ({share} %)")
    more = f", … {len(found) - 4} more" if len(found) > 4 else ""
    return f"{len(found)} found" + (": " + ", ".join(parts) + more if parts else "")


def _graph_1d(a: Analysis, rep: Report) -> None:
    """n = 1: the graph of f with the diagonal and cobweb paths of a few starts (fixed points
    are where the graph meets the diagonal)."""
    from neurodyn.dynamics import simulate

    lo, hi = a.box.pairs[0]
    with torch.no_grad():
        xs = torch.linspace(lo, hi, 400, dtype=a.dtype).unsqueeze(1)
        ys = a.net(xs)
        traj = simulate(a.net, torch.linspace(lo, hi, 5, dtype=a.dtype)[1:-1].unsqueeze(1), 30)

    def draw():
        ax = panel()
        ax.plot(xs[:, 0], ys[:, 0], color="C0", label="f(x)")
        ax.plot([lo, hi], [lo, hi], color="0.5", lw=0.8, ls="--", label="x")
        for path in traj.states[:, :, 0]:
            twice = path.clamp(lo, hi).repeat_interleave(2)  # (x0,x0) → (x0,x1) → (x1,x1) …
            px, py = twice[:-1], twice[1:]
            ax.plot(px, py, color="C1", lw=0.7, alpha=0.8)
        ax.set(xlabel="$x_t$", ylabel="$x_{t+1}$", title="Graph of f and cobweb paths")
        ax.legend(loc="best", fontsize="small")
        return ax.figure

    rep.section("Graph of the map")
    rep.figure(
        draw,
        "phase_portrait.png",
        "x_{t+1} = f(x_t) over the box with the diagonal x_{t+1} = x_t (fixed points are where "
        "they cross) and cobweb paths of 30 steps from 3 starts (clipped to the box).",
    )


def _projected_portrait(a: Analysis, rep: Report) -> None:
    """n > 2: trajectories drawn through a PCA projection (labelled as such)."""
    from neurodyn import plot
    from neurodyn.dynamics import simulate

    with torch.no_grad():
        traj = simulate(a.net, a.sample(25) * 0.9, 60)
    rep.section("Phase portrait (PCA projection)")
    rep.figure(
        lambda: plot.phase_portrait(traj, ax=panel(), projection="pca", title="Phase portrait"),
        "phase_portrait.png",
        f"60 steps of x_{{t+1}} = f(x_t) from 25 random starts in the box (shrunk by 0.9), drawn "
        f"in the plane of the first two principal components of the visited states (the map "
        f"is {a.dim}-dimensional: this is a projection, not a phase plane).",
    )


def phase_plane_section(a: Analysis, rep: Report) -> None:
    """Phase portrait and basins of attraction (2-D maps)."""
    from neurodyn import plot
    from neurodyn.dynamics import basins, simulate

    if a.dim == 1:
        _graph_1d(a, rep)
        return
    if a.dim != 2:
        _projected_portrait(a, rep)
        return
    fps = a.cache.get("fixed_points")
    res, steps = a.options["basin_resolution"], a.options["steps"]
    a.stage("basins of attraction")
    with torch.no_grad():
        bas = basins(a.net, a.box, resolution=res, steps=steps, attractors=fps)
        starts = a.box.grid(5, dtype=a.dtype) * 0.9
        traj = simulate(a.net, starts, 60)
        vxs, vys = a.box.axes(25, dtype=a.dtype)
        vpts = a.box.grid(25, dtype=a.dtype)
        field_ = (a.net(vpts) - vpts).reshape(len(vys), len(vxs), 2)
    rep.data["basins"] = bas.to_dict()
    rep.section("Phase plane")
    rep.figure(
        lambda: plot.phase_portrait(
            traj, fixed_points=fps, vector_field=(vxs, vys, field_), ax=panel(),
            title="Phase portrait",
        ),
        "phase_portrait.png",
        "60 steps of x_{t+1} = f(x_t) from a 5×5 grid of starts (the box shrunk by 0.9), the "
        "step field f(x) − x on a 25×25 grid, and the fixed points found by Newton's method.",
    )  # fmt: skip
    rep.figure(
        lambda: plot.basins_map(bas, ax=panel(), title="Basins of attraction"),
        "basins.png",
        f"Which stable fixed point each point of a {res}×{res} grid is within 10⁻³ of after "
        f"{steps} steps (dark: diverged; grey: none reached).",
    )


def map_lyapunov_section(a: Analysis, rep: Report) -> None:
    """Lyapunov exponents of the autonomous map from sampled starts in the box."""
    from neurodyn.lyapunov import lyapunov_spectrum

    batch, steps, warmup = a.options["batch"], a.options["steps"], a.options["warmup"]
    a.stage("Lyapunov exponents of the map")
    h0 = a.sample(batch)
    try:
        res = lyapunov_spectrum(
            a.map, h0=h0, steps=steps, warmup=warmup, k=a.options.get("k"),
            progress=a.progress,
        )  # fmt: skip
    except DivergenceError as err:
        rep.data["lyapunov"] = {"error": str(err)}
        rep.summarize("Lyapunov exponents", f"not computed: {err}")
        rep.section("Lyapunov spectrum").text(
            f"Not computed: trajectories from the box diverge ({err})."
        )
        return
    rep.data["lyapunov"] = {
        **res.to_dict(),
        "starts": f"{batch} uniform random points (seed {a.seed})",
    }
    add_lyapunov(rep, res)
    rep.text(
        f"Exponents of x_{{t+1}} = f(x_t) along {batch} trajectories started uniformly in the box "
        f"(seed {a.seed}): all negative means nearby trajectories converge (to a fixed point or "
        "a stable cycle); a positive one means sensitive dependence on the start."
    )


# ---------------------------------------------------------------------- recurrent sections


def recurrent_lyapunov_section(a: Analysis, rep: Report) -> None:
    """The Lyapunov spectrum of the driven map under Gaussian (or given) inputs, and what
    λ_max says in the page's verdict box."""
    from neurodyn.lyapunov import lyapunov_spectrum

    x = a.options.get("inputs")
    warmup = a.options["warmup"]
    if x is None:
        gen = torch.Generator().manual_seed(a.seed)
        size = (a.options["batch"], warmup + a.options["steps"], a.map.input_size)
        x = a.options["input_std"] * torch.randn(*size, generator=gen, dtype=a.dtype)
        drive = f"Gaussian inputs (std {a.fmt(a.options['input_std'])}, seed {a.seed})"
    else:
        drive = a.options.get("inputs_description") or "the given inputs"
    k = a.options.get("k") or min(a.dim, RECURRENT_K)
    a.stage("Lyapunov spectrum")
    res = lyapunov_spectrum(
        a.map, x, warmup=warmup, t_on=a.options.get("t_on", 1), k=k,
        steps=x.shape[1] - warmup, progress=a.progress,
    )  # fmt: skip
    rep.data["lyapunov"] = {**res.to_dict(), "inputs": drive}
    rep.summarize("inputs", drive)
    part = "all" if k == a.dim else f"the {k} leading"
    rep.text(  # in the section open before (the model's): what was run, then the spectrum
        f"Inputs: {drive}; {x.shape[0]} sequences of {x.shape[1]} steps each ({warmup} "
        f"warm-up + {x.shape[1] - warmup} accumulated). The spectrum below is {part} of the "
        f"{a.dim} exponents of the state (h, and c for an LSTM)"
        + ("." if k == a.dim else " (option k / --k for more; each costs a tangent vector).")
    )
    add_lyapunov(rep, res, verdict=True, max_digits=a.max_digits)


FEEDFORWARD_SECTIONS: tuple[Callable[[Analysis, Report], None], ...] = (
    affine_section,
    certificates_section,
    fixed_points_section,
    attractor_section,
    phase_plane_section,
    map_lyapunov_section,
)
RECURRENT_SECTIONS: tuple[Callable[[Analysis, Report], None], ...] = (recurrent_lyapunov_section,)

_DEFAULTS = {
    "resolution": 101,
    "samples": 4000,
    "fixed_point_seeds": 256,
    "basin_resolution": 121,
    "attractor_samples": 500,
    "steps": 300,
    "warmup": 100,
    "batch": 8,
    "input_std": 1.0,
    "lstm_state": "hc",
    "t_on": 1,
    "k": None,
    "inputs": None,
    "inputs_description": None,
}


def _is_recurrent(net) -> bool:
    return isinstance(net, nn.RNNBase | nn.RNNCellBase) or (
        getattr(type(net), "__neurodyn_map__", None) is not None
    )


def analyze(
    net: nn.Module,
    box=None,
    out: str | Path | None = None,
    *,
    title: str | None = None,
    seed: int = 0,
    sections: Sequence[Callable[[Analysis, Report], None]] | None = None,
    provenance: dict | None = None,
    stage: Callable[[str], None] = _quiet,
    progress: Callable[[int, int], None] | None = None,
    **options,
) -> Report:
    """Analyse ``net`` and return its :class:`Report` (written to ``out`` when given).

    A feedforward net f: ℝⁿ → ℝⁿ (``nn.Linear`` and elementwise activations) is analysed as
    x_{t+1} = f(x_t) over ``box``: the exact affine form A*(x) (Drgoňa et al., Spectral
    analysis, Lemma 3) and its spectra, :func:`neurodyn.certify`, fixed points, the attractor
    type, phase portrait and basins (n = 2), and the Lyapunov exponents of the map. A recurrent
    module (``nn.RNN/LSTM/GRU``, a cell, anything with ``__neurodyn_map__``) gets the Lyapunov
    spectrum under Gaussian inputs (Vogt, dissertation, Alg. 2). What was skipped, and why, is
    listed in a last section "Not done".

    Args:
        net: the module (eval mode; float32 or float64).
        box: the state box: a :class:`~neurodyn.Box`, one ``(low, high)`` pair per dimension,
            or None for :func:`default_box` ([−3, 3]ⁿ). Not used for recurrent modules.
        out: a folder to write ``index.html``, ``report.json`` and the PNGs into.
        title: the page title (default names the module).
        seed: seed of the sampled points and the Gaussian inputs.
        sections: the section functions to run (default :data:`FEEDFORWARD_SECTIONS` or
            :data:`RECURRENT_SECTIONS`); each is ``fn(analysis, report)``.
        provenance: the ``provenance`` entry (default: versions, date, options, seed).
        stage, progress: progress callbacks (a stage name; ``progress(done, total)``).
        **options: ``resolution`` (grid per axis for n ≤ 2, 101), ``samples`` (points for
            n > 2, 4000), ``fixed_point_seeds`` (256), ``basin_resolution`` (121), ``steps``
            (300), ``warmup`` (100), ``batch`` (8), ``k`` (all for a feedforward map, the leading
            :data:`RECURRENT_K` = 10 for a recurrent one), ``t_on`` (1), ``input_std``
            (1.0), ``inputs`` (a ``(B, T, input_size)`` tensor), ``inputs_description``
            (what ``inputs`` are, in words for the page, e.g. "8 sequences of Gaussian
            inputs (std 1, seed 0)"; default "the given inputs"), ``lstm_state`` ("hc").

    Returns:
        The :class:`Report`; ``report.data`` holds the numbers (``model``, ``box``,
        ``affine_form``, ``certificates``, ``fixed_points``, ``attractor``, ``basins``,
        ``lyapunov``, ``not_done``, ``provenance``).

    Raises:
        ValueError: a feedforward net whose input and output widths differ (not a map), a box
            of the wrong dimension, an unknown option.
        OutputExistsError: ``out`` is a file, a folder neurodyn did not write, or another kind
            of neurodyn output (checked before any work).

    Example:
        >>> import torch
        >>> from neurodyn.report import analyze
        >>> net = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Tanh()).double()
        >>> rep = analyze(net, [(-2, 2)] * 3, samples=200, steps=50, warmup=10)
        >>> rep.data["affine_form"]["count"], len(rep.data["lyapunov"]["exponents"])
        (200, 3)
    """
    from neurodyn.systems import as_map

    unknown = sorted(set(options) - set(_DEFAULTS))
    if unknown:
        raise InputError(f"analyze: unknown option(s) {unknown}; known: {sorted(_DEFAULTS)}.")
    if out is not None:  # before any work (Report.write checks it again)
        from neurodyn._core._files import claim_folder

        claim_folder(out, "report", what="analyze: out")
    opts = {**_DEFAULTS, **options}
    recurrent = _is_recurrent(net)
    if recurrent:
        if "LSTM" in type(net).__name__:
            f = as_map(net, lstm_state=opts["lstm_state"])
        else:
            f = as_map(net)
        dim, the_box = f.dim, None
        if box is not None:
            raise InputError(
                "analyze: a box is for feedforward maps; a recurrent module is driven by inputs "
                "(options inputs=, input_std=)."
            )
    else:
        f, dim = _feedforward_map(net)
        the_box = default_box(dim) if box is None else Box.coerce(box)
        if the_box.dim != dim:
            raise InputError(
                f"analyze: the box has {the_box.dim} (low, high) pairs but the map has {dim} "
                "dimensions."
            )
    a = Analysis(net, f, dim, the_box, opts, seed, stage, progress)
    saved = ((provenance or {}).get("model") or {}).get("saved_dtype")
    caps = [d for d in (dtype_digits(saved), dtype_digits(a.dtype)) if d is not None]
    a.max_digits = min(caps, default=None)
    name = type(net).__name__
    rep = Report(
        title or f"neurodyn analyze: {name} ({dim}-D {'recurrent' if recurrent else 'map'})",
        max_digits=a.max_digits,
    )
    shown_opts = {k: v for k, v in opts.items() if k not in ("inputs", "inputs_description")}
    rep.data["provenance"] = provenance or _provenance(options=shown_opts, seed=seed)
    kind = "recurrent" if recurrent else "feedforward map x_{t+1} = f(x_t)"
    rep.summary_title = f"{name}: {kind}"
    rep.data["model"] = {
        "module": name,
        "kind": kind,
        "dim": dim,
        "dtype": str(a.dtype).replace("torch.", ""),
        "parameters": sum(p.numel() for p in net.parameters()),
        "saved_dtype": saved or str(a.dtype).replace("torch.", ""),
        "shown_digits": a.max_digits,
    }
    if the_box is not None:
        rep.data["box"] = {"low": list(the_box.low), "high": list(the_box.high),
                           "default": box is None}  # fmt: skip
    rep.section("Model").text(_model_text(rep.data, the_box, box is None))
    for section in sections or (RECURRENT_SECTIONS if recurrent else FEEDFORWARD_SECTIONS):
        section(a, rep)
    rep.data["not_done"] = list(a.not_done)
    for line in a.not_done:
        rep.summary_note(f"not done: {line}")
    if a.not_done:
        rep.section("Not done")
        for line in a.not_done:
            rep.text(line)
    if out is not None:
        a.stage("writing the report")
        rep.write(out)
    return rep


def _feedforward_map(net: nn.Module):
    from neurodyn.pwa import parse_network
    from neurodyn.pwa._network import AffineLayer
    from neurodyn.systems import as_map

    layers = parse_network(net)
    affine = [la for la in layers if isinstance(la, AffineLayer)]
    if not affine:
        raise InputError("analyze: the network has no nn.Linear layer.")
    n_in, n_out = affine[0].weight.shape[1], affine[-1].weight.shape[0]
    if n_in != n_out:
        raise InputError(
            f"analyze: the network maps {n_in} inputs to {n_out} outputs; x_{{t+1}} = f(x_t) "
            "needs as many outputs as inputs (a recurrent model goes through neurodyn "
            "lyapunov, or analyze a square part of the net)."
        )
    return as_map(net), n_in


def _model_text(data: dict, box: Box | None, default: bool) -> str:
    m = data["model"]
    text = (
        f"{m['module']}, {m['kind']}, {m['dim']} dimensions, {m['parameters']} parameters, "
        f"{m['dtype']}."
    )
    if box is not None:
        if len(set(box.pairs)) == 1:
            lo, hi = box.pairs[0]
            where = f"[{fmt(lo)}, {fmt(hi)}] on every axis"
        else:
            where = " × ".join(f"[{fmt(lo)}, {fmt(hi)}]" for lo, hi in box.pairs)
        text += f" Box {where}" + (
            " (the default; pass --box / box= to change it)." if default else "."
        )
    model = (data.get("provenance") or {}).get("model") or {}
    for note in model.get("notes", []):
        text += f" Note: {note}."
    if m["shown_digits"] is not None and m["shown_digits"] <= 6:
        text += (
            f" Numbers on this page are shown to at most {m['shown_digits']} significant digits, "
            f"what {m['saved_dtype']} weights carry; every digit is in the JSON."
        )
    return text
