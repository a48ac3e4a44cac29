"""neurodyn's typed errors (each also a built-in exception type such as ``ValueError``).

:class:`InputError` is the one to raise for a bad input (a model, option, tensor or file): the
command line prints every :class:`NeurodynError` as one line with exit code 2. :class:`LoadError`
(a model or inputs file that cannot be read as asked) is an :class:`InputError`;
:class:`OutputExistsError` (an output path that holds something neurodyn did not write for
that kind of output) an :class:`OutputPathError`, a :class:`NeurodynError` and an ``OSError``;
:class:`DivergenceError` (a state that became NaN or inf) a :class:`NeurodynError`."""

from neurodyn._core._errors import (
    DivergenceError,
    InputError,
    LoadError,
    NeurodynError,
    OutputExistsError,
    OutputPathError,
)

__all__ = [
    "DivergenceError",
    "InputError",
    "LoadError",
    "NeurodynError",
    "OutputExistsError",
    "OutputPathError",
]
