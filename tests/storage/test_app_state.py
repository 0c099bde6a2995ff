"""Facts kept between runs, read or made by several callers at once (two processes starting,
or the guild's arrival and gap repair in one process): nobody fails, everybody agrees."""

from __future__ import annotations

import asyncio

from bot.contributions.service import ContributionLog, Tracking
from storage.app_state import get_state, set_state, state_or_set
from storage.db import Database

GUILD = 515_151_515_151_515_151
CALLERS = 8


async def test_logging_since_asked_at_once_answers_one_value(db: Database) -> None:
    log = ContributionLog(db, Tracking())
    answers = await asyncio.gather(
        *(log.logging_since(GUILD, "Water CoP", 1000 + index) for index in range(CALLERS))
    )
    assert len(set(answers)) == 1 and answers[0] in range(1000, 1000 + CALLERS)
    # Kept: a later start (a later first message id) does not move it.
    assert await log.logging_since(GUILD, "Water CoP", 99_999) == answers[0]


async def test_state_or_set_at_once_keeps_the_first_value(db: Database) -> None:
    async def ask(value: str) -> str:
        async with db.session() as session:
            kept = await state_or_set(session, "marker", value)
            await session.commit()
            return kept

    answers = await asyncio.gather(*(ask(f"value {index}") for index in range(CALLERS)))
    assert len(set(answers)) == 1
    async with db.session() as session:
        assert await get_state(session, "marker") == answers[0]


async def test_set_state_at_once_all_succeed_and_one_value_stays(db: Database) -> None:
    async def write(value: str) -> None:
        async with db.session() as session:
            await set_state(session, "command_tree", value)
            await session.commit()

    await asyncio.gather(*(write(f"digest {index}") for index in range(CALLERS)))
    async with db.session() as session:
        assert await get_state(session, "command_tree") in {f"digest {i}" for i in range(CALLERS)}
    await write("digest new")  # and an existing key is overwritten
    async with db.session() as session:
        assert await get_state(session, "command_tree") == "digest new"
