"""Attractors by recurrence and basins in any dimension, checked against analytic values.

References used (none produced by the code under test): the logistic map's 2-cycle
x± = ((r+1) ± √((r+1)(r−3)))/(2r) with multiplier 4 + 2r − r²; its 4-cycle at r = 3.5 as the
real roots of f⁴(x) − x (numpy's polynomial roots) of minimal period 4; the fixed point
(I − A)⁻¹ b of an affine map (numpy solve) with multiplier ρ(A) (numpy eigvals); the root of
r = tanh(2r) (scipy brentq); the Hénon map's largest Lyapunov exponent 0.41922 (published); the
escape set of x ↦ x² (|x| > 1); basin fractions of a symmetric bistable map (1/2, binomial s.e.).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from numpy.polynomial import polynomial as P
from scipy.optimize import brentq

from neurodyn.dynamics import (
    ATTRACTOR_TYPES,
    Box,
    attractors,
    basins,
    classify_attractor,
    fixed_points,
)
from neurodyn.systems import Henon, LinearMap, as_map
from test_dynamics import AttractingCircle

F64 = torch.float64
HENON_LYAPUNOV = 0.41922


def tanh_root(a: float = 2.0) -> float:
    return brentq(lambda r: r - math.tanh(a * r), 1e-3, 10.0, xtol=1e-15, rtol=1e-15)


def logistic(r: float):
    return as_map(lambda h: r * h * (1 - h), dim=1, dtype=F64)


def logistic_two_cycle(r: float) -> list[float]:
    d = math.sqrt((r + 1) * (r - 3))
    return sorted([(r + 1 - d) / (2 * r), (r + 1 + d) / (2 * r)])


def logistic_stable_four_cycle(r: float) -> list[float]:
    """Real roots of f⁴(x) − x in (0, 1) with minimal period 4 and |∏ f'| < 1."""
    f = np.array([0.0, r, -r])  # r x − r x²
    g = np.array([0.0, 1.0])
    for _ in range(4):
        g = _compose(f, g)
    roots = P.polyroots(P.polysub(g, [0.0, 1.0]))
    out = []
    for z in roots:
        if abs(z.imag) > 1e-9 or not 0 < z.real < 1:
            continue
        x = z.real
        orbit = [x]
        for _ in range(3):
            orbit.append(r * orbit[-1] * (1 - orbit[-1]))
        if min(abs(orbit[k] - x) for k in (1, 2)) < 1e-6:
            continue  # period 1 or 2
        mult = abs(np.prod([r * (1 - 2 * y) for y in orbit]))
        if mult < 1:
            for _ in range(5):  # Newton on f⁴(x) − x: the degree-16 roots are only ~1e-7 accurate
                y, d = x, 1.0
                for _ in range(4):
                    d *= r * (1 - 2 * y)
                    y = r * y * (1 - y)
                x -= (y - x) / (d - 1)
            out.append(x)
    return sorted(set(np.round(out, 12)))


def _compose(f, g):
    """Coefficients of f(g(x)) for a quadratic f with f[0] = 0."""
    return P.polyadd(P.polymul([f[1]], g), P.polymul([f[2]], P.polymul(g, g)))


class Product10:
    """A 10-D decoupled product: x₁ ↦ tanh(2x₁) (stable ±r*), x₂ ↦ 3.2 x₂(1 − x₂) (stable
    2-cycle), x_i ↦ ½ x_i + c_i for i ≥ 3 (fixed at 2c_i). Attractors: two 2-cycles
    (±r*, x±, 2c), the sign of x₁ picks which."""

    dim = 10
    dt = 1.0

    def __init__(self):
        self.c = torch.linspace(-0.4, 0.4, 8, dtype=F64)

    def step(self, h, x=None):
        return torch.cat(
            [torch.tanh(2 * h[:, :1]), 3.2 * h[:, 1:2] * (1 - h[:, 1:2]), 0.5 * h[:, 2:] + self.c],
            dim=1,
        )

    def jacobian(self, h, x=None):
        d = torch.cat(
            [
                2 / torch.cosh(2 * h[:, :1]) ** 2,
                3.2 * (1 - 2 * h[:, 1:2]),
                torch.full_like(h[:, 2:], 0.5),
            ],
            dim=1,
        )
        return torch.diag_embed(d)


class HenonTimesContraction:
    """Hénon in (x₁, x₂) times x_i ↦ 0.3 x_i (i = 3..10): one chaotic attractor, λ₁ of Hénon."""

    dim = 10
    dt = 1.0

    def step(self, h, x=None):
        a, b = 1.4, 0.3
        return torch.cat([1 - a * h[:, :1] ** 2 + h[:, 1:2], b * h[:, :1], 0.3 * h[:, 2:]], dim=1)

    def jacobian(self, h, x=None):
        J = torch.zeros(h.shape[0], 10, 10, dtype=h.dtype)
        J[:, 0, 0] = -2.8 * h[:, 0]
        J[:, 0, 1] = 1.0
        J[:, 1, 0] = 0.3
        idx = torch.arange(2, 10)
        J[:, idx, idx] = 0.3
        return J


# ----------------------------------------------------------------------------------------------
# attractors


def test_logistic_two_cycle_at_r_3_2():
    r = 3.2
    res = attractors(logistic(r), box=Box((0.01,), (0.99,)), samples=100, steps=300, window=200)
    assert len(res) == 1 and res.fractions()["attractor_0"] == 1.0
    a = res[0]
    assert a.kind == "cycle" and a.period == 2
    assert sorted(a.points[:, 0].tolist()) == pytest.approx(logistic_two_cycle(r), abs=1e-9)
    assert a.multiplier == pytest.approx(abs(4 + 2 * r - r * r), abs=1e-9)
    assert a.lyapunov == pytest.approx(0.5 * math.log(abs(4 + 2 * r - r * r)), abs=1e-9)


def test_logistic_four_cycle_at_r_3_5():
    r = 3.5
    res = attractors(logistic(r), box=Box((0.01,), (0.99,)), samples=100, steps=300, window=200)
    assert len(res) == 1
    a = res[0]
    assert a.kind == "cycle" and a.period == 4
    expected = logistic_stable_four_cycle(r)
    assert len(expected) == 4
    assert sorted(a.points[:, 0].tolist()) == pytest.approx(expected, abs=1e-12)
    # orbit order: each point maps to the next
    nxt = r * a.points[:, 0] * (1 - a.points[:, 0])
    assert torch.allclose(nxt, torch.roll(a.points[:, 0], -1), atol=1e-8)


def test_contracting_affine_map_fixed_point_in_3d():
    A = np.array([[0.5, 0.2, 0.0], [-0.1, 0.3, 0.2], [0.0, 0.1, -0.4]])
    b = np.array([1.0, -0.5, 0.25])
    f = as_map(lambda h: h @ torch.from_numpy(A).T + torch.from_numpy(b), dim=3, dtype=F64)
    res = attractors(f, box=Box((-3.0,) * 3, (3.0,) * 3), samples=64, steps=200, window=50)
    assert len(res) == 1 and res[0].kind == "fixed_point" and res[0].period == 1
    assert np.allclose(res[0].points[0].numpy(), np.linalg.solve(np.eye(3) - A, b), atol=1e-12)
    assert res[0].multiplier == pytest.approx(np.abs(np.linalg.eigvals(A)).max(), abs=1e-12)


def test_henon_chaotic_attractor():
    res = attractors(Henon(), box=Box((-0.5, -0.2), (0.5, 0.2)), samples=40)
    assert len(res) == 1 and res.fractions()["attractor_0"] == 1.0
    a = res[0]
    assert a.kind == "chaotic" and a.period is None and a.multiplier is None
    assert a.lyapunov == pytest.approx(HENON_LYAPUNOV, abs=0.05)
    # the attractor lies in |x| < 1.3, |y| < 0.39 (y = b·x of the previous point)
    assert float(a.points[:, 0].abs().max()) < 1.3
    assert float(a.points[:, 1].abs().max()) < 0.39
    assert a.cells > 50


def test_escaping_starts_of_x_squared():
    """x ↦ x²: |x₀| < 1 → 0 (multiplier 0), |x₀| > 1 escapes; the labels say so per start."""
    f = as_map(lambda h: h * h, dim=1, dtype=F64)
    res = attractors(f, box=Box((-2.0,), (2.0,)), samples=200, steps=100, window=20)
    x0 = res.starts[:, 0]
    assert len(res) == 1 and res[0].kind == "fixed_point"
    assert res[0].points.tolist() == [[0.0]] and res[0].multiplier == 0.0
    assert torch.equal(res.labels, torch.where(x0.abs() < 1, 0, -1))
    fr, se = res.fractions(), res.stderr()
    p = float((x0.abs() < 1).double().mean())
    assert fr["attractor_0"] == p and fr["divergent"] == 1 - p
    assert se["divergent"] == pytest.approx(math.sqrt(p * (1 - p) / 200), rel=1e-12)


def test_quasi_periodic_attracting_circle():
    box = Box((-2.0, -2.0), (2.0, 2.0))
    res = attractors(AttractingCircle(), box=box, samples=16, steps=200, window=400)
    assert len(res) == 1
    a = res[0]
    assert a.kind == "quasi_periodic" and abs(a.lyapunov) < 0.01
    assert torch.allclose(a.points.norm(dim=1), torch.ones(a.points.shape[0], dtype=F64), atol=1e-6)


def test_ten_dimensional_product_of_known_maps():
    r = tanh_root(2.0)
    f = Product10()
    box = Box((-1.0, 0.05, *([-1.0] * 8)), (1.0, 0.95, *([1.0] * 8)))
    res = attractors(f, box=box, samples=150, steps=200, window=100)
    assert [a.kind for a in res] == ["cycle", "cycle"] and [a.period for a in res] == [2, 2]
    xm, xp = logistic_two_cycle(3.2)
    fixed = (2 * f.c).tolist()
    for a, sign in zip(res, (-1, 1), strict=True):
        got = sorted(a.points.tolist())
        want = sorted([[sign * r, xm, *fixed], [sign * r, xp, *fixed]])
        assert np.allclose(got, want, atol=1e-9)
        # multiplier: product of the coordinate multipliers' largest: logistic's 0.16 vs ¼ vs slope²
        slope = 2 * (1 - r * r)
        assert a.multiplier == pytest.approx(max(0.16, 0.25, slope**2), abs=1e-9)
    x1 = res.starts[:, 0]
    assert torch.equal(res.labels, (x1 > 0).long())
    fr, se = res.fractions(), res.stderr()
    assert abs(fr["attractor_0"] - 0.5) <= 3 * se["attractor_0"]


def test_ten_dimensional_chaotic_product():
    box = Box((-0.5, -0.2, *([-1.0] * 8)), (0.5, 0.2, *([1.0] * 8)))
    res = attractors(HenonTimesContraction(), box=box, samples=20, steps=500, window=1000)
    assert [a.kind for a in res] == ["chaotic"]
    assert res[0].lyapunov == pytest.approx(HENON_LYAPUNOV, abs=0.05)
    assert float(res[0].points[:, 2:].abs().max()) < 1e-100  # contracted away


def test_attractor_types_and_input_checks():
    assert ATTRACTOR_TYPES == ("fixed_point", "cycle", "quasi_periodic", "chaotic")
    with pytest.raises(ValueError, match="starts"):
        attractors(Henon())
    with pytest.raises(ValueError, match="dimensions"):
        attractors(Henon(), box=Box((0.0,), (1.0,)))
    with pytest.raises(ValueError, match=r"starts must have shape \(B, 2\)"):
        attractors(Henon(), torch.zeros(3, 3, dtype=F64))
    with pytest.raises(ValueError, match="cell_size"):
        attractors(Henon(), torch.zeros(3, 2, dtype=F64), cell_size=(0.1,))


# ----------------------------------------------------------------------------------------------
# basins


def bistable(dim: int):
    return as_map(lambda h: torch.tanh(2 * h), dim=dim, dtype=F64)


def test_basin_fractions_of_symmetric_bistable_map_are_half_with_stderr():
    res = basins(bistable(2), [(-1, 1), (-1, 1)], samples=400, steps=100, window=50)
    r = tanh_root(2.0)
    assert res.kinds == ("fixed_point",) * 4  # (±r, ±r)
    x0 = res.starts
    assert res.sampled and res.labels.shape == (400,)
    for k, p in enumerate(res.attractors):
        assert torch.allclose(p.abs(), torch.full((2,), r, dtype=F64), atol=1e-12)
        mine = (torch.sign(x0) == torch.sign(p)).all(dim=1)
        assert torch.equal(res.labels == k, mine)
    # the basin of x₁ > 0 is half of the box
    right = float(sum(res.fractions()[f"attractor_{k}"] for k in (2, 3)))
    se = math.sqrt(0.25 / 400)
    assert abs(right - 0.5) <= 3 * se
    assert res.stderr()["attractor_0"] == pytest.approx(
        math.sqrt(res.fractions()["attractor_0"] * (1 - res.fractions()["attractor_0"]) / 400)
    )


def test_basins_of_a_fixed_point_and_a_cycle_on_a_grid():
    """x₁ ↦ tanh(2x₁); x₂ ↦ 3.2 x₂(1 − x₂) where x₁ > 0, else ½ x₂: the left half-plane goes to
    the fixed point (−r, 0), the right half to the 2-cycle (r, x±) — a cycle gets a basin."""
    r = tanh_root(2.0)

    def step(h):
        x1, x2 = h[:, 0], h[:, 1]
        return torch.stack(
            [torch.tanh(2 * x1), torch.where(x1 > 0, 3.2 * x2 * (1 - x2), 0.5 * x2)], 1
        )

    f = as_map(step, dim=2, dtype=F64)
    res = basins(f, (-1.0, 0.05), (1.0, 0.95), resolution=20, steps=200, window=100)
    assert res.kinds == ("fixed_point", "cycle")
    assert torch.allclose(res.attractors[0], torch.tensor([-r, 0.0], dtype=F64), atol=1e-12)
    assert res.found[1].period == 2
    X = res.xs.unsqueeze(0).expand(len(res.ys), -1)
    assert torch.equal(res.labels, (X > 0).long())
    assert res.stderr() == {}  # a grid: fractions are areas, not estimates


def test_basins_on_a_slice_of_a_3d_map():
    res = basins(
        bistable(3), [(-1, 1)] * 3, resolution=8, steps=100, window=50, dims=(0, 2), at=[0, 0.3, 0]
    )
    assert res.labels.shape == (8, 8) and res.dims == (0, 2)
    assert res.at.tolist() == [0.0, 0.3, 0.0]
    X = res.xs.unsqueeze(0).expand(8, -1)
    Z = res.ys.unsqueeze(1).expand(-1, 8)
    for k, p in enumerate(res.attractors):
        assert float(p[1]) > 0  # every slice start has x₂ = 0.3 > 0
        mine = (torch.sign(X) == torch.sign(p[0])) & (torch.sign(Z) == torch.sign(p[2]))
        assert torch.equal(res.labels == k, mine)


def test_basins_with_given_starts_and_fixed_point_targets():
    r = tanh_root(2.0)
    starts = torch.tensor([[0.3, -0.2], [-0.7, 0.9]], dtype=F64)
    targets = fixed_points(bistable(2), low=(-1.0, -1.0), high=(1.0, 1.0), resolution=5)
    res = basins(bistable(2), starts=starts, attractors=targets, steps=100)
    assert res.attractors.shape == (4, 2)
    got = res.attractors[res.labels]
    assert torch.allclose(got, r * torch.sign(starts), atol=1e-9)


# ----------------------------------------------------------------------------------------------
# classify_attractor: dimension guard and own starts


def test_classify_attractor_refuses_a_huge_grid_and_takes_starts():
    f = LinearMap(0.5 * torch.eye(10, dtype=F64))
    box = Box((-1.0,) * 10, (1.0,) * 10)
    with pytest.raises(ValueError, match=r"6\.19e\+10 trajectories .* TB .*starts="):
        classify_attractor(f, box)
    res = classify_attractor(f, starts=box.sample(40), transient=100, window=50)
    assert res.kind == "point" and res.evidence["trajectories"] == 40
    assert res.evidence["max_lyapunov"] == pytest.approx(math.log(0.5), abs=1e-12)


# ----------------------------------------------------------------------------------------------
# progress


def _recorder():
    calls: list[tuple[int, int]] = []
    return calls, lambda done, total: calls.append((done, total))


def _check_progress(calls):
    assert calls, "progress was never called"
    done = [d for d, _ in calls]
    totals = {t for _, t in calls}
    assert len(totals) == 1
    assert all(b > a for a, b in itertools.pairwise(done)), "done must increase"
    assert done[-1] == totals.pop()


@pytest.mark.parametrize(
    "what", ["attractors", "basins", "basins_targets", "fixed_points", "classify"]
)
def test_progress_increases_and_ends_at_total(what):
    calls, progress = _recorder()
    f = bistable(2)
    if what == "attractors":
        attractors(
            f, box=Box((-1.0, -1.0), (1.0, 1.0)), samples=20, steps=10, window=10, progress=progress
        )
    elif what == "basins":
        basins(f, (-1.0, -1.0), (1.0, 1.0), resolution=5, steps=10, window=10, progress=progress)
    elif what == "basins_targets":
        basins(
            f,
            (-1.0, -1.0),
            (1.0, 1.0),
            resolution=5,
            steps=10,
            attractors=torch.zeros(1, 2, dtype=F64),
            progress=progress,
        )
    elif what == "fixed_points":
        fixed_points(f, low=(-1.0, -1.0), high=(1.0, 1.0), resolution=4, progress=progress)
    else:
        classify_attractor(
            f, (-1.0, -1.0), (1.0, 1.0), resolution=3, transient=10, window=10, progress=progress
        )
    _check_progress(calls)


@pytest.mark.parametrize("scale", [5, 2**40], ids=["mixed-radix key", "column ranks"])
def test_row_ids_number_distinct_rows_like_torch_unique(scale):
    from neurodyn.dynamics._recurrence import row_ids

    gen = torch.Generator().manual_seed(7)
    rows = torch.randint(-scale, scale, (400, 4), generator=gen)
    rows = torch.cat([rows, rows[:100]])  # repeated rows must share ids
    ids, n = row_ids(rows)
    _, ref = torch.unique(rows, dim=0, return_inverse=True)
    assert n == int(ref.max()) + 1
    # the same partition of rows: ids ↔ ref is a bijection
    pairs = set(zip(ids.tolist(), ref.tolist(), strict=True))
    assert len(pairs) == n == len({a for a, _ in pairs}) == len({b for _, b in pairs})
