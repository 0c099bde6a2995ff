"""Firing claims: whoever inserts the row first acts; everyone else is told no."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from storage.communities import ensure_community
from storage.db import Database
from storage.models import FiringStatus, MisfirePolicy
from storage.schedules import (
    active_schedules,
    claim_firing,
    create_schedule,
    delete_schedule,
    finish_firing,
    firings_of,
    latest_firing,
    set_schedule_paused,
)

GUILD = 42
DUE = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


async def make_schedule(db: Database) -> int:
    async with db.session() as session:
        await ensure_community(session, GUILD, "CoP")
        schedule = await create_schedule(
            session,
            community_id=GUILD,
            kind="test",
            when_text="daily 09:00",
            timezone="Europe/Amsterdam",
            misfire_policy=MisfirePolicy.SKIP,
        )
        await session.commit()
        assert schedule.id is not None
        return schedule.id


async def test_a_firing_is_claimed_once(db: Database) -> None:
    schedule_id = await make_schedule(db)
    results = []
    for process in ("a", "b"):
        async with db.session() as session:
            results.append(await claim_firing(session, schedule_id, DUE, claimed_by=process))
            await session.commit()
    assert results == [True, False]


async def test_racing_claims_from_separate_engines_give_one_winner(db: Database) -> None:
    schedule_id = await make_schedule(db)
    others = [Database.connect(db.url) for _ in range(4)]

    async def claim(database: Database, name: str) -> bool:
        async with database.session() as session:
            won = await claim_firing(session, schedule_id, DUE, claimed_by=name)
            await session.commit()
            return won

    try:
        results = await asyncio.gather(
            *(claim(database, f"p{i}") for i, database in enumerate(others))
        )
    finally:
        for database in others:
            await database.dispose()
    assert sorted(results) == [False, False, False, True]


async def test_finish_and_latest(db: Database) -> None:
    schedule_id = await make_schedule(db)
    later = DUE.replace(day=3)
    async with db.session() as session:
        await claim_firing(session, schedule_id, DUE, claimed_by="a")
        await claim_firing(session, schedule_id, later, claimed_by="a")
        await finish_firing(session, schedule_id, later, status=FiringStatus.DONE, note="posted")
        await session.commit()
    async with db.session() as session:
        latest = await latest_firing(session, schedule_id)
        assert latest is not None
        assert latest.scheduled_for == later
        assert latest.status == FiringStatus.DONE
        assert latest.finished_at is not None and latest.note == "posted"
        assert [f.status for f in await firings_of(session, schedule_id)] == ["claimed", "done"]


async def test_paused_schedules_are_not_active_and_deleting_removes_firings(db: Database) -> None:
    schedule_id = await make_schedule(db)
    async with db.session() as session:
        await claim_firing(session, schedule_id, DUE, claimed_by="a")
        await set_schedule_paused(session, schedule_id, paused=True, reason="no questions left")
        await session.commit()
        assert await active_schedules(session) == []
        await set_schedule_paused(session, schedule_id, paused=False)
        await session.commit()
        assert [s.id for s in await active_schedules(session, [GUILD])] == [schedule_id]
        assert await active_schedules(session, [GUILD + 1]) == []
        await delete_schedule(session, schedule_id)
        await session.commit()
        assert await firings_of(session, schedule_id) == []
