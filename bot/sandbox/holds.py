"""Requests kept waiting on purpose, so that a test can act (kill the bot, say) while one is in
flight, then decide whether Discord carried it out: a request whose client died may have taken
effect or not, and a bot must recover from both."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from aiohttp import web

from bot.sandbox.errors import DiscordHTTPError


@dataclass
class Hold:
    """The next request to one route waits here until :meth:`release`."""

    method: str
    template: str
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _released: asyncio.Event = field(default_factory=asyncio.Event)
    _carry_out: bool = True

    def release(self, *, carry_out: bool) -> None:
        """Let the request go on (``carry_out``) or end it with a 503 and no effect."""
        self._carry_out = carry_out
        self._released.set()

    async def wait_for_arrival(self, timeout: float) -> None:  # noqa: ASYNC109
        await asyncio.wait_for(self.arrived.wait(), timeout)


class Holds:
    def __init__(self) -> None:
        self._waiting: dict[tuple[str, str], Hold] = {}
        self._made: list[Hold] = []

    def add(self, method: str, template: str) -> Hold:
        hold = Hold(method.upper(), template)
        self._waiting[(hold.method, template)] = hold
        self._made.append(hold)
        return hold

    async def wait(self, request: web.Request, template: str) -> None:
        """Called for every request: the first one to a held route waits for its release."""
        hold = self._waiting.pop((request.method, template), None)
        if hold is None:
            return
        if not request.content_type.startswith("multipart/"):
            # It arrives whole: its client may be gone by the time it goes on. (A request with
            # files is read part by part as it is handled: holding one loses it if the client
            # dies meanwhile.)
            await request.read()
        hold.arrived.set()
        await hold._released.wait()
        if not hold._carry_out:
            raise DiscordHTTPError(503, 0, "503: Service Unavailable")

    def clear(self) -> None:
        """End every hold not released yet, without effect (the sandbox is stopping)."""
        for hold in self._made:
            if not hold._released.is_set():
                hold.release(carry_out=False)
        self._waiting.clear()
        self._made.clear()
