"""One conformance suite over every Map adapter (STYLE.md §12), through the public
:func:`neurodyn.testing.check_map`: the analytic Jacobian equals ``torch.func.jacrev`` of
``step`` to 1e-10 in float64, rows of a batch are independent, dtype follows the input, and
``step_and_jacobian`` (with and without an ``out=`` buffer) equals the separate calls exactly.
Also: check_map can fail (wrong Jacobian, coupled rows, wrong dtype, a fused call that differs),
and user maps (a plain class; a module with ``__neurodyn_map__``) pass it and run everywhere."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import neurodyn.nn as ndnn
from neurodyn.systems import (
    CallableMap,
    FlowMap,
    FrozenInput,
    Henon,
    LinearMap,
    Logistic,
    Lorenz,
    Lorenz96,
    Rossler,
    as_map,
)
from neurodyn.testing import check_map

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
    "lorenz96": lambda: Lorenz96(n=5, dt=0.02),
    "linear-driven": lambda: LinearMap(
        torch.tensor([[0.5, 1.0], [-0.3, 0.8]], dtype=F64), torch.ones(2, 1, dtype=F64)
    ),
    "callable": lambda: as_map(
        lambda h: torch.sin(h) @ torch.tensor([[1.0, 2.0], [0.5, -1.0]], dtype=h.dtype), dim=2
    ),
    "callable-driven": lambda: CallableMap(lambda h, x: torch.tanh(2 * h + x), 2, input_size=2),
    "flow-euler-driven": lambda: FlowMap(
        lambda h, x: torch.tanh(h.flip(1) + x) - h, 0.1, "euler", dim=2, input_size=2
    ),
    "flow-imex": lambda: FlowMap(torch.sin, 0.2, "imex", dim=2, linear=[-1.0, -3.0]),
    "frozen-lstm": lambda: FrozenInput(
        _rnn(nn.LSTM, input_size=2, hidden_size=3)(), torch.tensor([0.2, -0.4], dtype=F64)
    ),
    # --- neurodyn.nn recurrent cells (full-state analytic Jacobians) ---
    "cell-lipschitz-euler": lambda: as_map(_rnn(ndnn.LipschitzRNN, input_size=2, hidden_size=4)()),
    "cell-lipschitz-imex": lambda: as_map(
        _rnn(ndnn.LipschitzRNN, input_size=2, hidden_size=4, method="imex", dt=0.5, beta_a=0.5)()
    ),
    "cell-antisymmetric": lambda: as_map(
        _rnn(ndnn.AntisymmetricRNN, input_size=2, hidden_size=4, eps=0.3)()
    ),
    "cell-cornn": lambda: as_map(_rnn(ndnn.CoRNN, input_size=2, hidden_size=3)()),
    "cell-lem": lambda: as_map(_rnn(ndnn.LEM, input_size=2, hidden_size=3, dt=0.7)()),
    "cell-noisy": lambda: as_map(_rnn(ndnn.NoisyRNN, input_size=2, hidden_size=3)().train()),
    "cell-ctrnn-euler": lambda: as_map(_rnn(ndnn.CTRNN, input_size=2, hidden_size=3)()),
    "cell-ctrnn-imex-sigmoid": lambda: as_map(
        _rnn(ndnn.CTRNN, input_size=2, hidden_size=3, method="imex", nonlinearity="sigmoid")()
    ),
    "cell-ctrnn-rk4-relu": lambda: as_map(
        _rnn(ndnn.CTRNN, input_size=2, hidden_size=3, method="rk4", nonlinearity="relu")()
    ),
    # --- end cells ---
}


def _inputs(m, batch: int, dtype=F64):
    gen = torch.Generator().manual_seed(7)
    h = 0.5 * torch.randn(batch, m.dim, generator=gen, dtype=F64).to(dtype)
    if isinstance(m, Logistic):
        h = h.abs().clamp(0.05, 0.95)
    size = getattr(m, "input_size", None)
    x = None if size is None else torch.randn(batch, size, generator=gen, dtype=F64).to(dtype)
    return h, x


#: Maps whose Jacobian is torch.func itself: comparing it with jacrev would test jacrev against
#: itself, so their Jacobian check is skipped (test_lyapunov compares CallableMap's numbers with
#: analytic Jacobians instead).
AUTOGRAD = {"callable", "callable-driven"}


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_adapter_conforms(name):
    """Jacobian = jacrev to 1e-10, independent rows, dtype following, fused = separate (exactly)."""
    m = ADAPTERS[name]()
    h, x = _inputs(m, 5)
    skip = ("jacobian",) if name in AUTOGRAD else ()
    check_map(m, h, x, atol=1e-10, fused_exact=True, skip=skip)


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_maps_without_a_dtype_follow_a_float32_state(name):
    m = as_map(ADAPTERS[name]())
    if m.dtype is not None:
        pytest.skip("module maps compute in their parameters' dtype")
    h, x = _inputs(m, 3, torch.float32)
    check_map(m, h, x, skip=("jacobian",) if name in AUTOGRAD else ())


# --- check_map itself must be able to fail --------------------------------------------------


class _UserMap:
    """A map written by a user: a plain class with only dim, step and jacobian."""

    dim = 2
    A = torch.tensor([[0.9, -0.4], [0.3, 0.5]], dtype=F64)

    def step(self, h, x=None):
        return torch.tanh(h @ self.A.to(h.dtype).T)

    def jacobian(self, h, x=None):
        return (1 - self.step(h) ** 2).unsqueeze(2) * self.A.to(h.dtype)


class _WrongJacobian(_UserMap):
    def jacobian(self, h, x=None):
        return super().jacobian(h).mT  # transposed: wrong, A is not symmetric


class _CoupledRows(_UserMap):
    def step(self, h, x=None):
        return super().step(h) + 1e-3 * h.mean(0)  # leaks across the batch


class _WrongDtype(_UserMap):
    def step(self, h, x=None):
        return super().step(h).float()


class _BadFused(_UserMap):
    def step_and_jacobian(self, h, x=None, *, out=None):
        return self.step(h), (out if out is not None else self.jacobian(h))  # out left unread


@pytest.mark.parametrize(
    ("cls", "check"),
    [(_WrongJacobian, "jacobian"), (_CoupledRows, "rows"), (_WrongDtype, "dtype"),
     (_BadFused, "fused")],
)  # fmt: skip
def test_check_map_fails_on_a_broken_map(cls, check):
    earlier = {"rows": ("jacobian",), "dtype": ("jacobian",)}.get(check, ())
    with pytest.raises(AssertionError, match=rf"check_map\[{check}\] failed"):
        check_map(cls(), skip=earlier)
    check_map(_UserMap())  # the correct map passes


class _HookModule(nn.Module):
    """A user's nn.Module exposing its Map through the extension hook."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(3)
        self.lin = nn.Linear(2, 2, dtype=F64)

    def forward(self, h):
        return torch.tanh(self.lin(h))

    def __neurodyn_map__(self):
        module = self

        class _M:
            dim, dtype = 2, F64

            def step(self, h, x=None):
                return module(h)

            def jacobian(self, h, x=None):
                return (1 - module(h) ** 2).unsqueeze(2) * module.lin.weight

        return _M()


@pytest.mark.parametrize("make", [_UserMap, _HookModule])
def test_user_maps_run_through_check_map_spectrum_and_fixed_points(make):
    from neurodyn.dynamics import fixed_points
    from neurodyn.lyapunov import lyapunov_spectrum

    obj = make()
    check_map(obj)
    h0 = 0.3 * torch.ones(2, 2, dtype=F64)
    with torch.no_grad():
        res = lyapunov_spectrum(obj, h0=h0, steps=200)
        fallback = CallableMap(as_map(obj).step, 2)  # autograd Jacobian: an independent route
        ref = lyapunov_spectrum(fallback, h0=h0, steps=200)
    torch.testing.assert_close(res.exponents, ref.exponents, atol=1e-10, rtol=0)
    pts = fixed_points(obj, low=(-1.0, -1.0), high=(1.0, 1.0), resolution=4)
    assert len(pts) >= 1
    for p in pts.points:
        assert (as_map(obj).step(p.x[None])[0] - p.x).abs().max() < 1e-9
