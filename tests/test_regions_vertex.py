"""The vertex-set path of the region enumeration against independent answers: brute force over
every activation pattern (one LP each), brute-force vertex enumeration of a cut cube, and the
LP path; on degenerate nets too (integer weights: duplicated and parallel hyperplanes,
hyperplanes through box corners and through each other's intersections, zero rows)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog
from torch import nn

from neurodyn.pwa import _enumerate, _vertices, linear_regions
from neurodyn.pwa._vertices import box_cell, split

F64 = torch.float64


def relu_net(weights: list[np.ndarray], biases: list[np.ndarray]) -> nn.Sequential:
    mods: list[nn.Module] = []
    for W, b in zip(weights, biases, strict=True):
        lin = nn.Linear(W.shape[1], W.shape[0]).double()
        with torch.no_grad():
            lin.weight.copy_(torch.as_tensor(W, dtype=F64))
            lin.bias.copy_(torch.as_tensor(b, dtype=F64))
        mods += [lin, nn.ReLU()]
    out = nn.Linear(weights[-1].shape[0], 1).double()
    return nn.Sequential(*mods, out).eval()


def cheb_radius(R: np.ndarray, c: np.ndarray, low, high) -> float:
    n = len(low)
    eye = np.eye(n)
    A = np.vstack(
        [
            np.hstack([R, np.ones((len(c), 1))]),
            np.hstack([eye, np.ones((n, 1))]),
            np.hstack([-eye, np.ones((n, 1))]),
        ]
    )
    b = np.concatenate([c, high, -np.asarray(low)])
    cost = np.zeros(n + 1)
    cost[n] = -1
    res = linprog(cost, A_ub=A, b_ub=b, bounds=[(None, None)] * n + [(None, 10.0)])
    return float(res.x[n]) if res.status == 0 else -np.inf


def brute_patterns(weights, biases, low, high, min_radius) -> set[tuple[int, ...]]:
    """Every ReLU pattern whose polytope holds a ball of radius > min_radius (one LP each); a
    unit with a zero row is constant, on iff its value is > 0 (ReLU'(0) = 0, the tie rule)."""
    n = len(low)
    sizes = [W.shape[0] for W in weights]
    found = set()
    for pat in itertools.product((0, 1), repeat=sum(sizes)):
        rows, rhs, ok = [], [], True
        P, q, off = np.eye(n), np.zeros(n), 0
        for W, b, k in zip(weights, biases, sizes, strict=True):
            P, q = W @ P, W @ q + b
            on = np.array(pat[off : off + k])
            off += k
            norm = np.linalg.norm(P, axis=1)
            flat = norm == 0
            if np.any((q[flat] > 0) != (on[flat] == 1)):
                ok = False
                break
            sign = np.where(on == 1, -1.0, 1.0)  # on: z ≥ 0 ⇔ −z ≤ 0
            rows.append((sign[:, None] * P)[~flat] / norm[~flat, None])
            rhs.append((-sign * q)[~flat] / norm[~flat])
            P, q = on[:, None] * P, on * q
        if ok and cheb_radius(np.vstack(rows), np.concatenate(rhs), low, high) > min_radius:
            found.add(pat)
    return found


def patterns(regs) -> set[tuple[int, ...]]:
    pats = [tuple(r.pattern.tolist()) for r in regs]
    assert len(pats) == len(set(pats))
    return set(pats)


def integer_net(draw, n):
    """Small integer weights and biases: degenerate arrangements on the box [-1, 1]^n."""
    widths = [draw(st.integers(1, 4)), draw(st.integers(1, 3))]
    ints = st.integers(-2, 2)
    weights, biases, fan_in = [], [], n
    for w in widths:
        W = np.array(draw(st.lists(ints, min_size=w * fan_in, max_size=w * fan_in)), float)
        b = np.array(draw(st.lists(ints, min_size=w, max_size=w)), float)
        weights.append(W.reshape(w, fan_in))
        biases.append(b / 2)
        fan_in = w
    if draw(st.booleans()):  # duplicate a first-layer unit
        weights[0] = np.vstack([weights[0], weights[0][:1]])
        biases[0] = np.append(biases[0], biases[0][0])
        weights[1] = np.hstack([weights[1], weights[1][:, :1]])
    return weights, biases


@st.composite
def degenerate_case(draw):
    n = draw(st.sampled_from([2, 3, 4]))
    return (n, *integer_net(draw, n))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=degenerate_case())
def test_property_vertex_path_equals_brute_force_on_degenerate_nets(case):
    n, weights, biases = case
    low, high = [-1.0] * n, [1.0] * n
    regs = linear_regions(relu_net(weights, biases), low, high, method="vertex")
    assert patterns(regs) == brute_patterns(weights, biases, low, high, regs.min_radius)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.sampled_from([2, 3, 4]),
    seed=st.integers(0, 10_000),
    w1=st.integers(3, 10),
    w2=st.integers(1, 8),
)
def test_property_vertex_path_equals_lp_path_on_random_nets(n, seed, w1, w2):
    rng = np.random.default_rng(seed)
    weights = [rng.normal(size=(w1, n)), rng.normal(size=(w2, w1))]
    biases = [rng.normal(size=w1), rng.normal(size=w2)]
    net = relu_net(weights, biases)
    low, high = [-2.0] * n, [2.0] * n
    fast = linear_regions(net, low, high, method="vertex")
    slow = linear_regions(net, low, high, method="lp")
    assert patterns(fast) == patterns(slow)
    assert fast.lps <= slow.lps


NAMED = {  # first layer (rows, biases) on [-1, 1]², second layer (rows, biases)
    "duplicate": ([[1, 1], [1, 1], [1, -1]], [0.2, 0.2, 0], [[1, -1, 0.5], [0.5, 1, -1]]),
    "parallel": ([[1, 1], [2, 2], [1, -1]], [0.2, -0.3, 0], [[1, -1, 0.5], [0.5, 1, -1]]),
    # x + y = 0 and x − y = 0 pass through box corners, all three meet at the origin
    "through_corner": ([[1, 1], [1, -1], [0, 1]], [0, 0, 0], [[1, 1, -1], [1, -1, 1]]),
    "concurrent": ([[1, 0], [0, 1], [1, 1], [1, -1]], [0, 0, 0, 0], [[1, 1, -1, 1], [0, 1, 1, 1]]),
    "zero_rows": ([[0, 0], [1, 0.5], [0, 0]], [0, 0.1, 0.5], [[0, 0, 0], [1, -1, 0.5]]),
    "second_layer_dup": ([[1, 0.3], [-0.2, 1], [1, -1]], [0.1, 0.2, 0], [[1, -1, 0.5]] * 2),
}


@pytest.mark.parametrize("name", sorted(NAMED))
def test_named_degenerate_nets_equal_brute_force(name):
    W1, b1, W2 = (np.array(v, float) for v in NAMED[name])
    weights, biases = [W1, W2], [b1, np.array([0.1, 0.0])]
    low, high = [-1.0, -1.0], [1.0, 1.0]
    regs = linear_regions(relu_net(weights, biases), low, high, method="vertex")
    assert patterns(regs) == brute_patterns(weights, biases, low, high, regs.min_radius)


def vertices_by_brute_force(H: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Every feasible intersection of n facets of {H x ≤ c} (rounded, unique)."""
    n = H.shape[1]
    pts = []
    for idx in itertools.combinations(range(H.shape[0]), n):
        A = H[list(idx)]
        if abs(np.linalg.det(A)) < 1e-12:
            continue
        x = np.linalg.solve(A, c[list(idx)])
        if np.all(H @ x <= c + 1e-9):
            pts.append(x)
    return np.unique(np.round(np.array(pts), 9), axis=0)


@pytest.mark.parametrize("n", [2, 3, 4])
@pytest.mark.parametrize("seed", range(4))
def test_split_vertex_sets_equal_brute_force_vertex_enumeration(n, seed):
    """Six successive cuts of [-1, 1]^n by integer hyperplanes (through corners, edges and
    earlier vertices): each kept child's vertices and incidence match brute force."""
    rng = np.random.default_rng(seed)
    low, high = -np.ones(n), np.ones(n)
    H = np.zeros((2 * n, n))
    H[0::2], H[1::2] = np.eye(n), -np.eye(n)  # box_cell's facet order
    c = np.ones(2 * n)
    cell = box_cell(low, high)
    for _ in range(6):
        a = rng.integers(-2, 3, size=n).astype(float)
        if not a.any():
            continue
        beta = rng.integers(-1, 2) * 0.5
        a_n, b_n = a / np.linalg.norm(a), beta / np.linalg.norm(a)
        s = cell.V @ a_n - b_n
        if not ((s > 1e-9).any() and (s < -1e-9).any()):
            continue
        kids = split(cell, s, H.shape[0], 1e-9, 1e-5)
        assert kids is not None
        side = int(rng.integers(2))
        sign = 1.0 if side == 0 else -1.0  # child 0: a·x ≤ β, child 1: a·x ≥ β
        H, c = np.vstack([H, sign * a_n]), np.append(c, sign * b_n)
        cell = kids[side]
        want = vertices_by_brute_force(H, c)
        got = np.unique(np.round(cell.V, 9), axis=0)
        np.testing.assert_allclose(got, want, atol=1e-9)
        tight = np.abs(cell.V @ H.T - c) < 1e-9
        np.testing.assert_array_equal(tight, cell.T.astype(bool))


def test_a_broken_vertex_update_is_caught(monkeypatch):
    """The oracle can fail: dropping each cut's last new vertex changes the regions found."""
    rng = np.random.default_rng(3)
    weights = [rng.normal(size=(6, 3)), rng.normal(size=(3, 6))]
    biases = [rng.normal(size=6) * 0.5, rng.normal(size=3) * 0.5]
    net = relu_net(weights, biases)
    low, high = [-1.0] * 3, [1.0] * 3
    good = linear_regions(net, low, high, method="vertex")
    assert patterns(good) == brute_patterns(weights, biases, low, high, good.min_radius)
    real = _vertices.split

    def broken(cell, s, col, tol, guard):
        kids = real(cell, s, col, tol, guard)
        if kids is None:
            return None
        return tuple(k._replace(V=k.V[:-1], T=k.T[:-1]) for k in kids)

    monkeypatch.setattr(_enumerate, "split", broken)
    bad = linear_regions(net, low, high, method="vertex")
    assert patterns(bad) != patterns(good)


def test_ill_conditioned_cuts_fall_back_to_the_lp_path(monkeypatch):
    """With a guard no cut passes, every subtree is enumerated by the LP path: same regions."""
    net = relu_net(
        [np.array([[1.0, 0.2], [-0.3, 1.0], [1.0, 1.0]]), np.array([[1.0, -1.0, 0.5]])],
        [np.array([0.1, -0.2, 0.3]), np.array([0.05])],
    )
    want = patterns(linear_regions(net, (-1, -1), (1, 1), method="lp"))
    monkeypatch.setattr(_enumerate, "_VGUARD", 1e9)
    found, stats, *_ = _enumerate.enumerate_regions(
        *_stages_of(net),
        np.array([-1.0, -1.0]),
        np.array([1.0, 1.0]),
        min_radius=2e-6,
        witnesses=512,
        seed=0,
        max_regions=None,
        time_limit=None,
        progress=None,
        method="vertex",
    )
    assert stats.fallbacks > 0
    assert {tuple(f.pattern.tolist()) for f in found} == want


def _stages_of(net):
    from neurodyn.pwa._regions import _stages

    stages, W, b, _ = _stages(net)
    return stages, W, b


def test_vertex_path_needs_fewer_lps_and_auto_uses_it():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 6), nn.ReLU(), nn.Linear(6, 3))
    net = net.double()
    auto = linear_regions(net, [-2.0] * 3, [2.0] * 3)
    lp = linear_regions(net, [-2.0] * 3, [2.0] * 3, method="lp")
    assert patterns(auto) == patterns(lp)
    assert auto.lps < lp.lps / 2
    for a, b in zip(
        sorted(auto, key=lambda r: r.pattern.tolist()),
        sorted(lp, key=lambda r: r.pattern.tolist()),
        strict=True,
    ):
        assert a.radius == pytest.approx(b.radius, abs=1e-7)
        torch.testing.assert_close(a.A, b.A)


def test_method_is_validated():
    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)).double()
    with pytest.raises(ValueError, match="method must be one of"):
        linear_regions(net, (-1, -1), (1, 1), method="qhull")
    with pytest.raises(ValueError, match="min_radius"):
        linear_regions(net, (-1, -1), (1, 1), method="vertex", min_radius=1e-12)
    # below the vertex sets' resolution "auto" quietly takes the LP path
    assert len(linear_regions(net, (-1, -1), (1, 1), min_radius=1e-12)) >= 1
