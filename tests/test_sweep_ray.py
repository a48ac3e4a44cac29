"""The Ray backend runs the same job function as the pool and stores the same rows; a dead
worker is a failure row. Skipped where Ray is not installed (it is the optional neurodyn[ray])."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

ray = pytest.importorskip("ray")

from neurodyn import sweep  # noqa: E402

TESTS = Path(__file__).resolve().parent
SRC = TESTS.parent / "src"


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
