"""neurodyn.sweep: configs → jobs → stable hashes, a store that survives failures, dead workers,
timeouts and Ctrl-C, and reads back with plain pyarrow / pandas."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from neurodyn import sweep
from neurodyn.sweep._store import job_file

TESTS = Path(__file__).resolve().parent
JOB = "_sweep_jobs:work"
SRC = TESTS.parent / "src"


@pytest.fixture
def sigint_raises():
    """SIGINT raises KeyboardInterrupt here, as in a terminal: pytest-xdist workers ignore
    SIGINT (SIG_IGN), which would make the Ctrl-C tests pass or fail by who runs them."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


def _cfg(**kw):
    return {"job": JOB, "grid": {"a": [1, 2, 3]}, "seeds": [0, 1], "n": 4, **kw}


def _counts(out) -> pd.Series:
    return sweep.read(out).groupby("config_hash").size()


def test_hash_is_sha256_of_the_canonical_json():
    # written out by hand: sorted keys, no spaces, 1e-3 and 0.001 one float, 2.0 the int 2
    text = '{"config":{"a":2,"lr":0.001,"seed":0},"job":"m:f"}'
    want = hashlib.sha256(text.encode()).hexdigest()[:16]
    assert sweep.config_hash({"seed": 0, "lr": 1e-3, "a": 2.0}, "m:f") == want
    assert sweep.config_hash({"a": 2, "lr": 0.001, "seed": 0}, "m:f") == want
    assert sweep.config_hash({"a": 2, "lr": 0.001, "seed": 1}, "m:f") != want
    assert sweep.config_hash({"a": 2, "lr": 0.001, "seed": 0}, "m:g") != want
    with pytest.raises(ValueError, match="not finite"):
        sweep.config_hash({"lr": float("nan")})


def test_expand_grid_times_seeds_and_sampling():
    job, configs = sweep.expand(
        {"task": "digits", "grid": {"lr": [0.1, 0.01], "h": [8, 16, 32]}, "seeds": [0, 1]}
    )
    assert job == sweep.DEFAULT_JOB and len(configs) == 2 * 3 * 2
    assert {(c["lr"], c["h"], c["seed"]) for c in configs} == {
        (lr, h, s) for lr in (0.1, 0.01) for h in (8, 16, 32) for s in (0, 1)
    }
    assert all(c["task"] == "digits" for c in configs)
    space = {"lr": {"loguniform": [1e-4, 1e-2]}, "h": [8, 16], "k": {"int": [1, 3]}}
    _, a = sweep.expand({"grid": space, "sample": 20, "seeds": [0]})
    _, b = sweep.expand({"grid": space, "sample": 20, "seeds": [0]})
    assert a == b and len(a) == 20
    assert all(1e-4 <= c["lr"] <= 1e-2 and c["h"] in (8, 16) and 1 <= c["k"] <= 3 for c in a)
    with pytest.raises(ValueError, match="seeds"):
        sweep.expand({"seeds": 3})
    with pytest.raises(ValueError, match="non-empty list"):
        sweep.expand({"grid": {"lr": []}})


def test_a_list_of_grids_is_the_union_of_their_products():
    """scikit-learn's ParameterGrid([...]) convention: each model its own hyper-parameters."""
    from sklearn.model_selection import ParameterGrid

    grids = [
        {"model": ["lstm", "gru"], "lr": [0.003, 0.01]},
        {"model": ["lem"], "model_options": [{"dt": 0.5}, {"dt": 1.0}]},
        {"model": ["lstm"], "lr": [0.01]},  # a point already above: one job, not two
    ]
    _, configs = sweep.expand({"task": "digits", "grid": grids, "seeds": [0, 1]})
    want = {
        sweep.canonical_json({"task": "digits", **p, "seed": s})
        for p in ParameterGrid(grids)
        for s in (0, 1)
    }
    got = [sweep.canonical_json(c) for c in configs]
    assert len(got) == len(set(got)) == (4 + 2) * 2 and set(got) == want
    assert [c["model"] for c in configs[::2]] == ["lstm", "lstm", "gru", "gru", "lem", "lem"]
    with pytest.raises(ValueError, match="one grid"):
        sweep.expand({"grid": grids, "sample": 3})
    with pytest.raises(ValueError, match="list of such maps"):
        sweep.expand({"grid": [{"lr": [1]}, 3]})
    with pytest.raises(ValueError, match="seeds"):
        sweep.expand({"grid": [{"seed": [1]}]})


def test_failure_is_recorded_and_rerun_finds_every_job_once(tmp_path):
    out = tmp_path / "store"
    s1 = sweep.run(_cfg(bad=2), out, workers=2, progress=False)
    assert (s1.total, s1.ok, s1.failed) == (6, 4, 2)
    assert all("job a=2 is the bad one" in e for e in s1.failures.values())
    s2 = sweep.run(_cfg(bad=2), out, workers=2, progress=False, retry_failed=False)
    assert (s2.skipped, s2.ok, s2.failed) == (6, 0, 0)
    # plain pyarrow and pandas, no neurodyn: every job once, ok ones with 3 checkpoints
    table = ds.dataset(out).to_table().to_pandas()
    assert set(table.columns) >= {"config_hash", "status", "error", "traceback", "spectrum"}
    per_job = table.groupby("config_hash")["status"].agg(["size", "first"])
    assert len(per_job) == 6
    assert sorted(per_job["size"]) == [1, 1, 3, 3, 3, 3]
    failed = table[table["status"] == "failed"]
    assert len(failed) == 2 and failed["traceback"].str.contains("ValueError").all()
    assert len(pd.read_parquet(out)) == len(table)
    # the fixed config (no bad job) in a fresh directory gives the same rows as the rerun
    s3 = sweep.run(_cfg(bad=99), tmp_path / "fixed", workers=2, progress=False)
    assert s3.ok == 6


def test_a_killed_worker_is_a_failure_and_the_others_finish(tmp_path):
    s = sweep.run(_cfg(die=2, sleep=0.05), tmp_path, workers=2, progress=False)
    assert (s.ok, s.failed) == (4, 2)
    assert all(
        e.startswith("WorkerDied: worker process died (exit code 3)") for e in s.failures.values()
    )
    df = sweep.read(tmp_path)
    assert set(df.loc[df["status"] == "failed", "a"]) == {2}
    assert (_counts(tmp_path).sort_values().to_list()) == [1, 1, 3, 3, 3, 3]


def kill_when_written(path: Path, sig=signal.SIGKILL, deadline=120.0) -> list[int]:
    """In a background thread: wait for ``path`` (a pid, written by _sweep_jobs.victim), then
    send ``sig`` to that pid. Returns the list that receives the killed pid."""
    killed: list[int] = []

    def kill():
        end = time.monotonic() + deadline
        while not path.exists():
            if time.monotonic() > end:
                return
            time.sleep(0.02)
        pid = int(path.read_text())
        os.kill(pid, sig)
        killed.append(pid)

    threading.Thread(target=kill, daemon=True).start()
    return killed


def victim_config(pids: Path, **kw) -> dict:
    """6 jobs (a ∈ {1, 2, 3} × 2 seeds); job a=2, seed 0 holds still until the test kills it."""
    pids.mkdir(exist_ok=True)
    cfg = {"job": "_sweep_jobs:victim", "victim": 2, "pids": str(pids), "sleep": 0.2}
    return {**_cfg(), **cfg, **kw}


def test_a_sigkilled_worker_is_recorded_as_failed_and_the_rest_finish(tmp_path):
    # a real SIGKILL of the pool process running job a=2, seed 0, while another job runs beside
    # it: that one job is a failure naming the signal and the dead pid; the job the pool lost
    # beside it is rerun (not failed), so are the queued ones, on a fresh pool; a rerun
    # completes the killed job. (Before: every job in flight was rerun and nothing recorded.)
    out, pids = tmp_path / "store", tmp_path / "pids"
    cfg = victim_config(pids)
    killed = kill_when_written(pids / "victim.pid")
    s = sweep.run(cfg, out, workers=2, timeout=120, progress=False)
    assert len(killed) == 1
    assert (s.ok, s.failed) == (5, 1), s.failures
    (err,) = s.failures.values()
    assert err.startswith("WorkerDied: worker process died (signal 9, SIGKILL)")
    df = sweep.read(out)
    bad = df[df["status"] == "failed"]
    assert (bad["a"].to_list(), bad["seed"].to_list(), bad["pid"].to_list()) == ([2], [0], killed)
    assert sorted(_counts(out)) == [1, 3, 3, 3, 3, 3]  # 5 finished jobs, 3 rows each
    s = sweep.run(cfg, out, workers=2, timeout=120, progress=False)
    assert (s.skipped, s.ok, s.failed) == (5, 1, 0)
    assert _counts(out).to_list() == [3] * 6


def test_a_sigkilled_driver_leaves_whole_files_and_no_workers_and_a_rerun_resumes(tmp_path):
    # `neurodyn sweep` itself SIGKILLed once 2 jobs are stored: every stored file is whole, its
    # pool workers end within seconds (before: they waited on their queue for ever), and a rerun
    # runs exactly the jobs not stored
    config, out, pids = driver_config(tmp_path, sleep=0.3)
    proc = start_sweep_cli(config, "--out", out, "--workers", "2", "--no-progress")
    try:
        sigkill_once_two_are_stored(proc, out, deadline=120)
        workers = {int(f.read_text()) for f in pids.glob("*.pid")}
        assert workers and proc.pid not in workers
        end = time.monotonic() + 20
        while [p for p in workers if _running(p)] and time.monotonic() < end:
            time.sleep(0.1)
        assert not [p for p in workers if _running(p)], "orphaned workers still run"
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        for pid in {int(f.read_text()) for f in pids.glob("*.pid")}:
            if _running(pid):  # this test's own orphans, where the assertion above failed
                os.kill(pid, signal.SIGKILL)
    assert_whole_files_and_a_rerun_resumes(config, out)


def driver_config(tmp_path: Path, sleep: float) -> tuple[Path, Path, Path]:
    """A sweep YAML of 6 jobs of _sweep_jobs:victim (a ∈ {1, 2, 3} × 2 seeds, each writing its
    worker's pid into ``pids`` and sleeping ``sleep`` s); returns (config, store, pids)."""
    out, pids = tmp_path / "store", tmp_path / "pids"
    pids.mkdir()
    config = tmp_path / "sweep.yaml"
    config.write_text(
        f"job: '_sweep_jobs:victim'\npids: '{pids}'\nsleep: {sleep}\nseeds: [0, 1]\n"
        "grid:\n  a: [1, 2, 3]\n"
    )
    return config, out, pids


def cli_env(**extra) -> dict:
    """The environment of a `neurodyn` subprocess: this checkout's src/ and tests/ (the jobs)."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), str(TESTS)]), **extra}


def start_sweep_cli(*args, env: dict | None = None) -> subprocess.Popen:
    """`neurodyn sweep ARGS` in its own session (process group), output discarded."""
    return subprocess.Popen(
        [sys.executable, "-c", "from neurodyn.cli import main; main()", "sweep", *map(str, args)],
        env=cli_env() if env is None else env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def sigkill_once_two_are_stored(proc: subprocess.Popen, out: Path, deadline: float) -> None:
    """SIGKILL the sweep driver ``proc`` as soon as 2 jobs are stored in ``out``."""
    end = time.monotonic() + deadline
    while len(list(out.glob("config_hash=*/part-0.parquet"))) < 2:
        assert proc.poll() is None and time.monotonic() < end
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=10) == -signal.SIGKILL


def assert_whole_files_and_a_rerun_resumes(config: Path, out: Path) -> None:
    """After a killed driver: 2–5 of the 6 jobs stored, each file whole (3 rows) or absent, and
    a rerun runs exactly the jobs not stored."""
    files = list(out.glob("config_hash=*/part-0.parquet"))
    assert 2 <= len(files) < 6
    assert all(pq.read_table(f).num_rows == 3 for f in files)  # whole, or not there
    assert ds.dataset(out).count_rows() == 3 * len(files)
    s = sweep.run(config, out, workers=2, progress=False)
    assert (s.skipped, s.ok, s.failed) == (len(files), 6 - len(files), 0)
    assert _counts(out).to_list() == [3] * 6


def _running(pid: int) -> bool:
    """Process ``pid`` exists and is not a zombie (Linux /proc; elsewhere os.kill(pid, 0))."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] not in (b"Z", b"X")
    except FileNotFoundError:
        if os.path.isdir("/proc/self"):
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_job_past_its_timeout_is_a_failure(tmp_path):
    cfg = {"job": JOB, "grid": {"a": [1, 2]}, "seeds": [0], "hang": 2}
    t0 = time.perf_counter()
    s = sweep.run(cfg, tmp_path, workers=2, timeout=1.5, progress=False)
    assert time.perf_counter() - t0 < 30
    assert (s.ok, s.failed) == (1, 1)
    assert next(iter(s.failures.values())).startswith("TimeoutError")


def test_ctrl_c_loses_nothing_that_finished(tmp_path, sigint_raises):
    # a real SIGINT to this process while the driver waits on the pool, once 2 jobs are stored
    out = tmp_path / "store"

    def interrupt():
        deadline = time.monotonic() + 60
        while len(list(out.glob("config_hash=*/part-0.parquet"))) < 2:
            if time.monotonic() > deadline:
                return
            time.sleep(0.02)
        os.kill(os.getpid(), signal.SIGINT)

    thread = threading.Thread(target=interrupt, daemon=True)
    thread.start()
    with pytest.raises(KeyboardInterrupt):
        sweep.run(_cfg(sleep=0.3), out, workers=2, progress=False)
    thread.join(timeout=5)
    finished = len(list(out.glob("config_hash=*/part-0.parquet")))
    assert 2 <= finished < 6
    assert ds.dataset(out).count_rows() == 3 * finished  # every stored file is whole
    s = sweep.run(_cfg(sleep=0.3), out, workers=2, progress=False)
    assert (s.skipped, s.ok) == (finished, 6 - finished)
    assert _counts(out).to_list() == [3] * 6


def test_a_job_interrupted_in_process_reruns(tmp_path, sigint_raises):
    # the job a=2 sends SIGINT to this process (once: it leaves a marker file)
    cfg = {**_cfg(), "job": "_sweep_jobs:interrupt_at", "marker": str(tmp_path / "m")}
    out = tmp_path / "store"
    with pytest.raises(KeyboardInterrupt):
        sweep.run(cfg, out, backend="sequential", progress=False)
    assert set(sweep.read(out)["a"]) == {1}  # a=1, both seeds, finished before
    s = sweep.run(cfg, out, backend="sequential", progress=False)
    assert (s.skipped, s.ok) == (2, 4)
    assert _counts(out).to_list() == [3] * 6


def test_half_written_file_is_ignored_and_rerun(tmp_path):
    sweep.run(_cfg(), tmp_path, backend="sequential", progress=False)
    h, _ = next(iter(sweep.read(tmp_path).groupby("config_hash")))
    path = job_file(tmp_path, h)
    path.unlink()  # a crash between the temporary file and os.replace leaves this
    (path.parent / ".part-0.parquet.123.tmp").write_bytes(b"PAR1 half a file")
    assert ds.dataset(tmp_path).count_rows() == 5 * 3
    s = sweep.run(_cfg(), tmp_path, backend="sequential", progress=False)
    assert (s.skipped, s.ok) == (5, 1)


def test_read_resamples_spectra_to_a_common_length(tmp_path):
    cfg = {"job": JOB, "grid": {"n": [2, 3, 5]}, "a": 1, "seeds": [0]}
    sweep.run(cfg, tmp_path, backend="sequential", progress=False)
    raw = sweep.read(tmp_path, spectrum_length=None)
    df = sweep.read(tmp_path, spectrum_length=9)
    assert sorted(set(df["spectrum_size"])) == [2, 3, 5]
    for lists, fixed in zip(raw["spectrum"], df["spectrum"], strict=True):
        v = np.asarray(lists)
        assert fixed.shape == (9,)
        # ends are the first / last exponent; point j/8 lies between v[i] and v[i+1] linearly
        assert fixed[0] == v[0] and fixed[-1] == v[-1]
        pos = np.arange(9) / 8 * (v.size - 1)
        i = np.minimum(pos.astype(int), v.size - 2)
        np.testing.assert_allclose(fixed, v[i] + (pos - i) * (v[i + 1] - v[i]), atol=1e-12)
    assert sweep.read(tmp_path)["spectrum"].iloc[0].shape == (1024,)


def test_the_same_config_gives_the_same_rows_in_the_pool_and_in_process(tmp_path):
    sweep.run(_cfg(), tmp_path / "a", workers=2, progress=False)
    sweep.run(_cfg(), tmp_path / "b", backend="sequential", progress=False)
    a, b = (sweep.read(tmp_path / k).drop(columns=list(sweep.TIMING_COLUMNS)) for k in "ab")
    pd.testing.assert_frame_equal(a, b)


def test_train_job_records_spectra_during_training(tmp_path):
    from neurodyn import train

    if not hasattr(train, "run"):
        pytest.skip("neurodyn.train.run (the trainer) is not in this checkout yet")
    cfg = {
        "task": "digits",
        "model": "lipschitz",
        "epochs": 2,
        "hidden_size": 8,
        "seeds": [0],
        "record_at": [0, 0.5, 1.0],
        "spectrum": {"k": 3, "sequences": 8},
        "certify": "diagonal",
        "grid": {"lr": [0.01]},
    }
    s = sweep.run(cfg, tmp_path, backend="sequential", progress=False)
    assert s.ok == 1, s.failures
    df = sweep.read(tmp_path, spectrum_length=None).sort_values("epoch")
    assert df["epoch"].to_list() == [0, 1, 2]
    # the certificate of the kept model on the last row only; its verdict is its margin's sign
    assert df["cert_name"].iloc[:-1].isna().all() and isinstance(df["cert_name"].iloc[-1], str)
    end = df.iloc[-1]
    assert bool(end["cert_applicable"]) and bool(end["cert_holds"]) == (end["cert_margin"] > 0)
    assert (df["spectrum_k"] == 3).all()
    assert df["val_acc"].between(0, 1).all() and df["test_acc"].notna().iloc[-1]
    # the recorded spectrum of the initial model is the spectrum of a freshly built one
    from neurodyn import lyapunov_spectrum
    from neurodyn.data import load

    opts = train.recipe("lipschitz", "digits").model_options  # run's default time scale
    model = train.build_model("lipschitz", 1, 10, hidden_size=8, seed=0, **opts)
    x = load("digits", "val", seed=0).x[:8]
    want = lyapunov_spectrum(model.body, x, k=3).exponents.reshape(-1).tolist()
    np.testing.assert_allclose(df["spectrum"].iloc[0], want, rtol=1e-5, atol=1e-6)


def test_train_job_with_early_stopping_records_the_kept_model(tmp_path):
    """lr 1e-9 leaves the validation accuracy where it was, so patience 1 stops at epoch 1 and
    restores epoch 0; the last row must say so and hold the kept (epoch-0) model's numbers,
    not nothing (record_at's last epoch, 6, is never reached)."""
    cfg = {"task": "digits", "model": "gru", "epochs": 6, "hidden_size": 4, "lr": 1e-9,
           "patience": 1, "monitors": None, "seeds": [0], "record_at": [0, 1.0],
           "spectrum": {"k": 2, "sequences": 4}}  # fmt: skip
    s = sweep.run(cfg, tmp_path, backend="sequential", progress=False)
    assert s.ok == 1, s.failures
    df = sweep.read(tmp_path, spectrum_length=None).sort_values("epoch")
    assert df["epoch"].to_list() == [0, 1]
    end = df.iloc[-1]
    assert end["stopped"] == "early_stopping" and end["best_epoch"] == 0
    used = json.loads(end["trained_with"])  # the recipe filled in what the config left out
    assert used["options"]["schedule"] == "cosine" and used["options"]["patience"] == 1
    assert used["recipe"]["overridden"] == ["epochs", "lr", "patience"]
    assert end["val_acc"] == df.iloc[0]["val_acc"] and end["test_acc"] == end["test_acc"]
    np.testing.assert_allclose(end["spectrum"], df.iloc[0]["spectrum"], rtol=0, atol=1e-12)


def test_train_job_takes_the_epochs_from_the_recipe(tmp_path):
    from neurodyn.sweep import expand
    from neurodyn.sweep._jobs import check_train_configs

    _, configs = expand({"task": "digits", "model": "gru"})
    check_train_configs(configs)  # no epochs: the recipe's (no error)
    with pytest.raises(ValueError, match="task and model"):
        check_train_configs([{"model": "gru"}])


def test_a_job_without_epochs_trains_the_recipes_and_does_not_call_them_overridden(
    tmp_path, monkeypatch
):
    from neurodyn.train import TASK_RECIPES

    # our own recipe table, shortened to 2 epochs so that the job is quick
    monkeypatch.setitem(TASK_RECIPES, "digits", {**TASK_RECIPES["digits"], "epochs": 2})
    cfg = {"task": "digits", "model": "gru", "hidden_size": 4, "monitors": None, "seeds": [0],
           "record_at": [0, 1.0], "spectrum": {"k": 2, "sequences": 4}}  # fmt: skip
    s = sweep.run(cfg, tmp_path, backend="sequential", progress=False)
    assert s.ok == 1, s.failures
    df = sweep.read(tmp_path, spectrum_length=None).sort_values("epoch")
    used = json.loads(df["trained_with"].iloc[-1])
    assert df["epoch"].to_list() == [0, 2] and used["options"]["epochs"] == 2
    assert used["recipe"]["overridden"] == []


def test_cli_sweep_runs_a_yaml_config_and_resumes(tmp_path):
    from typer.testing import CliRunner

    from neurodyn.cli import app

    config = tmp_path / "sweep.yaml"
    config.write_text(f"job: '{JOB}'\nn: 3\nbad: 2\nseeds: [0]\ngrid:\n  a: [1, 2]\n")
    args = ["sweep", str(config), "--out", str(tmp_path / "s"), "--sequential", "--no-progress"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "1 finished, 1 failed" in res.output and "job a=2 is the bad one" in res.output
    res = CliRunner().invoke(app, [*args, "--no-retry-failed"])
    assert "2 already done" in res.output
    assert set(ds.dataset(tmp_path / "s").to_table().column("status").to_pylist()) == {
        "ok",
        "failed",
    }
    res = CliRunner().invoke(app, ["sweep", str(tmp_path / "none.yaml"), "--out", "x"])
    assert res.exit_code == 2 and "does not exist" in res.output


def test_train_job_records_jacobian_eigenvalues_of_eq_3_4():
    """``eigenvalues: true`` adds the one-step Jacobian's eigenvalues at one random (x, h):
    for the antisymmetric RNN they are those of Vogt's eq. 3.4, I + ε diag(tanh′(a))(K − γI),
    written out here, at the state the initial model reaches on the drawn sequence."""
    import torch

    from neurodyn import train
    from neurodyn.data import load
    from neurodyn.sweep import train_job
    from neurodyn.sweep._jobs import jacobian_eigenvalues

    cfg = {"task": "digits", "model": "antisymmetric", "epochs": 1, "hidden_size": 6, "seed": 3,
           "record_at": [0, 1.0], "spectrum": {"k": 2, "sequences": 8}, "eigenvalues": True,
           "model_options": {"eps": 0.3, "gamma": 0.1}}  # fmt: skip
    rows = train_job(cfg)
    assert [len(r["eig_re"]) for r in rows] == [6, 6] and len(rows[0]["eig_im"]) == 6
    model = train.build_model("antisymmetric", 1, 10, hidden_size=6, seed=3, eps=0.3, gamma=0.1)
    x = load("digits", "val", seed=3).x[:8].double()
    b, t = np.random.default_rng(3).integers([x.shape[0], x.shape[1]])
    cell = model.body.double()
    K, U, bias = cell.weight_hh.detach(), cell.weight_ih.detach(), cell.bias.detach()
    h = torch.zeros(6, dtype=torch.float64)
    for s in range(int(t)):  # eq. 3.3 by hand
        h = h + 0.3 * torch.tanh(K @ h + U @ x[b, s] + bias)
    a = K @ h + U @ x[b, t] + bias
    J = torch.eye(6, dtype=torch.float64) + 0.3 * torch.diag(1 - torch.tanh(a) ** 2) @ K
    want = np.sort_complex(torch.linalg.eigvals(J).numpy())
    got = np.sort_complex(np.array(rows[0]["eig_re"]) + 1j * np.array(rows[0]["eig_im"]))
    np.testing.assert_allclose(got, want, atol=2e-6)  # the job's model is float32
    re, im = jacobian_eigenvalues(cell, x[b], int(t))
    np.testing.assert_allclose(np.sort_complex(np.array(re) + 1j * np.array(im)), want, atol=1e-12)
    assert not np.allclose(rows[0]["eig_re"], rows[1]["eig_re"])  # training moved them
