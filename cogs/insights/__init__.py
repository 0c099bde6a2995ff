"""/insights: figures and charts of sharing, silence and silos (``cog``)."""

from __future__ import annotations

from bot.client import CopBot
from cogs.insights.cog import Insights


async def setup(bot: CopBot) -> None:
    await bot.add_cog(Insights(bot))
