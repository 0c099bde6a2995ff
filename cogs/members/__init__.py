"""The member register kept in step with the server: ``cog`` holds the listeners (joins, leaves,
display names, the start-up catch-up), ``role_sync`` applies the synced roles."""

from __future__ import annotations

from bot.client import CopBot
from cogs.members.cog import Members


async def setup(bot: CopBot) -> None:
    await bot.add_cog(Members(bot))
