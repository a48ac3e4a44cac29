"""TorchRNNMap: torch recurrent modules as maps h_t = F(h_{t-1}, x_t), with analytic Jacobians."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from neurodyn.systems._torch_rnn import TorchRNNMap

F64 = torch.float64
I_SIZE, H, B, T = 3, 5, 4, 7

KINDS = ["rnn_tanh", "rnn_relu", "lstm", "gru"]


def make_module(kind, num_layers=1, bias=True, batch_first=False, **kw):
    torch.manual_seed(7)
    common = dict(num_layers=num_layers, bias=bias, batch_first=batch_first, **kw)
    if kind == "lstm":
        mod = nn.LSTM(I_SIZE, H, **common)
    elif kind == "gru":
        mod = nn.GRU(I_SIZE, H, **common)
    else:
        mod = nn.RNN(I_SIZE, H, nonlinearity=kind[4:], **common)
    return mod.double().eval()


def make_cell(kind, bias=True):
    torch.manual_seed(7)
    if kind == "lstm":
        cell = nn.LSTMCell(I_SIZE, H, bias=bias)
    elif kind == "gru":
        cell = nn.GRUCell(I_SIZE, H, bias=bias)
    else:
        cell = nn.RNNCell(I_SIZE, H, bias=bias, nonlinearity=kind[4:])
    return cell.double()


def jac_reference(m, h, x):
    single = lambda hi, xi: m.step(hi[None], xi[None])[0]  # noqa: E731
    return torch.func.vmap(torch.func.jacrev(single))(h, x)


def random_state(m, batch=B, seed=3):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, m.dim, generator=g, dtype=F64), torch.randn(
        batch, m.input_size, generator=g, dtype=F64
    )


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("num_layers", [1, 2, 3])
@pytest.mark.parametrize("kind", KINDS)
def test_step_reproduces_module_and_jacobian_matches_jacrev(kind, num_layers, bias, batch_first):
    mod = make_module(kind, num_layers, bias, batch_first)
    m = TorchRNNMap(mod)
    n = (2 if kind == "lstm" else 1) * num_layers * H
    assert m.dim == n and m.tangent_dim == n and m.dt == 1.0
    assert m.input_size == I_SIZE and m.hidden_size == H and m.num_layers == num_layers

    g = torch.Generator().manual_seed(11)
    xs = torch.randn(T, B, I_SIZE, generator=g, dtype=F64)
    h0 = torch.randn(num_layers, B, H, generator=g, dtype=F64)
    c0 = torch.randn(num_layers, B, H, generator=g, dtype=F64)
    inp = xs.transpose(0, 1) if batch_first else xs
    with torch.no_grad():
        if kind == "lstm":
            out, (h_n, c_n) = mod(inp, (h0, c0))
            state = m.state_from_torch(h0, c0)
        else:
            out, h_n = mod(inp, h0)
            state = m.state_from_torch(h0)
        if batch_first:
            out = out.transpose(0, 1)
        outs = []
        for t in range(T):
            state = m.step(state, xs[t])
            outs.append(m.output(state))
    torch.testing.assert_close(torch.stack(outs), out, atol=1e-12, rtol=0)
    final = m.state_to_torch(state)
    if kind == "lstm":
        torch.testing.assert_close(final[0], h_n, atol=1e-12, rtol=0)
        torch.testing.assert_close(final[1], c_n, atol=1e-12, rtol=0)
    else:
        torch.testing.assert_close(final, h_n, atol=1e-12, rtol=0)

    h, x = random_state(m)
    J = m.jacobian(h, x)
    assert J.shape == (B, n, n)
    torch.testing.assert_close(J, jac_reference(m, h, x), atol=1e-10, rtol=0)
    s2, J2 = m.step_and_jacobian(h, x)
    torch.testing.assert_close(s2, m.step(h, x), atol=0, rtol=0)
    torch.testing.assert_close(J2, J, atol=0, rtol=0)
    # block lower-triangular (eq. 2.6): no layer depends on a higher layer's previous state
    w = n // num_layers
    for row in range(num_layers):
        assert torch.all(J[:, row * w : (row + 1) * w, (row + 1) * w :] == 0)


@pytest.mark.parametrize("num_layers", [1, 2, 3])
def test_lstm_h_only_is_the_hh_subblock(num_layers):
    mod = make_module("lstm", num_layers)
    exact, approx = TorchRNNMap(mod), TorchRNNMap(mod, lstm_state="h")
    assert approx.dim == exact.dim == 2 * num_layers * H
    assert approx.tangent_dim == num_layers * H
    h, x = random_state(exact)
    torch.testing.assert_close(approx.step(h, x), exact.step(h, x), atol=0, rtol=0)
    full = jac_reference(exact, h, x)
    idx = exact.h_index
    sub = full[:, idx][:, :, idx]
    Jh = approx.jacobian(h, x)
    assert Jh.shape == (B, num_layers * H, num_layers * H)
    torch.testing.assert_close(Jh, sub, atol=1e-10, rtol=0)
    _, J2 = approx.step_and_jacobian(h, x)
    torch.testing.assert_close(J2, Jh, atol=0, rtol=0)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("kind", KINDS)
def test_cells(kind, bias):
    cell = make_cell(kind, bias)
    m = TorchRNNMap(cell)
    assert m.num_layers == 1 and m.dim == (2 if kind == "lstm" else 1) * H
    g = torch.Generator().manual_seed(5)
    xs = torch.randn(T, B, I_SIZE, generator=g, dtype=F64)
    h = torch.randn(B, H, generator=g, dtype=F64)
    c = torch.randn(B, H, generator=g, dtype=F64)
    state = m.state_from_torch(h, c if kind == "lstm" else None)
    with torch.no_grad():
        for t in range(T):
            if kind == "lstm":
                h, c = cell(xs[t], (h, c))
            else:
                h = cell(xs[t], h)
            state = m.step(state, xs[t])
            torch.testing.assert_close(m.output(state), h, atol=1e-12, rtol=0)
    back = m.state_to_torch(state)
    if kind == "lstm":
        torch.testing.assert_close(back[0], h, atol=1e-12, rtol=0)
        torch.testing.assert_close(back[1], c, atol=1e-12, rtol=0)
    else:
        assert back.shape == (B, H)
    hs, x = random_state(m)
    torch.testing.assert_close(m.jacobian(hs, x), jac_reference(m, hs, x), atol=1e-10, rtol=0)
    if kind == "lstm":
        approx = TorchRNNMap(cell, lstm_state="h")
        full = jac_reference(m, hs, x)
        torch.testing.assert_close(approx.jacobian(hs, x), full[:, :H, :H], atol=1e-10, rtol=0)


def test_bidirectional_raises():
    with pytest.raises(ValueError, match=r"bidirectional.*causal"):
        TorchRNNMap(nn.GRU(3, 4, bidirectional=True))


def test_proj_size_raises():
    with pytest.raises(ValueError, match="proj_size"):
        TorchRNNMap(nn.LSTM(3, 4, proj_size=2))


def test_training_dropout_raises():
    mod = nn.LSTM(3, 4, num_layers=2, dropout=0.5)
    with pytest.raises(ValueError, match=r"dropout.*eval\(\)"):
        TorchRNNMap(mod)
    m = TorchRNNMap(mod.eval())
    mod.train()
    h, x = torch.zeros(2, m.dim), torch.zeros(2, 3)
    with pytest.raises(ValueError, match="dropout"):
        m.step(h, x)
    # training mode without dropout is deterministic and fine
    TorchRNNMap(nn.GRU(3, 4, num_layers=2).train())


def test_bad_arguments_raise():
    m = TorchRNNMap(make_module("lstm", 2))
    h, x = random_state(m)
    with pytest.raises(ValueError, match="driven"):
        m.step(h)
    with pytest.raises(ValueError, match="driven"):
        m.jacobian(h, None)
    with pytest.raises(ValueError, match="n = 20"):
        m.step(h[:, :10], x)
    with pytest.raises(ValueError, match="input x"):
        m.step(h, x[:, :2])
    with pytest.raises(ValueError, match="lstm_state"):
        TorchRNNMap(make_module("lstm"), lstm_state="c")
    with pytest.raises(ValueError, match="LSTMs only"):
        TorchRNNMap(make_module("gru"), lstm_state="h")
    with pytest.raises(TypeError, match=r"nn\.LSTM"):
        TorchRNNMap(nn.Linear(3, 3))
    with pytest.raises(ValueError, match="c_n"):
        m.state_from_torch(torch.zeros(2, B, H))
    with pytest.raises(ValueError, match=r"\(2, B, 5\)"):
        m.state_from_torch(torch.zeros(3, B, H), torch.zeros(3, B, H))


@pytest.mark.parametrize("kind", KINDS)
def test_state_round_trip_and_zero_state(kind):
    m = TorchRNNMap(make_module(kind, 3))
    h, _ = random_state(m)
    back = m.state_to_torch(h)
    again = m.state_from_torch(*back) if kind == "lstm" else m.state_from_torch(back)
    torch.testing.assert_close(again, h, atol=0, rtol=0)
    hn = back[0] if kind == "lstm" else back
    assert hn.shape == (3, B, H)
    # layout: [h_0, (c_0,) h_1, ...]; h_index picks the h-parts in layer order
    torch.testing.assert_close(h[:, m.h_index].reshape(B, 3, H).transpose(0, 1), hn)
    z = m.zero_state(2)
    assert z.shape == (2, m.dim) and z.dtype == F64 and not z.any()
    assert m.zero_state(1, dtype=torch.float32).dtype == torch.float32
    assert "TorchRNNMap" in repr(m)


def test_float32_module_at_zero_state():
    mod = nn.LSTM(3, 6, num_layers=2).eval()
    m = TorchRNNMap(mod)
    h, x = m.zero_state(2), torch.zeros(2, 3)
    s, J = m.step_and_jacobian(h, x)
    assert s.dtype == torch.float32 and J.shape == (2, 24, 24)


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn_tanh"])
def test_jacobian_is_differentiable_in_the_parameters(kind):
    # e.g. for a loss on Lyapunov exponents: the gradient of J through the weights is right
    mod = make_module(kind, 2)
    m = TorchRNNMap(mod)
    h, x = random_state(m)
    weights = torch.randn(B, m.dim, m.dim, dtype=F64)
    (ours,) = torch.autograd.grad((m.jacobian(h, x) * weights).sum(), mod.weight_hh_l0)
    (ref,) = torch.autograd.grad((jac_reference(m, h, x) * weights).sum(), mod.weight_hh_l0)
    torch.testing.assert_close(ours, ref, atol=1e-10, rtol=0)
