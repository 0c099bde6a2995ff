"""/about: what the bot is, which version, which database, and what it keeps."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

import bot as copbot_package
from bot.check import guild_findings
from bot.client import CopBot
from bot.config import database_label
from bot.permissions import Access, access_of
from cogs._ui.embeds import Tone, make_embed

WHAT_IS_LOGGED = (
    "Metadata only: who contributed, where, when, what kind (message, reply, reaction, ...) "
    "and simple counts. Message text is not stored, except tablecloth notes and harvest items "
    "members add on purpose. See `/privacy show` for what is kept about you, and how to opt "
    "out or be forgotten."
)


DESCRIPTION_LIMIT = 4000  # Discord's embed description holds 4,096 characters


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
                *self._shard_fields(interaction.guild_id),
                ("What is logged", WHAT_IS_LOGGED),
            ],
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)
        if Access.MODERATOR in await access_of(interaction):
            await self._send_set_up_check(interaction)

    def _shard_fields(self, guild_id: int | None) -> list[tuple[str, str]]:
        """With several processes, which one answers for this server."""
        shards = self.bot.shard_slice
        if not shards.sharded or guild_id is None:
            return []
        return [
            (
                "Shard",
                f"This server is on shard {shards.shard_of(guild_id)} of {shards.count}; "
                f"this process runs {shards.describe()}.",
            )
        ]

    async def _send_set_up_check(self, interaction: discord.Interaction[CopBot]) -> None:
        """For moderators, after the answer: what ``copbot check`` says about this server."""
        assert interaction.guild is not None and self.bot.user is not None
        findings = await guild_findings(
            self.bot.http, self.bot.db, interaction.guild.id, self.bot.user.id
        )
        lines = [f"- {finding.line()}" for finding in findings]
        must_fix = [finding for finding in findings if not finding.warning]
        embed = make_embed(
            "Set-up check" + (": all is well" if not findings else ""),
            "\n".join(lines)[:DESCRIPTION_LIMIT] or "Nothing to fix in this server.",
            tone=Tone.WARNING if must_fix else Tone.SUCCESS,
            footer="Shown to moderators. `copbot check` on the bot's machine also checks the "
            "token, the intents and the database.",
        )
        await interaction.followup.send(embed=embed, ephemeral=True)


async def setup(bot: CopBot) -> None:
    await bot.add_cog(About(bot))
