"""The top level: every lazy subpackage resolves (issue 12 item 3; the fresh-interpreter check is in
tests/test_api.py); ``attractors``, ``load_result`` and ``rich_progress`` are exported."""

from __future__ import annotations

import neurodyn


def test_every_lazy_subpackage_resolves_and_is_listed():
    # the fresh-interpreter check (plot / zoo / nn not imported by ``import neurodyn`` and loaded
    # on first access) is tests/test_api.py::test_subpackages_load_on_first_attribute_access
    import importlib.util

    for name in neurodyn._LAZY:
        if importlib.util.find_spec(f"neurodyn.{name}") is None:
            continue  # reserved for a subpackage not written yet (e.g. neurodyn.data)
        assert getattr(neurodyn, name).__name__ == f"neurodyn.{name}"
        assert name in dir(neurodyn)


def test_top_level_exports_attractors_and_load_result():
    from neurodyn._core import load_result
    from neurodyn.dynamics import attractors

    assert neurodyn.attractors is attractors and neurodyn.load_result is load_result
    assert {"attractors", "load_result", "rich_progress"} <= set(neurodyn.__all__)
