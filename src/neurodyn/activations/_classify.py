"""Numerical stability classification of elementwise activations (Drgoňa et al., Spectral analysis,
§3.3).

For an activation σ, Drgoňa et al., Spectral analysis writes σ(z) = Λ(z)·z with
Λ(z) = σ(z)/z (eq. 4, Remark 11) and calls σ *asymptotically stable* when σ(0) = 0 and its
Lipschitz constant K < 1 (Lemma 8), and *BIBO stable* when |σ(z)/z| ≤ 1 outside some bounded
interval (Lemma 10). Drgoňa et al., Dissipative (eq. 6a–6b) handles σ(0) ≠ 0 with the offset form
Λ(z) = (σ(z) − σ(0))/z. :func:`classify` evaluates all of these on a wide float64 grid. Every
number it returns is a *sampled* value, not a proof; the proven bound that certificates use is
:attr:`ActivationClass.lambda_bound` (= ``ActivationSpec.lambda_bound``, derived in
``docs/activations.md``).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from neurodyn.activations._registry import (
    _BUILDERS,
    SUPPORTED_ACTIVATIONS,
    ActivationSpec,
    activation_spec,
)

__all__ = ["ActivationClass", "activation_table", "classify"]

#: |Λ| counts as > 1 only above 1 + this (absorbs rounding of exact-1 slopes).
UNSTABLE_TOL = 1e-12
#: A detected jump counts as a discontinuity (Lipschitz = inf) above this size, relative to
#: 1 + |σ|. Smaller jumps, such as PyTorch Softplus's ≈ 2e-9 step at its ``threshold``, are
#: listed in :attr:`ActivationClass.jumps` but do not make the Lipschitz constant infinite.
JUMP_TOL = 1e-6


Interval = tuple[float, float]


@dataclass(frozen=True)
class ActivationClass:
    """Sampled stability properties of one activation (Drgoňa et al., Spectral analysis, §3.3;
    Drgoňa et al., Dissipative, eq. 6).

    All numbers come from a float64 grid (see :attr:`method`); they are evidence, not proofs.

    Attributes:
        name: ``torch.nn`` class name.
        sigma0: σ(0) (for per-channel PReLU the entry of largest magnitude; it is 0 anyway).
        lipschitz: max |σ'(z)| over the grid via autograd, or ``inf`` when a jump larger than
            ``JUMP_TOL`` is detected (Hardshrink: σ jumps by λ at ±λ, so it is not Lipschitz).
        lambda_sup: max |Λ(z)| over the grid, offset form Λ(z) = (σ(z) − σ(0))/z, Λ(0) = σ'(0).
        lambda_sup_no_offset: sup |σ(z)/z|, the form of Drgoňa et al., Spectral analysis, eq. 4;
            ``inf`` when σ(0) ≠ 0, since then |σ(z)/z| → ∞ as z → 0.
        lambda_bound: the *proven* bound on sup |Λ| (``ActivationSpec.lambda_bound``).
        lipschitz_bound: the proven Lipschitz constant (``ActivationSpec.lipschitz_bound``;
            ``inf`` if the registry has none).
        asymptotically_stable: Drgoňa et al., Spectral analysis, Lemma 8 as stated: σ(0) = 0 and
            K < 1 strictly.
        asymptotically_stable_relaxed: σ(0) = 0 and sup |Λ| ≤ 1. This is what
            footnote 1 of the paper (§3.3) actually applies: the proof of Lemma 8 sets x₂ = 0 in
            the Lipschitz inequality and calls |σ(x₁)/x₁| "the Lipschitz constant K", i.e. it only
            uses the secant slope through the origin, which is Λ. With K < 1 strictly no ReLU-like
            or Tanh-like activation would qualify (their K is exactly 1), yet the paper lists them,
            and GELU (K ≈ 1.129) is listed too, while its Λ = Φ(z) < 1. Note that |Λ| ≤ 1 gives
            ρ(Λ_z) ≤ 1 (Theorem 6's sufficient condition), i.e. marginal, not strict, stability.
        bibo_stable: Drgoňa et al., Spectral analysis, Lemma 10: |σ(z)/z| ≤ 1 for all |z| ≥ some R;
            sampled as "no run of grid points with |σ(z)/z| > 1 reaches either end of the grid".
        bibo_radius: the smallest sampled R for that (0.0 if |σ(z)/z| ≤ 1 everywhere, ``inf``
            if not BIBO stable on the grid).
        unstable_intervals: runs of grid points where |Λ(z)| > 1 (offset form), each as
            (first, last) grid point of the run; an end that reaches the grid edge is ±inf.
        unstable_intervals_no_offset: the same for |σ(z)/z|.
        jumps: (location, size) of detected discontinuities of σ, size > 1e-12·(1 + |σ|).
        z_range: (min, max) of the grid.
        method: how the numbers were obtained.
    """

    name: str
    sigma0: float
    lipschitz: float
    lambda_sup: float
    lambda_sup_no_offset: float
    lambda_bound: float
    lipschitz_bound: float
    asymptotically_stable: bool
    asymptotically_stable_relaxed: bool
    bibo_stable: bool
    bibo_radius: float
    unstable_intervals: tuple[Interval, ...]
    unstable_intervals_no_offset: tuple[Interval, ...]
    jumps: tuple[Interval, ...] = field(default=())
    z_range: Interval = (-math.inf, math.inf)
    method: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: non-finite floats become the strings ``"inf"`` / ``"-inf"``, so
        ``json.dumps(d, allow_nan=False)`` works; intervals become lists of pairs."""

        def num(x: float) -> float | str:
            x = float(x)
            if math.isinf(x):
                return "inf" if x > 0 else "-inf"
            if math.isnan(x):  # pragma: no cover - never produced
                return "nan"
            return x

        def pairs(ps: tuple[Interval, ...]) -> list[list[float | str]]:
            return [[num(a), num(b)] for a, b in ps]

        return {
            "name": self.name,
            "sigma0": num(self.sigma0),
            "lipschitz": num(self.lipschitz),
            "lambda_sup": num(self.lambda_sup),
            "lambda_sup_no_offset": num(self.lambda_sup_no_offset),
            "lambda_bound": num(self.lambda_bound),
            "lipschitz_bound": num(self.lipschitz_bound),
            "asymptotically_stable": self.asymptotically_stable,
            "asymptotically_stable_relaxed": self.asymptotically_stable_relaxed,
            "bibo_stable": self.bibo_stable,
            "bibo_radius": num(self.bibo_radius),
            "unstable_intervals": pairs(self.unstable_intervals),
            "unstable_intervals_no_offset": pairs(self.unstable_intervals_no_offset),
            "jumps": pairs(self.jumps),
            "z_range": [num(self.z_range[0]), num(self.z_range[1])],
            "method": self.method,
        }


def _grid(z_max: float, z_min: float, num_geom: int, num_lin: int, lin_max: float) -> np.ndarray:
    pos = np.geomspace(z_min, z_max, num_geom)
    lin = np.linspace(-lin_max, lin_max, num_lin)
    return np.unique(np.concatenate([-pos, [0.0], pos, lin]))


def _runs(mask: np.ndarray, z: np.ndarray) -> tuple[Interval, ...]:
    """Contiguous runs of True in ``mask`` as (z_first, z_last); ±inf where a run hits an edge."""
    if not mask.any():
        return ()
    m = mask.astype(np.int8)
    d = np.diff(np.concatenate([[0], m, [0]]))
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1) - 1
    out = []
    for s, e in zip(starts, ends, strict=True):
        lo = -math.inf if s == 0 else float(z[s])
        hi = math.inf if e == len(z) - 1 else float(z[e])
        out.append((lo, hi))
    return tuple(out)


def _to_module(act: nn.Module | type[nn.Module]) -> nn.Module:
    if isinstance(act, type):
        if act not in _BUILDERS:
            raise TypeError(
                f"{act.__name__} is not a supported elementwise activation. "
                f"Supported: {', '.join(SUPPORTED_ACTIVATIONS)}."
            )
        act = act()
        act.eval()  # only RReLU cares: eval mode has the deterministic slope (lower+upper)/2
    if not isinstance(act, nn.Module):
        raise TypeError(f"expected an nn.Module instance or class, got {type(act).__name__}")
    activation_spec(act)  # TypeError listing the supported activations, ValueError for RReLU
    return copy.deepcopy(act).double()


def _width(module: nn.Module) -> int:
    if isinstance(module, nn.PReLU):
        return int(module.weight.numel())
    return 1


def _find_jumps(g, a: float, b: float, k: float, iters: int = 80) -> tuple[float, float]:
    """Bisect [a, b] towards the point where the secant of g most exceeds slope k.

    Returns (location, |g(b) − g(a)|) on the final (≈ ulp-wide) bracket: for a continuous g the
    size tends to 0, for a jump it tends to the jump size.
    """
    for _ in range(iters):
        m = 0.5 * (a + b)
        if m <= a or m >= b:
            break
        ga, gm, gb = g(np.array([a, m, b]))
        left = abs(gm - ga) - k * (m - a)
        right = abs(gb - gm) - k * (b - m)
        a, b = (a, m) if left >= right else (m, b)
    ga, gb = g(np.array([a, b]))
    return 0.5 * (a + b), float(abs(gb - ga))


def classify(
    act: nn.Module | type[nn.Module],
    *,
    z_max: float = 1e4,
    z_min: float = 1e-8,
    num_geom: int = 2001,
    num_lin: int = 20001,
    lin_max: float = 10.0,
) -> ActivationClass:
    """Classify an activation by Drgoňa et al., Spectral analysis, Lemma 8 / Lemma 10 on a wide
    float64 grid.

    The grid is ``±geomspace(z_min, z_max, num_geom)`` (dense near 0, wide for the tails that
    decide BIBO stability) ∪ ``linspace(-lin_max, lin_max, num_lin)`` ∪ {0}. The module is
    deep-copied and cast to float64; its parameters are used as they are.

    Args:
        act: a supported ``torch.nn`` activation instance, or its class (built with default
            arguments and put in eval mode, which matters only for RReLU).

    Raises:
        TypeError: ``act`` is not a supported activation (the message lists the supported ones).
        ValueError: an RReLU instance in training mode (no deterministic Λ).
    """
    module = _to_module(act)
    spec: ActivationSpec = activation_spec(module)
    width = _width(module)
    z1 = _grid(z_max, z_min, num_geom, num_lin, lin_max)
    n = len(z1)
    z = torch.tensor(z1, dtype=torch.float64).unsqueeze(1).expand(n, width).contiguous()

    with torch.no_grad():
        lam, sig = spec.scaling_and_output(z)
        g = spec.centered(z)
    zg = z.clone().requires_grad_(True)
    with torch.enable_grad():
        (dsig,) = torch.autograd.grad(module(zg).sum(), zg)

    s0 = spec.sigma0
    if isinstance(s0, torch.Tensor):
        flat = s0.detach().double().flatten()
        sigma0 = float(flat[flat.abs().argmax()])
    else:
        sigma0 = float(s0)

    lam_np = lam.detach().numpy()
    sig_np = sig.detach().numpy()
    g_np = g.detach().numpy()
    abs_lam = np.abs(lam_np).max(axis=1)
    z_col = z1[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.abs(np.where(z_col == 0, np.inf, sig_np / np.where(z_col == 0, 1.0, z_col)))
    if sigma0 == 0.0:
        ratio[z1 == 0] = np.abs(lam_np[z1 == 0])  # Remark 11: σ'(0) at z = 0
    abs_ratio = ratio.max(axis=1)

    k_grad = float(np.nanmax(np.abs(dsig.numpy())))
    # Jumps: by the mean-value theorem a continuous σ has secants ≤ max|σ'| (up to rounding);
    # a secant clearly above it is bisected down to ulp width to measure the jump, using the
    # cancellation-free centred g (same jumps as σ).
    jumps: list[Interval] = []
    discontinuous = False
    with np.errstate(invalid="ignore", over="ignore"):  # inf − inf where σ overflows
        secant = np.abs(np.diff(g_np, axis=0)) / np.diff(z1)[:, None]
    cand_i, cand_c = np.nonzero(secant > k_grad * (1 + 1e-9) + 1e-12)
    for i, c in zip(cand_i, cand_c, strict=True):

        def g_col(x: np.ndarray, c: int = int(c)) -> np.ndarray:
            t = torch.tensor(x, dtype=torch.float64).unsqueeze(1).expand(len(x), width)
            with torch.no_grad():
                return spec.centered(t.contiguous())[:, c].numpy()

        loc, size = _find_jumps(g_col, float(z1[i]), float(z1[i + 1]), k_grad)
        scale = 1.0 + abs(float(sig_np[i, c]))
        if size > 1e-12 * scale and not any(abs(loc - j[0]) < 1e-9 for j in jumps):
            jumps.append((loc, size))
            discontinuous |= size > JUMP_TOL * scale
    lipschitz = math.inf if discontinuous else k_grad

    lambda_sup = float(abs_lam.max())
    lambda_sup_no_offset = math.inf if sigma0 != 0.0 else float(abs_ratio.max())
    intervals = _runs(abs_lam > 1 + UNSTABLE_TOL, z1)
    intervals_no = _runs(abs_ratio > 1 + UNSTABLE_TOL, z1)
    reaches_edge = any(math.isinf(lo) or math.isinf(hi) for lo, hi in intervals_no)
    bibo = not reaches_edge
    if reaches_edge:
        radius = math.inf
    else:
        radius = max((max(abs(lo), abs(hi)) for lo, hi in intervals_no), default=0.0)

    method = (
        f"numerical float64 grid evaluation, not a proof: {n} points = ±geomspace({z_min:g}, "
        f"{z_max:g}, {num_geom}) ∪ linspace(±{lin_max:g}, {num_lin}) ∪ {{0}}; Lipschitz = "
        f"max |σ'| by autograd (inf if a jump > {JUMP_TOL:g}·(1+|σ|) is found by secant "
        f"bisection); |Λ| > 1 means > 1 + {UNSTABLE_TOL:g}; proven bound = lambda_bound"
    )
    return ActivationClass(
        name=spec.name,
        sigma0=sigma0,
        lipschitz=lipschitz,
        lambda_sup=lambda_sup,
        lambda_sup_no_offset=lambda_sup_no_offset,
        lambda_bound=float(spec.lambda_bound),
        lipschitz_bound=float(getattr(spec, "lipschitz_bound", math.inf)),
        asymptotically_stable=sigma0 == 0.0 and lipschitz < 1.0,
        asymptotically_stable_relaxed=sigma0 == 0.0 and lambda_sup <= 1.0 + UNSTABLE_TOL,
        bibo_stable=bibo,
        bibo_radius=radius,
        unstable_intervals=intervals,
        unstable_intervals_no_offset=intervals_no,
        jumps=tuple(sorted(jumps)),
        z_range=(float(z1[0]), float(z1[-1])),
        method=method,
    )


def activation_table(**grid: Any) -> list[ActivationClass]:
    """:func:`classify` for every name in ``SUPPORTED_ACTIVATIONS``, default constructor
    arguments (PReLU: one slope 0.25; RReLU: eval mode, slope (1/8 + 1/3)/2)."""
    by_name = {cls.__name__: cls for cls in _BUILDERS}
    return [classify(by_name[name], **grid) for name in SUPPORTED_ACTIVATIONS]
