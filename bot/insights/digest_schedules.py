"""A community's digest schedule (``bot.digests``): at most one, set, replaced, stopped or
paused, with an audit record; the scheduler's alarm follows each change."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from bot.insights.digest import AUDIT_ACTION, DIGEST_KIND, WHEN_TEXTS, Frequency
from bot.scheduling.scheduler import Scheduler
from bot.scheduling.values import MisfirePolicy, Schedule
from storage import audit
from storage import schedules as schedule_queries
from storage.communities import ensure_community
from storage.db import Database
from storage.types import row_id

GRACE: Final = timedelta(hours=6)
"""A digest due while the bot was down is posted late within this (the misfire policy)."""


class DigestSchedules:
    """A community's digest schedule in the database: at most one, replaced when set again."""

    def __init__(self, db: Database, scheduler: Scheduler) -> None:
        self.db = db
        self.scheduler = scheduler

    async def current(self, community_id: int) -> Schedule | None:
        async with self.db.session() as session:
            found = await schedule_queries.community_schedules_of_kind(
                session, community_id, DIGEST_KIND
            )
        return found[-1] if found else None

    async def replace(
        self,
        community_id: int,
        community_name: str,
        *,
        channel_id: int,
        frequency: Frequency,
        timezone: str,
        actor_id: int,
    ) -> int:
        """Set the community's digest (the one it had is removed); its schedule's id."""
        async with self.db.transaction() as session:
            await ensure_community(session, community_id, community_name)
            old = await schedule_queries.community_schedules_of_kind(
                session, community_id, DIGEST_KIND
            )
            for schedule in old:
                await schedule_queries.delete_schedule(session, schedule.id)
            made = await schedule_queries.create_schedule(
                session,
                community_id=community_id,
                kind=DIGEST_KIND,
                when_text=WHEN_TEXTS[frequency],
                timezone=timezone,
                target_id=channel_id,
                misfire_policy=MisfirePolicy.LATE,
                grace_seconds=int(GRACE.total_seconds()),
                created_by=actor_id,
                # The scheduler's clock: catching up on missed due times starts here.
                created_at=self.scheduler.clock(),
            )
            await audit.record_audit(
                session,
                community_id,
                actor_id,
                AUDIT_ACTION,
                frequency=frequency.value,
                channel_id=channel_id,
            )
        for schedule in old:
            await self.scheduler.sync_schedule(schedule.id)  # its alarm goes
        await self.scheduler.sync_schedule(row_id(made))
        return row_id(made)

    async def stop(self, community_id: int, *, actor_id: int) -> bool:
        """Remove the community's digest; False when it had none (nothing is recorded)."""
        async with self.db.transaction() as session:
            old = await schedule_queries.community_schedules_of_kind(
                session, community_id, DIGEST_KIND
            )
            if not old:
                return False
            for schedule in old:
                await schedule_queries.delete_schedule(session, schedule.id)
            await audit.record_audit(
                session, community_id, actor_id, AUDIT_ACTION, frequency=Frequency.OFF.value
            )
        for schedule in old:
            await self.scheduler.sync_schedule(schedule.id)
        return True

    async def pause(self, schedule_id: int, reason: str) -> None:
        """The bot pauses a digest it cannot post, saying why."""
        async with self.db.transaction() as session:
            await schedule_queries.set_schedule_paused(
                session, schedule_id, paused=True, reason=reason[:300]
            )
        await self.scheduler.sync_schedule(schedule_id)
