"""No import cycles in ``bot/``, ``cogs/`` or ``storage/``.

Every module is parsed with ``ast`` (nothing is imported), every ``import`` and ``from ... import``
is collected, relative imports are resolved against the importing module, and the graph of
first-party modules is searched for strongly connected components. The test fails listing each
cycle: every component of more than one module, and every module that imports itself.

What counts as an edge, and why:
- Function-level (lazy) imports count. Moving an import into a function hides a cycle from the
  interpreter, not from the design: the two modules still depend on each other.
- Imports under ``if TYPE_CHECKING:`` count too. A back edge that exists only for an annotation
  is still a back edge; the way out is a small Protocol defined low in the tree (as
  ``bot/sandbox/hub.py`` does for the sandbox), not a hidden import.
- ``from package import name`` is an edge to ``package.name`` when that is a module, otherwise
  to ``package``. Importing ``a.b.c`` is an edge to ``a.b.c`` only, not to the packages ``a`` and
  ``a.b`` that Python initialises on the way: a package's ``__init__`` re-exporting its public
  names would otherwise put every submodule in a circle with it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "cogs", "storage")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def first_party_modules() -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            modules[module_name(path)] = path
    return modules


def imported_modules(path: Path, name: str, modules: set[str]) -> set[str]:
    """The first-party modules that ``path`` (the module ``name``) imports, anywhere in its body."""
    # The package that relative imports are resolved against.
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                # One dot is the package itself, each further dot one level up.
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - (node.level - 1)])
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module or ""
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                targets.add(submodule if submodule in modules else source)
    return targets & modules


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    names = set(modules)
    return {name: imported_modules(path, name, names) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module, and self-imports (Tarjan)."""
    index: dict[str, int] = {}
    lowlink: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0

    def visit(start: str) -> None:
        nonlocal counter
        # Iterative, so a deep chain of imports cannot hit the recursion limit.
        work: list[tuple[str, list[str]]] = [(start, sorted(graph[start]))]
        index[start] = lowlink[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, pending = work[-1]
            if pending:
                successor = pending.pop(0)
                if successor not in index:
                    index[successor] = lowlink[successor] = counter
                    counter += 1
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, sorted(graph[successor])))
                elif successor in on_stack:
                    lowlink[node] = min(lowlink[node], index[successor])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                lowlink[parent] = min(lowlink[parent], lowlink[node])
            if lowlink[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph[node]:
                    found.append(sorted(component))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return sorted(found)


def describe(component: list[str], graph: dict[str, set[str]]) -> str:
    inside = set(component)
    edges = [
        f"    {source} -> {target}"
        for source in component
        for target in sorted(graph[source] & inside)
    ]
    return f"  cycle of {len(component)}: " + ", ".join(component) + "\n" + "\n".join(edges)


def test_the_graph_sees_the_kinds_of_import_that_matter(tmp_path: Path) -> None:
    """The parser finds lazy, TYPE_CHECKING and relative imports, so the main test can fail."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from . import b\n")
    (package / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.c import C\n"
    )
    (package / "c.py").write_text("from .a import f\n")
    (package / "d.py").write_text("import pkg.d\n")
    modules = {
        f"pkg.{path.stem}".removesuffix(".__init__"): path for path in sorted(package.glob("*.py"))
    }
    graph = import_graph(modules)
    assert graph["pkg.a"] == {"pkg.b"}
    assert cycles(graph) == [["pkg.a", "pkg.b", "pkg.c"], ["pkg.d"]]


def test_no_import_cycles() -> None:
    modules = first_party_modules()
    assert len(modules) > 50, "the module scan found too little; is ROOT right?"
    graph = import_graph(modules)
    found = cycles(graph)
    if found:
        pytest.fail(
            "import cycles (make the dependency run one way):\n"
            + "\n".join(describe(component, graph) for component in found)
        )
