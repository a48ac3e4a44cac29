"""The tuning sweep's table: one row per (task, model, knob), best first within a (task, model).

    python benchmarks/recipes/table.py runs/tune          # after: neurodyn sweep benchmarks/recipes/tune.yaml --out runs/tune

Prints, per task and model, each tried value of the model's knob (lr, or the time-scale
parameter dt / eps in model_options) with its validation metric at the last epoch, the test
metric and the job's wall time; the value with the best validation metric is marked (*), which
is what neurodyn.train.RECIPES records.
"""

from __future__ import annotations

import json
import sys

from neurodyn import sweep


def main(store: str) -> None:
    df = sweep.read(store)
    df = df[df["status"] == "ok"]
    last = df.sort_values("epoch").groupby("config_hash").tail(1)
    rows = []
    for _, r in last.iterrows():
        cfg = json.loads(r["config"])
        knob = cfg.get("model_options") or {"lr": cfg.get("lr")}
        reg = r["val_mse"] == r["val_mse"] and r["val_mse"] is not None
        rows.append({
            "task": cfg["task"], "model": cfg["model"],
            "knob": ", ".join(f"{k}={v}" for k, v in knob.items()),
            "val": float(r["val_mse"] if reg else r["val_acc"]),
            "test": float(r["test_mse"] if reg else r["test_acc"]),
            "metric": "mse" if reg else "acc", "seconds": float(r["seconds"]),
            "lambda_max": float(r["lambda_max"]),
        })  # fmt: skip
    rows.sort(key=lambda r: (r["task"], r["model"]))
    print("| task | model | knob | val | test | λ₁ | wall s |")
    print("|---|---|---|---|---|---|---|")
    for (task, model) in dict.fromkeys((r["task"], r["model"]) for r in rows):
        group = [r for r in rows if (r["task"], r["model"]) == (task, model)]
        best = (min if group[0]["metric"] == "mse" else max)(group, key=lambda r: r["val"])
        for r in group:
            mark = " *" if r is best else ""
            fmt = "{:.4f}" if r["metric"] == "mse" else "{:.1%}"
            print(f"| {task} | {model} | {r['knob']}{mark} | {fmt.format(r['val'])} | "
                  f"{fmt.format(r['test'])} | {r['lambda_max']:+.3f} | {r['seconds']:.0f} |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "runs/tune")
