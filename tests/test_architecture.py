"""The package's shape, checked: no import cycle between subpackages, no oversized source file,
and a bottom layer that imports nothing else of neurodyn.

Every ``import`` / ``from … import`` statement in ``src/neurodyn`` counts, including the lazy ones
inside functions; only those under ``if TYPE_CHECKING:`` are excepted (they never run)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "neurodyn"
MAX_LINES = 700


def _unit(path: Path) -> str:
    """The subpackage a file belongs to: ``pwa`` for ``pwa/_affine.py``, ``errors`` for
    ``errors.py``, ``neurodyn`` for the top-level ``__init__``."""
    rel = path.relative_to(SRC)
    if len(rel.parts) == 1:
        return "neurodyn" if rel.name == "__init__.py" else rel.stem
    return rel.parts[0]


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST):
    """Yield every imported module name, skipping ``if TYPE_CHECKING:`` bodies."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from (m for n in node.orelse for m in _imports_node(n))
            continue
        yield from _imports_node(node)


def _imports_node(node: ast.AST):
    if isinstance(node, ast.Import):
        yield from (a.name for a in node.names)
    elif isinstance(node, ast.ImportFrom):
        if node.level:  # relative imports are not used in neurodyn; flag them
            yield "<relative>"
        elif node.module == "neurodyn":
            yield from (f"neurodyn.{a.name}" for a in node.names)
        elif node.module:
            yield node.module
    else:
        yield from _imports(node)


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        unit = _unit(path)
        deps = graph.setdefault(unit, set())
        for name in _imports(ast.parse(path.read_text(), str(path))):
            assert name != "<relative>", f"{path}: use absolute imports"
            parts = name.split(".")
            if parts[0] != "neurodyn" or len(parts) < 2:
                continue
            target = parts[1]
            is_unit = (SRC / target).is_dir() or (SRC / f"{target}.py").is_file()
            if is_unit and target != unit:
                deps.add(target)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(u: str) -> list[str] | None:
        state[u] = 1
        stack.append(u)
        for v in sorted(graph.get(u, ())):
            if state.get(v) == 1:
                return [*stack[stack.index(v) :], v]
            if state.get(v) is None and (found := visit(v)):
                return found
        stack.pop()
        state[u] = 2
        return None

    for u in sorted(graph):
        if state.get(u) is None and (found := visit(u)):
            return found
    return None


def test_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_type_checking_imports_are_excepted_and_lazy_ones_counted():
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from neurodyn.plot import x\n"
        "def f():\n    from neurodyn.pwa import y\n"
    )
    names = set(_imports(tree))
    assert "neurodyn.pwa" in names and "neurodyn.plot" not in names


def test_no_import_cycle_between_subpackages():
    graph = _graph()
    graph.pop("neurodyn", None)  # the top-level __init__ re-exports; nothing imports it back
    cycle = _cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_bottom_layer_imports_nothing_else_of_neurodyn():
    assert _graph().get("_core", set()) == set()


@pytest.mark.parametrize("path", sorted(SRC.rglob("*.py")), ids=lambda p: str(p.relative_to(SRC)))
def test_no_source_file_over_the_limit(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(SRC)} has {lines} lines (limit {MAX_LINES})"
