"""One progress protocol for every long computation.

A progress callback is any callable ``progress(done, total)`` with ``done`` and ``total`` in the
computation's own units (steps, grid points, jobs); it is called after each finished piece of
work and must return quickly. Pass None for no progress. :func:`rich_progress` gives a ready one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol

__all__ = ["Progress", "bar_columns", "notify", "rich_progress"]


class Progress(Protocol):
    """``progress(done, total)``: ``done`` of ``total`` units finished."""

    def __call__(self, done: int, total: int) -> None: ...


def notify(progress: Progress | None, done: int, total: int) -> None:
    """Call ``progress(done, total)`` if a callback was given."""
    if progress is not None:
        progress(done, total)


def bar_columns(*, percentage: bool = False) -> tuple:
    """The columns of every neurodyn progress bar: description, bar, (percentage,) done/total,
    elapsed time and ETA — one set, so the CLI, the trainer and the sweeps look alike."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    pct = (TaskProgressColumn(),) if percentage else ()
    return (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        *pct,
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )


@contextmanager
def rich_progress(
    description: str, *, transient: bool = False
) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar (bar, percentage, done/total, elapsed, ETA) as a progress callback.

    Example:
        >>> with rich_progress("Lyapunov spectrum") as progress:   # doctest: +SKIP
        ...     lyapunov_spectrum(net, inputs, progress=progress)
    """
    from rich.progress import Progress as RichProgress

    bar = RichProgress(*bar_columns(percentage=True), transient=transient)
    task = bar.add_task(description, total=None)

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    with bar:
        yield update
