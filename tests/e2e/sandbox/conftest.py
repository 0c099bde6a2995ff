"""Fixtures: a started sandbox, a small community, and a bare discord.py bot connected to it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import discord
import pytest
import yarl
from discord.ext import commands

from bot.sandbox import BotAccount, Channel, Guild, Member, Role, Sandbox
from bot.sandbox.permissions import P

BOT_PERMISSIONS = (
    P.VIEW_CHANNEL
    | P.SEND_MESSAGES
    | P.SEND_MESSAGES_IN_THREADS
    | P.EMBED_LINKS
    | P.ATTACH_FILES
    | P.READ_MESSAGE_HISTORY
    | P.ADD_REACTIONS
    | P.CREATE_PUBLIC_THREADS
    | P.CREATE_PRIVATE_THREADS
    | P.MANAGE_THREADS
    | P.MANAGE_ROLES
    | P.MANAGE_MESSAGES
)


@dataclass
class World:
    sandbox: Sandbox
    bot: BotAccount
    guild: Guild
    general: Channel
    cafe: Channel
    moderators: Role
    coordinators: Role
    alice: Member
    bob: Member
    others: list[Member] = field(default_factory=list)


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    sb = Sandbox(rate_limits=True, interaction_deadline=3.0)
    await sb.start()
    try:
        yield sb
    finally:
        await sb.stop()


@pytest.fixture
def world(sandbox: Sandbox) -> World:
    owner = sandbox.create_user("olga", global_name="Olga Owner")
    guild = sandbox.create_guild("Water CoP", owner=owner)
    moderators = guild.create_role("Moderators", permissions=P.MANAGE_MESSAGES)
    coordinators = guild.create_role("Coordinators")
    cafe = guild.create_text_channel("cafe", topic="World Café")
    bot = sandbox.create_bot("copbot")
    guild.add_bot(bot, permissions=BOT_PERMISSIONS)
    alice = guild.add_member(sandbox.create_user("alice", "Alice A."), roles=[moderators])
    bob = guild.add_member(sandbox.create_user("bob"))
    others = [guild.add_member(sandbox.create_user(f"member{i}")) for i in range(20)]
    return World(
        sandbox,
        bot,
        guild,
        guild.channel("general"),
        cafe,
        moderators,
        coordinators,
        alice,
        bob,
        others,
    )


def all_intents() -> discord.Intents:
    intents = discord.Intents.default()
    intents.members = True
    intents.message_content = True
    return intents


BotFactory = Callable[..., Awaitable[commands.Bot]]


@pytest.fixture
async def connect(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[BotFactory]:
    """``await connect(bot_account, client)`` starts ``client`` against the sandbox."""
    monkeypatch.setattr(discord.http.Route, "BASE", sandbox.api_base)
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(sandbox.gateway_url)
    )
    started: list[tuple[commands.Bot, asyncio.Task[Any]]] = []

    async def start(
        account: BotAccount,
        client: commands.Bot,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> commands.Bot:
        task = asyncio.create_task(client.start(account.token))
        started.append((client, task))
        try:
            await asyncio.wait_for(client.wait_until_ready(), timeout)
        except TimeoutError:
            if task.done() and task.exception():
                raise task.exception() from None  # type: ignore[misc]
            raise
        return client

    yield start
    for client, task in started:
        await client.close()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(task, 5)


def make_bot(intents: discord.Intents | None = None, **kwargs: Any) -> commands.Bot:
    return commands.Bot(
        command_prefix="!",
        intents=intents or all_intents(),
        guild_ready_timeout=0.1,
        **kwargs,
    )


def recording_bot(
    record: dict[str, list[Any]], intents: discord.Intents | None = None
) -> discord.Client:
    bot = make_bot(intents)

    async def keep(name: str, *args: Any) -> None:
        record.setdefault(name, []).append(args[0] if len(args) == 1 else args)

    for event in (
        "message",
        "message_edit",
        "raw_message_delete",
        "raw_reaction_add",
        "raw_reaction_remove",
        "member_join",
        "member_remove",
        "member_update",
        "user_update",
        "resumed",
        "thread_create",
        "guild_role_create",
        "guild_role_update",
        "guild_channel_update",
    ):

        async def listener(*args: Any, _event: str = event) -> None:
            await keep(_event, *args)

        bot.add_listener(listener, f"on_{event}")
    return bot


@pytest.fixture
async def client(world: World, connect: BotFactory) -> discord.Client:
    return await connect(world.bot, make_bot())
