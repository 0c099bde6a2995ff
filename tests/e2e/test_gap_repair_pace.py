"""The start-up catch-up of the contribution log in many servers: it reads every tracked
channel's history in turn with the process's other background work, under Discord's global
limit (the bot's, however many processes run its shards), and still finds every message sent
while the bot was down."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlmodel import select

from bot.client import CopBot, make_bot, start_until_ready
from bot.sandbox import Sandbox
from bot.sandbox.sample import build_many_servers
from storage.db import Database
from storage.models import Contribution
from tests.databases import migrated_sqlite_url
from tests.e2e.harness import settings_for
from tests.e2e.helpers import eventually, gap_repairs_done, no_identify_delay

SERVERS = 40  # two tracked channels each: 80 history requests, more than 50 in one second


@pytest.mark.parametrize("processes", [1, 2], ids=["one process", "a process per shard"])
async def test_catching_up_in_many_servers_stays_under_the_global_limit(
    tmp_path: Path, processes: int
) -> None:
    sandbox = Sandbox()
    await sandbox.start()
    db = None
    try:
        account = sandbox.create_bot("copbot")
        servers = build_many_servers(sandbox, account, SERVERS)
        url = migrated_sqlite_url(tmp_path)
        db = Database.connect(url)

        async def start(shard: int | None) -> tuple[CopBot, asyncio.Task[None]]:
            sharding = {} if shard is None else {"shard_count": 2, "shard_ids": (shard,)}
            settings = settings_for(sandbox, account.token, url, **sharding)
            bot = make_bot(settings, db, guild_ready_timeout=0.05, process_id=f"p{shard}")
            bot.before_identify_hook = no_identify_delay  # type: ignore[method-assign]
            task = await start_until_ready(bot, account.token, ready_within=30)
            return bot, task

        async def stop(running: list[tuple[CopBot, asyncio.Task[None]]]) -> None:
            for bot, task in running:
                await bot.close()
                await task

        async def logged(message_ids: list[int]) -> bool:
            assert db is not None
            async with db.session() as session:
                rows = await session.execute(select(Contribution.message_id))
            return set(message_ids) <= set(rows.scalars())

        slices: list[int | None] = [None] if processes == 1 else [0, 1]
        # A first run marks where logging starts in each server and logs a message in each
        # café channel; then the bot is down while every #general gets one.
        first = [await start(shard) for shard in slices]
        for bot, _ in first:
            await eventually(lambda bot=bot: _repaired(bot), timeout=30)
        seen = [
            (await sandbox.send_message(s.plain_member, s.channels["cafe"], "while up")).id
            for s in servers
        ]
        await eventually(lambda: logged(seen))
        await stop(first)
        missed = [
            (await sandbox.send_message(s.plain_member, s.channels["general"], "while down")).id
            for s in servers
        ]

        assert sandbox.rate_limits  # Discord's global 50 a second for the bot, on
        from_restart = len(sandbox.requests)
        running = [await start(shard) for shard in slices]
        try:
            for bot, _ in running:
                await eventually(lambda bot=bot: _repaired(bot), timeout=30)
            during = sandbox.requests[from_restart:]
            history = [p for method, p, _ in during if method == "GET" and "/messages" in p]
            assert len(history) >= SERVERS
            assert [(path, status) for _, path, status in during if status == 429] == []
            # A channel with nothing new since its newest logged message is not read at all.
            cafes = {str(s.channels["cafe"].id) for s in servers}
            assert not [p for p in history if p.split("/")[2] in cafes]
            await eventually(lambda: logged(missed))
        finally:
            await stop(running)
    finally:
        if db is not None:
            await db.dispose()
        await sandbox.stop()


async def _repaired(bot: CopBot) -> bool:
    return gap_repairs_done(bot) >= 1
