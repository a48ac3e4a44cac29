"""Typed errors. Each is also a built-in exception type (``ValueError``), so code that catches
those keeps working; the typed ones carry data a caller can act on (a sweep records a divergence
as a failed job instead of crashing)."""

from __future__ import annotations

__all__ = [
    "DivergenceError",
    "InputError",
    "LoadError",
    "NeurodynError",
    "OutputExistsError",
    "OutputPathError",
]


class NeurodynError(Exception):
    """Base class of neurodyn's own errors. The command line prints one as a single line
    ``error: …`` with exit code 2 (the input's fault, not a bug); docs/cli.md."""


class InputError(NeurodynError, ValueError):
    """What the caller passed (a model, an option, a tensor, a file) cannot be used as asked.

    Raise it for every check of a user's input: the message says what was wrong and what to do
    instead. It is a ``ValueError``, so ``except ValueError`` keeps catching it; the command line
    reports it as one line, exit code 2. An error of any other type escaping a command is taken
    for a bug in neurodyn (exit code 3, with the traceback).
    """


class LoadError(InputError):
    """A model, checkpoint or inputs file could not be read as asked (:func:`neurodyn.load_model`);
    the message says why and what to pass instead.

    Attributes:
        needs: the command-line option that would have let the file be read, with what can be
            read off the file (``"--arch 2-64-?-2"`` for a feedforward state dict, which records
            no activations), or None; a caller that has no such option (``neurodyn lyapunov``)
            can point elsewhere.
    """

    def __init__(self, message: str, *, needs: str | None = None):
        super().__init__(message)
        self.needs = needs


class DivergenceError(NeurodynError, ValueError):
    """A state or tangent vector became NaN or inf (or left an escape radius) during iteration.

    Attributes:
        step: the step at which it was detected (1-based, warm-up steps counted), or None.
        first_step: the first step of the stretch in which it happened (= ``step`` when it was
            checked every step).
        rows: the batch rows affected.
        what: ``"state"`` or ``"tangent"``.
    """

    def __init__(
        self,
        message: str,
        *,
        step: int | None = None,
        first_step: int | None = None,
        rows: list[int] | tuple[int, ...] = (),
        what: str = "state",
    ):
        super().__init__(message)
        self.step = step
        self.first_step = step if first_step is None else first_step
        self.rows = tuple(int(r) for r in rows)
        self.what = what

    def to_dict(self) -> dict:
        return {
            "error": type(self).__name__,
            "message": str(self),
            "step": self.step,
            "first_step": self.first_step,
            "rows": list(self.rows),
            "what": self.what,
        }


class OutputPathError(NeurodynError, OSError):
    """An output path (``--out``, ``--json``, a checkpoint folder, a sweep store) that neurodyn
    will not write to; raised before any work starts. The message says what is there and what
    to do (:func:`neurodyn._core._files.claim_folder`)."""


class OutputExistsError(OutputPathError, FileExistsError):
    """Something neurodyn did not write for this kind of output is already at the path: a file
    of yours, a non-empty folder of yours, or another kind of neurodyn output (a training run
    where a report would go). It is left unchanged."""
