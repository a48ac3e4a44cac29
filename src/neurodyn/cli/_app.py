"""The typer app, its consoles, and the error handling every command shares."""

from __future__ import annotations

import ast
import errno
import functools
import os
import sys
import traceback
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console

from neurodyn._core import InputError

__all__ = [
    "app",
    "check_json",
    "clean_errors",
    "console",
    "is_user_error",
    "parse_box",
    "print_summary",
    "stages",
    "write_json",
]

app = typer.Typer(
    help="neurodyn: neural networks as dynamical systems.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()

#: Exit codes (docs/cli.md): 2 a user error (one line), 3 a bug in neurodyn (with the traceback),
#: 130 interrupted (Ctrl-C). click's own usage errors (an unknown option) are exit 2 as well.
EXIT_USER, EXIT_INTERNAL, EXIT_INTERRUPTED = 2, 3, 130

#: OS errors about a path the user named (the message carries the path): the input's fault.
_PATH_ERRORS = (FileNotFoundError, FileExistsError, IsADirectoryError, NotADirectoryError,
                PermissionError)  # fmt: skip
#: OS errors of the machine, not of neurodyn: a full or read-only disk, an exceeded quota.
_DISK_ERRNOS = frozenset(
    getattr(errno, n) for n in ("ENOSPC", "EROFS", "EDQUOT") if hasattr(errno, n)
)
_SRC = Path(__file__).resolve().parents[1]  # src/neurodyn
_REPORT_TO = "to the neurodyn maintainers with this traceback"


def _raised_on_purpose(err: BaseException) -> bool:
    """Whether a plain ``ValueError`` / ``TypeError`` was raised by a ``raise`` statement in
    neurodyn's own code (a check of the input that predates :class:`InputError`), rather than
    by Python, torch or numpy (``not enough values to unpack``, a dtype mismatch): those are
    bugs. The innermost frame of the traceback must be in ``src/neurodyn`` and its line inside
    a ``raise`` statement."""
    tb = err.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    file = Path(tb.tb_frame.f_code.co_filename)
    if not file.is_relative_to(_SRC):
        return False
    try:
        tree = ast.parse(file.read_text(), str(file))
    except (OSError, SyntaxError, ValueError):
        return False
    line = tb.tb_lineno
    return any(
        isinstance(node, ast.Raise) and node.lineno <= line <= (node.end_lineno or node.lineno)
        for node in ast.walk(tree)
    )


def is_user_error(err: BaseException) -> bool:
    """The input's fault (exit 2): a :class:`neurodyn.errors.NeurodynError` (``InputError``,
    ``LoadError``, ``DivergenceError``), an OS error about a path the user named or about the
    disk, or a plain ``ValueError`` / ``TypeError`` that a neurodyn check raised on purpose.
    Anything else (``KeyError``, ``IndexError``, ``AttributeError``, ``RuntimeError``, an
    ``AssertionError``, a ``ValueError`` from Python or torch) is a bug in neurodyn."""
    from neurodyn._core import NeurodynError

    if isinstance(err, (NeurodynError, *_PATH_ERRORS)):
        return True
    if isinstance(err, OSError) and err.errno in _DISK_ERRNOS:
        return True
    return type(err) in (ValueError, TypeError) and _raised_on_purpose(err)


def _debug() -> bool:
    return os.environ.get("NEURODYN_DEBUG", "").strip().lower() not in ("", "0", "false", "no")


def clean_errors(fn):
    """Run a command. A user error (:func:`is_user_error`) is one line ``error: …`` on stderr,
    exit code 2 (with ``NEURODYN_DEBUG=1`` its traceback too). Anything else is a bug in
    neurodyn: it says so and where to report it, prints the traceback, exit code 3. Ctrl-C is
    exit code 130."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort):  # typer's own exits are RuntimeErrors: let them out
            raise
        except KeyboardInterrupt:
            typer.echo("interrupted.", err=True)
            raise typer.Exit(code=EXIT_INTERRUPTED) from None
        except Exception as err:
            msg = " ".join(str(err).split()) or type(err).__name__
            if is_user_error(err):
                if _debug():
                    traceback.print_exception(err, file=sys.stderr)
                typer.echo(f"error: {msg}", err=True)
                raise typer.Exit(code=EXIT_USER) from None
            traceback.print_exception(err, file=sys.stderr)
            typer.echo(
                f"internal error in neurodyn (a bug, not your input): {type(err).__name__}: "
                f"{msg}; please report it {_REPORT_TO}.",
                err=True,
            )
            raise typer.Exit(code=EXIT_INTERNAL) from None

    return wrapper


def print_summary(summary, con: Console) -> None:
    """A :class:`neurodyn.report.Summary` as a rich table, then its notes (all plain text)."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=escape(summary.title), show_lines=False)
    table.add_column("quantity")
    table.add_column("value")
    for quantity, value in summary.rows:
        table.add_row(escape(quantity), escape(value))
    con.print(table)
    for line in summary.notes:
        con.print(f"[dim]{escape(line)}[/dim]")


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
            raise InputError(
                f"--box {text!r}: axis {i} ({part!r}) is not 'low,high' (e.g. --box -3,3 for "
                "every axis or --box -1,1:-2,2 per axis)."
            ) from None
        if not lo < hi:
            raise InputError(f"--box {text!r}: axis {i} needs low < high, got {part!r}.")
        pairs.append((lo, hi))
    if len(pairs) == 1 and dim is not None:
        pairs = pairs * dim
    if dim is not None and len(pairs) != dim:
        raise InputError(
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
