"""The flossing study's table from its store (``benchmarks/recipes/flossing.yaml``).

    python benchmarks/recipes/floss_table.py runs/flossing [--learned 0.95]

Per (model, arm, delay D): the fraction of seeds that learn the delayed XOR (test accuracy >=
``--learned``; chance is 50 %), the mean test accuracy, the median log10 condition number of the
long-term Jacobian ∂h_T/∂h_0 over the task's T = D + 1 steps at the start of training (after
any pre-training flossing) and at the end, from the recorded full Lyapunov spectrum:
log10 κ ≈ T (λ_1 − λ_n) / ln 10, and the mean wall time of a job (one thread, seconds).
Arms: "plain" (no flossing), "before" (flossing-only steps before training), "before+during"
(and the exponent loss every ``every`` batches), after Engelken 2023.
"""

from __future__ import annotations

import argparse
import json
import math

import numpy as np

from neurodyn import sweep


def _arm(floss) -> str:
    if not floss:
        return "plain"
    return "before+during" if floss.get("every") else "before"


def _log10_kappa(spectrum, steps: int) -> float:
    s = np.asarray(spectrum, float)
    return float(steps * (s[0] - s[-1]) / math.log(10.0))


def table(store: str, learned: float = 0.95) -> str:
    df = sweep.read(store, spectrum_length=None)
    df = df[df["status"] == "ok"]
    cells: dict[tuple, dict] = {}
    for _, g in df.groupby("config_hash"):
        g = g.sort_values("epoch")
        cfg = json.loads(g.iloc[-1]["config"])
        delay = int(cfg["task"].split("-")[1])
        key = (cfg["model"], _arm(cfg.get("floss")), delay)
        c = cells.setdefault(key, {"acc": [], "k0": [], "k1": [], "sec": []})
        c["acc"].append(float(g.iloc[-1]["test_acc"]))
        c["k0"].append(_log10_kappa(g.iloc[0]["spectrum"], delay + 1))
        c["k1"].append(_log10_kappa(g.iloc[-1]["spectrum"], delay + 1))
        c["sec"].append(float(g.iloc[-1]["seconds"]))
    lines = [
        f"| model | arm | D | learned (acc ≥ {learned:.0%}) | test acc % | "
        "log10 κ start | log10 κ end | s / job |",
        "|---|---|---|---|---|---|---|---|",
    ]
    arms = ("plain", "before", "before+during")
    for model, arm, delay in sorted(cells, key=lambda k: (k[0] != "rnn", arms.index(k[1]), k[2])):
        c = cells[(model, arm, delay)]
        acc = np.asarray(c["acc"])
        name = {"rnn": "tanh RNN (nn.RNN)", "lstm": "nn.LSTM"}.get(model, model)
        lines.append(
            f"| {name} | {arm} | {delay} | {int((acc >= learned).sum())}/{acc.size} | "
            f"{100 * acc.mean():.1f} ± {100 * acc.std(ddof=1) if acc.size > 1 else 0:.1f} | "
            f"{np.median(c['k0']):.1f} | {np.median(c['k1']):.1f} | {np.mean(c['sec']):.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("store")
    ap.add_argument("--learned", type=float, default=0.95)
    a = ap.parse_args()
    print(table(a.store, a.learned))


if __name__ == "__main__":
    main()
