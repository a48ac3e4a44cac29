"""``neurodyn train`` and ``neurodyn robustness``: train a sequence classifier by name into a
checkpoint folder with a report, and measure a checkpoint's robustness to input noise,
adversarial inputs and weight perturbations (Erichson et al. 2021, Sec. 6.4, Table 3)."""

from __future__ import annotations

import json as _json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from neurodyn._core import InputError
from neurodyn.cli._app import app, check_json, clean_errors, console, stages, write_json

__all__ = ["parse_options", "robustness", "train"]

#: the fit options the command sets; where neither the command line nor a resumed run gives
#: one, ``neurodyn.train.fit``'s own default is used (read from its signature, so they agree)
_FIT_KEYS = ("epochs", "lr", "batch_size", "optimizer", "schedule", "clip", "weight_decay",
             "patience")  # fmt: skip


def _fit_defaults() -> dict:
    import inspect

    from neurodyn.train import fit

    params = inspect.signature(fit).parameters
    return {k: params[k].default for k in _FIT_KEYS}


def _check_name(what: str, value: str, valid) -> None:
    if value not in valid:
        raise InputError(f"unknown {what} {value!r}; valid {what}s: {', '.join(valid)}.")


def _value(text: str):
    """``--option`` value: JSON (numbers, true/false, null, lists), Python's True/False/None,
    else the string itself."""
    python = {"True": True, "False": False, "None": None}
    if text in python:
        return python[text]
    try:
        return _json.loads(text)
    except ValueError:
        return text


def parse_options(items: list[str] | None) -> dict:
    """``["beta_a=0.8", "use_bias=false"]`` → ``{"beta_a": 0.8, "use_bias": False}``.

    Raises:
        ValueError: an item without ``=`` or with an empty key, or a key given twice.
    """
    out: dict = {}
    for item in items or []:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InputError(
                f"--option {item!r} is not key=value (e.g. --option beta_a=0.8 for the "
                "Lipschitz RNN; values are read as JSON numbers, true/false or strings)."
            )
        if key in out:
            raise InputError(f"--option {key} is given twice.")
        out[key] = _value(text.strip())
    return out


def _check_run_dir(out: Path) -> None:
    """A new or empty folder, or a ``neurodyn train`` run folder (docs/cli.md, "Output
    paths"); anything else is refused before the data is loaded."""
    from neurodyn._core._files import claim_folder

    claim_folder(out, "train-run", what="--out")


def _saved_run(out: Path) -> dict | None:
    """The provenance and last epoch of the run in ``out`` (from ``history.json``), or None."""
    path = out / "history.json"
    if not (out / "trainer.pt").exists() or not path.exists():
        return None
    body = _json.loads(path.read_text())
    prov = dict(body.get("provenance") or {})
    hist = body.get("history") or []
    return {"provenance": prov, "epoch": hist[-1]["epoch"] if hist else 0}


def _resolve(given, saved, name: str, default=None):
    """The given value, else the saved run's, else ``default``; a given value that differs
    from the saved run's is an error (the checkpoint could not be continued with it)."""
    if saved is _MISSING:
        return default if given is None else given
    if given is not None and given != saved:
        raise InputError(
            f"--{name} {given!r} differs from the run being resumed ({saved!r}); drop --{name} "
            "(the saved value is used) or pass a new --out."
        )
    return saved


_MISSING = object()
_OFF = object()  # a flag that switches a recipe value off (--schedule none, --clip 0, ...)


def _stopped_text(res) -> str:
    return {"completed": "completed", "early_stopping": "early stopping",
            "interrupted": "interrupted"}.get(res.stopped, res.stopped)  # fmt: skip


def _resume_hint(out: Path) -> str:
    return f"neurodyn train --out {out} --resume"


@app.command()
@clean_errors
def train(
    out: Annotated[
        Path,
        typer.Option(
            help="Run folder: last.pt, best.pt, trainer.pt, history.json, then the report "
            "(index.html, report.json, PNGs). New or empty; a folder holding a run needs "
            "--resume; a file, a folder of yours or another kind of neurodyn output (a report "
            "folder, a sweep store) is refused before training starts."
        ),
    ],
    model: Annotated[
        str | None,
        typer.Option(
            help="Model name (neurodyn.train.MODELS: lstm, gru, rnn, orthogonal, antisymmetric, "
            "cornn, lem, lipschitz, noisy, ctrnn, scn, scn-svd)."
        ),
    ] = None,
    task: Annotated[
        str | None,
        typer.Option(help="Task name (neurodyn.data.TASKS: digits, digits-permuted, mnist1d, …)."),
    ] = None,
    epochs: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Epochs to train (default: the recipe's, see docs/train.md 'Recipes'; "
            "with --resume: the saved run's; raise it to train longer).",
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            help="Seed of the data splits, the initial weights and the batches (default 0)."
        ),
    ] = None,
    hidden_size: Annotated[
        int | None, typer.Option(min=1, help="Hidden width (default 64). Not with --params.")
    ] = None,
    params: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Target trainable-parameter count; the width closest to it is "
            "built. Not with --hidden-size.",
        ),
    ] = None,
    option: Annotated[
        list[str] | None,
        typer.Option(
            "--option",
            help="Model option key=value (repeatable), e.g. --option "
            "beta_a=0.8; values are read as JSON numbers, true/false or strings.",
        ),
    ] = None,
    lr: Annotated[float | None, typer.Option(help="Learning rate (default: the recipe's).")] = None,
    batch_size: Annotated[
        int | None, typer.Option(min=1, help="Sequences per batch (default: the recipe's).")
    ] = None,
    optimizer: Annotated[
        str | None, typer.Option(help="adam or sgd (default: the recipe's, adam).")
    ] = None,
    schedule: Annotated[
        str | None,
        typer.Option(help="Learning-rate schedule: none, cosine or step (default: the recipe's)."),
    ] = None,
    clip: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            help="Clip the global gradient norm to this; 0 = off (default: the recipe's).",
        ),
    ] = None,
    weight_decay: Annotated[
        float | None, typer.Option(min=0.0, help="L2 weight decay (default 0).")
    ] = None,
    patience: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Early stopping after this many epochs without a better "
            "validation metric; 0 = off (default: the recipe's); the best epoch's weights are "
            "kept.",
        ),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Continue the run in --out (after Ctrl-C, or with a "
            "larger --epochs); options not given are the saved run's.",
        ),
    ] = False,
    use_recipe: Annotated[
        bool,
        typer.Option(
            "--recipe/--no-recipe",
            help="Take every option not given from the recipe for this model and task "
            "(neurodyn.train.recipe; printed before training). --no-recipe: the trainer's plain "
            "defaults (10 epochs, Adam 1e-3, no schedule, no clipping).",
        ),
    ] = True,
    monitors: Annotated[
        bool | None,
        typer.Option(
            "--monitors/--no-monitors",
            help="Stability monitors: certificates every "
            "epoch, the LE spectrum every 5 epochs and at the last (default: on).",
        ),
    ] = None,
    floss: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Gradient flossing (Engelken 2023): push the first K Lyapunov exponents "
            "toward 0 by adding weight·Σλᵢ² (differentiated through the QR) to the loss on "
            "every --floss-every-th batch (default: off).",
        ),
    ] = None,
    floss_before: Annotated[
        int, typer.Option(min=0, help="With --floss: flossing-only updates before training.")
    ] = 0,
    floss_every: Annotated[
        int,
        typer.Option(
            min=0, help="With --floss: floss on every N-th batch during training (0: not during)."
        ),
    ] = 10,
    floss_weight: Annotated[
        float, typer.Option(min=0.0, help="With --floss: weight of the exponent loss.")
    ] = 1.0,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Train a sequence classifier by name on a task, with stability monitors, checkpoints
    that resume exactly, and a report (loss, accuracy, certificates and Lyapunov spectrum over
    training, test accuracy) in OUT."""
    from neurodyn.data import TASKS
    from neurodyn.report import train_report
    from neurodyn.train import MODELS, OPTIMIZERS, run

    if hidden_size is not None and params is not None:
        raise InputError("--hidden-size and --params are mutually exclusive; give one of them.")
    _check_run_dir(out)
    saved = _saved_run(out) if out.is_dir() else None
    if saved is not None and not resume:
        raise InputError(
            f"--out {out} already holds a training run (epoch {saved['epoch']}); pass --resume "
            "to continue it (raise --epochs to train longer) or choose a new --out."
        )
    if resume and saved is None:
        console.print(f"[yellow]note:[/yellow] {escape(str(out))} holds no run to resume; "
                      "starting a new one.")  # fmt: skip
    prov = saved["provenance"] if saved else {}
    smodel, stask = dict(prov.get("model") or {}), dict(prov.get("task") or {})
    sopts = dict(prov.get("options") or {})

    def old(value):
        return _MISSING if saved is None else value

    model_opts = parse_options(option) if option else None
    model = _resolve(model, old(smodel.get("name")), "model")
    task = _resolve(task, old(stask.get("name")), "task")
    if model is None or task is None:
        raise InputError(
            "give --model NAME and --task NAME (or --resume with an --out that holds a run); "
            f"models: {', '.join(MODELS)}; tasks: {', '.join(TASKS)}."
        )
    _check_name("model", model, MODELS)
    _check_name("task", task, TASKS)
    seed = _resolve(seed, old(prov.get("seed")), "seed", 0)
    model_opts = _resolve(model_opts, old(smodel.get("options") or {}), "option", {})
    if saved is not None and params is None:
        hidden_size = _resolve(hidden_size, smodel.get("hidden_size"), "hidden-size")
    given = {"epochs": epochs, "lr": lr, "batch_size": batch_size, "optimizer": optimizer,
             "schedule": schedule, "clip": clip, "weight_decay": weight_decay,
             "patience": patience}  # fmt: skip
    if schedule is not None:
        if schedule.lower() not in ("none", "cosine", "step"):
            raise InputError(f"--schedule {schedule!r}: use none, cosine or step.")
        given["schedule"] = _OFF if schedule.lower() == "none" else schedule.lower()
    for key in ("clip", "patience"):  # 0 switches the recipe's value off
        if given[key] == 0:
            given[key] = _OFF
    if optimizer is not None and optimizer not in OPTIMIZERS:
        raise InputError(f"--optimizer {optimizer!r}: use one of {', '.join(OPTIMIZERS)}.")
    if saved is not None:  # a resumed run continues with its own options, as saved
        defaults = _fit_defaults()
        fit = {k: sopts.get(k, defaults[k]) if v is None else v for k, v in given.items()}
        use_recipe = False
    else:  # the rest comes from the recipe (or, with --no-recipe, fit's defaults)
        fit = {k: v for k, v in given.items() if v is not None}
    fit = {k: None if v is _OFF else v for k, v in fit.items()}
    if monitors is None:
        mon = sopts.get("monitors", "default") if saved is not None else "default"
    else:
        mon = "default" if monitors else None
    task_options = dict(stask.get("options") or {}) if saved is not None else {}

    epochs_n = fit.pop("epochs", None)
    if saved is not None and epochs_n < saved["epoch"]:
        raise InputError(
            f"--epochs {epochs_n} is below the {saved['epoch']} epochs {out} already holds; "
            f"pass --epochs {saved['epoch']} or more (or a new --out)."
        )
    if floss is not None:
        fit["floss"] = {"k": floss, "before": floss_before,
                        "every": floss_every or None, "weight": floss_weight}  # fmt: skip
    elif saved is not None and sopts.get("floss"):
        fit["floss"] = sopts["floss"]
    elif floss_before or floss_every != 10 or floss_weight != 1.0:
        raise InputError("--floss-before, --floss-every and --floss-weight need --floss K.")
    if use_recipe:
        _print_recipe(model, task, given, model_opts, console)
    if fit.get("floss"):
        f = fit["floss"]
        console.print(f"gradient flossing (Engelken 2023): first {f['k']} exponents → 0, weight "
                      f"{f['weight']:g}, {f['before']} updates before training, every "
                      f"{f['every'] or 'no'} batch(es) during")  # fmt: skip
    try:
        res = run(
            model, task, epochs=epochs_n, seed=seed, out=out, hidden_size=hidden_size,
            params=params, model_options=model_opts, task_options=task_options,
            resume=resume, monitors=mon, progress=progress, recipe=use_recipe,
            provenance={"command": sys.argv}, **fit,
        )  # fmt: skip
        if res.stopped == "interrupted":
            raise KeyboardInterrupt
        with stages() as stage:
            stage("writing the report")
            train_report(res).write(out)
    except KeyboardInterrupt:
        done = _saved_run(out)
        at = f" after epoch {done['epoch']}" if done else ""
        typer.echo(
            f"interrupted{at}: {out} holds the last finished epoch; continue with: "
            f"{_resume_hint(out)} (its options are the saved run's)",
            err=True,
        )
        raise typer.Exit(code=130) from None
    _print_train_summary(res, out, console)


def _print_recipe(model: str, task: str, given: dict, model_opts: dict, con: Console) -> None:
    """The recipe line(s) before training: the values, where they came from, what the flags
    changed."""
    from neurodyn.train import recipe

    rec = recipe(model, task)
    flags = [f"--{k.replace('_', '-')}" for k, v in given.items() if v is not None]
    flags += [f"--option {k}" for k in rec.model_options if k in (model_opts or {})]
    con.print(f"[bold]recipe[/bold] for {escape(model)} on {escape(task)}: "
              f"{escape(rec.describe())}")  # fmt: skip
    for part, text in rec.source.items():
        con.print(f"  {part} values: {escape(text)}")
    if flags:
        con.print(f"  overridden by: {escape(' '.join(flags))}")


def _print_train_summary(res, out: Path, con: Console) -> None:
    from neurodyn.report import fmt

    p = res.provenance
    m, t = p.get("model") or {}, p.get("task") or {}
    last = res.history[-1]
    table = Table(title=escape(p.get("title") or "training run"))
    table.add_column("quantity")
    table.add_column("value")
    table.add_row("model", escape(f"{m.get('name')} (hidden {m.get('hidden_size')}, "
                                  f"{m.get('parameters')} parameters)"))  # fmt: skip
    table.add_row("task", escape(str(t.get("name"))))
    table.add_row("epochs", f"{last['epoch']} ({_stopped_text(res)})")
    short, key = ("MSE", "mse") if res.metric == "mse" else ("acc", "accuracy")
    if res.best_val is not None:
        table.add_row(f"best val {short}", f"{fmt(res.best_val)} (epoch {res.best_epoch})")
    if res.test is not None:
        table.add_row(f"test {short}", fmt(res.test[key]))
    certs = [r for r in res.history if "cert_applicable" in r]
    if certs:
        r = certs[-1]
        if r["cert_applicable"]:
            verdict = "holds" if r["cert_holds"] else "does not hold"
            cell = (f"{r['cert_name']} [{r['cert_kind']}] {verdict} (margin "
                    f"{fmt(r['cert_margin'], sign=True)}), epoch {r['epoch']}")  # fmt: skip
        else:
            cell = "n/a (certify does not support this model)"
        table.add_row("certificate", escape(cell))
    les = [r for r in res.history if "le_max" in r]
    if les:
        r = les[-1]
        table.add_row("λ_max (nats/step)", f"{fmt(r['le_max'], r.get('le_stderr'), sign=True)} "
                      f"(epoch {r['epoch']})")  # fmt: skip
    con.print(table)
    con.print(f"Checkpoints in [bold]{escape(str(out))}[/bold]; report written to "
              f"[bold]{escape(str(out / 'index.html'))}[/bold]")  # fmt: skip


def _checkpoint(path: Path) -> Path:
    if path.is_dir():
        for name in ("best.pt", "last.pt"):
            if (path / name).exists():
                return path / name
        raise FileNotFoundError(
            f"{path} is a folder without best.pt or last.pt; give a run folder written by "
            "neurodyn train --out, or a checkpoint file."
        )
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist; give a checkpoint written by "
                                "neurodyn train (DIR/best.pt, DIR/last.pt or DIR).")  # fmt: skip
    return path


def _load(path: Path):
    import pickle
    import zipfile

    from neurodyn.train import load_model

    hint = "give DIR/best.pt or DIR/last.pt of a run folder written by neurodyn train --out."
    if not zipfile.is_zipfile(path):
        raise InputError(f"{path} is not a checkpoint written by neurodyn train (not a "
                         f"torch.save zip archive); {hint}")  # fmt: skip
    try:
        return load_model(path)
    except (pickle.UnpicklingError, EOFError, RuntimeError) as err:
        raise InputError(f"{path} is not a checkpoint written by neurodyn train "
                         f"({' '.join(str(err).split())}); {hint}") from None  # fmt: skip


@app.command("robustness")
@clean_errors
def robustness(
    checkpoint: Annotated[
        Path,
        typer.Argument(
            help="best.pt or last.pt written by neurodyn train, or its run folder "
            "(then its best.pt)."
        ),
    ],
    task: Annotated[
        str | None,
        typer.Option(help="Task to evaluate on (default: the one the checkpoint was trained on)."),
    ] = None,
    split: Annotated[str, typer.Option(help="Evaluation split: test, val or train.")] = "test",
    seed: Annotated[
        int | None,
        typer.Option(
            help="Seed of the data splits and of every random draw (default: the "
            "training seed, so the test split is the one held out in training)."
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Report folder (index.html, report.json, noise.png, landscape.png): new, empty "
            "or a neurodyn report folder (replaced); anything else is refused before the work."
        ),
    ] = None,
    hessian: Annotated[
        bool, typer.Option("--hessian/--no-hessian", help="Hessian metrics and landscape.")
    ] = True,
    pgd: Annotated[bool, typer.Option("--pgd/--no-pgd", help="PGD attacks (ℓ∞ and ℓ2).")] = True,
    deepfool: Annotated[
        bool,
        typer.Option(
            "--deepfool/--no-deepfool",
            help="DeepFool ℓ2 and ℓ∞ (Moosavi-Dezfooli et al. 2016; the DF₂/DF∞ columns of "
            "Erichson et al. 2021, Table 3): 7 iterations in the ε = 0.05 balls of PGD; about "
            "10× a PGD attack's cost (default: off).",
        ),
    ] = False,
    draws: Annotated[int, typer.Option(min=1, help="Noise draws per level.")] = 5,
    hessian_samples: Annotated[
        int, typer.Option(min=1, help="Training examples in the Hessian's loss batch.")
    ] = 256,
    probes: Annotated[int, typer.Option(min=2, help="Hutchinson probes of tr(H).")] = 100,
    grid: Annotated[int, typer.Option(min=3, help="Landscape grid points per axis.")] = 21,
    json: Annotated[
        str | None,
        typer.Option(
            "--json",
            help="Also write the JSON here; '-' prints it to stdout (and nothing else). A new "
            "file or a JSON file neurodyn wrote; anything else is refused before the work.",
        ),
    ] = None,
) -> None:
    """Robustness of a trained checkpoint (Erichson et al. 2021, Sec. 6.4): accuracy under
    Gaussian and salt-and-pepper input noise, under PGD attacks, and the Hessian of the
    training loss (λ_max, tr(H), κ(H), the loss landscape) — one Table-3 row and a report."""
    import dataclasses

    from neurodyn.cli._load import check_out_dir
    from neurodyn.data import TASKS, load
    from neurodyn.report import provenance, robustness_report
    from neurodyn.robustness import DEFAULT_DEEPFOOL, DEFAULT_PGD, robustness_table
    from neurodyn.robustness import robustness as measure

    con = Console(stderr=True) if json == "-" else console
    if out is not None:
        check_out_dir(out)
    check_json(json, out)
    if split not in ("train", "val", "test"):
        raise InputError(f"--split {split!r}: use test, val or train.")
    path = _checkpoint(checkpoint)
    model, meta = _load(path)
    prov = dict(meta.get("provenance") or {})
    trained = dict(prov.get("task") or {})
    trained_seed = prov.get("seed")
    if task is None:
        task = trained.get("name")
        if task is None:
            raise InputError(f"{path} does not record its task; pass --task NAME (one of "
                             f"{', '.join(TASKS)}).")  # fmt: skip
    _check_name("task", task, TASKS)
    seed = (0 if trained_seed is None else int(trained_seed)) if seed is None else seed
    topt = dict(trained.get("options") or {}) if task == trained.get("name") else {}
    if trained_seed is not None and seed != trained_seed and task == trained.get("name"):
        con.print(f"[yellow]note:[/yellow] --seed {seed} splits {task} differently from "
                  f"training (seed {trained_seed}): the {split} split may hold training "
                  "sequences.")  # fmt: skip
    kind = getattr(model, "kind", "classification")
    if kind != "classification":
        raise InputError(
            f"{path} holds a {kind} model (task {trained.get('name') or task}); robustness "
            "measures accuracy under noise and attacks on the logits of a classifier (Erichson "
            "et al. 2021, Sec. 6.4), so it needs a checkpoint trained on a classification task."
        )
    ds = load(task, split, seed=seed, **topt)
    tr = load(task, "train", seed=seed, **topt)
    body = model.body
    n_classes = model.readout.out_features if model.readout is not None else body.output_size
    if ds.input_size != body.input_size or ds.num_classes > n_classes:
        raise InputError(
            f"{path} holds a model for {body.input_size} features per step and {n_classes} "
            f"classes, but task {task} has {ds.input_size} and {ds.num_classes}; pass the "
            f"--task it was trained on ({trained.get('name') or 'not recorded'})."
        )
    with stages(con) as stage:
        stage(f"robustness of {model.name} on {task} ({split}, {len(ds.y)} sequences)")
        res = measure(
            model, ds, draws=draws, pgd=DEFAULT_PGD if pgd else None,
            deepfool=DEFAULT_DEEPFOOL if deepfool else None,
            hessian={"probes": probes, "grid": grid} if hessian else None,
            hessian_data=tr, hessian_samples=hessian_samples, seed=seed, task=task,
        )  # fmt: skip
        res = dataclasses.replace(res, info={"checkpoint": str(path), "epoch": meta.get("epoch"),
                                             "split": split})  # fmt: skip
        rep = robustness_report(res)
        rep.data["provenance"] = provenance(
            model={"checkpoint": str(path), "name": model.name, "epoch": meta.get("epoch"),
                   "trained": prov.get("model"), "trained_task": trained or None},
            command=sys.argv,
            options={"task": task, "split": split, "hessian": hessian, "pgd": pgd,
                     "deepfool": deepfool,
                     "draws": draws, "hessian_samples": hessian_samples, "probes": probes,
                     "grid": grid},
            seed=seed,
        )  # fmt: skip
        if out is not None:
            stage("writing the report")
            body_json = rep.write(out)
        else:
            body_json = rep.to_dict()
    write_json(body_json, json, None)
    con.print(robustness_table([res], title=f"Robustness of {path} on {task} ({split})"))
    if out is not None:
        con.print(f"Report written to [bold]{escape(str(out / 'index.html'))}[/bold]")
