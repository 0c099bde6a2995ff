"""The command tree and its one error handler, shared by slash commands and views."""

from __future__ import annotations

import logging
import re
from typing import Any, Self

import discord
from discord import app_commands

from bot.embeds import Tone, make_embed
from bot.errors import CopbotError, new_error_id
from bot.permissions import AccessDenied

log = logging.getLogger(__name__)


async def send_ephemeral(
    interaction: discord.Interaction[Any],
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
) -> None:
    """Answer privately whether or not the interaction was already answered or deferred."""
    kwargs: dict[str, Any] = {"ephemeral": True}
    if content is not None:
        kwargs["content"] = content
    if embed is not None:
        kwargs["embed"] = embed
    if interaction.response.is_done():
        await interaction.followup.send(**kwargs)
    else:
        await interaction.response.send_message(**kwargs)


def explain(error: BaseException) -> str | None:
    """The message for an error we expect; None for an unexpected one."""
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    if isinstance(error, CopbotError):
        return error.user_message
    if isinstance(error, AccessDenied):
        return error.error.user_message
    if isinstance(error, app_commands.TransformerError):
        return (
            f"`{error.value}` is not a valid {error.type.name.lower()} here.\n"
            "Pick a value from the list Discord offers."
        )
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command works only inside a server.\nRun it in your community's server."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"That was quick. Try again in {error.retry_after:.0f} seconds."
    if isinstance(error, app_commands.BotMissingPermissions):
        missing = ", ".join(name.replace("_", " ") for name in error.missing_permissions)
        return (
            f"I need these permissions here: {missing}.\nAsk a server administrator to grant them."
        )
    if isinstance(error, discord.Forbidden):
        return (
            "Discord did not let me do that here: I am missing a permission in this channel.\n"
            "Ask a server administrator to check my role's permissions and the channel's."
        )
    return None


async def report_interaction_error(
    interaction: discord.Interaction[Any], error: BaseException
) -> None:
    """Tell the user what went wrong; log the unexpected with an id the user is shown."""
    message = explain(error)
    if message is None:
        error_id = new_error_id()
        original = getattr(error, "original", error)
        command = interaction.command.qualified_name if interaction.command else "-"
        log.error(
            "unexpected error [error %s] in %s (guild %s, user %s)",
            error_id,
            command,
            interaction.guild_id,
            interaction.user.id,
            exc_info=(type(original), original, original.__traceback__),
        )
        embed = make_embed(
            "Sorry, something went wrong on our side",
            f"Nothing was changed. If it happens again, give this error id to the people who run "
            f"the bot: `{error_id}`",
            tone=Tone.ERROR,
        )
    else:
        embed = make_embed("That did not work", message, tone=Tone.WARNING)
    try:
        await send_ephemeral(interaction, embed=embed)
    except discord.HTTPException:
        log.warning("could not report an error to user %s", interaction.user.id, exc_info=True)


class CopbotTree(app_commands.CommandTree[Any]):
    async def on_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        await report_interaction_error(interaction, error)


class CopbotView(discord.ui.View):
    """Base for every view: errors go through the same handler as slash commands."""

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await report_interaction_error(interaction, error)


class CopbotModal(discord.ui.Modal):
    """Base for every modal: errors go through the same handler as slash commands."""

    async def on_error(self, interaction: discord.Interaction[Any], error: Exception) -> None:
        await report_interaction_error(interaction, error)


class DynamicButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"(?!)"):
    """Base of every button whose state lives in its custom_id (this base matches none).

    Such buttons work after a restart with no view in memory. A subclass sets ``template``,
    rebuilds itself from the template's match in :meth:`from_match`, and acts in :meth:`pressed`;
    what that raises goes to the one error handler (discord.py would only log it).
    """

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        return cls.from_match(match)

    @classmethod
    def from_match(cls, match: re.Match[str]) -> Self:
        raise NotImplementedError

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            await self.pressed(interaction)
        except Exception as error:
            await report_interaction_error(interaction, error)

    async def pressed(self, interaction: discord.Interaction[Any]) -> None:
        raise NotImplementedError
