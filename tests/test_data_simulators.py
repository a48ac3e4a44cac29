"""neurodyn.data simulators checked against values computed by hand from the equations.

Constants are re-typed here from neuromancer psl (as quoted in the issue), not read from the
library, so a wrong constant in the library fails these tests.
"""

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from neurodyn.data import CSTR, Normalizer, TwoTank, prbs, random_walk, signal, steps, trajectories

C1, C2 = 0.08, 0.04
CSTR_K = dict(
    q=100.0, V=100.0, rho=1000.0, Cp=0.239, dH=5e4, EoR=8750.0, k0=7.2e10, UA=5e4, Tf=350.0, Caf=1.0
)


def test_two_tank_equilibrium_closed_form():
    """ḣ = 0 ⇒ √h₁* = c₁(1 − v)p/c₂, √h₂* = c₁p/c₂ (the inflow of tank 2 is then c₁p)."""
    sys = TwoTank()
    for p, v in [(0.3, 0.2), (0.45, 0.0), (0.1, 0.5), (0.25, 0.35)]:
        want = np.array([(C1 * (1 - v) * p / C2) ** 2, (C1 * p / C2) ** 2])
        assert np.abs(sys.rhs(want[None], np.array([[p, v]]))).max() < 1e-15
        np.testing.assert_allclose(sys.steady_state([p, v]), want, rtol=1e-12, atol=1e-14)
    # the simulated level settles there from an empty system (time constant 2√h*/c₂ ≈ 30 s)
    x = sys.simulate(np.full((600, 2), [0.3, 0.2]), x0=[0.0, 0.0], rtol=1e-10)
    np.testing.assert_allclose(x[-1], [(2 * 0.8 * 0.3) ** 2, (2 * 0.3) ** 2], atol=1e-6)


def test_two_tank_mass_balance_by_finite_differences():
    """d(h₁ + h₂)/dt = c₁p − c₂√h₂ (inflow − outflow) and ḣ₁ = c₁(1 − v)p − c₂√h₁ along a
    trajectory, by central differences at ts = 0.05 (error O(ts²) ≈ 1e-7 here)."""
    ts = 0.05
    sys = TwoTank(ts=ts)
    u = steps(800, 0.05, 0.5, hold=200, seed=4, m=2)
    x = sys.simulate(u, x0=[0.3, 0.2], rtol=1e-12)
    k = np.arange(1, 800)
    same = np.all(u[k - 1] == u[np.minimum(k, 799)], axis=1)  # no input jump inside the stencil
    k = k[same]
    p, v = u[k, 0], u[k, 1]
    h1, h2 = x[k, 0], x[k, 1]
    d_total = ((x[k + 1] - x[k - 1]).sum(axis=1)) / (2 * ts)
    assert np.abs(d_total - (C1 * p - C2 * np.sqrt(h2))).max() < 1e-6
    d1 = (x[k + 1, 0] - x[k - 1, 0]) / (2 * ts)
    assert np.abs(d1 - (C1 * (1 - v) * p - C2 * np.sqrt(h1))).max() < 1e-6


def test_two_tank_levels_stay_physical():
    """An empty tank with no pump stays at 0 (√ never sees a negative level); a full tank
    with inflow does not rise above 1."""
    sys = TwoTank(u_high=1.0)
    x = sys.simulate(np.zeros((30, 2)), x0=[0.0, 0.0])
    assert (x == 0).all()
    x = sys.simulate(np.full((300, 2), [1.0, 0.0]), x0=[0.9, 0.0])
    assert (x >= 0).all() and (x <= 1).all() and x[-1, 0] == 1.0


def _cstr_rhs(ca, T, tc):
    k = CSTR_K
    r = k["k0"] * math.exp(-k["EoR"] / T) * ca
    dca = k["q"] / k["V"] * (k["Caf"] - ca) - r
    dT = (
        k["q"] / k["V"] * (k["Tf"] - T)
        + k["dH"] / (k["rho"] * k["Cp"]) * r
        + k["UA"] / (k["V"] * k["rho"] * k["Cp"]) * (tc - T)
    )
    return dca, dT


def test_cstr_x0_is_the_steady_state_at_tc_300():
    """psl's x₀ = (0.87725, 324.4754) has ẋ ≈ 0 at T_c = 300: residual of the right-hand side
    (hand-coded here) ≤ 1e-9 in C_A and ≤ 1e-7 K/s in T; the steady state by hand (C_A from
    Ċ_A = 0, T by bisection on Ṫ = 0) equals x₀ to 1e-9; the library matches both."""
    sys = CSTR()
    x0 = np.array([0.87725294608097, 324.475443431599])
    np.testing.assert_array_equal(sys.x0, x0)
    dca, dT = _cstr_rhs(*x0, 300.0)
    assert abs(dca) < 1e-9 and abs(dT) < 1e-7
    lib = sys.rhs(x0[None], np.array([[300.0]]))[0]
    np.testing.assert_allclose(lib, [dca, dT], atol=1e-10)

    def ca_of(T):
        kT = CSTR_K["k0"] * math.exp(-CSTR_K["EoR"] / T)
        return 1.0 / (1.0 + kT)  # q/V = 1, Caf = 1

    T_star = brentq(lambda T: _cstr_rhs(ca_of(T), T, 300.0)[1], 310.0, 335.0, xtol=1e-12)
    np.testing.assert_allclose([ca_of(T_star), T_star], x0, rtol=1e-9)
    np.testing.assert_allclose(sys.steady_state(300.0), x0, rtol=1e-9)
    x = sys.simulate(np.full((50, 1), 300.0), rtol=1e-11)
    assert np.abs(x - x0).max(axis=0).tolist() < [1e-8, 1e-6]


def test_cstr_steady_state_moves_with_coolant():
    """A warmer coolant gives a hotter, more converted steady state (dT*/dT_c > 0)."""
    sys = CSTR()
    lo, hi = sys.steady_state(297.0), sys.steady_state(303.0)
    assert hi[1] > lo[1] and hi[0] < lo[0]
    for tc, xs in [(297.0, lo), (303.0, hi)]:
        assert max(abs(v) for v in _cstr_rhs(xs[0], xs[1], tc)) < 1e-8


@pytest.mark.parametrize("system", ["two_tank", "cstr"])
def test_solver_tolerance_convergence(system):
    """Against a DOP853 reference at rtol 1e-13: RK23's error falls with rtol at rate ≈ 1
    (fitted slope of log error vs log rtol over 1e-6, 1e-9, 1e-11 in [0.7, 1.2]: error-per-step
    control gives global error ∝ tol to within the step-size transient), and the implicit Radau
    at rtol 1e-11 agrees to 1e-8 (a second, independent integrator)."""
    sys = TwoTank() if system == "two_tank" else CSTR()
    if system == "two_tank":
        u, x0 = steps(50, 0.05, 0.5, hold=10, seed=1, m=2), [0.2, 0.3]
    else:
        u, x0 = steps(50, 297.0, 303.0, hold=10, seed=1), None
    ref = sys.simulate(u, x0, rtol=1e-13)
    tols = np.array([1e-6, 1e-9, 1e-11])
    errs = np.array(
        [
            np.abs((sys.simulate(u, x0, rtol=r, method="RK23") - ref) / sys.state_scale).max()
            for r in tols
        ]
    )
    assert (np.diff(errs) < 0).all(), errs
    slope = np.polyfit(np.log(tols), np.log(errs), 1)[0]
    assert 0.7 <= slope <= 1.2, (slope, errs)
    assert errs[0] < 1e-4
    radau = sys.simulate(u, x0, rtol=1e-11, method="Radau")
    assert np.abs((radau - ref) / sys.state_scale).max() < 1e-8


def test_batch_equals_single_rows():
    sys = CSTR()
    u = np.stack([steps(20, 297.0, 303.0, hold=5, seed=s) for s in range(3)])
    x0 = np.stack([sys.x0 + np.array([0.01 * s, 0.5 * s]) for s in range(3)])
    xb = sys.simulate(u, x0, rtol=1e-10)
    for s in range(3):
        np.testing.assert_allclose(xb[s], sys.simulate(u[s], x0[s], rtol=1e-10), rtol=1e-7)


def test_inputs_outside_the_box_are_refused():
    with pytest.raises(ValueError, match="inputs must lie in"):
        TwoTank().simulate(np.full((3, 2), 0.7))
    with pytest.raises(ValueError, match=r"\(T, 1\)"):
        CSTR().simulate(np.zeros((3, 2)) + 300)


def test_signals_bounded_seeded_and_shaped():
    for kind in ("steps", "random_walk", "prbs"):
        a = signal(kind, 300, [0.0, 297.0], [0.5, 303.0], seed=7)
        b = signal(kind, 300, [0.0, 297.0], [0.5, 303.0], seed=7)
        c = signal(kind, 300, [0.0, 297.0], [0.5, 303.0], seed=8)
        assert a.shape == (300, 2)
        assert (a >= [0.0, 297.0]).all() and (a <= [0.5, 303.0]).all()
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)
    u = prbs(100, 0.0, 1.0, hold=4, seed=0)
    assert set(np.unique(u)) <= {0.0, 1.0}
    runs = np.diff(np.flatnonzero(np.diff(u[:, 0]) != 0))
    assert (runs % 4 == 0).all()  # switches only at multiples of the dwell
    w = random_walk(1000, -1.0, 1.0, sigma=0.3, seed=0)
    assert np.abs(np.diff(w[:, 0])).max() <= 2 * 0.3 * 2 * 6  # steps are of size σ·width
    with pytest.raises(ValueError, match="unknown signal"):
        signal("chirp", 10, 0, 1)


def test_trajectories_deterministic_and_normalised():
    a = trajectories(TwoTank(), n_train=3, n_val=1, n_test=1, length=30, seed=5)
    b = trajectories(TwoTank(), n_train=3, n_val=1, n_test=1, length=30, seed=5)
    np.testing.assert_array_equal(a.test.x, b.test.x)
    assert not np.array_equal(a.train.x[0], a.test.x[0])
    xn = a.norm.x(a.train.x).reshape(-1, 2)
    np.testing.assert_allclose(xn.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(xn.std(axis=0), 1, atol=1e-12)
    back = Normalizer.from_dict(a.norm.to_dict())
    np.testing.assert_allclose(back.x_inverse(back.x(a.test.x)), a.test.x, rtol=1e-14)
    np.testing.assert_allclose(back.u_inverse(back.u(a.test.u)), a.test.u, rtol=1e-14)
