"""The flossing study's table from its store (``benchmarks/recipes/flossing.yaml``).

    python benchmarks/recipes/floss_table.py runs/flossing [--learned 0.95]

Per (model, arm, delay D): the fraction of seeds that learn the delayed XOR (test accuracy >=
``--learned``; chance is 50 %), the mean test accuracy, and, from the recorded full Lyapunov
spectrum over the task's T = D + 1 steps, medians over seeds at the start of training (after any
pre-training flossing) → at the end, of the long-term Jacobian ∂h_T/∂h_0's singular values
σ_i ≈ exp(T λ_i): log10 σ_1 = T λ_1 / ln 10 (how far the best-kept direction shrinks: the scale
of the gradient that reaches step 0), log10 κ_k = T (λ_1 − λ_k) / ln 10 over the k flossed
directions (``--k``, 16 in the study), and the full log10 κ_n = T (λ_1 − λ_n) / ln 10 at the end;
and the mean wall time of a job (one thread, seconds).
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


def _log10(spectrum, steps: int, k: int | None) -> tuple[float, float, float]:
    """(log10 σ_1, log10 κ_k, log10 κ_n) of the T-step Jacobian from its exponents."""
    s = np.asarray(spectrum, float) * steps / math.log(10.0)
    return float(s[0]), float(s[0] - s[min(k, s.size) - 1]), float(s[0] - s[-1])


def table(store: str, learned: float = 0.95, k: int = 16) -> str:
    df = sweep.read(store, spectrum_length=None)
    df = df[df["status"] == "ok"]
    cells: dict[tuple, dict] = {}
    for _, g in df.groupby("config_hash"):
        g = g.sort_values("epoch")
        cfg = json.loads(g.iloc[-1]["config"])
        delay = int(cfg["task"].split("-")[1])
        key = (cfg["model"], _arm(cfg.get("floss")), delay)
        c = cells.setdefault(key, {"acc": [], "start": [], "end": [], "sec": []})
        c["acc"].append(float(g.iloc[-1]["test_acc"]))
        c["start"].append(_log10(g.iloc[0]["spectrum"], delay + 1, k))
        c["end"].append(_log10(g.iloc[-1]["spectrum"], delay + 1, k))
        c["sec"].append(float(g.iloc[-1]["seconds"]))
    lines = [
        f"| model | arm | D | learned (acc ≥ {learned:.0%}) | test acc % | log10 σ₁ start → end "
        f"| log10 κ_{k} start → end | log10 κ_n end | s / job |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    arms = ("plain", "before", "before+during")
    for model, arm, delay in sorted(cells, key=lambda k: (k[0] != "rnn", arms.index(k[1]), k[2])):
        c = cells[(model, arm, delay)]
        acc = np.asarray(c["acc"])
        a, b = np.median(c["start"], axis=0), np.median(c["end"], axis=0)
        name = {"rnn": "tanh RNN (nn.RNN)", "lstm": "nn.LSTM"}.get(model, model)
        lines.append(
            f"| {name} | {arm} | {delay} | {int((acc >= learned).sum())}/{acc.size} | "
            f"{100 * acc.mean():.1f} ± {100 * acc.std(ddof=1) if acc.size > 1 else 0:.1f} | "
            f"{a[0]:.1f} → {b[0]:.1f} | {a[1]:.1f} → {b[1]:.1f} | {b[2]:.0f} | "
            f"{np.mean(c['sec']):.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("store")
    ap.add_argument("--learned", type=float, default=0.95)
    ap.add_argument("--k", type=int, default=16, help="the flossed directions, for κ_k")
    a = ap.parse_args()
    print(table(a.store, a.learned, a.k))


if __name__ == "__main__":
    main()
