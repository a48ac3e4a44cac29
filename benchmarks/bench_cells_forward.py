"""Forward pass of each neurodyn recurrent cell against ``nn.RNN`` and ``nn.LSTM``.

T = 784 steps (sequential MNIST), batch 64, hidden 128, input 1, float32, CPU, one thread.
Each repeat runs every model once, in an order rotated per repeat (interleaved); medians over
repeats and the ratio to ``nn.LSTM`` (the issue's goal: ≤ 1.5×) and to ``nn.RNN`` are
printed, for inference (``torch.no_grad()``) and for a training forward (autograd recording,
no backward). Before timing, each cell's forward is checked against iterating its Map's step
(the benchmark times the thing that is tested).

    .venv/bin/python benchmarks/bench_cells_forward.py            # T = 784, 7 repeats
    .venv/bin/python benchmarks/bench_cells_forward.py --quick    # T = 100, 3 repeats
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import torch
from torch import nn

import neurodyn
from neurodyn.nn import CTRNN, LEM, AntisymmetricRNN, CoRNN, LipschitzRNN, NoisyRNN


def _models(hidden: int, inp: int) -> dict[str, nn.Module]:
    torch.manual_seed(0)
    return {
        "nn.RNN": nn.RNN(inp, hidden),
        "nn.LSTM": nn.LSTM(inp, hidden),
        "LipschitzRNN euler": LipschitzRNN(inp, hidden),
        "LipschitzRNN imex": LipschitzRNN(inp, hidden, method="imex"),
        "AntisymmetricRNN": AntisymmetricRNN(inp, hidden),
        "CoRNN": CoRNN(inp, hidden),
        "LEM": LEM(inp, hidden),
        "NoisyRNN (train, noisy)": NoisyRNN(inp, hidden).train(),
        "CTRNN euler": CTRNN(inp, hidden),
        "CTRNN rk4": CTRNN(inp, hidden, method="rk4"),
    }


def _check(model: nn.Module, x: Tensor) -> float:  # noqa: F821 - annotation only
    """max |forward − iterating the Map's step| over a short float64 run."""
    m = model.double().eval()
    xs = x[:20, :4].double()
    with torch.no_grad():
        out, _ = m(xs)
        f = neurodyn.as_map(m)
        h = torch.zeros(xs.shape[1], f.dim, dtype=torch.float64)
        err = 0.0
        for t in range(xs.shape[0]):
            h = f.step(h, xs[t])
            err = max(err, float((h[:, : m.hidden_size] - out[t]).abs().max()))
    model.float()
    return err


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="T = 100, 3 repeats")
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--repeats", type=int, default=None)
    args = ap.parse_args()
    T = args.steps or (100 if args.quick else 784)
    reps = args.repeats or (3 if args.quick else 7)
    B, H, F = 64, 128, 1
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, {platform.processor() or platform.machine()}, 1 thread")
    print(f"T = {T}, batch {B}, hidden {H}, input {F}, float32, {reps} repeats (interleaved)\n")
    models = _models(H, F)
    x = torch.randn(T, B, F)
    for name, m in models.items():
        if not name.startswith("nn."):
            err = _check(m, x)
            assert err < 1e-12, f"{name}: forward differs from its Map by {err:.3g}"
    names = list(models)
    times: dict[str, dict[str, list[float]]] = {"no_grad": {}, "grad": {}}
    for mode in times:
        for name in names:
            times[mode][name] = []
        with torch.no_grad():  # warm-up
            for m in models.values():
                m(x[:10])
        for r in range(reps):
            order = names[r % len(names) :] + names[: r % len(names)]
            for name in order:
                m = models[name]
                t0 = time.perf_counter()
                if mode == "no_grad":
                    with torch.no_grad():
                        m(x)
                else:
                    out = m(x)[0]
                    del out
                times[mode][name].append(time.perf_counter() - t0)
    med = {mode: {k: statistics.median(v) for k, v in d.items()} for mode, d in times.items()}
    head = f"{'model':26s} {'no_grad s':>10s} {'/LSTM':>7s} {'/RNN':>7s}"
    head += f" {'grad s':>9s} {'/LSTM':>7s} {'/RNN':>7s}"
    print(head)
    print("-" * len(head))
    for name in names:
        row = f"{name:26s}"
        for mode in ("no_grad", "grad"):
            t = med[mode][name]
            row += f" {t:10.4f} {t / med[mode]['nn.LSTM']:7.2f} {t / med[mode]['nn.RNN']:7.2f}"
        print(row)


if __name__ == "__main__":
    main()
