"""Forward cost of each ``neurodyn.nn.parametrizations`` constraint on an ``nn.Linear``.

Baseline: a plain ``nn.Linear`` of the same size. Each parametrized forward rebuilds the weight
from its factors (softmax, matrix exponentials, …), so the ratio is the price of the guarantee
per call; inside ``torch.nn.utils.parametrize.cached()`` the weight is built once per context,
which is how a recurrent loop should use it. Interleaved (plain, parametrized, plain, …), one
thread, medians over repeats.

    .venv/bin/python benchmarks/bench_parametrizations.py            # 64 and 256, batch 128
    .venv/bin/python benchmarks/bench_parametrizations.py --quick    # fewer repeats
"""

from __future__ import annotations

import argparse
import contextlib
import platform
import statistics
import time

import torch
from torch import nn
from torch.nn.utils import parametrize

from neurodyn.nn import parametrizations as P
from neurodyn.nn.parametrizations import _factors

HYPER = {
    "perron_frobenius": {"lam_min": 0.5, "lam_max": 0.9},
    "spectral_svd": {"sigma_min": 0.5, "sigma_max": 1.0},
    "skew_symmetric": {"gamma": 0.1},
    "symplectic": {},
    "gershgorin": {"center": 0.0, "radius": 0.9},
    "gershgorin_complex": {"center": 0.0, "radius": 0.9, "complex": True},
    "symmetric_skew": {"beta": 0.8, "gamma": 0.1},
    "contracting_svd": {"g": 1.0},
}


@contextlib.contextmanager
def _uncorrected():
    """Skip the float32 Newton–Schulz correction of the orthogonal factor (main before it)."""
    saved = _factors._EXACT_ENOUGH
    _factors._EXACT_ENOUGH = (*saved, torch.float32)
    try:
        yield
    finally:
        _factors._EXACT_ENOUGH = saved


def _timeit(fn, number: int) -> float:
    t = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - t) / number


def _layer(key: str, n: int) -> nn.Linear:
    name = "gershgorin" if key.startswith("gershgorin") else key
    lin = P.CONSTRAINTS[name].registrar(nn.Linear(n, n), **HYPER[key], init="random")
    if name == "spectral_svd":  # skew generators start at 0 (exp(0) is free): use trained-like ones
        with torch.no_grad():
            for o in (lin.parametrizations.weight.original0, lin.parametrizations.weight.original1):
                o.normal_(0.0, n**-0.5)
    assert P.check(lin), key  # correctness of what we time
    return lin


def _rnn(layer: nn.Module, x: torch.Tensor, steps: int, cached: bool) -> torch.Tensor:
    """``h ← tanh(layer(h))`` for ``steps`` steps, optionally inside ``parametrize.cached()``."""
    h = x
    if cached:
        with parametrize.cached():
            for _ in range(steps):
                h = torch.tanh(layer(h))
    else:
        for _ in range(steps):
            h = torch.tanh(layer(h))
    return h


@torch.no_grad()
def _bench(lin, plain, x, steps: int, repeats: int, number: int) -> list[float]:
    """Medians: forward (parametrized, plain), loop (uncached, cached, plain), interleaved."""
    t = [[] for _ in range(5)]
    for _ in range(repeats):
        t[1].append(_timeit(lambda: plain(x), number))
        t[0].append(_timeit(lambda: lin(x), number))
        t[4].append(_timeit(lambda: _rnn(plain, x, steps, False), 2))
        t[3].append(_timeit(lambda: _rnn(lin, x, steps, True), 2))
        t[2].append(_timeit(lambda: _rnn(lin, x, steps, False), 1))
    return [statistics.median(v) for v in t]


@torch.no_grad()
def _correction_cost(key: str, n: int, x, repeats: int, number: int) -> tuple[float, float]:
    """Forward medians (corrected, uncorrected) of one layer, interleaved."""
    lin = _layer(key, n)
    t = [[], []]
    for _ in range(repeats):
        t[0].append(_timeit(lambda: lin(x), number))
        with _uncorrected():
            t[1].append(_timeit(lambda: lin(x), number))
    return statistics.median(t[0]), statistics.median(t[1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[64, 256])
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.repeats = 3
    torch.set_num_threads(1)
    torch.manual_seed(0)
    print(
        f"torch {torch.__version__}, {platform.machine()}, threads={torch.get_num_threads()}, "
        f"batch {args.batch}, float32, medians of {args.repeats} interleaved repeats"
    )
    for n in args.sizes:
        x = torch.randn(args.batch, n)
        plain = nn.Linear(n, n)
        number = 50 if n <= 64 else 10
        print(f"\n== {n}×{n}: forward (µs per call) and {args.steps}-step recurrent loop (ms) ==")
        print(
            f"{'parametrization':20s} {'fwd':>9s} {'plain':>8s} {'ratio':>7s} "
            f"{'loop':>9s} {'cached':>8s} {'plain':>7s} {'uncached/cached':>15s} "
            f"{'cached/plain':>12s}"
        )
        for key in HYPER:
            fp, fq, lu, lc, lp = _bench(_layer(key, n), plain, x, args.steps, args.repeats, number)
            print(
                f"{key:20s} {fp * 1e6:9.1f} {fq * 1e6:8.1f} {fp / fq:7.1f} "
                f"{lu * 1e3:9.2f} {lc * 1e3:8.2f} {lp * 1e3:7.2f} {lu / lc:15.1f} {lc / lp:12.2f}"
            )
        print(f"-- {n}×{n}: float32 orthogonal-factor correction (Newton–Schulz step), forward µs")
        for key in ("spectral_svd", "contracting_svd"):
            fc, fu = _correction_cost(key, n, x, args.repeats, number)
            print(f"{key:20s} corrected {fc * 1e6:9.1f}  uncorrected {fu * 1e6:9.1f}  "
                  f"ratio {fc / fu:5.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
