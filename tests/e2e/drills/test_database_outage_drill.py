"""Drill: PostgreSQL out of reach for 20 seconds under two `copbot run` processes (one shard
each), during a burst of members' messages in servers of both shards and during a `/cafe next`.

The database sits behind a relay the drill cuts and restores (the server itself keeps running).
Nothing may be lost (each process keeps its buffered contributions and retries) or stored twice;
every command during the cut is answered privately that the database is out of reach and to try
again, not with a traceback; the refused `/cafe next` changes nothing and works once pressed
again after the cut. A second, shorter cut falls into a `/cafe next` already under way: pressed
again afterwards, it finishes what was left without doing any part twice."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from bot.cafe.values import Cafe, CafeState
from bot.sandbox import Channel, Member, SandboxInteraction
from bot.sandbox.models import Message
from bot.sandbox.sample import SampleCommunity
from storage import cafes
from storage.members import list_members
from storage.models import Contribution
from tests.e2e.fleet import BotProcess, Fleet, running_fleet
from tests.e2e.helpers import (
    WAIT,
    custom_ids,
    eventually,
    long_drill,
    told_database_is_out_of_reach,
)
from tests.storage.helpers import Outage

pytestmark = pytest.mark.postgres

CUT = 20.0  # seconds the database stays out of reach
BEFORE, DURING, AFTER = 40, 160, 40  # members' messages sent before, during and after the cut
TALKING_SERVERS = 3  # servers of each shard where members post
# Seconds from the restore until every message is stored: the writer's pause between retries
# grows to 10 s during a long cut.
RECOVERY_WITHIN = 30.0
SHORT_CUT = 6.0  # the cut that falls into a `/cafe next` under way
SHORT_BEFORE, SHORT_DURING, SHORT_AFTER = 12, 24, 12


@dataclass
class Deployment:
    """Two processes (shard 0, shard 1) on PostgreSQL through a relay the drill cuts, a café
    running in a server of shard 0, and members posting in servers of both shards."""

    fleet: Fleet
    outage: Outage
    processes: list[BotProcess]
    cafe_server: SampleCommunity
    cafe: Cafe
    talking: list[list[SampleCommunity]]  # by shard
    traffic: Traffic

    def retries_logged(self) -> list[int]:
        return [p.log().count("contribution log: database unavailable") for p in self.processes]

    def no_traceback(self) -> None:
        for process in self.processes:
            assert "Traceback" not in process.log(), f"{process.name}:\n{process.log()}"


@asynccontextmanager
async def deployment(tmp_path: Path) -> AsyncIterator[Deployment]:
    async with running_fleet(tmp_path, servers=20, shard_count=2, people_each=5) as fleet:
        outage = Outage()
        await outage.up()
        try:
            url = outage.url_through(fleet.database_url)
            processes = [
                await fleet.start([shard], wait=False, database_url=url) for shard in range(2)
            ]
            await asyncio.gather(*(process.wait_ready() for process in processes))
            await registers_caught_up(fleet)
            cafe_server = fleet.servers_on(0)[0]
            cafe = await running_cafe(fleet, cafe_server)
            talking = [fleet.servers_on(shard)[:TALKING_SERVERS] for shard in range(2)]
            traffic = Traffic(fleet, talking[0] + talking[1])
            yield Deployment(fleet, outage, processes, cafe_server, cafe, talking, traffic)
        finally:
            if outage._server is None:  # a failure mid-cut: the processes must stop cleanly
                await outage.up()
            await fleet.stop_all()
            await outage.down()


async def test_a_database_outage_under_two_processes_loses_nothing_and_doubles_nothing(
    tmp_path: Path,
) -> None:
    async with deployment(tmp_path) as deployed:
        await drill(deployed)


async def drill(deployed: Deployment) -> None:
    loop = asyncio.get_running_loop()
    fleet, outage, traffic = deployed.fleet, deployed.outage, deployed.traffic
    cafe_server, cafe, talking = deployed.cafe_server, deployed.cafe, deployed.talking
    await traffic.send(BEFORE)
    # Both processes log, and the start-up work is done: the cut comes after.
    assert await stored_in_time(fleet, traffic.sent_ids, WAIT), "the log does not work at all"

    # --- the cut ---------------------------------------------------------------------------------
    await outage.down()
    cut_at = loop.time()
    burst = asyncio.create_task(traffic.send(DURING, over=CUT * 0.9))
    refused = await commands_during_the_cut(fleet, cafe_server, talking)
    await cafe_unchanged(fleet, cafe_server, cafe)
    await burst
    await asyncio.sleep(max(0.0, cut_at + CUT - loop.time()))
    await outage.up()
    restored_at = loop.time()

    # --- after -----------------------------------------------------------------------------------
    await traffic.send(AFTER)
    durable = await stored_in_time(fleet, traffic.sent_ids, RECOVERY_WITHIN)
    recovery = loop.time() - restored_at
    stored, distinct = await contribution_counts(fleet)
    lost = len(traffic.sent_ids - await stored_ids(fleet))
    print(
        f"\ndatabase outage drill: cut {CUT:.0f} s; events sent {len(traffic.sent_ids)} "
        f"({BEFORE} before, {DURING} during, {AFTER} after, in {2 * TALKING_SERVERS} servers of 2 "
        f"shards); rows stored {stored}; duplicates {stored - distinct}; lost {lost}; "
        f"recovery time {recovery:.1f} s (relay restored -> all rows durable"
        f"{'' if durable else ': never, gave up'}); 'cannot reach' answers {refused}; "
        f"writer retries logged per process {deployed.retries_logged()}"
    )
    assert lost == 0, f"{lost} of {len(traffic.sent_ids)} messages never reached the log"
    assert stored == distinct == len(traffic.sent_ids)
    # Both processes met the outage with contributions in their buffers, and kept them.
    assert all(deployed.retries_logged()), [p.log() for p in deployed.processes]

    await next_round_works(fleet, cafe_server, cafe)
    await commands_work_again(fleet, talking)
    deployed.no_traceback()


@long_drill
async def test_a_cafe_next_cut_short_by_the_outage_is_finished_by_pressing_it_again(
    tmp_path: Path,
) -> None:
    """The cut comes while `/cafe next` is under way: the first table is told its round ended
    (Discord did that), then the database goes. The facilitator is told part may have been
    done; pressing again after the cut finishes the change, without doing any part twice."""
    async with deployment(tmp_path) as deployed:
        loop = asyncio.get_running_loop()
        fleet, outage, traffic = deployed.fleet, deployed.outage, deployed.traffic
        server = deployed.cafe_server
        await traffic.send(SHORT_BEFORE)
        assert await stored_in_time(fleet, traffic.sent_ids, WAIT), "the log does not work"

        closing_note = fleet.sandbox.hold("POST", "/channels/{channel_id}/messages")
        pressed = asyncio.create_task(
            fleet.sandbox.slash(
                server.moderator, server.channels["cafe"], "cafe next", timeout=WAIT
            )
        )
        await closing_note.wait_for_arrival(WAIT)
        await outage.down()
        cut_at = loop.time()
        closing_note.release(carry_out=True)
        answer = await pressed
        await answer.final_text()
        told_part_may_be_done(answer)
        # Discord closed the first table; then the database went, with round 1 still on.
        assert round_ended_notes(server) == 1
        assert (await only_cafe(fleet, server)).current_round == 1
        await traffic.send(SHORT_DURING, over=SHORT_CUT * 0.8)
        await asyncio.sleep(max(0.0, cut_at + SHORT_CUT - loop.time()))
        await outage.up()
        restored_at = loop.time()

        await traffic.send(SHORT_AFTER)
        durable = await stored_in_time(fleet, traffic.sent_ids, RECOVERY_WITHIN)
        await next_round_works(fleet, server, deployed.cafe)
        recovery = loop.time() - restored_at
        stored, distinct = await contribution_counts(fleet)
        lost = len(traffic.sent_ids - await stored_ids(fleet))
        print(
            f"\n/cafe next cut short: cut {SHORT_CUT:.0f} s; events sent {len(traffic.sent_ids)};"
            f" rows stored {stored}; duplicates {stored - distinct}; lost {lost}; recovery time "
            f"{recovery:.1f} s (relay restored -> log durable{'' if durable else ': never'} and "
            f"round 2 seated); 'cannot reach' answers 1"
        )
        assert lost == 0 and stored == distinct == len(traffic.sent_ids)
        deployed.no_traceback()


# --- the members' traffic -----------------------------------------------------------------------


class Traffic:
    """Members of the talking servers posting in turn, in their servers' general and café
    channels; every message sent is remembered."""

    def __init__(self, fleet: Fleet, servers: list[SampleCommunity]) -> None:
        self.fleet = fleet
        places: list[tuple[Member, Channel]] = []
        for server in servers:
            people = [m for m in server.members if not m.user.bot]
            for member, channel in zip(
                people,
                itertools.cycle([server.channels["general"], server.channels["cafe"]]),
                strict=False,
            ):
                places.append((member, channel))
        # Round the servers first, so that a burst reaches every server at once.
        self._turns = itertools.cycle(interleaved(places, len(servers)))
        self.sent: list[Message] = []

    @property
    def sent_ids(self) -> set[int]:
        return {message.id for message in self.sent}

    async def send(self, count: int, *, over: float = 0.0) -> None:
        pause = over / count
        for number in range(count):
            member, channel = next(self._turns)
            text = f"message {len(self.sent) + 1}: how does your district fund this? ({number})"
            self.sent.append(await self.fleet.sandbox.send_message(member, channel, text))
            await asyncio.sleep(pause)


def interleaved(places: list[tuple[Member, Channel]], servers: int) -> list[tuple[Member, Channel]]:
    each = len(places) // servers
    return [places[server * each + turn] for turn in range(each) for server in range(servers)]


# --- the database as the processes left it ------------------------------------------------------


async def stored_ids(fleet: Fleet) -> set[int]:
    async with fleet.db.session() as session:
        return set((await session.execute(select(Contribution.message_id))).scalars())


async def contribution_counts(fleet: Fleet) -> tuple[int, int]:
    """Rows in the log, and distinct messages among them."""
    async with fleet.db.session() as session:
        row = (
            await session.execute(
                select(func.count(), func.count(func.distinct(col(Contribution.message_id))))
            )
        ).one()
    return int(row[0]), int(row[1])


async def stored_in_time(fleet: Fleet, expected: set[int], within: float) -> bool:
    """Whether every message of ``expected`` is in the log within ``within`` seconds."""

    async def all_there() -> bool:
        return await stored_ids(fleet) >= expected

    try:
        await eventually(all_there, within, interval=0.1)
    except AssertionError:
        return False
    return True


async def registers_caught_up(fleet: Fleet) -> None:
    """Every server's people are in the register: the start-up catch-up of both processes is
    done, and the cut does not fall into it."""

    async def caught_up() -> bool:
        async with fleet.db.session() as session:
            for server in fleet.servers:
                found = await list_members(session, server.guild.id)
                people = sum(not m.user.bot for m in server.guild.members.values())
                if len(found) < people:
                    return False
        return True

    await eventually(caught_up, 60.0, interval=0.2)


# --- the café -----------------------------------------------------------------------------------


async def running_cafe(fleet: Fleet, server: SampleCommunity) -> Cafe:
    """A café of two tables in round 1 (of three, twenty minutes each: no timer ends a round
    during the drill)."""
    sandbox, cafe_channel = fleet.sandbox, server.channels["cafe"]
    owner = server.owner_member
    roles = await sandbox.slash(
        owner,
        server.channels["general"],
        "settings roles",
        timeout=WAIT,
        moderator=server.moderators_role,
        coordinator=server.coordinators_role,
    )
    assert "Roles saved" in await roles.final_text(), roles.text()
    created = await sandbox.slash(
        server.moderator,
        cafe_channel,
        "cafe create",
        timeout=WAIT,
        title="Funding the district platforms",
        questions="Who pays? | What works? | What next?",
        rounds=3,
        round_minutes=20,
        tables=2,
    )
    assert "is open for sign-up" in await created.final_text(), created.text()
    signup = next(
        m
        for m in reversed(cafe_channel.messages)
        if m.embeds and m.embeds[0].get("title", "").startswith("World Café")
    )
    for member in [m for m in server.members if m.user.id != server.owner.id]:
        joined = await sandbox.click(member, signup, custom_ids(signup)["Join"], timeout=WAIT)
        assert "signed up" in joined.text(), joined.text()
    started = await sandbox.slash(server.moderator, cafe_channel, "cafe start", timeout=WAIT)
    assert "has started" in await started.final_text(), started.text()

    async def seated() -> bool:
        threads = table_threads(server, 1)
        return len(threads) == 2 and all(t.messages for t in threads)

    await eventually(seated)
    return await only_cafe(fleet, server)


async def only_cafe(fleet: Fleet, server: SampleCommunity) -> Cafe:
    async with fleet.db.session() as session:
        found = await cafes.list_cafes(session, server.guild.id)
    assert len(found) == 1
    return found[0]


def table_threads(server: SampleCommunity, round_number: int) -> list[Channel]:
    return [t for t in server.guild.threads if (t.name or "").startswith(f"R{round_number} · ")]


def round_ended_notes(server: SampleCommunity) -> int:
    return sum("round has ended" in m.content for t in table_threads(server, 1) for m in t.messages)


async def cafe_unchanged(fleet: Fleet, server: SampleCommunity, before: Cafe) -> None:
    now = await only_cafe(fleet, server)  # the drill's own connection, not through the relay
    assert (now.state, now.current_round, now.round_ends_at) == (
        CafeState.RUNNING,
        1,
        before.round_ends_at,
    )
    assert len(table_threads(server, 1)) == 2 and table_threads(server, 2) == []
    assert not any(t.locked or t.archived for t in table_threads(server, 1))
    assert round_ended_notes(server) == 0


async def next_round_works(fleet: Fleet, server: SampleCommunity, before: Cafe) -> None:
    """Pressed again after the cut, `/cafe next` ends round 1 (once) and seats round 2."""
    pressed = await fleet.sandbox.slash(
        server.moderator, server.channels["cafe"], "cafe next", timeout=WAIT
    )
    answer = await pressed.final_text()
    assert pressed.ephemeral and "Round 2 of" in answer and "has started" in answer, answer
    after = await only_cafe(fleet, server)
    assert (after.state, after.current_round) == (CafeState.RUNNING, 2)
    assert after.round_started_at != before.round_started_at

    async def seated() -> bool:
        threads = table_threads(server, 2)
        return len(threads) == 2 and all(t.messages for t in threads)

    await eventually(seated)
    assert len(table_threads(server, 2)) == 2  # one thread per table, none twice
    assert all(t.locked and t.archived for t in table_threads(server, 1))
    assert round_ended_notes(server) == 2  # each table of round 1 told once


# --- commands during the cut --------------------------------------------------------------------


async def commands_during_the_cut(
    fleet: Fleet, cafe_server: SampleCommunity, talking: list[list[SampleCommunity]]
) -> int:
    """`/cafe next` in the running café, and other commands in servers of both shards, all
    answered that the database is out of reach; returns how many such answers came."""
    other_on_0 = next(s for s in talking[0] if s is not cafe_server)
    on_1 = talking[1]
    asked: list[SandboxInteraction] = [
        await fleet.sandbox.slash(
            cafe_server.moderator, cafe_server.channels["cafe"], "cafe next", timeout=WAIT
        ),
        await fleet.sandbox.slash(
            other_on_0.plain_member,
            other_on_0.channels["general"],
            "privacy show",
            timeout=WAIT,
        ),
        await fleet.sandbox.slash(
            on_1[0].plain_member, on_1[0].channels["cafe"], "cafe list", timeout=WAIT
        ),
        await fleet.sandbox.slash(
            on_1[1].plain_member, on_1[1].channels["general"], "privacy show", timeout=WAIT
        ),
    ]
    for answer in asked:
        await answer.final_text()
        told_database_is_out_of_reach(answer)
    return len(asked)


def told_part_may_be_done(itx: SandboxInteraction) -> None:
    """Out of reach, after part of the work was done: said so, and to look before retrying."""
    assert itx.ephemeral
    text = itx.text()
    assert "The bot cannot reach its database right now" in text, text
    assert "Part of `/cafe next` may have been done" in text and "Try again" in text, text
    assert "went wrong on our side" not in text and "Traceback" not in text, text


async def commands_work_again(fleet: Fleet, talking: list[list[SampleCommunity]]) -> None:
    """Each process answers from the database again (its pool reconnected)."""
    for servers in talking:
        server = servers[-1]
        shown = await fleet.sandbox.slash(
            server.plain_member, server.channels["general"], "privacy show", timeout=WAIT
        )
        assert "What the bot keeps about" in await shown.final_text(), shown.text()
