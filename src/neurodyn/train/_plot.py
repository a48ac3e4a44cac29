"""Training history as a rich table and as figures (loss, accuracy, LE spectrum over training).

The LE panels follow Vogt, dissertation, Ch. 2: the spectra over training coloured by epoch
(the spectra of Fig. 2.7a, one per epoch here), the largest and mean exponent against the epoch,
and the validation loss against λ_max with the points more opaque later in training (Fig. 2.8a).
"""

from __future__ import annotations

import math

__all__ = ["history_table", "plot_history", "plot_lyapunov_training"]


def _num(v, spec=".3f") -> str:
    if v is None:
        return "–"
    if isinstance(v, str):
        return v
    return format(float(v), spec) if math.isfinite(float(v)) else str(v)


def _cert(row: dict) -> str:
    if "cert_applicable" not in row:
        return ""
    if not row["cert_applicable"]:
        return "n/a"
    verdict = "holds" if row["cert_holds"] else "fails"
    return f"{verdict} ({row['cert_kind']}, {row['cert_name']})"


def _metric_key(history) -> str:
    """``"mse"`` for a regression history (``train_mse`` rows), else ``"acc"``."""
    return "mse" if any("train_mse" in r for r in history) else "acc"


def history_table(result, *, title: str | None = None):
    """A ``rich.table.Table`` with one line per epoch of ``result.history`` (accuracy columns,
    or MSE columns for a regression task)."""
    from rich.table import Table

    hist = result.history
    key = _metric_key(hist)
    has = {k: any(k in r for r in hist) for k in ("cert_applicable", "le_max", "A_max_re")}
    t = Table(title=title or result.provenance.get("title") or "training history")
    metric = "MSE" if key == "mse" else "acc"
    for c in ("epoch", "train loss", f"train {metric}", "val loss", f"val {metric}", "lr", "s"):
        t.add_column(c, justify="right")
    if has["cert_applicable"]:
        t.add_column("certificate")
    if has["A_max_re"]:
        t.add_column("max Re λ(A)", justify="right")
        t.add_column("max Re λ(W)", justify="right")
    if has["le_max"]:
        t.add_column("λ_max", justify="right")
    for r in hist:
        best = " *" if r["epoch"] == result.best_epoch and r.get(f"val_{key}") is not None else ""
        cells = [
            f"{r['epoch']}{best}", _num(r["train_loss"]), _num(r.get(f"train_{key}")),
            _num(r.get("val_loss")), _num(r.get(f"val_{key}")), _num(r["lr"], ".2g"),
            _num(r["seconds"], ".1f"),
        ]  # fmt: skip
        if has["cert_applicable"]:
            cells.append(_cert(r))
        if has["A_max_re"]:
            cells += [_num(r.get("A_max_re")), _num(r.get("W_max_re"))]
        if has["le_max"]:
            cells.append(_num(r.get("le_max")))
        t.add_row(*cells)
    name = {"acc": "accuracy", "mse": "MSE"}[key]
    best_val = getattr(result, "best_val_mse", None) if key == "mse" else result.best_val_acc
    if best_val is not None:
        t.caption = f"* best validation {name} {best_val:.4g}"
        test = (result.test or {}).get("mse" if key == "mse" else "accuracy")
        if test is not None:
            t.caption += f"; test {name} {test:.4g}"
    return t


def _le_rows(history):
    return [r for r in history if isinstance(r.get("le_exponents"), list)]


def plot_history(history, *, title: str | None = None, lyapunov: bool = True):
    """Loss and accuracy against epoch and, where the history has LE spectra (and
    ``lyapunov`` is True), the certificate margin and the three LE panels of
    :func:`plot_lyapunov_training`. Returns a matplotlib Figure.

    ``history``: the rows of :attr:`TrainResult.history` (or of ``history.json``).
    """
    from matplotlib.figure import Figure

    le = lyapunov and bool(_le_rows(history))
    fig = Figure(figsize=(11, 7.6 if le else 3.8), layout="constrained")
    axes = fig.subplots(2 if le else 1, 3 if le else 2, squeeze=False).ravel()
    ep = [r["epoch"] for r in history]
    ax = axes[0]
    ax.plot(ep, [r["train_loss"] for r in history], "o-", ms=3, label="train")
    if any(r.get("val_loss") is not None for r in history):
        ax.plot(ep, [r.get("val_loss") for r in history], "s-", ms=3, label="validation")
    key = _metric_key(history)
    ax.set(xlabel="epoch", ylabel="mean squared error" if key == "mse" else
           "cross-entropy (nats)", title="loss")  # fmt: skip
    ax.legend()
    ax = axes[1]
    ax.plot(ep, [r.get(f"train_{key}") for r in history], "o-", ms=3, label="train")
    if any(r.get(f"val_{key}") is not None for r in history):
        ax.plot(ep, [r.get(f"val_{key}") for r in history], "s-", ms=3, label="validation")
    if key == "mse":
        ax.set(xlabel="epoch", ylabel="MSE", title="mean squared error", yscale="log")
    else:
        ax.set(xlabel="epoch", ylabel="accuracy", title="accuracy", ylim=(0, 1.02))
    ax.legend()
    if le:
        plot_lyapunov_training(history, axes=axes[3:6])
        cert = [r for r in history if r.get("cert_applicable")]
        ax = axes[2]
        if cert:
            ax.plot([r["epoch"] for r in cert], [r["cert_margin"] for r in cert], "k-", lw=1)
            for r in cert:
                c = "tab:green" if r["cert_proven"] else "tab:red"
                ax.plot(r["epoch"], r["cert_margin"], "o", color=c, ms=5)
            ax.axhline(0, color="0.6", lw=0.8)
            ax.set(xlabel="epoch", ylabel="margin", title="certificate (green: a proof holds)")
        else:
            ax.axis("off")
    _integer_epochs(axes[0], axes[1], *((axes[2], axes[4]) if le else ()))
    if title:
        fig.suptitle(title)
    return fig


def _integer_epochs(*axes) -> None:
    """Whole-number ticks on the epoch axes."""
    from matplotlib.ticker import MaxNLocator

    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def plot_lyapunov_training(history, *, axes=None):
    """Three panels of the LE spectrum over training (Vogt, dissertation, Fig. 2.7–2.8):

    1. exponents λ_i against index i, one line per monitored epoch, coloured by epoch;
    2. λ_max and the mean exponent against epoch (λ_max with ±1 standard error);
    3. validation loss against λ_max, later epochs more opaque (Fig. 2.8a).

    Returns the Figure (a new one when ``axes`` is None).
    """
    import matplotlib as mpl
    from matplotlib.figure import Figure

    rows = _le_rows(history)
    if not rows:
        raise ValueError("the history has no LE spectra (enable the lyapunov monitor).")
    if axes is None:
        fig = Figure(figsize=(11, 3.6), layout="constrained")
        axes = fig.subplots(1, 3)
    fig = axes[0].figure
    ep = [r["epoch"] for r in rows]
    norm = mpl.colors.Normalize(min(ep), max(max(ep), min(ep) + 1))
    cmap = mpl.colormaps["viridis"]
    ax = axes[0]
    for r in rows:
        lam = r["le_exponents"]
        ax.plot(range(1, len(lam) + 1), lam, "o-", ms=3, lw=1, color=cmap(norm(r["epoch"])))
    ax.axhline(0, color="0.6", lw=0.8)
    ax.set(xlabel="index i", ylabel="λ_i (nats per step)", title="LE spectrum over training")
    from matplotlib.ticker import MaxNLocator

    bar = fig.colorbar(mpl.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, label="epoch")
    bar.locator = MaxNLocator(integer=True)
    bar.update_ticks()
    ax = axes[1]
    mx = [r["le_max"] for r in rows]
    se = [r.get("le_stderr") or 0.0 for r in rows]
    ax.errorbar(ep, mx, yerr=se, fmt="o-", ms=3, capsize=2, label="λ_max")
    ax.plot(ep, [r["le_mean"] for r in rows], "s--", ms=3, label="mean λ_i")
    ax.axhline(0, color="0.6", lw=0.8)
    ax.set(xlabel="epoch", ylabel="nats per step", title="largest and mean exponent")
    ax.legend()
    _integer_epochs(ax)
    ax = axes[2]
    vl = [(r["le_max"], r.get("val_loss"), r["epoch"]) for r in rows]
    vl = [v for v in vl if v[1] is not None]
    if vl:
        top = max(e for *_, e in vl) or 1
        for x, y, e in vl:
            ax.plot(x, y, "o", color="tab:blue", alpha=0.15 + 0.85 * e / top)
        ax.plot([v[0] for v in vl], [v[1] for v in vl], "-", color="tab:blue", lw=0.6, alpha=0.4)
        ax.set(xlabel="λ_max", ylabel="validation loss",
               title="loss vs λ_max (opacity: epoch)")  # fmt: skip
    else:
        ax.axis("off")
    return fig
