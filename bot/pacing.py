"""Pacing this process's background requests to Discord under the global limit.

Discord allows a bot 50 requests a second across every route; discord.py waits out each route's
bucket and a global 429 once met, but does not spread requests under the global limit. Work that
can send many requests in a burst (opening a café's tables, reading history after a restart)
takes its turn from one pacer per process, so that together it stays below the limit and leaves
room for answering people.
"""

from __future__ import annotations

import asyncio

BACKGROUND_REQUESTS_PER_SECOND = 40.0
"""Four fifths of Discord's global 50 a second: the rest is for commands and their answers. The
limit is the bot's, across every process: a process running some of the shards paces at its
share of this (:attr:`bot.sharding.ShardSlice.share`)."""


class RequestPacer:
    """Spreads requests evenly: at most ``rate`` a second, whoever asks."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self._next_slot = 0.0

    async def wait(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        slot = max(now, self._next_slot)
        self._next_slot = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)
