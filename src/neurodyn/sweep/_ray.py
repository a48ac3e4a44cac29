"""The Ray backend: the same job function, as a Ray task per job (``pip install
'neurodyn[ray]'``).

What is shipped per task is the job function's dotted path, the config dict and its hash; the
worker imports the function itself (so workers need neurodyn and the job's module installed), runs
it, and returns the rows to the driver, which writes the store. Workers need no access to the
store, so a multi-node cluster needs no shared filesystem.

Every wait has a deadline: ``ray.wait`` polls with a timeout, each task has ``timeout`` seconds
from its submission (a task that never starts — e.g. workers that could not register when memory
ran short — is then recorded as timed out instead of hanging the sweep), and a task whose worker
died (``WorkerCrashedError``, ``max_retries=0``) is a failure row.
"""

from __future__ import annotations

import time

from neurodyn.sweep._worker import execute, failure_rows

__all__ = ["run_ray"]

POLL = 0.5


def _ray():
    try:
        import ray
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError(
            "the Ray backend needs Ray: pip install 'neurodyn[ray]' (or pip install ray); "
            "without it use backend='local'."
        ) from None
    return ray


def _lost(ray, item, job: str, err) -> list[dict]:
    """The failure row of a task the driver lost (``err``: Ray's exception, or the reason).
    Where it ran is not known here, so ``host``, ``pid`` and ``node`` are None (not the
    driver's)."""
    if isinstance(err, BaseException):
        text = f"{type(err).__name__}: {' '.join(str(err).split())[:2000]}"
        died = tuple(
            getattr(ray.exceptions, n)
            for n in ("WorkerCrashedError", "NodeDiedError")
            if hasattr(ray.exceptions, n)  # NodeDiedError is newer than Ray 2.9
        )
        if isinstance(err, died):
            text = f"WorkerDied: the Ray worker process died while running this job ({text}); "
            text += "a rerun retries it"
    else:
        text = str(err)
    rows = failure_rows(item[0], job, item[1], text)
    rows[0].update(host=None, pid=None, node=None)
    return rows


def run_ray(items, job, emit, *, workers, timeout, threads, address=None, **_):
    """Run ``items`` as Ray tasks, ``emit``-ing each one's rows (see the module docstring).

    Starts a local Ray (``num_cpus=workers``, no dashboard) unless Ray is already initialised or
    ``address`` names a cluster (``"auto"``: the one this machine belongs to); shuts down only a
    Ray it started. ``workers`` tasks are in flight at a time (default: the cluster's CPUs).
    """
    ray = _ray()
    started = False
    if not ray.is_initialized():
        if address is not None:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=int(workers or 1), include_dashboard=False, log_to_driver=False)
        started = True
    pending: dict = {}
    try:
        n = int(workers or max(1, int(ray.cluster_resources().get("CPU", 1))))
        task = ray.remote(num_cpus=1, max_retries=0)(execute)
        queue = list(items)[::-1]
        while queue or pending:
            while queue and len(pending) < n:
                item = queue.pop()
                pending[task.remote(job, item[1], item[0], threads)] = (item, time.monotonic())
            ready, _ = ray.wait(list(pending), num_returns=1, timeout=POLL)
            for ref in ready:
                item, _t0 = pending.pop(ref)
                try:
                    rows = ray.get(ref, timeout=60)
                except ray.exceptions.RayError as err:  # the worker died, the task was lost
                    rows = _lost(ray, item, job, err)
                emit(item, rows)
            now = time.monotonic()
            for ref in [r for r, (_, t0) in pending.items() if now - t0 > timeout]:
                item, _t0 = pending.pop(ref)
                ray.cancel(ref, force=True)
                why = f"TimeoutError: the Ray task did not finish within timeout={timeout} s "
                why += "of its submission (it ran too long or never started)"
                emit(item, _lost(ray, item, job, why))
    except BaseException:
        for ref in list(pending):
            ray.cancel(ref, force=True)
        raise
    finally:
        if started:
            ray.shutdown()
