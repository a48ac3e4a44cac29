"""The report of a training run (``neurodyn train``): what was trained on what, the history
with its stability monitors, the figures over training, the final certificate and the test
accuracy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from neurodyn.report._format import fmt
from neurodyn.report._report import Report, panel

if TYPE_CHECKING:
    from neurodyn.train import TrainResult

__all__ = ["history_rows", "train_report"]

#: (column, history key) of the training part of the history table
_BASE = [("epoch", "epoch"), ("train loss", "train_loss"), ("train acc", "train_acc"),
         ("val loss", "val_loss"), ("val acc", "val_acc"), ("lr", "lr")]  # fmt: skip
#: monitor columns, shown when some row has the key (neurodyn.train._monitors)
_MONITORS = [
    ("certificate holds", "cert_holds"),
    ("certificate kind", "cert_kind"),
    ("certificate", "cert_name"),
    ("margin", "cert_margin"),
    ("max Re λ(A)", "A_max_re"),
    ("max Re λ(W)", "W_max_re"),
    ("λ_max", "le_max"),
    ("mean λ_i", "le_mean"),
    ("Kaplan–Yorke", "le_kaplan_yorke"),
]


def history_rows(history: list[dict]) -> tuple[list[str], list[list]]:
    """``(columns, rows)`` of the history table: one row per epoch, the training columns and
    the monitor columns some epoch recorded (certificate: "n/a" in an epoch where ``certify``
    did not apply, no certificate columns when it never did; a monitor that did not run that
    epoch: None). Values are the history's own."""
    cols = list(_BASE)
    if any("train_mse" in r for r in history):  # a regression task: MSE, not accuracy
        cols = [(c.replace("acc", "MSE"), k.replace("acc", "mse")) for c, k in cols]
    for name, key in _MONITORS:
        if any(key in r for r in history):
            cols.append((name, key))
    rows = []
    for r in history:
        row = []
        for _, key in cols:
            if key.startswith("cert_") and r.get("cert_applicable") is False:
                row.append("n/a" if key == "cert_holds" else None)
            else:
                row.append(r.get(key))
        rows.append(row)
    return [c for c, _ in cols], rows


def _final_certificate(result: TrainResult):
    """``(CertificateReport or None, where from, reason when None)`` for the final weights."""
    last = result.history[-1]["epoch"] if result.history else 0
    if not result.restored_best:
        rep = result.monitor_results.get(last, {}).get("certificate")
        if rep is not None:
            return rep, f"the weights after epoch {last} (the training monitor)", None
    model = result.model
    if model is None:
        return None, None, "the model is not in the result (a TrainResult read back from JSON)"
    from neurodyn.contraction import certify

    epoch = result.best_epoch if result.restored_best else last
    body = getattr(model, "body", model)
    try:
        rep = certify(body)
    except TypeError as err:
        return None, None, str(err).split(" Supported:")[0].rstrip(".")
    return rep, f"the final weights (epoch {epoch})", None


def _margin_figure(history: list[dict]):
    rows = [r for r in history if r.get("cert_applicable") and "cert_margin" in r]
    ax = panel()
    ax.plot([r["epoch"] for r in rows], [r["cert_margin"] for r in rows], "k-", lw=1)
    for r in rows:
        c = "tab:green" if r["cert_holds"] else "tab:red"
        ax.plot(r["epoch"], r["cert_margin"], "o", color=c, ms=6)
    ax.axhline(0, color="0.6", lw=0.8)
    ax.set(xlabel="epoch", ylabel="margin (> 0: holds)",
           title="best certificate per epoch (green: holds, red: does not)")  # fmt: skip
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return ax.figure


def train_report(result: TrainResult, *, title: str | None = None) -> Report:
    """``result`` (from :func:`neurodyn.train.run` / :func:`~neurodyn.train.fit`) as a
    :class:`Report`.

    ``data`` holds what ``history.json`` holds (``history``, ``best_epoch``, ``best_val_acc``,
    ``test``, ``stopped``, ``provenance``) plus ``model``, ``task`` and ``final_certificate``
    (a ``CertificateReport`` dict, or None with ``final_certificate_reason``). Sections: a
    summary (model, parameter count, task, options, best epoch, test accuracy), the history
    table (per epoch: losses, accuracies, the certificate verdict, kind and margin, the
    A / W spectra of a Lipschitz RNN and the LE statistics λ_max, mean and Kaplan–Yorke
    dimension where the monitors recorded them), figures of loss and accuracy, of the
    certificate margin and of the LE spectrum over training (Vogt, dissertation, Fig. 2.7–2.8),
    and the certificates of the final weights (computed with
    :func:`neurodyn.contraction.certify` when the monitors did not record them).

    Example:
        >>> import tempfile, json, pathlib
        >>> from neurodyn.train import run
        >>> res = run("gru", "digits", epochs=1, hidden_size=4, monitors=None, progress=False)
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     body = train_report(res).write(tmp)
        ...     names = sorted(p.name for p in pathlib.Path(tmp).iterdir())
        >>> names
        ['.neurodyn.json', 'history.png', 'index.html', 'report.json']
        >>> body["history"][1]["val_acc"] == res.history[1]["val_acc"]
        True
    """
    from neurodyn.train import MODELS, plot_history, plot_lyapunov_training

    prov = dict(result.provenance)
    model = dict(prov.get("model") or {})
    task = dict(prov.get("task") or {})
    options = dict(prov.get("options") or {})
    name = model.get("name") or model.get("class") or "model"
    task_name = task.get("name") or "?"
    title = title or f"neurodyn train: {name} on {task_name}"
    cert, cert_from, cert_reason = _final_certificate(result)
    data = {
        "model": model,
        "task": task,
        **{k: v for k, v in result.to_dict().items() if k not in ("result_type", "out")},
        "final_certificate": None if cert is None else cert.to_dict(),
    }
    if cert is None:
        data["final_certificate_reason"] = cert_reason
    # written into the run's folder beside the checkpoints: a report of the train-run kind
    rep = Report(title, data=data, kind="train-run")
    hist = result.history
    last = hist[-1] if hist else {}

    # ------------------------------------------------------------------ summary
    rep.section("Summary")
    spec = MODELS.get(name)
    test = result.test or {}
    mse = getattr(result, "metric", "accuracy") == "mse"
    metric, mkey = ("MSE", "mse") if mse else ("accuracy", "accuracy")
    stopped = {
        "completed": f"completed all {options.get('epochs')} epochs",
        "early_stopping": f"early stopping (patience {options.get('patience')}); the final "
        f"weights are those of the best epoch {result.best_epoch}",
        "interrupted": "interrupted (Ctrl-C); resume with neurodyn train --resume",
    }.get(result.stopped, result.stopped)
    rows = [
        ["model", f"{name}" + (f" — {spec.description}" if spec else "")],
        ["trainable parameters", model.get("parameters")],
        ["hidden size", model.get("hidden_size")],
        ["model options", ", ".join(f"{k}={v}" for k, v in (model.get("options") or {}).items())
         or "—"],
        ["task", f"{task_name}" + (f" — {task['description']}" if task.get("description") else "")],
        ["training sequences", task.get("sequences")],
        ["optimizer", f"{options.get('optimizer')}, lr {options.get('lr')}, batch "
         f"{options.get('batch_size')}, schedule {options.get('schedule') or 'none'}, clip "
         f"{options.get('clip') or 'none'}, weight decay {options.get('weight_decay')}"],
        ["seed", prov.get("seed")],
        ["epochs", f"{last.get('epoch', 0)} ({stopped})"],
        [f"best validation {metric}", result.best_val_mse if mse else result.best_val_acc],
        ["best epoch", result.best_epoch],
        [f"test {metric}", test.get(mkey)],
        [f"test loss ({(prov.get('objective') or {}).get('loss', 'nats per sequence')})",
         test.get("loss")],
    ]  # fmt: skip
    if prov.get("resumed_at_epoch"):
        rows.append(["resumed after epochs", ", ".join(map(str, prov["resumed_at_epoch"]))])
    rep.table(rows, columns=["quantity", "value"],
              caption="Test accuracy: the final weights on the task's test split, evaluated "
              "once after training.")  # fmt: skip

    # ------------------------------------------------------------------ history
    rep.section("Training history")
    cols, rows = history_rows(hist)
    best = [
        "good"
        if r["epoch"] == result.best_epoch and r.get("val_mse" if mse else "val_acc") is not None
        else None
        for r in hist
    ]
    rep.table(rows, columns=cols, status=best,
              caption="Epoch 0 is the initial model. Losses are cross-entropy in nats per "
              "sequence; train loss/acc of epoch ≥ 1 are running means over the epoch's "
              "batches. The best validation epoch is highlighted. Certificate: the best one "
              "about the whole network that holds (a proof before a sampled check before a "
              "heuristic), else the network-level proof closest to holding (a Sparse Combo "
              "Net's per-block proofs are never the verdict); λ: finite-time Lyapunov "
              "exponents (nats per step) of the recurrent map driven by validation "
              "sequences.")  # fmt: skip
    if any(r.get("cert_applicable") is False for r in hist):
        reason = next(r.get("cert_reason") for r in hist if r.get("cert_applicable") is False)
        rep.text(f"Certificate n/a: {str(reason).rstrip('.')}.")
    rep.figure(lambda: plot_history(hist, lyapunov=False), "history.png",
               "Loss and accuracy over training (epoch 0: the initial model).",
               wide=True)  # fmt: skip
    if any(r.get("cert_applicable") and "cert_margin" in r for r in hist):
        rep.figure(lambda: _margin_figure(hist), "certificate_margin.png",
                   "Margin of each epoch's best certificate (the table's); a positive "
                   "margin means it holds.")  # fmt: skip
    if any(isinstance(r.get("le_exponents"), list) for r in hist):
        rep.figure(lambda: plot_lyapunov_training(hist), "lyapunov_training.png",
                   "The LE spectrum over training (Vogt, dissertation, Fig. 2.7–2.8): "
                   "spectra coloured by epoch, λ_max ± s.e. and the mean exponent per "
                   "monitored epoch, and validation loss against λ_max.",
                   wide=True)  # fmt: skip

    # ------------------------------------------------------------------ certificate
    rep.section("Certificates of the final weights")
    if cert is None:
        rep.text(f"No contraction certificate: {cert_reason}.")
    else:
        from neurodyn.contraction import network_certificates

        whole, parts = network_certificates(cert)
        held = [c.name for c in whole if c.holds]
        rep.text(
            f"Certificates of {cert_from} (neurodyn.contraction.certify) about the whole "
            "network: "
            + (f"{len(held)} of {len(whole)} hold ({', '.join(held)})." if held
               else f"none of the {len(whole)} holds.")
        )  # fmt: skip
        for c in whole:
            rep.certificate(c)
        if parts:
            ok = [c.name for c in parts if c.holds]
            lead = whole[0].name if len(whole) == 1 else "the network certificates"
            rep.text(
                f"Evidence for {lead}: {len(parts)} certificates of single blocks, each in its "
                f"own metric ({len(ok)} hold). A block's proof says nothing about the network "
                "by itself: the coupling between blocks can destabilise it."
            )
            for c in parts:
                rep.certificate(c, evidence_for=lead)
    if test and mse:
        rep.section("Test MSE").text(f"{fmt(test['mse'])} on the test split of {task_name}.")
    elif test:
        rep.section("Test accuracy").text(
            f"{fmt(100 * test['accuracy'], digits=4)} % on the test split of {task_name} "
            f"(loss {fmt(test['loss'])} nats per "
            f"{'step' if str(model.get('kind')).startswith('sequence-') else 'sequence'})."
        )
    return rep
