"""The Sandbox: a loopback Discord (REST v10 + gateway) on one port of 127.0.0.1."""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import secrets
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.sandbox import payloads
from bot.sandbox.actors import Actors
from bot.sandbox.errors import SandboxError, SandboxTimeout
from bot.sandbox.faults import Faults
from bot.sandbox.gateway import (
    DIRECT_MESSAGE_REACTIONS,
    DIRECT_MESSAGES,
    GUILD_MEMBERS,
    GUILD_MESSAGE_REACTIONS,
    GUILD_MESSAGES,
    GUILDS,
    INVALID_SESSION,
    MAX_GUILDS_PER_SHARD,
    MESSAGE_CONTENT,
    RECONNECT,
    Gateway,
    GatewaySession,
    ResumeRecord,
    SessionStarts,
    recommended_shards,
)
from bot.sandbox.holds import Hold, Holds
from bot.sandbox.interactions import SandboxInteraction
from bot.sandbox.models import (
    DM,
    PUBLIC_THREAD,
    Attachment,
    BotAccount,
    Channel,
    Guild,
    Member,
    Message,
    Role,
    User,
    now,
    snowflake,
)
from bot.sandbox.permissions import P, channel_permissions
from bot.sandbox.ratelimits import RateLimitConfig, RateLimiter
from bot.sandbox.rest import build_app, route_templates

log = logging.getLogger("bot.sandbox")

_MENTION_USER = re.compile(r"<@!?(\d+)>")
_MENTION_ROLE = re.compile(r"<@&(\d+)>")

HAS_THREAD = 1 << 5  # message flag: a thread was started from this message
THREAD_CREATED = 18  # message type: the notice of a thread started without a message

_MESSAGE_EVENTS = ("MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE", "MESSAGE_DELETE_BULK")
_REACTION_EVENTS = (
    "MESSAGE_REACTION_ADD",
    "MESSAGE_REACTION_REMOVE",
    "MESSAGE_REACTION_REMOVE_ALL",
    "MESSAGE_REACTION_REMOVE_EMOJI",
)


class Sandbox(Actors):
    """A Discord for one process: build a world, connect discord.py to it, act as its users."""

    def __init__(
        self,
        rate_limits: bool = True,
        interaction_deadline: float = 3.0,
        rate_limit_config: RateLimitConfig | None = None,
        *,
        max_guilds_per_shard: int = MAX_GUILDS_PER_SHARD,
        max_concurrency: int = 1,
        identify_interval: float = 0.0,
    ) -> None:
        """``max_guilds_per_shard``: a session holding more guilds is closed with 4011 (Discord:
        2,500; tests lower it). ``max_concurrency`` and ``identify_interval``: identifies allowed
        per interval, one per bucket ``shard_id % max_concurrency`` (Discord: 5 s; 0 leaves the
        rate unchecked); one too soon gets INVALID_SESSION."""
        self.rate_limits = rate_limits
        self.max_guilds_per_shard = max_guilds_per_shard
        self.session_starts = SessionStarts(max_concurrency, identify_interval)
        self.interaction_deadline = interaction_deadline
        # Seconds the attachment server takes before it sends a file (a large file on a slow
        # link); tests raise it to see what waits on a download.
        self.attachment_latency = 0.0
        self.rate_limit_config = rate_limit_config or RateLimitConfig()
        self.limiter = RateLimiter(self.rate_limit_config, enabled=rate_limits)
        self.users: dict[int, User] = {}
        self.bots: dict[str, BotAccount] = {}
        self.guilds: list[Guild] = []
        self.requests: list[tuple[str, str, int]] = []
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.rate_limited_count = 0
        self.faults = Faults()
        self.holds = Holds()
        self.command_sync_count = 0
        self.registered_commands: dict[tuple[int, int | None], list[dict[str, Any]]] = {}
        self.gateway_sessions: dict[str, GatewaySession] = {}  # by session id
        self.gateway_resumes: list[ResumeRecord] = []  # every RESUME accepted, in order
        self._messages: dict[int, Message] = {}
        self.attachments_by_id: dict[int, Attachment] = {}
        self.interactions_by_id: dict[int, SandboxInteraction] = {}
        self._dm_channels: dict[tuple[int, int], Channel] = {}
        self._gateway = Gateway(self)
        self._runner: web.AppRunner | None = None
        self.port = 0

    # server --------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def start(self, port: int = 0) -> None:
        if self._runner is not None:
            raise SandboxError("sandbox already started")
        app = build_app(self, self._gateway)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = self._runner.addresses[0][1]  # the one site's (host, port): 0 lets the OS pick
        log.info("sandbox listening on %s", self.base_url)

    async def stop(self) -> None:
        if self._runner is None:
            return
        self.holds.clear()  # a request still held would keep the server from stopping
        await self._gateway.close_all()
        await self._runner.cleanup()
        self._runner = None

    async def __aenter__(self) -> Sandbox:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def set_rate_limits(self, config: RateLimitConfig, enabled: bool = True) -> None:
        self.rate_limits = enabled
        self.rate_limit_config = config
        self.limiter = RateLimiter(config, enabled=enabled)

    def inject_failures(
        self,
        method: str,
        route: str,
        count: int | None,
        *,
        status: int = 429,
        retry_after: float = 0.2,
    ) -> None:
        """The next ``count`` requests to ``route`` (a template as Discord documents it, e.g.
        ``"/channels/{channel_id}/threads"``; None: until :meth:`clear_failures`) fail with
        ``status``: a 429 with Discord's body and headers (``retry_after``, ``Via``, the route's
        bucket), or a 5xx. Any request to the route takes one, whichever channel it names."""
        if (method.upper(), route) not in route_templates():
            raise SandboxError(f"the sandbox has no route {method.upper()} {route}")
        self.faults.inject(method, route, count, status=status, retry_after=retry_after)

    def clear_failures(self) -> None:
        self.faults.clear()

    def hold(self, method: str, route: str) -> Hold:
        """Keep the next request to ``route`` (a template, as for :meth:`inject_failures`)
        waiting until the returned hold is released; ``hold.arrived`` is set when it comes."""
        if (method.upper(), route) not in route_templates():
            raise SandboxError(f"the sandbox has no route {method.upper()} {route}")
        return self.holds.add(method, route)

    # world building ------------------------------------------------------
    def create_user(
        self,
        name: str,
        global_name: str | None = None,
        bot: bool = False,
        *,
        accepts_dms: bool = True,
    ) -> User:
        user = User(
            id=snowflake(), name=name, global_name=global_name, bot=bot, accepts_dms=accepts_dms
        )
        self.users[user.id] = user
        return user

    def set_global_name(self, user: User, global_name: str | None) -> User:
        """A user's new display name: GUILD_MEMBER_UPDATE in every guild they are in."""
        if global_name is not None and not 1 <= len(global_name) <= 32:
            raise SandboxError("a global name has 1 to 32 characters")
        user.global_name = global_name
        for guild in self.guilds:
            member = guild.get_member(user.id)
            if member is not None:
                self.member_event("GUILD_MEMBER_UPDATE", member)
        return user

    def create_bot(self, name: str = "copbot") -> BotAccount:
        user = self.create_user(name, bot=True)
        head = base64.urlsafe_b64encode(str(user.id).encode()).decode().rstrip("=")
        token = f"{head}.{secrets.token_urlsafe(4)}.{secrets.token_urlsafe(27)}"
        bot = BotAccount(user=user, token=token, application_id=user.id)
        self.bots[token] = bot
        return bot

    def create_guild(self, name: str, owner: User | None = None) -> Guild:
        guild = Guild(self, name, owner)
        self.guilds.append(guild)
        if owner is not None:
            guild.members[owner.id] = Member(user=owner, guild=guild)
        guild.system_channel = guild.create_text_channel("general")
        return guild

    def get_guild(self, guild_id: int) -> Guild | None:
        return next((g for g in self.guilds if g.id == guild_id), None)

    def get_channel(self, channel_id: int) -> Channel | None:
        for guild in self.guilds:
            channel = guild.get_channel(channel_id)
            if channel is not None:
                return channel
        for channel in self._dm_channels.values():
            if channel.id == channel_id:
                return channel
        return None

    @property
    def dm_channels(self) -> dict[tuple[int, int], Channel]:
        """Open DM channels by (bot user id, recipient id)."""
        return self._dm_channels

    def get_message(self, message_id: int) -> Message | None:
        return self._messages.get(message_id)

    def commands(self, guild: Guild | None = None) -> list[dict[str, Any]]:
        """The application commands the bots registered (global when ``guild`` is None)."""
        gid = guild.id if guild else None
        out: list[dict[str, Any]] = []
        for (_app, g), cmds in self.registered_commands.items():
            if g == gid:
                out.extend(cmds)
        return out

    def dm_channel(self, bot: BotAccount, user: User) -> Channel:
        key = (bot.user.id, user.id)
        channel = self._dm_channels.get(key)
        if channel is None:
            channel = Channel(id=snowflake(), type=DM, name=None, recipient=user)
            self._dm_channels[key] = channel
        return channel

    def bot_in(self, guild: Guild) -> list[BotAccount]:
        return [b for b in self.bots.values() if b.user.id in guild.members]

    def guilds_of(self, bot: BotAccount) -> list[Guild]:
        return [g for g in self.guilds if bot.user.id in g.members]

    def recommended_shards(self, bot: BotAccount) -> int:
        """The shard count ``GET /gateway/bot`` recommends for ``bot``."""
        return recommended_shards(len(self.guilds_of(bot)), self.max_guilds_per_shard)

    def sessions_of(self, bot: BotAccount, guild: Guild | None = None) -> list[GatewaySession]:
        """The bot's live gateway sessions (one per shard it identified); with ``guild``, those
        whose shard holds that guild."""
        return [
            s
            for s in self.gateway_sessions.values()
            if s.alive and s.bot is bot and (guild is None or s.owns(guild))
        ]

    def ready_of(self, bot: BotAccount) -> dict[int, dict[str, Any]]:
        """The last READY each shard of ``bot`` was sent, by shard id."""
        found: dict[int, dict[str, Any]] = {}
        for event, payload in self.events:
            if event == "READY" and payload["user"]["id"] == str(bot.user.id):
                found[payload.get("shard", [0, 1])[0]] = payload
        return found

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:  # noqa: ASYNC109
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise SandboxTimeout("condition not met in time")
            await asyncio.sleep(0.01)

    def disconnect_bot(
        self, resumable: bool = True, bot: BotAccount | None = None, shard_id: int | None = None
    ) -> None:
        """Drop the bot's WebSockets (of one shard with ``shard_id``); a resumable drop lets it
        RESUME and get the missed events."""
        for session in self._sessions_of_shard(bot, shard_id):
            conn = session.connection
            session.connection = None
            if not resumable:
                session.alive = False  # a RESUME still on its way is answered INVALID_SESSION
            if conn is None:
                continue
            if resumable:
                conn.close(4000)
            else:
                conn.send({"op": INVALID_SESSION, "d": False, "s": None, "t": None})

    def reconnect_bot(self, bot: BotAccount | None = None, shard_id: int | None = None) -> None:
        """Ask the bot's connected sessions (of one shard with ``shard_id``) to reconnect and
        resume (op 7 RECONNECT, as Discord does before moving a session); events from now on
        wait for the RESUME."""
        for session in self._sessions_of_shard(bot, shard_id):
            if session.connection is not None:
                session.connection.send({"op": RECONNECT, "d": None, "s": None, "t": None})
                session.connection = None

    def cut_next_resume(self, shard_id: int = 0, *, after: int = 1) -> None:
        """The next RESUME of ``shard_id`` replays ``after`` of the missed events, then its
        connection drops before RESUMED (a drop in the middle of a replay)."""
        self._gateway.cut_next_resume(shard_id, after)

    def _sessions_of_shard(
        self, bot: BotAccount | None, shard_id: int | None
    ) -> list[GatewaySession]:
        return [
            s
            for s in self.gateway_sessions.values()
            if (bot is None or s.bot is bot) and (shard_id is None or s.shard_id == shard_id)
        ]

    def is_connected(self, bot: BotAccount | None = None) -> bool:
        return any(
            s.alive and s.connection is not None and (bot is None or s.bot is bot)
            for s in self.gateway_sessions.values()
        )

    # permissions ---------------------------------------------------------
    def permissions_for(self, user: User, channel: Channel) -> int:
        if channel.guild is None:
            return (
                P.VIEW_CHANNEL
                | P.SEND_MESSAGES
                | P.READ_MESSAGE_HISTORY
                | P.ADD_REACTIONS
                | P.EMBED_LINKS
                | P.ATTACH_FILES
            )
        member = channel.guild.get_member(user.id)
        if member is None:
            return 0
        return channel_permissions(channel.guild, member, channel)

    # gateway plumbing ----------------------------------------------------
    def bot_by_token(self, token: str) -> BotAccount | None:
        return self.bots.get(token)

    def log_event(self, event: str, payload: dict[str, Any]) -> None:
        self.events.append((event, payload))
        log.debug("dispatch %s", event)

    def emit(
        self,
        event: str,
        build: Callable[[GatewaySession], dict[str, Any] | None],
        *,
        guild: Guild | None = None,
        channel: Channel | None = None,
        only_bot: BotAccount | None = None,
    ) -> None:
        """Dispatch to every live session that may receive ``event`` (shard, intents, membership,
        view): a guild's events go to the shard holding it, the rest (DMs) to shard 0."""
        for session in list(self.gateway_sessions.values()):
            if not session.alive or not session.owns(guild):
                continue
            bot = session.bot
            if only_bot is not None and bot is not only_bot:
                continue
            if guild is not None and bot.user.id not in guild.members:
                continue
            if not self._intent_allows(session, event, guild, channel):
                continue
            if (
                channel is not None
                and channel.guild is not None
                and not (self.permissions_for(bot.user, channel) & P.VIEW_CHANNEL)
            ):
                continue
            if channel is not None and channel.guild is None:
                recipient = channel.recipient.id if channel.recipient else 0
                if self._dm_channels.get((bot.user.id, recipient)) is not channel:
                    continue
            payload = build(session)
            if payload is None:
                continue
            session.dispatch(event, payload)
            self.log_event(event, payload)

    def _intent_allows(
        self, session: GatewaySession, event: str, guild: Guild | None, channel: Channel | None
    ) -> bool:
        is_dm = channel is not None and channel.guild is None
        if event in _MESSAGE_EVENTS:
            return session.has(DIRECT_MESSAGES if is_dm else GUILD_MESSAGES)
        if event in _REACTION_EVENTS:
            return session.has(DIRECT_MESSAGE_REACTIONS if is_dm else GUILD_MESSAGE_REACTIONS)
        if event.startswith("GUILD_MEMBER_"):
            return session.has(GUILD_MEMBERS)
        if event == "INTERACTION_CREATE":
            return True
        if event.startswith(("GUILD_", "CHANNEL_", "THREAD_")):
            return session.has(GUILDS)
        return True

    def visible_threads(self, guild: Guild, bot: BotAccount) -> list[Channel]:
        return [
            t
            for t in guild.threads
            if not t.archived and self.permissions_for(bot.user, t) & P.VIEW_CHANNEL
        ]

    def send_ready(self, session: GatewaySession, shard: list[int] | None) -> None:
        bot = session.bot
        guilds = [g for g in self.guilds_of(bot) if session.owns(g)]
        ready: dict[str, Any] = {
            "v": 10,
            "user": payloads.current_user(bot.user),
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.session_id,
            "resume_gateway_url": self.gateway_url,
            "session_type": "normal",
            "application": {"id": str(bot.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "user_settings": {},
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["sandbox"],
            "auth": {},
            "_trace": ["sandbox"],
        }
        if shard is not None:
            ready["shard"] = shard
        session.dispatch("READY", ready)
        self.log_event("READY", ready)
        for guild in guilds:
            self._guild_create(session, guild)
        log.info(
            "%s identified (intents %s, shard %s of %s, %d guilds)",
            bot.user.name,
            session.intents,
            session.shard_id,
            session.shard_count,
            len(guilds),
        )

    def _guild_create(self, session: GatewaySession, guild: Guild) -> None:
        if not session.has(GUILDS):
            return
        payload = payloads.guild_create(
            guild,
            me=session.bot.user.id,
            threads=self.visible_threads(guild, session.bot),
            large_threshold=session.large_threshold,
        )
        session.dispatch("GUILD_CREATE", payload)
        self.log_event("GUILD_CREATE", payload)

    def request_members(self, session: GatewaySession, data: dict[str, Any]) -> None:
        guild_ids = data["guild_id"]  # required in a Request Guild Members
        ids = guild_ids if isinstance(guild_ids, list) else [guild_ids]
        for gid in ids:
            guild = self.get_guild(int(gid))
            if guild is None or session.bot.user.id not in guild.members:
                continue
            if not session.owns(guild):
                continue  # another shard's guild: Discord answers only for the session's own
            members = list(guild.members.values())
            query = (data.get("query") or "").lower()
            user_ids = data.get("user_ids")
            limit = int(data.get("limit") or 0)
            if user_ids:
                wanted = {int(u) for u in (user_ids if isinstance(user_ids, list) else [user_ids])}
                members = [m for m in members if m.user.id in wanted]
            elif query:
                members = [
                    m
                    for m in members
                    if m.user.name.lower().startswith(query)
                    or (m.nick or "").lower().startswith(query)
                ]
                members = members[: limit or 100]
            elif not session.has(GUILD_MEMBERS):
                members = []
            elif limit:
                members = members[:limit]
            chunks = [members[i : i + 1000] for i in range(0, len(members), 1000)] or [[]]
            for index, chunk in enumerate(chunks):
                payload: dict[str, Any] = {
                    "guild_id": str(guild.id),
                    "members": [payloads.member(m) for m in chunk],
                    "chunk_index": index,
                    "chunk_count": len(chunks),
                }
                if data.get("nonce") is not None:
                    payload["nonce"] = data["nonce"]
                if user_ids and index == 0:
                    found = {m.user.id for m in members}
                    payload["not_found"] = [str(u) for u in wanted if u not in found]
                session.dispatch("GUILD_MEMBERS_CHUNK", payload)
                self.log_event("GUILD_MEMBERS_CHUNK", payload)

    # events used by the models -------------------------------------------
    def role_event(self, event: str, role: Role) -> None:
        guild = role.guild
        if event == "GUILD_ROLE_DELETE":
            data: dict[str, Any] = {"guild_id": str(guild.id), "role_id": str(role.id)}
        else:
            data = {"guild_id": str(guild.id), "role": payloads.role(role)}
        self.emit(event, lambda s: data, guild=guild)

    def channel_event(self, event: str, channel: Channel) -> None:
        guild = channel.guild
        if channel.is_thread:
            self.thread_event(event.replace("CHANNEL_", "THREAD_"), channel)
            return
        self.emit(
            event,
            lambda s: payloads.channel(channel),
            guild=guild,
            channel=None if event == "CHANNEL_DELETE" else channel,
        )

    def thread_event(self, event: str, thread: Channel, *, newly_created: bool = False) -> None:
        guild = thread.guild

        def build(session: GatewaySession) -> dict[str, Any]:
            if event == "THREAD_DELETE":
                return {
                    "id": str(thread.id),
                    "guild_id": str(guild.id) if guild else None,
                    "parent_id": str(thread.parent.id) if thread.parent else None,
                    "type": thread.type,
                }
            data = payloads.channel(thread, me=session.bot.user.id)
            if newly_created:
                data["newly_created"] = True
            return data

        self.emit(event, build, guild=guild, channel=thread)

    def member_event(self, event: str, member: Member) -> None:
        guild = member.guild

        def build(session: GatewaySession) -> dict[str, Any]:
            if event == "GUILD_MEMBER_REMOVE":
                return {"guild_id": str(guild.id), "user": payloads.user(member.user)}
            data = payloads.member(member)
            data["guild_id"] = str(guild.id)
            return data

        for session in list(self.gateway_sessions.values()):
            own = session.bot.user.id == member.user.id and session.alive and session.owns(guild)
            if event == "GUILD_MEMBER_UPDATE" and own and not session.has(GUILD_MEMBERS):
                # a bot always hears about its own member updates
                payload = build(session)
                session.dispatch(event, payload)
                self.log_event(event, payload)
        self.emit(event, build, guild=guild)

    def bot_joined(self, guild: Guild, bot: BotAccount, role: Role, member: Member) -> None:
        for session in self.sessions_of(bot, guild):
            self._guild_create(session, guild)
        for other in self.bot_in(guild):
            if other is bot:
                continue
            self.emit(
                "GUILD_ROLE_CREATE",
                lambda s: {"guild_id": str(guild.id), "role": payloads.role(role)},
                guild=guild,
                only_bot=other,
            )
            self.emit(
                "GUILD_MEMBER_ADD",
                lambda s: {**payloads.member(member), "guild_id": str(guild.id)},
                guild=guild,
                only_bot=other,
            )

    def bot_left(self, guild: Guild, member: Member, roles: list[Role], moved: list[Role]) -> None:
        """A bot is out of ``guild`` (already taken from its members): its own sessions get
        GUILD_DELETE without ``unavailable`` (removed, not an outage: discord.py then calls
        ``on_guild_remove``); the bots still there see a member leave and its role go."""
        payload = {"id": str(guild.id)}
        for session in list(self.gateway_sessions.values()):
            if session.bot.user.id != member.user.id or not session.alive:
                continue
            if session.owns(guild) and session.has(GUILDS):
                session.dispatch("GUILD_DELETE", payload)
                self.log_event("GUILD_DELETE", payload)
        self.member_event("GUILD_MEMBER_REMOVE", member)
        for role in roles:
            self.role_event("GUILD_ROLE_DELETE", role)
        for role in moved:
            self.role_event("GUILD_ROLE_UPDATE", role)
        log.info("%s is no longer in %s", member.user.name, guild.name)

    def remove_bot_from(self, guild: Guild, bot: BotAccount) -> None:
        """The bot is kicked from ``guild`` (or leaves it): it gets GUILD_DELETE, and REST
        refuses it the guild and its channels from then on."""
        if bot.user.id not in guild.members:
            raise SandboxError(f"{bot.user.name} is not in {guild.name}")
        guild.remove_member(bot.user)

    # messages (shared by REST and the simulated users) ---------------------
    def new_message(
        self,
        channel: Channel,
        author: User,
        body: dict[str, Any],
        *,
        attachments: list[Attachment] | None = None,
        reference: Message | None = None,
        webhook_id: int | None = None,
        application_id: int | None = None,
        interaction_metadata: dict[str, Any] | None = None,
        message_type: int = 0,
        ephemeral: bool = False,
        dispatch: bool = True,
        thread_reference: Channel | None = None,
    ) -> Message:
        content = str(body.get("content") or "")
        flags = int(body.get("flags") or 0) & ~(1 << 2)  # SUPPRESS_EMBEDS kept, others as sent
        if ephemeral:
            flags |= 64
        embeds = list(body.get("embeds") or [])
        for embed in embeds:
            embed.setdefault("type", "rich")
        message = Message(
            id=snowflake(),
            channel=channel,
            author=author,
            content=content,
            embeds=embeds,
            components=list(body.get("components") or []),
            attachments=attachments or [],
            flags=flags,
            type=message_type,
            reference=reference,
            webhook_id=webhook_id,
            application_id=application_id,
            interaction_metadata=interaction_metadata,
            thread_reference=thread_reference,
        )
        self._fill_mentions(message, body.get("allowed_mentions"))
        self._messages[message.id] = message
        if not ephemeral:
            channel.messages.append(message)
            channel.last_message_id = message.id
            if channel.is_thread:
                channel.total_message_sent += 1
                if channel.archived and not channel.locked:
                    channel.archived = False
                channel.thread_members.setdefault(author.id, now())
            if dispatch:
                self.dispatch_message("MESSAGE_CREATE", message)
        if not author.bot:
            log.info("#%s %s: %s", channel.name, author.name, content[:80])
        else:
            log.info(
                "#%s [bot] %s: %s",
                channel.name,
                author.name,
                content[:80] or _embed_summary(message),
            )
        return message

    def _fill_mentions(self, message: Message, allowed: dict[str, Any] | None) -> None:
        guild = message.channel.guild
        users: list[User] = []
        for raw in _MENTION_USER.findall(message.content):
            user = self.users.get(int(raw))
            if user is not None and user not in users:
                users.append(user)
        if message.reference is not None and message.reference.author not in users:
            replied = allowed is None or allowed.get("replied_user", True)
            if replied:
                users.append(message.reference.author)
        message.mentions = users
        if guild is not None:
            message.mention_roles = [
                int(r) for r in _MENTION_ROLE.findall(message.content) if guild.get_role(int(r))
            ]
        message.mention_everyone = "@everyone" in message.content or "@here" in message.content

    def _message_payload_for(self, session: GatewaySession, message: Message) -> dict[str, Any]:
        bot_id = session.bot.user.id
        reference = message.reference
        return payloads.message(
            message,
            hide_content=_content_withheld(session, message),
            viewer_id=bot_id,
            # the message replied to is withheld by the same rule, on its own terms
            hide_reference_content=reference is not None and _content_withheld(session, reference),
        )

    def dispatch_message(self, event: str, message: Message) -> None:
        channel = message.channel
        self.emit(
            event,
            lambda s: self._message_payload_for(s, message),
            guild=channel.guild,
            channel=channel,
        )

    def apply_message_edit(
        self, message: Message, body: dict[str, Any], attachments: list[Attachment] | None = None
    ) -> Message:
        if "content" in body:
            message.content = str(body.get("content") or "")
        if "embeds" in body:
            message.embeds = list(body.get("embeds") or [])
            for embed in message.embeds:
                embed.setdefault("type", "rich")
        if "components" in body:
            message.components = list(body.get("components") or [])
        if "flags" in body and body["flags"] is not None:
            message.flags = (message.flags & 64) | (int(body["flags"]) & ~64)
        if attachments is not None:
            message.attachments = attachments
        message.flags &= ~128  # no longer loading
        message.edited_at = now()
        self._fill_mentions(message, body.get("allowed_mentions"))
        if not message.ephemeral:
            self.dispatch_message("MESSAGE_UPDATE", message)
        return message

    def remove_message(self, message: Message) -> None:
        channel = message.channel
        message.deleted = True
        if message in channel.messages:
            channel.messages.remove(message)
        if message.ephemeral:
            return
        data: dict[str, Any] = {"id": str(message.id), "channel_id": str(channel.id)}
        if channel.guild is not None:
            data["guild_id"] = str(channel.guild.id)
        self.emit("MESSAGE_DELETE", lambda s: data, guild=channel.guild, channel=channel)

    def start_thread(
        self,
        parent: Channel,
        owner: User,
        name: str,
        thread_type: int,
        *,
        starter: Message | None = None,
        auto_archive_duration: int = 1440,
        invitable: bool = True,
    ) -> Channel:
        """A new thread, as Discord makes one (checks are the caller's): THREAD_CREATE with
        ``newly_created``; from a message, the thread takes the message's id and the message a
        MESSAGE_UPDATE (``thread`` and the HAS_THREAD flag); a public thread started without a
        message is announced in the parent by a thread-created notice (type 18) whose author is
        the thread's owner, whose text is the thread's name and whose reference is the thread."""
        guild = parent.guild
        assert guild is not None
        thread = Channel(
            id=starter.id if starter is not None else snowflake(),
            type=thread_type,
            name=name,
            guild=guild,
            parent=parent,
            owner_id=owner.id,
            auto_archive_duration=auto_archive_duration,
            invitable=invitable,
        )
        thread.thread_members[owner.id] = now()
        guild.threads.append(thread)
        self.thread_event("THREAD_CREATE", thread, newly_created=True)
        if starter is not None:
            starter.thread = thread
            starter.flags |= HAS_THREAD
            self.dispatch_message("MESSAGE_UPDATE", starter)
        elif thread_type == PUBLIC_THREAD:
            self.new_message(
                parent,
                owner,
                {"content": name},
                message_type=THREAD_CREATED,
                thread_reference=thread,
            )
        return thread

    def remove_reactions(self, message: Message, emoji: str | None = None) -> None:
        """Every reaction of a message (MESSAGE_REACTION_REMOVE_ALL), or every reaction with one
        emoji (MESSAGE_REACTION_REMOVE_EMOJI)."""
        channel = message.channel
        data: dict[str, Any] = {"channel_id": str(channel.id), "message_id": str(message.id)}
        if channel.guild is not None:
            data["guild_id"] = str(channel.guild.id)
        if emoji is None:
            message.reactions.clear()
            event = "MESSAGE_REACTION_REMOVE_ALL"
        else:
            message.reactions.pop(emoji, None)
            data["emoji"] = payloads.emoji(emoji)
            event = "MESSAGE_REACTION_REMOVE_EMOJI"
        self.emit(event, lambda s: data, guild=channel.guild, channel=channel)

    def reaction_event(self, event: str, message: Message, user: User, emoji: str) -> None:
        channel = message.channel
        guild = channel.guild
        data: dict[str, Any] = {
            "user_id": str(user.id),
            "channel_id": str(channel.id),
            "message_id": str(message.id),
            "emoji": payloads.emoji(emoji),
            "burst": False,
            "type": 0,
        }
        if event == "MESSAGE_REACTION_ADD":
            data["message_author_id"] = str(message.author.id)
            data["burst_colors"] = []
        if guild is not None:
            data["guild_id"] = str(guild.id)
            member = guild.get_member(user.id)
            if member is not None and event == "MESSAGE_REACTION_ADD":
                data["member"] = payloads.member(member)
        self.emit(event, lambda s: data, guild=guild, channel=channel)

    def thread_members_event(self, thread: Channel, added: list[int], removed: list[int]) -> None:
        guild = thread.guild
        assert guild is not None
        for session in list(self.gateway_sessions.values()):
            me = session.bot.user.id
            if me in added and session.alive and me in guild.members and session.owns(guild):
                data = payloads.thread_member(thread, me)
                data["guild_id"] = str(guild.id)
                session.dispatch("THREAD_MEMBER_UPDATE", data)
                self.log_event("THREAD_MEMBER_UPDATE", data)

        def build(session: GatewaySession) -> dict[str, Any]:
            added_members = []
            for uid in added:
                member = guild.get_member(uid)
                entry = payloads.thread_member(thread, uid, member)
                added_members.append(entry)
            return {
                "id": str(thread.id),
                "guild_id": str(guild.id),
                "member_count": min(len(thread.thread_members), 50),
                "added_members": added_members,
                "removed_member_ids": [str(u) for u in removed],
            }

        self.emit("THREAD_MEMBERS_UPDATE", build, guild=guild, channel=thread)

    def new_attachment(
        self,
        filename: str,
        data: bytes,
        content_type: str | None = None,
        description: str | None = None,
    ) -> Attachment:
        att = Attachment(
            id=snowflake(),
            filename=filename,
            data=data,
            content_type=content_type or _guess_type(filename),
            description=description,
        )
        att.url = f"{self.base_url}/attachments/{att.id}/{filename}"
        self.attachments_by_id[att.id] = att
        return att

    async def wait_answer(self, itx: SandboxInteraction, timeout: float) -> SandboxInteraction:  # noqa: ASYNC109
        try:
            await asyncio.wait_for(itx.answered.wait(), timeout)
        except TimeoutError:
            raise SandboxTimeout(
                f"the bot did not answer interaction {itx.id} within {timeout}s"
            ) from None
        return itx

    # logging what happens (the standalone sandbox shows it) --------------------
    def log_commands(self, scope: tuple[int, int | None], commands: list[dict[str, Any]]) -> None:
        where = "globally" if scope[1] is None else f"in guild {scope[1]}"
        names = ", ".join(c["name"] for c in commands)
        log.info("commands synced %s (%d): %s", where, len(commands), names)

    def log_interaction(self, itx: SandboxInteraction, label: Any) -> None:
        log.info(
            "%s -> interaction %s (%s) in #%s", itx.user.name, label, itx.type, itx.channel.name
        )

    def log_answer(self, itx: SandboxInteraction) -> None:
        log.info(
            "bot answered interaction %s with type %s%s",
            itx.id,
            itx.response_type,
            " (ephemeral)" if itx.ephemeral else "",
        )

    def log_followup(self, itx: SandboxInteraction, message: Message) -> None:
        log.info("bot follow-up to %s: %s", itx.id, message.content[:80] or _embed_summary(message))


def _content_withheld(session: GatewaySession, message: Message) -> bool:
    """Without the Message Content intent a bot gets no text, attachments or embeds of guild
    messages, except its own and those that mention it."""
    bot_id = session.bot.user.id
    return (
        not session.has(MESSAGE_CONTENT)
        and message.channel.guild is not None
        and message.author.id != bot_id
        and all(u.id != bot_id for u in message.mentions)
    )


def _embed_summary(message: Message) -> str:
    if message.embeds:
        first = message.embeds[0]
        return f"[embed] {first.get('title') or first.get('description') or ''}"
    return "[components]" if message.components else ""


def _guess_type(filename: str) -> str | None:
    import mimetypes

    return mimetypes.guess_type(filename)[0]
