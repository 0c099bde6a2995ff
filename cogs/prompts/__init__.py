"""/prompt: the question bank, its review, schedules and posts. ``cog`` holds the slash
commands, ``views`` the review buttons and the bank's pages."""

from __future__ import annotations

from bot.client import CopBot
from cogs.prompts.cog import Prompts


async def setup(bot: CopBot) -> None:
    await bot.add_cog(Prompts(bot))
