"""What runs in a worker (a pool process, a Ray worker, or the driver itself): import the job
function by its dotted path, call it on one config, and return its rows with the sweep's own
columns (a failure becomes one row, never an exception)."""

from __future__ import annotations

import datetime
import importlib
import os
import socket
import time
import traceback
from collections.abc import Callable, Mapping
from typing import Any

from neurodyn.sweep._config import canonical_json

__all__ = ["CORE_COLUMNS", "TIMING_COLUMNS", "execute", "failure_rows", "import_job"]

#: columns every row has, whatever the job function returns
CORE_COLUMNS = (
    "config_hash",
    "status",
    "job",
    "config",
    "seed",
    "row",
    "error",
    "traceback",
    "seconds",
    "finished_at",
    "host",
    "pid",
)
#: the core columns that differ between two runs of the same job (excluded when comparing)
TIMING_COLUMNS = ("seconds", "finished_at", "host", "pid")
_TRACEBACK_TAIL = 4000


def import_job(path: str) -> Callable[[dict], list[dict]]:
    """The function ``"package.module:function"`` names.

    Raises:
        ValueError: not of the form ``module:function``, or the module has no such function.
        ModuleNotFoundError: the module is not importable here (on Ray: on the worker).
    """
    module, sep, name = str(path).partition(":")
    if not sep or not module or not name:
        raise ValueError(
            f"job must be 'module:function' (e.g. 'neurodyn.sweep:train_job'), got {path!r}."
        )
    fn = getattr(importlib.import_module(module), name, None)
    if not callable(fn):
        raise ValueError(f"job {path!r}: module {module!r} has no function {name!r}.")
    return fn


def _plain(value: Any) -> Any:
    """numpy / torch values as Python ones (arrays and tensors as lists) for Parquet."""
    if hasattr(value, "tolist") and not isinstance(value, str):
        return value.tolist()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _meta(h: str, job: str, config: Mapping, seconds: float) -> dict:
    return {
        "config_hash": h,
        "job": job,
        "config": canonical_json(config),
        "seed": config.get("seed"),
        "seconds": float(seconds),
        "finished_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "host": socket.gethostname(),
        "pid": os.getpid(),
    }


def failure_rows(h: str, job: str, config: Mapping, error: str, tb: str = "", seconds=0.0):
    """The one row that records a failed job: ``status="failed"``, the error and the
    traceback's last 4000 characters."""
    return [
        {
            **_meta(h, job, config, seconds),
            "status": "failed",
            "row": 0,
            "error": error,
            "traceback": tb[-_TRACEBACK_TAIL:] or None,
        }
    ]


def execute(job: str, config: dict, h: str, threads: int | None = 1) -> list[dict]:
    """Run ``job(config)`` and return its rows, each with the :data:`CORE_COLUMNS`.

    ``threads`` caps torch's intra-op threads during the job (1 by default: the pool already
    runs one job per core, and the same thread count everywhere keeps the numbers identical
    between backends); the previous setting is restored afterwards. An exception in the job
    (or ``SystemExit``) becomes a failure row; ``KeyboardInterrupt`` propagates.
    """
    t0 = time.perf_counter()
    torch, old = None, None
    if threads is not None:
        import torch

        old = torch.get_num_threads()
        torch.set_num_threads(int(threads))
    try:
        rows = import_job(job)(dict(config))
        if isinstance(rows, Mapping):
            rows = [rows]
        if not isinstance(rows, list | tuple) or not all(isinstance(r, Mapping) for r in rows):
            raise TypeError(
                f"job {job!r} must return a list of row dicts (or one dict), got "
                f"{type(rows).__name__}."
            )
        clash = sorted({k for r in rows for k in r} & set(CORE_COLUMNS))
        if clash:
            raise ValueError(
                f"job {job!r} returned the reserved column(s) {clash}; rename them (the sweep "
                f"adds {', '.join(CORE_COLUMNS)} itself)."
            )
    except (Exception, SystemExit) as err:
        tb = traceback.format_exc()
        return failure_rows(
            h, job, config, f"{type(err).__name__}: {err}", tb, time.perf_counter() - t0
        )
    finally:
        if torch is not None:
            torch.set_num_threads(old)
    meta = _meta(h, job, config, time.perf_counter() - t0)
    if not rows:
        return [{**meta, "status": "ok", "row": 0, "error": None, "traceback": None}]
    return [
        {**meta, "status": "ok", "row": i, "error": None, "traceback": None, **_plain(dict(r))}
        for i, r in enumerate(rows)
    ]
