"""User errors and neurodyn's bugs are told apart (docs/cli.md, "Errors and exit codes"): an
error about the input is one line ``error: …``, exit 2; anything else is an internal error,
exit 3, with the traceback and where to report it. On main every KeyError / RuntimeError /
TypeError was one line with exit 2, so a bug read as the user's fault. And the messages that
sent the user the wrong way (an empty inputs file, an MLP given to ``lyapunov``, a directory
given as MODEL) now say what is wrong."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

import neurodyn
from neurodyn.cli import app
from neurodyn.cli._app import is_user_error

runner = CliRunner()
TINY = ("--samples", "40", "--resolution", "5", "--basin-resolution", "5", "--steps", "12",
        "--warmup", "3", "--batch", "2")  # fmt: skip


def _one_line(result, *words) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and result.stdout == ""
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


@pytest.fixture
def mlp2(tmp_path):
    net = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
    torch.save(net.state_dict(), tmp_path / "mlp.pt")
    return tmp_path / "mlp.pt"


BUGS = [KeyError("kind"), IndexError("list index"), AttributeError("x"), RuntimeError("boom"),
        TypeError("bad"), AssertionError()]  # fmt: skip


@pytest.mark.parametrize("exc", BUGS, ids=lambda e: type(e).__name__)
def test_a_bug_inside_neurodyn_is_an_internal_error(mlp2, monkeypatch, exc):
    """A neurodyn function that fails with a bare built-in error (as the summary's
    KeyError 'kind' did on main): exit 3, the traceback, the error named as a bug."""

    def broken(*args, **kwargs):
        raise exc

    monkeypatch.setattr(neurodyn.stability, "certify", broken)  # analyze's certificates
    result = runner.invoke(app, ["analyze", str(mlp2), "--arch", "2-8-tanh-2", *TINY])
    assert result.exit_code == 3, result.output
    assert "Traceback (most recent call last)" in result.stderr
    assert f"internal error in neurodyn (a bug, not your input): {type(exc).__name__}" in (
        result.stderr
    )
    assert "please report it" in result.stderr and "error: " not in result.stderr


def test_a_value_error_from_python_is_a_bug_one_raised_on_purpose_is_not(tmp_path):
    """The plain ValueErrors a neurodyn check raises on purpose (a ``raise`` statement in
    neurodyn's code) stay user errors; a ValueError that Python or numpy raised (an unpack, a
    reshape) is a bug."""
    from neurodyn.lyapunov import lyapunov_spectrum
    from neurodyn.systems import LinearMap

    f = LinearMap(torch.eye(2, dtype=torch.float64))
    with pytest.raises(ValueError) as on_purpose:
        lyapunov_spectrum(f, h0=torch.ones(1, 2, dtype=torch.float64), steps=5, k=0)
    assert type(on_purpose.value) is ValueError and is_user_error(on_purpose.value)
    with pytest.raises(ValueError) as from_numpy:
        np.zeros(2).reshape(3)
    assert not is_user_error(from_numpy.value)
    with pytest.raises(ValueError) as unpack:
        a, b = [1]  # noqa: F841
    assert not is_user_error(unpack.value)
    assert is_user_error(neurodyn.errors.InputError("x"))
    assert is_user_error(FileNotFoundError(2, "No such file", str(tmp_path / "x")))
    assert not is_user_error(KeyError("kind"))


def test_user_errors_stay_one_line_and_debug_shows_the_traceback(tmp_path, monkeypatch):
    (tmp_path / "notes.txt").write_text("not a model")
    result = runner.invoke(app, ["analyze", str(tmp_path / "notes.txt")])
    _one_line(result, "is not a PyTorch file")
    monkeypatch.setenv("NEURODYN_DEBUG", "1")
    result = runner.invoke(app, ["analyze", str(tmp_path / "notes.txt")])
    assert result.exit_code == 2 and "Traceback" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: ")


def test_a_usage_error_is_exit_2(mlp2):
    result = runner.invoke(app, ["analyze", str(mlp2), "--no-such-option"])
    assert result.exit_code == 2 and "No such option" in result.output


def test_empty_inputs_file_says_it_holds_no_time_steps(tmp_path):
    """Main said "pass --warmup below 0" for a (3, 0, 3) inputs file."""
    torch.save(torch.nn.GRU(3, 4).state_dict(), tmp_path / "gru.pt")
    torch.save(torch.zeros(3, 0, 3), tmp_path / "empty.pt")
    torch.save(torch.zeros(0, 5, 3), tmp_path / "nobatch.pt")
    for cmd in ("lyapunov", "analyze"):
        result = runner.invoke(app, [cmd, str(tmp_path / "gru.pt"), "--inputs",
                                     str(tmp_path / "empty.pt")])  # fmt: skip
        line = _one_line(result, "holds no time steps", "(3, 0, 3)")
        assert "below 0" not in line
    result = runner.invoke(app, ["lyapunov", str(tmp_path / "gru.pt"), "--inputs",
                                 str(tmp_path / "nobatch.pt")])  # fmt: skip
    _one_line(result, "holds no sequences")
    x = torch.randn(2, 8, 3)
    x[1, 4, 2] = float("nan")
    torch.save(x, tmp_path / "nan.pt")
    result = runner.invoke(app, ["lyapunov", str(tmp_path / "gru.pt"), "--inputs",
                                 str(tmp_path / "nan.pt"), "--warmup", "2"])  # fmt: skip
    _one_line(result, "contains NaN", "(1, 4, 2)")


def test_lyapunov_on_an_mlp_points_to_analyze(mlp2):
    """Main said "pass --arch", an option ``neurodyn lyapunov`` does not have."""
    line = _one_line(runner.invoke(app, ["lyapunov", str(mlp2)]))
    assert f"neurodyn analyze {mlp2} --arch 2-8-?-2" in line and "recurrent" in line
    # the command it names works once the activation is named
    result = runner.invoke(app, ["analyze", str(mlp2), "--arch", "2-8-tanh-2", *TINY])
    assert result.exit_code == 0, result.output


def test_a_directory_as_model_is_named_a_directory(tmp_path, mlp2):
    """Main said "no such model file" for a folder that exists."""
    for cmd in ("analyze", "lyapunov"):
        line = _one_line(runner.invoke(app, [cmd, str(tmp_path)]), "is a directory")
        assert "no such model file" not in line and "mlp.pt" in line  # what it holds
    line = _one_line(runner.invoke(app, ["analyze", str(tmp_path / "missing.pt")]))
    assert "no such model file" in line


def test_load_model_is_public_and_raises_load_error(tmp_path, mlp2):
    """``neurodyn.load_model`` is the CLI's loader: same module, same errors (a LoadError,
    which is an InputError and a ValueError)."""
    loaded = neurodyn.load_model(mlp2, arch="2-8-tanh-2")
    want = torch.load(mlp2, weights_only=True)
    got = loaded.module.state_dict()
    assert [k for k in got] == list(want) and all(torch.equal(got[k], want[k]) for k in want)
    assert loaded.kind == "feedforward" and loaded.to_dict()["file"] == str(mlp2)
    with pytest.raises(neurodyn.errors.LoadError, match="does not record its") as err:
        neurodyn.load_model(mlp2)
    assert isinstance(err.value, neurodyn.errors.InputError | ValueError)
    assert err.value.needs == "--arch 2-8-?-2"
