"""Every public entry point checks what it is given before it computes (issue 21, items 2, 3, 8).

* A NaN / inf parameter is refused with a ValueError that names the parameter, by every entry
  point and for every model kind (never a solver failure, an "INTERNAL ASSERT", or a result that
  calls every start "divergent").
* A float16 / bfloat16 module is analysed as a float32 copy, said by one UserWarning: the result
  equals that of the same call on ``model.float()`` (the documented workaround) exactly, and the
  caller's module is left in its own dtype.
* Empty batches, NaN inputs and a warm-up longer than the inputs are refused with a message that
  names what is wrong (rows, steps, the lengths), before anything is iterated.
* ``check_map`` takes a user Map's dtype from the tensors it holds.

``NEURODYN_EXTENSIVE_TESTS=1`` runs 10× the hypothesis examples.
"""

from __future__ import annotations

import copy
import os
import re

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import neurodyn
from neurodyn import contraction
from neurodyn.dynamics import Box
from neurodyn.errors import DivergenceError, NeurodynError
from neurodyn.nn import CTRNN, SparseComboNet
from neurodyn.testing import check_map

EXAMPLES = 250 if os.environ.get("NEURODYN_EXTENSIVE_TESTS") else 25
F64 = torch.float64
BOX2 = [(-1.0, 1.0), (-1.0, 1.0)]

# ----------------------------------------------------------------------------- the models


def _mlp(act=nn.Tanh):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(2, 6), act(), nn.Linear(6, 2))
    with torch.no_grad():
        net[2].weight.mul_(0.5)
    return net.eval()


def _recurrent(kind: str) -> nn.Module:
    torch.manual_seed(0)
    if kind == "ctrnn":
        return CTRNN(3, 4, batch_first=True)
    cls = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[kind]
    return cls(3, 4, batch_first=True).eval()


MODELS = {
    "mlp-tanh": lambda: _mlp(nn.Tanh),
    "mlp-relu": lambda: _mlp(nn.ReLU),
    **{k: (lambda k=k: _recurrent(k)) for k in ("lstm", "gru", "rnn", "ctrnn")},
}
DRIVEN = {"lstm", "gru", "rnn", "ctrnn"}

_X0 = 0.3 * torch.ones(3, 2)
_INPUTS = 0.5 * torch.randn(2, 12, 3, generator=torch.Generator().manual_seed(1))

#: Each public entry point as one small call on (model, float32 data), with the numbers to
#: compare between two runs.
AUTONOMOUS = {
    "certify": (
        lambda m: neurodyn.certify(m, BOX2, resolution=4, samples=20),
        lambda r: torch.tensor([c.margin for c in r], dtype=F64),
    ),
    "fixed_points": (
        lambda m: neurodyn.fixed_points(m, low=(-1.0, -1.0), high=(1.0, 1.0), resolution=3),
        lambda r: r.stack(),
    ),
    "attractors": (
        lambda m: neurodyn.attractors(m, box=BOX2, samples=6, steps=10, window=10),
        lambda r: r.labels,
    ),
    "basins": (
        lambda m: neurodyn.basins(m, BOX2, resolution=3, steps=10, window=10),
        lambda r: r.labels,
    ),
    "classify_attractor": (
        lambda m: neurodyn.classify_attractor(
            m, Box((-1.0, -1.0), (1.0, 1.0)), resolution=3, transient=10, window=8
        ),
        lambda r: r.kind,
    ),
    "simulate": (lambda m: neurodyn.simulate(m, _X0, 5), lambda r: r.states),
    "lyapunov_spectrum": (
        lambda m: neurodyn.lyapunov_spectrum(m, h0=_X0, steps=8),
        lambda r: r.exponents,
    ),
    "covariant_lyapunov_vectors": (
        lambda m: neurodyn.covariant_lyapunov_vectors(m, h0=_X0, steps=2, warmup=2, transient=2),
        lambda r: r.forward_exponents,
    ),
}
DRIVEN_CALLS = {
    "lyapunov_spectrum": (
        lambda m: neurodyn.lyapunov_spectrum(m, _INPUTS, warmup=2),
        lambda r: r.exponents,
    ),
    "covariant_lyapunov_vectors": (
        lambda m: neurodyn.covariant_lyapunov_vectors(m, _INPUTS, steps=2, warmup=2, transient=2),
        lambda r: r.forward_exponents,
    ),
}


def _calls(kind: str) -> dict:
    return DRIVEN_CALLS if kind in DRIVEN else AUTONOMOUS


@st.composite
def _model_and_entry(draw):
    kind = draw(st.sampled_from(sorted(MODELS)))
    entry = draw(st.sampled_from(sorted(_calls(kind))))
    return kind, entry


# ------------------------------------------------------------- NaN / inf parameters (item 3)


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    case=_model_and_entry(),
    fault=st.sampled_from([float("nan"), float("inf"), -float("inf")]),
    dtype=st.sampled_from([torch.float16, torch.bfloat16, torch.float32, F64]),
    which=st.integers(0, 10**6),
    where=st.integers(0, 10**6),
)
def test_a_nonfinite_parameter_is_named_by_every_entry_point(case, fault, dtype, which, where):
    kind, entry = case
    model = MODELS[kind]().to(dtype)
    names = [n for n, _ in model.named_parameters()]
    name = names[which % len(names)]
    param = dict(model.named_parameters())[name]
    with torch.no_grad():
        param.view(-1)[where % param.numel()] = fault
    call, _ = _calls(kind)[entry]
    with pytest.raises(ValueError, match=re.escape(f"parameter {name!r}")) as info:
        call(model)
    assert isinstance(info.value, NeurodynError) and not isinstance(info.value, DivergenceError)
    assert ("NaN" if fault != fault else "inf") in str(info.value)
    assert entry in str(info.value)  # which call refused it


def test_a_nan_weight_never_reaches_the_solvers(capfd):
    """Main printed 25 oneMKL DGELSY lines and a PyTorch INTERNAL ASSERT for fixed_points, and
    a raw _LinAlgError for certify; attractors and basins called every start "divergent"."""
    net = _mlp()
    with torch.no_grad():
        net[2].weight[0, 1] = float("nan")
    for entry in ("certify", "fixed_points", "attractors", "basins"):
        with pytest.raises(ValueError, match=r"parameter '2\.weight' of the Sequential"):
            AUTONOMOUS[entry][0](net)
    out = capfd.readouterr()
    assert "MKL" not in out.out + out.err


def test_contraction_certify_names_a_nonfinite_parameter():
    torch.manual_seed(0)
    scn = SparseComboNet(1, 4, num_blocks=2, block_size=2, density=0.5)
    name = next(n for n, _ in scn.named_parameters())
    with torch.no_grad():
        dict(scn.named_parameters())[name].view(-1)[0] = float("nan")
    with pytest.raises(ValueError, match=re.escape(f"parameter {name!r}")):
        contraction.certify(scn)
    W = torch.tensor([[0.1, float("inf")], [0.0, 0.2]], dtype=F64)
    with pytest.raises(ValueError, match=r"1 inf entry .*index \[0, 1\]"):
        contraction.certify(W)
    with pytest.raises(ValueError, match=r"1 inf entry"):
        contraction.certify(W.numpy())


def test_a_nonfinite_buffer_is_named():
    net = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.Tanh(), nn.Linear(3, 2)).eval()
    net[1].running_var[2] = float("nan")
    with pytest.raises(ValueError, match=r"parameter '1\.running_var'"):
        neurodyn.fixed_points(net, low=(-1.0, -1.0), high=(1.0, 1.0), resolution=3)


class _UserMap:
    """A user's Map: a plain class holding a float64 weight matrix."""

    dim = 2

    def __init__(self, W=None):
        self.W = 0.6 * torch.eye(2, dtype=F64) if W is None else W

    def step(self, h, x=None):
        return torch.tanh(h @ self.W.T)

    def jacobian(self, h, x=None):
        return (1 - self.step(h) ** 2).unsqueeze(2) * self.W


def test_a_nonfinite_tensor_a_user_map_holds_is_named():
    W = torch.tensor([[0.5, 0.0], [float("nan"), 0.5]], dtype=F64)
    with pytest.raises(ValueError, match=r"parameter 'W' of the _UserMap .*index \[1, 0\]"):
        neurodyn.attractors(_UserMap(W), box=BOX2, samples=4, steps=5, window=5)
    with pytest.raises(ValueError, match=r"parameter 'W'"):
        neurodyn.lyapunov_spectrum(neurodyn.as_map(_UserMap(W)), h0=_X0.double(), steps=5)


# ------------------------------------------------------------ float16 / bfloat16 (item 3)


def _assert_equal_to_float32_rounding(got, want):
    """16 float32 ulps of the largest number (see the comment at the first use)."""
    scale = float(want.abs().nan_to_num(0.0, 0.0, 0.0).max().clamp(min=1.0))
    eps = torch.finfo(torch.float32).eps
    torch.testing.assert_close(got, want, rtol=0, atol=16 * eps * scale, equal_nan=True)


@settings(max_examples=EXAMPLES, deadline=None)
@given(case=_model_and_entry(), dtype=st.sampled_from([torch.float16, torch.bfloat16]))
@pytest.mark.filterwarnings("ignore:covariant vectors may not have converged")
def test_half_precision_runs_as_the_float32_copy(case, dtype):
    kind, entry = case
    model = MODELS[kind]().to(dtype)
    call, numbers = _calls(kind)[entry]
    with pytest.warns(UserWarning, match=rf"{entry}: .* {str(dtype)[6:]} weights; analysing a "):
        got = call(model)
    want = call(copy.deepcopy(model).float())  # the user's own upcast of the same weights
    got, want = numbers(got), numbers(want)
    if isinstance(got, str) or not want.is_floating_point():
        assert got == want if isinstance(got, str) else torch.equal(got, want)
    else:
        # The same float32 weights through the same kernels, but not bit for bit: oneDNN/MKL pick
        # SIMD paths by memory alignment, so two runs of one float32 computation can differ in
        # the last bits (CI saw 1 ulp, 3e-8, in a certify margin of size ~0.25 on a bfloat16 MLP).
        # 16 float32 ulps of the largest number cover the short reductions these calls make;
        # a wrong upcast (a bfloat16 or float16 result) would be off by 1e-3 to 1e-2.
        _assert_equal_to_float32_rounding(got, want)
    assert next(model.parameters()).dtype == dtype  # the caller's model is not converted


def test_half_precision_inputs_follow_the_upcast_model():
    lstm = _recurrent("lstm").half()
    with pytest.warns(UserWarning, match="float16 weights") as seen:
        got = neurodyn.lyapunov_spectrum(lstm, _INPUTS.half(), warmup=2)
    assert len(seen) == 1  # said once
    want = neurodyn.lyapunov_spectrum(copy.deepcopy(lstm).float(), _INPUTS.half().float(), warmup=2)
    _assert_equal_to_float32_rounding(got.exponents, want.exponents)
    assert got.exponents.dtype == torch.float32


def test_a_half_precision_map_says_how_to_fix_it():
    lstm_map = neurodyn.as_map(_recurrent("lstm").half())
    with pytest.raises(ValueError, match=r"computes in float16.*module\.float\(\)"):
        neurodyn.lyapunov_spectrum(lstm_map, _INPUTS.half(), warmup=2)


# --------------------------------------------------------- empty batches, NaN inputs (3, 8)


@pytest.mark.parametrize(
    "call",
    [
        lambda: neurodyn.lyapunov_spectrum(_recurrent("lstm"), torch.zeros(0, 60, 3)),
        lambda: neurodyn.lyapunov_spectrum(
            _recurrent("gru"), torch.zeros(60, 0, 3), batch_first=False
        ),
        lambda: neurodyn.lyapunov_spectrum(_mlp(), h0=torch.zeros(0, 2), steps=5),
        lambda: neurodyn.covariant_lyapunov_vectors(
            _recurrent("lstm"), torch.zeros(0, 60, 3), steps=5, warmup=5, transient=5
        ),
        lambda: neurodyn.attractors(_mlp(), starts=torch.zeros(0, 2), steps=5, window=5),
        lambda: neurodyn.basins(_mlp(), starts=torch.zeros(0, 2), steps=5, window=5),
        lambda: neurodyn.classify_attractor(_mlp(), starts=torch.zeros(0, 2)),
        lambda: neurodyn.certify(_mlp(), torch.zeros(0, 2)),
    ],
    ids=[
        "lyap",
        "lyap-time-first",
        "lyap-h0",
        "clv",
        "attractors",
        "basins",
        "classify",
        "certify",
    ],
)
def test_an_empty_batch_is_refused_by_name(call):
    with pytest.raises(ValueError, match=r"has an empty batch \(shape \((0|60, 0), "):
        call()


def test_empty_seeds_give_an_empty_answer():
    """Where no start is a well-defined question (Newton from no seeds), the answer is empty."""
    assert len(neurodyn.fixed_points(_mlp(), seeds=torch.zeros(0, 2))) == 0


@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_nonfinite_inputs_are_named_by_row_and_step(batch_first, bad):
    lstm = _recurrent("lstm")
    lstm.batch_first = batch_first
    x = torch.randn(4, 30, 3)
    x[1, 7, 2] = bad
    x[3, 9, 0] = bad
    if not batch_first:
        x = x.transpose(0, 1).contiguous()
    label = "NaN" if bad != bad else "inf"
    layout = r"inputs\[b, t\]" if batch_first else r"inputs\[t, b\]"
    msg = rf"inputs contains {label} in batch row\(s\) 1, 3 at time step\(s\) 7, 9 \(0-based, "
    with pytest.raises(ValueError, match=msg + layout) as info:
        neurodyn.lyapunov_spectrum(lstm, x)
    assert not isinstance(info.value, DivergenceError)  # not "lower the input scale"
    assert "input scale" not in str(info.value)


def test_nonfinite_states_are_named_by_row():
    h0 = torch.zeros(4, 2)
    h0[2, 1] = float("nan")
    for call in (
        lambda: neurodyn.lyapunov_spectrum(_mlp(), h0=h0, steps=5),
        lambda: neurodyn.attractors(_mlp(), starts=h0, steps=5, window=5),
    ):
        with pytest.raises(ValueError, match=r"contains NaN in batch row\(s\) 2;"):
            call()


def test_a_warmup_longer_than_the_inputs_says_so():
    with pytest.raises(ValueError) as info:
        neurodyn.lyapunov_spectrum(_recurrent("lstm"), torch.randn(4, 10, 3), warmup=20)
    msg = str(info.value)
    assert "warmup = 20 is not below the 10 time steps" in msg and "warmup < 10" in msg
    assert "steps must be" not in msg  # the user gave no steps
    with pytest.raises(ValueError, match=r"inputs have no time steps \(shape \(3, 0, 3\)"):
        neurodyn.lyapunov_spectrum(_recurrent("lstm"), torch.randn(3, 0, 3))


# ------------------------------------------------------------------- check_map (item 2)


class _UserModule(nn.Module):
    """A user's Map as an nn.Module with float64 parameters and no ``dtype`` attribute."""

    dim = 2

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.lin = nn.Linear(2, 2, dtype=F64)

    def step(self, h, x=None):
        return torch.tanh(self.lin(h))

    def jacobian(self, h, x=None):
        return (1 - self.step(h) ** 2).unsqueeze(2) * self.lin.weight


@pytest.mark.parametrize("make", [_UserMap, _UserModule])
def test_check_map_takes_the_dtype_a_user_map_holds(make):
    """Main reran the map in float32 and crashed: expected m1 and m2 to have the same dtype."""
    check_map(make())


def test_check_map_runs_a_float32_user_map_in_float32():
    check_map(_UserMap(0.6 * torch.eye(2)))  # main built float64 states and crashed


class _Following(_UserMap):
    """Holds float32 weights but follows the state's dtype."""

    def step(self, h, x=None):
        return torch.tanh(h @ self.W.to(h.dtype).T)

    def jacobian(self, h, x=None):
        return (1 - self.step(h) ** 2).unsqueeze(2) * self.W.to(h.dtype) * (1 + 1e-7)


def test_check_map_still_checks_a_following_map_in_float64():
    """One probe step says the map follows its input, so it is held to float64's 1e-10 (its
    float32 weights do not make it a float32 map)."""
    with pytest.raises(AssertionError, match=r"check_map\[jacobian\].*allowed 1e-10"):
        check_map(_Following(0.6 * torch.eye(2)))


class _SlightlyWrong(_UserMap):
    def jacobian(self, h, x=None):
        return super().jacobian(h) * (1 + 1e-7)  # within float32's 1e-4, not float64's 1e-10


def test_check_map_checks_a_float64_map_at_float64_tolerance():
    with pytest.raises(AssertionError, match=r"check_map\[jacobian\].*allowed 1e-10"):
        check_map(_SlightlyWrong())


def test_check_map_names_the_held_dtype_for_a_state_in_another():
    with pytest.raises(AssertionError, match=r"check_map\[dtype\].*pass h in torch\.float64"):
        check_map(_UserMap(), h=torch.zeros(3, 2))


class _Hidden:
    """Holds no tensor but computes in float64 whatever the state is."""

    dim = 2

    def step(self, h, x=None):
        return h @ torch.eye(2, dtype=F64)

    def jacobian(self, h, x=None):
        return torch.eye(2, dtype=F64).expand(h.shape[0], 2, 2)


def test_check_map_says_what_to_declare_for_a_map_that_does_not_follow():
    with pytest.raises(AssertionError, match=r"check_map\[dtype\].*declare the dtype it computes"):
        check_map(_Hidden())


def test_check_map_keeps_a_declared_dtype():
    class Declared(_Hidden):
        dtype = F64

    check_map(Declared())
