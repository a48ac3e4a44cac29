"""certify(exact=True): region maxima become proofs over the box; budgets leave them sampled;
smooth and off-σ(0) activations are refused with the reason; certify reports progress."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import neurodyn
from neurodyn.pwa import linear_regions, region_of

F64 = torch.float64
BOX = [(-2.0, 2.0), (-2.0, 2.0)]
NONE = torch.zeros(0, 2, dtype=F64)  # no equilibria: skips Newton where it is not under test


def relu_net(scale: float, seed: int = 0, act=nn.ReLU) -> nn.Sequential:
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(2, 8), act(), nn.Linear(8, 8), act(), nn.Linear(8, 2))
    net = net.double().eval()
    with torch.no_grad():
        for m in net:
            if isinstance(m, nn.Linear):
                m.weight.mul_(scale)
    return net


@pytest.mark.parametrize(("scale", "holds"), [(0.6, True), (2.0, False)])
def test_exact_gives_proofs_with_region_evidence(scale, holds):
    net = relu_net(scale)
    rep = neurodyn.certify(net, BOX, exact=True)
    t6, diss = rep["theorem6_necessary"], rep["dissipativity"]
    assert t6.kind == diss.kind == "proof"
    assert t6.holds is holds and diss.holds is holds
    regs = linear_regions(net, (-2, -2), (2, 2))
    A, _ = regs.stack()
    rho = torch.linalg.eigvals(A).abs().amax(dim=1)
    nrm = torch.linalg.matrix_norm(A, ord=2)
    # margins: 1 − (region maximum rounded up); the allowance is tiny and one-sided
    top_rho, top_norm = t6.evidence["max_spectral_radius"], diss.evidence["max_norm2"]
    assert t6.margin == 1 - top_rho and diss.margin == 1 - top_norm
    assert 0 <= top_rho - float(rho.max()) < 1e-6  # Elsner's allowance, n = 2
    assert 0 < top_norm - float(nrm.max()) < 1e-12
    ev = t6.evidence
    assert ev["regions"] == len(regs) and not ev["partial"]
    # the named region is the maximiser and its point lies in it
    k = [tuple(r.pattern.tolist()) for r in regs].index(tuple(ev["worst_region_pattern"]))
    assert float(rho[k]) == pytest.approx(float(rho.max()), rel=1e-14)
    x = torch.tensor([ev["worst_point"]], dtype=F64)
    assert region_of(net, regs, x).tolist() == [k]
    assert float(neurodyn.linearize(net, x).spectral_radius()[0]) == pytest.approx(float(rho[k]))


def test_exact_maximum_is_at_least_the_sampled_one():
    for seed in range(3):
        net = relu_net(1.5, seed=seed)
        ex = neurodyn.certify(net, BOX, exact=True, equilibria=NONE)
        sa = neurodyn.certify(net, BOX, resolution=101, equilibria=NONE)
        assert ex["theorem6_necessary"].margin <= sa["theorem6_necessary"].margin
        assert ex["dissipativity"].margin <= sa["dissipativity"].margin
        assert sa["dissipativity"].kind == "sampled"


def test_budget_leaves_the_exact_checks_sampled():
    net = relu_net(2.0)
    with pytest.warns(RuntimeWarning, match="stopped early"):
        rep = neurodyn.certify(net, BOX, exact=True, max_regions=5, equilibria=NONE)
    for name in ("theorem6_necessary", "dissipativity"):
        c = rep[name]
        assert c.kind == "sampled" and c.evidence["partial"]
        assert "stopped early" in c.conclusion


def test_smooth_activation_with_exact_raises_why():
    net = relu_net(1.0, act=nn.Tanh)
    with pytest.raises(ValueError, match="varies continuously"):
        neurodyn.certify(net, BOX, exact=True)


def test_hardtanh_with_exact_raises_why():
    net = relu_net(1.0, act=nn.Hardtanh)
    with pytest.raises(ValueError, match="not constant on a linear region"):
        neurodyn.certify(net, BOX, exact=True)


def test_exact_needs_a_box():
    with pytest.raises(ValueError, match="needs a box"):
        neurodyn.certify(relu_net(1.0), torch.zeros(4, 2, dtype=F64), exact=True)


def test_certify_reports_progress():
    calls: list[tuple[int, int]] = []
    neurodyn.certify(
        relu_net(1.0),
        BOX,
        resolution=21,
        equilibria=NONE,
        progress=lambda d, t: calls.append((d, t)),
    )
    assert calls and calls[-1][0] == calls[-1][1]
    assert all(d <= t for d, t in calls)
    calls.clear()
    neurodyn.certify(
        relu_net(1.0), BOX, exact=True, equilibria=NONE, progress=lambda d, t: calls.append((d, t))
    )
    assert calls and calls[-1][0] == calls[-1][1] > 0


def test_exact_equilibrium_bounds_use_the_complete_fixed_point_list():
    net = relu_net(2.0)
    rep = neurodyn.certify(net, BOX, exact=True)
    eq = rep["equilibrium_bounds"]
    assert eq.evidence["complete"] and "complete list" in eq.conclusion
    exact = linear_regions(net, (-2, -2), (2, 2)).fixed_points()
    assert len(eq.evidence["equilibria"]) == len(exact) > 0
