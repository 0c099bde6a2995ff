"""A message's thread, opened once: a step that a job may repeat after a crash or a retry."""

from __future__ import annotations

from typing import Final, Literal

import discord

THREAD_EXISTS: Final = 160004  # Discord: "A thread has already been created for this message"

ArchiveMinutes = Literal[60, 1440, 4320, 10080]


async def thread_of(
    client: discord.Client,
    message: discord.Message | discord.PartialMessage,
    *,
    name: str,
    archive_minutes: ArchiveMinutes,
) -> discord.Thread:
    """The message's thread, opened now unless it is open already."""
    if isinstance(message, discord.Message) and message.thread is not None:
        return message.thread
    try:
        return await message.create_thread(name=name, auto_archive_duration=archive_minutes)
    except discord.HTTPException as error:
        if error.code != THREAD_EXISTS:
            raise
    # Opened by a try that stopped before recording it: a message's thread has its id.
    thread = await client.fetch_channel(message.id)
    assert isinstance(thread, discord.Thread)
    return thread
