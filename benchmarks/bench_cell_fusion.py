"""What each speed-up technique buys per cell: seconds per training epoch against ``nn.LSTM``.

Same task and epoch as ``bench_train_epoch.py`` (digits-permuted, 20 batches of 64, T = 64,
float32, CPU, one thread; forward + backward + Adam). For CoRNN, LEM and CTRNN (Euler, RK4)
each variant is one model, all of them and ``nn.LSTM`` run interleaved (order rotated per
repeat); medians and the ratio to ``nn.LSTM`` are printed. Variants:

* ``generic``: the base class's loop, ``_update`` (the Map's step) once per step on the full
  state — slices and a concatenation per step; for LEM and CTRNN this is the pre-fusion code.
* ``fused``: the cell's own ``_loop`` (the default forward): state kept in parts, the drive
  split once, 1/τ (CTRNN) folded into W and the drive once per sequence.
* ``compile`` (``--compile``): ``torch.compile`` of the fused step (``_parts``; CoRNN and
  LEM); its compile time, paid on the first batch, is printed separately.

TorchScript (``torch.jit.script`` of LEM's fused loop) was measured once by hand at about 3×
slower than the eager fused loop (the profiling executor's differentiable graphs) and is not
offered.

    python benchmarks/bench_cell_fusion.py                 # hidden 64, 3 repeats
    python benchmarks/bench_cell_fusion.py --compile       # also torch.compile (minutes)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import types
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from bench_train_epoch import epoch
from neurodyn.data import load
from neurodyn.nn import RecurrentCell
from neurodyn.train import build_model

CELLS = [
    ("CoRNN", "cornn", {}),
    ("LEM", "lem", {}),
    ("CTRNN euler", "ctrnn", {}),
    ("CTRNN rk4", "ctrnn", {"method": "rk4"}),
]


def variant(name: str, options: dict, hidden: int, how: str):
    model = build_model(name, 1, 10, hidden_size=hidden, seed=0, **options)
    body = model.body
    if how == "generic":
        body._loop = types.MethodType(RecurrentCell._loop, body)
    elif how == "compile":
        body._parts = torch.compile(body._parts, dynamic=False)
    return model


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batches", type=int, default=20)
    ap.add_argument("--compile", action="store_true", help="also torch.compile the fused step")
    args = ap.parse_args()
    torch.set_num_threads(1)
    ds = load("digits-permuted", "train", seed=0)
    perm = torch.randperm(len(ds.y), generator=torch.Generator().manual_seed(0))
    bs = 64
    batches = [(ds.x[perm[i : i + bs]], ds.y[perm[i : i + bs]]) for i in range(0, len(perm), bs)]
    batches = batches[: args.batches]
    models = {"nn.LSTM": build_model("lstm", 1, 10, hidden_size=args.hidden, seed=0)}
    for label, name, options in CELLS:
        hows = ["generic", "fused"]
        if args.compile and name in ("cornn", "lem"):
            hows.append("compile")
        for how in hows:
            models[f"{label} {how}"] = variant(name, options, args.hidden, how)
    opts = {k: torch.optim.Adam(m.parameters(), lr=1e-3) for k, m in models.items()}
    first = {}
    for k, m in models.items():  # warm-up (and compilation)
        t0 = time.perf_counter()
        epoch(m, opts[k], batches[:1])
        first[k] = time.perf_counter() - t0
    names, times = list(models), {k: [] for k in models}
    for r in range(args.repeats):
        for k in names[r % len(names) :] + names[: r % len(names)]:
            times[k].append(epoch(models[k], opts[k], batches))
    med = {k: statistics.median(v) for k, v in times.items()}
    base = med["nn.LSTM"]
    print(f"torch {torch.__version__}, 1 thread, hidden {args.hidden}, {len(batches)} batches")
    print(f"of {bs}, T = {ds.seq_len}; {args.repeats} repeats interleaved, medians\n")
    print(f"{'model':22s} {'s/epoch':>8s} {'/LSTM':>6s} {'vs generic':>10s} {'first batch s':>14s}")
    for k in names:
        gen = med.get(k.rsplit(" ", 1)[0] + " generic")
        rel = f"{gen / med[k]:9.2f}×" if gen is not None and k != "nn.LSTM" else f"{'':10s}"
        print(f"{k:22s} {med[k]:8.3f} {med[k] / base:6.2f} {rel} {first[k]:14.2f}")


if __name__ == "__main__":
    main()
