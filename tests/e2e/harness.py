"""The real bot and the sandbox in one event loop: start, restart, act as members, read back."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot.client import COGS, CopBot
from bot.config import Settings
from bot.sandbox import Sandbox
from bot.sandbox.sample import SampleCommunity, build_sample_community
from storage.db import Database
from tests.databases import sqlite_url


def settings_for(sandbox: Sandbox, token: str, database_url: str, **overrides: Any) -> Settings:
    settings = Settings(
        discord_token=token,
        database_url=database_url,
        discord_api_base=sandbox.api_base,
        discord_gateway_url=sandbox.gateway_url,
        dev_guild_id=None,
        log_level="INFO",
        shard_count=None,
        shard_ids=None,
    )
    return dataclasses.replace(settings, **overrides)


@dataclasses.dataclass
class Harness:
    sandbox: Sandbox
    community: SampleCommunity
    settings: Settings
    db: Database
    bot: CopBot
    _task: asyncio.Task[None]

    async def start_bot(self, cogs: Sequence[str] = COGS) -> None:
        self.bot = CopBot(self.settings, self.db, cogs=cogs, guild_ready_timeout=0.05)
        self._task = asyncio.create_task(self.bot.start(self.settings.require_token()))
        ready = asyncio.create_task(self.bot.wait_until_ready())
        done, _ = await asyncio.wait({ready, self._task}, timeout=15, return_when="FIRST_COMPLETED")
        if self._task in done:
            ready.cancel()
            self._task.result()  # raises what stopped the bot
            raise RuntimeError("the bot stopped before it was ready")
        if ready not in done:
            ready.cancel()
            raise TimeoutError("the bot did not become ready within 15 s")

    async def stop_bot(self) -> None:
        await self.bot.close()
        await self._task

    async def restart_bot(self, cogs: Sequence[str] = COGS) -> None:
        await self.stop_bot()
        await self.start_bot(cogs)


@asynccontextmanager
async def running_harness(tmp_path: Path, **setting_overrides: Any) -> AsyncIterator[Harness]:
    sandbox = Sandbox()
    await sandbox.start()
    try:
        community = build_sample_community(sandbox)
        settings = settings_for(
            sandbox, community.bot.token, sqlite_url(tmp_path), **setting_overrides
        )
        db = Database.connect(settings.database_url)
        harness = Harness(sandbox, community, settings, db, None, None)  # type: ignore[arg-type]
        try:
            await harness.start_bot()
            yield harness
        finally:
            if harness._task is not None and not harness._task.done():
                await harness.stop_bot()
            await db.dispose()
    finally:
        await sandbox.stop()
