"""docs/tutorial.md runs as written, in order, and its numbers say what its comments claim:
the learned map is a contraction near ρ = 0.9, its one fixed point is stable and attracts every
start, and the Lyapunov exponents equal log|λ_i| of the Jacobian at the fixed point (computed
independently from the fixed point's eigenvalues)."""

from __future__ import annotations

import contextlib
import io
import math
import re
from pathlib import Path

import torch

TUTORIAL = Path(__file__).resolve().parents[1] / "docs" / "tutorial.md"


def test_tutorial_blocks_run_and_match_their_comments():
    blocks = re.findall(r"```python\n(.*?)```", TUTORIAL.read_text(), flags=re.S)
    assert len(blocks) == 5, "the tutorial lost a step"
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    ns: dict = {}
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            for code in blocks:
                exec(compile(code, str(TUTORIAL), "exec"), ns)
    finally:
        torch.set_num_threads(threads)
    assert ns["loss"].item() < 1e-3
    report = ns["report"]
    assert {c.kind for c in report} <= {"proof", "sampled", "heuristic"}
    fps, xbar = ns["fps"], ns["xbar"]
    assert len(fps) == 1 and xbar.kind == "stable"
    assert float(xbar.x.abs().max()) < 0.05
    assert torch.allclose(
        xbar.eigenvalues.abs(), torch.full((2,), 0.9, dtype=torch.float64), atol=0.03
    )
    found = ns["found"]
    assert len(found) == 1 and found[0].kind == "fixed_point"
    assert torch.allclose(found[0].points[0], xbar.x, atol=1e-9)
    assert found.fractions()["attractor_0"] == 1.0
    res, expected = ns["res"], ns["expected"]
    assert torch.allclose(res.exponents, expected, atol=5 * float(res.stderr.max()) + 1e-3)
    assert abs(res.max - math.log(0.9)) < 0.05
    assert repr(ns["again"]) == repr(found)
