"""The typer app, its consoles, and the error handling every command shares."""

from __future__ import annotations

import functools
import sys
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console

__all__ = ["app", "check_json", "clean_errors", "console", "parse_box", "stages", "write_json"]

app = typer.Typer(
    help="neurodyn: neural networks as dynamical systems.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()

#: Errors a user can cause (a bad file, option or model) become one line on stderr, exit 2.
USER_ERRORS = (ValueError, TypeError, KeyError, FileNotFoundError, OSError, RuntimeError)


def clean_errors(fn):
    """Run a command; a user error (and neurodyn's own errors) is printed as one line
    ``error: …`` on stderr with exit code 2, never a traceback."""
    from neurodyn._core import NeurodynError

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort):  # typer's own exits are RuntimeErrors: let them out
            raise
        except (NeurodynError, *USER_ERRORS) as err:
            msg = " ".join(str(err).split()) or type(err).__name__
            if isinstance(err, KeyError | RuntimeError):
                msg = f"{type(err).__name__}: {msg}"
            typer.echo(f"error: {msg}", err=True)
            raise typer.Exit(code=2) from None

    return wrapper


@contextmanager
def stages(con: Console | None = None):
    """A transient spinner with elapsed time; yields ``progress(message)`` for each stage."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=con or console, transient=True) as bar:
        task = bar.add_task("starting", total=None)
        yield lambda msg: bar.update(task, description=msg)


@contextmanager
def bar(description: str, con: Console):
    """A rich progress bar as a ``progress(done, total)`` callback (neurodyn's protocol), plus
    ``stage(message)`` to relabel it."""
    from rich.progress import Progress

    from neurodyn._core import bar_columns

    with Progress(*bar_columns(), console=con, transient=True) as p:
        task = p.add_task(description, total=None)

        def progress(done: int, total: int) -> None:
            p.update(task, completed=done, total=total)

        def stage(message: str) -> None:
            p.update(task, description=message, completed=0, total=None)

        yield progress, stage


def parse_box(text: str | None, dim: int | None = None):
    """``-3,3`` (every axis) or ``-1,1:-2,2`` (one pair per axis) as (low, high) pairs.

    Raises:
        ValueError: a malformed pair (named), or a per-axis box of the wrong dimension.
    """
    if text is None:
        return None
    pairs = []
    for i, part in enumerate(str(text).split(":"), start=1):
        bits = part.split(",")
        try:
            lo, hi = (float(b) for b in bits)
        except ValueError:
            raise ValueError(
                f"--box {text!r}: axis {i} ({part!r}) is not 'low,high' (e.g. --box -3,3 for "
                "every axis or --box -1,1:-2,2 per axis)."
            ) from None
        if not lo < hi:
            raise ValueError(f"--box {text!r}: axis {i} needs low < high, got {part!r}.")
        pairs.append((lo, hi))
    if len(pairs) == 1 and dim is not None:
        pairs = pairs * dim
    if dim is not None and len(pairs) != dim:
        raise ValueError(
            f"--box {text!r} has {len(pairs)} axes but the model has {dim} dimensions; give "
            "one pair for every axis or a single pair for all."
        )
    return pairs


def write_json(body: dict, target: str | None, default: Path | None) -> None:
    """The report's JSON to stdout (``target == "-"``), to a file, or nowhere."""
    from neurodyn._core import dump_json

    if target == "-":
        sys.stdout.write(dump_json(body) + "\n")
        sys.stdout.flush()
    elif target is not None:
        from neurodyn._core._files import write_json_file

        write_json_file(dump_json(body) + "\n", Path(target))  # atomic; parent created
    elif default is not None:
        dump_json(body, default)


def check_json(target: str | None, out: Path | None = None) -> None:
    """Refuse, before any work, a ``--json`` target that is not new, empty or a report JSON
    neurodyn wrote (docs/cli.md, "Output paths"), or that is the ``--out`` folder or in it (the
    folder holds the JSON already; a second file there would not be the report's own)."""
    from neurodyn._core._files import claim_file

    if target is None or target == "-":
        return
    if out is not None:
        json_at, out_at = Path(target).absolute(), Path(out).absolute()
        if out_at in (json_at, json_at.parent):
            from neurodyn._core import OutputExistsError

            where = "is the --out folder" if json_at == out_at else "is inside the --out folder"
            raise OutputExistsError(
                f"--json {target} {where}, which holds the report's JSON already; leave --json "
                "out or give a path outside the folder."
            )
    claim_file(target, "report", what="--json")
