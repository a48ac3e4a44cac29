"""Every docstring example in ``src/neurodyn`` runs as written (doctest), from a temporary
working directory so an example that writes a file cannot litter the checkout (examples that
write files use :mod:`tempfile` themselves).

Modules are found by walking the package, so examples added anywhere are collected without
editing this file. An example that needs something absent here (e.g. a GPU) marks itself with
``# doctest: +SKIP``.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest
import torch

import neurodyn

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _docstring_tests() -> dict[str, list[doctest.DocTest]]:
    names = [neurodyn.__name__]
    names += [m.name for m in pkgutil.walk_packages(neurodyn.__path__, f"{neurodyn.__name__}.")]
    finder = doctest.DocTestFinder(exclude_empty=True)
    found = {}
    for name in sorted(names):
        module = importlib.import_module(name)
        tests = [t for t in finder.find(module, name, module=module) if t.examples]
        if tests:
            found[name] = tests
    return found


TESTS = _docstring_tests()


def test_examples_are_collected():
    assert len(TESTS) >= 5, sorted(TESTS)


@pytest.fixture
def one_thread():
    """Examples are tiny: intra-op threads only add synchronisation on a loaded machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("name", sorted(TESTS))
def test_docstring_examples(name, tmp_path, monkeypatch, one_thread):
    monkeypatch.chdir(tmp_path)
    report: list[str] = []
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    for test in TESTS[name]:
        runner.run(test, out=report.append)
    if runner.failures:
        pytest.fail(f"{runner.failures} docstring example(s) failed in {name}:\n" + "".join(report))
