"""Recipes (neurodyn.train.recipe): every task and model has one, run() uses it where the
caller is silent, every given option overrides it, and it is recorded."""

from __future__ import annotations

import os

import pytest

from neurodyn.data import TASKS, load
from neurodyn.train import MODEL_RECIPES, MODELS, TASK_RECIPES, fit, recipe, run
from neurodyn.train._recipes import SHORT_T


def test_every_task_and_model_has_a_recipe_and_its_length_is_the_datas():
    assert set(TASK_RECIPES) == set(TASKS)
    assert set(MODEL_RECIPES) == set(MODELS)
    for task, entry in TASK_RECIPES.items():
        # the recorded T decides the time-scale class; it must be the data's own length
        assert load(task, "val").x.shape[1] == entry["length"], task
        for model in MODELS:
            r = recipe(model, task)
            assert r.epochs > 0 and r.lr > 0 and r.source["task"]
            assert set(r.source) <= {"task", "model"}


def test_the_time_scale_follows_the_sequence_length():
    # Lipschitz RNN: the tuned Δt at T ≤ 128, the paper's T = 784 value beyond
    assert (
        recipe("lipschitz", "digits").model_options
        == MODEL_RECIPES["lipschitz"]["short"]["model_options"]
    )
    assert TASK_RECIPES["mnist5k-pixels"]["length"] > SHORT_T
    assert recipe("lipschitz", "mnist5k-pixels").model_options == {"dt": 0.01}
    # no "long" entry: the short entry's learning rate, the constructor's own time scale
    assert recipe("ctrnn", "adding-500").model_options == {}
    assert recipe(None, "digits").model_options == {}
    with pytest.raises(ValueError, match="no recipe for task"):
        recipe("lstm", "nope")
    with pytest.raises(ValueError, match="unknown model"):
        recipe("nope", "digits")


def test_run_uses_the_recipe_where_the_caller_is_silent_and_records_it():
    res = run("lipschitz", "digits", epochs=1, hidden_size=4, monitors=None, progress=False)
    r = recipe("lipschitz", "digits")
    opts = res.provenance["options"]
    assert {k: opts[k] for k in r.fit_options if k != "epochs"} == {
        k: v for k, v in r.fit_options.items() if k != "epochs"
    }
    assert res.model.options == r.model_options and res.model.body.dt == r.model_options["dt"]
    assert res.provenance["recipe"]["overridden"] == ["epochs"]
    assert res.provenance["recipe"]["source"] == r.source


def test_every_given_option_overrides_the_recipe():
    res = run("lipschitz", "digits", epochs=1, hidden_size=4, lr=0.002, schedule=None,
              clip=None, patience=None, model_options={"dt": 0.5}, monitors=None,
              progress=False)  # fmt: skip
    opts = res.provenance["options"]
    assert (opts["lr"], opts["schedule"], opts["clip"], opts["patience"]) == (0.002, None, None,
                                                                              None)  # fmt: skip
    assert res.model.body.dt == 0.5
    assert res.provenance["recipe"]["overridden"] == [
        "clip", "epochs", "lr", "model_options.dt", "patience", "schedule"]  # fmt: skip


def test_recipe_false_is_the_trainers_plain_defaults():
    import inspect

    res = run("gru", "digits", hidden_size=4, recipe=False, epochs=1, monitors=None,
              progress=False)  # fmt: skip
    plain = inspect.signature(fit).parameters
    opts = res.provenance["options"]
    for key in ("lr", "schedule", "clip", "patience", "batch_size"):
        assert opts[key] == plain[key].default, key
    assert res.provenance["recipe"] is None


@pytest.mark.skipif(not os.environ.get("NEURODYN_EXTENSIVE_TESTS"),
                    reason="NEURODYN_EXTENSIVE_TESTS=1 (full recipes, 1-3 min each)")  # fmt: skip
@pytest.mark.parametrize(
    ("model", "task", "floor"),
    # loose floors below docs/train.md's recipe table (mean - 3 sd or more); chance is 10 %
    [("lstm", "digits", 0.90), ("lipschitz", "digits", 0.90), ("gru", "mnist5k-t98", 0.85)],
)
def test_the_recipe_reaches_its_documented_accuracy(model, task, floor, one_thread):
    res = run(model, task, seed=0, monitors=None, progress=False)
    assert res.test["accuracy"] >= floor, (res.test, res.provenance["recipe"])


def test_the_docs_tuning_table_and_the_recipes_agree():
    """docs/train.md prints the tuning sweep's choice per model and task in bold; the recipe
    for that pair must use it (a recipe edited without the table, or the reverse, fails)."""
    import re
    from pathlib import Path

    text = (Path(__file__).parents[1] / "docs" / "train.md").read_text()
    lines = text[text.index("| model | knob | digits") :].split("\n\n")[0].splitlines()
    tasks = [c.strip() for c in lines[0].strip("|").split("|")][2:]
    seen, models = 0, set()
    for line in lines[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        model, knob = cells[0], cells[1]
        models.add(model)
        for task, cell in zip(tasks, cells[2:], strict=True):
            chosen = float(re.match(r"\*\*([0-9.e-]+):", cell).group(1))
            r = recipe(model, task)
            got = r.lr if knob == "lr" else r.model_options[knob]
            assert got == chosen, (model, task, knob, got, chosen)
            seen += 1
    assert seen == len(models) * len(tasks)
    # every model whose recipe says it was tuned has its row
    tuned = {m for m in MODELS if recipe(m, "digits").source.get("model", "").startswith("tuning")}
    assert models == tuned
