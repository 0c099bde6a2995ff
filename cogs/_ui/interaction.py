"""The interaction every copbot command receives: in a server, from a member.

Every slash command group and context menu is guild-only (``app_commands.guild_only``), so
Discord never sends one from a direct message. ``GuildInteraction`` says so to the type checker,
as RoboDanny's ``GuildContext`` does for prefix commands: ``guild``, ``guild_id`` and ``user``
are never None (or a bare ``User``) there, and no callback has to assert it. At run time it is
``discord.Interaction`` itself, so discord.py sees nothing new.

discord.py types a command's callback as taking ``Interaction[Any]``; a callback that takes the
narrower ``GuildInteraction`` is declared with :func:`guild_command` instead of
``app_commands.command``, and its suggestions with :func:`guild_autocomplete` (the same
decorators at run time). Buttons and forms, which discord.py
hands a plain interaction, narrow it with :func:`in_guild`, which checks.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar, cast

import discord
from discord import app_commands

from bot.errors import NotAllowed

if TYPE_CHECKING:
    from bot.client import CopBot

    class GuildInteraction(discord.Interaction[CopBot]):
        guild_id: int
        user: discord.Member

        @property
        def guild(self) -> discord.Guild: ...

else:
    GuildInteraction = discord.Interaction

CogT = TypeVar("CogT")
Decorated = TypeVar("Decorated")
Options = ParamSpec("Options")
GuildCallback = Callable[Concatenate[CogT, "GuildInteraction", Options], Coroutine[Any, Any, None]]
CommandOf = app_commands.Command[Any, Options, None]
GuildAutocomplete = Callable[
    ["GuildInteraction", str], Coroutine[Any, Any, list[app_commands.Choice[Any]]]
]


def guild_command(
    *, name: str, description: str, group: app_commands.Group | None = None
) -> Callable[[GuildCallback[CogT, Options]], CommandOf[Options]]:
    """``app_commands.command`` (or ``group.command`` for a subgroup) for a callback that takes
    a GuildInteraction. Only the type changes: the command's group is guild-only."""
    decorator = (group.command if group is not None else app_commands.command)(
        name=name, description=description
    )
    return cast(Callable[[GuildCallback[CogT, Options]], CommandOf[Options]], decorator)


def guild_autocomplete(**callbacks: GuildAutocomplete) -> Callable[[Decorated], Decorated]:
    """``app_commands.autocomplete`` for suggestion callbacks that take a GuildInteraction
    (they serve guild-only commands, so they come from a server too)."""
    return app_commands.autocomplete(**cast(dict[str, Any], callbacks))


def in_guild(interaction: discord.Interaction[Any]) -> GuildInteraction:
    """The interaction of a button or form as a GuildInteraction: they only ever sit on
    messages in a server, and this checks it rather than assuming it."""
    if interaction.guild is None or not isinstance(interaction.user, discord.Member):
        raise NotAllowed(
            "This only works in a server.", "Use it on the message in the server it came from."
        )
    return cast(GuildInteraction, interaction)
