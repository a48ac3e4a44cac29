"""Shared test helpers: reference Jacobians and random feedforward networks."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import torch
from torch import Tensor, nn


def jacobian_reference(fn: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """Per-point Jacobians ``(B, m, n)`` of a row-independent batched ``fn`` by reverse mode.

    Differentiates the batch sum ``Σ_b fn(X)_b`` with respect to ``X``: because row ``b`` of the
    output depends only on row ``b`` of the input, entry ``[i, b, j]`` is ``∂fn(x_b)_i/∂x_bj``.
    Unlike ``vmap(jacrev(fn))`` this works for modules vmap cannot batch (e.g. ``nn.PReLU``).
    """
    with warnings.catch_warnings():
        # functorch has no batching rule for RReLU's backward and warns about the slow fallback
        warnings.filterwarnings(
            "ignore", message="There is a performance drop", category=UserWarning
        )
        return torch.func.jacrev(lambda X: fn(X).sum(0))(x).permute(1, 0, 2).detach()


def make_activation(name: str, width: int | None = None) -> nn.Module:
    """A ``torch.nn`` activation by class name with default arguments (RReLU in eval mode).

    ``width`` gives ``nn.PReLU`` one slope per channel (random, in (0, 0.5)).
    """
    cls = getattr(nn, name)
    if name == "PReLU" and width is not None:
        module = cls(num_parameters=width)
        with torch.no_grad():
            module.weight.uniform_(0.0, 0.5)
        return module
    module = cls()
    if name == "RReLU":
        module.eval()
    return module


def make_mlp(
    widths: list[int],
    activation: str,
    *,
    bias: bool = True,
    per_channel_prelu: bool = False,
    final_activation: bool = False,
    dtype: torch.dtype = torch.float64,
    seed: int | None = None,
) -> nn.Sequential:
    """``Linear(widths[0]→widths[1]), σ, …, Linear(widths[-2]→widths[-1])`` in ``dtype``."""
    if seed is not None:
        torch.manual_seed(seed)
    modules: list[nn.Module] = []
    n_lin = len(widths) - 1
    for i in range(n_lin):
        modules.append(nn.Linear(widths[i], widths[i + 1], bias=bias))
        if i < n_lin - 1 or final_activation:
            w = widths[i + 1] if per_channel_prelu else None
            modules.append(make_activation(activation, w))
    return nn.Sequential(*modules).to(dtype).eval()


def assert_close(actual: Tensor, expected: Tensor, tol: float) -> None:
    """``|actual − expected| ≤ tol·(1 + |expected|)`` elementwise (absolute + relative)."""
    actual, expected = torch.as_tensor(actual).detach(), torch.as_tensor(expected).detach()
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    err = (actual - expected).abs()
    bound = tol * (1 + expected.abs())
    worst = float((err / bound).max()) if err.numel() else 0.0
    assert bool((err <= bound).all()), (
        f"max error {float(err.max()):.3e} exceeds tol {tol:g} (worst ratio {worst:.3g})"
    )
