"""Schedules of one kind, at most one per owner: set again, the old one is replaced; stopped; or
paused by the bot with a reason. Every change by a person is audited in the same transaction,
and the scheduler's alarms follow each change.

The owner is a community (any schedule of the kind in it is the community's: a digest), or one
target in a community (a platform's digest has the platform's id as its target).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.scheduling.scheduler import Scheduler
from bot.scheduling.values import MisfirePolicy, Schedule
from storage import audit
from storage import schedules as schedule_queries
from storage.communities import ensure_community
from storage.db import Database
from storage.types import row_id

PAUSE_REASON_LENGTH = 300


@dataclass(frozen=True, slots=True)
class Owner:
    """Whose schedule: a community's (``target_id`` None), or one target's in a community."""

    community_id: int
    target_id: int | None = None


class SingleSchedules:
    """At most one schedule of ``kind`` per owner, missed due times run late within ``grace``."""

    def __init__(
        self,
        db: Database,
        scheduler: Scheduler,
        *,
        kind: str,
        audit_action: str,
        grace: timedelta,
    ) -> None:
        self.db = db
        self.scheduler = scheduler
        self.kind = kind
        self.audit_action = audit_action
        self.grace = grace

    async def _of(self, session: AsyncSession, owner: Owner) -> list[Schedule]:
        found = await schedule_queries.community_schedules_of_kind(
            session, owner.community_id, self.kind
        )
        if owner.target_id is None:
            return list(found)
        return [schedule for schedule in found if schedule.target_id == owner.target_id]

    async def current(self, owner: Owner) -> Schedule | None:
        async with self.db.session() as session:
            found = await self._of(session, owner)
        return found[-1] if found else None

    async def replace(
        self,
        owner: Owner,
        *,
        when_text: str,
        timezone: str,
        target_id: int | None,
        actor_id: int,
        community_name: str | None = None,
        **audit_detail: Any,
    ) -> int:
        """Set the owner's schedule (the one it had is removed); its id. With
        ``community_name``, the community is recorded first if it is new."""
        async with self.db.transaction() as session:
            if community_name is not None:
                await ensure_community(session, owner.community_id, community_name)
            old = await self._of(session, owner)
            for schedule in old:
                await schedule_queries.delete_schedule(session, schedule.id)
            made = await schedule_queries.create_schedule(
                session,
                community_id=owner.community_id,
                kind=self.kind,
                when_text=when_text,
                timezone=timezone,
                target_id=target_id,
                misfire_policy=MisfirePolicy.LATE,
                grace_seconds=int(self.grace.total_seconds()),
                created_by=actor_id,
                # The scheduler's clock: catching up on missed due times starts here.
                created_at=self.scheduler.clock(),
            )
            await audit.record_audit(
                session, owner.community_id, actor_id, self.audit_action, **audit_detail
            )
        for schedule in old:
            await self.scheduler.sync_schedule(schedule.id)  # its alarm goes
        await self.scheduler.sync_schedule(row_id(made))
        return row_id(made)

    async def stop(self, owner: Owner, *, actor_id: int | None, **audit_detail: Any) -> bool:
        """Remove the owner's schedule; False when it had none (nothing is recorded)."""
        async with self.db.transaction() as session:
            old = await self._of(session, owner)
            if not old:
                return False
            for schedule in old:
                await schedule_queries.delete_schedule(session, schedule.id)
            await audit.record_audit(
                session, owner.community_id, actor_id, self.audit_action, **audit_detail
            )
        for schedule in old:
            await self.scheduler.sync_schedule(schedule.id)
        return True

    async def pause(self, schedule_id: int, reason: str) -> None:
        """The bot pauses a schedule it cannot carry out, saying why."""
        async with self.db.transaction() as session:
            await schedule_queries.set_schedule_paused(
                session, schedule_id, paused=True, reason=reason[:PAUSE_REASON_LENGTH]
            )
        await self.scheduler.sync_schedule(schedule_id)
