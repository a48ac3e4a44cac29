"""FeedforwardMap: a square network as the autonomous map x_{t+1} = f(x_t), with its Jacobian."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from helpers import assert_close, jacobian_reference, make_mlp
from neurodyn.pwa import linearize
from neurodyn.systems import FeedforwardMap, Map, as_map

F64 = torch.float64


@pytest.mark.parametrize(
    "name",
    [
        "ReLU",
        "LeakyReLU",
        "PReLU",
        "RReLU",
        "Tanh",
        "GELU",
        "Sigmoid",
        "Softplus",
        "ELU",
        "Hardtanh",
        "SiLU",
        "LogSigmoid",
    ],
)
@pytest.mark.parametrize("final_activation", [False, True])
def test_jacobian_matches_jacrev(name, final_activation):
    net = make_mlp(
        [3, 6, 5, 3], name, per_channel_prelu=True, final_activation=final_activation, seed=1
    )
    m = as_map(net)
    assert isinstance(m, FeedforwardMap) and isinstance(m, Map)
    assert m.dim == 3 and m.dt == 1.0
    h = torch.randn(10, 3, dtype=F64) * 3
    J = m.jacobian(h)
    assert J.shape == (10, 3, 3)
    assert_close(J, jacobian_reference(net, h), 1e-10)


def test_jacobian_prelu_per_channel_weights_matter():
    net = make_mlp([2, 4, 2], "PReLU", per_channel_prelu=True, seed=2)
    h = -torch.rand(6, 2, dtype=F64) - 0.5
    J = as_map(net).jacobian(h)
    assert_close(J, jacobian_reference(net, h), 1e-12)


def test_jacobian_at_relu_kink_uses_autograd_convention():
    net = nn.Sequential(nn.Linear(2, 2, bias=False), nn.ReLU(), nn.Linear(2, 2)).double()
    h = torch.zeros(3, 2, dtype=F64)
    J = as_map(net).jacobian(h)
    assert_close(J, jacobian_reference(net, h), 0)
    assert bool((J == 0).all())  # ReLU'(0) = 0


def test_jacobian_equals_affine_form_for_homogeneous():
    """Prop. 12: for ReLU-type nets ∂f/∂x = A*(x)."""
    net = make_mlp([4, 8, 8, 4], "LeakyReLU", seed=3)
    h = torch.randn(12, 4, dtype=F64)
    m = as_map(net)
    with torch.no_grad():
        assert_close(m.jacobian(h), m.affine_form(h).A, 1e-12)
        assert_close(m.affine_form(h).A, linearize(net, h).A, 0)


def test_step_is_the_network():
    net = make_mlp([2, 5, 2], "Tanh", seed=4)
    m = as_map(net)
    h = torch.randn(7, 2, dtype=F64)
    with torch.no_grad():
        assert torch.equal(m.step(h), net(h))


def test_jacobian_with_batchnorm_and_pass_through():
    torch.manual_seed(5)
    net = nn.Sequential(
        nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Dropout(0.5), nn.Tanh(), nn.Linear(4, 3)
    ).double()
    with torch.no_grad():
        net[1].running_mean.uniform_(-1, 1)
        net[1].running_var.uniform_(0.5, 2.0)
    net.eval()
    h = torch.randn(5, 3, dtype=F64)
    assert_close(as_map(net).jacobian(h), jacobian_reference(net, h), 1e-10)


def test_jacobian_under_no_grad():
    net = make_mlp([2, 5, 2], "GELU", seed=6)
    h = torch.randn(4, 2, dtype=F64)
    with torch.no_grad():
        J = as_map(net).jacobian(h)
    assert_close(J, jacobian_reference(net, h), 1e-10)


def test_non_square_network_raises():
    with pytest.raises(ValueError, match="outputs as inputs"):
        as_map(make_mlp([3, 5, 2], "Tanh"))


def test_network_without_linear_raises():
    with pytest.raises(ValueError, match=r"nn\.Linear"):
        as_map(nn.Sequential(nn.Tanh()))


def test_step_and_jacobian_reject_input():
    m = as_map(make_mlp([2, 3, 2], "Tanh"))
    h = torch.randn(4, 2, dtype=F64)
    with pytest.raises(ValueError, match="autonomous"):
        m.step(h, x=torch.zeros(4, 1, dtype=F64))
    with pytest.raises(ValueError, match="autonomous"):
        m.jacobian(h, torch.zeros(4, 1, dtype=F64))


def test_as_map_rejects_other_objects():
    with pytest.raises(TypeError, match="object"):
        as_map(object())


def test_as_map_returns_existing_map_unchanged():
    m = as_map(make_mlp([2, 3, 2], "Tanh"))
    assert as_map(m) is m

    class Rotation:
        dim = 2
        dt = 0.1

        def step(self, h, x=None):
            return h.flip(-1)

        def jacobian(self, h, x=None):
            return torch.tensor([[0.0, 1.0], [1.0, 0.0]]).expand(h.shape[0], 2, 2)

    r = Rotation()
    assert as_map(r) is r


def test_unsupported_module_raises_type_error():
    with pytest.raises(TypeError, match="Conv1d") as info:
        as_map(nn.Sequential(nn.Linear(2, 2), nn.Conv1d(1, 1, 1)))
    assert "autograd fallback: as_map(lambda h: module(h), dim=n)" in str(info.value)


def test_the_suggested_fallback_works_for_an_unsupported_module():
    """The error's advice, taken: a LayerNorm net as a callable Map, Jacobian by autograd."""
    net = nn.Sequential(nn.Linear(3, 3), nn.LayerNorm(3), nn.Tanh()).double()
    m = as_map(lambda h: net(h), dim=3)
    h = torch.randn(4, 3, dtype=torch.float64)
    assert_close(m.step(h), net(h), 1e-12)
    assert_close(m.jacobian(h), jacobian_reference(net, h), 1e-10)
