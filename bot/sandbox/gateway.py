"""The gateway: a WebSocket speaking Discord's v10 JSON protocol, with sessions that RESUME."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import WSMsgType, web

from bot.sandbox.models import BotAccount, Guild

log = logging.getLogger("bot.sandbox.gateway")

DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE, VOICE, RESUME, RECONNECT = 0, 1, 2, 3, 4, 6, 7
REQUEST_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 8, 9, 10, 11
HEARTBEAT_INTERVAL_MS = 41250

GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_MESSAGES = 1 << 9
GUILD_MESSAGE_REACTIONS = 1 << 10
DIRECT_MESSAGES = 1 << 12
DIRECT_MESSAGE_REACTIONS = 1 << 13
MESSAGE_CONTENT = 1 << 15

INVALID_SHARD = 4010  # close code: a shard id outside [0, shard_count)
SHARDING_REQUIRED = 4011  # close code: the session would hold too many guilds

MAX_GUILDS_PER_SHARD = 2500  # Discord's limit per session
GUILDS_PER_RECOMMENDED_SHARD = 1000  # Discord recommends a shard per ~1,000 guilds
SESSION_STARTS_PER_DAY = 1000
SESSION_START_RESET_MS = 24 * 60 * 60 * 1000

_CLOSE = object()


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard a guild lives on, by Discord's formula."""
    return (guild_id >> 22) % shard_count


def recommended_shards(guild_count: int, max_guilds_per_shard: int = MAX_GUILDS_PER_SHARD) -> int:
    """What ``GET /gateway/bot`` recommends: a shard per 1,000 guilds, at least one. With the
    per-shard limit lowered (tests), the same share of it (1,000 of 2,500), so that the
    recommendation keeps its margin under the limit."""
    per_shard = GUILDS_PER_RECOMMENDED_SHARD * max_guilds_per_shard // MAX_GUILDS_PER_SHARD
    return max(1, math.ceil(guild_count / max(1, per_shard)))


@dataclass
class _BotStarts:
    remaining: int
    window_started: float | None = None  # monotonic time of the first identify of the day
    last_identify: dict[int, float] = field(default_factory=dict)  # by rate-limit bucket


class SessionStarts:
    """Each bot's session start limit (identifies per day) and identify rate.

    Discord lets ``max_concurrency`` shards identify per ``identify_interval`` (5 s), one per
    bucket ``shard_id % max_concurrency``, and answers one too soon with INVALID_SESSION.
    ``identify_interval`` 0 (the default) leaves the rate unchecked: discord.py already waits 5 s
    between identifies, and tests that skip the wait would otherwise be refused.
    """

    def __init__(self, max_concurrency: int = 1, identify_interval: float = 0.0) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency is at least 1")
        self.total = SESSION_STARTS_PER_DAY
        self.max_concurrency = max_concurrency
        self.identify_interval = identify_interval
        self.refused = 0  # identifies answered with INVALID_SESSION
        self._bots: dict[int, _BotStarts] = {}

    def _starts(self, bot: BotAccount) -> _BotStarts:
        starts = self._bots.get(bot.user.id)
        if starts is None:
            starts = self._bots[bot.user.id] = _BotStarts(remaining=self.total)
        elif starts.window_started is not None and (
            time.monotonic() - starts.window_started >= SESSION_START_RESET_MS / 1000
        ):
            starts.remaining, starts.window_started = self.total, None
        return starts

    def limit(self, bot: BotAccount) -> dict[str, int]:
        """The ``session_start_limit`` object of ``GET /gateway/bot``."""
        starts = self._starts(bot)
        reset_after = 0
        if starts.window_started is not None:
            elapsed_ms = int((time.monotonic() - starts.window_started) * 1000)
            reset_after = max(0, SESSION_START_RESET_MS - elapsed_ms)
        return {
            "total": self.total,
            "remaining": starts.remaining,
            "reset_after": reset_after,
            "max_concurrency": self.max_concurrency,
        }

    def take(self, bot: BotAccount, shard_id: int) -> bool:
        """Count an identify of ``shard_id``; False when the day's starts are spent or its bucket
        identified less than ``identify_interval`` ago."""
        starts = self._starts(bot)
        clock = time.monotonic()
        bucket = shard_id % self.max_concurrency
        last = starts.last_identify.get(bucket)
        too_soon = last is not None and clock - last < self.identify_interval
        if starts.remaining <= 0 or (self.identify_interval > 0 and too_soon):
            self.refused += 1
            return False
        starts.last_identify[bucket] = clock
        starts.remaining -= 1
        if starts.window_started is None:
            starts.window_started = clock
        return True


class Connection:
    """One WebSocket; frames leave in order through a queue drained by a sender task."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.sender = asyncio.get_running_loop().create_task(self._send_loop())

    def send(self, frame: dict[str, Any]) -> None:
        self.queue.put_nowait(frame)

    def close(self, code: int = 4000) -> None:
        self.queue.put_nowait((_CLOSE, code))

    async def _send_loop(self) -> None:
        while True:
            item = await self.queue.get()
            if isinstance(item, tuple) and item[0] is _CLOSE:
                with contextlib.suppress(Exception):
                    await self.ws.close(code=item[1])
                return
            try:
                await self.ws.send_str(json.dumps(item))
            except (ConnectionError, RuntimeError):
                return


class GatewaySession:
    """A bot's gateway session: sequence numbers and the events kept for RESUME."""

    def __init__(
        self,
        bot: BotAccount,
        intents: int,
        large_threshold: int,
        shard: tuple[int, int] = (0, 1),
    ) -> None:
        self.session_id = secrets.token_hex(16)
        self.bot = bot
        self.intents = intents
        self.large_threshold = large_threshold
        # A session identified without a shard is shard 0 of 1: every guild, and the DMs.
        self.shard_id, self.shard_count = shard
        self.seq = 0
        self.buffer: deque[tuple[int, dict[str, Any]]] = deque(maxlen=20000)
        self.connection: Connection | None = None
        self.alive = True

    def has(self, intent: int) -> bool:
        return bool(self.intents & intent)

    def owns(self, guild: Guild | None) -> bool:
        """Whether this session's shard gets ``guild``'s events; events outside any guild (DMs)
        go to shard 0, as on Discord."""
        if guild is None:
            return self.shard_id == 0
        return shard_of(guild.id, self.shard_count) == self.shard_id

    def dispatch(self, event: str, payload: dict[str, Any]) -> None:
        self.seq += 1
        frame = {"op": DISPATCH, "t": event, "s": self.seq, "d": payload}
        self.buffer.append((self.seq, frame))
        if self.connection is not None:
            self.connection.send(frame)

    def replay_after(self, seq: int) -> list[dict[str, Any]] | None:
        """The events after ``seq``; None when some of them are no longer kept (too old to
        resume: Discord then answers INVALID_SESSION)."""
        if self.buffer and seq < self.buffer[0][0] - 1:
            return None
        return [frame for s, frame in self.buffer if s > seq]


@dataclass(frozen=True)
class ResumeRecord:
    """A RESUME the gateway accepted: the shard, the last seq the client had, how many missed
    events it replayed, and whether the connection was cut before RESUMED (``cut_next_resume``)."""

    shard_id: int
    after_seq: int
    replayed: int
    cut: bool


class GatewayHost(Protocol):
    """What the gateway needs of the sandbox that owns it (defined here so it does not import it).

    The sandbox keeps the sessions, so that its events reach bots between reconnections.
    """

    gateway_sessions: dict[str, GatewaySession]  # by session id
    gateway_resumes: list[ResumeRecord]
    session_starts: SessionStarts
    max_guilds_per_shard: int

    def bot_by_token(self, token: str) -> BotAccount | None: ...

    def guilds_of(self, bot: BotAccount) -> list[Guild]: ...

    def send_ready(self, session: GatewaySession, shard: list[int] | None) -> None: ...

    def request_members(self, session: GatewaySession, data: dict[str, Any]) -> None: ...

    def log_event(self, event: str, payload: dict[str, Any]) -> None: ...


class Gateway:
    def __init__(self, sandbox: GatewayHost) -> None:
        self.sandbox = sandbox
        self.connections: set[Connection] = set()
        # By shard id: how many replayed events the next RESUMEs of that shard get before their
        # connection drops (a network failure in the middle of a replay).
        self.resume_cuts: dict[int, deque[int]] = {}

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        conn = Connection(ws)
        self.connections.add(conn)
        hello = {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}
        conn.send({"op": HELLO, "d": hello, "s": None, "t": None})
        session: GatewaySession | None = None
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    if msg.type == WSMsgType.BINARY:
                        data = msg.data.decode()
                    else:
                        continue
                else:
                    data = msg.data
                try:
                    frame = json.loads(data)
                except ValueError:
                    conn.close(4002)
                    break
                session = await self._on_frame(conn, session, frame)
        finally:
            self.connections.discard(conn)
            if session is not None and session.connection is conn:
                session.connection = None
            if not conn.sender.done():
                conn.close(1000)
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(conn.sender, 1.0)
        return ws

    async def _on_frame(
        self, conn: Connection, session: GatewaySession | None, frame: dict[str, Any]
    ) -> GatewaySession | None:
        op, data = frame.get("op"), frame.get("d")
        if op == HEARTBEAT:
            conn.send({"op": HEARTBEAT_ACK, "d": None, "s": None, "t": None})
        elif op == IDENTIFY:
            if session is not None:
                conn.close(4005)  # already authenticated
                return session
            return self._identify(conn, data or {})
        elif op == RESUME:
            return self._resume(conn, data or {})
        elif op == REQUEST_MEMBERS:
            if session is None:
                conn.close(4003)
            else:
                self.sandbox.request_members(session, data or {})
        elif op in (PRESENCE, VOICE):
            pass
        else:
            conn.close(4001)
        return session

    def _identify(self, conn: Connection, data: dict[str, Any]) -> GatewaySession | None:
        bot = self.sandbox.bot_by_token(str(data.get("token", "")).removeprefix("Bot "))
        if bot is None:
            conn.close(4004)
            return None
        raw_shard = data.get("shard")
        shard = _valid_shard(raw_shard) if raw_shard is not None else (0, 1)
        if shard is None:
            log.info("%s sent an invalid shard %r", bot.user.name, raw_shard)
            conn.close(INVALID_SHARD)
            return None
        shard_id, shard_count = shard
        held = sum(
            1 for g in self.sandbox.guilds_of(bot) if shard_of(g.id, shard_count) == shard_id
        )
        if held > self.sandbox.max_guilds_per_shard:
            log.info("%s: shard %s would hold %d guilds", bot.user.name, list(shard), held)
            conn.close(SHARDING_REQUIRED)
            return None
        if not self.sandbox.session_starts.take(bot, shard_id):
            conn.send({"op": INVALID_SESSION, "d": False, "s": None, "t": None})
            return None
        intents = int(data.get("intents", 0))
        session = GatewaySession(bot, intents, int(data.get("large_threshold", 50)), shard)
        sessions = self.sandbox.gateway_sessions
        for old in list(sessions.values()):
            # Discord keeps every identified session: two processes holding one shard (an
            # overlapping deploy) both get its events. A session of the shard left without a
            # connection is one its bot gave up for this identify, so it goes.
            same_shard = old.bot is bot and (old.shard_id, old.shard_count) == shard
            if same_shard and old.connection is None:
                old.alive = False
                del sessions[old.session_id]
        sessions[session.session_id] = session
        session.connection = conn
        self.sandbox.send_ready(session, list(shard) if raw_shard is not None else None)
        return session

    def _resume(self, conn: Connection, data: dict[str, Any]) -> GatewaySession | None:
        bot = self.sandbox.bot_by_token(str(data.get("token", "")).removeprefix("Bot "))
        if bot is None:
            conn.close(4004)
            return None
        session = self.sandbox.gateway_sessions.get(str(data.get("session_id")))
        if session is None or not session.alive or session.bot is not bot:
            conn.send({"op": INVALID_SESSION, "d": False, "s": None, "t": None})
            return None
        after_seq = int(data.get("seq") or 0)
        missed = session.replay_after(after_seq)
        if missed is None:
            conn.send({"op": INVALID_SESSION, "d": False, "s": None, "t": None})
            return None
        if session.connection is not None and session.connection is not conn:
            session.connection.close(4000)
        session.connection = None
        cuts = self.resume_cuts.get(session.shard_id)
        if cuts:
            replayed = missed[: cuts.popleft()]
            for frame in replayed:
                conn.send(frame)
            conn.close(4000)  # dropped before RESUMED: the client resumes again from there
            self._resumed(session, after_seq, len(replayed), cut=True)
            return session
        session.connection = conn
        for frame in missed:
            conn.send(frame)
        session.dispatch("RESUMED", {"_trace": ["sandbox"]})
        self.sandbox.log_event("RESUMED", {})
        self._resumed(session, after_seq, len(missed), cut=False)
        return session

    def _resumed(self, session: GatewaySession, after_seq: int, replayed: int, cut: bool) -> None:
        record = ResumeRecord(session.shard_id, after_seq, replayed, cut)
        self.sandbox.gateway_resumes.append(record)

    def cut_next_resume(self, shard_id: int, after: int) -> None:
        """The next RESUME of ``shard_id`` not yet cut replays ``after`` missed events, then its
        connection drops before RESUMED."""
        self.resume_cuts.setdefault(shard_id, deque()).append(after)

    async def close_all(self) -> None:
        for conn in list(self.connections):
            conn.close(1001)
        for conn in list(self.connections):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.sender, 1.0)


def _valid_shard(raw: Any) -> tuple[int, int] | None:
    """``[shard_id, shard_count]`` as Discord accepts it: two integers, count at least 1, id in
    ``[0, count)``; anything else is None."""
    if not isinstance(raw, list) or len(raw) != 2:
        return None
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in raw):
        return None
    shard_id, shard_count = raw
    if shard_count < 1 or not 0 <= shard_id < shard_count:
        return None
    return shard_id, shard_count
