"""What Discord refuses over REST: limits, permissions, threads; and rate limits."""

from __future__ import annotations

import asyncio

import discord
import pytest

from bot.sandbox import RateLimitConfig
from bot.sandbox.permissions import P
from tests.e2e.sandbox.conftest import World


def text_channel(client: discord.Client, channel_id: int) -> discord.TextChannel:
    channel = client.get_channel(channel_id)
    assert isinstance(channel, discord.TextChannel)
    return channel


async def test_message_round_trip(world: World, client: discord.Client) -> None:
    cafe = text_channel(client, world.cafe.id)
    sent = await cafe.send("Hello café", embed=discord.Embed(title="Round 1"))
    assert world.cafe.messages[-1].content == "Hello café"
    assert world.cafe.messages[-1].embeds[0]["title"] == "Round 1"
    edited = await sent.edit(content="Hello again")
    assert edited.content == "Hello again" and world.cafe.messages[-1].content == "Hello again"
    fetched = await cafe.fetch_message(sent.id)
    assert fetched.content == "Hello again"
    await cafe.send("second", file=discord.File(__file__, filename="notes.py"))
    history = [m.content async for m in cafe.history(limit=10)]
    assert history == ["second", "Hello again"]
    assert world.cafe.messages[-1].attachments[0].filename == "notes.py"
    await sent.delete()
    assert [m.content for m in world.cafe.messages] == ["second"]


async def test_content_over_2000_is_refused(world: World, client: discord.Client) -> None:
    cafe = text_channel(client, world.cafe.id)
    with pytest.raises(discord.HTTPException) as caught:
        await cafe.send("x" * 2001)
    assert caught.value.status == 400 and caught.value.code == 50035
    assert "2000 or fewer" in str(caught.value)
    assert world.cafe.messages == []
    await cafe.send("x" * 2000)
    assert len(world.cafe.messages) == 1


async def test_oversize_embeds_are_refused(world: World, client: discord.Client) -> None:
    cafe = text_channel(client, world.cafe.id)
    with pytest.raises(discord.HTTPException) as caught:
        await cafe.send(embed=discord.Embed(title="t" * 257))
    assert caught.value.code == 50035 and "embeds.0.title" in str(caught.value)
    big = discord.Embed(description="d" * 4000)
    for i in range(3):
        big.add_field(name=f"f{i}", value="v" * 1000)
    with pytest.raises(discord.HTTPException) as caught:
        await cafe.send(embed=big)
    assert "6000" in str(caught.value)
    with pytest.raises(discord.HTTPException) as caught:  # discord.py checks this one too
        await client.http.request(
            discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=cafe.id),
            json={"embeds": [{"title": str(i)} for i in range(11)]},
        )
    assert caught.value.code == 50035


async def test_empty_message_and_bad_components(world: World, client: discord.Client) -> None:
    http = client.http
    with pytest.raises(discord.HTTPException) as caught:
        await http.request(
            discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=world.cafe.id),
            json={},
        )
    assert caught.value.code == 50006
    row = {
        "type": 1,
        "components": [
            {"type": 2, "style": 1, "label": "a", "custom_id": "same"},
            {"type": 2, "style": 1, "label": "b", "custom_id": "same"},
        ],
    }
    with pytest.raises(discord.HTTPException) as caught:
        await http.request(
            discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=world.cafe.id),
            json={"content": "x", "components": [row]},
        )
    assert caught.value.code == 50035 and "duplicated" in str(caught.value)


async def test_missing_send_messages_is_403(world: World, client: discord.Client) -> None:
    bot_role = next(r for r in world.guild.roles if r.managed)
    world.guild.set_channel_overwrites(world.cafe, {bot_role: (0, P.SEND_MESSAGES)})
    await world.sandbox.wait_until(
        lambda: (
            not text_channel(client, world.cafe.id)
            .permissions_for(client.get_guild(world.guild.id).me)
            .send_messages
        )
    )
    with pytest.raises(discord.Forbidden) as caught:
        await text_channel(client, world.cafe.id).send("hello")
    assert caught.value.code == 50013
    world.guild.set_channel_overwrites(world.cafe, {world.guild.id: (0, P.VIEW_CHANNEL)})
    await asyncio.sleep(0.05)
    with pytest.raises(discord.Forbidden) as caught:
        await client.http.send_message(
            world.cafe.id, params=discord.http.handle_message_parameters(content="hi")
        )
    assert caught.value.code == 50001


async def test_role_hierarchy(world: World, client: discord.Client) -> None:
    guild = client.get_guild(world.guild.id)
    bob = guild.get_member(world.bob.id)
    await bob.add_roles(guild.get_role(world.coordinators.id))
    assert world.coordinators in world.bob.roles
    top = world.guild.create_role("Admins")
    world.guild.update_role(top, position=len(world.guild.roles) - 1)  # above the bot's role
    with pytest.raises(discord.Forbidden):
        await world.sandbox.wait_until(lambda: guild.get_role(top.id) is not None)
        await client.http.add_role(world.guild.id, world.bob.id, top.id)


async def test_threads(world: World, client: discord.Client) -> None:
    cafe = text_channel(client, world.cafe.id)
    start = await cafe.send("Table 1 starts here")
    public = await start.create_thread(name="Table 1", auto_archive_duration=60)
    assert public.type is discord.ChannelType.public_thread and public.id == start.id
    private = await cafe.create_thread(name="Hosts only")
    assert private.type is discord.ChannelType.private_thread
    assert {t.name for t in world.guild.threads} == {"Table 1", "Hosts only"}
    await public.send("in the thread")
    assert world.guild.get_channel(public.id).messages[-1].content == "in the thread"
    await public.add_user(discord.Object(world.bob.id))
    assert world.bob.id in world.guild.get_channel(public.id).thread_members
    with pytest.raises(discord.HTTPException) as caught:
        await cafe.create_thread(name="n" * 101, type=discord.ChannelType.public_thread)
    assert caught.value.code == 50035
    with pytest.raises(discord.HTTPException) as caught:
        await client.http.start_thread_without_message(
            world.cafe.id, name="ok", auto_archive_duration=30, type=11
        )  # type: ignore[arg-type]
    assert caught.value.code == 50035
    with pytest.raises(discord.HTTPException) as caught:
        await start.create_thread(name="again")
    assert caught.value.code == 160004
    edited = await public.edit(archived=True, name="Table 1 (closed)")
    assert edited.archived and world.guild.get_channel(public.id).archived
    active = await client.get_guild(world.guild.id).active_threads()
    assert [t.name for t in active] == ["Hosts only"]
    # As many active threads as the server allows: no more, from a message or without one;
    # archiving one makes room again.
    world.guild.max_active_threads = 1
    another = await cafe.send("Table 2 starts here")
    with pytest.raises(discord.HTTPException) as caught:
        await another.create_thread(name="Table 2")
    assert caught.value.status == 400 and caught.value.code == 160006
    with pytest.raises(discord.HTTPException) as caught:
        await cafe.create_thread(name="Table 3")
    assert caught.value.code == 160006
    await private.edit(archived=True)
    assert (await another.create_thread(name="Table 2")).name == "Table 2"


async def test_reactions_and_pins(world: World, client: discord.Client) -> None:
    cafe = text_channel(client, world.cafe.id)
    msg = await cafe.send("React to me")
    await msg.add_reaction("👍")
    await msg.add_reaction("🌊")
    stored = world.cafe.messages[-1]
    assert stored.reactions == {"👍": [world.bot.user.id], "🌊": [world.bot.user.id]}
    await msg.remove_reaction("🌊", client.user)
    assert "🌊" not in stored.reactions
    await msg.pin()
    assert stored.pinned
    pins = [m async for m in cafe.pins()]
    assert [m.id for m in pins] == [msg.id]


async def test_rate_limits_are_retried_in_order(world: World, client: discord.Client) -> None:
    world.sandbox.set_rate_limits(
        RateLimitConfig(global_limit=3, global_window=0.2, message_create=(4, 0.3))
    )
    cafe = text_channel(client, world.cafe.id)
    for i in range(12):
        await cafe.send(f"message {i}")
    assert world.sandbox.rate_limited_count > 0
    assert [m.content for m in world.cafe.messages] == [f"message {i}" for i in range(12)]
    assert any(status == 429 for _, _, status in world.sandbox.requests)


async def test_concurrent_sends_respect_the_bucket(world: World, client: discord.Client) -> None:
    world.sandbox.set_rate_limits(RateLimitConfig(message_create=(3, 0.2)))
    cafe = text_channel(client, world.cafe.id)
    await asyncio.gather(*(cafe.send(f"m{i}") for i in range(8)))
    assert sorted(m.content for m in world.cafe.messages) == sorted(f"m{i}" for i in range(8))


async def test_unauthorized_and_unknown(world: World, client: discord.Client) -> None:
    with pytest.raises(discord.NotFound) as caught:
        await client.fetch_channel(12345)
    assert caught.value.code == 10003
    with pytest.raises(discord.NotFound) as caught:
        await text_channel(client, world.cafe.id).fetch_message(999)
    assert caught.value.code == 10008
    bad = discord.Client(intents=discord.Intents.none())
    try:
        with pytest.raises(discord.LoginFailure):
            await bad.login("not-a-token")
    finally:
        await bad.close()


async def test_dm_closed(world: World, client: discord.Client) -> None:
    closed = world.sandbox.create_user("carol", accepts_dms=False)
    world.guild.add_member(closed)
    user = await client.fetch_user(closed.id)
    with pytest.raises(discord.Forbidden) as caught:
        await user.send("hi")
    assert caught.value.code == 50007
    bob = await client.fetch_user(world.bob.id)
    await bob.send("hello bob")
    assert world.sandbox.dm_channel(world.bot, world.bob.user).messages[-1].content == "hello bob"


async def test_enforced_nonce_returns_the_earlier_message(
    world: World, client: discord.Client
) -> None:
    cafe = text_channel(client, world.cafe.id)
    first = await cafe.send("Round 1 starts", nonce="c1r1t1b")
    again = await cafe.send("Round 1 starts", nonce="c1r1t1b")
    other = await cafe.send("Round 1 starts", nonce="c1r1t2b")
    assert again.id == first.id and other.id != first.id
    assert [m.content for m in world.cafe.messages].count("Round 1 starts") == 2
    with pytest.raises(discord.HTTPException) as refused:
        await cafe.send("too long a nonce", nonce="x" * 26)
    assert refused.value.status == 400
