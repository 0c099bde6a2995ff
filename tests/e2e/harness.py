"""The real bot and the sandbox in one event loop: start, restart, act as members, read back."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot.client import COGS, CopBot, make_bot, start_until_ready
from bot.config import Settings
from bot.sandbox import Channel, Member, Role, Sandbox
from bot.sandbox.sample import SampleCommunity, build_sample_community
from storage.db import Database
from tests.databases import migrated_sqlite_url


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


def member_with_roles(community: SampleCommunity, roles: Sequence[Role]) -> Member:
    """A member (not the owner, not a bot) whose roles are exactly ``roles``."""
    wanted = {role.id for role in roles}
    for member in community.guild.members.values():
        if member.user.bot or member.id == community.owner.id:
            continue
        if {role.id for role in member.roles} == wanted:
            return member
    raise LookupError(f"the sample community has no member with exactly the roles {roles}")


# The tasks discord.py runs interaction handlers in: slash commands, buttons of views and
# dynamic items, modals.
HANDLER_TASKS = (
    "CommandTree-invoker",
    "discord-ui-view-dispatch-",
    "discord-ui-dynamic-item-",
    "discord-ui-modal-dispatch-",
)


@dataclasses.dataclass
class Harness:
    sandbox: Sandbox
    community: SampleCommunity
    settings: Settings
    db: Database
    bot: CopBot
    _task: asyncio.Task[None]

    @property
    def owner(self) -> Member:
        member = self.community.guild.get_member(self.community.owner.id)
        assert member is not None
        return member

    @property
    def plain_member(self) -> Member:
        return member_with_roles(self.community, [])

    @property
    def moderator(self) -> Member:
        return member_with_roles(self.community, [self.community.moderators_role])

    @property
    def general(self) -> Channel:
        return self.community.channels["general"]

    async def set_staff_roles(self) -> None:
        """As the server owner: Moderators and Coordinators become the staff roles."""
        itx = await self.sandbox.slash(
            self.owner,
            self.general,
            "settings roles",
            moderator=self.community.moderators_role,
            coordinator=self.community.coordinators_role,
        )
        # Under load the bot may defer first ("thinking...") and answer in a follow-up.
        text = await itx.final_text()
        assert "Roles saved" in text, text

    async def handled(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Until the bot has finished handling every interaction it received. The bot answers
        first; what a handler does after its answer (a review card, a direct message) may still
        be under way when the sandbox has the answer."""
        handling = [
            task
            for task in asyncio.all_tasks()
            if task.get_name().startswith(HANDLER_TASKS) and not task.done()
        ]
        if handling:
            _, pending = await asyncio.wait(handling, timeout=timeout)
            assert not pending, f"the bot was still handling interactions after {timeout} s"

    async def start_bot(self, cogs: Sequence[str] = COGS) -> None:
        self.bot = make_bot(self.settings, self.db, cogs=cogs, guild_ready_timeout=0.05)
        self._task = await start_until_ready(
            self.bot, self.settings.require_token(), ready_within=15
        )

    async def stop_bot(self) -> None:
        await self.bot.close()
        await self._task

    async def restart_bot(self, cogs: Sequence[str] = COGS) -> None:
        await self.stop_bot()
        await self.start_bot(cogs)


@asynccontextmanager
async def running_harness(
    tmp_path: Path, *, dev_guild: bool = False, **setting_overrides: Any
) -> AsyncIterator[Harness]:
    sandbox = Sandbox()
    await sandbox.start()
    try:
        community = build_sample_community(sandbox)
        if dev_guild:
            setting_overrides["dev_guild_id"] = community.guild.id
        database_url = setting_overrides.pop("database_url", None) or migrated_sqlite_url(tmp_path)
        settings = settings_for(sandbox, community.bot.token, database_url, **setting_overrides)
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


def forget_option_limits(sandbox: Sandbox) -> None:
    """The commands as an older version of the bot registered them, with no length limits on
    their text options: Discord lets longer text through, and only the bot's own checks stand.
    (Discord checks option values against the commands as they were last synced.)"""

    def strip(options: list[dict[str, Any]]) -> None:
        for option in options:
            option.pop("min_length", None)
            option.pop("max_length", None)
            strip(option.get("options") or [])

    for guild in (None, *sandbox.guilds):
        for command in sandbox.commands(guild):
            strip(command.get("options") or [])
