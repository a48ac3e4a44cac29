"""Hessian metrics from Hessian-vector products (neurodyn.robustness, Erichson et al. 2021,
Sec. 6.4) against the full Hessian that ``torch.func.hessian`` forms (forward-over-reverse,
a different AD path from the operator's reverse-over-reverse), and against finite differences
of ordinary ``loss.backward()`` gradients (no torch.func at all)."""

from __future__ import annotations

import math
import warnings

import pytest
import torch
from torch.func import functional_call, hessian

from neurodyn.robustness import (
    HessianOperator,
    hessian_analysis,
    hutchinson_trace,
    lanczos_extremes,
    power_iteration,
    select_parameters,
)
from neurodyn.train import build_model

pytestmark = pytest.mark.usefixtures("one_thread")


def _setup(name="ctrnn", hidden=12, params="body"):
    m = build_model(name, 1, 3, hidden_size=hidden, seed=0).double()
    g = torch.Generator().manual_seed(1)
    x = 2 * torch.rand(24, 12, 1, generator=g, dtype=torch.float64)
    y = torch.arange(24) % 3
    return m, x, y, HessianOperator(m, x, y, params)


def _full_hessian(m, x, y, op):
    base = {k: p.detach() for k, p in m.named_parameters()}

    def loss(flat):
        return torch.nn.functional.cross_entropy(
            functional_call(m, {**base, **op._unflat(flat)}, (x,)), y
        )

    theta = torch.cat([base[k].reshape(-1) for k in op.names])
    with warnings.catch_warnings():
        # torch's forward-mode AD loads its jvp decompositions through torch.jit.script, which
        # warns DeprecationWarning in torch 2.13 (one more reason the operator avoids jvp)
        warnings.simplefilter("ignore", DeprecationWarning)
        return hessian(loss)(theta)


@pytest.fixture(scope="module")
def rnn_case():
    m, x, y, op = _setup()
    H = _full_hessian(m, x, y, op)
    return m, x, y, op, H, torch.linalg.eigvalsh(H)


def test_estimates_match_the_full_hessian(rnn_case):
    _, _, _, op, H, w = rnn_case
    assert 100 <= op.n <= 400 and torch.allclose(H, H.T, atol=1e-12)
    v = torch.randn(op.n, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    # two AD paths in float64: agreement to rounding
    assert torch.allclose(op.matvec(v), H @ v, rtol=1e-9, atol=1e-12)

    # Lanczos (ARPACK, tol 1e-6 relative): both ends of the spectrum to 1e-6 of the spread
    top, vecs, lam_min = lanczos_extremes(op, k=2, tol=1e-8)
    scale = float(w.abs().max())
    assert abs(float(top[0]) - float(w[-1])) <= 1e-6 * scale
    assert abs(float(top[1]) - float(w[-2])) <= 1e-6 * scale
    assert abs(lam_min - float(w[0])) <= 1e-6 * scale
    assert torch.allclose(H @ vecs[:, 0], top[0] * vecs[:, 0], atol=1e-5 * scale)
    kappa = float(w[-1] / w[0])  # κ = λ_max/λ_min (Erichson et al. 2021, Sec. 6.4)
    assert math.isclose(float(top[0]) / lam_min, kappa, rel_tol=1e-5)

    # power iteration: the eigenvalue of largest magnitude; its error after k steps shrinks
    # like (λ₂/λ₁)^{2k}, so with the tolerance 1e-10 on the Rayleigh quotient 1e-6 is slack
    dominant = float(w[w.abs().argmax()])
    lam, _, its = power_iteration(op, iters=1000, tol=1e-10)
    assert its < 1000 and math.isclose(lam, dominant, rel_tol=1e-6)


def test_hutchinson_within_its_standard_error(rnn_case):
    _, _, _, op, H, _ = rnn_case
    m = 200
    tr, se = hutchinson_trace(op, probes=m, seed=3)
    # Rademacher probes: Var[zᵀHz] = 2 Σ_{i≠j} H_ij² exactly (Hutchinson 1990)
    sd = math.sqrt(2 * float((H**2).sum() - (H.diag() ** 2).sum()))
    exact_se = sd / math.sqrt(m)
    # the mean of 200 i.i.d. probes is close to normal: |error| ≤ 4 s.e. fails with p ≈ 6e-5;
    # the sample s.e. of 200 probes is within ±30 % of the exact one (its own rel. s.e. ≈ 5 %·√κ4)
    assert abs(tr - float(H.trace())) <= 4 * exact_se
    assert 0.7 * exact_se <= se <= 1.3 * exact_se


def test_analysis_landscape_and_kappa(rnn_case):
    m, x, y, op, _, w = rnn_case
    h = 1e-3
    r = hessian_analysis(m, x, y, params="body", probes=8, grid=3, radius=h, seed=0)
    assert r.n_params == op.n and r.samples == 24
    assert math.isclose(r.lambda_max, float(w[-1]), rel_tol=1e-5)
    assert math.isclose(r.kappa, float(w[-1] / w[0]), rel_tol=1e-4)
    # eq. 22 on a 3×3 grid of half-width h: the centre is L(θ) and the second difference along
    # v₁ is its curvature λ_max (Taylor: error O(h²·L'''') ≪ 1e-3 relative here)
    L = r.landscape
    assert math.isclose(float(L[1, 1]), op.loss, rel_tol=1e-12)
    curv = float(L[2, 1] - 2 * L[1, 1] + L[0, 1]) / h**2
    assert math.isclose(curv, r.lambda_max, rel_tol=1e-3)


def test_operator_gradient_matches_backward_on_a_parametrized_cell():
    # functional_call must substitute the parametrization's original (A, W of the Lipschitz RNN)
    m = build_model("lipschitz", 1, 3, hidden_size=5, seed=0).double()
    x, y = torch.rand(6, 7, 1, dtype=torch.float64), torch.arange(6) % 3
    op = HessianOperator(m, x, y, "recurrent")
    assert op.names == select_parameters(m) and len(op.names) == 2
    m.zero_grad()
    torch.nn.functional.cross_entropy(m(x), y).backward()
    named = dict(m.named_parameters())
    ref = torch.cat([named[k].grad.reshape(-1) for k in op.names])
    assert torch.allclose(op.grad, ref, rtol=1e-12, atol=1e-14)


def test_lstm_fused_kernel_double_backward_matches_finite_differences():
    # float32 nn.LSTM on CPU runs the fused mkldnn kernel: no forward-mode AD (so no jvp-of-grad
    # HVP), but double backward works. Check Hv against central differences of .backward()
    # gradients with the weights moved in place.
    m = build_model("lstm", 1, 3, hidden_size=6, seed=0)
    x, y = torch.rand(8, 10, 1), torch.arange(8) % 3
    op = HessianOperator(m, x, y, "recurrent")
    assert op.names == ["body.weight_hh_l0"]
    v = torch.randn(op.n, generator=torch.Generator().manual_seed(0))
    W = m.body.weight_hh_l0

    def grad_at(shift):
        with torch.no_grad():
            W.add_(shift)
        m.zero_grad()
        torch.nn.functional.cross_entropy(m(x), y).backward()
        g = W.grad.reshape(-1).clone()
        with torch.no_grad():
            W.sub_(shift)
        return g

    eps = 1e-2  # float32: rounding error of the difference ~ u·|g|/eps ≈ 1e-5 relative
    fd = (grad_at(eps * v.reshape(W.shape)) - grad_at(-eps * v.reshape(W.shape))) / (2 * eps)
    hv = op.matvec(v)
    assert float((hv - fd).norm() / fd.norm()) < 2e-3


def test_parameter_selection_by_model_and_errors():
    expect = {
        "lstm": ["body.weight_hh_l0"],
        "antisymmetric": ["body.parametrizations.weight_hh.original0"],
        "lipschitz": ["body.parametrizations.A.original0", "body.parametrizations.W.original0"],
        "lem": ["body.weight_hh", "body.weight_zy"],
    }
    for name, names in expect.items():
        m = build_model(name, 1, 3, hidden_size=4, seed=0)
        assert select_parameters(m) == names
        assert "readout.weight" in select_parameters(m, "all")
        assert "body.weight_ih" in "".join(select_parameters(m, "body"))
    scn = build_model("scn", 1, 3, hidden_size=8, seed=0)  # one block: no coupling to train
    with pytest.raises(ValueError, match="selects no trainable parameter"):
        select_parameters(scn)
    with pytest.raises(ValueError, match="unknown parameter"):
        select_parameters(scn, ["nope"])
    with pytest.raises(ValueError, match="'recurrent', 'body', 'all'"):
        select_parameters(scn, "weights")


def test_kappa_is_a_number_only_at_a_minimum(rnn_case):
    """Erichson et al. 2021's κ = λ_max/λ_min assumes H ≻ 0; at a saddle it is said, not
    printed as a negative condition number (issue: 'report it as such, not as a number')."""
    import dataclasses

    from neurodyn.robustness import RobustnessResult, robustness_table

    m, x, y, *_ = rnn_case
    with pytest.raises(ValueError, match="landscape=False"):
        hessian_analysis(m, x, y, params="body", probes=4, grid=None)
    r = hessian_analysis(m, x, y, params="body", probes=4, landscape=False, seed=0)
    saddle = dataclasses.replace(r, lambda_min=-0.03, kappa=r.lambda_max / -0.03)
    assert not saddle.at_minimum and saddle.kappa_text() == "not at a minimum (λ_min = -0.03)"
    good = dataclasses.replace(r, lambda_min=0.5, kappa=r.lambda_max / 0.5)
    assert good.at_minimum and good.kappa_text() == f"{r.lambda_max / 0.5:.4g}"
    res = RobustnessResult("m", "t", 1, 1, 1.0, (), (), saddle)
    from rich.console import Console

    con = Console(width=200, record=True)
    con.print(robustness_table([res]))
    text = con.export_text()
    assert "not at a minimum" in text and f"{saddle.kappa:.4g}" not in text
