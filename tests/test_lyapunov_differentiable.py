"""The differentiable Lyapunov spectrum (``lyapunov_spectrum(..., differentiable=True)``).

Checked against what it did not produce: the default (no-graph) path for the values, central
finite differences of the forward spectrum for the parameter gradients of every model of
``neurodyn.train.MODELS``, and ``torch.autograd.gradcheck`` (its own finite differences) for
inputs, initial states and a user Map's weights.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from neurodyn.errors import InputError
from neurodyn.lyapunov import lyapunov_spectrum, positive_qr, qr
from neurodyn.systems import CallableMap
from neurodyn.train import MODELS, build_model

# a Sparse Combo Net differentiates only with its Euler step (the IMEX resolvent is a constant)
_OPTIONS = {"scn": {"method": "euler", "dt": 0.003}, "scn-svd": {"method": "euler", "dt": 0.003}}


def _body(name: str, hidden: int = 8):
    hidden = 16 if name.startswith("scn") else hidden
    model = build_model(name, 3, 5, hidden_size=hidden, seed=0, **_OPTIONS.get(name, {}))
    return model.double().body


def _inputs(batch=3, steps=15, seed=0):
    return torch.randn(batch, steps, 3, dtype=torch.float64,
                       generator=torch.Generator().manual_seed(seed))  # fmt: skip


def test_positive_qr_is_the_unique_factorisation():
    A = torch.randn(4, 6, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    Q, R = positive_qr(A)
    assert bool((torch.diagonal(R, dim1=-2, dim2=-1) > 0).all())
    torch.testing.assert_close(Q @ R, A, rtol=0, atol=1e-14)
    # the same up to column signs as the plain QR
    Q0, R0 = qr(A)
    torch.testing.assert_close(Q.abs(), Q0.abs(), rtol=0, atol=1e-15)
    torch.testing.assert_close(R.abs(), R0.abs(), rtol=0, atol=1e-15)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_values_equal_the_default_path(name):
    """Same QRs up to column signs, so the same exponents; 1e-13 is ~500 float64 ulps of the
    O(1) per-step logs summed over 15 steps (observed ≤ 2e-16)."""
    body, x = _body(name), _inputs()
    plain = lyapunov_spectrum(body, x, k=3)
    diff = lyapunov_spectrum(body, x, k=3, differentiable=True)
    assert diff.exponents.requires_grad and not plain.exponents.requires_grad
    torch.testing.assert_close(diff.exponents.detach(), plain.exponents, rtol=0, atol=1e-13)
    torch.testing.assert_close(diff.per_sample.detach(), plain.per_sample, rtol=0, atol=1e-13)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_parameter_gradient_matches_central_differences(name):
    """∇θ Σλᵢ² along a random direction v against (L(θ+εv) − L(θ−εv)) / 2ε, ε = 1e-6 in float64.

    The central difference errs by ε²·L'''/6 (measured: 1e-3 relative at ε = 1e-3 for nn.GRU,
    falling as ε²) plus rounding ~1e-16·L/ε; rtol 1e-6 clears both and catches any missing term
    (a dropped Jacobian dependence changes the gradient at O(1))."""
    body, x = _body(name), _inputs()
    params = [p for p in body.parameters() if p.requires_grad]

    def loss():
        return (lyapunov_spectrum(body, x, k=3, differentiable=True).exponents ** 2).sum()

    body.zero_grad()
    loss().backward()
    gen = torch.Generator().manual_seed(1)
    v = [torch.randn(p.shape, generator=gen, dtype=p.dtype) for p in params]
    grad_v = sum(
        float((p.grad * d).sum()) for p, d in zip(params, v, strict=True) if p.grad is not None
    )
    assert any(p.grad is not None and bool(p.grad.abs().sum() > 0) for p in params)
    eps = 1e-6
    with torch.no_grad():
        for p, d in zip(params, v, strict=True):
            p.add_(eps * d)
        up = float(loss())
        for p, d in zip(params, v, strict=True):
            p.sub_(2 * eps * d)
        down = float(loss())
        for p, d in zip(params, v, strict=True):
            p.add_(eps * d)
    fd = (up - down) / (2 * eps)
    assert grad_v == pytest.approx(fd, rel=1e-6, abs=1e-12)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_gradcheck_inputs_and_initial_state(kind):
    torch.manual_seed(0)
    module = getattr(nn, kind.upper())(2, 3, batch_first=True).double()
    x = torch.randn(2, 6, 2, dtype=torch.float64, requires_grad=True)
    n = 6 if kind == "lstm" else 3
    h0 = (0.3 * torch.randn(2, n, dtype=torch.float64)).requires_grad_()

    def f(x, h0):
        return lyapunov_spectrum(module, x, h0, k=2, differentiable=True).exponents

    assert torch.autograd.gradcheck(f, (x, h0), eps=1e-6, atol=1e-7, rtol=1e-5)


def test_gradcheck_user_map_weights_with_t_on_and_warmup():
    """A user's Map (Jacobian by torch.func) differentiated in its weights, with QR every 2
    steps and a warm-up (whose effect on the state and frame is part of the gradient)."""
    x = _inputs(batch=2, steps=12, seed=3)[:, :, :2]
    W0 = 0.9 * torch.randn(3, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    U = torch.randn(3, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(4))

    def f(W):
        m = CallableMap(lambda h, u: torch.tanh(h @ W.T + u @ U.T), 3, input_size=2)
        res = lyapunov_spectrum(m, x, k=2, warmup=2, t_on=2, differentiable=True)
        return res.exponents

    assert torch.autograd.gradcheck(f, (W0.clone().requires_grad_(),), eps=1e-6, atol=1e-7)


def test_truncated_gradient_keeps_values_and_equals_full_at_all_steps():
    body, x = _body("lstm"), _inputs(steps=20)

    def grads(grad_steps):
        body.zero_grad()
        res = lyapunov_spectrum(body, x, k=3, differentiable=True, grad_steps=grad_steps)
        (res.exponents**2).sum().backward()
        return res.exponents.detach(), torch.cat([p.grad.reshape(-1) for p in body.parameters()])

    full_values, full = grads(None)
    _, every = grads(20)  # no warm-up: the last 20 steps are all of them
    torch.testing.assert_close(every, full, rtol=0, atol=0)
    short_values, short = grads(5)
    torch.testing.assert_close(short_values, full_values, rtol=0, atol=1e-13)
    assert not torch.allclose(short, full)  # truncation is a real approximation here


def test_float32_runs_and_matches_the_default_path():
    """float32: same operations up to column signs; 1e-5 is ~100 float32 ulps of λ ~ 1."""
    body = build_model("lipschitz", 3, 5, hidden_size=8, seed=0).body
    x = _inputs().float()
    a = lyapunov_spectrum(body, x, k=3)
    b = lyapunov_spectrum(body, x, k=3, differentiable=True)
    (b.exponents**2).sum().backward()
    torch.testing.assert_close(b.exponents.detach(), a.exponents, rtol=0, atol=1e-5)
    assert all(p.grad is not None for p in body.parameters() if p.requires_grad)


def test_default_path_builds_no_graph_even_with_grad_enabled():
    body, x = _body("rnn"), _inputs()
    with torch.enable_grad():
        res = lyapunov_spectrum(body, x, k=2)
    assert res.exponents.grad_fn is None and not res.exponents.requires_grad


def test_refusals_name_the_fix():
    body, x = _body("rnn"), _inputs()
    with pytest.raises(ValueError, match="differentiable=True too"):
        lyapunov_spectrum(body, x, k=2, grad_steps=3)
    with pytest.raises(ValueError, match=r"grad_steps must be an int in \[1, steps = 15\]"):
        lyapunov_spectrum(body, x, k=2, differentiable=True, grad_steps=16)
    with pytest.raises(TypeError, match="differentiable must be True or False"):
        lyapunov_spectrum(body, x, k=2, differentiable=1)
    half = nn.RNN(3, 4, batch_first=True).half()
    with pytest.raises(InputError, match=r"module.float\(\)"), pytest.warns(UserWarning):
        lyapunov_spectrum(half, x.half(), k=2, differentiable=True)
    scn = build_model("scn", 3, 5, hidden_size=16, seed=0).double().body  # IMEX by default
    with pytest.raises(InputError, match="method='euler'"):
        lyapunov_spectrum(scn, x, k=2, differentiable=True)
    assert lyapunov_spectrum(scn, x, k=2).exponents.shape == (2,)  # the plain path still works
