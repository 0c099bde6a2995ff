"""Failures injected on a route: discord.py sees what it sees from Discord under load."""

from __future__ import annotations

import time

import discord
import pytest

from bot.sandbox import SandboxError
from tests.e2e.sandbox.conftest import World

THREADS = "/channels/{channel_id}/threads"


def cafe_of(client: discord.Client, world: World) -> discord.TextChannel:
    channel = client.get_channel(world.cafe.id)
    assert isinstance(channel, discord.TextChannel)
    return channel


async def test_five_429s_in_a_row_exhaust_discord_py_and_four_do_not(
    world: World, client: discord.Client
) -> None:
    cafe = cafe_of(client, world)
    sandbox = world.sandbox
    sandbox.inject_failures("POST", THREADS, 6, retry_after=0.05)
    began = time.monotonic()
    with pytest.raises(discord.HTTPException) as caught:
        await cafe.create_thread(name="Table 1", type=discord.ChannelType.public_thread)
    assert caught.value.status == 429
    # It retried after each retry_after: the body and headers were those it trusts.
    assert time.monotonic() - began >= 4 * 0.05
    assert [r for r in sandbox.requests if r[0] == "POST" and r[1].endswith("/threads")] == [
        ("POST", f"/channels/{world.cafe.id}/threads", 429)
    ] * 5
    assert not world.guild.threads and sandbox.faults.left("POST", THREADS) == 1

    # One failure left: discord.py waits it out and the thread opens.
    thread = await cafe.create_thread(name="Table 1", type=discord.ChannelType.public_thread)
    assert [t.id for t in world.guild.threads] == [thread.id]
    assert sandbox.faults.left("POST", THREADS) == 0

    # Other routes were never touched.
    await cafe.send("still talking")
    assert world.cafe.messages[-1].content == "still talking"


async def test_a_server_error_and_failures_until_cleared(
    world: World, client: discord.Client
) -> None:
    cafe = cafe_of(client, world)
    sandbox = world.sandbox
    sandbox.inject_failures("POST", "/channels/{channel_id}/messages", 1, status=503)
    with pytest.raises(discord.DiscordServerError) as caught:
        await cafe.send("hello")
    assert caught.value.status == 503 and not world.cafe.messages

    sandbox.inject_failures("POST", THREADS, None, retry_after=0.01)
    for _ in range(2):
        with pytest.raises(discord.HTTPException):
            await cafe.create_thread(name="Table 1", type=discord.ChannelType.public_thread)
    assert sandbox.faults.left("POST", THREADS) is None
    sandbox.clear_failures()
    await cafe.create_thread(name="Table 1", type=discord.ChannelType.public_thread)
    assert len(world.guild.threads) == 1


def test_only_routes_discord_has_take_failures(world: World) -> None:
    with pytest.raises(SandboxError, match="no route"):
        world.sandbox.inject_failures("POST", "/channels/{channel_id}/thread", 1)
    with pytest.raises(ValueError, match="429 or a 5xx"):
        world.sandbox.inject_failures("POST", THREADS, 1, status=403)
