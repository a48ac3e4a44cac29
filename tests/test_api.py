"""The top-level namespace: the first names a user needs, and subpackages that load on use."""

import subprocess
import sys

import pytest

import neurodyn


def test_subpackages_load_on_first_attribute_access():
    # a fresh interpreter, so other tests' imports do not hide a missing lazy load
    code = (
        "import sys, neurodyn\n"
        "assert 'neurodyn.plot' not in sys.modules and 'matplotlib' not in sys.modules\n"
        "assert callable(neurodyn.plot.phase_portrait)\n"
        "assert callable(neurodyn.zoo.demo_net) and neurodyn.nn.parametrizations\n"
        "assert callable(neurodyn.testing.check_map)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        _ = neurodyn.nonexistent


def test_public_names_resolve():
    for name in neurodyn.__all__:
        assert getattr(neurodyn, name) is not None
