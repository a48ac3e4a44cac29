"""The CLI's side of loading: where a report may be written (``check_out_dir``). Loading a model
or an inputs file is the library's (:mod:`neurodyn.io`, ``neurodyn.load_model``); its names are
re-exported here for older imports."""

from __future__ import annotations

from pathlib import Path

from neurodyn.io import KINDS, Loaded, LoadError, load_inputs, load_model, load_recurrent_module

__all__ = [
    "KINDS",
    "REPORT_MARKERS",
    "LoadError",
    "Loaded",
    "check_out_dir",
    "load_inputs",
    "load_model",
    "load_recurrent_module",
]


#: Files a neurodyn report folder may hold; a folder holding one of them is overwritten.
REPORT_MARKERS = ("index.html", "report.json", "lyapunov.json")


def check_out_dir(out: Path) -> None:
    """Refuse an ``--out`` that is a file, or a non-empty folder that holds no neurodyn report
    (so user files are never mixed with or overwritten by a report). An existing report folder
    (one with ``index.html``, ``report.json`` or ``lyapunov.json``) is overwritten."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise LoadError(f"--out {out} is an existing file; --out takes a folder for the report.")
    if out.is_dir() and any(out.iterdir()) and not any((out / m).exists() for m in REPORT_MARKERS):
        raise LoadError(
            f"--out {out} is a non-empty folder that holds no neurodyn report; pick a new or "
            "empty folder (an existing report folder is overwritten)."
        )
