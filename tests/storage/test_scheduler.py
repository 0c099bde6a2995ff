"""The scheduler facade on a controlled clock: claims, restarts, two processes, misfires, DST.

The clock is set in 2030 so that APScheduler's real-time alarms never ring during a test:
the tests ring them by calling ``fire`` as the alarm would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.scheduling.scheduler import Firing, Scheduler
from storage.communities import ensure_community
from storage.db import Database
from storage.models import FiringStatus, MisfirePolicy
from storage.schedules import create_schedule, firings_of, set_schedule_paused

GUILD = 77


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Recorder:
    def __init__(self) -> None:
        self.firings: list[Firing] = []

    async def __call__(self, firing: Firing) -> str:
        self.firings.append(firing)
        return f"acted for {firing.scheduled_for:%Y-%m-%d %H:%M}"


async def add_schedule(
    db: Database,
    created_at: datetime,
    *,
    when: str = "daily 09:00",
    timezone: str = "Europe/Amsterdam",
    policy: MisfirePolicy = MisfirePolicy.LATE,
    grace_seconds: int = 3600,
) -> int:
    async with db.session() as session:
        await ensure_community(session, GUILD, "CoP")
        schedule = await create_schedule(
            session,
            community_id=GUILD,
            kind="test",
            when_text=when,
            timezone=timezone,
            misfire_policy=policy,
            grace_seconds=grace_seconds,
        )
        schedule.created_at = created_at
        await session.commit()
        assert schedule.id is not None
        return schedule.id


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2030, 3, 4, 7, 0, tzinfo=UTC))  # a Monday, 08:00 in Amsterdam


@pytest.fixture
async def started() -> AsyncIterator[list[Scheduler]]:
    schedulers: list[Scheduler] = []
    yield schedulers
    for scheduler in schedulers:
        await scheduler.shutdown()


async def start(
    db: Database, clock: Clock, started: list[Scheduler], recorder: Recorder, name: str = "p1"
) -> Scheduler:
    scheduler = Scheduler(db, process_id=name, clock=clock)
    scheduler.handle("test", recorder)
    await scheduler.start()
    started.append(scheduler)
    return scheduler


async def statuses(db: Database, schedule_id: int) -> list[tuple[datetime, str]]:
    async with db.session() as session:
        return [(f.scheduled_for, f.status) for f in await firings_of(session, schedule_id)]


NINE_AM = datetime(2030, 3, 4, 8, 0, tzinfo=UTC)  # 09:00 CET


async def test_fires_once_then_sets_the_next_alarm(db, clock, started) -> None:
    recorder = Recorder()
    schedule_id = await add_schedule(db, clock.now)
    scheduler = await start(db, clock, started, recorder)
    assert scheduler.next_alarm(schedule_id) == NINE_AM
    clock.now = NINE_AM + timedelta(seconds=2)
    await scheduler.fire(schedule_id, NINE_AM)
    assert [f.scheduled_for for f in recorder.firings] == [NINE_AM]
    assert await statuses(db, schedule_id) == [(NINE_AM, FiringStatus.DONE)]
    assert scheduler.next_alarm(schedule_id) == NINE_AM + timedelta(days=1)


async def test_no_double_firing_across_a_restart(db, clock, started) -> None:
    recorder = Recorder()
    schedule_id = await add_schedule(db, clock.now)
    first = await start(db, clock, started, recorder, "before-restart")
    clock.now = NINE_AM + timedelta(seconds=1)
    await first.fire(schedule_id, NINE_AM)
    await first.shutdown()

    clock.now = NINE_AM + timedelta(seconds=30)  # back up within the grace period
    second = await start(db, clock, started, recorder, "after-restart")
    assert second.next_alarm(schedule_id) == NINE_AM + timedelta(days=1)
    await second.fire(schedule_id, NINE_AM)  # an alarm left over from before would ring again
    assert len(recorder.firings) == 1
    assert await statuses(db, schedule_id) == [(NINE_AM, FiringStatus.DONE)]


async def test_two_schedulers_on_one_database_act_once(db, clock, started) -> None:
    recorder = Recorder()
    schedule_id = await add_schedule(db, clock.now)
    one = await start(db, clock, started, recorder, "process-1")
    two = await start(db, clock, started, recorder, "process-2")
    clock.now = NINE_AM
    await asyncio.gather(one.fire(schedule_id, NINE_AM), two.fire(schedule_id, NINE_AM))
    assert len(recorder.firings) == 1
    assert one.next_alarm(schedule_id) == two.next_alarm(schedule_id) == NINE_AM + timedelta(days=1)


async def test_missed_within_grace_fires_late(db, clock, started) -> None:
    recorder = Recorder()
    schedule_id = await add_schedule(db, clock.now, grace_seconds=3600)
    clock.now = NINE_AM + timedelta(minutes=30)  # the bot was down at 09:00
    scheduler = await start(db, clock, started, recorder)
    assert scheduler.next_alarm(schedule_id) == NINE_AM  # rings at once for the missed one
    await scheduler.fire(schedule_id, NINE_AM)
    assert recorder.firings[0].late_by == timedelta(minutes=30)
    assert await statuses(db, schedule_id) == [(NINE_AM, FiringStatus.DONE)]


async def test_missed_beyond_grace_is_skipped_and_recorded(db, clock, started) -> None:
    recorder = Recorder()
    schedule_id = await add_schedule(db, clock.now, grace_seconds=3600)
    clock.now = NINE_AM + timedelta(hours=2)
    scheduler = await start(db, clock, started, recorder)
    assert recorder.firings == []
    assert await statuses(db, schedule_id) == [(NINE_AM, FiringStatus.SKIPPED)]
    assert scheduler.next_alarm(schedule_id) == NINE_AM + timedelta(days=1)


async def test_skip_policy_never_acts_late(db, clock, started) -> None:
    recorder = Recorder()
    schedule_id = await add_schedule(db, clock.now, policy=MisfirePolicy.SKIP)
    scheduler = await start(db, clock, started, recorder)
    clock.now = NINE_AM + timedelta(minutes=5)  # the loop was busy; the alarm rang late
    await scheduler.fire(schedule_id, NINE_AM)
    assert recorder.firings == []
    assert await statuses(db, schedule_id) == [(NINE_AM, FiringStatus.SKIPPED)]


async def test_days_offline_record_every_missed_firing(db, clock, started) -> None:
    recorder = Recorder()
    schedule_id = await add_schedule(db, clock.now)
    clock.now = NINE_AM + timedelta(days=2, minutes=10)
    scheduler = await start(db, clock, started, recorder)
    recorded = await statuses(db, schedule_id)
    assert recorded == [
        (NINE_AM, FiringStatus.SKIPPED),
        (NINE_AM + timedelta(days=1), FiringStatus.SKIPPED),
    ]
    assert scheduler.next_alarm(schedule_id) == NINE_AM + timedelta(days=2)  # within grace


async def test_nine_am_stays_nine_am_across_daylight_saving(db, started) -> None:
    recorder = Recorder()
    clock = Clock(datetime(2030, 3, 29, 12, 0, tzinfo=UTC))  # Friday before the change
    schedule_id = await add_schedule(db, clock.now)
    scheduler = await start(db, clock, started, recorder)
    for _ in range(4):
        due = scheduler.next_alarm(schedule_id)
        assert due is not None
        clock.now = due
        await scheduler.fire(schedule_id, due)
    assert [f.scheduled_for for f in recorder.firings] == [
        datetime(2030, 3, 30, 8, 0, tzinfo=UTC),  # Saturday 09:00 CET
        datetime(2030, 3, 31, 7, 0, tzinfo=UTC),  # Sunday 09:00 CEST, after the change
        datetime(2030, 4, 1, 7, 0, tzinfo=UTC),
        datetime(2030, 4, 2, 7, 0, tzinfo=UTC),
    ]


async def test_paused_schedules_have_no_alarm(db, clock, started) -> None:
    recorder = Recorder()
    schedule_id = await add_schedule(db, clock.now)
    scheduler = await start(db, clock, started, recorder)

    async def pause_me(firing: Firing) -> str:
        async with db.session() as session:
            await set_schedule_paused(session, schedule_id, paused=True, reason="theme empty")
            await session.commit()
        return "paused"

    scheduler._handlers["test"] = pause_me
    clock.now = NINE_AM
    await scheduler.fire(schedule_id, NINE_AM)
    assert scheduler.next_alarm(schedule_id) is None
    await scheduler.reload()
    assert scheduler.next_alarm(schedule_id) is None


async def test_a_failing_handler_is_recorded_and_the_schedule_goes_on(db, clock, started) -> None:
    schedule_id = await add_schedule(db, clock.now)

    async def broken(firing: Firing) -> str:
        raise RuntimeError("channel vanished")

    scheduler = Scheduler(db, process_id="p", clock=clock)
    scheduler.handle("test", broken)
    await scheduler.start()
    started.append(scheduler)
    clock.now = NINE_AM
    await scheduler.fire(schedule_id, NINE_AM)
    async with db.session() as session:
        [firing] = await firings_of(session, schedule_id)
    assert firing.status == FiringStatus.FAILED
    assert firing.note is not None and firing.note.startswith("error ")
    assert scheduler.next_alarm(schedule_id) == NINE_AM + timedelta(days=1)


async def test_a_schedule_whose_time_cannot_be_read_is_paused(db, clock, started) -> None:
    schedule_id = await add_schedule(db, clock.now, when="fortnightly-ish")
    scheduler = await start(db, clock, started, Recorder())
    assert scheduler.next_alarm(schedule_id) is None
    async with db.session() as session:
        from storage.schedules import get_schedule

        schedule = await get_schedule(session, schedule_id)
        assert schedule is not None and schedule.paused
        assert schedule.paused_reason and "can no longer be read" in schedule.paused_reason


async def test_one_handler_per_kind(db) -> None:
    scheduler = Scheduler(db, process_id="p")
    scheduler.handle("test", Recorder())
    with pytest.raises(ValueError, match="already registered"):
        scheduler.handle("test", Recorder())
