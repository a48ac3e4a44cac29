"""The shared model loader, through ``neurodyn lyapunov`` (which existed before it) and
``neurodyn.io``: every case of issue 12 item 2 that crashed or misled, each a single clear
line on stderr with exit code 2, or the right numbers."""

from __future__ import annotations

import json
import os

import pytest
import torch
from typer.testing import CliRunner

from neurodyn.cli import app

runner = CliRunner()
EXTENSIVE = bool(os.environ.get("NEURODYN_EXTENSIVE_TESTS"))


def _lyap(*args):
    return runner.invoke(app, ["lyapunov", *map(str, args)])


def _one_clean_line(result) -> str:
    """The failure is exit 2 with one line ``error: …`` on stderr and no traceback."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


SHORT = ("--steps", 20, "--warmup", 5, "--batch", 2)


def test_prefix_without_the_dot(tmp_path):
    """--prefix core used to be a KeyError ('core' + 'weight_ih_l0' → 'coreweight_ih_l0')."""
    gru = torch.nn.GRU(2, 3).double()
    state = {f"core.{k}": v for k, v in gru.state_dict().items()}
    state |= {f"coreout.{k}": v for k, v in torch.nn.GRU(2, 4).double().state_dict().items()}
    torch.save(state, tmp_path / "m.pt")
    out = tmp_path / "o.json"
    for prefix in ("core", "core."):
        result = _lyap(tmp_path / "m.pt", "--prefix", prefix, *SHORT, "--json", out)
        assert result.exit_code == 0, result.output
        assert len(json.loads(out.read_text())["exponents"]) == 3
    line = _one_clean_line(_lyap(tmp_path / "m.pt", "--prefix", "encoder", *SHORT))
    assert "prefix" in line and "'core'" in line  # names the top-level names there are


def test_parametrized_state_dict_is_explained(tmp_path):
    """A state dict of a module with a neurodyn parametrization holds the parametrization's
    factors, not the weight: it used to be a KeyError."""
    from neurodyn.nn import parametrizations as P

    rnn = torch.nn.RNN(2, 4)
    P.spectral_svd(rnn, "weight_hh_l0", sigma_min=0.5, sigma_max=0.9)
    torch.save(rnn.state_dict(), tmp_path / "p.pt")
    line = _one_clean_line(_lyap(tmp_path / "p.pt", "--kind", "rnn_tanh", *SHORT))
    assert "parametrization on weight_hh_l0" in line and "remove_parametrizations" in line
    # the recipe in the message works
    import copy

    from torch.nn.utils import parametrize

    plain = copy.deepcopy(rnn)
    parametrize.remove_parametrizations(plain, "weight_hh_l0")
    torch.save(plain.state_dict(), tmp_path / "plain.pt")
    assert _lyap(tmp_path / "plain.pt", "--kind", "rnn_tanh", *SHORT).exit_code == 0


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_is_upcast_and_said(tmp_path, dtype):
    """float16 used to fail inside the QR (geqrf_cpu not implemented for 'Half')."""
    from neurodyn.lyapunov import lyapunov_spectrum
    from neurodyn.systems import as_map

    lstm = torch.nn.LSTM(2, 3).to(dtype)
    torch.save(lstm.state_dict(), tmp_path / "h.pt")
    out = tmp_path / "o.json"
    result = _lyap(tmp_path / "h.pt", *SHORT, "--json", out)
    assert result.exit_code == 0, result.output
    name = str(dtype).replace("torch.", "")
    assert f"weights saved as {name}, upcast to float32" in result.output
    body = json.loads(out.read_text())
    model = body["provenance"]["model"]
    assert model["saved_dtype"] == name and model["dtype"] == "float32"
    assert any("upcast to float32" in str(b) for b in body["sections"][0]["blocks"])
    # the same numbers as the upcast module itself, on the CLI's inputs (seed 0)
    x = torch.randn(2, 25, 2, generator=torch.Generator().manual_seed(0))
    want = lyapunov_spectrum(as_map(lstm.float()), x, warmup=5, steps=20).exponents
    assert body["exponents"] == pytest.approx(want.tolist(), rel=1e-5, abs=1e-6)


def test_inputs_holding_a_dict(tmp_path):
    """--inputs with a dict used to be an AttributeError; now --inputs-key picks, or the error
    lists the tensors."""
    gru = torch.nn.GRU(2, 3)
    torch.save(gru.state_dict(), tmp_path / "g.pt")
    x = torch.randn(3, 30, 2)
    torch.save({"train": x, "labels": torch.zeros(3)}, tmp_path / "x.pt")
    line = _one_clean_line(_lyap(tmp_path / "g.pt", "--inputs", tmp_path / "x.pt", "--warmup", 5))
    assert "--inputs-key" in line and "train" in line
    out = tmp_path / "o.json"
    result = _lyap(
        tmp_path / "g.pt", "--inputs", tmp_path / "x.pt", "--inputs-key", "train",
        "--warmup", 5, "--json", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    body = json.loads(out.read_text())
    assert body["batch"] == 3 and body["steps"] == 25


def test_out_at_an_existing_file_and_folders(tmp_path):
    """--out at a file used to be a FileExistsError traceback. A report folder is overwritten;
    a non-empty folder that neurodyn did not write is refused (user files are never mixed in).
    tests/test_outputs.py checks the rule for every command."""
    torch.save(torch.nn.GRU(2, 3).state_dict(), tmp_path / "g.pt")
    (tmp_path / "file.txt").write_text("x")
    line = _one_clean_line(_lyap(tmp_path / "g.pt", *SHORT, "--out", tmp_path / "file.txt"))
    assert "is an existing file" in line
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    assert "folder neurodyn did not write" in _one_clean_line(
        _lyap(tmp_path / "g.pt", *SHORT, "--out", mine)
    )
    out = tmp_path / "rep"  # an earlier report folder is overwritten
    assert _lyap(tmp_path / "g.pt", "--steps", 10, "--warmup", 5, "--out", out).exit_code == 0
    assert _lyap(tmp_path / "g.pt", *SHORT, "--out", out).exit_code == 0
    assert json.loads((out / "lyapunov.json").read_text())["steps"] == 20


def test_checkpoint_dict_hints_key(tmp_path):
    """{'model': sd, 'epoch': 3} used to give no hint how to pick the model."""
    gru = torch.nn.GRU(2, 3)
    torch.save({"model": gru.state_dict(), "epoch": 3}, tmp_path / "ck.pt")
    line = _one_clean_line(_lyap(tmp_path / "ck.pt", *SHORT))
    assert "--key model" in line and "epoch" in line
    assert _lyap(tmp_path / "ck.pt", "--key", "model", *SHORT).exit_code == 0
    assert "no entry 'optim'" in _one_clean_line(_lyap(tmp_path / "ck.pt", "--key", "optim"))


def test_text_file_is_not_a_torch_file(tmp_path):
    """A text file used to say 'pass --unsafe-load', and the same again with --unsafe-load."""
    (tmp_path / "notes.pt").write_text("these are my notes\n")
    for extra in ((), ("--unsafe-load",)):
        line = _one_clean_line(_lyap(tmp_path / "notes.pt", *extra, *SHORT))
        assert "is not a PyTorch file" in line and "--unsafe-load" not in line


@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
def test_lstm_with_projection_is_explained(tmp_path):
    """An LSTM with proj_size used to be read with the wrong hidden size and a wrong
    explanation; now it is rebuilt as what it is and the map says why it is not supported."""
    from neurodyn.io import load_recurrent_module

    lstm = torch.nn.LSTM(2, 5, proj_size=3)
    torch.save(lstm.state_dict(), tmp_path / "p.pt")
    loaded = load_recurrent_module(tmp_path / "p.pt")
    assert loaded.hidden_size == 5 and loaded.proj_size == 3
    x = torch.randn(4, 2, 2)
    assert torch.equal(loaded(x)[0], lstm(x)[0])
    line = _one_clean_line(_lyap(tmp_path / "p.pt", *SHORT))
    assert "proj_size=3" in line and "not supported" in line


def test_batch_larger_than_the_inputs_file(tmp_path):
    """--batch 16 with a 4-sequence --inputs file used to be ignored silently."""
    torch.save(torch.nn.GRU(2, 3).state_dict(), tmp_path / "g.pt")
    torch.save(torch.randn(4, 30, 2), tmp_path / "x.pt")
    args = (tmp_path / "g.pt", "--inputs", tmp_path / "x.pt", "--warmup", 5)
    line = _one_clean_line(_lyap(*args, "--batch", 16))
    assert "--batch 16" in line and "4 sequences" in line
    out = tmp_path / "o.json"
    result = _lyap(*args, "--batch", 2, "--json", out)
    assert result.exit_code == 0 and "the first 2 of its 4 sequences" in result.output
    assert json.loads(out.read_text())["batch"] == 2


def test_warmup_longer_than_the_inputs(tmp_path):
    """warm-up ≥ T used to say 'steps must be a positive int, got −10'."""
    torch.save(torch.nn.GRU(2, 3).state_dict(), tmp_path / "g.pt")
    torch.save(torch.randn(2, 10, 2), tmp_path / "x.pt")
    line = _one_clean_line(_lyap(tmp_path / "g.pt", "--inputs", tmp_path / "x.pt", "--warmup", 20))
    assert "warm-up 20 ≥ sequence length 10" in line


@pytest.mark.filterwarnings("ignore:`torch.jit.[a-z]*` is deprecated:DeprecationWarning")
@pytest.mark.filterwarnings("ignore:The tensor attributes self._flat_weights")
def test_archives_are_rebuilt_and_checked(tmp_path):
    """TorchScript and torch.export archives: the kind is read from the archive, and the
    rebuilt module gives the archive's outputs."""
    from neurodyn.io import load_model

    torch.manual_seed(0)
    mlp = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.LeakyReLU(0.2), torch.nn.Linear(8, 3))
    gru = torch.nn.GRU(2, 4, num_layers=2)
    torch.jit.save(torch.jit.script(mlp), tmp_path / "mlp.ts")
    torch.jit.save(torch.jit.script(gru), tmp_path / "gru.ts")
    torch.export.save(torch.export.export(mlp, (torch.randn(5, 3),)), tmp_path / "mlp.pt2")
    x, xs = torch.randn(7, 3), torch.randn(6, 2, 2)
    cases = [
        ("mlp.ts", "feedforward", mlp, x), ("mlp.pt2", "feedforward", mlp, x),
        ("gru.ts", "recurrent", gru, xs),
    ]  # fmt: skip
    if EXTENSIVE:  # exporting an RNN takes seconds
        torch.export.save(torch.export.export(gru, (xs,)), tmp_path / "gru.pt2")
        cases.append(("gru.pt2", "recurrent", gru, xs))
    for name, kind, ref, inp in cases:
        loaded = load_model(tmp_path / name)
        assert loaded.kind == kind, name
        got, want = loaded.module(inp), ref(inp)
        got, want = (got[0], want[0]) if isinstance(got, tuple) else (got, want)
        torch.testing.assert_close(got, want, rtol=1e-6, atol=1e-6)
    assert loaded.module.num_layers == 2

    class Custom(torch.nn.Module):
        def forward(self, x):
            return x * 2

    torch.jit.save(torch.jit.script(torch.nn.Sequential(torch.nn.Linear(2, 2), Custom())),
                   tmp_path / "c.ts")  # fmt: skip
    with pytest.raises(ValueError, match="Custom, which neurodyn cannot rebuild"):
        load_model(tmp_path / "c.ts")


def test_arch_spec_is_parsed_strictly(tmp_path):
    from neurodyn.io import load_model, parse_arch

    assert parse_arch("2-64-Tanh-64-leaky_relu-2") == [2, 64, "Tanh", 64, "LeakyReLU", 2]
    for spec, msg in (("2-64-tanhh-2", "token 3 ('tanhh')"), ("2--2", "token 2 is empty"),
                      ("tanh", "at least an input"), ("2-0-2", "width < 1")):  # fmt: skip
        with pytest.raises(ValueError, match=msg.replace("(", r"\(").replace(")", r"\)")):
            parse_arch(spec)
    net = torch.nn.Sequential(torch.nn.Linear(2, 6), torch.nn.Tanh(), torch.nn.Linear(6, 2))
    torch.save({f"fc.{k}": v for k, v in net.state_dict().items()}, tmp_path / "s.pt")
    loaded = load_model(tmp_path / "s.pt", arch="2-6-tanh-2")
    x = torch.randn(5, 2)
    torch.testing.assert_close(loaded.module(x), net(x), rtol=0, atol=0)
    with pytest.raises(ValueError, match=r"the weights read 2-6-\?-2"):
        load_model(tmp_path / "s.pt")
    with pytest.raises(ValueError, match="3 linear layers"):
        load_model(tmp_path / "s.pt", arch="2-6-tanh-6-2")


def test_export_archive_of_a_batch_first_rnn_keeps_batch_first(tmp_path):
    """Found by the adversarial CLI suite: the weights do not record batch_first, so an exported
    batch_first=True GRU was rebuilt time-first, failed the archive comparison and was refused.
    batch_first is read off the aten call; the rebuilt module equals the archive's."""
    import logging
    import warnings

    from neurodyn import load_model

    torch.manual_seed(0)
    net = torch.nn.GRU(3, 5, batch_first=True).eval()
    path = tmp_path / "rnn.pt2"
    logging.disable(logging.WARNING)  # torch.export logs its tracing
    try:
        with warnings.catch_warnings():  # torch's own note on nn.GRU's _flat_weights
            warnings.simplefilter("ignore", UserWarning)
            torch.export.save(torch.export.export(net, (torch.zeros(2, 4, 3),)), path)
        loaded = load_model(path)
    finally:
        logging.disable(logging.NOTSET)
    assert loaded.module.batch_first
    x = torch.randn(2, 7, 3)
    with torch.no_grad():
        torch.testing.assert_close(loaded.module(x)[0], net(x)[0], rtol=0, atol=0)
