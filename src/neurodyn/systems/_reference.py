"""Reference systems with known answers: maps and flows for tests, examples and benchmarks.

Every class here satisfies the :class:`~neurodyn.systems.Map` protocol — batched over ``(B, n)``,
following the dtype and device of the state it is given — with an analytic Jacobian, a
``default_state`` in the attractor's basin and, where one is known, ``reference_exponents``: the
Lyapunov spectrum **per unit time**, largest first (for the maps ``dt = 1``, so per step).

* :class:`Logistic` — x ↦ r x (1 − x); λ = ln 2 exactly at r = 4 (conjugate to the tent map).
* :class:`Henon` — (x, y) ↦ (1 − a x² + y, b x); det J = −b, so λ₁ + λ₂ = ln|b| exactly.
* :class:`Lorenz`, :class:`Rossler` — flows made maps by one classical RK4 step of size ``dt``
  (:class:`~neurodyn.systems.FlowMap` with ``scheme="rk4"`` and the analytic Df), with the
  *exact* Jacobian of that discrete step (chain rule through the four stages).
  Exponents per unit time are per-step exponents divided by ``dt``.
* :class:`Lorenz96` — the n-variable Lorenz-96 ring, made a map by one RK4 step like Lorenz;
  tr Df = −n everywhere, so its exponents (per unit time) sum to −n exactly.
* :class:`LinearMap` — h ↦ A h (+ B x); its exponents are exactly the sorted ln|eig(A)|.

Sources of the reference values (base-e exponents):

* Logistic r = 4: ln 2, exact (the map is smoothly conjugate to the tent map with slope 2).
* Hénon (a, b) = (1.4, 0.3): 0.41922, −1.62319; Lorenz (10, 28, 8/3): 0.9056, 0, −14.5723;
  Rössler (0.2, 0.2, 5.7): 0.0714, 0, −5.3943 — the values tabulated by J. C. Sprott,
  *Chaos and Time-Series Analysis* (Oxford University Press, 2003), appendix of common chaotic
  systems, and on his web page of common chaotic systems. They are the commonly quoted values;
  their sums agree with the exact identities (ln 0.3 = −1.20397 for Hénon, −(σ + 1 + β) =
  −13.6667 for Lorenz) to the digits given. Treat the last digit as uncertain.
* LinearMap: computed exactly from the eigenvalues of A.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from neurodyn.systems._flow import FlowMap
from neurodyn.systems._map import MapBase

__all__ = ["Henon", "LinearMap", "Logistic", "Lorenz", "Lorenz96", "Rossler"]


def _check_state(name: str, h: Tensor, n: int) -> None:
    if not isinstance(h, Tensor):
        raise TypeError(f"{name}: the state must be a torch.Tensor of shape (B, {n}).")
    if h.dim() != 2 or h.shape[1] != n:
        raise ValueError(
            f"{name}: expected a state of shape (B, {n}) (a batch of {n}-dimensional states), "
            f"got {tuple(h.shape)}."
        )


def _no_input(name: str, x: Tensor | None) -> None:
    if x is not None:
        raise ValueError(f"{name} is autonomous (input_size=None): step(h)/jacobian(h) take no x.")


def _check_dt(dt: float) -> float:
    dt = float(dt)
    if not math.isfinite(dt) or dt <= 0:
        raise ValueError(f"dt must be a positive finite step, got {dt!r}.")
    return dt


def _fmt(v: float) -> str:
    return f"{v:g}" if v == float(f"{v:g}") else repr(v)


class _DiscreteReference(MapBase):
    """Common plumbing of the reference maps (dt = 1, autonomous)."""

    dim: int
    dt: float = 1.0
    input_size: int | None = None
    reference_exponents: tuple[float, ...] | None = None

    def _eye(self, h: Tensor) -> Tensor:
        return torch.eye(self.dim, dtype=h.dtype, device=h.device)


class Logistic(_DiscreteReference):
    """The logistic map x ↦ r x (1 − x), ``dim = 1``.

    ``reference_exponents = (ln 2,)`` for r = 4 — exact, since x = sin²(πθ/2) conjugates it to
    the tent map of slope 2 — and None for other r. At r = 4 it maps [0, 1] onto [0, 1].

    Args:
        r: the growth parameter.
    """

    dim = 1

    def __init__(self, r: float = 4.0):
        self.r = float(r)
        self.reference_exponents = (math.log(2.0),) if self.r == 4.0 else None

    def __repr__(self) -> str:
        return f"Logistic(r={_fmt(self.r)})"

    def step(self, h: Tensor, x: Tensor | None = None) -> Tensor:
        """r h (1 − h), ``(B, 1)``."""
        _no_input("Logistic", x)
        _check_state("Logistic", h, 1)
        return self.r * h * (1 - h)

    def jacobian(self, h: Tensor, x: Tensor | None = None) -> Tensor:
        """r (1 − 2h), ``(B, 1, 1)``."""
        _no_input("Logistic", x)
        _check_state("Logistic", h, 1)
        return (self.r * (1 - 2 * h)).unsqueeze(-1)

    def default_state(
        self,
        batch: int = 1,
        dtype: torch.dtype = torch.float64,
        generator: torch.Generator | None = None,
        device: torch.device | str | None = None,
    ) -> Tensor:
        """Uniform in (0.1, 0.9), nudged away from 0.5 (which lands on the fixed point 0 in two
        steps) and from the fixed point 1 − 1/r (0.75 at r = 4). ``(batch, 1)``."""
        u = torch.rand(batch, 1, generator=generator, dtype=torch.float64)
        h = 0.1 + 0.8 * u
        for bad in (0.5, 1 - 1 / self.r):
            h = torch.where((h - bad).abs() < 1e-3, h + 0.0123, h)
        return h.to(dtype=dtype, device=device)


class Henon(_DiscreteReference):
    """The Hénon map (x, y) ↦ (1 − a x² + y, b x), ``dim = 2``.

    J = [[−2a x, 1], [b, 0]], so ``jacobian_determinant = −b`` at every state and the exponents
    sum to ln|b| exactly. ``reference_exponents = (0.41922, −1.62319)`` for the classic
    (a, b) = (1.4, 0.3) (Sprott, *Chaos and Time-Series Analysis*; see the module docstring),
    None otherwise.

    Args:
        a, b: the map's parameters.
    """

    dim = 2

    def __init__(self, a: float = 1.4, b: float = 0.3):
        self.a, self.b = float(a), float(b)
        self.jacobian_determinant = -self.b
        classic = self.a == 1.4 and self.b == 0.3
        self.reference_exponents = (0.41922, -1.62319) if classic else None

    def __repr__(self) -> str:
        return f"Henon(a={_fmt(self.a)}, b={_fmt(self.b)})"

    def step(self, h: Tensor, x: Tensor | None = None) -> Tensor:
        """(1 − a x² + y, b x), ``(B, 2)``."""
        _no_input("Henon", x)
        _check_state("Henon", h, 2)
        u, v = h[:, 0], h[:, 1]
        return torch.stack((1 - self.a * u * u + v, self.b * u), dim=1)

    def jacobian(self, h: Tensor, x: Tensor | None = None) -> Tensor:
        """[[−2a x, 1], [b, 0]], ``(B, 2, 2)``."""
        _no_input("Henon", x)
        _check_state("Henon", h, 2)
        u = h[:, 0]
        one, zero = torch.ones_like(u), torch.zeros_like(u)
        row0 = torch.stack((-2 * self.a * u, one), dim=1)
        row1 = torch.stack((self.b * one, zero), dim=1)
        return torch.stack((row0, row1), dim=1)

    def default_state(
        self,
        batch: int = 1,
        dtype: torch.dtype = torch.float64,
        generator: torch.Generator | None = None,
        device: torch.device | str | None = None,
    ) -> Tensor:
        """(0, 0) plus N(0, 0.01²) noise — in the attractor's basin. ``(batch, 2)``."""
        noise = torch.randn(batch, 2, generator=generator, dtype=torch.float64)
        return (0.01 * noise).to(dtype=dtype, device=device)


class _RK4Flow(FlowMap):
    """A reference flow dh/dt = f(h) as a :class:`FlowMap` with ``scheme="rk4"`` and the
    analytic Df: the map h ↦ one classical RK4 step of size ``dt`` with the exact Jacobian of
    that discrete step (see :mod:`neurodyn.systems._flow` for the chain rule through the four
    stages; J_step approximates the flow's tangent map Φ(dt) to O(dt⁵))."""

    dim: int = 3
    input_size: int | None = None
    scheme = "rk4"
    reference_exponents: tuple[float, ...] | None = None

    def _field(self, h: Tensor, x: Tensor | None) -> Tensor:
        return self._f(h)

    def _field_jac(self, h: Tensor, x: Tensor | None) -> Tensor:
        return self._df(h)

    def divergence(self, h: Tensor) -> Tensor:
        """tr Df(h), ``(B,)``: the local volume contraction rate of the flow."""
        return torch.diagonal(self.vector_field_jacobian(h), dim1=-2, dim2=-1).sum(-1)

    # unchecked f and Df on (B, 3), shared by step/jacobian and the public wrappers
    def _f(self, h: Tensor) -> Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def _df(self, h: Tensor) -> Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def _start(self, centre, batch, dtype, generator, device) -> Tensor:
        noise = torch.randn(batch, self.dim, generator=generator, dtype=torch.float64)
        base = torch.tensor(centre, dtype=torch.float64)
        return (base + 0.01 * noise).to(dtype=dtype, device=device)


class Lorenz(_RK4Flow):
    """The Lorenz system (Vogt, dissertation, eq. 1.13) as the map of one RK4 step of size ``dt``.

    f(x, y, z) = (σ(y − x), ρx − y − xz, xy − βz), Df = [[−σ, σ, 0], [ρ − z, −1, −x], [y, x, −β]]
    (eq. 1.14); tr Df = −(σ + 1 + β) everywhere (``trace_divergence``), so the exponents (per
    unit time) sum to −(σ + 1 + β) = −13.6667 for the standard parameters.

    ``reference_exponents = (0.9056, 0.0, −14.5723)`` per unit time for (σ, ρ, β) = (10, 28, 8/3)
    (Sprott, *Chaos and Time-Series Analysis*; see the module docstring), None otherwise. Per-step
    exponents of the map are these times ``dt`` (up to the O(dt⁴) error of RK4).

    Args:
        sigma, rho, beta: the Lorenz parameters.
        dt: the RK4 step (time per map step); must be positive.
    """

    def __init__(
        self, sigma: float = 10.0, rho: float = 28.0, beta: float = 8 / 3, dt: float = 0.01
    ):
        self.sigma, self.rho, self.beta = float(sigma), float(rho), float(beta)
        self.dt = _check_dt(dt)
        self.trace_divergence = -(self.sigma + 1 + self.beta)
        standard = (self.sigma, self.rho, self.beta) == (10.0, 28.0, 8 / 3)
        self.reference_exponents = (0.9056, 0.0, -14.5723) if standard else None

    def __repr__(self) -> str:
        return (
            f"Lorenz(sigma={_fmt(self.sigma)}, rho={_fmt(self.rho)}, beta={_fmt(self.beta)}, "
            f"dt={_fmt(self.dt)})"
        )

    # f(h) = L h + (0, −xz, xy) and Df(h) = L + x E_x + y E_y + z E_z: both are a few batched
    # ops, which matters because a 3-D step is dominated by per-op overhead.
    def _tables(self, like: Tensor) -> tuple[Tensor, Tensor]:
        key = (like.dtype, like.device)
        if getattr(self, "_cache_key", None) != key:
            s, r, b = self.sigma, self.rho, self.beta
            lin = torch.tensor([[-s, s, 0.0], [r, -1.0, 0.0], [0.0, 0.0, -b]], dtype=like.dtype)
            quad = torch.zeros(3, 3, 3, dtype=like.dtype)  # quad[i] = ∂Df/∂h_i
            quad[0, 1, 2], quad[0, 2, 1] = -1.0, 1.0  # x: −x in (1,2), x in (2,1)
            quad[1, 2, 0] = 1.0  # y: y in (2,0)
            quad[2, 1, 0] = -1.0  # z: −z in (1,0)
            self._cache_key = key
            self._lin, self._quad = lin.to(like.device), quad.to(like.device)
        return self._lin, self._quad

    def _f(self, h: Tensor) -> Tensor:
        lin, _ = self._tables(h)
        x = h[:, :1]
        quad = torch.cat((torch.zeros_like(x), -x * h[:, 2:3], x * h[:, 1:2]), dim=1)
        return h @ lin.T + quad

    def _df(self, h: Tensor) -> Tensor:
        lin, quad = self._tables(h)
        return lin + (h @ quad.reshape(3, 9)).reshape(-1, 3, 3)

    def default_state(
        self,
        batch: int = 1,
        dtype: torch.dtype = torch.float64,
        generator: torch.Generator | None = None,
        device: torch.device | str | None = None,
    ) -> Tensor:
        """(1, 1, 1) plus N(0, 0.01²) noise, ``(batch, 3)``; reaches the attractor in t ≈ 10–20."""
        return self._start((1.0, 1.0, 1.0), batch, dtype, generator, device)


class Rossler(_RK4Flow):
    """The Rössler system as the map of one RK4 step of size ``dt``.

    f(x, y, z) = (−y − z, x + a y, b + z (x − c)), Df = [[0, −1, −1], [1, a, 0], [z, 0, x − c]];
    tr Df = a + x − c depends on the state (``divergence(h)``), so the exponent sum is
    a − c + ⟨x⟩ along the attractor.

    ``reference_exponents = (0.0714, 0.0, −5.3943)`` per unit time for (a, b, c) = (0.2, 0.2, 5.7)
    — the commonly quoted values, tabulated by Sprott (*Chaos and Time-Series Analysis*; see the
    module docstring) — None otherwise. λ₁ is small, so estimates converge slowly.

    Args:
        a, b, c: the Rössler parameters.
        dt: the RK4 step (time per map step); must be positive.
    """

    trace_divergence = None  # state-dependent: a + x − c

    def __init__(self, a: float = 0.2, b: float = 0.2, c: float = 5.7, dt: float = 0.01):
        self.a, self.b, self.c = float(a), float(b), float(c)
        self.dt = _check_dt(dt)
        standard = (self.a, self.b, self.c) == (0.2, 0.2, 5.7)
        self.reference_exponents = (0.0714, 0.0, -5.3943) if standard else None

    def __repr__(self) -> str:
        return f"Rossler(a={_fmt(self.a)}, b={_fmt(self.b)}, c={_fmt(self.c)}, dt={_fmt(self.dt)})"

    def _f(self, h: Tensor) -> Tensor:
        x, y, z = h[:, 0], h[:, 1], h[:, 2]
        return torch.stack((-y - z, x + self.a * y, self.b + z * (x - self.c)), dim=1)

    def _df(self, h: Tensor) -> Tensor:
        x, z = h[:, 0], h[:, 2]
        one, zero = torch.ones_like(x), torch.zeros_like(x)
        rows = (
            torch.stack((zero, -one, -one), dim=1),
            torch.stack((one, self.a * one, zero), dim=1),
            torch.stack((z, zero, x - self.c), dim=1),
        )
        return torch.stack(rows, dim=1)

    def default_state(
        self,
        batch: int = 1,
        dtype: torch.dtype = torch.float64,
        generator: torch.Generator | None = None,
        device: torch.device | str | None = None,
    ) -> Tensor:
        """(1, 1, 0) plus N(0, 0.01²) noise, ``(batch, 3)``; reaches the attractor in t ≈ 50–100."""
        return self._start((1.0, 1.0, 0.0), batch, dtype, generator, device)


class Lorenz96(_RK4Flow):
    """The Lorenz-96 system (Lorenz 1996) on a ring of ``n`` variables, as the map of one RK4
    step of size ``dt``.

    f_i(h) = (h_{i+1} − h_{i−2}) h_{i−1} − h_i + F (indices mod n), so
    ∂f_i/∂h_{i−2} = −h_{i−1}, ∂f_i/∂h_{i−1} = h_{i+1} − h_{i−2}, ∂f_i/∂h_i = −1,
    ∂f_i/∂h_{i+1} = h_{i−1}; tr Df = −n everywhere (``trace_divergence``), so the exponents
    (per unit time) sum to −n. With the usual forcing F = 8 the ring is chaotic for n ≥ 5 or so
    (n = 40: λ₁ ≈ 1.7 per unit time, Lorenz 1996); no reference spectrum is tabulated here
    (``reference_exponents`` is None).

    Args:
        n: the number of variables (>= 4, so that the four neighbours i−2..i+1 are distinct).
        forcing: F.
        dt: the RK4 step (time per map step); must be positive.

    Example:
        >>> import torch
        >>> from neurodyn.systems import Lorenz96
        >>> m = Lorenz96(n=8)
        >>> m.step(m.default_state(2)).shape
        torch.Size([2, 8])

    References:
        E. N. Lorenz, "Predictability: a problem partly solved", Proc. ECMWF Seminar on
        Predictability, 1996.
    """

    def __init__(self, n: int = 8, forcing: float = 8.0, dt: float = 0.01):
        if isinstance(n, bool) or not isinstance(n, int) or n < 4:
            raise ValueError(f"Lorenz96: n must be an integer >= 4, got {n!r}.")
        self.dim, self.forcing, self.dt = n, float(forcing), _check_dt(dt)
        self.trace_divergence = -float(n)
        self.reference_exponents = None

    def __repr__(self) -> str:
        return f"Lorenz96(n={self.dim}, forcing={_fmt(self.forcing)}, dt={_fmt(self.dt)})"

    def _f(self, h: Tensor) -> Tensor:
        ahead, back1, back2 = h.roll(-1, 1), h.roll(1, 1), h.roll(2, 1)
        return (ahead - back2) * back1 - h + self.forcing

    def _df(self, h: Tensor) -> Tensor:
        n = self.dim
        i = torch.arange(n, device=h.device)
        jac = h.new_zeros(h.shape[0], n, n)
        jac[:, i, (i - 2) % n] = -h.roll(1, 1)
        jac[:, i, (i - 1) % n] = h.roll(-1, 1) - h.roll(2, 1)
        jac[:, i, i] = -1.0
        jac[:, i, (i + 1) % n] = h.roll(1, 1)
        return jac

    def default_state(
        self,
        batch: int = 1,
        dtype: torch.dtype = torch.float64,
        generator: torch.Generator | None = None,
        device: torch.device | str | None = None,
    ) -> Tensor:
        """F everywhere (the unstable equilibrium) plus N(0, 0.01²) noise, ``(batch, n)``;
        reaches the attractor in t ≈ 10–20 for F = 8."""
        return self._start((self.forcing,) * self.dim, batch, dtype, generator, device)


class LinearMap(MapBase):
    """The linear map h ↦ A h, or the driven h ↦ A h + B x when ``B`` is given.

    Its Lyapunov exponents are exactly ln|λᵢ(A)| (Oseledets: ‖Aᵗv‖^(1/t) → |λᵢ| on the flag of
    generalized eigenspaces), so ``reference_exponents`` is computed: the log-moduli of the
    eigenvalues of A sorted largest first (−inf for a zero eigenvalue). The input does not
    change them. The Jacobian is A at every state.

    Args:
        A: ``(n, n)`` matrix (tensor or array-like); stored as float64, cast to each state's
            dtype and device.
        B: optional ``(n, m)`` input matrix; then ``input_size = m`` and x is required.
    """

    dt: float = 1.0

    def __init__(self, A, B=None):
        A = torch.as_tensor(A, dtype=torch.float64).detach().cpu()
        if A.dim() != 2 or A.shape[0] != A.shape[1] or A.shape[0] < 1:
            raise ValueError(f"LinearMap: A must be a square (n, n) matrix, got {tuple(A.shape)}.")
        self.A = A
        self.dim = A.shape[0]
        if B is None:
            self.B, self.input_size = None, None
        else:
            B = torch.as_tensor(B, dtype=torch.float64).detach().cpu()
            if B.dim() == 1:
                B = B.unsqueeze(1)
            if B.dim() != 2 or B.shape[0] != self.dim:
                raise ValueError(
                    f"LinearMap: B must be ({self.dim}, m) to match A, got {tuple(B.shape)}."
                )
            self.B, self.input_size = B, B.shape[1]
        moduli = torch.linalg.eigvals(A).abs()
        logs = sorted((math.log(m) if m > 0 else -math.inf for m in moduli.tolist()), reverse=True)
        self.reference_exponents = tuple(logs)

    def __repr__(self) -> str:
        drive = "" if self.B is None else f", input_size={self.input_size}"
        return f"LinearMap(dim={self.dim}{drive})"

    def _check(self, h: Tensor, x: Tensor | None) -> None:
        _check_state("LinearMap", h, self.dim)
        if self.B is None:
            _no_input("LinearMap", x)
        else:
            if x is None:
                raise ValueError(
                    f"this LinearMap is driven: pass x of shape (B, {self.input_size})."
                )
            if x.dim() != 2 or x.shape != (h.shape[0], self.input_size):
                raise ValueError(
                    f"LinearMap: expected an input of shape (B, {self.input_size}) with "
                    f"B = {h.shape[0]}, got {tuple(x.shape)}."
                )

    def step(self, h: Tensor, x: Tensor | None = None) -> Tensor:
        """A h (+ B x) per row, ``(B, n)``."""
        self._check(h, x)
        out = h @ self.A.to(dtype=h.dtype, device=h.device).T
        if self.B is not None:
            out = out + x @ self.B.to(dtype=h.dtype, device=h.device).T
        return out

    def jacobian(self, h: Tensor, x: Tensor | None = None) -> Tensor:
        """A for every row, ``(B, n, n)``."""
        self._check(h, x)
        A = self.A.to(dtype=h.dtype, device=h.device)
        return A.expand(h.shape[0], self.dim, self.dim).clone()

    def default_state(
        self,
        batch: int = 1,
        dtype: torch.dtype = torch.float64,
        generator: torch.Generator | None = None,
        device: torch.device | str | None = None,
    ) -> Tensor:
        """Standard normal, ``(batch, n)`` (generic: a.s. not in any invariant subspace)."""
        h = torch.randn(batch, self.dim, generator=generator, dtype=torch.float64)
        return h.to(dtype=dtype, device=device)
