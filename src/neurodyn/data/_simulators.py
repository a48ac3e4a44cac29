"""Benchmark process simulators with inputs: the two-tank system and the exothermic CSTR.

Equations and parameters are those of neuromancer's ``psl`` package (``psl.nonautonomous.
TwoTank`` and ``psl.nonautonomous.CSTR``, read from its source), which in turn cites APMonitor
(Hedengren, apmonitor.com: "Level Control" for the two tanks, "Nonlinear Control" for the
CSTR) as the origin of both models. These are the two systems Drgoňa et al., Dissipative
identify as x_{t+1} = f(x_t) + g(u_t). Integration is ``scipy.integrate.solve_ivp`` over each
sample interval with the input held constant there (zero-order hold).
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

__all__ = ["CSTR", "ODESystem", "TwoTank"]


class ODESystem:
    """A continuous-time system ẋ = F(x, u) sampled every ``ts`` under zero-order-hold inputs.

    Subclasses set the class attributes and implement :meth:`rhs` vectorised over a batch.

    Attributes:
        name: short name.
        state_names, input_names: one per state / input.
        ts: sample time.
        x0: the default initial state ``(n,)``.
        u_low, u_high: the admissible input box ``(m,)`` (inputs outside it are refused).
        x0_low, x0_high: the box random initial states of datasets are drawn from.
        state_scale: typical magnitude of each state, for the default absolute tolerance.
    """

    name: str = "ode"
    state_names: tuple[str, ...] = ()
    input_names: tuple[str, ...] = ()
    ts: float = 1.0
    x0: np.ndarray
    u_low: np.ndarray
    u_high: np.ndarray
    x0_low: np.ndarray
    x0_high: np.ndarray
    state_scale: np.ndarray

    @property
    def n(self) -> int:
        return len(self.state_names)

    @property
    def m(self) -> int:
        return len(self.input_names)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(n={self.n}, m={self.m}, ts={self.ts})"

    def rhs(self, x: np.ndarray, u: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        """ẋ = F(x, u) for ``x`` ``(B, n)``, ``u`` ``(B, m)`` → ``(B, n)``."""
        raise NotImplementedError

    def _post(self, x: np.ndarray) -> np.ndarray:
        """Map an integrated state back to the physical set (identity by default)."""
        return x

    def _check_inputs(self, u) -> tuple[np.ndarray, bool]:
        u = np.asarray(u, dtype=np.float64)
        single = u.ndim == 2
        if u.ndim == 1 and self.m == 1:
            u, single = u[:, None], True
        if single:
            u = u[None]
        if u.ndim != 3 or u.shape[-1] != self.m or u.shape[1] < 1:
            raise ValueError(
                f"{self.name}: u must be (T, {self.m}) or (B, T, {self.m}) with T ≥ 1, got "
                f"shape {np.shape(u)}."
            )
        if not np.isfinite(u).all():
            raise ValueError(f"{self.name}: u contains NaN or inf.")
        tol = 1e-12 * (1 + np.abs(self.u_high))
        if (u < self.u_low - tol).any() or (u > self.u_high + tol).any():
            raise ValueError(
                f"{self.name}: inputs must lie in [{self.u_low.tolist()}, {self.u_high.tolist()}] "
                f"({', '.join(self.input_names)}); got range [{u.min(axis=(0, 1)).tolist()}, "
                f"{u.max(axis=(0, 1)).tolist()}]. Clip the signal or build it with "
                "neurodyn.data.steps/random_walk/prbs inside these bounds."
            )
        return u, single

    def simulate(
        self,
        u,
        x0=None,
        *,
        rtol: float = 1e-8,
        atol: float | np.ndarray | None = None,
        method: str = "DOP853",
    ) -> np.ndarray:
        """States at every sample time under zero-order-hold inputs.

        Each interval [k·ts, (k+1)·ts] is integrated by ``scipy.integrate.solve_ivp`` with
        u(t) = u_k held constant (so input jumps never sit inside a solver step). A batch of
        B trajectories is integrated as one system of B·n states (rows do not interact).

        Args:
            u: ``(T, m)`` inputs (``(T,)`` when m = 1), or ``(B, T, m)`` for a batch.
            x0: ``(n,)`` or ``(B, n)`` initial states (default :attr:`x0`).
            rtol: relative tolerance of the solver.
            atol: absolute tolerance, scalar or ``(n,)`` (default ``rtol·state_scale``).
            method: a ``solve_ivp`` method (``"DOP853"``, ``"RK45"``, ``"Radau"``, ...).

        Returns:
            ``(T + 1, n)`` float64 (``(B, T + 1, n)`` for a batch); row 0 is x0.

        Raises:
            ValueError: a bad shape, non-finite values, inputs outside ``[u_low, u_high]``, or
                a solver failure (its message and the interval are named).
        """
        u, single = self._check_inputs(u)
        B, T, _ = u.shape
        x = np.broadcast_to(
            self.x0 if x0 is None else np.asarray(x0, dtype=np.float64), (B, self.n)
        )
        x = np.array(x, dtype=np.float64)
        if not np.isfinite(x).all():
            raise ValueError(f"{self.name}: x0 contains NaN or inf.")
        if atol is None:
            atol = rtol * self.state_scale
        atol_flat = np.broadcast_to(np.asarray(atol, dtype=np.float64), (B, self.n)).ravel()
        out = np.empty((B, T + 1, self.n))
        out[:, 0] = x
        for k in range(T):
            uk = u[:, k]

            def fun(_t, y, uk=uk):
                return self.rhs(y.reshape(B, self.n), uk).ravel()

            sol = solve_ivp(
                fun, (0.0, self.ts), x.ravel(), method=method, rtol=rtol, atol=atol_flat
            )
            if not sol.success:
                raise ValueError(
                    f"{self.name}: solve_ivp failed on interval {k} ({sol.message}); try "
                    "method='Radau' or a looser rtol."
                )
            x = self._post(sol.y[:, -1].reshape(B, self.n))
            out[:, k + 1] = x
        return out[0] if single else out


class TwoTank(ODESystem):
    """Two tanks in cascade, a pump and a split valve (2 states, 2 inputs).

    ḣ₁ = c₁(1 − v)p − c₂√h₁,   ḣ₂ = c₁vp + c₂√h₁ − c₂√h₂,   c₁ = 0.08, c₂ = 0.04, ts = 1,

    with levels h₁, h₂ ∈ [0, 1] and inputs pump p and valve v in [0, 0.5] (psl's admissible
    box; the model allows [0, 1], psl notes 1 is numerically troublesome). As in psl, the
    right-hand side uses the levels clipped to [0, 1] (so √ never sees a negative level) and a
    full tank does not rise (ḣᵢ = 0 when hᵢ ≥ 1 and ḣᵢ > 0); integrated states are clipped to
    [0, 1] against solver round-off. Source: neuromancer psl ``TwoTank`` (from APMonitor,
    "Level Control"); identified in Drgoňa et al., Dissipative.

    Example:
        >>> import numpy as np
        >>> x = TwoTank().simulate(np.full((50, 2), [0.2, 0.5]), x0=[0.0, 0.0])
        >>> x.shape, bool((x >= 0).all() and (x <= 1).all())
        ((51, 2), True)
    """

    name = "two_tank"
    state_names = ("h1", "h2")
    input_names = ("pump", "valve")
    ts = 1.0
    c1 = 0.08
    c2 = 0.04

    def __init__(self, *, ts: float = 1.0, u_high: float = 0.5):
        if not 0 < u_high <= 1:
            raise ValueError(f"TwoTank: u_high must be in (0, 1], got {u_high}.")
        self.ts = float(ts)
        self.x0 = np.zeros(2)
        self.u_low, self.u_high = np.zeros(2), np.full(2, float(u_high))
        self.x0_low, self.x0_high = np.zeros(2), np.full(2, 0.5)
        self.state_scale = np.ones(2)

    def rhs(self, x, u):
        h = np.clip(x, 0.0, 1.0)
        p, v = u[:, 0], u[:, 1]
        r1, r2 = np.sqrt(h[:, 0]), np.sqrt(h[:, 1])
        d1 = self.c1 * (1.0 - v) * p - self.c2 * r1
        d2 = self.c1 * v * p + self.c2 * r1 - self.c2 * r2
        d = np.stack([d1, d2], axis=1)
        return np.where((h >= 1.0) & (d > 0.0), 0.0, d)

    def _post(self, x):
        return np.clip(x, 0.0, 1.0)

    def steady_state(self, u) -> np.ndarray:
        """The equilibrium (h₁*, h₂*) under a constant input, by root finding on ẋ = 0.

        Solved numerically (brentq on each tank in turn), so the tests can check it against
        the closed form.

        Raises:
            ValueError: the equilibrium would overflow a tank (h* > 1).
        """
        p, v = (float(t) for t in np.asarray(u, dtype=np.float64).reshape(2))
        one = np.array([[p, v]])
        f1 = lambda h1: self.rhs(np.array([[h1, 0.5]]), one)[0, 0]  # noqa: E731
        if f1(1.0) > 0:
            raise ValueError(f"TwoTank: tank 1 overflows at u = {(p, v)}.")
        h1 = brentq(f1, 0.0, 1.0, xtol=1e-15, rtol=1e-15) if f1(0.0) > 0 else 0.0
        f2 = lambda h2: self.rhs(np.array([[h1, h2]]), one)[0, 1]  # noqa: E731
        if f2(1.0 - 1e-15) > 0:
            raise ValueError(f"TwoTank: tank 2 overflows at u = {(p, v)}.")
        h2 = brentq(f2, 0.0, 1.0, xtol=1e-15, rtol=1e-15) if f2(0.0) > 0 else 0.0
        return np.array([h1, h2])


class CSTR(ODESystem):
    """Exothermic continuous stirred-tank reactor, A → B (2 states, 1 input).

    rA = k₀ exp(−E/(R T)) C_A,
    Ċ_A = q/V (C_Af − C_A) − rA,
    Ṫ = q/V (T_f − T) + ΔH/(ρ C_p) rA + UA/(V ρ C_p) (T_c − T),

    q = V = 100, ρ = 1000, C_p = 0.239, ΔH = 5·10⁴ (−ΔH, exothermic), E/R = 8750,
    k₀ = 7.2·10¹⁰, UA = 5·10⁴, T_f = 350, C_Af = 1, ts = 0.1; states (C_A, T), input the
    coolant temperature T_c ∈ [297, 303] (300 ± 3, psl's excitation range); default
    x₀ = (0.87725294608097, 324.475443431599), psl's steady state at T_c = 300. Source:
    neuromancer psl ``CSTR``, which cites APMonitor ("Nonlinear Control") as the origin of the
    model; identified in Drgoňa et al., Dissipative.

    Example:
        >>> import numpy as np
        >>> x = CSTR().simulate(np.full((20, 1), 300.0))     # at the steady state
        >>> bool(np.abs(x[-1] - x[0]).max() < 1e-6)
        True
    """

    name = "cstr"
    state_names = ("Ca", "T")
    input_names = ("Tc",)
    q, V, rho, Cp = 100.0, 100.0, 1000.0, 0.239
    mdelH, EoverR, k0, UA = 5.0e4, 8750.0, 7.2e10, 5.0e4
    Tf, Caf = 350.0, 1.0

    def __init__(self, *, ts: float = 0.1, tc_low: float = 297.0, tc_high: float = 303.0):
        self.ts = float(ts)
        self.x0 = np.array([0.87725294608097, 324.475443431599])
        self.u_low, self.u_high = np.array([float(tc_low)]), np.array([float(tc_high)])
        self.x0_low = self.x0 - np.array([0.02, 1.0])
        self.x0_high = self.x0 + np.array([0.02, 1.0])
        self.state_scale = np.array([1.0, 300.0])

    def rate(self, x) -> np.ndarray:
        """The reaction rate rA = k₀ exp(−E/(R T)) C_A for ``x`` ``(B, 2)``."""
        return self.k0 * np.exp(-self.EoverR / x[:, 1]) * x[:, 0]

    def rhs(self, x, u):
        rA = self.rate(x)
        dca = self.q / self.V * (self.Caf - x[:, 0]) - rA
        dT = (
            self.q / self.V * (self.Tf - x[:, 1])
            + self.mdelH / (self.rho * self.Cp) * rA
            + self.UA / (self.V * self.rho * self.Cp) * (u[:, 0] - x[:, 1])
        )
        return np.stack([dca, dT], axis=1)

    def steady_state(self, u, *, branch: int = 0, T_range: tuple[float, float] = (290.0, 450.0)):
        """A steady state (C_A*, T*) at a constant coolant temperature T_c.

        C_A is eliminated (Ċ_A = 0 ⇒ C_A = C_Af·(q/V)/(q/V + k(T))) and Ṫ = 0 solved for T:
        the sign changes on a 0.05 K grid over ``T_range`` bracket the roots, each refined by
        brentq. The reactor has up to three steady states; ``branch`` picks one, coldest first
        (0: the low-temperature branch the data live on).

        Raises:
            ValueError: fewer than ``branch + 1`` steady states in ``T_range``.
        """
        tc = float(np.asarray(u, dtype=np.float64).reshape(-1)[0])
        a = self.q / self.V

        def ca_of(T):
            return self.Caf * a / (a + self.k0 * np.exp(-self.EoverR / T))

        def g(T):
            T = np.atleast_1d(np.asarray(T, dtype=np.float64))
            return self.rhs(np.stack([ca_of(T), T], axis=1), np.full((T.size, 1), tc))[:, 1]

        grid = np.arange(T_range[0], T_range[1], 0.05)
        vals = g(grid)
        idx = np.flatnonzero(np.sign(vals[:-1]) != np.sign(vals[1:]))
        if idx.size <= branch:
            raise ValueError(
                f"CSTR: {idx.size} steady state(s) in T ∈ {T_range} at T_c = {tc}; asked for "
                f"branch {branch}."
            )
        i = idx[branch]
        T = brentq(lambda t: float(g(t)[0]), grid[i], grid[i + 1], xtol=1e-13, rtol=1e-15)
        return np.array([float(ca_of(T)), T])
