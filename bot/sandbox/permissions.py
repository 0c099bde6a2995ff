"""Discord permission bits and the way Discord computes a member's permissions."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.sandbox.models import Channel, Guild, Member


class P:
    """Permission bits (the subset the sandbox checks, plus the usual ones)."""

    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    BAN_MEMBERS = 1 << 2
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_AUDIT_LOG = 1 << 7
    STREAM = 1 << 9
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    SEND_TTS_MESSAGES = 1 << 12
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    CONNECT = 1 << 20
    SPEAK = 1 << 21
    USE_VAD = 1 << 25
    CHANGE_NICKNAME = 1 << 26
    MANAGE_NICKNAMES = 1 << 27
    MANAGE_ROLES = 1 << 28
    MANAGE_WEBHOOKS = 1 << 29
    USE_APPLICATION_COMMANDS = 1 << 31
    REQUEST_TO_SPEAK = 1 << 32
    MANAGE_EVENTS = 1 << 33
    MANAGE_THREADS = 1 << 34
    CREATE_PUBLIC_THREADS = 1 << 35
    CREATE_PRIVATE_THREADS = 1 << 36
    USE_EXTERNAL_STICKERS = 1 << 37
    SEND_MESSAGES_IN_THREADS = 1 << 38
    USE_EMBEDDED_ACTIVITIES = 1 << 39
    MODERATE_MEMBERS = 1 << 40
    SEND_VOICE_MESSAGES = 1 << 46
    SEND_POLLS = 1 << 49
    USE_EXTERNAL_APPS = 1 << 50
    PIN_MESSAGES = 1 << 51

    ALL = (1 << 53) - 1


DEFAULT_EVERYONE = (
    P.CREATE_INSTANT_INVITE
    | P.ADD_REACTIONS
    | P.STREAM
    | P.VIEW_CHANNEL
    | P.SEND_MESSAGES
    | P.EMBED_LINKS
    | P.ATTACH_FILES
    | P.READ_MESSAGE_HISTORY
    | P.MENTION_EVERYONE
    | P.USE_EXTERNAL_EMOJIS
    | P.CONNECT
    | P.SPEAK
    | P.USE_VAD
    | P.CHANGE_NICKNAME
    | P.USE_APPLICATION_COMMANDS
    | P.REQUEST_TO_SPEAK
    | P.CREATE_PUBLIC_THREADS
    | P.CREATE_PRIVATE_THREADS
    | P.USE_EXTERNAL_STICKERS
    | P.SEND_MESSAGES_IN_THREADS
    | P.USE_EMBEDDED_ACTIVITIES
    | P.SEND_VOICE_MESSAGES
    | P.SEND_POLLS
    | P.USE_EXTERNAL_APPS
)

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
