"""The gateway: a WebSocket speaking Discord's v10 JSON protocol, with sessions that RESUME."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections import deque
from typing import Any, Protocol

from aiohttp import WSMsgType, web

from bot.sandbox.models import BotAccount

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

_CLOSE = object()


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

    def __init__(self, bot: BotAccount, intents: int, large_threshold: int) -> None:
        self.session_id = secrets.token_hex(16)
        self.bot = bot
        self.intents = intents
        self.large_threshold = large_threshold
        self.seq = 0
        self.buffer: deque[tuple[int, dict[str, Any]]] = deque(maxlen=20000)
        self.connection: Connection | None = None
        self.alive = True

    def has(self, intent: int) -> bool:
        return bool(self.intents & intent)

    def dispatch(self, event: str, payload: dict[str, Any]) -> None:
        self.seq += 1
        frame = {"op": DISPATCH, "t": event, "s": self.seq, "d": payload}
        self.buffer.append((self.seq, frame))
        if self.connection is not None:
            self.connection.send(frame)

    def replay_after(self, seq: int) -> list[dict[str, Any]]:
        return [frame for s, frame in self.buffer if s > seq]


class GatewayHost(Protocol):
    """What the gateway needs of the sandbox that owns it (defined here so it does not import it).

    The sandbox keeps the sessions, so that its events reach bots between reconnections.
    """

    gateway_sessions: dict[int, GatewaySession]

    def bot_by_token(self, token: str) -> BotAccount | None: ...

    def send_ready(self, session: GatewaySession, shard: list[int] | None) -> None: ...

    def request_members(self, session: GatewaySession, data: dict[str, Any]) -> None: ...

    def log_event(self, event: str, payload: dict[str, Any]) -> None: ...


class Gateway:
    def __init__(self, sandbox: GatewayHost) -> None:
        self.sandbox = sandbox
        self.connections: set[Connection] = set()

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
        intents = int(data.get("intents", 0))
        session = GatewaySession(bot, intents, int(data.get("large_threshold", 50)))
        old = self.sandbox.gateway_sessions.get(bot.user.id)
        if old is not None:
            old.alive = False
        self.sandbox.gateway_sessions[bot.user.id] = session
        session.connection = conn
        shard = data.get("shard")
        self.sandbox.send_ready(session, shard)
        return session

    def _resume(self, conn: Connection, data: dict[str, Any]) -> GatewaySession | None:
        bot = self.sandbox.bot_by_token(str(data.get("token", "")).removeprefix("Bot "))
        session = self.sandbox.gateway_sessions.get(bot.user.id) if bot else None
        if bot is None:
            conn.close(4004)
            return None
        if session is None or not session.alive or session.session_id != data.get("session_id"):
            conn.send({"op": INVALID_SESSION, "d": False, "s": None, "t": None})
            return None
        if session.connection is not None and session.connection is not conn:
            session.connection.close(4000)
        session.connection = conn
        for frame in session.replay_after(int(data.get("seq") or 0)):
            conn.send(frame)
        session.dispatch("RESUMED", {"_trace": ["sandbox"]})
        self.sandbox.log_event("RESUMED", {})
        return session

    async def close_all(self) -> None:
        for conn in list(self.connections):
            conn.close(1001)
        for conn in list(self.connections):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.sender, 1.0)
