"""The sandbox's world: users, guilds, roles, members, channels, threads and messages."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.sandbox.errors import SandboxError
from bot.sandbox.permission_bits import DEFAULT_EVERYONE

DISCORD_EPOCH_MS = 1420070400000
MAX_ROLES = 250  # per guild, @everyone included
MAX_ACTIVE_THREADS = 1000  # per guild: unarchived threads, public and private
MAX_ROLE_NAME = 100
MAX_NICK = 32

_lock = threading.Lock()
_last = [0]


def snowflake() -> int:
    """A real-looking, strictly increasing 64-bit Discord id built from the current time."""
    with _lock:
        candidate = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22 | (1 << 17) | (1 << 12)
        value = max(candidate, _last[0] + 1)
        _last[0] = value
        return value


_last_guild_ms = [0]


def guild_snowflake() -> int:
    """A snowflake for a new guild whose time part (``id >> 22``, the milliseconds) is past the
    previous guild's. A guild's shard is ``(id >> 22) % shard_count``: guilds made within one
    millisecond would otherwise all share a shard; one millisecond apart, consecutive guilds go
    round the shards. Still strictly increasing with every other id."""
    with _lock:
        candidate = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22 | (1 << 17) | (1 << 12)
        value = max(candidate, _last[0] + 1)
        if value >> 22 <= _last_guild_ms[0]:
            value = (_last_guild_ms[0] + 1) << 22 | (1 << 17) | (1 << 12)
        _last[0] = value
        _last_guild_ms[0] = value >> 22
        return value


def snowflake_time(value: int) -> dt.datetime:
    ms = (value >> 22) + DISCORD_EPOCH_MS
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)


def iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


_discriminators = itertools.count(1)


@dataclass(eq=False)
class User:
    id: int
    name: str
    global_name: str | None = None
    bot: bool = False
    accepts_dms: bool = True
    avatar: str | None = None

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    @property
    def display_name(self) -> str:
        return self.global_name or self.name


# The application's flags that say which privileged intents the Developer Portal switched on.
GATEWAY_GUILD_MEMBERS = 1 << 14
GATEWAY_GUILD_MEMBERS_LIMITED = 1 << 15
GATEWAY_MESSAGE_CONTENT = 1 << 18
GATEWAY_MESSAGE_CONTENT_LIMITED = 1 << 19


@dataclass(eq=False)
class BotAccount:
    user: User
    token: str
    application_id: int
    # As GET /applications/@me reports them; tests switch intents off as the portal does.
    application_flags: int = GATEWAY_GUILD_MEMBERS | GATEWAY_MESSAGE_CONTENT


@dataclass(eq=False)
class Role:
    id: int
    guild: Guild
    name: str
    permissions: int = 0
    color: int = 0
    position: int = 0
    hoist: bool = False
    mentionable: bool = False
    managed: bool = False
    bot_id: int | None = None

    @property
    def mention(self) -> str:
        return f"<@&{self.id}>"

    @property
    def is_everyone(self) -> bool:
        return self.id == self.guild.id


@dataclass(eq=False)
class Member:
    user: User
    guild: Guild
    roles: list[Role] = field(default_factory=list)
    nick: str | None = None
    joined_at: dt.datetime = field(default_factory=now)

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def mention(self) -> str:
        return f"<@{self.user.id}>"

    @property
    def top_position(self) -> int:
        return max((r.position for r in self.roles), default=0)

    @property
    def display_name(self) -> str:
        return self.nick or self.user.display_name


@dataclass(eq=False)
class Attachment:
    id: int
    filename: str
    data: bytes
    content_type: str | None = None
    description: str | None = None
    url: str = ""

    @property
    def size(self) -> int:
        return len(self.data)


TEXT, DM, CATEGORY, ANNOUNCEMENT, PUBLIC_THREAD, PRIVATE_THREAD = 0, 1, 4, 5, 11, 12
ARCHIVE_DURATIONS = (60, 1440, 4320, 10080)


@dataclass(eq=False)
class Channel:
    id: int
    type: int
    name: str | None
    guild: Guild | None = None
    topic: str | None = None
    parent: Channel | None = None
    position: int = 0
    overwrites: dict[int, tuple[int, int]] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)
    # threads
    owner_id: int | None = None
    archived: bool = False
    locked: bool = False
    invitable: bool = True
    auto_archive_duration: int = 1440
    archive_timestamp: dt.datetime = field(default_factory=now)
    thread_members: dict[int, dt.datetime] = field(default_factory=dict)
    total_message_sent: int = 0
    # DMs
    recipient: User | None = None
    last_message_id: int | None = None

    @property
    def is_thread(self) -> bool:
        return self.type in (PUBLIC_THREAD, PRIVATE_THREAD)

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"

    @property
    def message_count(self) -> int:
        return len(self.messages)

    @property
    def threads(self) -> list[Channel]:
        if self.guild is None:
            return []
        return [t for t in self.guild.threads if t.parent is self]

    def get_message(self, message_id: int) -> Message | None:
        for message in self.messages:
            if message.id == message_id:
                return message
        return None


@dataclass(eq=False)
class Message:
    id: int
    channel: Channel
    author: User
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    flags: int = 0
    type: int = 0
    reference: Message | None = None
    mentions: list[User] = field(default_factory=list)
    mention_roles: list[int] = field(default_factory=list)
    mention_everyone: bool = False
    reactions: dict[str, list[int]] = field(default_factory=dict)
    pinned: bool = False
    webhook_id: int | None = None
    application_id: int | None = None
    interaction_metadata: dict[str, Any] | None = None
    thread: Channel | None = None
    # A thread-created notice (type 18) points at the thread it announces.
    thread_reference: Channel | None = None
    edited_at: dt.datetime | None = None
    deleted: bool = False
    nonce: str | None = None  # as sent; with enforce_nonce it makes a retried send idempotent

    @property
    def created_at(self) -> dt.datetime:
        return snowflake_time(self.id)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & 64)

    def find_component(self, custom_id: str) -> dict[str, Any] | None:
        for comp in walk_components(self.components):
            if comp.get("custom_id") == custom_id:
                return comp
        return None


def walk_components(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every component, depth first (rows, sections, containers, labels included)."""
    out: list[dict[str, Any]] = []
    for comp in components:
        out.append(comp)
        out.extend(walk_components(comp.get("components") or []))
        if isinstance(comp.get("component"), dict):
            out.extend(walk_components([comp["component"]]))
        if isinstance(comp.get("accessory"), dict):
            out.extend(walk_components([comp["accessory"]]))
    return out


class GuildEvents(Protocol):
    """What a guild needs of the sandbox that owns it: the gateway events its changes cause.

    Defined here, below the sandbox, so the world does not import the sandbox back.
    """

    def role_event(self, event: str, role: Role) -> None: ...

    def channel_event(self, event: str, channel: Channel) -> None: ...

    def member_event(self, event: str, member: Member) -> None: ...

    def bot_joined(self, guild: Guild, bot: BotAccount, role: Role, member: Member) -> None: ...

    def bot_left(
        self, guild: Guild, member: Member, roles: list[Role], moved: list[Role]
    ) -> None: ...


class Guild:
    """A guild; its world-building methods dispatch the matching gateway events."""

    def __init__(self, sandbox: GuildEvents, name: str, owner: User | None) -> None:
        self._sandbox = sandbox
        self.id = guild_snowflake()
        self.name = name
        self.owner = owner
        self.roles: list[Role] = [
            Role(id=self.id, guild=self, name="@everyone", permissions=DEFAULT_EVERYONE)
        ]
        self.channels: list[Channel] = []
        self.threads: list[Channel] = []
        # Discord refuses a new thread while this many are active; a test may lower it.
        self.max_active_threads = MAX_ACTIVE_THREADS
        self.members: dict[int, Member] = {}
        self.system_channel: Channel | None = None

    def __repr__(self) -> str:
        return f"<Guild {self.name!r} id={self.id}>"

    # reading -------------------------------------------------------------
    @property
    def everyone(self) -> Role:
        return self.roles[0]

    def get_role(self, role_id: int) -> Role | None:
        return next((r for r in self.roles if r.id == role_id), None)

    def get_channel(self, channel_id: int) -> Channel | None:
        for channel in itertools.chain(self.channels, self.threads):
            if channel.id == channel_id:
                return channel
        return None

    def channel(self, name: str) -> Channel:
        for channel in self.channels:
            if channel.name == name:
                return channel
        raise SandboxError(f"no channel named {name!r} in {self.name}")

    def get_member(self, user_id: int) -> Member | None:
        return self.members.get(user_id)

    def member_named(self, name: str) -> Member:
        for member in self.members.values():
            if member.user.name == name:
                return member
        raise SandboxError(f"no member named {name!r} in {self.name}")

    # world building ------------------------------------------------------
    def create_role(
        self,
        name: str,
        permissions: int = 0,
        color: int = 0,
        *,
        hoist: bool = False,
        mentionable: bool = False,
    ) -> Role:
        """A new role at the bottom of the list (just above @everyone), as Discord makes it."""
        if len(self.roles) >= MAX_ROLES:
            raise SandboxError(f"Maximum number of server roles reached ({MAX_ROLES})")
        if len(name) > MAX_ROLE_NAME:
            raise SandboxError(f"a role name has at most {MAX_ROLE_NAME} characters")
        shifted: list[Role] = []
        for index, other in enumerate(sorted(self.roles[1:], key=lambda r: (r.position, r.id))):
            if other.position != index + 2:
                other.position = index + 2
                shifted.append(other)
        role = Role(
            id=snowflake(),
            guild=self,
            name=name,
            permissions=permissions,
            color=color,
            position=1,
            hoist=hoist,
            mentionable=mentionable,
        )
        self.roles.append(role)
        self._sandbox.role_event("GUILD_ROLE_CREATE", role)
        for other in shifted:  # every role above moved up one: the clients hear of it
            self._sandbox.role_event("GUILD_ROLE_UPDATE", other)
        return role

    def delete_role(self, role: Role) -> None:
        """Remove a role (and take it from its members); the roles above move down one."""
        if role.is_everyone or role not in self.roles:
            raise SandboxError("only a role of this guild other than @everyone can be deleted")
        self.roles.remove(role)
        for member in self.members.values():
            if role in member.roles:
                member.roles.remove(role)
        self._sandbox.role_event("GUILD_ROLE_DELETE", role)
        for moved in self._arrange_roles({}):
            self._sandbox.role_event("GUILD_ROLE_UPDATE", moved)

    def update_role(
        self,
        role: Role,
        *,
        name: str | None = None,
        permissions: int | None = None,
        position: int | None = None,
        color: int | None = None,
        hoist: bool | None = None,
        mentionable: bool | None = None,
    ) -> Role:
        """Change a role as an administrator would; GUILD_ROLE_UPDATE for it and for every role
        a new ``position`` shifted (positions stay unique and contiguous, @everyone at 0)."""
        if role.guild is not self or role not in self.roles:
            raise SandboxError(f"{role.name!r} is not a role of {self.name}")
        if name is not None:
            if not 1 <= len(name) <= MAX_ROLE_NAME:
                raise SandboxError(f"a role name has 1 to {MAX_ROLE_NAME} characters")
            role.name = name
        if permissions is not None:
            role.permissions = int(permissions)
        if color is not None:
            role.color = int(color)
        if hoist is not None:
            role.hoist = hoist
        if mentionable is not None:
            role.mentionable = mentionable
        moved: list[Role] = []
        if position is not None:
            if role.is_everyone:
                raise SandboxError("@everyone always stays at position 0")
            if position < 1:
                raise SandboxError("roles sit at position 1 or above (@everyone has 0)")
            moved = self._arrange_roles({role: position})
        for changed in [role, *(r for r in moved if r is not role)]:
            self._sandbox.role_event("GUILD_ROLE_UPDATE", changed)
        return role

    def _arrange_roles(self, wanted: dict[Role, int]) -> list[Role]:
        """Put the roles in ``wanted`` at those positions (clamped to 1..n), the others keeping
        their order around them; renumber 1..n contiguously. Returns the roles that moved."""
        others = sorted(
            (r for r in self.roles if not r.is_everyone), key=lambda r: (r.position, r.id)
        )
        count = len(others)
        slots: list[Role | None] = [None] * count
        for role, position in sorted(
            wanted.items(), key=lambda item: (item[1], item[0].position, item[0].id)
        ):
            index = min(max(position, 1), count) - 1
            free = [i for i in range(count) if slots[i] is None]
            index = min(free, key=lambda i: (abs(i - index), i < index))
            slots[index] = role
        rest = iter(r for r in others if r not in wanted)
        moved: list[Role] = []
        for index, slot in enumerate(slots):
            role = slot if slot is not None else next(rest)
            if role.position != index + 1:
                role.position = index + 1
                moved.append(role)
        return moved

    def create_category(self, name: str) -> Channel:
        channel = Channel(id=snowflake(), type=CATEGORY, name=name, guild=self)
        return self._add_channel(channel)

    def create_text_channel(
        self, name: str, category: Channel | None = None, topic: str | None = None
    ) -> Channel:
        channel = Channel(
            id=snowflake(),
            type=TEXT,
            name=name,
            guild=self,
            topic=topic,
            parent=category,
            overwrites=dict(category.overwrites) if category else {},
        )
        return self._add_channel(channel)

    def _add_channel(self, channel: Channel) -> Channel:
        channel.position = len(self.channels)
        self.channels.append(channel)
        self._sandbox.channel_event("CHANNEL_CREATE", channel)
        return channel

    def add_member(
        self, user: User, roles: list[Role] | None = None, nick: str | None = None
    ) -> Member:
        if user.id in self.members:
            raise SandboxError(f"{user.name} is already a member of {self.name}")
        member = Member(user=user, guild=self, roles=list(roles or []), nick=nick)
        self.members[user.id] = member
        self._sandbox.member_event("GUILD_MEMBER_ADD", member)
        return member

    def add_bot(self, bot: BotAccount, permissions: int = 0) -> Member:
        """The bot joins with a managed role (at the top) holding ``permissions``."""
        if bot.user.id in self.members:
            raise SandboxError("that bot is already in the guild")
        role = Role(
            id=snowflake(),
            guild=self,
            name=bot.user.name,
            permissions=permissions,
            position=len(self.roles),
            managed=True,
            bot_id=bot.user.id,
        )
        self.roles.append(role)
        member = Member(user=bot.user, guild=self, roles=[role])
        self.members[bot.user.id] = member
        self._sandbox.bot_joined(self, bot, role, member)
        return member

    def remove_member(self, user: User | Member) -> None:
        """A member leaves or is kicked. A bot also loses its managed role, as on Discord (the
        roles above move down one), and is told it was removed from the guild."""
        member = self.members.pop(user.id, None)
        if member is None:
            raise SandboxError("not a member")
        for thread in self.threads:
            thread.thread_members.pop(user.id, None)
        if not member.user.bot:
            self._sandbox.member_event("GUILD_MEMBER_REMOVE", member)
            return
        managed = [r for r in self.roles if r.managed and r.bot_id == member.user.id]
        for role in managed:
            self.roles.remove(role)
        moved = self._arrange_roles({}) if managed else []
        self._sandbox.bot_left(self, member, managed, moved)

    def set_member_roles(self, user: User | Member, roles: list[Role]) -> Member:
        member = self.members.get(user.id)
        if member is None:
            raise SandboxError("not a member")
        member.roles = [r for r in roles if not r.is_everyone]
        self._sandbox.member_event("GUILD_MEMBER_UPDATE", member)
        return member

    def set_member_nick(self, user: User | Member, nick: str | None) -> Member:
        """A new server nickname (None or "" removes it): GUILD_MEMBER_UPDATE."""
        member = self.members.get(user.id)
        if member is None:
            raise SandboxError("not a member")
        if nick is not None and len(nick) > MAX_NICK:
            raise SandboxError(f"a nickname has at most {MAX_NICK} characters")
        member.nick = nick or None
        self._sandbox.member_event("GUILD_MEMBER_UPDATE", member)
        return member

    def set_channel_overwrites(
        self, channel: Channel, overwrites: dict[Any, tuple[int, int]]
    ) -> Channel:
        """Overwrites keyed by a Role, Member, User or an id; values (allow, deny)."""
        channel.overwrites = {
            (key if isinstance(key, int) else key.id): (int(a), int(d))
            for key, (a, d) in overwrites.items()
        }
        self._sandbox.channel_event("CHANNEL_UPDATE", channel)
        return channel
