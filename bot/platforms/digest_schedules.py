"""A platform's vertical digest (``bot.platform_digests``): its schedule (at most one per
platform, replaced when set again, stopped with ``off``), and what a firing does: compute the
group figures and share them with the platform's parents. What the digest says is in
``bot/platforms/digest.py``; ``cogs/platforms/digest.py`` sets it and takes the firings.

A firing is made safe to run twice by the share's ``source_key`` (the schedule and its due
time): when every parent holds a copy already, nothing more is done and the firing counts as
done. A platform that has no parent at the time is skipped (:class:`SkipFiring`), with a note.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from bot.communities import Communities
from bot.errors import BadInput
from bot.insights.digest import WHEN_TEXTS, Frequency, digest_period, frequency_of
from bot.insights.service import Insights
from bot.platforms.digest import (
    AUDIT_ACTION,
    PLATFORM_DIGEST_KIND,
    digest_source_key,
    digest_title,
    figures_of,
    summary_lines,
)
from bot.platforms.service import Platforms, Shared
from bot.platforms.values import Platform, Relation, ShareKind, ShareTarget
from bot.scheduling.scheduler import Scheduler, SkipFiring
from bot.scheduling.single import Owner, SingleSchedules
from bot.scheduling.values import Schedule
from storage import platforms as platform_queries
from storage import prompts as prompt_queries
from storage.db import Database

GRACE: Final = timedelta(hours=6)
"""A digest due while the bot was down is sent late within this (the misfire policy)."""
NO_PARENT: Final = "not sent: the platform has no parent platform linked"


@dataclass(frozen=True, slots=True)
class DigestSent:
    """What a firing did: its note, and the share made (None: every parent had it already)."""

    note: str
    shared: Shared | None


def _owner(platform: Platform) -> Owner:
    """A platform's digest is the one schedule of its kind whose target is the platform."""
    return Owner(platform.community_id, platform.id)


class PlatformDigests:
    """Vertical digests: their schedules in the database, and the share each firing makes."""

    def __init__(
        self,
        db: Database,
        scheduler: Scheduler,
        platforms: Platforms,
        insights: Insights,
        communities: Communities,
    ) -> None:
        self.db = db
        self.scheduler = scheduler
        self.platforms = platforms
        self.insights = insights
        self.communities = communities
        self.schedules = SingleSchedules(
            db, scheduler, kind=PLATFORM_DIGEST_KIND, audit_action=AUDIT_ACTION, grace=GRACE
        )

    # --- the schedule ----------------------------------------------------------------------------

    async def current(self, platform: Platform) -> Schedule | None:
        return await self.schedules.current(_owner(platform))

    async def replace(
        self, platform: Platform, frequency: Frequency, *, timezone: str, actor_id: int
    ) -> int:
        """Set the platform's digest (the one it had is removed); its schedule's id."""
        if frequency is Frequency.OFF:
            raise ValueError("use stop() to turn a digest off")
        return await self.schedules.replace(
            _owner(platform),
            when_text=WHEN_TEXTS[frequency],
            timezone=timezone,
            target_id=platform.id,
            actor_id=actor_id,
            platform=platform.id,
            frequency=frequency.value,
        )

    async def stop(self, platform: Platform, *, actor_id: int | None) -> bool:
        """Remove the platform's digest; False when it had none (nothing is recorded)."""
        return await self.schedules.stop(
            _owner(platform),
            actor_id=actor_id,
            platform=platform.id,
            frequency=Frequency.OFF.value,
        )

    async def pause(self, schedule_id: int, reason: str) -> None:
        await self.schedules.pause(schedule_id, reason)

    # --- a firing --------------------------------------------------------------------------------

    async def send(self, schedule: Schedule, due: datetime) -> DigestSent:
        """The digest of one due time, shared with the platform's parents. Raises
        :class:`SkipFiring` when there is nothing to send it to (or it cannot be read)."""
        frequency = frequency_of(schedule.when_text)
        if frequency is None or frequency is Frequency.OFF or schedule.target_id is None:
            await self.pause(schedule.id, f"`{schedule.when_text}` is not a digest's time")
            raise SkipFiring("not sent: its time is not a digest's")
        platform = await self.platforms.get(schedule.target_id)
        if platform is None or platform.removed_at is not None:
            await self.pause(schedule.id, "its platform was removed")
            raise SkipFiring("not sent: the platform was removed")
        parents = [
            item
            for item in await self.platforms.links(platform)
            if item.relation is Relation.PARENT and item.platform.removed_at is None
        ]
        if not parents:
            raise SkipFiring(NO_PARENT)
        source_key = digest_source_key(schedule.id, due)
        async with self.db.session() as session:
            holding = await platform_queries.platforms_holding(session, source_key)
        if all(item.platform.id in holding for item in parents):
            return DigestSent("every parent has this digest already", None)
        community = await self.communities.find(platform.community_id)
        timezone = schedule.timezone if community is None else community.timezone
        period = digest_period(frequency, due, timezone)
        found = await self.insights.community(platform.community_id, period)
        async with self.db.session() as session:
            themes = {
                key: name
                for key, name, _ in await prompt_queries.themes(session, platform.community_id)
            }
            posts = await prompt_queries.posts_of(session, platform.community_id)
        figures = figures_of(
            found,
            platform_name=platform.name,
            frequency=frequency,
            prompt_posts={post.id: themes.get(post.theme_key, post.theme_key) for post in posts},
            whole_server=None if platform.category_id is None else found.community.name,
        )
        try:
            shared = await self.platforms.share(
                platform,
                ShareTarget.UP,
                kind=ShareKind.DIGEST,
                source_key=source_key,
                title=digest_title(platform.name, frequency),
                text="\n".join(summary_lines(figures)),
                credit=platform.name,
                author_id=None,
                source_channel_id=None,
                source_message_id=None,
                jump_url=None,
                shared_by=None,
            )
        except BadInput:
            # Between the look above and now: the last parent unlinked, or another process
            # made this digest's share. Either way there is nothing more to do.
            async with self.db.session() as session:
                holding = await platform_queries.platforms_holding(session, source_key)
            if holding:
                return DigestSent("every parent has this digest already", None)
            raise SkipFiring(NO_PARENT) from None
        names = ", ".join(item.platform.name for item in shared.sent_to)
        return DigestSent(f"shared the digest of {found.period_text} with {names}", shared)
