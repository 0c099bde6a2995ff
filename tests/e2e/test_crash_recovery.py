"""Kill `copbot run` (SIGKILL: no clean shutdown) and start it again: while members are posting
(every message they sent is in the log, exactly once), and half-way through posting a question
(it is posted once, recorded, with its thread, and its firing finished)."""

from __future__ import annotations

import asyncio
import random
import signal
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.prompts.bank import QuestionBank
from bot.prompts.schedules import PromptService
from bot.prompts.values import PromptPost
from bot.sandbox import Sandbox
from bot.sandbox.interactions import message_text
from bot.sandbox.models import Message
from bot.sandbox.sample import SampleCommunity, build_sample_community
from bot.scheduling.scheduler import Scheduler
from bot.scheduling.values import FiringRecord, FiringStatus
from storage import prompts as prompt_queries
from storage.db import Database
from storage.models import Contribution
from storage.schedules import firings_of
from storage.types import utc_now
from tests.databases import sqlite_url
from tests.e2e.helpers import sandbox_settings
from tests.e2e.processes import keep_draining, read_until, start_bot_module


async def start_copbot(
    sandbox: Sandbox, community: SampleCommunity, tmp_path: Path
) -> asyncio.subprocess.Process:
    env = sandbox_settings(sandbox, community, tmp_path)
    process = await start_bot_module("bot", "run", cwd=tmp_path, env=env)
    assert process.stdout is not None
    await asyncio.wait_for(read_until(process.stdout, "ready: logged in as", []), 60)
    keep_draining(process)
    return process


def member_messages(community: SampleCommunity) -> set[int]:
    """Every message by a person that the sandbox still holds, in every channel and thread."""
    channels = [*community.guild.channels, *community.guild.threads]
    return {
        message.id
        for channel in channels
        for message in channel.messages
        if not message.author.bot and message.type in (0, 19)
    }


async def logged_ids(db: Database) -> list[int]:
    async with db.session() as session:
        return list((await session.execute(select(Contribution.message_id))).scalars())


async def test_a_killed_bot_loses_nothing_and_duplicates_nothing(tmp_path: Path) -> None:
    rng = random.Random(4)
    async with Sandbox() as sandbox:
        community = build_sample_community(sandbox)
        people = [m for m in community.members if not m.user.bot]
        channels = [community.channels["general"], community.channels["cafe"]]
        db = Database.connect(sqlite_url(tmp_path))
        process = await start_copbot(sandbox, community, tmp_path)
        try:
            first = await sandbox.send_message(people[1], channels[0], "good morning")
            for _ in range(200):
                if first.id in await logged_ids(db):
                    break
                await asyncio.sleep(0.05)
            assert first.id in await logged_ids(db), "the running bot never logged a message"

            sent: list[Message] = [first]

            async def post(count: int) -> None:
                for index in range(count):
                    channel = rng.choice(channels)
                    earlier = [m for m in sent[-20:] if m.channel is channel]
                    reply_to = rng.choice(earlier) if earlier and rng.random() < 0.4 else None
                    text = rng.choice(
                        ["I agree", "Has anyone tried this?", "See https://example.org/guide"]
                    )
                    sent.append(
                        await sandbox.send_message(
                            rng.choice(people), channel, f"{text} ({index})", reply_to=reply_to
                        )
                    )
                    await asyncio.sleep(0.005)

            await post(150)  # arriving while the bot runs; the last ones still in its buffer
            process.send_signal(signal.SIGKILL)
            assert await asyncio.wait_for(process.wait(), 30) == -signal.SIGKILL
            # Usually dozens: what sat in the writer's buffer died with the process.
            print(f"not in the log when killed: {len(sent) - len(await logged_ids(db))}")
            await post(40)  # while it is down
            process = await start_copbot(sandbox, community, tmp_path)
            await post(40)  # after it is back

            expected = member_messages(community)
            assert len(expected) == len(sent) == 231
            for _ in range(600):
                if set(await logged_ids(db)) >= expected:
                    break
                await asyncio.sleep(0.05)
            ids = await logged_ids(db)
            missing = expected - set(ids)
            assert not missing, f"{len(missing)} messages never logged"
            assert len(ids) == len(set(ids)) == len(expected)
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                await asyncio.wait_for(process.wait(), 30)
            await db.dispose()


# --- a question posted, then the process killed before its thread or its record ---------------

THREAD_ROUTE = "/channels/{channel_id}/messages/{message_id}/threads"
MESSAGE_ROUTE = "/channels/{channel_id}/messages"
QUESTIONS = ("Who pays for knowledge management?", "Which donor funds learning?")


async def seed_prompt_schedule(db: Database, community: SampleCommunity) -> tuple[int, datetime]:
    """Two Funding questions and a daily schedule whose time passed two minutes ago: the bot
    posts it as soon as it starts (late, within the misfire grace). Its schedule row and due
    time are returned."""
    guild, questions = community.guild, community.channels["questions"]
    for text in QUESTIONS:
        await QuestionBank(db).add(
            guild.id, guild.name, actor_id=community.owner.id, text=text, theme="Funding",
            approved=True,
        )  # fmt: skip
    due = (utc_now() - timedelta(minutes=2)).replace(second=0, microsecond=0)
    seeding = PromptService(db, Scheduler(db, process_id="seeding"))
    view, _ = await seeding.create_schedule(
        guild.id, guild.name, channel_id=questions.id, when_text=f"daily {due:%H:%M}",
        theme="Funding", timezone="UTC", make_thread=True, misfire=None,
        actor_id=community.owner.id, now=due - timedelta(minutes=3),
    )  # fmt: skip
    assert view.schedule.id is not None
    return view.schedule.id, due


async def prompt_posts(db: Database, community: SampleCommunity) -> list[PromptPost]:
    async with db.session() as session:
        return await prompt_queries.posts_of(session, community.guild.id)


async def firing_rows(db: Database, schedule_id: int) -> list[FiringRecord]:
    async with db.session() as session:
        return await firings_of(session, schedule_id)


def bot_posts(community: SampleCommunity) -> list[Message]:
    return [m for m in community.channels["questions"].messages if m.author.bot and m.embeds]


async def wait_for(check: Callable[[], Awaitable[bool]], what: str) -> None:
    for _ in range(400):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


async def kill(process: asyncio.subprocess.Process) -> None:
    process.send_signal(signal.SIGKILL)
    assert await asyncio.wait_for(process.wait(), 30) == -signal.SIGKILL


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 30)


async def the_rotation_moves_on(sandbox: Sandbox, community: SampleCommunity) -> None:
    """A post by hand now takes the theme's other question: the recovered one counts."""
    owner = community.guild.get_member(community.owner.id)
    assert owner is not None
    itx = await sandbox.slash(
        owner, community.channels["questions"], "prompt post", theme="Funding", timeout=15
    )
    answer = message_text(await itx.wait_for_followup(timeout=15))
    assert "Posted question #" in answer, answer
    texts = [m.embeds[0]["description"] for m in bot_posts(community)]
    assert len(texts) == 2 and QUESTIONS[0] in "".join(texts) and QUESTIONS[1] in "".join(texts)


@pytest.mark.parametrize(
    ("route", "carried_out"),
    [
        (THREAD_ROUTE, False),  # killed while asking for the thread, which never came
        (THREAD_ROUTE, True),  # the thread was made, but the bot died before recording it
        (MESSAGE_ROUTE, True),  # the question went out, its id never recorded
        (MESSAGE_ROUTE, False),  # killed while sending: the question never went out
    ],
    ids=["thread-never-made", "thread-made-unrecorded", "message-sent-unrecorded", "never-sent"],
)
async def test_a_scheduled_question_killed_half_way_is_finished_at_start_up(
    tmp_path: Path, route: str, carried_out: bool
) -> None:
    async with Sandbox() as sandbox:
        community = build_sample_community(sandbox)
        db = Database.connect(sqlite_url(tmp_path))
        await db.migrate()
        process = None
        try:
            schedule_id, due = await seed_prompt_schedule(db, community)
            held = sandbox.hold("POST", route)
            process = await start_copbot(sandbox, community, tmp_path)
            await held.wait_for_arrival(60)
            await kill(process)
            held.release(carry_out=carried_out)
            if carried_out:  # Discord finishes what it was asked, though the asker is gone
                await sandbox.wait_until(
                    lambda: any(m.thread for m in bot_posts(community))
                    if route == THREAD_ROUTE
                    else len(bot_posts(community)) == 1
                )
            [firing] = await firing_rows(db, schedule_id)
            assert firing.status == FiringStatus.CLAIMED and firing.scheduled_for == due
            sent = route == THREAD_ROUTE or carried_out
            assert len(bot_posts(community)) == (1 if sent else 0)

            process = await start_copbot(sandbox, community, tmp_path)

            async def finished() -> bool:
                posts = await prompt_posts(db, community)
                return len(posts) == 1 and posts[0].finished_at is not None

            async def firing_finished() -> bool:
                firings = await firing_rows(db, schedule_id)
                return all(f.status != FiringStatus.CLAIMED for f in firings)

            await wait_for(finished, "the post recorded and finished")
            await wait_for(firing_finished, "the firing finished")
            [post] = await prompt_posts(db, community)
            [posted] = bot_posts(community)  # once: not posted again
            assert post.message_id == posted.id and post.scheduled_for == due
            assert posted.thread is not None and post.thread_id == posted.thread.id
            assert [t for t in community.guild.threads if t.parent is posted.channel] == [
                posted.thread
            ]
            assert "Answer in the thread below." in posted.embeds[0]["description"]
            [firing] = await firing_rows(db, schedule_id)
            assert firing.status == FiringStatus.DONE, firing
            assert f"posted question #{post.question_id}" in (firing.note or "")

            await the_rotation_moves_on(sandbox, community)
        finally:
            if process is not None:
                await stop(process)
            await db.dispose()


async def test_a_question_posted_by_hand_then_killed_is_recorded_at_start_up(
    tmp_path: Path,
) -> None:
    async with Sandbox() as sandbox:
        community = build_sample_community(sandbox)
        db = Database.connect(sqlite_url(tmp_path))
        await db.migrate()
        process = None
        try:
            for text in QUESTIONS:
                await QuestionBank(db).add(
                    community.guild.id, community.guild.name, actor_id=community.owner.id,
                    text=text, theme="Funding", approved=True,
                )  # fmt: skip
            held = sandbox.hold("POST", THREAD_ROUTE)
            process = await start_copbot(sandbox, community, tmp_path)
            owner = community.guild.get_member(community.owner.id)
            assert owner is not None
            await sandbox.slash(
                owner, community.channels["questions"], "prompt post", theme="Funding",
                timeout=15,
            )  # fmt: skip
            await held.wait_for_arrival(30)
            await kill(process)
            held.release(carry_out=False)
            [posted] = bot_posts(community)

            process = await start_copbot(sandbox, community, tmp_path)

            async def finished() -> bool:
                posts = await prompt_posts(db, community)
                return len(posts) == 1 and posts[0].finished_at is not None

            await wait_for(finished, "the post recorded and finished")
            [post] = await prompt_posts(db, community)
            assert post.message_id == posted.id and post.posted_by == community.owner.id
            assert posted.thread is not None and post.thread_id == posted.thread.id
            assert bot_posts(community) == [posted]
            await the_rotation_moves_on(sandbox, community)
        finally:
            if process is not None:
                await stop(process)
            await db.dispose()
