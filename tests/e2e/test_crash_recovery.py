"""Kill `copbot run` (SIGKILL: no clean shutdown) while members are posting, keep posting, start
it again, and find every member message the sandbox holds in the log, exactly once."""

from __future__ import annotations

import asyncio
import random
import signal
from pathlib import Path

from sqlmodel import select

from bot.sandbox import Sandbox
from bot.sandbox.models import Message
from bot.sandbox.sample import SampleCommunity, build_sample_community
from storage.db import Database
from storage.models import Contribution
from tests.databases import sqlite_url
from tests.e2e.processes import keep_draining, read_until, start_bot_module
from tests.e2e.test_run_command import sandbox_settings


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
