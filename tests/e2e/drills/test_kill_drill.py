"""SIGKILL drill: two `copbot run` processes, one shard each, twenty servers, one PostgreSQL. A
World Café runs in a server of each shard, members post in servers of both shards, prompt
schedules fall due; one process is killed half-way through opening a round's tables or
through posting a question, and started again. Every round ends, nothing is posted or opened
twice, no message the sandbox holds is missing from the log, and the other process serves its
shard all along."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from pathlib import Path

import pytest

from bot.cafe.values import CafeState
from storage import cafes, schedules
from storage.types import utc_now
from tests.e2e.drills.busy_fleet import (
    PROMPT_THREAD_ROUTE,
    RECOVER_WITHIN,
    TABLE_THREAD_ROUTE,
    Traffic,
    all_logged,
    arrives,
    cafe_made_nothing_twice,
    cafe_of,
    containers,
    figures,
    logged_ids,
    member_messages,
    next_round,
    prompt_posts,
    questions_posted,
    round_open,
    running_cafe,
    seed_prompt_schedules,
    set_staff_roles,
    shard_servers,
    table_threads,
    timed,
)
from tests.e2e.fleet import running_fleet

pytestmark = pytest.mark.postgres

SERVERS = 20
SHARDS = 2
PEOPLE_EACH = 9  # a moderator, a coordinator and seven more: two tables of four


async def test_a_process_killed_while_opening_tables_opens_each_once_and_loses_nothing(
    tmp_path: Path,
) -> None:
    async with running_fleet(
        tmp_path, servers=SERVERS, shard_count=SHARDS, people_each=PEOPLE_EACH
    ) as fleet:
        sandbox, db = fleet.sandbox, fleet.db
        first, second = await asyncio.gather(fleet.start([0]), fleet.start([1]))
        busy = [*shard_servers(fleet, 0, 3), *shard_servers(fleet, 1, 3)]
        here, there = busy[0], busy[3]  # a café on each shard; `here` is on the killed one
        # `there`'s café first: the restarted process comes upon it before its own.
        await running_cafe(sandbox, db, there)
        await running_cafe(sandbox, db, here)
        traffic = Traffic(sandbox, busy, SHARDS)
        traffic.start()

        # Round 2 of `here`: the first table's thread asked for, the process killed meanwhile.
        # Discord makes the thread, but the process never learns its id.
        held_here = sandbox.hold("POST", TABLE_THREAD_ROUTE)
        moving_on = await sandbox.slash(
            here.moderator, here.channels["cafe"], "cafe next", timeout=RECOVER_WITHIN
        )
        assert moving_on.deferred
        await held_here.wait_for_arrival(RECOVER_WITHIN)
        await first.kill()
        killed_at = time.monotonic()
        held_here.release(carry_out=True)
        await sandbox.wait_until(lambda: len(table_threads(here, 2)) == 1, timeout=10)

        # While it is down the other process serves its shard: its servers' messages are
        # logged (the killed shard's wait in Discord), and it opens its café's round 2, held
        # half-way too: the restarted process must leave that work to it.
        held_there = sandbox.hold("POST", TABLE_THREAD_ROUTE)
        moving_on_there = await sandbox.slash(
            there.moderator, there.channels["cafe"], "cafe next", timeout=RECOVER_WITHIN
        )
        await held_there.wait_for_arrival(RECOVER_WITHIN)
        await asyncio.sleep(1.0)  # messages keep coming in on both shards
        while_down = {m.id for m in traffic.sent_on(1, since=killed_at)}
        assert while_down
        await all_logged(db, while_down, fleet.servers)

        first = await fleet.start([0], name="process-0-restarted")
        ready_at = time.monotonic()
        recovered_at = await timed(lambda: round_open(db, here, 2))
        held_there.release(carry_out=True)
        assert "Round 2" in await moving_on_there.final_text(RECOVER_WITHIN)
        assert await round_open(db, there, 2)

        # Both cafés go on to their end, and made nothing twice.
        for server in (here, there):
            assert "Round 3" in await next_round(sandbox, server)
            assert "harvest" in await next_round(sandbox, server)
            await cafe_made_nothing_twice(db, server)
            assert (await cafe_of(db, server)).state == CafeState.CLOSED

        await traffic.stop()
        expected = member_messages(fleet.servers)
        assert len(expected) == len(traffic.sent)
        await all_logged(db, expected, fleet.servers)
        stored = await logged_ids(db)
        figures(
            "killed while opening a round's tables",
            traffic=traffic,
            expected=expected,
            stored=stored,
            killed_at=killed_at,
            ready_at=ready_at,
            recovered_at=recovered_at,
            extra={
                "table threads (2 cafés x 3 rounds x 2)": sum(
                    len(table_threads(s, n)) for s in (here, there) for n in (1, 2, 3)
                ),
                "logged by the other process while down": len(while_down),
            },
        )
        assert len(stored) == len(set(stored)) == len(expected)
        assert second.running  # the other process served all along, never restarted


async def test_a_process_killed_while_posting_posts_each_question_once_and_ends_its_round(
    tmp_path: Path,
) -> None:
    async with (
        running_fleet(
            tmp_path, servers=SERVERS, shard_count=SHARDS, people_each=PEOPLE_EACH
        ) as fleet,
        containers(fleet) as container,
    ):
        sandbox, db = fleet.sandbox, fleet.db
        # Questions due a moment ago in three servers of each shard: each process posts its
        # own as it starts. Shard 1's process is the one killed, half-way through a post.
        asking = [*shard_servers(fleet, 0, 3), *shard_servers(fleet, 1, 3)]
        questions = await seed_prompt_schedules(db, asking)
        first = await fleet.start([0])
        await timed(lambda: questions.finished(db, asking[:3]))
        assert all(not questions_posted(s) for s in asking[3:])  # not another process's

        # Shard 1's process runs as in a container: started again, it has the same host name
        # and process id as the one killed. Killed first while connecting: Discord refuses its
        # identify (too soon after another; a day's starts spent would do the same), so it
        # never gets READY, but it has claimed its due firings as it started.
        sandbox.session_starts.identify_interval = 3600.0
        second = await container.start([1], wait=False)
        await timed(lambda: questions.claimed(db, asking[3:]))
        await second.kill()
        sandbox.session_starts.identify_interval = 0.0
        assert sandbox.session_starts.refused and all(not questions_posted(s) for s in asking[3:])

        # A question posted by hand on shard 0, held before its thread: still being made by a
        # live process while shard 1's process comes back, which must leave it alone.
        by_hand = asking[0]
        await set_staff_roles(sandbox, by_hand)
        held_by_hand = sandbox.hold("POST", PROMPT_THREAD_ROUTE)
        posting = await sandbox.slash(
            by_hand.moderator, by_hand.channels["general"], "prompt post", theme="Funding",
            timeout=RECOVER_WITHIN,
        )  # fmt: skip
        await held_by_hand.wait_for_arrival(RECOVER_WITHIN)

        # Started again, it posts what it had claimed; killed again half-way through a post,
        # while asking for the question's thread: Discord makes it, unrecorded.
        held = sandbox.hold("POST", PROMPT_THREAD_ROUTE)
        second = await container.start([1], wait=False, name="process-1-again")
        await arrives(held, "the restarted process never posted the questions claimed before")
        await second.kill()
        killed_at = time.monotonic()
        held.release(carry_out=True)

        second = await container.start([1], name="process-1-third-time")
        ready_at = time.monotonic()
        prompts_at = await timed(lambda: questions.finished(db, asking))
        # Its recovery went past the post by hand (older than its own): left to shard 0.
        [being_made] = await prompt_posts(db, by_hand, by_hand_only=True)
        assert being_made.finished_at is None and being_made.thread_id is None, being_made
        held_by_hand.release(carry_out=True)
        assert "Posted question #" in await posting.final_text(RECOVER_WITHIN)
        for server in asking:
            await questions.posted_once(db, server)

        # A café runs in a server of each shard, members post everywhere; shard 1's process
        # is killed mid-round, and the round's time runs out while it is down: on the way
        # back up, the round ends and the next one opens, once.
        here, there = asking[3], asking[0]
        await asyncio.gather(running_cafe(sandbox, db, here), running_cafe(sandbox, db, there))
        traffic = Traffic(sandbox, asking, SHARDS)
        traffic.start()
        await asyncio.sleep(1.0)
        await second.kill()
        round_killed_at = time.monotonic()
        cafe = await cafe_of(db, here)
        async with db.transaction() as session:
            past = utc_now() - timedelta(seconds=5)
            await cafes.set_round_end(session, cafe, past)
            for timer in await schedules.schedules_for(session, "cafe.round_end", cafe.id):
                assert timer.id is not None
                await schedules.set_due_at(session, timer.id, past)
        assert "Round 2" in await next_round(sandbox, there)  # the other shard goes on
        await asyncio.sleep(1.0)
        while_down = {m.id for m in traffic.sent_on(0, since=round_killed_at)}
        assert while_down
        await all_logged(db, while_down, fleet.servers)

        second = await container.start([1], name="process-1-fourth-time")
        round_ready_at = time.monotonic()
        round_at = await timed(lambda: round_open(db, here, 2))
        for server in (here, there):
            assert "Round 3" in await next_round(sandbox, server)
            assert "harvest" in await next_round(sandbox, server)
            await cafe_made_nothing_twice(db, server)

        await traffic.stop()
        expected = member_messages(fleet.servers)
        assert len(expected) == len(traffic.sent)
        await all_logged(db, expected, fleet.servers)
        stored = await logged_ids(db)
        posted = sum(len(questions_posted(s)) for s in asking)
        figures(
            "killed while posting a question, then mid-round",
            traffic=traffic,
            expected=expected,
            stored=stored,
            killed_at=round_killed_at,
            ready_at=round_ready_at,
            recovered_at=round_at,
            extra={
                "questions due / posted": f"{len(asking)} + 1 by hand / {posted}",
                "shard 1 run in a PID namespace": " ".join(container.launcher)
                or "no (not allowed)",
                "post kill -> ready": f"{ready_at - killed_at:.1f} s",
                "post kill -> every post finished": f"{prompts_at - killed_at:.1f} s",
                "logged by the other process while down": len(while_down),
            },
        )
        assert posted == len(asking) + 1
        assert len(stored) == len(set(stored)) == len(expected)
        assert first.running  # the other process served all along, never restarted
