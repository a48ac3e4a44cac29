"""Seconds per training epoch (forward + backward + Adam step) of each model against ``nn.LSTM``.

The task is ``neurodyn.data.load("digits-permuted", "train")`` (1,258 sequences, T = 64, one
feature) in batches of 64, every model built by ``neurodyn.train.build_model(name, 1, 10,
hidden_size=H)`` (the same classifiers the trainer trains), float32, CPU, one thread. One epoch
is the plain loop ``loss = cross_entropy(model(x), y); loss.backward(); adam.step()`` over the
shuffled batches (the same order for every model). Each repeat runs every model once, in an
order rotated per repeat (interleaved); medians over repeats and the ratio to ``nn.LSTM`` (the
issue's goal: ≤ 1.5×) are printed. ``--pixels`` adds random T = 784 sequences (sequential-MNIST
length) for a few batches.

    python benchmarks/bench_train_epoch.py                  # hidden 64 and 128, 5 repeats
    python benchmarks/bench_train_epoch.py --quick          # hidden 64, 4 batches, 3 repeats
    python benchmarks/bench_train_epoch.py --pixels         # also T = 784, 4 batches
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import torch
import torch.nn.functional as F

from neurodyn.data import load
from neurodyn.train import build_model

#: (label, model name, options) in the order they are printed
MODELS = [
    ("nn.LSTM", "lstm", {}),
    ("nn.GRU", "gru", {}),
    ("nn.RNN", "rnn", {}),
    ("AntisymmetricRNN", "antisymmetric", {}),
    ("CoRNN", "cornn", {}),
    ("LEM", "lem", {}),
    ("LipschitzRNN", "lipschitz", {}),
    ("NoisyRNN", "noisy", {}),
    ("CTRNN euler", "ctrnn", {}),
    ("CTRNN rk4", "ctrnn", {"method": "rk4"}),
    ("SCN sparse", "scn", {}),
    ("SCN svd", "scn-svd", {}),
]


def epoch(model, opt, batches) -> float:
    """One training epoch over ``batches`` [(x (B, T, F), y (B,))]; returns the seconds."""
    model.train()
    t0 = time.perf_counter()
    for x, y in batches:
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    return time.perf_counter() - t0


def run(hidden: int, batches, reps: int, only: list[str] | None) -> dict[str, float]:
    chosen = [m for m in MODELS if only is None or m[0] in only or m[0] == "nn.LSTM"]
    models, opts = {}, {}
    for label, name, options in chosen:
        models[label] = build_model(name, 1, 10, hidden_size=hidden, seed=0, **options)
        opts[label] = torch.optim.Adam(models[label].parameters(), lr=1e-3)
    names = list(models)
    cold = {k: epoch(models[k], opts[k], batches[:1]) for k in names}  # warm-up: first batch
    times: dict[str, list[float]] = {k: [] for k in names}
    for r in range(reps):
        for k in names[r % len(names) :] + names[: r % len(names)]:
            times[k].append(epoch(models[k], opts[k], batches))
    med = {k: statistics.median(v) for k, v in times.items()}
    base = med["nn.LSTM"]
    print(f"{'model':18s} {'s/epoch':>9s} {'/LSTM':>7s} {'first batch s':>14s}")
    for k in names:
        print(f"{k:18s} {med[k]:9.4f} {med[k] / base:7.2f} {cold[k]:14.4f}")
    print()
    return {k: med[k] / base for k in names}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="hidden 64, 4 batches, 3 repeats")
    ap.add_argument("--pixels", action="store_true", help="also T = 784 random sequences")
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--hidden", type=int, nargs="*", default=None)
    ap.add_argument("--only", nargs="*", default=None, help="model labels (nn.LSTM always runs)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    reps = args.repeats or (3 if args.quick else 5)
    hiddens = args.hidden or ([64] if args.quick else [64, 128])
    ds = load("digits-permuted", "train", seed=0)
    g = torch.Generator().manual_seed(0)
    perm = torch.randperm(len(ds.y), generator=g)
    bs = 64
    batches = [(ds.x[perm[i : i + bs]], ds.y[perm[i : i + bs]]) for i in range(0, len(perm), bs)]
    if args.quick:
        batches = batches[:4]
    print(f"torch {torch.__version__}, {platform.processor() or platform.machine()}, 1 thread")
    print(f"digits-permuted: {len(batches)} batches of {bs}, T = {ds.seq_len}, F = 1, float32")
    print(f"{reps} repeats, interleaved; medians; 'first batch' = the cold first step\n")
    for H in hiddens:
        print(f"hidden {H}")
        run(H, batches, reps, args.only)
    if args.pixels:
        xp = torch.rand(4, bs, 784, 1, generator=g)
        yp = torch.randint(0, 10, (4, bs), generator=g)
        print("T = 784 (random pixels), hidden 128, 4 batches")
        run(128, list(zip(xp, yp, strict=True)), max(1, reps // 2), args.only)


if __name__ == "__main__":
    main()
