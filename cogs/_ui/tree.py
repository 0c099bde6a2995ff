"""The command tree and its one error handler, shared by slash commands and views.

What the handler says about changes is true by construction: every interaction's work runs with
a record of what it changed (``storage.db.track_changes``, started when discord.py hands the
interaction to a command, a view, a modal or a dynamic button). Commits that wrote to the
database mark it, and so do Discord calls other than reads and the answers to the interaction
itself (messages posted, threads made, roles given). The answer to a failure says "Nothing was
changed" only when the record is clean; when something was done, or when no record was kept, it
says that part may have been done.

Before its work an interaction is claimed (bot/claims.py): two processes holding one shard (an
overlapping deploy) both receive it, and only the one that claimed it handles it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

import discord
from discord import app_commands

from bot.errors import CopbotError, new_error_id
from bot.permissions import AccessDenied
from cogs._ui.answers import watch_deadline
from cogs._ui.embeds import Tone, make_embed
from storage.db import database_unreachable, note_change, track_changes, tracked_changes

log = logging.getLogger(__name__)

DATABASE_UNREACHABLE = "The bot cannot reach its database right now"


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


def nothing_was_changed() -> bool:
    """True only if this interaction's work is known to have changed nothing (see the module)."""
    record = tracked_changes()
    return record is not None and not record.any


def _outcome(interaction: discord.Interaction[Any]) -> str:
    if nothing_was_changed():
        return "Nothing was changed."
    what = f"`/{interaction.command.qualified_name}`" if interaction.command else "it"
    return f"Part of {what} may have been done: look at what changed before you try again."


async def report_interaction_error(
    interaction: discord.Interaction[Any], error: BaseException
) -> None:
    """Tell the user what went wrong; log the unexpected with an id the user is shown.

    A database that cannot be reached is not a bug: one log line, no traceback, and an answer
    that says so.
    """
    if answered_elsewhere(error):
        # Only when handled without a claim (the database was out of reach): the other process
        # that received it answered first, and the person has that answer.
        log.info("interaction %s was answered by another process", interaction.id)
        return
    message = explain(error)
    command = _what_was_used(interaction)
    if message is None and database_unreachable(error):
        original = getattr(error, "original", error)
        log.warning(
            "database unreachable in %s (guild %s, user %s): %s",
            command,
            interaction.guild_id,
            interaction.user.id,
            error_line(original),
        )
        embed = make_embed(
            "The database is out of reach",
            f"{DATABASE_UNREACHABLE}. {_outcome(interaction)}\n"
            "Try again in a minute.",
            tone=Tone.WARNING,
        )
    elif message is None:
        error_id = new_error_id()
        original = getattr(error, "original", error)
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
            f"{_outcome(interaction)} If it happens again, give this error id to the people who "
            f"run the bot: `{error_id}`",
            tone=Tone.ERROR,
        )
    else:
        embed = make_embed("That did not work", message, tone=Tone.WARNING)
    try:
        await send_ephemeral(interaction, embed=embed)
    except discord.HTTPException:
        log.warning("could not report an error to user %s", interaction.user.id, exc_info=True)


ALREADY_ACKNOWLEDGED = 40060  # Discord's code: the interaction has an answer already


def answered_elsewhere(error: BaseException) -> bool:
    """Whether Discord refused an answer because the interaction has one already."""
    original = getattr(error, "original", error)
    return isinstance(original, discord.HTTPException) and original.code == ALREADY_ACKNOWLEDGED


def _what_was_used(interaction: discord.Interaction[Any]) -> str:
    if interaction.command is not None:
        return interaction.command.qualified_name
    custom_id = interaction.data.get("custom_id") if interaction.data is not None else None
    return f"component {custom_id}" if custom_id else "-"


def error_line(error: BaseException) -> str:
    """An error in one line for the log: its type and the first line of what it says."""
    text = str(getattr(error, "orig", None) or error).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:200] if text else ''}"


# Discord calls that change nothing on Discord's side, besides reads: answering an interaction
# goes through the interaction's webhook, not through here.
_UNCHANGING_METHODS = ("GET", "HEAD")

Autocomplete = Callable[..., Coroutine[Any, Any, list[app_commands.Choice[Any]]]]


def _quiet_autocomplete(callback: Autocomplete) -> Autocomplete:
    """An autocomplete callback that offers no choices, rather than raising, when it fails.

    discord.py would log a traceback and leave Discord saying "Loading options failed"; a
    database out of reach gets one log line, anything else its traceback, and no choices.
    """

    @functools.wraps(callback)
    async def offer(*args: Any) -> list[app_commands.Choice[Any]]:
        try:
            return await callback(*args)
        except Exception as error:
            interaction = next(a for a in args if isinstance(a, discord.Interaction))
            if database_unreachable(error):
                log.warning(
                    "database unreachable in autocomplete of %s (guild %s, user %s): %s",
                    interaction.command.qualified_name if interaction.command else "-",
                    interaction.guild_id,
                    interaction.user.id,
                    error_line(error),
                )
            else:
                log.exception("autocomplete failed in guild %s", interaction.guild_id)
            return []

    # A mark on the function object: add_command then wraps a callback only once.
    offer.__copbot_quiet__ = True  # type: ignore[attr-defined]
    return offer


def start_interaction_work(interaction: discord.Interaction[Any], *, watch: bool = True) -> None:
    """What every interaction's task does first, wherever discord.py starts it (a command, a
    view, a modal, a dynamic button): a fresh record of what it changes (so the error answer
    tells the truth) and, unless ``watch`` is off, the watch that answers it in time."""
    track_changes()
    if watch:
        watch_deadline(interaction)  # cogs/_ui/answers.py


_CLAIMED = "copbot_claimed"  # the claim's outcome, in the interaction's extras


async def claim_interaction(interaction: discord.Interaction[Any]) -> bool:
    """Whether this process handles the interaction: another one holding the same shard (an
    overlapping deploy) receives it too, and only the first to claim it acts (bot/claims.py).
    Asked again for the same interaction, the answer stays the same."""
    claimed = interaction.extras.get(_CLAIMED)
    if claimed is None:
        claims = getattr(interaction.client, "interaction_claims", None)
        claimed = True if claims is None else await claims.take(interaction.id)
        interaction.extras[_CLAIMED] = claimed
        if not claimed:
            log.info("interaction %s is handled by another process", interaction.id)
    return bool(claimed)


async def begin_interaction_work(
    interaction: discord.Interaction[Any], *, watch: bool = True
) -> bool:
    """:func:`start_interaction_work`, then the claim: False when another process handles the
    interaction, and this one must leave it alone."""
    start_interaction_work(interaction, watch=watch)
    return await claim_interaction(interaction)


class CopbotTree(app_commands.CommandTree[Any]):
    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        # Runs first in the task discord.py starts for this interaction (commands, context
        # menus, autocomplete): the record of what this interaction changes starts here.
        return await begin_interaction_work(interaction)

    def add_command(self, command: Any, /, *args: Any, **kwargs: Any) -> None:
        super().add_command(command, *args, **kwargs)
        commands = command.walk_commands() if isinstance(command, app_commands.Group) else [command]
        for each in commands:
            if not isinstance(each, app_commands.Command):
                continue  # context menus have no options
            # discord.py keeps an option's autocomplete callback only here.
            for parameter in each._params.values():
                callback = parameter.autocomplete
                if callback is not None and not getattr(callback, "__copbot_quiet__", False):
                    parameter.autocomplete = _quiet_autocomplete(callback)

    async def on_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        await report_interaction_error(interaction, error)


def note_discord_changes(http: Any) -> None:
    """Mark the current interaction's record whenever a Discord call may have changed something:
    any call but a read, unless Discord refused it (a 4xx refusal changes nothing). The bot
    wraps its own client's ``http`` once, when it is built."""
    request = http.request
    if getattr(request, "__copbot_noting__", False):
        return

    @functools.wraps(request)
    async def noting_request(route: Any, **kwargs: Any) -> Any:
        if route.method in _UNCHANGING_METHODS:
            return await request(route, **kwargs)
        try:
            answer = await request(route, **kwargs)
        except discord.HTTPException as refused:
            if refused.status >= 500:
                note_change("discord")  # Discord may have done it before failing
            raise
        except BaseException:
            note_change("discord")  # the call may have reached Discord
            raise
        note_change("discord")
        return answer

    # A mark on the function object: a second call finds it and wraps nothing again.
    noting_request.__copbot_noting__ = True  # type: ignore[attr-defined]
    http.request = noting_request
