"""Prompt schedules over the real scheduler and database, on a controlled clock.

The poster below stands in for the Discord side of cogs/prompts.py: on each firing it asks the
service for the theme's next question and records the post, as the cog does after sending it.
What is under test is when firings happen and which question each one takes.

The clock is set in 2030, so APScheduler's real-time alarms never ring during a test: the tests
ring them by calling ``fire`` as the alarm would.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.errors import BadInput, NotFound
from bot.prompts.bank import QuestionBank
from bot.prompts.schedules import PROMPT_POST, PromptService, ScheduleView
from bot.prompts.values import PromptPost
from bot.scheduling.scheduler import Firing, Scheduler
from bot.scheduling.values import FiringStatus
from storage import prompts as queries
from storage.db import Database
from storage.schedules import firings_of
from tests.storage.helpers import Clock

GUILD = 601
OTHER = 602
MODERATOR = 7001
AMSTERDAM = "Europe/Amsterdam"
NEW_YORK = "America/New_York"


@dataclass
class Poster:
    """Posts nothing anywhere; chooses and records exactly as the firing handler does."""

    service: PromptService
    posted: list[tuple[datetime, int, int]] = field(default_factory=list)
    _next_message: int = 1000

    async def __call__(self, firing: Firing) -> str:
        assert firing.schedule.id is not None
        prompt_schedule = await self.service.prompt_schedule_of(firing.schedule.id)
        assert prompt_schedule is not None
        choice = await self.service.choose(prompt_schedule.community_id, prompt_schedule.theme)
        if choice is None:
            await self.service.pause_for(firing.schedule.id, "the theme has no approved question")
            return "paused"
        self._next_message += 1
        post = await self.service.begin_post(
            prompt_schedule.community_id,
            choice,
            channel_id=prompt_schedule.channel_id,
            make_thread=True,
            prompt_schedule_id=prompt_schedule.id,
            scheduled_for=firing.scheduled_for,
            posted_by=None,
        )
        assert post is not None and post.id is not None
        await self.service.post_sent(post.id, self._next_message)
        await self.service.finish_post(post.id, self._next_message)
        assert choice.question.id is not None
        self.posted.append((firing.scheduled_for, choice.question.id, choice.cycle))
        return f"posted #{choice.question.id}"


@dataclass
class Bot:
    """One bot process: its scheduler, its service, its poster."""

    scheduler: Scheduler
    service: PromptService
    poster: Poster


# Most of this runs on SQLite only; what depends on the claims runs on PostgreSQL too.
BOTH = pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)


@pytest.fixture
def backend() -> str:
    return "sqlite"


async def start(db: Database, clock: Clock, started: list[Scheduler], name: str = "p1") -> Bot:
    scheduler = Scheduler(db, process_id=name, clock=clock)
    service = PromptService(db, scheduler)
    poster = Poster(service)
    scheduler.handle(PROMPT_POST, poster)
    await scheduler.start()
    started.append(scheduler)
    return Bot(scheduler, service, poster)


async def fill_bank(
    db: Database, count: int, theme: str = "Funding", community_id: int = GUILD
) -> list[int]:
    ids = []
    for n in range(count):
        question = await QuestionBank(db).add(
            community_id,
            "CoP",
            actor_id=MODERATOR,
            text=f"{theme} question number {n + 1}?",
            theme=theme,
            approved=True,
        )
        assert question.id is not None
        ids.append(question.id)
    return ids


async def schedule(
    bot: Bot,
    when: str = "daily 09:00",
    *,
    theme: str = "funding",
    timezone: str = AMSTERDAM,
    misfire: str | None = None,
    community_id: int = GUILD,
) -> tuple[ScheduleView, list[datetime]]:
    return await bot.service.create_schedule(
        community_id,
        "CoP",
        channel_id=4242,
        when_text=when,
        theme=theme,
        timezone=timezone,
        make_thread=True,
        misfire=misfire,
        actor_id=MODERATOR,
    )


async def ring(
    bot: Bot, clock: Clock, view: ScheduleView, late: timedelta = timedelta(0)
) -> datetime:
    """The alarm of the schedule rings, ``late`` after its due time."""
    due = bot.scheduler.next_alarm(view.schedule.id or 0)
    assert due is not None, "the schedule has no alarm set"
    clock.now = due + late
    await bot.scheduler.fire(view.schedule.id or 0, due)
    return due


async def firings(db: Database, view: ScheduleView) -> list[tuple[datetime, FiringStatus, str]]:
    async with db.session() as session:
        return [
            (f.scheduled_for, FiringStatus(f.status), f.note or "")
            for f in await firings_of(session, view.schedule.id or 0)
        ]


async def posts(db: Database, community_id: int = GUILD) -> list[PromptPost]:
    async with db.session() as session:
        return await queries.posts_of(session, community_id)


async def only_view(bot: Bot) -> ScheduleView:
    [view] = await bot.service.list_schedules(GUILD)
    return view


NINE_AM = datetime(2030, 3, 4, 8, 0, tzinfo=UTC)  # Monday 09:00 CET


# --- creating a schedule -------------------------------------------------------------------------


REFUSED = [
    ({"theme": "Sanitation"}, NotFound, "No question has the theme"),
    ({"when": "fortnightly-ish"}, BadInput, "can't read that schedule"),
    ({"when": "2030-06-01 09:00"}, BadInput, "single date"),
    ({"misfire": "sometimes"}, BadInput, "not a misfire policy"),
    ({"timezone": "Mars/Olympus_Mons"}, BadInput, "time zone"),
]


async def test_create_schedule_refuses_what_it_cannot_carry_out(db, clock, started) -> None:
    bot = await start(db, clock, started)
    await fill_bank(db, 1)
    for options, error, words in REFUSED:
        with pytest.raises(error, match=words):
            await schedule(bot, **options)
    assert await bot.service.list_schedules(GUILD) == []


async def test_the_preview_is_the_next_five_dates_in_the_schedules_timezone(
    db, clock, started
) -> None:
    bot = await start(db, clock, started)
    await fill_bank(db, 1, theme="Tools")
    view, preview = await schedule(bot, "weekly mon,wed 09:00", theme="TOOLS ", timezone=NEW_YORK)
    local = [moment.astimezone(ZoneInfo(NEW_YORK)) for moment in preview]
    assert [(m.strftime("%a %d %b %H:%M")) for m in local] == [
        "Mon 04 Mar 09:00",  # 14:00 UTC, later than "now" (07:00 UTC)
        "Wed 06 Mar 09:00",
        "Mon 11 Mar 09:00",  # after New York's change to summer time (10 March 2030)
        "Wed 13 Mar 09:00",
        "Mon 18 Mar 09:00",
    ]
    assert preview[0] == datetime(2030, 3, 4, 14, 0, tzinfo=UTC)
    assert preview[2] == datetime(2030, 3, 11, 13, 0, tzinfo=UTC)
    assert view.prompt_schedule.theme == "Tools"  # the bank's spelling, not the typed one
    assert view.next_due == preview[0]
    assert view.schedule.timezone == NEW_YORK and view.schedule.misfire_policy == "late"


# --- the rotation over many firings --------------------------------------------------------------


async def test_no_question_twice_in_a_cycle_then_a_new_cycle(db, clock, started) -> None:
    bot = await start(db, clock, started)
    bank_ids = await fill_bank(db, 5)
    await fill_bank(db, 2, theme="Tools")  # another theme's questions are never taken
    view, _ = await schedule(bot)
    for _ in range(12):
        await ring(bot, clock, view)
    posted = bot.poster.posted
    assert len(posted) == 12
    assert [due for due, _, _ in posted] == [NINE_AM + timedelta(days=d) for d in range(12)]
    cycles = [[qid for _, qid, cycle in posted if cycle == n] for n in (1, 2, 3)]
    assert sorted(cycles[0]) == sorted(cycles[1]) == sorted(bank_ids)
    assert len(cycles[2]) == 2 and len(set(cycles[2])) == 2
    assert cycles[0] != cycles[1]  # a new cycle, a new order (these seeds differ)
    stored = await posts(db)
    assert [(p.question_id, p.cycle) for p in stored] == [(qid, c) for _, qid, c in posted]
    assert {p.prompt_schedule_id for p in stored} == {view.id}


# --- misfires ---------------------------------------------------------------------------------


async def test_late_policy_posts_late_within_the_grace_and_skips_beyond(db, clock, started) -> None:
    bot = await start(db, clock, started)
    await fill_bank(db, 3)
    view, _ = await schedule(bot, misfire="late")
    first = await ring(bot, clock, view, late=timedelta(minutes=59))
    second = await ring(bot, clock, view, late=timedelta(minutes=61))
    third = await ring(bot, clock, view, late=timedelta(seconds=5))
    assert [due for due, _, _ in bot.poster.posted] == [first, third]
    recorded = await firings(db, view)
    assert [(due, status) for due, status, _ in recorded] == [
        (first, FiringStatus.DONE),
        (second, FiringStatus.SKIPPED),
        (third, FiringStatus.DONE),
    ]
    assert "missed by 61 min, beyond the late policy" in recorded[1][2]
    listed = await only_view(bot)
    assert [(f.scheduled_for, f.status) for f in listed.skips] == [(second, FiringStatus.SKIPPED)]
    assert listed.next_due == third + timedelta(days=1)


async def test_skip_policy_posts_only_on_time(db, clock, started) -> None:
    bot = await start(db, clock, started)
    await fill_bank(db, 3)
    view, _ = await schedule(bot, misfire="skip")
    on_time = await ring(bot, clock, view, late=timedelta(seconds=30))
    missed = await ring(bot, clock, view, late=timedelta(minutes=2))
    assert [due for due, _, _ in bot.poster.posted] == [on_time]
    listed = await only_view(bot)
    assert [f.scheduled_for for f in listed.skips] == [missed]
    assert listed.skips[0].note is not None and "beyond the skip policy" in listed.skips[0].note


# --- restarts ----------------------------------------------------------------------------------


@BOTH
async def test_a_restart_within_the_grace_posts_once(db, clock, started) -> None:
    before = await start(db, clock, started, "before-restart")
    await fill_bank(db, 3)
    view, _ = await schedule(before)
    await before.scheduler.shutdown()  # down from 08:00 ...
    clock.now = NINE_AM + timedelta(minutes=20)  # ... back at 09:20
    after = await start(db, clock, started, "after-restart")
    assert after.scheduler.next_alarm(view.schedule.id or 0) == NINE_AM  # rings at once
    await after.scheduler.fire(view.schedule.id or 0, NINE_AM)
    await after.scheduler.fire(view.schedule.id or 0, NINE_AM)  # a second ring: nothing
    again = await start(db, clock, started, "restarted-twice")  # and another restart
    assert again.scheduler.next_alarm(view.schedule.id or 0) == NINE_AM + timedelta(days=1)
    assert [due for due, _, _ in after.poster.posted] == [NINE_AM]
    assert again.poster.posted == []
    assert [p.scheduled_for for p in await posts(db)] == [NINE_AM]
    assert await firings(db, view) == [
        (NINE_AM, FiringStatus.DONE, f"posted #{after.poster.posted[0][1]}")
    ]


@BOTH
async def test_a_restart_beyond_the_grace_records_skips(db, clock, started) -> None:
    before = await start(db, clock, started, "before-restart")
    await fill_bank(db, 3)
    view, _ = await schedule(before)
    await before.scheduler.shutdown()
    clock.now = NINE_AM + timedelta(days=4, hours=1, minutes=30)  # five 09:00s passed
    after = await start(db, clock, started, "after-restart")
    assert after.poster.posted == [] and await posts(db) == []
    recorded = await firings(db, view)
    assert [(due, status) for due, status, _ in recorded] == [
        (NINE_AM + timedelta(days=day), FiringStatus.SKIPPED) for day in range(5)
    ]
    assert all(note == "missed while the bot was offline" for _, _, note in recorded[:4])
    assert "missed by 90 min, beyond the late policy" in recorded[4][2]
    listed = await only_view(after)  # the three latest skips are listed
    assert [f.scheduled_for for f in listed.skips] == [
        NINE_AM + timedelta(days=day) for day in (4, 3, 2)
    ]
    assert listed.next_due == NINE_AM + timedelta(days=5)


@BOTH
async def test_two_processes_on_one_database_post_once(db, clock, started) -> None:
    one = await start(db, clock, started, "process-1")
    two = await start(db, clock, started, "process-2")
    await fill_bank(db, 3)
    view, _ = await schedule(one)
    await two.scheduler.sync_schedule(view.schedule.id or 0)  # as its start-up would have
    assert two.scheduler.next_alarm(view.schedule.id or 0) == NINE_AM
    for day in range(3):
        due = NINE_AM + timedelta(days=day)
        clock.now = due
        await asyncio.gather(
            one.scheduler.fire(view.schedule.id or 0, due),
            two.scheduler.fire(view.schedule.id or 0, due),
        )
    stored = await posts(db)
    assert [p.scheduled_for for p in stored] == [NINE_AM + timedelta(days=d) for d in range(3)]
    assert len({p.question_id for p in stored}) == 3  # one cycle, no repeat
    assert len(one.poster.posted) + len(two.poster.posted) == 3


# --- daylight saving ---------------------------------------------------------------------------


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


DAYLIGHT_SAVING_CHANGES = [
    (  # last Sunday of March 2030: CET (UTC+1) -> CEST (UTC+2)
        AMSTERDAM,
        utc(2030, 3, 29, 12),
        [utc(2030, 3, 30, 8), utc(2030, 3, 31, 7), utc(2030, 4, 1, 7)],
    ),
    (  # last Sunday of October 2030: CEST -> CET
        AMSTERDAM,
        utc(2030, 10, 25, 12),
        [utc(2030, 10, 26, 7), utc(2030, 10, 27, 8), utc(2030, 10, 28, 8)],
    ),
    (  # second Sunday of March 2030: EST (UTC-5) -> EDT (UTC-4)
        NEW_YORK,
        utc(2030, 3, 8, 18),
        [utc(2030, 3, 9, 14), utc(2030, 3, 10, 13), utc(2030, 3, 11, 13)],
    ),
    (  # first Sunday of November 2030: EDT -> EST
        NEW_YORK,
        utc(2030, 11, 1, 18),
        [utc(2030, 11, 2, 13), utc(2030, 11, 3, 14), utc(2030, 11, 4, 14)],
    ),
]


async def test_nine_am_local_stays_nine_am_across_daylight_saving(db, clock, started) -> None:
    bot = await start(db, clock, started)
    for index, (zone, start_at, expected) in enumerate(DAYLIGHT_SAVING_CHANGES):
        community_id = 700 + index  # a community per change: its posts apart
        clock.now = start_at
        await fill_bank(db, 2, community_id=community_id)
        view, preview = await schedule(bot, timezone=zone, community_id=community_id)
        for _ in expected:
            await ring(bot, clock, view)
        fired = [due for due, _, _ in bot.poster.posted[-len(expected) :]]
        assert fired == expected, zone
        assert preview[: len(expected)] == expected, zone
        assert {due.astimezone(ZoneInfo(zone)).strftime("%H:%M") for due in fired} == {"09:00"}
        assert [p.scheduled_for for p in await posts(db, community_id)] == expected


# --- pause, resume, unschedule -----------------------------------------------------------------


@BOTH
async def test_missed_while_paused_is_skipped_not_posted_on_resume(db, clock, started) -> None:
    bot = await start(db, clock, started)
    await fill_bank(db, 3)
    view, _ = await schedule(bot)
    await ring(bot, clock, view)  # Monday's question is posted
    clock.now = NINE_AM + timedelta(hours=2)
    paused = await bot.service.set_paused(GUILD, view.id, paused=True, actor_id=MODERATOR)
    assert paused.schedule.paused and paused.next_due is None
    assert paused.schedule.paused_reason == "paused by a moderator"
    with pytest.raises(BadInput, match="paused already"):
        await bot.service.set_paused(GUILD, view.id, paused=True, actor_id=MODERATOR)

    # Thursday 09:10: Tuesday's, Wednesday's and, within its grace, Thursday's 09:00 passed.
    clock.now = NINE_AM + timedelta(days=3, minutes=10)
    await bot.scheduler.reload()  # a restart while paused changes nothing
    assert bot.scheduler.next_alarm(view.schedule.id or 0) is None
    resumed = await bot.service.set_paused(GUILD, view.id, paused=False, actor_id=MODERATOR)
    assert not resumed.schedule.paused
    assert resumed.next_due == NINE_AM + timedelta(days=4)
    assert [due for due, _, _ in bot.poster.posted] == [NINE_AM]
    recorded = await firings(db, view)
    assert [(due, status) for due, status, _ in recorded] == [
        (NINE_AM, FiringStatus.DONE),
        (NINE_AM + timedelta(days=1), FiringStatus.SKIPPED),
        (NINE_AM + timedelta(days=2), FiringStatus.SKIPPED),
        (NINE_AM + timedelta(days=3), FiringStatus.SKIPPED),
    ]
    assert all("paused" in note for _, _, note in recorded[1:])
    with pytest.raises(BadInput, match="running already"):
        await bot.service.set_paused(GUILD, view.id, paused=False, actor_id=MODERATOR)
    await ring(bot, clock, resumed)  # Friday posts as usual
    assert [due for due, _, _ in bot.poster.posted] == [NINE_AM, NINE_AM + timedelta(days=4)]


async def test_an_empty_theme_pauses_its_schedule(db, clock, started) -> None:
    bot = await start(db, clock, started)
    [only] = await fill_bank(db, 1)
    view, _ = await schedule(bot)
    await QuestionBank(db).retire(GUILD, only, actor_id=MODERATOR)
    await ring(bot, clock, view)
    listed = await only_view(bot)
    assert listed.schedule.paused and listed.next_due is None
    assert listed.schedule.paused_reason == "the theme has no approved question"
    assert bot.poster.posted == []


async def test_unschedule_stops_it_and_keeps_its_posts(db, clock, started) -> None:
    bot = await start(db, clock, started)
    await fill_bank(db, 2)
    await fill_bank(db, 1, community_id=OTHER)
    view, _ = await schedule(bot)
    theirs, _ = await schedule(bot, community_id=OTHER)
    await ring(bot, clock, view)
    with pytest.raises(NotFound):
        await bot.service.unschedule(GUILD, theirs.id, actor_id=MODERATOR)
    with pytest.raises(NotFound):
        await bot.service.set_paused(GUILD, theirs.id, paused=True, actor_id=MODERATOR)
    await bot.service.unschedule(GUILD, view.id, actor_id=MODERATOR)
    assert await bot.service.list_schedules(GUILD) == []
    assert bot.scheduler.next_alarm(view.schedule.id or 0) is None
    assert bot.scheduler.next_alarm(theirs.schedule.id or 0) is not None
    [post] = await posts(db)
    assert post.prompt_schedule_id is None and post.scheduled_for == NINE_AM
    with pytest.raises(NotFound):
        await bot.service.unschedule(GUILD, view.id, actor_id=MODERATOR)
    await bot.scheduler.fire(view.schedule.id or 0, NINE_AM + timedelta(days=1))  # a stale alarm
    assert len(await posts(db)) == 1


async def test_a_long_pause_is_not_posted_on_resume_either(db, clock, started) -> None:
    # Hourly, paused for five days: more due times passed than are recorded one by one.
    bot = await start(db, clock, started)
    await fill_bank(db, 2)
    view, _ = await schedule(bot, "0 * * * *")
    await bot.service.set_paused(GUILD, view.id, paused=True, actor_id=MODERATOR)
    clock.now = NINE_AM + timedelta(days=5, minutes=10)  # 10 min after a due time: in its grace
    resumed = await bot.service.set_paused(GUILD, view.id, paused=False, actor_id=MODERATOR)
    assert resumed.next_due == NINE_AM + timedelta(days=5, hours=1)
    assert bot.poster.posted == []
    listed = await only_view(bot)
    assert listed.skips[0].scheduled_for == NINE_AM + timedelta(days=5)
    assert listed.skips[0].note == "not posted: the schedule was paused"
