"""The Ray backend runs the same job function as the pool and stores the same rows; a dead
worker is a failure row; a sweep spreads over the nodes of a cluster. Skipped where Ray is not
installed (it is the optional neurodyn[ray]); the tests that start Ray processes of their own (a
killed driver, a two-node cluster: ~30 s each) run with NEURODYN_EXTENSIVE_TESTS=1."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest

ray = pytest.importorskip("ray")

from neurodyn import sweep  # noqa: E402
from test_sweep import (  # noqa: E402
    assert_whole_files_and_a_rerun_resumes,
    cli_env,
    driver_config,
    kill_when_written,
    sigkill_once_two_are_stored,
    start_sweep_cli,
    victim_config,
)

TESTS = Path(__file__).resolve().parent
SRC = TESTS.parent / "src"
EXTENSIVE = bool(os.environ.get("NEURODYN_EXTENSIVE_TESTS"))
extensive = pytest.mark.skipif(
    not EXTENSIVE, reason="starts Ray processes (NEURODYN_EXTENSIVE_TESTS=1)"
)


@pytest.fixture(scope="module")
def ray_cluster():
    """One local Ray for the module; its workers import neurodyn and tests/_sweep_jobs."""
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(SRC), str(TESTS), *filter(None, [old])])
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()
    if old is None:
        os.environ.pop("PYTHONPATH")
    else:
        os.environ["PYTHONPATH"] = old


def test_ray_gives_the_same_rows_as_the_pool(ray_cluster, tmp_path):
    cfg = {"job": "_sweep_jobs:work", "grid": {"a": [1, 2, 3]}, "seeds": [0, 1], "bad": 3}
    s = sweep.run(cfg, tmp_path / "ray", backend="ray", workers=2, progress=False)
    assert (s.ok, s.failed) == (4, 2)
    sweep.run(cfg, tmp_path / "local", workers=2, progress=False)
    drop = [*sweep.TIMING_COLUMNS, "traceback"]
    a, b = (sweep.read(tmp_path / k).drop(columns=drop) for k in ("ray", "local"))
    pd.testing.assert_frame_equal(a, b)
    s = sweep.run(cfg, tmp_path / "ray", backend="ray", workers=2, progress=False)
    assert (s.skipped, s.ok, s.failed) == (4, 0, 2)  # the failed ones are retried


def test_ray_dead_worker_is_a_failure(ray_cluster, tmp_path):
    cfg = {"job": "_sweep_jobs:work", "grid": {"a": [1, 2]}, "seeds": [0], "die": 2}
    s = sweep.run(cfg, tmp_path, backend="ray", workers=2, timeout=120, progress=False)
    assert (s.ok, s.failed) == (1, 1)
    assert "Error" in next(iter(s.failures.values()))


def test_ray_sigkilled_worker_is_recorded_as_failed_and_the_rest_finish(ray_cluster, tmp_path):
    # a real SIGKILL of the Ray worker running job a=2, seed 0: that job is a WorkerDied row
    # (Ray's WorkerCrashedError), the 5 others finish, a rerun completes it
    out, pids = tmp_path / "store", tmp_path / "pids"
    cfg = victim_config(pids)
    killed = kill_when_written(pids / "victim.pid")
    s = sweep.run(cfg, out, backend="ray", workers=2, timeout=120, progress=False)
    assert len(killed) == 1
    assert (s.ok, s.failed) == (5, 1), s.failures
    (err,) = s.failures.values()
    assert err.startswith("WorkerDied: the Ray worker process died") and "WorkerCrashedError" in err
    df = sweep.read(out)
    bad = df[df["status"] == "failed"]
    assert (bad["a"].to_list(), bad["seed"].to_list()) == ([2], [0])
    assert bad["pid"].isna().all()  # the driver does not know it: not its own pid
    s = sweep.run(cfg, out, backend="ray", workers=2, timeout=120, progress=False)
    assert (s.skipped, s.ok, s.failed) == (5, 1, 0)
    assert sorted(sweep.read(out).groupby("config_hash").size()) == [3] * 6


def _env(**extra) -> dict:
    return cli_env(RAY_USAGE_STATS_ENABLED="0", **extra)


def _cli(*args) -> list[str]:
    return [sys.executable, "-c", "from neurodyn.cli import main; main()", "sweep", *args]


def _stop_group(pgid: int) -> None:
    """End the process group this test started (a ``ray start`` or a driver and what it spawned;
    never another's Ray, as ``ray stop`` would)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        time.sleep(3)


@extensive
def test_ray_sigkilled_driver_leaves_whole_files_and_a_rerun_resumes(tmp_path):
    # `neurodyn sweep --ray` (a local Ray it starts itself) SIGKILLed once 2 jobs are stored
    config, out, _ = driver_config(tmp_path, sleep=0.5)
    args = [config, "--out", out, "--ray", "--workers", "2", "--no-progress"]
    proc = start_sweep_cli(*args, env=_env())
    try:
        sigkill_once_two_are_stored(proc, out, deadline=180)
    finally:
        _stop_group(proc.pid)  # Ray's reaper stops the rest, but its agents linger ~1-2 min
    assert_whole_files_and_a_rerun_resumes(config, out)


@pytest.fixture
def two_nodes():
    """A Ray cluster of two nodes of 1 CPU each, started on this machine with ``ray start``.

    Loopback only: 127.0.0.2, because Ray replaces 127.0.0.1 and localhost by the machine's
    network address (``resolve_ip_for_localhost``), and 127.0.0.2 is loopback too but kept as
    given. A token (RAY_AUTH_MODE=token) guards the cluster. Yields (address, env); the nodes'
    process groups are stopped at the end.
    """
    with socket.socket() as s:
        s.bind(("127.0.0.2", 0))
        port = s.getsockname()[1]
    address = f"127.0.0.2:{port}"
    env = _env(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=secrets.token_hex(16))
    ray_exe = str(Path(sys.executable).with_name("ray"))
    temp = tempfile.mkdtemp(prefix="rt", dir="/tmp")  # short: Ray's socket paths < 108 chars
    common = ["--node-ip-address=127.0.0.2", "--num-cpus=1", "--disable-usage-stats"]
    head = [ray_exe, "start", "--head", f"--port={port}", "--include-dashboard=false"]
    groups = []
    try:
        for cmd in (
            [*head, f"--temp-dir={temp}", *common],
            [ray_exe, "start", f"--address={address}", *common],
        ):
            proc = subprocess.Popen(
                cmd,
                env=env,
                start_new_session=True,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            groups.append(proc.pid)
            text = proc.communicate(timeout=120)[0].decode(errors="replace")
            assert proc.returncode == 0, text[-3000:]
        yield address, env
    finally:
        for pgid in groups[::-1]:
            _stop_group(pgid)


@extensive
def test_a_sweep_on_a_two_node_cluster_runs_jobs_on_both_nodes(two_nodes, tmp_path):
    address, env = two_nodes
    config = tmp_path / "sweep.yaml"
    config.write_text("job: '_sweep_jobs:work'\nsleep: 1.0\nseeds: [0, 1]\ngrid:\n  a: [1, 2, 3]\n")
    out = tmp_path / "store"
    args = [
        str(config),
        "--out",
        str(out),
        "--address",
        address,
        "--no-progress",
        "--timeout",
        "300",
    ]
    res = subprocess.run(_cli(*args), env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "6 finished, 0 failed" in res.stdout
    # the cluster's own list of nodes (asked separately), against the node column of the store
    ask = (
        f"import json, ray; ray.init(address={address!r}, log_to_driver=False); "
        "print(json.dumps(sorted(n['NodeID'] for n in ray.nodes() if n['Alive'])))"
    )
    got = subprocess.run(
        [sys.executable, "-c", ask], env=env, capture_output=True, text=True, timeout=120
    )
    nodes = json.loads(got.stdout.strip().splitlines()[-1])
    assert len(nodes) == 2
    jobs = sweep.read(out).groupby("config_hash").first()
    per_node = jobs.groupby("node").size()
    assert sorted(per_node.index) == nodes  # both nodes ran jobs, and only they did
    assert per_node.sum() == 6 and (jobs["status"] == "ok").all()
    print("jobs per node:", per_node.to_dict())
