"""The one permission check: member, moderator, coordinator.

Moderator and coordinator roles are chosen per community with ``/settings roles``; server
administrators always count as both. Discord's own command permissions only hide commands in the
UI, so every command checks here as well.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any, TypeVar

import discord
from discord import app_commands

from bot.errors import NotAllowed
from storage.communities import get_community
from storage.db import Database

T = TypeVar("T")


class Access(StrEnum):
    MEMBER = "member"
    MODERATOR = "moderator"
    COORDINATOR = "coordinator"


class AccessDenied(app_commands.CheckFailure):
    """Raised by the check; carries the explanation the error handler shows."""

    def __init__(self, error: NotAllowed) -> None:
        self.error = error
        super().__init__(error.user_message)


def granted_access(
    member: discord.Member, *, moderator_role_id: int | None, coordinator_role_id: int | None
) -> frozenset[Access]:
    if member.bot:
        return frozenset()
    granted = {Access.MEMBER}
    if member.guild_permissions.administrator:
        granted |= {Access.MODERATOR, Access.COORDINATOR}
    role_ids = {role.id for role in member.roles}
    if moderator_role_id in role_ids:
        granted.add(Access.MODERATOR)
    if coordinator_role_id in role_ids:
        granted.add(Access.COORDINATOR)
    return frozenset(granted)


async def access_of(interaction: discord.Interaction[Any]) -> frozenset[Access]:
    """What the user may do in this server (nothing outside a server)."""
    if interaction.guild is None or not isinstance(interaction.user, discord.Member):
        return frozenset()
    granted, _, _ = await _access_in_server(interaction.client.db, interaction.user)
    return granted


async def _access_in_server(
    db: Database, member: discord.Member
) -> tuple[frozenset[Access], int | None, int | None]:
    """The member's access, with the server's moderator and coordinator roles (None: unset)."""
    async with db.session() as session:
        community = await get_community(session, member.guild.id)
    moderator_role_id = community.moderator_role_id if community else None
    coordinator_role_id = community.coordinator_role_id if community else None
    granted = granted_access(
        member, moderator_role_id=moderator_role_id, coordinator_role_id=coordinator_role_id
    )
    return granted, moderator_role_id, coordinator_role_id


async def check_access(interaction: discord.Interaction[Any], needed: Access) -> None:
    """Raise :class:`AccessDenied` unless the user has ``needed`` in this server."""
    if interaction.guild is None or not isinstance(interaction.user, discord.Member):
        raise AccessDenied(
            NotAllowed(
                "This command works only inside a server.",
                "Run it in a channel of your community's server.",
            )
        )
    granted, moderator_role_id, coordinator_role_id = await _access_in_server(
        interaction.client.db, interaction.user
    )
    if needed in granted:
        return
    role_id = moderator_role_id if needed is Access.MODERATOR else coordinator_role_id
    if needed is Access.MEMBER:
        raise AccessDenied(NotAllowed("Bots cannot use this command."))
    if role_id is None:
        fix = (
            f"No {needed} role is set yet, so only server administrators count as {needed}s. "
            "An administrator can choose one with `/settings roles`."
        )
    else:
        fix = f"{needed.capitalize()}s are members with the <@&{role_id}> role; ask one of them."
    raise AccessDenied(NotAllowed(f"Only {needed}s can use this command.", fix))


def require(needed: Access) -> Callable[[T], T]:
    """Decorator for app commands: ``@require(Access.MODERATOR)``."""

    async def predicate(interaction: discord.Interaction[Any]) -> bool:
        try:
            await check_access(interaction, needed)
        except AccessDenied:
            raise
        except Exception as error:
            # discord.py only routes AppCommandErrors to the tree's error handler; anything
            # else raised in a check would vanish and leave the user with no answer.
            assert interaction.command is not None
            raise app_commands.CommandInvokeError(interaction.command, error) from error
        return True

    return app_commands.check(predicate)


def check_bot_can_post(
    channel: discord.TextChannel,
    *,
    threads: bool = False,
    or_else: str = "",
    threads_or_else: str = "",
) -> None:
    """Raise NotAllowed unless the bot may post embeds in ``channel`` (and open public threads
    there, with ``threads``). ``or_else`` and ``threads_or_else`` add the command's way around
    each refusal to its fix, e.g. ", or choose another channel"."""
    mine = channel.permissions_for(channel.guild.me)
    if not (mine.view_channel and mine.send_messages and mine.embed_links):
        raise NotAllowed(
            f"I can't post in {channel.mention}.",
            "Let my role view the channel, send messages and embed links there" + or_else + ".",
        )
    if threads and not mine.create_public_threads:
        raise NotAllowed(
            f"I can't open threads in {channel.mention}.",
            "Let my role create public threads there" + threads_or_else + ".",
        )


# Discord's error code when a server already has as many active threads as it allows: a limit,
# not a permission, but like one it stops the bot from opening a thread there.
MAX_ACTIVE_THREADS_REACHED = 160006


# What a moderator can do about it.
THREAD_LIMIT_FIX = "Archive threads that are done (or let them archive themselves)"


def is_thread_limit(error: discord.HTTPException) -> bool:
    """Discord refused a new thread because the server has too many active ones."""
    return error.code == MAX_ACTIVE_THREADS_REACHED
