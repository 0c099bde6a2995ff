"""The real bot in several servers at once (a learning alliance): every server is built before
the bot starts, so it sees them all at READY; acting in any one of them as its own staff."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot.sandbox import Channel, Member, Sandbox
from bot.sandbox.interactions import SandboxInteraction
from bot.sandbox.sample import (
    Alliance,
    SampleCommunity,
    build_alliance,
    build_small_server,
)
from storage.db import Database
from tests.databases import migrated_sqlite_url
from tests.e2e.harness import Harness, settings_for
from tests.e2e.helpers import WAIT


@dataclasses.dataclass
class AllianceHarness(Harness):
    """A harness whose ``community`` is server 1; ``servers`` holds every server, server 1 first
    (then the two district platforms, then any small servers asked for)."""

    alliance: Alliance
    servers: list[SampleCommunity]

    def server(self, number: int) -> SampleCommunity:
        """Server ``number``, counting from 1 as people do."""
        return self.servers[number - 1]

    async def set_staff_roles_in(self, server: SampleCommunity) -> None:
        """As that server's owner: its Moderators and Coordinators become its staff roles."""
        itx = await self.sandbox.slash(
            server.owner_member,
            server.channels["general"],
            "settings roles",
            moderator=server.moderators_role,
            coordinator=server.coordinators_role,
        )
        text = await itx.final_text()  # under load the bot may defer and answer in a follow-up
        assert "Roles saved" in text, f"{server.guild.name}: {text}"

    async def set_staff_roles_everywhere(self) -> None:
        for server in self.servers:
            await self.set_staff_roles_in(server)


async def platform_cmd(
    harness: AllianceHarness,
    server: SampleCommunity,
    actor: Member,
    command: str,
    /,
    where: Channel | None = None,
    **options: Any,
) -> SandboxInteraction:
    """``/platform <command>`` typed by ``actor`` in ``where`` (default: the server's #general)."""
    return await harness.sandbox.slash(
        actor, where or server.channels["general"], f"platform {command}", timeout=WAIT, **options
    )


async def answer(itx: SandboxInteraction) -> str:
    """The bot's final answer to ``itx``, which must be private (ephemeral)."""
    text = await itx.final_text()
    assert itx.ephemeral, text
    return text


@asynccontextmanager
async def running_alliance(
    tmp_path: Path, *, small_servers: int = 0, **setting_overrides: Any
) -> AsyncIterator[AllianceHarness]:
    """The sandbox with the alliance (and ``small_servers`` more small servers), then the real
    bot started against it; stopped and cleaned up on the way out."""
    sandbox = Sandbox()
    await sandbox.start()
    try:
        alliance = build_alliance(sandbox)
        bot = alliance.home.bot
        servers = alliance.servers + [
            build_small_server(sandbox, bot, f"Platform {index:02d}")
            for index in range(1, small_servers + 1)
        ]
        database_url = setting_overrides.pop("database_url", None) or migrated_sqlite_url(tmp_path)
        settings = settings_for(sandbox, bot.token, database_url, **setting_overrides)
        db = Database.connect(settings.database_url)
        harness = AllianceHarness(
            sandbox,
            alliance.home,
            settings,
            db,
            None,  # type: ignore[arg-type]  # start_bot sets the bot and its task
            None,  # type: ignore[arg-type]
            alliance,
            servers,
        )
        try:
            await harness.start_bot()
            yield harness
        finally:
            if harness._task is not None and not harness._task.done():
                await harness.stop_bot()
            await db.dispose()
    finally:
        await sandbox.stop()
