"""One rule for every output path of every command and library writer (docs/cli.md, "Output
paths"): a new path is written; an existing one only when neurodyn wrote it for the same kind of
output; anything else is refused with one line ``error: …`` naming the path (exit 2), before the
work starts, and what was there is left byte for byte as it was.

Issue 21 item 4: on the previous main ``--json thesis.tex`` replaced the thesis with report
JSON, ``--json DIR`` failed only after the whole analysis with a raw ``[Errno 21]``, and
``analyze --out`` on a ``neurodyn train`` run folder replaced that run's ``index.html`` and
``report.json``. "Before the work" is checked by a tripwire: the command's work function
(``neurodyn.report.analyze``, ``neurodyn.train.run``, …) is replaced by one that records the call
and raises AssertionError, which the CLI does not turn into exit 2.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from neurodyn.cli import app
from neurodyn.errors import NeurodynError, OutputExistsError

pytestmark = pytest.mark.usefixtures("one_thread")

runner = CliRunner()
EXTENSIVE = bool(os.environ.get("NEURODYN_EXTENSIVE_TESTS"))
P = "<PATH>"  # where each command's output path goes in its argument list
ANALYZE = ["--arch", "2-4-tanh-2", "--resolution", "11", "--basin-resolution", "5",
           "--samples", "10", "--steps", "5", "--warmup", "2", "--batch", "2"]  # fmt: skip
LYAP = ["--steps", "5", "--warmup", "2", "--batch", "2"]
TRAIN = ["--model", "gru", "--task", "digits", "--hidden-size", "2", "--epochs", "0",
         "--no-monitors", "--no-progress", "--batch-size", "256"]  # fmt: skip
SWEEP_YAML = "job: '_sweep_jobs:work'\nn: 3\nseeds: [0]\ngrid:\n  a: [1]\n"


def _invoke(args):
    return runner.invoke(app, [str(a) for a in args])


def _digest(path: Path) -> str:
    """SHA-256 over a file's bytes, or over every name and file's bytes below a folder."""
    h = hashlib.sha256()
    if path.is_file():
        h.update(path.read_bytes())
        return h.hexdigest()
    for p in sorted(path.rglob("*")):
        h.update(str(p.relative_to(path)).encode())
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()


def _one_line(result) -> str:
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def world(tmp_path_factory, one_thread):
    """Models, someone else's file and folder, and one neurodyn output of every kind, each
    written by its own command (which also checks each command on a new path)."""
    root = tmp_path_factory.mktemp("outputs")
    torch.manual_seed(0)
    mlp = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    torch.save(mlp.state_dict(), root / "mlp.pt")
    torch.save(torch.nn.GRU(2, 3).state_dict(), root / "gru.pt")
    (root / "thesis.tex").write_text("\\documentclass{article}\nfour years of work\n")
    (root / "mine").mkdir()
    (root / "mine" / "notes.md").write_text("keep me\n")
    (root / "sweep.yaml").write_text(SWEEP_YAML)
    # new paths: a report folder and a JSON file in a folder that does not exist yet
    res = _invoke(["analyze", root / "mlp.pt", *ANALYZE, "--out", root / "report",
                   "--json", root / "new" / "sub" / "a.json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    res = _invoke(["train", *TRAIN, "--out", root / "run"])
    assert res.exit_code == 0, res.output
    res = _invoke(["sweep", root / "sweep.yaml", "--sequential", "--no-progress", "--out",
                   root / "store"])  # fmt: skip
    assert res.exit_code == 0, res.output
    return root


def _commands(root: Path) -> dict[str, tuple[list, str, str]]:
    """command -> (arguments with P for the output path, kind of output, work to trip)."""
    return {
        "demo --out": (["demo", "--resolution", 11, "--out", P], "report",
                       "neurodyn.report.phase_plane_report"),
        "paper-figures --out": (["paper-figures", "--resolution", 11, "--out", P], "report",
                                "neurodyn.reproduce.paper_figures"),
        "analyze --out": (["analyze", root / "mlp.pt", *ANALYZE, "--out", P], "report",
                          "neurodyn.report.analyze"),
        "analyze --json": (["analyze", root / "mlp.pt", *ANALYZE, "--json", P], "json",
                           "neurodyn.report.analyze"),
        "lyapunov --out": (["lyapunov", root / "gru.pt", *LYAP, "--out", P], "report",
                           "neurodyn.lyapunov.lyapunov_spectrum"),
        "lyapunov --json": (["lyapunov", root / "gru.pt", *LYAP, "--json", P], "json",
                            "neurodyn.lyapunov.lyapunov_spectrum"),
        "train --out": (["train", *TRAIN, "--out", P], "train-run", "neurodyn.train.run"),
        "robustness --out": (["robustness", root / "run", "--no-pgd", "--no-hessian",
                              "--draws", 1, "--out", P], "report",
                             "neurodyn.robustness.robustness"),
        "robustness --json": (["robustness", root / "run", "--no-pgd", "--no-hessian",
                               "--draws", 1, "--json", P], "json",
                              "neurodyn.robustness.robustness"),
        "sweep --out": (["sweep", root / "sweep.yaml", "--sequential", "--no-progress",
                         "--out", P], "sweep-store", "neurodyn.sweep.run"),
    }  # fmt: skip


#: (what is at the path, a word the message must hold) for each kind of output
_REFUSED = {
    "report": [("thesis.tex", "is an existing file"), ("mine", "folder neurodyn did not write"),
               ("run", "holds a neurodyn train run"), ("store", "holds a neurodyn sweep store")],
    "train-run": [("thesis.tex", "is an existing file"), ("mine", "did not write"),
                  ("report", "holds a neurodyn report"), ("store", "holds a neurodyn sweep")],
    "sweep-store": [("thesis.tex", "is an existing file"), ("mine", "did not write"),
                    ("report", "holds a neurodyn report"), ("run", "holds a neurodyn train")],
    "json": [("thesis.tex", "was not written by neurodyn"), ("mine", "is a folder"),
             ("report", "is a folder"), ("run/history.json", "history.json of a neurodyn train"),
             ("run/report.json", "is part of a neurodyn train run"),
             ("report/report.json", "is part of a neurodyn report folder"),
             ("thesis.tex/a.json", "is a file, not a folder")],
}  # fmt: skip
CASES = [
    (cmd, there, word)
    for cmd, (_, kind, _) in _commands(Path("x")).items()
    for there, word in _REFUSED[kind]
]


def _trip(monkeypatch, dotted: str) -> list:
    module, name = dotted.rsplit(".", 1)
    calls: list = []

    def tripwire(*args, **kwargs):
        calls.append(name)
        raise AssertionError(f"{dotted} ran: the output path was not checked before the work")

    monkeypatch.setattr(f"{module}.{name}", tripwire)
    return calls


@pytest.mark.parametrize(("cmd", "there", "word"), CASES, ids=[f"{c}-{t}" for c, t, _ in CASES])
def test_a_path_holding_something_else_is_refused_before_the_work(world, monkeypatch, cmd, there,
                                                                  word):  # fmt: skip
    args, _, work = _commands(world)[cmd]
    target = world / there
    existing = target if target.exists() else target.parent
    before = _digest(existing)
    calls = _trip(monkeypatch, work)
    line = _one_line(_invoke([target if a == P else a for a in args]))
    assert str(target) in line and word in line, line
    assert not calls
    assert _digest(existing) == before  # the file or folder is byte for byte unchanged


def test_the_messages_say_what_to_do(world):
    cases = {
        "thesis.tex": ("analyze --json", "choose a new path or delete it"),
        "mine": ("analyze --out", "choose a new or empty folder"),
        "run": ("analyze --out", "choose a new or empty folder"),
    }
    for there, (cmd, hint) in cases.items():
        args = _commands(world)[cmd][0]
        assert hint in _one_line(_invoke([world / there if a == P else a for a in args]))


def test_json_at_or_inside_the_out_folder_is_refused(world, tmp_path):
    out = tmp_path / "r"
    for target, where in ((out, "is the --out folder"), (out / "x.json", "inside the --out")):
        res = _invoke(["lyapunov", world / "gru.pt", *LYAP, "--out", out, "--json", target])
        assert where in _one_line(res)
        assert not out.exists()


def test_a_report_folder_is_replaced_whole_by_another_report(world, tmp_path):
    """Same kind: an analyze report folder is replaced by a lyapunov report. The analyze
    report's own files go (no PNG of it is left to mix with the new ones); a file of yours
    inside it stays."""
    out = tmp_path / "report"
    shutil.copytree(world / "report", out)
    (out / "my-notes.txt").write_text("mine")
    old = set(json.loads((out / ".neurodyn.json").read_text())["report_files"])
    assert {"report.json", "index.html", "basins.png"} <= old
    res = _invoke(["lyapunov", world / "gru.pt", *LYAP, "--out", out])
    assert res.exit_code == 0, res.output
    new = set(json.loads((out / ".neurodyn.json").read_text())["report_files"])
    assert "lyapunov.json" in new and "basins.png" not in new
    assert {p.name for p in out.iterdir()} == new | {".neurodyn.json", "my-notes.txt"}
    assert (out / "my-notes.txt").read_text() == "mine"
    assert json.loads((out / "lyapunov.json").read_text())["steps"] == 5


def test_a_json_neurodyn_wrote_or_an_empty_file_is_replaced(world, tmp_path):
    target = tmp_path / "a.json"
    shutil.copy(world / "new" / "sub" / "a.json", target)  # analyze's JSON
    empty = tmp_path / "empty.json"  # e.g. from mktemp
    empty.touch()
    for path in (target, empty):
        res = _invoke(["lyapunov", world / "gru.pt", *LYAP, "--json", path])
        assert res.exit_code == 0, res.output
        body = json.loads(path.read_text())
        assert body["neurodyn_output"] == "report" and len(body["exponents"]) == 3


def test_a_train_run_is_continued_only_with_resume(world, tmp_path):
    out = tmp_path / "run"
    shutil.copytree(world / "run", out)
    before = _digest(out)
    assert "--resume" in _one_line(_invoke(["train", *TRAIN, "--out", out]))
    assert _digest(out) == before
    res = _invoke(["train", "--out", out, "--resume", "--epochs", 0, "--no-progress"])
    assert res.exit_code == 0, res.output
    assert json.loads((out / ".neurodyn.json").read_text())["neurodyn_output"] == "train-run"


def test_a_sweep_store_is_continued(world, tmp_path):
    out = tmp_path / "store"
    shutil.copytree(world / "store", out)
    res = _invoke(["sweep", world / "sweep.yaml", "--sequential", "--no-progress", "--out", out])
    assert res.exit_code == 0 and "1 already done" in res.output, res.output


def test_folders_of_earlier_versions_are_recognised(world, tmp_path):
    """Before the marker file: a report folder is known by index.html and its JSON's title /
    sections / figures (its figures are its files), a training run by its history.json."""
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    (legacy / "index.html").write_text("<html></html>")
    (legacy / "lyapunov.json").write_text(json.dumps(
        {"title": "old", "sections": [], "figures": ["old.png"]}))  # fmt: skip
    (legacy / "old.png").write_bytes(b"\x89PNG")
    res = _invoke(["lyapunov", world / "gru.pt", *LYAP, "--out", legacy])
    assert res.exit_code == 0, res.output
    assert not (legacy / "old.png").exists() and (legacy / "spectrum.png").exists()

    old_run = tmp_path / "old-run"
    old_run.mkdir()
    for name in ("history.json", "last.pt", "index.html", "report.json"):
        shutil.copy(world / "run" / name, old_run / name)
    before = _digest(old_run)
    line = _one_line(_invoke(["lyapunov", world / "gru.pt", *LYAP, "--out", old_run]))
    assert "holds a neurodyn train run" in line and _digest(old_run) == before

    # a JSON of yours that happens to use neurodyn's key (with a list: not hashable)
    odd = tmp_path / "odd.json"
    odd.write_text(json.dumps({"neurodyn_output": ["x"], "sections": []}))
    assert "was not written by neurodyn" in _one_line(
        _invoke(["lyapunov", world / "gru.pt", *LYAP, "--json", odd])
    )

    # an index.html and a JSON that is no report: a folder of yours (earlier: "overwritten")
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<html>my site</html>")
    (site / "report.json").write_text("{}")
    assert "did not write" in _one_line(
        _invoke(["lyapunov", world / "gru.pt", *LYAP, "--out", site])
    )


# ---------------------------------------------------------------------- the library


def test_library_writers_refuse_before_the_work(world, monkeypatch):
    from neurodyn import sweep
    from neurodyn.report import Report, analyze
    from neurodyn.reproduce import paper_figures
    from neurodyn.train import run

    mine, thesis, report = world / "mine", world / "thesis.tex", world / "report"
    before = {p: _digest(p) for p in (mine, thesis, report, world / "run")}
    net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Tanh())
    calls = _trip(monkeypatch, "neurodyn.train._fit.fit")
    cases = [
        (lambda: Report("t").write(mine), "folder neurodyn did not write"),
        (lambda: Report("t").write(world / "run"), "holds a neurodyn train run"),
        (lambda: analyze(net, out=world / "run"), "holds a neurodyn train run"),
        (lambda: paper_figures(thesis), "is an existing file"),
        (lambda: run("gru", "digits", out=report), "holds a neurodyn report"),
        (lambda: sweep.run({"job": "_sweep_jobs:work", "seeds": [0]}, mine), "did not write"),
    ]
    for call, word in cases:
        with pytest.raises(OutputExistsError, match=word) as err:
            call()
        assert isinstance(err.value, NeurodynError) and isinstance(err.value, FileExistsError)
    assert not calls
    assert before == {p: _digest(p) for p in before}


def test_report_write_never_replaces_a_file_no_report_wrote(tmp_path):
    from matplotlib.figure import Figure

    from neurodyn.report import Report

    def rep(name):
        fig = Figure(figsize=(1, 1))
        fig.subplots().plot([0, 1])
        return Report("t").figure(fig, name)

    out = tmp_path / "r"
    rep("a.png").write(out)
    (out / "b.png").write_bytes(b"my own picture")
    with pytest.raises(OutputExistsError, match=r"b\.png"):
        rep("b.png").write(out)
    assert (out / "b.png").read_bytes() == b"my own picture"
    # a damaged marker cannot make a report delete anything outside its own folder
    (tmp_path / "keep.png").write_bytes(b"keep")
    marker = json.loads((out / ".neurodyn.json").read_text())
    marker["report_files"] += ["../keep.png", "/etc/passwd", ".neurodyn.json"]
    (out / ".neurodyn.json").write_text(json.dumps(marker))
    rep("c.png").write(out)
    assert (tmp_path / "keep.png").read_bytes() == b"keep" and not (out / "a.png").exists()


@pytest.mark.skipif(not EXTENSIVE, reason="NEURODYN_EXTENSIVE_TESTS=1: runs demo, paper-figures "
                    "and robustness in full")  # fmt: skip
@pytest.mark.parametrize("cmd", ["demo --out", "paper-figures --out", "robustness --out",
                                 "analyze --out", "robustness --json"])  # fmt: skip
def test_every_report_command_replaces_a_report_of_its_kind(world, tmp_path, cmd):
    args, kind, _ = _commands(world)[cmd]
    if kind == "json":
        target = tmp_path / "a.json"
        shutil.copy(world / "new" / "sub" / "a.json", target)
    else:
        target = tmp_path / "report"
        shutil.copytree(world / "report", target)
    res = _invoke([target if a == P else a for a in args])
    assert res.exit_code == 0, res.output
    body = target if kind == "json" else next(target.glob("*.json"))
    assert json.loads(body.read_text())["neurodyn_output"] == "report"
    if kind != "json":  # the earlier report's files that were not written again are gone
        mine = set(json.loads((target / ".neurodyn.json").read_text())["report_files"])
        assert {p.name for p in target.iterdir()} == mine | {".neurodyn.json"}
