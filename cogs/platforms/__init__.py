"""/platform: learning-alliance platforms and their links (``cog``), and the copies of what is
shared across links, delivered as jobs (``deliveries``)."""

from __future__ import annotations

from bot.client import CopBot
from cogs.platforms.cog import PlatformCommands
from cogs.platforms.deliveries import PlatformDeliveries


async def setup(bot: CopBot) -> None:
    await bot.add_cog(PlatformCommands(bot))
    await bot.add_cog(PlatformDeliveries(bot))
