"""The command line: `neurodyn demo` writes a complete report; `neurodyn activations` prints."""

from __future__ import annotations

import json

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
    assert "phase_portrait.png" in html and "seed-heuristic" in html
    assert "multipoint" in result.output


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

    from neurodyn.cli._load import load_recurrent_module

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
