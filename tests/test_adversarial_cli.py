"""Every CLI command against what a careless or hostile user hands it.

One case = a command, a model kind, a file format, a dimension, a dtype and an input fault (NaN
or inf weights or inputs, an empty batch, inputs of the wrong width, a truncated or wrong-kind
file, a directory, an output path that holds someone else's file). Whatever the case, the
command must end in one of two ways:

* exit 0 with a report that is valid: the JSON is strict (no NaN / Infinity tokens) and the
  report folder holds ``index.html`` and its JSON; or
* exit 2 with one line on stderr, ``error: …``, that names the problem (after at most the
  ``note:`` lines of what the command did before, e.g. an upcast);

never a traceback for user input, never exit 2 for an internal error (that is exit 3, see
docs/cli.md), and never a pre-existing file of the user's changed. Faults that leave nothing to
analyse (NaN weights, a directory, …) must be exit 2; a clean case must be exit 0.

The cases are drawn by hypothesis (derandomised, so the default slice is the same every run):
12 by default, 1,500 with ``NEURODYN_EXTENSIVE_TESTS=1`` (out of the 4 kinds × 5 formats × 10
dimensions × 4 dtypes × 14 faults × 2 commands product). The other commands (``demo``,
``paper-figures``, ``train``, ``robustness``, ``sweep``) are run over their own faults below.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from neurodyn.cli import app

pytestmark = pytest.mark.usefixtures("one_thread")

EXTENSIVE = bool(os.environ.get("NEURODYN_EXTENSIVE_TESTS"))
runner = CliRunner()

KINDS = ("mlp", "rnn_tanh", "lstm", "gru")
FORMATS = ("state_dict", "checkpoint", "torchscript", "export", "pickle")
DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
#: faults and whether they must be refused (True), must succeed (False) or may be either (None:
#: e.g. inf inputs saturate a tanh RNN to a finite state, a valid answer)
FAULTS = {
    "none": False,
    "nan_weight": True,
    "inf_weight": True,
    "nan_inputs": True,
    "inf_inputs": None,
    "empty_batch": True,
    "no_steps": True,
    "wrong_width": True,
    "truncated": True,
    "text_file": True,
    "tensor_file": True,
    "directory": True,
    "out_is_foreign_file": True,
    "json_is_foreign_file": True,
}
INPUT_FAULTS = ("nan_inputs", "inf_inputs", "empty_batch", "no_steps", "wrong_width")
FAST_FF = ("--samples", "10", "--resolution", "5", "--basin-resolution", "5")


def _strict_json(text: str):
    def refuse(token):
        raise ValueError(f"non-strict JSON token {token}")

    return json.loads(text, parse_constant=refuse)


def _module(kind: str, dim: int, dtype: torch.dtype) -> torch.nn.Module:
    torch.manual_seed(dim)
    if kind == "mlp":
        net = torch.nn.Sequential(torch.nn.Linear(dim, 8), torch.nn.Tanh(), torch.nn.Linear(8, dim))
    else:
        cls = {"rnn_tanh": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind]
        net = cls(3, dim, batch_first=True)
    return net.to(dtype).eval()


def _save(net, kind, fmt, dim, path: Path) -> list[str] | None:
    """Write ``net`` as ``fmt``; the extra CLI arguments the format needs, or None where torch
    itself cannot write that combination (then the case does not exist)."""
    dtype = next(net.parameters()).dtype
    extra = ["--arch", f"{dim}-8-tanh-{dim}"] if kind == "mlp" and fmt in (
        "state_dict", "checkpoint"
    ) else []  # fmt: skip
    if kind == "rnn_tanh" and fmt in ("state_dict", "checkpoint"):
        extra += ["--kind", "rnn_tanh"]
    if fmt == "state_dict":
        torch.save(net.state_dict(), path)
    elif fmt == "checkpoint":
        torch.save({"model": net.state_dict(), "epoch": 3}, path)
        extra += ["--key", "model"]
    elif fmt == "pickle":
        torch.save(net, path)
        extra += ["--unsafe-load"]
    else:
        x = torch.zeros(2, dim, dtype=dtype) if kind == "mlp" else torch.zeros(2, 4, 3, dtype=dtype)
        try:
            with warnings.catch_warnings():  # torch's own notes while scripting / exporting
                warnings.simplefilter("ignore")
                if fmt == "torchscript":
                    torch.jit.save(torch.jit.script(net), path)
                else:
                    torch.export.save(torch.export.export(net, (x,)), path)
        except Exception:  # torch cannot script / export this module in this dtype
            return None
    return extra


def _fingerprint(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _check_outcome(result, must_fail: bool | None, *, json_stdout: bool, out: Path | None):
    err = result.stderr
    assert "Traceback" not in err and "Traceback" not in result.stdout, err
    assert result.exit_code in (0, 2), f"exit {result.exit_code}:\n{err}\n{result.stdout}"
    if result.exit_code == 2:
        lines = [ln for ln in err.splitlines() if ln.strip()]
        errors = [ln for ln in lines if ln.startswith("error: ")]
        # one error line, last; before it only what the command said it did ("note: upcast …")
        assert len(errors) == 1 and lines[-1] == errors[0], err
        assert all(ln.startswith(("note: ", "inputs: ")) for ln in lines[:-1]), err
        assert must_fail is not False, f"a valid case was refused: {errors[0]}"
        return errors[0]
    assert must_fail is not True, f"a faulty case was accepted:\n{err}"
    if json_stdout:
        _strict_json(result.stdout)
    if out is not None:
        assert (out / "index.html").is_file()
        names = [p for p in ("report.json", "lyapunov.json") if (out / p).is_file()]
        assert names, sorted(p.name for p in out.iterdir())
        _strict_json((out / names[0]).read_text())
    return None


def run_case(command, kind, fmt, dim, dtype, fault):
    """Build the case in a fresh folder, run it, check the outcome; the error line or None."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        user = root / "user"  # the user's own files, which must come out unchanged
        user.mkdir()
        (user / "thesis.tex").write_text("\\documentclass{article} my thesis\n")
        net = _module(kind, dim, dtype)
        model = user / "model.pt"
        if fault in ("nan_weight", "inf_weight"):
            with torch.no_grad():
                next(net.parameters()).view(-1)[0] = float(
                    "nan" if fault == "nan_weight" else "inf"
                )
        extra = _save(net, kind, fmt, dim, model)
        if extra is None:
            return "n/a"
        if fault == "truncated":
            model.write_bytes(model.read_bytes()[: model.stat().st_size // 2])
        elif fault == "text_file":
            model.write_text("this is not a model\n")
        elif fault == "tensor_file":
            torch.save(torch.randn(3, 3), model)
        elif fault == "directory":
            model.unlink()
            model.mkdir()
        if command == "lyapunov" and "--arch" in extra:  # lyapunov has no --arch: its error
            i = extra.index("--arch")  # must point to `neurodyn analyze --arch`
            extra = extra[:i] + extra[i + 2 :]
        args = [command, str(model), *extra, "--warmup", "2"]
        if kind == "mlp" and command == "analyze":
            args += [*FAST_FF, "--steps", "5", "--batch", "2"]
        if fault in INPUT_FAULTS and kind != "mlp":
            b, t, w = {
                "empty_batch": (0, 8, 3),
                "no_steps": (3, 0, 3),
                "wrong_width": (3, 8, 5),
            }.get(fault, (3, 8, 3))
            x = torch.randn(b, t, w)
            if fault in ("nan_inputs", "inf_inputs"):
                x[1, 4, 0] = float("nan" if fault == "nan_inputs" else "inf")
            torch.save(x, user / "inputs.pt")
            args += ["--inputs", str(user / "inputs.pt")]
        elif fault in INPUT_FAULTS:
            return "n/a"  # a feedforward map takes no inputs
        elif kind != "mlp" or command == "lyapunov":
            args += ["--steps", "5", "--batch", "2"]
        out = root / "report"
        json_stdout = True
        if fault == "out_is_foreign_file":
            out = user / "thesis.tex"
        if fault == "json_is_foreign_file":
            args += ["--json", str(user / "thesis.tex")]
            json_stdout = False
        else:
            args += ["--json", "-"]
        args += ["--out", str(out)]
        before = _fingerprint(user)
        result = runner.invoke(app, args)
        must_fail = FAULTS[fault]
        if command == "lyapunov" and kind == "mlp" and fault == "none":
            must_fail = True  # a feedforward net: the error points to `neurodyn analyze`
        line = _check_outcome(
            result, must_fail, json_stdout=json_stdout, out=out if result.exit_code == 0 else None
        )
        assert _fingerprint(user) == before, f"a user file changed: {args}"
        return line


@settings(
    max_examples=1500 if EXTENSIVE else 12,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    command=st.sampled_from(("analyze", "lyapunov")),
    kind=st.sampled_from(KINDS),
    fmt=st.sampled_from(FORMATS),
    dim=st.integers(1, 10),
    dtype=st.sampled_from(DTYPES),
    fault=st.sampled_from(sorted(FAULTS)),
)
def test_model_commands_end_cleanly(command, kind, fmt, dim, dtype, fault):
    run_case(command, kind, fmt, dim, dtype, fault)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_every_kind_and_dtype_analyses_cleanly(kind, dtype):
    """The clean case of every kind in every dtype: a report (float16 / bfloat16 upcast)."""
    assert run_case("analyze", kind, "state_dict", 3, dtype, "none") is None


@pytest.mark.parametrize(
    "fault", ["nan_weight", "truncated", "text_file", "directory", "json_is_foreign_file"]
)
def test_each_refusal_names_the_problem(fault):
    line = run_case("analyze", "lstm", "state_dict", 4, torch.float32, fault)
    words = {
        "nan_weight": "nan",
        "truncated": "model.pt",
        "text_file": "model.pt",
        "directory": "directory",
        "json_is_foreign_file": "thesis.tex",
    }[fault]
    assert words in line.lower(), line


# --- the commands that take no model file --------------------------------------------------


def _foreign_folder(root: Path) -> Path:
    folder = root / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine\n")
    (folder / "index.html").write_text("<html>my own page</html>\n")
    return folder


@pytest.mark.parametrize(
    "args",
    [
        ["demo", "--resolution", "11"],
        ["paper-figures", "--resolution", "11"],
        ["train", "--model", "gru", "--task", "digits", "--hidden-size", "4", "--epochs", "1",
         "--no-progress"],
    ],
    ids=["demo", "paper-figures", "train"],
)  # fmt: skip
@pytest.mark.parametrize("target", ["foreign_file", "foreign_folder"])
def test_output_commands_refuse_someone_elses_path(tmp_path, args, target):
    path = tmp_path / "thesis.tex" if target == "foreign_file" else _foreign_folder(tmp_path)
    if target == "foreign_file":
        path.write_text("my thesis\n")
    before = _fingerprint(tmp_path)
    result = runner.invoke(app, [*args, "--out", str(path)])
    line = _check_outcome(result, True, json_stdout=False, out=None)
    assert str(path.name) in line, line
    assert _fingerprint(tmp_path) == before


@pytest.mark.parametrize(
    "config",
    [
        "",
        "task: digits\n",
        "task: no-such-task\nmodel: gru\nepochs: 1\nseeds: [0]\n",
        "task: digits\nmodel: gru\nepochs: 1\nseeds: [0]\ngrid: {hidden_size: 4}\n",
        "{{not yaml",
    ],
    ids=["empty", "no-model", "unknown-task", "grid-not-a-list", "malformed"],
)
def test_sweep_refuses_a_bad_config_in_one_line(tmp_path, config):
    path = tmp_path / "study.yaml"
    path.write_text(config)
    result = runner.invoke(app, ["sweep", str(path), "--out", str(tmp_path / "store"),
                                 "--sequential", "--no-progress"])  # fmt: skip
    _check_outcome(result, True, json_stdout=False, out=None)


def test_robustness_refuses_what_is_no_run(tmp_path):
    for target in (tmp_path / "nothing", _foreign_folder(tmp_path)):
        result = runner.invoke(app, ["robustness", str(target), "--out", str(tmp_path / "r")])
        _check_outcome(result, True, json_stdout=False, out=None)
