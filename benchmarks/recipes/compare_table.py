"""Tables (and a figure) from a comparison store: mean ± sd over seeds per budget × task × model.

    python benchmarks/recipes/compare_table.py runs/compare [--figure compare.png]

Per (parameter budget, task, model): the test metric (accuracy %, or MSE for the adding
problem: the trivial predictor's MSE is 1/6 ≈ 0.167), mean ± sample sd over the seeds present
(n), the mean wall time of a job (seconds, one thread), the fraction of seeds whose final
certificate holds and its kind, and λ₁ (the largest Lyapunov exponent of the kept model, nats per
step). Rows of unfinished jobs are simply absent: n says how many seeds each cell has.
"""

from __future__ import annotations

import argparse
import json
import math

import numpy as np

from neurodyn import sweep


def _rows(store: str) -> list[dict]:
    df = sweep.read(store, spectrum_length=None)
    df = df[df["status"] == "ok"]
    last = df.sort_values("epoch").groupby("config_hash").tail(1)
    out = []
    for _, r in last.iterrows():
        cfg = json.loads(r["config"])
        reg = r.get("test_mse") is not None and r["test_mse"] == r["test_mse"]
        used = json.loads(r["trained_with"]) if r.get("trained_with") else {}
        out.append({
            "budget": (f"~{cfg['params']} parameters" if cfg.get("params")
                       else f"hidden {cfg.get('hidden_size')}"), "task": cfg["task"],
            "model": cfg["model"] + "".join(
                f" {k}={v}" for k, v in sorted((cfg.get("model_options") or {}).items())),
            "seed": cfg["seed"], "reg": bool(reg),
            "test": float(r["test_mse"] if reg else r["test_acc"]),
            "seconds": float(r["seconds"]), "lambda_max": float(r["lambda_max"]),
            "cert": r.get("cert_holds"), "cert_kind": r.get("cert_kind"),
            "parameters": (used.get("model") or {}).get("parameters"),
            "epochs": int(r["epoch"]),
        })  # fmt: skip
    return out


def _ordered(group: list[dict]) -> list[str]:
    """The model labels of ``group`` in neurodyn.train.MODELS order (variants after their base)."""
    from neurodyn.train import MODELS

    names = list(MODELS)
    labels = list(dict.fromkeys(r["model"] for r in group))
    base = {label: label.split(" ")[0] for label in labels}
    return sorted(labels, key=lambda m: (names.index(base[m]) if base[m] in names else 99, m))


def _ms(v: list[float], pct: bool) -> str:
    v = np.asarray(v, float)
    scale, fmt = (100.0, "{:.1f}") if pct else (1.0, "{:.4f}")
    sd = v.std(ddof=1) * scale if v.size > 1 else math.nan
    return (
        f"{fmt.format(v.mean() * scale)} ± {fmt.format(sd)}"
        if v.size > 1
        else fmt.format(v.mean() * scale)
    )


def table(rows: list[dict]) -> str:
    keys = list(dict.fromkeys((r["budget"], r["task"]) for r in rows))
    lines = []
    for budget, task in keys:
        group = [r for r in rows if (r["budget"], r["task"]) == (budget, task)]
        reg = group[0]["reg"]
        lines += ["", f"**{task}, {budget}** "
                      f"({'test MSE, 1/6 = trivial' if reg else 'test accuracy %'})", "",
                  "| model | params | test | n | epochs | wall s | cert. holds | λ₁ |",
                  "|---|---|---|---|---|---|---|---|"]  # fmt: skip
        for model in _ordered(group):
            g = [r for r in group if r["model"] == model]
            certs = [r["cert"] for r in g if r["cert"] is not None and r["cert"] == r["cert"]]
            kinds = sorted({str(r["cert_kind"]) for r in g if r["cert_kind"]})
            cert = f"{sum(map(bool, certs))}/{len(certs)} {'/'.join(kinds)}" if certs else "—"
            lines.append(
                f"| {model} | {g[0]['parameters']} | {_ms([r['test'] for r in g], not reg)} | "
                f"{len(g)} | {np.mean([r['epochs'] for r in g]):.0f} | "
                f"{np.mean([r['seconds'] for r in g]):.0f} | {cert} | "
                f"{np.mean([r['lambda_max'] for r in g]):+.3f} |"
            )
    return "\n".join(lines)


def figure(rows: list[dict], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = list(dict.fromkeys((r["budget"], r["task"]) for r in rows))
    fig, axes = plt.subplots(1, len(keys), figsize=(4.2 * len(keys), 4), squeeze=False)
    for ax, (budget, task) in zip(axes[0], keys, strict=True):
        group = [r for r in rows if (r["budget"], r["task"]) == (budget, task)]
        models = _ordered(group)
        for i, m in enumerate(models):
            v = [r["test"] for r in group if r["model"] == m]
            ax.scatter([i] * len(v), v, s=12, color="0.5")
            ax.errorbar(i, np.mean(v), yerr=np.std(v, ddof=1) if len(v) > 1 else 0, fmt="o",
                        color="C0", capsize=3)  # fmt: skip
        ax.set_xticks(range(len(models)), _short(models), rotation=60, ha="right", fontsize=8)
        ax.set_title(f"{task}, {budget}", fontsize=10)
        ax.set_ylabel("test MSE (1/6 = trivial)" if group[0]["reg"] else "test accuracy")
        if group[0]["reg"]:
            ax.axhline(1 / 6, color="C3", lw=0.8, ls="--")
            ax.set_yscale("log")
    fig.tight_layout()
    fig.savefig(path, dpi=120, bbox_inches="tight")


def _short(labels: list[str]) -> list[str]:
    """Tick labels without the options every label of the panel shares (the panel's setting)."""
    parts = [label.split(" ") for label in labels]
    common = set.intersection(*(set(p[1:]) for p in parts)) if parts else set()
    return [" ".join([p[0], *(o for o in p[1:] if o not in common)]) for p in parts]


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("store")
    ap.add_argument("--figure", default=None)
    a = ap.parse_args()
    rows = _rows(a.store)
    print(table(rows))
    if a.figure:
        figure(rows, a.figure)
