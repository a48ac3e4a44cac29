"""Reading a user's saved model and inputs: :func:`load_model` (also ``neurodyn.load_model``),
the one loader behind ``neurodyn analyze`` and ``neurodyn lyapunov``.

A file may hold a TorchScript or ``torch.export`` archive (rebuilt as plain torch modules and
checked against the archive on random inputs), a state dict (an ``nn.RNN/LSTM/GRU`` read off its
weight names and shapes; a feedforward net with ``arch="2-64-tanh-2"``, :func:`parse_arch`), a
checkpoint dict (``key="model"``) or, with ``unsafe=True``, a pickled module. What cannot be read
as asked raises :class:`LoadError` (a :class:`neurodyn.errors.InputError`) with a message that
says what to pass instead. docs/cli.md has the table of formats.

Example:
    >>> import tempfile, pathlib, torch, neurodyn
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pathlib.Path(tmp) / "net.pt"
    ...     torch.save(net.state_dict(), path)
    ...     loaded = neurodyn.load_model(path, arch="2-8-tanh-2")
    >>> loaded.kind, loaded.source, type(loaded.module).__name__
    ('feedforward', 'state dict', 'Sequential')
"""

from neurodyn._core import LoadError
from neurodyn.io._arch import build_arch, load_arch_state, parse_arch, suggest_arch
from neurodyn.io._archive import load_archive
from neurodyn.io._load import Loaded, load_inputs, load_model, load_recurrent_module, sha256
from neurodyn.io._state import KINDS

__all__ = [
    "KINDS",
    "LoadError",
    "Loaded",
    "build_arch",
    "load_arch_state",
    "load_archive",
    "load_inputs",
    "load_model",
    "load_recurrent_module",
    "parse_arch",
    "sha256",
    "suggest_arch",
]
