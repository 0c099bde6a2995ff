"""The interaction every copbot command receives: in a server, from a member.

Every slash command group and context menu is guild-only (``app_commands.guild_only``), so
Discord never sends one from a direct message. ``GuildInteraction`` says so to the type checker,
as RoboDanny's ``GuildContext`` does for prefix commands: ``guild``, ``guild_id`` and ``user``
are never None (or a bare ``User``) there, and no callback has to assert it. At run time it is
``discord.Interaction`` itself, so discord.py sees nothing new.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

if TYPE_CHECKING:
    from bot.client import CopBot

    class GuildInteraction(discord.Interaction[CopBot]):
        guild_id: int
        user: discord.Member

        @property
        def guild(self) -> discord.Guild: ...

else:
    GuildInteraction = discord.Interaction
