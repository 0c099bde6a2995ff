"""Times come back timezone-aware UTC; Discord ids keep all 64 bits; naive times are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import StatementError

from storage.communities import ensure_community, get_community
from storage.db import Database
from storage.models import Community

LARGEST_SNOWFLAKE = 2**63 - 1


async def test_large_discord_ids_round_trip(db: Database) -> None:
    async with db.session() as session:
        community = await ensure_community(session, LARGEST_SNOWFLAKE, "Big ids")
        community.moderator_role_id = LARGEST_SNOWFLAKE - 1
        await session.commit()
    async with db.session() as session:
        stored = await get_community(session, LARGEST_SNOWFLAKE)
        assert stored is not None
        assert stored.moderator_role_id == LARGEST_SNOWFLAKE - 1


async def test_times_come_back_aware_in_utc(db: Database) -> None:
    amsterdam_summer = datetime(2026, 7, 1, 9, 0, tzinfo=timezone(timedelta(hours=2)))
    async with db.session() as session:
        community = await ensure_community(session, 1, "Times")
        community.created_at = amsterdam_summer
        await session.commit()
    async with db.session() as session:
        stored = await get_community(session, 1)
        assert stored is not None
        assert stored.created_at.tzinfo is not None
        assert stored.created_at.utcoffset() == timedelta(0)
        assert stored.created_at == datetime(2026, 7, 1, 7, 0, tzinfo=UTC)


async def test_naive_times_are_refused(db: Database) -> None:
    async with db.session() as session:
        session.add(Community(id=2, name="Naive", created_at=datetime(2026, 1, 1, 9, 0)))
        with pytest.raises(StatementError, match="naive datetime"):
            await session.commit()
