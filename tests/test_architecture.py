"""The package's shape, checked: no import cycle between subpackages nor between files, no
oversized source file, and a bottom layer that imports nothing else of neurodyn.

Every ``import`` / ``from … import`` statement in ``src/neurodyn`` counts, including the lazy ones
inside functions. Between subpackages those under ``if TYPE_CHECKING:`` are excepted (they never
run); between files they count too: a type named in a signature is still something the lower
file needs the upper one to explain, and a circle of files says a piece sits in the wrong one."""

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


#: File-level circles still known, each as the set of its files (relative to src/neurodyn).
#: None: the last one (cli/_archive <-> cli/_load) went when model loading moved to neurodyn.io.
ALLOWED_FILE_CYCLES: set[frozenset[str]] = set()


def _module_file(name: str) -> Path | None:
    """The source file that running ``import name`` executes last: a module's own file, or a
    package's ``__init__.py``; None outside neurodyn."""
    parts = name.split(".")
    if parts[0] != "neurodyn":
        return None
    base = SRC.joinpath(*parts[1:])
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    return base.with_suffix(".py") if base.with_suffix(".py").is_file() else None


def _file_imports(tree: ast.AST):
    """Yield ``(module, names)`` for every import statement, lazy and ``TYPE_CHECKING`` ones too.

    ``from pkg import sub`` where ``sub`` is a submodule is an import of ``pkg.sub``. The parent
    packages Python initialises on the way are not counted (every file would form a circle with
    its package's ``__init__``); a plain ``import`` is marked ``"*"``, so :func:`_file_graph` can
    tell ``import neurodyn`` (for ``neurodyn.__version__``) from names taken from a package."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((a.name, ("*",)) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            assert not node.level, "use absolute imports"
            plain = []
            for a in node.names:
                if _module_file(f"{node.module}.{a.name}") is not None:
                    yield f"{node.module}.{a.name}", ("*",)
                else:
                    plain.append(a.name)
            if plain:
                yield node.module, tuple(plain)


def _file_graph(src: Path = SRC) -> dict[str, dict[str, set[str]]]:
    """file -> {imported file: names taken from it}, files relative to ``src/neurodyn``."""
    graph: dict[str, dict[str, set[str]]] = {}
    for path in sorted(src.rglob("*.py")):
        here = path.relative_to(SRC).as_posix()
        edges = graph.setdefault(here, {})
        ancestors = {p / "__init__.py" for p in path.parents if p == SRC or SRC in p.parents}
        for module, names in _file_imports(ast.parse(path.read_text(), str(path))):
            target = _module_file(module)
            if target is None or target == path:
                continue
            if names == ("*",) and target in ancestors:
                continue  # `import neurodyn` in a submodule: already initialised before it ran
            edges.setdefault(target.relative_to(SRC).as_posix(), set()).update(names)
    return graph


def _circles(graph: dict[str, dict[str, set[str]]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one file (Tarjan 1972)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[frozenset[str]] = []

    def visit(u: str) -> None:
        index[u] = low[u] = len(index)
        stack.append(u)
        for v in sorted(graph.get(u, ())):
            if v not in index:
                visit(v)
                low[u] = min(low[u], low[v])
            elif v in stack:
                low[u] = min(low[u], index[v])
        if low[u] == index[u]:
            component = set()
            while True:
                w = stack.pop()
                component.add(w)
                if w == u:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for u in sorted(graph):
        if u not in index:
            visit(u)
    return found


def _describe(graph, circle: frozenset[str]) -> str:
    ties = [
        f"  {a} -> {b}: {', '.join(sorted(graph[a][b]))}"
        for a in sorted(circle)
        for b in sorted(graph[a])
        if b in circle
    ]
    return "\n".join([" <-> ".join(sorted(circle)), *ties])


def test_circle_finder_finds_file_circles_through_lazy_and_type_only_imports():
    graph = {
        "a.py": {"b.py": {"f"}},
        "b.py": {"c.py": {"g"}},
        "c.py": {"a.py": {"h"}},
        "d.py": {"a.py": {"f"}},
    }
    assert _circles(graph) == [frozenset({"a.py", "b.py", "c.py"})]
    assert _circles({"a.py": {"b.py": {"f"}}, "b.py": {}}) == []
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from neurodyn.plot import x\n"
        "def f():\n    from neurodyn import lyapunov\n"
    )
    assert set(_file_imports(tree)) >= {("neurodyn.plot", ("x",)), ("neurodyn.lyapunov", ("*",))}


def test_no_import_cycle_between_files():
    """No file imports, through any chain, a file that imports it back (the adapters build on
    the Map contract and ``as_map`` sits above them; figures draw from plain arrays, so a
    result's ``plot()`` needs nothing from :mod:`neurodyn.plot`)."""
    graph = _file_graph()
    circles = _circles(graph)
    new = [c for c in circles if c not in ALLOWED_FILE_CYCLES]
    assert not new, "import circles between files:\n" + "\n".join(_describe(graph, c) for c in new)
    gone = ALLOWED_FILE_CYCLES - set(circles)
    assert not gone, f"no longer a circle, remove it from ALLOWED_FILE_CYCLES: {gone}"


@pytest.mark.parametrize("path", sorted(SRC.rglob("*.py")), ids=lambda p: str(p.relative_to(SRC)))
def test_no_source_file_over_the_limit(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(SRC)} has {lines} lines (limit {MAX_LINES})"
