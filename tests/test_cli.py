"""The command line: `neurodyn demo` writes a complete report; `neurodyn activations` prints."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from neurodyn.cli import app

runner = CliRunner()


def test_demo_writes_report(tmp_path):
    out = tmp_path / "report"
    result = runner.invoke(app, ["demo", "--out", str(out), "--resolution", "41"])
    assert result.exit_code == 0, result.output
    for name in (
        "report.json",
        "index.html",
        "phase_portrait.png",
        "spectral_radius.png",
        "eigenvalues.png",
        "basins.png",
    ):
        assert (out / name).stat().st_size > 1000, name
    report = json.loads((out / "report.json").read_text())
    # the demo net is bistable: two stable equilibria and a saddle (docstring of demo_net)
    kinds = sorted(p["kind"] for p in report["fixed_points"]["points"])
    assert kinds == ["saddle", "stable", "stable"]
    assert report["attractor"]["kind"] == "multipoint"
    assert report["affine_form"]["spectral_radius"]["max"] > 1
    names = [c["name"] for c in report["certificates"]["certificates"]]
    assert "norm_product" in names and "theorem6_sufficient" in names
    html = (out / "index.html").read_text()
    assert "phase_portrait.png" in html and "heuristic" in html
    assert "multipoint" in result.output
    # theorem6_sufficient needs square weights (the demo's are 2×16, 16×2): not applicable in
    # the terminal as on the page, not a failed check with margin NaN
    row = next(ln for ln in result.output.splitlines() if "theorem6_sufficient" in ln)
    assert "not applicable" in row and "NaN" not in row and "does not hold" not in row


def test_activations_table_command():
    result = runner.invoke(app, ["activations"])
    assert result.exit_code == 0, result.output
    assert "SELU" in result.output and "Hardswish" in result.output


def test_no_args_shows_help():
    result = runner.invoke(app, [])
    assert "demo" in result.output


def test_lyapunov_command_on_a_state_dict(tmp_path):
    import torch

    torch.manual_seed(0)
    lstm = torch.nn.LSTM(3, 4, num_layers=2)
    path = tmp_path / "lstm.pt"
    torch.save(lstm.state_dict(), path)
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "lyapunov",
            str(path),
            "--steps",
            "40",
            "--warmup",
            "5",
            "--batch",
            "3",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads((out / "lyapunov.json").read_text())
    assert len(report["exponents"]) == 2 * 2 * 4  # (h, c) per layer
    assert report["batch"] == 3 and report["steps"] == 40
    assert (out / "spectrum.png").stat().st_size > 1000


def test_lyapunov_command_refuses_pickles_unless_told(tmp_path):
    import torch

    gru = torch.nn.GRU(2, 3)
    path = tmp_path / "gru_module.pt"
    torch.save(gru, path)
    result = runner.invoke(app, ["lyapunov", str(path), "--steps", "5", "--warmup", "0"])
    assert result.exit_code == 2
    assert "weights_only" in result.output and "--unsafe-load" in result.output
    result = runner.invoke(
        app, ["lyapunov", str(path), "--steps", "5", "--warmup", "0", "--unsafe-load"]
    )
    assert result.exit_code == 0, result.output


def test_load_recurrent_module_infers_architecture(tmp_path):
    import torch

    from neurodyn.io import load_recurrent_module

    cases = [
        (torch.nn.GRU(2, 5, num_layers=3, bias=False), "gru"),
        (torch.nn.RNN(2, 5, nonlinearity="relu"), "rnn_relu"),
        (torch.nn.LSTMCell(2, 5), "auto"),
    ]
    for module, kind in cases:
        path = tmp_path / "m.pt"
        torch.save({f"encoder.{k}": v for k, v in module.state_dict().items()}, path)
        loaded = load_recurrent_module(path, kind=kind)
        assert type(loaded) is type(module)
        for (k1, v1), (k2, v2) in zip(
            module.state_dict().items(), loaded.state_dict().items(), strict=True
        ):
            assert k1 == k2 and torch.equal(v1, v2)
        if kind == "rnn_relu":
            assert loaded.nonlinearity == "relu"
    torch.save(torch.nn.GRU(2, 5).state_dict(), tmp_path / "g.pt")
    import pytest

    with pytest.raises(ValueError, match="look like gru"):
        load_recurrent_module(tmp_path / "g.pt", kind="lstm")
    torch.save(torch.nn.LSTM(2, 5, bidirectional=True).state_dict(), tmp_path / "b.pt")
    with pytest.raises(ValueError, match="bidirectional"):
        load_recurrent_module(tmp_path / "b.pt")


def _lyapunov_cli(path, out=None, *extra):
    args = ["lyapunov", str(path), "--steps", "60", "--warmup", "10", "--batch", "2", *extra]
    return runner.invoke(app, args + (["--out", str(out)] if out is not None else []))


def test_lyapunov_refuses_to_guess_the_rnn_nonlinearity(tmp_path):
    """A state dict of nn.RNN does not record tanh vs ReLU: `--kind auto` used to read a ReLU
    RNN as tanh (λ₁ = −0.678 instead of −0.924); it must refuse and name both kinds."""
    import torch

    from neurodyn.lyapunov import lyapunov_spectrum
    from neurodyn.systems import as_map

    torch.manual_seed(0)
    rnn = torch.nn.RNN(2, 6, nonlinearity="relu").double()
    path = tmp_path / "rnn_relu.pt"
    torch.save(rnn.state_dict(), path)
    result = _lyapunov_cli(path)
    assert result.exit_code == 2, result.output
    assert "--kind rnn_tanh" in result.output and "--kind rnn_relu" in result.output
    out = tmp_path / "out"
    result = _lyapunov_cli(path, out, "--kind", "rnn_relu")
    assert result.exit_code == 0, result.output
    got = [float(v) for v in json.loads((out / "lyapunov.json").read_text())["exponents"]]
    # the CLI's inputs (seed 0) through the module itself, which knows it is ReLU
    x = torch.randn(2, 70, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    want = lyapunov_spectrum(as_map(rnn), x, warmup=10, steps=60).exponents.tolist()
    assert got == pytest.approx(want, rel=1e-12, abs=1e-12)
    tanh = torch.nn.RNN(2, 6).double()
    tanh.load_state_dict(rnn.state_dict())  # the old guess: the same weights read as tanh
    as_tanh = lyapunov_spectrum(as_map(tanh), x, warmup=10, steps=60).exponents
    assert abs(float(as_tanh[0]) - want[0]) > 0.05
    assert _lyapunov_cli(path, None, "--kind", "rnn_tanh").exit_code == 0
    for module in (torch.nn.GRU(2, 3), torch.nn.LSTMCell(2, 3)):  # still auto-detected
        torch.save(module.state_dict(), tmp_path / "m.pt")
        assert _lyapunov_cli(tmp_path / "m.pt").exit_code == 0


def _strict_json(text: str):
    def refuse(name):
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def test_lyapunov_json_is_strict_with_minus_infinite_exponents(tmp_path):
    """A hidden unit with a zero recurrent column makes one exponent exactly −∞; lyapunov.json
    used to hold a bare -Infinity / NaN (not JSON)."""
    import torch

    rnn = torch.nn.RNN(2, 3).double()
    with torch.no_grad():
        rnn.weight_hh_l0.copy_(torch.diag(torch.tensor([0.9, 0.5, 0.0])))
    torch.save(rnn.state_dict(), tmp_path / "rnn.pt")
    out = tmp_path / "out"
    result = _lyapunov_cli(tmp_path / "rnn.pt", out, "--kind", "rnn_tanh")
    assert result.exit_code == 0, result.output
    report = _strict_json((out / "lyapunov.json").read_text())
    assert report["exponents"][2] == "-inf" and report["mean"] == "-inf"
    assert all(isinstance(v, float) for v in report["exponents"][:2])
    assert "1 of 3 exponents are −∞" in result.output
    html = (out / "index.html").read_text()
    assert "spectrum.png" in html and "1 of 3 exponents are −∞" in html
    for name in ("spectrum.png", "convergence.png"):
        assert (out / name).stat().st_size > 1000
