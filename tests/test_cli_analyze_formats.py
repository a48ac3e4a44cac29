"""``neurodyn analyze`` on every state dimension it documents (n = 1, 2, 3, 4, 6, 10), every file
format it accepts (state dict + --arch, checkpoint + --key, TorchScript, torch.export, a pickled
module with --unsafe-load) and the torch recurrent kinds: exit 0, strict JSON alone on stdout, a
terminal summary, and the numbers checked against the module itself (a fixed point is a fixed
point of the saved net; the number of exponents is the state dimension). On main n > 2 ended in
``KeyError: 'kind'`` and n = 1 in ``not enough values to unpack``."""

from __future__ import annotations

import json
import warnings

import pytest
import torch
from typer.testing import CliRunner

from neurodyn.cli import app

runner = CliRunner()
TINY = ("--samples", 40, "--resolution", 5, "--basin-resolution", 5, "--steps", 12,
        "--warmup", 3, "--batch", 2)  # fmt: skip


def _strict(text: str) -> dict:
    """JSON that Python's parser accepts only without NaN / Infinity (strict JSON)."""

    def refuse(name):
        raise AssertionError(f"non-strict JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


def _mlp(n: int, seed: int = 0) -> torch.nn.Sequential:
    torch.manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(n, 8), torch.nn.Tanh(), torch.nn.Linear(8, n))
    with torch.no_grad():
        net[2].weight.mul_(0.5)  # contracting enough that a fixed point attracts
    return net.double().eval()


def _analyze(path, *args, out=None):
    argv = ["analyze", str(path), *map(str, args), *map(str, TINY), "--json", "-"]
    if out is not None:
        argv += ["--out", str(out)]
    result = runner.invoke(app, argv)
    assert result.exit_code == 0, (argv, result.output)
    assert "Traceback" not in result.output
    return _strict(result.stdout), result.stderr


def _check_map(body: dict, net: torch.nn.Module, n: int, stderr: str) -> None:
    assert body["model"]["dim"] == n
    assert len(body["lyapunov"]["exponents"]) == n
    pts = torch.tensor([p["x"] for p in body["fixed_points"]["points"]], dtype=torch.float64)
    assert pts.shape[0] >= 1
    with torch.no_grad():  # Newton's tolerance is ~1e-10; 1e-8 leaves room for float64 rounding
        torch.testing.assert_close(net.double()(pts), pts, rtol=0, atol=1e-8)
    # the terminal summary (on stderr with --json -) came from the report, whatever its shape
    assert "ρ(A*(x)) over the box" in stderr and "fixed point" in stderr
    assert ("attractor type" if n == 2 else "attractors") in stderr


def _check_page(out, body: dict, name: str, n: int) -> None:
    html = (out / "index.html").read_text()
    assert body == _strict((out / "report.json").read_text())
    assert name in html and "Lyapunov spectrum" in html and "Traceback" not in html
    assert ("Graph of the map" if n == 1 else "Attractors") in html
    assert (out / "phase_portrait.png").stat().st_size > 1000


# n = 3, 4, 6 are run below through the other formats (checkpoint, archives, pickle)
@pytest.mark.parametrize("n", [1, 2, 10])
def test_state_dict(tmp_path, n):
    net = _mlp(n)
    torch.save(net.state_dict(), tmp_path / "net.pt")
    out = tmp_path / "rep" if n == 1 else None
    body, stderr = _analyze(tmp_path / "net.pt", "--arch", f"{n}-8-tanh-{n}", out=out)
    _check_map(body, net, n, stderr)
    if out is not None:
        _check_page(out, body, "net.pt", n)


def test_checkpoint_with_key(tmp_path):
    net = _mlp(3, seed=1)
    torch.save({"model": net.state_dict(), "epoch": 7}, tmp_path / "ckpt.pt")
    out = tmp_path / "rep"
    body, stderr = _analyze(tmp_path / "ckpt.pt", "--arch", "3-8-tanh-3", "--key", "model",
                            out=out)  # fmt: skip
    assert body["provenance"]["model"]["format"] == "checkpoint entry 'model'"
    _check_map(body, net, 3, stderr)
    _check_page(out, body, "ckpt.pt", 3)


def test_torchscript_archive(tmp_path):
    net = _mlp(4, seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch deprecates TorchScript
        torch.jit.save(torch.jit.script(net), tmp_path / "net.ts")
    body, stderr = _analyze(tmp_path / "net.ts")
    assert body["provenance"]["model"]["format"] == "TorchScript archive"
    _check_map(body, net, 4, stderr)


def test_torch_export_archive(tmp_path):
    """The docs' 10-D case through a torch.export archive (a KeyError 'kind' on main)."""
    net = _mlp(10, seed=3)
    ep = torch.export.export(net, (torch.randn(5, 10, dtype=torch.float64),))
    torch.export.save(ep, tmp_path / "net.pt2")
    body, stderr = _analyze(tmp_path / "net.pt2")
    assert body["provenance"]["model"]["format"] == "torch.export archive"
    _check_map(body, net, 10, stderr)


def test_pickled_module_with_unsafe_load(tmp_path):
    net = _mlp(6, seed=4)
    torch.save(net, tmp_path / "net.pkl")
    body, stderr = _analyze(tmp_path / "net.pkl", "--unsafe-load")
    assert body["provenance"]["model"]["format"] == "pickled module"
    _check_map(body, net, 6, stderr)


@pytest.mark.parametrize(
    ("module", "extra", "dim"),
    [
        (lambda: torch.nn.RNN(2, 3), ("--kind", "rnn_tanh"), 3),
        (lambda: torch.nn.LSTM(2, 3), (), 6),  # (h, c)
        (lambda: torch.nn.GRU(2, 3, num_layers=2), (), 6),
    ],
    ids=["rnn", "lstm", "gru"],
)
def test_recurrent_state_dicts(tmp_path, module, extra, dim):
    torch.manual_seed(0)
    m = module().double()
    torch.save(m.state_dict(), tmp_path / "rec.pt")
    out = tmp_path / "rep" if dim == 6 and not extra and "LSTM" in type(m).__name__ else None
    argv = ["analyze", str(tmp_path / "rec.pt"), *extra, "--steps", "12", "--warmup", "3",
            "--batch", "2", "--json", "-"]  # fmt: skip
    if out is not None:
        argv += ["--out", str(out)]
    result = runner.invoke(app, argv)
    assert result.exit_code == 0, result.output
    body = _strict(result.stdout)
    assert body["model"]["dim"] == dim and len(body["lyapunov"]["exponents"]) == dim
    assert "λ_max" in result.stderr and "#positive exponents" in result.stderr
    if out is not None:
        html = (out / "index.html").read_text()
        assert "LSTM" in html and "Lyapunov spectrum" in html


def test_report_summary_is_what_the_sections_computed():
    """Report.summary() (what the CLI prints) agrees with report.data: the same ρ range, one
    row per certificate with its verdict, the attractor count; for n = 3 (no 'kind' key)."""
    from neurodyn.report import analyze, fmt
    from neurodyn.report._report import not_applicable

    net = _mlp(3)
    rep = analyze(net, [(-2, 2)] * 3, samples=40, fixed_point_seeds=16, steps=12, warmup=3,
                  batch=2, attractor_samples=40)  # fmt: skip
    summary = rep.summary()
    rows = dict(summary.rows)
    r = rep.data["affine_form"]["spectral_radius"]
    assert rows["ρ(A*(x)) over the box"].startswith(f"{fmt(r['min'])} … {fmt(r['max'])}")
    for c in rep.data["certificates"]["certificates"]:
        verdict = rows[f"{c['name']} [{c['kind']}]"]
        expected = "holds" if c["holds"] else "does not hold"
        if not_applicable(c) is not None:  # structure absent: shown as such, not as failed
            expected = "not applicable"
        assert verdict.startswith(expected)
    assert rows["attractors"].startswith(f"{len(rep.data['attractor']['attractors'])} found")
    assert summary.title == "Sequential: feedforward map x_{t+1} = f(x_t)"
