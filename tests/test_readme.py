"""The README's quickstart runs as written and returns what its comments say."""

from __future__ import annotations

import math
import re
from pathlib import Path

import torch

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_blocks_run_and_match_their_comments():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small problems: intra-op threads only add synchronisation
    try:
        _run_readme()
    finally:
        torch.set_num_threads(threads)


def _run_readme():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) >= 2, "the README lost its quickstart"
    ns: dict = {}
    torch.manual_seed(0)
    for code in blocks:
        exec(compile(code, str(README), "exec"), ns)
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
