"""Provenance of a result or report: what was analysed or trained, how, with which versions,
when (used by ``neurodyn.report`` and ``neurodyn.train``; re-exported as
``neurodyn.report.provenance``)."""

from __future__ import annotations

import datetime as _dt
import platform
import sys
from typing import Any

__all__ = ["provenance"]


def provenance(
    *,
    model: dict | None = None,
    command: list[str] | None = None,
    options: dict | None = None,
    seed: int | None = None,
) -> dict[str, Any]:
    """The ``provenance`` entry of a report's JSON.

    Args:
        model: what was loaded (file, sha256, format, dtype, notes), e.g.
            ``neurodyn.cli`` 's ``Loaded.to_dict()``; None for a module passed in Python.
        command: the command line (``sys.argv`` for the CLI); None in Python.
        options: the analysis options as given.
        seed: the seed of every random draw (sampled points, inputs).

    Returns:
        A dict with ``model``, ``command``, ``options``, ``seed``, ``versions`` (neurodyn,
        torch, numpy, python, platform) and ``date`` (UTC, ISO 8601).

    Example:
        >>> sorted(provenance(seed=0)["versions"])
        ['neurodyn', 'numpy', 'platform', 'python', 'torch']
    """
    import numpy
    import torch

    import neurodyn

    return {
        "model": model,
        "command": command,
        "options": options or {},
        "seed": seed,
        "versions": {
            "neurodyn": neurodyn.__version__,
            "torch": torch.__version__,
            "numpy": numpy.__version__,
            "python": sys.version.split()[0],
            "platform": platform.platform(),
        },
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
