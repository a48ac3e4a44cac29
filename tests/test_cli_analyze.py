"""``neurodyn analyze`` and ``neurodyn.report.analyze``: a user's own model to a report, the JSON
on stdout with its provenance, ``--version``; numbers checked against independent computations
(the module itself, torch.func Jacobians)."""

from __future__ import annotations

import hashlib
import json
import os
import time

import pytest
import torch
from typer.testing import CliRunner

from neurodyn.cli import app

runner = CliRunner()
EXTENSIVE = bool(os.environ.get("NEURODYN_EXTENSIVE_TESTS"))
SMALL = ("--resolution", 21, "--basin-resolution", 21, "--steps", 40, "--warmup", 10)


def _run(*args):
    return runner.invoke(app, [str(a) for a in args])


def _mlp(n: int, hidden: int, gain: float, seed: int = 0) -> torch.nn.Sequential:
    torch.manual_seed(seed)
    net = torch.nn.Sequential(
        torch.nn.Linear(n, hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, n)
    ).double()
    with torch.no_grad():
        net[2].weight.mul_(gain)
    return net.eval()


def test_version():
    import neurodyn

    result = _run("--version")
    assert result.exit_code == 0 and f"neurodyn {neurodyn.__version__}" in result.stdout
    assert f"torch {torch.__version__}" in result.stdout


def test_analyze_2d_state_dict_json_on_stdout_and_report(tmp_path):
    """A 2-D state dict with --arch: the report folder, and with --json - the JSON alone on
    stdout, with its provenance; the fixed points are fixed points of the module itself."""
    net = _mlp(2, 8, 1.5)
    path = tmp_path / "net.pt"
    torch.save(net.state_dict(), path)
    out = tmp_path / "rep"
    result = _run("analyze", path, "--arch", "2-8-tanh-2", "--box=-3,3", *SMALL,
                  "--out", out, "--json", "-")  # fmt: skip
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)  # nothing but the JSON on stdout
    assert body == json.loads((out / "report.json").read_text())
    prov = body["provenance"]
    assert prov["model"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert prov["model"]["format"] == "state dict" and prov["options"]["arch"] == "2-8-tanh-2"
    assert prov["versions"]["torch"] == torch.__version__ and prov["seed"] == 0
    assert prov["date"].endswith("+00:00") and isinstance(prov["command"], list)
    for name in ("index.html", "spectral_radius.png", "eigenvalues.png", "phase_portrait.png",
                 "basins.png", "spectrum.png"):  # fmt: skip
        assert (out / name).stat().st_size > 1000, name
    assert body["box"] == {"low": [-3.0, -3.0], "high": [3.0, 3.0], "default": False}
    points = torch.tensor([p["x"] for p in body["fixed_points"]["points"]], dtype=torch.float64)
    assert points.shape[0] >= 1
    with torch.no_grad():
        torch.testing.assert_close(net(points), points, rtol=0, atol=1e-8)
    html = (out / "index.html").read_text()
    assert "Verdict." in html and "seed 00" not in html
    assert body["attractor"]["kind"] in ("point", "multipoint", "cycle", "chaotic", "line")


def test_analyze_10d_map_in_python(tmp_path):
    """A 10-D MLP through ``neurodyn.report.analyze``: fixed points are fixed points of the
    module, the exponents sum to the mean log|det J| along the same trajectories (Jacobians by
    the chain rule in the test, not neurodyn's), and what was not done for n > 2 is said."""
    from neurodyn.report import analyze

    net = _mlp(10, 32, 0.6, seed=3)
    box = [(-2.0, 2.0)] * 10
    rep = analyze(net, box, samples=300, fixed_point_seeds=32, steps=60, warmup=10, batch=4)
    d = rep.data
    assert d["affine_form"]["count"] == 300 and d["model"]["dim"] == 10
    pts = torch.tensor([p["x"] for p in d["fixed_points"]["points"]], dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(net(pts), pts, rtol=0, atol=1e-8)
    # independent: Σλ_i = mean over t of log|det J(x_t)|, with the chain rule written out here
    # (J = W₂ diag(1 − tanh²(W₁x + b₁)) W₁), not neurodyn's Jacobians
    from neurodyn import Box

    x = Box.coerce(box).sample(4, seed=0, dtype=torch.float64)
    W1, b1, W2 = net[0].weight, net[0].bias, net[2].weight
    logdet = []
    with torch.no_grad():
        for t in range(70):
            if t >= 10:
                s = 1 - torch.tanh(x @ W1.T + b1) ** 2
                J = W2 @ (s.unsqueeze(2) * W1)
                logdet.append(torch.linalg.slogdet(J).logabsdet)
            x = net(x)
    want = torch.stack(logdet).mean(0).mean()
    got = sum(d["lyapunov"]["exponents"])
    assert abs(got - float(want)) < 1e-9
    # n > 2: attractors by recurrence from sampled starts; every fixed-point attractor is a fixed
    # point of the module, its multiplier ρ(J) by the chain rule above, and fractions sum to 1
    from neurodyn import load_result

    found = load_result(d["attractor"])
    assert len(found) >= 1
    for att in found.attractors:
        if att.kind == "fixed_point":
            p = att.points.to(torch.float64)
            with torch.no_grad():
                torch.testing.assert_close(net(p), p, rtol=0, atol=1e-8)
                s = 1 - torch.tanh(p @ W1.T + b1) ** 2
                J = (W2 @ (s.unsqueeze(2) * W1))[0]
            rho = float(torch.linalg.eigvals(J).abs().max())
            assert abs(att.multiplier - rho) < 1e-8
    assert abs(sum(found.fractions().values()) - 1) < 1e-12
    titles = [s.title for s in rep.sections]
    assert "Attractors" in titles and "Phase portrait (PCA projection)" in titles
    assert d["not_done"] == []


def test_analyze_recurrent_cli_matches_lyapunov(tmp_path):
    """A 3-layer GRU state dict: the leading 10 exponents, on the CLI's inputs (seed 0)."""
    from neurodyn.lyapunov import lyapunov_spectrum
    from neurodyn.systems import as_map

    gru = torch.nn.GRU(2, 4, num_layers=3).double()
    torch.save(gru.state_dict(), tmp_path / "gru.pt")
    result = _run("analyze", tmp_path / "gru.pt", "--steps", 30, "--warmup", 5, "--batch", 2,
                  "--json", "-")  # fmt: skip
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    x = torch.randn(2, 35, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    want = lyapunov_spectrum(as_map(gru), x, warmup=5, steps=30, k=10).exponents
    assert body["lyapunov"]["exponents"] == pytest.approx(want.tolist(), rel=1e-12, abs=1e-12)
    assert body["provenance"]["model"]["kind"] == "recurrent"


def test_analyze_user_errors_are_one_line(tmp_path):
    net = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2))
    torch.save(net.state_dict(), tmp_path / "wide.pt")
    sq = torch.nn.Sequential(torch.nn.Linear(2, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2))
    torch.save(sq.state_dict(), tmp_path / "sq.pt")
    torch.save(torch.nn.GRU(2, 3).state_dict(), tmp_path / "gru.pt")
    cases = [
        (("analyze", tmp_path / "wide.pt", "--arch", "3-5-tanh-2"), "as many outputs as inputs"),
        (("analyze", tmp_path / "sq.pt", "--arch", "2-5-tahn-2"), "token 3 ('tahn')"),
        (("analyze", tmp_path / "sq.pt", "--arch", "2-5-tanh-2", "--box=-1,1:-1,1:-1,1"),
         "3 axes but the model has 2"),
        (("analyze", tmp_path / "sq.pt", "--arch", "2-5-tanh-2", "--box=1,-1"), "low < high"),
        (("analyze", tmp_path / "gru.pt", "--box=-1,1"), "--box is for feedforward maps"),
        (("analyze", tmp_path / "nothing.pt"), "no such model file"),
    ]  # fmt: skip
    for args, msg in cases:
        result = _run(*args)
        assert result.exit_code == 2, (args, result.output)
        lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and msg in lines[0], (msg, result.stderr)
        assert result.stdout == ""


@pytest.mark.skipif(not EXTENSIVE, reason="full-size runs: set NEURODYN_EXTENSIVE_TESTS=1")
def test_full_size_trained_10d_mlp_and_3_layer_gru(tmp_path, capsys):
    """Issue 12's must-show: a trained 10-D MLP and a 3-layer GRU (hidden 64) through
    ``neurodyn analyze`` with the default settings; the wall times are printed."""
    torch.manual_seed(0)
    n = 10
    W = torch.randn(n, n) / n**0.5
    W = 0.9 * W / torch.linalg.matrix_norm(W, 2)
    c = 0.1 * torch.randn(n)
    net = torch.nn.Sequential(torch.nn.Linear(n, 64), torch.nn.Tanh(), torch.nn.Linear(64, 64),
                              torch.nn.Tanh(), torch.nn.Linear(64, n))  # fmt: skip
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    for _ in range(300):
        x = 3 * (2 * torch.rand(256, n) - 1)
        loss = ((net(x) - (torch.tanh(x @ W.T) + c)) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    torch.save(net.state_dict(), tmp_path / "mlp10.pt")
    torch.save(torch.nn.GRU(4, 64, num_layers=3).state_dict(), tmp_path / "gru3.pt")
    times = {}
    for name, extra in (("mlp10.pt", ("--arch", "10-64-tanh-64-tanh-10")), ("gru3.pt", ())):
        t = time.perf_counter()
        result = _run("analyze", tmp_path / name, *extra, "--out", tmp_path / name[:-3])
        times[name] = time.perf_counter() - t
        assert result.exit_code == 0, result.output
        body = json.loads((tmp_path / name[:-3] / "report.json").read_text())
        assert body["lyapunov"]["n_positive"] == 0
    with capsys.disabled():
        print(f"\nneurodyn analyze wall times: {times}")
