"""``copbot backup`` while the real bot runs and logs what members say: the copy passes
SQLite's integrity check and holds every contribution the bot had logged before it began."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from pathlib import Path

from storage.contributions import count_contributions
from tests.e2e.harness import Harness
from tests.e2e.helpers import eventually, register_caught_up
from tests.e2e.processes import clean_environment

ANSWER_WAIT = 30.0


async def logged_ids(harness: Harness) -> set[int]:
    await harness.bot.contribution_writer.flush(timeout=ANSWER_WAIT)
    path = harness.settings.database_url.split("///", 1)[1]
    with sqlite3.connect(path) as database:
        return {row[0] for row in database.execute("SELECT message_id FROM contribution")}


async def test_a_backup_of_the_running_bot_holds_what_it_had_logged(
    harness: Harness, tmp_path: Path
) -> None:
    await register_caught_up(harness)
    speaker = harness.plain_member
    for number in range(20):
        await harness.sandbox.send_message(speaker, harness.general, f"Before the backup {number}")

    async def twenty_logged() -> bool:
        await harness.bot.contribution_writer.flush(timeout=ANSWER_WAIT)
        async with harness.db.session() as session:
            return await count_contributions(session, harness.community.guild.id) >= 20

    await eventually(twenty_logged, ANSWER_WAIT)
    before = await logged_ids(harness)
    talking = True

    async def keep_talking() -> int:
        said = 0
        while talking:
            await harness.sandbox.send_message(speaker, harness.general, f"During {said}")
            said += 1
            await asyncio.sleep(0.01)
        return said

    chatter = asyncio.create_task(keep_talking())
    copy = tmp_path / "copy.sqlite3"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "backup",
        "--out",
        str(copy),
        env=clean_environment(DATABASE_URL=harness.settings.database_url),
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    talking = False
    said_during = await chatter
    assert process.returncode == 0, stderr.decode()
    assert said_during > 0  # the bot was being written to while the copy was made
    with sqlite3.connect(copy) as database:
        assert database.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        copied = {row[0] for row in database.execute("SELECT message_id FROM contribution")}
    assert len(before) >= 20 and before <= copied
