"""``FlowMap``: a continuous-time system dh/dt = f(h, x) as the map of one integrator step, with
the exact Jacobian of that discrete step.

Schemes (x is held constant over the step, a zero-order hold of the input; Df = ∂f/∂h):

* ``"euler"``: h' = h + dt f(h, x);  J = I + dt Df(h, x).
* ``"rk4"`` (classical Runge–Kutta): stages s₁ = h, s₂ = h + dt/2 K₁, s₃ = h + dt/2 K₂,
  s₄ = h + dt K₃, Kᵢ = f(sᵢ, x); h' = h + dt/6 (K₁ + 2K₂ + 2K₃ + K₄). By the chain rule
  Jᵢ = ∂Kᵢ/∂h = Df(sᵢ) ∂sᵢ/∂h with ∂s₁/∂h = I, ∂s₂/∂h = I + dt/2 J₁, ∂s₃/∂h = I + dt/2 J₂,
  ∂s₄/∂h = I + dt J₃, and J = I + dt/6 (J₁ + 2J₂ + 2J₃ + J₄). (Reusing Df(h) for every stage —
  the RK4 step of the variational equation with a frozen Jacobian — is *not* this derivative;
  it errs at O(dt²) per step.) J approximates the flow's tangent map Φ(dt) to O(dt⁵).
* ``"imex"`` (semi-implicit / IMEX Euler) for f(h, x) = L h + N(h, x), with ``linear`` = L
  treated implicitly and ``vector_field`` = N explicitly:
  h' = (I − dt L)⁻¹ (h + dt N(h, x));  J = (I − dt L)⁻¹ (I + dt DN(h, x)).
  The usual choice for leaky / continuous-time RNNs τ dh/dt = −h + W φ(h) + U x
  (L = −I/τ, N = (W φ(h) + U x)/τ): the stiff leak is stable for every dt > 0.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from neurodyn.systems._map import MapBase

__all__ = ["FLOW_SCHEMES", "FlowMap"]

FLOW_SCHEMES = ("euler", "rk4", "imex")


class FlowMap(MapBase):
    """dh/dt = f(h, x) as the map h ↦ one ``scheme`` step of size ``dt`` (module docstring).

    Args:
        vector_field: f(h) ``(B, n) → (B, n)`` (``input_size=None``) or f(h, x) with x
            ``(B, input_size)``, batched row by row. For ``"imex"`` it is the explicit part N.
        dt: the step (time per map step); exponents and rates are per unit time.
        scheme: ``"rk4"`` (default), ``"euler"`` or ``"imex"``.
        dim: state dimension n.
        input_size: width m of x, or None for an autonomous field.
        vector_field_jacobian: optional analytic Df(h[, x]) ``(B, n, n)``; else
            ``torch.func.vmap(jacrev)`` of ``vector_field`` (same numbers, slower).
        linear: for ``"imex"``, L as an ``(n, n)`` matrix, an ``(n,)`` diagonal or a scalar
            (e.g. ``-1/tau``); required there, not allowed otherwise.

    Raises:
        ValueError: unknown scheme, non-positive dt, bad ``dim``/``linear``, or (at a step) a
            state or input of the wrong shape.

    Example:
        >>> import torch
        >>> from neurodyn.systems import FlowMap
        >>> decay = FlowMap(lambda h: -h, 0.1, scheme="euler", dim=1)
        >>> decay.step(torch.ones(1, 1, dtype=torch.float64)).item()
        0.9
        >>> leak = FlowMap(lambda h: torch.zeros_like(h), 0.5, scheme="imex", dim=1, linear=-1.0)
        >>> round(leak.jacobian(torch.ones(1, 1, dtype=torch.float64)).item(), 12)   # 1/(1+dt)
        0.666666666667
    """

    def __init__(
        self,
        vector_field,
        dt: float,
        scheme: str = "rk4",
        *,
        dim: int,
        input_size: int | None = None,
        vector_field_jacobian=None,
        linear=None,
    ):
        if not callable(vector_field):
            raise TypeError("FlowMap needs a callable vector_field(h) or vector_field(h, x).")
        if not isinstance(dim, int) or dim < 1:
            raise ValueError(f"dim must be a positive int, got {dim!r}.")
        self._fn, self._jac = vector_field, vector_field_jacobian
        self.dim, self.input_size = dim, input_size
        self._setup(dt, scheme, linear)

    def _setup(self, dt: float, scheme: str, linear=None) -> None:
        dt = float(dt)
        if not math.isfinite(dt) or dt <= 0:
            raise ValueError(f"dt must be a positive finite step, got {dt!r}.")
        if scheme not in FLOW_SCHEMES:
            raise ValueError(f"scheme must be one of {FLOW_SCHEMES}, got {scheme!r}.")
        self.dt, self.scheme = dt, scheme
        self._linear = None
        if scheme == "imex":
            if linear is None:
                raise ValueError("scheme='imex' needs linear=L (a matrix, diagonal or scalar).")
            L = torch.as_tensor(linear, dtype=torch.float64).detach().cpu()
            if L.dim() == 0:
                L = L * torch.ones(self.dim, dtype=torch.float64)
            if L.dim() == 1:
                L = torch.diag(L)
            if L.shape != (self.dim, self.dim):
                raise ValueError(f"linear must be ({self.dim}, {self.dim}), got {tuple(L.shape)}.")
            self._linear = L
            self._resolvent_cache: dict = {}
        elif linear is not None:
            raise ValueError("linear=... is only used by scheme='imex'.")

    def __repr__(self) -> str:
        name = getattr(self._fn, "__name__", "f")
        return f"FlowMap({name}, dt={self.dt:g}, scheme={self.scheme!r}, dim={self.dim})"

    # -- the field and its Jacobian (subclasses with analytic forms override these) ---------

    def _field(self, h: Tensor, x: Tensor | None) -> Tensor:
        return self._fn(h) if self.input_size is None else self._fn(h, x)

    def _field_jac(self, h: Tensor, x: Tensor | None) -> Tensor:
        if self._jac is not None:
            return self._jac(h) if self.input_size is None else self._jac(h, x)
        if self.input_size is None:
            one = lambda hi: self._fn(hi.unsqueeze(0)).squeeze(0)  # noqa: E731
            return torch.func.vmap(torch.func.jacrev(one))(h)
        one_x = lambda hi, xi: self._fn(hi.unsqueeze(0), xi.unsqueeze(0)).squeeze(0)  # noqa: E731
        return torch.func.vmap(torch.func.jacrev(one_x, argnums=0))(h, x)

    def vector_field(self, h: Tensor, x: Tensor | None = None) -> Tensor:
        """f(h[, x]) ``(B, n)`` (for ``"imex"``: the explicit part N)."""
        self._check(h, x)
        return self._field(h, x)

    def vector_field_jacobian(self, h: Tensor, x: Tensor | None = None) -> Tensor:
        """Df(h[, x]) ``(B, n, n)``."""
        self._check(h, x)
        return self._field_jac(h, x)

    def _check(self, h: Tensor, x: Tensor | None) -> None:
        name = type(self).__name__
        if not isinstance(h, Tensor):
            raise TypeError(f"{name}: the state must be a torch.Tensor of shape (B, {self.dim}).")
        if h.dim() != 2 or h.shape[1] != self.dim:
            raise ValueError(
                f"{name}: expected a state of shape (B, {self.dim}) (a batch of "
                f"{self.dim}-dimensional states), got {tuple(h.shape)}."
            )
        if self.input_size is None:
            if x is not None:
                raise ValueError(
                    f"{name} is autonomous (input_size=None): step(h)/jacobian(h) take no x."
                )
        elif x is None or x.dim() != 2 or x.shape != (h.shape[0], self.input_size):
            got = None if x is None else tuple(x.shape)
            raise ValueError(
                f"{name} is driven: pass x of shape ({h.shape[0]}, {self.input_size}), got {got}."
            )

    def _resolvent(self, like: Tensor) -> Tensor:
        """(I − dt L)⁻¹ in ``like``'s dtype and device (computed once in float64)."""
        key = (like.dtype, like.device)
        R = self._resolvent_cache.get(key)
        if R is None:
            eye = torch.eye(self.dim, dtype=torch.float64)
            R = torch.linalg.inv(eye - self.dt * self._linear).to(dtype=like.dtype)
            R = self._resolvent_cache[key] = R.to(like.device)
        return R

    # -- the map ---------------------------------------------------------------------------

    def step(self, h: Tensor, x: Tensor | None = None) -> Tensor:
        """One ``scheme`` step of size ``dt`` from each row of h, ``(B, n)``."""
        self._check(h, x)
        f, dt = self._field, self.dt
        if self.scheme == "euler":
            return h + dt * f(h, x)
        if self.scheme == "imex":
            return (h + dt * f(h, x)) @ self._resolvent(h).T
        k1 = f(h, x)
        k2 = f(h + 0.5 * dt * k1, x)
        k3 = f(h + 0.5 * dt * k2, x)
        k4 = f(h + dt * k3, x)
        return h + (dt / 6) * (k1 + 2 * k2 + 2 * k3 + k4)

    def jacobian(self, h: Tensor, x: Tensor | None = None) -> Tensor:
        """The exact Jacobian of the step at h (module docstring), ``(B, n, n)``."""
        return self.step_and_jacobian(h, x)[1]

    def step_and_jacobian(
        self, h: Tensor, x: Tensor | None = None, *, out: Tensor | None = None
    ) -> tuple[Tensor, Tensor]:
        """The step and its exact Jacobian from one pass over the stages."""
        self._check(h, x)
        f, df, dt = self._field, self._field_jac, self.dt
        eye = torch.eye(self.dim, dtype=h.dtype, device=h.device)
        if self.scheme == "euler":
            return h + dt * f(h, x), eye + dt * df(h, x)
        if self.scheme == "imex":
            R = self._resolvent(h)
            return (h + dt * f(h, x)) @ R.T, R @ (eye + dt * df(h, x))
        k1 = f(h, x)
        j1 = df(h, x)
        s2 = h + 0.5 * dt * k1
        k2 = f(s2, x)
        j2 = df(s2, x) @ (eye + 0.5 * dt * j1)
        s3 = h + 0.5 * dt * k2
        k3 = f(s3, x)
        j3 = df(s3, x) @ (eye + 0.5 * dt * j2)
        s4 = h + dt * k3
        k4 = f(s4, x)
        j4 = df(s4, x) @ (eye + dt * j3)
        new = h + (dt / 6) * (k1 + 2 * k2 + 2 * k3 + k4)
        return new, eye + (dt / 6) * (j1 + 2 * j2 + 2 * j3 + j4)
