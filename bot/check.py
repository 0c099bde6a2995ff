"""``copbot check``: is everything ready for the bot? Settings, the token, the privileged
intents, every server's permissions (server-wide and in the channels the bot posts in), roles
and time zone, and the database. Through Discord's REST API only (no gateway connection), so
it also works while the bot runs elsewhere. The result is a list of findings, each saying what
is wrong and how to fix it; the command line prints them (bot/cli.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import discord

from bot.cafe.values import CafeState
from bot.client import REQUIRED_PERMISSIONS, TOKEN_CHECK_WITHIN, point_discord_py_at
from bot.config import Settings, database_location, sqlite_path

if TYPE_CHECKING:
    from storage.db import Database

# The application's flags (GET /applications/@me) that say which privileged intents the
# Developer Portal switched on; "limited" is what Discord grants bots in fewer than 100 servers.
GATEWAY_GUILD_MEMBERS = 1 << 14
GATEWAY_GUILD_MEMBERS_LIMITED = 1 << 15
GATEWAY_MESSAGE_CONTENT = 1 << 18
GATEWAY_MESSAGE_CONTENT_LIMITED = 1 << 19

INTENTS_WHERE = "Developer Portal > your app > Bot > Privileged Gateway Intents"
ROLES_FIX = "create the roles in Server Settings > Roles, then set them with /settings roles"

_P = discord.Permissions
ADMINISTRATOR = _P(administrator=True).value
VIEW_CHANNEL = _P(view_channel=True).value
SEND_MESSAGES = _P(send_messages=True).value
# Discord takes these away in a channel where the bot cannot send messages.
_SEND_DEPENDENT = _P(
    mention_everyone=True, send_tts_messages=True, attach_files=True, embed_links=True
).value
ALL_PERMISSIONS = _P.all().value

# What each feature needs in its channel.
_POSTING = _P(view_channel=True, send_messages=True, embed_links=True, read_message_history=True)
REVIEW_NEEDS = _POSTING.value
PROMPT_NEEDS = _POSTING.value
PROMPT_THREAD_NEEDS = _P(create_public_threads=True, send_messages_in_threads=True).value
INBOX_NEEDS = (
    _POSTING
    | _P(read_message_history=True, create_public_threads=True, send_messages_in_threads=True)
).value
"""A learning-alliance platform's inbox: copies with a thread each, found again by reading."""
CAFE_NEEDS = (
    _POSTING | _P(create_public_threads=True, manage_threads=True, send_messages_in_threads=True)
).value

# Discord's own names for the permissions, as the server settings show them.
_SHOWN_NAMES = {
    "view_channel": "View Channels",
    "send_messages_in_threads": "Send Messages in Threads",
}


_ALIASES = {"read_messages", "manage_permissions", "use_slash_commands", "manage_emojis"}


def permission_names(bits: int) -> list[str]:
    """The permissions in ``bits``, as Discord's server settings name them."""
    names: dict[int, str] = {}
    for flag, value in _P.VALID_FLAGS.items():
        # discord.py keeps old names as aliases of the same bit: the first one that is not
        # an alias names it.
        if bits & value and value not in names and flag not in _ALIASES:
            names[value] = _SHOWN_NAMES.get(flag, flag.replace("_", " ").title())
    return list(names.values())


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing to fix: what is wrong and what to do; ``server`` None for the whole set-up.
    A warning is worth a look but does not stop the bot from working."""

    problem: str
    fix: str = ""
    server: str | None = None
    warning: bool = False

    def line(self) -> str:
        text = f"{self.problem}: {self.fix}" if self.fix else self.problem
        return f"warning: {text}" if self.warning else text


def report_lines(findings: Sequence[Finding]) -> list[str]:
    """Plain text: the set-up's findings first, then each server's under its name, then a last
    line saying whether all is well."""
    lines: list[str] = []
    groups: dict[str | None, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(finding.server, []).append(finding)
    for server, found in groups.items():
        lines.append("Set-up:" if server is None else f"Server {server}:")
        lines += [f"  - {finding.line()}" for finding in found]
    to_fix = sum(1 for finding in findings if not finding.warning)
    warnings = len(findings) - to_fix
    if not findings:
        lines.append("All is well")
    elif not to_fix:
        lines.append(f"Nothing to fix; {_count(warnings, 'warning')} above")
    else:
        lines.append(f"{_count(to_fix, 'thing')} to fix")
    return lines


def exit_code(findings: Sequence[Finding]) -> int:
    """0 when nothing must be fixed (warnings alone do not fail), 1 otherwise."""
    return 1 if any(not finding.warning for finding in findings) else 0


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


# --- intents ----------------------------------------------------------------------------------


def missing_intents(flags: int, *, message_content: bool) -> list[str]:
    """The privileged intents the bot asks for that the application's ``flags`` do not grant,
    by the names the Developer Portal shows."""
    missing = []
    if not flags & (GATEWAY_GUILD_MEMBERS | GATEWAY_GUILD_MEMBERS_LIMITED):
        missing.append("Server Members Intent")
    if message_content and not flags & (GATEWAY_MESSAGE_CONTENT | GATEWAY_MESSAGE_CONTENT_LIMITED):
        missing.append("Message Content Intent")
    return missing


# --- permissions, as Discord computes them ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Overwrite:
    """A channel's permission overwrite for a role (``is_member`` False) or a member."""

    target_id: int
    is_member: bool
    allow: int
    deny: int


def base_permissions(
    role_permissions: Mapping[int, int],
    everyone_id: int,
    member_role_ids: Iterable[int],
    *,
    is_owner: bool,
) -> int:
    """Server-wide permissions: @everyone's and the member's roles'; everything for the owner
    and for administrators."""
    if is_owner:
        return ALL_PERMISSIONS
    permissions = role_permissions.get(everyone_id, 0)
    for role_id in member_role_ids:
        permissions |= role_permissions.get(role_id, 0)
    if permissions & ADMINISTRATOR:
        return ALL_PERMISSIONS
    return permissions


def channel_permissions(
    base: int,
    overwrites: Iterable[Overwrite],
    everyone_id: int,
    member_id: int,
    member_role_ids: Iterable[int],
) -> int:
    """Permissions in a channel: @everyone's overwrite, then the roles' (all denies, then all
    allows), then the member's own, in Discord's documented order."""
    if base & ADMINISTRATOR or base == ALL_PERMISSIONS:
        return ALL_PERMISSIONS
    by_role = {o.target_id: o for o in overwrites if not o.is_member}
    own = next((o for o in overwrites if o.is_member and o.target_id == member_id), None)
    permissions = base
    everyone = by_role.get(everyone_id)
    if everyone is not None:
        permissions = (permissions & ~everyone.deny) | everyone.allow
    allow = deny = 0
    for role_id in member_role_ids:
        role_overwrite = by_role.get(role_id)
        if role_overwrite is not None:
            allow |= role_overwrite.allow
            deny |= role_overwrite.deny
    permissions = (permissions & ~deny) | allow
    if own is not None:
        permissions = (permissions & ~own.deny) | own.allow
    if not permissions & VIEW_CHANNEL:
        return 0
    if not permissions & SEND_MESSAGES:
        permissions &= ~_SEND_DEPENDENT
    return permissions


# --- what the database says about each server ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChannelUse:
    """A channel the bot posts in: for what, and what it needs there."""

    channel_id: int
    purpose: str  # e.g. "the review channel", "café 3"
    needs: int


@dataclass(frozen=True, slots=True)
class CommunityFacts:
    """A server's settings as the database holds them."""

    timezone: str
    moderator_role_id: int | None
    coordinator_role_id: int | None
    rolesync: bool
    channels: tuple[ChannelUse, ...] = ()
    synced_role_ids: tuple[int, ...] = ()
    paused_inboxes: tuple[tuple[str, str], ...] = ()
    """Learning-alliance platforms whose deliveries wait, with why: (name, reason)."""


@dataclass(frozen=True, slots=True)
class DatabaseState:
    """The database's findings, and the servers' settings when it could be read."""

    findings: list[Finding] = field(default_factory=list)
    communities: dict[int, CommunityFacts] | None = None


async def check_database(settings: Settings, guild_ids: Iterable[int]) -> DatabaseState:
    """Is the database there, reachable and migrated? If so, the settings of the servers
    ``guild_ids`` that it knows.

    Creates nothing: a missing SQLite file is a finding. Lets the database driver's errors
    through (the command line words them, as for every other command)."""
    from storage.backup import known_revisions
    from storage.db import Database

    where = database_location(settings.database_url)
    path = sqlite_path(settings.database_url)
    if path is not None and not path.exists():
        return DatabaseState(
            [Finding(f"{where} does not exist yet", "run copbot migrate (or copbot run)")]
        )
    db = Database.connect(settings.database_url)
    try:
        current = await db.schema_revision()
        known = known_revisions()
        newest = known[-1]
        if current is None:
            problem, fix = f"{where} has no copbot tables", "run copbot migrate"
        elif current not in known:
            problem = f"{where} was made by a newer copbot (schema {current})"
            fix = "install that copbot version, or restore a backup made with this one"
        elif current != newest:
            problem = f"{where} is at schema {current}, this copbot needs {newest}"
            fix = "run copbot migrate (copbot run also does it when it starts)"
        else:
            return DatabaseState([], await _community_facts(db, guild_ids))
        return DatabaseState([Finding(problem, fix)])
    finally:
        await db.dispose()


async def _community_facts(db: Database, guild_ids: Iterable[int]) -> dict[int, CommunityFacts]:
    from storage.cafes import list_cafes
    from storage.communities import get_community
    from storage.platforms import platforms_of
    from storage.prompts import list_prompt_schedules
    from storage.synced_roles import synced_roles

    facts: dict[int, CommunityFacts] = {}
    async with db.session() as session:
        for guild_id in guild_ids:
            community = await get_community(session, guild_id)
            if community is None:
                continue
            uses: list[ChannelUse] = []
            if community.review_channel_id is not None:
                uses.append(
                    ChannelUse(community.review_channel_id, "the review channel", REVIEW_NEEDS)
                )
            cafes = await list_cafes(
                session, guild_id, states=(CafeState.OPEN, CafeState.RUNNING), limit=100
            )
            uses += [ChannelUse(cafe.channel_id, f"café {cafe.id}", CAFE_NEEDS) for cafe in cafes]
            for prompt_schedule, schedule in await list_prompt_schedules(session, guild_id):
                if schedule.paused:
                    continue
                needs = PROMPT_NEEDS | (PROMPT_THREAD_NEEDS if prompt_schedule.make_thread else 0)
                uses.append(
                    ChannelUse(
                        prompt_schedule.channel_id,
                        f"the question schedule {prompt_schedule.id} ({prompt_schedule.theme})",
                        needs,
                    )
                )
            paused: list[tuple[str, str]] = []
            for platform in await platforms_of(session, guild_id):
                if platform.inbox_paused is not None:
                    paused.append((platform.name, platform.inbox_paused))
                elif platform.inbox_channel_id is not None:
                    uses.append(
                        ChannelUse(
                            platform.inbox_channel_id,
                            f"the inbox of the platform {platform.name}",
                            INBOX_NEEDS,
                        )
                    )
            remembered = await synced_roles(session, guild_id)
            facts[guild_id] = CommunityFacts(
                timezone=community.timezone,
                moderator_role_id=community.moderator_role_id,
                coordinator_role_id=community.coordinator_role_id,
                rolesync=community.rolesync,
                channels=tuple(uses),
                synced_role_ids=tuple(role.role_id for role in remembered),
                paused_inboxes=tuple(paused),
            )
    return facts


# --- one server, from Discord's payloads ----------------------------------------------------------


def server_findings(
    guild: Mapping[str, Any],
    channels: Sequence[Mapping[str, Any]],
    bot_member: Mapping[str, Any],
    bot_id: int,
    facts: CommunityFacts | None,
    *,
    database_read: bool = True,
) -> list[Finding]:
    """What is wrong in one server: ``guild`` as GET /guilds/{id} gives it (with its roles),
    its channels, the bot's member object, and the server's settings from the database
    (None: the database has none; ``database_read`` False: it could not be read)."""
    server = str(guild["name"])
    everyone_id = int(guild["id"])
    roles = {int(role["id"]): role for role in guild.get("roles", [])}
    role_permissions = {role_id: int(role["permissions"]) for role_id, role in roles.items()}
    bot_roles = [int(role_id) for role_id in bot_member.get("roles", [])]
    owner_id = guild.get("owner_id")
    base = base_permissions(
        role_permissions,
        everyone_id,
        bot_roles,
        is_owner=owner_id is not None and int(owner_id) == bot_id,
    )
    found: list[Finding] = []

    def add(problem: str, fix: str, *, warning: bool = False) -> None:
        found.append(Finding(problem, fix, server, warning))

    missing = REQUIRED_PERMISSIONS.value & ~base
    if missing:
        add(
            "the bot's role lacks " + ", ".join(permission_names(missing)),
            "give them to its role in Server Settings > Roles (or invite it again with the "
            "invite link copbot run prints)",
        )
    if facts is None:
        if database_read:
            add(
                "copbot has no settings for this server yet",
                "start copbot run, then set the roles with /settings roles and the time zone "
                "with /settings timezone",
            )
        return found

    by_id = {int(channel["id"]): channel for channel in channels}
    for use in facts.channels:
        channel = by_id.get(use.channel_id)
        if channel is None:
            add(
                f"the channel of {use.purpose} no longer exists",
                "choose another channel for it",
            )
            continue
        overwrites = [
            Overwrite(int(o["id"]), int(o.get("type", 0)) == 1, int(o["allow"]), int(o["deny"]))
            for o in channel.get("permission_overwrites", [])
        ]
        have = channel_permissions(base, overwrites, everyone_id, bot_id, bot_roles)
        lacking = use.needs & ~have
        if lacking:
            add(
                f"in #{channel.get('name')} ({use.purpose}) the bot lacks "
                + ", ".join(permission_names(lacking)),
                f"allow them for the bot's role in #{channel.get('name')} > Edit Channel > "
                "Permissions",
            )

    for name, reason in facts.paused_inboxes:
        add(
            f"copies shared with the platform {name} wait: {reason}",
            "choose its inbox with /platform inbox (the waiting copies go then)",
        )

    for what, role_id in (
        ("moderator", facts.moderator_role_id),
        ("coordinator", facts.coordinator_role_id),
    ):
        if role_id is None:
            add(f"the {what} role is not set", ROLES_FIX)
        elif role_id not in roles:
            add(f"the {what} role set in copbot no longer exists", ROLES_FIX)

    if facts.rolesync:
        top = max((int(roles[r].get("position", 0)) for r in bot_roles if r in roles), default=0)
        below = [
            str(roles[role_id]["name"])
            for role_id in facts.synced_role_ids
            if role_id in roles and int(roles[role_id].get("position", 0)) >= top
        ]
        if below:
            add(
                "role sync cannot manage " + ", ".join(sorted(below)) + ": they sit at or above "
                "the bot's highest role",
                "drag the bot's role above them in Server Settings > Roles",
            )

    if facts.timezone == "UTC":
        add(
            "the time zone is still UTC",
            "set it with /settings timezone",
            warning=True,
        )
    return found


# --- Discord --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServerPayloads:
    """One server as Discord's REST API shows it to the bot."""

    guild: Mapping[str, Any]  # GET /guilds/{id}, roles included
    channels: Sequence[Mapping[str, Any]]  # GET /guilds/{id}/channels
    bot_member: Mapping[str, Any]  # GET /guilds/{id}/members/{bot id}

    @property
    def guild_id(self) -> int:
        return int(self.guild["id"])


@dataclass(frozen=True, slots=True)
class DiscordState:
    """The token's bot, the application's findings (intents), the servers the bot is in (of this
    process's slice), and how many it is in altogether."""

    bot_id: int
    findings: list[Finding]
    servers: list[ServerPayloads]
    all_servers: int


GUILDS_PAGE = 200  # the most GET /users/@me/guilds returns at a time


async def check_discord(
    settings: Settings,
    token: str,
    *,
    serves: Callable[[int], bool] | None = None,
    within: float = TOKEN_CHECK_WITHIN,
) -> DiscordState:
    """The token, the privileged intents, the shard count Discord recommends, and every server
    the bot is in as Discord shows it (only those ``serves`` accepts, when given).

    Raises what discord.py and aiohttp raise for a refused token or an unreachable Discord
    (as :func:`bot.client.check_token`), for the command line to word."""
    if settings.discord_api_base and settings.discord_gateway_url:
        point_discord_py_at(settings.discord_api_base, settings.discord_gateway_url)
    http = discord.http.HTTPClient(asyncio.get_running_loop())
    found: list[Finding] = []
    servers: list[ServerPayloads] = []
    try:
        async with asyncio.timeout(within):
            me = await http.static_login(token)
            bot_id = int(me["id"])
            application = await http.application_info()
            missing = missing_intents(
                int(application.get("flags") or 0),
                message_content=settings.discord_message_content,
            )
            if missing:
                fix = f"switch {' and '.join(missing)} on in the {INTENTS_WHERE}"
                if "Message Content Intent" in missing:
                    fix += " (or set DISCORD_MESSAGE_CONTENT=off to run without message content)"
                found.append(Finding("the bot may not use " + " and ".join(missing), fix))
            recommended, _, _ = await http.get_bot_gateway()
        guild_ids = await _all_guild_ids(http)
        if not guild_ids:
            found.append(
                Finding(
                    "the bot is in no server",
                    "invite it with the invite link copbot run prints when it starts",
                )
            )
        shards = settings.shard_count or 1
        if recommended > shards:
            found.append(
                Finding(
                    f"Discord recommends {recommended} shards for the bot's "
                    f"{len(guild_ids)} servers; it runs {shards}",
                    f"set SHARD_COUNT={recommended} in every process and split SHARD_IDS "
                    "between them (README: Running several processes)",
                    warning=True,
                )
            )
        for guild_id in guild_ids:
            if serves is not None and not serves(guild_id):
                continue
            servers.append(
                ServerPayloads(
                    await http.get_guild(guild_id, with_counts=False),
                    await http.get_all_guild_channels(guild_id),
                    await http.get_member(guild_id, bot_id),
                )
            )
    finally:
        await http.close()
    return DiscordState(bot_id, found, servers, len(guild_ids))


async def _all_guild_ids(http: discord.http.HTTPClient) -> list[int]:
    """Every server the bot is in, a page at a time."""
    ids: list[int] = []
    while True:
        page = await http.get_guilds(GUILDS_PAGE, after=ids[-1] if ids else None)
        ids += sorted(int(partial["id"]) for partial in page)
        if len(page) < GUILDS_PAGE:
            return ids


async def guild_findings(
    http: discord.http.HTTPClient, db: Database, guild_id: int, bot_id: int
) -> list[Finding]:
    """One server's findings from inside the running bot (``/about`` for moderators): its own
    logged-in REST client and database, the same checks as ``copbot check``."""
    guild = await http.get_guild(guild_id, with_counts=False)
    channels = await http.get_all_guild_channels(guild_id)
    bot_member = await http.get_member(guild_id, bot_id)
    facts = (await _community_facts(db, [guild_id])).get(guild_id)
    return server_findings(guild, channels, bot_member, bot_id, facts)


def all_server_findings(
    discord_state: DiscordState, database: DatabaseState | None
) -> list[Finding]:
    """Every server's findings, with the settings the database holds (``database`` None, or
    without communities: it could not be read, so only Discord's side is checked)."""
    communities = None if database is None else database.communities
    found: list[Finding] = []
    for server in discord_state.servers:
        found += server_findings(
            server.guild,
            server.channels,
            server.bot_member,
            discord_state.bot_id,
            None if communities is None else communities.get(server.guild_id),
            database_read=communities is not None,
        )
    return found
