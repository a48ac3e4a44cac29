"""PGD attacks, input-noise curves and RobustnessResult (neurodyn.robustness, Erichson et al.
2021, Sec. 6.4). The PGD iterate is checked against the closed-form maximiser of the loss over
the norm ball for a two-class linear model, where the input gradient has a fixed direction."""

from __future__ import annotations

import itertools
import json
import math

import pytest
import torch
from torch import nn

import neurodyn
from neurodyn.robustness import (
    RobustnessResult,
    gaussian_noise,
    noise_robustness,
    pgd_attack,
    pgd_robustness,
    robustness,
    salt_and_pepper,
)
from neurodyn.train import build_model

pytestmark = pytest.mark.usefixtures("one_thread")


def _linear_binary():
    """logits = W·flatten(x) + b with 2 classes: ∇ₓ CE = (p₁ − y)(W₁ − W₀), so every PGD step
    moves along ±(W₁ − W₀) (the sign is + for label 0, − for label 1, never 0 as p₁ ∈ (0, 1))."""
    torch.manual_seed(0)
    m = nn.Sequential(nn.Flatten(), nn.Linear(12, 2)).double()
    g = torch.Generator().manual_seed(1)
    x = torch.rand(10, 4, 3, generator=g, dtype=torch.float64)
    y = torch.arange(10) % 2
    w = (m[1].weight[1] - m[1].weight[0]).detach().reshape(4, 3)
    s = (1 - 2 * y).double().reshape(-1, 1, 1)  # +1 for label 0, −1 for label 1
    return m, x, y, w, s


@pytest.mark.parametrize("norm", ["linf", "l2"])
@pytest.mark.parametrize("eps", [0.03, 0.2])
def test_pgd_reaches_the_analytic_maximiser_of_a_linear_model(norm, eps):
    m, x, y, w, s = _linear_binary()
    xa, losses = pgd_attack(m, x, y, norm=norm, eps=eps, step=0.01, steps=7, clip=None)
    # after k steps along a fixed unit direction u: δ = min(k·a, ε)·u (ℓ∞: u = sign(w), each
    # coordinate moves a per step; ℓ2: u = w/‖w‖, the norm grows a per step)
    u = w.sign() if norm == "linf" else w / w.norm()
    expect = min(7 * 0.01, eps) * s * u
    assert torch.allclose(xa - x, expect, rtol=0, atol=1e-14)
    # for eps = 0.03 < 7·0.01 the ball is active, and δ is then the exact maximiser of the
    # loss over it (CE is increasing in s·w·δ, maximised over ‖δ‖_p ≤ ε by ε·s·u)
    ce = nn.functional.cross_entropy
    assert losses[-1] == pytest.approx(float(ce(m(xa), y).detach()), rel=1e-12)
    # rising while δ grows (the first min(7, ⌈ε/a⌉) steps), constant once on the sphere
    assert all(b >= a - 1e-12 for a, b in itertools.pairwise(losses))  # rounding on the sphere
    assert losses[3] > losses[2] > losses[1] > losses[0]
    if eps < 0.07:
        dual = w.abs().sum() if norm == "linf" else w.norm()  # ‖w‖_q, q the dual norm of p
        z = m(x).detach()
        margin = (z[:, 1] - z[:, 0]) + eps * dual * s.reshape(-1)  # w·(x+δ*) + b difference
        best = ce(torch.stack([torch.zeros_like(margin), margin], 1), y)
        assert losses[-1] == pytest.approx(float(best), rel=1e-12)


@pytest.mark.parametrize("norm", ["linf", "l2"])
@pytest.mark.parametrize("random_start", [False, True])
def test_pgd_on_a_recurrent_model_increases_the_loss_inside_the_ball(norm, random_start):
    m = build_model("ctrnn", 1, 3, hidden_size=8, seed=0)
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(32, 15, 1, generator=g), torch.arange(32) % 3
    m.train()
    eps = 0.05
    xa, losses = pgd_attack(m, x, y, norm=norm, eps=eps, random_start=random_start, seed=1)
    assert m.training and all(p.grad is None for p in m.parameters())  # mode restored, no grads
    assert len(losses) == 8 and losses[-1] > losses[0]
    clean = float(nn.functional.cross_entropy(m(x), y).detach())
    assert losses[-1] > clean
    d = (xa - x).flatten(1)
    # the ball holds to float32 rounding of x + δ − x (≤ u·max|x| per entry, u = 6e-8)
    tol = 2 * torch.finfo(torch.float32).eps
    if norm == "linf":
        assert float(d.abs().max()) <= eps + tol
    else:
        assert float(d.norm(dim=1).max()) <= eps * (1 + 1e-6) + math.sqrt(15) * tol
    assert float(xa.min()) >= 0.0 and float(xa.max()) <= 1.0  # the clip range (0, 1)


def test_pgd_robustness_matches_its_attack_and_serialises():
    m = build_model("ctrnn", 1, 3, hidden_size=8, seed=0)
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(20, 15, 1, generator=g), torch.arange(20) % 3
    r = pgd_robustness(m, x, y, norm="l2", eps=0.05, batch_size=8)  # 3 batches: 8, 8, 4
    ce = nn.functional.cross_entropy
    xa = torch.cat([pgd_attack(m, x[i : i + 8], y[i : i + 8], norm="l2", eps=0.05, seed=i)[0]
                    for i in (0, 8, 16)])  # fmt: skip
    with torch.no_grad():
        assert r.loss == pytest.approx(float(ce(m(xa), y)), rel=1e-5)
        assert r.clean_loss == pytest.approx(float(ce(m(x), y)), rel=1e-5)
        assert r.accuracy == float((m(xa).argmax(-1) == y).double().mean())
    assert r.loss > r.clean_loss and r.n == 20
    assert neurodyn.load_result(json.loads(json.dumps(r.to_dict()))) == r
    for bad, msg in [({"norm": "l1"}, "'linf' or 'l2'"), ({"eps": 0.0}, "eps > 0")]:
        with pytest.raises(ValueError, match=msg):
            pgd_attack(m, x, y, **bad)


def test_noise_models_have_the_stated_statistics():
    g = torch.Generator().manual_seed(0)
    x = torch.full((200, 50, 1), 0.5)
    # salt and pepper (eq. 17–19): each of low/high with probability α/2; 10⁴ entries, so the
    # count of each is Binomial(10⁴, α/2): within 5 s.d. (fails with p ≈ 6e-7)
    a = 0.2
    xn = salt_and_pepper(x, a, low=0.0, high=1.0, generator=g)
    n = x.numel()
    sd = math.sqrt(n * a / 2 * (1 - a / 2))
    for v in (0.0, 1.0):
        assert abs(int((xn == v).sum()) - n * a / 2) <= 5 * sd
    assert int(((xn != 0) & (xn != 1) & (xn != 0.5)).sum()) == 0
    # Gaussian: sample std of 10⁴ draws within 5 % of σ (its rel. s.e. is 1/√(2n) ≈ 0.7 %)
    d = gaussian_noise(x, 0.3, generator=g) - x
    assert abs(float(d.std()) / 0.3 - 1) < 0.05 and abs(float(d.mean())) < 0.02
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        salt_and_pepper(x, 1.5, low=0.0, high=1.0)


def test_noise_curve_and_robustness_result():
    m = build_model("lipschitz", 1, 3, hidden_size=6, seed=0)
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(40, 10, 1, generator=g), torch.arange(40) % 3
    torch.manual_seed(0)
    lin = nn.Sequential(nn.Flatten(), nn.Linear(10, 3))  # its predictions depend on the input
    c = noise_robustness(lin, x, y, "gaussian", [0.0, 5.0], draws=3)
    clean_lin = float((lin(x).argmax(-1) == y).double().mean())
    assert c.accuracy.shape == (3, 2)
    assert torch.all(c.accuracy[:, 0] == clean_lin) and float(c.stderr[0]) == 0.0  # level 0
    assert float(c.stderr[1]) > 0  # σ = 5 ≫ the data range: predictions differ between draws
    clean = float((m(x).argmax(-1) == y).double().mean())
    with pytest.raises(ValueError, match="unknown noise kind"):
        noise_robustness(m, x, y, "speckle")

    class DS:  # anything with .x, .y (and optionally .name)
        name = "toy"

    ds = DS()
    ds.x, ds.y = x, y
    r = robustness(m, ds, noise_levels={"salt_pepper": [0.0, 0.3]}, draws=2,
                   hessian={"probes": 4, "grid": 3}, hessian_samples=16)  # fmt: skip
    assert r.task == "toy" and r.n_test == 40 and r.clean_accuracy == pytest.approx(clean)
    assert [p.norm for p in r.pgd] == ["linf", "l2"] and all(p.steps == 7 for p in r.pgd)
    assert all(p.step == 0.01 for p in r.pgd)
    row = r.row()
    assert row["lambda_max"] == r.hessian.lambda_max and math.isfinite(row["kappa"])
    back = neurodyn.load_result(json.loads(json.dumps(r.to_dict())))
    assert isinstance(back, RobustnessResult) and back.row().keys() == row.keys()
    assert back.to_dict() == r.to_dict()
