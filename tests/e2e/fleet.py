"""A deployment of several real `copbot run` processes over one sandbox and one database, as an
operator runs it: each process a slice of the shards, started, killed (SIGKILL), stopped
(SIGTERM) and started again by the drills."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bot.sandbox import Sandbox
from bot.sandbox.gateway import shard_of
from bot.sandbox.models import BotAccount
from bot.sandbox.sample import SampleCommunity, build_many_servers
from storage.db import Database
from tests.databases import postgres_url
from tests.e2e.processes import clean_environment, start_bot_module

READY_LINE = "ready: logged in as"
START_WITHIN = 60.0  # seconds from the command to READY on every shard, on a loaded CI machine


@dataclass
class BotProcess:
    """One `copbot run`: its output is read all along (a full pipe would block it) and kept."""

    name: str
    shard_ids: tuple[int, ...]
    process: asyncio.subprocess.Process
    output: list[str] = field(default_factory=list)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    _reader: asyncio.Task[None] | None = None

    def log(self) -> str:
        return "".join(self.output)

    @property
    def running(self) -> bool:
        return self.process.returncode is None

    async def wait_ready(self, timeout: float = START_WITHIN) -> None:  # noqa: ASYNC109
        ended = asyncio.ensure_future(self.process.wait())
        ready = asyncio.ensure_future(self.ready.wait())
        try:
            async with asyncio.timeout(timeout):
                await asyncio.wait({ended, ready}, return_when=asyncio.FIRST_COMPLETED)
        except TimeoutError:
            raise AssertionError(
                f"{self.name} was not ready in {timeout:.0f} s:\n{self.log()}"
            ) from None
        finally:
            ended.cancel()
            ready.cancel()
        if not self.ready.is_set():
            raise AssertionError(f"{self.name} ended before it was ready:\n{self.log()}")

    async def kill(self) -> None:
        """SIGKILL: no shutdown, no flush; what was in memory is gone."""
        if self.running:
            self.process.send_signal(signal.SIGKILL)
        async with asyncio.timeout(30):
            await self.process.wait()
        await self._read_rest()

    async def stop(self) -> int:
        """SIGTERM, as an orchestrator stops a container; returns the exit code."""
        if self.running:
            self.process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            code = await self.process.wait()
        await self._read_rest()
        return code

    async def _read_rest(self) -> None:
        if self._reader is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(5):
                    await self._reader


@dataclass
class Fleet:
    sandbox: Sandbox
    account: BotAccount
    servers: list[SampleCommunity]
    database_url: str
    db: Database  # the test's own connection, to look at what the processes stored
    shard_count: int
    workdir: Path
    processes: list[BotProcess] = field(default_factory=list)

    def servers_on(self, shard: int) -> list[SampleCommunity]:
        return [s for s in self.servers if shard_of(s.guild.id, self.shard_count) == shard]

    def environment(
        self, shard_ids: Sequence[int], *, database_url: str | None = None, **extra: str
    ) -> dict[str, str]:
        return clean_environment(
            DISCORD_TOKEN=self.account.token,
            DISCORD_API_BASE=self.sandbox.api_base,
            DISCORD_GATEWAY_URL=self.sandbox.gateway_url,
            DATABASE_URL=database_url or self.database_url,
            SHARD_COUNT=str(self.shard_count),
            SHARD_IDS=",".join(str(s) for s in shard_ids),
            **extra,
        )

    async def start(
        self,
        shard_ids: Sequence[int],
        *,
        name: str | None = None,
        wait: bool = True,
        database_url: str | None = None,
        launcher: Sequence[str] = (),
        **extra: str,
    ) -> BotProcess:
        """Start `copbot run` for ``shard_ids``; with ``wait``, until every shard is ready.
        ``launcher``: a command to run it under (see start_bot_module)."""
        label = name or f"process-{'-'.join(str(s) for s in shard_ids)}"
        env = self.environment(shard_ids, database_url=database_url, **extra)
        process = await start_bot_module("bot", "run", cwd=self.workdir, env=env, launcher=launcher)
        started = BotProcess(label, tuple(shard_ids), process)
        started._reader = asyncio.get_running_loop().create_task(_read_lines(started))
        self.processes.append(started)
        if wait:
            await started.wait_ready()
        return started

    async def stop_all(self) -> None:
        for process in self.processes:
            if process.running:
                with contextlib.suppress(TimeoutError):
                    await process.stop()


async def _read_lines(bot: BotProcess) -> None:
    stream = bot.process.stdout
    assert stream is not None
    while line := (await stream.readline()).decode(errors="replace"):
        bot.output.append(line)
        if READY_LINE in line:
            bot.ready.set()


@asynccontextmanager
async def running_fleet(
    workdir: Path, *, servers: int = 20, shard_count: int = 2, people_each: int = 3
) -> AsyncIterator[Fleet]:
    """A sandbox with ``servers`` servers, one bot account in all of them, and a migrated
    PostgreSQL database; no process is started yet. Every process still running at the end is
    stopped, and a traceback in any process's output fails the test."""
    async with AsyncExitStack() as stack:
        sandbox = Sandbox()
        await sandbox.start()
        stack.push_async_callback(sandbox.stop)
        account = sandbox.create_bot("copbot")
        communities = build_many_servers(sandbox, account, servers, people_each=people_each)
        url = await stack.enter_async_context(postgres_url(migrated=True))
        db = Database.connect(url)
        stack.push_async_callback(db.dispose)
        fleet = Fleet(sandbox, account, communities, url, db, shard_count, workdir)
        stack.push_async_callback(fleet.stop_all)
        yield fleet
        await fleet.stop_all()
        for process in fleet.processes:
            assert "Traceback" not in process.log(), f"{process.name}:\n{process.log()}"
