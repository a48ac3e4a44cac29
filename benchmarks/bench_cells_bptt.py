"""Hand-written BPTT (``neurodyn.nn._cells._bptt``) against autograd of the cell loop and nn.LSTM.

Seconds per training epoch (forward + backward + Adam; ``batches`` batches of 64 sequences of
length T, one input feature, 10 classes, float32, CPU, one thread). Each model is built by
``neurodyn.train.build_model`` at the given hidden size; ``<cell> autograd`` is the same cell
with the hand-written BPTT switched off (``fast_path`` patched to False in the cell's module),
i.e. what main ran before. All models run interleaved (order rotated per repeat); medians and
ratios to ``nn.LSTM`` (and to the autograd loop) are printed. Random inputs: only time matters.

    python benchmarks/bench_cells_bptt.py                       # H = 64, 128, 256; T = 64
    python benchmarks/bench_cells_bptt.py --hidden 64 --seq-len 784 --batches 3
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import statistics
import time

import torch
import torch.nn.functional as F

from neurodyn.train import build_model

#: (label, model name, options, module whose fast_path switches the hand-written BPTT)
CELLS = [
    ("LEM", "lem", {}, "neurodyn.nn._cells._lem"),
    ("CoRNN", "cornn", {}, None),
    ("CTRNN euler", "ctrnn", {}, None),
    ("CTRNN rk4", "ctrnn", {"method": "rk4"}, "neurodyn.nn._cells._ctrnn"),
    ("Lipschitz", "lipschitz", {}, None),
]


@contextlib.contextmanager
def autograd_loop(module: str | None):
    if module is None:
        yield
        return
    mod = importlib.import_module(module)
    keep = mod.fast_path
    mod.fast_path = lambda *t: False
    try:
        yield
    finally:
        mod.fast_path = keep


def epoch(model, opt, batches, module=None, generic=False) -> float:
    model.train()
    with autograd_loop(module if generic else None):
        t0 = time.perf_counter()
        for x, y in batches:
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(x), y).backward()
            opt.step()
        return time.perf_counter() - t0


def run(hidden: int, T: int, n_batches: int, repeats: int) -> None:
    g = torch.Generator().manual_seed(0)
    batches = [(torch.randn(64, T, 1, generator=g), torch.randint(0, 10, (64,), generator=g))
               for _ in range(n_batches)]  # fmt: skip
    entries = {"nn.LSTM": (build_model("lstm", 1, 10, hidden_size=hidden, seed=0), None, False)}
    for label, name, options, module in CELLS:
        m = build_model(name, 1, 10, hidden_size=hidden, seed=0, **options)
        entries[label] = (m, module, False)
        if module is not None:
            m2 = build_model(name, 1, 10, hidden_size=hidden, seed=0, **options)
            entries[f"{label} autograd"] = (m2, module, True)
    opts = {k: torch.optim.Adam(m.parameters(), lr=1e-3) for k, (m, _, _) in entries.items()}
    for k, (m, mod, gen) in entries.items():  # warm-up
        epoch(m, opts[k], batches[:1], mod, gen)
    names, times = list(entries), {k: [] for k in entries}
    for r in range(repeats):
        for k in names[r % len(names) :] + names[: r % len(names)]:
            m, mod, gen = entries[k]
            times[k].append(epoch(m, opts[k], batches, mod, gen))
    med = {k: statistics.median(v) for k, v in times.items()}
    base = med["nn.LSTM"]
    print(f"\nhidden {hidden}, T = {T}, {n_batches} batches of 64, {repeats} repeats, medians")
    print(f"{'model':22s} {'s/epoch':>8s} {'/LSTM':>6s} {'autograd/this':>14s}")
    for k in names:
        ag = med.get(f"{k} autograd")
        rel = f"{ag / med[k]:13.2f}×" if ag is not None else ""
        print(f"{k:22s} {med[k]:8.3f} {med[k] / base:6.2f} {rel}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hidden", type=int, nargs="+", default=[64, 128, 256])
    ap.add_argument("--seq-len", type=int, default=64)
    ap.add_argument("--batches", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, 1 thread, float32, CPU")
    for h in args.hidden:
        run(h, args.seq_len, args.batches, args.repeats)


if __name__ == "__main__":
    main()
