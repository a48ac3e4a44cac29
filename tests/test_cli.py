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
