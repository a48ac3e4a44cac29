"""The ``neurodyn`` command line (docs/cli.md): ``demo``, ``analyze``, ``lyapunov``,
``train``, ``robustness``, ``sweep``, ``paper-figures``, ``activations``. Every user error is
one line on stderr and exit code 2."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from neurodyn.cli import (
    _commands,  # noqa: F401  (registers analyze, lyapunov and sweep)
    _train,  # noqa: F401  (registers train and robustness)
)
from neurodyn.cli._app import app, clean_errors, console, print_summary
from neurodyn.cli._app import stages as _stages

__all__ = ["app", "main"]


def _version(value: bool) -> None:
    if value:
        import numpy
        import torch

        import neurodyn

        typer.echo(f"neurodyn {neurodyn.__version__} (torch {torch.__version__}, numpy "
                   f"{numpy.__version__})")  # fmt: skip
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """neurodyn: neural networks as dynamical systems."""


@app.command()
@clean_errors
def demo(
    out: Annotated[
        Path,
        typer.Option(
            help="Folder for report.json, the PNGs and index.html: new, empty or a neurodyn "
            "report folder (replaced); anything else is refused."
        ),
    ] = Path("neurodyn-report"),
    resolution: Annotated[
        int, typer.Option(min=11, help="Grid points per axis for the A*(x) maps.")
    ] = 201,
) -> None:
    """Analyse the built-in 2-D example network and write a report folder."""
    from neurodyn._core._files import claim_folder
    from neurodyn.report import phase_plane_report

    claim_folder(out, "report", what="--out")
    from neurodyn.zoo import demo_net

    with _stages() as progress:
        report = phase_plane_report(
            demo_net(),
            [(-4.0, 4.0), (-4.0, 4.0)],
            resolution=resolution,
            title="neurodyn demo: bistable 2-D tanh network (neurodyn.zoo.demo_net)",
            stage=progress,
        )
        report.write(out)
    _print_summary(report)
    console.print(f"Report written to [bold]{out / 'index.html'}[/bold]")


def _print_summary(report) -> None:
    """The summary the report gives (:meth:`neurodyn.report.Report.summary`) as a rich table."""
    print_summary(report.summary(), console)


@app.command("paper-figures")
@clean_errors
def paper_figures(
    out: Annotated[
        Path,
        typer.Option(
            help="Folder for fig2.png … fig8.png, paper_figures.json, index.html: new, empty or "
            "a neurodyn report folder (replaced); anything else is refused."
        ),
    ] = Path("neurodyn-paper-figures"),
    resolution: Annotated[
        int, typer.Option(min=11, help="Grid points per axis over the box [−6, 6]².")
    ] = 121,
) -> None:
    """Regenerate Drgoňa et al., Spectral analysis, Figs. 2–8 from the zoo and check the
    paper's claims."""
    from neurodyn._core._files import claim_folder
    from neurodyn.reproduce import paper_figures as build_figures

    claim_folder(out, "report", what="--out")
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
@clean_errors
def activations() -> None:
    """Print the stability class of every supported activation (Drgoňa et al., Spectral
    analysis, §3.3)."""
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


def main() -> None:
    app()
