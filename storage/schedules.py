"""Queries for schedules and their firings (the claims that make each firing happen once).

The scheduler's readers return the values of bot/scheduling/values.py. ``create_schedule`` and
``schedules_for`` still return rows: the café service works on its timers' rows in its own
transactions."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, or_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.scheduling import values
from bot.scheduling.values import FiringRecord, FiringStatus, MisfirePolicy
from storage.models import Firing, Schedule
from storage.types import table_of, utc_now, value_of
from storage.upsert import insert_if_absent


def schedule_value(row: Schedule) -> values.Schedule:
    """The scheduler's value of a schedule row."""
    return value_of(values.Schedule, row, misfire_policy=MisfirePolicy(row.misfire_policy))


def firing_record(row: Firing) -> FiringRecord:
    return value_of(FiringRecord, row, status=FiringStatus(row.status))


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
    created_at: datetime | None = None,
) -> Schedule:
    schedule = Schedule(
        created_at=created_at or utc_now(),
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


async def get_schedule(session: AsyncSession, schedule_id: int) -> values.Schedule | None:
    row = await session.get(Schedule, schedule_id, populate_existing=True)
    return None if row is None else schedule_value(row)


async def active_schedules(
    session: AsyncSession, community_ids: Collection[int] | None = None
) -> list[values.Schedule]:
    """Schedules that are not paused, optionally only those of some communities (a shard's)."""
    statement = select(Schedule).where(col(Schedule.paused).is_(False))
    if community_ids is not None:
        statement = statement.where(col(Schedule.community_id).in_(list(community_ids)))
    rows = (await session.execute(statement.order_by(col(Schedule.id)))).scalars()
    return [schedule_value(row) for row in rows]


async def schedules_changed_since(session: AsyncSession, since: datetime) -> list[values.Schedule]:
    """Schedules made or changed (paused, moved) since ``since``, paused ones included."""
    statement = select(Schedule).where(col(Schedule.updated_at) >= since)
    rows = (await session.execute(statement.order_by(col(Schedule.id)))).scalars()
    return [schedule_value(row) for row in rows]


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
        table_of(Firing),
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
    session: AsyncSession,
    kind: str,
    *,
    not_claimed_by: str,
    unless_before: datetime | None = None,
) -> list[tuple[FiringRecord, values.Schedule]]:
    """Firings of schedules of ``kind`` still claimed by another process (one that stopped
    before finishing them, or is still at work), oldest first, with their schedules. With
    ``unless_before``, also those ``not_claimed_by`` claimed before then (by a process of the
    same id that stopped)."""
    other = col(Firing.claimed_by) != not_claimed_by
    if unless_before is not None:
        other = or_(other, col(Firing.claimed_at) < unless_before)
    statement = (
        select(Firing, Schedule)
        .join(Schedule, col(Schedule.id) == col(Firing.schedule_id))
        .where(
            col(Schedule.kind) == kind,
            col(Firing.status) == FiringStatus.CLAIMED.value,
            other,
        )
        .order_by(col(Firing.scheduled_for), col(Firing.id))
    )
    return [
        (firing_record(firing), schedule_value(schedule))
        for firing, schedule in (await session.execute(statement)).all()
    ]


async def latest_firing(session: AsyncSession, schedule_id: int) -> FiringRecord | None:
    statement = (
        select(Firing)
        .where(col(Firing.schedule_id) == schedule_id)
        .order_by(col(Firing.scheduled_for).desc())
        .limit(1)
    )
    row = (await session.execute(statement)).scalars().first()
    return None if row is None else firing_record(row)


async def firings_of(session: AsyncSession, schedule_id: int) -> list[FiringRecord]:
    statement = (
        select(Firing)
        .where(col(Firing.schedule_id) == schedule_id)
        .order_by(col(Firing.scheduled_for))
    )
    return [firing_record(row) for row in (await session.execute(statement)).scalars()]


async def community_schedules_of_kind(
    session: AsyncSession, community_id: int, kind: str
) -> list[values.Schedule]:
    """The schedules of ``kind`` in one community, paused ones included, oldest first."""
    statement = select(Schedule).where(
        col(Schedule.community_id) == community_id, col(Schedule.kind) == kind
    )
    rows = (await session.execute(statement.order_by(col(Schedule.id)))).scalars()
    return [schedule_value(row) for row in rows]
