"""Roles and members changed after start-up: the events discord.py sees, and Discord's limits."""

from __future__ import annotations

from typing import Any

import discord
import pytest

from bot.sandbox import Guild, SandboxError
from bot.sandbox.models import MAX_ROLES
from bot.sandbox.permissions import DEFAULT_EVERYONE, P
from tests.e2e.sandbox.conftest import BotFactory, World, make_bot, recording_bot


def positions(guild: Guild) -> dict[str, int]:
    return {role.name: role.position for role in guild.roles}


def assert_contiguous(guild: Guild) -> None:
    assert sorted(r.position for r in guild.roles) == list(range(len(guild.roles)))
    assert guild.everyone.position == 0


async def test_update_role_dispatches_guild_role_update(world: World, connect: BotFactory) -> None:
    record: dict[str, list[Any]] = {}
    client = await connect(world.bot, recording_bot(record))
    guild = world.guild
    guild.update_role(
        world.coordinators, name="Hosts", permissions=P.MANAGE_THREADS, color=0x2E8B57
    )
    await world.sandbox.wait_until(lambda: record.get("guild_role_update"))
    before, after = record["guild_role_update"][0]
    assert (before.name, after.name) == ("Coordinators", "Hosts")
    assert after.permissions.value == P.MANAGE_THREADS and after.color.value == 0x2E8B57
    cached = client.get_guild(guild.id).get_role(world.coordinators.id)
    assert cached.name == "Hosts" and cached.permissions.manage_threads


async def test_a_new_position_shifts_the_others_and_each_is_announced(
    world: World, connect: BotFactory
) -> None:
    record: dict[str, list[Any]] = {}
    client = await connect(world.bot, recording_bot(record))
    guild = world.guild
    extra = [guild.create_role(f"Team {i}") for i in range(3)]  # each made at position 1
    assert_contiguous(guild)
    before = positions(guild)
    cached = client.get_guild(guild.id)
    # the roles a new one pushed up are announced too: the bot's view matches the sandbox's
    await world.sandbox.wait_until(lambda: {r.name: r.position for r in cached.roles} == before)
    record.pop("guild_role_update", None)
    bot_role = next(r for r in guild.roles if r.bot_id == world.bot.user.id)
    # A role dragged from the bottom to just under the bot: all in between move down one.
    guild.update_role(extra[2], position=bot_role.position - 1)
    assert_contiguous(guild)
    after = positions(guild)
    assert (
        after["Team 2"] == bot_role.position - 1 and after[bot_role.name] == before[bot_role.name]
    )
    changed = {name for name in after if after[name] != before[name]}
    assert changed == {"Team 2", "Team 1", "Team 0", "Coordinators", "Moderators"}
    await world.sandbox.wait_until(lambda: len(record.get("guild_role_update", [])) == len(changed))
    assert {after_role.name for _b, after_role in record["guild_role_update"]} == changed
    assert {r.name: r.position for r in cached.roles} == after
    assert [r.name for r in cached.roles][-2:] == ["Team 2", bot_role.name]
    with pytest.raises(SandboxError):
        guild.update_role(guild.everyone, position=3)


async def test_set_member_nick_dispatches_member_update(world: World, connect: BotFactory) -> None:
    record: dict[str, list[Any]] = {}
    client = await connect(world.bot, recording_bot(record))
    world.guild.set_member_nick(world.alice, "Ali")
    await world.sandbox.wait_until(lambda: record.get("member_update"))
    before, after = record["member_update"][0]
    assert before.nick is None and after.nick == "Ali" and after.display_name == "Ali"
    assert world.alice.nick == "Ali"
    world.guild.set_member_nick(world.alice, None)
    await world.sandbox.wait_until(lambda: len(record["member_update"]) == 2)
    assert client.get_guild(world.guild.id).get_member(world.alice.id).nick is None
    with pytest.raises(SandboxError):
        world.guild.set_member_nick(world.alice, "n" * 33)


async def test_a_new_global_name_reaches_every_shared_guild(
    world: World, connect: BotFactory
) -> None:
    record: dict[str, list[Any]] = {}
    client = await connect(world.bot, recording_bot(record))
    world.sandbox.set_global_name(world.bob.user, "Bob B.")
    await world.sandbox.wait_until(lambda: record.get("user_update"))
    before, after = record["user_update"][0]
    assert before.global_name is None and after.global_name == "Bob B."
    assert client.get_guild(world.guild.id).get_member(world.bob.id).display_name == "Bob B."


async def test_the_251st_role_is_refused(world: World, connect: BotFactory) -> None:
    guild = world.guild
    while len(guild.roles) < MAX_ROLES:
        guild.create_role(f"filler {len(guild.roles)}")
    with pytest.raises(SandboxError):
        guild.create_role("one too many")
    client = await connect(world.bot, make_bot())
    cached = client.get_guild(guild.id)
    assert len(cached.roles) == MAX_ROLES
    with pytest.raises(discord.HTTPException) as caught:
        await cached.create_role(name="one too many")
    assert caught.value.status == 400 and caught.value.code == 30005
    assert "Maximum number of server roles reached (250)" in str(caught.value)
    assert len(guild.roles) == MAX_ROLES
    await cached.get_role(guild.roles[-2].id).delete()  # room for one again
    await cached.create_role(name="fits again")
    assert len(guild.roles) == MAX_ROLES


async def test_create_role_defaults_and_limits(world: World, connect: BotFactory) -> None:
    client = await connect(world.bot, make_bot())
    cached = client.get_guild(world.guild.id)
    # discord.py always sends "permissions"; a body without it gets @everyone's, as documented
    data = await client.http.create_role(world.guild.id, name="Readers")
    readers = cached.get_role(int(data["id"])) or discord.Role(
        guild=cached, state=client._connection, data=data
    )
    assert readers.permissions.value == DEFAULT_EVERYONE == cached.default_role.permissions.value
    assert world.guild.get_role(readers.id).permissions == world.guild.everyone.permissions
    coloured = await cached.create_role(name="Green", colour=discord.Colour(0x2E8B57))
    assert world.guild.get_role(coloured.id).color == 0x2E8B57
    label = await cached.create_role(name="Label", permissions=discord.Permissions.none())
    assert label.permissions.value == 0
    with pytest.raises(discord.HTTPException) as caught:
        await cached.create_role(name="r" * 101)
    assert caught.value.code == 50035 and "100 or fewer" in str(caught.value)
    with pytest.raises(discord.Forbidden):  # the bot cannot hand out what it does not hold
        await cached.create_role(name="Admins", permissions=discord.Permissions(P.ADMINISTRATOR))


async def test_the_bot_edits_and_moves_roles_over_rest(world: World, connect: BotFactory) -> None:
    record: dict[str, list[Any]] = {}
    client = await connect(world.bot, recording_bot(record))
    guild = world.guild
    cached = client.get_guild(guild.id)
    coordinators = cached.get_role(world.coordinators.id)
    await coordinators.edit(name="Hosts", colour=discord.Colour(0x123456), hoist=True)
    assert world.coordinators.name == "Hosts" and world.coordinators.hoist
    await world.sandbox.wait_until(lambda: record.get("guild_role_update"))
    assert record["guild_role_update"][0][1].name == "Hosts"

    # discord.py's Role.edit(position=...) sends PATCH /guilds/{id}/roles with the whole range
    assert (world.coordinators.position, world.moderators.position) == (1, 2)
    await coordinators.edit(position=2)
    assert (world.coordinators.position, world.moderators.position) == (2, 1)
    assert_contiguous(guild)
    await world.sandbox.wait_until(
        lambda: (
            cached.get_role(world.moderators.id).position == 1
            and cached.get_role(world.coordinators.id).position == 2
        )
    )

    with pytest.raises(discord.Forbidden):  # not above its own top role
        await coordinators.edit(position=3)
    with pytest.raises(discord.Forbidden):
        await coordinators.edit(permissions=discord.Permissions(P.ADMINISTRATOR))
    with pytest.raises(discord.HTTPException) as caught:
        await coordinators.edit(name="h" * 101)
    assert caught.value.code == 50035
    assert world.coordinators.name == "Hosts" and world.coordinators.permissions == 0
