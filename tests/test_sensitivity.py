"""FTLE–gradient relation, gradient–Q alignment and pixel flipping (Vogt, dissertation, Ch. 4),
each checked against something it does not compute itself: autograd against R-values from the
Lyapunov algorithm, the analytic readout gradient, finite differences of the loss, scipy's
t-tests and the paper's own Table 4.1."""

from __future__ import annotations

import copy
import math

import pytest
import torch
from scipy import stats

import neurodyn
from neurodyn.aelle import (
    AlignmentResult,
    FTLEGradient,
    PixelFlippingResult,
    expected_abs_cosine,
    flip_pixels,
    ftle_gradient,
    gradient_alignment,
    pixel_flipping,
)
from neurodyn.data import load
from neurodyn.train import build_model


def _train(name: str, epochs: int, hidden: int = 16, seed: int = 0, batch: int = 64):
    """A few epochs of Adam on the digits task (the trainer is not needed for a fixture)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small matmuls: one thread is fastest, and the machine is shared
    torch.manual_seed(seed)
    train = load("digits", "train", seed=0)
    model = build_model(name, 1, 10, hidden_size=hidden, seed=seed)
    opt = torch.optim.Adam(model.parameters(), lr=2e-2)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        perm = torch.randperm(len(train.y), generator=gen)
        for i in range(0, len(perm), batch):
            b = perm[i : i + batch]
            loss = torch.nn.functional.cross_entropy(model(train.x[b]), train.y[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
    torch.set_num_threads(threads)
    return model.eval()


@pytest.fixture(scope="module")
def gru():
    return _train("gru", epochs=3)


@pytest.fixture(scope="module")
def test_split():
    return load("digits", "test", seed=0)


@pytest.fixture(scope="module")
def grad(gru, test_split):
    return ftle_gradient(gru, test_split.x[:8], test_split.y[:8])


def _loss(model, x, y):
    with torch.no_grad():
        return torch.nn.functional.cross_entropy(model(x), y, reduction="none")


# ----------------------------------------------------------------------------- FTLE–gradient


def test_r_values_predict_the_gradient_along_q1(grad):
    # (★★): log|q1(t)·∇L| − log|q1(T)·∇L| = Σ_{r>t} log r¹_r, R-values from lyapunov_spectrum,
    # gradients from autograd. Both sides span ~30 nats; float64 rounding is ~1e-13 per step.
    assert grad.predicted_log_growth()[:, 0].abs().min() > 5  # the test is not vacuous
    assert grad.growth_residual() < 1e-8
    # the recomputed triangle agrees with the algorithm's |R_ii| (same step indexing)
    diag = grad.r_matrices.diagonal(dim1=-2, dim2=-1).abs()
    torch.testing.assert_close(diag, grad.r_values, rtol=1e-10, atol=0)
    # (★) one step at a time, all k components
    assert grad.identity_residual() < 1e-10
    # ‖∇h_t L‖ ≥ |q1(t)·∇h_t L|: the norm grows at least as the first FTLE predicts
    c1 = grad.coefficients[:, :, 0].abs().log()
    assert bool((grad.grad_h.norm(dim=-1).log() >= c1 - 1e-12).all())


def test_identity_holds_with_fewer_q_vectors_and_other_cells(test_split):
    x, y = test_split.x[:4], test_split.y[:4]
    for name in ("lstm", "rnn", "lipschitz"):
        model = build_model(name, 1, 10, hidden_size=8, seed=1)
        g = ftle_gradient(model, x, y, k=3)
        assert g.q_vectors.shape[-1] == 3
        assert g.identity_residual() < 1e-10, name
        assert g.growth_residual() < 1e-8, name


def test_gradient_at_last_state_is_the_readout_gradient(gru, grad, test_split):
    # ∂L/∂h_T = Wᵀ(softmax(z) − e_y) for a GRU read out linearly at h_T (independent formula)
    x, y = test_split.x[:8].double(), test_split.y[:8]
    m = copy.deepcopy(gru).double()
    with torch.no_grad():
        p = torch.softmax(m(x), -1) - torch.nn.functional.one_hot(y, 10)
        want = p @ m.readout.weight
    torch.testing.assert_close(grad.grad_h[:, -1], want, rtol=1e-10, atol=1e-12)


def test_paper_eq_4_14_as_printed_does_not_hold(gru, test_split):
    # Vogt, dissertation, eq. 4.11–4.14 as printed: QR of Jᵀ (Q_t R_t = J_tᵀ Q_{t−1}) and
    # ∇h_t L = Q_T (Π_{r=t+1}^T R_r) Q_tᵀ ∇h_T L. Our corrected form reconstructs the gradient
    # to rounding; the printed one misses by O(1) (the Jacobians do not commute).
    x, y = test_split.x[:2], test_split.y[:2]
    g = ftle_gradient(gru, x, y)
    f = neurodyn.as_map(copy.deepcopy(gru).double().body)
    xd = x.double()
    h = torch.zeros(2, f.dim, dtype=torch.float64)
    Js = []
    with torch.no_grad():
        for t in range(xd.shape[1]):
            Js.append(f.jacobian(h, xd[:, t]))
            h = f.step(h, xd[:, t])
    t0, T = 40, xd.shape[1]
    gT = g.grad_h[:, T]
    # printed: forward QR of the transposed Jacobians from Q_{t0} = I
    Q, P = torch.eye(f.dim, dtype=torch.float64).expand(2, -1, -1), None
    for r in range(t0, T):  # steps t0+1..T (Js[r] is D_{r+1})
        Q, R = torch.linalg.qr(Js[r].transpose(1, 2) @ Q)
        P = R if P is None else R @ P
    printed = torch.einsum("bij,bjk,bk->bi", Q, P, gT)  # Q_T (R_T⋯R_{t0+1}) Q_{t0}ᵀ, Q_{t0}=I
    # corrected: forward QR of the Jacobians, ∇h_t = Q_t (R_T⋯R_{t+1})ᵀ Q_Tᵀ ∇h_T
    Q, P = torch.eye(f.dim, dtype=torch.float64).expand(2, -1, -1), None
    for r in range(t0, T):
        Q, R = torch.linalg.qr(Js[r] @ Q)
        P = R if P is None else R @ P
    corrected = torch.einsum("bji,bkj,bk->bi", P, Q, gT)  # Q_{t0}=I: (R⋯R)ᵀ Q_Tᵀ ∇h_T
    true = g.grad_h[:, t0]
    scale = true.norm(dim=1)
    assert float(((corrected - true).norm(dim=1) / scale).max()) < 1e-9
    assert float(((printed - true).norm(dim=1) / scale).min()) > 0.1


# ----------------------------------------------------------------------------- alignment


def test_expected_abs_cosine_analytic_and_sampled():
    assert expected_abs_cosine(2) == pytest.approx(2 / math.pi, rel=1e-14)
    assert expected_abs_cosine(3) == pytest.approx(0.5, rel=1e-14)
    assert expected_abs_cosine(400) == pytest.approx(math.sqrt(2 / (math.pi * 400)), rel=2e-3)
    # Monte Carlo in n = 16 against a fixed axis: within 4 standard errors
    u = torch.randn(200_000, 16, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    a = (u[:, 0] / u.norm(dim=1)).abs()
    assert abs(float(a.mean()) - expected_abs_cosine(16)) < 4 * float(a.std()) / math.sqrt(
        a.numel()
    )
    with pytest.raises(ValueError, match="positive int"):
        expected_abs_cosine(0)


def test_alignment_baseline_and_trained_q1(grad):
    al = gradient_alignment(grad, indices=(0, 1, 4), n_random=20)
    assert al.cos.shape == (8, 64, 3) and al.random_cos.shape == (8, 64, 20)
    assert bool((al.cos.abs() <= 1 + 1e-12).all())
    # the random baseline is what the sphere predicts: E|cos| and std 1/√n within 4 s.e.
    r = al.random_cos.abs()
    se = float(r.std()) / math.sqrt(r.numel())
    assert abs(float(r.mean()) - expected_abs_cosine(16)) < 4 * se
    assert float(al.random_cos.std()) == pytest.approx(1 / 4, rel=0.05)
    # after training, the gradient leans on q1 far more than chance (Vogt, dissertation,
    # Fig. 4.1; (★★) makes the q1 component decay slowest backwards in time)
    s = al.summary()
    assert s["mean_abs_cos"][0] > 1.5 * s["expected_random_abs_cos"]
    back = neurodyn.load_result(al.to_dict())
    assert isinstance(back, AlignmentResult) and torch.equal(back.cos, al.cos)
    assert "random" in al.table()
    with pytest.raises(ValueError, match="indices"):
        gradient_alignment(grad, indices=(16,))
    with pytest.raises(TypeError, match="FTLEGradient"):
        gradient_alignment("no")


# ----------------------------------------------------------------------------- sign convention


def test_input_gradient_matches_finite_difference_of_the_loss(gru, grad, test_split):
    # the sign convention of every loss difference below: L(perturbed) − L(original), whose
    # first-order value is ∇_x L · δ; central differences of the float64 loss (step 1e-5,
    # truncation O(1e-10)) agree with autograd to 1e-6 relative
    m = copy.deepcopy(gru).double()
    x, y = test_split.x[:8].double(), test_split.y[:8]
    b, t = 3, int(grad.grad_x[3, :, 0].abs().argmax())
    e = torch.zeros_like(x)
    e[b, t, 0] = 1e-5
    fd = (_loss(m, x + e, y)[b] - _loss(m, x - e, y)[b]) / 2e-5
    assert float(fd) == pytest.approx(float(grad.grad_x[b, t, 0]), rel=1e-6)
    # a one-pixel flip δ, shrunk by ε: the central difference [L(x + εδ) − L(x − εδ)] / 2 has
    # the sign and size of ε ∇_x L · δ (truncation O(ε³) ≈ 1e-12 for ε = 1e-4)
    delta = flip_pixels(x, torch.full((8, 1), t)) - x
    eps = 1e-4
    dl = (_loss(m, x + eps * delta, y) - _loss(m, x - eps * delta, y)) / 2
    pred = eps * (delta * grad.grad_x).sum((1, 2))
    assert bool((torch.sign(dl) == torch.sign(pred)).all())
    torch.testing.assert_close(dl, pred, rtol=1e-6, atol=1e-13)


def test_flip_pixels_follows_algorithm_3():
    x = torch.tensor([[[0.0], [0.5], [1.0], [0.0]]])
    out = flip_pixels(x, torch.tensor([[0, 1]]))
    assert out.flatten().tolist() == [1.0, 0.0, 1.0, 0.0]  # up flip, down flip, untouched
    assert flip_pixels(x, torch.tensor([[3]]), high=16.0).flatten().tolist()[3] == 16.0


# ----------------------------------------------------------------------------- pixel flipping


def test_pixel_flipping_differences_and_tests(gru, test_split):
    res = pixel_flipping(gru, test_split, (1, 4), n_samples=10, n_random=12, seed=3)
    assert res.diff_r.shape == (2, 10) and res.diff_random.shape == (2, 10, 12)
    m = copy.deepcopy(gru).double()
    x, y = test_split.x[:10].double(), test_split.y[:10]
    # k = 1 flips the step of largest R1 = |R_11| of the step that reads it (independent run)
    r1 = neurodyn.lyapunov_spectrum(neurodyn.as_map(m.body), x, k=1, keep_history=True)
    top = r1.r_values[..., 0].argmax(1, keepdim=True)
    want = _loss(m, flip_pixels(x, top), y) - _loss(m, x, y)
    torch.testing.assert_close(res.diff_r[0], want, rtol=1e-12, atol=1e-12)
    assert (
        res.up_flips[0].tolist() == (torch.gather(x[..., 0], 1, top) == 0).long().flatten().tolist()
    )
    # the one-sided tests, recomputed from their definitions
    for j, row in enumerate(res.rows):
        a, rnd = res.diff_r[j].numpy(), res.diff_random[j]
        d = a - rnd.mean(1).numpy()
        t = d.mean() / (d.std(ddof=1) / math.sqrt(d.size))
        assert row["p_paired"] == pytest.approx(stats.t.sf(t, d.size - 1), rel=1e-9)
        assert row["se_paired"] == pytest.approx(d.std(ddof=1) / math.sqrt(d.size), rel=1e-12)
        df = a.size + rnd.numel() - 2
        p = stats.t.sf(row["delta"] / row["se_unpaired"], df)
        assert row["p_unpaired"] == pytest.approx(p, rel=1e-9)
    back = neurodyn.load_result(res.to_dict())
    assert isinstance(back, PixelFlippingResult) and back.rows == res.rows
    assert "p (paired)" in res.table()
    with pytest.raises(ValueError, match="k_values"):
        pixel_flipping(gru, test_split, (65,))


def test_pixel_flipping_up_only_and_down_only(gru, test_split):
    ks = (1, 4, 40)
    up = pixel_flipping(gru, test_split, ks, n_samples=6, n_random=5, seed=1, flips="up")
    down = pixel_flipping(gru, test_split, ks, n_samples=6, n_random=5, seed=1, flips="down")
    m = copy.deepcopy(gru).double()
    x, y = test_split.x[:6].double(), test_split.y[:6]
    zero = x[..., 0] == 0
    assert 0 < int(zero.sum(1).min()) and int(zero.sum(1).max()) < 64
    for res, cand in ((up, zero), (down, ~zero)):
        assert res.n_flipped.tolist() == [[min(k, int(c)) for c in cand.sum(1)] for k in ks]
        for j, k in enumerate(ks):  # the k candidates of largest R1, flipped by hand
            want = []
            for b in range(6):
                steps = torch.nonzero(cand[b]).flatten()
                steps = steps[torch.argsort(res.r1[b, steps], descending=True)[:k]]
                xb = x[b : b + 1].clone()
                xb[0, steps, 0] = torch.where(xb[0, steps, 0] == 0, 1.0, 0.0).double()
                want.append(
                    float(_loss(m, xb, y[b : b + 1]) - _loss(m, x[b : b + 1], y[b : b + 1]))
                )
            torch.testing.assert_close(res.diff_r[j], torch.tensor(want, dtype=torch.float64))
        # where k covers all candidates, the random design flips the same steps
        full = cand.sum(1) <= ks[-1]
        assert bool(full.any())
        same = res.diff_random[-1][full] - res.diff_r[-1][full].unsqueeze(-1)
        assert float(same.abs().max()) < 1e-12
    assert torch.equal(up.up_flips, up.n_flipped) and int(down.up_flips.sum()) == 0
    assert neurodyn.load_result(up.to_dict()).flips == "up"
    with pytest.raises(ValueError, match="flips"):
        pixel_flipping(gru, test_split, (1,), flips="sideways")


def test_paper_table_4_1_variance_column_is_the_standard_error():
    # Vogt, dissertation, Table 4.1 (15 images, 50 random subsets each): p = t.sf(Δ / col, df)
    # with df = 15 + 750 − 2 (Student's unpaired test) reproduces every printed p-value to the
    # table's rounding, so the column headed "Variance" holds the standard error of Δ.
    delta = [-0.028, -0.008, 0.025, 0.313, 0.260, 0.794, 0.814, 1.050, 1.363]
    col = [0.009, 0.084, 0.303, 0.341, 0.359, 0.523, 0.475, 0.530, 0.824]
    printed = [0.998, 0.540, 0.468, 0.179, 0.234, 0.065, 0.043, 0.024, 0.049]
    for d, c, p in zip(delta, col, printed, strict=True):
        assert stats.t.sf(d / c, 763) == pytest.approx(p, abs=2.5e-3)
    # read as a variance, the p-values would be far off (e.g. k = 100: 0.075 vs 0.024)
    assert stats.t.sf(1.050 / math.sqrt(0.530), 763) > 0.07


# ----------------------------------------------------------------------------- errors


def test_wrong_inputs_are_named_and_results_round_trip(gru, test_split):
    x, y = test_split.x[:2], test_split.y[:2]
    with pytest.raises(ValueError, match=r"\(B, T, 1\)"):
        ftle_gradient(gru, x[..., 0], y)
    with pytest.raises(ValueError, match="labels"):
        ftle_gradient(gru, x, y.float())
    with pytest.raises(TypeError, match="sequence classifier"):
        ftle_gradient(torch.nn.Linear(2, 2), x, y)
    lstm = build_model("lstm", 1, 10, hidden_size=4, seed=0)
    g = ftle_gradient(lstm, x, y)
    assert isinstance(g, FTLEGradient)
    back = neurodyn.load_result(g.to_dict())
    assert torch.equal(back.grad_h, g.grad_h)
