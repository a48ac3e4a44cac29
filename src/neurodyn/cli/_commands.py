"""``neurodyn lyapunov`` and ``neurodyn analyze``: a user's saved model through the shared
loader (:func:`neurodyn.io.load_model`) into a report."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from neurodyn._core import InputError
from neurodyn.cli._app import (
    app,
    bar,
    check_json,
    clean_errors,
    console,
    parse_box,
    print_summary,
    write_json,
)

__all__ = ["analyze", "lyapunov", "sweep"]

_MODEL_HELP = (
    "A TorchScript archive (torch.jit.save), a torch.export archive (torch.export.save), a "
    "state dict (with --arch for a feedforward net), a checkpoint dict (with --key), or, with "
    "--unsafe-load, a pickled module."
)
_JSON_HELP = (
    "Also write the report's JSON here; '-' prints it to stdout (and nothing else). A new "
    "file, or a JSON file neurodyn wrote (replaced); any other existing file, or a folder, is "
    "refused before the work starts."
)

Kind = Annotated[
    str,
    typer.Option(
        help="auto, rnn_tanh, rnn_relu, lstm or gru. auto reads LSTM / GRU off the weight "
        "shapes; a plain RNN state dict does not record its nonlinearity, so for it pass "
        "--kind rnn_tanh or --kind rnn_relu."
    ),
]
Prefix = Annotated[
    str | None,
    typer.Option(help="Key prefix of the module in the state dict ('core' or 'core.')."),
]
Key = Annotated[
    str | None,
    typer.Option(help="Checkpoint entry holding the model ('model'; 'a/b' when nested)."),
]
Unsafe = Annotated[
    bool, typer.Option(help="Allow a pickled module (torch.load weights_only=False).")
]
Inputs = Annotated[
    Path | None,
    typer.Option(help="A .pt tensor (B, T, input_size) of inputs (or a dict: --inputs-key)."),
]
InputsKey = Annotated[
    str | None, typer.Option(help="Entry of an --inputs dict holding the inputs tensor.")
]
Out = Annotated[
    Path | None,
    typer.Option(
        help="Folder for index.html, the JSON and the PNGs: a new or empty folder, or a "
        "neurodyn report folder (replaced whole). A file, a folder of yours or another kind of "
        "neurodyn output (a train run, a sweep store) is refused before the work starts."
    ),
]


def _console(json_target: str | None) -> Console:
    """Where the human-readable output goes: stderr when the JSON goes to stdout."""
    return Console(stderr=True) if json_target == "-" else console


def _notes(loaded, con: Console) -> None:
    for note in loaded.notes:
        con.print(f"[yellow]note:[/yellow] {escape(note)}")


def _drive(
    x_file, inputs_key, batch, steps, warmup, input_size, dtype, seed, input_std, default_steps=500
):
    """The driving inputs ``(B, warmup + steps, input_size)`` and a sentence on what was used.

    Raises:
        LoadError: warm-up ≥ the sequence length, a --batch larger than the file's sequences,
            --steps longer than the file, or a wrong input width.
    """
    import torch

    from neurodyn.io import LoadError, load_inputs

    if x_file is None:
        batch = 8 if batch is None else batch
        steps = default_steps if steps is None else steps
        gen = torch.Generator().manual_seed(seed)
        x = input_std * torch.randn(batch, warmup + steps, input_size, generator=gen, dtype=dtype)
        return x, f"{batch} sequences of Gaussian inputs (std {input_std:g}, seed {seed})"
    x = load_inputs(x_file, inputs_key, dtype)
    n, t, width = x.shape
    if width != input_size:
        raise LoadError(
            f"--inputs {x_file} has {width} features per step but the model takes {input_size}."
        )
    if warmup >= t:
        raise LoadError(
            f"warm-up {warmup} ≥ sequence length {t} of --inputs {x_file}: nothing is left to "
            f"average over; pass --warmup below {t} (e.g. --warmup {t // 5})."
        )
    used = f"--inputs {x_file.name}: {n} sequences of {t} steps"
    if batch is not None:
        if batch > n:
            raise LoadError(
                f"--batch {batch} but --inputs {x_file} holds {n} sequences; drop --batch (all "
                f"{n} are used) or pass --batch {n} or less."
            )
        if batch < n:
            x = x[:batch]
            used = f"--inputs {x_file.name}: the first {batch} of its {n} sequences (--batch)"
    if steps is not None:
        if warmup + steps > t:
            raise LoadError(
                f"warm-up {warmup} + --steps {steps} > sequence length {t} of --inputs "
                f"{x_file}; pass --steps {t - warmup} or less (or drop --steps)."
            )
        x = x[:, : warmup + steps]
    return x, used


def _options(**kw) -> dict:
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in kw.items()}


@app.command()
@clean_errors
def lyapunov(
    model: Annotated[Path, typer.Argument(help=_MODEL_HELP + " Recurrent models.")],
    kind: Kind = "auto",
    prefix: Prefix = None,
    key: Key = None,
    batch: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Input sequences (error bars across them); default 8, or all "
            "sequences of --inputs.",
        ),
    ] = None,
    steps: Annotated[
        int | None,
        typer.Option(
            min=1, help="Accumulated steps; default 500, or what --inputs holds after the warm-up."
        ),
    ] = None,
    warmup: Annotated[int, typer.Option(min=0, help="Warm-up steps (state and tangent).")] = 100,
    t_on: Annotated[int, typer.Option(min=1, help="Steps between QR factorisations.")] = 1,
    k: Annotated[int | None, typer.Option(help="Number of exponents (default: all).")] = None,
    input_std: Annotated[float, typer.Option(help="Std of the Gaussian driving inputs.")] = 1.0,
    inputs: Inputs = None,
    inputs_key: InputsKey = None,
    lstm_state: Annotated[
        str, typer.Option(help="hc (exact) or h (Vogt's hidden-state-only approximation).")
    ] = "hc",
    seed: Annotated[int, typer.Option(help="Seed of the Gaussian inputs.")] = 0,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Folder for lyapunov.json, index.html and the plots: a new or empty "
            "folder, or a neurodyn report folder (replaced whole). A file, a folder of yours or "
            "another kind of neurodyn output is refused before the work starts."
        ),
    ] = None,
    json: Annotated[str | None, typer.Option("--json", help=_JSON_HELP)] = None,
    unsafe_load: Unsafe = False,
) -> None:
    """Lyapunov spectrum of a saved recurrent model driven by Gaussian (or given) inputs."""

    from neurodyn.cli._load import check_out_dir
    from neurodyn.io import LoadError, load_model
    from neurodyn.lyapunov import lyapunov_spectrum
    from neurodyn.report import dtype_digits, lyapunov_report, provenance
    from neurodyn.systems import as_map

    con = _console(json)
    if out is not None:
        check_out_dir(out)
    check_json(json, out)
    try:
        loaded = load_model(model, kind=kind, prefix=prefix, key=key, unsafe=unsafe_load)
    except LoadError as err:
        if not (err.needs or "").startswith("--arch"):
            raise
        name = " (name each ? with an activation, e.g. tanh)" if "?" in err.needs else ""
        raise LoadError(
            f"{model} holds a state dict of a feedforward net, not a recurrent module: neurodyn "
            "lyapunov takes an nn.RNN/LSTM/GRU (or cell). For the Lyapunov exponents of a "
            f"feedforward map x_(t+1) = f(x_t) run neurodyn analyze {model} {err.needs}{name}."
        ) from None
    module = loaded.module
    if loaded.kind == "feedforward":
        raise InputError(
            f"{model} holds a feedforward {type(module).__name__}, not a recurrent module; "
            "use neurodyn analyze for it."
        )
    _notes(loaded, con)
    f = as_map(module, lstm_state=lstm_state) if "LSTM" in type(module).__name__ else as_map(module)
    dtype = next(module.parameters()).dtype
    x, used = _drive(inputs, inputs_key, batch, steps, warmup, f.input_size, dtype, seed, input_std)
    con.print(f"inputs: {escape(used)}")
    with bar(f"{type(module).__name__}, {x.shape[0]} sequences", con) as (progress, _):
        res = lyapunov_spectrum(
            f, x, warmup=warmup, t_on=t_on, k=k, steps=x.shape[1] - warmup, progress=progress
        )
    _print_spectrum(res, f, con)
    title = f"Lyapunov spectrum of {type(module).__name__} ({model.name})"
    rep = lyapunov_report(res, title=title, max_digits=dtype_digits(loaded.saved_dtype))
    rep.data["inputs"] = used
    rep.data["provenance"] = provenance(
        model=loaded.to_dict(),
        command=sys.argv,
        options=_options(kind=kind, prefix=prefix, key=key, batch=batch, steps=steps,
                         warmup=warmup, t_on=t_on, k=k, input_std=input_std, inputs=inputs,
                         inputs_key=inputs_key, lstm_state=lstm_state),
        seed=seed,
    )  # fmt: skip
    rep.sections[0].blocks.insert(0, {"type": "text", "text": f"Inputs: {used}."})
    for note in loaded.notes:
        rep.sections[0].blocks.insert(0, {"type": "text", "text": f"Note: {note}."})
    body = rep.write(out, json_name="lyapunov.json") if out is not None else rep.to_dict()
    write_json(body, json, None)
    if out is not None:
        con.print(f"Written to [bold]{out / 'index.html'}[/bold]")


def _print_spectrum(res, f, con: Console) -> None:
    import torch

    from neurodyn.report import fmt, fmt_pm

    table = Table(title=f"Lyapunov spectrum ({f.dim}-D state)")
    table.add_column("i", justify="right")
    table.add_column("λ_i (nats/step) ± s.e.", justify="right")
    shown = min(10, res.k)
    for i in range(shown):
        table.add_row(str(i + 1), fmt_pm(float(res.exponents[i]), float(res.stderr[i]), sign=True))
    if res.k > shown:
        table.add_row("…", f"({res.k - shown} more)")
    con.print(table)
    if res.interrupted:
        con.print(
            f"[yellow]interrupted:[/yellow] the spectrum is over the {res.steps} steps finished."
        )
    st = res.stats()
    se = res.stderr[torch.isfinite(res.stderr)]
    se = float(se.max()) if se.numel() else None
    n_inf = int(torch.isneginf(res.exponents).sum())
    mean = fmt(st["mean"], se, sign=True) if n_inf == 0 else (
        f"−∞ ({n_inf} of {res.k} exponents are −∞)"
    )  # fmt: skip
    drift = res.drift[torch.isfinite(res.drift)]
    drift = fmt(float(drift.max()), digits=2) if drift.numel() else "n/a"
    con.print(
        f"max {fmt(st['max'], float(res.stderr[0]), sign=True)}   mean {mean}   "
        f"#positive {st['n_positive']}   "
        f"Kaplan–Yorke {fmt(st['kaplan_yorke'])}   max drift (last 20 %) {drift}"
    )


@app.command()
@clean_errors
def analyze(
    model: Annotated[Path, typer.Argument(help=_MODEL_HELP)],
    arch: Annotated[
        str | None,
        typer.Option(
            help="Layer spec of a feedforward state dict: widths and activations, "
            "e.g. 2-64-tanh-2 (every width after the first adds an nn.Linear)."
        ),
    ] = None,
    box: Annotated[
        str | None,
        typer.Option(
            help="State box: -3,3 for every axis or -1,1:-2,2 per axis (write "
            "--box=-3,3). Default [-3, 3] on every axis."
        ),
    ] = None,
    out: Out = None,
    json: Annotated[str | None, typer.Option("--json", help=_JSON_HELP)] = None,
    key: Key = None,
    prefix: Prefix = None,
    kind: Kind = "auto",
    unsafe_load: Unsafe = False,
    seed: Annotated[int, typer.Option(help="Seed of sampled points and Gaussian inputs.")] = 0,
    resolution: Annotated[
        int, typer.Option(min=3, help="Grid points per axis for A*(x) and certificates (n ≤ 2).")
    ] = 101,
    samples: Annotated[
        int, typer.Option(min=10, help="Sampled points for A*(x) and certificates (n > 2).")
    ] = 4000,
    basin_resolution: Annotated[int, typer.Option(min=3, help="Basin grid per axis (2-D).")] = 121,
    steps: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Steps of basins and Lyapunov exponents; default 300 (for a recurrent "
            "model with --inputs: what the file holds after the warm-up).",
        ),
    ] = None,
    warmup: Annotated[int, typer.Option(min=0, help="Lyapunov warm-up steps.")] = 100,
    batch: Annotated[
        int | None,
        typer.Option(
            min=1, help="Trajectories / input sequences for the Lyapunov exponents (default 8)."
        ),
    ] = None,
    k: Annotated[
        int | None,
        typer.Option(
            help="Number of exponents (default: all for a map, the leading 10 for a "
            "recurrent model)."
        ),
    ] = None,
    inputs: Inputs = None,
    inputs_key: InputsKey = None,
    input_std: Annotated[float, typer.Option(help="Std of the Gaussian driving inputs.")] = 1.0,
    lstm_state: Annotated[str, typer.Option(help="LSTM state: hc (exact) or h.")] = "hc",
) -> None:
    """Analyse your own model: a square feedforward net as x_{t+1} = f(x_t) over a box (affine
    form, spectra, certificates, fixed points, attractors, basins, Lyapunov exponents), a
    recurrent one by its Lyapunov spectrum. Writes a report (--out) and/or JSON (--json)."""
    from neurodyn.cli._load import check_out_dir
    from neurodyn.io import load_model
    from neurodyn.report import analyze as run_analysis
    from neurodyn.report import provenance

    con = _console(json)
    if out is not None:
        check_out_dir(out)
    check_json(json, out)
    loaded = load_model(model, arch=arch, key=key, prefix=prefix, kind=kind, unsafe=unsafe_load)
    _notes(loaded, con)
    net = loaded.module
    given = _options(arch=arch, box=box, key=key, prefix=prefix, kind=kind, seed=seed,
                     resolution=resolution, samples=samples, basin_resolution=basin_resolution,
                     steps=steps, warmup=warmup, batch=batch, k=k, inputs=inputs,
                     inputs_key=inputs_key, input_std=input_std, lstm_state=lstm_state)  # fmt: skip
    options: dict = {"warmup": warmup, "k": k}
    if loaded.kind == "feedforward":
        if inputs is not None:
            raise InputError("--inputs drives a recurrent model; a feedforward map has none.")
        from neurodyn.report._analyze import _feedforward_map

        dim = _feedforward_map(net)[1]
        pairs = parse_box(box, dim)
        options |= {"resolution": resolution, "samples": samples,
                    "basin_resolution": basin_resolution, "steps": steps or 300,
                    "batch": batch or 8}  # fmt: skip
    else:
        if box is not None:
            raise InputError("--box is for feedforward maps; a recurrent model is driven by "
                             "inputs (--inputs or Gaussian, --input-std).")  # fmt: skip
        from neurodyn.systems import as_map

        f = as_map(net, lstm_state=lstm_state) if "LSTM" in type(net).__name__ else as_map(net)
        dtype = next(net.parameters()).dtype
        x, used = _drive(inputs, inputs_key, batch, steps, warmup, f.input_size, dtype, seed,
                         input_std, default_steps=300)  # fmt: skip
        con.print(f"inputs: {escape(used)}")
        pairs = None
        options |= {"inputs": x, "inputs_description": used, "lstm_state": lstm_state,
                    "input_std": input_std}  # fmt: skip
    prov = provenance(model=loaded.to_dict(), command=sys.argv, options=given, seed=seed)
    with bar("analysing", con) as (progress, stage):
        rep = run_analysis(
            net, pairs, None, title=f"neurodyn analyze: {model.name}", seed=seed,
            provenance=prov, stage=stage, progress=progress, **options,
        )  # fmt: skip
        if out is not None:
            stage("writing the report")
            body = rep.write(out)
        else:
            body = rep.to_dict()
    write_json(body, json, None)
    print_summary(rep.summary(), con)
    if out is not None:
        con.print(f"Report written to [bold]{out / 'index.html'}[/bold]")


@app.command()
@clean_errors
def sweep(
    config: Annotated[
        Path,
        typer.Argument(
            help="A YAML (or TOML) sweep: task, model, epochs, seeds (a list), grid (parameter "
            "-> list of values); see docs/sweep.md."
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            help="The store directory: new, empty, or a store of an earlier run (continued). "
            "A file, a folder of yours or another kind of neurodyn output is refused."
        ),
    ],
    ray: Annotated[
        bool, typer.Option("--ray", help="Run the jobs on Ray (neurodyn[ray]).")
    ] = False,
    address: Annotated[
        str | None, typer.Option(help="An existing Ray cluster ('auto'); implies --ray.")
    ] = None,
    workers: Annotated[int | None, typer.Option(help="Parallel jobs (default: CPUs).")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds one job may run.")] = 3600.0,
    sequential: Annotated[
        bool, typer.Option("--sequential", help="Run in this process, one job at a time.")
    ] = False,
    retry_failed: Annotated[
        bool, typer.Option(help="Rerun the jobs the store records as failed.")
    ] = True,
    progress: Annotated[bool, typer.Option(help="Show a progress bar with ETA.")] = True,
) -> None:
    """Train every configuration of a sweep x seeds; record spectra and validation scores.

    One Parquet file per finished job under OUT (read it with pyarrow.dataset.dataset(OUT) or
    neurodyn.sweep.read); a rerun skips finished jobs, a failing job is recorded and the others
    go on, Ctrl-C loses nothing that finished.
    """
    from neurodyn import sweep as _sweep
    from neurodyn._core._files import claim_folder

    claim_folder(out, "sweep-store", what="--out")
    backend = "ray" if ray or address else "sequential" if sequential else "local"
    try:
        s = _sweep.run(
            config,
            out,
            backend=backend,
            workers=workers,
            timeout=timeout,
            retry_failed=retry_failed,
            address=address,
            progress=progress,
        )
    except KeyboardInterrupt:
        typer.echo(
            f"interrupted: the finished jobs are in {out}; rerun the same command to continue.",
            err=True,
        )
        raise typer.Exit(code=130) from None
    console.print(
        f"{s.total} jobs: {s.ok} finished, {s.failed} failed, {s.skipped} already done "
        f"({s.seconds:.1f} s, {s.backend}) -> {escape(str(out))}"
    )
    for h, err in s.failures.items():
        console.print(f"[red]failed[/red] {h}: {escape(err)}")
