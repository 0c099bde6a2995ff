"""A feature is found in one guess: one with several files is a package in ``cogs/``, whose
``__init__`` holds only ``setup``, and the bot loads every feature by its extension name."""

from __future__ import annotations

import ast
import asyncio
import importlib
from pathlib import Path

from bot.client import COGS

COGS_DIR = Path(__file__).resolve().parents[2] / "cogs"


def test_every_extension_the_bot_loads_has_a_setup() -> None:
    for extension in COGS:
        module = importlib.import_module(extension)
        setup = getattr(module, "setup", None)
        assert setup is not None and asyncio.iscoroutinefunction(setup), (
            f"{extension} is in bot.client.COGS but has no async setup(bot)"
        )


def test_a_feature_package_init_holds_only_setup() -> None:
    # cogs/_ui/ is no feature: what every cog shares (base views, the tree, embeds).
    packages = [
        path.parent
        for path in sorted(COGS_DIR.glob("*/__init__.py"))
        if not path.parent.name.startswith("_")
    ]
    for package in packages:
        tree = ast.parse((package / "__init__.py").read_text(encoding="utf-8"))
        defined = [
            node.name if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            else type(node).__name__
            for node in tree.body
            if not isinstance(node, ast.Import | ast.ImportFrom)
            and not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
        ]
        assert defined == ["setup"], (
            f"cogs/{package.name}/__init__.py should hold only setup (the cog goes in cog.py); "
            f"it has {defined}"
        )


def test_a_feature_with_several_files_is_a_package() -> None:
    """``cogs/cafe_views.py`` beside ``cogs/cafe.py`` (or ``prompt_views.py`` beside
    ``prompts.py``) is a feature spread over loose files: it belongs in ``cogs/cafe/``."""
    features = {path.stem for path in COGS_DIR.glob("*.py")} | {
        path.name for path in COGS_DIR.iterdir() if (path / "__init__.py").exists()
    }
    loose = [
        f"cogs/{path.name} (feature {feature})"
        for path in sorted(COGS_DIR.glob("*_*.py"))
        for feature in sorted(features)
        if path.stem != feature and feature.rstrip("s") == path.stem.split("_")[0].rstrip("s")
    ]
    assert not loose, "put these in their feature's package: " + ", ".join(loose)
