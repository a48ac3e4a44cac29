"""FlowMap (Euler / RK4 / IMEX steps with exact Jacobians), FrozenInput, and their use by the
algorithms. Float64; jacrev of ``step`` is the independent reference for every Jacobian."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.linalg
import torch

from neurodyn.dynamics import fixed_points, simulate
from neurodyn.lyapunov import lyapunov_spectrum
from neurodyn.systems import FlowMap, FrozenInput, LinearMap, Lorenz, as_map

F64 = torch.float64
gen = torch.Generator().manual_seed(11)
W = 1.5 * torch.randn(3, 3, generator=gen, dtype=F64)
U = torch.randn(3, 2, generator=gen, dtype=F64)


def field(h, x):
    return torch.tanh(h @ W.T + x @ U.T) - 0.5 * h


def field_jac(h, x):
    d = 1 - torch.tanh(h @ W.T + x @ U.T) ** 2
    return d.unsqueeze(2) * W - 0.5 * torch.eye(3, dtype=h.dtype)


def explicit_part(h, x):
    return torch.tanh(h @ W.T + x @ U.T)


def make(scheme, analytic):
    if scheme == "imex":
        jac = (lambda h, x: field_jac(h, x) + 0.5 * torch.eye(3, dtype=F64)) if analytic else None
        return FlowMap(
            explicit_part, 0.1, "imex", dim=3, input_size=2, linear=-0.5,
            vector_field_jacobian=jac,
        )  # fmt: skip
    return FlowMap(
        field,
        0.1,
        scheme,
        dim=3,
        input_size=2,
        vector_field_jacobian=field_jac if analytic else None,
    )


@pytest.mark.parametrize("analytic", [True, False])
@pytest.mark.parametrize("scheme", ["euler", "rk4", "imex"])
def test_step_jacobian_equals_jacrev(scheme, analytic):
    f = make(scheme, analytic)
    h = torch.randn(5, 3, generator=gen, dtype=F64)
    x = torch.randn(5, 2, generator=gen, dtype=F64)
    J = f.jacobian(h, x)
    ref = torch.stack(
        [
            torch.func.jacrev(lambda hi, xi=x[i]: f.step(hi[None], xi[None])[0])(h[i])
            for i in range(5)
        ]
    )
    torch.testing.assert_close(J, ref, atol=1e-10, rtol=0)
    s, J2 = f.step_and_jacobian(h, x)
    torch.testing.assert_close(s, f.step(h, x), atol=0, rtol=0)
    torch.testing.assert_close(J2, J, atol=0, rtol=0)


def test_imex_is_the_stated_scheme_and_stable_for_stiff_leaks():
    """h' = (I − dt L)⁻¹ (h + dt N): with N = 0 and L = −1/τ it is h/(1 + dt/τ) for any dt."""
    tau = 0.01
    leak = FlowMap(lambda h: torch.zeros_like(h), 1.0, "imex", dim=2, linear=-1 / tau)
    h = torch.ones(1, 2, dtype=F64)
    assert leak.step(h)[0].tolist() == pytest.approx([1 / (1 + 1 / tau)] * 2, abs=1e-15)
    euler = FlowMap(lambda h: -h / tau, 1.0, "euler", dim=2)
    assert euler.step(h).abs().max() > 1  # explicit Euler blows up at dt ≫ τ


def _order(scheme):
    """Fitted convergence order on dh/dt = A h, h(1) = expm(A) h₀ exactly (diffrax's
    test_ode_order: regression of log error on log dt)."""
    A = torch.tensor([[-0.3, 1.0], [-1.0, -0.3]], dtype=F64)
    h0 = torch.tensor([[1.0, 0.5]], dtype=F64)
    exact = h0 @ torch.from_numpy(scipy.linalg.expm(A.numpy())).T
    errors, dts = [], [1 / 8, 1 / 16, 1 / 32, 1 / 64]
    for dt in dts:
        if scheme == "imex":  # the damping implicit, the rotation explicit
            L = torch.diag(torch.diagonal(A))
            f = FlowMap(lambda h, M=A - L: h @ M.T, dt, "imex", dim=2, linear=L)
        else:
            f = FlowMap(lambda h: h @ A.T, dt, scheme, dim=2)
        h = h0
        for _ in range(round(1 / dt)):
            h = f.step(h)
        errors.append(float((h - exact).abs().max()))
    return np.polyfit(np.log(dts), np.log(errors), 1)[0]


@pytest.mark.parametrize(("scheme", "order"), [("rk4", 4), ("euler", 1), ("imex", 1)])
def test_convergence_order(scheme, order):
    assert _order(scheme) == pytest.approx(order, abs=0.15)


def test_lorenz_is_a_flow_map_with_its_numbers():
    lor = Lorenz(dt=0.01)
    assert isinstance(lor, FlowMap) and lor.scheme == "rk4"
    generic = FlowMap(
        lor.vector_field, 0.01, dim=3, vector_field_jacobian=lor.vector_field_jacobian
    )
    h = lor.default_state(4, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(generic.step(h), lor.step(h), atol=0, rtol=0)
    torch.testing.assert_close(generic.jacobian(h), lor.jacobian(h), atol=0, rtol=0)


def test_driven_flow_map_runs_through_lyapunov_spectrum():
    f = make("rk4", True)
    inputs = 0.1 * torch.randn(2, 300, 2, generator=gen, dtype=F64)
    res = lyapunov_spectrum(f, inputs, warmup=50)
    auto = lyapunov_spectrum(make("rk4", False), inputs, warmup=50)
    torch.testing.assert_close(res.per_sample, auto.per_sample, atol=1e-10, rtol=0)
    assert res.dt == 0.1


def test_frozen_input_fixed_points_of_an_lstm():
    torch.manual_seed(2)
    lstm = torch.nn.LSTM(2, 3, batch_first=True).double()
    x = torch.tensor([0.3, -0.2], dtype=F64)
    frozen = FrozenInput(lstm, x)
    assert frozen.input_size is None and frozen.dim == 6
    seeds = 0.5 * torch.randn(6, 6, generator=gen, dtype=F64)
    res = fixed_points(frozen, seeds=seeds)
    assert len(res) >= 1
    m = as_map(lstm)
    for p in res.points:  # h̄ = F(h̄, x̄) for the driven map itself
        again = m.step(p.x[None], x[None])[0]
        assert (again - p.x).abs().max() < 1e-9
    # the long-run state under the constant input is one of them
    end = simulate(frozen, torch.zeros(1, 6, dtype=F64), 2000).states[0, -1]
    assert min(float((end - p.x).abs().max()) for p in res.points) < 1e-8


def test_frozen_input_rejects_autonomous_maps_and_bad_inputs():
    with pytest.raises(ValueError, match="driven map"):
        FrozenInput(Lorenz(), torch.zeros(1))
    driven = LinearMap(torch.eye(2) * 0.5, B=torch.ones(2, 1))
    with pytest.raises(ValueError, match=r"\(1,\) or \(B, 1\)"):
        FrozenInput(driven, torch.zeros(3))
    with pytest.raises(ValueError, match="batch"):
        FrozenInput(driven, torch.zeros(2, 1)).step(torch.zeros(3, 2))
    assert math.isclose(FrozenInput(driven, [1.0]).step(torch.zeros(1, 2))[0, 0].item(), 1.0)
