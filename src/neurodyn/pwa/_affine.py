"""Exact pointwise-affine form f(x) = A*(x) x + b*(x) of a feedforward network.

Drgoňa et al., Spectral analysis, Lemma 3 (eq. 5–7) with the σ(0) offset of Drgoňa et al.,
Dissipative (eq. 3–6): for a network

    z_{i+1} = W_i h_i + b_i,    h_{i+1} = σ(z_{i+1}) = Λ(z_{i+1}) z_{i+1} + σ(0),    h_0 = x,

every hidden state is affine in x at the point x itself, h_i = A_i x + c_i, with

    A_{i+1} = Λ(z_{i+1}) W_i A_i,    c_{i+1} = Λ(z_{i+1}) (W_i c_i + b_i) + σ(0),

and the output f(x) = A*(x) x + b*(x) holds exactly (to rounding), not to first order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from neurodyn import _core
from neurodyn.pwa._network import ActivationLayer, AffineLayer, Layer, parse_network
from neurodyn.pwa._walk import check_finite_weights, walk

__all__ = ["AffineForm", "LayerFactor", "linearize"]


@dataclass(frozen=True)
class LayerFactor:
    """One factor of A*(x) = F_L ⋯ F_1 at a batch of points.

    For an affine layer, ``weight`` ``(out, in)`` and ``bias`` ``(out,)`` (or None) are set; for an
    activation layer, ``z`` ``(B, width)`` (its input), ``scaling`` Λ(z) ``(B, width)`` (the
    diagonal of Λ_z) and ``sigma0`` are set. ``name`` says which module it came from.
    """

    kind: str  # "affine" or "activation"
    name: str
    weight: Tensor | None = None
    bias: Tensor | None = None
    z: Tensor | None = None
    scaling: Tensor | None = None
    sigma0: float | Tensor | None = None
    activation: str | None = None


@dataclass(frozen=True)
class AffineForm:
    """The exact pointwise-affine form of a network at a batch of points.

    ``f(x) = A x + b`` for each point, in the column convention.

    Attributes:
        A: ``(B, m, n)``, A*(x) (Drgoňa et al., Spectral analysis, eq. 5; Drgoňa et al.,
            Dissipative, eq. 3).
        b: ``(B, m)``, b*(x) (Drgoňa et al., Spectral analysis, eq. 7 with the σ(0) term of
            Drgoňa et al., Dissipative, eq. 4–5).
        x: ``(B, n)``, the points.
        layers: the per-layer factors (weights, biases, Λ_z), when ``keep_layers=True``.
    """

    A: Tensor
    b: Tensor
    x: Tensor
    layers: tuple[LayerFactor, ...] | None = field(default=None, repr=False)

    @property
    def in_features(self) -> int:
        return self.A.shape[-1]

    @property
    def out_features(self) -> int:
        return self.A.shape[-2]

    @property
    def is_square(self) -> bool:
        return self.in_features == self.out_features

    def __len__(self) -> int:
        return self.A.shape[0]

    def __call__(self, x: Tensor | None = None) -> Tensor:
        """A x + b, ``(B, m)``; at the form's own points when ``x`` is None.

        At other points this is the frozen affine map of each point, not the network.
        """
        x = self.x if x is None else x
        return torch.einsum("bmn,bn->bm", self.A, x) + self.b

    def eigvals(self) -> Tensor:
        """Eigenvalues of A*, ``(B, n)`` complex. See :func:`neurodyn.stability.eigvals`."""

        return _core.eigvals(self.A)

    def spectral_radius(self) -> Tensor:
        """ρ(A*) per point, ``(B,)``. See :func:`neurodyn.stability.spectral_radius`."""

        return _core.spectral_radius(self.A)

    def singular_values(self) -> Tensor:
        """Singular values of A*, ``(B, min(m, n))``, descending."""

        return _core.singular_values(self.A)

    def norm2(self) -> Tensor:
        """Spectral norm ‖A*‖₂ per point, ``(B,)`` (the largest singular value)."""

        return _core.norm2(self.A)


def _check_points(x: Tensor, layers: list[Layer], name: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"x must be a torch.Tensor of shape (B, n), got {type(x).__name__}.")
    if x.ndim != 2:
        raise ValueError(
            f"x must have shape (B, n) (a batch of points); got shape {tuple(x.shape)}. "
            "For a single point use x.unsqueeze(0)."
        )
    if not x.is_floating_point():
        raise TypeError(f"x must be a floating-point tensor, got {x.dtype}.")
    for layer in layers:
        if isinstance(layer, AffineLayer):
            w = layer.weight
            if w.shape[1] != x.shape[1]:
                raise ValueError(
                    f"x has {x.shape[1]} features but the first layer of {name} "
                    f"({layer.source}) expects {w.shape[1]}."
                )
            if w.dtype != x.dtype:
                raise TypeError(
                    f"x is {x.dtype} but {name}'s weights are {w.dtype}; convert one, e.g. "
                    f"net.to({x.dtype}) or x.to({w.dtype})."
                )
            if w.device != x.device:
                raise ValueError(
                    f"x is on {x.device} but {name}'s weights are on {w.device}; move one."
                )
            break
    if not bool(torch.isfinite(x).all()):
        raise ValueError("x contains NaN or inf; the affine form is only defined at finite points.")


def _needs_offset(layers: list[Layer]) -> bool:
    for layer in layers:
        if isinstance(layer, AffineLayer) and layer.bias is not None:
            return True
        if isinstance(layer, ActivationLayer):
            s0 = layer.spec.sigma0
            if isinstance(s0, Tensor) or s0 != 0.0:
                return True
    return False


def _linearize_chunk(
    layers: list[Layer], x: Tensor, keep_layers: bool, guarded: bool = False
) -> tuple[Tensor, Tensor, list[LayerFactor]]:
    """One walk over the layers carrying a stacked state S of shape ``(width, n + 2, B)``.

    Along the middle axis, rows ``0..n−1`` hold Aᵀ (row j = ∂h/∂x_j of the current hidden state
    h = A x + c), row ``n`` the offset c and row ``n + 1`` the hidden state h itself (row n is
    dropped when the net has no bias and every σ(0) = 0, since c ≡ 0). An affine layer is then
    ONE GEMM ``W @ S.view(width, (n + 2)·B)`` on all rows at once plus the bias on the last two;
    an activation is one elementwise multiply of all rows by Λ(z) (z = the last row) plus σ(0) on
    the last two. Feature-major makes (n + 2)·B the GEMM's long dimension instead of `width`
    its inner one: on a 2-wide, 8-layer net that made the whole call 1.9–2.7× faster (MKL on an
    AMD EPYC), and wide nets cost about the same (``benchmarks/RESULTS.md``).
    The last row thus carries Λ(z)·z, equal to σ(z) − σ(0) to rounding; the 1e-10 identity
    test bounds the drift from ``net(x)``.

    Λ is the fast g(z)/z unless some |z| < tiny in the layer (0 or subnormal) or ``guarded``:
    then the guarded Λ of :meth:`ActivationSpec.scaling` (σ'(0) at 0, one-sided limits at
    subnormals). z is a view of S; the activation modules are out of place, so it stays intact.
    """
    batch, n = x.shape
    off = _needs_offset(layers)
    zrow = n + 1 if off else n
    rows = zrow + 1
    S: Tensor | None = None
    factors: list[LayerFactor] = []
    for step in walk(layers, n):
        if (layer := step.affine) is not None:
            w, bias = layer.weight, layer.bias
            if step.first:
                S = torch.empty(w.shape[0], rows, batch, dtype=x.dtype, device=x.device)
                S[:, :n] = w.unsqueeze(2)
                S[:, zrow] = torch.nn.functional.linear(x, w, bias).t()
                if off:
                    S[:, n] = 0.0 if bias is None else bias.unsqueeze(1)
            else:
                S = (w @ S.view(S.shape[0], rows * batch)).view(w.shape[0], rows, batch)
                if bias is not None:
                    S[:, n:] += bias.view(-1, 1, 1)
            if keep_layers:
                factors.append(LayerFactor("affine", layer.source, weight=w, bias=bias))
            continue
        spec = step.activation.spec
        if step.first:  # activation before any affine layer: h = x, A = I, c = 0
            S = torch.zeros(n, rows, batch, dtype=x.dtype, device=x.device)
            S[:, :n] = torch.eye(n, dtype=x.dtype, device=x.device).unsqueeze(2)
            S[:, zrow] = x.t()
        z = S[:, zrow].t()  # (B, width): the layout activations (PReLU's channels) expect
        if keep_layers or guarded or spec.has_tiny(z):
            lam = spec.scaling(z)
        else:
            lam = spec.centered(z) / z
        if keep_layers:
            factors.append(
                LayerFactor(
                    "activation",
                    step.activation.source,
                    z=z.contiguous(),
                    scaling=lam.contiguous(),
                    sigma0=spec.sigma0,
                    activation=spec.name,
                )
            )
        S = S * lam.t().unsqueeze(1)
        s0 = spec.sigma0_like(z)
        if isinstance(s0, Tensor):
            S[:, n:] += s0.reshape(-1, 1, 1)
        elif s0 != 0.0:
            S[:, n:] += s0
    if S is None:
        eye = torch.eye(n, dtype=x.dtype, device=x.device).expand(batch, n, n)
        return eye, torch.zeros(batch, n, dtype=x.dtype, device=x.device), factors
    A = S[:, :n].permute(2, 0, 1)
    b = S[:, n].t() if off else torch.zeros(batch, S.shape[0], dtype=x.dtype, device=x.device)
    return A, b, factors


def _not_finite(A: Tensor, b: Tensor) -> Tensor:
    return ~(torch.isfinite(A).flatten(1).all(dim=1) & torch.isfinite(b).all(dim=1))


def _linearize_exact(layers: list[Layer], x: Tensor) -> tuple[Tensor, Tensor]:
    """The fast path; points where it produced non-finite values are recomputed with the
    guarded Λ (inf/inf of a saturated unit), and any that stay non-finite raise."""
    A, b, _ = _linearize_chunk(layers, x, keep_layers=False)
    bad = _not_finite(A, b)
    if bool(bad.any()):
        idx = bad.nonzero().squeeze(1)
        A_fix, b_fix, _ = _linearize_chunk(layers, x[idx], keep_layers=False, guarded=True)
        still = _not_finite(A_fix, b_fix)
        if bool(still.any()):
            check_finite_weights(layers)  # a NaN/inf weight: ValueError naming the layer
            k = int(idx[still.nonzero()[0, 0]])
            raise FloatingPointError(
                f"A*(x) or b*(x) is not finite at {int(still.sum())} of {x.shape[0]} points "
                f"(first: row {k}, x = {x[k].tolist()}): the network overflows {x.dtype} there "
                "(a hidden state or a product of layer gains exceeds its range). Use float64, "
                "smaller inputs, or check the weights."
            )
        A, b = A.contiguous(), b.contiguous()  # our own buffers: safe to patch in place
        A[idx] = A_fix
        b[idx] = b_fix
    return A, b


_STACK_BYTES = 1 << 26  # 64 MiB: the largest stack S one chunk may hold


def _chunk_cap(layers: list[Layer], x: Tensor) -> int:
    """Points per chunk such that S, ``(width, n + 2, chunk)``, stays within ``_STACK_BYTES``
    at the widest layer (a wide net would otherwise hold GBs per intermediate)."""
    width = max([x.shape[1]] + [la.weight.shape[0] for la in layers if isinstance(la, AffineLayer)])
    per_point = width * (x.shape[1] + 2) * x.element_size()
    return max(1, _STACK_BYTES // per_point)


def linearize(
    net: nn.Module,
    x: Tensor,
    *,
    keep_layers: bool = False,
    chunk_size: int | None = 32768,
    differentiable: bool = False,
) -> AffineForm:
    """Exact pointwise-affine form f(x) = A*(x) x + b*(x) of a feedforward network.

    Implements Drgoňa et al., Spectral analysis, Lemma 3 (eq. 5–7) with the σ(0) offset of
    Drgoňa et al., Dissipative (eq. 3–6): Λ_z = diag((σ(z) − σ(0))/z), σ'(0) where z = 0
    (Drgoňa et al., Spectral analysis, Remark 11).
    The identity is exact: ``A x + b`` reproduces ``net(x)`` to rounding for every supported
    activation. A*(x) is *not* the Jacobian in general; it is for positively homogeneous
    activations (ReLU, LeakyReLU, PReLU, RReLU; Drgoňa et al., Spectral analysis, Prop. 12). For
    smooth activations A*(x) is the secant through the σ(0) point of each unit, and differs from
    ∂f/∂x (see ``docs/pwa.md``).

    Args:
        net: ``nn.Linear``, a supported activation, or an ``nn.Sequential`` (nested) of them,
            with pass-through ``nn.Identity``/``nn.Flatten``/``nn.Dropout`` (eval) and
            ``nn.BatchNorm1d`` (eval).
        x: ``(B, n)`` points, same dtype and device as the weights.
        keep_layers: also return the per-layer factors (W_i, b_i, z_i, Λ_i) in ``.layers``.
        chunk_size: the most points processed at once (keeps intermediates in cache); None
            for all. Chunks are also capped so the propagated stack, width·(n + 2) numbers per
            point at the widest layer, stays within 64 MiB (wide nets). ``keep_layers=True``
            processes all points at once.
        differentiable: False (default): analysis, no autograd graph is built (a graph through
            every layer's stack costs ~10× the memory: 4.2 GB instead of 0.48 GB for a
            2→128→128→2 net at 400k points) and ``A``, ``b`` do not require grad, so
            ``.numpy()`` works. True: autograd flows from ``A``, ``b`` to ``x`` and the weights
            under the caller's grad mode (gradcheck-tested in float64), e.g. to train on ρ(A*).

    Returns:
        :class:`AffineForm` with ``A`` ``(B, m, n)`` and ``b`` ``(B, m)``.

    Raises:
        TypeError: an unsupported module (named, with what is supported), or a dtype mismatch.
        ValueError: bad shape of ``x``, non-finite ``x``, a NaN/inf weight, or a module in
            training mode.
        FloatingPointError: A*(x) or b*(x) is not finite at some point (the network overflows
            the dtype there); the message names the first such point. Raised rather than
            warned: a NaN in A* silently turns spectra, maxima and certificates into NaN or
            False downstream.

    Example:
        >>> import torch, neurodyn
        >>> net = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
        >>> x = torch.randn(5, 2)
        >>> form = neurodyn.linearize(net, x)
        >>> torch.allclose(form(), net(x), atol=1e-5)   # f(x) = A*(x) x + b*(x)
        True
    """
    layers = parse_network(net)
    _check_points(x, layers, "net")
    if differentiable:
        return _linearize(layers, x, keep_layers, chunk_size)
    with torch.no_grad():
        return _linearize(layers, x, keep_layers, chunk_size)


def _linearize(
    layers: list[Layer], x: Tensor, keep_layers: bool, chunk_size: int | None
) -> AffineForm:
    batch = x.shape[0]
    if chunk_size is not None:
        chunk_size = min(chunk_size, _chunk_cap(layers, x))
    if keep_layers:
        A, b, factors = _linearize_chunk(layers, x, keep_layers=True)
        if bool(_not_finite(A, b).any()):
            _linearize_exact(layers, x)  # raises, naming the first non-finite point
        return AffineForm(A.contiguous(), b.contiguous(), x, tuple(factors))
    if chunk_size is None or batch <= chunk_size:
        A, b = _linearize_exact(layers, x)
        return AffineForm(A.contiguous(), b.contiguous(), x)
    parts = [_linearize_exact(layers, xc) for xc in torch.split(x, chunk_size)]
    A = torch.cat([p[0] for p in parts])
    b = torch.cat([p[1] for p in parts])
    return AffineForm(A, b, x)
