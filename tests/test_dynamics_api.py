"""The top level: ``import neurodyn`` then ``neurodyn.plot`` / ``neurodyn.zoo`` / ``neurodyn.nn``
work without importing them (issue 12 item 3), checked in a fresh interpreter so no other test's
imports help; ``attractors`` and ``load_result`` are exported at the top level."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import neurodyn

SRC = Path(__file__).resolve().parents[1] / "src"


def test_lazy_subpackages_load_on_first_attribute_access_in_a_fresh_interpreter():
    code = (
        "import sys, neurodyn\n"
        "lazy = ['plot', 'zoo', 'nn', 'report', 'reproduce', 'testing', 'activations', 'errors']\n"
        "before = {n: f'neurodyn.{n}' in sys.modules for n in ('plot', 'zoo', 'nn')}\n"
        "assert not any(before.values()), before\n"
        "for n in lazy:\n"
        "    mod = getattr(neurodyn, n)\n"
        "    assert mod.__name__ == f'neurodyn.{n}', mod\n"
        "    assert n in dir(neurodyn)\n"
        "assert callable(neurodyn.plot.phase_portrait)\n"
        "assert callable(neurodyn.zoo.paper_model)\n"
        "assert hasattr(neurodyn.nn, 'parametrizations')\n"
        "try:\n"
        "    neurodyn.no_such_thing\n"
        "except AttributeError as err:\n"
        "    assert 'no_such_thing' in str(err)\n"
        "else:\n"
        "    raise SystemExit('no AttributeError')\n"
        "print('ok')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_top_level_exports_attractors_and_load_result():
    from neurodyn._core import load_result
    from neurodyn.dynamics import attractors

    assert neurodyn.attractors is attractors and neurodyn.load_result is load_result
    assert {"attractors", "load_result"} <= set(neurodyn.__all__)
