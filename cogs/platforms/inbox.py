"""Where a platform's copies and notices go: its inbox, one rule for the commands and the
deliveries alike."""

from __future__ import annotations

import logging

import discord

from bot.client import CopBot
from bot.platforms.values import Platform

log = logging.getLogger(__name__)

NO_PINGS = discord.AllowedMentions.none()


def can_take_copies(channel: discord.TextChannel) -> bool:
    """Whether the bot can post a copy there, open its thread for responses, and read the
    channel's recent messages (to find a copy again after a crash)."""
    mine = channel.permissions_for(channel.guild.me)
    return bool(
        mine.view_channel
        and mine.send_messages
        and mine.embed_links
        and mine.read_message_history
        and mine.create_public_threads
    )


def inbox_of(guild: discord.Guild, platform: Platform) -> tuple[discord.TextChannel | None, bool]:
    """The platform's inbox, and whether it is the default: the channel a moderator chose while
    it exists (whether the bot may post there is the caller's question), else the platform's
    first text channel (in its category, or in the server) that can take copies."""
    if platform.inbox_channel_id is not None:
        chosen = guild.get_channel(platform.inbox_channel_id)
        if isinstance(chosen, discord.TextChannel):
            return chosen, False
    for channel in guild.text_channels:  # in the order the server shows them
        if platform.category_id is not None and channel.category_id != platform.category_id:
            continue
        if can_take_copies(channel):
            return channel, True
    return None, True


async def tell_inbox(bot: CopBot, platform: Platform, text: str) -> bool:
    """A plain notice in a platform's inbox, if the bot can post there; False when it could not
    (a notice never fails the command or the event that caused it)."""
    guild = bot.get_guild(platform.community_id)
    if guild is None or platform.removed_at is not None:
        return False
    channel, _ = inbox_of(guild, platform)
    if channel is None:
        log.info("no inbox to tell in platform %s", platform.id)
        return False
    mine = channel.permissions_for(guild.me)
    if not (mine.view_channel and mine.send_messages):
        log.info("cannot post in the inbox of platform %s", platform.id)
        return False
    try:
        await channel.send(text, allowed_mentions=NO_PINGS)
    except discord.HTTPException as error:
        log.warning("could not tell platform %s's inbox: %s", platform.id, error)
        return False
    return True
