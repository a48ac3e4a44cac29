"""ΔV_t, the per-step gradient of the recurrent matrix (Vogt, dissertation, §4.3.1, App. A–C):
the one-sweep recursion against torch.autograd on each prefix, the participation ratio on
analytic cases, the alignment against explicit Q-vector / SVD products, and the rank bound."""

from __future__ import annotations

import json
import math

import pytest
import torch

import neurodyn
from neurodyn.aelle import (
    WeightGradient,
    mean_log_r,
    participation_ratio,
    q_index_sets,
    recurrent_weight_gradient,
    step_weight_gradients,
)
from neurodyn.lyapunov import lyapunov_spectrum
from neurodyn.systems import as_map
from neurodyn.train import build_model

F64 = torch.float64


def _setup(B=3, T=7, F=2, H=6, C=4, seed=0):
    torch.manual_seed(seed)
    model = build_model("rnn", F, C, hidden_size=H, seed=seed).double()
    with torch.no_grad():  # a recurrent matrix with expansion, so the sweep has work to do
        model.body.weight_hh_l0.mul_(3.0)
    x = torch.randn(B, T, F, dtype=F64)
    y = torch.randint(0, C, (B,))
    h0 = 0.5 * torch.randn(B, H, dtype=F64)
    return model, x, y, h0


def _autograd_prefix(model, x, y, h0, b, t):
    """∂L_t/∂V by autograd on the prefix x[b, :t]: the readout applied to h_t."""
    V = model.body.weight_hh_l0
    out = model.body(x[b : b + 1, :t], h0[b : b + 1].unsqueeze(0))[0][:, -1]
    loss = torch.nn.functional.cross_entropy(model.readout(out), y[b : b + 1])
    (g,) = torch.autograd.grad(loss, V)
    return loss.detach(), g


@pytest.mark.parametrize("zero_h0", [False, True])
def test_step_gradients_match_autograd_on_every_prefix(zero_h0):
    model, x, y, h0 = _setup()
    h0 = torch.zeros_like(h0) if zero_h0 else h0
    loss, grad, states = step_weight_gradients(model, x, y, h0)
    assert grad.shape == (3, 7, 6, 6) and loss.shape == (3, 7) and states.shape == (3, 8, 6)
    scale = float(grad.abs().max())
    assert scale > 1e-3  # not a vanishing test
    for b in range(3):
        for t in range(1, 8):
            ref_loss, ref = _autograd_prefix(model, x, y, h0, b, t)
            assert float((grad[b, t - 1] - ref).abs().max()) <= 1e-12 * max(1.0, scale)
            assert abs(float(loss[b, t - 1] - ref_loss)) <= 1e-12
    if zero_h0:  # h_0 = 0: the first step's term diag(φ′)δ h_0ᵀ vanishes
        assert float(grad[:, 0].abs().max()) == 0.0


def test_step_gradients_are_a_sum_of_t_outer_products():
    model, x, y, h0 = _setup(T=5, H=8)
    _, grad, _ = step_weight_gradients(model, x, y, h0)
    ranks = torch.linalg.matrix_rank(grad)
    assert ranks.tolist() == [[1, 2, 3, 4, 5]] * 3


def test_participation_ratio_analytic_cases():
    n = 7
    assert float(participation_ratio(torch.linalg.svdvals(torch.eye(n, dtype=F64)))) == (
        pytest.approx(1 / n, rel=1e-14)
    )
    u, v = torch.randn(n, 1, dtype=F64), torch.randn(1, n, dtype=F64)
    s1 = torch.linalg.svdvals(u @ v)
    assert float(participation_ratio(s1)) == pytest.approx(1.0, abs=1e-12)
    assert float(participation_ratio(torch.tensor([3.0, 1.0]))) == pytest.approx(10 / 16)
    assert math.isnan(float(participation_ratio(torch.zeros(3))))
    with pytest.raises(ValueError, match="≥ 0"):
        participation_ratio(torch.tensor([1.0, -1.0]))


def test_weight_gradient_alignment_is_q_transpose_times_singular_vectors():
    model, x, y, h0 = _setup(B=2, T=6, H=8)
    res = recurrent_weight_gradient(model, x, y, h0=h0, n_vectors=2, keep_grad=True)
    f = as_map(model.body)
    from neurodyn.aelle._sensitivity import _random_frame

    lyap = lyapunov_spectrum(f, x, h0=h0, k=8, t_on=1, keep_history=True, keep_vectors=True,
                             q0=_random_frame(8, 8, F64))  # fmt: skip
    U, S, Vh = torch.linalg.svd(res.grad)
    b, t = 1, 4
    Q = lyap.q_vectors[b, t]
    assert torch.allclose(res.cos_leading[b, t], Q.T @ U[b, t][:, :2], atol=1e-12)
    assert torch.allclose(res.cos_trailing[b, t], Q.T @ U[b, t][:, -2:], atol=1e-12)
    assert torch.allclose(res.r_values, lyap.r_values)
    # Q and U are orthogonal: the squared cosines of one singular vector with all Q sum to 1
    assert torch.allclose((res.cos_leading**2).sum(-2), torch.ones(2, 6, 2, dtype=F64))
    right = recurrent_weight_gradient(model, x, y, h0=h0, n_vectors=2, side="right")
    assert torch.allclose(right.cos_leading[b, t], Q.T @ Vh[b, t][:2].T, atol=1e-12)
    assert torch.allclose(res.participation_ratio(), participation_ratio(S))
    assert res.numerical_rank().tolist() == [[1, 2, 3, 4, 5, 6]] * 2


def test_alignment_std_and_std_by_index_pool_what_they_say():
    model, x, y, h0 = _setup(B=3, T=5, H=30)
    res = recurrent_weight_gradient(model, x, y, h0=h0, n_vectors=5)
    sets = q_index_sets(30, 10, seed=1)
    assert sets["first"] == tuple(range(10)) and sets["last"] == tuple(range(20, 30))
    assert set(sets["random"]).isdisjoint(sets["first"] + sets["last"])
    c = res.cos_leading[:, :, list(sets["last"])]
    assert res.alignment_std(sets["last"]) == pytest.approx(float(c.flatten().std()))
    by = res.std_by_index("trailing")
    assert by.shape == (5, 30)
    assert float(by[2, 7]) == pytest.approx(float(res.cos_trailing[:, 2, 7].flatten().std()))
    with pytest.raises(ValueError, match="leading"):
        res.alignment_std((0,), which="middle")


def test_untrained_alignment_sits_near_the_random_baseline():
    """A large random network and the random-vector value 1/√H (Fig. 4.1 at epoch 0)."""
    torch.manual_seed(3)
    H = 64
    model = build_model("rnn", 4, 10, hidden_size=H, seed=3)
    x, y = torch.rand(16, 12, 4), torch.randint(0, 10, (16,))
    h0 = torch.rand(16, H, dtype=F64) * 2 - 1
    res = recurrent_weight_gradient(model, x, y, h0=h0)
    sd = res.alignment_std(range(H))
    assert abs(sd - 1 / math.sqrt(H)) < 0.15 / math.sqrt(H)


def test_round_trip_and_errors():
    model, x, y, h0 = _setup(B=2, T=3, H=4)
    res = recurrent_weight_gradient(model, x, y, h0=h0, n_vectors=1)
    d = json.loads(json.dumps(res.to_dict(), allow_nan=False))
    back = neurodyn.load_result(d)
    assert isinstance(back, WeightGradient) and back.grad is None
    assert torch.equal(back.cos_leading, res.cos_leading) and back.side == "left"
    assert "2 sequences × 3 steps" in repr(res)
    gru = build_model("gru", 2, 4, hidden_size=4, seed=0)
    with pytest.raises(TypeError, match="tanh RNN"):
        recurrent_weight_gradient(gru, x.float(), y)
    with pytest.raises(ValueError, match="side"):
        recurrent_weight_gradient(model, x, y, side="up", n_vectors=1)
    with pytest.raises(ValueError, match="h0"):
        recurrent_weight_gradient(model, x, y, h0=h0[:1], n_vectors=1)
    with pytest.raises(ValueError, match="n_vectors"):
        recurrent_weight_gradient(model, x, y, n_vectors=5)
    with pytest.raises(ValueError, match="n ≥"):
        q_index_sets(20, 10)


def test_mean_log_r():
    r = torch.tensor([[[4.0, 1.0, 0.25]]], dtype=F64)
    assert float(mean_log_r(r, 1)) == pytest.approx(math.log(4.0))
    assert float(mean_log_r(r, 3)) == pytest.approx(0.0, abs=1e-15)
    with pytest.raises(ValueError, match="n must"):
        mean_log_r(r, 4)
