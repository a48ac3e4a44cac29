"""Kozachkov et al. 2022 Tables S2-S3 at this scale, from the scn_sizes store.

    python benchmarks/recipes/scn_table.py runs/scn_sizes

Per network (modules × module size): validation accuracy after epoch 1 and test accuracy of
the kept model, mean ± sd over seeds (n), epochs run.
"""

from __future__ import annotations

import json
import sys

import numpy as np

from neurodyn import sweep


def _ms(v) -> str:
    v = 100 * np.asarray(v, float)
    return f"{v.mean():.1f} ± {v.std(ddof=1):.1f}" if v.size > 1 else f"{v.mean():.1f}"


def main(store: str) -> None:
    df = sweep.read(store, spectrum_length=None)
    df = df[df["status"] == "ok"]
    groups: dict = {}
    for _, g in df.groupby("config_hash"):
        cfg = json.loads(g["config"].iloc[0])
        block = (cfg.get("model_options") or {}).get("block_size", 8)
        key = (cfg["hidden_size"] // block, block)
        g = g.sort_values("epoch")
        e1 = g[g["epoch"] == 1]["val_acc"]
        groups.setdefault(key, []).append(
            (float(e1.iloc[0]) if len(e1) else np.nan, float(g["test_acc"].iloc[-1]),
             int(g["epoch"].iloc[-1]))
        )  # fmt: skip
    print("| modules × size | units | epoch-1 val acc % | final test acc % | n | epochs |")
    print("|---|---|---|---|---|---|")
    for (m, b), v in sorted(groups.items(), key=lambda kv: (kv[0][1] != 8, kv[0][0] * kv[0][1],
                                                             kv[0][0])):  # fmt: skip
        print(
            f"| {m} × {b} | {m * b} | {_ms([x[0] for x in v])} | {_ms([x[1] for x in v])} | "
            f"{len(v)} | {np.mean([x[2] for x in v]):.0f} |"
        )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "runs/scn_sizes")
