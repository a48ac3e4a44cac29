"""Exact region enumeration over a box: tiling (volumes and sampling), agreement with the affine
form and autograd's activation pattern, brute force over all patterns, exact maxima ≥ grid
maxima, the complete fixed-point list against Newton, budgets, degenerate patterns."""

from __future__ import annotations

import itertools
import json
import os

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog
from scipy.spatial import ConvexHull, HalfspaceIntersection
from torch import nn

import neurodyn
from neurodyn.pwa import linear_regions, region_ids, region_of

F64 = torch.float64
EXTENSIVE = pytest.mark.skipif(
    not os.environ.get("NEURODYN_EXTENSIVE_TESTS"), reason="set NEURODYN_EXTENSIVE_TESTS=1"
)


def mlp(n, widths, act=nn.ReLU, seed=0, scale=1.0, out=None):
    torch.manual_seed(seed)
    dims = [n, *widths, n if out is None else out]
    mods: list[nn.Module] = []
    for a, b in itertools.pairwise(dims):
        mods += [nn.Linear(a, b), act()]
    net = nn.Sequential(*mods[:-1]).double().eval()
    with torch.no_grad():
        for m in net:
            if isinstance(m, nn.Linear):
                m.weight.mul_(scale)
    return net


def volume(region, low, high) -> float:
    """Exact volume of {H x ≤ c} ∩ box via HalfspaceIntersection + ConvexHull (2-D/3-D)."""
    n = len(low)
    eye = np.eye(n)
    A = np.vstack([region.H.numpy(), eye, -eye])
    c = np.concatenate([region.c.numpy(), np.asarray(high), -np.asarray(low)])
    hs = HalfspaceIntersection(np.hstack([A, -c[:, None]]), region.center.numpy())
    return float(ConvexHull(hs.intersections).volume)


def box_points(low, high, count, seed=0):
    g = torch.Generator().manual_seed(seed)
    lo, hi = torch.tensor(low, dtype=F64), torch.tensor(high, dtype=F64)
    return lo + (hi - lo) * torch.rand(count, len(low), generator=g, dtype=F64)


def check_tiling_by_sampling(net, regs, low, high, count=3000, same_pieces=False):
    """Every sampled point is in exactly one enumerated region, and two points share a region
    iff autograd's activation pattern (region_ids) says so — except that region_ids merges
    pieces with the same slope and intercept (Hardshrink's two outer pieces, ``same_pieces``):
    then the enumerated regions only refine its ids."""
    pts = box_points(low, high, count)
    idx = region_of(net, regs, pts)
    assert bool((idx >= 0).all()), "a sampled point's pattern is not an enumerated region"
    ids = region_ids(net, pts)
    pairs = set(zip(idx.tolist(), ids.tolist(), strict=True))
    assert len({a for a, _ in pairs}) == len(pairs)  # each region has one id
    if not same_pieces:
        assert len(pairs) == len({b for _, b in pairs})  # and each id one region
    # the point lies in the region's polytope, and f is that region's affine map there
    for i in torch.unique(idx)[:50].tolist():
        sel = pts[idx == i]
        r = regs[i]
        assert bool(r.contains(sel, tol=1e-9).all())
        torch.testing.assert_close(net(sel), sel @ r.A.T + r.b, atol=1e-10, rtol=1e-10)
    patterns = {tuple(r.pattern.tolist()) for r in regs}
    assert len(patterns) == len(regs)  # no pattern twice


@pytest.mark.parametrize(
    ("act", "widths"),
    [(nn.ReLU, [6, 5]), (lambda: nn.LeakyReLU(0.2), [5, 4]), (nn.Hardtanh, [4, 3])],
)
def test_regions_tile_the_square_exact_volumes(act, widths):
    net = mlp(2, widths, act, seed=1, scale=2.0)
    low, high = (-2.0, -1.5), (2.0, 2.5)
    regs = linear_regions(net, low, high)
    assert not regs.partial and len(regs) > 5
    total = sum(volume(r, low, high) for r in regs)
    assert total == pytest.approx(16.0, rel=1e-9)
    assert all(r.radius > regs.min_radius for r in regs)
    check_tiling_by_sampling(net, regs, low, high)


def test_regions_tile_a_cube():
    net = mlp(3, [6, 4], seed=2, scale=1.5)
    low, high = (-1.0, -1.0, -1.0), (1.0, 1.0, 1.0)
    regs = linear_regions(net, low, high)
    assert sum(volume(r, low, high) for r in regs) == pytest.approx(8.0, rel=1e-9)
    check_tiling_by_sampling(net, regs, low, high)


@pytest.mark.parametrize("act", [nn.ReLU, lambda: nn.LeakyReLU(0.1), lambda: nn.PReLU(4)])
def test_region_A_b_equal_linearize_at_interior_points(act):
    net = mlp(2, [4, 4], act, seed=3, scale=2.0).double()
    regs = linear_regions(net, (-3, -3), (3, 3))
    assert regs.affine_constant
    x = torch.stack([r.center for r in regs])
    form = neurodyn.linearize(net, x)
    A, b = regs.stack()
    torch.testing.assert_close(form.A, A, atol=1e-12, rtol=1e-12)
    torch.testing.assert_close(form.b, b, atol=1e-12, rtol=1e-12)


def test_hardtanh_A_is_the_jacobian_not_the_secant():
    net = mlp(2, [4], nn.Hardtanh, seed=4, scale=3.0)
    regs = linear_regions(net, (-2, -2), (2, 2))
    assert not regs.affine_constant
    x = torch.stack([r.center for r in regs])
    jac = torch.func.vmap(torch.func.jacrev(net))(x)
    torch.testing.assert_close(jac, regs.stack()[0], atol=1e-12, rtol=1e-12)


def brute_force_count(net, low, high, min_radius) -> int:
    """All pieces^units patterns, each tested by one Chebyshev LP (scipy), independently."""
    lins = [m for m in net if isinstance(m, nn.Linear)]
    acts = [m for m in net if not isinstance(m, nn.Linear)]
    assert all(isinstance(a, nn.ReLU) for a in acts)
    n = len(low)
    sizes = [m.out_features for m in lins[:-1]]
    count = 0
    for pat in itertools.product((0, 1), repeat=sum(sizes)):
        rows, rhs = [], []
        P, q = np.eye(n), np.zeros(n)
        off = 0
        for lin, k in zip(lins[:-1], sizes, strict=True):
            W, b = lin.weight.detach().numpy(), lin.bias.detach().numpy()
            P, q = W @ P, W @ q + b
            on = np.array(pat[off : off + k])
            off += k
            sign = np.where(on == 1, -1.0, 1.0)  # on: z ≥ 0 ⇔ −z ≤ 0
            rows.append(sign[:, None] * P)
            rhs.append(-sign * q)
            P, q = on[:, None] * P, on * q
        R, c = np.vstack(rows), np.concatenate(rhs)
        norm = np.linalg.norm(R, axis=1)
        keep = norm > 0
        if not np.all(c[~keep] >= 0):
            continue
        R, c = R[keep] / norm[keep, None], c[keep] / norm[keep]
        eye = np.eye(n)
        A = np.vstack(
            [
                np.hstack([R, np.ones((len(c), 1))]),
                np.hstack([eye, np.ones((n, 1))]),
                np.hstack([-eye, np.ones((n, 1))]),
            ]
        )
        bb = np.concatenate([c, high, -np.asarray(low)])
        cost = np.zeros(n + 1)
        cost[n] = -1
        res = linprog(cost, A_ub=A, b_ub=bb, bounds=[(None, None)] * n + [(None, 10.0)])
        if res.status == 0 and res.x[n] > min_radius:
            count += 1
    return count


@pytest.mark.parametrize(("n", "widths", "seed"), [(2, [3, 3], 0), (2, [4, 3], 5), (3, [3, 3], 1)])
def test_count_equals_brute_force_over_all_patterns(n, widths, seed):
    net = mlp(n, widths, seed=seed, scale=2.0)
    low, high = [-2.0] * n, [2.0] * n
    regs = linear_regions(net, low, high)
    assert len(regs) == brute_force_count(net, low, high, regs.min_radius)


def test_zero_volume_pattern_is_not_a_region():
    # z1 = x1 and z2 = −x1: the pattern (on, on) is feasible only on the line x1 = 0
    net = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2)).double()
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.0, 0.0], [-1.0, 0.0]]))
        net[0].bias.zero_()
    regs = linear_regions(net, (-1, -1), (1, 1))
    assert sorted(tuple(r.pattern.tolist()) for r in regs) == [(0, 1), (1, 0)]
    # a point on the breakpoint gets autograd's piece (ReLU'(0) = 0: off) for both units, the
    # zero-volume pattern (0, 0); it lies in the closure of both regions but is none of them
    on_line = torch.tensor([[0.0, 0.3]], dtype=F64)
    assert neurodyn.pwa.activation_pattern(net, on_line)[0, :2].tolist() == [0.0, 0.0]
    assert region_of(net, regs, on_line).tolist() == [-1]


def test_tie_rule_matches_activation_pattern_on_breakpoints():
    net = nn.Sequential(nn.Linear(2, 2), nn.Hardtanh(-0.5, 0.5), nn.Linear(2, 2)).double()
    with torch.no_grad():
        net[0].weight.copy_(torch.eye(2, dtype=F64))
        net[0].bias.zero_()
    regs = linear_regions(net, (-1, -1), (1, 1))
    assert len(regs) == 9
    pts = torch.tensor([[0.5, 0.0], [-0.5, 0.0], [0.5, 0.5], [-0.5, 0.7]], dtype=F64)
    idx = region_of(net, regs, pts)
    slopes = neurodyn.pwa.activation_pattern(net, pts)[:, :2]  # (slopes, intercepts)
    for k in range(pts.shape[0]):
        r = regs[int(idx[k])]
        expect = torch.diag(slopes[k])  # the region's Jacobian at the tie = autograd's
        torch.testing.assert_close(torch.linalg.solve(net[2].weight.detach(), r.A), expect)


def test_exact_max_rho_bounds_the_grid_and_equals_it_where_hit():
    for seed in range(2):
        net = mlp(2, [8, 8], seed=seed, scale=1.5)
        low, high = (-2.0, -2.0), (2.0, 2.0)
        regs = linear_regions(net, low, high)
        A, _ = regs.stack()
        rho = torch.linalg.eigvals(A).abs().amax(dim=1)
        pts = neurodyn.dynamics.Box(low, high).grid(121)
        grid_rho = neurodyn.linearize(net, pts).spectral_radius()
        assert float(rho.max()) >= float(grid_rho.max()) - 1e-12
        k = int(rho.argmax())
        hit = region_of(net, regs, pts) == k
        if bool(hit.any()):
            assert float(grid_rho[hit].max()) == pytest.approx(float(rho[k]), rel=1e-12)


@pytest.mark.parametrize(("act", "seed"), [(nn.ReLU, 0), (nn.Hardtanh, 1), (nn.ReLU, 7)])
def test_exact_fixed_points_contain_every_newton_fixed_point(act, seed):
    net = mlp(2, [8, 8], act, seed=seed, scale=2.0)
    low, high = (-2.0, -2.0), (2.0, 2.0)
    exact = linear_regions(net, low, high).fixed_points()
    newton = neurodyn.fixed_points(net, low=low, high=high, resolution=10)
    inside = [p for p in newton.points if bool(((p.x >= -2) & (p.x <= 2)).all())]
    for p in inside:
        dist = [float((q.x - p.x).abs().max()) for q in exact]
        assert min(dist) < 1e-8, (p.x, [q.x for q in exact])
    for q in exact:  # and each exact one is a fixed point of the net
        torch.testing.assert_close(net(q.x[None])[0], q.x, atol=1e-10, rtol=0)


def test_budget_gives_partial_result_with_reason():
    net = mlp(2, [8, 8], seed=0, scale=2.0)
    with pytest.warns(RuntimeWarning, match="stopped early"):
        regs = linear_regions(net, (-2, -2), (2, 2), max_regions=10)
    assert regs.partial and "max_regions=10" in regs.reason and len(regs) == 10
    with pytest.raises(ValueError, match="not the complete list"):
        regs.fixed_points()
    assert isinstance(regs.fixed_points(allow_partial=True), tuple)
    with pytest.warns(RuntimeWarning, match="time_limit"):
        regs = linear_regions(net, (-2, -2), (2, 2), time_limit=0.0)
    assert regs.partial
    full = linear_regions(net, (-2, -2), (2, 2), max_regions=10_000)
    assert not full.partial and full.reason is None


def test_progress_reports_first_layer_cells():
    calls = []
    net = mlp(2, [6, 6], seed=0)
    linear_regions(net, (-2, -2), (2, 2), progress=lambda d, t: calls.append((d, t)))
    assert calls and calls[-1][0] == calls[-1][1] > 0


def test_smooth_activation_raises_with_reason():
    net = mlp(2, [4], nn.Tanh)
    with pytest.raises(ValueError, match="not piecewise linear"):
        linear_regions(net, (-1, -1), (1, 1))


def test_deprecated_points_call_warns_and_returns_ids():
    net = mlp(2, [4], seed=0)
    x = box_points((-1, -1), (1, 1), 50)
    with pytest.warns(DeprecationWarning, match="region_ids"):
        ids = linear_regions(net, x)
    assert torch.equal(ids, region_ids(net, x))


def test_box_forms_and_errors():
    net = mlp(2, [4], seed=0)
    a = linear_regions(net, [(-1, 1), (-1, 1)])
    b = linear_regions(net, neurodyn.dynamics.Box((-1, -1), (1, 1)))
    assert len(a) == len(b)
    with pytest.raises(ValueError, match="3 dimensions"):
        linear_regions(net, (-1, -1, -1), (1, 1, 1))
    assert "complete" in repr(a) and "radius" in repr(a[0])
    d = json.loads(json.dumps(a.to_dict()))
    assert d["count"] == len(a) and len(d["regions"][0]["pattern"]) == 4


@settings(max_examples=12)
@given(
    seed=st.integers(0, 10_000),
    widths=st.lists(st.integers(1, 5), min_size=1, max_size=2),
    act=st.sampled_from(["ReLU", "LeakyReLU", "Hardtanh", "ReLU6", "Softshrink", "Hardshrink"]),
    half=st.floats(0.5, 3.0),
)
def test_property_regions_tile_the_box(seed, widths, act, half):
    make = {
        "ReLU": nn.ReLU,
        "LeakyReLU": lambda: nn.LeakyReLU(0.3),
        "Hardtanh": nn.Hardtanh,
        "ReLU6": nn.ReLU6,
        "Softshrink": lambda: nn.Softshrink(0.3),
        "Hardshrink": lambda: nn.Hardshrink(0.3),
    }[act]
    net = mlp(2, widths, make, seed=seed, scale=2.0)
    low, high = (-half, -0.5 * half), (half, 1.5 * half)
    regs = linear_regions(net, low, high)
    total = sum(volume(r, low, high) for r in regs)
    assert total == pytest.approx(2 * half * 2 * half, rel=1e-7)
    check_tiling_by_sampling(net, regs, low, high, count=500, same_pieces=act == "Hardshrink")


@EXTENSIVE
@pytest.mark.parametrize(("n", "widths"), [(2, [16, 16]), (3, [10, 10]), (4, [8, 8, 8])])
def test_extensive_sampling_tiling_and_linearize(n, widths):
    net = mlp(n, widths, seed=3, scale=1.5)
    low, high = [-2.0] * n, [2.0] * n
    regs = linear_regions(net, low, high)
    check_tiling_by_sampling(net, regs, low, high, count=20000)
    x = torch.stack([r.center for r in regs])
    torch.testing.assert_close(neurodyn.linearize(net, x).A, regs.stack()[0])
    if n <= 3:
        assert sum(volume(r, low, high) for r in regs) == pytest.approx(4.0**n, rel=1e-8)


@EXTENSIVE
def test_extensive_brute_force_larger():
    net = mlp(2, [6, 6], seed=11, scale=2.0)
    regs = linear_regions(net, [-2.0, -2.0], [2.0, 2.0])
    assert len(regs) == brute_force_count(net, [-2.0, -2.0], [2.0, 2.0], regs.min_radius)


def test_scipy_fallback_finds_the_same_regions():
    """Without highspy the same walk runs on scipy's linprog (same HiGHS, rebuilt per LP)."""
    from neurodyn.pwa._enumerate import enumerate_regions
    from neurodyn.pwa._regions import _stages

    net = mlp(2, [5, 4], seed=2, scale=2.0)
    stages, W, b, _ = _stages(net)
    lo, hi = np.array([-2.0, -2.0]), np.array([2.0, 2.0])
    kw = dict(min_radius=4e-6, witnesses=512, seed=0, max_regions=None, time_limit=None)
    fast, *_ = enumerate_regions(stages, W, b, lo, hi, progress=None, **kw)
    slow, *_ = enumerate_regions(stages, W, b, lo, hi, progress=None, use_highspy=False, **kw)
    assert sorted(tuple(f.pattern) for f in fast) == sorted(tuple(f.pattern) for f in slow)
