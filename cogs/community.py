"""Keeps a community row for every server the bot is in."""

from __future__ import annotations

import discord
from discord.ext import commands

from bot.client import CopBot


class Community(commands.Cog):
    def __init__(self, bot: CopBot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_guild_available(self, guild: discord.Guild) -> None:
        await self.bot.communities.settings(guild.id, guild.name)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.bot.communities.settings(guild.id, guild.name)

    @commands.Cog.listener()
    async def on_guild_update(self, before: discord.Guild, after: discord.Guild) -> None:
        if before.name != after.name:
            await self.bot.communities.settings(after.id, after.name)


async def setup(bot: CopBot) -> None:
    await bot.add_cog(Community(bot))
