"""Times come back timezone-aware UTC; Discord ids keep all 64 bits; naive times are refused; a
row's id and a model's table come out typed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import StatementError

from bot.scheduling.values import MisfirePolicy
from bot.scheduling.values import Schedule as ScheduleValue
from storage.communities import ensure_community, get_community
from storage.db import Database
from storage.models import Community, Schedule, SyncedRole
from storage.types import row_id, table_of, value_of

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


async def test_row_id_is_the_id_the_database_gave(db: Database) -> None:
    async with db.session() as session:
        await ensure_community(session, 3, "Ids")
        first = SyncedRole(community_id=3, kind="level", key="junior", role_id=30)
        second = SyncedRole(community_id=3, kind="level", key="senior", role_id=31)
        session.add_all([first, second])
        await session.flush()
        assert first.id is not None and second.id is not None
        assert (row_id(first), row_id(second)) == (first.id, second.id)
        assert row_id(first) != row_id(second)


def test_row_id_refuses_a_row_not_flushed_yet() -> None:
    unsaved = SyncedRole(community_id=3, kind="level", key="junior", role_id=30)
    with pytest.raises(ValueError, match="SyncedRole has no id yet"):
        row_id(unsaved)


def test_table_of_is_the_models_table() -> None:
    table = table_of(SyncedRole)
    assert table.name == "synced_role"
    assert {"id", "community_id", "kind", "key", "role_id"} <= set(table.c.keys())


async def test_value_of_reads_every_field_and_converts_what_it_is_given(db: Database) -> None:
    async with db.transaction() as session:
        await ensure_community(session, 4, "Values")
        row = Schedule(
            community_id=4,
            kind="prompt.post",
            target_id=12,
            when_text="every monday at 9:00",
            timezone="UTC",
            misfire_policy=MisfirePolicy.SKIP,
        )
        session.add(row)
        await session.flush()
        value = value_of(ScheduleValue, row, misfire_policy=MisfirePolicy(row.misfire_policy))
    assert value.id == row.id and isinstance(value.id, int)
    assert (value.community_id, value.target_id, value.when_text) == (4, 12, row.when_text)
    assert value.misfire_policy is MisfirePolicy.SKIP
    assert value.created_at == row.created_at


def test_value_of_refuses_a_row_not_flushed_yet() -> None:
    unsaved = Schedule(community_id=4, kind="prompt.post", when_text="now", timezone="UTC")
    with pytest.raises(ValueError, match="Schedule has no id yet"):
        value_of(ScheduleValue, unsaved, misfire_policy=MisfirePolicy.SKIP)
