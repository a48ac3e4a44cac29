"""What runs in a worker (a pool process, a Ray worker, or the driver itself): import the job
function by its dotted path, call it on one config, and return its rows with the sweep's own
columns (a failure becomes one row, never an exception)."""

from __future__ import annotations

import datetime
import importlib
import os
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from neurodyn.sweep._config import canonical_json

__all__ = [
    "CORE_COLUMNS",
    "TIMING_COLUMNS",
    "execute",
    "execute_marked",
    "failure_rows",
    "import_job",
    "watch_driver",
]

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
    "node",
)
#: the core columns that differ between two runs of the same job (excluded when comparing)
TIMING_COLUMNS = ("seconds", "finished_at", "host", "pid", "node")
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


def _node() -> str:
    """Where this process runs: the Ray node id inside a Ray worker (or a driver connected to
    Ray; two nodes on one host differ by it), else the host name."""
    ray = sys.modules.get("ray")  # never imported here: only a Ray process has it loaded
    if ray is not None and ray.is_initialized():
        return str(ray.get_runtime_context().get_node_id())
    return socket.gethostname()


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
        "node": _node(),
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


def execute_marked(marks: str, job: str, config: dict, h: str, threads: int | None = 1):
    """:func:`execute` in a pool worker, with the empty file ``marks/<h>.<pid>`` present while
    the job runs: when a worker dies, the driver reads the marks left behind to know which job
    the dead process was running (a process pool does not say)."""
    mark = Path(marks) / f"{h}.{os.getpid()}"
    mark.touch()
    try:
        return execute(job, config, h, threads)
    finally:
        mark.unlink(missing_ok=True)


def _alive_token(pid: int):
    """Something that stays equal while process ``pid`` lives and changes once it has ended:
    its start time from /proc (Linux; a zombie counts as ended, and a reused pid has another
    start time), else whether ``os.kill(pid, 0)`` finds it. None: the process is gone."""
    if os.path.isdir("/proc/self"):
        try:
            with open(f"/proc/{pid}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
        except OSError:
            return None
        return None if fields[0] in (b"Z", b"X") else fields[19]
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):  # PermissionError: the pid is another's now
        return None
    return True


def watch_driver(pid: int, period: float = 1.0) -> None:
    """Pool initializer: a daemon thread that ends this worker (``os._exit``) within ``period``
    seconds of the driver process ``pid`` ending — SIGKILLed, crashed — so no orphaned worker
    goes on computing, and holding memory, for a result nobody will collect (a pool worker
    waits on its task queue forever otherwise, as it holds both ends of that pipe)."""
    token = _alive_token(pid)

    def watch() -> None:
        while _alive_token(pid) == token:
            time.sleep(period)
        os._exit(1)

    if token is not None:
        threading.Thread(target=watch, name="neurodyn-sweep-watch-driver", daemon=True).start()
