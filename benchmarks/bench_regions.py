"""Exact linear-region enumeration: neurodyn.pwa.linear_regions against the baselines a user
would otherwise write, in the same run.

* naive layer-wise: split every region by every unit of the next layer, one HiGHS Chebyshev
  LP (scipy.optimize.linprog) per candidate child — no interval pruning, no witnesses, no
  warm start (the baseline the issue measured: 2-D 32-32 → 1,553 regions, 66.8k LPs, 84 s);
* our LP path (``method="lp"``: interval pruning, witnesses, warm-started LPs) next to the
  default vertex path (``method="vertex"`` in ≤ 6-D: cells carry their vertex sets);
* brute force: every one of the ∏ pieces^units patterns by one LP each (tiny nets only);
* the dense grid estimate (region_ids on a grid; its max ρ(A*) is a lower bound).

Both exact methods must return the same region count (checked, printed). Timings interleave
A and B and report medians; torch.set_num_threads(1).

    python benchmarks/bench_regions.py --quick
    python benchmarks/bench_regions.py --only issue      # 4-D 16-16: naive ~12 min
    python benchmarks/bench_regions.py --only growth
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
import warnings

import numpy as np
import torch
from scipy.optimize import linprog
from torch import nn

from neurodyn import linearize
from neurodyn.pwa import linear_regions, region_ids
from neurodyn.pwa._regions import _stages


def mlp(n: int, widths: list[int], seed: int, act=nn.ReLU) -> nn.Sequential:
    torch.manual_seed(seed)
    dims = [n, *widths, n]
    mods: list[nn.Module] = []
    for a, b in itertools.pairwise(dims):
        mods += [nn.Linear(a, b), act()]
    return nn.Sequential(*mods[:-1]).double().eval()


def cheb(rows: list[np.ndarray], rhs: list[float], low, high) -> float:
    """Chebyshev radius of {rows x ≤ rhs} ∩ box by one scipy/HiGHS LP (rows unit-norm)."""
    n = low.shape[0]
    eye = np.eye(n)
    A = [np.hstack([eye, np.ones((n, 1))]), np.hstack([-eye, np.ones((n, 1))])]
    b = [high, -low]
    if rows:
        A.append(np.hstack([np.asarray(rows), np.ones((len(rows), 1))]))
        b.append(np.asarray(rhs))
    cost = np.zeros(n + 1)
    cost[n] = -1
    cap = float(np.min(high - low)) / 2
    res = linprog(
        cost,
        A_ub=np.vstack(A),
        b_ub=np.concatenate(b),
        bounds=[(None, None)] * n + [(None, cap)],
        method="highs",
    )
    return float(res.x[n]) if res.status == 0 else -np.inf


def piece_rows(table, j, piece, P, q):
    """Rows (unit-norm) of 'unit j on this piece' for z = P x + q."""
    rows, rhs = [], []
    bps = table.breakpoints[j]
    norm = np.linalg.norm(P[j])
    if norm == 0:
        return None
    if piece > 0 and np.isfinite(bps[piece - 1]):
        rows.append(-P[j] / norm)
        rhs.append((q[j] - bps[piece - 1]) / norm)
    if piece < bps.shape[0] and np.isfinite(bps[piece]):
        rows.append(P[j] / norm)
        rhs.append((bps[piece] - q[j]) / norm)
    return rows, rhs


def naive(net, low, high, min_radius):
    """Layer-wise refinement, one LP per candidate child, every unit split. Returns (count, LPs)."""
    stages, _, _, _n = _stages(net)
    low, high = np.asarray(low, float), np.asarray(high, float)
    lps = 0
    # a cell: (rows, rhs, P, q, pieces of this stage so far)
    cells = [([], [], stages[0].weight, stages[0].bias, [])]
    for si, st in enumerate(stages):
        table = st.table
        for j in range(table.slopes.shape[0]):
            nxt = []
            for rows, rhs, P, q, pc in cells:
                if np.linalg.norm(P[j]) == 0:  # constant unit: its piece by the tie rule
                    z = np.zeros((1, P.shape[0]))
                    z[0, j] = q[j]
                    nxt.append((rows, rhs, P, q, [*pc, int(table.index(z)[0, j])]))
                    continue
                for piece in range(table.pieces):
                    r2, c2 = piece_rows(table, j, piece, P, q)
                    lps += 1
                    if cheb(rows + r2, rhs + c2, low, high) > min_radius:
                        nxt.append((rows + r2, rhs + c2, P, q, [*pc, piece]))
            cells = nxt
        if si + 1 < len(stages):
            new = []
            for rows, rhs, P, q, pc in cells:
                idx = np.array(pc)
                u = np.arange(P.shape[0])
                s, c = table.slopes[u, idx], table.intercepts[u, idx]
                W2, b2 = stages[si + 1].weight, stages[si + 1].bias
                new.append((rows, rhs, W2 @ (s[:, None] * P), W2 @ (s * q + c) + b2, []))
            cells = new
    return len(cells), lps


def brute(net, low, high, min_radius):
    """All ∏ pieces^units patterns, one LP each (feasible iff Chebyshev radius > min_radius)."""
    stages, _, _, _n = _stages(net)
    low, high = np.asarray(low, float), np.asarray(high, float)
    sizes = [st.table.slopes.shape[0] for st in stages]
    count = lps = 0
    choices = [
        range(st.table.pieces) for st, k in zip(stages, sizes, strict=True) for _ in range(k)
    ]
    for pat in itertools.product(*choices):
        rows, rhs = [], []
        P, q = stages[0].weight, stages[0].bias
        off = 0
        ok = True
        for si, st in enumerate(stages):
            pc = pat[off : off + sizes[si]]
            off += sizes[si]
            for j, piece in enumerate(pc):
                pr = piece_rows(st.table, j, piece, P, q)
                if pr is None:  # constant unit: only its tie-rule piece exists
                    z = np.zeros((1, P.shape[0]))
                    z[0, j] = q[j]
                    if int(st.table.index(z)[0, j]) != piece:
                        ok = False
                        break
                    continue
                rows += pr[0]
                rhs += pr[1]
            if not ok:
                break
            idx = np.array(pc)
            u = np.arange(P.shape[0])
            s, c = st.table.slopes[u, idx], st.table.intercepts[u, idx]
            if si + 1 < len(stages):
                W2, b2 = stages[si + 1].weight, stages[si + 1].bias
                P, q = W2 @ (s[:, None] * P), W2 @ (s * q + c) + b2
        if not ok:
            continue
        lps += 1
        if cheb(rows, rhs, low, high) > min_radius:
            count += 1
    return count, lps


def grid_estimate(net, low, high, resolution):
    """Region count and max ρ(A*) seen on a resolution^n grid (a lower bound on both)."""
    from neurodyn._core import Box

    box = Box(tuple(low), tuple(high))
    pts = box.grid(resolution) if len(low) <= 3 else box.sample(resolution**2, seed=0)
    t = time.perf_counter()
    ids = region_ids(net, pts)
    form = linearize(net, pts)
    rho = float(form.spectral_radius().max())
    return int(ids.max()) + 1, rho, time.perf_counter() - t, pts.shape[0]


def exact_max_rho(regs) -> float:
    A, _ = regs.stack()
    return float(torch.linalg.eigvals(A).abs().max())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="small nets, one repeat")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument(
        "--naive-repeats", type=int, default=1, help="the naive 4-D 16-16 takes ~12 min"
    )
    ap.add_argument("--skip-naive", action="store_true")
    ap.add_argument("--only", choices=["issue", "growth", "tiny", "scaling"], help="run one table")
    args = ap.parse_args()
    torch.set_num_threads(1)
    reps = 1 if args.quick else args.repeats
    if args.only in (None, "issue"):
        issue_table(args, reps)
    if args.only in (None, "growth"):
        growth_table(args, reps)
    if args.only in (None, "tiny"):
        tiny_table()
    if args.only in (None, "scaling"):
        scaling_table(args)


def compare(net, n, half, reps, naive_reps):
    """Ours (vertex path, the default in ≤ 6-D), ours (LP path) and naive on one net, timings
    interleaved; every run's region count (and the two paths' pattern sets) asserted equal.
    Returns (regions, LPs vertex, LPs lp, LPs naive, median s vertex, lp, naive)."""
    low, high = [-half] * n, [half] * n
    tv, tl, tn = [], [], []
    nlps = None
    for rep in range(max(reps, naive_reps)):
        if rep < reps:
            t = time.perf_counter()
            fast = linear_regions(net, low, high, method="vertex")
            tv.append(time.perf_counter() - t)
            t = time.perf_counter()
            slow = linear_regions(net, low, high, method="lp")
            tl.append(time.perf_counter() - t)
            pats = {tuple(r.pattern.tolist()) for r in fast}
            assert pats == {tuple(r.pattern.tolist()) for r in slow}, "vertex ≠ LP path"
            assert len(pats) == len(fast) == len(slow)
        if rep < naive_reps:
            t = time.perf_counter()
            count, nlps = naive(net, low, high, fast.min_radius)
            tn.append(time.perf_counter() - t)
            assert count == len(fast), (count, len(fast))
    med = statistics.median
    return (
        len(fast),
        fast.lps,
        slow.lps,
        nlps,
        med(tv),
        med(tl),
        med(tn) if tn else float("nan"),
    )


HEAD = (
    "| input | widths | regions | LPs vertex | LPs LP-path | LPs naive | vertex s | LP-path s | "
    "naive s | vs naive | vs LP path |\n|---|---|---|---|---|---|---|---|---|---|---|"
)


def row(n, widths, res) -> str:
    count, lv, ll, ln, tv, tl, tn = res
    return (
        f"| {n}-D | {'-'.join(map(str, widths))} | {count} | {lv} | {ll} | "
        f"{ln if ln is not None else '–'} | {tv:.2f} | {tl:.2f} | {tn:.1f} | {tn / tv:.1f}× | "
        f"{tl / tv:.1f}× |"
    )


def issue_table(args, reps) -> None:
    print(
        "## Issue configurations: neurodyn (vertex path, default; LP path) vs naive layer-wise "
        "(one scipy/HiGHS LP per candidate)"
    )
    configs = (
        [(2, [16, 16], 2.0), (3, [8, 8], 2.0)]
        if args.quick
        else [
            (2, [32, 32], 2.0),
            (4, [16, 16], 2.0),
        ]
    )
    print(HEAD, flush=True)
    for n, widths, half in configs:
        net = mlp(n, widths, seed=0)
        res = compare(net, n, half, reps, 0 if args.skip_naive else max(1, args.naive_repeats))
        print(row(n, widths, res), flush=True)


def growth_table(args, reps) -> None:
    """How the cost grows with input dimension and width, ours against the naive refinement."""
    print("\n## Growth with input dimension and width (ReLU, box [-2, 2]^n, seed 0)")
    if args.quick:
        configs = [(2, [8, 8]), (3, [8, 8]), (4, [8, 8])]
    else:
        configs = [
            (2, [8, 8]),
            (2, [12, 12]),
            (2, [16, 16]),
            (3, [8, 8]),
            (3, [12, 12]),
            (4, [8, 8]),
            (4, [12, 12]),
            (6, [8, 8]),
            (6, [16]),
        ]
    print(HEAD, flush=True)
    for n, widths in configs:
        net = mlp(n, widths, seed=0)
        res = compare(net, n, 2.0, reps, 0 if args.skip_naive else 1)
        print(row(n, widths, res), flush=True)


def tiny_table() -> None:
    print("\n## Tiny nets: brute force over all pieces^units patterns (same counts)")
    print("| input | widths | act | regions | brute LPs | ours s | brute s |")
    print("|---|---|---|---|---|---|---|")
    for n, widths, act in [(2, [4, 4], nn.ReLU), (2, [3, 3], nn.Hardtanh), (3, [5, 4], nn.ReLU)]:
        net = mlp(n, widths, seed=1, act=act)
        t = time.perf_counter()
        regs = linear_regions(net, [-2] * n, [2] * n)
        to = time.perf_counter() - t
        t = time.perf_counter()
        count, blps = brute(net, [-2] * n, [2] * n, regs.min_radius)
        tb = time.perf_counter() - t
        assert count == len(regs), (count, len(regs))
        print(
            f"| {n}-D | {'-'.join(map(str, widths))} | {act.__name__} | {len(regs)} | {blps} | "
            f"{to:.3f} | {tb:.2f} |"
        )


def scaling_table(args) -> None:
    print("\n## Scaling (ReLU, box [-2, 2]^n, default init, seed 0) and the grid estimate")
    print(
        "| input | widths | regions | LPs | s | regions/s | grid pts | grid regions | "
        "grid s | exact max ρ | grid max ρ |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    if args.quick:
        scal = [(2, [8, 8]), (2, [32]), (3, [16, 16]), (4, [8, 8]), (6, [8, 8])]
    else:
        scal = [
            (2, [8, 8]),
            (2, [16, 16]),
            (2, [32, 32]),
            (2, [64]),
            (2, [64, 64]),
            (2, [16, 16, 16]),
            (3, [16, 16]),
            (4, [16, 16]),
            (4, [32]),
            (6, [8, 8]),
            (6, [16]),
            (6, [16, 16]),
        ]
    for n, widths in scal:
        net = mlp(n, widths, seed=0)
        low, high = [-2.0] * n, [2.0] * n
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a budget stop is printed below
            regs = linear_regions(net, low, high, time_limit=None if args.quick else 300)
        res = 600 if n == 2 else (80 if n == 3 else 400)  # 360k, 512k, 160k points
        gcount, grho, gt, gpts = grid_estimate(net, low, high, res)
        erho = exact_max_rho(regs)
        assert erho >= grho - 1e-9
        flag = " (partial)" if regs.partial else ""
        print(
            f"| {n}-D | {'-'.join(map(str, widths))} | {len(regs)}{flag} | {regs.lps} | "
            f"{regs.seconds:.2f} | {regs.regions_per_second:.0f} | {gpts} | {gcount} | "
            f"{gt:.2f} | {erho:.6f} | {grho:.6f} |"
        )


if __name__ == "__main__":
    main()
