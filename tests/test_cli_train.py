"""``neurodyn train`` and ``neurodyn robustness``: the run folder, its report, resuming, and
the robustness report of the checkpoint, each checked against the library's own functions
(``neurodyn.train.run`` / ``evaluate``) rather than against what the command printed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from neurodyn.cli import app
from neurodyn.cli._train import parse_options
from neurodyn.data import TASKS, load
from neurodyn.train import MODELS, evaluate, load_model, recipe, run

pytestmark = pytest.mark.usefixtures("one_thread")

runner = CliRunner()
TINY = ["--task", "digits", "--hidden-size", "4", "--seed", "0"]
#: training columns of a history row (the monitors' columns depend on which epoch is the last,
#: and ``seconds`` on the clock)
TRAIN_KEYS = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "grad_norm")


@pytest.fixture(scope="module")
def trained(tmp_path_factory, one_thread):
    out = tmp_path_factory.mktemp("run") / "lip"
    args = ["train", "--model", "lipschitz", *TINY, "--epochs", "1", "--out", str(out),
            "--option", "beta_a=0.8", "--no-progress", "--batch-size", "128"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return out, result


def test_train_writes_history_with_one_row_per_epoch(trained):
    out, result = trained
    hist = json.loads((out / "history.json").read_text())
    rows = hist["history"]
    assert [r["epoch"] for r in rows] == [0, 1]  # epoch 0 = the initial model
    for name in ("last.pt", "best.pt", "trainer.pt"):
        assert (out / name).stat().st_size > 0
    # the recorded validation accuracy is that of the saved weights, recomputed independently
    model, meta = load_model(out / "last.pt")
    # the recipe's time scale for this model and task, and the --option on top
    assert meta["epoch"] == 1
    assert model.options == {**recipe("lipschitz", "digits").model_options, "beta_a": 0.8}
    val = load("digits", "val", seed=0)
    assert rows[-1]["val_acc"] == evaluate(model, val)["accuracy"]
    assert hist["provenance"]["model"]["name"] == "lipschitz"
    assert "test acc" in result.output and "index.html" in result.output
    # the recipe it used is printed, with what the flags changed
    text = " ".join(result.output.split())
    dt = recipe("lipschitz", "digits").model_options["dt"]
    assert "recipe for lipschitz on digits" in text and f"dt={dt:g}" in text
    over = text.split("overridden by:")[1]
    assert "--epochs" in over and "--batch-size" in over and "--lr" not in over


def test_train_report_holds_the_history_numbers(trained):
    out, _ = trained
    hist = json.loads((out / "history.json").read_text())
    rep = json.loads((out / "report.json").read_text())
    assert rep["history"] == hist["history"]
    assert rep["test"] == hist["test"] and rep["best_epoch"] == hist["best_epoch"]
    table = next(
        b
        for s in rep["sections"]
        if s["title"] == "Training history"
        for b in s["blocks"]
        if b["type"] == "table"
    )
    col = table["columns"].index("val acc")
    assert [r[col] for r in table["rows"]] == [r["val_acc"] for r in hist["history"]]
    assert "λ_max" in table["columns"] and "certificate kind" in table["columns"]
    le = table["columns"].index("λ_max")
    assert table["rows"][-1][le] == hist["history"][-1]["le_max"]
    # the final certificate is the monitor's at the last epoch (same verdict as the row)
    final = rep["final_certificate"]["certificates"]
    best = next(c for c in final if c["name"] == hist["history"][-1]["cert_name"])
    assert best["holds"] == hist["history"][-1]["cert_holds"]
    html = (out / "index.html").read_text()
    for png in ("history.png", "lyapunov_training.png", "certificate_margin.png"):
        assert png in rep["figures"] and png in html
        assert (out / png).stat().st_size > 5000, png
    assert "Certificates of the final weights" in html


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["--model", "lstmm", "--task", "digits"], list(MODELS)),
        (["--model", "gru", "--task", "digitz"], list(TASKS)),
    ],
)
def test_unknown_name_lists_the_valid_ones(tmp_path, args, names):
    result = runner.invoke(app, ["train", *args, "--out", str(tmp_path / "x")])
    assert result.exit_code == 2
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: unknown")
    assert all(n in lines[0] for n in names)
    assert not (tmp_path / "x").exists()


def test_hidden_size_and_params_are_exclusive(tmp_path):
    args = ["train", "--model", "gru", "--task", "digits", "--hidden-size", "4",
            "--params", "500", "--out", str(tmp_path / "x")]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "mutually exclusive" in result.stderr


def test_resume_with_more_epochs_equals_an_uninterrupted_run(tmp_path):
    out = tmp_path / "gru"
    # a constant learning rate: the recipe's cosine schedule has the run's length built in
    base = ["train", "--model", "gru", *TINY, "--out", str(out), "--no-monitors",
            "--no-progress", "--batch-size", "128", "--schedule", "none"]  # fmt: skip
    assert runner.invoke(app, [*base, "--epochs", "1"]).exit_code == 0
    again = runner.invoke(app, [*base, "--epochs", "2"])  # a run is there: --resume needed
    assert again.exit_code == 2 and "--resume" in again.stderr
    # only --out and the new --epochs: everything else is the saved run's
    resumed = runner.invoke(app, ["train", "--out", str(out), "--resume", "--epochs", "2",
                                  "--no-progress"])  # fmt: skip
    assert resumed.exit_code == 0, resumed.output
    direct = run("gru", "digits", epochs=2, seed=0, hidden_size=4, batch_size=128,
                 schedule=None, monitors=None, progress=False)  # fmt: skip
    hist = json.loads((out / "history.json").read_text())
    got = [[r[k] for k in TRAIN_KEYS] for r in hist["history"]]
    assert got == [[r[k] for k in TRAIN_KEYS] for r in direct.history]
    assert hist["test"] == direct.test
    assert hist["provenance"]["resumed_at_epoch"] == [1]
    rep = json.loads((out / "report.json").read_text())
    assert rep["history"] == hist["history"]


def test_raising_the_epochs_of_a_cosine_run_says_why_not(tmp_path):
    out = tmp_path / "gru"
    base = ["train", "--model", "gru", *TINY, "--out", str(out), "--no-monitors",
            "--no-progress", "--batch-size", "128"]  # fmt: skip
    assert runner.invoke(app, [*base, "--epochs", "1"]).exit_code == 0  # the recipe: cosine
    more = runner.invoke(app, ["train", "--out", str(out), "--resume", "--epochs", "2"])
    assert more.exit_code == 2 and "cosine schedule's length" in more.stderr


def test_robustness_report_of_the_checkpoint(trained, tmp_path):
    out, _ = trained
    rdir = tmp_path / "rob"
    args = ["robustness", str(out), "--out", str(rdir), "--no-pgd", "--draws", "1",
            "--probes", "4", "--grid", "5", "--hessian-samples", "16"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    rep = json.loads((rdir / "report.json").read_text())
    model, _ = load_model(out / "best.pt")  # a folder means its best.pt
    test = load("digits", "test", seed=0)  # the task and seed recorded in the checkpoint
    assert rep["clean_accuracy"] == evaluate(model, test)["accuracy"]
    assert rep["task"] == "digits" and rep["n_test"] == len(test.y)
    assert rep["info"]["checkpoint"] == str(out / "best.pt")
    assert rep["row"]["clean"] == rep["clean_accuracy"]
    assert rep["hessian"]["probes"] == 4 and rep["hessian"]["samples"] == 16
    # σ = 0 Gaussian noise leaves the inputs unchanged: its accuracy is the clean one
    gauss = next(c for c in rep["noise"] if c["kind"] == "gaussian")
    assert gauss["levels"]["data"][0] == 0
    assert gauss["accuracy"]["data"][0][0] == rep["clean_accuracy"]
    for png in ("noise.png", "landscape.png"):
        assert (rdir / png).stat().st_size > 5000 and png in (rdir / "index.html").read_text()
    assert "λ_max(H)" in result.output


def test_robustness_with_deepfool_reports_df_columns(trained):
    out, _ = trained
    args = ["robustness", str(out / "last.pt"), "--json", "-", "--no-hessian", "--no-pgd",
            "--deepfool", "--draws", "1", "--out", str(out.parent / "rob-df")]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    body = json.loads(result.stdout)
    page = (out.parent / "rob-df" / "index.html").read_text()
    assert "DeepFool, Moosavi-Dezfooli et al. 2016" in page
    assert [d["norm"] for d in body["deepfool"]] == ["l2", "linf"]
    for d in body["deepfool"]:
        # an attack inside the ball cannot raise the accuracy above the clean one
        assert 0 <= d["accuracy"] <= body["clean_accuracy"] and d["eps"] == 0.05
        assert body["row"][f"DF-{'ℓ∞' if d['norm'] == 'linf' else 'ℓ2'} ε=0.05"] == d["accuracy"]


def test_robustness_refuses_a_regression_checkpoint(tmp_path):
    out = tmp_path / "add"
    args = ["train", "--model", "gru", "--task", "adding", "--hidden-size", "4", "--epochs", "1",
            "--out", str(out), "--no-monitors", "--no-progress"]  # fmt: skip
    assert runner.invoke(app, args).exit_code == 0
    result = runner.invoke(app, ["robustness", str(out), "--no-hessian", "--draws", "1"])
    assert result.exit_code == 2 and "regression model" in result.stderr
    assert "classification task" in result.stderr


def test_robustness_json_to_stdout_without_hessian(trained):
    out, _ = trained
    args = ["robustness", str(out / "last.pt"), "--json", "-", "--no-hessian", "--no-pgd",
            "--draws", "1"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["hessian"] is None and body["info"]["epoch"] == 1


def test_robustness_refuses_a_file_that_is_no_checkpoint(tmp_path):
    bad = tmp_path / "notes.pt"
    bad.write_text("these are notes")
    result = runner.invoke(app, ["robustness", str(bad)])
    assert result.exit_code == 2
    assert "not a checkpoint written by neurodyn train" in result.stderr


def test_parse_options():
    assert parse_options(["beta_a=0.8", "flag=true", "method=euler", "n=3", "x=None"]) == {
        "beta_a": 0.8,
        "flag": True,
        "method": "euler",
        "n": 3,
        "x": None,
    }
    for bad in (["beta_a"], ["=1"], ["a=1", "a=2"]):
        with pytest.raises(ValueError, match="--option"):
            parse_options(bad)


def test_history_rows_show_certificate_columns_only_where_certify_applies():
    from neurodyn.report import history_rows

    base = {"epoch": 0, "train_loss": 1.0, "train_acc": 0.5, "val_loss": 1.1, "val_acc": 0.4,
            "lr": 1e-3}  # fmt: skip
    na = {**base, "cert_applicable": False, "cert_reason": "certify does not support GRU"}
    cols, _ = history_rows([na])
    assert not any(c.startswith("certificate") for c in cols)
    ok = {**base, "epoch": 1, "cert_applicable": True, "cert_holds": True, "cert_kind": "proof",
          "cert_name": "lipschitz_norm", "cert_margin": 0.25}  # fmt: skip
    cols, rows = history_rows([na, ok])
    i = cols.index("certificate holds")
    assert rows[0][i] == "n/a" and rows[1][i] is True
    assert rows[1][cols.index("margin")] == 0.25 and rows[0][cols.index("margin")] is None


def test_train_help_names_every_model():
    """The --model help is typed out (the CLI does not import torch to show it): it must name
    exactly the models of neurodyn.train.MODELS, so a new model cannot be left out."""
    import re

    from neurodyn.cli import _train
    from neurodyn.train import MODELS

    src = Path(_train.__file__).read_text()
    listed = re.search(r"neurodyn\.train\.MODELS: ([^)]*)\)", src).group(1)
    names = {n.strip() for n in re.sub(r'"\s*"', "", listed).split(",")}
    assert names == set(MODELS)
