"""Queries for schedules and their firings (the claims that make each firing happen once)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.models import Firing, FiringStatus, MisfirePolicy, Schedule
from storage.types import utc_now
from storage.upsert import insert_if_absent


async def create_schedule(
    session: AsyncSession,
    *,
    community_id: int,
    kind: str,
    when_text: str,
    timezone: str,
    target_id: int | None = None,
    misfire_policy: MisfirePolicy = MisfirePolicy.LATE,
    grace_seconds: int = 3600,
    created_by: int | None = None,
    due_at: datetime | None = None,
) -> Schedule:
    schedule = Schedule(
        due_at=due_at,
        community_id=community_id,
        kind=kind,
        target_id=target_id,
        when_text=when_text,
        timezone=timezone,
        misfire_policy=misfire_policy,
        grace_seconds=grace_seconds,
        created_by=created_by,
    )
    session.add(schedule)
    await session.flush()
    return schedule


async def get_schedule(session: AsyncSession, schedule_id: int) -> Schedule | None:
    return await session.get(Schedule, schedule_id, populate_existing=True)


async def active_schedules(
    session: AsyncSession, community_ids: Collection[int] | None = None
) -> list[Schedule]:
    """Schedules that are not paused, optionally only those of some communities (a shard's)."""
    statement = select(Schedule).where(col(Schedule.paused).is_(False))
    if community_ids is not None:
        statement = statement.where(col(Schedule.community_id).in_(list(community_ids)))
    return list((await session.execute(statement.order_by(col(Schedule.id)))).scalars())


async def set_schedule_paused(
    session: AsyncSession, schedule_id: int, *, paused: bool, reason: str | None = None
) -> None:
    await session.execute(
        update(Schedule)
        .where(col(Schedule.id) == schedule_id)
        .values(paused=paused, paused_reason=reason if paused else None, updated_at=utc_now())
    )


async def set_due_at(session: AsyncSession, schedule_id: int, due_at: datetime) -> None:
    """Move a timer (only ever later than a due time it already fired for)."""
    await session.execute(
        update(Schedule)
        .where(col(Schedule.id) == schedule_id)
        .values(due_at=due_at, when_text=due_at.isoformat(timespec="seconds"), updated_at=utc_now())
    )


async def schedules_for(session: AsyncSession, kind: str, target_id: int) -> list[Schedule]:
    statement = select(Schedule).where(
        col(Schedule.kind) == kind, col(Schedule.target_id) == target_id
    )
    return list((await session.execute(statement.order_by(col(Schedule.id)))).scalars())


async def delete_schedule(session: AsyncSession, schedule_id: int) -> None:
    await session.execute(delete(Firing).where(col(Firing.schedule_id) == schedule_id))
    await session.execute(delete(Schedule).where(col(Schedule.id) == schedule_id))


async def claim_firing(
    session: AsyncSession,
    schedule_id: int,
    scheduled_for: datetime,
    *,
    claimed_by: str,
    status: FiringStatus = FiringStatus.CLAIMED,
    note: str | None = None,
) -> bool:
    """Take the firing of ``schedule_id`` at ``scheduled_for``; True only for the one taker.

    Commit right after: the claim must be durable before anyone acts on it.
    """
    now = utc_now()
    return await insert_if_absent(
        session,
        Firing.__table__,
        {
            "schedule_id": schedule_id,
            "scheduled_for": scheduled_for,
            "status": status.value,
            "claimed_by": claimed_by,
            "claimed_at": now,
            "finished_at": None if status is FiringStatus.CLAIMED else now,
            "note": note,
        },
        ["schedule_id", "scheduled_for"],
    )


async def finish_firing(
    session: AsyncSession,
    schedule_id: int,
    scheduled_for: datetime,
    *,
    status: FiringStatus,
    note: str | None = None,
) -> None:
    await session.execute(
        update(Firing)
        .where(col(Firing.schedule_id) == schedule_id, col(Firing.scheduled_for) == scheduled_for)
        .values(status=status.value, finished_at=utc_now(), note=note)
    )


async def claimed_firings(
    session: AsyncSession, kind: str, *, not_claimed_by: str
) -> list[tuple[Firing, Schedule]]:
    """Firings of schedules of ``kind`` still claimed by another process (one that stopped
    before finishing them, or is still at work), oldest first, with their schedules."""
    statement = (
        select(Firing, Schedule)
        .join(Schedule, col(Schedule.id) == col(Firing.schedule_id))
        .where(
            col(Schedule.kind) == kind,
            col(Firing.status) == FiringStatus.CLAIMED.value,
            col(Firing.claimed_by) != not_claimed_by,
        )
        .order_by(col(Firing.scheduled_for), col(Firing.id))
    )
    return [(row[0], row[1]) for row in (await session.execute(statement)).all()]


async def latest_firing(session: AsyncSession, schedule_id: int) -> Firing | None:
    statement = (
        select(Firing)
        .where(col(Firing.schedule_id) == schedule_id)
        .order_by(col(Firing.scheduled_for).desc())
        .limit(1)
    )
    return (await session.execute(statement)).scalars().first()


async def firings_of(session: AsyncSession, schedule_id: int) -> list[Firing]:
    statement = (
        select(Firing)
        .where(col(Firing.schedule_id) == schedule_id)
        .order_by(col(Firing.scheduled_for))
    )
    return list((await session.execute(statement)).scalars())
