"""Which channels are logged, which threads are special, and the log's service for the cogs.

:class:`Tracking` and :class:`SpecialThreads` decide in memory, from plain values (channel ids in,
decisions out): the listeners in cogs/contributions.py ask them before they log anything.
:class:`ContributionLog` is what the cogs ask of the database: /settings track changes the
tracked channels through it (and so :class:`Tracking` too), and gap repair learns where to start.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from bot.contributions.classifier import ThreadKind
from bot.contributions.values import TrackedTarget
from bot.errors import BadInput, NotFound
from storage import audit, communities
from storage import contributions as log_queries
from storage.app_state import get_state, state_or_set
from storage.db import Database, until_reachable

# --- tracking ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrackedSet:
    """A community's tracked channels and categories. Both empty: every readable channel."""

    channel_ids: frozenset[int] = frozenset()
    category_ids: frozenset[int] = frozenset()

    @property
    def everything(self) -> bool:
        return not self.channel_ids and not self.category_ids

    def covers(self, channel_id: int, category_id: int | None) -> bool:
        """A channel is covered if it is listed or its category is (a thread: its parent)."""
        if self.everything:
            return True
        return channel_id in self.channel_ids or (
            category_id is not None and category_id in self.category_ids
        )


EVERYTHING = TrackedSet()


class Place(NamedTuple):
    """Where a message was posted, as ids: a channel, or a thread and its parent. (Made for
    every message: a named tuple is several times cheaper to build than a frozen dataclass.)"""

    channel_id: int
    category_id: int | None = None  # the category of the channel (of the thread's parent)
    thread_parent_id: int | None = None  # set when channel_id is a thread


@dataclass(frozen=True, slots=True)
class SpecialThread:
    kind: ThreadKind
    prompt_author_id: int | None = None


# A later feature (cafés, prompts) registers one of these: thread id -> what the thread is.
SpecialThreadLookup = Callable[[int], SpecialThread | None]


class SpecialThreads:
    """Café table threads and prompt threads: always logged, and prompts make answers."""

    def __init__(self) -> None:
        self._lookups: list[SpecialThreadLookup] = []
        self._known: dict[int, SpecialThread] = {}

    def add_lookup(self, lookup: SpecialThreadLookup) -> None:
        self._lookups.append(lookup)

    def remove_lookup(self, lookup: SpecialThreadLookup) -> None:
        """For a feature's cog that is unloaded (its lookup must not outlive it)."""
        if lookup in self._lookups:
            self._lookups.remove(lookup)

    def add(self, thread_id: int, kind: ThreadKind, prompt_author_id: int | None = None) -> None:
        self._known[thread_id] = SpecialThread(kind, prompt_author_id)

    def discard(self, thread_id: int) -> None:
        self._known.pop(thread_id, None)

    def of(self, thread_id: int) -> SpecialThread | None:
        found = self._known.get(thread_id)
        if found is not None:
            return found
        for lookup in self._lookups:
            found = lookup(thread_id)
            if found is not None:
                return found
        return None


class Tracking:
    """Every community's tracked set, in memory (a lookup per message must not hit the database)."""

    def __init__(self, special_threads: SpecialThreads | None = None) -> None:
        self._sets: dict[int, TrackedSet] = {}
        self.special_threads = special_threads or SpecialThreads()

    def replace_all(self, by_community: Mapping[int, Iterable[TrackedTarget]]) -> None:
        """Every community's tracked set at once (at start-up)."""
        self._sets = {
            community_id: tracked_set(found) for community_id, found in by_community.items()
        }

    def replace(self, community_id: int, targets: Iterable[TrackedTarget]) -> None:
        self._sets[community_id] = tracked_set(targets)

    def of(self, community_id: int) -> TrackedSet:
        return self._sets.get(community_id, EVERYTHING)

    def is_tracked(
        self, community_id: int, place: Place, special: SpecialThread | None = None
    ) -> bool:
        """Whether messages posted at ``place`` are logged. ``special``: what the thread is,
        if the caller looked it up already (one lookup per message)."""
        if place.thread_parent_id is not None and (
            special is not None or self.special_threads.of(place.channel_id)
        ):
            return True  # café tables and prompts are always logged
        listed_id = (
            place.thread_parent_id if place.thread_parent_id is not None else place.channel_id
        )
        return self.of(community_id).covers(listed_id, place.category_id)


def tracked_set(targets: Iterable[TrackedTarget]) -> TrackedSet:
    targets = list(targets)
    return TrackedSet(
        frozenset(target.channel_id for target in targets if not target.is_category),
        frozenset(target.channel_id for target in targets if target.is_category),
    )


# --- the log's service: tracking and gap repair ------------------------------------------------


class ContributionLog:
    """What the contribution log's cogs ask of the database: the tracked channels (kept in step
    with :class:`Tracking`, in memory), and where gap repair starts. Built once, on the bot."""

    def __init__(self, db: Database, tracking: Tracking) -> None:
        self.db = db
        self.tracking = tracking

    async def load_tracking(self) -> None:
        """Every community's tracked channels into :class:`Tracking` (at start-up)."""
        async with self.db.session() as session:
            by_community = await log_queries.tracked_channels_by_community(session)
        self.tracking.replace_all(by_community)

    # /settings track ------------------------------------------------------------------------
    async def track(
        self,
        guild_id: int,
        guild_name: str,
        *,
        actor_id: int,
        channel_id: int,
        is_category: bool,
    ) -> tuple[bool, list[TrackedTarget]]:
        """Track a channel or category; (newly tracked?, everything now tracked)."""
        async with self.db.transaction() as session:
            await communities.ensure_community(session, guild_id, guild_name)
            added = await log_queries.add_tracked_channel(
                session, guild_id, channel_id, is_category=is_category, added_by=actor_id
            )
            targets = await log_queries.tracked_channels(session, guild_id)
            if added:
                await audit.record_audit(
                    session,
                    guild_id,
                    actor_id,
                    "settings.track.add",
                    channel_id=channel_id,
                    is_category=is_category,
                )
        self.tracking.replace(guild_id, targets)
        return added, targets

    async def untrack(
        self, guild_id: int, *, actor_id: int, channel_id: int, label: str
    ) -> list[TrackedTarget]:
        """Stop tracking a channel or category; NotFound if it was not tracked."""
        async with self.db.transaction() as session:
            removed = await log_queries.remove_tracked_channel(session, guild_id, channel_id)
            if not removed:
                raise NotFound(
                    f"{label} is not on the tracking list, so there is nothing to remove.",
                    "See what is tracked with `/settings track list`.",
                )
            targets = await log_queries.tracked_channels(session, guild_id)
            await audit.record_audit(
                session, guild_id, actor_id, "settings.track.remove", channel_id=channel_id
            )
        self.tracking.replace(guild_id, targets)
        return targets

    async def tracked(self, guild_id: int) -> list[TrackedTarget]:
        async with self.db.session() as session:
            return await log_queries.tracked_channels(session, guild_id)

    # gap repair -----------------------------------------------------------------------------
    # With ``patient``, a read waits for a database out of reach (gap repair): a repair given
    # up would leave its gap for good, once live messages are logged behind it.
    async def newest_logged(
        self, *, before: int | None = None, patient: bool = False
    ) -> dict[int, int]:
        """The newest logged message id of every channel and thread (older than ``before``)."""

        async def read() -> dict[int, int]:
            async with self.db.session() as session:
                return await log_queries.newest_message_ids_by_channel(session, before=before)

        return await (until_reachable(read) if patient else read())

    async def logging_since(
        self, guild_id: int, guild_name: str, first_time: int, *, patient: bool = False
    ) -> int:
        """The message id from which a community is logged: ``first_time`` the first time
        asked (kept, so that channels with nothing logged yet are repaired from there, not from
        the beginning of their history)."""
        key = f"contributions:logging_since:{guild_id}"

        async def read() -> str:
            async with self.db.transaction() as session:
                value = await get_state(session, key)
                if value is None:
                    # Two callers at start-up (the guild's arrival and gap repair) may both get
                    # here: whichever inserts first decides, and both return that value.
                    await communities.ensure_community(session, guild_id, guild_name)
                    value = await state_or_set(session, key, str(first_time))
            return value

        return int(await (until_reachable(read) if patient else read()))


# --- /contributions backfill ---------------------------------------------------------------------

BACKFILL_LIMIT = 10_000  # messages per run: the command must end while the moderator waits
GAP_REPAIR_LIMIT = 1_000  # messages per channel per start

_DATE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")


def parse_since(text: str, timezone: str, *, now: datetime | None = None) -> datetime:
    """``YYYY-MM-DD`` in the community's time zone -> the start of that day, in UTC."""
    match = _DATE.match(text)
    fix = "Give a date as YYYY-MM-DD, for example `2024-03-01`, or leave `since` out."
    if match is None:
        raise BadInput(f"`{text[:40]}` is not a date I can read.", fix)
    try:
        day = datetime(int(match[1]), int(match[2]), int(match[3])).date()
    except ValueError:
        raise BadInput(f"`{text[:40]}` is not a date in the calendar.", fix) from None
    # Both checks come before the conversion to UTC, which overflows at the ends of the
    # calendar (0001-01-01 east of Greenwich is still year 0 in UTC).
    if day.year < 2015:  # Discord's first messages are from 2015
        raise BadInput(f"{day.isoformat()} is before Discord existed.", fix)
    now = now or datetime.now(UTC)
    future = BadInput(
        f"{day.isoformat()} is in the future: there is no history after it yet.",
        "Give a date in the past, or leave `since` out to read the whole history.",
    )
    if day > (now + timedelta(days=1)).date():  # a day ahead in any time zone
        raise future
    moment = datetime.combine(day, time(0, 0), tzinfo=ZoneInfo(timezone)).astimezone(UTC)
    if moment > now:
        raise future
    return moment
