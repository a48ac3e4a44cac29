"""Vogt, dissertation, §3.4.1 and Table B2 at this machine's scale: do the Lyapunov spectra of
FORCE-trained rank-1 RNNs predict which of them reproduce their target?

For each g ∈ {1.1, 1.2, …, 2.0} and connectivity seed s: ``neurodyn.train.force`` trains the
read-out on ``four_sine(s)`` (15 epochs of 1200 steps at dt 0.1) and records the free-running
MAE; the closed loop's full Lyapunov spectrum (``as_map(result.closed_loop)``) is taken over
10 sequences × 200 steps after 50 warm-up steps, from the state training ended in plus 1e-3
noise. Then 5 random 80/20 splits of the networks: F1 of the "low-error" class (MAE below the
training median) for AeLLE's PC1-median classifier against the median classifiers on the mean
LE, the max LE and PC1 of the raw spectra (``neurodyn.aelle.compare_classifiers``).

The dissertation: N = 512, 120 seeds per g (1,200 networks); F1 AeLLE 0.724, mean LE 0.705,
max LE 0.504, LE PC1 0.703. Here N and the seeds are options (defaults N = 128, 30 seeds: 300
networks, a few minutes on 2 cores). Results are cached per network in ``--out`` (rerun to
continue).

    python benchmarks/force_study.py --out runs/force [--N 128] [--seeds 30] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

GAINS = tuple(round(1.1 + 0.1 * i, 1) for i in range(10))


def one(job: tuple[float, int, int]) -> dict:
    import torch

    torch.set_num_threads(1)
    import neurodyn
    from neurodyn.lyapunov import lyapunov_spectrum
    from neurodyn.train import force, four_sine

    g, seed, N = job
    res = force(four_sine(seed), N=N, g=g, epochs=15, seed=seed)
    fmap = neurodyn.as_map(res.closed_loop)
    rng = np.random.default_rng(seed)
    h0 = torch.as_tensor(res.x_end[None] + 1e-3 * rng.standard_normal((10, N)))
    x = torch.zeros(10, 250, 1, dtype=torch.float64)
    with torch.no_grad():
        spec = lyapunov_spectrum(fmap, x, h0, warmup=50, q0="random")
    return {"g": g, "seed": seed, "N": N, "mae": res.mae,
            "train_mae": float(res.train_mae[-1]),
            "spectrum": [float(v) for v in spec.exponents.tolist()]}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--N", type=int, default=128)
    ap.add_argument("--seeds", type=int, default=30)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--splits", type=int, default=5)
    a = ap.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    cache = out / "networks.jsonl"
    done = {}
    if cache.exists():
        for line in cache.read_text().splitlines():
            r = json.loads(line)
            done[(r["g"], r["seed"], r["N"])] = r
    jobs = [(g, s, a.N) for g in GAINS for s in range(a.seeds) if (g, s, a.N) not in done]
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    with ProcessPoolExecutor(a.workers) as pool, cache.open("a") as fh:
        for r in pool.map(one, jobs):
            fh.write(json.dumps(r) + "\n")
            fh.flush()
            done[(r["g"], r["seed"], r["N"])] = r
    rows = [r for r in done.values() if r["N"] == a.N and r["seed"] < a.seeds]
    analyse(rows, a.splits)


def analyse(rows: list[dict], splits: int) -> None:
    from neurodyn.aelle import compare_classifiers

    X = np.asarray([r["spectrum"] for r in rows])
    mae = np.asarray([r["mae"] for r in rows])
    gs = np.asarray([r["g"] for r in rows])
    print(f"{len(rows)} networks, N = {rows[0]['N']}, {X.shape[1]} exponents each")
    print("\n| g | n | median MAE | fraction MAE < 0.05 | mean λ₁ | mean of mean LE |")
    print("|---|---|---|---|---|---|")
    for g in GAINS:
        m = gs == g
        if m.any():
            print(f"| {g} | {m.sum()} | {np.median(mae[m]):.3f} | {(mae[m] < 0.05).mean():.2f} | "
                  f"{X[m, 0].mean():+.3f} | {X[m].mean():+.3f} |")  # fmt: skip
    y = -mae  # higher is better: low error
    scores: dict[str, list[float]] = {}
    rng = np.random.default_rng(0)
    for s in range(splits):
        idx = rng.permutation(len(rows))
        cut = int(0.8 * len(rows))
        tr, te = idx[:cut], idx[cut:]
        res = compare_classifiers(X[tr], y[tr], X[te], y[te], random_state=s)
        for name, v in res.items():
            scores.setdefault(name, []).append(v["f1"])
    paper = {"AeLLE PC1 median": 0.724, "Mean LE": 0.705, "Max LE": 0.504, "LE PC1": 0.703}
    print(
        f"\n| classifier (low-error class: MAE < training median) | F1, {splits} splits | "
        "dissertation (Table B2) |"
    )
    print("|---|---|---|")
    for name, v in scores.items():
        ref = paper.get(name)
        print(
            f"| {name} | {np.mean(v):.3f} ± {np.std(v, ddof=1):.3f} | "
            f"{'' if ref is None else f'{ref:.3f}'} |"
        )


if __name__ == "__main__":
    main()
