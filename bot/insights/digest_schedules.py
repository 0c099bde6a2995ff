"""A community's digest schedule (``bot.digests``): at most one, set, replaced, stopped or
paused, with an audit record (``bot/scheduling/single.py`` keeps one of a kind per owner)."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from bot.insights.digest import AUDIT_ACTION, DIGEST_KIND, WHEN_TEXTS, Frequency
from bot.scheduling.scheduler import Scheduler
from bot.scheduling.single import Owner, SingleSchedules
from bot.scheduling.values import Schedule
from storage.db import Database

GRACE: Final = timedelta(hours=6)
"""A digest due while the bot was down is posted late within this (the misfire policy)."""


class DigestSchedules:
    """A community's digest schedule in the database: at most one, replaced when set again."""

    def __init__(self, db: Database, scheduler: Scheduler) -> None:
        self.schedules = SingleSchedules(
            db, scheduler, kind=DIGEST_KIND, audit_action=AUDIT_ACTION, grace=GRACE
        )

    async def current(self, community_id: int) -> Schedule | None:
        return await self.schedules.current(Owner(community_id))

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
        return await self.schedules.replace(
            Owner(community_id),
            when_text=WHEN_TEXTS[frequency],
            timezone=timezone,
            target_id=channel_id,
            actor_id=actor_id,
            community_name=community_name,
            frequency=frequency.value,
            channel_id=channel_id,
        )

    async def stop(self, community_id: int, *, actor_id: int) -> bool:
        """Remove the community's digest; False when it had none (nothing is recorded)."""
        return await self.schedules.stop(
            Owner(community_id), actor_id=actor_id, frequency=Frequency.OFF.value
        )

    async def pause(self, schedule_id: int, reason: str) -> None:
        """The bot pauses a digest it cannot post, saying why."""
        await self.schedules.pause(schedule_id, reason)
