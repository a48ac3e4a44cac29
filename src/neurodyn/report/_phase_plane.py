"""The phase-plane analysis of a 2-D map x_{t+1} = f(x_t) over a box, and its report.

:func:`phase_plane` runs the library's algorithms once (the exact pointwise-affine form
A*(x) over a grid and its spectral radius ρ(A*(x)) — Drgoňa et al., Spectral analysis, Lemma 3 and
Figs. 3, 7 —
fixed points, the attractor type, trajectories, the step field and, on request, basins, ρ over
visited states, certificates and linear regions) and keeps both the numbers and the tensors the
figures need. ``neurodyn demo`` (:func:`phase_plane_report`) and ``neurodyn paper-figures``
(:mod:`neurodyn.reproduce`) both use it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from neurodyn._core import Box, eigvals, norm2, spectral_radius
from neurodyn.dynamics import (
    AttractorResult,
    BasinsResult,
    FixedPointsResult,
    Trajectory,
    basins,
    classify_attractor,
    fixed_points,
    grid_points,
    simulate,
)
from neurodyn.pwa import linearize, region_ids
from neurodyn.report._report import Report
from neurodyn.stability import CertificateReport, certify

__all__ = ["PhasePlane", "phase_plane", "phase_plane_report"]


def _quiet(_msg: str) -> None:
    return None


@dataclass(frozen=True)
class PhasePlane:
    """Everything :func:`phase_plane` measured, as tensors (for figures) and numbers.

    Attributes:
        box: the analysed box.
        xs, ys: grid axes ``(nx,)``, ``(ny,)``; ``points`` ``(ny·nx, 2)``, x fastest.
        rho: ρ(A*(x)) ``(ny, nx)``; ``norm2`` ‖A*(x)‖₂ ``(ny, nx)``; ``eigenvalues``
            ``(ny·nx, 2)`` complex; ``identically_zero``: A*(x) = 0 at every grid point.
        fixed_points, attractor, trajectories: results of the dynamics algorithms.
        field: ``(vxs, vys, f(x) − x)`` on a coarse grid, the field reshaped ``(ny, nx, 2)``.
        basins: :class:`~neurodyn.dynamics.BasinsResult` or None when not asked.
        visited: ρ(A*) at the states long trajectories visit (``max``, ``states``, ``method``),
            their ``diverged_fraction`` and ``max_norm_bounded``; None when not asked.
        certificates: :func:`neurodyn.stability.certify` over the box, or None.
        regions: linear-region ids ``(ny, nx)`` or None (smooth activations or not asked);
            ``regions_note`` says why when it is None after being asked.
    """

    box: Box
    xs: Tensor
    ys: Tensor
    points: Tensor
    rho: Tensor
    norm2: Tensor
    eigenvalues: Tensor
    identically_zero: bool
    fixed_points: FixedPointsResult
    attractor: AttractorResult
    trajectories: Trajectory
    field: tuple[Tensor, Tensor, Tensor]
    basins: BasinsResult | None = None
    visited: dict | None = None
    certificates: CertificateReport | None = None
    regions: Tensor | None = None
    regions_note: str | None = None

    def rho_stats(self) -> dict:
        """max / min / mean of ρ(A*(x)) on the grid, where the max is, the fraction with ρ > 1
        and whether A*(x) vanishes on the whole grid (a constant net)."""
        rho = self.rho.reshape(-1)
        return {
            "max": float(rho.max()),
            "min": float(rho.min()),
            "mean": float(rho.mean()),
            "argmax": self.points[int(rho.argmax())].tolist(),
            "fraction_above_1": float((rho > 1).double().mean()),
            "identically_zero": self.identically_zero,
        }


def phase_plane(
    net: nn.Module,
    box,
    *,
    resolution: int = 201,
    fixed_point_resolution: int = 25,
    attractor_options: dict | None = None,
    trajectory_starts: int = 5,
    trajectory_steps: int = 60,
    field_resolution: int = 25,
    basin_grid: tuple[int, int] | None = (121, 300),
    visited_grid: tuple[int, int] | None = None,
    certificates: bool = True,
    regions: bool = True,
    stage: Callable[[str], None] = _quiet,
) -> PhasePlane:
    """Analyse a square 2-D network used as x_{t+1} = f(x_t) over ``box``.

    Args:
        net: a feedforward ``nn.Module`` with 2 inputs and 2 outputs (its dtype is used).
        box: a :class:`~neurodyn._core.Box` or pairs ``[(x_lo, x_hi), (y_lo, y_hi)]``.
        resolution: grid points per axis for A*(x), ρ, ‖A*‖₂, the eigenvalues and regions.
        fixed_point_resolution: Newton seeds per axis for :func:`~neurodyn.dynamics.fixed_points`.
        attractor_options: keyword arguments of :func:`~neurodyn.dynamics.classify_attractor`.
        trajectory_starts, trajectory_steps: a ``starts × starts`` grid shrunk by 0.9, and
            its number of steps, for the phase portrait.
        field_resolution: grid points per axis of the step field f(x) − x.
        basin_grid: ``(resolution, steps)`` of :func:`~neurodyn.dynamics.basins`, or None.
        visited_grid: ``(resolution, steps)``: simulate from that grid and measure ρ(A*) at
            every visited state and the diverged fraction; None to skip.
        certificates: run :func:`~neurodyn.stability.certify` over the box.
        regions: count the linear regions on the grid (piecewise-linear nets only).
        stage: called with a short description before each step (e.g. a spinner).

    Returns:
        A :class:`PhasePlane`.

    Raises:
        ValueError: ``box`` is not 2-D.

    Example:
        >>> import torch
        >>> from neurodyn.report import phase_plane
        >>> net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Tanh()).double()
        >>> with torch.no_grad():
        ...     _ = net[0].weight.copy_(0.5 * torch.eye(2)); _ = net[0].bias.zero_()
        >>> pp = phase_plane(net, [(-2, 2), (-2, 2)], resolution=11, basin_grid=None,
        ...                  fixed_point_resolution=5, certificates=False,
        ...                  attractor_options={"resolution": 4, "transient": 200, "window": 50})
        >>> round(pp.rho_stats()["max"], 6), pp.attractor.kind
        (0.5, 'point')
    """
    box = Box.coerce(box)
    if box.dim != 2:
        raise ValueError(f"phase_plane needs a 2-D box, got {box.dim} dimensions.")
    low, high = box.low, box.high
    dtype = next(net.parameters()).dtype
    extra: dict = {}
    with torch.no_grad():
        stage("pointwise-affine form over the grid")
        xs, ys, pts = grid_points(low, high, resolution, dtype=dtype)
        form = linearize(net, pts)
        shape = (len(ys), len(xs))
        rho = spectral_radius(form.A)

        if visited_grid is not None:
            stage("ρ(A*) along trajectories")
            starts = grid_points(low, high, visited_grid[0], dtype=dtype)[2]
            long = simulate(net, starts, visited_grid[1])
            states = long.states.reshape(-1, starts.shape[1])
            bounded = long.states[~long.diverged].reshape(-1, starts.shape[1])
            extra["visited"] = {
                "max": float(spectral_radius(linearize(net, states).A).max()),
                "states": int(states.shape[0]),
                "method": f"ρ(A*(x)) at every state of {visited_grid[1]}-step trajectories "
                f"from a {visited_grid[0]}×{visited_grid[0]} grid",
                "diverged_fraction": float(long.diverged.double().mean()),
                "max_norm_bounded": (
                    float(torch.linalg.vector_norm(bounded, dim=1).max())
                    if bounded.numel()
                    else None
                ),
            }

        stage("fixed points (Newton from a seed grid)")
        fps = fixed_points(net, low=low, high=high, resolution=fixed_point_resolution)
        stage("attractor type")
        attractor = classify_attractor(net, low, high, **(attractor_options or {}))
        if basin_grid is not None:
            stage("basins of attraction")
            extra["basins"] = basins(
                net, low, high, resolution=basin_grid[0], steps=basin_grid[1], attractors=fps
            )
        stage("trajectories")
        starts = grid_points(low, high, trajectory_starts, dtype=dtype)[2] * 0.9
        traj = simulate(net, starts, trajectory_steps)
        vxs, vys, vpts = grid_points(low, high, field_resolution, dtype=dtype)
        field = (net(vpts) - vpts).reshape(len(vys), len(vxs), 2)

        if certificates:
            stage("certificates")
            extra["certificates"] = certify(net, box.pairs)
        if regions:
            try:
                extra["regions"] = region_ids(net, pts).reshape(shape)
            except ValueError as err:  # smooth activations: no linear regions
                extra["regions_note"] = str(err)
        return PhasePlane(
            box=box,
            xs=xs,
            ys=ys,
            points=pts,
            rho=rho.reshape(shape),
            norm2=norm2(form.A).reshape(shape),
            eigenvalues=eigvals(form.A),
            identically_zero=bool((form.A == 0).all()),
            fixed_points=fps,
            attractor=attractor,
            trajectories=traj,
            field=(vxs, vys, field),
            **extra,
        )


def phase_plane_report(
    net: nn.Module,
    box=((-4.0, 4.0), (-4.0, 4.0)),
    *,
    title: str = "neurodyn report",
    resolution: int = 201,
    basin_resolution: int = 121,
    steps: int = 300,
    stage: Callable[[str], None] = _quiet,
) -> Report:
    """:func:`phase_plane` of ``net`` over ``box`` as a :class:`Report`: the ρ(A*) summary,
    fixed points, certificates and the phase portrait, ρ map, eigenvalue cloud, basins and
    (piecewise-linear nets) linear regions. ``report.data`` holds the numbers (keys
    ``box``, ``affine_form``, ``fixed_points``, ``attractor``, ``basins``, ``certificates``,
    ``region_ids``). Write it with ``report.write(folder)``.
    """
    from neurodyn import plot

    pp = phase_plane(
        net, box, resolution=resolution, basin_grid=(basin_resolution, steps), stage=stage
    )
    stats = pp.rho_stats()
    rep = Report(title)
    rep.data.update(
        {
            "box": {"low": list(pp.box.low), "high": list(pp.box.high)},
            "affine_form": {
                "grid": [len(pp.xs), len(pp.ys)],
                "spectral_radius": stats,
                "norm2": {"max": float(pp.norm2.max()), "min": float(pp.norm2.min())},
            },
            "fixed_points": pp.fixed_points.to_dict(),
            "attractor": pp.attractor.to_dict(),
            "basins": pp.basins.to_dict(),
            "certificates": pp.certificates.to_dict(),
            "linear_regions": None if pp.regions is None else int(pp.regions.max()) + 1,
        }
    )
    if pp.regions is None:
        rep.data["linear_regions_note"] = pp.regions_note
    from neurodyn.report._format import fmt, fmt_vector

    rep.section("Summary").text(
        f"Box {list(pp.box.low)} to {list(pp.box.high)}. Attractor type: {pp.attractor.kind}. "
        f"ρ(A*(x)) over the {len(pp.xs)}×{len(pp.ys)} grid: max {fmt(stats['max'])} at "
        f"{fmt_vector(stats['argmax'], 1e-3)}, min {fmt(stats['min'])}; fraction with ρ > 1: "
        f"{fmt(stats['fraction_above_1'], 1e-3)}."
    )
    tol = max(pp.fixed_points.tol, 1e-4)
    rep.summarize("attractor type", pp.attractor.kind)
    for p in rep.data["fixed_points"]["points"]:
        rep.summarize(
            "fixed point",
            f"{fmt_vector(p['x'], tol)}  {p['kind']}  ρ(J) = {fmt(p['spectral_radius'])}",
        )
    rep.summarize("max ρ(A*(x)) on grid", fmt(stats["max"]))
    rep.summarize("fraction of grid with ρ > 1", fmt(stats["fraction_above_1"], 1e-3))
    rep.section("Fixed points").table(
        [
            [p["x"][0], p["x"][1], p["kind"], p["spectral_radius"]]
            for p in rep.data["fixed_points"]["points"]
        ],
        columns=["x̄₁", "x̄₂", "kind", "ρ(J)"],
        precision=[max(pp.fixed_points.tol, 1e-4)] * 2 + [None, None],
        caption="Coordinates shown to 10⁻⁴ (the Newton tolerance when coarser); all digits "
        "in the JSON.",
    )
    rep.section("Certificates").text(
        "proof: holds for every x under the stated assumptions; sampled: only on the sampled "
        "points; heuristic: a paper's condition whose argument is flawed, never a guarantee."
    )
    for cert in pp.certificates:
        rep.certificate(cert)

    stage("figures")
    rep.section("Figures")
    rep.figure(
        plot.phase_portrait(
            pp.trajectories,
            fixed_points=pp.fixed_points,
            vector_field=pp.field,
            title="Phase portrait",
        ),
        "phase_portrait.png",
        "60 steps of x_{t+1} = f(x_t) from a 5×5 grid of starts (the box shrunk by 0.9), the "
        "step field f(x) − x on a 25×25 grid, and the fixed points found by Newton's method.",
    )
    rep.figure(
        plot.spectral_radius_map(pp.xs, pp.ys, pp.rho, title="Spectral radius of A*(x)"),
        "spectral_radius.png",
        "ρ(A*(x)) of the exact pointwise-affine form over the grid; "
        + (
            "the contour marks ρ = 1"
            if stats["min"] <= 1 <= stats["max"]
            else "ρ is on one side of 1 on the whole grid, so there is no ρ = 1 contour"
        )
        + " (Drgoňa et al., Spectral analysis, Figs. 3, 7).",
    )
    rep.figure(
        plot.eigenvalue_cloud(pp.eigenvalues, title="Eigenvalues of A*(x) over the grid"),
        "eigenvalues.png",
        "Eigenvalues of A*(x) at every grid point with the unit circle "
        "(Drgoňa et al., Spectral analysis, Figs. 2, 8).",
    )
    rep.figure(
        plot.basins_map(pp.basins, title="Basins of attraction"),
        "basins.png",
        f"Which stable fixed point each point of a {basin_resolution}×{basin_resolution} grid "
        f"is within 10⁻³ of after {steps} steps (dark: diverged; grey: none reached).",
    )
    if pp.regions is not None:
        rep.figure(
            plot.regions_map(pp.xs, pp.ys, pp.regions, title="Linear regions"),
            "regions.png",
            "Linear regions of the piecewise-linear network.",
        )
    return rep
