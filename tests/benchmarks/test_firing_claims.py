"""Firing claims per second, next to plain inserts of the same rows in the same run.

A claim is an INSERT ... ON CONFLICT DO NOTHING RETURNING plus a commit: the price of never
acting twice. The baseline is a plain INSERT with a commit, on the same database.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from storage.communities import ensure_community
from storage.db import Database
from storage.models import Firing, FiringStatus
from storage.schedules import claim_firing, create_schedule

ROWS = 2000
START = datetime(2030, 1, 1, tzinfo=UTC)


async def _schedule(db: Database) -> int:
    async with db.session() as session:
        await ensure_community(session, 1, "Bench")
        schedule = await create_schedule(
            session, community_id=1, kind="bench", when_text="daily 09:00", timezone="UTC"
        )
        await session.commit()
        assert schedule.id is not None
        return schedule.id


async def _claims_per_second(db: Database, schedule_id: int, offset: int) -> float:
    began = time.perf_counter()
    for i in range(ROWS):
        async with db.session() as session:
            await claim_firing(
                session, schedule_id, START + timedelta(minutes=offset + i), claimed_by="bench"
            )
            await session.commit()
    return ROWS / (time.perf_counter() - began)


async def _plain_inserts_per_second(db: Database, schedule_id: int, offset: int) -> float:
    began = time.perf_counter()
    for i in range(ROWS):
        async with db.session() as session:
            await session.execute(
                insert(Firing).values(
                    schedule_id=schedule_id,
                    scheduled_for=START + timedelta(minutes=offset + i),
                    status=FiringStatus.CLAIMED.value,
                    claimed_by="bench",
                    claimed_at=START,
                )
            )
            await session.commit()
    return ROWS / (time.perf_counter() - began)


async def test_firing_claims_against_plain_inserts(backend: str, tmp_path: Path) -> None:
    from tests.databases import migrated_database

    async with migrated_database(backend, tmp_path) as db:
        schedule_id = await _schedule(db)
        baseline = await _plain_inserts_per_second(db, schedule_id, 0)
        claims = await _claims_per_second(db, schedule_id, ROWS)
        duplicate_claims = await _claims_per_second(db, schedule_id, ROWS)  # all refused
    print(
        f"\n[{backend}] firing claims: {claims:,.0f}/s; refused duplicate claims: "
        f"{duplicate_claims:,.0f}/s; plain inserts (baseline): {baseline:,.0f}/s; "
        f"claims/baseline = {claims / baseline:.2f}"
    )
