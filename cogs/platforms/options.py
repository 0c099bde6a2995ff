"""What the /platform commands' options share: the ``platform`` option (text, with this
server's platform names offered as you type) and the category a command was used in."""

from __future__ import annotations

from typing import Any, Final

import discord
from discord import app_commands
from discord.app_commands import Choice

from bot.platforms.service import NAME_LENGTH
from cogs._ui.interaction import GuildInteraction
from cogs.options import FreeText

PLATFORM_HELP: Final = (
    "Which of this server's platforms (default: this channel's category, or the server)"
)
PlatformName = app_commands.Transform[str, FreeText("name", NAME_LENGTH[1], minimum=NAME_LENGTH[0])]
"""A new platform's name."""
PlatformChoice = app_commands.Transform[str, FreeText("platform", NAME_LENGTH[1])]
"""One of this server's platforms, by name."""


def category_of(channel: Any) -> int | None:
    """The category of a channel, or of a thread's channel."""
    if isinstance(channel, discord.Thread):
        channel = channel.parent
    return getattr(channel, "category_id", None)


async def platform_names(interaction: GuildInteraction, current: str) -> list[Choice[str]]:
    typed = current.strip().lower()
    found = await interaction.client.platforms.of_server(interaction.guild_id)
    return [
        Choice(name=platform.name[:100], value=platform.name[:100])
        for platform in found
        if typed in platform.name.lower()
    ][:25]
