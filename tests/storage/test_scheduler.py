"""The scheduler facade on a controlled clock: claims, restarts, two processes, misfires, DST.

The clock is set in 2030 so that APScheduler's real-time alarms never ring during a test:
the tests ring them by calling ``fire`` as the alarm would.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.scheduling.scheduler import Firing, Scheduler
from storage.communities import ensure_community
from storage.db import Database
from storage.models import FiringStatus, MisfirePolicy
from storage.schedules import claim_firing, create_schedule, firings_of, set_schedule_paused
from tests.storage.helpers import Clock

GUILD = 77


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


# --- timers: a schedule with ``due_at`` is due once, at that instant ---------------------------


async def add_timer(
    db: Database,
    due_at: datetime,
    created_at: datetime,
    *,
    policy: MisfirePolicy = MisfirePolicy.LATE,
    grace_seconds: int = 3600,
) -> int:
    async with db.session() as session:
        await ensure_community(session, GUILD, "CoP")
        schedule = await create_schedule(
            session,
            community_id=GUILD,
            kind="test",
            when_text=due_at.isoformat(timespec="seconds"),
            timezone="UTC",
            misfire_policy=policy,
            grace_seconds=grace_seconds,
            due_at=due_at,
        )
        schedule.created_at = created_at
        await session.commit()
        assert schedule.id is not None
        return schedule.id


async def move_timer(db: Database, schedule_id: int, due_at: datetime) -> None:
    from storage.schedules import set_due_at  # imported here: these tests were appended

    async with db.session() as session:
        await set_due_at(session, schedule_id, due_at)
        await session.commit()


ROUND_END = datetime(2030, 3, 4, 7, 20, 30, tzinfo=UTC)  # not on a whole minute, on purpose


async def test_a_timer_fires_once_at_its_instant(db, clock, started) -> None:
    recorder = Recorder()
    schedule_id = await add_timer(db, ROUND_END, clock.now)
    scheduler = await start(db, clock, started, recorder)
    assert scheduler.next_alarm(schedule_id) == ROUND_END
    clock.now = ROUND_END + timedelta(milliseconds=300)
    await scheduler.fire(schedule_id, ROUND_END)
    assert [(f.scheduled_for, f.late_by) for f in recorder.firings] == [
        (ROUND_END, timedelta(milliseconds=300))
    ]
    assert scheduler.next_alarm(schedule_id) is None  # one-shot: nothing after it
    await scheduler.fire(schedule_id, ROUND_END)  # a stale alarm ringing again
    await scheduler.reload()
    assert scheduler.next_alarm(schedule_id) is None
    assert len(recorder.firings) == 1
    assert await statuses(db, schedule_id) == [(ROUND_END, FiringStatus.DONE)]


async def test_a_timer_set_in_the_past_fires_at_once_on_start_up(db, clock, started) -> None:
    recorder = Recorder()
    clock.now = ROUND_END + timedelta(minutes=5)
    # Written after its instant had passed (the bot was down when the round ended).
    schedule_id = await add_timer(db, ROUND_END, clock.now, grace_seconds=3600)
    scheduler = await start(db, clock, started, recorder)
    assert scheduler.next_alarm(schedule_id) == ROUND_END  # rings at once, for its instant
    await scheduler.fire(schedule_id, ROUND_END)
    assert [f.late_by for f in recorder.firings] == [timedelta(minutes=5)]
    assert await statuses(db, schedule_id) == [(ROUND_END, FiringStatus.DONE)]
    assert scheduler.next_alarm(schedule_id) is None


async def test_a_timer_set_in_the_past_while_running_fires_at_once_on_sync(
    db, clock, started
) -> None:
    recorder = Recorder()
    scheduler = await start(db, clock, started, recorder)
    clock.now = ROUND_END + timedelta(seconds=90)
    schedule_id = await add_timer(db, ROUND_END, clock.now)
    await scheduler.sync_schedule(schedule_id)
    assert scheduler.next_alarm(schedule_id) == ROUND_END
    await scheduler.fire(schedule_id, ROUND_END)
    assert [f.scheduled_for for f in recorder.firings] == [ROUND_END]


async def test_a_timer_past_its_grace_is_recorded_skipped(db, clock, started) -> None:
    recorder = Recorder()
    clock.now = ROUND_END + timedelta(hours=2)
    schedule_id = await add_timer(db, ROUND_END, clock.now, grace_seconds=3600)
    scheduler = await start(db, clock, started, recorder)
    assert recorder.firings == []
    assert scheduler.next_alarm(schedule_id) is None
    async with db.session() as session:
        [firing] = await firings_of(session, schedule_id)
    assert (firing.scheduled_for, firing.status) == (ROUND_END, FiringStatus.SKIPPED)
    assert firing.note is not None and "beyond the late policy" in firing.note


async def test_a_timer_moved_later_after_firing_fires_again_then(db, clock, started) -> None:
    recorder = Recorder()
    extended = ROUND_END + timedelta(minutes=5)  # /cafe extend 5 after the round had ended
    schedule_id = await add_timer(db, ROUND_END, clock.now)
    scheduler = await start(db, clock, started, recorder)
    clock.now = ROUND_END
    await scheduler.fire(schedule_id, ROUND_END)
    assert scheduler.next_alarm(schedule_id) is None

    await move_timer(db, schedule_id, extended)
    await scheduler.sync_schedule(schedule_id)
    assert scheduler.next_alarm(schedule_id) == extended
    clock.now = extended
    await scheduler.fire(schedule_id, extended)
    assert [f.scheduled_for for f in recorder.firings] == [ROUND_END, extended]
    assert await statuses(db, schedule_id) == [
        (ROUND_END, FiringStatus.DONE),
        (extended, FiringStatus.DONE),
    ]
    assert scheduler.next_alarm(schedule_id) is None


async def test_a_timer_moved_later_before_firing_rings_only_at_the_new_instant(
    db, clock, started
) -> None:
    recorder = Recorder()
    extended = ROUND_END + timedelta(minutes=10)
    schedule_id = await add_timer(db, ROUND_END, clock.now)
    scheduler = await start(db, clock, started, recorder)
    await move_timer(db, schedule_id, extended)
    await scheduler.sync_schedule(schedule_id)
    assert scheduler.next_alarm(schedule_id) == extended
    clock.now = extended
    await scheduler.fire(schedule_id, extended)
    assert await statuses(db, schedule_id) == [(extended, FiringStatus.DONE)]


async def test_a_skip_policy_timer_missed_by_over_a_minute_is_skipped(db, clock, started) -> None:
    recorder = Recorder()
    schedule_id = await add_timer(db, ROUND_END, clock.now, policy=MisfirePolicy.SKIP)
    scheduler = await start(db, clock, started, recorder)
    clock.now = ROUND_END + timedelta(seconds=61)  # the loop was blocked past the tolerance
    await scheduler.fire(schedule_id, ROUND_END)
    assert recorder.firings == []
    assert await statuses(db, schedule_id) == [(ROUND_END, FiringStatus.SKIPPED)]
    assert scheduler.next_alarm(schedule_id) is None


async def test_a_skip_policy_timer_within_a_minute_acts(db, clock, started) -> None:
    recorder = Recorder()
    schedule_id = await add_timer(db, ROUND_END, clock.now, policy=MisfirePolicy.SKIP)
    scheduler = await start(db, clock, started, recorder)
    clock.now = ROUND_END + timedelta(seconds=59)
    await scheduler.fire(schedule_id, ROUND_END)
    assert [f.late_by for f in recorder.firings] == [timedelta(seconds=59)]


async def test_a_skip_policy_timer_missed_while_offline_is_skipped_at_start_up(
    db, clock, started
) -> None:
    recorder = Recorder()
    schedule_id = await add_timer(
        db, ROUND_END, clock.now, policy=MisfirePolicy.SKIP, grace_seconds=3600
    )
    clock.now = ROUND_END + timedelta(minutes=2)  # within the grace, which skip ignores
    scheduler = await start(db, clock, started, recorder)
    assert recorder.firings == []
    assert scheduler.next_alarm(schedule_id) is None
    assert await statuses(db, schedule_id) == [(ROUND_END, FiringStatus.SKIPPED)]


async def test_a_claim_left_by_an_earlier_start_under_the_same_id_is_stale(
    db, clock, started
) -> None:
    """A restarted container has the same host name and process id (1): the claims its previous
    run left half done are still to be finished, its own new ones are not."""
    schedule_id = await add_schedule(db, clock.now)
    async with db.transaction() as session:
        await claim_firing(session, schedule_id, NINE_AM, claimed_by="container")
    restarted = await start(db, clock, started, Recorder(), "container")
    stale = await restarted.stale_claims("test")
    assert [(f.schedule.id, f.scheduled_for) for f in stale] == [(schedule_id, NINE_AM)]
    async with db.transaction() as session:
        tomorrow = NINE_AM + timedelta(days=1)
        await claim_firing(session, schedule_id, tomorrow, claimed_by="container")
    assert [f.scheduled_for for f in await restarted.stale_claims("test")] == [NINE_AM]
