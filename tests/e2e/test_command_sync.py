"""Commands are registered at the first start and again only when they changed."""

from __future__ import annotations

import re
from pathlib import Path

from bot.client import COGS
from tests.e2e.harness import Harness, running_harness


def command_names(commands: list[dict]) -> dict[str, set[str]]:
    return {
        command["name"]: {option["name"] for option in command.get("options", [])}
        for command in commands
    }


async def test_commands_are_registered_globally(harness: Harness) -> None:
    registered = command_names(harness.sandbox.commands())
    assert registered["about"] == set()
    assert {"roles", "show", "timezone"} <= registered["settings"]
    assert harness.sandbox.commands(harness.community.guild) == []
    assert harness.sandbox.command_sync_count == 1


async def test_a_restart_with_the_same_commands_does_not_sync_again(harness: Harness) -> None:
    await harness.restart_bot()
    assert harness.sandbox.command_sync_count == 1
    itx = await harness.sandbox.slash(harness.plain_member, harness.general, "about")
    assert "copbot" in itx.text()


async def test_a_changed_command_tree_is_synced(harness: Harness) -> None:
    await harness.restart_bot(cogs=[module for module in COGS if module != "cogs.about"])
    assert harness.sandbox.command_sync_count == 2
    assert "about" not in command_names(harness.sandbox.commands())


async def test_dev_guild_gets_the_commands_at_once(tmp_path: Path) -> None:
    async with running_harness(tmp_path, dev_guild=True) as harness:
        guild_commands = command_names(harness.sandbox.commands(harness.community.guild))
        assert {"about", "settings"} <= set(guild_commands)
        itx = await harness.sandbox.slash(harness.plain_member, harness.general, "settings show")
        assert itx.ephemeral and "UTC" in itx.text()


def command_paths(commands: list[dict]) -> list[str]:
    """Every slash command as typed (``cafe create``, ``platform autoshare harvests``) and every
    message command by its name."""
    found: list[str] = []

    def walk(prefix: str, options: list[dict]) -> None:
        subcommands = [o for o in options if o.get("type") in (1, 2)]  # subcommand (group)
        if not subcommands:
            found.append(prefix)
        for option in subcommands:
            walk(f"{prefix} {option['name']}", option.get("options") or [])

    for command in commands:
        if command.get("type", 1) == 1:
            walk(command["name"], command.get("options") or [])
        else:
            found.append(command["name"])
    return found


README = Path(__file__).resolve().parents[2] / "README.md"


async def test_the_readme_documents_every_command(harness: Harness) -> None:
    readme = README.read_text(encoding="utf-8")
    lines = readme.splitlines()

    def documented(path: str) -> bool:
        if f"/{path}" in readme or f"› {path}" in readme:
            return True
        # "/export members / organisations / cafes": a row naming siblings after the first.
        parent, _, last = path.rpartition(" ")
        return any(
            f"/{parent} " in line and re.search(rf"[`/ ]{re.escape(last)}[` ]", line)
            for line in lines
        )

    missing = [path for path in command_paths(harness.sandbox.commands()) if not documented(path)]
    assert not missing, f"commands the README does not mention: {missing}"
