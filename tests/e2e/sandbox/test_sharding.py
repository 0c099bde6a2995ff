"""The sandbox shards as Discord does, seen by discord.py's own sharded clients: READY and
GUILD_CREATE per shard, guild events routed by ``(guild_id >> 22) % shard_count``, DMs on shard 0,
``GET /gateway/bot``'s recommendation and session start limit, and closes 4010 and 4011."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from typing import Any

import discord
import pytest
from discord.ext import commands

from bot.sandbox import BotAccount, Sandbox
from bot.sandbox.gateway import GatewaySession, shard_of
from bot.sandbox.sample import SampleCommunity, build_many_servers
from tests.e2e.helpers import no_identify_delay
from tests.e2e.sandbox.conftest import BotFactory, all_intents


def sharded_bot(
    record: dict[str, list[Any]] | None = None, **kwargs: Any
) -> commands.AutoShardedBot:
    bot = commands.AutoShardedBot(
        command_prefix="!", intents=all_intents(), guild_ready_timeout=0.1, **kwargs
    )
    bot.before_identify_hook = no_identify_delay  # type: ignore[method-assign]
    if record is not None:

        async def on_message(message: discord.Message) -> None:
            record.setdefault("message", []).append(message)

        async def on_member_join(member: discord.Member) -> None:
            record.setdefault("member_join", []).append(member)

        bot.add_listener(on_message)
        bot.add_listener(on_member_join)
    return bot


def guild_ids_of(frames: list[dict[str, Any]]) -> set[int]:
    """The guilds named by dispatched frames (``guild_id``, or a GUILD_CREATE's ``id``)."""
    found: set[int] = set()
    for frame in frames:
        data = frame["d"]
        if not isinstance(data, dict):
            continue
        if frame["t"] in ("GUILD_CREATE", "GUILD_DELETE"):
            found.add(int(data["id"]))
        elif data.get("guild_id"):
            found.add(int(data["guild_id"]))
    return found


def frames_of(session: GatewaySession, event: str | None = None) -> list[dict[str, Any]]:
    return [f for _, f in session.buffer if event is None or f["t"] == event]


def session_of_shard(sandbox: Sandbox, bot: BotAccount, shard_id: int) -> GatewaySession:
    (session,) = [s for s in sandbox.sessions_of(bot) if s.shard_id == shard_id]
    return session


async def refused(client: discord.Client, account: BotAccount) -> discord.ConnectionClosed:
    """Start ``client``; it must end with the gateway's close, not keep reconnecting."""
    try:
        with pytest.raises(discord.ConnectionClosed) as caught:
            await asyncio.wait_for(client.start(account.token), 5)
    finally:
        with contextlib.suppress(Exception):
            await client.close()
    return caught.value


def many(sandbox: Sandbox, count: int) -> tuple[BotAccount, list[SampleCommunity]]:
    bot = sandbox.create_bot("copbot")
    return bot, build_many_servers(sandbox, bot, count)


async def test_two_shards_split_the_guilds_by_the_formula(
    sandbox: Sandbox, connect: BotFactory
) -> None:
    bot, servers = many(sandbox, 12)
    record: dict[str, list[Any]] = {}
    client = await connect(bot, sharded_bot(record, shard_count=2))
    assert {g.id for g in client.guilds} == {s.guild.id for s in servers}
    for guild in client.guilds:
        assert guild.shard_id == shard_of(guild.id, 2) == (guild.id >> 22) % 2
    readies = sandbox.ready_of(bot)
    assert sorted(readies) == [0, 1]
    for shard_id, ready in readies.items():
        assert ready["shard"] == [shard_id, 2]
        expected = {s.guild.id for s in servers if (s.guild.id >> 22) % 2 == shard_id}
        assert {int(g["id"]) for g in ready["guilds"]} == expected
        assert 0 < len(expected) < len(servers)
        session = session_of_shard(sandbox, bot, shard_id)
        assert guild_ids_of(frames_of(session, "GUILD_CREATE")) == expected

    on_one = next(s for s in servers if shard_of(s.guild.id, 2) == 1)
    on_zero = next(s for s in servers if shard_of(s.guild.id, 2) == 0)
    message = await sandbox.send_message(on_one.plain_member, on_one.channels["cafe"], "hello")
    notice = await sandbox.send_message(on_zero.moderator, on_zero.channels["general"], "news")
    await sandbox.add_reaction(on_zero.plain_member, notice, "👍")
    on_zero.guild.add_member(sandbox.create_user("newcomer"))
    on_one.guild.create_role("Hosts")
    dm = await sandbox.send_message(
        on_zero.plain_member.user, sandbox.dm_channel(bot, on_zero.plain_member.user), "psst"
    )
    await sandbox.wait_until(
        lambda: (
            {m.id for m in record.get("message", [])} == {message.id, notice.id, dm.id}
            and bool(record.get("member_join"))
        )
    )
    got = next(m for m in record["message"] if m.id == message.id)
    assert got.guild is not None and got.guild.shard_id == 1
    # every guild event went to the one session whose shard holds the guild
    for shard_id in (0, 1):
        session = session_of_shard(sandbox, bot, shard_id)
        assert all(shard_of(g, 2) == shard_id for g in guild_ids_of(frames_of(session)))
    created = [
        (s.shard_id, f["d"]["id"])
        for s in sandbox.sessions_of(bot)
        for f in frames_of(s, "MESSAGE_CREATE")
    ]
    assert sorted(created) == sorted(
        [(1, str(message.id)), (0, str(notice.id)), (0, str(dm.id))]  # DMs: shard 0
    )


async def test_one_shard_of_two_sees_only_its_guilds(sandbox: Sandbox, connect: BotFactory) -> None:
    """A process holding shard 0 of 2 (``shard_ids=[0]``): shard 1's guilds are not its own."""
    bot, servers = many(sandbox, 8)
    record: dict[str, list[Any]] = {}
    client = await connect(bot, sharded_bot(record, shard_ids=[0], shard_count=2))
    mine = {s.guild.id for s in servers if shard_of(s.guild.id, 2) == 0}
    assert {g.id for g in client.guilds} == mine
    assert [s.shard_id for s in sandbox.sessions_of(bot)] == [0]
    assert sorted(sandbox.ready_of(bot)) == [0]
    other = next(s for s in servers if shard_of(s.guild.id, 2) == 1)
    own = next(s for s in servers if shard_of(s.guild.id, 2) == 0)
    elsewhere = await sandbox.send_message(other.plain_member, other.channels["cafe"], "far")
    other.guild.add_member(sandbox.create_user("far.newcomer"))
    here = await sandbox.send_message(own.plain_member, own.channels["cafe"], "near")
    await sandbox.wait_until(lambda: any(m.id == here.id for m in record.get("message", [])))
    assert elsewhere.id not in {m.id for m in record["message"]}
    assert "member_join" not in record
    assert client.get_guild(other.guild.id) is None
    (session,) = sandbox.sessions_of(bot)
    assert other.guild.id not in guild_ids_of(frames_of(session))


async def test_a_second_process_takes_the_other_shard(
    sandbox: Sandbox, connect: BotFactory
) -> None:
    """Two processes, one shard each: every guild is seen once, by the process of its shard."""
    bot, servers = many(sandbox, 6)
    first = await connect(bot, sharded_bot(shard_ids=[0], shard_count=2))
    second = await connect(bot, sharded_bot(shard_ids=[1], shard_count=2))
    seen = [g.id for g in first.guilds] + [g.id for g in second.guilds]
    assert sorted(seen) == sorted(s.guild.id for s in servers)
    assert all(g.shard_id == 1 for g in second.guilds) and second.guilds
    assert sorted(s.shard_id for s in sandbox.sessions_of(bot)) == [0, 1]


@pytest.mark.parametrize(("shard_id", "shard_count"), [(2, 2), (0, 0), (-1, 2)])
async def test_an_invalid_shard_is_closed_with_4010(
    sandbox: Sandbox, connect: BotFactory, shard_id: int, shard_count: int
) -> None:
    bot, _ = many(sandbox, 2)
    client = commands.Bot(
        command_prefix="!", intents=all_intents(), shard_id=shard_id, shard_count=shard_count
    )
    closed = await refused(client, bot)
    assert closed.code == 4010
    assert sandbox.sessions_of(bot) == []


async def test_an_auto_sharded_client_with_a_shard_out_of_range_stops(
    sandbox: Sandbox, connect: BotFactory
) -> None:
    bot, _ = many(sandbox, 2)
    closed = await refused(sharded_bot(shard_ids=[3], shard_count=2), bot)
    assert (closed.code, closed.shard_id) == (4010, 3)


async def test_too_many_guilds_for_one_session_need_sharding(
    sandbox: Sandbox, connect: BotFactory
) -> None:
    """Over the per-shard limit (lowered from Discord's 2,500), a session without a shard is
    closed with 4011; the shard count ``GET /gateway/bot`` recommends then connects."""
    sandbox.max_guilds_per_shard = 5
    bot, servers = many(sandbox, 12)
    unsharded = commands.Bot(command_prefix="!", intents=all_intents())
    closed = await refused(unsharded, bot)
    assert closed.code == 4011
    too_few = sharded_bot(shard_count=2)  # six guilds a shard, still over five
    assert (await refused(too_few, bot)).code == 4011
    client = await connect(bot, sharded_bot())  # no shard count: asks GET /gateway/bot
    assert client.shard_count == sandbox.recommended_shards(bot) == 6  # two guilds a shard
    assert {g.id for g in client.guilds} == {s.guild.id for s in servers}
    assert sorted(sandbox.ready_of(bot)) == list(range(6))


async def test_gateway_bot_recommends_a_shard_per_thousand_guilds(
    sandbox: Sandbox, connect: BotFactory
) -> None:
    bot = sandbox.create_bot("copbot")
    client = discord.Client(intents=discord.Intents.default())
    try:
        await client.login(bot.token)  # REST only: nothing identifies
        shards, url, limit = await client.http.get_bot_gateway()
        assert (shards, url) == (1, sandbox.gateway_url)  # no guild yet: still one shard
        assert limit == {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
        for index in range(1001):
            sandbox.create_guild(f"Server {index}").add_bot(bot)
        shards, _, _ = await client.http.get_bot_gateway()
        assert shards == 2
    finally:
        await client.close()


async def test_each_identify_takes_a_session_start(sandbox: Sandbox, connect: BotFactory) -> None:
    bot, _ = many(sandbox, 4)
    client = await connect(bot, sharded_bot(shard_count=2))
    shards, _, limit = await client.http.get_bot_gateway()
    assert shards == 1
    assert limit["total"] == 1000 and limit["remaining"] == 998  # one start per shard
    assert limit["max_concurrency"] == 1
    assert 0 < limit["reset_after"] <= 24 * 60 * 60 * 1000
    sandbox.disconnect_bot(resumable=False, bot=bot, shard_id=1)  # shard 1 identifies again
    await sandbox.wait_until(lambda: sandbox.session_starts.limit(bot)["remaining"] == 997)
    await sandbox.wait_until(lambda: len(sandbox.sessions_of(bot)) == 2 and sandbox.is_connected())
    assert isinstance(client, commands.AutoShardedBot)
    limits = await client.fetch_session_start_limits()
    assert (limits.total, limits.remaining, limits.max_concurrency) == (1000, 997, 1)
    resumed = sandbox.session_starts.limit(bot)["remaining"]
    sandbox.disconnect_bot(resumable=True, bot=bot, shard_id=0)  # a RESUME starts no session
    await sandbox.wait_until(lambda: [e for e, _ in sandbox.events].count("RESUMED") == 1)
    assert sandbox.session_starts.limit(bot)["remaining"] == resumed


async def test_an_identify_too_soon_for_its_bucket_gets_an_invalid_session(
    sandbox: Sandbox, connect: BotFactory
) -> None:
    """One identify per bucket (``shard_id % max_concurrency``) per interval: shard 1 sent at
    once after shard 0 is refused (INVALID_SESSION) and gets in when the interval has passed."""
    sandbox.session_starts.identify_interval = 0.5
    bot, servers = many(sandbox, 4)
    started = time.monotonic()
    client = await connect(bot, sharded_bot(shard_count=2))
    assert time.monotonic() - started >= 0.5
    assert sandbox.session_starts.refused >= 1
    assert {g.id for g in client.guilds} == {s.guild.id for s in servers}


async def test_with_max_concurrency_two_both_shards_identify_at_once(
    sandbox: Sandbox, connect: BotFactory
) -> None:
    sandbox.session_starts.identify_interval = 5.0
    sandbox.session_starts.max_concurrency = 2
    bot, servers = many(sandbox, 4)
    client = await connect(bot, sharded_bot(shard_count=2))
    assert sandbox.session_starts.refused == 0
    assert {g.id for g in client.guilds} == {s.guild.id for s in servers}
    _, _, limit = await client.http.get_bot_gateway()
    assert limit["max_concurrency"] == 2


async def test_two_hundred_servers_build_fast_and_spread_over_the_shards(
    sandbox: Sandbox, connect: BotFactory
) -> None:
    bot = sandbox.create_bot("copbot")
    started = time.perf_counter()
    servers = build_many_servers(sandbox, bot, 200, people_each=3)
    assert time.perf_counter() - started < 0.5
    assert len({s.guild.id for s in servers}) == 200
    assert len({s.owner.id for s in servers}) == 200
    ids = [s.guild.id for s in servers]
    assert ids == sorted(ids)  # snowflakes still increase
    for server in servers[:3]:
        assert {c.name for c in server.guild.channels} == {"general", "cafe"}
        assert server.moderator.id != server.coordinator.id
        assert server.plain_member.user.id not in (server.moderator.id, server.owner.id)
        assert server.guild.get_member(bot.user.id) is not None
    for count in (2, 3, 4):
        sizes = [sum(1 for i in ids if shard_of(i, count) == k) for k in range(count)]
        assert min(sizes) >= 0.8 * 200 / count, (count, sizes)
    intents = discord.Intents.default()  # no member chunking: 200 guilds join fast
    client = commands.AutoShardedBot(
        command_prefix="!", intents=intents, guild_ready_timeout=0.1, shard_count=2
    )
    client.before_identify_hook = no_identify_delay  # type: ignore[method-assign]
    await connect(bot, client, timeout=8.0)
    assert len(client.guilds) == 200
    per_shard = [sum(1 for g in client.guilds if g.shard_id == k) for k in (0, 1)]
    assert sum(per_shard) == 200 and min(per_shard) >= 80


async def test_two_clients_on_one_shard_both_get_its_events(
    sandbox: Sandbox, connect: BotFactory
) -> None:
    """A second identify on a shard keeps the first session while it has a connection (two
    processes holding one shard in an overlapping deploy both get its events); a session left
    without one is dropped by the next identify, and gets nothing more."""
    bot, servers = many(sandbox, 8)
    on_one = next(s for s in servers if shard_of(s.guild.id, 2) == 1)
    records: list[dict[str, list[Any]]] = [{}, {}, {}]
    first = await connect(bot, sharded_bot(records[0], shard_ids=[1], shard_count=2))
    await connect(bot, sharded_bot(records[1], shard_ids=[1], shard_count=2))
    assert [s.shard_id for s in sandbox.sessions_of(bot)] == [1, 1]

    def got(record: dict[str, list[Any]], message_id: int) -> bool:
        return message_id in {m.id for m in record.get("message", [])}

    both = await sandbox.send_message(on_one.plain_member, on_one.channels["cafe"], "to both")
    await sandbox.wait_until(lambda: got(records[0], both.id) and got(records[1], both.id))

    await first.close()  # its session stays, without a connection, until an identify
    await sandbox.wait_until(
        lambda: [s.connection is None for s in sandbox.sessions_of(bot)] == [True, False]
    )
    left, kept = sandbox.sessions_of(bot)
    await connect(bot, sharded_bot(records[2], shard_ids=[1], shard_count=2))
    assert not left.alive and left.session_id not in sandbox.gateway_sessions
    assert kept.alive and kept in sandbox.sessions_of(bot)
    assert len(sandbox.sessions_of(bot)) == 2
    later = await sandbox.send_message(on_one.plain_member, on_one.channels["cafe"], "later")
    await sandbox.wait_until(lambda: got(records[1], later.id) and got(records[2], later.id))
    assert str(later.id) not in {f["d"]["id"] for f in frames_of(left, "MESSAGE_CREATE")}


def messages_seen(record: dict[str, list[Any]]) -> list[int]:
    return [m.id for m in record.get("message", [])]


async def test_a_reconnect_request_makes_the_shard_resume(
    sandbox: Sandbox, connect: BotFactory
) -> None:
    """Op 7 RECONNECT: discord.py reconnects and RESUMEs; what was sent meanwhile is replayed,
    and no session start is spent."""
    bot, servers = many(sandbox, 6)
    record: dict[str, list[Any]] = {}
    await connect(bot, sharded_bot(record, shard_count=2))
    on_one = next(s for s in servers if shard_of(s.guild.id, 2) == 1)
    remaining = sandbox.session_starts.limit(bot)["remaining"]
    session = session_of_shard(sandbox, bot, 1)
    sandbox.reconnect_bot(bot, shard_id=1)
    assert session.connection is None
    sent = [
        (await sandbox.send_message(on_one.plain_member, on_one.channels["cafe"], text)).id
        for text in ("while moving 1", "while moving 2")
    ]
    await sandbox.wait_until(
        lambda: messages_seen(record) == sent and bool(sandbox.gateway_resumes)
    )
    (resume,) = sandbox.gateway_resumes
    assert (resume.shard_id, resume.replayed, resume.cut) == (1, 2, False)
    assert session_of_shard(sandbox, bot, 1) is session and session.connection is not None
    assert sandbox.session_starts.limit(bot)["remaining"] == remaining


async def test_a_resume_cut_mid_replay_resumes_again_from_where_it_stopped(
    sandbox: Sandbox, connect: BotFactory
) -> None:
    bot, servers = many(sandbox, 6)
    record: dict[str, list[Any]] = {}
    await connect(bot, sharded_bot(record, shard_count=2))
    on_zero = next(s for s in servers if shard_of(s.guild.id, 2) == 0)
    sandbox.cut_next_resume(0, after=1)
    sandbox.disconnect_bot(resumable=True, bot=bot, shard_id=0)
    sent = [
        (await sandbox.send_message(on_zero.plain_member, on_zero.channels["cafe"], f"{i}")).id
        for i in range(3)
    ]
    await sandbox.wait_until(lambda: len(sandbox.gateway_resumes) == 2 and sandbox.is_connected())
    more = await sandbox.send_message(on_zero.plain_member, on_zero.channels["cafe"], "after")
    await sandbox.wait_until(lambda: more.id in messages_seen(record))
    assert messages_seen(record) == [*sent, more.id]  # each once, in order
    cut, whole = sandbox.gateway_resumes
    assert (cut.shard_id, cut.replayed, cut.cut) == (0, 1, True)
    assert (whole.shard_id, whole.after_seq, whole.replayed) == (0, cut.after_seq + 1, 2)
    assert not whole.cut and sorted(sandbox.ready_of(bot)) == [0, 1]


async def test_a_resume_older_than_the_kept_events_must_identify_again(
    sandbox: Sandbox, connect: BotFactory
) -> None:
    """Events no longer kept cannot be replayed: INVALID_SESSION, and a fresh identify."""
    bot, servers = many(sandbox, 6)
    record: dict[str, list[Any]] = {}
    await connect(bot, sharded_bot(record, shard_count=2))
    on_one = next(s for s in servers if shard_of(s.guild.id, 2) == 1)
    session = session_of_shard(sandbox, bot, 1)
    session.buffer = deque(session.buffer, maxlen=2)  # the sandbox keeps 20,000
    sandbox.disconnect_bot(resumable=True, bot=bot, shard_id=1)
    for index in range(3):
        await sandbox.send_message(on_one.plain_member, on_one.channels["cafe"], f"{index}")
    await sandbox.wait_until(lambda: session_of_shard(sandbox, bot, 1) is not session)
    await sandbox.wait_until(lambda: sandbox.is_connected() and len(sandbox.ready_of(bot)) == 2)
    assert not session.alive and sandbox.gateway_resumes == []
    readies = [p["shard"][0] for e, p in sandbox.events if e == "READY"]
    assert sorted(readies) == [0, 1, 1]
    assert sandbox.session_starts.limit(bot)["remaining"] == 1000 - 3


async def test_a_session_invalidated_between_connections_cannot_be_resumed(
    sandbox: Sandbox, connect: BotFactory
) -> None:
    bot, _ = many(sandbox, 6)
    await connect(bot, sharded_bot(shard_count=2))
    session = session_of_shard(sandbox, bot, 1)
    sandbox.disconnect_bot(resumable=True, bot=bot, shard_id=1)
    sandbox.disconnect_bot(resumable=False, bot=bot, shard_id=1)  # before it could resume
    await sandbox.wait_until(
        lambda: [s.shard_id for s in sandbox.sessions_of(bot) if s.connection] == [0, 1]
    )
    assert not session.alive and sandbox.gateway_resumes == []
    assert sorted(p["shard"][0] for e, p in sandbox.events if e == "READY") == [0, 1, 1]
