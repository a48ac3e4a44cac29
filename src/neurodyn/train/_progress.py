"""The trainer's progress bar (rich), one step per batch."""

from __future__ import annotations

__all__ = ["Bar"]


class Bar:
    """A rich progress bar over all batches of the run (or nothing)."""

    def __init__(self, enabled: bool, total: int, done: int):
        self.bar = None
        if enabled:
            from rich.progress import Progress

            from neurodyn._core import bar_columns

            self.bar = Progress(*bar_columns())
            self.task = self.bar.add_task("training", total=total, completed=done)
            self.bar.start()

    def advance(self, description: str | None = None):
        if self.bar is not None:
            self.bar.update(self.task, advance=1, description=description)

    def describe(self, description: str):
        if self.bar is not None:
            self.bar.update(self.task, description=description)

    def close(self):
        if self.bar is not None:
            self.bar.stop()
