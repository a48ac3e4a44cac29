"""Reference systems: analytic Jacobians, RK4 order, tangent-flow accuracy, known identities."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.integrate import solve_ivp

from helpers import assert_close
from neurodyn.systems import Henon, LinearMap, Logistic, Lorenz, Lorenz96, Map, Rossler

F64 = torch.float64

A3 = [[0.5, -0.9, 0.1], [0.8, 0.4, 0.0], [0.2, 0.3, -1.3]]  # a complex pair and a real eigenvalue
B3 = [[1.0, 0.0], [0.5, -1.0], [0.0, 2.0]]


def _systems():
    return [
        Logistic(),
        Logistic(r=3.7),
        Henon(),
        Henon(a=1.2, b=-0.4),
        Lorenz(),
        Lorenz(dt=0.05),
        Rossler(),
        Rossler(dt=0.1),
        Lorenz96(),
        Lorenz96(n=5, forcing=4.0, dt=0.05),
        LinearMap(A3),
        LinearMap(A3, B3),
    ]


SYSTEMS = _systems()
IDS = [repr(m) for m in SYSTEMS]


def _random_states(m, batch: int, gen: torch.Generator) -> torch.Tensor:
    """States around where each system lives (the Lorenz box is ~±20 × ±25 × [0, 50])."""
    u = torch.rand(batch, m.dim, generator=gen, dtype=F64)
    if isinstance(m, Logistic):
        return u
    if isinstance(m, Henon):
        return 3 * u - 1.5
    if isinstance(m, Lorenz):
        return (2 * u - 1) * torch.tensor([20.0, 25.0, 25.0], dtype=F64) + torch.tensor(
            [0.0, 0.0, 25.0], dtype=F64
        )
    if isinstance(m, Lorenz96):
        return 10 * (2 * u - 1)
    if isinstance(m, Rossler):
        return (2 * u - 1) * torch.tensor([10.0, 10.0, 10.0], dtype=F64) + torch.tensor(
            [0.0, 0.0, 10.0], dtype=F64
        )
    return 4 * u - 2


def _inputs(m, batch: int, gen: torch.Generator):
    if m.input_size is None:
        return None
    return torch.randn(batch, m.input_size, generator=gen, dtype=F64)


# --- conformance: every system is a Map whose analytic Jacobian is the derivative of its step ---


@pytest.mark.parametrize("m", SYSTEMS, ids=IDS)
def test_analytic_jacobian_equals_jacrev_of_step(m, rng):
    assert isinstance(m, Map)
    h = _random_states(m, 8, rng)
    x = _inputs(m, 8, rng)
    J = m.jacobian(h, x)
    assert J.shape == (8, m.dim, m.dim) and J.dtype == F64
    if x is None:
        single = lambda hi: m.step(hi.unsqueeze(0)).squeeze(0)  # noqa: E731
        ref = torch.func.vmap(torch.func.jacrev(single))(h)
    else:
        single = lambda hi, xi: m.step(hi.unsqueeze(0), xi.unsqueeze(0)).squeeze(0)  # noqa: E731
        ref = torch.func.vmap(torch.func.jacrev(single, argnums=0))(h, x)
    assert_close(J, ref, 1e-10)


@pytest.mark.parametrize("m", SYSTEMS, ids=IDS)
def test_step_is_rowwise_and_follows_dtype(m, rng):
    h = _random_states(m, 5, rng)
    x = _inputs(m, 5, rng)
    out = m.step(h, x)
    assert out.shape == (5, m.dim) and out.dtype == F64
    rows = [m.step(h[i : i + 1], None if x is None else x[i : i + 1]) for i in range(5)]
    assert_close(out, torch.cat(rows), 1e-14)
    h32 = h.float()
    x32 = None if x is None else x.float()
    assert m.step(h32, x32).dtype == torch.float32
    assert m.jacobian(h32, x32).dtype == torch.float32
    assert_close(m.step(h32, x32).double(), out, 1e-4)


@pytest.mark.parametrize("m", SYSTEMS, ids=IDS)
def test_attributes_default_state_and_repr(m):
    assert isinstance(m.dim, int) and m.dt > 0
    s = m.default_state(4, generator=torch.Generator().manual_seed(3))
    assert s.shape == (4, m.dim) and s.dtype == F64
    again = m.default_state(4, generator=torch.Generator().manual_seed(3))
    assert torch.equal(s, again)
    assert m.default_state(2, dtype=torch.float32).dtype == torch.float32
    assert m.default_state().shape == (1, m.dim)
    assert type(m).__name__ in repr(m)
    ref = m.reference_exponents
    assert ref is None or (len(ref) == m.dim and list(ref) == sorted(ref, reverse=True))


@pytest.mark.parametrize("m", SYSTEMS, ids=IDS)
def test_wrong_state_width_names_expected_shape(m):
    n = m.dim
    x = _inputs(m, 2, torch.Generator().manual_seed(0))
    bad = torch.zeros(2, n + 1, dtype=F64)
    with pytest.raises(ValueError, match=rf"\(B, {n}\)"):
        m.step(bad, x)
    with pytest.raises(ValueError, match=rf"\(B, {n}\)"):
        m.jacobian(bad, x)
    with pytest.raises(ValueError, match=rf"\(B, {n}\)"):
        m.step(torch.zeros(n, dtype=F64), x)


def test_input_validation():
    h = torch.zeros(2, 3, dtype=F64)
    with pytest.raises(ValueError, match="autonomous"):
        Lorenz().step(h, torch.zeros(2, 1, dtype=F64))
    with pytest.raises(ValueError, match="autonomous"):
        LinearMap(A3).jacobian(h, torch.zeros(2, 2, dtype=F64))
    with pytest.raises(ValueError, match="driven"):
        LinearMap(A3, B3).step(h)
    with pytest.raises(ValueError, match=r"\(B, 2\)"):
        LinearMap(A3, B3).step(h, torch.zeros(2, 3, dtype=F64))
    with pytest.raises(ValueError, match="square"):
        LinearMap([[1.0, 2.0]])
    with pytest.raises(ValueError, match="B must be"):
        LinearMap(A3, [[1.0], [2.0]])


@pytest.mark.parametrize("cls", [Lorenz, Rossler, Lorenz96])
@pytest.mark.parametrize("dt", [0.0, -0.01, float("nan"), float("inf")])
def test_non_positive_dt_rejected(cls, dt):
    with pytest.raises(ValueError, match="dt"):
        cls(dt=dt)


# --- RK4 flows ---------------------------------------------------------------------------------


def _np_field(m):
    def rhs(_t, y):
        return m.vector_field(torch.from_numpy(y).reshape(1, 3)).reshape(3).numpy()

    return rhs


def _np_variational(m):
    def rhs(_t, y):
        h = torch.from_numpy(y[:3]).reshape(1, 3)
        phi = torch.from_numpy(y[3:]).reshape(3, 3)
        dphi = m.vector_field_jacobian(h)[0] @ phi
        return np.concatenate([m.vector_field(h).reshape(3).numpy(), dphi.reshape(9).numpy()])

    return rhs


def _on_attractor(m, t: float) -> np.ndarray:
    y0 = m.default_state(generator=torch.Generator().manual_seed(0))[0].numpy()
    sol = solve_ivp(_np_field(m), (0, t), y0, method="DOP853", rtol=1e-10, atol=1e-10)
    return sol.y[:, -1]


def _slope(dts, errs) -> float:
    return float(np.polyfit(np.log(dts), np.log(errs), 1)[0])


def test_rk4_step_converges_at_order_four():
    base = Lorenz()
    y0 = _on_attractor(base, 5.0)
    fine = solve_ivp(_np_field(base), (0, 1.0), y0, method="DOP853", rtol=1e-12, atol=1e-12)
    exact = fine.y[:, -1]
    dts = [0.02, 0.01, 0.005]
    errs = []
    for dt in dts:
        m = Lorenz(dt=dt)
        h = torch.from_numpy(y0).reshape(1, 3)
        for _ in range(round(1.0 / dt)):
            h = m.step(h)
        errs.append(float(np.abs(h[0].numpy() - exact).max()))
    assert errs[0] / errs[1] == pytest.approx(16, rel=0.25)
    assert _slope(dts, errs) == pytest.approx(4.0, abs=0.3)


@pytest.mark.parametrize("cls", [Lorenz, Rossler])
def test_rk4_jacobian_approaches_tangent_flow(cls):
    """J_step − Φ(dt) = O(dt⁵): Φ is the exact variational solution over one step."""
    y0 = _on_attractor(cls(), 20.0)
    h = torch.from_numpy(y0).reshape(1, 3)
    dts = [0.02, 0.01, 0.005]
    errs, frozen_errs = [], []
    for dt in dts:
        m = cls(dt=dt)
        aug0 = np.concatenate([y0, np.eye(3).reshape(9)])
        sol = solve_ivp(_np_variational(m), (0, dt), aug0, method="DOP853", rtol=1e-13, atol=1e-13)
        phi = torch.from_numpy(sol.y[3:, -1].reshape(3, 3))
        J = m.jacobian(h)[0]
        errs.append(float((J - phi).abs().max()))
        # the frozen-Jacobian shortcut: RK4 of dΦ/dt = Df(h₀) Φ, i.e. a 4th-order Taylor
        # polynomial of exp(dt·Df(h₀)) — errs at O(dt²) because Df changes along the step
        A = dt * m.vector_field_jacobian(h)[0]
        eye = torch.eye(3, dtype=F64)
        frozen = eye + A @ (eye + A / 2 @ (eye + A / 3 @ (eye + A / 4)))
        frozen_errs.append(float((frozen - phi).abs().max()))
    assert _slope(dts, errs) == pytest.approx(5.0, abs=0.5)
    assert _slope(dts, frozen_errs) == pytest.approx(2.0, abs=0.5)
    assert errs[-1] < 1e-3 * frozen_errs[-1]


def test_lorenz_vector_field_and_volume_contraction(rng):
    m = Lorenz()
    h = _random_states(m, 6, rng)
    x, y, z = h.unbind(1)
    f = torch.stack((10 * (y - x), 28 * x - y - x * z, x * y - 8 / 3 * z), dim=1)
    assert_close(m.vector_field(h), f, 1e-14)
    ref = torch.func.vmap(torch.func.jacrev(lambda v: m.vector_field(v.unsqueeze(0))[0]))(h)
    assert_close(m.vector_field_jacobian(h), ref, 1e-14)
    assert m.trace_divergence == pytest.approx(-(10 + 1 + 8 / 3))
    assert_close(m.divergence(h), torch.full((6,), m.trace_divergence, dtype=F64), 1e-14)
    # Liouville: det Φ(dt) = exp(tr·dt); the RK4 step Jacobian matches it to O(dt⁵)
    for dt in (0.01, 0.0025):
        md = Lorenz(dt=dt)
        logdet = torch.linalg.slogdet(md.jacobian(h)).logabsdet
        err = float((logdet - md.trace_divergence * dt).abs().max())
        assert err < 1e5 * dt**5


def test_lorenz96_vector_field_and_exponent_sum(rng):
    """f_i = (h_{i+1} − h_{i−2}) h_{i−1} − h_i + F on the ring, tr Df = −n, and the RK4 map's
    exponents (per unit time) sum to −n; n < 4 is refused."""
    m = Lorenz96(n=6, forcing=8.0, dt=0.02)
    h = _random_states(m, 5, rng)
    hn = h.numpy()
    f = np.stack([(hn[:, (i + 1) % 6] - hn[:, i - 2]) * hn[:, i - 1] - hn[:, i] + 8.0
                  for i in range(6)], axis=1)  # fmt: skip
    assert_close(m.vector_field(h), torch.from_numpy(f), 1e-13)
    ref = torch.func.vmap(torch.func.jacrev(lambda v: m.vector_field(v.unsqueeze(0))[0]))(h)
    assert_close(m.vector_field_jacobian(h), ref, 1e-14)
    assert_close(m.divergence(h), torch.full((5,), -6.0, dtype=F64), 1e-14)
    from neurodyn.lyapunov import lyapunov_spectrum

    res = lyapunov_spectrum(m, h0=m.default_state(2), steps=1500, warmup=500)
    assert float(res.exponents.sum()) == pytest.approx(-6.0, abs=1e-3)
    assert float(res.exponents[0]) > 0.5  # chaotic at F = 8
    with pytest.raises(ValueError, match="n must be"):
        Lorenz96(n=3)


def test_rossler_vector_field(rng):
    m = Rossler()
    h = _random_states(m, 6, rng)
    ref = torch.func.vmap(torch.func.jacrev(lambda v: m.vector_field(v.unsqueeze(0))[0]))(h)
    assert_close(m.vector_field_jacobian(h), ref, 1e-14)
    assert_close(m.divergence(h), 0.2 + h[:, 0] - 5.7, 1e-14)
    assert m.trace_divergence is None


def test_reference_exponent_sums_match_identities():
    assert sum(Lorenz().reference_exponents) == pytest.approx(-(11 + 8 / 3), abs=2e-4)
    assert sum(Henon().reference_exponents) == pytest.approx(math.log(0.3), abs=2e-5)
    assert Lorenz(rho=16.0).reference_exponents is None
    assert Rossler(c=9.0).reference_exponents is None
    assert Rossler().reference_exponents == (0.0714, 0.0, -5.3943)


# --- discrete maps -----------------------------------------------------------------------------


def test_henon_determinant_is_minus_b(rng):
    for m in (Henon(), Henon(a=1.2, b=-0.4)):
        J = m.jacobian(_random_states(m, 50, rng))
        det = J[:, 0, 0] * J[:, 1, 1] - J[:, 0, 1] * J[:, 1, 0]
        assert bool((det == -m.b).all())
        assert m.jacobian_determinant == -m.b
        assert_close(torch.linalg.det(J), det, 1e-14)


def _qr_exponents(m, h, steps: int) -> torch.Tensor:
    Q = torch.eye(m.dim, dtype=h.dtype).expand(h.shape[0], m.dim, m.dim)
    acc = torch.zeros(h.shape[0], m.dim, dtype=h.dtype)
    for _ in range(steps):
        Q, R = torch.linalg.qr(m.jacobian(h) @ Q)
        h = m.step(h)
        acc += torch.diagonal(R, dim1=-2, dim2=-1).abs().log()
    return acc.mean(0) / (steps * m.dt)


def test_henon_reference_exponents_by_qr():
    m = Henon()
    h = m.default_state(16, generator=torch.Generator().manual_seed(1))
    for _ in range(200):
        h = m.step(h)
    lam = _qr_exponents(m, h, 3000)
    assert float(lam.sum()) == pytest.approx(math.log(0.3), abs=1e-12)
    assert float(lam[0]) == pytest.approx(m.reference_exponents[0], abs=0.01)


def test_logistic_r4_maps_unit_interval_into_itself():
    m = Logistic()
    grid = torch.linspace(0, 1, 10001, dtype=F64).unsqueeze(1)
    out = m.step(grid)
    assert bool((out >= 0).all()) and bool((out <= 1).all())
    assert float(out.max()) == 1.0  # 4 · ½ · ½ (attained: onto)
    assert m.reference_exponents == (math.log(2),)
    assert Logistic(3.7).reference_exponents is None
    s = m.default_state(1000, generator=torch.Generator().manual_seed(0))
    assert bool(((s > 0.1) & (s < 0.95)).all())
    assert bool(((s - 0.5).abs() >= 1e-3).all() and ((s - 0.75).abs() >= 1e-3).all())


def test_logistic_r4_exponent_is_ln2():
    m = Logistic()
    h = m.default_state(64, generator=torch.Generator().manual_seed(2))
    total = torch.zeros(64, 1, dtype=F64)
    for _ in range(2000):
        total += m.jacobian(h)[:, :, 0].abs().log()
        h = m.step(h)
    assert float(total.mean()) / 2000 == pytest.approx(math.log(2), abs=0.01)


def test_linear_map_reference_exponents_are_log_moduli():
    m = LinearMap(A3)
    expected = sorted(np.log(np.abs(np.linalg.eigvals(np.array(A3)))), reverse=True)
    np.testing.assert_allclose(m.reference_exponents, expected, rtol=0, atol=1e-13)
    assert LinearMap(A3, B3).reference_exponents == m.reference_exponents
    assert LinearMap([[2.0, 0.0], [0.0, 0.0]]).reference_exponents == (math.log(2), -math.inf)
    h = m.default_state(4, generator=torch.Generator().manual_seed(0))
    lam = _qr_exponents(m, h, 400)
    np.testing.assert_allclose(lam.numpy(), expected, atol=0.02)


def test_linear_map_driven_step():
    m = LinearMap(A3, B3)
    assert m.input_size == 2 and m.dim == 3 and m.dt == 1.0
    h = torch.randn(4, 3, dtype=F64)
    x = torch.randn(4, 2, dtype=F64)
    expected = h @ torch.tensor(A3, dtype=F64).T + x @ torch.tensor(B3, dtype=F64).T
    assert_close(m.step(h, x), expected, 1e-14)
    assert LinearMap(A3).input_size is None
