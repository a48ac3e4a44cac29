"""neurodyn.plot: every figure renders from real neurodyn results and shows what it claims."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import TwoSlopeNorm, to_rgb
from matplotlib.figure import Figure

import neurodyn
from neurodyn.dynamics import BasinsResult, basins, fixed_points, grid_points, simulate
from neurodyn.plot import (
    basins_map,
    eigenvalue_cloud,
    phase_portrait,
    regions_map,
    spectral_radius_map,
)
from neurodyn.stability import eigvals, spectral_radius

F64 = torch.float64
LOW, HIGH = (-3.0, -3.0), (3.0, 3.0)


@pytest.fixture
def tanh_net() -> torch.nn.Module:
    net = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
    net = net.to(F64)
    with torch.no_grad():
        for p in net.parameters():
            p.mul_(0.5)
    return net


@pytest.fixture
def grid():
    return grid_points(LOW, HIGH, 24, dtype=F64)


def _save(fig: Figure, path) -> int:
    fig.savefig(path, dpi=60)
    assert path.exists()
    size = path.stat().st_size
    assert size > 5_000, f"{path.name} is suspiciously small ({size} bytes)"
    return size


def _fixed_point_markers(ax) -> int:
    return sum(
        len(c.get_offsets())
        for c in ax.collections
        if (c.get_gid() or "").startswith("fixed_points:")
    )


def _legend_texts(ax) -> list[str]:
    leg = ax.get_legend()
    assert leg is not None
    return [t.get_text() for t in leg.get_texts()]


def test_phase_portrait_marks_every_fixed_point(tanh_net, grid, tmp_path):
    xs, ys, pts = grid
    with torch.no_grad():
        step = (tanh_net(pts) - pts).reshape(len(ys), len(xs), 2)
    traj = simulate(tanh_net, grid_points(LOW, HIGH, 5, dtype=F64)[2], 30)
    fps = fixed_points(tanh_net, low=LOW, high=HIGH, resolution=8)
    assert len(fps) >= 1

    fig = phase_portrait(traj, fixed_points=fps, vector_field=(xs, ys, step), title="tanh")
    ax = fig.axes[0]
    assert isinstance(fig, Figure)
    assert _fixed_point_markers(ax) == len(fps)
    assert ax.get_xlim() == pytest.approx(LOW[0:1] + HIGH[0:1])
    assert ax.get_ylim() == pytest.approx(LOW[1:2] + HIGH[1:2])
    assert ax.get_xlabel() == "$x_1$" and ax.get_ylabel() == "$x_2$"
    assert ax.get_aspect() == 1.0
    # one line per trajectory, all solid (nothing diverged for this contracting net)
    traj_lines = [ln for ln in ax.get_lines() if len(ln.get_xdata()) == traj.states.shape[1]]
    assert len(traj_lines) == traj.states.shape[0]
    assert all(ln.get_linestyle() == "-" for ln in traj_lines)
    kinds = {p.kind for p in fps.points}
    texts = _legend_texts(ax)
    assert all(any(t.startswith(f"{k} fixed point") for t in texts) for k in kinds)
    _save(fig, tmp_path / "phase.png")


def test_phase_portrait_diverged_trajectories_dashed_and_limits_sane(tmp_path):
    net = torch.nn.Sequential(torch.nn.Linear(2, 2, bias=False)).to(F64)
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.6, 0.0], [0.0, 0.5]], dtype=F64))
    x0 = torch.tensor([[1.0, 1.0], [-1.0, 2.0], [0.0, 1.0]], dtype=F64)
    traj = simulate(net, x0, 40, bound=1e3)
    assert traj.diverged.tolist() == [True, True, False]

    fig = phase_portrait(traj)
    ax = fig.axes[0]
    dashed = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert len(dashed) == 2
    assert all(to_rgb(ln.get_color()) == to_rgb("tab:red") for ln in dashed)
    # frozen far-out states of diverged trajectories must not squash the picture
    assert max(abs(v) for v in ax.get_xlim() + ax.get_ylim()) < 10
    assert any(t.startswith("diverged (2)") for t in _legend_texts(ax))
    _save(fig, tmp_path / "diverged.png")


def test_spectral_radius_map_norm_centred_at_one(tanh_net, tmp_path):
    xs, ys, pts = grid_points((-6.0, -6.0), (6.0, 6.0), 40, dtype=F64)
    with torch.no_grad():
        rho = spectral_radius(neurodyn.linearize(tanh_net, pts).A).reshape(len(ys), len(xs))

    fig = spectral_radius_map(xs, ys, rho, title="ρ")
    ax = fig.axes[0]
    norm = ax.images[0].norm
    assert isinstance(norm, TwoSlopeNorm)
    assert norm.vcenter == 1.0
    assert norm.vmin <= min(float(rho.min()), 0.99)
    assert norm.vmax >= max(float(rho.max()), 1.01)
    cbar_ax = [a for a in fig.axes if a is not ax]
    assert len(cbar_ax) == 1 and cbar_ax[0].get_ylabel() == r"$\rho(A^*(x))$"
    _save(fig, tmp_path / "rho.png")

    # a map crossing ρ = 1 gets the contour; flat (ny·nx,) input is reshaped
    rho_cross = 0.5 + (rho.reshape(-1) - rho.min()) / (rho.max() - rho.min())  # [0.5, 1.5]
    fig2 = spectral_radius_map(xs.float(), ys.float(), rho_cross.float())
    assert [c.get_gid() for c in fig2.axes[0].collections] == ["rho_threshold"]
    assert not spectral_radius_map(xs, ys, rho).axes[0].collections  # nothing crosses 1
    _save(fig2, tmp_path / "rho_cross.png")


def test_eigenvalue_cloud_subsamples_and_draws_unit_circle(tanh_net, grid, tmp_path):
    _, _, pts = grid
    lam = eigvals(neurodyn.linearize(tanh_net, pts).A)
    assert lam.is_complex()

    fig = eigenvalue_cloud(lam, title="λ(A*)")
    ax = fig.axes[0]
    (cloud,) = [c for c in ax.collections if c.get_gid() == "eigenvalues"]
    assert len(cloud.get_offsets()) == lam.numel()
    assert len(ax.patches) == 1  # the unit circle
    assert ax.get_xlabel() == r"Re $\lambda$" and ax.get_ylabel() == r"Im $\lambda$"
    assert min(ax.get_xlim()[1], ax.get_ylim()[1]) > 1.0
    _save(fig, tmp_path / "eig.png")

    fig2 = eigenvalue_cloud(lam, max_points=100)
    (cloud2,) = [c for c in fig2.axes[0].collections if c.get_gid() == "eigenvalues"]
    assert len(cloud2.get_offsets()) == 100


def test_basins_map_legend_lists_present_categories(tanh_net, tmp_path):
    result = basins(tanh_net, LOW, HIGH, resolution=20, steps=50)
    fig = basins_map(result, title="basins")
    ax = fig.axes[0]
    (att,) = [c for c in ax.collections if c.get_gid() == "attractors"]
    assert len(att.get_offsets()) == result.attractors.shape[0]
    texts = _legend_texts(ax)
    present = set(result.labels.unique().tolist())
    assert sum(t.startswith("basin of") for t in texts) == len({k for k in present if k >= 0})
    assert ("divergent" in texts) == (-1 in present)
    _save(fig, tmp_path / "basins.png")

    # all three kinds of category at once
    labels = result.labels.clone()
    labels[:5, :5] = -1
    labels[-5:, -5:] = -2
    mixed = BasinsResult(result.xs, result.ys, labels, result.attractors, result.steps, result.tol)
    fig2 = basins_map(mixed)
    texts2 = _legend_texts(fig2.axes[0])
    assert "divergent" in texts2 and "bounded, not converged" in texts2
    image = fig2.axes[0].images[0].get_array()
    assert len(np.unique(image)) == len(set(labels.unique().tolist()))
    _save(fig2, tmp_path / "basins_mixed.png")


def test_regions_map_counts_regions_and_separates_neighbours(tmp_path):
    relu = torch.nn.Sequential(torch.nn.Linear(2, 12), torch.nn.ReLU(), torch.nn.Linear(12, 2)).to(
        F64
    )
    xs, ys, pts = grid_points((-4.0, -4.0), (4.0, 4.0), 60, dtype=F64)
    ids = neurodyn.pwa.region_ids(relu, pts)
    n_regions = int(ids.unique().numel())
    assert n_regions > 3

    fig = regions_map(xs, ys, ids, title="ReLU")
    ax = fig.axes[0]
    assert f"({n_regions} linear regions)" in ax.get_title()
    rgb = np.asarray(ax.images[0].get_array())
    grid_ids = ids.reshape(len(ys), len(xs)).numpy()
    for a, b, ca, cb in (
        (grid_ids[:, :-1], grid_ids[:, 1:], rgb[:, :-1], rgb[:, 1:]),
        (grid_ids[:-1], grid_ids[1:], rgb[:-1], rgb[1:]),
    ):
        border = a != b
        assert (np.abs(ca - cb).sum(axis=-1)[border] > 0).all()
    _save(fig, tmp_path / "regions.png")


def test_functions_draw_into_given_axes(tanh_net, grid, tmp_path):
    xs, ys, pts = grid
    form = neurodyn.linearize(tanh_net, pts)
    rho = spectral_radius(form.A)
    fig = Figure(figsize=(10, 4), layout="compressed")
    axes = fig.subplots(1, 3)
    traj = simulate(tanh_net, pts[::37], 10)
    assert phase_portrait(traj, ax=axes[0], legend=False) is fig
    assert spectral_radius_map(xs, ys, rho, ax=axes[1]) is fig
    assert eigenvalue_cloud(eigvals(form.A), ax=axes[2]) is fig
    assert axes[0].get_legend() is None
    FigureCanvasAgg(fig).draw()
    _save(fig, tmp_path / "panels.png")


def test_bad_shapes_raise():
    xs, ys, _ = grid_points(LOW, HIGH, 5)
    with pytest.raises(ValueError, match="shape"):
        spectral_radius_map(xs, ys, torch.ones(4, 4))
    with pytest.raises(ValueError, match="shape"):
        phase_portrait(None, vector_field=(xs, ys, torch.ones(5, 5, 3)))


def test_ftle_convergence_plot_labels_every_line_in_its_own_colour():
    import torch

    from neurodyn.lyapunov import lyapunov_spectrum
    from neurodyn.plot import ftle_convergence_plot

    torch.manual_seed(0)
    res = lyapunov_spectrum(torch.nn.GRU(2, 8, batch_first=True), torch.randn(2, 40, 2))
    ax = ftle_convergence_plot(res, max_lines=12).axes[0]
    lines = [ln for ln in ax.get_lines() if ln.get_label().startswith("λ_")]
    assert [ln.get_label() for ln in lines] == [f"λ_{i}" for i in range(1, 9)]
    assert len({tuple(ln.get_color()) for ln in lines}) == 8
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [f"λ_{i}" for i in range(1, 9)]
    few = ftle_convergence_plot(res, max_lines=3).axes[0]
    assert "first 3 of 8" in few.get_title()


def test_spectrum_plot_shows_minus_infinite_exponents_and_says_so(tmp_path):
    """A map that collapses a direction exactly has λ = −∞: the spectrum plot used to drop it
    without a mark and print "mean = -inf"; it must mark it at the axis bottom, labelled −∞,
    and say how many exponents are −∞."""
    from neurodyn.lyapunov import lyapunov_spectrum
    from neurodyn.plot import lyapunov_spectrum_plot
    from neurodyn.systems import LinearMap

    A = torch.diag(torch.tensor([0.5, 0.25, 0.0], dtype=torch.float64))
    res = lyapunov_spectrum(LinearMap(A), steps=30, h0=torch.ones(2, 3, dtype=torch.float64))
    assert torch.isneginf(res.exponents[2]) and torch.isfinite(res.exponents[:2]).all()
    fig = lyapunov_spectrum_plot(res)
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert "−∞" in texts, texts
    assert any("mean = −∞ (1 of 3 exponents are −∞)" in t for t in texts), texts
    assert not any("-inf" in t or "inf" == t for t in texts), texts
    # a marker drawn at index 3, in axes coordinates at the bottom (y = 0)
    marks = [ln for ln in ax.lines if ln.get_marker() == "v"]
    assert len(marks) == 1 and list(marks[0].get_xdata()) == [3]
    assert list(marks[0].get_ydata()) == [0.0]
    fig.savefig(tmp_path / "spectrum.png")


def test_result_plot_draws_the_exponents_and_needs_nothing_from_neurodyn_plot():
    """``LyapunovResult.plot()`` draws from the result's own package (its figure code takes plain
    arrays), so it works without :mod:`neurodyn.plot` loaded, and draws the analytic exponents
    λ_i = ln|a_i| of a diagonal linear map at their values: after a 60-step warm-up the frame is
    aligned with the axes to ~2⁻⁶⁰, so in float64 they hold to rounding (1e-12)."""
    import math
    import subprocess
    import sys

    from neurodyn.lyapunov import lyapunov_spectrum
    from neurodyn.systems import LinearMap

    A = torch.diag(torch.tensor([0.5, 0.25], dtype=torch.float64))
    res = lyapunov_spectrum(
        LinearMap(A), steps=20, warmup=60, h0=torch.ones(3, 2, dtype=torch.float64)
    )
    fig = res.plot(title="diag(0.5, 0.25)", label="run 1")
    ax = fig.axes[0]
    (line,) = [ln for ln in ax.lines if ln.get_marker() == "o"]
    assert list(line.get_xdata()) == [1, 2]
    assert line.get_ydata() == pytest.approx([math.log(0.5), math.log(0.25)], abs=1e-12)
    assert ax.get_title() == "diag(0.5, 0.25)" and "nats / unit time" in ax.get_ylabel()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["run 1"]
    target = Figure().subplots()
    assert res.plot(ax=target) is target.figure and target.lines
    code = (
        "import sys, torch\n"
        "from neurodyn.lyapunov import lyapunov_spectrum\n"
        "from neurodyn.systems import LinearMap\n"
        "res = lyapunov_spectrum(LinearMap(torch.eye(2) * 0.5), steps=5, h0=torch.ones(2, 2))\n"
        "assert res.plot().axes, 'no axes drawn'\n"
        "assert 'neurodyn.plot' not in sys.modules, 'LyapunovResult.plot() loaded neurodyn.plot'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------- above 2-D (issue 12)


def _planar_10d_trajectory():
    """States in a 2-D plane of ℝ¹⁰ (spread 3 and 1 along two orthonormal directions), plus a
    tiny 1e-3 component: the first two principal axes span the plane."""
    from neurodyn.dynamics import Trajectory

    gen = torch.Generator().manual_seed(3)
    q, _ = torch.linalg.qr(torch.randn(10, 10, dtype=F64, generator=gen))
    coef = torch.randn(6, 41, 3, dtype=F64, generator=gen) * torch.tensor([3.0, 1.0, 1e-3])
    states = coef @ q[:, :3].T + 0.5
    return Trajectory(states, torch.zeros(6, dtype=torch.bool), torch.full((6,), -1), 1e6)


def test_phase_portrait_of_10d_trajectories_is_a_labelled_pca_projection(tmp_path):
    traj = _planar_10d_trajectory()
    fig = phase_portrait(traj, title="10-D")
    ax = fig.axes[0]
    # independent PCA: eigen-decomposition of the covariance (numpy eigh, not the SVD used)
    pts = traj.states.reshape(-1, 10).numpy()
    evals, evecs = np.linalg.eigh(np.cov(pts.T, bias=True))
    share = evals[::-1] / evals.sum()
    assert ax.get_xlabel() == f"PC1 ({100 * share[0]:.0f} % var)"
    assert ax.get_ylabel() == f"PC2 ({100 * share[1]:.0f} % var)"
    assert "PCA projection of 10-D states" in ax.get_title() and "10-D" in ax.get_title()
    # the first drawn line is trajectory 0 on the top two eigenvectors (up to sign)
    line = ax.lines[0].get_xydata()
    ref = (traj.states[0].numpy() - pts.mean(axis=0)) @ evecs[:, ::-1][:, :2]
    assert np.allclose(np.abs(line), np.abs(ref), atol=1e-9)
    _save(fig, tmp_path / "pca.png")


def test_phase_portrait_coordinates_of_10d_trajectories(tmp_path):
    traj = _planar_10d_trajectory()
    fig = phase_portrait(traj, dims=(2, 5))
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x3", "x6")
    assert "coordinates x3, x6 of 10-D states" in ax.get_title()
    assert np.allclose(ax.lines[0].get_xydata(), traj.states[0][:, [2, 5]].numpy())
    with pytest.raises(ValueError, match="different coordinates"):
        phase_portrait(traj, dims=(2, 2))
    with pytest.raises(ValueError, match="2-D maps only"):
        xs, ys, _ = grid_points(LOW, HIGH, 5)
        phase_portrait(traj, vector_field=(xs, ys, torch.ones(5, 5, 2)))


def _bistable3():
    return neurodyn.systems.as_map(lambda h: torch.tanh(2 * h), dim=3, dtype=F64)


def test_basins_map_of_a_slice_names_the_slice(tmp_path):
    res = basins(
        _bistable3(), [(-1, 1)] * 3, resolution=8, steps=40, window=20, dims=(0, 2), at=[0, 0.3, 0]
    )
    fig = basins_map(res, title="basins")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "x1 (slice x2=0.3)" and ax.get_ylabel() == "x3"
    assert "slice of 3-D state space at x2=0.3" in ax.get_title()
    (att,) = [c for c in ax.collections if c.get_gid() == "attractors"]
    assert np.allclose(att.get_offsets(), res.attractors[:, [0, 2]].numpy())
    _save(fig, tmp_path / "slice.png")


def test_basins_map_of_sampled_starts_in_3d_is_a_projection(tmp_path):
    res = basins(_bistable3(), [(-1, 1)] * 3, samples=60, steps=40, window=20)
    fig = basins_map(res)
    ax = fig.axes[0]
    (pts,) = [c for c in ax.collections if c.get_gid() == "basin_starts"]
    assert len(pts.get_offsets()) == 60
    assert ax.get_xlabel().startswith("PC1 (") and "PCA projection of 3-D" in ax.get_title()
    fig2 = basins_map(res, dims=(1, 2))
    assert np.allclose(
        next(c for c in fig2.axes[0].collections if c.get_gid() == "basin_starts").get_offsets(),
        res.starts[:, [1, 2]].numpy(),
    )
    _save(fig, tmp_path / "sampled.png")


def test_basins_map_names_cycle_basins():
    def step(h):
        x1, x2 = h[:, 0], h[:, 1]
        return torch.stack(
            [torch.tanh(2 * x1), torch.where(x1 > 0, 3.2 * x2 * (1 - x2), 0.5 * x2)], 1
        )

    f = neurodyn.systems.as_map(step, dim=2, dtype=F64)
    res = basins(f, (-1.0, 0.05), (1.0, 0.95), resolution=10, steps=100, window=40)
    texts = _legend_texts(basins_map(res).axes[0])
    assert any(t.startswith("basin of 2-cycle near") for t in texts)
    assert "attractor (a point on it) (2)" in texts
