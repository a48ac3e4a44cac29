"""Small job functions for the sweep tests, importable by dotted path ("_sweep_jobs:work") in
pool and Ray workers (tests/ is on their sys.path)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import numpy as np


def work(config: dict) -> list[dict]:
    """Three checkpoints, each with a seeded 'spectrum' of config["n"] values (descending) and
    a loss; config["bad"] == config["a"] makes it raise, config["die"] == config["a"] kills its
    process, config["hang"] == config["a"] sleeps 60 s; config["sleep"] seconds of waiting."""
    a = config["a"]
    if config.get("bad") == a:
        raise ValueError(f"job a={a} is the bad one")
    if config.get("die") == a:
        os._exit(3)
    if config.get("hang") == a:
        time.sleep(60)
    time.sleep(float(config.get("sleep", 0.0)))
    rng = np.random.default_rng([int(config["seed"]), int(a)])
    n = int(config.get("n", 4))
    return [
        {
            "checkpoint": c,
            "loss": float(a) / (c + 1) + 0.01 * float(rng.random()),
            "spectrum": np.sort(rng.normal(size=n))[::-1],
        }
        for c in range(3)
    ]


def interrupt_at(config: dict) -> list[dict]:
    """:func:`work`, but the first time a job with a == 2 runs (no file config["marker"] yet)
    it creates the marker and sends SIGINT to its own process: Ctrl-C in the middle of a job."""
    marker = Path(config["marker"])
    if config["a"] == 2 and not marker.exists():
        marker.touch()
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(5)  # the KeyboardInterrupt arrives here
    return work(config)


def _write_pid(path: Path) -> None:
    """This process's pid into ``path``, atomically (a reader never sees an empty file)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(str(os.getpid()))
    os.replace(tmp, path)


def victim(config: dict) -> list[dict]:
    """:func:`work`, after writing this worker's pid to ``<config["pids"]>/<a>-<seed>.pid``. The
    job a == config["victim"], seed 0 also writes ``victim.pid`` and then sleeps config["hold"]
    seconds (default 60) so the test can SIGKILL its process; when ``victim.pid`` is there
    already (the rerun) it just works."""
    pids = Path(config["pids"])
    _write_pid(pids / f"{config['a']}-{config['seed']}.pid")
    mark = pids / "victim.pid"
    if config["a"] == config.get("victim") and int(config["seed"]) == 0 and not mark.exists():
        _write_pid(mark)
        time.sleep(float(config.get("hold", 60.0)))
    return work(config)
