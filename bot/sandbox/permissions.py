"""Discord permission bits and the way Discord computes a member's permissions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.sandbox.permission_bits import DEFAULT_EVERYONE, P

if TYPE_CHECKING:
    from bot.sandbox.models import Channel, Guild, Member

# The bits are re-exported here: callers read permissions from one module.
__all__ = ["DEFAULT_EVERYONE", "P", "base_permissions", "channel_permissions", "has"]


# Bits that only make sense at guild level: channel overwrites cannot grant or remove them.
_SEND_DEPENDENT = P.MENTION_EVERYONE | P.SEND_TTS_MESSAGES | P.ATTACH_FILES | P.EMBED_LINKS


def base_permissions(guild: Guild, member: Member) -> int:
    """Guild-level permissions: owner and administrator get everything."""
    if guild.owner is not None and guild.owner.id == member.user.id:
        return P.ALL
    perms = guild.everyone.permissions
    for role in member.roles:
        perms |= role.permissions
    if perms & P.ADMINISTRATOR:
        return P.ALL
    return perms


def channel_permissions(guild: Guild, member: Member, channel: Channel) -> int:
    """Permissions in a channel as Discord computes them (threads use their parent's)."""
    perms = base_permissions(guild, member)
    if perms & P.ADMINISTRATOR or perms == P.ALL:
        return P.ALL
    target = channel.parent if channel.is_thread and channel.parent is not None else channel
    overwrites = target.overwrites
    everyone = overwrites.get(guild.id)
    if everyone is not None:
        perms &= ~everyone[1]
        perms |= everyone[0]
    allow = deny = 0
    for role in member.roles:
        ow = overwrites.get(role.id)
        if ow is not None:
            allow |= ow[0]
            deny |= ow[1]
    perms &= ~deny
    perms |= allow
    own = overwrites.get(member.user.id)
    if own is not None:
        perms &= ~own[1]
        perms |= own[0]
    if not perms & P.VIEW_CHANNEL:
        return 0
    if not perms & P.SEND_MESSAGES:
        perms &= ~_SEND_DEPENDENT
    # Private threads are visible to their members and to those who manage threads.
    if (
        channel.type == 12
        and member.user.id not in channel.thread_members
        and not perms & P.MANAGE_THREADS
    ):
        return 0
    return perms


def has(perms: int, *bits: int) -> bool:
    return all(perms & bit == bit for bit in bits)
