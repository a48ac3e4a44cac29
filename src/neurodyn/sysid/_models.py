"""Neural state-space models with inputs: x_{t+1} = f(x_t) + g(u_t) and coupled f(x_t, u_t)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn.utils import parametrize

from neurodyn.nn import parametrizations as P
from neurodyn.pwa import AffineForm, linearize
from neurodyn.systems import FeedforwardMap, ModuleMap

__all__ = ["ACTIVATIONS", "NeuralSSM", "SSMMap"]

#: Activations a :class:`NeuralSSM` can be built with, by name.
ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "softplus": nn.Softplus,
}


def _mlp(sizes: Sequence[int], act: type[nn.Module], bias: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1], bias=bias))
        if i < len(sizes) - 2:
            layers.append(act())
    return nn.Sequential(*layers)


class NeuralSSM(nn.Module):
    """A neural state-space model x_{t+1} = f(x_t) + g(u_t) (or x_{t+1} = f(x_t, u_t)).

    The additive form is the non-autonomous neural dynamics of Drgoňa et al., Dissipative
    (x_{t+1} = f(x_t) + g(u_t)): f is an MLP ℝⁿ → ℝⁿ whose exact pointwise-affine form
    f(x) = A*(x) x + b*(x) is what the analysis reads, and g is linear (g(u) = B u, so its
    contribution over an input box is bounded exactly) or an MLP (bounded by its Lipschitz
    constant). ``coupled=True`` gives one MLP f: ℝⁿ⁺ᵐ → ℝⁿ on [x, u].

    ``structure="spectral"`` constrains every weight of f (and of an MLP g) by
    :func:`neurodyn.nn.parametrizations.spectral_svd` to singular values in [0, σ_max]; with
    σ_max < 1 and a 1-Lipschitz activation, ‖A*(x)‖₂ ≤ ∏‖W_i‖₂ < 1 for every x (Drgoňa et al.,
    Dissipative, Cor. 4), so the model is dissipative everywhere by construction. Any other
    constraint can be passed as a callable ``structure(linear) -> linear``.

    Args:
        n: state dimension.
        m: input dimension.
        hidden: widths of f's hidden layers.
        activation: ``"relu"`` (piecewise linear, default), ``"tanh"`` or ``"softplus"``.
        coupled: one network f(x, u) instead of f(x) + g(u).
        g_hidden: hidden widths of an MLP g; ``None`` (default) for linear g(u) = B u.
        structure: ``None`` (plain weights), ``"spectral"`` or a callable on each nn.Linear.
        sigma_max: the singular-value bound of ``"spectral"`` (per layer).
        dtype: parameter dtype (float64 default: the analysis is done in it).
        seed: seed of the initial weights.

    Example:
        >>> import torch, neurodyn
        >>> model = NeuralSSM(2, 1, hidden=(8,), structure="spectral", sigma_max=0.9)
        >>> x, u = torch.zeros(4, 2, dtype=torch.float64), torch.ones(4, 1, dtype=torch.float64)
        >>> model(x, u).shape
        torch.Size([4, 2])
        >>> neurodyn.as_map(model).input_size
        1
    """

    def __init__(
        self,
        n: int,
        m: int,
        *,
        hidden: Sequence[int] = (32, 32),
        activation: str = "relu",
        coupled: bool = False,
        g_hidden: Sequence[int] | None = None,
        structure: str | Callable[[nn.Linear], nn.Module] | None = None,
        sigma_max: float = 0.99,
        dtype: torch.dtype = torch.float64,
        seed: int = 0,
    ):
        super().__init__()
        if not (isinstance(n, int) and isinstance(m, int) and n >= 1 and m >= 1):
            raise ValueError(f"NeuralSSM needs positive int n and m, got n={n!r}, m={m!r}.")
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}."
            )
        if coupled and g_hidden is not None:
            raise ValueError("a coupled model has no separate g: pass g_hidden=None.")
        self.n, self.m, self.coupled = n, m, bool(coupled)
        self.activation = activation
        self.structure_name = (
            structure
            if isinstance(structure, str) or structure is None
            else getattr(structure, "__name__", "custom")
        )
        self.sigma_max = float(sigma_max)
        with torch.random.fork_rng(devices=[]):  # seeded init, global RNG untouched
            torch.manual_seed(seed)
            act = ACTIVATIONS[activation]
            self.f = _mlp([n + m if coupled else n, *hidden, n], act).to(dtype)
            self.g: nn.Module | None = None
            if not coupled:
                self.g = (
                    nn.Linear(m, n, bias=False)
                    if g_hidden is None
                    else _mlp([m, *g_hidden, n], act)
                ).to(dtype)
            if structure is not None:
                constrain = self._constraint(structure, sigma_max)
                for mod in self.f.modules():
                    if isinstance(mod, nn.Linear):
                        constrain(mod)
                if self.g is not None and g_hidden is not None:
                    for mod in self.g.modules():
                        if isinstance(mod, nn.Linear):
                            constrain(mod)
        self.normalizer = None  # set by neurodyn.sysid.fit: the data's Normalizer

    @staticmethod
    def _constraint(structure, sigma_max):
        if callable(structure):
            return structure
        if structure == "spectral":
            if not 0 < sigma_max:
                raise ValueError(f"sigma_max must be > 0, got {sigma_max}.")
            return lambda lin: P.spectral_svd(
                lin, sigma_min=0.0, sigma_max=sigma_max, init="project"
            )
        raise ValueError(f"structure must be None, 'spectral' or a callable, got {structure!r}.")

    @property
    def is_linear_g(self) -> bool:
        return isinstance(self.g, nn.Linear)

    @property
    def dtype(self) -> torch.dtype:
        return next(self.parameters()).dtype

    def extra_repr(self) -> str:
        kind = "coupled f(x, u)" if self.coupled else "f(x) + g(u)"
        return f"n={self.n}, m={self.m}, {kind}, structure={self.structure_name}"

    def forward(self, x: Tensor, u: Tensor) -> Tensor:
        """x_{t+1} ``(B, n)`` from x_t ``(B, n)`` and u_t ``(B, m)``."""
        if self.coupled:
            return self.f(torch.cat([x, u], dim=-1))
        return self.f(x) + self.g(u)

    def rollout(self, x0: Tensor, u: Tensor) -> Tensor:
        """Open-loop rollout: states ``(B, T + 1, n)`` from x0 ``(B, n)`` and u ``(B, T, m)``."""
        if u.dim() != 3 or u.shape[-1] != self.m or x0.shape != (u.shape[0], self.n):
            raise ValueError(
                f"rollout needs x0 (B, {self.n}) and u (B, T, {self.m}); got {tuple(x0.shape)}, "
                f"{tuple(u.shape)}."
            )
        xs = [x0]
        # parametrized weights (structure=...) are computed once per rollout, not once per step
        with parametrize.cached():
            if not self.coupled:  # g(u) for every step at once
                gu = self.g(u)
                for t in range(u.shape[1]):
                    xs.append(self.f(xs[-1]) + gu[:, t])
            else:
                for t in range(u.shape[1]):
                    xs.append(self.forward(xs[-1], u[:, t]))
        return torch.stack(xs, dim=1)

    @torch.no_grad()
    def predict(self, x0, u) -> np.ndarray:
        """Open-loop prediction in physical units (through the normaliser set by ``fit``).

        Args:
            x0: ``(n,)`` or ``(B, n)`` physical initial states; u: ``(T, m)`` or ``(B, T, m)``.

        Returns:
            ``(T + 1, n)`` or ``(B, T + 1, n)`` float64 NumPy states.
        """
        if self.normalizer is None:
            raise ValueError("predict needs the data's normaliser: train with neurodyn.sysid.fit.")
        nz = self.normalizer
        x0, u = np.asarray(x0, dtype=np.float64), np.asarray(u, dtype=np.float64)
        single = u.ndim == 2
        x0n = torch.as_tensor(nz.x(np.atleast_2d(x0)), dtype=self.dtype)
        un = torch.as_tensor(nz.u(u[None] if single else u), dtype=self.dtype)
        out = nz.x_inverse(self.rollout(x0n, un).double().numpy())
        return out[0] if single else out

    def affine_form(self, x: Tensor, u: Tensor) -> AffineForm:
        """The exact pointwise-affine form of f at (x, u) restricted to the state.

        Returns an :class:`AffineForm` with ``A`` = A*ₓ ``(B, n, n)`` (the state columns of
        A*) and ``b`` = x_{t+1} − A*ₓ x (for the additive model b*(x) + g(u); for the coupled
        one A*ᵤ u + b*), so x_{t+1} = A*ₓ x_t + b exactly (Drgoňa et al., Dissipative, eq. 2).
        """
        if self.coupled:
            form = linearize(self.f, torch.cat([x, u], dim=-1))
            A = form.A[..., : self.n]
        else:
            A = linearize(self.f, x).A
        b = self.forward(x, u) - torch.einsum("bij,bj->bi", A, x)
        return AffineForm(A, b, x)

    def __neurodyn_map__(self):
        return SSMMap(self)


class SSMMap(ModuleMap):
    """A :class:`NeuralSSM` as a driven Map h' = F(h, u) with ``input_size = m``.

    ``jacobian`` is ∂F/∂h: for the additive model the exact Jacobian of f (analytic, by
    :class:`neurodyn.systems.FeedforwardMap`); for the coupled one the state columns of
    f's Jacobian by autodiff (``torch.func.jacrev``), also exact.
    """

    def __init__(self, model: NeuralSSM):
        self.model = self._module = model
        self.dim, self.input_size = model.n, model.m

    def __repr__(self) -> str:
        return f"SSMMap({self.model.extra_repr()})"

    def _u(self, h: Tensor, x: Tensor | None) -> Tensor:
        if x is None:
            raise ValueError(
                f"this model is driven: pass an input x of shape (B, {self.input_size}), or "
                "freeze one with neurodyn.systems.FrozenInput(model, u)."
            )
        return x

    def step(self, h: Tensor, x: Tensor | None = None) -> Tensor:
        return self.model(h, self._u(h, x))

    def jacobian(self, h: Tensor, x: Tensor | None = None) -> Tensor:
        u = self._u(h, x)
        if not self.model.coupled:
            return FeedforwardMap(self.model.f).jacobian(h)  # parsed now: current weights
        f = self.model.f

        def one(hi, ui):
            return f(torch.cat([hi, ui]).unsqueeze(0)).squeeze(0)

        return torch.func.vmap(torch.func.jacrev(one, argnums=0))(h, u)
