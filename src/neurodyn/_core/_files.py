"""Files that are either whole or absent: one atomic-write helper for checkpoints and stores."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

__all__ = ["atomic_write"]


def atomic_write(path, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp)`` on a hidden temporary file beside ``path``, flush it to disk, then
    ``os.replace`` it onto ``path`` (atomic on POSIX and Windows): a crash or Ctrl-C leaves the
    old file or the new one, never half of one.

    The temporary name starts with a dot (``.name.<pid>.tmp``) so readers that skip hidden files
    (``pyarrow.dataset``) never see it; the parent folder is created if missing.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
