"""Linear regions of piecewise-linear networks: counts against hyperplane-arrangement bounds,
constancy of the affine form on each region, piece identification, numbering."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from helpers import make_mlp
from neurodyn import linearize
from neurodyn.dynamics import grid_points
from neurodyn.pwa import activation_pattern, region_ids
from neurodyn.systems import as_map

F64 = torch.float64


def grid(n: int = 120, half: float = 4.0) -> torch.Tensor:
    """An even-resolution float64 grid over [−half, half]², so no point lies on an axis."""
    return grid_points((-half, -half), (half, half), n, dtype=F64)[2]


def identity_relu(k: int = 2) -> nn.Sequential:
    """Linear(2, k) with weight I (k = 2), bias 0, then ReLU: hyperplanes x1 = 0 and x2 = 0."""
    net = nn.Sequential(nn.Linear(2, k), nn.ReLU(), nn.Linear(k, 2)).double()
    with torch.no_grad():
        net[0].weight.copy_(torch.eye(2, dtype=F64))
        net[0].bias.zero_()
        net[2].weight.copy_(torch.tensor([[1.0, 2.0], [-3.0, 0.5]], dtype=F64))
        net[2].bias.copy_(torch.tensor([0.1, -0.2], dtype=F64))
    return net.eval()


@pytest.mark.parametrize("k", [1, 2, 3, 5, 8])
@pytest.mark.parametrize("seed", [0, 1])
def test_region_count_within_arrangement_bound(k, seed):
    net = make_mlp([2, k, 2], "ReLU", seed=seed)
    ids = region_ids(net, grid(150, 4.0))
    count = int(ids.max()) + 1
    assert 1 <= count <= 1 + k + k * (k - 1) // 2
    assert set(ids.tolist()) == set(range(count))


def test_two_hyperplanes_through_origin_give_four_quadrants():
    pts = grid(40, 3.0)
    ids = region_ids(identity_relu(), pts)
    assert int(ids.max()) + 1 == 4
    quadrant = (pts[:, 0] > 0).long() * 2 + (pts[:, 1] > 0).long()
    for q in range(4):
        in_q = ids[quadrant == q]
        assert in_q.numel() > 0
        assert bool((in_q == in_q[0]).all())  # each quadrant is one region
    reps = [int(ids[quadrant == q][0]) for q in range(4)]
    assert sorted(reps) == [0, 1, 2, 3]  # and different quadrants are different regions


def test_ids_numbered_by_first_appearance():
    net = identity_relu()
    # quadrants visited in the order (+,+), (−,+), (+,+), (−,−), (+,−), (−,+)
    pts = torch.tensor(
        [[1.0, 1.0], [-1.0, 2.0], [3.0, 0.5], [-1.0, -1.0], [2.0, -2.0], [-0.5, 0.5]], dtype=F64
    )
    assert region_ids(net, pts).tolist() == [0, 1, 0, 2, 3, 1]
    # reversed: (−,+), (+,−), (−,−), (+,+), (−,+), (+,+)
    assert region_ids(net, pts.flip(0)).tolist() == [0, 1, 2, 3, 0, 3]


@pytest.mark.parametrize("seed", [0, 3])
def test_ids_first_appearance_on_random_net(seed):
    net = make_mlp([2, 6, 5, 2], "ReLU", seed=seed)
    pts = torch.rand(2000, 2, dtype=F64) * 8 - 4
    ids = region_ids(net, pts).tolist()
    seen: list[int] = []
    for i in ids:
        if i not in seen:
            seen.append(i)
    assert seen == list(range(len(seen)))
    # the partition does not depend on the order of the points
    perm = torch.randperm(pts.shape[0])
    ids_perm = region_ids(net, pts[perm]).tolist()
    mapping: dict[int, int] = {}
    for a, b in zip([ids[int(p)] for p in perm], ids_perm, strict=True):
        assert mapping.setdefault(a, b) == b
    assert len(set(mapping.values())) == len(mapping)


@pytest.mark.parametrize("activation", ["ReLU", "LeakyReLU", "PReLU"])
def test_affine_form_constant_within_and_different_across_regions(activation):
    net = make_mlp([2, 6, 5, 2], activation, per_channel_prelu=True, seed=4)
    pts = grid(80, 4.0)
    ids = region_ids(net, pts)
    form = linearize(net, pts)
    A, b = form.A.detach(), form.b.detach()
    count = int(ids.max()) + 1
    assert count >= 4
    reps = []
    for r in range(count):
        mask = ids == r
        A_r, b_r = A[mask], b[mask]
        assert float((A_r - A_r[0]).abs().max()) <= 1e-12
        assert float((b_r - b_r[0]).abs().max()) <= 1e-12
        reps.append(torch.cat([A_r[0].reshape(-1), b_r[0]]))
    reps_t = torch.stack(reps)
    gaps = torch.cdist(reps_t, reps_t, p=float("inf"))
    gaps.fill_diagonal_(float("inf"))
    assert float(gaps.min()) > 1e-6  # every region has its own affine map


def test_hardtanh_flat_pieces_are_different_regions():
    # f(x) = Hardtanh(x): pieces x < −1 (value −1), |x| < 1 (x), x > 1 (value +1)
    net = nn.Sequential(nn.Linear(1, 1), nn.Hardtanh()).double()
    with torch.no_grad():
        net[0].weight.fill_(1.0)
        net[0].bias.zero_()
    x = torch.tensor([[-3.0], [-2.0], [-0.5], [0.5], [2.0], [3.0]], dtype=F64)
    assert region_ids(net, x).tolist() == [0, 0, 1, 1, 2, 2]
    pattern = activation_pattern(net, x)  # (slope, intercept)
    assert pattern.tolist() == [
        [0.0, -1.0],
        [0.0, -1.0],
        [1.0, 0.0],
        [1.0, 0.0],
        [0.0, 1.0],
        [0.0, 1.0],
    ]


def test_hardtanh_region_has_constant_jacobian_but_not_constant_secant_form():
    """Regions are pieces of the *function*: the Jacobian is constant on each, but A*(x) of
    linearize is the secant through σ(0) and varies along Hardtanh's flat pieces (Λ = 1/z)."""
    net = nn.Sequential(nn.Linear(1, 2), nn.Hardtanh(), nn.Linear(2, 1)).double()
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.0], [-1.0]], dtype=F64))
        net[0].bias.copy_(torch.tensor([0.0, 0.5], dtype=F64))
        net[2].weight.copy_(torch.tensor([[1.0, 2.0]], dtype=F64))
    x = torch.tensor([[2.0], [3.0], [4.0]], dtype=F64)  # z1 > 1, z2 < −1: both flat
    ids = region_ids(net, x)
    assert ids.tolist() == [0, 0, 0]
    # the Jacobian of the 1-D map x ↦ net(x) is constant (0 here: both units saturated) ...
    assert as_map(net).jacobian(x).tolist() == [[[0.0]], [[0.0]], [[0.0]]]
    x_req = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(net(x_req).sum(), x_req)
    assert grad.tolist() == [[0.0], [0.0], [0.0]]
    # ... while the secant A*(x) = Σ w₂ Λ(z) w₁ with Λ(z) = clamp(z)/z is not
    A = linearize(net, x).A.detach().reshape(-1)
    assert float(A.max() - A.min()) > 0.1


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_hardsigmoid_regions_are_not_split_by_rounding(dtype):
    """Regression: PyTorch's Hardsigmoid backward uses float32(1/6) even in float64, so the
    intercept σ(z) − s z drifts by ~5e-9·z along the middle piece; compared bit-for-bit every
    point became its own region (10 001 instead of 3)."""
    net = nn.Sequential(nn.Linear(1, 1), nn.Hardsigmoid()).to(dtype)
    with torch.no_grad():
        net[0].weight.fill_(1.0)
        net[0].bias.zero_()
    x = torch.linspace(-5.0, 5.0, 10001, dtype=dtype).unsqueeze(1)
    ids = region_ids(net, x)
    assert int(ids.max()) + 1 == 3
    expected = (x[:, 0] > -3).long() + (x[:, 0] >= 3).long()
    assert ids.tolist() == expected.tolist()


@pytest.mark.parametrize(
    ("activation", "expected"),
    [("Softshrink", 3), ("ReLU6", 3), ("LeakyReLU", 2), ("Hardshrink", 2)],
)
def test_piece_counts_of_single_units(activation, expected):
    """Pieces met by z ∈ [−8, 8]: Softshrink (z < −½, |z| ≤ ½, z > ½), ReLU6 (<0, 0..6, >6),
    LeakyReLU (two slopes); Hardshrink's outer pieces are the same affine function (slope 1,
    intercept 0), so by construction they share an id although they are not connected."""
    net = nn.Sequential(nn.Linear(1, 1), getattr(nn, activation)()).double()
    with torch.no_grad():
        net[0].weight.fill_(1.0)
        net[0].bias.fill_(0.01)
    x = torch.linspace(-8.0, 8.0, 4001, dtype=F64).unsqueeze(1)
    assert int(region_ids(net, x).max()) + 1 == expected


@pytest.mark.parametrize("activation", ["Tanh", "GELU", "Sigmoid"])
def test_smooth_activation_raises(activation):
    net = make_mlp([2, 4, 2], activation, seed=0)
    with pytest.raises(ValueError, match="spectral radius"):
        region_ids(net, grid(10))


def test_linear_only_net_is_one_region():
    net = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 2)).double()
    ids = region_ids(net, grid(10))
    assert ids.tolist() == [0] * 100
