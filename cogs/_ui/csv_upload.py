"""A CSV file attached to a slash command, imported: the one way both import commands work."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.errors import BadInput
from bot.membership.imports import MAX_IMPORT_BYTES, ImportResult
from cogs._ui.embeds import Tone, make_embed
from cogs._ui.interaction import GuildInteraction

# The service method that applies a file: (community id, community name, bytes, actor_id=...,
# and the options given to import_attachment), such as ``bot.imports.import_members``.
Importer = Callable[..., Awaitable[ImportResult]]


def check_csv_attachment(attachment: discord.Attachment) -> None:
    """BadInput unless the attached file looks like a CSV of a size we accept."""
    looks_like_csv = attachment.filename.lower().endswith((".csv", ".txt")) or (
        attachment.content_type or ""
    ).startswith(("text/csv", "text/plain"))
    if not looks_like_csv:
        raise BadInput(
            f"`{attachment.filename[:80]}` is not a CSV file.",
            "In your spreadsheet choose File > Save as (or Download) > CSV UTF-8, "
            "then attach that file.",
        )
    if attachment.size > MAX_IMPORT_BYTES:
        raise BadInput(
            f"The file is {attachment.size:,} bytes; the limit is {MAX_IMPORT_BYTES:,}.",
            "Split it into smaller files and import them one after the other.",
        )


async def import_attachment(
    interaction: GuildInteraction,
    file: discord.Attachment,
    importer: Importer,
    *,
    title: str,
    what: str,
    footer: str,
    **options: Any,
) -> ImportResult:
    """Read, apply (all or nothing) and answer privately with the counts. ``options`` go to the
    importer as they are.

    A file with errors raises ImportRejected, which the error handler shows line by line.
    """
    check_csv_attachment(file)
    # Downloading the file and applying it may take longer than an answer may wait.
    await interaction.response.defer(ephemeral=True, thinking=True)
    data = await file.read()
    result = await importer(
        interaction.guild.id,
        interaction.guild.name,
        data,
        actor_id=interaction.user.id,
        **options,
    )
    embed = make_embed(title, result.summary(what), tone=Tone.SUCCESS, footer=footer)
    await interaction.followup.send(embed=embed, ephemeral=True)
    return result
