"""The exact pointwise-affine form f(x) = A*(x) x + b*(x).

Drgoňa et al., Spectral analysis, Lemma 3 and Prop. 12; Drgoňa et al., Dissipative, eq. 3–6 (the
σ(0) offset).
"""

from __future__ import annotations

import itertools

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from helpers import assert_close, jacobian_reference, make_activation, make_mlp
from neurodyn.activations import SUPPORTED_ACTIVATIONS
from neurodyn.pwa import AffineForm, linearize

F64 = torch.float64
HOMOGENEOUS = ("ReLU", "LeakyReLU", "PReLU", "RReLU")
SMOOTH = ("Tanh", "GELU", "Sigmoid", "SiLU", "ELU", "Softplus", "Mish", "Softsign")


@st.composite
def mlp_cases(draw, activations=SUPPORTED_ACTIVATIONS):
    """A random float64 MLP (1–5 Linear layers, widths 1–7) and a batch of points for it."""
    activation = draw(st.sampled_from(activations))
    depth = draw(st.integers(1, 5))
    widths = draw(st.lists(st.integers(1, 7), min_size=depth + 1, max_size=depth + 1))
    bias = draw(st.booleans())
    final_activation = draw(st.booleans())
    per_channel = activation == "PReLU" and draw(st.booleans())
    scale = draw(st.floats(1e-3, 10.0))
    seed = draw(st.integers(0, 2**31 - 1))
    net = make_mlp(
        widths,
        activation,
        bias=bias,
        per_channel_prelu=per_channel,
        final_activation=final_activation,
        seed=seed,
    )
    x = torch.randn(6, widths[0], dtype=F64) * scale
    return net, x


# ---------------------------------------------------------------------------------------------
# The identity f(x) = A*(x) x + b*(x) holds exactly (to rounding)
# ---------------------------------------------------------------------------------------------


@given(mlp_cases())
def test_affine_form_reproduces_network(case):
    net, x = case
    with torch.no_grad():
        form = linearize(net, x)
        y = net(x)
    assert isinstance(form, AffineForm)
    assert form.A.shape == (x.shape[0], y.shape[1], x.shape[1])
    assert form.b.shape == y.shape
    assert_close(form(), y, 1e-10)
    assert_close(torch.einsum("bmn,bn->bm", form.A, x) + form.b, y, 1e-10)


@pytest.mark.parametrize("name", SUPPORTED_ACTIVATIONS)
def test_every_activation_alone_and_in_mlp(name):
    """Each activation with default arguments, as a bare module and inside an MLP."""
    x = torch.randn(16, 3, dtype=F64) * 4
    act = make_activation(name).to(F64)
    with torch.no_grad():
        assert_close(linearize(act, x)(), act(x), 1e-12)
        net = make_mlp([3, 5, 2], name, seed=1)
        assert_close(linearize(net, x)(), net(x), 1e-12)


def test_single_linear_layer_is_its_own_form():
    lin = nn.Linear(3, 2).double()
    x = torch.randn(4, 3, dtype=F64)
    form = linearize(lin, x)
    assert torch.equal(form.A, lin.weight.detach().expand(4, 2, 3))
    assert torch.equal(form.b, lin.bias.detach().expand(4, 2))


# ---------------------------------------------------------------------------------------------
# Structure: nesting, pass-through modules, shared modules
# ---------------------------------------------------------------------------------------------


def test_nested_sequential_and_pass_through_modules():
    torch.manual_seed(3)
    net = nn.Sequential(
        nn.Sequential(nn.Flatten(), nn.Linear(3, 6), nn.Identity()),
        nn.Sequential(nn.Tanh(), nn.Dropout(0.5), nn.Sequential(nn.Linear(6, 4), nn.ReLU())),
        nn.Dropout(0.2),
        nn.Linear(4, 2),
    ).double()
    net.eval()
    x = torch.randn(10, 3, dtype=F64)
    with torch.no_grad():
        assert_close(linearize(net, x)(), net(x), 1e-12)
    flat = nn.Sequential(
        net[0][1], net[1][0], net[1][2][0], net[1][2][1], net[3]
    )  # the same computation without the pass-through modules
    with torch.no_grad():
        assert_close(linearize(net, x).A, linearize(flat, x).A, 1e-15)


def test_dropout_p0_in_training_mode_is_identity():
    net = nn.Sequential(nn.Linear(2, 3), nn.Dropout(0.0), nn.Tanh()).double()
    net.train()
    x = torch.randn(5, 2, dtype=F64)
    with torch.no_grad():
        assert_close(linearize(net, x)(), net(x), 1e-12)


def test_same_module_twice_is_applied_twice():
    """Regression: ``named_children`` skips a repeated instance; the form must not."""
    torch.manual_seed(4)
    lin = nn.Linear(3, 3).double()
    act = nn.Tanh()
    net = nn.Sequential(lin, act, lin, act, lin)
    x = torch.randn(7, 3, dtype=F64)
    with torch.no_grad():
        y = net(x)
        assert_close(y, lin(torch.tanh(lin(torch.tanh(lin(x))))), 0)
        form = linearize(net, x, keep_layers=True)
    assert_close(form(), y, 1e-12)
    assert [f.kind for f in form.layers] == ["affine", "activation"] * 2 + ["affine"]

    block = nn.Sequential(nn.Linear(3, 3), nn.ReLU()).double()
    twice = nn.Sequential(block, block)
    with torch.no_grad():
        assert_close(linearize(twice, x)(), block(block(x)), 1e-12)


# ---------------------------------------------------------------------------------------------
# Prop. 12: A* is the Jacobian for positively homogeneous activations
# ---------------------------------------------------------------------------------------------


@given(mlp_cases(activations=HOMOGENEOUS))
def test_prop12_homogeneous_affine_form_is_jacobian(case):
    net, x = case
    form = linearize(net, x)
    J = jacobian_reference(net, x)
    assert_close(form.A.detach(), J, 1e-12)


@pytest.mark.parametrize("name", HOMOGENEOUS)
def test_prop12_per_channel_and_deep(name):
    net = make_mlp([4, 7, 5, 6, 3], name, per_channel_prelu=True, seed=5)
    x = torch.randn(20, 4, dtype=F64) * 3
    J = jacobian_reference(net, x)
    with torch.no_grad():
        assert_close(linearize(net, x).A, J, 1e-12)


@pytest.mark.parametrize("name", SMOOTH)
def test_smooth_activations_affine_form_is_not_jacobian(name):
    """For smooth activations A*(x) is a secant, Λ = (σ(z) − σ(0))/z ≠ σ'(z): A* ≠ ∂f/∂x.

    The identity A* x + b* = f(x) still holds exactly; only the matrix differs from the Jacobian.
    """
    net = make_mlp([3, 6, 6, 3], name, seed=6)
    x = torch.randn(12, 3, dtype=F64) * 3
    J = jacobian_reference(net, x)
    with torch.no_grad():
        form = linearize(net, x)
        assert_close(form(), net(x), 1e-12)
    assert float((form.A - J).abs().max()) > 1e-3


def _affine_minus_jacobian(net: nn.Module, x: torch.Tensor) -> float:
    J = jacobian_reference(net, x)
    with torch.no_grad():
        return float((linearize(net, x).A - J).abs().max())


def test_smooth_odd_activation_converges_to_jacobian_quadratically():
    """Bias-free net, σ(0) = 0: every z_i → 0 as x → 0, Λ(z) → σ'(0), so A* → J = W_L ⋯ W_0 σ'(0)ᴸ.

    With σ(z) = σ'(0) z + σ''(0) z²/2 + σ'''(0) z³/6 + …, Λ(z) − σ'(z) = −σ''(0) z/2 − σ'''(0) z²/3
    + …; for tanh (odd, σ''(0) = 0) the difference is O(|x|²): shrinking x by 10 shrinks it by 100.
    """
    net = make_mlp([3, 5, 4, 3], "Tanh", bias=False, seed=7)
    x0 = torch.randn(4, 3, dtype=F64)
    errs = [_affine_minus_jacobian(net, x0 * s) for s in (1e-2, 1e-3, 1e-4)]
    for coarse, fine in itertools.pairwise(errs):
        assert 80 < coarse / fine < 120
    # at x = 0 exactly Λ(0) = σ'(0): A* is the Jacobian
    zero = torch.zeros(2, 3, dtype=F64)
    assert _affine_minus_jacobian(net, zero) < 1e-15


@pytest.mark.parametrize("name", ["GELU", "SiLU"])
def test_smooth_activation_with_curvature_converges_linearly(name):
    """σ''(0) ≠ 0 (GELU, SiLU): A* − J = O(|x|), shrinking x by 10 shrinks it by 10."""
    net = make_mlp([3, 5, 4, 3], name, bias=False, seed=8)
    x0 = torch.randn(4, 3, dtype=F64)
    errs = [_affine_minus_jacobian(net, x0 * s) for s in (1e-2, 1e-3, 1e-4)]
    for coarse, fine in itertools.pairwise(errs):
        assert 8 < coarse / fine < 12
    assert _affine_minus_jacobian(net, torch.zeros(2, 3, dtype=F64)) < 1e-15


def test_sigma0_nonzero_does_not_converge_to_jacobian():
    """Sigmoid has σ(0) = ½: past the first layer z → W σ(0) ≠ 0 as x → 0, so A* ↛ J."""
    net = make_mlp([3, 5, 5, 3], "Sigmoid", bias=False, seed=9)
    x = torch.randn(4, 3, dtype=F64) * 1e-8
    assert _affine_minus_jacobian(net, x) > 1e-4


def test_relu_at_exact_zero_preactivation_matches_autograd():
    """Λ(0) = σ'(0) as autograd defines it (ReLU'(0) = 0), so A* = jacrev even at kinks."""
    net = nn.Sequential(nn.Linear(2, 3, bias=False), nn.ReLU(), nn.Linear(3, 2)).double()
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.0, -1.0], [1.0, 1.0], [0.0, 1.0]]))
    x = torch.tensor([[1.0, 1.0], [2.0, 2.0], [0.0, 0.0], [3.0, -3.0]], dtype=F64)
    with torch.no_grad():
        assert bool((net[0](x) == 0).any())
        form = linearize(net, x)
        assert_close(form(), net(x), 1e-14)
    assert_close(form.A, jacobian_reference(net, x), 1e-14)


@pytest.mark.parametrize("name", ["LeakyReLU", "PReLU", "Hardtanh", "Tanh", "GELU", "Sigmoid"])
def test_exact_zero_preactivation_uses_autograd_derivative(name):
    """At z = 0 exactly Λ is σ'(0) from autograd, for any activation."""
    act = make_activation(name, width=3 if name == "PReLU" else None).to(F64)
    z = torch.tensor([[0.0, 1.0, -2.0], [0.0, 0.0, 0.0]], dtype=F64)
    form = linearize(act, z)
    J = jacobian_reference(act, z)
    with torch.no_grad():
        assert_close(form(), act(z), 1e-15)
    assert_close(form.A[1], J[1], 1e-15)  # all-zero row: Λ(0) = σ'(0)
    assert_close(form.A[0, 0, 0], J[0, 0, 0], 1e-15)


# ---------------------------------------------------------------------------------------------
# keep_layers and chunking
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Tanh", "Sigmoid", "PReLU", "Softplus"])
def test_keep_layers_factors_reproduce_affine_form(name):
    net = make_mlp([3, 6, 5, 2], name, per_channel_prelu=True, final_activation=True, seed=10)
    x = torch.randn(9, 3, dtype=F64) * 2
    with torch.no_grad():
        form = linearize(net, x, keep_layers=True)
        plain = linearize(net, x)
        assert form.layers is not None and plain.layers is None
        assert [f.kind for f in form.layers] == ["affine", "activation"] * 3
        A = torch.eye(3, dtype=F64).expand(9, 3, 3)
        c = torch.zeros(9, 3, dtype=F64)
        h = x
        for f in form.layers:
            if f.kind == "affine":
                A = f.weight @ A  # W_i A_i
                c = c @ f.weight.t() + f.bias
                h = h @ f.weight.t() + f.bias
            else:
                assert_close(f.z, h, 1e-14)  # the factor records the pre-activation
                A = f.scaling.unsqueeze(-1) * A  # Λ_i (W_i A_i)
                c = f.scaling * c + torch.as_tensor(f.sigma0, dtype=F64)
                h = h * f.scaling + torch.as_tensor(f.sigma0, dtype=F64)
        assert_close(A, form.A, 1e-13)
        assert_close(c, form.b, 1e-13)
        assert_close(form.A, plain.A, 1e-15)
        assert_close(h, net(x), 1e-12)


def test_chunked_equals_unchunked():
    net = make_mlp([3, 6, 6, 3], "GELU", seed=11)
    x = torch.randn(23, 3, dtype=F64) * 3
    with torch.no_grad():
        whole = linearize(net, x, chunk_size=None)
        for chunk in (1, 4, 7, 22, 23, 100):
            part = linearize(net, x, chunk_size=chunk)
            assert_close(part.A, whole.A, 1e-14)
            assert_close(part.b, whole.b, 1e-14)
            assert part.x is x


def test_wide_nets_are_chunked_to_bound_memory(monkeypatch):
    """The stack S holds width·(n + 2) numbers per point; chunks are capped so it stays within
    a byte budget (64 MiB; shrunk here to force several chunks) without changing the result."""
    import neurodyn.pwa._affine as affine

    net = make_mlp([3, 6, 6, 3], "Tanh", seed=5)
    x = torch.randn(23, 3, dtype=F64)
    monkeypatch.setattr(affine, "_STACK_BYTES", 6 * 5 * 8 * 4)  # room for 4 points
    assert affine._chunk_cap(affine.parse_network(net), x) == 4
    calls = []
    real = affine._linearize_exact
    monkeypatch.setattr(
        affine, "_linearize_exact", lambda la, xc: calls.append(len(xc)) or real(la, xc)
    )
    with torch.no_grad():
        part = linearize(net, x)
        whole = linearize(net, x, chunk_size=None)
    assert calls[:-1] == [4, 4, 4, 4, 4, 3] and calls[-1] == 23
    assert_close(part.A, whole.A, 1e-14)
    assert_close(part.b, whole.b, 1e-14)


def test_autograd_flows_through_the_form():
    net = make_mlp([2, 4, 2], "Tanh", seed=12)
    x = torch.randn(3, 2, dtype=F64)
    form = linearize(net, x, differentiable=True)
    form.A.sum().backward()
    assert net[0].weight.grad is not None


# ---------------------------------------------------------------------------------------------
# BatchNorm, training mode and errors
# ---------------------------------------------------------------------------------------------


def _batchnorm_net() -> nn.Sequential:
    torch.manual_seed(13)
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Tanh(), nn.Linear(4, 2)).double()
    bn = net[1]
    with torch.no_grad():
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.5, 0.5)
    return net


def test_batchnorm_eval_is_supported():
    net = _batchnorm_net().eval()
    x = torch.randn(8, 3, dtype=F64) * 2
    with torch.no_grad():
        assert_close(linearize(net, x)(), net(x), 1e-12)
    bn_only = nn.BatchNorm1d(3, affine=False).double().eval()
    with torch.no_grad():
        bn_only.running_mean.fill_(0.3)
        bn_only.running_var.fill_(2.0)
        assert_close(linearize(bn_only, x)(), bn_only(x), 1e-14)


def test_batchnorm_training_raises():
    net = _batchnorm_net().train()
    with pytest.raises(ValueError, match=r"eval\(\)") as info:
        linearize(net, torch.randn(4, 3, dtype=F64))
    assert "net.1" in str(info.value)


def test_batchnorm_without_running_stats_raises_even_in_eval():
    """Regression: eval-mode BatchNorm1d(track_running_stats=False) uses batch statistics."""
    net = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3, track_running_stats=False)).double()
    net.eval()
    with pytest.raises(ValueError, match="batch"):
        linearize(net, torch.randn(4, 2, dtype=F64))


def test_dropout_training_raises():
    net = nn.Sequential(nn.Linear(2, 3), nn.Dropout(0.3)).double().train()
    with pytest.raises(ValueError, match=r"eval\(\)"):
        linearize(net, torch.randn(4, 2, dtype=F64))


def test_rrelu_training_raises():
    net = nn.Sequential(nn.Linear(2, 3), nn.RReLU()).double().train()
    with pytest.raises(ValueError, match=r"eval\(\)"):
        linearize(net, torch.randn(4, 2, dtype=F64))


def test_unsupported_module_raises_type_error_with_position():
    net = nn.Sequential(nn.Linear(4, 4), nn.Conv1d(1, 1, 3), nn.ReLU())
    with pytest.raises(TypeError, match="Conv1d") as info:
        linearize(net, torch.randn(2, 4))
    assert "net.1" in str(info.value)
    nested = nn.Sequential(nn.Linear(4, 4), nn.Sequential(nn.Tanh(), nn.Softmax(dim=-1)))
    with pytest.raises(TypeError, match="Softmax") as info:
        linearize(nested, torch.randn(2, 4))
    assert "net.1.1" in str(info.value)


def test_flatten_with_other_dims_raises():
    net = nn.Sequential(nn.Flatten(start_dim=0), nn.Linear(4, 2))
    with pytest.raises(TypeError, match="Flatten"):
        linearize(net, torch.randn(2, 4))


def test_one_dimensional_x_raises():
    net = make_mlp([3, 4, 2], "Tanh")
    with pytest.raises(ValueError, match="unsqueeze"):
        linearize(net, torch.randn(3, dtype=F64))


def test_dtype_mismatch_raises():
    net = make_mlp([3, 4, 2], "Tanh")  # float64
    with pytest.raises(TypeError, match="float"):
        linearize(net, torch.randn(5, 3, dtype=torch.float32))


def test_integer_x_raises():
    net = make_mlp([3, 4, 2], "Tanh")
    with pytest.raises(TypeError):
        linearize(net, torch.ones(5, 3, dtype=torch.int64))


def test_wrong_width_raises():
    net = make_mlp([3, 4, 2], "Tanh")
    with pytest.raises(ValueError, match="features"):
        linearize(net, torch.randn(5, 4, dtype=F64))


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_x_raises(bad):
    net = make_mlp([3, 4, 2], "Tanh")
    x = torch.randn(5, 3, dtype=F64)
    x[2, 1] = bad
    with pytest.raises(ValueError, match="NaN"):
        linearize(net, x)


def test_empty_network_raises():
    with pytest.raises(ValueError):
        linearize(nn.Sequential(nn.Identity()), torch.randn(2, 3, dtype=F64))


# ---------------------------------------------------------------------------------------------
# float32
# ---------------------------------------------------------------------------------------------


@given(mlp_cases())
def test_float32_affine_form(case):
    """float32 identity to 1e-5 (abs + rel).

    A* x + b* sums the same terms as the forward pass in a different order; each of ≤ 5 layers
    of width ≤ 7 adds a few ulps (2⁻²⁴ ≈ 6e-8) relative to the magnitudes involved, which with
    inputs up to ~10 and default-initialised weights stays well inside 1e-5·(1 + |f(x)|).
    """
    net, x = case
    net = net.float()
    x = x.float()
    with torch.no_grad():
        form = linearize(net, x)
        assert form.A.dtype == torch.float32
        assert_close(form(), net(x), 1e-5)


@pytest.mark.parametrize("act", [nn.Tanh, nn.Softplus, nn.SiLU])
def test_gradients_flow_through_the_affine_form(act):
    """linearize is differentiable (float64 gradcheck against finite differences) in the
    points and in the weights — what training with a penalty on ρ(A*) or ‖A*‖ relies on."""
    torch.manual_seed(0)
    x = torch.randn(6, 2, dtype=F64, requires_grad=True)
    first = nn.Linear(2, 3).double()
    net = nn.Sequential(first, act(), nn.Linear(3, 2).double())
    del first.weight  # from here on a plain tensor set per call, so the gradient goes to w

    def net_with(w):
        first.weight = w
        return net

    w0 = torch.randn(3, 2, dtype=F64, requires_grad=True)

    def form(w, pts):
        f = linearize(net_with(w), pts, differentiable=True)
        return f.A, f.b

    assert torch.autograd.gradcheck(form, (w0, x), eps=1e-6, atol=1e-7)


# ---------------------------------------------------------------------------------------------
# Issue 11: no silent wrong numbers
# ---------------------------------------------------------------------------------------------

#: Every supported activation that takes ``inplace``: (class, constructor arguments).
INPLACE = {
    "ReLU": (nn.ReLU, {}),
    "ReLU6": (nn.ReLU6, {}),
    "LeakyReLU": (nn.LeakyReLU, {"negative_slope": 0.1}),
    "RReLU": (nn.RReLU, {"lower": 0.1, "upper": 0.3}),
    "ELU": (nn.ELU, {"alpha": 0.7}),
    "CELU": (nn.CELU, {"alpha": 0.8}),
    "SELU": (nn.SELU, {}),
    "SiLU": (nn.SiLU, {}),
    "Mish": (nn.Mish, {}),
    "Hardswish": (nn.Hardswish, {}),
    "Hardsigmoid": (nn.Hardsigmoid, {}),
    "Hardtanh": (nn.Hardtanh, {"min_val": -0.5, "max_val": 0.8}),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_activations_leave_the_state_intact(name):
    """An in-place activation used to overwrite z inside the propagated stack (LeakyReLU:
    ‖f(x) − (A x + b)‖ = 1.18) or raise autograd's in-place error (CELU, as_map(...).jacobian).
    Now A x + b = net(x), and the Jacobian and the region pattern equal those of the same net
    built with inplace=False (the reference: jacrev through PyTorch's in-place CELU backward
    is itself 1.7e-9 off in float64)."""
    from neurodyn.pwa import activation_pattern
    from neurodyn.systems import as_map

    cls, kwargs = INPLACE[name]
    torch.manual_seed(5)
    net = nn.Sequential(nn.Linear(2, 8), cls(**kwargs, inplace=True), nn.Linear(8, 2))
    net = net.double().eval()
    ref = nn.Sequential(net[0], cls(**kwargs).eval(), net[2])
    x = 2 * torch.randn(64, 2, dtype=F64)
    x_before = x.clone()
    with torch.no_grad():
        want = net(x.clone())
    assert_close(linearize(net, x)(), want, 1e-12)
    assert_close(linearize(net, x, keep_layers=True)(), want, 1e-12)
    assert_close(linearize(net, x).A, linearize(ref, x).A, 0)
    assert_close(as_map(net).jacobian(x), jacobian_reference(ref, x), 1e-12)
    assert torch.equal(x, x_before)
    assert net[1].inplace  # the user's module is not changed
    if name in ("ReLU", "ReLU6", "LeakyReLU", "RReLU", "Hardsigmoid", "Hardtanh"):
        assert torch.equal(activation_pattern(net, x), activation_pattern(ref, x))


def test_feedforward_map_step_keeps_the_state_when_an_inplace_activation_comes_first():
    """net(h) with a leading ReLU(inplace=True) overwrote the caller's h (a stored trajectory
    state) with relu(h)."""
    from neurodyn.systems import as_map

    net = nn.Sequential(nn.ReLU(inplace=True), nn.Linear(2, 2)).double()
    h = torch.tensor([[-1.0, 2.0]], dtype=F64)
    before = h.clone()
    out = as_map(net).step(h)
    assert torch.equal(h, before)
    with torch.no_grad():
        assert_close(out, net[1](torch.relu(before)), 0)


@pytest.mark.parametrize("threshold", [-1.0, -0.01, -5.0, 0.0, 20.0])
@pytest.mark.parametrize("beta", [0.5, 1.0, 3.0])
def test_softplus_sigma0_follows_its_threshold(beta, threshold):
    """A negative threshold puts z = 0 on PyTorch's identity branch: softplus(0) = 0, not
    ln2/β (which gave A x + b = 0.693 at x = 0). σ(0) now comes from the module's parameters."""
    act = nn.Softplus(beta=beta, threshold=threshold).double()
    net = nn.Sequential(nn.Linear(2, 6), act, nn.Linear(6, 2)).double()
    torch.manual_seed(1)
    x = torch.cat([torch.zeros(1, 2, dtype=F64), 3 * torch.randn(200, 2, dtype=F64)])
    with torch.no_grad():
        want = net(x)
    assert_close(linearize(net, x)(), want, 1e-12)
    z = torch.zeros(1, 1, dtype=F64)
    assert_close(linearize(act, z)(), act(z), 0)
    from neurodyn.activations import activation_spec

    spec = activation_spec(act)
    assert float(spec.sigma0) == float(act(z))
    grid = torch.linspace(-50, 50, 20001, dtype=F64).unsqueeze(1)
    assert float(spec.scaling(grid).abs().max()) <= spec.lambda_bound * (1 + 1e-12)


def test_softplus_threshold_that_rounds_to_zero_in_float32_raises():
    """Found by the property suite: threshold = −3.7e-47 is negative in float64 (σ(0) = 0) but
    −0.0 in float32 (σ(0) = ln 2/β), so one σ(0) cannot serve both dtypes."""
    with pytest.raises(NotImplementedError, match="rounds to 0 in float32"):
        linearize(nn.Softplus(threshold=-3.7e-47), torch.zeros(1, 1))


def _smallest_subnormal(dtype) -> float:
    return float(torch.finfo(dtype).tiny) * float(torch.finfo(dtype).eps)


@pytest.mark.parametrize("dtype", [torch.float32, F64])
@pytest.mark.parametrize("name", SUPPORTED_ACTIVATIONS)
def test_subnormal_preactivation_gets_the_one_sided_limit(name, dtype):
    """Λ(z) at a subnormal z: g(z)/z had lost its bits (Sigmoid, SiLU, GELU, Softplus gave
    Λ = 0 instead of σ'(0); SELU gave 1 and 2 instead of 1.0507 and 1.7581). Λ is continuous from
    each side of 0, so Λ(±subnormal) must equal Λ(±1e-30) to rounding."""
    act = make_activation(name).to(dtype)
    from neurodyn.activations import activation_spec

    spec = activation_spec(act)
    sub = _smallest_subnormal(dtype)
    z = torch.tensor([[sub], [-sub], [3 * sub], [-7 * sub]], dtype=dtype)
    ref = torch.tensor([[1e-30], [-1e-30], [1e-30], [-1e-30]], dtype=dtype)
    width = 1
    if isinstance(act, nn.PReLU):
        width = act.weight.numel()
        z, ref = z.expand(4, width), ref.expand(4, width)
    lam, lam_ref = spec.scaling(z), spec.scaling(ref)
    assert_close(lam, lam_ref, 4 * float(torch.finfo(dtype).eps))
    lin = nn.Linear(1, width, bias=False).to(dtype)  # linearize's fast path sees the same z
    with torch.no_grad():
        lin.weight.fill_(1.0)
    form = linearize(nn.Sequential(lin, act), z[:, :1].contiguous())
    assert_close(form.A[:, :, 0], lam_ref, 4 * float(torch.finfo(dtype).eps))


def test_nan_weight_raises_naming_the_layer():
    net = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 2)).double()
    with torch.no_grad():
        net[2].weight[1, 1] = float("nan")
    with pytest.raises(ValueError, match=r"Linear\(3→2\) at net\.2.*NaN"):
        linearize(net, torch.randn(4, 2, dtype=F64))


def test_overflowing_network_raises_instead_of_returning_inf():
    net = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2)).double()
    with torch.no_grad():
        for i in (0, 2):
            net[i].weight.copy_(1e200 * torch.eye(2, dtype=F64))
    x = torch.tensor([[1.0, 1.0], [-1.0, -1.0]], dtype=F64)  # the second point is all zeros
    with pytest.raises(FloatingPointError, match=r"not finite at 1 of 2 points.*row 0"):
        linearize(net, x)
    with pytest.raises(FloatingPointError):
        linearize(net, x, keep_layers=True)


def test_linearize_builds_no_graph_unless_asked():
    """Issue 11 item 10: under the default grad mode the returned A required grad (so
    .numpy() failed) and the graph kept every stack alive (4.2 GB instead of 0.48 GB)."""
    net = make_mlp([2, 16, 2], "Tanh", seed=3)
    x = torch.randn(10, 2, dtype=F64, requires_grad=True)
    form = linearize(net, x)
    assert not form.A.requires_grad and not form.b.requires_grad
    form.A.numpy(), form.b.numpy()
    diff = linearize(net, x, differentiable=True)
    assert diff.A.requires_grad and diff.b.requires_grad
    assert_close(diff.A.detach(), form.A, 0)
    with torch.no_grad():  # the caller's grad mode still wins
        assert not linearize(net, x, differentiable=True).A.requires_grad
