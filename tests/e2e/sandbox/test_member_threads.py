"""Members start threads and moderators clear reactions, as Discord lets them; the bot hears it."""

from __future__ import annotations

from typing import Any

import discord
import pytest

from bot.sandbox import SandboxError
from bot.sandbox.permissions import P
from tests.e2e.sandbox.conftest import BotFactory, World, make_bot

EVENTS = (
    "message",
    "raw_message_edit",
    "thread_create",
    "raw_reaction_clear",
    "raw_reaction_clear_emoji",
)


async def recorder(world: World, connect: BotFactory) -> dict[str, list[Any]]:
    record: dict[str, list[Any]] = {}
    bot = make_bot()
    for event in EVENTS:

        async def keep(*args: Any, _event: str = event) -> None:
            record.setdefault(_event, []).append(args[0] if len(args) == 1 else args)

        bot.add_listener(keep, f"on_{event}")
    await connect(world.bot, bot)
    return record


async def test_a_thread_from_a_members_own_message(world: World, connect: BotFactory) -> None:
    record = await recorder(world, connect)
    sandbox = world.sandbox
    start = await sandbox.send_message(world.bob, world.cafe, "Who maintains rural pumps?")
    thread = await sandbox.create_thread(world.bob, world.cafe, "Rural pumps", from_message=start)
    assert thread.id == start.id and thread.owner_id == world.bob.id
    assert thread.type == 11 and thread.parent is world.cafe and start.thread is thread
    assert world.bob.id in thread.thread_members
    await sandbox.wait_until(lambda: record.get("thread_create") and record.get("raw_message_edit"))
    created = record["thread_create"][0]
    assert (created.id, created.owner_id, created.parent_id) == (
        start.id,
        world.bob.id,
        world.cafe.id,
    )
    assert created.name == "Rural pumps"
    update = record["raw_message_edit"][0]
    assert update.message_id == start.id and update.message.flags.has_thread
    # a thread started from a message is not announced by a thread-created notice
    assert [m.type for m in world.cafe.messages] == [0]
    with pytest.raises(SandboxError, match="already"):
        await sandbox.create_thread(world.alice, world.cafe, "Again", from_message=start)
    with pytest.raises(SandboxError, match="always public"):
        await sandbox.create_thread(
            world.bob, world.cafe, "Secret", from_message=start, private=True
        )
    await sandbox.send_message(world.alice, thread, "We do, through a village committee")
    await sandbox.wait_until(lambda: len(record.get("message", [])) == 2)
    assert record["message"][1].channel.id == thread.id


async def test_a_thread_started_without_a_message_is_announced(
    world: World, connect: BotFactory
) -> None:
    record = await recorder(world, connect)
    sandbox = world.sandbox
    thread = await sandbox.create_thread(world.bob, world.cafe, "Tariffs")
    assert thread.type == 11 and thread.owner_id == world.bob.id and thread.id != 0
    notice = world.cafe.messages[-1]
    assert (notice.type, notice.author, notice.content) == (18, world.bob.user, "Tariffs")
    await sandbox.wait_until(lambda: record.get("thread_create") and record.get("message"))
    heard = record["message"][0]
    assert heard.type is discord.MessageType.thread_created
    assert heard.author.id == world.bob.id and heard.content == "Tariffs"
    assert heard.reference is not None and heard.reference.channel_id == thread.id
    assert heard.reference.message_id is None
    assert record["thread_create"][0].id == thread.id

    private = await sandbox.create_thread(world.bob, world.cafe, "Hosts", private=True)
    await sandbox.wait_until(lambda: len(record["thread_create"]) == 2)
    assert record["thread_create"][1].type is discord.ChannelType.private_thread
    assert world.cafe.messages[-1] is notice  # private threads are not announced
    assert private.thread_members.keys() == {world.bob.id}


async def test_thread_permissions(world: World, connect: BotFactory) -> None:
    await recorder(world, connect)
    sandbox, guild = world.sandbox, world.guild
    start = await sandbox.send_message(world.bob, world.cafe, "a start")
    guild.set_channel_overwrites(world.cafe, {guild.everyone: (0, P.CREATE_PUBLIC_THREADS)})
    with pytest.raises(SandboxError, match="public threads"):
        await sandbox.create_thread(world.bob, world.cafe, "No", from_message=start)
    with pytest.raises(SandboxError, match="public threads"):
        await sandbox.create_thread(world.bob, world.cafe, "No")
    private = await sandbox.create_thread(world.bob, world.cafe, "Still private", private=True)
    guild.set_channel_overwrites(
        world.cafe,
        {guild.everyone: (0, P.CREATE_PRIVATE_THREADS | P.SEND_MESSAGES_IN_THREADS)},
    )
    with pytest.raises(SandboxError, match="private threads"):
        await sandbox.create_thread(world.bob, world.cafe, "No", private=True)
    thread = await sandbox.create_thread(world.bob, world.cafe, "Read only")
    with pytest.raises(SandboxError, match="may not send"):
        await sandbox.send_message(world.bob, thread, "hello")
    with pytest.raises(SandboxError, match="may not send"):
        await sandbox.send_message(world.bob, private, "hello")
    with pytest.raises(SandboxError, match="1 to 100"):
        await sandbox.create_thread(world.bob, world.cafe, "x" * 101)
    with pytest.raises(SandboxError, match="cannot hold threads"):
        await sandbox.create_thread(world.bob, thread, "nested")


async def test_clearing_reactions(world: World, connect: BotFactory) -> None:
    record = await recorder(world, connect)
    sandbox = world.sandbox
    message = await sandbox.send_message(world.bob, world.cafe, "react")
    await sandbox.add_reaction(world.alice, message, "👍")
    await sandbox.add_reaction(world.others[0], message, "👍")
    await sandbox.add_reaction(world.others[0], message, "🌊")
    with pytest.raises(SandboxError, match="may not remove"):
        await sandbox.clear_reactions(world.bob, message)  # no Manage Messages
    await sandbox.clear_reactions(world.alice, message, "👍")  # a moderator
    assert message.reactions == {"🌊": [world.others[0].id]}
    await sandbox.wait_until(lambda: record.get("raw_reaction_clear_emoji"))
    one = record["raw_reaction_clear_emoji"][0]
    assert (one.message_id, one.channel_id, str(one.emoji)) == (message.id, world.cafe.id, "👍")
    assert one.guild_id == world.guild.id
    await sandbox.clear_reactions(world.alice, message)
    assert message.reactions == {}
    await sandbox.wait_until(lambda: record.get("raw_reaction_clear"))
    every = record["raw_reaction_clear"][0]
    assert (every.message_id, every.channel_id, every.guild_id) == (
        message.id,
        world.cafe.id,
        world.guild.id,
    )


async def test_the_bot_clears_reactions_over_rest(world: World, connect: BotFactory) -> None:
    record = await recorder(world, connect)
    sandbox = world.sandbox
    message = await sandbox.send_message(world.bob, world.cafe, "react")
    await sandbox.add_reaction(world.alice, message, "👍")
    await sandbox.add_reaction(world.alice, message, "🌊")
    await sandbox.wait_until(lambda: record.get("message"))
    seen: discord.Message = record["message"][0]
    await seen.clear_reaction("👍")
    assert list(message.reactions) == ["🌊"]
    await seen.clear_reactions()
    assert message.reactions == {}
    await sandbox.wait_until(
        lambda: record.get("raw_reaction_clear_emoji") and record.get("raw_reaction_clear")
    )
    assert str(record["raw_reaction_clear_emoji"][0].emoji) == "👍"


async def test_archived_public_threads_come_most_recently_archived_first(
    world: World, connect: BotFactory
) -> None:
    """GET /channels/{id}/threads/archived/public, as discord.py's archived_threads() reads it:
    public threads only, the most recently archived first, and those archived before a time."""
    bot = make_bot()
    await connect(world.bot, bot)
    sandbox = world.sandbox
    rounds = [await sandbox.create_thread(world.bob, world.cafe, f"Round {n}") for n in (1, 2, 3)]
    private = await sandbox.create_thread(world.bob, world.cafe, "Table 1", private=True)
    await sandbox.create_thread(world.bob, world.cafe, "Still open")
    for thread in [*rounds, private]:
        fetched = await bot.fetch_channel(thread.id)
        assert isinstance(fetched, discord.Thread)
        await fetched.edit(archived=True)
    cafe = bot.get_channel(world.cafe.id)
    assert isinstance(cafe, discord.TextChannel)
    newest_first = [thread async for thread in cafe.archived_threads(limit=None)]
    assert [t.id for t in newest_first] == [t.id for t in reversed(rounds)]
    assert all(t.archived for t in newest_first)
    middle = newest_first[1].archive_timestamp
    older = [t.id async for t in cafe.archived_threads(limit=None, before=middle)]
    assert older == [rounds[0].id]
