"""`copbot check` against the sandbox: all clear on a correct set-up, and each kind of problem
reported on its own line with its fix (token, Discord unreachable, intents, permissions at
server level and in a channel, roles, time zone, role sync, the database's schema)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import discord
import pytest

from bot import cli
from bot.check import (
    ALL_PERMISSIONS,
    GATEWAY_GUILD_MEMBERS,
    Overwrite,
    base_permissions,
    channel_permissions,
)
from bot.config import Settings
from bot.membership.rolesync import RoleKey, RoleKind
from bot.membership.vocabulary import Level
from bot.platforms.service import Platforms
from bot.prompts.schedules import PROMPT_POST
from bot.sandbox import Sandbox
from bot.sandbox.permissions import P
from bot.sandbox.sample import SampleCommunity, build_many_servers, build_sample_community
from bot.scheduling.values import MisfirePolicy
from storage.communities import (
    ensure_community,
    set_review_channel,
    set_rolesync,
    set_staff_roles,
    set_timezone,
)
from storage.db import Database
from storage.prompts import create_prompt_schedule
from storage.synced_roles import remember_synced_role
from tests.databases import sqlite_url
from tests.e2e.processes import clean_environment, start_bot_module

SERVER = "Server Water & Sanitation CoP:"
ROLES_FIX = "create the roles in Server Settings > Roles, then set them with /settings roles"


@pytest.fixture(autouse=True)
def _discord_py_addresses() -> Iterator[None]:
    """The check points discord.py at the sandbox (or at nowhere): put it back afterwards."""
    api, gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    yield
    discord.http.Route.BASE = api
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway


def settings_for(sandbox: Sandbox, token: str, tmp_path: Path, **more: str) -> Settings:
    env = {
        "DISCORD_TOKEN": token,
        "DISCORD_API_BASE": sandbox.api_base,
        "DISCORD_GATEWAY_URL": sandbox.gateway_url,
        "DATABASE_URL": sqlite_url(tmp_path),
        **more,
    }
    return Settings.from_env(env, dotenv=False)


async def set_up(
    tmp_path: Path,
    community: SampleCommunity,
    *,
    timezone: str = "Europe/Amsterdam",
    roles: bool = True,
    prompt_schedule: bool = True,
) -> None:
    """A migrated database holding the community's settings, as a coordinator leaves them."""
    db = Database.connect(sqlite_url(tmp_path))
    try:
        await db.migrate()
        async with db.transaction() as session:
            row = await ensure_community(session, community.guild.id, community.guild.name)
            await set_timezone(session, row, timezone)
            if roles:
                await set_staff_roles(
                    session,
                    row,
                    moderator_role_id=community.moderators_role.id,
                    coordinator_role_id=community.coordinators_role.id,
                )
            await set_review_channel(session, row, community.channels["general"].id)
            if prompt_schedule:
                await create_prompt_schedule(
                    session,
                    kind=PROMPT_POST,
                    community_id=community.guild.id,
                    channel_id=community.channels["questions"].id,
                    theme="Water quality",
                    theme_key="water quality",
                    make_thread=True,
                    when_text="weekly mon 09:00",
                    timezone=timezone,
                    misfire_policy=MisfirePolicy.LATE,
                    grace_seconds=3600,
                    created_by=community.owner.id,
                    created_at=datetime(2026, 1, 5, tzinfo=UTC),
                )
    finally:
        await db.dispose()


async def run_check(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> tuple[int, list[str]]:
    capsys.readouterr()
    code = await cli.check(settings)
    return code, capsys.readouterr().out.splitlines()


async def test_all_is_well_on_a_correct_set_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with Sandbox() as sandbox:
        community = build_sample_community(sandbox)
        await set_up(tmp_path, community)
        code, lines = await run_check(settings_for(sandbox, community.bot.token, tmp_path), capsys)
    assert lines == ["All is well"]
    assert code == 0


async def test_a_refused_token(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    async with Sandbox() as sandbox:
        community = build_sample_community(sandbox)
        await set_up(tmp_path, community)
        code, lines = await run_check(settings_for(sandbox, "not.a.token", tmp_path), capsys)
    assert lines == [
        "Set-up:",
        "  - DISCORD_TOKEN: Discord refused this token: copy the bot's token again (Developer "
        "Portal > your app > Bot > Reset Token) into .env, then start again",
        "1 thing to fix",
    ]
    assert code == 1


async def test_discord_cannot_be_reached(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with Sandbox() as sandbox:
        community = build_sample_community(sandbox)
        await set_up(tmp_path, community)
        settings = settings_for(
            sandbox,
            community.bot.token,
            tmp_path,
            DISCORD_API_BASE=f"http://127.0.0.1:{port}/api/v10",
        )
        code, lines = await run_check(settings, capsys)
    assert lines == [
        "Set-up:",
        f"  - cannot reach Discord at 127.0.0.1:{port} (Connection refused): check the internet "
        "connection (and DISCORD_API_BASE, if set), then start again",
        "1 thing to fix",
    ]
    assert code == 1


async def test_a_privileged_intent_switched_off(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with Sandbox() as sandbox:
        community = build_sample_community(sandbox)
        await set_up(tmp_path, community)
        community.bot.application_flags = GATEWAY_GUILD_MEMBERS  # Message Content is off
        code, lines = await run_check(settings_for(sandbox, community.bot.token, tmp_path), capsys)
        # Without message content the bot asks only for the members intent, which is on.
        off = settings_for(sandbox, community.bot.token, tmp_path, DISCORD_MESSAGE_CONTENT="off")
        code_off, lines_off = await run_check(off, capsys)
    assert lines == [
        "Set-up:",
        "  - the bot may not use Message Content Intent: switch Message Content Intent on in the "
        "Developer Portal > your app > Bot > Privileged Gateway Intents (or set "
        "DISCORD_MESSAGE_CONTENT=off to run without message content)",
        "1 thing to fix",
    ]
    assert code == 1
    assert (code_off, lines_off) == (0, ["All is well"])


async def test_a_permission_missing_in_the_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with Sandbox() as sandbox:
        community = build_sample_community(sandbox)
        await set_up(tmp_path, community, prompt_schedule=False)
        bot_role = next(role for role in community.guild.roles if role.bot_id is not None)
        bot_role.permissions &= ~(P.MANAGE_ROLES | P.MANAGE_THREADS)
        code, lines = await run_check(settings_for(sandbox, community.bot.token, tmp_path), capsys)
    assert lines == [
        SERVER,
        "  - the bot's role lacks Manage Roles, Manage Threads: give them to its role in Server "
        "Settings > Roles (or invite it again with the invite link copbot run prints)",
        "1 thing to fix",
    ]
    assert code == 1


async def test_the_bot_cannot_post_in_a_prompt_schedules_channel(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with Sandbox() as sandbox:
        community = build_sample_community(sandbox)
        await set_up(tmp_path, community)
        questions = community.channels["questions"]
        community.guild.set_channel_overwrites(
            questions, {community.bot.user: (0, P.SEND_MESSAGES)}
        )
        code, lines = await run_check(settings_for(sandbox, community.bot.token, tmp_path), capsys)
    # Without Send Messages, Discord takes Embed Links away in that channel too.
    assert lines == [
        SERVER,
        "  - in #questions (the question schedule 1 (Water quality)) the bot lacks Send Messages, "
        "Embed Links: allow them for the bot's role in #questions > Edit Channel > Permissions",
        "1 thing to fix",
    ]
    assert code == 1


async def test_roles_not_set_and_a_deleted_role(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with Sandbox() as sandbox:
        community = build_sample_community(sandbox)
        await set_up(tmp_path, community, roles=False)
        settings = settings_for(sandbox, community.bot.token, tmp_path)
        code, lines = await run_check(settings, capsys)
        await set_up_roles_then_delete_coordinators(tmp_path, community)
        code_deleted, lines_deleted = await run_check(settings, capsys)
    assert lines == [
        SERVER,
        f"  - the moderator role is not set: {ROLES_FIX}",
        f"  - the coordinator role is not set: {ROLES_FIX}",
        "2 things to fix",
    ]
    assert code == 1
    assert lines_deleted == [
        SERVER,
        f"  - the coordinator role set in copbot no longer exists: {ROLES_FIX}",
        "1 thing to fix",
    ]
    assert code_deleted == 1


async def set_up_roles_then_delete_coordinators(tmp_path: Path, community: SampleCommunity) -> None:
    db = Database.connect(sqlite_url(tmp_path))
    try:
        async with db.transaction() as session:
            row = await ensure_community(session, community.guild.id, community.guild.name)
            await set_staff_roles(
                session,
                row,
                moderator_role_id=community.moderators_role.id,
                coordinator_role_id=community.coordinators_role.id,
            )
    finally:
        await db.dispose()
    community.guild.roles.remove(community.coordinators_role)


async def test_time_zone_still_utc_is_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with Sandbox() as sandbox:
        community = build_sample_community(sandbox)
        await set_up(tmp_path, community, timezone="UTC")
        code, lines = await run_check(settings_for(sandbox, community.bot.token, tmp_path), capsys)
    assert lines == [
        SERVER,
        "  - warning: the time zone is still UTC: set it with /settings timezone",
        "Nothing to fix; 1 warning above",
    ]
    assert code == 0


async def test_role_sync_with_a_role_above_the_bots(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with Sandbox() as sandbox:
        community = build_sample_community(sandbox)
        await set_up(tmp_path, community)
        bot_role = next(role for role in community.guild.roles if role.bot_id is not None)
        researchers = community.guild.create_role("Researchers")
        researchers.position = bot_role.position + 1
        db = Database.connect(sqlite_url(tmp_path))
        try:
            async with db.transaction() as session:
                row = await ensure_community(session, community.guild.id, community.guild.name)
                await set_rolesync(session, row, enabled=True, organisations=False)
                key = RoleKey(RoleKind.STAKEHOLDER, "researchers")
                await remember_synced_role(session, community.guild.id, key, researchers.id)
        finally:
            await db.dispose()
        code, lines = await run_check(settings_for(sandbox, community.bot.token, tmp_path), capsys)
    assert lines == [
        SERVER,
        "  - role sync cannot manage Researchers: they sit at or above the bot's highest role: "
        "drag the bot's role above them in Server Settings > Roles",
        "1 thing to fix",
    ]
    assert code == 1


async def test_a_database_not_migrated(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from alembic import command

    from storage.backup import known_revisions
    from storage.migrations.runner import alembic_config

    url = sqlite_url(tmp_path)
    older, newest = known_revisions()[-2:]
    await asyncio.to_thread(command.upgrade, alembic_config(url), older)
    async with Sandbox() as sandbox:
        community = build_sample_community(sandbox)
        code, lines = await run_check(settings_for(sandbox, community.bot.token, tmp_path), capsys)
    where = f"SQLite ({tmp_path / 'copbot-test.sqlite3'})"
    assert lines == [
        "Set-up:",
        f"  - {where} is at schema {older}, this copbot needs {newest}: run "
        "copbot migrate (copbot run also does it when it starts)",
        "1 thing to fix",
    ]
    assert code == 1


async def test_a_database_missing_or_unreachable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with Sandbox() as sandbox:
        community = build_sample_community(sandbox)
        token = community.bot.token
        code, lines = await run_check(settings_for(sandbox, token, tmp_path), capsys)
        unreachable = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/copbot"
        settings = settings_for(sandbox, token, tmp_path, DATABASE_URL=unreachable)
        code_postgres, lines_postgres = await run_check(settings, capsys)
    # Only Discord's side of the server is checked then: here nothing is wrong with it.
    assert lines == [
        "Set-up:",
        f"  - SQLite ({tmp_path / 'copbot-test.sqlite3'}) does not exist yet: run copbot migrate "
        "(or copbot run)",
        "1 thing to fix",
    ]
    assert not (tmp_path / "copbot-test.sqlite3").exists()  # the check created nothing
    assert lines_postgres == [
        "Set-up:",
        "  - DATABASE_URL: cannot use PostgreSQL (copbot on 127.0.0.1): cannot connect to the "
        f"database: [Errno 111] Connect call failed ('127.0.0.1', {port}): check that "
        "PostgreSQL is running at that host and port, or correct DATABASE_URL",
        "1 thing to fix",
    ]
    assert code == code_postgres == 1


async def test_the_command_line_exits_0_when_all_is_well_and_2_without_a_token(
    tmp_path: Path,
) -> None:
    async with Sandbox() as sandbox:
        community = build_sample_community(sandbox)
        await set_up(tmp_path, community)
        env = clean_environment(
            DISCORD_TOKEN=community.bot.token,
            DISCORD_API_BASE=sandbox.api_base,
            DISCORD_GATEWAY_URL=sandbox.gateway_url,
            DATABASE_URL=sqlite_url(tmp_path),
        )
        process = await start_bot_module("bot", "check", cwd=tmp_path, env=env)
        output, _ = await asyncio.wait_for(process.communicate(), 30)
        assert (process.returncode, output.decode()) == (0, "All is well\n")
        del env["DISCORD_TOKEN"]
        process = await start_bot_module("bot", "check", cwd=tmp_path, env=env)
        output, _ = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == 2
        assert output.decode().startswith("copbot: DISCORD_TOKEN")


# --- the permission computation on plain numbers ------------------------------------------------

GUILD_ID, BOT_ID, BOT_ROLE, OTHER_ROLE = 1, 2, 3, 4


def test_owner_and_administrator_have_every_permission() -> None:
    roles = {GUILD_ID: P.VIEW_CHANNEL, BOT_ROLE: P.ADMINISTRATOR}
    assert base_permissions(roles, GUILD_ID, [], is_owner=True) == ALL_PERMISSIONS
    assert base_permissions(roles, GUILD_ID, [BOT_ROLE], is_owner=False) == ALL_PERMISSIONS
    assert base_permissions(roles, GUILD_ID, [], is_owner=False) == P.VIEW_CHANNEL


def test_overwrites_apply_in_discords_order() -> None:
    base = P.VIEW_CHANNEL | P.SEND_MESSAGES | P.EMBED_LINKS
    everyone_denies_send = Overwrite(GUILD_ID, False, 0, P.SEND_MESSAGES)
    role_allows_send = Overwrite(BOT_ROLE, False, P.SEND_MESSAGES, 0)
    other_role_denies_view = Overwrite(OTHER_ROLE, False, 0, P.VIEW_CHANNEL)
    member_denies_embed = Overwrite(BOT_ID, True, 0, P.EMBED_LINKS)

    def perms(*overwrites: Overwrite, roles: tuple[int, ...] = (BOT_ROLE,)) -> int:
        return channel_permissions(base, overwrites, GUILD_ID, BOT_ID, roles)

    # @everyone's deny loses to the bot's role's allow.
    assert perms(everyone_denies_send, role_allows_send) == base
    # Without Send Messages, Embed Links goes too.
    assert perms(everyone_denies_send) == P.VIEW_CHANNEL
    # The member's own overwrite comes last.
    assert perms(role_allows_send, member_denies_embed) == P.VIEW_CHANNEL | P.SEND_MESSAGES
    # A role the bot does not have changes nothing; one it has that hides the channel: nothing.
    assert perms(other_role_denies_view) == base
    assert perms(other_role_denies_view, roles=(BOT_ROLE, OTHER_ROLE)) == 0


async def test_a_platform_inbox_the_bot_cannot_use_and_one_that_waits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with Sandbox() as sandbox:
        community = build_sample_community(sandbox)
        await set_up(tmp_path, community, prompt_schedule=False)
        db = Database.connect(sqlite_url(tmp_path))
        try:
            platforms = Platforms(db)
            guild, owner = community.guild, community.owner.id
            national = await platforms.create(
                guild.id, guild.name, name="Kenya WASH", level=Level.NATIONAL, category_id=None,
                actor_id=owner,
            )  # fmt: skip
            await platforms.set_inbox(national, community.channels["questions"].id, actor_id=owner)
            ward = await platforms.create(
                guild.id, guild.name, name="Ward 4", level=Level.LOCAL,
                category_id=community.channels["cafe"].id, actor_id=owner,
            )  # fmt: skip
            await platforms.pause_inbox(ward.id, "its inbox channel #ward-4 was deleted")
        finally:
            await db.dispose()
        community.guild.set_channel_overwrites(
            community.channels["questions"], {community.bot.user: (0, P.CREATE_PUBLIC_THREADS)}
        )
        code, lines = await run_check(settings_for(sandbox, community.bot.token, tmp_path), capsys)
    assert lines == [
        SERVER,
        "  - in #questions (the inbox of the platform Kenya WASH) the bot lacks Create Public "
        "Threads: allow them for the bot's role in #questions > Edit Channel > Permissions",
        "  - copies shared with the platform Ward 4 wait: its inbox channel #ward-4 was deleted: "
        "choose its inbox with /platform inbox (the waiting copies go then)",
        "2 things to fix",
    ]
    assert code == 1


async def test_a_process_of_several_checks_its_own_slice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with Sandbox() as sandbox:
        community = build_sample_community(sandbox)
        others = build_many_servers(sandbox, community.bot, 6)
        await set_up(tmp_path, community)
        home_shard = (community.guild.id >> 22) % 2
        settings = settings_for(
            sandbox, community.bot.token, tmp_path, SHARD_COUNT="2", SHARD_IDS=str(home_shard)
        )
        code, lines = await run_check(settings, capsys)
    ours = [s.guild.name for s in others if (s.guild.id >> 22) % 2 == home_shard]
    theirs = [s.guild.name for s in others if (s.guild.id >> 22) % 2 != home_shard]
    assert ours and theirs  # the servers spread over both shards
    assert lines[0] == (
        f"This process runs shard {home_shard} of 2: {1 + len(ours)} servers of the bot's 7."
    )
    # Its own servers never set up are reported; the other shard's are another process's.
    assert all(f"Server {name}:" in lines for name in ours), lines
    assert not any(name in line for name in theirs for line in lines), lines
    assert code == 1


async def test_a_bot_in_more_servers_than_one_page_counts_them_all(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Discord lists a bot's servers 200 at a time: the count, and the slice, cover every page."""
    async with Sandbox() as sandbox:
        community = build_sample_community(sandbox)
        others = build_many_servers(sandbox, community.bot, 250)
        await set_up(tmp_path, community)
        settings = settings_for(
            sandbox, community.bot.token, tmp_path, SHARD_COUNT="16", SHARD_IDS="0"
        )
        code, lines = await run_check(settings, capsys)
    ours = [s for s in [community, *others] if (s.guild.id >> 22) % 16 == 0]
    assert lines[0] == f"This process runs shard 0 of 16: {len(ours)} servers of the bot's 251."
    assert not any("recommends" in line for line in lines), lines
    assert code == 1


async def test_fewer_shards_than_discord_recommends_is_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Discord's limits scaled down a hundredfold: a shard recommended per 10 servers.
    async with Sandbox(max_guilds_per_shard=25) as sandbox:
        community = build_sample_community(sandbox)
        build_many_servers(sandbox, community.bot, 20)
        await set_up(tmp_path, community)
        settings = settings_for(
            sandbox, community.bot.token, tmp_path, SHARD_COUNT="2", SHARD_IDS="0,1"
        )
        code, lines = await run_check(settings, capsys)
    assert (
        "  - warning: Discord recommends 3 shards for the bot's 21 servers; it runs 2: set "
        "SHARD_COUNT=3 in every process and split SHARD_IDS between them (README: Running "
        "several processes)"
    ) in lines, lines
    assert code == 1  # the servers never set up
