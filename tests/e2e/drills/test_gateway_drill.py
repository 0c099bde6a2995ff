"""Gateway drill: twenty servers on two shards, one PostgreSQL, members posting in servers of
both shards while the sandbox drops the bot's connections again and again (closes, op 7
RECONNECT, RESUMEs cut off in the middle of their replay), then invalidates shard 1's session
alone, then both. The bot RESUMEs through the storm (the missed events are replayed, no session
start is spent), then identifies afresh and repairs the gaps from the channels' history: every
message the sandbox holds is in the log exactly once. Run as two processes (a shard each) and as
one process (both); and, quick, in the test's own process: one shard of two identifying afresh
alone."""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.client import make_bot, start_until_ready
from bot.sandbox import Sandbox
from bot.sandbox.gateway import shard_of
from bot.sandbox.models import BotAccount
from bot.sandbox.sample import build_many_servers
from storage.db import Database
from tests.databases import migrated_sqlite_url
from tests.e2e.drills.busy_fleet import Traffic, logged_ids, member_messages, timed
from tests.e2e.fleet import Fleet, running_fleet
from tests.e2e.harness import settings_for
from tests.e2e.helpers import eventually, long_drill, no_identify_delay

HISTORY = re.compile(r"/channels/\d+/messages")  # GET: a channel's history

SERVERS = 20
SHARDS = (0, 1)
BUSY_PER_SHARD = 3  # servers of each shard where members post
STORM_SECONDS = 4.0
AFTER_IDENTIFY_SECONDS = 3.0  # posting goes on while the fresh sessions start and repair
WITHIN = 45.0  # seconds for anything the bot must do, on a loaded machine
STORED_WITHIN = 20.0  # seconds from a fresh identify's repair to every message stored


@dataclass
class Storm:
    """Resumable drops on both shards, a few every second: a close, an op 7 RECONNECT, or a close
    whose RESUME is cut off after part of its replay (a drop while a RESUME is in progress). A
    member posts right after each drop, so that every RESUME has something to replay."""

    sandbox: Sandbox
    account: BotAccount
    traffic: Traffic
    rng: random.Random = field(default_factory=lambda: random.Random(18))
    actions: Counter[str] = field(default_factory=Counter)

    def connected(self, shard_id: int) -> bool:
        return any(
            s.shard_id == shard_id and s.connection is not None
            for s in self.sandbox.sessions_of(self.account)
        )

    async def blow(self, seconds: float) -> None:
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            shard_id = self.rng.choice(SHARDS)
            if self.connected(shard_id):  # a shard still reconnecting has nothing to drop
                self.drop(shard_id, self.rng.choice(("close", "reconnect", "cut")))
                await self.post(shard_id)
            await asyncio.sleep(self.rng.uniform(0.05, 0.2))

    def drop(self, shard_id: int, how: str) -> None:
        self.actions[how] += 1
        if how == "reconnect":
            self.sandbox.reconnect_bot(self.account, shard_id=shard_id)
            return
        if how == "cut":
            self.sandbox.cut_next_resume(shard_id, after=self.rng.randint(0, 3))
        self.sandbox.disconnect_bot(resumable=True, bot=self.account, shard_id=shard_id)

    async def post(self, shard_id: int) -> None:
        server = next(
            s
            for s in self.traffic.servers
            if shard_of(s.guild.id, self.traffic.shard_count) == shard_id
        )
        message = await self.sandbox.send_message(
            server.plain_member, server.channels["general"], "while the line is down"
        )
        self.traffic.sent.append((time.monotonic(), message))


def readies_by_shard(sandbox: Sandbox, account: BotAccount) -> Counter[int]:
    return Counter(
        payload["shard"][0]
        for event, payload in sandbox.events
        if event == "READY" and payload["user"]["id"] == str(account.user.id)
    )


async def start_slices(fleet: Fleet, slices: Sequence[tuple[int, ...]]) -> None:
    await asyncio.gather(*(fleet.start(shard_ids) for shard_ids in slices))


@dataclass
class Invalidation:
    """Sessions invalidated (op 9, not resumable): when, when their shards had identified
    afresh, and when everything posted until a while after that was stored (None: never)."""

    shards: tuple[int, ...]
    at: float
    identified_at: float
    stored_at: float | None

    def figures(self) -> dict[str, str]:
        which = "shard 1 alone" if self.shards == (1,) else "both shards"
        stored = "never" if self.stored_at is None else f"{self.stored_at - self.at:.1f} s"
        return {
            f"invalid session ({which}) -> identified": f"{self.identified_at - self.at:.1f} s",
            f"invalid session ({which}) -> all stored": stored,
        }


async def invalidate(fleet: Fleet, traffic: Traffic, shards: tuple[int, ...]) -> Invalidation:
    """Invalidate ``shards``' sessions while members go on posting; wait for the fresh identify
    and for the log to hold every message posted until a while after it."""
    sandbox, account = fleet.sandbox, fleet.account
    readies = readies_by_shard(sandbox, account)
    at = time.monotonic()
    for shard_id in shards:
        sandbox.disconnect_bot(resumable=False, bot=account, shard_id=shard_id)

    def identified() -> bool:
        now = readies_by_shard(sandbox, account)
        return all(now[s] == readies[s] + 1 for s in shards)

    identified_at = await timed(holds(identified), WITHIN)
    await asyncio.sleep(AFTER_IDENTIFY_SECONDS)
    posted = {message.id for _, message in traffic.sent}

    async def stored() -> bool:
        return set(await logged_ids(fleet.db)) >= posted

    stored_at: float | None = None
    with contextlib.suppress(AssertionError):  # reported with the figures
        stored_at = await timed(stored, STORED_WITHIN)
    return Invalidation(shards, at, identified_at, stored_at)


@pytest.mark.postgres
@pytest.mark.parametrize(
    "slices",
    [[(0,), (1,)], pytest.param([(0, 1)], marks=long_drill)],
    ids=["two processes", "one process"],
)
async def test_reconnect_storm_and_invalid_sessions_lose_nothing_and_count_nothing_twice(
    tmp_path: Path, slices: list[tuple[int, ...]]
) -> None:
    async with running_fleet(tmp_path, servers=SERVERS, shard_count=len(SHARDS)) as fleet:
        sandbox, account, db = fleet.sandbox, fleet.account, fleet.db
        await start_slices(fleet, slices)
        starts_before = sandbox.session_starts.limit(account)["remaining"]
        readies_before = readies_by_shard(sandbox, account)
        assert readies_before == Counter(dict.fromkeys(SHARDS, 1))
        events_before = len(sandbox.events)
        busy = [s for shard in SHARDS for s in fleet.servers_on(shard)[:BUSY_PER_SHARD]]
        traffic = Traffic(sandbox, busy, len(SHARDS), pause=0.03)
        traffic.start()

        async def logged_some() -> bool:
            return bool(await logged_ids(db))

        try:
            first = await timed(logged_some, WITHIN)
            storm = Storm(sandbox, account, traffic)
            await storm.blow(STORM_SECONDS)
            await eventually(
                holds(lambda: all(storm.connected(s) for s in SHARDS)), WITHIN, interval=0.05
            )
            resumes = list(sandbox.gateway_resumes)
            assert sandbox.session_starts.limit(account)["remaining"] == starts_before

            requests_before = len(sandbox.requests)
            # One shard alone (a process running both then gets on_shard_ready, no on_ready),
            # then both at once.
            invalidations = [
                await invalidate(fleet, traffic, (1,)),
                await invalidate(fleet, traffic, SHARDS),
            ]
        finally:
            await traffic.stop()

        expected = member_messages(busy)
        assert len(expected) == len(traffic.sent)

        async def all_stored() -> bool:
            return set(await logged_ids(db)) >= expected

        with contextlib.suppress(AssertionError):  # reported with the figures below
            await timed(all_stored, STORED_WITHIN)
        stored = await logged_ids(db)
        events = sandbox.events[events_before:]
        readies_after = readies_by_shard(sandbox, account)
        created = sum(1 for e, _ in events if e == "MESSAGE_CREATE")
        figures = {
            "processes": " + ".join(str(list(s)) for s in slices),
            "drops (close / op 7 / cut mid-replay)": (
                f"{storm.actions['close']} / {storm.actions['reconnect']} / {storm.actions['cut']}"
            ),
            "resumes (cut)": f"{len(resumes)} ({sum(r.cut for r in resumes)})",
            "events replayed by resumes": sum(r.replayed for r in resumes),
            "identifies (at start / after the drill)": (
                f"{sum(readies_before.values())} / {sum(readies_after.values())}"
            ),
            "session starts spent": starts_before
            - sandbox.session_starts.limit(account)["remaining"],
            "messages posted": len(traffic.sent),
            "events sent": len(events),
            "MESSAGE_CREATE sent": created,
            "messages only in the channels' history": len(traffic.sent) - created,
            "history reads after the invalid sessions": sum(
                1
                for method, path, _ in sandbox.requests[requests_before:]
                if method == "GET" and HISTORY.fullmatch(path)
            ),
            "rows stored": len(stored),
            "duplicates": len(stored) - len(set(stored)),
            "lost": len(expected - set(stored)),
            "stored but never sent": len(set(stored) - expected),
            "first message logged after": f"{first - traffic.sent[0][0]:.1f} s",
        }
        for invalidation in invalidations:
            figures.update(invalidation.figures())
        print(f"\n--- gateway drill, {figures['processes']} ---")
        for name, value in figures.items():
            print(f"{name:>46}: {value}")
        sent_at = {m.id: at for at, m in traffic.sent}
        lost = sorted(sent_at[i] - invalidations[0].at for i in expected - set(stored))
        if lost:
            print("lost, sent at (s after the first invalid session):", [round(t, 1) for t in lost])

        assert all(i.stored_at is not None for i in invalidations), "a gap was never repaired"
        assert len(stored) == len(set(stored)) and set(stored) == expected
        by_shard = Counter(r.shard_id for r in resumes if not r.cut)
        assert all(by_shard[s] >= 1 for s in SHARDS), by_shard
        assert any(r.cut for r in resumes)
        assert sum(r.replayed for r in resumes) >= sum(storm.actions.values())
        assert sandbox.gateway_resumes == resumes  # an invalidated session is not resumed
        assert created < len(traffic.sent)  # some messages came only through REST history
        # a fresh identify per invalidated session, each the only session start spent
        assert readies_after == Counter({0: 2, 1: 3})
        assert sandbox.session_starts.limit(account)["remaining"] == starts_before - 3
        assert all(s.alive for s in sandbox.sessions_of(account))
        assert sorted(s.shard_id for s in sandbox.sessions_of(account)) == list(SHARDS)
        for process in fleet.processes:
            assert process.running, f"{process.name} stopped:\n{process.log()}"
            assert "Traceback" not in process.log(), process.log()


def holds(check: Callable[[], bool]) -> Callable[[], Awaitable[bool]]:
    """``check`` as ``eventually`` and ``timed`` take it."""

    async def run() -> bool:
        return check()

    return run


async def test_one_shard_identifying_afresh_alone_repairs_its_gap(tmp_path: Path) -> None:
    """Shard 1 of a process running both loses its session (discord.py then sends no new
    on_ready, only on_shard_ready); members post in it meanwhile, and once more as soon as it
    is back, before the repair reads the history: the repair still logs what was missed."""
    async with Sandbox() as sandbox:
        account = sandbox.create_bot("copbot")
        servers = build_many_servers(sandbox, account, 6)
        server = next(s for s in servers if shard_of(s.guild.id, len(SHARDS)) == 1)
        channel, person = server.channels["general"], server.plain_member
        url = migrated_sqlite_url(tmp_path)
        db = Database.connect(url)
        settings = settings_for(sandbox, account.token, url, shard_count=2, shard_ids=SHARDS)
        bot = make_bot(settings, db, guild_ready_timeout=0.5)
        bot.before_identify_hook = no_identify_delay  # type: ignore[method-assign]
        runner = await start_until_ready(bot, account.token, ready_within=30)
        try:
            sent = [(await sandbox.send_message(person, channel, "before")).id]

            def repairs() -> int:
                return int(getattr(bot.get_cog("Contributions"), "gap_repairs_done", 0))

            async def all_logged() -> bool:
                return set(await logged_ids(db)) >= set(sent)

            await eventually(all_logged)
            await eventually(holds(lambda: repairs() >= 1))  # the start-up one is done
            sandbox.disconnect_bot(resumable=False, bot=account, shard_id=1)
            for index in range(3):  # missed: no session on shard 1
                sent.append((await sandbox.send_message(person, channel, f"missed {index}")).id)
            await sandbox.wait_until(lambda: readies_by_shard(sandbox, account)[1] == 2, 15)
            # Live on the new session, and logged before the repair asks what is logged.
            sent.append((await sandbox.send_message(person, channel, "back")).id)
            await eventually(all_logged)
            stored = await logged_ids(db)
            assert len(stored) == len(set(stored))
        finally:
            await bot.close()
            await runner
            await db.dispose()
