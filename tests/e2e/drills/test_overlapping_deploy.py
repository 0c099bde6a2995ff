"""Drill: an overlapping deploy. Process A runs both shards; process B starts for the same shards
while A still runs, so that for 30 seconds Discord (the sandbox) gives both of them every event
of every server, interactions included, as it does while a rolling deploy replaces a process.
Across that overlap prompt schedules fall due in several servers, a café's first round starts
by its timer in one server and a facilitator presses `/cafe next` in another, and members post
all along. Then A is stopped (SIGTERM), as the deploy does. Nothing may be posted, opened,
answered or logged twice, and nothing lost.

Shorter drills pin down the moments the overlap can hit by chance: B starting up while A is
opening a round's tables or posting a question (a held request keeps A half-way), A stopped in
the middle of a post, and a schedule made by A (which the deploy stops) rung by B."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
from collections import Counter
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.cafe.service import CAFE_START, CafeService, read_cafe_request
from bot.cafe.values import Cafe
from bot.prompts.bank import QuestionBank
from bot.prompts.schedules import PromptService
from bot.sandbox.interactions import SandboxInteraction
from bot.sandbox.models import Channel, Member, Message, walk_components
from bot.sandbox.sample import SampleCommunity
from bot.scheduling.scheduler import Scheduler
from bot.scheduling.values import FiringStatus
from storage import cafes as cafe_queries
from storage import members as member_queries
from storage import prompts as prompt_queries
from storage import schedules as schedule_queries
from storage.communities import ensure_community
from storage.db import Database
from storage.models import Contribution
from storage.types import utc_now
from tests.databases import postgres_url
from tests.e2e.fleet import Fleet, running_fleet
from tests.e2e.helpers import eventually, long_drill

pytestmark = pytest.mark.postgres

OVERLAP_SECONDS = 30.0
# Due times are set before A starts, this long after: A and B are up by then on a loaded
# machine (they start in a few seconds each), so the firings ring while both run.
FIRST_DUE_AFTER = timedelta(seconds=30)
DUE_APART = timedelta(seconds=3)
ANSWER_WITHIN = 30.0  # an interaction's answer, on a loaded machine with two busy processes
NEW_QUESTION = "How do we keep what we learn?"
NOTE = "Keep a shared log of what worked"
ERRORS_SHOWN = ("Sorry, something went wrong", "That did not work", "may have been done")
ERRORS_LOGGED = ("Traceback", "unexpected error", "could not report an error")


async def test_an_overlapping_deploy_does_nothing_twice_and_loses_nothing(tmp_path: Path) -> None:
    async with running_fleet(tmp_path, servers=20, shard_count=2, people_each=7) as fleet:
        both = (0, 1)
        on = [fleet.servers_on(0), fleet.servers_on(1)]
        prompted = [*on[0][1:3], *on[1][1:3]]  # two servers of each shard
        timed_cafe_server, command_cafe_server = on[1][0], on[0][0]
        chatty = [*on[0][:4], *on[1][:4]]

        seeded_at = utc_now()
        dues = [seeded_at + FIRST_DUE_AFTER + DUE_APART * n for n in range(len(prompted) + 1)]
        schedules = {
            (await seed_prompt_schedule(fleet.db, server, due)): (server, due)
            for server, due in zip(prompted, dues, strict=False)
        }
        timed_cafe = await seed_timed_cafe(fleet.db, timed_cafe_server, dues[-1])

        a = await fleet.start(both, name="A")
        interactions: list[SandboxInteraction] = []
        cafe_channel = command_cafe_server.channels["cafe"]
        moderator, late_comer = command_cafe_server.moderator, people_of(command_cafe_server)[6]
        saved = await answer_of(
            fleet, command_cafe_server.owner_member, command_cafe_server.channels["general"],
            "settings roles", interactions, moderator=command_cafe_server.moderators_role,
            coordinator=command_cafe_server.coordinators_role,
        )  # fmt: skip
        assert "Roles saved" in saved, saved
        command_cafe = await create_cafe(fleet, command_cafe_server, interactions)
        signup = await wait_for_signup(fleet, cafe_channel)
        # `/cafe start` as B starts: B's start-up recovery meets a round A is opening.
        started = asyncio.create_task(
            answer_of(fleet, moderator, cafe_channel, "cafe start", interactions)
        )
        b = await fleet.start(both, name="B")
        overlap_from = utc_now()
        assert "has started" in await started
        print(
            f"B ready {(overlap_from - seeded_at).total_seconds():.1f} s after seeding; "
            f"first due at {FIRST_DUE_AFTER.total_seconds():.0f} s"
        )

        sent: list[Message] = []
        posting = asyncio.create_task(members_post(fleet, chatty, sent))
        try:
            await asyncio.sleep(3)  # B is through its start-up recovery
            # In the overlap every interaction reaches both processes: a button, commands that
            # only read, `/cafe next`, and commands that write before they answer.
            # People join two servers (one per shard): both processes register them.
            newcomers = []
            for index, server in enumerate((on[0][1], on[1][1])):
                user = fleet.sandbox.create_user(
                    f"newcomer{index}", global_name=f"Newcomer {index}"
                )
                newcomers.append((server, server.guild.add_member(user)))
            join = await click_label(fleet, late_comer, signup, "Join", interactions)
            assert "round 1 is under way" in join, join
            status = await answer_of(
                fleet, command_cafe_server.plain_member, cafe_channel, "cafe status", interactions
            )
            assert "round 1" in status.lower(), status
            await answer_of(
                fleet, command_cafe_server.plain_member, cafe_channel, "about", interactions
            )
            moved_on = await answer_of(fleet, moderator, cafe_channel, "cafe next", interactions)
            assert "Round 2 of" in moved_on, moved_on
            added = await answer_of(
                fleet, moderator, command_cafe_server.channels["general"], "prompt add",
                interactions, text=NEW_QUESTION, theme="Funding",
            )  # fmt: skip
            assert "Added question #" in added, added
            table = round_threads(command_cafe_server, 2)[0]
            seated = command_cafe_server.guild.get_member(table.messages[0].mentions[0].id)
            assert seated is not None
            noted = await answer_of(fleet, seated, table, "cafe note", interactions, text=NOTE)
            assert "Added to the tablecloth" in noted, noted
            overlap_until = max(
                overlap_from + timedelta(seconds=OVERLAP_SECONDS), dues[-1] + timedelta(seconds=5)
            )
            await asyncio.sleep(max(0.0, (overlap_until - utc_now()).total_seconds()))
            a_stopped_at = utc_now()
            print(f"overlap: {(a_stopped_at - overlap_from).total_seconds():.1f} s")
            await a.stop()  # the rolling deploy stops the old process
            await asyncio.sleep(2)  # members go on posting to B alone
        finally:
            posting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await posting
        in_overlap = sum(overlap_from <= due <= a_stopped_at for due in dues)

        # --- one post per firing, one thread each -------------------------------------------
        firings = posts = post_threads = 0
        duplicates = lost = 0
        for schedule_id, (server, due) in schedules.items():
            await eventually(partial(firing_finished, fleet.db, schedule_id), timeout=30)
            async with fleet.db.session() as session:
                rows = await schedule_queries.firings_of(session, schedule_id)
                made = await prompt_queries.posts_of(session, server.guild.id)
            firings += len(rows)
            assert [(f.scheduled_for, f.status) for f in rows] == [(due, FiringStatus.DONE)], rows
            out = question_posts(server.channels["general"])
            threads = [t for t in server.guild.threads if t.parent is server.channels["general"]]
            posts += len(out)
            post_threads += len(threads)
            duplicates += max(0, len(out) - 1) + max(0, len(threads) - 1)
            lost += 1 - min(1, len(out))
            assert len(made) == 1 and made[0].finished_at is not None, made
            assert [m.id for m in out] == [made[0].message_id]
            assert [t.id for t in threads] == [made[0].thread_id]

        # --- one thread per table per round -------------------------------------------------
        table_threads = 0
        for server, cafe_id, rounds in (
            (timed_cafe_server, timed_cafe.id, 1),
            (command_cafe_server, command_cafe.id, 2),
        ):
            cafe = await stored_cafe(fleet.db, cafe_id)
            assert cafe.current_round == rounds, cafe
            for round_number in range(1, rounds + 1):
                async with fleet.db.session() as session:
                    view = await cafe_queries.tables_of(session, cafe_id, round_number)
                threads = round_threads(server, round_number)
                table_threads += len(threads)
                names = Counter(t.name for t in threads)
                duplicates += sum(n - 1 for n in names.values())
                assert len(view) >= 1
                assert sorted(t.id for t in threads) == sorted(r.thread_id or 0 for r in view), (
                    f"{server.guild.name} round {round_number}: threads "
                    f"{[t.name for t in threads]}, tables {view}"
                )

        # --- what commands wrote, once ----------------------------------------------------------
        async with fleet.db.session() as session:
            bank, _ = await prompt_queries.list_questions(session, command_cafe_server.guild.id)
            notes = await cafe_queries.notes_of(session, command_cafe.id)
        written = [q.text for q in bank].count(NEW_QUESTION), [n.text for n in notes].count(NOTE)
        duplicates += sum(n - 1 for n in written if n > 1)

        # --- newcomers registered once ------------------------------------------------------
        for server, member in newcomers:

            async def registered(server: SampleCommunity = server, member: Member = member) -> bool:
                async with fleet.db.session() as session:
                    found = await member_queries.get_member(session, server.guild.id, member.id)
                return found is not None

            await eventually(registered, timeout=30)

        # --- every member message logged once -----------------------------------------------
        expected = {m.id for m in sent}

        async def all_logged() -> bool:
            return set(await logged_ids(fleet.db)) >= expected

        with contextlib.suppress(AssertionError):
            await eventually(all_logged, timeout=30)
        ids = await logged_ids(fleet.db)
        stored = [i for i in ids if i in expected]
        missing = expected - set(stored)
        doubled = len(stored) - len(set(stored))
        duplicates += doubled
        lost += len(missing)

        # --- commands answered once, no error shown, none logged -----------------------------
        refused = sum(
            1 for method, path, status in fleet.sandbox.requests
            if method == "POST" and path.endswith("/callback") and status == 400
        )  # fmt: skip
        shown = [itx for itx in interactions if any(e in itx.text() for e in ERRORS_SHOWN)]
        logged = {
            process.name: [line for line in process.log().splitlines() if is_error(line)]
            for process in (a, b)
        }
        print(
            f"firings {firings} ({in_overlap} of {len(dues)} due times in the overlap), "
            f"question posts {posts}, their threads {post_threads}, "
            f"table threads {table_threads}, messages sent {len(sent)}, rows stored "
            f"{len(stored)}, duplicates {duplicates}, lost {lost}; interactions "
            f"{len(interactions)}, second answers refused by Discord {refused}, errors shown "
            f"{len(shown)}, error lines logged A {len(logged['A'])} B {len(logged['B'])}"
        )
        assert written == (1, 1), f"the question {written[0]} times, the note {written[1]} times"
        assert not missing, f"{len(missing)} of {len(expected)} messages never logged"
        assert doubled == 0
        assert all(itx.acknowledged and len(itx.followups) <= 1 for itx in interactions)
        assert not shown, [itx.text() for itx in shown]
        assert logged == {"A": [], "B": []}, logged
        assert duplicates == 0 and lost == 0


# --- seeding, before any process runs ----------------------------------------------------------


async def seed_prompt_schedule(db: Database, server: SampleCommunity, due: datetime) -> int:
    """A Funding question and a schedule that posts it in #general at ``due`` (a timer: one due
    time), as a moderator's `/prompt schedule` would have left it."""
    guild, channel = server.guild, server.channels["general"]
    owner = server.owner.id
    await QuestionBank(db).add(
        guild.id, guild.name, actor_id=owner, text=f"What did {guild.name} learn this week?",
        theme="Funding", approved=True,
    )  # fmt: skip
    seeding = PromptService(db, Scheduler(db, process_id="seeding"))
    later = due + timedelta(hours=1)
    view, _ = await seeding.create_schedule(
        guild.id, guild.name, channel_id=channel.id, when_text=f"daily {later:%H:%M}",
        theme="Funding", timezone="UTC", make_thread=True, misfire=None, actor_id=owner,
        now=due - timedelta(minutes=5),
    )  # fmt: skip
    assert view.schedule.id is not None
    async with db.transaction() as session:
        await schedule_queries.set_due_at(session, view.schedule.id, due)
    return view.schedule.id


async def seed_timed_cafe(db: Database, server: SampleCommunity, starts: datetime) -> Cafe:
    """A café of two tables with six people signed up, that starts by its timer at ``starts``."""
    guild = server.guild
    later = utc_now() + timedelta(days=1)
    request = read_cafe_request(
        title="Learning across districts", questions="What worked? | What next?", rounds=2,
        round_minutes=20, tables=2, starts_at=f"{later:%Y-%m-%d %H:%M}", repeat=None,
        thread_type=None, timezone="UTC", now=utc_now(),
    )  # fmt: skip
    cafe = await seeding_cafes(db).create(
        guild.id, guild.name, channel_id=server.channels["cafe"].id,
        actor_id=server.moderator.id, request=request,
    )  # fmt: skip
    await sign_up(db, cafe, people_of(server)[:6])
    async with db.transaction() as session:
        [timer] = await schedule_queries.schedules_for(session, CAFE_START, cafe.id)
        assert timer.id is not None
        await schedule_queries.set_due_at(session, timer.id, starts)
    return cafe


def seeding_cafes(db: Database) -> CafeService:
    return CafeService(db, Scheduler(db, process_id="seeding"))


async def sign_up(db: Database, cafe: Cafe, members: list[Member]) -> None:
    """As the Join button does (before any overlap: the button is tried in the overlap)."""
    for member in members:
        await seeding_cafes(db).join(cafe, member.id)


# --- driving the servers -----------------------------------------------------------------------


async def answer_of(
    fleet: Fleet,
    member: Member,
    channel: Channel,
    command: str,
    interactions: list[SandboxInteraction],
    **options: Any,
) -> str:
    itx = await fleet.sandbox.slash(member, channel, command, timeout=ANSWER_WITHIN, **options)
    interactions.append(itx)
    return await itx.final_text(timeout=ANSWER_WITHIN)


async def create_cafe(
    fleet: Fleet, server: SampleCommunity, interactions: list[SandboxInteraction]
) -> Cafe:
    """`/cafe create`, two tables, and six people signed up."""
    created = await answer_of(
        fleet, server.moderator, server.channels["cafe"], "cafe create", interactions,
        title="Sharing what works", questions="What helps? | What next?", rounds=2,
        round_minutes=20, tables=2,
    )  # fmt: skip
    assert "is open for sign-up" in created, created
    async with fleet.db.session() as session:
        [cafe] = await cafe_queries.list_cafes(session, server.guild.id)
    await sign_up(fleet.db, cafe, people_of(server)[:6])
    return cafe


async def click_label(
    fleet: Fleet,
    member: Member,
    message: Message,
    label: str,
    interactions: list[SandboxInteraction],
) -> str:
    custom_id = next(
        c["custom_id"]
        for c in walk_components(message.components)
        if c.get("type") == 2 and c.get("label") == label
    )
    itx = await fleet.sandbox.click(member, message, custom_id, timeout=ANSWER_WITHIN)
    interactions.append(itx)
    return await itx.final_text(timeout=ANSWER_WITHIN)


async def wait_for_signup(fleet: Fleet, channel: Channel) -> Message:
    def found() -> Message | None:
        return next(
            (
                m
                for m in reversed(channel.messages)
                if m.embeds and str(m.embeds[0].get("title", "")).startswith("World Café")
            ),
            None,
        )

    await fleet.sandbox.wait_until(lambda: found() is not None, timeout=ANSWER_WITHIN)
    message = found()
    assert message is not None
    return message


async def members_post(fleet: Fleet, servers: list[SampleCommunity], sent: list[Message]) -> None:
    """Members post in #general and in the café's table threads, a few a second, until
    cancelled."""
    rng = random.Random(18)
    for count in itertools.count():
        server = servers[count % len(servers)]
        places = [server.channels["general"], *(t for t in server.guild.threads if t.name)]
        places = [p for p in places if not p.archived and not p.locked]
        channel = rng.choice(places)
        member = rng.choice(people_of(server))
        sent.append(await fleet.sandbox.send_message(member, channel, f"A thought ({count})"))
        await asyncio.sleep(0.1)


# --- reading what was done ---------------------------------------------------------------------


def people_of(server: SampleCommunity) -> list[Member]:
    return [m for m in server.members if not m.user.bot and m.user.id != server.owner.id]


def question_posts(channel: Channel) -> list[Message]:
    return [
        m
        for m in channel.messages
        if m.author.bot and m.embeds and str(m.embeds[0].get("title", "")).startswith("💬")
    ]


def round_threads(server: SampleCommunity, round_number: int) -> list[Channel]:
    return [t for t in server.guild.threads if (t.name or "").startswith(f"R{round_number} · ")]


async def stored_cafe(db: Database, cafe_id: int) -> Cafe:
    async with db.session() as session:
        cafe = await cafe_queries.get_cafe_by_id(session, cafe_id)
    assert cafe is not None
    return cafe


async def firing_finished(db: Database, schedule_id: int) -> bool:
    async with db.session() as session:
        rows = await schedule_queries.firings_of(session, schedule_id)
    return bool(rows) and all(f.status != FiringStatus.CLAIMED for f in rows)


async def logged_ids(db: Database) -> list[int]:
    async with db.session() as session:
        return list((await session.execute(select(Contribution.message_id))).scalars())


def is_error(line: str) -> bool:
    return any(marker in line for marker in ERRORS_LOGGED) or " ERROR " in line


THREAD_ROUTE = "/channels/{channel_id}/threads"
GUILD = 77


async def test_a_process_starting_up_leaves_a_round_being_opened_to_the_process_opening_it(
    tmp_path: Path,
) -> None:
    """B starts while A is opening a round's tables (held half-way, its first thread asked of
    Discord): B's start-up recovery must not open the same tables again."""
    async with running_fleet(tmp_path, servers=4, shard_count=2, people_each=7) as fleet:
        server = fleet.servers_on(0)[0]
        interactions: list[SandboxInteraction] = []
        a = await fleet.start((0, 1), name="A")
        saved = await answer_of(
            fleet, server.owner_member, server.channels["general"], "settings roles",
            interactions, moderator=server.moderators_role,
            coordinator=server.coordinators_role,
        )  # fmt: skip
        assert "Roles saved" in saved, saved
        cafe = await create_cafe(fleet, server, interactions)
        held = fleet.sandbox.hold("POST", THREAD_ROUTE)
        started = asyncio.create_task(
            answer_of(fleet, server.moderator, server.channels["cafe"], "cafe start", interactions)
        )
        await held.wait_for_arrival(ANSWER_WITHIN)
        b = await fleet.start((0, 1), name="B")
        await asyncio.sleep(5)  # B's start-up recovery has run, or is waiting its turn
        held.release(carry_out=True)
        assert "has started" in await started
        await a.stop()

        async with fleet.db.session() as session:
            tables = await cafe_queries.tables_of(session, cafe.id, 1)

        async def all_open() -> bool:
            async with fleet.db.session() as session:
                rows = await cafe_queries.tables_of(session, cafe.id, 1)
            return all(r.opened for r in rows)

        await eventually(all_open, timeout=30)
        async with fleet.db.session() as session:
            tables = await cafe_queries.tables_of(session, cafe.id, 1)
        threads = round_threads(server, 1)
        print(
            f"tables {len(tables)}, threads opened {len(threads)}, "
            f"duplicates {len(threads) - len(tables)}"
        )
        assert sorted(t.id for t in threads) == sorted(r.thread_id or 0 for r in tables), [
            t.name for t in threads
        ]
        assert not [line for line in b.log().splitlines() if is_error(line)]


MESSAGE_ROUTE = "/channels/{channel_id}/messages"


@long_drill
async def test_a_process_starting_up_leaves_a_question_being_posted_to_the_process_posting_it(
    tmp_path: Path,
) -> None:
    """B starts while A is posting a scheduled question (its message asked of Discord, not yet
    answered), and A is stopped half-way: the question is posted once, with one thread, and
    A's stop is clean."""
    async with running_fleet(tmp_path, servers=4, shard_count=2) as fleet:
        server = fleet.servers_on(0)[0]
        due = (utc_now() - timedelta(minutes=2)).replace(microsecond=0)  # A posts it at start
        schedule_id = await seed_prompt_schedule(fleet.db, server, due)
        held = fleet.sandbox.hold("POST", MESSAGE_ROUTE)
        a = await fleet.start((0, 1), name="A")
        await held.wait_for_arrival(ANSWER_WITHIN)
        b = await fleet.start((0, 1), name="B")
        await asyncio.sleep(5)  # B's start-up recovery has run, or is waiting its turn
        held.release(carry_out=True)
        await a.stop()  # the deploy stops A in the middle of its post: it finishes it first
        await eventually(lambda: firing_finished(fleet.db, schedule_id), timeout=30)

        async with fleet.db.session() as session:
            made = await prompt_queries.posts_of(session, server.guild.id)
        out = question_posts(server.channels["general"])
        threads = [t for t in server.guild.threads if t.parent is server.channels["general"]]
        print(f"firings 1, posts {len(out)}, threads {len(threads)}")
        assert len(made) == 1 and [m.id for m in out] == [made[0].message_id], out
        assert [t.id for t in threads] == [made[0].thread_id]
        assert not [line for line in b.log().splitlines() if is_error(line)]


async def test_a_schedule_made_by_one_process_gets_an_alarm_in_the_other() -> None:
    """A schedule made by the process a deploy stops next (its command, or its firing, set a
    timer) is rung by the one that stays: every process follows the schedules made elsewhere."""
    async with postgres_url(migrated=True) as url:
        db = Database.connect(url)
        old, new = (
            Scheduler(db, process_id=name, follow_changes_every=0.2) for name in ("old", "new")
        )
        try:
            await old.start()
            await new.start()
            async with db.transaction() as session:
                await ensure_community(session, GUILD, "CoP")
                timer = await schedule_queries.create_schedule(
                    session, community_id=GUILD, kind="cafe.round_end", target_id=1,
                    when_text="in a day", timezone="UTC", due_at=utc_now() + timedelta(days=1),
                )  # fmt: skip
                timer_id = timer.id
                assert timer_id is not None
            await old.sync_schedule(timer_id)  # as the process that made it does
            assert old.next_alarm(timer_id) is not None

            async def known() -> bool:
                return new.next_alarm(timer_id) == old.next_alarm(timer_id)

            await eventually(known, timeout=10)
        finally:
            await old.shutdown()
            await new.shutdown()
            await db.dispose()


@long_drill  # the writer's check itself: tests/storage/test_writer.py
async def test_a_member_who_opts_out_during_the_overlap_is_logged_by_neither_process(
    tmp_path: Path,
) -> None:
    async with running_fleet(tmp_path, servers=2, shard_count=2) as fleet:
        server = fleet.servers_on(0)[0]
        member, general = server.plain_member, server.channels["general"]
        await fleet.start((0, 1), name="A")
        await fleet.start((0, 1), name="B")
        interactions: list[SandboxInteraction] = []
        asked = await answer_of(fleet, member, general, "privacy optout", interactions)
        assert "Confirm" in asked or "Stop logging" in asked, asked
        question = interactions[-1].original
        assert question is not None
        await click_label(fleet, member, question, "Confirm", interactions)
        await fleet.sandbox.wait_until(  # the question becomes the outcome
            lambda: question.embeds[0].get("title") == "You are opted out", timeout=ANSWER_WITHIN
        )
        sent = [
            await fleet.sandbox.send_message(member, general, f"after opting out ({n})")
            for n in range(5)
        ]

        async def any_logged() -> bool:
            return bool(set(await logged_ids(fleet.db)) & {m.id for m in sent})

        with contextlib.suppress(AssertionError):  # the writers flush within a second or two
            await eventually(any_logged, timeout=10)
        logged = set(await logged_ids(fleet.db)) & {m.id for m in sent}
        print(f"messages after opting out {len(sent)}, logged {len(logged)}")
        assert not logged
