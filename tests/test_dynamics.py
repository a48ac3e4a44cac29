"""Dynamics of autonomous maps: simulate, fixed_points, basins, classify_attractor.

Every check is against an analytic reference: powers of a linear map, the roots of r = tanh(2r)
(scipy's brentq), (I − A)⁻¹ b, the Hénon fixed points and their eigenvalues, the logistic 2-cycle.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.optimize import brentq
from torch import nn

from helpers import assert_close, jacobian_reference
from neurodyn.dynamics import (
    ATTRACTOR_KINDS,
    Box,
    basins,
    classify_attractor,
    fixed_points,
    grid_points,
    simulate,
)
from neurodyn.lyapunov import lyapunov_spectrum
from neurodyn.systems import LinearMap, as_map

F64 = torch.float64
HENON_LYAPUNOV = 0.41922  # largest Lyapunov exponent of the Hénon map at a=1.4, b=0.3


# ----------------------------------------------------------------------------------------------
# systems with known dynamics


def linear_net(W, b=None) -> nn.Sequential:
    """x ↦ W x (+ b) as a single float64 nn.Linear."""
    W = torch.as_tensor(W, dtype=F64)
    lin = nn.Linear(W.shape[1], W.shape[0], bias=b is not None).double()
    with torch.no_grad():
        lin.weight.copy_(W)
        if b is not None:
            lin.bias.copy_(torch.as_tensor(b, dtype=F64))
    return nn.Sequential(lin).eval()


def tanh_net(a1: float = 2.0, a2: float = 0.5) -> nn.Sequential:
    """x ↦ (tanh(a1 x1), tanh(a2 x2)): Linear(diag a) → Tanh → Linear(I), zero biases."""
    net = nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 2)).double()
    with torch.no_grad():
        net[0].weight.copy_(torch.diag(torch.tensor([a1, a2], dtype=F64)))
        net[0].bias.zero_()
        net[2].weight.copy_(torch.eye(2, dtype=F64))
        net[2].bias.zero_()
    return net.eval()


def tanh_root(a: float = 2.0) -> float:
    """The positive root of r = tanh(a r) (a > 1)."""
    return brentq(lambda r: r - math.tanh(a * r), 1e-3, 10.0, xtol=1e-15, rtol=1e-15)


class Henon:
    """The Hénon map (x, y) ↦ (1 − a x² + y, b x) as a custom Map (not an nn.Module)."""

    dim = 2
    dt = 1.0

    def __init__(self, a: float = 1.4, b: float = 0.3):
        self.a, self.b = a, b

    def step(self, h, x=None):
        return torch.stack([1 - self.a * h[:, 0] ** 2 + h[:, 1], self.b * h[:, 0]], dim=1)

    def jacobian(self, h, x=None):
        J = torch.zeros(h.shape[0], 2, 2, dtype=h.dtype)
        J[:, 0, 0] = -2 * self.a * h[:, 0]
        J[:, 0, 1] = 1.0
        J[:, 1, 0] = self.b
        return J


class LogisticTimesContraction:
    """(x, y) ↦ (r x (1 − x), c y): for r = 3.2 an attracting period-2 orbit in x."""

    dim = 2
    dt = 1.0

    def __init__(self, r: float = 3.2, c: float = 0.1):
        self.r, self.c = r, c

    def step(self, h, x=None):
        return torch.stack([self.r * h[:, 0] * (1 - h[:, 0]), self.c * h[:, 1]], dim=1)

    def jacobian(self, h, x=None):
        return jacobian_reference(self.step, h)


class AttractingCircle:
    """Polar map (ρ, θ) ↦ (√ρ, θ + ω): the unit circle attracts, and the motion on it is an
    irrational rotation (a genuine attracting invariant circle, λ₁ = 0)."""

    dim = 2
    dt = 1.0

    def __init__(self, omega: float = 2 * math.pi * (math.sqrt(5) - 1) / 2):
        self.omega = omega

    def step(self, h, x=None):
        rho = torch.linalg.vector_norm(h, dim=1)
        theta = torch.atan2(h[:, 1], h[:, 0]) + self.omega
        return torch.sqrt(rho).unsqueeze(1) * torch.stack([theta.cos(), theta.sin()], dim=1)

    def jacobian(self, h, x=None):
        return jacobian_reference(self.step, h)


def henon_fixed_points(a: float = 1.4, b: float = 0.3) -> list[tuple[float, float]]:
    disc = math.sqrt((1 - b) ** 2 + 4 * a)
    xs = sorted([(-(1 - b) + disc) / (2 * a), (-(1 - b) - disc) / (2 * a)])
    return [(x, b * x) for x in xs]


def henon_eigs(x: float, a: float = 1.4, b: float = 0.3) -> list[float]:
    """Roots of λ² + 2 a x λ − b = 0 (the characteristic polynomial of the Jacobian)."""
    s = math.sqrt(a * a * x * x + b)
    return sorted([-a * x + s, -a * x - s])


def kind_from_moduli(moduli) -> str:
    if all(m < 1 for m in moduli):
        return "stable"
    if all(m > 1 for m in moduli):
        return "unstable"
    return "saddle"


# ----------------------------------------------------------------------------------------------
# simulate


def test_simulate_linear_map_matches_matrix_powers():
    W = torch.tensor([[0.9, -0.4], [0.3, 0.7]], dtype=F64)
    net = nn.Sequential(nn.Linear(2, 2, bias=False)).double()
    with torch.no_grad():
        net[0].weight.copy_(W)
    x0 = torch.randn(7, 2, dtype=F64)
    traj = simulate(net, x0, 25)
    assert traj.states.shape == (7, 26, 2)
    for t in range(26):
        expected = x0 @ torch.linalg.matrix_power(W.T, t)
        assert_close(traj.states[:, t], expected, 1e-12)
    assert not bool(traj.diverged.any())
    assert bool((traj.diverged_at == -1).all())
    summary = {"steps": 25, "batch": 7, "diverged": 0, "bound": 1e6}
    assert summary.items() <= traj.to_dict().items()  # plus the arrays for from_dict


def test_simulate_detects_divergence_at_the_analytic_step():
    net = linear_net(2 * torch.eye(2))
    bound = 100.0
    # ‖x_t‖ = 2^t ‖x0‖; first t with 2^t ‖x0‖ > bound (no ties: ‖x0‖ ∈ {5, 0.5, 3, 0}).
    x0 = torch.tensor([[3.0, 4.0], [0.3, 0.4], [0.0, -3.0], [0.0, 0.0]], dtype=F64)
    traj = simulate(net, x0, 12, bound=bound)
    expected_at = []
    for norm in x0.norm(dim=1).tolist():
        if norm == 0:
            expected_at.append(-1)
        else:
            expected_at.append(next(t for t in range(1, 100) if 2**t * norm > bound))
    assert expected_at == [5, 8, 6, -1]
    assert traj.diverged_at.tolist() == expected_at
    assert traj.diverged.tolist() == [True, True, True, False]
    for b, t_div in enumerate(expected_at):
        if t_div < 0:
            assert bool((traj.states[b] == 0).all())
            continue
        # exact powers before divergence, frozen at the last in-bound state afterwards
        for t in range(t_div):
            assert_close(traj.states[b, t], x0[b] * 2**t, 0)
        assert bool((traj.states[b, t_div:] == traj.states[b, t_div - 1]).all())
        assert float(traj.states[b, t_div - 1].norm()) <= bound
    assert traj.to_dict()["diverged"] == 3


@pytest.mark.parametrize(
    "x0",
    [
        torch.zeros(2, dtype=F64),  # 1-D
        torch.zeros(4, 3, dtype=F64),  # wrong width
        torch.tensor([[0.0, float("nan")]], dtype=F64),
        torch.tensor([[float("inf"), 0.0]], dtype=F64),
    ],
    ids=["1d", "width", "nan", "inf"],
)
def test_simulate_rejects_bad_states(x0):
    with pytest.raises(ValueError, match="x0"):
        simulate(linear_net(torch.eye(2)), x0, 3)


@pytest.mark.parametrize("steps", [0, -1])
def test_simulate_rejects_nonpositive_steps(steps):
    with pytest.raises(ValueError, match="steps"):
        simulate(linear_net(torch.eye(2)), torch.zeros(1, 2, dtype=F64), steps)


# ----------------------------------------------------------------------------------------------
# fixed_points


def test_fixed_points_of_tanh_product_map():
    r = tanh_root(2.0)
    res = fixed_points(tanh_net(2.0, 0.5), low=(-2.0, -2.0), high=(2.0, 2.0), resolution=10)
    assert len(res) == 3
    expected = torch.tensor([[-r, 0.0], [0.0, 0.0], [r, 0.0]], dtype=F64)
    assert_close(res.stack(), expected, 1e-9)
    assert [p.kind for p in res.points] == ["stable", "saddle", "stable"]
    # eigenvalues = diagonal Jacobian entries: a·(1 − tanh²(a x̄)) per coordinate
    slope_r = 2 * (1 - math.tanh(2 * r) ** 2)
    expected_eigs = [[0.5, slope_r], [0.5, 2.0], [0.5, slope_r]]
    for p, eigs in zip(res.points, expected_eigs, strict=True):
        assert bool((p.eigenvalues.imag == 0).all())
        got = sorted(p.eigenvalues.real.tolist())
        assert got == pytest.approx(sorted(eigs), abs=1e-9)
        assert p.residual <= 1e-10
    assert [p.x.tolist() for p in res.stable()] == [
        res.points[0].x.tolist(),
        res.points[2].x.tolist(),
    ]
    d = res.to_dict()
    assert len(d["points"]) == 3 and d["seeds"] == 100
    assert d["points"][1]["spectral_radius"] == pytest.approx(2.0, abs=1e-9)
    # Tanh is smooth: A*(x̄) is a secant, so rho_affine is reported; at (±r, 0) the secant
    # slope is tanh(2r)/r = 1 (x̄ is a fixed point) on the first axis, ½ on the second.
    assert res.points[0].rho_affine == pytest.approx(1.0, abs=1e-9)


def test_fixed_point_of_affine_map_is_solution_of_linear_system():
    A = np.array([[0.5, 0.2], [-0.3, 0.4]])
    b = np.array([1.0, 2.0])
    expected = np.linalg.solve(np.eye(2) - A, b)
    res = fixed_points(linear_net(A, b), low=(-5.0, -5.0), high=(5.0, 5.0), resolution=6)
    assert len(res) == 1
    assert_close(res.points[0].x, torch.from_numpy(expected), 1e-12)
    assert res.points[0].kind == kind_from_moduli(np.abs(np.linalg.eigvals(A)))
    assert res.converged == 36
    got = sorted(res.points[0].eigenvalues.tolist(), key=lambda z: (z.real, z.imag))
    want = sorted(np.linalg.eigvals(A).tolist(), key=lambda z: (z.real, z.imag))
    assert np.allclose(got, want, atol=1e-12)


def test_fixed_point_of_expanding_affine_map_is_unstable():
    A = np.array([[2.0, 1.0], [0.0, 3.0]])
    b = np.array([1.0, -1.0])
    expected = np.linalg.solve(np.eye(2) - A, b)
    res = fixed_points(linear_net(A, b), low=(-1.0, -1.0), high=(1.0, 1.0), resolution=4)
    assert len(res) == 1
    assert_close(res.points[0].x, torch.from_numpy(expected), 1e-12)
    assert res.points[0].kind == "unstable"


def test_fixed_point_of_relu_net():
    # f(x) = ½ ReLU(x) + (1, −1): x1 = ½ x1 + 1 → 2 (x1 > 0); x2 = −1 (x2 < 0, ReLU off).
    net = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2)).double()
    with torch.no_grad():
        net[0].weight.copy_(torch.eye(2, dtype=F64))
        net[0].bias.zero_()
        net[2].weight.copy_(0.5 * torch.eye(2, dtype=F64))
        net[2].bias.copy_(torch.tensor([1.0, -1.0], dtype=F64))
    res = fixed_points(net, low=(-4.0, -4.0), high=(4.0, 4.0), resolution=9)
    assert len(res) == 1
    p = res.points[0]
    assert_close(p.x, torch.tensor([2.0, -1.0], dtype=F64), 1e-12)
    assert sorted(p.eigenvalues.real.tolist()) == pytest.approx([0.0, 0.5], abs=1e-12)
    assert p.kind == "stable"
    # ReLU is homogeneous: A*(x̄) is the Jacobian, so its spectral radius matches
    assert p.rho_affine == pytest.approx(0.5, abs=1e-12)


def test_fixed_points_dedupes_seeds_converging_to_one_point():
    r = tanh_root(2.0)
    seeds = torch.tensor([r, 0.0], dtype=F64) + 0.3 * torch.rand(50, 2, dtype=F64)
    res = fixed_points(tanh_net(), seeds)
    assert res.seeds == 50 and res.converged == 50
    assert len(res) == 1
    assert_close(res.points[0].x, torch.tensor([r, 0.0], dtype=F64), 1e-9)


def test_fixed_points_needs_seeds_or_box():
    with pytest.raises(ValueError, match="seeds"):
        fixed_points(tanh_net())
    with pytest.raises(ValueError, match="low and high"):
        fixed_points(tanh_net(), low=(-1.0,), high=(1.0,))


def test_fixed_points_of_henon_custom_map():
    _, _, seeds = grid_points((-2.0, -2.0), (2.0, 2.0), 8, dtype=F64)
    res = fixed_points(Henon(), seeds)
    expected = henon_fixed_points()
    assert len(res) == 2
    assert_close(res.stack(), torch.tensor(expected, dtype=F64), 1e-10)
    for p, (x, _) in zip(res.points, expected, strict=True):
        eigs = henon_eigs(x)
        assert sorted(p.eigenvalues.real.tolist()) == pytest.approx(eigs, abs=1e-10)
        assert p.kind == kind_from_moduli([abs(e) for e in eigs])
        assert p.kind == "saddle"
        assert p.rho_affine is None  # a custom Map has no affine form


def test_fixed_points_box_with_custom_map_is_float64():
    """A custom Map has no parameters to take a dtype from: box seeds are float64 (tol 1e-10)."""
    res = fixed_points(Henon(), low=(-2.0, -2.0), high=(2.0, 2.0), resolution=8)
    assert res.tol == 1e-10 and res.stack().dtype == torch.float64
    assert_close(res.stack(), torch.tensor(henon_fixed_points(), dtype=F64), 1e-9)


# ----------------------------------------------------------------------------------------------
# basins


def test_basins_of_bistable_tanh_map():
    r = tanh_root(2.0)
    res = basins(tanh_net(), (-2.0, -2.0), (2.0, 2.0), resolution=40, steps=200)
    assert_close(res.attractors, torch.tensor([[-r, 0.0], [r, 0.0]], dtype=F64), 1e-9)
    X = res.xs.unsqueeze(0).expand(len(res.ys), -1)
    spacing = float(res.xs[1] - res.xs[0])
    away = X.abs() >= spacing
    assert bool(away.any())
    expected = (X > 0).long()  # attractor 0 is (−r, 0), attractor 1 is (+r, 0)
    assert bool((res.labels[away] == expected[away]).all())
    # x1' = tanh(2 x1) keeps the sign, so every grid point (none has x1 = 0) is labelled
    assert bool((res.labels == expected).all())
    fr = res.fractions()
    assert sum(fr.values()) == pytest.approx(1.0, abs=1e-12)
    assert fr["attractor_0"] == pytest.approx(0.5) and fr["attractor_1"] == pytest.approx(0.5)
    assert fr["divergent"] == 0.0 and fr["other"] == 0.0
    assert res.to_dict()["resolution"] == [40, 40]


def test_basins_of_expanding_map_are_all_divergent():
    res = basins(linear_net(2 * torch.eye(2)), (-2.0, -2.0), (2.0, 2.0), resolution=9, steps=60)
    assert res.attractors.shape == (0, 2)  # the origin is unstable, no targets
    X = res.xs.unsqueeze(0).expand(len(res.ys), -1)
    Y = res.ys.unsqueeze(1).expand(-1, len(res.xs))
    origin = (X == 0) & (Y == 0)
    assert int(origin.sum()) == 1  # linspace(−2, 2, 9) has the exact step 0.5 and hits 0
    assert bool((res.labels[~origin] == -1).all())
    assert bool((res.labels[origin] == -2).all())  # stays at the (unstable) fixed point
    fr = res.fractions()
    assert fr["divergent"] == pytest.approx(80 / 81) and fr["other"] == pytest.approx(1 / 81)


def test_basins_box_must_match_the_map_dimension():
    # basins used to refuse n > 2; it now works in any dimension (tests/test_attractors.py)
    net = nn.Sequential(nn.Linear(3, 3)).double()
    with pytest.raises(ValueError, match="3 entries"):
        basins(net, (-1.0, -1.0), (1.0, 1.0), resolution=4)


# ----------------------------------------------------------------------------------------------
# classify_attractor


class StaircaseMap:
    """x₁ ↦ x₁ − 0.3·sin(2π x₁)/(2π), x₂ ↦ 0.5 x₂: stable fixed points at every integer x₁
    (derivative 0.7), unstable ones at half-integers."""

    dim = 2
    dt = 1.0

    def step(self, h, x=None):
        return torch.stack(
            [h[:, 0] - 0.3 * torch.sin(2 * math.pi * h[:, 0]) / (2 * math.pi), 0.5 * h[:, 1]], 1
        )

    def jacobian(self, h, x=None):
        J = torch.zeros(h.shape[0], 2, 2, dtype=h.dtype)
        J[:, 0, 0] = 1 - 0.3 * torch.cos(2 * math.pi * h[:, 0])
        J[:, 1, 1] = 0.5
        return J


def test_classify_point():
    b = torch.tensor([1.0, -2.0], dtype=F64)
    res = classify_attractor(linear_net(0.5 * torch.eye(2), b), (-2.0, -2.0), (2.0, 2.0))
    assert res.kind == "point"
    assert res.evidence["distinct_end_points"] == 1
    assert_close(torch.tensor(res.evidence["end_points"][0], dtype=F64), 2 * b, 1e-12)
    assert res.evidence["max_lyapunov"] == pytest.approx(math.log(0.5), abs=1e-12)
    assert res.evidence["fraction_fixed_point"] == 1.0
    assert res.rule and res.to_dict()["kind"] == "point"


def test_classify_multipoint():
    r = tanh_root(2.0)
    res = classify_attractor(tanh_net(), (-2.0, -2.0), (2.0, 2.0))
    assert res.kind == "multipoint"
    assert res.evidence["distinct_end_points"] == 2
    ends = sorted(res.evidence["end_points"])
    assert_close(
        torch.tensor(ends, dtype=F64), torch.tensor([[-r, 0.0], [r, 0.0]], dtype=F64), 1e-9
    )
    # λ₁ is the slower of the two contraction rates: max(½, 2(1 − tanh²(2r))) = ½
    assert res.evidence["max_lyapunov"] == pytest.approx(math.log(0.5), abs=1e-9)


def test_classify_line():
    res = classify_attractor(linear_net(torch.diag(torch.tensor([1.0, 0.5]))), (-1, -1), (1, 1))
    assert res.kind == "line"
    assert res.evidence["distinct_end_points"] == 12  # one per grid column on the x1 axis
    assert "end_points" not in res.evidence
    assert res.evidence["max_lyapunov"] == pytest.approx(0.0, abs=1e-12)


def test_classify_irrational_rotation_is_cycle():
    th = 2 * math.pi * (math.sqrt(5) - 1) / 2
    R = [[math.cos(th), -math.sin(th)], [math.sin(th), math.cos(th)]]
    res = classify_attractor(linear_net(R), (-1.0, -1.0), (1.0, 1.0))
    assert res.kind == "cycle"
    assert res.evidence["fraction_fixed_point"] == 0.0
    assert res.evidence["fraction_quasi_periodic"] == 1.0
    assert abs(res.evidence["max_lyapunov"]) < 1e-12  # an isometry: λ₁ = 0 exactly


def test_classify_attracting_invariant_circle_is_cycle():
    res = classify_attractor(AttractingCircle(), (-2.0, -2.0), (2.0, 2.0), resolution=6)
    assert res.kind == "cycle"
    assert abs(res.evidence["max_lyapunov"]) < 1e-6  # neutral along the circle


def test_classify_attracting_period_two_orbit_is_cycle():
    r = 3.2
    res = classify_attractor(LogisticTimesContraction(r, 0.1), (0.1, -1.0), (0.9, 1.0))
    assert res.kind == "cycle"
    assert res.evidence["fraction_periodic"] == 1.0 and res.evidence["periods"] == [2]
    # λ₁ = ½ ln |f'(x₊) f'(x₋)| with f'(x₊) f'(x₋) = −r² + 2r + 4 (logistic 2-cycle) > ln 0.1
    expected = 0.5 * math.log(abs(-(r**2) + 2 * r + 4))
    assert res.evidence["max_lyapunov"] == pytest.approx(expected, abs=1e-9)
    assert res.evidence["median_lyapunov"] == pytest.approx(expected, abs=1e-9)


def test_classify_minus_identity_is_cycle_by_the_rule():
    """x ↦ −x: every point is period 2 (a continuum of neutral 2-cycles, not a limit cycle).
    The documented rule has no separate kind for that: period 2 → "cycle". The origin (fixed)
    is on an odd grid and is the only trajectory with period 1."""
    res = classify_attractor(linear_net(-torch.eye(2)), (-1.0, -1.0), (1.0, 1.0), resolution=5)
    assert res.kind == "cycle"
    assert res.evidence["fraction_fixed_point"] == pytest.approx(1 / 25)
    assert res.evidence["periods"] == [2]
    assert res.evidence["max_lyapunov"] == pytest.approx(0.0, abs=1e-12)


def test_classify_henon_is_chaotic():
    res = classify_attractor(Henon(), (-0.1, -0.1), (0.1, 0.1), resolution=4)
    assert res.kind == "chaotic"
    ev = res.evidence
    assert ev["trajectories"] == 16 and ev["fraction_divergent"] == 0.0
    assert ev["fraction_fixed_point"] == 0.0 and ev["fraction_chaotic"] == 1.0
    assert ev["max_lyapunov"] == pytest.approx(HENON_LYAPUNOV, abs=0.05)
    assert ev["median_lyapunov"] == pytest.approx(HENON_LYAPUNOV, abs=0.02)


def test_classify_slow_convergence_is_a_point():
    """0.995·I: after 1200 steps the iterates still move (|x| ≈ 0.0024|x₀|), but λ₁ = ln 0.995
    < −lyap_tol, and Newton from the end states lands on the origin: a point, not a cycle."""
    res = classify_attractor(linear_net(0.995 * torch.eye(2)), (-1.0, -1.0), (1.0, 1.0))
    assert res.kind == "point"
    # 0.995·eye is built in float32 before the float64 net copies it: log(fl32(0.995)) ± 1e-7
    assert res.evidence["max_lyapunov"] == pytest.approx(math.log(0.995), abs=1e-7)
    assert_close(torch.tensor(res.evidence["end_points"], dtype=F64), torch.zeros(1, 2), 1e-12)


def test_classify_many_isolated_points_is_multipoint_not_line():
    """Ten stable isolated fixed points (no Jacobian eigenvalue 1) stay multipoint."""
    res = classify_attractor(StaircaseMap(), (-0.2, -0.2), (9.2, 0.2), resolution=12)
    assert res.kind == "multipoint"
    assert res.evidence["distinct_end_points"] == 10


def test_classify_divergent():
    res = classify_attractor(linear_net(2 * torch.eye(2)), (-1.0, -1.0), (1.0, 1.0))
    assert res.kind == "divergent"
    assert res.evidence["fraction_divergent"] == 1.0
    assert "max_lyapunov" not in res.evidence


def test_classify_kinds_cover_the_six_types():
    assert ATTRACTOR_KINDS == ("point", "multipoint", "line", "cycle", "chaotic", "divergent")


def test_classify_rejects_wrong_box():
    with pytest.raises(ValueError, match="low and high"):
        classify_attractor(tanh_net(), (-1.0,), (1.0,))


# --- dtype follows the map (issue 11 item 9) ---------------------------------------------


def _float32_module():
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2)
    ).float()


class _NotSupported(torch.nn.Module):
    """A module as_map cannot read: the autograd fallback is the advice."""

    def __init__(self):
        super().__init__()
        self.net = _float32_module()

    def forward(self, h):
        return 0.5 * self.net(h) + 0.1 * torch.sin(h)


def test_autograd_fallback_of_a_float32_module_runs_through_every_grid():
    module = _NotSupported()
    f = as_map(lambda h: module(h), dim=2)
    pts = fixed_points(f, low=(-2.0, -2.0), high=(2.0, 2.0), resolution=5)
    assert len(pts) >= 1 and pts.points[0].x.dtype == torch.float32
    res = basins(f, (-1.0, -1.0), (1.0, 1.0), resolution=6, steps=20)
    assert res.labels.shape == (6, 6)
    kind = classify_attractor(f, (-1.0, -1.0), (1.0, 1.0), resolution=3, transient=50, window=20)
    assert kind.kind in ATTRACTOR_KINDS
    # the explicit option says the same without a probe
    g = as_map(lambda h: module(h), dim=2, dtype=torch.float32)
    assert g.dtype == torch.float32
    assert fixed_points(g, low=Box((-2.0, -2.0), (2.0, 2.0)), resolution=5).stack().dtype == (
        torch.float32
    )


def test_dtype_mismatch_is_a_clear_error_naming_both_dtypes():
    from neurodyn.zoo import paper_model

    net = paper_model("fig2-stable")  # float64
    x32 = torch.zeros(3, 2, dtype=torch.float32)
    with pytest.raises(TypeError, match=r"x0 is torch.float32 .* torch.float64.*\.to\("):
        simulate(net, x32, 5)
    with pytest.raises(TypeError, match=r"seeds is torch.float32 .* torch.float64"):
        fixed_points(net, seeds=x32)
    rnn = torch.nn.RNN(2, 3, batch_first=True).double()
    with pytest.raises(TypeError, match=r"h0 is torch.float32 .* torch.float64"):
        lyapunov_spectrum(
            rnn, torch.zeros(3, 5, 2, dtype=torch.float64), h0=x32[:, :1].repeat(1, 3)
        )
    with pytest.raises(TypeError, match=r"inputs is torch.float32 .* torch.float64"):
        lyapunov_spectrum(rnn, torch.zeros(3, 5, 2, dtype=torch.float32))


def test_box_or_low_high_give_the_same_answers():
    f = LinearMap(torch.tensor([[0.5, 0.1], [0.0, 0.8]], dtype=torch.float64))
    a = fixed_points(f, low=(-1.0, -1.0), high=(1.0, 1.0), resolution=4)
    b = fixed_points(f, low=Box((-1.0, -1.0), (1.0, 1.0)), resolution=4)
    # The same seeds and the same Newton steps; LAPACK's solve is not bitwise reproducible across
    # memory alignments (CI found 0 against -1.1e-16 = eps/2), so equal to a few ulps of the box.
    ulps = 4 * torch.finfo(torch.float64).eps
    torch.testing.assert_close(a.stack(), b.stack(), rtol=0, atol=ulps)
    ra = basins(f, (-1.0, -1.0), (1.0, 1.0), resolution=5, steps=30)
    rb = basins(f, Box((-1.0, -1.0), (1.0, 1.0)), resolution=5, steps=30)
    assert torch.equal(ra.labels, rb.labels)
    with pytest.raises(ValueError, match="dimensions"):
        classify_attractor(f, Box((0.0,), (1.0,)))
