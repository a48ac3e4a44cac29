"""The AeLLE study's config (benchmarks/aelle_study.yaml) describes the study the brief asks for:
≥ 8 families, ≥ 20 networks each, distinct checkpoints at init / 10 % / 50 % / 100 %, and every
family's options accepted by the model it names (a typo would otherwise fail every job of the
family at run time). The sweep and the analysis themselves are exercised by ``--smoke``."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from neurodyn.data import load
from neurodyn.sweep import expand, record_epochs
from neurodyn.train import MODELS, build_model

pytestmark = pytest.mark.usefixtures("one_thread")

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "aelle_study.py"


@pytest.fixture(scope="module")
def study_module():
    spec = importlib.util.spec_from_file_location("aelle_study", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_config_expands_to_the_study(study_module):
    study = study_module.load_study()
    sweeps = study_module.family_sweeps(study)
    assert len(sweeps) >= 8
    jobs = {name: expand(cfg)[1] for name, cfg in sweeps.items()}
    assert all(len(j) >= 20 for j in jobs.values()), {n: len(j) for n, j in jobs.items()}
    assert sum(len(j) for j in jobs.values()) >= 160
    cfg = next(iter(sweeps.values()))
    # init, 10 %, 50 % and the end are four different epochs
    assert len(record_epochs(cfg["record_at"], cfg["epochs"])) == 4
    # every grid point is a distinct job (no family collapses onto fewer configurations)
    for name, cfg in sweeps.items():
        n_points = int(np.prod([len(v) for v in cfg["grid"].values()]))
        assert len(jobs[name]) == n_points * len(cfg["seeds"]), name


def test_every_family_builds(study_module):
    study = study_module.load_study()
    sweeps = study_module.family_sweeps(study, seeds=1)
    task = next(iter(sweeps.values()))
    ds = load(task["task"], "val", seed=0, **task["task_options"])
    for name, cfg in sweeps.items():
        assert cfg["model"] in MODELS, name
        for job in expand(cfg)[1]:
            model = build_model(
                job["model"],
                ds.input_size,
                ds.num_classes,
                hidden_size=job["hidden_size"],
                **job.get("model_options", {}),
            )
            assert model(ds.x[:2]).shape == (2, ds.num_classes)


def test_smoke_subset_and_seed_override(study_module):
    study = study_module.load_study()
    sm = study["smoke"]
    sweeps = study_module.family_sweeps(
        study, families=sm["families"], seeds=2, variants=sm["variants"], epochs=sm["epochs"]
    )
    assert list(sweeps) == sm["families"]
    for cfg in sweeps.values():
        assert cfg["epochs"] == sm["epochs"] and cfg["seeds"] == [0, 1]
        assert all(len(v) == len(sm["variants"]) for v in cfg["grid"].values())
    with pytest.raises(ValueError, match="unknown families"):
        study_module.family_sweeps(study, families=["nope"])


def test_splits_are_disjoint_70_10_20(study_module):
    for tr, va, te in study_module._splits(180, 3, 0):
        assert (len(tr), len(va), len(te)) == (126, 18, 36)
        assert len(set(tr) | set(va) | set(te)) == 180


def test_one_sweep_holds_every_family_job(study_module):
    """The single sweep (grid key ``variant``) runs exactly the families' jobs: merging each
    job's variant back gives the per-family job configs, no more, no fewer."""
    study = study_module.load_study()
    sweeps = study_module.family_sweeps(study)
    job, merged = expand(study_module.study_sweep(sweeps))
    assert job == study_module.STUDY_JOB
    want = sorted(
        (name, json.dumps(c, sort_keys=True))
        for name, cfg in sweeps.items()
        for c in expand(cfg)[1]
    )
    got = []
    for c in merged:
        c = dict(c)
        v = dict(c.pop("variant"))
        got.append((v.pop("family"), json.dumps({**c, **v}, sort_keys=True)))
    assert sorted(got) == want
