"""One bot application in several servers (a learning alliance): all of them at READY, the bot
kicked from one or leaving it, and many small servers built at once."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.sandbox import Sandbox
from bot.sandbox.sample import (
    BOT_PERMISSIONS,
    SampleCommunity,
    build_alliance,
    build_small_server,
)
from tests.e2e.alliance import running_alliance
from tests.e2e.sandbox.conftest import BotFactory, make_bot

log = logging.getLogger(__name__)


def removal_recording_bot(removed: list[discord.Guild]) -> discord.Client:
    client = make_bot()

    async def on_guild_remove(guild: discord.Guild) -> None:
        removed.append(guild)

    client.add_listener(on_guild_remove)
    return client


async def test_the_bot_sees_every_server_of_the_alliance_at_ready(
    sandbox: Sandbox, connect: BotFactory
) -> None:
    alliance = build_alliance(sandbox)
    bots = {server.bot.user.id for server in alliance.servers}
    assert len(bots) == 1  # one application in every server
    owners = {server.owner.id for server in alliance.servers}
    assert len(owners) == 3
    client = await connect(alliance.home.bot, make_bot())
    assert {g.id for g in client.guilds} == {s.guild.id for s in alliance.servers}
    for server in alliance.servers[1:]:
        guild = client.get_guild(server.guild.id)
        assert guild is not None and guild.owner_id == server.owner.id
        assert {c.name for c in guild.text_channels} == {"general", "inbox", "cafe"}
        moderators = guild.get_role(server.moderators_role.id)
        coordinators = guild.get_role(server.coordinators_role.id)
        assert moderators is not None and coordinators is not None
        assert server.moderator.id in {m.id for m in moderators.members}
        assert server.coordinator.id in {m.id for m in coordinators.members}
        assert server.plain_member.roles == []
        assert guild.me.top_role.position > moderators.position
        assert guild.me.guild_permissions.value & BOT_PERMISSIONS == BOT_PERMISSIONS


async def test_a_kicked_bot_is_told_and_refused_the_server(
    sandbox: Sandbox, connect: BotFactory
) -> None:
    alliance = build_alliance(sandbox)
    kisumu = alliance.kisumu
    removed: list[discord.Guild] = []
    client = await connect(kisumu.bot, removal_recording_bot(removed))
    inbox = client.get_channel(kisumu.channels["inbox"].id)
    assert isinstance(inbox, discord.TextChannel)
    await inbox.send("before")

    sandbox.remove_bot_from(kisumu.guild, kisumu.bot)
    await sandbox.wait_until(lambda: bool(removed))

    assert [g.id for g in removed] == [kisumu.guild.id]
    assert client.get_guild(kisumu.guild.id) is None
    assert len(client.guilds) == 2
    deleted = [p for e, p in sandbox.events if e == "GUILD_DELETE"]
    assert deleted == [{"id": str(kisumu.guild.id)}]  # no "unavailable": removed, not an outage
    assert not any(r.managed for r in kisumu.guild.roles)  # its role went with it
    with pytest.raises(discord.Forbidden) as caught:
        await inbox.send("after")
    assert caught.value.code == 50001
    with pytest.raises(discord.Forbidden) as caught:
        await client.fetch_guild(kisumu.guild.id)
    assert caught.value.code == 50001
    assert [m.content for m in kisumu.channels["inbox"].messages] == ["before"]
    # the other servers are untouched
    nakuru_inbox = client.get_channel(alliance.nakuru.channels["inbox"].id)
    assert isinstance(nakuru_inbox, discord.TextChannel)
    await nakuru_inbox.send("still here")
    assert alliance.nakuru.channels["inbox"].messages[-1].content == "still here"


async def test_the_bot_leaves_a_server_by_rest(sandbox: Sandbox, connect: BotFactory) -> None:
    alliance = build_alliance(sandbox)
    nakuru = alliance.nakuru
    removed: list[discord.Guild] = []
    client = await connect(nakuru.bot, removal_recording_bot(removed))
    guild = client.get_guild(nakuru.guild.id)
    assert guild is not None

    await guild.leave()
    await sandbox.wait_until(lambda: bool(removed))

    assert ("DELETE", f"/users/@me/guilds/{nakuru.guild.id}", 204) in sandbox.requests
    assert [g.id for g in removed] == [nakuru.guild.id]
    assert nakuru.bot.user.id not in nakuru.guild.members
    assert client.get_guild(nakuru.guild.id) is None
    with pytest.raises(discord.Forbidden) as caught:
        await client.http.send_message(
            nakuru.channels["general"].id,
            params=discord.http.handle_message_parameters(content="hello?"),
        )
    assert caught.value.code == 50001
    with pytest.raises(discord.NotFound) as unknown:  # leaving twice: not in it any more
        await client.http.leave_guild(nakuru.guild.id)
    assert unknown.value.code == 10004
    assert [g.id async for g in client.fetch_guilds()] == [
        alliance.home.guild.id,
        alliance.kisumu.guild.id,
    ]


async def test_the_bots_still_in_a_server_see_a_removed_bot_go(
    sandbox: Sandbox, connect: BotFactory
) -> None:
    alliance = build_alliance(sandbox)
    kisumu = alliance.kisumu
    helper_bot = sandbox.create_bot("minutes-bot")
    kisumu.guild.add_bot(helper_bot, permissions=BOT_PERMISSIONS)
    record: dict[str, list[Any]] = {"member_remove": [], "role_delete": []}
    watcher = make_bot()

    async def on_member_remove(member: discord.Member) -> None:
        record["member_remove"].append(member.id)

    async def on_guild_role_delete(role: discord.Role) -> None:
        record["role_delete"].append(role.id)

    watcher.add_listener(on_member_remove)
    watcher.add_listener(on_guild_role_delete)
    await connect(helper_bot, watcher)
    copbot_role = next(r for r in kisumu.guild.roles if r.bot_id == kisumu.bot.user.id)

    sandbox.remove_bot_from(kisumu.guild, kisumu.bot)
    await sandbox.wait_until(lambda: bool(record["member_remove"] and record["role_delete"]))

    assert record == {"member_remove": [kisumu.bot.user.id], "role_delete": [copbot_role.id]}
    guild = watcher.get_guild(kisumu.guild.id)
    assert guild is not None and guild.get_member(kisumu.bot.user.id) is None
    positions = sorted(r.position for r in kisumu.guild.roles)
    assert positions == list(range(len(positions)))  # still contiguous after the role went


def test_fifty_small_servers_build_quickly(sandbox: Sandbox) -> None:
    bot = sandbox.create_bot()
    started = time.perf_counter()
    servers = [build_small_server(sandbox, bot, f"Platform {i:02d}") for i in range(50)]
    took = time.perf_counter() - started
    log.info("50 small servers built in %.3f s", took)
    print(f"50 small servers built in {took:.3f} s")
    assert len({s.guild.id for s in servers}) == 50
    assert len({s.owner.id for s in servers}) == 50
    for server in servers:
        assert set(server.channels) == {"general", "inbox"}
        assert server.moderator.roles == [server.moderators_role]
        assert bot.user.id in server.guild.members


async def test_the_real_bot_keeps_staff_roles_per_server(tmp_path: Path) -> None:
    async with running_alliance(tmp_path, small_servers=2) as harness:
        assert len(harness.servers) == 5
        assert {g.id for g in harness.bot.guilds} == {s.guild.id for s in harness.servers}
        assert harness.community is harness.server(1)
        server_2, server_3 = harness.server(2), harness.server(3)

        async def moderator_sets_roles(server: SampleCommunity) -> str:
            itx = await harness.sandbox.slash(
                server.moderator,
                server.channels["general"],
                "settings roles",
                moderator=server.moderators_role,
                coordinator=server.coordinators_role,
            )
            return await itx.final_text()

        # a server's Moderators are staff once that server's owner says so, not before
        assert "Roles saved" not in await moderator_sets_roles(server_2)
        await harness.set_staff_roles_in(server_2)
        assert "Roles saved" in await moderator_sets_roles(server_2)
        assert "Roles saved" not in await moderator_sets_roles(server_3)
        await harness.set_staff_roles_everywhere()
        assert "Roles saved" in await moderator_sets_roles(server_3)
