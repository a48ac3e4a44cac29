"""neurodyn's typed errors (each also a built-in exception type such as ``ValueError``)."""

from neurodyn._core._errors import (
    DivergenceError,
    NeurodynError,
    OutputExistsError,
    OutputPathError,
)

__all__ = ["DivergenceError", "NeurodynError", "OutputExistsError", "OutputPathError"]
