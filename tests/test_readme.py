"""The README's quickstart runs as written and returns what its comments say; each block runs
on its own (a reader copies one block, not the page), and docs/index.md lists every docs page."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def _blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def _run_block(code: str) -> dict:
    """One block in a namespace of its own, as a reader who pastes it into a fresh session
    runs it: a name it uses without importing or defining it is a NameError."""
    ns: dict = {"__name__": "__readme__"}
    exec(compile(code, str(README), "exec"), ns)
    return ns


def test_a_block_does_not_see_another_blocks_names():
    """The check is strict: names do not leak from one block to the next (the old test ran
    every block in one namespace, so a block using `torch` without importing it passed)."""
    _run_block("import torch\nx = torch.ones(1)")
    with pytest.raises(NameError, match="torch"):
        _run_block("x = torch.ones(1)")


def test_readme_python_blocks_run_and_match_their_comments():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small problems: intra-op threads only add synchronisation
    try:
        _run_readme()
    finally:
        torch.set_num_threads(threads)


def _run_readme():
    blocks = _blocks()
    assert len(blocks) >= 2, "the README lost its quickstart"
    ns: dict = {}
    torch.manual_seed(0)
    for code in blocks:
        ns.update(_run_block(code))  # each block alone; the results are collected to check
    last = ns["last"]  # the training block: a Sparse Combo Net's proof holds after its epoch
    assert last["epoch"] == 1 and last["cert_holds"] and last["cert_kind"] == "proof"
    form, report, res = ns["form"], ns["report"], ns["res"]
    assert form.A.shape == (1000, 2, 2) and form.b.shape == (1000, 2)
    assert report["norm_product"].kind == "proof"
    assert res.exponents.shape == (64,) and res.stderr.shape == (64,)
    assert isinstance(res.kaplan_yorke, float)
    # the user-Map block: both exponents of a rotation scaled by 0.9 are ln 0.9 (float32 run:
    # 200 QRs of a 2×2 frame, each |R_ii| = 0.9 to a few ulps), and the decoupled flow
    # ḣ_i = −h_i + tanh(3 h_i) has 3 equilibria per axis (0 and ±0.995…), so 9 in the box
    rot, fps = ns["rot"], ns["fps"]
    assert torch.allclose(
        rot.exponents.double(), torch.full((2,), math.log(0.9), dtype=torch.float64), atol=1e-5
    )
    assert len(fps) == 9 and sum(p.kind == "stable" for p in fps.points) == 4


def test_docs_index_links_every_page_and_the_readme_links_it():
    index = (ROOT / "docs" / "index.md").read_text()
    linked = set(re.findall(r"\]\(([\w.-]+\.md)\)", index))
    pages = {p.name for p in (ROOT / "docs").glob("*.md")} - {"index.md"}
    assert pages - linked == set(), f"docs/index.md does not link {sorted(pages - linked)}"
    assert linked - pages == set(), f"docs/index.md links missing pages {sorted(linked - pages)}"
    for name in pages:  # one line each: the link, a dash and what the page is for
        assert re.search(rf"^- \[{re.escape(name)}\]\({re.escape(name)}\) — \S", index, re.M), name
    assert "](docs/index.md)" in README.read_text()
