"""The ``neurodyn`` command line."""

from __future__ import annotations

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
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from neurodyn.cli._report import phase_plane_report
    from neurodyn.zoo import demo_net

    net = demo_net()
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("starting", total=None)
        report = phase_plane_report(
            net,
            out,
            resolution=resolution,
            title="neurodyn demo: bistable 2-D tanh network (neurodyn.zoo.demo_net)",
            progress=lambda msg: bar.update(task, description=msg),
        )
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


def _num(v) -> str:
    return v if isinstance(v, str) else f"{v:.4g}"


def _intervals(rows) -> str:
    if not rows:
        return "—"
    return " ∪ ".join(f"[{_num(lo)}, {_num(hi)}]" for lo, hi in rows)


@app.command()
def activations() -> None:
    """Print the stability class of every supported activation (seed 000 §3.3)."""
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
    console.print("* Lemma 8 as the seed applies it: σ(0) = 0 and sup|Λ| ≤ 1 (numerical grid).")


def main() -> None:
    app()
