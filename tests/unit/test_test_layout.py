"""The test suite reads like the tree: no test module imports another (what several use lives in a
layer's helpers module), and every test carries the marker of its layer, so `-m unit`, `-m storage`,
`-m e2e` and `-m "not postgres"` each select what they say."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
LAYERS = {"unit", "storage", "e2e"}


def imported_modules(source: Path) -> list[str]:
    """Every module a file imports, at any depth (imports inside functions count too)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
            # `from tests.e2e import test_cafe` names the test module as an attribute
            found += [f"{node.module}.{alias.name}" for alias in node.names]
    return found


def is_test_module(module: str) -> bool:
    parts = module.split(".")
    return parts[0] == "tests" and parts[-1].startswith("test_")


def test_no_test_module_imports_another_test_module() -> None:
    offenders = [
        f"{source.relative_to(TESTS.parent)} imports {module}"
        for source in sorted(TESTS.rglob("*.py"))
        for module in imported_modules(source)
        if is_test_module(module)
    ]
    assert offenders == [], (
        "move what several test modules use into the layer's helpers module "
        "(tests/e2e/helpers.py, tests/storage/helpers.py):\n" + "\n".join(offenders)
    )


def test_the_check_sees_imports_of_test_modules_in_every_form(tmp_path: Path) -> None:
    source = tmp_path / "sample.py"
    source.write_text(
        "from tests.e2e.helpers import eventually\n"
        "from tests.e2e.test_cafe import create_cafe\n"
        "from tests.storage import test_writer\n"
        "def later():\n"
        "    import tests.e2e.sandbox.test_gateway\n",
        encoding="utf-8",
    )
    assert [m for m in imported_modules(source) if is_test_module(m)] == [
        "tests.e2e.test_cafe",
        "tests.storage.test_writer",
        "tests.e2e.sandbox.test_gateway",
    ]


def test_every_test_of_this_run_carries_the_marker_of_its_layer(
    request: pytest.FixtureRequest,
) -> None:
    """Over the tests of the run this one is in: the whole suite when the suite runs."""
    wrong = []
    for item in request.session.items:
        path = item.path.resolve()
        if not path.is_relative_to(TESTS):
            continue
        layer = path.relative_to(TESTS).parts[0]
        marked = {mark.name for mark in item.iter_markers() if mark.name in LAYERS}
        if layer in LAYERS and marked != {layer}:
            wrong.append(f"{item.nodeid}: {sorted(marked)}, expected [{layer!r}]")
    assert wrong == []


def test_every_test_of_this_run_on_postgresql_is_marked_postgres(
    request: pytest.FixtureRequest,
) -> None:
    """Parametrised storage tests included: their PostgreSQL case is marked, the SQLite one not.
    (A test that reaches the server unmarked also fails at once: see tests/databases.py.)"""
    wrong = []
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        on_postgresql = callspec is not None and "postgresql" in callspec.params.values()
        marked = item.get_closest_marker("postgres") is not None
        if on_postgresql and not marked:
            wrong.append(item.nodeid)
    assert wrong == []
