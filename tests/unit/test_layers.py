"""The layers keep to their side (DESIGN.md section 3, docs/ARCHITECTURE.md).

Read from the source with ``ast``, nothing imported: cogs import no ``storage`` module and never
look another cog up by name; the domain packages import no ``discord``; no id is narrowed with an
assert or an ``or 0`` (services return values whose ids are ``int``); only ``storage/db.py``
commits (every write is a ``db.transaction()`` block).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = (
    "bot/cafe",
    "bot/prompts",
    "bot/membership",
    "bot/contributions",
    "bot/scheduling",
    "bot/exports",
    "bot/insights",
)


def python_files(*folders: str) -> Iterator[Path]:
    for folder in folders:
        yield from sorted((ROOT / folder).rglob("*.py"))


def where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"


def imported(tree: ast.AST) -> Iterator[tuple[ast.AST, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node, node.module


def parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


# The one error handler reads the change record the database session keeps (what an interaction
# changed) and knows a database out of reach: infrastructure, no rows and no queries.
ERROR_HANDLER = ROOT / "cogs" / "_ui" / "tree.py"


def test_cogs_import_no_storage() -> None:
    found = [
        f"{where(path, node)} imports {name}"
        for path in python_files("cogs")
        if path != ERROR_HANDLER
        for node, name in imported(parsed(path))
        if name == "storage" or name.startswith("storage.")
    ]
    assert not found, "cogs call services on the bot, which return values:\n" + "\n".join(found)


def test_the_domain_imports_no_discord() -> None:
    found = [
        f"{where(path, node)} imports {name}"
        for path in python_files(*DOMAIN)
        for node, name in imported(parsed(path))
        if name == "discord" or name.startswith("discord.")
    ]
    assert not found, "the domain knows no Discord:\n" + "\n".join(found)


def test_cogs_never_look_each_other_up() -> None:
    found = [
        where(path, node)
        for path in python_files("cogs")
        for node in ast.walk(parsed(path))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get_cog"
    ]
    assert not found, "services live on the bot (bot.<name>), not in another cog: " + ", ".join(
        found
    )


def _is_id(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and (node.attr == "id" or node.attr.endswith("_id"))


def test_no_id_is_narrowed_by_hand() -> None:
    """``assert x.id is not None`` and ``x.id or 0`` mean a row with an optional id leaked out
    of storage: services return frozen values whose ids are plain ``int``."""
    found = []
    for path in python_files("cogs", *DOMAIN, "bot/communities.py"):
        for node in ast.walk(parsed(path)):
            if (
                isinstance(node, ast.Assert)
                and isinstance(node.test, ast.Compare)
                and _is_id(node.test.left)
                and isinstance(node.test.ops[0], ast.IsNot)
            ):
                found.append(f"{where(path, node)} asserts an id")
            elif (
                isinstance(node, ast.BoolOp)
                and isinstance(node.op, ast.Or)
                and _is_id(node.values[0])
                and isinstance(node.values[-1], ast.Constant)
                and node.values[-1].value == 0
            ):
                found.append(f"{where(path, node)} uses `id or 0`")
    assert not found, "\n".join(found)


def test_only_the_database_module_commits() -> None:
    """One transaction idiom: writes happen in ``async with db.transaction() as session:``,
    which commits when the block ends; nobody calls ``commit()`` by hand."""
    found = [
        where(path, node)
        for path in python_files("bot", "cogs", "storage")
        if path != ROOT / "storage" / "db.py" and "sandbox" not in path.parts
        for node in ast.walk(parsed(path))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "commit"
    ]
    assert not found, "use db.transaction() instead of commit(): " + ", ".join(found)
