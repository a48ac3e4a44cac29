"""DeepFool ℓ2 / ℓ∞ (Moosavi-Dezfooli et al. 2016, Alg. 2, Sec. 3.2) against the closed-form
distance to the closest decision boundary of an affine classifier f(x) = Wx + b:
``min_{k≠k₀} |f_k − f_{k₀}| / ‖w_k − w_{k₀}‖_q`` with q = 2 for ℓ2 and q = 1 (the dual of ∞)
for ℓ∞, which DeepFool reaches in one step; and, on a recurrent model, that the batched
per-class gradients give each example the attack it gets alone."""

from __future__ import annotations

import json
import math

import pytest
import torch
from torch import nn

from neurodyn.robustness import DeepFoolResult, deepfool_attack, deepfool_robustness, robustness
from neurodyn.train import build_model

pytestmark = pytest.mark.usefixtures("one_thread")


def _linear(classes=4):
    torch.manual_seed(0)
    m = nn.Sequential(nn.Flatten(), nn.Linear(12, classes)).double()
    x = torch.rand(16, 4, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    return m, x


def _boundary_distance(m, x, q):
    """The closed form: distance (in the dual norm of q) to the closest boundary, per example."""
    w, b = m[1].weight.detach(), m[1].bias.detach()
    f = x.flatten(1) @ w.T + b
    k0 = f.argmax(1)
    fd = (f - f.gather(1, k0[:, None])).abs()  # (B, C)
    wd = (w[None] - w[k0][:, None]).norm(p=q, dim=2)  # (B, C)
    r = fd / wd
    r[torch.arange(len(x)), k0] = math.inf
    return r.min(1).values


@pytest.mark.parametrize(("norm", "q", "p"), [("l2", 2, 2), ("linf", 1, math.inf)])
@pytest.mark.parametrize("classes", [2, 4])
def test_deepfool_is_exact_in_one_step_for_an_affine_classifier(norm, q, p, classes):
    m, x = _linear(classes)
    rmin = _boundary_distance(m, x, q)
    for steps in (1, 50):  # it stops after the first step, which already fools
        xa, fooled = deepfool_attack(m, x, norm=norm, steps=steps, clip=None)
        r = (xa - x).flatten(1).norm(p=p, dim=1)
        # float64: the step is a few flops from the closed form, 1e-10 is ~1e5 ulps of slack
        assert torch.allclose(r, 1.02 * rmin, rtol=1e-10, atol=0)
        assert bool(fooled.all())
        with torch.no_grad():
            assert bool((m(xa).argmax(1) != m(x).argmax(1)).all())
            # without the overshoot the point lies on the boundary: f_l = f_{k₀} there
            f = m(x + (xa - x) / 1.02)
            top2 = f.topk(2, dim=1).values
        assert torch.allclose(top2[:, 0], top2[:, 1], rtol=0, atol=1e-10)


def test_deepfool_overshoot_zero_lands_on_the_boundary_and_clip_is_respected():
    m, x = _linear(3)
    xa, _ = deepfool_attack(m, x, norm="l2", steps=1, overshoot=0.0, clip=None)
    assert torch.allclose((xa - x).flatten(1).norm(dim=1), _boundary_distance(m, x, 2),
                          rtol=1e-10, atol=0)  # fmt: skip
    xc, _ = deepfool_attack(m, x, norm="linf", steps=7, clip=(0.0, 1.0))
    assert float(xc.min()) >= 0.0 and float(xc.max()) <= 1.0


def test_deepfool_robustness_budget_against_the_closed_form():
    """For the affine model, accuracy under the ε-limited attack = the correct examples whose
    boundary distance r exceeds ε: DeepFool's (1+η)·r·u projected onto the ε-ball is
    min((1+η)·r, ε)·u (ℓ2: u the unit normal; ℓ∞: u = sign of it), past the boundary iff r < ε.
    ε is midway between two distances, so no example lies on the boundary."""
    m, x = _linear(4)
    with torch.no_grad():
        y = m(x).argmax(1)
    y[:3] = (y[:3] + 1) % 4  # three wrong labels: clean accuracy 13/16
    for norm, q in (("l2", 2), ("linf", 1)):
        rmin = _boundary_distance(m, x, q)
        rs = rmin.sort().values
        eps = float(rs[7] + rs[8]) / 2
        res = deepfool_robustness(m, x, y, norm=norm, eps=eps, steps=7, clip=None, batch_size=5)
        ok = torch.ones(16, dtype=torch.bool)
        ok[:3] = False
        assert res.clean_accuracy == 13 / 16
        assert res.accuracy == int((ok & (rmin > eps)).sum()) / 16
        assert res.fooled == 1.0
        assert res.mean_norm == pytest.approx(1.02 * float(rmin[ok].mean()), rel=1e-10)
        back = DeepFoolResult.from_dict(json.loads(json.dumps(res.to_dict())))
        assert back == res


def test_deepfool_batched_equals_one_by_one_on_a_recurrent_model():
    m = build_model("lipschitz", 2, 5, hidden_size=6, seed=0)
    x = torch.rand(6, 9, 2, generator=torch.Generator().manual_seed(3))
    for norm in ("l2", "linf"):
        xa, fooled = deepfool_attack(m, x, norm=norm, steps=30, clip=None)
        for i in range(len(x)):
            xi, fi = deepfool_attack(m, x[i : i + 1], norm=norm, steps=30, clip=None)
            assert torch.allclose(xi[0], xa[i], rtol=1e-4, atol=1e-6)  # float32 reductions
            assert bool(fi[0]) == bool(fooled[i])
        with torch.no_grad():
            assert bool((m(xa).argmax(1)[fooled] != m(x).argmax(1)[fooled]).all())
        assert int(fooled.sum()) >= 5  # DeepFool fools a small untrained RNN within 30 steps


def test_robustness_row_has_deepfool_columns():
    from neurodyn.data import load

    ds = load("digits", "test")
    m = build_model("rnn", 1, 10, hidden_size=4, seed=0)
    sub = type("D", (), {"x": ds.x[:12], "y": ds.y[:12], "name": "digits"})()
    attacks = [{"norm": "l2", "eps": 0.5}, {"norm": "linf", "eps": 0.02}]
    r = robustness(m, sub, noise_levels={}, pgd=None, hessian=None, deepfool=attacks)
    row = r.row()
    assert "DF-ℓ2 ε=0.5" in row and "DF-ℓ∞ ε=0.02" in row
    assert row["DF-ℓ2 ε=0.5"] <= row["clean"]
    from neurodyn.robustness import RobustnessResult

    back = RobustnessResult.from_dict(json.loads(json.dumps(r.to_dict())))
    assert [d.to_dict() for d in back.deepfool] == [d.to_dict() for d in r.deepfool]  # NaN-safe
    direct = deepfool_robustness(m, sub.x, sub.y, norm="linf", eps=0.02,
                                 clip=(float(sub.x.min()), float(sub.x.max())))  # fmt: skip
    assert r.deepfool[1].to_dict() == direct.to_dict()


def test_deepfool_rejects_bad_options():
    m, x = _linear()
    with pytest.raises(ValueError, match="'l2' or 'linf'"):
        deepfool_attack(m, x, norm="l1")
    with pytest.raises(ValueError, match="eps must be > 0"):
        deepfool_robustness(m, x, torch.zeros(16, dtype=torch.long), eps=0.0)


def test_a_misclassified_example_is_not_repaired_by_the_attack():
    """logits = x; x = (0.5, 0.45, 0) is labelled 0 but is class 1. DeepFool ℓ∞ moves it by
    1.02 · 0.05/2 per coordinate toward the 0|1 boundary, inside ε = 0.05, onto class 1: the
    attack would 'repair' it. It must count as misclassified (accuracy 0 = the clean one)."""
    model = nn.Linear(3, 3, bias=False)
    with torch.no_grad():
        model.weight.copy_(torch.eye(3))
    x, y = torch.tensor([[0.5, 0.45, 0.0]]), torch.tensor([1])
    xa, fooled = deepfool_attack(model, x, norm="linf", steps=7, clip=None)
    assert bool(fooled) and int(model(xa).argmax()) == 1  # the attack does land on class 1
    r = deepfool_robustness(model, x, y, norm="linf", eps=0.05, clip=None)
    assert r.clean_accuracy == 0.0 and r.accuracy == 0.0
