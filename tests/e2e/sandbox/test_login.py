"""Login, READY, GUILD_CREATE and member chunking."""

from __future__ import annotations

import discord

from tests.e2e.sandbox.conftest import BotFactory, World, make_bot


async def test_login_ready_and_guild_create(world: World, connect: BotFactory) -> None:
    client = await connect(world.bot, make_bot())
    assert client.user is not None and client.user.id == world.bot.user.id
    assert client.application_id == world.bot.application_id
    guild = client.get_guild(world.guild.id)
    assert guild is not None
    assert guild.name == "Water CoP"
    assert {r.name for r in guild.roles} >= {"@everyone", "Moderators", "Coordinators", "copbot"}
    assert guild.get_channel(world.cafe.id).topic == "World Café"
    assert guild.me.guild_permissions.manage_roles
    names = [e for e, _ in world.sandbox.events]
    assert names[:2] == ["READY", "GUILD_CREATE"]
    assert ("GET", "/users/@me", 200) in world.sandbox.requests


async def test_member_chunking(world: World, connect: BotFactory) -> None:
    client = await connect(world.bot, make_bot())
    guild = client.get_guild(world.guild.id)
    assert guild is not None and guild.chunked
    assert guild.member_count == len(world.guild.members) == 24
    assert len(guild.members) == 24
    alice = guild.get_member(world.alice.id)
    assert isinstance(alice, discord.Member)
    assert [r.name for r in alice.roles] == ["@everyone", "Moderators"]
    assert "GUILD_MEMBERS_CHUNK" in [e for e, _ in world.sandbox.events]
