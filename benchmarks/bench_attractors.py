"""Basins and attractors by recurrence (issue 12, "any dimension").

Compares, in one run and interleaved (A B A B …, medians), on one thread:

* ``targets``     — ``basins(net, box, attractors=fixed_points(...))``: the older rule (iterate,
  then label by the nearest stable fixed point), which knows only fixed points;
* ``recurrence``  — ``basins(net, box)``: attractors found by recurrence (fixed points, cycles,
  chaotic sets), the new default; the same transient, plus the recording window;
* ``per-start``   — what a user would otherwise write: a Python loop that iterates one start at
  a time and stops when it revisits a cell (the shape of DynamicalSystems.jl's sequential
  ``AttractorsViaRecurrences`` in Python), timed on a subset and extrapolated;
* 10-D ``attractors`` on sampled starts (Hénon × 8 contracting coordinates), which the older
  grid methods could not do at all (a 12-per-axis grid in 10-D is 6.2e10 points).

Each case also checks its own answer (the labels of the bistable map are the sign of x₁).

Run: ``.venv/bin/python benchmarks/bench_attractors.py [--quick]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from neurodyn.dynamics import Box, attractors, basins, fixed_points
from neurodyn.systems import as_map


def bistable():
    return as_map(lambda h: torch.tanh(2 * h), dim=2, dtype=torch.float64)


class HenonTimes:
    dim = 10
    dt = 1.0

    def step(self, h, x=None):
        return torch.cat([1 - 1.4 * h[:, :1] ** 2 + h[:, 1:2], 0.3 * h[:, :1], 0.3 * h[:, 2:]], 1)

    def jacobian(self, h, x=None):
        J = torch.zeros(h.shape[0], 10, 10, dtype=h.dtype)
        J[:, 0, 0] = -2.8 * h[:, 0]
        J[:, 0, 1] = 1.0
        J[:, 1, 0] = 0.3
        idx = torch.arange(2, 10)
        J[:, idx, idx] = 0.3
        return J


def per_start(f, starts: torch.Tensor, steps: int, cell: float) -> torch.Tensor:
    """One start at a time: iterate until 50 consecutive steps revisit known cells."""
    labels = []
    for x0 in starts:
        x = x0.unsqueeze(0)
        for _ in range(steps):
            x = f.step(x)
        seen: set[tuple[int, ...]] = set()
        streak = 0
        for _ in range(500):
            x = f.step(x)
            key = tuple(torch.floor(x[0] / cell).long().tolist())
            streak = streak + 1 if key in seen else 0
            seen.add(key)
            if streak >= 50:
                break
        labels.append(int(x[0, 0] > 0))
    return torch.tensor(labels)


def timeit(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    res = 60 if args.quick else 200
    repeats = 2 if args.quick else args.repeats
    f = bistable()
    box = Box((-1.0, -1.0), (1.0, 1.0))
    fps = fixed_points(f, low=box, resolution=9)
    steps, window = 100, 100
    cases = {
        "targets": lambda: basins(f, box, resolution=res, steps=steps, attractors=fps),
        "recurrence": lambda: basins(f, box, resolution=res, steps=steps, window=window),
    }
    # correctness: both label every grid point by the sign of x₁
    for name, fn in cases.items():
        out = fn()
        X = out.xs.unsqueeze(0).expand(len(out.ys), -1)
        Y = out.ys.unsqueeze(1).expand(-1, len(out.xs))
        want = torch.tensor([[-1, -1], [-1, 1], [1, -1], [1, 1]], dtype=torch.float64)
        order = torch.cdist(torch.sign(out.attractors), want).argmin(dim=1)
        quad = (X > 0).long() * 2 + (Y > 0).long()
        assert torch.equal(order[out.labels], quad), name
    times: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(repeats):
        for name, fn in cases.items():
            times[name].append(timeit(fn))
    med = {k: statistics.median(v) for k, v in times.items()}
    sub = Box((-1.0, -1.0), (1.0, 1.0)).sample(40 if args.quick else 200, seed=1)
    t_loop = timeit(lambda: per_start(f, sub, steps, 0.05))
    per_point_loop = t_loop / sub.shape[0]
    n = res * res
    print(f"bistable tanh map, {res}×{res} grid, {steps} transient steps (+{window} recorded):")
    for k, v in med.items():
        print(f"  {k:11s} {v:8.3f} s   ({1e6 * v / n:7.1f} µs/start)")
    print(f"  per-start   {per_point_loop * n:8.3f} s   (extrapolated from {sub.shape[0]} starts)")
    print(f"  ratio recurrence/targets = {med['recurrence'] / med['targets']:.2f}")
    print(f"  ratio per-start/recurrence = {per_point_loop * n / med['recurrence']:.1f}")
    box10 = Box((-0.5, -0.2, *([-1.0] * 8)), (0.5, 0.2, *([1.0] * 8)))
    samples = 50 if args.quick else 500
    t10 = timeit(lambda: attractors(HenonTimes(), box=box10, samples=samples))
    out = attractors(HenonTimes(), box=box10, samples=samples)
    assert [a.kind for a in out] == ["chaotic"] and abs(out[0].lyapunov - 0.41922) < 0.05
    print(f"10-D Hénon × contraction, {samples} sampled starts, 1000 + 1000 steps: {t10:.2f} s")


if __name__ == "__main__":
    main()
