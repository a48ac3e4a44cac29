"""One conformance suite over every Map adapter (STYLE.md §12): the analytic Jacobian equals
``torch.func.jacrev`` of ``step`` to 1e-10 in float64, rows of a batch are independent, dtype
follows the input, and ``step_and_jacobian`` (where present) agrees with the separate calls."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from neurodyn.systems import (
    CallableMap,
    Henon,
    LinearMap,
    Logistic,
    Lorenz,
    Rossler,
    as_map,
)

F64 = torch.float64


def _mlp():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 7), nn.GELU(), nn.Linear(7, 3), nn.Tanh()).double()


def _rnn(cls, **kw):
    def make():
        torch.manual_seed(1)
        return cls(**kw).double()

    return make


ADAPTERS = {
    "feedforward": lambda: as_map(_mlp()),
    "rnn-tanh-2layers": lambda: as_map(_rnn(nn.RNN, input_size=2, hidden_size=4, num_layers=2)()),
    "rnn-relu": lambda: as_map(_rnn(nn.RNN, input_size=2, hidden_size=4, nonlinearity="relu")()),
    "lstm-2layers": lambda: as_map(_rnn(nn.LSTM, input_size=2, hidden_size=3, num_layers=2)()),
    "gru-2layers": lambda: as_map(_rnn(nn.GRU, input_size=2, hidden_size=3, num_layers=2)()),
    "lstm-cell": lambda: as_map(_rnn(nn.LSTMCell, input_size=2, hidden_size=3)()),
    "gru-cell-nobias": lambda: as_map(_rnn(nn.GRUCell, input_size=2, hidden_size=3, bias=False)()),
    "rnn-cell": lambda: as_map(_rnn(nn.RNNCell, input_size=2, hidden_size=3)()),
    "logistic": lambda: Logistic(3.7),
    "henon": lambda: Henon(),
    "lorenz": lambda: Lorenz(dt=0.02),
    "rossler": lambda: Rossler(dt=0.05),
    "linear-driven": lambda: LinearMap(
        torch.tensor([[0.5, 1.0], [-0.3, 0.8]], dtype=F64), torch.ones(2, 1, dtype=F64)
    ),
    "callable": lambda: as_map(
        lambda h: torch.sin(h) @ torch.tensor([[1.0, 2.0], [0.5, -1.0]], dtype=h.dtype), dim=2
    ),
    "callable-driven": lambda: CallableMap(lambda h, x: torch.tanh(2 * h + x), 2, input_size=2),
}


def _inputs(m, batch: int, dtype=F64):
    gen = torch.Generator().manual_seed(7)
    h = 0.5 * torch.randn(batch, m.dim, generator=gen, dtype=F64).to(dtype)
    if isinstance(m, Logistic):
        h = h.abs().clamp(0.05, 0.95)
    size = getattr(m, "input_size", None)
    x = None if size is None else torch.randn(batch, size, generator=gen, dtype=F64).to(dtype)
    return h, x


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_jacobian_equals_jacrev(name):
    m = ADAPTERS[name]()
    h, x = _inputs(m, 5)
    with torch.no_grad():
        J = m.jacobian(h, x)
    kt = getattr(m, "tangent_dim", m.dim)
    assert J.shape == (5, kt, kt) and J.dtype == F64

    def f(hh, xx):
        return m.step(hh.unsqueeze(0), None if xx is None else xx.unsqueeze(0)).squeeze(0)

    ref = torch.stack([torch.func.jacrev(f)(h[i], None if x is None else x[i]) for i in range(5)])
    torch.testing.assert_close(J, ref, atol=1e-10, rtol=0)


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_rows_are_independent_and_dtype_follows(name):
    m = ADAPTERS[name]()
    h, x = _inputs(m, 4)
    with torch.no_grad():
        full = m.step(h, x)
        for i in range(4):
            one = m.step(h[i : i + 1], None if x is None else x[i : i + 1])
            torch.testing.assert_close(one[0], full[i], atol=1e-13, rtol=0)
    if name in ("feedforward",) or name.startswith(("rnn", "lstm", "gru")):
        return  # module maps: their dtype is the module's (a float32 state is cast)
    h32, x32 = _inputs(m, 2, torch.float32)
    with torch.no_grad():
        assert m.step(h32, x32).dtype == torch.float32
        assert m.jacobian(h32, x32).dtype == torch.float32


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_step_and_jacobian_agree(name):
    m = ADAPTERS[name]()
    both = getattr(m, "step_and_jacobian", None)
    if both is None:
        pytest.skip("no fused step_and_jacobian")
    h, x = _inputs(m, 3)
    with torch.no_grad():
        s, J = both(h, x)
        torch.testing.assert_close(s, m.step(h, x), atol=0, rtol=0)
        torch.testing.assert_close(J, m.jacobian(h, x), atol=0, rtol=0)
