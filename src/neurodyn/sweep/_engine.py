"""The sweep driver: expand the config, skip finished jobs, run the rest on a backend, write each
job's rows as soon as it finishes.

Backends share one contract: they are handed ``(hash, config)`` items and an ``emit(item,
rows)`` callback, and must call ``emit`` exactly once per item that ends — finished, failed,
timed out, or lost with its worker — and never wait without a deadline. Rows always come back to
the driver, which alone writes the store (workers need no access to it).
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from neurodyn._core._files import claim_folder
from neurodyn.sweep._config import DEFAULT_JOB, config_hash, expand, load_config
from neurodyn.sweep._jobs import check_train_configs
from neurodyn.sweep._store import statuses, unify, write_job, write_manifest
from neurodyn.sweep._worker import execute, failure_rows

__all__ = ["BACKENDS", "SweepSummary", "run"]

BACKENDS = ("local", "sequential", "ray")
#: seconds between checks of the running jobs' deadlines (and of Ctrl-C)
POLL = 0.2


@dataclass
class SweepSummary:
    """What one call of :func:`run` did.

    Attributes:
        out: the store directory.
        total: jobs in the sweep; ``skipped`` were already finished (ok) in the store;
        ok / failed: jobs that ran now and finished / failed (their rows are in the store);
        seconds: wall time of this call; backend: where the jobs ran.
        failures: config hash → error text of the jobs that failed now.
    """

    out: Path
    total: int
    skipped: int = 0
    ok: int = 0
    failed: int = 0
    seconds: float = 0.0
    backend: str = "local"
    failures: dict[str, str] = field(default_factory=dict)


def _lost(item, job: str, why: str) -> list[dict]:
    h, cfg = item
    return failure_rows(h, job, cfg, why)


def _run_sequential(items, job, emit, *, timeout, threads, **_):
    """In the driver process, one job after another (the baseline; no deadline is enforced,
    as a job in the driver's own process cannot be stopped from outside)."""
    for h, cfg in items:
        emit((h, cfg), execute(job, cfg, h, threads))


def _context():
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if ctx.get_start_method() == "forkserver":
        # workers fork from a server that has imported torch and the job once
        ctx.set_forkserver_preload(["neurodyn.sweep._worker"])
    return ctx


def _kill(pool: cf.ProcessPoolExecutor) -> None:
    """Stop a pool now: terminate its processes (a hung or timed-out job included)."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    for p in procs:
        if p.is_alive():
            p.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        p.join(timeout=5)
        if p.is_alive():
            p.kill()
            p.join(timeout=5)


def _run_pool(items, job, emit, *, workers, timeout, threads, **_):
    """A process pool (forkserver or spawn: no fork of a threaded driver) with at most
    ``workers`` jobs in flight, so every submitted job is a running one.

    A worker that dies (os._exit, a signal, out of memory) breaks the whole pool and every job in
    flight with it. The pool is restarted; with one job in flight that job is recorded as
    failed, with several they are rerun one at a time ("suspects"), so only the job that kills
    its worker again is recorded and the others finish normally. A job past ``timeout`` is
    recorded as timed out and the pool is restarted to stop it (the others in flight are rerun).
    """
    queue = deque(items)
    suspects: set[str] = set()
    inflight: dict[cf.Future, tuple] = {}
    ctx = _context()
    pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
    try:
        while queue or inflight:
            while queue and len(inflight) < workers:
                if _any_suspect(inflight, suspects) or (queue[0][0] in suspects and inflight):
                    break  # a suspect runs alone
                item = queue.popleft()
                try:
                    fut = pool.submit(execute, job, item[1], item[0], threads)
                except BrokenProcessPool:  # a job in flight killed its worker since the wait
                    queue.appendleft(item)
                    if not inflight:
                        _kill(pool)
                        pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
                    break
                inflight[fut] = (item, time.monotonic())
            done, _ = cf.wait(list(inflight), timeout=POLL, return_when=cf.FIRST_COMPLETED)
            broken = []
            for fut in done:
                item, _t0 = inflight.pop(fut)
                outcome = _outcome(fut, item, job)
                if outcome is None:
                    broken.append(item)
                else:
                    suspects.discard(item[0])
                    emit(item, outcome)
            now = time.monotonic()
            late = [f for f, (_, t0) in inflight.items() if now - t0 > timeout]
            if not broken and not late:
                continue
            if broken:  # every other job in flight is lost with the pool: collect them
                rest, _ = cf.wait(list(inflight), timeout=10)
                for fut in rest:
                    if fut in late:
                        continue
                    item, _t0 = inflight.pop(fut)
                    outcome = _outcome(fut, item, job)
                    if outcome is None:
                        broken.append(item)
                    else:
                        emit(item, outcome)
            _kill(pool)
            for fut in late:
                item, _t0 = inflight.pop(fut)
                emit(item, _lost(item, job, f"TimeoutError: the job ran past timeout={timeout} s"))
            requeue = [item for item, _t0 in inflight.values()]
            inflight.clear()
            if len(broken) == 1:
                why = "the worker process died while running this job (os._exit, a signal, "
                why += "out of memory or a crash)"
                if broken[0][0] in suspects:
                    why += "; it was rerun alone and died again"
                suspects.discard(broken[0][0])
                emit(broken[0], _lost(broken[0], job, f"WorkerDied: {why}"))
            elif broken:
                suspects.update(item[0] for item in broken)
                requeue = broken + requeue
            queue.extendleft(reversed(requeue))
            pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
    finally:
        _kill(pool)


def _any_suspect(inflight, suspects) -> bool:
    return any(item[0] in suspects for item, _t0 in inflight.values())


def _outcome(fut: cf.Future, item, job: str) -> list[dict] | None:
    """A finished future's rows; None when its worker died (BrokenProcessPool)."""
    try:
        return fut.result(timeout=0)
    except BrokenProcessPool:
        return None
    except KeyboardInterrupt:
        raise
    except Exception as err:  # e.g. a config that does not pickle, an unimportable job
        return _lost(item, job, f"{type(err).__name__}: {err}")


def run(
    config: str | Path | Mapping,
    out: str | Path,
    *,
    backend: str = "local",
    workers: int | None = None,
    timeout: float = 3600.0,
    retry_failed: bool = True,
    threads: int | None = 1,
    address: str | None = None,
    progress: bool | Callable[[int, int], None] = True,
) -> SweepSummary:
    """Run every job of a sweep that the store ``out`` does not hold yet.

    Args:
        config: a YAML / TOML file or a dict (:mod:`neurodyn.sweep._config`: fixed parameters,
            ``grid``, ``seeds``, optional ``sample`` and ``job``).
        out: the store directory (created; :mod:`neurodyn.sweep._store`): new, empty, or a
            store of an earlier run (known by its ``_sweep.json``), which is continued.
        backend: ``"local"`` (a process pool, default), ``"sequential"`` (in this process) or
            ``"ray"`` (``pip install 'neurodyn[ray]'``; see :mod:`neurodyn.sweep._ray`).
        workers: parallel jobs (default: ``os.cpu_count()``; on an existing Ray cluster, its
            CPUs).
        timeout: seconds one job may run (from its start; on Ray from its submission) before it
            is stopped and recorded as failed. Must be finite: no wait is without a deadline.
        retry_failed: rerun jobs the store records as failed (finished jobs are always skipped).
        threads: torch threads per job (None leaves torch's setting alone).
        address: a Ray cluster address (``"auto"`` for the one this machine belongs to); implies
            ``backend="ray"``.
        progress: True for a rich progress bar with ETA, False for none, or a callback
            ``progress(done, total)``.

    Returns:
        :class:`SweepSummary`. Ctrl-C stops the running jobs and re-raises KeyboardInterrupt;
        every job that finished before is in the store, and a rerun skips it.

    Raises:
        ValueError: an unknown backend, a non-positive ``workers`` or ``timeout``, a bad config.
        OutputExistsError: ``out`` is a file, a non-empty folder that is no sweep store, or
            another kind of neurodyn output (checked before anything runs).
    """
    t_start = time.perf_counter()
    if address is not None:
        backend = "ray"
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}.")
    if not (isinstance(timeout, int | float) and 0 < timeout < float("inf")):
        raise ValueError(f"timeout must be a finite number of seconds > 0, got {timeout!r}.")
    if workers is not None and int(workers) < 1:
        raise ValueError(f"workers must be ≥ 1, got {workers}.")
    out = claim_folder(out, "sweep-store", what="sweep: out")
    raw = load_config(config)
    job, configs = expand(raw)
    if job == DEFAULT_JOB:  # names checked before any job starts, not once per failed job
        check_train_configs(configs)
    out.mkdir(parents=True, exist_ok=True)
    keyed = [(config_hash(c, job), c) for c in configs]
    write_manifest(out, {"job": job, "config": raw, "jobs": {h: c for h, c in keyed}, "format": 1})
    have = statuses(out)
    todo = [(h, c) for h, c in keyed if h not in have or (retry_failed and have[h] == "failed")]
    summary = SweepSummary(out=out, total=len(keyed), skipped=len(keyed) - len(todo))
    summary.backend = backend
    n_local = min(int(workers or os.cpu_count() or 1), max(1, len(todo)))

    with _progress_bar(progress, f"sweep ({backend})") as bar:
        done = [summary.skipped]
        bar(done[0], summary.total)

        def emit(item, rows) -> None:
            h = item[0]
            write_job(out, h, rows)
            if rows[0]["status"] == "failed":
                summary.failed += 1
                summary.failures[h] = rows[0]["error"]
            else:
                summary.ok += 1
            done[0] += 1
            bar(done[0], summary.total)

        if todo:
            runner = {"local": _run_pool, "sequential": _run_sequential}.get(backend)
            if runner is None:
                from neurodyn.sweep._ray import run_ray as runner
            runner(
                todo,
                job,
                emit,
                workers=n_local if backend == "local" else workers,
                timeout=float(timeout),
                threads=threads,
                address=address,
            )
    unify(out)
    summary.seconds = time.perf_counter() - t_start
    return summary


class _progress_bar:
    """``with _progress_bar(progress, label) as bar: bar(done, total)`` for the three kinds of
    ``progress`` :func:`run` accepts."""

    def __init__(self, progress, label: str):
        self.progress, self.label, self.ctx = progress, label, None

    def __enter__(self):
        if callable(self.progress):
            return self.progress
        if not self.progress:
            return lambda done, total: None
        from neurodyn._core import rich_progress

        self.ctx = rich_progress(self.label)
        return self.ctx.__enter__()

    def __exit__(self, *exc):
        if self.ctx is not None:
            return self.ctx.__exit__(*exc)
        return False
