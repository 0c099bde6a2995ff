"""The member register kept in step with the server: ``cog`` holds the listeners (joins, leaves,
display names, the start-up catch-up), ``role_sync`` applies the synced roles.

The bot is imported inside ``setup``, not here: bot/client.py imports ``cogs.members.role_sync``
to build ``bot.role_sync``, Python runs this file first, and the bot would be found half made.
"""

from __future__ import annotations

from discord.ext import commands


async def setup(bot: commands.Bot) -> None:
    from bot.client import CopBot
    from cogs.members.cog import Members

    if not isinstance(bot, CopBot):
        raise TypeError(f"cogs.members needs a CopBot (its services), not {type(bot).__name__}")
    await bot.add_cog(Members(bot))
