"""Activation Λ(z) = (σ(z) − σ(0))/z (Drgoňa et al., Dissipative, eq. 6) and its classification
(Drgoňa et al., Spectral analysis, §3.3)."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from neurodyn.activations import (
    SUPPORTED_ACTIVATIONS,
    ActivationClass,
    activation_spec,
    activation_table,
    classify,
)

SCALE = 1.0507009873554804934193349852946
ALPHA = 1.6732632423543772848170429916717


def make(name: str) -> nn.Module:
    return getattr(nn, name)().eval().double()


def wide_grid() -> torch.Tensor:
    pos = np.geomspace(1e-12, 1e4, 600)
    z = np.unique(np.concatenate([-pos, [0.0], pos, np.linspace(-8, 8, 1601)]))
    return torch.tensor(z, dtype=torch.float64).unsqueeze(1)


def derivatives(module: nn.Module, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(σ'(z), σ''(z)) by (double) autograd."""
    z = z.clone().requires_grad_(True)
    (d1,) = torch.autograd.grad(module(z).sum(), z, create_graph=True)
    if d1.requires_grad and not activation_spec(module).piecewise_linear:
        (d2,) = torch.autograd.grad(d1.sum(), z, allow_unused=True)
        d2 = torch.zeros_like(z) if d2 is None else d2
    else:  # piecewise linear: σ'' = 0 (and hardsigmoid_backward has no double backward)
        d2 = torch.zeros_like(z)
    return d1.detach(), d2.detach()


@pytest.fixture(scope="module")
def table() -> dict[str, ActivationClass]:
    return {c.name: c for c in activation_table()}


# ---------------------------------------------------------------- Λ itself (the registry)


@pytest.mark.parametrize("name", SUPPORTED_ACTIVATIONS)
def test_affine_reconstruction(name: str) -> None:
    """σ(z) = Λ(z)·z + σ(0) on a wide grid, to 1e-12 relative to max(|σ(z)|, |σ(0)|)."""
    m = make(name)
    spec = activation_spec(m)
    z = wide_grid()
    lam = spec.scaling(z)
    s0 = float(spec.sigma0)
    with torch.no_grad():
        sig = m(z)
    err = (lam * z + s0 - sig).abs()
    scale = torch.maximum(sig.abs(), torch.full_like(sig, abs(s0))).clamp_min(1e-300)
    assert torch.all(err <= 1e-12 * scale), float((err / scale).max())


@pytest.mark.parametrize("name", SUPPORTED_ACTIVATIONS)
def test_lambda_at_zero_is_autograd_derivative(name: str) -> None:
    m = make(name)
    spec = activation_spec(m)
    zero = torch.zeros(1, 1, dtype=torch.float64)
    d1, _ = derivatives(m, zero)
    assert spec.scaling(zero).item() == d1.item()


@pytest.mark.parametrize("name", SUPPORTED_ACTIVATIONS)
@pytest.mark.parametrize("side", [1.0, -1.0])
def test_lambda_near_zero_matches_taylor(name: str, side: float) -> None:
    """Λ(z) = σ'(0±) + σ''(0±) z/2 + O(z²) for z = ±1e-5 … ±1e-12: no cancellation in g.

    One-sided derivatives (autograd at ±1e-300) cover the kinks of ReLU, SELU, … at 0. A naive
    (σ(z) − σ(0))/z would be off by ≈ ε|σ(0)|/|z| ≈ 1e-4 at |z| = 1e-12 for Sigmoid etc.
    """
    m = make(name)
    spec = activation_spec(m)
    d1, d2 = derivatives(m, torch.full((1, 1), side * 1e-300, dtype=torch.float64))
    if name == "Hardsigmoid":
        # PyTorch's hardsigmoid backward uses 1/6 rounded to float32 even in float64; Λ(z ≠ 0)
        # is the exact slope 1/6 (hence lambda_bound = fl32(1/6) in the registry).
        assert abs(d1.item() - 1 / 6) < 1e-8
        d1 = torch.full_like(d1, 1 / 6)
    z = side * torch.logspace(-5, -12, 15, dtype=torch.float64).unsqueeze(1)
    lam = spec.scaling(z)
    taylor = d1 + d2 * z / 2
    tol = 1e-9 * taylor.abs().clamp_min(1.0) + z**2
    assert torch.all((lam - taylor).abs() <= tol), float((lam - taylor).abs().max())


# ---------------------------------------------------------------- soundness of lambda_bound


@pytest.mark.parametrize("name", SUPPORTED_ACTIVATIONS)
def test_sampled_sup_within_proven_bound(name: str, table: dict[str, ActivationClass]) -> None:
    c = table[name]
    assert c.lambda_sup <= c.lambda_bound + 1e-9
    assert c.lambda_bound == activation_spec(make(name)).lambda_bound
    if c.sigma0 == 0.0:
        assert c.lambda_sup_no_offset == pytest.approx(c.lambda_sup, rel=1e-12)
    else:
        assert c.lambda_sup_no_offset == math.inf


def _prelu4() -> nn.Module:
    m = nn.PReLU(4)
    with torch.no_grad():
        m.weight.copy_(torch.tensor([-3.0, 0.3, 2.5, 1.2]))
    return m


@pytest.mark.parametrize(
    "make_module",
    [
        lambda: nn.LeakyReLU(2.0),
        lambda: nn.LeakyReLU(-1.5),
        lambda: nn.ELU(alpha=2.0),
        lambda: nn.ELU(alpha=-2.0),
        lambda: nn.CELU(alpha=3.0),
        lambda: nn.Softplus(beta=3),
        lambda: nn.Hardtanh(-2.0, 3.0),
        lambda: nn.Hardtanh(1.0, 3.0),
        lambda: nn.RReLU(0.5, 3.0).eval(),
        lambda: nn.Softshrink(2.0),
        lambda: nn.GELU(approximate="tanh"),
        lambda: nn.CELU(alpha=1.1775285092387118),  # autograd σ'(0) = 1 + 7e-9
        _prelu4,
    ],
)
def test_bound_sound_for_nondefault_parameters(make_module) -> None:
    m = make_module()
    c = classify(m)
    assert c.lambda_sup <= c.lambda_bound + 1e-9


def test_prelu_random_weights_bound_is_attained() -> None:
    m = nn.PReLU(4)
    with torch.no_grad():
        m.weight.uniform_(-4.0, 4.0)
    c = classify(m)
    expected = max(1.0, float(m.weight.detach().abs().max()))
    assert c.lambda_sup <= c.lambda_bound + 1e-9
    assert c.lambda_sup == pytest.approx(expected, rel=1e-6)


@given(
    slope=st.floats(-5, 5, allow_nan=False),
    alpha=st.floats(0.05, 5, allow_nan=False),
    beta=st.floats(0.2, 10, allow_nan=False),
)
def test_bound_sound_random_parameters(slope: float, alpha: float, beta: float) -> None:
    grid = {"num_geom": 201, "num_lin": 2001}
    for m in (nn.LeakyReLU(slope), nn.ELU(alpha), nn.CELU(alpha), nn.Softplus(beta)):
        c = classify(m, **grid)
        assert c.lambda_sup <= c.lambda_bound + 1e-9, (type(m).__name__, c.lambda_sup)


# ---------------------------------------------------------------- known values


def test_known_values(table: dict[str, ActivationClass]) -> None:
    sig = table["Sigmoid"]
    assert sig.sigma0 == 0.5 and sig.lipschitz == pytest.approx(0.25, abs=1e-12)
    assert sig.bibo_stable and not sig.asymptotically_stable_relaxed
    assert sig.lambda_sup == pytest.approx(0.25, abs=1e-12)
    assert table["Tanh"].lipschitz == pytest.approx(1.0, abs=1e-12)
    assert table["Hardswish"].lipschitz == pytest.approx(1.5, abs=1e-3)
    assert table["GELU"].lipschitz == pytest.approx(1.1289, abs=1e-3)
    assert table["SiLU"].lipschitz == pytest.approx(1.0998, abs=1e-3)
    for name in ("GELU", "SiLU", "Mish", "Hardswish"):  # K > 1 but Λ is a gate in [0, 1]
        assert table[name].lipschitz > 1.0
        assert table[name].asymptotically_stable_relaxed


def test_selu_scale_makes_lambda_exceed_one(table: dict[str, ActivationClass]) -> None:
    selu = table["SELU"]
    assert selu.lambda_sup == pytest.approx(SCALE * ALPHA, abs=1e-3)
    ((lo, hi),) = selu.unstable_intervals
    assert -1.5 < lo < -1.0 and hi == math.inf  # z > 0: Λ = scale ≈ 1.0507 > 1
    assert not selu.bibo_stable and not selu.asymptotically_stable_relaxed


def test_relu_strict_vs_relaxed(table: dict[str, ActivationClass]) -> None:
    relu = table["ReLU"]
    assert relu.lipschitz == 1.0
    assert relu.asymptotically_stable_relaxed and not relu.asymptotically_stable
    # Lemma 8 as stated (K < 1) holds for no default-constructed supported activation
    assert not any(c.asymptotically_stable for c in table.values())


def test_softplus_no_offset_blows_up_near_zero(table: dict[str, ActivationClass]) -> None:
    sp = table["Softplus"]
    assert sp.unstable_intervals == ()
    assert any(lo < 0 < hi for lo, hi in sp.unstable_intervals_no_offset)
    assert sp.lambda_sup_no_offset == math.inf and not sp.asymptotically_stable_relaxed


def test_hardshrink_jumps_make_lipschitz_infinite(table: dict[str, ActivationClass]) -> None:
    hs = table["Hardshrink"]
    assert hs.lipschitz == math.inf
    assert [round(loc, 9) for loc, _ in hs.jumps] == [-0.5, 0.5]
    assert all(size == pytest.approx(0.5) for _, size in hs.jumps)
    assert not table["Softshrink"].jumps and table["Softshrink"].lipschitz == 1.0


def test_celu_negative_alpha_is_unbounded() -> None:
    c = classify(nn.CELU(alpha=-1.0))
    assert c.lambda_bound == math.inf and c.lambda_sup > 1e3


def test_strict_lemma8_needs_k_below_one() -> None:
    c = classify(nn.Hardtanh(-0.5, 0.5))  # K = 1 still
    assert not c.asymptotically_stable
    c = classify(nn.Softsign())
    assert c.lipschitz == 1.0 and not c.asymptotically_stable


# ---------------------------------------------------------------- API


def test_class_and_instance_agree() -> None:
    assert classify(nn.Tanh) == classify(nn.Tanh())
    assert classify(nn.RReLU).lambda_sup == pytest.approx(1.0)


def test_rrelu_training_mode_rejected() -> None:
    with pytest.raises(ValueError, match="eval"):
        classify(nn.RReLU())


@pytest.mark.parametrize("bad", [nn.Conv1d(1, 1, 1), nn.Conv1d, nn.Linear(2, 2)])
def test_unsupported_raises_type_error(bad) -> None:
    with pytest.raises(TypeError, match="Supported: ReLU, LeakyReLU"):
        classify(bad)


def test_to_dict_is_strict_json(table: dict[str, ActivationClass]) -> None:
    for c in table.values():
        d = json.loads(json.dumps(c.to_dict(), allow_nan=False))
        assert d["name"] == c.name
    d = table["SELU"].to_dict()
    assert d["unstable_intervals"][0][1] == "inf"
    assert table["Sigmoid"].to_dict()["lambda_sup_no_offset"] == "inf"


def test_table_covers_every_supported_activation(table: dict[str, ActivationClass]) -> None:
    assert list(table) == list(SUPPORTED_ACTIVATIONS)
    for c in table.values():
        assert "numerical" in c.method and c.z_range == (-1e4, 1e4)


def test_docs_table_is_up_to_date() -> None:
    path = Path(__file__).parents[1] / "docs" / "gen_activation_table.py"
    spec = importlib.util.spec_from_file_location("gen_activation_table", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main(["--check"]) == 0, "run .venv/bin/python docs/gen_activation_table.py"
