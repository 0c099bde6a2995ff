"""/cafe: World Café sessions in threads. ``cog`` holds the slash commands, ``runner`` the
Discord work of running a café, ``views`` its buttons and modal."""

from __future__ import annotations

from bot.client import CopBot
from cogs.cafe.cog import CafeCog


async def setup(bot: CopBot) -> None:
    await bot.add_cog(CafeCog(bot))
