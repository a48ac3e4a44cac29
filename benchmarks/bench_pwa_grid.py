"""Spectral-radius map of a 2-D, 8-layer tanh net over a 1000×1000 grid (issue: foundation).

Compares, in one run and interleaved (A B A B …, medians), on one thread:

* ``forward``       — ``net(grid)``, the floor: A*(x) needs this pass anyway;
* ``linearize``     — ``neurodyn.linearize(net, grid)``: A*(x) and b*(x) at every point;
* ``vmap(jacrev)``  — ``torch.func.vmap(torch.func.jacrev(net))(grid)``: a Jacobian, the same
  amount of work, what a user would otherwise write;
* ``per-sample``    — a Python loop computing A*(x) one point at a time (how the published
  implementation, neuromancer's ``pwa_batched``, scales), timed on a subset and extrapolated;
* eigenvalue step   — closed-form 2×2 spectral radius vs ``torch.linalg.eigvals`` on the 1M
  matrices.

Run: ``.venv/bin/python benchmarks/bench_pwa_grid.py [--n 1000] [--repeats 5]``.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import torch

import neurodyn
from neurodyn.dynamics import grid_points
from neurodyn.stability import spectral_radius


def make_net(depth: int = 8, width: int = 2, seed: int = 0) -> torch.nn.Sequential:
    torch.manual_seed(seed)
    layers: list[torch.nn.Module] = []
    for i in range(depth):
        layers.append(torch.nn.Linear(2 if i == 0 else width, 2 if i == depth - 1 else width))
        if i < depth - 1:
            layers.append(torch.nn.Tanh())
    return torch.nn.Sequential(*layers).eval()


def timeit(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def interleaved(cases: dict, repeats: int) -> dict[str, float]:
    times: dict[str, list[float]] = {k: [] for k in cases}
    for fn in cases.values():  # warm-up
        fn()
    for _ in range(repeats):
        for name, fn in cases.items():
            times[name].append(timeit(fn))
    return {k: statistics.median(v) for k, v in times.items()}


def per_sample_linearize(net, pts):
    for i in range(pts.shape[0]):
        neurodyn.linearize(net, pts[i : i + 1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000, help="grid points per axis")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--width", type=int, default=2, help="hidden width (2 = the seed's 2-D nets)")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    net = make_net(width=args.width)
    _, _, grid = grid_points((-6.0, -6.0), (6.0, 6.0), args.n, dtype=torch.float32)
    print(
        f"torch {torch.__version__}, {platform.processor() or platform.machine()}, "
        f"threads={torch.get_num_threads()}, grid {args.n}×{args.n} = {grid.shape[0]} points, "
        f"8 layers, width {args.width}, float32"
    )

    single = lambda x: net(x.unsqueeze(0)).squeeze(0)  # noqa: E731
    jac = torch.func.vmap(torch.func.jacrev(single))
    with torch.no_grad():
        form = neurodyn.linearize(net, grid)
        A = form.A.contiguous()
    cases = {
        "forward": lambda: net(grid),
        "linearize": lambda: neurodyn.linearize(net, grid),
        "linearize+rho": lambda: spectral_radius(neurodyn.linearize(net, grid).A),
        "vmap(jacrev)": lambda: jac(grid),
        "rho closed form": lambda: spectral_radius(A),
        "rho eigvals": lambda: torch.linalg.eigvals(A).abs().amax(-1),
    }
    with torch.no_grad():
        med = interleaved({k: v for k, v in cases.items() if k != "vmap(jacrev)"}, args.repeats)
    med.update(interleaved({"vmap(jacrev)": cases["vmap(jacrev)"]}, max(2, args.repeats // 2)))

    n_sub = 2000
    with torch.no_grad():
        t_loop = statistics.median(
            timeit(lambda: per_sample_linearize(net, grid[:n_sub])) for _ in range(3)
        )
    per_point = t_loop / n_sub
    med["per-sample loop (extrapolated)"] = per_point * grid.shape[0]

    # correctness of what we timed: A x + b == f(x), closed-form ρ == LAPACK ρ
    with torch.no_grad():
        err = (form() - net(grid)).abs().max().item()
        rho_err = (spectral_radius(A) - torch.linalg.eigvals(A).abs().amax(-1)).abs().max().item()
    print(f"check: max |A x + b − f(x)| = {err:.2e}, max |ρ closed − ρ eigvals| = {rho_err:.2e}")
    print(f"{'case':34s} {'median s':>10s}")
    for k, v in med.items():
        print(f"{k:34s} {v:10.4f}")
    f, lin = med["forward"], med["linearize"]
    print("ratios:")
    print(f"  linearize / forward                 {lin / f:8.2f}   (target ≤ 2)")
    print(f"  vmap(jacrev) / linearize            {med['vmap(jacrev)'] / lin:8.2f}   (target > 1)")
    print(
        f"  per-sample loop / linearize         {med['per-sample loop (extrapolated)'] / lin:8.1f}"
        f"   (target ≥ 100; {per_point * 1e6:.1f} µs per point in the loop)"
    )
    print(
        f"  eigvals / closed-form ρ             {med['rho eigvals'] / med['rho closed form']:8.1f}"
    )
    print(f"  closed-form ρ / linearize           {med['rho closed form'] / lin:8.2f}")


if __name__ == "__main__":
    main()
