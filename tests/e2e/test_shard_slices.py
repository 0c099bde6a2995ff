"""Two bot processes, each running one of two shards, over one sandbox and one database: each
serves only its shard's servers (their events, their commands, their schedules), and only the
process that runs shard 0 syncs the command tree."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.client import CopBot, ShardedCopBot, make_bot, start_until_ready
from bot.insights.digest import DIGEST_KIND, WHEN_TEXTS, Frequency
from bot.sandbox import Sandbox
from bot.sandbox.sample import SampleCommunity, build_many_servers
from storage.communities import ensure_community
from storage.db import Database
from storage.schedules import create_schedule
from tests.databases import migrated_sqlite_url
from tests.e2e.harness import settings_for
from tests.e2e.helpers import WAIT

SHARDS = 2


@dataclass
class Slices:
    sandbox: Sandbox
    servers: list[SampleCommunity]
    bots: list[CopBot]  # bots[i] runs shard i
    db: Database

    def server_on(self, shard: int) -> SampleCommunity:
        return next(s for s in self.servers if (s.guild.id >> 22) % SHARDS == shard)


@asynccontextmanager
async def two_processes(tmp_path: Path) -> AsyncIterator[Slices]:
    async with AsyncExitStack() as stack:
        sandbox = Sandbox()
        await sandbox.start()
        stack.push_async_callback(sandbox.stop)
        account = sandbox.create_bot("copbot")
        # Each with a moderator, a coordinator and a plain member.
        servers = build_many_servers(sandbox, account, 20)
        url = migrated_sqlite_url(tmp_path)  # migrated once, before either process starts
        db = Database.connect(url)
        stack.push_async_callback(db.dispose)
        bots: list[CopBot] = []
        for shard in range(SHARDS):
            settings = settings_for(
                sandbox, account.token, url, shard_count=SHARDS, shard_ids=(shard,)
            )
            bot = make_bot(settings, db, guild_ready_timeout=0.05, process_id=f"process-{shard}")
            task = await start_until_ready(bot, account.token, ready_within=30)
            stack.push_async_callback(_stopped, bot, task)
            bots.append(bot)
        yield Slices(sandbox, servers, bots, db)


async def _stopped(bot: CopBot, task: asyncio.Task[None]) -> None:
    await bot.close()
    await task


async def test_each_process_serves_its_shards_servers_and_only_one_syncs(
    tmp_path: Path,
) -> None:
    async with two_processes(tmp_path) as slices:
        seen = [{guild.id for guild in bot.guilds} for bot in slices.bots]
        everything = {server.guild.id for server in slices.servers}
        for shard, bot in enumerate(slices.bots):
            assert isinstance(bot, ShardedCopBot)
            assert seen[shard] == {g for g in everything if (g >> 22) % SHARDS == shard}
            assert seen[shard]  # the servers spread over both shards
        assert seen[0] | seen[1] == everything
        assert slices.sandbox.command_sync_count == 1  # only the process running shard 0

        # /about in a server of shard 1 is answered by the second process, which says so.
        server = slices.server_on(1)
        itx = await slices.sandbox.slash(
            server.plain_member, server.channels["general"], "about", timeout=WAIT
        )
        shard_line = next(
            field["value"] for field in itx.embeds[0]["fields"] if field["name"] == "Shard"
        )
        assert shard_line == "This server is on shard 1 of 2; this process runs shard 1 of 2."


async def test_each_process_rings_only_its_shards_schedules(tmp_path: Path) -> None:
    async with two_processes(tmp_path) as slices:
        made: dict[int, int] = {}  # shard -> schedule id
        async with slices.db.transaction() as session:
            for shard in range(SHARDS):
                server = slices.server_on(shard)
                await ensure_community(session, server.guild.id, server.guild.name)
                schedule = await create_schedule(
                    session,
                    community_id=server.guild.id,
                    kind=DIGEST_KIND,
                    when_text=WHEN_TEXTS[Frequency.WEEKLY],
                    timezone="UTC",
                    target_id=server.channels["general"].id,
                )
                assert schedule.id is not None
                made[shard] = schedule.id
        for bot in slices.bots:
            await bot.scheduler.reload()
        for shard, bot in enumerate(slices.bots):
            other = 1 - shard
            assert bot.scheduler.next_alarm(made[shard]) is not None
            assert bot.scheduler.next_alarm(made[other]) is None
            # A change made through the other process does not give this one the alarm.
            await bot.scheduler.sync_schedule(made[other])
            assert bot.scheduler.next_alarm(made[other]) is None
