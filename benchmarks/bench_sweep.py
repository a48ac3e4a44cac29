"""Sweep of N identical small jobs: sequential (what a user would write: one job after another in
one process) vs the local process pool (2 workers) vs Ray (2 CPUs), on this 2-core machine.

Each job is a tiny training (a 1-layer GRU of width 16 on 64 random sequences of length 20,
Adam, ``torch.set_num_threads(1)``): ~1 s of CPU. Reported per backend: wall time (median of
interleaved repeats, each into a fresh store), speed-up over sequential (goal ≥ 1.7×), and the
per-job overhead ``(wall · workers − Σ job seconds) / N`` — what the backend adds to each job
(worker start, imports, transfer, the driver's Parquet write). Ray is initialised once before
the repeats (as on a running cluster; ``run`` then leaves it up) and its init time printed.

    .venv/bin/python benchmarks/bench_sweep.py [--quick] [--no-ray]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(HERE), *filter(None, [os.environ.get("PYTHONPATH")])]
)


def tiny_train(config: dict) -> list[dict]:
    """The benchmark's job: ``config["steps"]`` Adam steps of a GRU classifier."""
    import torch

    torch.manual_seed(int(config["seed"]))
    x, y = torch.randn(64, 20, 4), torch.randint(0, 3, (64,))
    rnn, head = torch.nn.GRU(4, 16, batch_first=True), torch.nn.Linear(16, 3)
    opt = torch.optim.Adam([*rnn.parameters(), *head.parameters()], lr=1e-2)
    for _ in range(int(config["steps"])):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(head(rnn(x)[0][:, -1]), y)
        loss.backward()
        opt.step()
    return [{"loss": loss.item()}]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="6 jobs, 1 repeat")
    ap.add_argument("--no-ray", action="store_true", help="skip Ray even when installed")
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--steps", type=int, default=400, help="training steps per job (~1 s)")
    args = ap.parse_args()
    import torch

    from neurodyn import sweep

    torch.set_num_threads(1)
    n = args.jobs or (6 if args.quick else 16)
    reps = 1 if args.quick else 3
    backends = ["sequential", "local"]
    if not args.no_ray:
        try:
            import ray

            t0 = time.perf_counter()
            ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
            print(
                f"ray.init(num_cpus=2): {time.perf_counter() - t0:.1f} s (once, not in the walls)"
            )
            backends.append("ray")
        except ImportError:
            print("ray not installed: skipping the Ray backend (pip install 'neurodyn[ray]')")
    cfg = {"job": "bench_sweep:tiny_train", "steps": args.steps, "seeds": list(range(n))}
    walls: dict[str, list[float]] = {b: [] for b in backends}
    work: dict[str, list[float]] = {b: [] for b in backends}
    for _ in range(reps):
        for b in backends:
            with tempfile.TemporaryDirectory() as out:
                t0 = time.perf_counter()
                s = sweep.run(cfg, out, backend=b, workers=2, progress=False)
                walls[b].append(time.perf_counter() - t0)
                assert s.ok == n, s.failures
                work[b].append(float(sweep.read(out)["seconds"].sum()))
    print(
        f"{n} jobs of ~{statistics.median(work['sequential']) / n:.2f} s, {reps} repeat(s), "
        "measured under load"
    )
    print("median of the repeats; 'first' is the first repeat (the pool's forkserver starts")
    print("then: one import of torch + neurodyn; Ray's first repeat starts its workers)")
    print("speed-up: median over repeats of sequential / backend within one repeat (the load")
    print("changes between repeats); 'first s' is the first repeat's wall")
    head = f"{'backend':<12}{'wall s':>9}{'speed-up':>10}{'overhead/job s':>16}{'first s':>9}"
    print(head)
    for b in backends:
        wall, w = statistics.median(walls[b]), statistics.median(work[b])
        ratio = statistics.median(a / c for a, c in zip(walls["sequential"], walls[b], strict=True))
        k = 1 if b == "sequential" else 2
        over = (wall * k - w) / n
        print(f"{b:<12}{wall:>9.2f}{ratio:>9.2f}x{over:>16.3f}{walls[b][0]:>9.2f}")


if __name__ == "__main__":
    main()
