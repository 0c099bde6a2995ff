"""The scheduler facade: database rows are the truth, APScheduler is only the alarm clock.

Every schedule row gets one alarm (an APScheduler job with a date trigger) for its next due time.
When the alarm rings, the firing is first *claimed* in the database (a row unique on schedule and
due time); only the process whose insert succeeded acts. After acting, the next alarm is set from
the row again, so a change made by the handler (a pause, say) is honoured.

Missed firings (the bot was down, or the loop was blocked) follow the schedule's misfire policy:
``late`` acts late within ``grace_seconds``; ``skip`` acts only when on time (within
:data:`ON_TIME_TOLERANCE`). Anything else is recorded as a skipped firing, never acted on.

A claim taken by a process that then crashed stays ``claimed`` until a handler's own recovery
finishes it at start-up (:meth:`Scheduler.stale_claims`, :meth:`Scheduler.finish_claim`): only
the handler knows how far its work got and how to finish it without acting twice (prompt posts:
``cogs/prompts/posting.py``). A kind without such a recovery keeps the claim: a missed action
rather than a double one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from bot.errors import new_error_id
from bot.scheduling.values import FiringRecord, FiringStatus, MisfirePolicy, Schedule
from bot.scheduling.when import WhenError, parse_when
from storage import schedules as schedule_queries
from storage.db import Database, database_unreachable
from storage.types import utc_now

log = logging.getLogger(__name__)

ON_TIME_TOLERANCE = timedelta(seconds=60)
# How long a shutdown waits for firings under way (a question being posted, tables opening).
FIRINGS_SHUTDOWN_GRACE = 10.0
# How often a process looks for schedules another process made or moved: in an overlapping
# deploy the old process may handle the command (or the firing) that makes one, then stop.
FOLLOW_CHANGES_EVERY = 30.0
# A schedule offline for long records at most this many skips; older ones are simply not listed.
MAX_RECORDED_SKIPS = 100


@dataclass(frozen=True, slots=True)
class Firing:
    """What a handler is told: which schedule, for which due time, and how late it runs."""

    schedule: Schedule
    scheduled_for: datetime
    late_by: timedelta

    @property
    def target_id(self) -> int:
        """The row the handler acts on (a café's id, say): every kind that acts on a row names
        it in its schedule."""
        target_id = self.schedule.target_id
        if target_id is None:
            raise LookupError(
                f"schedule {self.schedule.id} ({self.schedule.kind}) names no row to act on"
            )
        return target_id


# A handler acts on a firing and may return a short note that is kept with the firing.
FiringHandler = Callable[[Firing], Awaitable[str | None]]


class SkipFiring(Exception):  # a decision, not a failure
    """Raised by a handler that finds nothing to do for this firing (say, no one to send to):
    the firing is recorded as skipped with ``note``, not as failed."""

    def __init__(self, note: str) -> None:
        super().__init__(note)
        self.note = note


class Scheduler:
    def __init__(
        self,
        db: Database,
        *,
        process_id: str,
        clock: Callable[[], datetime] = utc_now,
        serves: Callable[[int], bool] = lambda community_id: True,
        follow_changes_every: float = FOLLOW_CHANGES_EVERY,
    ) -> None:
        self.db = db
        self.process_id = process_id[:64]
        self.clock = clock
        # Which communities' schedules this process rings (its shards' servers): another
        # process rings the others'.
        self.serves = serves
        self._handlers: dict[str, FiringHandler] = {}
        self._alarms = AsyncIOScheduler(timezone="UTC")
        self._locks: dict[int, asyncio.Lock] = {}
        self._firing: set[asyncio.Task[object]] = set()  # fire() calls under way
        self.follow_changes_every = follow_changes_every
        self._following: asyncio.Task[None] | None = None
        self._changes_seen = utc_now()  # rows carry the database's real time, not ``clock``
        # When this scheduler started (the database's real time, as its claims carry): a claim
        # of this process id taken before is a predecessor's. A container started again keeps
        # its host name and process id (1).
        self._started_at: datetime | None = None

    def handle(self, kind: str, handler: FiringHandler) -> None:
        """Register what to do when a schedule of ``kind`` fires (one handler per kind)."""
        if kind in self._handlers:
            raise ValueError(f"a handler for schedule kind {kind!r} is already registered")
        self._handlers[kind] = handler

    async def start(self) -> None:
        if self._started_at is None:
            self._started_at = utc_now()
        if not self._alarms.running:
            self._alarms.start()
        self._changes_seen = utc_now()
        await self.reload()
        if self._following is None:
            self._following = asyncio.create_task(
                self._follow_changes(), name="schedules changed elsewhere"
            )

    async def shutdown(self, *, grace: float = FIRINGS_SHUTDOWN_GRACE) -> None:
        """No more alarms; firings under way finish first (a rolling deploy stops a process in
        the middle of a post: left half done, only a later start-up would finish it), those
        still running after ``grace`` seconds are cancelled."""
        if self._following is not None:
            self._following.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._following
            self._following = None
        if not self._alarms.running:
            return
        self._alarms.pause()
        if self._firing:
            # Before the alarms shut down: APScheduler cancels the jobs still running then.
            _, late = await asyncio.wait(set(self._firing), timeout=grace)
            if late:
                log.warning("%d firings still running after %.0f s are stopped", len(late), grace)
        self._alarms.shutdown(wait=False)

    async def reload(self) -> None:
        """Rebuild every alarm from the database (start-up, or after bulk changes)."""
        async with self.db.session() as session:
            rows = await schedule_queries.active_schedules(session)
        rows = [schedule for schedule in rows if self.serves(schedule.community_id)]
        wanted = {_job_id(schedule.id) for schedule in rows}
        for job in self._alarms.get_jobs():
            if job.id not in wanted:
                job.remove()
        for schedule in rows:
            await self.sync_schedule(schedule.id)

    async def sync_changed(self) -> None:
        """Set the alarms of the schedules made or changed since the last look, by any process
        (a look overlaps the one before: syncing a schedule twice changes nothing)."""
        since = self._changes_seen - timedelta(seconds=self.follow_changes_every)
        self._changes_seen = utc_now()
        async with self.db.session() as session:
            rows = await schedule_queries.schedules_changed_since(session, since)
        for schedule in rows:
            if self.serves(schedule.community_id):
                await self.sync_schedule(schedule.id)

    async def _follow_changes(self) -> None:
        while True:
            await asyncio.sleep(self.follow_changes_every)
            try:
                await self.sync_changed()
            except Exception as error:
                if not database_unreachable(error):
                    log.exception("looking for changed schedules failed")
                else:
                    log.warning("changed schedules not read: the database is out of reach")

    async def sync_schedule(self, schedule_id: int) -> None:
        """Catch up on missed firings of one schedule and set its next alarm, from its row."""
        async with self._lock(schedule_id):
            async with self.db.session() as session:
                schedule = await schedule_queries.get_schedule(session, schedule_id)
                last = await schedule_queries.latest_firing(session, schedule_id)
            self._cancel_alarm(schedule_id)
            if schedule is None or schedule.paused or not self.serves(schedule.community_id):
                return
            try:
                next_after = _due_times(schedule)
            except WhenError as error:
                await self._pause(schedule_id, f"its time can no longer be read: {error}")
                return
            now = self.clock()
            missed, due = _missed(schedule, last, next_after, now)
            if missed:
                await self._record_missed(schedule, missed[:-1])
                latest_missed = missed[-1]
                if now - latest_missed <= tolerance(schedule):
                    due = latest_missed  # still within its grace: ring at once
                else:
                    await self._record_skip(schedule, latest_missed, now - latest_missed)
            if due is not None:
                self._alarms.add_job(
                    self.fire,
                    trigger=DateTrigger(run_date=max(due, now), timezone="UTC"),
                    args=(schedule_id, due),
                    id=_job_id(schedule_id),
                    replace_existing=True,
                    misfire_grace_time=None,  # lateness is judged by our policy, in fire()
                )

    async def skip_missed(self, schedule_id: int, note: str) -> None:
        """Record every due time that has passed since the last firing as skipped, saying why;
        none of them is acted on late (a schedule resumed after a pause, say). Call
        sync_schedule after to set the next alarm."""
        async with self.db.session() as session:
            schedule = await schedule_queries.get_schedule(session, schedule_id)
            last = await schedule_queries.latest_firing(session, schedule_id)
        if schedule is None:
            return
        try:
            next_after = _due_times(schedule)
        except WhenError:
            return  # sync_schedule pauses it with the reason
        missed, _ = _missed(schedule, last, next_after, self.clock())
        for due in missed:
            await self._record_skip(schedule, due, None, note=note)

    async def stale_claims(self, kind: str) -> list[Firing]:
        """Firings of ``kind`` claimed by another process (or by an earlier one of this process
        id) and never finished: that process stopped half-way (or is still at work: a recovery
        must be safe against both)."""
        async with self.db.session() as session:
            rows = await schedule_queries.claimed_firings(
                session, kind, not_claimed_by=self.process_id, unless_before=self._started_at
            )
        now = self.clock()
        return [
            Firing(schedule, row.scheduled_for, max(now - row.scheduled_for, timedelta(0)))
            for row, schedule in rows
            if self.serves(schedule.community_id)
        ]

    async def finish_claim(
        self, schedule_id: int, scheduled_for: datetime, *, status: FiringStatus, note: str | None
    ) -> None:
        """Record how a firing ended, when it was finished outside :meth:`fire` (a recovery)."""
        async with self.db.transaction() as session:
            await schedule_queries.finish_firing(
                session, schedule_id, scheduled_for, status=status, note=note
            )

    def next_alarm(self, schedule_id: int) -> datetime | None:
        """The due time the alarm of a schedule is set for (None: no alarm)."""
        job = self._alarms.get_job(_job_id(schedule_id))
        return None if job is None else job.args[1]

    async def fire(self, schedule_id: int, scheduled_for: datetime) -> None:
        """Claim the firing, act if the claim is ours, then set the next alarm."""
        this = asyncio.current_task()
        if this is not None:
            self._firing.add(this)
        try:
            await self._fire_once(schedule_id, scheduled_for)
        finally:
            if this is not None:
                self._firing.discard(this)
            if self._alarms.running:
                await self.sync_schedule(schedule_id)

    async def _fire_once(self, schedule_id: int, scheduled_for: datetime) -> None:
        async with self.db.session() as session:
            schedule = await schedule_queries.get_schedule(session, schedule_id)
        if schedule is None or schedule.paused:
            return
        late_by = max(self.clock() - scheduled_for, timedelta(0))
        if late_by > tolerance(schedule):
            await self._record_skip(schedule, scheduled_for, late_by)
            return
        # Committed before anyone acts: the claim must be durable first.
        async with self.db.transaction() as session:
            claimed = await schedule_queries.claim_firing(
                session, schedule_id, scheduled_for, claimed_by=self.process_id
            )
        if not claimed:
            log.info("schedule %s at %s: already claimed elsewhere", schedule_id, scheduled_for)
            return
        handler = self._handlers.get(schedule.kind)
        status, note = FiringStatus.DONE, None
        if handler is None:
            status, note = FiringStatus.FAILED, f"no handler for schedule kind {schedule.kind!r}"
            log.error("schedule %s: %s", schedule_id, note)
        else:
            try:
                note = await handler(Firing(schedule, scheduled_for, late_by))
            except SkipFiring as skipped:
                status, note = FiringStatus.SKIPPED, skipped.note
            except Exception:
                error_id = new_error_id()
                log.exception("schedule %s failed [error %s]", schedule_id, error_id)
                status, note = FiringStatus.FAILED, f"error {error_id}"
        async with self.db.transaction() as session:
            await schedule_queries.finish_firing(
                session, schedule_id, scheduled_for, status=status, note=note
            )

    async def _record_missed(self, schedule: Schedule, due_times: Sequence[datetime]) -> None:
        for due in due_times:
            await self._record_skip(schedule, due, None)

    async def _record_skip(
        self,
        schedule: Schedule,
        scheduled_for: datetime,
        late_by: timedelta | None,
        *,
        note: str | None = None,
    ) -> None:
        if note is None:
            note = (
                "missed while the bot was offline"
                if late_by is None
                else f"missed by {_minutes(late_by)}, beyond the {schedule.misfire_policy} policy"
            )
        async with self.db.transaction() as session:
            recorded = await schedule_queries.claim_firing(
                session,
                schedule.id,
                scheduled_for,
                claimed_by=self.process_id,
                status=FiringStatus.SKIPPED,
                note=note,
            )
        if recorded:
            log.warning("schedule %s at %s skipped: %s", schedule.id, scheduled_for, note)

    async def _pause(self, schedule_id: int, reason: str) -> None:
        async with self.db.transaction() as session:
            await schedule_queries.set_schedule_paused(
                session, schedule_id, paused=True, reason=reason[:300]
            )
        log.warning("schedule %s paused: %s", schedule_id, reason)

    def _cancel_alarm(self, schedule_id: int) -> None:
        with contextlib.suppress(JobLookupError):
            self._alarms.remove_job(_job_id(schedule_id))

    def _lock(self, schedule_id: int) -> asyncio.Lock:
        return self._locks.setdefault(schedule_id, asyncio.Lock())


def _due_times(schedule: Schedule) -> Callable[[datetime], datetime | None]:
    """The schedule's "next due time after" function: its exact instant for a timer, else its
    parsed ``when`` text (which raises WhenError if it can no longer be read)."""
    due_at = schedule.due_at
    if due_at is not None:
        return lambda moment: due_at if due_at > moment else None
    return parse_when(schedule.when_text, schedule.timezone).next_after


def _missed(
    schedule: Schedule,
    last: FiringRecord | None,
    next_after: Callable[[datetime], datetime | None],
    now: datetime,
) -> tuple[list[datetime], datetime | None]:
    """The due times passed since the last firing (the newest MAX_RECORDED_SKIPS + 1: the
    latest may still be acted on, older ones are only recorded) and the next one to come."""
    if last is not None:
        since = last.scheduled_for
    elif schedule.due_at is not None:
        since = schedule.due_at - timedelta(microseconds=1)  # a timer set in the past
    else:
        since = schedule.created_at
    missed: deque[datetime] = deque(maxlen=MAX_RECORDED_SKIPS + 1)
    due = next_after(since)
    while due is not None and due <= now:
        missed.append(due)
        due = next_after(due)
    return list(missed), due


def _job_id(schedule_id: int) -> str:
    return f"schedule-{schedule_id}"


def tolerance(schedule: Schedule) -> timedelta:
    """How late a firing of ``schedule`` may still act, by its misfire policy."""
    if schedule.misfire_policy == MisfirePolicy.SKIP:
        return ON_TIME_TOLERANCE
    return max(timedelta(seconds=schedule.grace_seconds), ON_TIME_TOLERANCE)


def _minutes(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h {minutes % 60} min"
