"""Gateway events reach the bot: messages, replies, reactions, members; RESUME and intents."""

from __future__ import annotations

from typing import Any

import discord

from tests.e2e.sandbox.conftest import BotFactory, World, recording_bot


async def test_member_message_reply_and_reaction(world: World, connect: BotFactory) -> None:
    record: dict[str, list[Any]] = {}
    await connect(world.bot, recording_bot(record))
    sandbox = world.sandbox
    first = await sandbox.send_message(
        world.alice, world.cafe, "What works for O&M?", attachments=[("notes.txt", b"field notes")]
    )
    reply = await sandbox.send_message(world.bob, world.cafe, "Tariffs", reply_to=first)
    await sandbox.add_reaction(world.bob, first, "👍")
    await sandbox.wait_until(
        lambda: len(record.get("message", [])) == 2 and record.get("raw_reaction_add")
    )
    got_first, got_reply = record["message"]
    assert got_first.content == "What works for O&M?"
    assert got_first.author.id == world.alice.id
    assert got_first.attachments[0].filename == "notes.txt"
    assert await got_first.attachments[0].read() == b"field notes"
    assert got_reply.reference.message_id == first.id
    assert got_reply.type is discord.MessageType.reply
    reaction = record["raw_reaction_add"][0]
    assert (reaction.user_id, reaction.message_id, str(reaction.emoji)) == (
        world.bob.id,
        first.id,
        "👍",
    )
    assert reaction.member is not None and reaction.member.id == world.bob.id
    await sandbox.edit_message(world.bob, reply, "Tariffs and subsidies")
    await sandbox.delete_message(world.alice, first)
    await sandbox.remove_reaction(world.bob, first, "👍")
    await sandbox.wait_until(
        lambda: (
            record.get("message_edit")
            and record.get("raw_message_delete")
            and record.get("raw_reaction_remove")
        )
    )
    assert record["message_edit"][0][1].content == "Tariffs and subsidies"
    assert record["raw_message_delete"][0].message_id == first.id
    assert reply.id in {m.id for m in world.cafe.messages} and first not in world.cafe.messages


async def test_member_and_guild_events(world: World, connect: BotFactory) -> None:
    record: dict[str, list[Any]] = {}
    client = await connect(world.bot, recording_bot(record))
    newcomer = world.guild.add_member(world.sandbox.create_user("dana", "Dana D."))
    world.guild.set_member_roles(newcomer, [world.coordinators])
    role = world.guild.create_role("Hosts")
    world.guild.remove_member(newcomer)
    await world.sandbox.wait_until(
        lambda: record.get("member_remove") and record.get("guild_role_create")
    )
    assert record["member_join"][0].name == "dana"
    _before, after = record["member_update"][0]
    assert [r.name for r in after.roles] == ["@everyone", "Coordinators"]
    assert client.get_guild(world.guild.id).get_role(role.id).name == "Hosts"
    assert client.get_guild(world.guild.id).get_member(newcomer.id) is None


async def test_resume_replays_missed_events_once(world: World, connect: BotFactory) -> None:
    record: dict[str, list[Any]] = {}
    await connect(world.bot, recording_bot(record))
    sandbox = world.sandbox
    await sandbox.send_message(world.alice, world.cafe, "before")
    await sandbox.wait_until(lambda: len(record.get("message", [])) == 1)
    sandbox.disconnect_bot(resumable=True)
    assert not sandbox.is_connected()
    for text in ("while away 1", "while away 2"):
        await sandbox.send_message(world.bob, world.cafe, text)
    await sandbox.wait_until(lambda: record.get("resumed") and len(record["message"]) >= 3)
    await sandbox.send_message(world.alice, world.cafe, "after")
    await sandbox.wait_until(lambda: len(record["message"]) >= 4)
    assert [m.content for m in record["message"]] == [
        "before",
        "while away 1",
        "while away 2",
        "after",
    ]
    names = [e for e, _ in sandbox.events]
    assert names.count("READY") == 1 and "RESUMED" in names


async def test_invalid_session_makes_the_bot_identify_again(
    world: World, connect: BotFactory
) -> None:
    record: dict[str, list[Any]] = {}
    bot = recording_bot(record)

    async def no_identify_delay(shard_id: int | None, *, initial: bool = False) -> None:
        return None  # discord.py waits 5 s before identifying again; tests need not

    bot.before_identify_hook = no_identify_delay  # type: ignore[method-assign]
    client = await connect(world.bot, bot)
    world.sandbox.disconnect_bot(resumable=False)
    await world.sandbox.wait_until(
        lambda: [e for e, _ in world.sandbox.events].count("READY") == 2, timeout=10
    )
    await world.sandbox.wait_until(world.sandbox.is_connected)
    await world.sandbox.send_message(world.alice, world.cafe, "still there?")
    await world.sandbox.wait_until(lambda: record.get("message"))
    assert client.get_guild(world.guild.id) is not None


async def test_message_content_needs_the_intent(world: World, connect: BotFactory) -> None:
    record: dict[str, list[Any]] = {}
    intents = discord.Intents.default()  # no message_content, no members
    client = await connect(world.bot, recording_bot(record, intents))
    await world.sandbox.send_message(
        world.alice, world.cafe, "private words", attachments=[("a.txt", b"x")]
    )
    await world.sandbox.send_message(world.alice, world.cafe, f"{client.user.mention} hello bot")
    await world.sandbox.wait_until(lambda: len(record.get("message", [])) == 2)
    hidden, mentioned = record["message"]
    assert hidden.content == "" and hidden.attachments == []
    assert mentioned.content.endswith("hello bot")
    world.guild.add_member(world.sandbox.create_user("erin"))
    await world.sandbox.send_message(world.alice, world.cafe, "sync point")
    await world.sandbox.wait_until(lambda: len(record["message"]) == 3)
    assert "member_join" not in record


async def test_the_message_replied_to_is_withheld_too(world: World, connect: BotFactory) -> None:
    """Without the intent, the referenced message inside a reply arrives without its text too."""
    record: dict[str, list[Any]] = {}
    await connect(world.bot, recording_bot(record, discord.Intents.default()))
    question = await world.sandbox.send_message(world.alice, world.cafe, "Who has tried it?")
    await world.sandbox.send_message(world.bob, world.cafe, "We did", reply_to=question)
    await world.sandbox.wait_until(lambda: len(record.get("message", [])) == 2)
    reply = record["message"][1]
    assert reply.content == "" and reply.type is discord.MessageType.reply
    resolved = reply.reference.resolved
    assert isinstance(resolved, discord.Message) and resolved.author.id == world.alice.id
    assert resolved.content == ""
