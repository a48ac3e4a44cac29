"""The tuning sweep's table: one row per (task, model, knob), best first within a (task, model).

    neurodyn sweep benchmarks/recipes/tune.yaml --out runs/tune --workers 2
    python benchmarks/recipes/table.py runs/tune

Prints, per task and model, each tried value of the model's knob (lr, or the time-scale
parameter dt / eps in model_options) with its validation metric at the last epoch, the test
metric and the job's wall time; the value with the best validation metric is marked (*), which
is what neurodyn.train.MODEL_RECIPES records. ``--compact``: one row per model, one column
per task (the docs/train.md table).
"""

from __future__ import annotations

import json
import sys

from neurodyn import sweep


def _best(cands: list[tuple]):
    """The candidate ``(val, is_mse, name, value, ...)`` with the best validation metric; a tie
    goes to the larger value (a larger step covers the same horizon in fewer steps)."""

    def key(c):
        order = c[3] if isinstance(c[3], int | float) else 0
        return (-c[0] if c[1] else c[0], order)

    return max(cands, key=key)


_ORDER = ("digits", "mnist5k-t98", "adding-100")


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
    for task, model in dict.fromkeys((r["task"], r["model"]) for r in rows):
        group = [r for r in rows if (r["task"], r["model"]) == (task, model)]
        pick = _best([(r["val"], r["metric"] == "mse", "", r["knob"], r) for r in group])
        best = pick[4]
        for r in group:
            mark = " *" if r is best else ""
            fmt = "{:.4f}" if r["metric"] == "mse" else "{:.1%}"
            print(
                f"| {task} | {model} | {r['knob']}{mark} | {fmt.format(r['val'])} | "
                f"{fmt.format(r['test'])} | {r['lambda_max']:+.3f} | {r['seconds']:.0f} |"
            )


def compact(store: str) -> None:
    """One row per model, one column per task: the chosen value and its test metric, then the
    other values tried with theirs (the docs/train.md table)."""
    df = sweep.read(store)
    df = df[df["status"] == "ok"]
    last = df.sort_values("epoch").groupby("config_hash").tail(1)
    cells: dict = {}
    for _, r in last.iterrows():
        cfg = json.loads(r["config"])
        knob = cfg.get("model_options") or {"lr": cfg.get("lr")}
        reg = r["val_mse"] == r["val_mse"] and r["val_mse"] is not None
        val = float(r["val_mse"] if reg else r["val_acc"])
        test = float(r["test_mse"] if reg else r["test_acc"])
        text = f"{test:.4f}" if reg else f"{100 * test:.1f}"
        ((k, v),) = knob.items()
        cells.setdefault((cfg["model"], cfg["task"]), []).append((val, reg, k, v, text))
    tasks = sorted(dict.fromkeys(t for _, t in cells), key=lambda t: (t not in _ORDER,
                   _ORDER.index(t) if t in _ORDER else 0, t))  # fmt: skip
    from neurodyn.train import MODELS

    models = [m for m in MODELS if any(k[0] == m for k in cells)]
    print("| model | knob | " + " | ".join(tasks) + " |")
    print("|---|---|" + "---|" * len(tasks))
    for m in models:
        row, name = [], ""
        for t in tasks:
            got = cells.get((m, t), [])
            if not got:
                row.append("—")
                continue
            best = _best(got)
            name = best[2]
            others = ", ".join(f"{c[3]:g}: {c[4]}" for c in sorted(got, key=lambda c: c[3])
                               if c is not best)  # fmt: skip
            row.append(f"**{best[3]:g}: {best[4]}** ({others})")
        print(f"| {m} | {name} | " + " | ".join(row) + " |")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--compact"]
    (compact if "--compact" in sys.argv else main)(args[0] if args else "runs/tune")
