"""Drgoňa et al., Spectral analysis, Figs. 2–8 regenerated from the zoo: the paper's qualitative
claims, measured.

One run of :func:`neurodyn.reproduce.paper_figures` at a coarse grid (31 × 31) feeds every
test; the assertion messages quote what the paper says.
"""

from __future__ import annotations

import json
import math

import pytest
from torch import nn
from typer.testing import CliRunner

from neurodyn.activations import classify
from neurodyn.cli import app
from neurodyn.reproduce import FIGURES, paper_figures
from neurodyn.zoo import NOT_REPRODUCED, PAPER_MODELS

PNGS = [f"fig{i}.png" for i in range(2, 9)]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("paper")
    report = paper_figures(out, resolution=31)
    return out, report


@pytest.fixture(scope="module")
def claims(run):
    return {c["id"]: c for c in run[1]["claims"]}


def test_files_written(run):
    out, report = run
    for name in [*PNGS, "paper_figures.json", "index.html"]:
        assert (out / name).stat().st_size > 1000, name
    assert report["figures"] == PNGS
    on_disk = json.loads((out / "paper_figures.json").read_text())
    assert on_disk["claims"] == report["claims"]
    html = (out / "index.html").read_text()
    assert all(name in html for name in PNGS) and "x̄ = b_L" in html


def test_every_model_has_its_numbers(run):
    models = run[1]["models"]
    assert set(models) == set(PAPER_MODELS)
    assert {n for names in FIGURES.values() for n in names} == set(PAPER_MODELS)
    for name, m in models.items():
        rho = m["spectral_radius"]
        assert 0 <= rho["min"] <= rho["max"], name
        assert 0 <= rho["fraction_above_1"] <= 1, name
        assert 0 <= m["diverged_fraction"] <= 1, name
        assert m["attractor"]["kind"] in {
            "point",
            "multipoint",
            "line",
            "cycle",
            "chaotic",
            "divergent",
        }
        assert all("kind" in p and len(p["x"]) == 2 for p in m["fixed_points"]), name
    assert [len(v["max_rho"]) for v in run[1]["fig5"].values()] == [3, 3, 3]


def test_reproducible_claims_pass(claims):
    for c in claims.values():
        if c["expected"] == "reproduced":
            assert c["passed"] and c["status"] == "reproduced", (
                f"paper: {c['paper']!r}; measured: {c['measured']}"
            )


def test_not_reproduced_claims_are_reported_as_such(claims):
    flagged = {m for c in claims.values() if c["status"] == "not reproduced" for m in c["models"]}
    assert flagged == set(NOT_REPRODUCED)
    for c in claims.values():
        if c["expected"] == "not reproduced":
            assert not c["passed"] and c["status"] == "not reproduced" and c["reason"], c["id"]


def test_fig2_claims(claims, run):
    models = run[1]["models"]
    assert claims["fig2-left"]["passed"], "Fig. 2 left: asymptotically stable, ρ(A*) ≤ 1"
    assert models["fig2-stable"]["attractor"]["kind"] == "point"
    bibo = models["fig2-bibo"]
    assert bibo["diverged_fraction"] == 0 and bibo["spectral_radius"]["max"] > 1, (
        "Fig. 2 centre: 'BIBO stable' although ρ(A*) > 1 somewhere"
    )
    unstable = models["fig2-unstable"]
    # honest: on the paper's grid the unstable net has ρ < 1; ρ > 1 only where it escapes to
    assert unstable["spectral_radius"]["max"] < 1
    assert unstable["spectral_radius_visited"]["max"] > 1, "Fig. 2 right: 'unstable', ρ(A*) > 1"
    assert unstable["diverged_fraction"] > 0, "Fig. 2 right: trajectories diverge"


def test_fig3_claims(run):
    models = run[1]["models"]
    for name in ("fig3-relu", "fig3-tanh"):
        assert models[name]["spectral_radius"]["max"] <= 1, (
            "Fig. 3: 'Thanks to the asymptotic stability of ReLU and Tanh … the whole state "
            "space is guaranteed to be stable with ρ(A*) ≤ 1'"
        )
    assert models["fig3-selu"]["attractor"]["kind"] == "point", (
        "Fig. 3: 'SELU network generated globally stable dynamics'"
    )


def test_fig3_sigmoid_unstable_region_is_an_artifact(claims, run):
    """'Sigmoid network generated large unstable region' — not reproduced: with the exact
    offset form ρ(A*) ≤ 1 on the grid; the paper's σ(z)/z is unbounded since σ(0) ≠ 0."""
    sig = run[1]["models"]["fig3-sigmoid"]["spectral_radius"]
    assert sig["max"] <= 1 and sig["fraction_above_1"] == 0
    assert claims["fig3-sigmoid"]["status"] == "not reproduced"
    assert math.isinf(classify(nn.Sigmoid()).lambda_sup_no_offset)
    assert classify(nn.Sigmoid()).lambda_sup <= 0.25 + 1e-9
    assert run[1]["sigmoid_activation"]["lambda_sup_no_offset"] == "inf"


def test_fig4_claims(claims, run):
    models = run[1]["models"]
    assert claims["fig4-nobias"]["passed"], (
        "§4: 'a neural network without bias is globally asymptotically stable with the "
        "equilibrium point at the origin x̄ = 0'"
    )
    assert claims["fig4-bias"]["passed"], "Fig. 4: with bias x̄ ≠ 0"
    c = claims["fig4-x=bL"]
    assert not c["passed"] and c["status"] == "refuted", (
        "§4: 'the equilibrium point are uniquely defined by last layer's bias terms x̄ = b_L' "
        f"is false here: {c['measured']}"
    )
    assert c["numbers"]["last_bias"] == models["fig4-bias"]["last_bias"]
    assert c["numbers"]["max_abs_difference"] > 1e-3


def test_fig5_depth_series(run):
    fig5 = run[1]["fig5"]
    stable, unstable = fig5["stable"]["max_rho"], fig5["unstable"]["max_rho"]
    assert stable[0] > stable[1] > stable[2], (
        "§4: 'increasing the depth … with asymptotically stable layers necessarily shrinks the "
        "spectral radius'"
    )
    assert unstable[0] < unstable[1] < unstable[2], (
        "§4: 'For unstable layers the opposite is true as the spectral radius expands'"
    )


def test_fig6_attractor_types(run):
    models = run[1]["models"]
    want = {
        "fig6-point": "point",
        "fig6-line": "line",
        "fig6-cycle": "cycle",
        "fig6-chaotic": "chaotic",
        "fig6-unstable": "divergent",
    }
    for name, kind in want.items():
        assert models[name]["attractor"]["kind"] == kind, (
            f"Fig. 6: 'six prominent attractor types' — {name} should be {kind}"
        )
    # not reproduced: a period-2 orbit, which a phase portrait shows as two points
    assert models["fig6-multipoint"]["attractor"]["kind"] == "cycle"
    assert 2 in models["fig6-multipoint"]["attractor"]["evidence"]["periods"]


def test_cli_paper_figures(tmp_path):
    out = tmp_path / "figs"
    result = CliRunner().invoke(app, ["paper-figures", "--out", str(out), "--resolution", "21"])
    assert result.exit_code == 0, result.output
    assert (out / "paper_figures.json").exists() and (out / "fig8.png").exists()
    assert "not reproduced" in result.output and "refuted" in result.output
