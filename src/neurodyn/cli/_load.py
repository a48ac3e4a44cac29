"""The CLI's side of loading: where a report may be written (``check_out_dir``). Loading a model
or an inputs file is the library's (:mod:`neurodyn.io`, ``neurodyn.load_model``); its names are
re-exported here for older imports."""

from __future__ import annotations

from pathlib import Path

from neurodyn.io import KINDS, Loaded, LoadError, load_inputs, load_model, load_recurrent_module

__all__ = [
    "KINDS",
    "LoadError",
    "Loaded",
    "check_out_dir",
    "load_inputs",
    "load_model",
    "load_recurrent_module",
]


def check_out_dir(out: Path) -> None:
    """Refuse, before any work, an ``--out`` that is a file, a non-empty folder neurodyn did
    not write, or another kind of neurodyn output (a training run, a sweep store); an earlier
    report folder is replaced (docs/cli.md, "Output paths")."""
    from neurodyn._core._files import claim_folder

    claim_folder(out, "report", what="--out")
