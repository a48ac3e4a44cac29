"""What the sweep studies in this folder share: letting pool / Ray workers import them.

A study whose job is ``"<study file>:<function>"`` needs this folder and this checkout's ``src``
on the workers' import path; :func:`worker_path` puts both first on ``sys.path`` and on
``PYTHONPATH`` (which spawned workers inherit), keeping what was there after them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def worker_path() -> None:
    """Put ``benchmarks/`` and ``src/`` first on ``sys.path`` and ``PYTHONPATH``."""
    paths = [str(HERE), str(HERE.parent / "src")]
    for p in reversed(paths):
        if p not in sys.path:
            sys.path.insert(0, p)
    old = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys([*paths, *old]))
