"""The ``neurodyn`` command line."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

__all__ = ["app", "main"]

app = typer.Typer(
    help="neurodyn: neural networks as dynamical systems.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()


@contextmanager
def _stages():
    """A transient spinner with elapsed time; yields ``progress(message)`` for each stage."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("starting", total=None)
        yield lambda msg: bar.update(task, description=msg)


@app.command()
def demo(
    out: Annotated[
        Path, typer.Option(help="Folder for report.json, the PNGs and index.html.")
    ] = Path("neurodyn-report"),
    resolution: Annotated[
        int, typer.Option(min=11, help="Grid points per axis for the A*(x) maps.")
    ] = 201,
) -> None:
    """Analyse the built-in 2-D example network and write a report folder."""
    from neurodyn.report import phase_plane_report
    from neurodyn.zoo import demo_net

    with _stages() as progress:
        report = phase_plane_report(
            demo_net(),
            [(-4.0, 4.0), (-4.0, 4.0)],
            resolution=resolution,
            title="neurodyn demo: bistable 2-D tanh network (neurodyn.zoo.demo_net)",
            stage=progress,
        ).write(out)
    _print_summary(report)
    console.print(f"Report written to [bold]{out / 'index.html'}[/bold]")


def _print_summary(report: dict) -> None:
    aff = report["affine_form"]["spectral_radius"]
    table = Table(title=report["title"], show_lines=False)
    table.add_column("quantity")
    table.add_column("value")
    table.add_row("attractor type", report["attractor"]["kind"])
    for p in report["fixed_points"]["points"]:
        table.add_row(
            "fixed point",
            f"({p['x'][0]:+.4f}, {p['x'][1]:+.4f})  {p['kind']}  ρ(J)={p['spectral_radius']:.3f}",
        )
    table.add_row("max ρ(A*(x)) on grid", f"{aff['max']:.4f}")
    table.add_row("fraction of grid with ρ > 1", f"{aff['fraction_above_1']:.3f}")
    for c in report["certificates"]["certificates"]:
        verdict = "holds" if c["holds"] else "does not hold"
        margin = c["margin"]
        margin = f"{margin:+.4g}" if isinstance(margin, float) else "n/a"
        table.add_row(escape(f"{c['name']} [{c['kind']}]"), f"{verdict} (margin {margin})")
    console.print(table)


@app.command("paper-figures")
def paper_figures(
    out: Annotated[
        Path, typer.Option(help="Folder for fig2.png … fig8.png, paper_figures.json, index.html.")
    ] = Path("neurodyn-paper-figures"),
    resolution: Annotated[
        int, typer.Option(min=11, help="Grid points per axis over the box [−6, 6]².")
    ] = 121,
) -> None:
    """Regenerate Drgoňa et al. 2022, Figs. 2–8 from the zoo and check the paper's claims."""
    from neurodyn.reproduce import paper_figures as build_figures

    with _stages() as progress:
        report = build_figures(out, resolution=resolution, progress=progress)
    table = Table(title=f"{report['title']} ({report['seconds']:.1f} s)", show_lines=True)
    table.add_column("fig.", no_wrap=True)
    table.add_column("the paper says")
    table.add_column("measured")
    table.add_column("verdict", no_wrap=True)
    styles = {"reproduced": "green", "not reproduced": "yellow", "refuted": "yellow"}
    for c in report["claims"]:
        style = styles.get(c["status"], "red")
        verdict = f"[{style}]{'pass' if c['passed'] else 'fail'}[/{style}]\n{c['status']}"
        table.add_row(c["figure"], escape(c["paper"]), escape(c["measured"]), verdict)
    console.print(table)
    for name, reason in report["not_reproduced"].items():
        console.print(f"[yellow]not reproduced[/yellow] {name}: {escape(reason)}")
    console.print(f"Figures written to [bold]{out / 'index.html'}[/bold]")


def _num(v) -> str:
    return v if isinstance(v, str) else f"{v:.4g}"


def _intervals(rows) -> str:
    if not rows:
        return "—"
    return " ∪ ".join(f"[{_num(lo)}, {_num(hi)}]" for lo, hi in rows)


@app.command()
def activations() -> None:
    """Print the stability class of every supported activation (Drgoňa et al. 2022, §3.3)."""
    from neurodyn.activations import activation_table

    table = Table(title="Activations: Λ(z) = (σ(z) − σ(0))/z  (docs/activations.md)")
    table.add_column("activation", no_wrap=True)
    for col in ("σ(0)", "Lip", "sup|Λ|", "bound", "Lemma 8*", "BIBO", "|Λ|>1 on"):
        table.add_column(col)
    for row in activation_table():
        d = row.to_dict()
        table.add_row(
            d["name"],
            _num(d["sigma0"]),
            _num(d["lipschitz"]),
            _num(d["lambda_sup"]),
            _num(d["lambda_bound"]),
            "yes" if d["asymptotically_stable_relaxed"] else "no",
            "yes" if d["bibo_stable"] else "no",
            _intervals(d["unstable_intervals"]),
        )
    console.print(table)
    console.print("* Lemma 8 as the paper applies it: σ(0) = 0 and sup|Λ| ≤ 1 (numerical grid).")


@app.command()
def lyapunov(
    model: Annotated[
        Path,
        typer.Argument(
            help="A saved state_dict (or, with --unsafe-load, a pickled module) of an "
            "nn.RNN/LSTM/GRU or cell."
        ),
    ],
    kind: Annotated[
        str,
        typer.Option(
            help="auto, rnn_tanh, rnn_relu, lstm or gru. auto reads LSTM / GRU off the weight "
            "shapes; a plain RNN state dict does not record its nonlinearity, so for it pass "
            "--kind rnn_tanh or --kind rnn_relu."
        ),
    ] = "auto",
    prefix: Annotated[
        str | None, typer.Option(help="Key prefix of the recurrent module in the state dict.")
    ] = None,
    batch: Annotated[
        int, typer.Option(min=1, help="Input sequences (error bars across them).")
    ] = 8,
    steps: Annotated[int, typer.Option(min=1, help="Accumulated steps.")] = 500,
    warmup: Annotated[int, typer.Option(min=0, help="Warm-up steps (state and tangent).")] = 100,
    t_on: Annotated[int, typer.Option(min=1, help="Steps between QR factorisations.")] = 1,
    k: Annotated[int | None, typer.Option(help="Number of exponents (default: all).")] = None,
    input_std: Annotated[float, typer.Option(help="Std of the Gaussian driving inputs.")] = 1.0,
    inputs: Annotated[
        Path | None, typer.Option(help="A .pt tensor (B, T, input_size) of inputs instead.")
    ] = None,
    lstm_state: Annotated[
        str, typer.Option(help="hc (exact) or h (Vogt's hidden-state-only approximation).")
    ] = "hc",
    seed: Annotated[int, typer.Option(help="Seed of the Gaussian inputs.")] = 0,
    out: Annotated[Path | None, typer.Option(help="Folder for lyapunov.json and plots.")] = None,
    unsafe_load: Annotated[
        bool, typer.Option(help="Allow a pickled module (torch.load weights_only=False).")
    ] = False,
) -> None:
    """Lyapunov spectrum of a saved recurrent model driven by Gaussian (or given) inputs."""
    import torch

    from neurodyn.cli._load import load_recurrent_module
    from neurodyn.lyapunov import lyapunov_spectrum
    from neurodyn.systems import as_map

    try:
        module = load_recurrent_module(model, kind=kind, prefix=prefix, unsafe=unsafe_load)
        f = (
            as_map(module, lstm_state=lstm_state)
            if "LSTM" in type(module).__name__
            else as_map(module)
        )
        dtype = next(module.parameters()).dtype
        if inputs is not None:
            x = torch.load(inputs, map_location="cpu", weights_only=True).to(dtype)
        else:
            gen = torch.Generator().manual_seed(seed)
            x = input_std * torch.randn(
                batch, warmup + steps, f.input_size, generator=gen, dtype=dtype
            )
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=console) as bar:
            task = bar.add_task(f"{type(module).__name__}, {x.shape[0]} sequences", total=None)
            res = lyapunov_spectrum(
                f,
                x,
                warmup=warmup,
                t_on=t_on,
                k=k,
                steps=min(steps, x.shape[1] - warmup),
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    except (ValueError, TypeError, FileNotFoundError) as err:
        console.print(f"[red]error:[/red] {escape(str(err))}")
        raise typer.Exit(code=2) from err
    table = Table(title=f"Lyapunov spectrum of {escape(repr(f))}")
    table.add_column("i", justify="right")
    table.add_column("λ_i (nats/step)", justify="right")
    table.add_column("± s.e.", justify="right")
    shown = min(10, res.k)
    for i in range(shown):
        se = float(res.stderr[i])
        table.add_row(
            str(i + 1), _exponent(float(res.exponents[i])), f"{se:.1e}" if se == se else "—"
        )
    if res.k > shown:
        table.add_row("…", f"({res.k - shown} more)", "")
    console.print(table)
    if res.interrupted:
        console.print(
            f"[yellow]interrupted:[/yellow] the spectrum is over the {res.steps} steps finished."
        )
    st = res.stats()
    n_inf = int(torch.isneginf(res.exponents).sum())
    mean = f"{st['mean']:+.5f}" if n_inf == 0 else f"−∞ ({n_inf} of {res.k} exponents are −∞)"
    drift = res.drift[torch.isfinite(res.drift)]
    drift = f"{float(drift.max()):.1e}" if drift.numel() else "n/a"
    console.print(
        f"max {_exponent(st['max'])}   mean {mean}   #positive {st['n_positive']}   "
        f"Kaplan–Yorke {st['kaplan_yorke']:.3f}   max drift (last 20 %) {drift}"
    )
    if out is not None:
        from neurodyn.report import lyapunov_report

        title = f"Lyapunov spectrum of {type(module).__name__} ({model.name})"
        lyapunov_report(res, title=title).write(out, json_name="lyapunov.json")
        console.print(f"Written to [bold]{out / 'index.html'}[/bold]")


def _exponent(v: float) -> str:
    """An exponent for the terminal: ±∞ and NaN spelled out."""
    if v != v:
        return "NaN"
    return {float("inf"): "+∞", float("-inf"): "−∞"}.get(v, f"{v:+.5f}")


def main() -> None:
    app()
