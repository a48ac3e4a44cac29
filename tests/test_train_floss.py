"""Gradient flossing in the trainer (Engelken 2023): ``fit(..., floss=...)`` and
``neurodyn train --floss K``."""

from __future__ import annotations

import json

import pytest
import torch
from typer.testing import CliRunner

from neurodyn.cli import app
from neurodyn.data import load
from neurodyn.lyapunov import lyapunov_spectrum
from neurodyn.train import Floss, build_model, fit, floss_loss


@pytest.fixture(scope="module")
def adding():
    opts = {"length": 40, "num_samples": 300}
    return load("adding", "train", **opts), load("adding", "val", **opts)


def _rnn(seed=0, scale=None):
    opts = {} if scale is None else {"init_scale": scale}
    return build_model("rnn", 2, 1, hidden_size=12, seed=seed, kind="regression", **opts)


def test_floss_loss_is_the_weighted_squared_distance_of_the_spectrum(adding):
    tr, _ = adding
    model = _rnn()
    fl = Floss(k=3, weight=0.5, target=(0.0, -0.1, -0.2), sequences=4, steps=30)
    loss, lam = floss_loss(model, tr.x, fl)
    ref = lyapunov_spectrum(model.body, tr.x[:4, :30], k=3).exponents  # the plain path
    torch.testing.assert_close(lam.detach(), ref, rtol=0, atol=1e-6)
    expected = 0.5 * ((ref - torch.tensor([0.0, -0.1, -0.2])) ** 2).sum()
    torch.testing.assert_close(loss.detach(), expected, rtol=1e-5, atol=1e-7)
    loss.backward()
    assert all(p.grad is not None for p in model.body.parameters())


def test_flossing_before_training_moves_the_exponents_to_the_target(adding):
    """A tanh RNN at init scale 0.1 is strongly contracting (measured λ₁..₄ ≈ −1.8); 60
    flossing updates at lr 0.01 bring all 4 within 0.15 of 0 (measured: |λ| ≤ 0.03)."""
    tr, va = adding
    model = _rnn(scale=0.1)
    res = fit(model, tr, va, epochs=0, lr=0.01, monitors=None, progress=False,
              floss={"k": 4, "before": 60, "every": None, "sequences": 8})  # fmt: skip
    row = res.history[0]
    assert max(row["floss_initial"]) < -0.5
    assert max(abs(v) for v in row["floss_exponents"]) < 0.15
    assert row["floss_loss"] < 0.1 * sum(v * v for v in row["floss_initial"])
    assert res.provenance["options"]["floss"]["before"] == 60


def test_flossing_during_training_is_recorded_and_changes_training(adding):
    tr, va = adding
    kw = {"epochs": 2, "lr": 0.01, "monitors": None, "progress": False, "batch_size": 50}
    plain = fit(_rnn(), tr, va, **kw)
    flossed = fit(_rnn(), tr, va, floss={"k": 2, "every": 2, "sequences": 8}, **kw)
    for row in flossed.history[1:]:
        assert len(row["floss_exponents"]) == 2 and row["floss_loss"] >= 0
    assert "floss_exponents" not in plain.history[1]
    assert flossed.history[-1]["train_loss"] != plain.history[-1]["train_loss"]


def test_floss_options_are_checked():
    with pytest.raises(ValueError, match="target has 2 values but k = 3"):
        Floss(k=3, target=(0.0, 0.0))
    with pytest.raises(ValueError, match="floss nothing"):
        Floss(k=1, before=0, every=None)
    with pytest.raises(ValueError, match="weight must be > 0"):
        Floss(k=1, weight=0)
    with pytest.raises(ValueError, match="unknown options"):
        fit(_rnn(), None, floss={"k": 1, "evry": 3})


def test_floss_k_above_the_state_dimension_is_refused(adding):
    tr, va = adding
    with pytest.raises(ValueError, match="k = 13 exceeds the state dimension 12"):
        fit(_rnn(), tr, va, epochs=1, monitors=None, progress=False, floss={"k": 13})


def test_resume_refuses_other_floss_options(tmp_path, adding):
    tr, va = adding
    kw = {"lr": 0.01, "monitors": None, "progress": False, "out": tmp_path / "r"}
    fit(_rnn(), tr, va, epochs=1, floss={"k": 2, "every": 3}, **kw)
    with pytest.raises(ValueError, match="floss"):
        fit(_rnn(), tr, va, epochs=2, resume=True, floss={"k": 3, "every": 3}, **kw)


def test_cli_floss(tmp_path):
    out = tmp_path / "run"
    result = CliRunner().invoke(app, [
        "train", "--model", "rnn", "--task", "adding", "--epochs", "1", "--hidden-size", "8",
        "--floss", "2", "--floss-before", "5", "--floss-every", "4", "--out", str(out),
        "--no-progress", "--no-monitors",
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "gradient flossing (Engelken 2023)" in result.output
    hist = json.loads((out / "history.json").read_text())
    assert hist["provenance"]["options"]["floss"] == {
        "k": 2, "weight": 1.0, "target": 0.0, "before": 5, "every": 4, "steps": None,
        "sequences": 16, "grad_steps": None,
    }  # fmt: skip
    assert len(hist["history"][1]["floss_exponents"]) == 2
    bad = CliRunner().invoke(
        app,
        [
            "train",
            "--model",
            "rnn",
            "--task",
            "adding",
            "--floss-before",
            "5",
            "--out",
            str(tmp_path / "x"),
        ],
    )
    assert bad.exit_code == 2 and "need --floss K" in bad.output
