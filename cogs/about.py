"""/about: what the bot is, which version, which database, and what it keeps."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

import bot as copbot_package
from bot.client import CopBot
from bot.config import database_label
from cogs._ui.embeds import make_embed

WHAT_IS_LOGGED = (
    "Metadata only: who contributed, where, when, what kind (message, reply, reaction, ...) "
    "and simple counts. Message text is not stored, except tablecloth notes and harvest items "
    "members add on purpose. See `/privacy show` for what is kept about you, and how to opt "
    "out or be forgotten."
)


class About(commands.Cog):
    def __init__(self, bot: CopBot) -> None:
        self.bot = bot

    @app_commands.command(name="about", description="What this bot does and what it keeps")
    async def about(self, interaction: discord.Interaction[CopBot]) -> None:
        embed = make_embed(
            "copbot: a café bot for communities of practice",
            "Runs World Café sessions in threads, posts themed questions on a schedule, keeps a "
            "register of members and member organisations, and makes knowledge sharing visible.",
            fields=[
                ("Version", copbot_package.__version__),
                ("Database", database_label(self.bot.settings.database_url)),
                ("What is logged", WHAT_IS_LOGGED),
            ],
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)


async def setup(bot: CopBot) -> None:
    await bot.add_cog(About(bot))
